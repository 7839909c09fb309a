r"""Optimal tuning of the method family on a spectrum interval :math:`[\mu, L]`.

For a quadratic whose Hessian spectrum lies in :math:`[\mu, L]` the worst asymptotic rate of a
method is :math:`\max(\rho(\mu), \rho(L))` (:func:`hbtheory.worst_case_rate`). This module
minimises it:

* :func:`optimal_parameters` - the best ``(alpha, beta)`` for a condition number or ``[mu, L]``;
* :func:`optimal_beta` - the best momentum for a fixed step size;
* :func:`optimal_alpha` - the best step size for a fixed momentum;

each returning a :class:`Tuning`. All three accept ``method="heavy_ball"`` (default),
``"nesterov"`` or ``"gradient_descent"``. They take scalars only (one problem, one result);
sweep them in a loop.

Floating point. The optima sit on the critical-damping curves, where :math:`\rho` has a
square-root singularity: one ulp of ``beta`` on the wrong side of the curve costs ``1e-9`` to
``1e-8`` in the rate (e.g. heavy ball at ``kappa = 100``: ``2e-9``). Every ``beta`` (and every
equal-ripple ``alpha``) returned here is therefore the float64 found by bisection on the float64
grid, with the sign of the discriminant evaluated in double-double (:mod:`hbtheory._kernel`), so
that the returned float64 parameters attain the optimal rate to a few units of ``1e-16``. The
closed forms give the starting points of these searches (a few steps each); the tests check both
against brute-force minimisation with scipy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from hbtheory import _kernel
from hbtheory._validation import FloatArray, as_scalar, check_interval
from hbtheory.methods import Method, get_method
from hbtheory.spectral import worst_case_rate

__all__ = ["Tuning", "optimal_alpha", "optimal_beta", "optimal_parameters"]


@dataclass(frozen=True)
class Tuning:
    r"""Parameters of a method on a spectrum interval, with their worst-case rate.

    Attributes
    ----------
    method : str
        ``"heavy_ball"``, ``"nesterov"`` or ``"gradient_descent"``.
    alpha : float
        Step size.
    beta : float
        Momentum, in ``[0, 1)`` (``0`` for gradient descent).
    rate : float
        Worst asymptotic rate :math:`\max_{h \in [\mu, L]} \rho(A(\alpha, \beta, h))`, in ``[0, 1)``.
        From :func:`optimal_parameters` it is the closed-form optimum (computed without
        cancellation, accurate to a few ulps for every ``kappa``); from :func:`optimal_beta` and
        :func:`optimal_alpha` it is :func:`hbtheory.worst_case_rate` at the returned parameters.
        Either way ``worst_case_rate(alpha, beta, mu, L, method)`` agrees with it to a few
        units of ``1e-16``.
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
    >>> t.iterations(1e-6), round(t.kappa, 12)
    (69, 100.0)
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

    def iterations(self, tol: float = 1e-6) -> int | float:
        """Smallest integer ``t`` with ``rate**t <= tol``.

        This counts the asymptotic rate only: the actual error after ``t`` steps is bounded by
        ``C * (rate + eps)**t`` with a constant ``C`` (Theorem 1; :func:`hbtheory.theorem1_constant`)
        that this count ignores, and at critical damping (where :func:`optimal_parameters` puts
        ``mu``) the error decays like ``t * rate**(t - 1)``, not ``rate**t``.

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
        """
        tol = as_scalar(tol, "tol", low=0.0, high=1.0, low_open=True, high_open=True)
        rate = float(self.rate)
        if rate >= 1.0:
            return math.inf
        if rate <= 0.0:
            return 1
        t = max(1, math.ceil(math.log(tol) / math.log(rate)))
        # The quotient of logarithms is rounded; settle the boundary with the definition itself.
        while t > 1 and rate ** (t - 1) <= tol:
            t -= 1
        while rate**t > tol:
            t += 1
        return t

    def as_dict(self) -> dict[str, Any]:
        """The fields and ``kappa`` as a plain ``dict`` (JSON-ready)."""
        out = asdict(self)
        out["kappa"] = self.kappa
        return out

    def __str__(self) -> str:
        # One line, 8 significant digits: for logs and the docs; the fields keep full precision.
        return (
            f"Tuning({self.method}, kappa={self.kappa:g}): "
            f"alpha={self.alpha:.8g}, beta={self.beta:.8g}, rate={self.rate:.8g}"
        )


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

    **Algorithm** (``method``, see :mod:`hbtheory.methods`):

    * heavy ball :math:`x_{t+1} = x_t - \alpha \nabla f(x_t) + \beta (x_t - x_{t-1})`;
    * Nesterov :math:`y_t = x_t + \beta (x_t - x_{t-1})`, :math:`x_{t+1} = y_t - \alpha \nabla f(y_t)`;
    * gradient descent :math:`x_{t+1} = x_t - \alpha \nabla f(x_t)`.

    **Theoretical guarantee** (the optimal tuning and its rate):

    * heavy ball: :math:`\alpha = 4/(\sqrt{L} + \sqrt{\mu})^2`,
      :math:`\beta = ((\sqrt\kappa - 1)/(\sqrt\kappa + 1))^2`,
      rate :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)`;
    * Nesterov: :math:`\alpha = 4/(3L + \mu)`,
      :math:`\beta = (\sqrt{3\kappa + 1} - 2)/(\sqrt{3\kappa + 1} + 2)`,
      rate :math:`1 - 2/\sqrt{3\kappa + 1}`;
    * gradient descent: :math:`\alpha = 2/(\mu + L)`, :math:`\beta = 0`,
      rate :math:`(\kappa - 1)/(\kappa + 1)`.

    For heavy ball both ends of the spectrum are critically damped (double roots) and every
    :math:`h \in [\mu, L]` has :math:`\rho = \sqrt\beta`; for Nesterov :math:`h = \mu` is
    critically damped and :math:`h = L` has an equal real root of opposite sign.

    Parameters
    ----------
    kappa : float, optional
        Condition number, ``>= 1``; means the spectrum ``[1/kappa, 1]`` (``alpha`` in units of
        ``1/L``). Give either ``kappa`` or both ``mu`` and ``L``.
    mu, L : float, optional
        The spectrum interval, ``0 < mu <= L``.
    method : str, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    Tuning
        ``rate`` is the closed form above, computed without cancellation (accurate for ``kappa``
        near 1 and for ``kappa = 1e16``); ``rate = 0`` at ``kappa = 1``. ``beta`` is the smallest
        float64 for which the float64 ``alpha`` attains the optimal rate (see the module notes).

    Raises
    ------
    ValueError
        If both or neither of ``kappa`` and ``(mu, L)`` are given, for a value out of range, NaN
        or infinity, or if ``kappa`` is so large that the optimal ``beta`` or rate rounds to 1 in
        float64 (beyond about ``8e31`` for heavy ball, ``4e32`` for Nesterov, ``3.6e16`` for
        gradient descent).
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
    """
    m = get_method(method)
    mu_f, L_f, kappa_f = _spectrum(kappa, mu, L)
    _check_step_range(L_f)
    what = f"`kappa` = {kappa_f!r}" if kappa_f is not None else f"`L`/`mu` = {L_f / mu_f!r}"
    # The rate depends on kappa only: evaluate it on [1, kappa] when kappa was given, so that
    # kappa - 1 is exact and not recovered from a rounded 1/kappa.
    rate_mu, rate_L = (1.0, kappa_f) if kappa_f is not None else (mu_f, L_f)
    ms, Ls, e = _scaled(mu_f, L_f)
    if m.name == "heavy_ball":
        rate = _hb_rate(rate_mu, rate_L)
        alpha = math.ldexp(4.0 / (math.sqrt(Ls) + math.sqrt(ms)) ** 2, -e)
        beta_guess = rate * rate
        note = "optimal parameters (Polyak 1964): both ends of [mu, L] critically damped"
    elif m.name == "nesterov":
        rate = _nesterov_rate(rate_mu, rate_L)
        alpha = math.ldexp(4.0 / (3.0 * Ls + ms), -e)
        r, s = math.sqrt(3.0 * Ls + ms), 2.0 * math.sqrt(ms)
        beta_guess = (r - s) / (r + s)
        note = "optimal parameters on quadratics (Lessard, Recht & Packard 2016)"
    else:
        rate = _gd_rate(rate_mu, rate_L)
        alpha = math.ldexp(2.0 / (Ls + ms), -e)
        beta_guess = 0.0
        note = "optimal step 2/(mu + L)"
    if not rate < 1.0:
        raise ValueError(f"{what} is too large for float64: the optimal rate of {m.name} rounds to 1")
    beta = 0.0 if not m.uses_beta else _best_beta(m, alpha, mu_f, L_f, beta_guess)
    if beta is None:
        raise ValueError(f"{what} is too large for float64: the optimal momentum of {m.name} rounds to 1")
    return Tuning(m.name, alpha, beta, rate, mu_f, L_f, note)


def optimal_beta(alpha: float, mu: float, L: float, method: str | Method = "heavy_ball") -> Tuning:
    r"""The momentum that minimises the worst rate on :math:`[\mu, L]` for a fixed step size.

    The problem: :math:`\min_{\beta \in [0, 1)} \max(\rho(\alpha, \beta, \mu), \rho(\alpha, \beta, L))`.

    **Algorithm**: heavy ball, Nesterov or gradient descent as in :func:`optimal_parameters`,
    with ``x = alpha * h`` the scaled curvature of an end of the spectrum.

    **Theoretical guarantee** (derived in the Notes):

    * heavy ball: :math:`\beta^* = \max((1 - \sqrt{\alpha\mu})^2, (1 - \sqrt{\alpha L})^2)`,
      rate :math:`\sqrt{\beta^*} = \max(|1 - \sqrt{\alpha\mu}|, |1 - \sqrt{\alpha L}|)`, for
      :math:`\alpha L < 4`;
    * Nesterov, for :math:`\alpha L \le 1`: :math:`\beta^* = (1 - \sqrt{\alpha\mu})/(1 + \sqrt{\alpha\mu})`,
      rate :math:`1 - \sqrt{\alpha\mu}` (with :math:`\alpha = 1/L` the classical choice, rate
      :math:`1 - 1/\sqrt\kappa`); for :math:`1 < \alpha L < 2` see the Notes;
    * gradient descent: :math:`\beta = 0`, rate :math:`\max(|1 - \alpha\mu|, |1 - \alpha L|)`,
      for :math:`\alpha L < 2`.

    Parameters
    ----------
    alpha : float
        Step size, ``> 0``.
    mu, L : float
        The spectrum interval, ``0 < mu <= L``.
    method : str, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    Tuning
        ``rate`` is :func:`hbtheory.worst_case_rate` at the returned ``(alpha, beta)``.

    Raises
    ------
    ValueError
        If no ``beta`` in ``[0, 1)`` makes the method converge on ``[mu, L]``: ``alpha * L >= 4``
        for heavy ball, ``alpha * L >= 2`` for Nesterov and gradient descent (the rate would be
        ``>= 1`` for every momentum, and a ``beta`` outside ``[0, 1)`` is no valid answer); if the
        best ``beta`` rounds to 1 in float64 (``alpha * mu`` below about ``1e-33``); for a value
        out of range, NaN or infinity.
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
    :math:`x_\mu + x_L \ge 2`, :math:`\beta^* = 0`. The returned ``beta`` is the smallest float64 at
    which the decreasing end has stopped decreasing (its discriminant is ``<= 0``, or it is no
    longer the larger), found by bisection on the float64 grid from the closed form.

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
    ValueError: `alpha` must be < 4/L = 4.0 for heavy_ball (got alpha = 4.0): no momentum beta in [0, 1) ...
    """
    m = get_method(method)
    a = as_scalar(alpha, "alpha", low=0.0, low_open=True)
    mu_f, L_f = _interval(mu, L)
    limit = 4.0 if m.name == "heavy_ball" else 2.0
    if not a * L_f < limit:  # rounding is monotone and the limits are floats: exact test
        raise ValueError(
            f"`alpha` must be < {limit:g}/L = {limit / L_f!r} for {m.name} (got alpha = {a!r}): "
            "no momentum beta in [0, 1) converges on [mu, L]"
        )
    if not m.uses_beta:
        beta: float | None = 0.0
    elif m.name == "heavy_ball":
        guess = max((1.0 - math.sqrt(a * mu_f)) ** 2, (1.0 - math.sqrt(a * L_f)) ** 2)
        beta = _best_beta(m, a, mu_f, L_f, guess)
    else:
        beta = _best_beta(m, a, mu_f, L_f, _nesterov_beta_closed_form(a, mu_f, L_f))
    too_close = f"`alpha` = {a!r} is too close to 0 or to {limit:g}/L = {limit / L_f!r} for float64"
    if beta is None:
        raise ValueError(f"{too_close}: the best momentum of {m.name} rounds to 1")
    rate = float(worst_case_rate(a, beta, mu_f, L_f, m))
    return _result(m, a, beta, rate, mu_f, L_f, "best beta for the given alpha", too_close)


def optimal_alpha(beta: float, mu: float, L: float, method: str | Method = "heavy_ball") -> Tuning:
    r"""The step size that minimises the worst rate on :math:`[\mu, L]` for a fixed momentum.

    The problem: :math:`\min_{\alpha > 0} \max(\rho(\alpha, \beta, \mu), \rho(\alpha, \beta, L))`.

    **Algorithm**: heavy ball, Nesterov or gradient descent as in :func:`optimal_parameters`.

    **Theoretical guarantee**. For each method :math:`\rho` is quasi-convex in ``x = alpha * h``,
    so the optimum balances a decreasing end (``mu``) against an increasing one (``L``).

    * Heavy ball: :math:`\rho \ge \sqrt\beta` always (the roots multiply to :math:`\beta`), with
      equality exactly when :math:`\alpha h` lies in the complex band
      :math:`[(1 - \sqrt\beta)^2, (1 + \sqrt\beta)^2]`. If
      :math:`\kappa \le ((1 + \sqrt\beta)/(1 - \sqrt\beta))^2` (equivalently
      :math:`\beta \ge \beta^*(\kappa)` of :func:`optimal_parameters`) every
      :math:`\alpha \in [(1 - \sqrt\beta)^2/\mu, (1 + \sqrt\beta)^2/L]` attains the best rate
      :math:`\sqrt\beta`. This function returns the geometric centre of that interval,
      :math:`\alpha = (1 - \beta)/\sqrt{\mu L}`: it leaves the same relative margin at both
      ends, so the rate stays :math:`\sqrt\beta` under the largest symmetric misestimate of
      ``mu`` and ``L`` (``mu`` smaller and ``L`` larger by the same factor), and it equals
      Polyak's step at :math:`\beta = \beta^*`. Otherwise the optimum is the equal-ripple step
      :math:`\alpha = 2(1 + \beta)/(\mu + L)` (equal :math:`|c_1|` at both ends), with rate
      :math:`(c + \sqrt{c^2 - 4\beta})/2`, :math:`c = (1 + \beta)(\kappa - 1)/(\kappa + 1)`.
    * Nesterov: the equal-ripple step :math:`\rho(\alpha\mu) = \rho(\alpha L)`, which lies in
      :math:`[1/L, 1/\mu]`; no closed form is used: it is found by bisection on the float64
      grid (the difference of the two radii is monotone in :math:`\alpha`).
    * Gradient descent (``beta`` must be 0): :math:`\alpha = 2/(\mu + L)`, rate
      :math:`(\kappa - 1)/(\kappa + 1)`.

    Every equal-ripple step is refined on the float64 grid to the float that minimises
    :func:`hbtheory.worst_case_rate`. With ``mu == L`` the answer is exact: ``alpha = 1/L``
    (heavy ball: ``(1 - beta)/L``).

    Parameters
    ----------
    beta : float
        Momentum in ``[0, 1)``; exactly ``0`` for gradient descent.
    mu, L : float
        The spectrum interval, ``0 < mu <= L``.
    method : str, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

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
    ripple = "best alpha for the given beta: equal ripple rho(mu) = rho(L)"
    if mu_f == L_f:
        alpha, note = ((1.0 - b) if m.name == "heavy_ball" else 1.0) / L_f, "best alpha for the given beta (mu == L)"
    elif m.name == "nesterov":
        alpha, note = _ripple_alpha(m, b, mu_f, L_f, 2.0 / (mu_f + L_f), 1.0 / L_f, 1.0 / mu_f), ripple
    else:
        ms, Ls, e = _scaled(mu_f, L_f)
        centre = (1.0 - b) / (math.sqrt(mu_f) * math.sqrt(L_f))
        c = (1.0 + b) * (Ls - ms) / (Ls + ms)  # |c1| at both ends for the equal-ripple step
        if m.name == "heavy_ball" and c * c <= 4.0 * b and _both_in_band(m, centre, b, mu_f, L_f):
            alpha, note = centre, "best alpha for the given beta: geometric centre of the band where rate = sqrt(beta)"
        else:
            guess = math.ldexp(2.0 * (1.0 + b) / (Ls + ms), -e)
            alpha, note = _ripple_alpha(m, b, mu_f, L_f, guess, 0.5 * guess, 2.0 * guess), ripple
    rate = float(worst_case_rate(alpha, b, mu_f, L_f, m))
    return _result(m, alpha, b, rate, mu_f, L_f, note, f"`L`/`mu` = {L_f / mu_f!r} is too large for float64")


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
    """Every step considered is below ``8/L``: refuse an ``L`` for which that overflows."""
    if not math.isfinite(8.0 / L):
        raise ValueError(f"`L` must be >= 4.5e-308 here (steps ~ 1/L overflow float64 below), got {L!r}")


def _result(m: Method, alpha: float, beta: float, rate: float, mu: float, L: float, note: str, why: str) -> Tuning:
    if not rate < 1.0:
        raise ValueError(f"{why}: the best rate of {m.name} rounds to 1")
    return Tuning(m.name, alpha, beta, rate, mu, L, note)


# --------------------------------------------------------------------------------------------
# Closed forms (on a spectrum rescaled by a power of two, which is exact)
# --------------------------------------------------------------------------------------------


def _scaled(mu: float, L: float) -> tuple[float, float, int]:
    """``(mu, L) * 2**-e`` with ``L * 2**-e`` in ``[0.25, 1)``: no overflow in ``3 L + mu`` etc.

    ``e`` is even, so square roots scale exactly too (``sqrt(1/kappa)`` stays exact for square
    ``kappa``).
    """
    e = math.frexp(L)[1]
    e += e % 2
    return math.ldexp(mu, -e), math.ldexp(L, -e), e


# Each rate has two forms: (L - mu) * (...) is exact in its leading factor near kappa = 1 (L - mu
# is exact there, Sterbenz), and 1 - (small) rounds correctly for huge kappa (1e16 and beyond),
# where the first form can round to exactly 1. Both are accurate to a few ulps on their side.


def _hb_rate(mu: float, L: float) -> float:
    ms, Ls, _ = _scaled(mu, L)
    sm, sl = math.sqrt(ms), math.sqrt(Ls)
    if Ls >= 4.0 * ms:
        return 1.0 - 2.0 * sm / (sl + sm)
    return (Ls - ms) / (sl + sm) ** 2


def _nesterov_rate(mu: float, L: float) -> float:
    ms, Ls, _ = _scaled(mu, L)
    r, sm = math.sqrt(3.0 * Ls + ms), math.sqrt(ms)
    if Ls >= 4.0 * ms:
        return 1.0 - 2.0 * sm / r
    return 3.0 * (Ls - ms) / (r * (r + 2.0 * sm))


def _gd_rate(mu: float, L: float) -> float:
    ms, Ls, _ = _scaled(mu, L)
    if Ls >= 4.0 * ms:
        return 1.0 - 2.0 * ms / (Ls + ms)
    return (Ls - ms) / (Ls + ms)


def _nesterov_beta_closed_form(alpha: float, mu: float, L: float) -> float:
    """Best Nesterov momentum for a fixed step (derivation in :func:`optimal_beta`'s Notes)."""
    xm, xl = alpha * mu, alpha * L
    beta_m = (1.0 - xm) / (1.0 + math.sqrt(xm)) ** 2 if xm < 1.0 else 0.0  # = beta_-(x_mu)
    if xl <= 1.0:
        return beta_m
    if xm + xl >= 2.0:
        return 0.0
    p, q = xl - xm, 2.0 - xm - xl
    k = 2.0 * (xl - 1.0) * (1.0 - xm) * q / (p * p)
    if k > 0.25:
        return beta_m
    b = 2.0 * k / ((1.0 - 2.0 * k) + math.sqrt(1.0 - 4.0 * k))  # the root of K(1+b)^2 = b in (0, 1]
    # The root equates rho_L with *a* root of mu's polynomial; it is the crossing only if that is
    # the larger one (>= half their sum) and mu's roots are still real there (b < beta_m).
    rho = b * p / ((1.0 + b) * q)
    if b < beta_m and 2.0 * rho >= (1.0 + b) * (1.0 - xm):
        return b
    return beta_m


# --------------------------------------------------------------------------------------------
# Searches on the float64 grid
# --------------------------------------------------------------------------------------------


def _bits(x: float) -> int:
    return int(np.array(x, dtype=np.float64).view(np.int64))


def _from_bits(i: int) -> float:
    return float(np.array(i, dtype=np.int64).view(np.float64))


def _smallest(pred: Callable[[float], bool], guess: float, lo: float, hi: float) -> float | None:
    """Smallest float64 ``x`` in ``[lo, hi)`` (``0 <= lo < hi``) with ``pred(x)``, for a ``pred``
    that is ``False`` then ``True`` along the grid; ``None`` if it is ``False`` on all of it.

    Galloping from ``guess`` (so a good closed form costs a few evaluations), then bisection on
    the integer representation of the non-negative floats, which is monotone.
    """
    ilo, ihi = _bits(lo), _bits(hi)
    start = min(max(_bits(guess), ilo), ihi - 1)
    if pred(_from_bits(start)):
        good, step = start, 1
        while True:
            cand = good - step
            if cand < ilo:
                bad = ilo - 1  # pred taken False just below the range
                break
            if not pred(_from_bits(cand)):
                bad = cand
                break
            good, step = cand, 2 * step
    else:
        bad, step = start, 1
        while True:
            cand = bad + step
            if cand >= ihi - 1:
                if not pred(_from_bits(ihi - 1)):
                    return None
                good = ihi - 1
                break
            if pred(_from_bits(cand)):
                good = cand
                break
            bad, step = cand, 2 * step
    while good - bad > 1:
        mid = (good + bad) // 2
        if pred(_from_bits(mid)):
            good = mid
        else:
            bad = mid
    return _from_bits(good)


def _polish(candidate: float, lo: float, rate_at: Callable[[float], float]) -> float:
    """``candidate`` or its float64 predecessor (if ``>= lo``), whichever has the lower rate."""
    prev = math.nextafter(candidate, -math.inf)
    if prev >= lo and rate_at(prev) < rate_at(candidate):
        return prev
    return candidate


def _ends(mu: float, L: float) -> FloatArray:
    return np.array([mu, L], dtype=np.float64)


def _both_in_band(m: Method, alpha: float, beta: float, mu: float, L: float) -> bool:
    """Both ends critically damped or complex (discriminant <= 0, evaluated exactly near 0)."""
    disc = _kernel.characteristic(m, alpha, beta, _ends(mu, L)).disc
    return bool(np.all(disc <= 0.0))


def _best_beta(m: Method, alpha: float, mu: float, L: float, guess: float) -> float | None:
    """The float64 momentum that minimises the worst rate at a fixed float64 ``alpha``.

    Along ``beta`` the rate is quasi-convex: the end that decreases (``mu``; for heavy ball
    possibly ``L``) does so until its roots turn complex, after which the rate only grows. The
    answer is the first float at which that has happened - every end's discriminant is ``<= 0``
    (heavy ball), or ``mu``'s is, or ``mu`` is no longer the worse end (Nesterov) - or its
    predecessor if that is better. ``None`` if there is no such float below 1.
    """
    h = _ends(mu, L)
    if m.name == "heavy_ball":

        def pred(b: float) -> bool:
            return bool(np.all(_kernel.characteristic(m, alpha, b, h).disc <= 0.0))

    else:
        # Is the L end on its increasing (real, negative) branch? Only then can mu stop being the
        # worse end before its roots turn complex. (>=: a product that rounds to 1 counts, so that
        # mu == L with alpha * L ~ 1 resolves to beta = 0.)
        over = alpha * L >= 1.0

        def pred(b: float) -> bool:
            ch = _kernel.characteristic(m, alpha, b, h)
            if ch.disc[0] <= 0.0:
                return True
            if not over:
                return False
            rho = _kernel.radius(ch)
            return bool(rho[0] <= rho[1])

    beta = _smallest(pred, min(max(guess, 0.0), 1.0), 0.0, 1.0)
    if beta is None:
        return None
    return _polish(beta, 0.0, lambda b: float(worst_case_rate(alpha, b, mu, L, m)))


def _ripple_alpha(m: Method, beta: float, mu: float, L: float, guess: float, lo: float, hi: float) -> float:
    """The float64 step with ``rho(alpha mu) = rho(alpha L)`` (to the grid) in ``[lo, hi]``.

    ``rho(alpha mu) - rho(alpha L)`` is non-increasing in ``alpha`` (the ``mu`` end on its
    decreasing branch, the ``L`` end on its increasing one) and changes sign in ``[lo, hi]``.
    """
    h = _ends(mu, L)

    def pred(a: float) -> bool:
        rho = _kernel.spectral_radius(m, a, beta, h)
        return bool(rho[0] <= rho[1])

    found = _smallest(pred, guess, lo, math.nextafter(hi, math.inf))
    alpha = hi if found is None else found
    return _polish(alpha, lo, lambda a: float(worst_case_rate(a, beta, mu, L, m)))
