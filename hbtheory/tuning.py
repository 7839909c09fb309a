r"""Optimal tuning of the method family on a spectrum interval :math:`[\mu, L]`.

For a quadratic whose Hessian spectrum lies in :math:`[\mu, L]` the worst asymptotic rate of a
method is :math:`\max(\rho(\mu), \rho(L))` (:func:`hbtheory.worst_case_rate`). This module
minimises it:

* :func:`optimal_parameters` - the best ``(alpha, beta)`` for a condition number or ``[mu, L]``;
* :func:`optimal_beta` - the best momentum for a fixed step size;
* :func:`optimal_alpha` - the best step size for a fixed momentum;

each returning a :class:`Tuning`. All three accept every member of the family
(:mod:`hbtheory.methods`: ``"heavy_ball"`` (default), ``"nesterov"``, ``"gradient_descent"``,
``"triple_momentum"``, ``"general(gamma=G)"``) and a user's :class:`~hbtheory.methods.Method`
given by its polynomial alone. They take scalars only (one problem, one result).

Where the numbers come from. :func:`optimal_parameters` uses the method's closed form
(:attr:`Method.closed_form <hbtheory.methods.Method.closed_form>`) where it has one; a method
without one gets the numeric minimax below. Nothing here asks a method for its name.

The numeric minimax. For every member of the family the coefficients :math:`c_1, c_0` of
:math:`z^2 - c_1 z + c_0` are affine in :math:`(\alpha, \beta)` at fixed ``h`` (except Triple
Momentum, whose :math:`\gamma` depends on :math:`\beta`, and Nesterov, bilinear) and in ``h`` at
fixed parameters. The set of monic quadratics whose roots lie in the disc of radius ``r`` is
the triangle :math:`|c_0| \le r^2`, :math:`|c_1| \le r + c_0/r`, which is convex; so
:math:`\rho` is quasi-convex along every line in :math:`(c_1, c_0)`. Hence the worst case over
``h`` is at an end of the interval, :math:`\max(\rho(\mu), \rho(L))` is quasi-convex in
``alpha`` at fixed ``beta`` for every member, and jointly quasi-convex in ``(alpha, beta)`` for
heavy ball, gradient descent and ``general(gamma)``. The searches use this: each is a
multisection on the float64 grid (a coarse scan of 257 points over the whole range, then 33
points between the neighbours of the best one, until every float of the bracket has been
evaluated), so a quasi-convex function is minimised to the float, and a function that is not
(a user's method, Triple Momentum along ``beta``) is minimised from the best cell of the scan.
For a method without a closed form the end-point rule is checked at the answer on a dense grid
of ``h``. Jointly, the outer search over ``beta`` minimises the inner minimum over ``alpha``.

Floating point. The optima sit on the critical-damping curves, where :math:`\rho` has a
square-root singularity: one ulp of ``beta`` on the wrong side of the curve costs ``1e-9`` to
``1e-8`` in the rate (e.g. heavy ball at ``kappa = 100``: ``2e-9``). The searches evaluate
:math:`\rho` with the accurate kernel (:mod:`hbtheory._kernel`, double-double near the curves),
so the float they return attains the optimal rate to a few units of ``1e-16``: for every result,
``worst_case_rate(alpha, beta, mu, L, method)`` agrees with ``rate`` to ``4 eps`` and is below 1.
A numerically tuned method (no closed form) reaches its optimal rate to a few ``1e-16`` and its
parameters to about ``1e-13`` relative (heavy ball as a user's method at ``kappa = 100``:
``alpha``, ``beta`` and ``rate`` within ``3e-15``, ``2e-16`` and ``2e-16`` of Polyak's).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory import _kernel
from hbtheory._result import Result
from hbtheory._validation import as_scalar, check_interval
from hbtheory.methods import Canonical, Method, get_method

__all__ = ["Tuning", "optimal_alpha", "optimal_beta", "optimal_parameters"]

_EPS = float(np.finfo(np.float64).eps)
#: A result's ``rate`` and ``worst_case_rate`` at its parameters agree to this (absolute).
RATE_TOL = 4.0 * _EPS


@dataclass(frozen=True, eq=False)
class Tuning(Result):
    r"""Parameters of a method on a spectrum interval, with their worst-case rate.

    Attributes
    ----------
    method : str
        The method's name (``"heavy_ball"``, ``"nesterov"``, ``"gradient_descent"``,
        ``"triple_momentum"``, ``"general(gamma=G)"`` or a user's :class:`~hbtheory.methods.Method`'s
        name; the tuning functions also keep the :class:`~hbtheory.methods.Method` itself, for
        :attr:`gamma`, :attr:`delta` and :meth:`to_torch`).
    alpha : float
        Step size.
    beta : float
        Momentum, in ``[0, 1)`` (``0`` for gradient descent).
    rate : float
        Worst asymptotic rate :math:`\max_{h \in [\mu, L]} \rho(A(\alpha, \beta, h))`, in ``[0, 1)``.
        From a closed form it is the closed-form optimum (computed without cancellation, accurate
        to a few ulps for every ``kappa``); otherwise it is :func:`hbtheory.worst_case_rate` at the
        returned parameters. Either way ``worst_case_rate(alpha, beta, mu, L, method)`` agrees
        with it to ``4 eps``.
    mu, L : float
        The spectrum interval ``[mu, L]`` (``[1/kappa, 1]`` when only ``kappa`` was given, so
        ``alpha`` is then in units of ``1/L``).
    note : str
        How the parameters were obtained.

    Examples
    --------
    >>> from hbtheory import optimal_parameters
    >>> t = optimal_parameters(kappa=100)
    >>> print(t)
    Tuning(heavy_ball, kappa=100): alpha=3.3057851, beta=0.66942149, rate=0.81818182
    >>> t.note
    'optimal parameters (Polyak 1964): both ends of [mu, L] critically damped'
    >>> t.iterations(1e-6), round(t.kappa, 12), t.gamma
    (69, 100.0, 0.0)
    >>> t.to_torch()["momentum"] == t.beta
    True
    >>> sorted(t.as_dict())
    ['L', 'alpha', 'beta', 'kappa', 'method', 'mu', 'note', 'rate']
    """

    method: str
    alpha: float
    beta: float
    rate: float
    mu: float
    L: float
    note: str = ""

    @property
    def kappa(self) -> float:
        """Condition number ``L / mu``."""
        return self.L / self.mu

    def as_method(self) -> Method:
        """The :class:`~hbtheory.methods.Method` these parameters are for.

        Raises ``ValueError`` if :attr:`method` names no known method (a user's method is
        remembered only when the ``Tuning`` was built from the :class:`~hbtheory.methods.Method`).
        """
        kept = self.__dict__.get("_method")
        return kept if isinstance(kept, Method) else get_method(self.method)

    @property
    def gamma(self) -> float | None:
        r"""The look-ahead :math:`\gamma` of the gradient point at this ``beta`` (``None`` for a
        method given only by its polynomial); Triple Momentum's depends on ``beta``."""
        m = self.as_method()
        return None if m.gamma is None else float(m.gamma(self.beta))

    @property
    def delta(self) -> float | None:
        r"""The look-ahead :math:`\delta` of the output point (0 unless Triple Momentum; ``None`` for
        a method given only by its polynomial)."""
        m = self.as_method()
        if m.gamma is None:
            return None
        return 0.0 if m.delta is None else float(m.delta(self.beta))

    def to_torch(self) -> dict[str, Any]:
        """Keyword arguments of ``torch.optim.SGD`` that run these parameters exactly (see
        :meth:`hbtheory.methods.Canonical.to_torch`).

        Raises ``ValueError`` for a method that ``torch.optim.SGD`` cannot run (Triple Momentum, a
        general ``gamma`` other than ``0``, a user's method).

        Examples
        --------
        >>> from hbtheory import optimal_parameters
        >>> optimal_parameters(kappa=4, method="nesterov").to_torch()["nesterov"]
        True
        """
        return Canonical(self.as_method().name, self.alpha, self.beta, True, "").to_torch()

    def iterations(self, tol: float = 1e-6) -> int | float:
        r"""Smallest integer ``t`` with ``rate**t <= tol`` (exactly, for the float64 ``rate`` and ``tol``).

        This counts the asymptotic rate only: the actual error after ``t`` steps is bounded by
        ``C * (rate + eps)**t`` with a constant ``C`` (Theorem 1; :func:`hbtheory.theorem1_constant`)
        that this count ignores, and at critical damping (where :func:`optimal_parameters` puts
        ``mu``) the error decays like ``t * rate**(t - 1)``, not ``rate**t``.

        The count is :math:`\lceil \log(\mathrm{tol}) / \log(\mathrm{rate}) \rceil`, with
        :math:`\log(\mathrm{rate})` as ``log1p(rate - 1)`` (``rate - 1`` is exact), so that a rate
        within ``1e-16`` of 1 and a subnormal ``tol`` cost nothing and lose nothing; where the
        float64 quotient is within its error bound of an integer, the ceiling is settled in
        ``mpmath`` at the precision the count needs (and exactly when ``rate**t == tol``). O(1)
        for every input.

        Parameters
        ----------
        tol : float, optional
            Target contraction, in ``(0, 1)``.

        Returns
        -------
        int or float
            The count, or ``math.inf`` when ``rate >= 1``.

        Raises
        ------
        ValueError, TypeError
            If ``tol`` is not a real number in ``(0, 1)``.

        Examples
        --------
        >>> from hbtheory import Tuning
        >>> Tuning("gradient_descent", 1.0, 0.0, 0.5, 0.5, 1.5).iterations(1e-3)  # 2**-10 <= 1e-3
        10
        >>> Tuning("gradient_descent", 1.0, 0.0, 0.5, 0.5, 1.5).iterations(2.0**-10)  # equality counts
        10
        """
        tol = as_scalar(tol, "tol", low=0.0, high=1.0, low_open=True, high_open=True)
        return _iterations(float(self.rate), tol)

    def as_dict(self) -> dict[str, Any]:
        """The fields and ``kappa`` as a plain ``dict`` (JSON-ready)."""
        out = super().as_dict()
        out["kappa"] = self.kappa
        return out

    def __str__(self) -> str:
        # One line, 8 significant digits: for logs and the docs; the fields keep full precision.
        return (
            f"Tuning({self.method}, kappa={self.kappa:g}): "
            f"alpha={self.alpha:.8g}, beta={self.beta:.8g}, rate={self.rate:.8g}"
        )


def _tuning(m: Method, alpha: float, beta: float, rate: float, mu: float, L: float, note: str) -> Tuning:
    """A :class:`Tuning` that remembers its :class:`~hbtheory.methods.Method` (a user's too)."""
    t = Tuning(m.name, alpha, beta, rate, mu, L, note)
    object.__setattr__(t, "_method", m)
    return t


def _log_unit(x: float) -> float:
    """``log(x)`` for ``0 < x < 1``, accurate to an ulp also near 1 (``x - 1`` is exact there)."""
    return math.log1p(x - 1.0) if x > 0.5 else math.log(x)


def _iterations(rate: float, tol: float) -> int | float:
    if not rate < 1.0:
        return math.inf
    if rate <= 0.0:
        return 1
    quotient = _log_unit(tol) / _log_unit(rate)
    # Each logarithm is within an ulp, the quotient within 3 ulps: 8 eps is a safe bound.
    slack = 8.0 * _EPS * quotient + 1e-300
    low, high = math.ceil(quotient - slack), math.ceil(quotient + slack)
    if low == high:
        return max(1, low)
    return max(1, _iterations_exact(rate, tol, quotient))


def _iterations_exact(rate: float, tol: float, quotient: float) -> int:
    """The ceiling of ``log(tol)/log(rate)`` near an integer: in mpmath with 60 bits to spare
    beyond the count's, and in exact rationals when ``rate**n == tol`` may hold."""
    from fractions import Fraction

    import mpmath

    bits = 53 + max(1, int(quotient).bit_length()) + 60
    with mpmath.workprec(bits):
        q = mpmath.log(mpmath.mpf(tol)) / mpmath.log(mpmath.mpf(rate))
        nearest = int(mpmath.nint(q))
        if abs(q - nearest) > mpmath.ldexp(1, -40):  # q is accurate to about 2**-60
            return int(mpmath.ceil(q))
    # Within 2**-40 of an integer n: rate**n == tol exactly (a float power that is a float needs a
    # small n, or a power of two as rate), or astronomically close; rationals decide either way.
    if nearest <= 2100:
        return nearest if Fraction(rate) ** nearest <= Fraction(tol) else nearest + 1
    with mpmath.workprec(4 * bits):
        return int(mpmath.ceil(mpmath.log(mpmath.mpf(tol)) / mpmath.log(mpmath.mpf(rate))))


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def optimal_parameters(
    *,
    kappa: float | None = None,
    mu: float | None = None,
    L: float | None = None,
    method: str | Method = "heavy_ball",
) -> Tuning:
    r"""The step size and momentum that minimise the worst rate on :math:`[\mu, L]`.

    The problem: minimise over :math:`(\alpha, \beta)` the worst asymptotic rate
    :math:`\max_{h \in [\mu, L]} \rho(A(\alpha, \beta, h))` of the method on quadratics whose
    Hessian spectrum lies in :math:`[\mu, L]`, :math:`\kappa = L/\mu`.

    **Algorithm** (``method``, see :mod:`hbtheory.methods`): the general method
    :math:`x_{t+1} = x_t + \beta (x_t - x_{t-1}) - \alpha \nabla f(x_t + \gamma (x_t - x_{t-1}))`:
    heavy ball :math:`\gamma = 0`, Nesterov :math:`\gamma = \beta`, gradient descent
    :math:`\beta = \gamma = 0`, ``general(gamma)`` a fixed :math:`\gamma`, Triple Momentum
    :math:`\gamma(\beta)`; or a user's method given by its polynomial.

    **Theoretical guarantee** (the closed forms, :attr:`hbtheory.methods.Method.closed_form`):

    * heavy ball: :math:`\alpha = 4/(\sqrt{L} + \sqrt{\mu})^2`,
      :math:`\beta = ((\sqrt\kappa - 1)/(\sqrt\kappa + 1))^2`,
      rate :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)` (both ends critically damped);
    * Nesterov: :math:`\alpha = 4/(3L + \mu)`,
      :math:`\beta = (\sqrt{3\kappa + 1} - 2)/(\sqrt{3\kappa + 1} + 2)`,
      rate :math:`1 - 2/\sqrt{3\kappa + 1}` (``mu`` critically damped, ``L`` an equal real root of
      opposite sign);
    * gradient descent: :math:`\alpha = 2/(\mu + L)`, :math:`\beta = 0`,
      rate :math:`(\kappa - 1)/(\kappa + 1)`;
    * Triple Momentum: its design, not a quadratic optimum: with :math:`r = 1 - 1/\sqrt\kappa`,
      :math:`\alpha = (1 + r)/L`, :math:`\beta = r^2/(2 - r)` (so :math:`\gamma = r^2/((1 + r)(2 - r))`,
      :math:`\delta = r^2/(1 - r^2)`, see :attr:`Tuning.gamma`). Its rate on every
      :math:`\mu`-strongly convex :math:`L`-smooth function (its robust rate) is :math:`r`; the
      ``rate`` returned is its worst rate on quadratics, :func:`hbtheory.worst_case_rate` at
      these parameters, which is smaller;
    * a method without a closed form (``general(gamma)``, a user's method): the numeric minimax
      of the module notes, the optimal rate to a few ``1e-16`` (a verified float pair) and the
      parameters to about ``1e-13`` relative.

    Parameters
    ----------
    kappa : float, optional
        Condition number, ``>= 1``; means the spectrum ``[1/kappa, 1]`` (``alpha`` in units of
        ``1/L``). Give either ``kappa`` or both ``mu`` and ``L``.
    mu, L : float, optional
        The spectrum interval, ``0 < mu <= L``.
    method : str or Method, optional
        Any member of the family (default ``"heavy_ball"``) or a :class:`~hbtheory.methods.Method`.

    Returns
    -------
    Tuning
        For a closed form, ``rate`` is the formula above computed without cancellation (accurate
        for ``kappa`` near 1 and for ``kappa = 1e16``; ``rate = 0`` at ``kappa = 1``), ``alpha``
        its float64 value and ``beta`` the smallest float64 for which that ``alpha`` attains the
        rate. Where the rounded closed-form ``alpha`` cannot attain it (gradient descent for
        ``kappa`` in ``[9.1e15, 3.6e16]`` rounds ``2/(1 + 1/kappa)`` to ``2.0``, where
        :math:`\rho(L) = 1`), the best float64 step near it is searched, and ``rate`` is the
        formula if that step attains it to ``4 eps``, else the step's exact worst rate.

    Raises
    ------
    ValueError
        If both or neither of ``kappa`` and ``(mu, L)`` are given, for a value out of range, NaN
        or infinity, or if ``kappa`` is so large that the optimal ``beta`` or rate rounds to 1 in
        float64 (beyond about ``8e31`` for heavy ball, ``4e32`` for Nesterov, ``3.6e16`` for
        gradient descent); for a user's method whose worst case on ``[mu, L]`` is not at an end.
    TypeError
        For non-numeric input or an array (these functions take scalars only).

    References
    ----------
    .. [1] B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
       USSR Comput. Math. Math. Phys. 4(5):1-17, 1964; B. T. Polyak, *Introduction to
       Optimization*, 1987, section 3.2.1 (heavy ball).
    .. [2] L. Lessard, B. Recht, A. Packard, "Analysis and design of optimization algorithms via
       integral quadratic constraints", SIAM J. Optim. 26(1):57-95, 2016, Proposition 1
       (optimal tunings on quadratics: gradient descent, Nesterov, heavy ball).
    .. [3] Yu. Nesterov, *Introductory Lectures on Convex Optimization*, 2004, Theorem 2.1.15
       (gradient descent with step ``2/(mu + L)``).
    .. [4] B. Van Scoy, R. A. Freeman, K. M. Lynch, "The fastest known globally convergent
       first-order method for minimizing strongly convex functions", IEEE Control Systems
       Letters 2(1):49-54, 2018 (Triple Momentum).

    Examples
    --------
    >>> from hbtheory import optimal_parameters, worst_case_rate
    >>> t = optimal_parameters(kappa=100)
    >>> round(t.rate, 15), 9 / 11
    (0.818181818181818, 0.8181818181818182)
    >>> t = optimal_parameters(mu=0.1, L=10, method="nesterov")
    >>> round(t.alpha, 12), round(t.rate, 12)
    (0.132890365449, 0.884721916459)
    >>> abs(float(worst_case_rate(t.alpha, t.beta, t.mu, t.L, "nesterov")) - t.rate) < 1e-15
    True
    >>> optimal_parameters(kappa=1e4, method="gradient_descent").iterations(1e-6)
    69078
    >>> t = optimal_parameters(kappa=100, method="triple_momentum")   # r = 0.9
    >>> round(t.alpha, 12), round(t.beta, 12), round(t.gamma, 12), round(t.delta, 12)
    (1.9, 0.736363636364, 0.387559808612, 4.263157894737)
    >>> t = optimal_parameters(kappa=100, method="general(gamma=0.5)")   # numeric minimax
    >>> round(t.rate, 6)
    0.86985
    """
    m = get_method(method)
    mu_f, L_f, kappa_f = _spectrum(kappa, mu, L)
    _check_step_range(L_f)
    what = f"`kappa` = {kappa_f!r}" if kappa_f is not None else f"`L`/`mu` = {L_f / mu_f!r}"
    too_large = f"{what} is too large for float64"
    if m.closed_form is None:
        alpha, beta, value = _joint(m, mu_f, L_f, *_alpha_range(mu_f, L_f))
        if not value < 1.0:
            raise ValueError(f"{too_large}, or {m.name} converges for no (alpha, beta): its best rate found is "
                             f"{value!r} (>= 1)")
        _check_ends(m, alpha, beta, mu_f, L_f, value)
        note = ("numeric minimax over (alpha, beta) (no closed form): multisection on the float64 grid, "
                "max of rho at the ends of [mu, L]")
        return _tuning(m, alpha, beta, value, mu_f, L_f, note)
    cf = m.closed_form(mu_f, L_f)
    # The rate depends on kappa only: evaluate it on [1, kappa] when kappa was given, so that
    # kappa - 1 is exact and not recovered from a rounded 1/kappa.
    rate_cf = cf.rate if kappa_f is None or cf.rate is None else m.closed_form(1.0, kappa_f).rate
    if rate_cf is None:  # a design (Triple Momentum): its parameters, and its exact rate on quadratics
        rate = float(_worst(m, cf.alpha, cf.beta, mu_f, L_f))
        if not rate < 1.0:
            raise ValueError(f"{too_large}: the rate of {m.name} at its design rounds to 1")
        return _tuning(m, cf.alpha, cf.beta, rate, mu_f, L_f, cf.note)
    if not rate_cf < 1.0:
        raise ValueError(f"{too_large}: the optimal rate of {m.name} rounds to 1")
    alpha, note = cf.alpha, cf.note
    beta, value = _best_beta(m, alpha, mu_f, L_f, cf.beta)
    if abs(value - rate_cf) > RATE_TOL or not value < 1.0:
        # The float64 closed-form step misses the rate (gradient descent at kappa = 1e16: alpha
        # rounds to 2.0, where rho(L) = 1): the nearest float64 step that attains it, else the
        # best float64 step within 2**-20 of the formula.
        near = _nearest_attaining(m, alpha, mu_f, L_f, rate_cf, beta)
        if near is None:
            window = (_bits(alpha * (1.0 - 2.0**-20)), _bits(alpha * (1.0 + 2.0**-20)))
            near = _joint(m, mu_f, L_f, *window)
        alpha, beta, value = near
        note += "; alpha is the float64 step nearest the formula that attains the rate"
    if abs(value - rate_cf) <= RATE_TOL:
        rate = rate_cf
    else:
        rate = value
        note += "; rate is that of the float64 parameters (the formula's rate is not attainable in float64)"
    if not rate < 1.0:
        raise ValueError(f"{too_large}: the optimal momentum or rate of {m.name} rounds to 1")
    return _tuning(m, alpha, beta, rate, mu_f, L_f, note)


def optimal_beta(alpha: float, mu: float, L: float, method: str | Method = "heavy_ball") -> Tuning:
    r"""The momentum that minimises the worst rate on :math:`[\mu, L]` for a fixed step size.

    The problem: :math:`\min_{\beta \in [0, 1)} \max(\rho(\alpha, \beta, \mu), \rho(\alpha, \beta, L))`.

    **Algorithm**: any member of the family, as in :func:`optimal_parameters`, with
    ``x = alpha * h`` the scaled curvature of an end of the spectrum.

    **Theoretical guarantee** (derived in the Notes):

    * heavy ball: :math:`\beta^* = \max((1 - \sqrt{\alpha\mu})^2, (1 - \sqrt{\alpha L})^2)`,
      rate :math:`\sqrt{\beta^*} = \max(|1 - \sqrt{\alpha\mu}|, |1 - \sqrt{\alpha L}|)`, for
      :math:`\alpha L < 4`;
    * Nesterov, for :math:`\alpha L \le 1`: :math:`\beta^* = (1 - \sqrt{\alpha\mu})/(1 + \sqrt{\alpha\mu})`,
      rate :math:`1 - \sqrt{\alpha\mu}` (with :math:`\alpha = 1/L` the classical choice, rate
      :math:`1 - 1/\sqrt\kappa`); for :math:`1 < \alpha L < 2` see the Notes;
    * gradient descent: :math:`\beta = 0`, rate :math:`\max(|1 - \alpha\mu|, |1 - \alpha L|)`,
      for :math:`\alpha L < 2`.

    None of these formulas is used: the answer is the float64 ``beta`` that minimises
    :func:`hbtheory.worst_case_rate` (the multisection of the module notes; for every member but
    Triple Momentum the rate is quasi-convex in ``beta``, so this is the float64 optimum), the
    smallest such float if several attain it. The tests check it against the formulas.

    Parameters
    ----------
    alpha : float
        Step size, ``> 0``.
    mu, L : float
        The spectrum interval, ``0 < mu <= L``.
    method : str or Method, optional
        Any member of the family (default ``"heavy_ball"``) or a :class:`~hbtheory.methods.Method`.

    Returns
    -------
    Tuning
        ``rate`` is :func:`hbtheory.worst_case_rate` at the returned ``(alpha, beta)``.

    Raises
    ------
    ValueError
        If no ``beta`` in ``[0, 1)`` makes the method converge on ``[mu, L]`` in float64: ``alpha``
        beyond the method's stability limit (``alpha * L >= 4`` for heavy ball, ``>= 2`` for
        Nesterov and gradient descent), or so close to it or to 0 (``alpha * mu`` below about
        ``1e-33``) that the best rate rounds to 1; for a value out of range, NaN or infinity.
    TypeError
        For non-numeric input or an array (scalars only).

    Notes
    -----
    Fix ``x = alpha * h``. Heavy ball: the roots are complex, with modulus :math:`\sqrt\beta`,
    for :math:`\beta \ge (1 - \sqrt x)^2`, and below that curve :math:`\rho` decreases in
    :math:`\beta`; so :math:`\min_\beta \rho = |1 - \sqrt x|` and the best :math:`\beta` for the
    interval puts both ends in the complex band. Nesterov: for :math:`x < 1` the same happens at
    :math:`\beta_-(x) = (1 - \sqrt x)/(1 + \sqrt x)` with :math:`\min_\beta \rho = 1 - \sqrt x`;
    for :math:`x \ge 1` the roots are real and :math:`\rho` increases in :math:`\beta`. With
    :math:`x_\mu = \alpha\mu`, :math:`x_L = \alpha L > 1` and :math:`x_\mu + x_L < 2` the optimum is
    :math:`\beta_-(x_\mu)` if :math:`\rho_L` is not larger there, otherwise the crossing
    :math:`\rho_\mu = \rho_L` on the real branches, which solves
    :math:`K(1 + \beta)^2 = \beta` with
    :math:`K = 2(x_L - 1)(1 - x_\mu)(2 - x_\mu - x_L)/(x_L - x_\mu)^2` (a root counts only if
    the common value :math:`\rho = \beta(x_L - x_\mu)/((1 + \beta)(2 - x_\mu - x_L))` is the
    larger root at :math:`\mu`, not the smaller); for
    :math:`x_\mu + x_L \ge 2`, :math:`\beta^* = 0`. On the real side of a critical-damping curve
    :math:`\rho` has a square-root singularity in :math:`\beta`, so the float search (which
    evaluates the discriminant's sign exactly near the curve) returns the first float on the
    complex side.

    References
    ----------
    .. [1] B. T. Polyak, *Introduction to Optimization*, 1987, section 3.2.1.
    .. [2] L. Lessard, B. Recht, A. Packard, SIAM J. Optim. 26(1):57-95, 2016, Proposition 1
       (Nesterov's standard tuning ``alpha = 1/L``, ``beta = (sqrt(kappa) - 1)/(sqrt(kappa) + 1)``,
       rate ``1 - 1/sqrt(kappa)`` on quadratics).

    Examples
    --------
    >>> from hbtheory import optimal_beta
    >>> t = optimal_beta(1.0, 0.01, 1.0, method="nesterov")   # alpha = 1/L
    >>> round(t.beta, 12), round(t.rate, 12)                   # (sqrt(k)-1)/(sqrt(k)+1), 1-1/sqrt(k)
    (0.818181818182, 0.9)
    >>> t = optimal_beta(2.0, 0.01, 1.0)
    >>> round(t.beta, 12), round(t.rate, 12)                   # (1 - sqrt(0.02))**2
    (0.737157287525, 0.858578643763)
    >>> optimal_beta(4.0, 0.01, 1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `alpha` = 4.0: no momentum beta in [0, 1) makes heavy_ball converge on [mu, L] ...
    """
    m = get_method(method)
    a = as_scalar(alpha, "alpha", low=0.0, low_open=True)
    mu_f, L_f = _interval(mu, L)
    beta, value = _best_beta(m, a, mu_f, L_f)
    if not value < 1.0:
        raise ValueError(
            f"`alpha` = {a!r}: no momentum beta in [0, 1) makes {m.name} converge on [mu, L] in float64 "
            f"(best rate {value!r}): alpha is beyond the method's stability limit (4/L for heavy ball, "
            "2/L for Nesterov), or so close to it or to 0 that the best rate rounds to 1"
        )
    _check_ends(m, a, beta, mu_f, L_f, value)
    return _tuning(m, a, beta, value, mu_f, L_f, "best beta for the given alpha")


def optimal_alpha(beta: float, mu: float, L: float, method: str | Method = "heavy_ball") -> Tuning:
    r"""The step size that minimises the worst rate on :math:`[\mu, L]` for a fixed momentum.

    The problem: :math:`\min_{\alpha > 0} \max(\rho(\alpha, \beta, \mu), \rho(\alpha, \beta, L))`.

    **Algorithm**: any member of the family, as in :func:`optimal_parameters`.

    **Theoretical guarantee**. For each member :math:`\rho` is quasi-convex in ``alpha`` (the
    coefficients are affine in it), so the optimum balances a decreasing end (``mu``) against an
    increasing one (``L``), or is a whole interval of steps.

    * Heavy ball: :math:`\rho \ge \sqrt\beta` always (the roots multiply to :math:`\beta`), with
      equality exactly when :math:`\alpha h` lies in the complex band
      :math:`[(1 - \sqrt\beta)^2, (1 + \sqrt\beta)^2]`. If
      :math:`\kappa \le ((1 + \sqrt\beta)/(1 - \sqrt\beta))^2` (equivalently
      :math:`\beta \ge \beta^*(\kappa)` of :func:`optimal_parameters`) every
      :math:`\alpha \in [(1 - \sqrt\beta)^2/\mu, (1 + \sqrt\beta)^2/L]` attains the best rate
      :math:`\sqrt\beta`, and the geometric centre of that interval is
      :math:`\alpha = (1 - \beta)/\sqrt{\mu L}`: it leaves the same relative margin at both
      ends, so the rate stays :math:`\sqrt\beta` under the largest symmetric misestimate of
      ``mu`` and ``L``, and it equals Polyak's step at :math:`\beta = \beta^*`. Otherwise the
      optimum is the equal-ripple step :math:`\alpha = 2(1 + \beta)/(\mu + L)` (equal
      :math:`|c_1|` at both ends), with rate :math:`(c + \sqrt{c^2 - 4\beta})/2`,
      :math:`c = (1 + \beta)(\kappa - 1)/(\kappa + 1)`.
    * Nesterov: the equal-ripple step :math:`\rho(\alpha\mu) = \rho(\alpha L)`, in
      :math:`[1/L, 1/\mu]`.
    * Gradient descent (``beta`` must be 0): :math:`\alpha = 2/(\mu + L)`, rate
      :math:`(\kappa - 1)/(\kappa + 1)`.

    None of these formulas is used: the answer is the float64 ``alpha`` that minimises
    :func:`hbtheory.worst_case_rate` (multisection, module notes); where a whole interval of
    floats attains the minimum, its geometric centre (for heavy ball the centre above, to a few
    ulps). The tests check it against the formulas.

    Parameters
    ----------
    beta : float
        Momentum in ``[0, 1)``; exactly ``0`` for a method without momentum (gradient descent).
    mu, L : float
        The spectrum interval, ``0 < mu <= L``.
    method : str or Method, optional
        Any member of the family (default ``"heavy_ball"``) or a :class:`~hbtheory.methods.Method`.

    Returns
    -------
    Tuning
        ``rate`` is :func:`hbtheory.worst_case_rate` at the returned ``(alpha, beta)``.

    Raises
    ------
    ValueError
        For a value out of range, NaN or infinity, a nonzero ``beta`` for gradient descent, or a
        spectrum so ill-conditioned that the best rate rounds to 1 in float64.
    TypeError
        For non-numeric input or an array (scalars only).

    References
    ----------
    .. [1] B. T. Polyak, *Introduction to Optimization*, 1987, section 3.2.1.
    .. [2] L. Lessard, B. Recht, A. Packard, SIAM J. Optim. 26(1):57-95, 2016, Proposition 1.

    Examples
    --------
    >>> from hbtheory import optimal_alpha
    >>> t = optimal_alpha(0.81, 0.01, 1.0)        # beta >= beta*(100) = 0.669...: rate sqrt(beta)
    >>> round(t.alpha, 12), round(t.rate, 12)     # (1 - beta) / sqrt(mu L)
    (1.9, 0.9)
    >>> t = optimal_alpha(0.25, 0.01, 1.0)        # equal ripple: 2 (1 + beta) / (mu + L)
    >>> round(t.alpha, 12)
    2.475247524752
    >>> round(optimal_alpha(0.0, 0.01, 1.0, method="gradient_descent").rate, 12)   # 99/101
    0.980198019802
    """
    m = get_method(method)
    if m.uses_beta:
        b = as_scalar(beta, "beta", low=0.0, high=1.0, high_open=True)
    else:
        b = as_scalar(beta, "beta")
        if b != 0.0:
            raise ValueError(f"`beta` must be 0 for method '{m.name}' (it has no momentum), got {b!r}")
    mu_f, L_f = _interval(mu, L)
    _check_step_range(L_f)
    lo, hi = _alpha_range(mu_f, L_f)
    row = np.array([b])

    def values(idx: IntArray) -> FloatArray:
        return _worst(m, _floats(idx), row[:, None], mu_f, L_f)

    def rough(idx: IntArray) -> FloatArray:
        return _rough(m, _floats(idx), row[:, None], mu_f, L_f)

    best, found = _multisection(values, np.array([lo]), np.array([hi]), rough)
    alpha, value, wide = _centre(m, b, mu_f, L_f, int(best[0]), float(found[0]), lo, hi)
    if not value < 1.0:
        raise ValueError(f"`L`/`mu` = {L_f / mu_f!r} is too large for float64: the best rate of {m.name} rounds to 1")
    _check_ends(m, alpha, b, mu_f, L_f, value)
    note = ("best alpha for the given beta: geometric centre of the interval of steps that attain the rate"
            if wide else "best alpha for the given beta: the float64 minimiser (equal ripple rho(mu) = rho(L) "
            "where the ends cross)")
    return _tuning(m, alpha, b, value, mu_f, L_f, note)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _interval(mu: Any, L: Any) -> tuple[float, float]:
    mu_f = as_scalar(mu, "mu", low=0.0, low_open=True)
    L_f = as_scalar(L, "L", low=0.0, low_open=True)
    check_interval(mu_f, L_f)
    return mu_f, L_f


def _spectrum(kappa: Any, mu: Any, L: Any) -> tuple[float, float, float | None]:
    """``(mu, L, kappa or None)`` from exactly one of ``kappa`` and ``(mu, L)``."""
    if kappa is not None:
        if mu is not None or L is not None:
            raise ValueError("pass either `kappa` or both `mu` and `L`, not both")
        k = as_scalar(kappa, "kappa", low=1.0)
        return 1.0 / k, 1.0, k
    if mu is None and L is None:
        raise ValueError("pass `kappa` (>= 1), or both `mu` and `L` (0 < mu <= L)")
    if mu is None or L is None:
        missing = "mu" if mu is None else "L"
        raise ValueError(f"`mu` and `L` must be given together (`{missing}` is missing), or pass `kappa` alone")
    mu_f, L_f = _interval(mu, L)
    return mu_f, L_f, None


def _check_step_range(L: float) -> None:
    """Steps of order ``1/L`` are searched: refuse an ``L`` for which ``8/L`` overflows."""
    if not math.isfinite(8.0 / L):
        raise ValueError(f"`L` must be >= 4.5e-308 here (steps ~ 1/L overflow float64 below), got {L!r}")


# --------------------------------------------------------------------------------------------
# Searches on the float64 grid
# --------------------------------------------------------------------------------------------

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

_FIRST, _NEXT = 257, 33  # points of the first scan and of each refinement
_FINE = 9  # points of each refinement with accurate radii (fewer evaluations in all, more rounds)
#: Half-width (in floats) of the first window searched with accurate radii around the float64
#: search's answer (a relative ``2**-28``; see :func:`_multisection`).
_WINDOW = 2**24
_GUESS_WINDOW = 2**4
#: Index of the largest float64 below 1 on the ``beta`` axis (:func:`_beta_at`).
_BETA_TOP = int(np.array(1.0 - 2.0**-53).view(np.int64))
#: A rate inside ``[mu, L]`` above the ends by more than this breaks the end-point rule.
_ENDS_TOL = 64.0 * _EPS


def _bits(x: float) -> int:
    return int(np.array(x, dtype=np.float64).view(np.int64))


def _floats(i: Any) -> FloatArray:
    return np.asarray(i, dtype=np.int64).view(np.float64)


def _beta_at(i: Any) -> FloatArray:
    """The ``beta`` axis: index ``i`` is the float64 with bits ``i`` (monotone, every float once)."""
    return _floats(i)


def _beta_scan() -> IntArray:
    """First-scan points of the ``beta`` axis (its indices crowd near 0): 0, powers of two down to
    the subnormals, 128 evenly spaced values and ``1 - 2**(-k/2)`` up to ``1 - 2**-53``."""
    values = np.concatenate([
        [0.0],
        2.0 ** -np.arange(2.0, 1075.0, 4.0),
        np.linspace(0.0, 1.0, 129)[:-1],
        1.0 - 2.0 ** -(np.arange(4.0, 107.0) / 2.0),
    ])
    return np.unique(np.asarray(values, dtype=np.float64).view(np.int64))


_BETA_SCAN = _beta_scan()


def _alpha_range(mu: float, L: float) -> tuple[int, int]:
    """Bits of the steps searched: ``[2**-40 / L, 2**8 / mu]`` (every member's optimum has
    ``alpha * L`` of order 1; the range leaves decades on both sides for a user's method)."""
    hi = min(2.0**8 / mu, float(np.finfo(np.float64).max))
    return _bits(2.0**-40 / L), _bits(hi)


def _worst(m: Method, alpha: Any, beta: Any, mu: float, L: float) -> FloatArray:
    """``max(rho(mu), rho(L))`` by the accurate kernel, broadcast; NaN (overflow) counts as inf."""
    # one kernel call on a trailing axis of the two ends (the same values as two calls, pointwise;
    # half the calls' fixed cost, which dominates the small arrays of a search)
    a, b = np.asarray(alpha, dtype=np.float64), np.asarray(beta, dtype=np.float64)
    with np.errstate(all="ignore"):
        r = _kernel.spectral_radius(m, a[..., None], b[..., None], np.array([mu, L])).max(axis=-1)
    return np.where(np.isnan(r), np.inf, r)


def _rough(m: Method, alpha: Any, beta: Any, mu: float, L: float) -> FloatArray:
    """``max(rho(mu), rho(L))`` by the plain float64 formulas (up to about ``1e-8`` off near the
    critical curves): only to narrow a search before :func:`_worst` finishes it."""
    with np.errstate(all="ignore"):
        out = None
        for h in (mu, L):
            c1 = np.asarray(m.c1(alpha, beta, h), dtype=np.float64)
            c0 = np.asarray(m.c0(alpha, beta, h), dtype=np.float64)
            disc = c1 * c1 - 4.0 * c0
            rho = np.where(disc >= 0.0, 0.5 * (np.abs(c1) + np.sqrt(np.abs(disc))), np.sqrt(np.abs(c0)))
            out = rho if out is None else np.maximum(out, rho)
    assert out is not None
    return np.where(np.isnan(out), np.inf, out)


def _sections(
    values: Callable[[IntArray], FloatArray], lo: IntArray, hi: IntArray, n: int, first: IntArray | None = None
) -> tuple[IntArray, FloatArray]:
    """Multisection of every row until every index of its bracket has been evaluated; the first
    round at the sorted indices ``first`` (clipped to each row's range) if given, else at ``n``
    evenly spaced ones, then :data:`_NEXT` or :data:`_FINE` (small ``n``). Returns ``(best, value)``."""
    rows = np.arange(lo.size)
    if first is not None:
        idx = np.clip(first[None, :], lo[:, None], hi[:, None])
        idx[:, 0], idx[:, -1] = lo, hi
        v = values(idx)
        k = np.argmin(v, axis=1)
        lo, hi = idx[rows, np.maximum(k - 1, 0)], idx[rows, np.minimum(k + 1, idx.shape[1] - 1)]
        n = _NEXT
    while True:
        span = hi - lo
        j = np.arange(n)
        done = bool(np.all(span <= n - 1))
        if done:
            idx = lo[:, None] + np.minimum(j[None, :], span[:, None])
        else:
            step = span.astype(np.float64) / (n - 1)
            idx = lo[:, None] + np.floor(step[:, None] * j[None, :]).astype(np.int64)
            idx = np.minimum(idx, hi[:, None])
            idx[:, -1] = hi
        v = values(idx)
        k = np.argmin(v, axis=1)
        if done:
            return idx[rows, k], v[rows, k]
        lo, hi = idx[rows, np.maximum(k - 1, 0)], idx[rows, np.minimum(k + 1, n - 1)]
        n = _FINE if n <= _FINE else _NEXT


def _multisection(
    values: Callable[[IntArray], FloatArray],
    lo: IntArray,
    hi: IntArray,
    rough: Callable[[IntArray], FloatArray] | None = None,
    *,
    guess: IntArray | None = None,
    first: IntArray | None = None,
    width: IntArray | None = None,
) -> tuple[IntArray, FloatArray]:
    """Per row, the index in ``[lo, hi]`` with the smallest value (the first of equal ones).

    ``values`` maps an ``(rows, n)`` array of indices to their values. A scan of :data:`_FIRST`
    points (or of the indices ``first``), then :data:`_NEXT` points between the neighbours of the
    best one, until a row's bracket is no wider than the points (then every index is evaluated):
    exact for a function that is quasi-convex along the indices, the best cell of the first scan
    otherwise.

    With ``rough`` (a cheap approximation of ``values``, here the float64 radius) that search is
    done with ``rough``, and its answer (or ``guess``, e.g. a closed form, without ``rough``) is
    the centre of a window of :data:`_WINDOW` indices on each side searched with ``values`` by
    multisection of :data:`_FINE` points (:data:`_GUESS_WINDOW` around a ``guess``, whose error is
    a few ulps unless the closed form is ill-conditioned); the window is widened by ``2**8`` while the answer
    sits on its edge (where a quasi-convex function's minimum may lie outside). The float64
    radius is off by up to ``~1e-8`` only within a few ulps of a critical curve (elsewhere by
    ``eps / sqrt(distance)``), so its minimiser is usually inside the first window. ``width``
    (per row, with ``guess``) replaces :data:`_GUESS_WINDOW`.
    """
    lo, hi = lo.astype(np.int64), hi.astype(np.int64)
    widths = np.full(lo.size, _GUESS_WINDOW, dtype=np.int64) if width is None else width.astype(np.int64)
    if guess is None:
        if rough is None:
            return _sections(values, lo, hi, _FIRST, first)
        guess = _sections(rough, lo, hi, _FIRST, first)[0]
        widths = np.full(lo.size, _WINDOW, dtype=np.int64)
    w_lo, w_hi = np.maximum(guess - widths, lo), np.minimum(guess + widths, hi)
    best, value = np.empty_like(lo), np.empty(lo.size)
    todo = np.ones(lo.size, dtype=bool)
    while True:
        # rows already answered keep their answer (a one-point window, evaluated at no new point)
        b, v = _sections(values, np.where(todo, w_lo, best), np.where(todo, w_hi, best), _FINE)
        best, value = np.where(todo, b, best), np.where(todo, v, value)
        # the minimum may lie outside the window where an edge attains it, also as a tie with the
        # answer (the first of equal values): at alpha mu = 1e-18 heavy ball's rate falls by one
        # ulp per 50 floats of beta, and an index test stopped 50 floats inside the window's edge
        # with rate 1 - 7.7e-11 instead of 1 - 1e-9
        at_edges = values(np.stack([w_lo, w_hi], axis=1))
        edge = todo & (((at_edges[:, 0] <= value) & (w_lo > lo)) | ((at_edges[:, 1] <= value) & (w_hi < hi)))
        if not edge.any():
            return best, value
        widths, todo = _widen(values, guess, lo, hi, widths, best, value, edge), edge
        w_lo, w_hi = np.maximum(guess - widths, lo), np.minimum(guess + widths, hi)


#: Largest distance (in floats) between known neighbours of :func:`_joint`'s outer search for
#: which a new point's inner search starts at their interpolated minimiser.
_PREDICT = 2**26

#: Widths tried by :func:`_widen`: a window whose edge ties its answer grows by ``2**8`` per step,
#: up to ``2**62`` (the whole range, which has no edge).
_WIDEN = 2**8


def _widen(
    values: Callable[[IntArray], FloatArray], guess: IntArray, lo: IntArray, hi: IntArray, widths: IntArray,
    best: IntArray, value: FloatArray, edge: NDArray[np.bool_],
) -> IntArray:
    """New half-widths of the windows with an edge (the others unchanged): the first of
    ``width * 2**8, width * 2**16, ...`` (at most ``2**62``) whose two edges are above ``value``
    or at the ends of the range; a window of a quasi-convex function with such edges holds its
    minimum. One call of ``values`` per width (the edges only, wider ones not evaluated: far
    steps can overflow ``alpha * h``), instead of a whole search per width (at kappa = 1e16 five
    of them, the bulk of the time)."""
    widths, todo = widths.copy(), edge.copy()
    while todo.any():
        widths = np.where(todo, np.where(widths > 2**62 // _WIDEN, 2**62, widths * _WIDEN), widths)
        left, right = np.maximum(guess - widths, lo), np.minimum(guess + widths, hi)
        probes = np.stack([left, right], axis=1)
        v = values(np.where(todo[:, None], probes, best[:, None]))  # rows already done: a known point
        ok = ((v[:, 0] > value) | (left == lo)) & ((v[:, 1] > value) | (right == hi))
        todo &= ~ok & (widths < 2**62)
    return widths


def _edge(pred: Callable[[int], bool], good: int, bad: int) -> int:
    """The last index from ``good`` towards ``bad`` (either order) with ``pred`` true, for a ``pred``
    true at ``good`` and true on an interval: galloping (1, 2, 4, ... indices), then bisection, so
    an edge next to ``good`` costs one evaluation."""
    sign = 1 if bad > good else -1
    step = 1
    while abs(bad - good) > step:
        probe = good + sign * step
        if not pred(probe):
            bad = probe
            break
        good, step = probe, 2 * step
    while abs(bad - good) > 1:
        mid = (good + bad) // 2
        if pred(mid):
            good = mid
        else:
            bad = mid
    return good


def _centre(
    m: Method, beta: float, mu: float, L: float, best: int, value: float, lo: int, hi: int
) -> tuple[float, float, bool]:
    """``(alpha, rate, wide)``: among the float64 steps in the bits ``[lo, hi]`` that attain the
    minimum ``value`` (an interval, the rate being quasi-convex in ``alpha``), its geometric centre
    if it is a genuine interval (wider than a relative ``2**-20``: heavy ball's band), else the
    first step at which ``rho(mu) <= rho(L)`` (equal ripple, where the rounding of the flat
    end makes several floats attain the rate)."""
    ends = np.array([mu, L])

    def rho(i: int) -> FloatArray:
        with np.errstate(all="ignore"):
            return np.asarray(_kernel.spectral_radius(m, float(_floats(i)), beta, ends))

    def at_most(i: int) -> bool:
        return bool(np.max(rho(i)) <= value)

    left, right = _edge(at_most, best, lo - 1), _edge(at_most, best, hi + 1)
    x_left, x_right = float(_floats(left)), float(_floats(right))
    if x_right > x_left * (1.0 + 2.0**-20):
        x = math.sqrt(x_left) * math.sqrt(x_right)
        fx = float(_worst(m, x, beta, mu, L))
        if fx <= value:
            return x, fx, True

    def mu_worse(i: int) -> bool:
        r = rho(i)
        return bool(r[0] > r[1])

    if not mu_worse(left) or mu_worse(right):
        pick = left if not mu_worse(left) else right
    else:
        pick = _edge(mu_worse, left, right) + 1
    return float(_floats(pick)), float(np.max(rho(pick))), False


def _best_beta(m: Method, alpha: float, mu: float, L: float, guess: float | None = None) -> tuple[float, float]:
    """``(beta, rate)``: the smallest float64 momentum in ``[0, 1)`` that minimises the worst rate
    at a fixed ``alpha`` (``0`` for a method without momentum); ``guess`` (a closed form) replaces
    the float64 search as the centre of the accurate one."""
    if not m.uses_beta:
        return 0.0, float(_worst(m, alpha, 0.0, mu, L))

    def values(idx: IntArray) -> FloatArray:
        return _worst(m, alpha, _beta_at(idx), mu, L)

    def rough(idx: IntArray) -> FloatArray:
        return _rough(m, alpha, _beta_at(idx), mu, L)

    start = None if guess is None else np.array([_bits(min(max(guess, 0.0), 1.0 - 2.0**-53))])
    best, found = _multisection(values, np.array([0]), np.array([_BETA_TOP]), rough, guess=start, first=_BETA_SCAN)
    if guess is None:
        # below alpha mu ~ 1e-20 the float64 radius (its discriminant cancels near beta = 1) can lead
        # the search onto a plateau where the accurate rate rounds to 1 (or to 1 - eps): the good betas
        # form a narrow band 1 - beta in [~eps, ~alpha mu / eps], which the first scan's points
        # 1 - 2**(-k/2) hit. The same multisection with accurate radii; the better of the two answers.
        other, value2 = _sections(values, np.array([0]), np.array([_BETA_TOP]), _FIRST, _BETA_SCAN)
        if value2[0] < found[0] or (value2[0] == found[0] and other[0] < best[0]):
            best, found = other, value2
    value = float(found[0])
    first = _edge(lambda i: float(_worst(m, alpha, _beta_at(i), mu, L)) <= value, int(best[0]), -1)
    return float(_beta_at(first)), value


def _nearest_attaining(
    m: Method, alpha: float, mu: float, L: float, rate: float, beta: float
) -> tuple[float, float, float] | None:
    """The float64 step nearest ``alpha`` (16 floats each side) whose best ``beta`` (searched from
    ``beta``) attains ``rate``."""
    down = up = alpha
    for _ in range(16):
        down, up = math.nextafter(down, 0.0), math.nextafter(up, math.inf)
        for a in (down, up):
            b, value = _best_beta(m, a, mu, L, beta)
            if abs(value - rate) <= RATE_TOL and value < 1.0:
                return a, b, value
    return None


def _joint(m: Method, mu: float, L: float, a_lo: int, a_hi: int) -> tuple[float, float, float]:
    """``(alpha, beta, rate)`` minimising the worst rate with ``alpha`` in the bits ``[a_lo, a_hi]``:
    an outer multisection over ``beta`` of the inner minimum over ``alpha`` (all rows at once).

    The inner minima found are kept (``known``: beta bits -> (alpha bits, value)) for this call:
    the outer search comes back to its bracket's ends, its best point and its window's edges, and
    a new ``beta`` between two known ones starts its ``alpha`` search at the interpolated minimiser
    in a window of a quarter of the neighbours' distance (grown like any window where its edge
    ties), not from a float64 search of the whole range: a third of the kernel calls."""
    known: dict[int, tuple[int, float]] = {}

    def inner(betas: FloatArray, guess: IntArray | None = None, width: IntArray | None = None
              ) -> tuple[IntArray, FloatArray]:
        rows = betas.reshape(-1)

        def values(idx: IntArray) -> FloatArray:
            return _worst(m, _floats(idx), rows[:, None], mu, L)

        def rough(idx: IntArray) -> FloatArray:
            return _rough(m, _floats(idx), rows[:, None], mu, L)

        lo, hi = np.full(rows.size, a_lo), np.full(rows.size, a_hi)
        if guess is not None:
            return _multisection(values, lo, hi, guess=np.clip(guess, a_lo, a_hi), width=width)
        return _multisection(values, lo, hi, rough)

    def predicted(b_new: IntArray) -> tuple[IntArray, IntArray] | None:
        """Interpolated minimisers and windows, if every new beta lies between two known ones."""
        kb = np.array(sorted(known), dtype=np.int64)
        pos = np.searchsorted(kb, b_new)
        if kb.size < 2 or np.any(pos == 0) or np.any(pos == kb.size):
            return None
        b_l, b_r = kb[pos - 1], kb[pos]
        a_l = np.array([known[int(i)][0] for i in b_l], dtype=np.int64)
        a_r = np.array([known[int(i)][0] for i in b_r], dtype=np.int64)
        # only between close neighbours whose minimisers are close (a relative 2**-26): the rate
        # is not quasi-convex at the ulp level, so a far guess can end in a window that holds a
        # local dip of one ulp (measured: general(-0.3), kappa 10, beta 1e-154 between 0 and 1e-77
        # gave alpha 0.0021, rate 0.9998, where the minimum is 0.78 at alpha 2.03)
        if np.any(b_r - b_l > _PREDICT) or np.any(np.abs(a_r - a_l) > _PREDICT):
            return None
        frac = (b_new - b_l).astype(np.float64) / (b_r - b_l).astype(np.float64)
        guess = a_l + np.round(frac * (a_r - a_l).astype(np.float64)).astype(np.int64)
        return guess, np.maximum(np.abs(a_r - a_l) // 4, _GUESS_WINDOW)

    def evaluate(b_idx: IntArray) -> None:
        new = np.array([i for i in np.unique(b_idx) if int(i) not in known], dtype=np.int64)
        if not new.size:
            return
        start = predicted(new)
        a_idx, value = inner(_beta_at(new)) if start is None else inner(_beta_at(new), *start)
        known.update({int(i): (int(a), float(v)) for i, a, v in zip(new, a_idx, value, strict=True)})

    def inner_rough(betas: FloatArray) -> FloatArray:
        rows = betas.reshape(-1)

        def rough(idx: IntArray) -> FloatArray:
            return _rough(m, _floats(idx), rows[:, None], mu, L)

        return _sections(rough, np.full(rows.size, a_lo), np.full(rows.size, a_hi), _FIRST)[1]

    def outer(idx: IntArray) -> FloatArray:
        evaluate(idx)
        return np.array([known[int(i)][1] for i in idx.reshape(-1)], dtype=np.float64).reshape(idx.shape)

    def outer_rough(idx: IntArray) -> FloatArray:
        return inner_rough(_beta_at(idx)).reshape(idx.shape)

    b_hi = _BETA_TOP if m.uses_beta else 0
    b_idx, _ = _multisection(outer, np.array([0]), np.array([b_hi]), outer_rough, first=_BETA_SCAN)
    beta = float(_beta_at(b_idx[0]))
    evaluate(b_idx)
    a_best, found = known[int(b_idx[0])]
    alpha, value, _ = _centre(m, beta, mu, L, a_best, found, a_lo, a_hi)
    return alpha, beta, value


def _check_ends(m: Method, alpha: float, beta: float, mu: float, L: float, rate: float) -> None:
    """The worst case over ``[mu, L]`` is at an end (true for coefficients affine in ``h``, i.e.
    every member of the family): refuse a user's method for which a dense grid says otherwise."""
    if mu == L:
        return
    h = np.unique(np.concatenate([np.geomspace(mu, L, 1025), np.linspace(mu, L, 1025)]))
    with np.errstate(all="ignore"):
        rho = _kernel.spectral_radius(m, alpha, beta, h)
    worst = float(np.nanmax(rho)) if not np.all(np.isnan(rho)) else math.nan
    if not worst <= rate + _ENDS_TOL:
        at = float(h[int(np.nanargmax(rho))]) if math.isfinite(worst) else math.nan
        raise ValueError(
            f"method {m.name!r}: rho at h = {at!r} inside [mu, L] is {worst!r}, above its value at the ends "
            f"({rate!r}); tuning (like worst_case_rate) needs the worst case at an end of [mu, L], which holds when "
            "the coefficients c1, c0 are affine in h (every member of the family)"
        )
