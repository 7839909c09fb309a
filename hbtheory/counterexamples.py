r"""Where the quadratic theory stops: the Lessard-Recht-Packard counterexample, as data.

Polyak's tuning makes heavy ball converge at rate :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)` on
every quadratic with spectrum in :math:`[\mu, L]`. Lessard, Recht and Packard (2016, section 4.6)
showed that the same tuning need not converge at all on a function that is merely
:math:`\mu`-strongly convex and :math:`L`-smooth (:mod:`hbtheory.lrp`): heavy ball with
:math:`\alpha = 1/9`, :math:`\beta = 4/9` started at :math:`x_{-1} = x_0 = 3.3` falls into a cycle
of period 3 through :math:`-2208/1225`, :math:`2592/1225`, :math:`792/1225`, while Nesterov's
method and gradient descent tuned for the same :math:`\kappa = 25` converge from every start
tried.

This module turns that into the results the command line, the figure and the report use:
:func:`counterexample_summary`, :func:`cycle_figure_data` and :func:`counterexample_check`. Which
method cycles, at which parameters and through which points is data
(:data:`hbtheory.lrp.LRP_PROVEN_CYCLE`), not a test of a method's name. The pieces live in their
own modules and are re-exported here under their old names:

* :mod:`hbtheory.lrp` - the function (numpy, exact rationals, torch) and the proven cycle;
* :mod:`hbtheory.cycles` - :func:`find_cycle` and :class:`Cycle`;
* :mod:`hbtheory.runs` - :func:`iterate`, :func:`iterate_torch`, :func:`run_outcome` (every run
  by :meth:`hbtheory.methods.Method.step`).

References
----------
L. Lessard, B. Recht, A. Packard (2016). Analysis and design of optimization algorithms via
integral quadratic constraints. SIAM J. Optim. 26(1):57-95, section 4.6 (arXiv:1408.3595).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hbtheory._result import Result, frozen_array
from hbtheory._validation import as_int, as_real, as_scalar
from hbtheory._verification import Verification
from hbtheory.cycles import DIVERGE_AT, STATUSES, Cycle, find_cycle
from hbtheory.lrp import (
    LRP_CYCLE,
    LRP_L,
    LRP_METHODS,
    LRP_MU,
    LRP_PROVEN_CYCLE,
    ProvenCycle,
    _lrp_gradient,
    _lrp_value,
    lrp_gradient,
    lrp_gradient_exact,
    lrp_tunings,
    lrp_value,
    lrp_value_torch,
    return_map_radius,
)
from hbtheory.methods import Method, get_method
from hbtheory.runs import MethodOutcome, divergence_bound, iterate, iterate_torch, run_outcome, torch_arguments

__all__ = [
    "DIVERGE_AT",
    "LRP_CYCLE",
    "LRP_L",
    "LRP_MU",
    "CounterexampleSummary",
    "Cycle",
    "CycleFigureData",
    "MethodOutcome",
    "Verification",
    "counterexample_check",
    "counterexample_summary",
    "cycle_figure_data",
    "find_cycle",
    "iterate",
    "iterate_torch",
    "lrp_gradient",
    "lrp_gradient_exact",
    "lrp_tunings",
    "lrp_value",
    "lrp_value_torch",
    "run_outcome",
]

Arr = NDArray[np.float64]
_STATUSES = STATUSES


# -------------------------------------------------------------------------------------- summary


@dataclass(frozen=True, eq=False)
class CounterexampleSummary(Result):
    """The Lessard-Recht-Packard counterexample in numbers (see :func:`counterexample_summary`).

    Attributes
    ----------
    mu, L, kappa : float
        1, 25, 25.
    x0, steps : float, int
        The representative start (:math:`x_{-1} = x_0`) and the run length.
    cycle_method : str
        The method with the proven cycle (:data:`hbtheory.lrp.LRP_PROVEN_CYCLE`: heavy ball).
    period : int
        The period ``cycle_method`` settles into from ``x0`` (3), 0 if none.
    cycle_points : numpy.ndarray
        The cycle found, visiting order, starting at the smallest point.
    exact_points : numpy.ndarray
        The proven cycle (:data:`LRP_CYCLE`) as floats.
    cycle_error : float
        :math:`\\max |{\\rm found} - {\\rm exact}|` (``inf`` if the periods differ).
    return_map_radius : float
        Spectral radius of the linearisation of the ``period``-step map at the cycle (< 1:
        the cycle attracts; it is :math:`(2/3)^3 = 8/27` here; NaN without the cycle).
    outcomes : tuple of MethodOutcome
        Each method at :func:`lrp_tunings`, from ``x0`` (plus each method that
        ``torch.optim.SGD`` implements, run by it, when asked for).
    starts : numpy.ndarray
        The grid of starting points tried.
    start_status : dict
        For each method, the status from each start (a tuple aligned with ``starts``).
    counts : dict
        For each method, how many starts ended in each status.
    """

    mu: float
    L: float
    kappa: float
    x0: float
    steps: int
    cycle_method: str
    period: int
    cycle_points: Arr
    exact_points: Arr
    cycle_error: float
    return_map_radius: float
    outcomes: tuple[MethodOutcome, ...]
    starts: Arr
    start_status: dict[str, tuple[str, ...]]
    counts: dict[str, dict[str, int]]

    def outcome(self, method: Method | str) -> MethodOutcome:
        """The outcome of ``method`` from ``x0`` with the numpy backend (``KeyError`` if not run)."""
        name = get_method(method).name
        for o in self.outcomes:
            if o.method == name and o.backend == "numpy":
                return o
        raise KeyError(name)

    def text(self) -> str:
        """A few lines for the command line."""
        pts = ", ".join(f"{v:.10f}" for v in np.asarray(self.cycle_points).ravel())
        title = get_method(self.cycle_method).title
        lines = [
            f"Lessard-Recht-Packard function (mu = {self.mu:g}, L = {self.L:g}), start x_-1 = x_0 = {self.x0:g}:",
            f"  {title} at its quadratic-optimal tuning: period {self.period} cycle {{{pts}}}",
            f"  |found - exact| = {self.cycle_error:.2e}, return-map radius {self.return_map_radius:.6f}",
        ]
        for o in self.outcomes:
            lines.append(
                f"  {o.method:<17} {o.backend:<16} alpha = {o.alpha:.6g}, beta = {o.beta:.6g}: {o.status}"
                f" (period {o.cycle.period}, |z_T - x*| = {o.distance:.3g})"
            )
        for name, c in self.counts.items():
            summary = ", ".join(f"{k} {v}" for k, v in c.items() if v)
            lines.append(f"  {len(self.starts)} starts in [{self.starts[0]:g}, {self.starts[-1]:g}], {name}: {summary}")
        return "\n".join(lines)


def _methods(methods: Sequence[Method | str], proven: ProvenCycle) -> tuple[Method, ...]:
    if isinstance(methods, (str, Method)) or not isinstance(methods, Sequence) or len(methods) == 0:
        raise TypeError("`methods` must be a non-empty sequence of methods (names or Method)")
    ms = tuple(get_method(m) for m in methods)
    if proven.method not in ms:
        raise ValueError(f"`methods` must include {proven.method.name!r}, the method of the proven cycle")
    return ms


def _torch_runnable(m: Method, alpha: float, beta: float) -> bool:
    try:
        torch_arguments(m, alpha, beta)
    except ValueError:
        return False
    return True


def counterexample_summary(
    x0: float = 3.3,
    *,
    steps: int = 2000,
    starts: Sequence[float] | NDArray[np.float64] | None = None,
    torch: bool = False,
    methods: Sequence[Method | str] = LRP_METHODS,
) -> CounterexampleSummary:
    r"""Heavy ball cycles, Nesterov and gradient descent converge: the LRP counterexample, as data.

    Runs each method at its :func:`lrp_tunings` (quadratic-optimal for :math:`\kappa = 25`) on
    the Lessard-Recht-Packard function from ``x0`` and from every point of ``starts``, and
    classifies each run with :func:`find_cycle` (tolerance ``1e-9``). The run of the method of
    the proven cycle (:data:`hbtheory.lrp.LRP_PROVEN_CYCLE`) from ``x0`` is compared with that
    cycle.

    Parameters
    ----------
    x0 : float, optional
        Representative start (default 3.3, the paper's), with :math:`x_{-1} = x_0`.
    steps : int, optional, keyword-only
        Steps per run (default 2000, at least 10).
    starts : sequence of float, optional, keyword-only
        Grid of starts; default 201 points evenly spaced in :math:`[-10, 10]`.
    torch : bool, optional, keyword-only
        Also run, from ``x0``, each method that ``torch.optim.SGD`` implements, by it (needs PyTorch).
    methods : sequence of str or Method, optional, keyword-only
        Default :data:`hbtheory.lrp.LRP_METHODS` (heavy ball, Nesterov, gradient descent); must
        include heavy ball, the method of the proven cycle.

    Returns
    -------
    CounterexampleSummary
        With ``as_dict()``/``to_json(indent=2)`` for ``--json`` and ``text()`` for the terminal.

    Raises
    ------
    TypeError, ValueError
        For a parameter outside its range (the message names it).

    Examples
    --------
    >>> s = counterexample_summary()
    >>> s.cycle_method, s.period, s.cycle_points
    ('heavy_ball', 3, array([-1.80244898,  2.11591837,  0.64653061]))
    >>> [(o.method, o.status) for o in s.outcomes]
    [('heavy_ball', 'cycling'), ('nesterov', 'converged'), ('gradient_descent', 'converged')]
    >>> s.counts["heavy_ball"]["cycling"] > 0, s.counts["nesterov"]["converged"] == len(s.starts)
    (True, True)
    """
    x_start = as_scalar(x0, "x0")
    t_max = int(as_int(steps, "steps", low=10))
    grid = np.linspace(-10.0, 10.0, 201) if starts is None else as_real(starts, "starts")
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(f"`starts` must be a non-empty 1-d sequence, got shape {grid.shape}")
    if not isinstance(torch, bool):
        raise TypeError("`torch` must be a bool")
    proven = LRP_PROVEN_CYCLE
    ms = _methods(methods, proven)
    tunings = lrp_tunings(methods=ms)
    outcomes = [run_outcome(m, *tunings[m.name], x_start, steps=t_max) for m in ms]
    if torch:
        outcomes += [run_outcome(m, *tunings[m.name], x_start, steps=t_max, backend="torch")
                     for m in ms if _torch_runnable(m, *tunings[m.name])]
    cyc = next(o for o in outcomes if o.method == proven.method.name)
    exact = proven.float_points()
    pts = np.asarray(cyc.cycle.points, dtype=np.float64)
    if cyc.cycle.period == proven.period:
        err = float(np.max(np.abs(pts - exact)))
        radius = return_map_radius(proven.method, cyc.alpha, cyc.beta, pts)
    else:
        err, radius = math.inf, math.nan
    start_status: dict[str, tuple[str, ...]] = {}
    counts: dict[str, dict[str, int]] = {}
    for m in ms:
        a, b = tunings[m.name]
        # The LRP gradient acts coordinatewise, so one vector run is every start at once; a run
        # stopped early by a diverging start is redone start by start.
        xs = iterate(grid, a, b, t_max, method=m)
        if xs.shape[0] == t_max + 1:
            statuses = tuple(find_cycle(xs[:, i], diverge_at=divergence_bound(v)).status for i, v in enumerate(grid))
        else:
            statuses = tuple(run_outcome(m, a, b, float(v), steps=t_max).status for v in grid)
        start_status[m.name] = statuses
        counts[m.name] = {k: statuses.count(k) for k in STATUSES}
    return CounterexampleSummary(
        mu=LRP_MU,
        L=LRP_L,
        kappa=LRP_L / LRP_MU,
        x0=x_start,
        steps=t_max,
        cycle_method=proven.method.name,
        period=cyc.cycle.period,
        cycle_points=frozen_array(pts),
        exact_points=frozen_array(exact),
        cycle_error=err,
        return_map_radius=radius,
        outcomes=tuple(outcomes),
        starts=frozen_array(grid),
        start_status=start_status,
        counts=counts,
    )


@dataclass(frozen=True, eq=False)
class CycleFigureData(Result):
    """What a figure of the cycle needs (see :func:`cycle_figure_data`).

    Attributes
    ----------
    x, f, grad : numpy.ndarray
        A grid on ``x_range`` with :math:`f` and :math:`f'` on it (breakpoints 1 and 2 marked by
        ``breakpoints``).
    breakpoints : numpy.ndarray
        ``[1, 2]``.
    iterates : dict
        For each method, its iterates :math:`x_0, \\dots, x_T` from ``x0``.
    values : dict
        :math:`f` at those iterates.
    cycle_method : str
        The method of the proven cycle.
    cycle_points, cycle_values : numpy.ndarray
        The exact cycle and :math:`f` there.
    tunings : dict
        ``(alpha, beta)`` of each method.
    """

    x0: float
    steps: int
    x: Arr
    f: Arr
    grad: Arr
    breakpoints: Arr
    iterates: dict[str, Arr]
    values: dict[str, Arr]
    cycle_method: str
    cycle_points: Arr
    cycle_values: Arr
    tunings: dict[str, tuple[float, float]]


def cycle_figure_data(
    x0: float = 3.3,
    *,
    steps: int = 40,
    x_range: tuple[float, float] = (-2.5, 3.5),
    points: int = 601,
    methods: Sequence[Method | str] = LRP_METHODS,
) -> CycleFigureData:
    """Data for a figure of the LRP function with the heavy-ball cycle and the other methods' runs.

    Parameters
    ----------
    x0 : float, optional
        Start (default 3.3), with :math:`x_{-1} = x_0`.
    steps : int, optional, keyword-only
        Steps of each run (default 40).
    x_range : (float, float), optional, keyword-only
        The interval of the graph.
    points : int, optional, keyword-only
        Grid points of the graph, ``>= 2``.
    methods : sequence of str or Method, optional, keyword-only
        As in :func:`counterexample_summary`.

    Returns
    -------
    CycleFigureData

    Raises
    ------
    TypeError, ValueError
        For a parameter outside its range (the message names it).

    Examples
    --------
    >>> d = cycle_figure_data()
    >>> d.iterates["heavy_ball"].shape, d.cycle_points
    ((41,), array([-1.80244898,  2.11591837,  0.64653061]))
    >>> bool(abs(d.iterates["nesterov"][-1]) < 1e-3)
    True
    """
    x_start = as_scalar(x0, "x0")
    t_max = int(as_int(steps, "steps", low=1))
    n = int(as_int(points, "points", low=2))
    if len(x_range) != 2:
        raise ValueError("`x_range` must be a pair (low, high)")
    lo, hi = as_scalar(x_range[0], "x_range"), as_scalar(x_range[1], "x_range")
    if not lo < hi:
        raise ValueError(f"`x_range` must have low < high, got {x_range!r}")
    proven = LRP_PROVEN_CYCLE
    ms = _methods(methods, proven)
    grid = np.linspace(lo, hi, n)
    tunings = lrp_tunings(methods=ms)
    its = {m.name: frozen_array(iterate(x_start, *tunings[m.name], t_max, method=m)) for m in ms}
    cyc = proven.float_points()
    return CycleFigureData(
        x0=x_start,
        steps=t_max,
        x=frozen_array(grid),
        f=frozen_array(_lrp_value(grid)),
        grad=frozen_array(_lrp_gradient(grid)),
        breakpoints=frozen_array([1.0, 2.0]),
        iterates=its,
        values={k: frozen_array(_lrp_value(v)) for k, v in its.items()},
        cycle_method=proven.method.name,
        cycle_points=frozen_array(cyc),
        cycle_values=frozen_array(_lrp_value(cyc)),
        tunings=tunings,
    )


def counterexample_check(*, steps: int = 2000) -> Verification:
    """Report row: heavy ball at Polyak's tuning cycles (period 3, exact points) on the LRP function.

    ``measured`` is the distance of the detected cycle to :data:`LRP_CYCLE` (``inf`` if the method
    of the proven cycle does not cycle with its period from 3.3, or if any other method fails to
    converge).

    Examples
    --------
    >>> c = counterexample_check()
    >>> c.passed, c.measured < 1e-12
    (True, True)
    """
    s = counterexample_summary(steps=steps, starts=[-3.3, 3.0, 3.3])
    ok = s.period == LRP_PROVEN_CYCLE.period and all(
        o.status == "converged" for o in s.outcomes if o.method != s.cycle_method
    )
    return Verification(
        claim="heavy ball at Polyak's tuning (kappa = 25) has a period-3 cycle on the LRP function; "
        "Nesterov and gradient descent converge",
        how="run from x_-1 = x_0 = 3.3, find_cycle on the last iterates; max |cycle - exact rationals|",
        measured=s.cycle_error if ok else math.inf,
        tolerance=1e-9,
        passed=bool(ok and s.cycle_error <= 1e-9),
    )
