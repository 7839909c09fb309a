r"""A bridge to PEPit: worst cases beyond quadratics, and the region where heavy ball is still guaranteed.

:func:`hbtheory.worst_case` is the exact worst case of :math:`n` steps over *quadratics* with
spectrum in :math:`[\mu, L]`. Performance estimation (PEPit, Goujaud et al. 2024) computes worst
cases by semidefinite programming over any class with interpolation conditions; here over

* ``"quadratic"``: PEPit's ``SmoothStronglyConvexQuadraticFunction(mu, L)``, where it must agree
  with :func:`hbtheory.worst_case` to the solver's accuracy;
* ``"smooth_strongly_convex"``: ``SmoothStronglyConvexFunction(mu, L)``, every
  :math:`\mu`-strongly convex :math:`L`-smooth function, where the quadratic guarantee can fail
  (for Polyak's tuning it does: :mod:`hbtheory.counterexamples`).

What is still guaranteed on the larger class for heavy ball is the region of Ghadimi, Feyzmahdavian
and Johansson (2015), :func:`hbtheory.gfj.gfj_region` (a closed form, numpy only; re-exported
here), checked here numerically by PEPit (:func:`gfj_check`).

Every method of the family runs through one generic algorithm: at each step the gradient at the
look-ahead point and the step of :meth:`hbtheory.methods.Method.step`, written on PEPit's points.

PEPit, cvxpy and an SDP solver are an optional extra (``pip install 'hbtheory[pepit]'``); they
are imported on first use, never by ``import hbtheory``. Clarabel is used when installed (cvxpy's
tolerances ``tol_gap_abs = tol_gap_rel = tol_feas = 1e-8``), otherwise cvxpy's default solver.
These bound scaled residuals, not the objective: agreement is to about ``100 * tol``.

References
----------
B. Goujaud, C. Moucer, F. Glineur, J. Hendrickx, A. Taylor, A. Dieuleveut (2024). PEPit:
computer-assisted worst-case analyses of first-order optimization methods in Python. Math. Prog.
Comp. 16:337-367.

E. Ghadimi, H. R. Feyzmahdavian, M. Johansson (2015). Global convergence of the Heavy-ball method
for convex optimization. European Control Conference (ECC), 310-315; arXiv:1412.7457, Theorem 4.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._result import Result, frozen_array
from hbtheory._validation import as_int, as_real, as_scalar, check_interval
from hbtheory._verification import Verification
from hbtheory.gfj import GFJ_METHOD, gfj_beta_bound, gfj_region
from hbtheory.methods import Method, get_method

__all__ = [
    "CERTIFICATE_METRICS",
    "CERTIFICATE_STARTS",
    "FUNCTION_CLASSES",
    "GFJ_POINTS",
    "METRICS",
    "PEPIT_MISSING",
    "CertificateCheck",
    "GFJCheck",
    "PEPComparison",
    "PEPWorstCase",
    "certificate_check",
    "gfj_beta_bound",
    "gfj_check",
    "gfj_region",
    "pep_check",
    "pep_comparison",
    "pepit_available",
    "solver_tolerance",
    "worst_case",
]

Arr = NDArray[np.float64]

FUNCTION_CLASSES = ("quadratic", "smooth_strongly_convex")
METRICS = ("distance", "function_value")
#: The message of the ImportError raised when the optional stack is missing.
PEPIT_MISSING = "hbtheory.pep needs PEPit and cvxpy: pip install 'hbtheory[pepit]'"
#: Default tolerances of the solvers as cvxpy calls them.
_SOLVER_TOL = {"CLARABEL": 1e-8, "SCS": 1e-5, "MOSEK": 1e-8}
#: Sample points (alpha, beta) of the GFJ region for mu = 0.1, L = 1, away from its boundary.
GFJ_POINTS = ((1.0, 0.5), (1.5, 0.3), (0.5, 0.8), (0.2, 0.9))


def pepit_available() -> bool:
    """Whether PEPit and cvxpy can be imported (without importing them).

    Examples
    --------
    >>> import importlib.util
    >>> pepit_available() == (importlib.util.find_spec("PEPit") is not None
    ...                       and importlib.util.find_spec("cvxpy") is not None)
    True
    """
    return importlib.util.find_spec("PEPit") is not None and importlib.util.find_spec("cvxpy") is not None


def _require() -> tuple[Any, Any]:
    if not pepit_available():
        raise ImportError(PEPIT_MISSING)
    return importlib.import_module("PEPit"), importlib.import_module("PEPit.functions")


def _default_solver(solver: str | None) -> str | None:
    if solver is not None:
        if not isinstance(solver, str):
            raise TypeError(f"`solver` must be a solver name or None, got {type(solver).__name__}")
        return solver.upper()
    cvxpy = importlib.import_module("cvxpy")
    return "CLARABEL" if "CLARABEL" in cvxpy.installed_solvers() else None


def solver_tolerance(solver: str) -> float:
    """The stopping tolerance cvxpy gives ``solver`` by default (``1e-5`` for unknown ones).

    Examples
    --------
    >>> solver_tolerance("CLARABEL"), solver_tolerance("SCS")
    (1e-08, 1e-05)
    """
    return _SOLVER_TOL.get(str(solver).upper(), 1e-5)


@dataclass(frozen=True, eq=False)
class PEPWorstCase(Result):
    r"""A worst case computed by PEPit (see :func:`worst_case`).

    Attributes
    ----------
    n, alpha, beta, mu, L, function_class, method, metric : as passed
    value : float
        The dual value returned by PEPit: an upper bound on the worst case, up to the solver's
        accuracy (``float(result)`` gives it).
    primal : float
        The primal value (a worst-case instance): a lower bound, up to the same accuracy.
    solver : str
        The solver that ran.
    tolerance : float
        Its default tolerance (:func:`solver_tolerance`).
    accurate : bool
        ``False`` when the solver reported an inaccurate solution (cvxpy's warning is caught and
        recorded in ``note`` instead of being raised).
    note : str
        Messages from the solver, if any.
    """

    n: int
    alpha: float
    beta: float
    mu: float
    L: float
    function_class: str
    method: str
    metric: str
    value: float
    primal: float
    solver: str
    tolerance: float
    accurate: bool
    note: str

    def __float__(self) -> float:
        return self.value


def _choice(value: Any, name: str, options: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"`{name}` must be one of {', '.join(map(repr, options))}, got {value!r}")
    return value


def _steps_and_method(n: Any, method: str | Method) -> tuple[int, Method]:
    """The step count (a single integer >= 1) and a method with a step rule PEPit can run."""
    steps = int(as_int(n, "n", low=1))
    if np.ndim(n) != 0:
        raise TypeError("`n` must be a single integer")
    m = get_method(method)
    if m.gamma is None:
        raise ValueError(f"`method` {m.name!r} is given by its polynomial only: it has no step rule for PEPit")
    return steps, m


def worst_case(
    n: int,
    alpha: float,
    beta: float,
    mu: float,
    L: float,
    *,
    function_class: str = "quadratic",
    method: Method | str = "heavy_ball",
    metric: str = "distance",
    solver: str | None = None,
) -> PEPWorstCase:
    r"""Worst case of ``n`` steps of a method over a function class, by PEPit's semidefinite program.

    **Problem.** The class is :math:`\mathcal{Q}_{\mu,L}` (``"quadratic"``: quadratics with
    Hessian spectrum in :math:`[\mu, L]`) or :math:`\mathcal{S}_{\mu,L}`
    (``"smooth_strongly_convex"``). The start is :math:`x_{-1} = x_0` and the ratio is

    * ``metric="distance"``: :math:`\|x_n - x^*\|^2` subject to :math:`\|x_0 - x^*\|^2 \le 1`
      (the quantity of :func:`hbtheory.worst_case`);
    * ``metric="function_value"``: :math:`f(x_n) - f^*` subject to :math:`f(x_0) - f^* \le 1`
      (the quantity of the GFJ theorem, :func:`gfj_region`).

    **Algorithm.** :meth:`Method.step <hbtheory.methods.Method.step>` of ``method`` on PEPit's
    points: :math:`y_t = x_t + \gamma (x_t - x_{t-1})`,
    :math:`x_{t+1} = x_t + \beta (x_t - x_{t-1}) - \alpha \nabla f(y_t)` (heavy ball
    :math:`\gamma = 0`, Nesterov :math:`\gamma = \beta`, gradient descent :math:`\beta = \gamma = 0`,
    Triple Momentum and :func:`~hbtheory.methods.general` their own :math:`\gamma`). The metric is
    taken at the iterate :math:`x_n`, as in :func:`hbtheory.worst_case` (Triple Momentum's output
    :math:`z_n` differs from it).

    **Theoretical guarantee.** On ``"quadratic"`` both metrics equal
    :math:`\max_{h \in [\mu, L]} P_n(h)^2 =` :func:`hbtheory.worst_case` (for the function value
    the ratio is a weighted mean of :math:`P_n(h_i)^2` with weights :math:`h_i c_i^2`). On the
    larger class the worst case is at least that; for gradient descent with
    :math:`0 < \alpha \le 2/L` the distance worst case is
    :math:`\max(|1 - \alpha\mu|, |1 - \alpha L|)^{2n}` on both classes (Taylor, Hendrickx and
    Glineur 2017).

    Parameters
    ----------
    n : int
        Number of steps, ``>= 1``. The SDP has size about ``n + 2``; keep ``n`` small (``<= 10``).
    alpha : float
        Step size, ``> 0``.
    beta : float
        Momentum in ``[0, 1]`` (0 for gradient descent).
    mu, L : float
        ``0 < mu <= L``.
    function_class : str, optional, keyword-only
        ``"quadratic"`` (default) or ``"smooth_strongly_convex"``.
    method : str or Method, optional, keyword-only
        Any method of the family with a step rule (default ``"heavy_ball"``).
    metric : str, optional, keyword-only
        ``"distance"`` (default) or ``"function_value"``.
    solver : str, optional, keyword-only
        A cvxpy solver name; default Clarabel if installed, else cvxpy's choice.

    Returns
    -------
    PEPWorstCase

    Raises
    ------
    ImportError
        Without PEPit and cvxpy.
    TypeError, ValueError
        For a parameter outside its range (the message names it).
    RuntimeError
        If the solver fails outright.

    References
    ----------
    Goujaud et al. (2024), PEPit; ``PEPit/examples/unconstrained_convex_minimization/heavy_ball_momentum.py``.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("PEPit")
    >>> import hbtheory
    >>> r = worst_case(2, 0.7, 0.5, 0.1, 1.0)  # heavy ball
    >>> abs(r.value - float(hbtheory.worst_case(2, 0.7, 0.5, 0.1, 1.0))) < 1e-5
    True
    >>> worst_case(2, 0.7, 0.5, 0.1, 1.0, function_class="smooth_strongly_convex").value >= r.value - 1e-5
    True
    """
    steps, m = _steps_and_method(n, method)
    a = as_scalar(alpha, "alpha", low=0.0, low_open=True)
    b = as_scalar(beta, "beta", low=0.0, high=1.0)
    if not m.uses_beta and b != 0.0:
        raise ValueError(f"`beta` must be 0 for method '{m.name}', got {b!r}")
    mu_f, L_f = as_scalar(mu, "mu", low=0.0, low_open=True), as_scalar(L, "L", low=0.0, low_open=True)
    check_interval(mu_f, L_f)
    cls = _choice(function_class, "function_class", FUNCTION_CLASSES)
    met = _choice(metric, "metric", METRICS)
    pepit, functions = _require()
    chosen = _default_solver(solver)

    problem = pepit.PEP()
    if cls == "quadratic":
        family = functions.SmoothStronglyConvexQuadraticFunction
    else:
        family = functions.SmoothStronglyConvexFunction
    f = problem.declare_function(family, mu=mu_f, L=L_f)
    xs = f.stationary_point()
    x0 = problem.set_initial_point()
    if met == "distance":
        problem.set_initial_condition((x0 - xs) ** 2 <= 1)
    else:
        fs = f(xs)
        problem.set_initial_condition(f(x0) - fs <= 1)
    x, x_prev = x0, x0
    for _ in range(steps):
        x, x_prev = m.step(f.gradient, x, x_prev, a, b)
    problem.set_performance_metric((x - xs) ** 2 if met == "distance" else f(x) - f(xs))

    with warnings.catch_warnings(record=True) as caught:
        # cvxpy warns "Solution may be inaccurate": that is a property of this result, recorded
        # in `accurate`/`note`, not an error of the caller's.
        warnings.simplefilter("always")
        try:
            dual = float(problem.solve(verbose=0, solver=chosen))
        except Exception as exc:  # the solver's own exception types vary with the solver
            raise RuntimeError(f"PEPit's SDP solve failed ({type(exc).__name__}: {exc})") from exc
        primal = float(problem.objective.eval())
    notes = sorted({str(w.message).split("\n")[0] for w in caught})
    inaccurate = any("inaccurate" in msg.lower() for msg in notes)
    name = str(problem.wrapper.prob.solver_stats.solver_name)
    return PEPWorstCase(
        n=steps,
        alpha=a,
        beta=b,
        mu=mu_f,
        L=L_f,
        function_class=cls,
        method=m.name,
        metric=met,
        value=dual,
        primal=primal,
        solver=name,
        tolerance=solver_tolerance(name),
        accurate=not inaccurate and math.isfinite(dual) and math.isfinite(primal),
        note="; ".join(notes),
    )


# ------------------------------------------------------------------------------ Polyak comparison


@dataclass(frozen=True, eq=False)
class PEPComparison(Result):
    """Worst cases against ``n`` at the quadratic-optimal tuning (see :func:`pep_comparison`).

    Attributes
    ----------
    ns : numpy.ndarray of int
    kappa, mu, L, alpha, beta : float
        The tuning of ``method`` for :math:`[\\mu, L] = [1/\\kappa, 1]`.
    method, metric, solver : str
    exact : numpy.ndarray
        :func:`hbtheory.worst_case` (quadratics, exact).
    quadratic : numpy.ndarray
        PEPit over smooth strongly convex quadratics (should equal ``exact``).
    smooth_strongly_convex : numpy.ndarray
        PEPit over all smooth strongly convex functions (at least ``exact``).
    accurate : numpy.ndarray of bool
        Shape ``(2, len(ns))``: whether each SDP (quadratic row, general row) was reported accurate.
    tolerance : float
        The solver's tolerance.
    """

    ns: NDArray[np.int64]
    kappa: float
    mu: float
    L: float
    alpha: float
    beta: float
    method: str
    metric: str
    solver: str
    exact: Arr
    quadratic: Arr
    smooth_strongly_convex: Arr
    accurate: NDArray[np.bool_]
    tolerance: float

    @property
    def max_quadratic_error(self) -> float:
        """:math:`\\max_n |{\\rm PEPit\\ quadratic} - {\\rm exact}|` over the accurate solves."""
        ok = np.asarray(self.accurate)[0]
        diff = np.abs(np.asarray(self.quadratic) - np.asarray(self.exact))[ok]
        return float(diff.max()) if diff.size else math.inf


def pep_comparison(
    ns: Sequence[int] | NDArray[np.int64],
    kappa: float,
    *,
    method: Method | str = "heavy_ball",
    metric: str = "distance",
    solver: str | None = None,
) -> PEPComparison:
    r"""Exact quadratic worst case, PEPit's on quadratics and PEPit's on all smooth strongly convex functions.

    At the quadratic-optimal tuning of ``method`` (:func:`hbtheory.optimal_parameters`; Polyak's
    for heavy ball) on :math:`[1/\kappa, 1]`, for each ``n`` in ``ns``: the data of a figure of
    the three worst cases against ``n``.

    Parameters
    ----------
    ns : sequence of int
        Step counts, each ``>= 1`` (SDPs: keep them small, ``<= 10``).
    kappa : float
        Condition number, ``>= 1``.
    method, metric, solver : str, optional, keyword-only
        As in :func:`worst_case`.

    Returns
    -------
    PEPComparison

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("PEPit")
    >>> c = pep_comparison([1, 2, 3], 25.0)
    >>> bool(c.max_quadratic_error < 1e-5)
    True
    >>> c.smooth_strongly_convex.round(2)  # grows: Polyak's tuning is not globally convergent
    array([ 3.16,  7.92, 10.26])
    >>> c.exact.round(2)
    array([3.16, 3.71, 3.16])
    """
    from hbtheory.spectral import worst_case as exact_worst_case
    from hbtheory.tuning import optimal_parameters

    steps = as_int(ns, "ns", low=1)
    if steps.ndim != 1 or steps.size == 0:
        raise ValueError(f"`ns` must be a non-empty 1-d sequence of integers, got shape {steps.shape}")
    k = as_scalar(kappa, "kappa", low=1.0)
    met = _choice(metric, "metric", METRICS)
    mu, L = 1.0 / k, 1.0
    t = optimal_parameters(mu=mu, L=L, method=method)
    a, b = float(t.alpha), float(t.beta)
    m = get_method(method)
    exact = np.array([float(exact_worst_case(int(n), a, b, mu, L, method=m)) for n in steps])
    quad = [worst_case(int(n), a, b, mu, L, method=m, metric=met, solver=solver) for n in steps]
    ssc = [
        worst_case(int(n), a, b, mu, L, function_class="smooth_strongly_convex", method=m, metric=met, solver=solver)
        for n in steps
    ]
    return PEPComparison(
        ns=frozen_array(steps, dtype=np.int64),
        kappa=k,
        mu=mu,
        L=L,
        alpha=a,
        beta=b,
        method=m.name,
        metric=met,
        solver=quad[0].solver,
        exact=frozen_array(exact),
        quadratic=frozen_array([r.value for r in quad]),
        smooth_strongly_convex=frozen_array([r.value for r in ssc]),
        accurate=frozen_array([[r.accurate for r in quad], [r.accurate for r in ssc]], dtype=np.bool_),
        tolerance=quad[0].tolerance,
    )


def pep_check(*, kappa: float = 10.0, ns: Sequence[int] = (1, 2, 3), solver: str | None = None) -> Verification:
    """Report row: PEPit over quadratics equals :func:`hbtheory.worst_case` at Polyak's tuning.

    ``measured`` is :attr:`PEPComparison.max_quadratic_error`, ``tolerance`` 100 times the
    solver's tolerance times ``max(1, worst case)``; the row also requires the general class to
    be no better than the quadratic one (within the same tolerance).

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("PEPit")
    >>> pep_check().passed
    True
    """
    c = pep_comparison(ns, kappa, solver=solver)
    tol = 100.0 * c.tolerance * max(1.0, float(np.max(c.exact)))
    dominated = bool(np.all(np.asarray(c.smooth_strongly_convex) >= np.asarray(c.exact) - tol))
    measured = c.max_quadratic_error if dominated else math.inf
    return Verification(
        claim=f"PEPit's worst case over quadratics equals hbtheory.worst_case (heavy ball, Polyak, kappa = {kappa:g})",
        how=f"SDP ({c.solver}) for n = {', '.join(map(str, c.ns.tolist()))}; max |PEPit - exact|; "
        "general smooth strongly convex class >= quadratic",
        measured=measured,
        tolerance=tol,
        passed=bool(measured <= tol),
    )


# --------------------------------------------------------------------------- the GFJ region by PEPit


@dataclass(frozen=True, eq=False)
class GFJCheck(Result):
    """PEPit's worst cases at sample points of the GFJ region (see :func:`gfj_check`).

    Attributes
    ----------
    mu, L : float
    points : numpy.ndarray
        Shape ``(k, 2)``: the ``(alpha, beta)`` checked.
    in_region : numpy.ndarray of bool
        :func:`gfj_region` at each point.
    ns : numpy.ndarray of int
    values : numpy.ndarray
        Shape ``(k, len(ns))``: worst case of :math:`f(x_n) - f^*` given :math:`f(x_0) - f^* \\le 1`
        over all smooth strongly convex functions.
    decreasing : numpy.ndarray of bool
        Whether each row decreases strictly with ``n``.
    below_one : numpy.ndarray of bool
        Whether each row stays below 1 (a linear rate :math:`q < 1` forces :math:`q^n < 1`).
    accurate : bool
        Whether every SDP was reported accurate.
    solver : str
    tolerance : float
    """

    mu: float
    L: float
    points: Arr
    in_region: NDArray[np.bool_]
    ns: NDArray[np.int64]
    values: Arr
    decreasing: NDArray[np.bool_]
    below_one: NDArray[np.bool_]
    accurate: bool
    solver: str
    tolerance: float

    @property
    def passed(self) -> bool:
        """All points in the region, every row decreasing and below one, every solve accurate."""
        return bool(
            np.all(self.in_region) and np.all(self.decreasing) and np.all(self.below_one) and self.accurate
        )

    def verification(self) -> Verification:
        """The report row of this check (``measured``: the largest ratio of consecutive worst cases)."""
        v = np.asarray(self.values)
        ratio = float(np.max(v[:, 1:] / v[:, :-1])) if v.shape[1] > 1 else float(np.max(v))
        return Verification(
            claim="inside the Ghadimi-Feyzmahdavian-Johansson region heavy ball's worst case over smooth "
            "strongly convex functions decreases with n",
            how=f"PEPit ({self.solver}), f(x_n) - f* given f(x_0) - f* <= 1, {len(v)} points (mu = {self.mu:g}, "
            f"L = {self.L:g}), n = {', '.join(map(str, np.asarray(self.ns).tolist()))}; max W(n+1)/W(n)",
            measured=ratio if self.passed else math.inf,
            tolerance=1.0,
            passed=self.passed and ratio < 1.0,
        )


def gfj_check(
    points: Sequence[tuple[float, float]] | NDArray[np.float64] | None = None,
    *,
    mu: float = 0.1,
    L: float = 1.0,
    ns: Sequence[int] = (1, 2, 3, 4),
    solver: str | None = None,
) -> GFJCheck:
    r"""Check the GFJ guarantee numerically: PEPit worst cases at points of the region, against ``n``.

    At each ``(alpha, beta)`` the worst case :math:`W(n)` of :math:`f(x_n) - f^*` over all
    :math:`\mu`-strongly convex :math:`L`-smooth functions with :math:`f(x_0) - f^* \le 1`,
    :math:`x_{-1} = x_0`, is computed for each ``n``. The theorem gives :math:`W(n) \le q^n` with
    :math:`q < 1`; the check records whether :math:`W` decreases and stays below 1.
    (Near the boundary of the region :math:`W` need not decrease at every step, so the default
    points keep away from it.)

    Parameters
    ----------
    points : array_like of shape ``(k, 2)``, optional
        Default: four points of the region for :math:`\mu = 0.1, L = 1`.
    mu, L : float, optional, keyword-only
    ns : sequence of int, optional, keyword-only
        Default ``(1, 2, 3, 4)``.
    solver : str, optional, keyword-only

    Returns
    -------
    GFJCheck

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("PEPit")
    >>> g = gfj_check([(1.0, 0.5)], ns=(1, 2, 3))
    >>> g.values.round(4), g.passed
    (array([[0.81  , 0.5776, 0.377 ]]), True)
    """
    mu_f, L_f = as_scalar(mu, "mu", low=0.0, low_open=True), as_scalar(L, "L", low=0.0, low_open=True)
    check_interval(mu_f, L_f)
    pts = as_real(GFJ_POINTS if points is None else points, "points")
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] == 0:
        raise ValueError(f"`points` must have shape (k, 2) with k >= 1, got {pts.shape}")
    steps = as_int(ns, "ns", low=1)
    if steps.ndim != 1 or steps.size == 0:
        raise ValueError(f"`ns` must be a non-empty 1-d sequence of integers, got shape {steps.shape}")
    region = np.asarray(gfj_region(pts[:, 0], pts[:, 1], mu_f, L_f), dtype=bool)
    results = [
        [
            worst_case(int(n), float(a), float(b), mu_f, L_f, function_class="smooth_strongly_convex",
                       method=GFJ_METHOD, metric="function_value", solver=solver)
            for n in steps
        ]
        for a, b in pts
    ]
    values = np.array([[r.value for r in row] for row in results])
    tol = results[0][0].tolerance
    slack = 100.0 * tol
    decreasing = np.all(values[:, 1:] < values[:, :-1] - slack, axis=1) if steps.size > 1 else np.ones(len(pts), bool)
    return GFJCheck(
        mu=mu_f,
        L=L_f,
        points=frozen_array(pts),
        in_region=frozen_array(region, dtype=np.bool_),
        ns=frozen_array(steps, dtype=np.int64),
        values=frozen_array(values),
        decreasing=frozen_array(decreasing, dtype=np.bool_),
        below_one=frozen_array(np.all(values < 1.0 - slack, axis=1), dtype=np.bool_),
        accurate=all(r.accurate for row in results for r in row),
        solver=results[0][0].solver,
        tolerance=tol,
    )


# ---------------------------------------------------------------- the certified rates by PEPit


#: What :func:`certificate_check` bounds: the Lyapunov function, or the squared distance (the corollary).
CERTIFICATE_METRICS = ("lyapunov", "distance")
#: Starts of :func:`certificate_check`: the off-by-one filter at rest (the theorem's), or anywhere.
CERTIFICATE_STARTS = ("rest", "any")


@dataclass(frozen=True, eq=False)
class CertificateCheck(Result):
    r"""PEPit's worst case against what an IQC certificate claims (see :func:`certificate_check`).

    Attributes
    ----------
    method : str
    alpha, beta, mu, L : float
        The point where the method is run.
    iqc, metric, start : str
    n : int
        Steps of the run.
    rate : float
        The rate :math:`\rho` claimed (the certificate's unless another was passed).
    certified : float
        The certificate's own rate (:func:`hbtheory.robust.certified_rate` at its point).
    entry : int
        :math:`k`: steps before the state lies in the certificate's subspace
        (:attr:`hbtheory.robust.LyapunovFunction.entry`).
    value : float
        PEPit's worst case (the dual value: an upper bound up to the solver's accuracy).
    primal : float
        The primal value (attained by a function of :math:`F(\mu, L)`, up to the same accuracy).
    bound : float
        What the certificate claims the worst case is at most.
    solver : str
    tolerance : float
        The solver's tolerance; the claim passes within ``slack = 100 * tolerance * max(1, bound)``.
    accurate : bool
        ``False`` when the solver reported an inaccurate solution.
    note : str
    """

    method: str
    alpha: float
    beta: float
    mu: float
    L: float
    iqc: str
    metric: str
    start: str
    n: int
    rate: float
    certified: float
    entry: int
    value: float
    primal: float
    bound: float
    solver: str
    tolerance: float
    accurate: bool
    note: str

    @property
    def slack(self) -> float:
        """The solver's allowance: ``100 * tolerance * max(1, bound)`` (as :func:`pep_check`)."""
        return 100.0 * self.tolerance * max(1.0, self.bound)

    @property
    def passed(self) -> bool:
        """The solve was accurate and PEPit's worst case is at most the bound, within :attr:`slack`."""
        return bool(self.accurate and self.value <= self.bound + self.slack)

    @property
    def tightness(self) -> float:
        """``value / bound``: 1 when the certificate's bound is attained by some function of the class."""
        return self.value / self.bound if self.bound > 0 else math.inf


def _inner(M: Arr, vectors: Sequence[Any]) -> Any:
    """``sum_ij M_ij <v_i, v_j>`` on PEPit points (``None``: a zero vector)."""
    total: Any = None
    for i, vi in enumerate(vectors):
        for j, vj in enumerate(vectors):
            if vi is None or vj is None or M[i, j] == 0.0:
                continue
            term = float(M[i, j]) * (vi * vj)
            total = term if total is None else total + term
    return total


def _given(u: Any, _y: Any) -> Any:
    """The gradient already evaluated at the look-ahead point (PEPit evaluates each gradient once)."""
    return u


def _solve(problem: Any, solver: str | None) -> tuple[float, float, str, bool, str]:
    """Solve a PEPit problem: ``(dual, primal, solver name, accurate, note)`` (as :func:`worst_case`)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            dual = float(problem.solve(verbose=0, solver=_default_solver(solver)))
        except Exception as exc:  # the solver's own exception types vary with the solver
            raise RuntimeError(f"PEPit's SDP solve failed ({type(exc).__name__}: {exc})") from exc
        primal = float(problem.objective.eval())
    notes = sorted({str(w.message).split("\n")[0] for w in caught})
    accurate = not any("inaccurate" in msg.lower() for msg in notes) and math.isfinite(dual) and math.isfinite(primal)
    return dual, primal, str(problem.wrapper.prob.solver_stats.solver_name), accurate, "; ".join(notes)


def certificate_check(
    alpha: float,
    beta: float,
    mu: float,
    L: float,
    *,
    method: Method | str = "heavy_ball",
    iqc: str = "off_by_one",
    n: int = 2,
    metric: str = "lyapunov",
    rate: float | None = None,
    certificate: Any = None,
    start: str = "rest",
    solver: str | None = None,
) -> CertificateCheck:
    r"""Check a certified rate with PEPit: the certificate's Lyapunov function against the exact worst case.

    **Problem.** :func:`hbtheory.robust.certified_rate` returns :math:`\rho` with a Lyapunov function
    :math:`V(\xi) = \xi^T (M \otimes I)\xi` on the state
    :math:`\xi_t = (x_t - x^*, x_{t-1} - x^*[, \zeta_t - \zeta^*])`
    (:func:`hbtheory.robust.lyapunov_function`; :math:`\zeta_{t+1} = -L y_t + \nabla f(y_t)` the
    off-by-one IQC's filter, started at rest, :math:`\zeta_0 = \zeta^* = -L x^*`). Over every
    :math:`f \in F(\mu, L)` (PEPit's ``SmoothStronglyConvexFunction``: interpolation conditions, exact)
    and every :math:`x_0, x_{-1}`, PEPit computes as a Gram SDP

    * ``metric="lyapunov"``: :math:`\max V(\xi_n)` subject to :math:`W_k \le 1`, with ``bound``
      :math:`\rho^{2(n - k)}`;
    * ``metric="distance"``: :math:`\max \|x_n - x^*\|^2` subject to
      :math:`\|\xi_0\|^2 = \|x_0 - x^*\|^2 + \|x_{-1} - x^*\|^2 \le 1`, with ``bound``
      :math:`\operatorname{cond}(P)\, \rho^{2n}` (the plain-norm corollary, for :math:`k = 0` only:
      :math:`p_{\min}\|x_n - x^*\|^2 \le V(\xi_n) \le \rho^{2n} V(\xi_0) \le \rho^{2n} p_{\max} \|\xi_0\|^2`).

    Here :math:`k` = ``entry`` and :math:`W_k` are those of :func:`hbtheory.robust.lyapunov_function`:
    :math:`W_0 = V(\xi_0)`, so for a certificate on the whole state the claim is
    :math:`V(\xi_n) \le \rho^{2n} V(\xi_0)`. Where the certificate lives on a subspace (gradient
    descent, Nesterov at :math:`\alpha = 1/L`, Triple Momentum: :math:`k = 1`) the run starts at the
    arbitrary :math:`(x_0, x_{-1})`, enters the subspace after :math:`k` steps, and the claim is
    measured from there, the off-by-one IQC's terms before the entry included in :math:`W_k` (it is
    the sum from :math:`\zeta_0 = \zeta^*` that is non-negative, not the sum from step :math:`k`).
    With the sector IQC alone and ``n = 1`` the start is an arbitrary state: the one-step Lyapunov
    inequality from *every* state. ``start="any"`` lets the filter start anywhere too
    (:math:`\zeta_0 - \zeta^*` an arbitrary vector): not covered by the theorem for the off-by-one IQC,
    whose terms are only non-negative summed from rest, and indeed false there (heavy ball at
    Polyak's tuning, :math:`\kappa = 10`, one step: 10.5 against :math:`\rho^2 = 0.74`).

    **Theoretical guarantee.** ``value <= bound`` (LRP 2016, Theorem 4): a certificate's rate can never
    be beaten by the worst case, so ``passed`` must be ``True`` for every certificate that
    :func:`hbtheory.robust.rate_certificate` returns. ``value / bound`` (:attr:`CertificateCheck.tightness`)
    says how much the Lyapunov function gives away after ``n`` steps. A wrong claim (``rate`` below the
    certified one, or the ``certificate`` of another point) can fail, which is how the check is shown
    to be able to fail.

    Parameters
    ----------
    alpha, beta, mu, L : float
        The method's parameters and ``0 < mu <= L`` (as :func:`hbtheory.robust.certified_rate`).
    method : str or Method, optional, keyword-only
    iqc : {"off_by_one", "sector"}, optional, keyword-only
    n : int, optional, keyword-only
        Steps, ``> entry``; the SDP has about ``n + 3`` points (keep ``n <= 6``).
    metric : {"lyapunov", "distance"}, optional, keyword-only
    rate : float, optional, keyword-only
        The rate claimed; default the certificate's. A smaller one is a false claim.
    certificate : RateCertificate, optional, keyword-only
        The certificate whose claim is checked at this point; default
        ``rate_certificate(alpha, beta, mu, L, method=method, iqc=iqc)``. Its ``iqc`` must be ``iqc``.
    start : {"rest", "any"}, optional, keyword-only
        ``"rest"`` (default): :math:`\zeta_0 = \zeta^*`; ``"any"``: the filter state is free too
        (needs ``entry == 0``).
    solver : str, optional, keyword-only
        As in :func:`worst_case` (Clarabel if installed).

    Returns
    -------
    CertificateCheck

    Raises
    ------
    ImportError
        Without PEPit and cvxpy.
    TypeError, ValueError
        For a parameter outside its range, or no certificate at the point (certified rate ``inf``).

    References
    ----------
    L. Lessard, B. Recht, A. Packard (2016). SIAM J. Optim. 26(1):57-95, Theorem 4 and Lemma 8.
    A. Taylor, J. Hendrickx, F. Glineur (2017). Smooth strongly convex interpolation and exact
    worst-case performance of first-order methods. Math. Prog. 161:307-345.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("PEPit")
    >>> from hbtheory.methods import HEAVY_BALL
    >>> cf = HEAVY_BALL.closed_form(1.0, 10.0)                   # Polyak's tuning, kappa = 10
    >>> c = certificate_check(cf.alpha, cf.beta, 1.0, 10.0, n=2)
    >>> round(c.rate, 6), c.passed, round(c.value, 4), round(c.bound, 4)
    (0.860409, True, 0.5471, 0.548)
    >>> certificate_check(cf.alpha, cf.beta, 1.0, 10.0, n=2, rate=0.9 * c.rate).passed   # a false claim
    False
    """
    from hbtheory.robust import IQCS, RateCertificate, lyapunov_function, rate_certificate

    steps, m = _steps_and_method(n, method)
    q = _choice(iqc, "iqc", IQCS)
    met = _choice(metric, "metric", CERTIFICATE_METRICS)
    how = _choice(start, "start", CERTIFICATE_STARTS)
    a = as_scalar(alpha, "alpha", low=0.0, low_open=True)
    b = as_scalar(beta, "beta", low=-1.0, high=1.0, low_open=True, high_open=True)
    mu_f, L_f = as_scalar(mu, "mu", low=0.0, low_open=True), as_scalar(L, "L", low=0.0, low_open=True)
    check_interval(mu_f, L_f)
    if certificate is None:
        certificate = rate_certificate(a, b, mu_f, L_f, method=m, iqc=q)
        if not math.isfinite(certificate.rate):
            raise ValueError(f"no rate below 1 is certified at alpha = {a!r}, beta = {b!r}, mu = {mu_f!r}, "
                             f"L = {L_f!r} ({m.name}, iqc = {q!r}): nothing to check")
    elif not isinstance(certificate, RateCertificate):
        raise TypeError(f"`certificate` must be a RateCertificate or None, got {type(certificate).__name__}")
    elif certificate.iqc != q:
        raise ValueError(f"`certificate` is for iqc = {certificate.iqc!r}, not {q!r}")
    v = lyapunov_function(certificate)
    rho = v.rate if rate is None else as_scalar(rate, "rate", low=0.0, high=1.0, low_open=True)
    k = v.entry
    if steps <= k:
        raise ValueError(f"`n` must be > {k} here (the certificate's subspace is entered after {k} steps; "
                         f"V(xi_{k}) <= W_{k} says nothing), got {steps}")
    if how == "any" and k > 0:
        raise ValueError(f"`start` 'any' needs a certificate on the whole state; this one holds after {k} step(s)")
    if met == "distance" and k > 0:
        raise ValueError(f"`metric` 'distance' (||x_n - x*||^2 <= cond(P) rho^(2n) ||xi_0||^2) needs a certificate "
                         f"on the whole state; this one ({m.name}) holds after {k} step(s): use metric='lyapunov'")
    if not m.uses_beta:
        b = 0.0
    pepit, functions = _require()
    M = np.asarray(v.matrix)
    filtered = M.shape[0] == 3

    problem = pepit.PEP()
    f = problem.declare_function(functions.SmoothStronglyConvexFunction, mu=mu_f, L=L_f)
    xs = f.stationary_point()
    x0 = problem.set_initial_point()
    x_prev0 = problem.set_initial_point()

    def state(x: Any, x_prev: Any, z: Any) -> list[Any]:
        return [x - xs, x_prev - xs] + ([z] if filtered else [])

    x, x_prev, z = x0, x_prev0, None  # z: zeta_t - zeta*, None while it is zero (t = 0)
    if how == "any" and filtered:
        z = problem.set_initial_point() - xs
    z0 = z
    credit: Any = None  # sigma_o sum_{t<k} rho^(2(k-1-t)) q_o(t), the off-by-one terms before the entry
    W: Any = None
    for t in range(steps):
        if t == k:
            W = _inner(M, state(x, x_prev, z))
        y = m.lookahead(x, x_prev, b)
        u = f.gradient(y)
        if t < k and v.off_by_one > 0.0:
            left = L_f * (y - xs) - u + (rho * rho * z if z is not None else 0.0 * u)
            term = (v.off_by_one * rho ** (2 * (k - 1 - t))) * (left * (u - mu_f * (y - xs)))
            credit = term if credit is None else credit + term
        z = -L_f * (y - xs) + u
        x, x_prev = m.step(functools.partial(_given, u), x, x_prev, a, b)  # the gradient at y, taken above
    if credit is not None:
        W = W + credit
    if met == "lyapunov":
        problem.set_initial_condition(W <= 1)
        problem.set_performance_metric(_inner(M, state(x, x_prev, z)))
        bound = rho ** (2 * (steps - k))
    else:
        start_norm = (x0 - xs) ** 2 + (x_prev0 - xs) ** 2
        if z0 is not None:
            start_norm = start_norm + (z0 * z0) / (L_f * L_f)
        problem.set_initial_condition(start_norm <= 1)
        problem.set_performance_metric((x - xs) ** 2)
        bound = v.p_max / v.p_min * rho ** (2 * steps)
    dual, primal, name, accurate, note = _solve(problem, solver)
    return CertificateCheck(
        method=m.name, alpha=a, beta=b, mu=mu_f, L=L_f, iqc=q, metric=met, start=how, n=steps, rate=float(rho),
        certified=float(v.rate), entry=k, value=dual, primal=primal, bound=float(bound), solver=name,
        tolerance=solver_tolerance(name), accurate=accurate, note=note,
    )
