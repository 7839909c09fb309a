r"""Numeric spectral theory of the method family (numpy, float64, broadcasting).

For a quadratic with Hessian eigenvalue :math:`h`, the error of a method of
:mod:`hbtheory.methods` on that eigen-direction evolves by the iteration matrix

.. math::

    A(\alpha, \beta, h) = \begin{pmatrix} c_1 & -c_0 \\ 1 & 0 \end{pmatrix},
    \qquad z^2 - c_1 z + c_0 = \det(z I - A),

(for heavy ball :math:`c_1 = 1 + \beta - \alpha h`, :math:`c_0 = \beta`). Everything here is a
function of :math:`(c_1, c_0)` evaluated by :mod:`hbtheory._kernel`, accurate to 1e-14 relative
(measured: at most 40 ulps) at the given float64 inputs, including on the critical-damping curves.

Public functions (also re-exported from :mod:`hbtheory`):

* :func:`spectral_radius`, :func:`spectral_gap` (``1 - rho``), :func:`eigenvalues`, :func:`iteration_matrix`;
* :func:`power_norm`, :func:`theorem1_constant` (Theorem 1 made concrete);
* :func:`worst_case_rate`, :func:`worst_case` (over a spectrum interval ``[mu, L]``);
* :func:`amplification`, :func:`velocity_transient`, :func:`stationary_variance`.

Parameter ranges, for every function: ``alpha > 0``; ``beta`` in ``[0, 1]`` (exactly ``0`` for
``method="gradient_descent"``); ``h`` any finite real (negative values are directions of negative
curvature); all finite. Bad input raises ``ValueError``/``TypeError`` naming the parameter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hbtheory import _kernel
from hbtheory._dd import DD
from hbtheory._noise import amplification, stationary_variance, velocity_transient
from hbtheory._params import check_method_params
from hbtheory._powers import power_norm, theorem1_constant
from hbtheory._validation import finish
from hbtheory._worst import worst_case, worst_case_rate
from hbtheory.methods import Method

__all__ = [
    "amplification",
    "eigenvalues",
    "iteration_matrix",
    "power_norm",
    "spectral_gap",
    "spectral_radius",
    "stationary_variance",
    "theorem1_constant",
    "velocity_transient",
    "worst_case",
    "worst_case_rate",
]


def spectral_radius(alpha: Any, beta: Any, h: Any, method: str | Method = "heavy_ball") -> Any:
    r"""Spectral radius :math:`\rho(A(\alpha, \beta, h))`: the asymptotic rate of the method.

    Parameters
    ----------
    alpha : float or array_like
        Step size, ``> 0``. ``alpha = 0`` is refused (a zero step does not move): start a grid
        above 0, e.g. ``np.linspace(0, 4, 501)[1:]``.
    beta : float or array_like
        Momentum in ``[0, 1]``; must be ``0`` for ``method="gradient_descent"``.
    h : float or array_like
        Curvature (Hessian eigenvalue), any finite real.
    method : str or Method, optional
        Any member of the family: ``"heavy_ball"`` (default), ``"nesterov"``,
        ``"gradient_descent"``, ``"triple_momentum"``, ``"general(gamma=G)"``, or a
        :class:`~hbtheory.methods.Method`.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        :math:`\max |z|` over the roots of :math:`z^2 - c_1 z + c_0`, broadcast over the inputs.
        The method converges on that direction iff the value is ``< 1``.

    Raises
    ------
    ValueError, TypeError
        For a parameter outside the ranges above, NaN, infinity or non-numeric input.

    Notes
    -----
    With :math:`D = c_1^2 - 4 c_0`: :math:`\rho = (|c_1| + \sqrt{D})/2` when :math:`D \ge 0` and
    :math:`\rho = \sqrt{c_0}` (for heavy ball :math:`\sqrt{\beta}`) when :math:`D < 0`. Near the
    critical-damping curves :math:`D = 0`, and where :math:`\rho` is small or next to 1, the
    points whose float64 error bound exceeds ``1e-14`` relative are recomputed with :math:`c_1`,
    :math:`c_0` and :math:`D` in double-double arithmetic (exact rationals on the curves) and
    rounded once. Accuracy: relative error at most ``1e-14`` everywhere (the bound routes by it);
    measured against 50-digit mpmath over 4 x 10^5 points per method, near and 1e-3..1e-1 from
    the curves and near :math:`\rho = 1`: at most 40 ulps (6e-15 relative), median 0.3 ulps
    (``benchmarks/accuracy_spectral_radius.py``; ``np.linalg.eigvals`` loses half the digits or
    all of them there). It is not "a few ulps everywhere": a float64 :math:`c_1` one rounding off
    moves :math:`\rho` by :math:`|c_1|/\sqrt{D}` ulps, and making every such point exact would
    route a third of a grid to double-double. ``rho < 1``, ``== 1`` and ``> 1`` are decided
    exactly. Near :math:`\rho = 1` use :func:`spectral_gap` for :math:`1 - \rho` itself.

    Examples
    --------
    >>> from hbtheory import spectral_radius
    >>> float(spectral_radius(0.5, 0.25, 1.0))   # between the curves: sqrt(beta)
    0.5
    >>> spectral_radius(1.0, 0.0, [0.5, 1.0, 1.5], method="gradient_descent")
    array([0.5, 0. , 0.5])
    >>> spectral_radius([[0.1], [0.2]], [0.0, 0.5, 0.9], 1.0).shape
    (2, 3)
    """
    m, a, b, hh = check_method_params(method, alpha, beta, h)
    return finish(_kernel.spectral_radius(m, a, b, hh))


def spectral_gap(alpha: Any, beta: Any, h: Any, method: str | Method = "heavy_ball") -> Any:
    r"""The gap :math:`1 - \rho(A(\alpha, \beta, h))`, accurate to a few ulps of itself.

    Iteration counts depend on :math:`1 - \rho` (``log(tol) / log1p(-gap)``), and a float64
    :math:`\rho` within :math:`\delta` of 1 only fixes :math:`1 - \rho` to about
    :math:`10^{-16}/\delta` relative: ``1 - spectral_radius(...)`` is off by 8e-6 relative at
    ``alpha = 1.861e-4, beta = 0.8554, h = 1.651e-7`` (heavy ball, ``rho = 1 - 2.1e-10``). This
    function computes the gap itself, from :math:`P(\pm 1)` in double-double (exact rationals
    where even that cancels), so it stays accurate as :math:`\rho \to 1`.

    Parameters
    ----------
    alpha, beta, h : float or array_like
        As in :func:`spectral_radius`.
    method : str or Method, optional
        As in :func:`spectral_radius`.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        :math:`1 - \rho`, broadcast over the inputs; negative where the method diverges on that
        direction, ``0`` exactly where :math:`\rho = 1` (e.g. ``h = 0``).

    Raises
    ------
    ValueError, TypeError
        As :func:`spectral_radius`.

    Notes
    -----
    Real roots: :math:`1 - \rho = P(s) / (1 - c_0/\rho)` with :math:`s = \operatorname{sign} c_1`
    (:math:`P(1) = \alpha h` for every member of the family); complex roots:
    :math:`1 - \rho = (1 - c_0) / (1 + \sqrt{c_0})`. Measured against 50-digit mpmath to
    :math:`10^{-15}` relative (``tests/test_spectral.py``).

    Examples
    --------
    >>> from hbtheory.spectral import spectral_gap, spectral_radius
    >>> a, b, h = 0.0001861366120198143, 0.8554269855702333, 1.6511748366417483e-07
    >>> float(spectral_gap(a, b, h))        # 1 - 0.99999999978741254615...
    2.125874538507111e-10
    >>> float(spectral_gap(0.5, 0.25, 1.0)), float(spectral_gap(1.0, 0.3, 0.0))
    (0.5, 0.0)
    """
    m, a, b, hh = check_method_params(method, alpha, beta, h)
    return finish(_kernel.gap(m, a, b, hh))


def iteration_matrix(alpha: Any, beta: Any, h: Any, method: str | Method = "heavy_ball") -> Any:
    r"""The iteration matrix :math:`A = \begin{pmatrix} c_1 & -c_0 \\ 1 & 0 \end{pmatrix}`.

    It maps the state :math:`(x_t - x^*, x_{t-1} - x^*)` on one eigen-direction to
    :math:`(x_{t+1} - x^*, x_t - x^*)`.

    Parameters
    ----------
    alpha, beta, h : float or array_like
        As in :func:`spectral_radius`; broadcast together to a shape ``S``.
    method : str, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    numpy.ndarray
        Shape ``S + (2, 2)``, float64.

    Examples
    --------
    >>> from hbtheory import iteration_matrix
    >>> iteration_matrix(0.5, 0.25, 1.0)
    array([[ 0.75, -0.25],
           [ 1.  ,  0.  ]])
    >>> iteration_matrix([0.1, 0.2], 0.9, 1.0, method="nesterov").shape
    (2, 2, 2)
    """
    m, a, b, hh = check_method_params(method, alpha, beta, h)
    a, b, hh = np.broadcast_arrays(a, b, hh)
    out = np.zeros((*a.shape, 2, 2), dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # an entry beyond float64 is +-inf, no warning
        c1 = np.asarray(m.c1(a, b, hh), dtype=np.float64)
        c0 = np.asarray(m.c0(a, b, hh), dtype=np.float64)
        bad = ~(np.isfinite(c1) & np.isfinite(c0))
        if np.any(bad) and m.gamma is not None:
            s1, s0 = _scaled_coefficients(m, a[bad], b[bad], hh[bad])
            c1, c0 = c1.copy(), c0.copy()
            c1[bad] = np.where(np.isfinite(c1[bad]), c1[bad], s1)
            c0[bad] = np.where(np.isfinite(c0[bad]), c0[bad], s0)
    out[..., 0, 0] = c1
    out[..., 0, 1] = -c0
    out[..., 1, 0] = 1.0
    return out


def _scaled_coefficients(m: Method, a: Any, b: Any, hh: Any) -> tuple[Any, Any]:
    r"""``(c1, c0)`` of a method with a look-ahead ``gamma`` where ``alpha h`` (or a product with it)
    overflows: :math:`c_1 = 1 + \beta - g(1 + \gamma)`, :math:`c_0 = \beta - g\gamma` with
    :math:`g = \alpha h` kept as a mantissa and a binary exponent (as is :math:`\gamma`), each sum
    formed at the scale of its largest term and scaled back once: an entry is the representable value
    or the infinity of its sign, never NaN (``inf - inf``) nor ``inf`` for a tiny entry (Nesterov's
    ``beta (1 - alpha h)`` at ``beta = 5e-324`` is ``-8.9e-16``)."""
    assert m.gamma is not None
    bb = b if m.uses_beta else np.zeros_like(b)
    gam = m.gamma(bb)
    gam = np.broadcast_to(gam.to_float() if isinstance(gam, DD) else np.asarray(gam, dtype=np.float64), bb.shape)
    ma, ea = np.frexp(a)
    mh, eh = np.frexp(hh)
    mg, eg = np.frexp(gam)
    mgh, e = ma * mh, (ea + eh).astype(np.int64)  # g = mgh 2**e, exact
    with np.errstate(over="ignore", under="ignore"):
        # c1 = 1 + beta - g (1 + gamma): 1 + gamma rounded once (exact for gamma in [-2, -0.5]),
        # so that g and g gamma cancel where they should (general(-1): c1 = 1 + beta)
        m1, e1 = np.frexp(1.0 + gam)
        e1 = e + e1
        c1 = np.where(m1 == 0.0, 1.0 + bb, np.ldexp(np.ldexp(1.0 + bb, -e1) - mgh * m1, e1))
        e0 = e + eg  # g gamma = mgh mg 2**e0
        c0 = np.ldexp(np.ldexp(bb, -e0) - mgh * mg, e0)
    return c1, c0


def eigenvalues(alpha: Any, beta: Any, h: Any, method: str | Method = "heavy_ball") -> Any:
    r"""The two eigenvalues of :math:`A(\alpha, \beta, h)`, as complex numbers.

    Parameters
    ----------
    alpha, beta, h : float or array_like
        As in :func:`spectral_radius`; broadcast together to a shape ``S``.
    method : str, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    numpy.ndarray
        Complex array of shape ``S + (2,)``: the root of larger modulus first (for complex roots,
        the one with positive imaginary part first). Computed from the accurate characteristic
        coefficients: the larger real root as :math:`(c_1 + \operatorname{sign}(c_1)\sqrt{D})/2`
        and the other as :math:`c_0` divided by it (no cancellation), complex roots as
        :math:`(c_1 \pm i\sqrt{-D})/2`.

    Examples
    --------
    >>> from hbtheory.spectral import eigenvalues
    >>> eigenvalues(0.5, 0.25, 1.0)      # between the critical curves: complex, modulus sqrt(beta)
    array([0.375+0.33071891j, 0.375-0.33071891j])
    >>> eigenvalues(1.5, 0.0, 1.0, method="gradient_descent")
    array([-0.5+0.j,  0. +0.j])
    """
    m, a, b, hh = check_method_params(method, alpha, beta, h)
    # exact_disc: sqrt|D| is a root's real or imaginary part, so D must be accurate to a few ulps
    # of itself, not only in sign (near a critical curve the float64 D lost up to 9e5 eps)
    c1, c0, disc = _kernel.characteristic(m, a, b, hh, exact_disc=True)
    sq, real = _kernel.sqrt_abs_disc(c1, c0, disc)
    c0 = _accurate_c0(m, a, b, hh, c0)
    out = np.empty((*c1.shape, 2), dtype=np.complex128)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # c1 / 2 + sign(c1) sqrt(D) / 2 without overflowing when both halves are near the float64 limit
        big = 0.5 * c1 + np.copysign(0.5 * sq, c1)
        small = np.where(big != 0.0, c0 / np.where(big != 0.0, big, 1.0), 0.0)
    out[..., 0] = np.where(real, big, 0.5 * c1 + 0.5j * sq)
    out[..., 1] = np.where(real, small + 0.0, 0.5 * c1 - 0.5j * sq)  # + 0.0 turns -0.0 into 0.0
    return out


def _accurate_c0(m: Method, a: Any, b: Any, hh: Any, c0: Any) -> Any:
    """``c0`` rounded once from double-double where that is finite (the kernel's ``c0`` is accurate
    only where it decides rho, and the small real root ``c0 / big`` needs it: ``general(0.3)`` at
    ``c0 = 1 - 0.9993`` lost 178 eps); the kernel's value elsewhere (``alpha h`` beyond float64)."""
    a, b, hh = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float), np.asarray(hh, float))
    with np.errstate(all="ignore"):
        dd = DD._lift(m.c0(DD(a), DD(b), DD(hh)))
        acc = np.broadcast_to(np.asarray(dd.to_float() if isinstance(dd, DD) else dd, dtype=np.float64), a.shape)
    return np.where(np.isfinite(acc), acc, c0)
