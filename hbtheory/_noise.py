r"""What momentum does to a constant gradient and to gradient noise.

* :func:`amplification`: the factor :math:`1/(1 - \beta)` by which heavy ball lengthens the step
  under a constant gradient (the velocity's effective averaging window, in steps).
* :func:`velocity_transient`: the step after ``t`` steps under a constant gradient, on its way to
  that limit.
* :func:`stationary_variance`: the stationary variance of the iterate on a one-dimensional
  quadratic when every gradient carries independent noise, for each method of the family.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hbtheory._dd import DD
from hbtheory._params import check_method_params
from hbtheory._validation import FloatArray, as_int, as_real, finish
from hbtheory.methods import Method

__all__ = ["amplification", "stationary_variance", "velocity_transient"]


def amplification(beta: Any) -> Any:
    r"""Step amplification :math:`1/(1 - \beta)` of heavy ball under a constant gradient.

    Parameters
    ----------
    beta : float or array_like
        Momentum in ``[0, 1)``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        :math:`1/(1 - \beta)`, broadcast over ``beta``: the limit of
        :func:`velocity_transient` divided by :math:`\alpha g`, and the effective length (in
        steps) of the velocity's exponential averaging window.

    Raises
    ------
    ValueError, TypeError
        If ``beta`` is outside ``[0, 1)``, not finite or not a real number.

    Notes
    -----
    With :math:`v_{t+1} = \beta v_t + \alpha g`, :math:`v_0 = 0` (so :math:`x_{t+1} = x_t - v_{t+1}`
    is heavy ball), :math:`v_t = \alpha g \sum_{k<t} \beta^k \to \alpha g/(1 - \beta)`. The
    float64 value is correctly rounded up to one rounding of :math:`1 - \beta` (exact for
    ``beta >= 0.5``).

    Examples
    --------
    >>> from hbtheory import amplification
    >>> amplification([0.0, 0.5, 0.9, 0.99])
    array([  1.,   2.,  10., 100.])
    """
    b = as_real(beta, "beta", low=0.0, high=1.0, high_open=True)
    return finish(1.0 / (1.0 - b))


def velocity_transient(alpha: Any, beta: Any, g: Any, t: Any) -> Any:
    r"""Heavy-ball step after ``t`` steps under a constant gradient ``g``, from rest.

    Parameters
    ----------
    alpha : float or array_like
        Step size, ``> 0``.
    beta : float or array_like
        Momentum in ``[0, 1]``.
    g : float or array_like
        The constant gradient, any finite real.
    t : int or array_like of int
        Number of steps, ``>= 0``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        :math:`v_t = \alpha g (1 - \beta^t)/(1 - \beta)` (:math:`\alpha g t` at :math:`\beta = 1`),
        broadcast over the inputs: the distance :math:`x_{t-1} - x_t` moved by step ``t``.

    Raises
    ------
    ValueError, TypeError
        For a parameter outside its range (the message names it) or inputs that do not
        broadcast together.

    Notes
    -----
    For :math:`\beta` near 1 both :math:`1 - \beta^t` and :math:`1 - \beta` cancel when formed
    directly. With :math:`\delta = 1 - \beta` (exact in float64 for :math:`\beta \ge 0.5`),
    :math:`(1 - \beta^t)/(1 - \beta) = -\operatorname{expm1}(t \operatorname{log1p}(-\delta))/\delta`
    has no cancellation: a few ulps for every ``t``, while :math:`1 - \beta^t` formed directly
    carries an absolute error of order ``eps``, a relative error up to about
    ``eps / (t * (1 - beta))``.

    Examples
    --------
    >>> from hbtheory import velocity_transient
    >>> velocity_transient(0.1, 0.9, 1.0, [0, 1, 2, 10, 1000])   # -> alpha g / (1 - beta) = 1
    array([0.        , 0.1       , 0.19      , 0.65132156, 1.        ])
    >>> float(velocity_transient(1.0, 1 - 1e-12, 1.0, 10))       # ~ t, to the last digit
    9.999999999955
    """
    a = as_real(alpha, "alpha", low=0.0, low_open=True)
    b = as_real(beta, "beta", low=0.0, high=1.0)
    gg = as_real(g, "g")
    tt = as_int(t, "t", low=0)
    try:
        a, b, gg, tt = np.broadcast_arrays(a, b, gg, tt)
    except ValueError:
        raise ValueError(
            f"`alpha`, `beta`, `g` and `t` must broadcast together, got shapes "
            f"{np.shape(a)}, {np.shape(b)}, {np.shape(gg)}, {np.shape(tt)}"
        ) from None
    delta = 1.0 - b
    tf = tt.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # log1p(-1) = -inf at beta = 0: t * (-inf) = -inf (t >= 1) gives a sum of exactly 1.
        log_beta = np.log1p(-delta)
        window = np.where(tt == 0, 0.0, np.where(delta == 0.0, tf, -np.expm1(tf * log_beta) / delta))
    # beyond float64: the infinity of its sign, no warning (window >= 1 for t >= 1, so an overflowing
    # alpha g means an overflowing result); t = 0: exactly 0, also where alpha g overflows
    with np.errstate(over="ignore", invalid="ignore"):
        return finish(np.where(window == 0.0, 0.0 * gg, a * gg * window))


def stationary_variance(alpha: Any, beta: Any, h: Any, sigma: Any, method: str | Method = "heavy_ball") -> Any:
    r"""Stationary variance of the iterate on :math:`f(x) = \tfrac h2 x^2` under gradient noise.

    Every gradient is :math:`h x + \xi_t` with :math:`\xi_t` independent, zero-mean, of standard
    deviation :math:`\sigma`.

    Parameters
    ----------
    alpha : float or array_like
        Step size, ``> 0``.
    beta : float or array_like
        Momentum in ``[0, 1]`` (exactly ``0`` for gradient descent).
    h : float or array_like
        Curvature, any finite real.
    sigma : float or array_like
        Noise standard deviation, ``>= 0``.
    method : str or Method, optional
        Any member of the family (:func:`hbtheory.methods.get_method`): ``"heavy_ball"``
        (default), ``"nesterov"``, ``"gradient_descent"``, ``"triple_momentum"``,
        ``"general(gamma=G)"``, or a :class:`~hbtheory.methods.Method`.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        :math:`\lim_{t\to\infty} \operatorname{Var}(x_t)` from any deterministic start, broadcast
        over the inputs. ``+inf`` where the method does not converge on that direction
        (:math:`\rho \ge 1`, including :math:`h \le 0`) and ``sigma > 0``: there is no stationary
        distribution and the variance grows without bound. ``0`` where ``sigma == 0`` (the
        iterates are deterministic). Never NaN.

    Raises
    ------
    ValueError, TypeError
        For a parameter outside its range (the message names it) or inputs that do not
        broadcast together.

    Notes
    -----
    For every method of the family the noise enters once per step with weight :math:`-\alpha`
    (the gradient is taken at the look-ahead point :math:`y_t`:
    :math:`x_{t+1} = x_t + \beta (x_t - x_{t-1}) - \alpha(h y_t + \xi_t)`), so

    .. math::

        x_{t+1} = c_1 x_t - c_0 x_{t-1} - \alpha \xi_t,

    an AR(2) process with the coefficients of :mod:`hbtheory.methods`. Its stationary variance
    (Yule-Walker, or the discrete Lyapunov equation of the state :math:`(x_t, x_{t-1})`) is

    .. math::

        \operatorname{Var}(x) = \frac{\alpha^2 \sigma^2 (1 + c_0)}
        {(1 - c_0)\,\chi(1)\,\chi(-1)}, \qquad \chi(z) = z^2 - c_1 z + c_0,

    using :math:`(1 + c_0)^2 - c_1^2 = \chi(1)\chi(-1)`. The process is stable iff
    :math:`|c_0| < 1`, :math:`\chi(1) > 0` and :math:`\chi(-1) > 0` (Jury), i.e. iff every factor is
    positive. For heavy ball :math:`\chi(1) = \alpha h` and :math:`\chi(-1) = 2 + 2\beta - \alpha h`:

    .. math::

        \operatorname{Var}(x) = \frac{\alpha \sigma^2 (1 + \beta)}{h (1 - \beta)(2 (1 + \beta) - \alpha h)}
        \;\xrightarrow{\ \alpha h \to 0\ }\; \frac{1}{1 - \beta} \cdot \frac{\alpha \sigma^2}{2 h},

    :math:`1/(1-\beta)` times gradient descent's :math:`\alpha\sigma^2/(h(2 - \alpha h))` at small
    steps. In general :math:`\chi(1) = \alpha h` identically, and the factors :math:`1 \pm c_0` and
    :math:`\chi(-1)` are formed from the method's look-ahead :math:`\gamma(\beta)` in double-double
    arithmetic, so none of them cancels (as :math:`1 - c_1 + c_0` would for small :math:`\alpha h`,
    even in double-double below ``alpha h ~ 1e-32``), the stability decision is exact at the float64
    inputs, and the product is formed from mantissas and exponents: the result is accurate to a
    few ulps for every representable input, including ``alpha h = 1e-34`` and subnormal ``alpha``.
    For Triple Momentum this is the variance of the iterate :math:`x_t`, not of its output
    :math:`z_t`.

    Examples
    --------
    >>> from hbtheory import stationary_variance
    >>> stationary_variance(0.01, [0.0, 0.5, 0.9], 1.0, 1.0)        # ~ (alpha / 2h) / (1 - beta)
    array([0.00502513, 0.01003344, 0.05013193])
    >>> float(stationary_variance(1.0, 0.5, 4.0, 1.0))             # alpha h > 2 (1 + beta): diverges
    inf
    >>> float(stationary_variance(0.1, 0.0, 1.0, 1.0, method="gradient_descent"))
    0.052631578947368
    """
    m, a, b, hh = check_method_params(method, alpha, beta, h)
    s = as_real(sigma, "sigma", low=0.0)
    try:
        a, b, hh, s = np.broadcast_arrays(a, b, hh, s)
    except ValueError:
        raise ValueError(
            f"`alpha`, `beta`, `h` and `sigma` must broadcast together, got shapes "
            f"{np.shape(a)}, {np.shape(b)}, {np.shape(hh)}, {np.shape(sigma)}"
        ) from None
    one_plus, one_minus, chi_plus, chi_minus = _factors(m, a, b, hh)
    if m.gamma is not None:
        # chi(1) = alpha h identically: its sign is that of h, and alpha^2 / chi(1) = alpha / h. The
        # product alpha h itself under- or flushes to 0 below 1e-308 (alpha = h = 1e-200 gave inf,
        # alpha = h = 1e-160 lost five digits), so it is never formed.
        chi_pos = hh > 0.0
        num, den = [a, s, s], [hh]
    else:
        chi_pos = chi_plus > 0.0
        num, den = [a, s, s, a], [chi_plus]
    stable = (one_plus > 0.0) & (one_minus > 0.0) & chi_pos & (chi_minus > 0.0)
    # alpha^2 sigma^2 (1 + c0) / ((1 - c0) chi(1) chi(-1)): the product is formed from binary
    # mantissas and exponents, so that no partial product over- or underflows (alpha = 5e-324 or
    # sigma = 1e200 give the representable value, or inf / 0 where it is not).
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = np.where(stable, one_plus / np.where(stable, one_minus * chi_minus, 1.0), 1.0)
        value = _product([*num, ratio], [np.where(stable, d, 1.0) for d in den])
    out = np.where(s == 0.0, 0.0, np.where(stable, value, np.inf))
    return finish(np.asarray(out, dtype=np.float64))


def _factors(m: Method, a: FloatArray, b: FloatArray, h: FloatArray) -> tuple[FloatArray, ...]:
    r"""``(1 + c0, 1 - c0, chi(1), chi(-1))`` rounded once from double-double, without cancellation.

    With the method's look-ahead :math:`\gamma` and :math:`g = \alpha h` (exact as a double-double),
    :math:`c_1 = 1 + \beta - g(1 + \gamma)`, :math:`c_0 = \beta - g\gamma`, so
    :math:`\chi(1) = 1 - c_1 + c_0 = g` *identically* (a gradient method has the fixed point
    :math:`z = 1` at :math:`h = 0`), :math:`\chi(-1) = 2 (1 + \beta) - g (1 + 2\gamma)` and
    :math:`1 \mp c_0 = 1 \mp \beta \pm g\gamma`. Forming :math:`1 - c_1 + c_0` instead loses
    :math:`g` below about ``1e-32`` of ``1 + beta`` even in double-double (at ``alpha h = 1e-34``
    it gave 0, hence ``inf``). A user method given by ``c1``/``c0`` only (``gamma is None``) is
    evaluated through its own functions in double-double, which cancel only below that level.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # huge alpha * h: inf/NaN, unstable below
        da, db, dh = DD(a), DD(b), DD(h)
        if m.gamma is not None:
            bb = db if m.uses_beta else DD(np.zeros_like(b))
            gamma = m.gamma(bb)
            gamma = gamma if isinstance(gamma, DD) else np.asarray(gamma, dtype=np.float64)
            g = da * dh
            gg = g * gamma
            factors = [1.0 + bb - gg, 1.0 - bb + gg, g, 2.0 + bb * 2.0 - g - gg * 2.0]
        else:
            c1, c0 = m.c1(da, db, dh), m.c0(da, db, dh)
            factors = [1.0 + c0, 1.0 - c0, 1.0 - c1 + c0, 1.0 + c1 + c0]
        floats = [_to_float(f) for f in factors]
    return tuple(np.broadcast_arrays(*floats))


def _product(num: list[FloatArray], den: list[FloatArray]) -> FloatArray:
    """``prod(num) / prod(den)`` of positive finite arrays with one exponent sum (no spurious over- or
    underflow of a partial product); each mantissa product is in ``[2**-k, 1)``, rounded once per factor."""
    mant = np.ones(np.broadcast_shapes(*(np.shape(x) for x in num + den)))
    expo = np.zeros(mant.shape, dtype=np.int64)
    for x in num:
        mx, ex = np.frexp(x)
        mant, expo = mant * mx, expo + ex
    for x in den:
        mx, ex = np.frexp(x)
        mant, expo = mant / mx, expo - ex
    expo = np.clip(expo, -5000, 5000)  # ldexp saturates to 0 / inf well inside this range
    return np.asarray(np.ldexp(mant, expo.astype(np.int32)), dtype=np.float64)


def _to_float(x: Any) -> FloatArray:
    """Round a double-double (or pass a float) to float64."""
    return x.to_float() if isinstance(x, DD) else np.asarray(x, dtype=np.float64)
