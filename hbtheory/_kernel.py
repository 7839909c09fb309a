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
:math:`10^{-32} c_1^2`, so :math:`\sqrt{D}` is accurate to about :math:`10^{-16}|c_1|`.

The double-double path only runs where a first-order error bound of the float64 path says it is
needed (:data:`ROUTE_TOL`); elsewhere the plain float64 formulas are already accurate.

The Lucas sequence
------------------
By Cayley-Hamilton, :math:`A^t = p_t A - c_0 p_{t-1} I` with
:math:`p_{t+1} = c_1 p_t - c_0 p_{t-1}`, :math:`p_0 = 0`, :math:`p_1 = 1` (the Lucas sequence
:math:`U_t(c_1, c_0)`). :func:`lucas_u` evaluates it in closed form, vectorised over ``t``, in a
form free of cancellation near the double root:

* real roots :math:`\lambda_b` (larger modulus) and :math:`\lambda_s = c_0/\lambda_b`, ratio
  :math:`q = \lambda_s/\lambda_b`, with :math:`1 - q = \sqrt{D}/|\lambda_b|` exactly:
  :math:`p_t = \lambda_b^{t-1} (1 - q^t)/(1 - q)` and :math:`1 - q^t` through ``expm1``/``log1p``;
* a double root :math:`\lambda = c_1/2`: :math:`p_t = t \lambda^{t-1}`;
* complex roots :math:`r e^{\pm i\theta}`, :math:`r = \sqrt{c_0}`,
  :math:`\theta = \operatorname{atan2}(\sqrt{-D}, c_1)`:
  :math:`p_t = 2 r^t \sin(t\theta)/\sqrt{-D}`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from hbtheory._dd import DD
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


class Char(NamedTuple):
    """Characteristic coefficients ``z^2 - c1 z + c0`` and discriminant ``disc = c1^2 - 4 c0``.

    Each is the float64 nearest (to within an ulp or two) to the exact value at the float64
    inputs, including ``disc`` near zero.
    """

    c1: Arr
    c0: Arr
    disc: Arr


def _radius_from(c1: Arr, c0: Arr, disc: Arr) -> Arr:
    with np.errstate(invalid="ignore"):
        real = 0.5 * (np.abs(c1) + np.sqrt(np.maximum(disc, 0.0)))
        cplx = np.sqrt(np.maximum(c0, 0.0))
    return np.where(disc >= 0.0, real, cplx)


def _broadcast(alpha: Any, beta: Any, h: Any) -> tuple[Arr, Arr, Arr]:
    a, b, hh = np.broadcast_arrays(
        np.asarray(alpha, dtype=np.float64), np.asarray(beta, dtype=np.float64), np.asarray(h, dtype=np.float64)
    )
    return a, b, hh


def _fast_path(method: Method, a: Arr, b: Arr, hh: Arr, exact_disc: bool) -> tuple[Char, NDArray[np.bool_]]:
    """Float64 coefficients and the mask of points whose error bound exceeds :data:`ROUTE_TOL`.

    With ``exact_disc`` the bound is on the relative error of ``disc`` itself (needed by the
    Lucas sequence, whose phase depends on ``sqrt(-disc)``); otherwise on that of rho only.
    """
    shape = a.shape
    c1 = np.array(np.broadcast_to(method.c1(a, b, hh), shape), dtype=np.float64)
    c0 = np.array(np.broadcast_to(method.c0(a, b, hh), shape), dtype=np.float64)
    disc = np.array(c1 * c1 - 4.0 * c0, dtype=np.float64)
    # First-order error bound of the float64 path (a safety factor of about 2 is built in).
    scale1 = (1.0 + np.abs(b)) * (1.0 + np.abs(a * hh))
    d_c1 = 4.0 * EPS * scale1
    d_c0 = 0.0 if method.name in _EXACT_C0 else 4.0 * EPS * scale1
    d_disc = 4.0 * EPS * (np.abs(c1) * scale1 + c1 * c1 + 4.0 * np.abs(c0)) + 4.0 * d_c0
    rho = _radius_from(c1, c0, disc)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel_real = (d_c1 + d_disc / (2.0 * np.sqrt(np.abs(disc)))) / (2.0 * rho)
        rel_cplx = d_c0 / (2.0 * np.abs(c0))
    rel = np.where(disc > d_disc, rel_real, np.where(disc < -d_disc, rel_cplx, np.inf))
    if exact_disc:
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.maximum(rel, (d_disc + 2.0 * np.abs(disc) * d_c0) / np.abs(disc))
    route = ~(rel <= ROUTE_TOL)  # also catches NaN from 0/0
    return Char(c1, c0, disc), route


def characteristic(method: Method, alpha: Any, beta: Any, h: Any, *, exact_disc: bool = False) -> Char:
    """Accurate ``(c1, c0, disc)`` of ``method`` at validated, broadcastable float64 inputs.

    ``c1`` and ``c0`` are always accurate to an ulp or two where they decide rho. ``disc`` is
    accurate to about :data:`ROUTE_TOL` relative when ``exact_disc`` is set; otherwise only as
    far as rho needs (its sign near zero, its value where the roots are real).
    """
    a, b, hh = _broadcast(alpha, beta, h)
    (c1, c0, disc), route = _fast_path(method, a, b, hh, exact_disc)
    if route.any():
        idx = route
        da, db, dh = DD(a[idx]), DD(b[idx]), DD(hh[idx])
        c1_dd = method.c1(da, db, dh)
        c0_dd = method.c0(da, db, dh)
        c1_dd = c1_dd if isinstance(c1_dd, DD) else DD(c1_dd)
        c0_dd = c0_dd if isinstance(c0_dd, DD) else DD(c0_dd)
        disc_dd = c1_dd * c1_dd - 4.0 * c0_dd
        c1[idx] = c1_dd.to_float()
        c0[idx] = c0_dd.to_float()
        disc[idx] = disc_dd.to_float()
    return Char(c1, c0, disc)


def routed_fraction(method: Method, alpha: Any, beta: Any, h: Any) -> float:
    """Fraction of points that :func:`characteristic` recomputes in double-double (benchmarks)."""
    a, b, hh = _broadcast(alpha, beta, h)
    _, route = _fast_path(method, a, b, hh, False)
    return float(route.mean()) if route.size else 0.0


def radius(ch: Char) -> Arr:
    """Spectral radius ``max |z|`` over the roots of ``z^2 - c1 z + c0``."""
    return _radius_from(ch.c1, ch.c0, ch.disc)


def lucas_u(ch: Char, t: Any) -> Arr:
    """``p_t = U_t(c1, c0)`` for integer ``t >= 0``, broadcast against ``ch`` (see module docs)."""
    tt = np.asarray(t, dtype=np.float64)
    c1, c0, disc = np.broadcast_arrays(ch.c1, ch.c0, ch.disc)
    c1, c0, disc, tt = np.broadcast_arrays(c1, c0, disc, tt)
    out = np.empty(tt.shape, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        real = disc > 0.0
        if real.any():
            C1, C0, Dd, T = c1[real], c0[real], disc[real], tt[real]
            sq = np.sqrt(Dd)
            lam_b = 0.5 * (C1 + np.copysign(sq, C1))
            lam_s = C0 / lam_b
            abs_b = np.abs(lam_b)
            delta = sq / abs_b  # 1 - q, exactly in real arithmetic
            q_nonneg = lam_s * lam_b >= 0.0
            # 1 - |q|: equal to delta when q >= 0; |c1| / |lam_b| when the roots have opposite signs
            one_minus_absq = np.where(q_nonneg, delta, np.abs(C1) / abs_b)
            log_absq = np.log1p(-one_minus_absq)
            odd = np.mod(T, 2.0) == 1.0
            positive_power = q_nonneg | ~odd  # q^t = |q|^t
            one_minus_qt = np.where(positive_power, -np.expm1(T * log_absq), 1.0 + np.exp(T * log_absq))
            sign = np.where((lam_b < 0.0) & (np.mod(T - 1.0, 2.0) == 1.0), -1.0, 1.0)
            out[real] = sign * abs_b ** (T - 1.0) * (one_minus_qt / delta)
        double = disc == 0.0
        if double.any():
            lam = 0.5 * c1[double]
            T = tt[double]
            vals = T * np.power(lam, np.maximum(T - 1.0, 0.0))
            out[double] = np.where(T == 0.0, 0.0, vals)
        cplx = disc < 0.0
        if cplx.any():
            C1, C0, Dd, T = c1[cplx], c0[cplx], disc[cplx], tt[cplx]
            s = np.sqrt(-Dd)
            theta = np.arctan2(s, C1)
            r = np.sqrt(C0)
            out[cplx] = 2.0 * r**T * np.sin(T * theta) / s
    return out
