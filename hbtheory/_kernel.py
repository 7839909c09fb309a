r"""Numerical kernel: accurate characteristic coefficients, spectral radius and Lucas sequences.

Everything numeric in hbtheory reduces to the polynomial :math:`z^2 - c_1 z + c_0` of
:mod:`hbtheory.methods`. This module evaluates it so that the results are accurate to a few
units in the last place *at the given float64 inputs*, including on the critical-damping curves
:math:`D = c_1^2 - 4 c_0 = 0` where the roots are ill-conditioned.

Why double-double is needed near the curves
-------------------------------------------
At a double root the roots move like :math:`\sqrt{D}`. A float64 evaluation of
:math:`c_1 = 1 + \beta - \alpha h` carries an absolute error of about
:math:`\epsilon (1 + \beta + \alpha h)`, so :math:`D` carries an absolute error of order
:math:`\epsilon c_1^2` and :math:`\sqrt{D}` one of order :math:`\sqrt{\epsilon}\,|c_1|`: half the
digits of :math:`\rho` are lost within :math:`D \approx 10^{-8}` of a curve. Evaluating
:math:`c_1`, :math:`c_0` and :math:`D` in double-double arithmetic (the *same* coefficient
functions, on :class:`hbtheory._dd.DD` numbers) makes :math:`D` accurate to about
:math:`10^{-32} c_1^2`. Where even that leaves fewer than 53 correct bits
(:math:`|D| < 2^{-50} (c_1^2 + 4|c_0|)`: within about 1e-15 of a curve, including points put
"on" a curve by a float64 formula and the exact double roots such as
``beta = 0.25, alpha*h = 0.25``) the three numbers are recomputed exactly in rational arithmetic,
so ``disc`` is then correctly rounded and ``disc == 0.0`` holds exactly when the float64 inputs
sit on a curve.

The double-double path only runs where a first-order error bound of the float64 path says it is
needed (:data:`ROUTE_TOL`), and where :math:`\rho` is so close to 1 that the bound cannot decide
on which side of 1 it lies. There :math:`\rho` itself is formed in double-double and rounded
once, so it is faithfully rounded: ``rho < 1``, ``rho == 1`` and ``rho > 1`` are decided
exactly for every input (the method converges on that direction iff ``rho < 1``, up to points
whose :math:`1 - \rho` is below the float64 resolution of :math:`\rho` near 1).

The Lucas sequence
------------------
By Cayley-Hamilton, :math:`A^t = p_t A - c_0 p_{t-1} I` with
:math:`p_{t+1} = c_1 p_t - c_0 p_{t-1}`, :math:`p_0 = 0`, :math:`p_1 = 1` (the Lucas sequence
:math:`U_t(c_1, c_0)`), and :math:`p_t(-c_1, c_0) = (-1)^{t-1} p_t(c_1, c_0)`. With
:math:`\rho` the spectral radius and :math:`c_1 \ge 0` after that reflection,
:math:`p_t = \rho^{t-1} u_t` where :func:`lucas_unit` evaluates :math:`u_t` in closed form,
vectorised over ``t`` and free of cancellation near the double root:

* real roots :math:`\rho = \lambda_b > |\lambda_s|`, ratio :math:`q = \lambda_s/\lambda_b = c_0/\rho^2`
  with :math:`1 - q = \sqrt{D}/\rho` exactly: :math:`u_t = (1 - q^t)/(1 - q)`, where
  :math:`1 - q^t` goes through ``expm1``/``log1p``;
* a double root :math:`\lambda = c_1/2`: :math:`u_t = t`;
* complex roots :math:`\rho e^{\pm i\theta}`, :math:`\theta = \operatorname{atan2}(\sqrt{-D}, |c_1|)
  \in (0, \pi/2]`: :math:`u_t = \sin(t\theta)/\sin\theta`, :math:`\sin\theta = \sqrt{-D}/(2\rho)`.
  Taking :math:`|c_1|` keeps :math:`\theta` away from :math:`\pi`, and for :math:`\theta > \pi/4`
  the phase is formed from :math:`\varphi = \pi/2 - \theta = \operatorname{atan2}(|c_1|, \sqrt{-D})`
  as :math:`\sin(t\pi/2)\cos(t\varphi) - \cos(t\pi/2)\sin(t\varphi)` with exact
  :math:`\sin(t\pi/2), \cos(t\pi/2)`: the phase error is then at most about
  :math:`t\epsilon\min(\theta, \varphi)`, and :math:`\sin(t\theta)` stays accurate where
  :math:`t\theta` is close to a multiple of :math:`\pi/2` (small :math:`\rho`, :math:`c_1 \approx 0`).

In every case :math:`|u_t| \le t`, and :math:`u_t` carries an absolute error of order
:math:`t\epsilon/\sin\theta` (complex) or a relative one of order :math:`t\epsilon` (real) from the
one rounding of :math:`c_1, c_0`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from hbtheory._dd import DD, dd_sqrt, dd_where
from hbtheory.methods import Method

Arr = NDArray[np.float64]
EPS = float(np.finfo(np.float64).eps)

#: Largest relative error of rho that the float64 path may have (by its first-order error bound)
#: before a point is recomputed in double-double. The bound below over-estimates by a small
#: factor, so the float64 path is left with errors of a few 1e-15 at most.
ROUTE_TOL = 1e-14

# Methods whose c0 is computed exactly in float64 (c0 = beta or 0): their complex branch
# rho = sqrt(c0) needs no re-evaluation.
_EXACT_C0 = frozenset({"heavy_ball", "gradient_descent"})

# Beyond this size of (1 + |beta|)(1 + |alpha h|) the roots are real and far apart, so the
# float64 path is accurate; double-double would overflow in Veltkamp's split (2**996).
_HUGE = 2.0**500

# Below this |D| / (c1^2 + 4|c0|) the double-double discriminant (absolute error ~2**-104 of that
# scale) may have fewer than 53 correct bits: recompute exactly with fractions (rare, per point).
_EXACT_DISC_TOL = 2.0**-50

# Kinds of root pair (:func:`lucas_params`).
REAL, DOUBLE, COMPLEX, NILPOTENT = 0, 1, 2, 3


class Char(NamedTuple):
    """Characteristic coefficients ``z^2 - c1 z + c0`` and discriminant ``disc = c1^2 - 4 c0``.

    Each is the float64 nearest (to within an ulp or two) to the exact value at the float64
    inputs, including ``disc`` near zero.
    """

    c1: Arr
    c0: Arr
    disc: Arr


class _Accurate(Char):
    """What :func:`characteristic` returns: a :class:`Char` that also carries ``rho``.

    ``rho`` is rounded once from double-double on the routed points, which float64 ``c1``,
    ``c0``, ``disc`` alone cannot reproduce. :func:`radius` uses it when present; a :class:`Char`
    built by hand (or by ``_replace``) falls back to the float64 formula.
    """

    rho: Arr


def _radius_from(c1: Arr, c0: Arr, disc: Arr) -> Arr:
    abs_c1 = np.abs(c1)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        real = 0.5 * (abs_c1 + np.sqrt(np.maximum(disc, 0.0)))
        big = abs_c1 > _HUGE
        if np.any(big):
            # c1**2 may have overflowed: rho = |c1| (1 + sqrt(1 - 4 c0 / c1^2)) / 2.
            x = 4.0 * (c0 / np.where(big, c1, 1.0)) / np.where(big, c1, 1.0)
            real = np.where(big, 0.5 * abs_c1 * (1.0 + np.sqrt(np.maximum(1.0 - x, 0.0))), real)
        cplx = np.sqrt(np.maximum(c0, 0.0))
    return np.where(disc >= 0.0, real, cplx)


def _broadcast(alpha: Any, beta: Any, h: Any) -> tuple[Arr, Arr, Arr]:
    a, b, hh = np.broadcast_arrays(
        np.asarray(alpha, dtype=np.float64), np.asarray(beta, dtype=np.float64), np.asarray(h, dtype=np.float64)
    )
    return a, b, hh


def _float_coefficients(method: Method, a: Arr, b: Arr, hh: Arr) -> Char:
    shape = a.shape
    with np.errstate(over="ignore", invalid="ignore"):
        c1 = np.array(np.broadcast_to(method.c1(a, b, hh), shape), dtype=np.float64)
        c0 = np.array(np.broadcast_to(method.c0(a, b, hh), shape), dtype=np.float64)
        disc = np.array(c1 * c1 - 4.0 * c0, dtype=np.float64)
    finite = np.isfinite(c1) & np.isfinite(c0)
    if not finite.all():
        i = tuple(int(k) for k in np.argwhere(~finite)[0]) if shape else ()
        raise ValueError(
            f"`alpha * h` overflows float64 in the coefficients of '{method.name}', "
            f"got alpha = {float(a[i])!r}, h = {float(hh[i])!r}"
        )
    return Char(c1, c0, disc)


def _fast_path(method: Method, a: Arr, b: Arr, hh: Arr, exact_disc: bool) -> tuple[Char, Arr, NDArray[np.bool_]]:
    """Float64 coefficients, float64 rho and the mask of points to recompute in double-double.

    A point is routed when the first-order error bound of the float64 rho exceeds
    :data:`ROUTE_TOL` relative (with ``exact_disc``: when that of ``disc`` does, as the Lucas
    sequence's phase depends on ``sqrt(-disc)``), or when 1 lies within a few times that bound
    of rho (so that the side of 1 is decided exactly).
    """
    ch = _float_coefficients(method, a, b, hh)
    c1, c0, disc = ch
    # First-order error bound of the float64 path (a safety factor of about 2 is built in).
    with np.errstate(over="ignore"):
        scale1 = (1.0 + np.abs(b)) * (1.0 + np.abs(a * hh))
        d_c1 = 4.0 * EPS * scale1
        d_c0 = 0.0 if method.name in _EXACT_C0 else 4.0 * EPS * scale1
        d_disc = 4.0 * EPS * (np.abs(c1) * scale1 + c1 * c1 + 4.0 * np.abs(c0)) + 4.0 * d_c0
    rho = _radius_from(c1, c0, disc)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rel_real = (d_c1 + d_disc / (2.0 * np.sqrt(np.abs(disc)))) / (2.0 * rho)
        rel_cplx = d_c0 / (2.0 * np.abs(c0))
        rel = np.where(disc > d_disc, rel_real, np.where(disc < -d_disc, rel_cplx, np.inf))
        if exact_disc:
            rel = np.maximum(rel, (d_disc + 2.0 * np.abs(disc) * d_c0) / np.abs(disc))
        near_one = np.abs(rho - 1.0) <= 8.0 * rel * rho + 8.0 * EPS
    route = (~(rel <= ROUTE_TOL) | near_one) & (scale1 <= _HUGE)  # ~(<=) also catches NaN from 0/0
    return ch, rho, route


def _exact_fraction(x: Fraction) -> DD:
    hi = float(x)
    return DD(hi, float(x - Fraction(hi)))


def _dd_coefficients(method: Method, a: Arr, b: Arr, hh: Arr) -> tuple[DD, DD, DD]:
    """``(c1, c0, disc)`` in double-double at 1-d float64 inputs; exact near ``disc = 0``."""
    da, db, dh = DD(a), DD(b), DD(hh)
    c1 = method.c1(da, db, dh)
    c0 = method.c0(da, db, dh)
    c1 = c1 if isinstance(c1, DD) else DD(c1)
    c0 = c0 if isinstance(c0, DD) else DD(c0)
    c1 = DD(np.broadcast_to(c1.hi, a.shape).copy(), np.broadcast_to(c1.lo, a.shape).copy())
    c0 = DD(np.broadcast_to(c0.hi, a.shape).copy(), np.broadcast_to(c0.lo, a.shape).copy())
    disc = c1 * c1 - 4.0 * c0
    tiny = np.abs(disc.hi) <= _EXACT_DISC_TOL * (c1.hi * c1.hi + 4.0 * np.abs(c0.hi))
    for i in np.flatnonzero(tiny):
        fa, fb, fh = Fraction(float(a[i])), Fraction(float(b[i])), Fraction(float(hh[i]))
        f1, f0 = Fraction(method.c1(fa, fb, fh)), Fraction(method.c0(fa, fb, fh))
        for dd, value in ((c1, f1), (c0, f0), (disc, f1 * f1 - 4 * f0)):
            exact = _exact_fraction(value)
            dd.hi[i], dd.lo[i] = exact.hi, exact.lo
    return c1, c0, disc


def _dd_radius(c1: DD, c0: DD, disc: DD) -> Arr:
    real = (abs(c1) + dd_sqrt(disc)) * 0.5
    cplx = dd_sqrt(c0)
    return dd_where(disc.hi >= 0.0, real, cplx).to_float()


def characteristic(method: Method, alpha: Any, beta: Any, h: Any, *, exact_disc: bool = False) -> Char:
    """Accurate ``(c1, c0, disc)`` of ``method`` at validated, broadcastable float64 inputs.

    ``c1`` and ``c0`` are always accurate to an ulp or two where they decide rho. ``disc`` is
    accurate to about :data:`ROUTE_TOL` relative when ``exact_disc`` is set; otherwise only as
    far as rho needs (its sign near zero, its value where the roots are real). ``disc == 0.0``
    exactly when the inputs lie on a critical curve. The returned tuple also carries the
    spectral radius for :func:`radius` (faithfully rounded on the points recomputed in
    double-double, see the module notes).

    Raises ``ValueError`` if ``alpha * h`` overflows float64.
    """
    a, b, hh = _broadcast(alpha, beta, h)
    (c1, c0, disc), rho, route = _fast_path(method, a, b, hh, exact_disc)
    if route.any():
        c1_dd, c0_dd, disc_dd = _dd_coefficients(method, a[route], b[route], hh[route])
        c1[route] = c1_dd.to_float()
        c0[route] = c0_dd.to_float()
        disc[route] = disc_dd.to_float()
        rho[route] = _dd_radius(c1_dd, c0_dd, disc_dd)
    out = _Accurate(c1, c0, disc)
    out.rho = rho
    return out


def float64_characteristic(method: Method, alpha: Any, beta: Any, h: Any) -> Char:
    """``(c1, c0, disc)`` by the plain float64 formulas, never rerouted (benchmarks and tests)."""
    return _float_coefficients(method, *_broadcast(alpha, beta, h))


def routed_fraction(method: Method, alpha: Any, beta: Any, h: Any) -> float:
    """Fraction of points that :func:`characteristic` recomputes in double-double (benchmarks)."""
    a, b, hh = _broadcast(alpha, beta, h)
    _, _, route = _fast_path(method, a, b, hh, False)
    return float(route.mean()) if route.size else 0.0


def radius(ch: Char) -> Arr:
    """Spectral radius ``max |z|`` over the roots of ``z^2 - c1 z + c0``."""
    rho = getattr(ch, "rho", None)
    if isinstance(rho, np.ndarray):
        return rho
    return _radius_from(ch.c1, ch.c0, ch.disc)


class Lucas(NamedTuple):
    r"""Per-point constants of :math:`u_t = p_t(|c_1|, c_0) / \rho^{t-1}` (see the module notes).

    ``ls = c0 / rho`` (the smaller root for real roots; ``rho`` otherwise) and ``q = c0 / rho**2``
    (``1`` for complex and double roots) are the entries of
    :math:`A^t/\rho^t = \begin{pmatrix} u_{t+1} & -\ell_s u_t \\ u_t/\rho & -q u_{t-1} \end{pmatrix}`
    up to an orthogonal similarity ``diag(1, -1)`` when ``c1 < 0``. Fields of the branches a point
    does not use hold harmless values.
    """

    rho: Arr
    ls: Arr
    q: Arr
    kind: NDArray[np.int8]
    sign: Arr  # sign of c1 (+1 for c1 == 0)
    sqrt_disc: Arr  # sqrt|disc|, overflow-safe
    delta: Arr  # real: 1 - q
    log_absq: Arr  # real: log|q| (-1e300 for q == 0, so that 0 * log|q| == 0)
    q_neg: NDArray[np.bool_]  # real: q < 0
    theta: Arr  # complex: angle in (0, pi/2]; or, where theta > pi/4, pi/2 - theta
    complement: NDArray[np.bool_]  # complex: theta > pi/4, the field holds pi/2 - theta
    inv_sin: Arr  # complex: 1 / sin(theta)

    def take(self, index: Any) -> Lucas:
        """The constants at ``index`` (any numpy index) of every field."""
        return Lucas(*(np.asarray(f)[index] for f in self))


def lucas_params(ch: Char) -> Lucas:
    """The constants of :func:`lucas_unit` for the polynomials of ``ch`` (use ``exact_disc=True``)."""
    c1, c0, disc, rho = np.broadcast_arrays(ch.c1, ch.c0, ch.disc, radius(ch))
    c1a = np.abs(c1)
    kind = np.where(
        rho == 0.0, NILPOTENT, np.where(disc > 0.0, REAL, np.where(disc == 0.0, DOUBLE, COMPLEX))
    ).astype(np.int8)
    real, cplx = kind == REAL, kind == COMPLEX
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        safe_rho = np.where(rho > 0.0, rho, 1.0)
        sd = np.sqrt(np.abs(disc))
        # |disc| overflowed only for huge |c1|, where the real roots are far apart.
        sd = np.where(np.isfinite(sd), sd, rho - c0 / safe_rho)
        ls = np.where(real, c0 / safe_rho, rho)
        q = np.where(real, ls / safe_rho, 1.0)
        q_neg = real & (c0 < 0.0)
        delta = np.where(real, sd / safe_rho, 1.0)
        one_minus_absq = np.where(q_neg, c1a / safe_rho, delta)
        log_absq = np.where(
            real, np.where(one_minus_absq >= 1.0, -1e300, np.log1p(-np.minimum(one_minus_absq, 1.0))), 0.0
        )
        complement = cplx & (c1a < sd)  # theta > pi/4
        theta = np.where(cplx, np.where(complement, np.arctan2(c1a, sd), np.arctan2(sd, c1a)), 0.0)
        inv_sin = np.where(cplx, 2.0 * safe_rho / np.where(cplx, sd, 1.0), 0.0)
    sign = np.where(c1 < 0.0, -1.0, 1.0)
    return Lucas(rho, ls, q, kind, sign, sd, delta, log_absq, q_neg, theta, complement, inv_sin)


def lucas_unit(lp: Lucas, t: Any) -> Arr:
    r""":math:`u_t = p_t(|c_1|, c_0)/\rho^{t-1}` for whole ``t >= 0`` (as float64), broadcast against ``lp``.

    Meaningless for ``kind == NILPOTENT`` (``rho == 0``), which callers treat on their own.
    """
    tt = np.asarray(t, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        tl = tt * lp.log_absq
        odd = np.mod(tt, 2.0) == 1.0
        one_minus_qt = np.where(lp.q_neg & odd, 1.0 + np.exp(tl), -np.expm1(tl))
        real = one_minus_qt / lp.delta
        phase = tt * lp.theta
        quarter = np.mod(tt, 4.0)  # sin(t pi/2), cos(t pi/2) exactly
        s4 = np.where(quarter == 1.0, 1.0, np.where(quarter == 3.0, -1.0, 0.0))
        c4 = np.where(quarter == 0.0, 1.0, np.where(quarter == 2.0, -1.0, 0.0))
        sin_t = np.where(lp.complement, s4 * np.cos(phase) - c4 * np.sin(phase), np.sin(phase))
        cplx = sin_t * lp.inv_sin
    # u_1 = 1 exactly, whatever the rounding of the closed forms.
    out: Arr = np.where(tt == 1.0, 1.0, np.where(lp.kind == REAL, real, np.where(lp.kind == COMPLEX, cplx, tt)))
    return out


def lucas_u(ch: Char, t: Any) -> Arr:
    """``p_t = U_t(c1, c0)`` for integer ``t >= 0``, broadcast against ``ch`` (see module docs).

    Overflows to ``inf`` (never NaN) where ``|p_t|`` exceeds the float64 range.
    """
    lp = lucas_params(ch)
    tt = np.asarray(t, dtype=np.float64)
    u = lucas_unit(lp, tt)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        scale = np.power(np.where(lp.kind == NILPOTENT, 1.0, lp.rho), tt - 1.0)
        sign = np.where((lp.sign < 0.0) & (np.mod(tt - 1.0, 2.0) == 1.0), -1.0, 1.0)
        p = np.where(u == 0.0, 0.0, sign * scale * u)
    out: Arr = np.where(lp.kind == NILPOTENT, np.where(tt == 1.0, 1.0, 0.0), p)
    return out
