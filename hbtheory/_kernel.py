r"""Numerical kernel: accurate characteristic coefficients, spectral radius and Lucas sequences.

Everything numeric in hbtheory reduces to the polynomial :math:`z^2 - c_1 z + c_0` of
:mod:`hbtheory.methods`. This module evaluates it so that the spectral radius is accurate to
:data:`ROUTE_TOL` = 1e-14 relative (measured: at most 40 ulps, median 0.3) *at the given float64
inputs*, including on the critical-damping curves :math:`D = c_1^2 - 4 c_0 = 0` where the roots
are ill-conditioned, and :math:`1 - \rho` (:func:`gap`) to about 1e-16 relative near 1.

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
needed (:data:`ROUTE_TOL`), and where :math:`\rho` is so close to 1 that the
bound cannot decide on which side of 1 it lies. There :math:`\rho` itself is formed in
double-double and rounded once, so it is faithfully rounded: ``rho < 1``, ``rho == 1`` and
``rho > 1`` are decided exactly for every input (the method converges on that direction iff
``rho < 1``, up to points whose :math:`1 - \rho` is below the float64 resolution of :math:`\rho`
near 1). Whether a point is routed depends on that point alone, so a batched call gives the same
bits as a loop over its points.

Two bounds can certify a float64 point, and one suffices: the method's own
:attr:`~hbtheory.methods.Method.error_bounds` (a worst case over all inputs with the same
``sigma``; for heavy ball and gradient descent a window on :math:`D`, see the notes at
:func:`_route`), and the running error bound of that point's own evaluation
(:class:`_Rounding`, Higham's running error analysis; up to 8x tighter, e.g. for Nesterov next to
``alpha h = 1``). No method is looked up by name. A user-defined :class:`~hbtheory.methods.Method`
with ``error_bounds=None`` has only the running bound, and if its coefficients use more than
``+``, ``-`` and ``*`` every point takes the accurate path.

Big grids
---------
:func:`characteristic` materialises ``c1``, ``c0`` and ``disc`` and a dozen temporaries of the
broadcast shape. :func:`spectral_radius` returns the same values as
``radius(characteristic(...))`` without them: the float64 formula runs block by block in numpy
with a few 256 KiB buffers (pure Python: the package has no compiled code), and only candidate
points (about 1% of the benchmark grid for every member of the family) go on to the exact routing
test and double-double. The candidates must contain every point the routing test routes. For
heavy ball (exact ``c0``) the blocks test a window on ``disc``. For a method with an inexact ``c0``
on an ``(alpha h) x beta`` grid they test nothing: the candidates are intervals of ``alpha h`` per
``beta`` (:func:`_grid_candidates`, notes before it), from the discriminant's closed form in
``alpha h`` and the running error bound of the method's own evaluation at the intervals' ends, so
each point costs only the formula (one square root). Other layouts test per-column bounds of the
running error bound, derived by evaluating the method's coefficient functions on :class:`_Axis`
numbers (see the notes before :class:`_Axis`; no method is looked up by name). A grid's row of
``beta`` goes through :attr:`~hbtheory.methods.Method.coefficients_at` once (Triple Momentum's
``gamma(beta)`` once per row, not per block). Peak memory is the result plus a few blocks
(``benchmarks/spectral_speed.py`` measures time and memory for every method of the family).

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

import functools
import inspect
import weakref
from collections.abc import Callable
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from hbtheory._dd import DD, dd_add_positive, dd_div, dd_sqrt
from hbtheory.methods import Method

Arr = NDArray[np.float64]
EPS = float(np.finfo(np.float64).eps)

#: Largest relative error of rho that the float64 path may have (by its first-order error bound)
#: before a point is recomputed in double-double.
ROUTE_TOL = 1e-14

# The float64 error bounds of a method's coefficients are a field of the method,
# :attr:`hbtheory.methods.Method.error_bounds` = ``(product, k1, k0)``: ``|c1 - fl(c1)| <= k1 eps sigma``
# and ``|c0 - fl(c0)| <= k0 eps sigma`` to first order, with ``sigma = (1 + |beta|)(1 + |alpha h|)``
# when ``product`` else ``1 + |beta| + |alpha h|`` (derived, and tested against exact rationals, in
# :mod:`hbtheory.methods`). ``None`` (a user-defined method whose rounding is unknown): every
# point takes the accurate path (double-double, exact rationals next to a curve).

# Multiplies every first-order bound: covers the second-order terms and the roundings of the
# bounds' own evaluation, with room to spare.
_SLACK = 1.01

# Beyond this size of (1 + |beta|)(1 + |alpha h|) the roots are real and far apart, so the
# float64 path is accurate; double-double would overflow in Veltkamp's split (2**996).
_HUGE = 2.0**500

# Below this |D| / (c1^2 + 4|c0|) the double-double discriminant (absolute error ~2**-104 of that
# scale) may have fewer than 53 correct bits: recompute exactly with fractions (rare, per point).
_EXACT_DISC_TOL = 2.0**-50

# Elements per block of :func:`spectral_radius`: its few block-sized buffers stay in the L2 cache
# (256 KiB each) while the numpy calls per block stay few enough not to dominate.
_BLOCK = 32768

# Elements per block when the blocks compute rho alone (a grid with windows, :func:`_grid_candidates`):
# fewer buffers, so larger blocks (fewer numpy calls) still stay in a 1 MiB L2 cache; measured
# best of 32768..10**6 on the benchmark grid (benchmarks/spectral_speed.py).
_BARE_BLOCK = 98304

# Candidates of :func:`spectral_radius` routed at a time (bounds the routing's temporaries).
_CHUNK = 65536

# Up to this many points :func:`spectral_radius` takes :func:`characteristic`'s path (the same
# values): the blocks' fixed cost is not worth it.
_SMALL = 64

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
    """``max(|c1| + sqrt(disc), 2 sqrt(c0)) / 2``: both branches of rho in one expression.

    For real roots (``disc >= 0``) the larger modulus is ``(|c1| + sqrt(disc)) / 2``, which is at
    least ``sqrt(c0)`` when ``c0 >= 0`` (the product of the roots); for complex roots
    ``sqrt(disc)`` is NaN and ``fmax`` returns ``sqrt(c0)``; for ``c0 < 0`` it is ``sqrt(c0)``
    that is NaN. :func:`spectral_radius` evaluates the same operations block by block.
    """
    abs_c1 = np.abs(c1)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        rho = 0.5 * np.fmax(abs_c1 + np.sqrt(disc), 2.0 * np.sqrt(c0))
        big = abs_c1 > _HUGE
        if np.any(big):
            # c1**2 may have overflowed: rho = |c1| (1 + sqrt(1 - 4 c0 / c1^2)) / 2.
            x = 4.0 * (c0 / np.where(big, c1, 1.0)) / np.where(big, c1, 1.0)
            rho = np.where(big, 0.5 * abs_c1 * (1.0 + np.sqrt(np.maximum(1.0 - x, 0.0))), rho)
    out: Arr = np.asarray(rho, dtype=np.float64)
    return out


def sqrt_abs_disc(c1: Arr, c0: Arr, disc: Arr) -> tuple[Arr, NDArray[np.bool_]]:
    """``(sqrt|D|, D >= 0)`` for ``D = c1^2 - 4 c0``, also where ``D`` itself overflows float64.

    ``disc`` is the accurate discriminant of :func:`characteristic`; where it is not finite, or
    ``c1`` or ``c0`` are beyond ``2**500`` (``c1^2`` may have overflowed), the coefficients are
    scaled by a power of two ``k`` near ``max(|c1|, sqrt|c0|)`` (exact), the discriminant is formed
    from the scaled ones (no overflow; far from zero there, so its rounding is harmless) and its
    root scaled back: ``sqrt|D| = k sqrt|c1^2/k^2 - 4 c0/k^2|``, ``inf`` only if that overflows.
    """
    c1, c0, disc = np.broadcast_arrays(np.asarray(c1, float), np.asarray(c0, float), np.asarray(disc, float))
    with np.errstate(over="ignore", invalid="ignore"):
        sq = np.array(np.sqrt(np.abs(disc)), dtype=np.float64, ndmin=0)
        real = np.array(disc >= 0.0)
        big = ~np.isfinite(disc) | (np.abs(c1) > _HUGE) | (np.abs(c0) > _HUGE)
    if np.any(big):
        b1, b0 = c1[big], c0[big]
        k = np.ldexp(1.0, np.frexp(np.maximum(np.abs(b1), np.sqrt(np.abs(b0))))[1] - 1)  # |c1| / k < 2
        s1, s0 = b1 / k, (b0 / k) / k
        ds = s1 * s1 - 4.0 * s0
        with np.errstate(over="ignore"):
            sq[big] = np.sqrt(np.abs(ds)) * k
        real[big] = ds >= 0.0
    out_sq: Arr = sq
    return out_sq, real


def _broadcast(alpha: Any, beta: Any, h: Any) -> tuple[Arr, Arr, Arr]:
    a, b, hh = np.broadcast_arrays(
        np.asarray(alpha, dtype=np.float64), np.asarray(beta, dtype=np.float64), np.asarray(h, dtype=np.float64)
    )
    return a, b, hh


def _coefficients(method: Method, a: Any, b: Any, hh: Any) -> tuple[Any, Any]:
    """``(c1, c0)`` of ``method`` on float64 arrays or :class:`_Rounding` numbers: by
    :attr:`~hbtheory.methods.Method.coefficients_at` where the method has it (the same bits, the
    work of ``beta`` alone once), else ``c1`` and ``c0``."""
    at = method.coefficients_at
    if at is not None:
        c1, c0 = at(b)(a, hh)
        return c1, c0
    return method.c1(a, b, hh), method.c0(a, b, hh)


def _float_coefficients(method: Method, a: Arr, b: Arr, hh: Arr) -> Char:
    shape = a.shape
    with np.errstate(over="ignore", invalid="ignore"):
        f1, f0 = _coefficients(method, a, b, hh)
        c1 = np.array(np.broadcast_to(f1, shape), dtype=np.float64)
        c0 = np.array(np.broadcast_to(f0, shape), dtype=np.float64)
        disc = np.array(c1 * c1 - 4.0 * c0, dtype=np.float64)
    finite = np.isfinite(c1) & np.isfinite(c0)
    if not finite.all():
        i = tuple(int(k) for k in np.argwhere(~finite)[0]) if shape else ()
        raise ValueError(
            f"`alpha * h` overflows float64 in the coefficients of '{method.name}', "
            f"got alpha = {float(a[i])!r}, h = {float(hh[i])!r}"
        )
    return Char(c1, c0, disc)


# ------------------------------------------------------------------------------------------------
# Routing: which points the float64 formula leaves less accurate than ROUTE_TOL
# ------------------------------------------------------------------------------------------------
#
# The first-order error bounds of the float64 path, at a point with sigma as in Method.error_bounds:
#
# * e1 = k1 eps sigma, e0 = k0 eps sigma: of c1, c0 (each times _SLACK);
# * d_disc = 2 |c1| e1 + 4 e0 + (eps/2)(c1^2 + |disc|): of disc = fl(fl(c1 c1) - 4 c0);
# * real roots (disc > d_disc): |sqrt(disc) - sqrt(D)| <= d_disc / sqrt(disc), so with
#   s = sqrt(disc) and t = |c1| + s (= 2 rho) the relative error of rho is at most
#   rel = (e1 + d_disc / s) / t + eps;
# * complex roots (disc < -d_disc): rho = sqrt(c0), relative error e0 / (2 c0) + eps / 2;
# * |disc| <= d_disc: the kind of root pair is uncertain.
#
# For the methods whose c0 is exact (heavy ball, gradient descent) the test that routes is a
# window on disc alone, -tau sigma^2 <= disc < theta sigma^2 (:func:`_window_rule`): a few cheap
# passes, and a point's decision depends on that point only. Bounding e1 s + 2 |c1| e1 <= 2 e1 t
# and c1^2 + disc <= t^2 in rel (t = |c1| + s, |c1| <= sigma) gives
#     rel / eps <= (2 SLACK^2 k1 + SLACK (1 + 4 eps) / 2) sigma / s + SLACK / 2 + 1,
# which is <= ROUTE_TOL / eps once s >= sigma / x, i.e. disc >= theta sigma^2 with
# theta = 1 / x^2; below -tau sigma^2 the roots are certainly complex and rho = sqrt(c0) is
# correctly rounded. (:func:`spectral_radius` first tests the same window with a sigma1 >= sigma
# that is cheaper to form on a grid, then this one on the points it keeps.) For Nesterov (inexact
# c0) the bound is evaluated as it stands (:func:`_tight_route`). Either way a point is also
# routed when rho is within 2**-43 (resp. four times its bound) of 1, so that rho < 1, == 1 and
# > 1 are decided exactly.


class _Rule(NamedTuple):
    """Routing test of a method: ``lower <= disc / sigma1^2 < upper`` (``window``), or the bound
    of :func:`_tight_route` with ``bounds`` (otherwise)."""

    window: bool
    product: bool
    lower: float
    upper: float
    bounds: tuple[bool, float, float]


@functools.lru_cache(maxsize=64)
def _make_rule(bounds: tuple[bool, float, float]) -> _Rule:
    """The routing constants of a method with these error bounds (see the notes above)."""
    product, k1, k0 = bounds
    if k0:
        return _Rule(False, product, 0.0, 0.0, bounds)  # see _Superset for the blocks' test
    budget = ROUTE_TOL / EPS - 1.0 - 0.5 * _SLACK
    x = budget / (2.0 * _SLACK**2 * k1 + 0.5 * _SLACK * (1.0 + 4.0 * EPS))  # sigma1 / s at the edge
    theta = 1.001 / (x * x)
    tau = 2.0 * _SLACK * EPS * (2.0 * _SLACK * k1 + 1.0)
    return _Rule(True, product, -tau, theta, bounds)


def _rule(method: Method) -> _Rule | None:
    """The routing test of ``method``, from its :attr:`~hbtheory.methods.Method.error_bounds`;
    ``None`` when they are unknown (every point then takes the accurate path)."""
    bounds = method.error_bounds
    if bounds is None:
        return None
    product, k1, k0 = bounds
    return _make_rule((bool(product), float(k1), float(k0)))


def _inverse_scale(rule: _Rule, a: Any, b: Any, hh: Any, bound: bool = False, beta_small: bool = False) -> Arr:
    """``1 / sigma^2``, with ``sigma = 1 + |beta| + |alpha h|`` (or the product, see ``Method.error_bounds``).

    With ``bound``, ``1 / sigma1^2`` for a ``sigma1 >= sigma`` that depends on ``alpha h`` alone
    when every ``|beta| <= 1`` (``beta_small``, validated input): ``1 + |beta|`` replaced by
    ``1 + max(|beta|, 1)``. Its window contains the window of ``sigma`` (all roundings are
    monotone), and on a grid it has the shape of one axis. The roundings of either, and those of
    ``disc`` times it, are far inside the 1.001 of ``theta`` and the factor 2 of ``tau``.
    """
    u = np.abs(np.multiply(a, hh))
    one_b: Any = (2.0 if beta_small else 1.0 + np.maximum(np.abs(b), 1.0)) if bound else 1.0 + np.abs(b)
    with np.errstate(over="ignore", under="ignore"):
        s = one_b * (1.0 + u) if rule.product else one_b + u
        inv: Arr = np.reciprocal(np.multiply(s, s, out=s if isinstance(s, np.ndarray) and s.ndim else None))
    return inv


def _window_rule(
    rule: _Rule, disc: Arr, inv_scale: Arr, tmp: Arr, tmp_mask: NDArray[np.bool_], out: NDArray[np.bool_]
) -> None:
    """``out = lower <= disc / sigma1^2 < upper`` (``tmp``, ``tmp_mask``: scratch of ``disc``'s shape)."""
    np.multiply(disc, inv_scale, out=tmp)
    np.less(tmp, rule.upper, out=out)
    np.greater_equal(tmp, rule.lower, out=tmp_mask)
    np.logical_and(out, tmp_mask, out=out)


def _near_one(t: Arr, tmp: Arr, tmp_mask: NDArray[np.bool_], out: NDArray[np.bool_]) -> None:
    """``out |= |t / 2 - 1| <= 2**-43``: then ``t + 2048`` rounds to exactly ``2050`` (``t`` is ``2 rho``)."""
    np.add(t, 2048.0, out=tmp)
    np.equal(tmp, 2050.0, out=tmp_mask)
    np.logical_or(out, tmp_mask, out=out)


def _sigma(bounds: tuple[bool, float, float], a: Arr, b: Arr, hh: Arr) -> tuple[Arr, Arr]:
    """``(e1, e0)`` of :attr:`Method.error_bounds` at every point (times :data:`_SLACK`)."""
    product, k1, k0 = bounds
    with np.errstate(over="ignore", invalid="ignore"):
        u = np.abs(a * hh)
        ab = np.abs(b)
        sigma = (1.0 + ab) * (1.0 + u) if product else 1.0 + ab + u
        return (_SLACK * k1 * EPS) * sigma, (_SLACK * k0 * EPS) * sigma


def _disc_error(e1: Arr, e0: Arr, ch: Char) -> Arr:
    """``d_disc``: the error bound of ``disc = fl(fl(c1 c1) - 4 c0)`` from those of ``c1``, ``c0``."""
    c1, _, disc = ch
    with np.errstate(over="ignore", invalid="ignore"):
        d_disc: Arr = _SLACK * (2.0 * np.abs(c1) * e1 + 4.0 * e0 + (0.5 * EPS) * (c1 * c1 + np.abs(disc)))
    return d_disc


def _disc_bound(bounds: tuple[bool, float, float], a: Arr, b: Arr, hh: Arr, ch: Char) -> tuple[Arr, Arr, Arr]:
    """``(e1, e0, d_disc)``: the error bounds of the notes above."""
    e1, e0 = _sigma(bounds, a, b, hh)
    return e1, e0, _disc_error(e1, e0, ch)


def _bound_route(e1: Arr, e0: Arr, ch: Char, rho: Arr) -> NDArray[np.bool_]:
    """Points whose float64 ``rho`` may be off by more than :data:`ROUTE_TOL` relative (or not
    certainly on one side of 1), given the error bounds ``e1``, ``e0`` of ``c1``, ``c0``."""
    c1, c0, disc = ch
    d_disc = _disc_error(e1, e0, ch)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        s = np.sqrt(disc)
        t = np.abs(c1) + s
        rel_real = (e1 + d_disc / s) / t + EPS
        rel_c0 = e0 / (2.0 * np.abs(c0)) + 0.5 * EPS
        # fmax picks sqrt(c0) over t / 2 only next to a double root; then both errors count.
        rel_real = np.where(2.0 * np.sqrt(c0) > t, np.maximum(rel_real, rel_c0), rel_real)
        rel = np.where(disc > d_disc, rel_real, np.where(disc < -d_disc, rel_c0, np.inf))
        near_one = np.abs(rho - 1.0) <= 4.0 * rel * rho + 2.0 * EPS
    route: NDArray[np.bool_] = ~(rel <= ROUTE_TOL) | near_one  # ~(<=) catches NaN
    return route


def _tight_route(bounds: tuple[bool, float, float], a: Arr, b: Arr, hh: Arr, ch: Char, rho: Arr) -> NDArray[np.bool_]:
    """The bound of the notes above evaluated at every point (methods with an inexact ``c0``)."""
    return _bound_route(*_sigma(bounds, a, b, hh), ch, rho)


class _Rounding(DD):
    """A float64 value ``hi`` with a first-order bound ``lo`` on its accumulated rounding error.

    Running error analysis (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
    Sec. 3.3): evaluating a method's coefficient functions on these numbers gives the same
    float64 ``c1``, ``c0`` as on arrays, each with a bound of its own rounding at that point, so
    that only the points whose *actual* evaluation lost accuracy are recomputed. The bound
    :attr:`Method.error_bounds` gives is a worst case over every input with the same ``sigma``;
    for Nesterov near ``alpha h = 1`` it is eight times this one, which cuts the double-double
    share of a grid from 7.9% to 0.6%. It is a :class:`DD` only so that a ``gamma(beta)`` computed
    in float64 from ``beta.hi`` (Triple Momentum) is lifted as an exact constant
    (``hbtheory.methods._lift``); ``lo`` is never a low part here.
    """

    __slots__ = ()

    def __init__(self, value: Any, err: Any = 0.0) -> None:
        self.hi = np.asarray(value, dtype=np.float64)
        self.lo = np.asarray(err, dtype=np.float64)
        self.exact = False

    @staticmethod
    def _of(x: Any) -> _Rounding:
        return x if isinstance(x, _Rounding) else _Rounding(x)

    def __add__(self, other: Any) -> _Rounding:
        o = _Rounding._of(other)
        v = self.hi + o.hi
        return _Rounding(v, self.lo + o.lo + _HALF_EPS * np.abs(v))

    __radd__ = __add__

    def __neg__(self) -> _Rounding:
        return _Rounding(-self.hi, self.lo)

    def __sub__(self, other: Any) -> _Rounding:
        return self + (-_Rounding._of(other))

    def __rsub__(self, other: Any) -> _Rounding:
        return _Rounding._of(other) + (-self)

    def __mul__(self, other: Any) -> _Rounding:
        o = _Rounding._of(other)
        v = self.hi * o.hi
        # |x| e_y + |y| e_x + e_x e_y of the operands, half an ulp of the product, and the absolute
        # rounding below the normal range (2**-1075) that a relative bound misses.
        err = np.abs(self.hi) * o.lo + np.abs(o.hi) * self.lo + self.lo * o.lo + _HALF_EPS * np.abs(v) + 2.0**-1074
        return _Rounding(v, err)

    __rmul__ = __mul__


_HALF_EPS = 0.5 * EPS


def _coefficients_and_running(method: Method, a: Arr, b: Arr, hh: Arr) -> tuple[Char, tuple[Arr, Arr] | None]:
    """:func:`_float_coefficients` and :func:`_running_errors` from one evaluation on
    :class:`_Rounding` numbers (whose float64 parts are the same bits); the two calls where the
    coefficient functions use more than ``+``, ``-`` and ``*``."""
    ra, rb, rh = _Rounding(a), _Rounding(b), _Rounding(hh)
    try:
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            f1, f0 = (_Rounding._of(x) for x in _coefficients(method, ra, rb, rh))
    except (TypeError, AttributeError, ValueError):
        return _float_coefficients(method, a, b, hh), None
    shape = a.shape
    c1, c0 = (np.array(np.broadcast_to(x.hi, shape), dtype=np.float64) for x in (f1, f0))
    if not (np.isfinite(c1).all() and np.isfinite(c0).all()):  # (the error message of the plain path)
        return _float_coefficients(method, a, b, hh), None
    with np.errstate(over="ignore", invalid="ignore"):
        ch = Char(c1, c0, np.array(c1 * c1 - 4.0 * c0, dtype=np.float64))
    return ch, (_SLACK * np.broadcast_to(f1.lo, shape), _SLACK * np.broadcast_to(f0.lo, shape))


def _running_errors(method: Method, a: Arr, b: Arr, hh: Arr) -> tuple[Arr, Arr] | None:
    """``(e1, e0)`` by running error analysis at each point (times :data:`_SLACK`), or ``None``
    when the coefficient functions use more than ``+``, ``-`` and ``*``."""
    ra, rb, rh = _Rounding(a), _Rounding(b), _Rounding(hh)
    try:
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            f1, f0 = (_Rounding._of(x) for x in _coefficients(method, ra, rb, rh))
    except (TypeError, AttributeError, ValueError):
        return None
    shape = a.shape
    return (_SLACK * np.broadcast_to(f1.lo, shape), _SLACK * np.broadcast_to(f0.lo, shape))


# ------------------------------------------------------------------------------------------------
# Column bounds of the running error: the blocks' routing test for methods with an inexact c0
# ------------------------------------------------------------------------------------------------
#
# The running error bound (:class:`_Rounding`) of a point depends on both axes of a grid; a bound
# of it that depends on ``(alpha, h)`` alone, valid for every ``beta`` of the call, lets the
# blocks test each point with per-column constants (a few passes), as heavy ball's window does.
# The blocks only pick candidates: :func:`_route` still decides on each of them, so these tests
# must contain every point that the running bound leaves uncertified, nothing more.
# :class:`_Axis` evaluates a method's coefficient functions for that bound: quantities of
# ``(alpha, h)`` alone ("col") or of ``beta`` alone ("row") carry the exact running error of
# :class:`_Rounding`; a quantity of both ("mixed") carries, per column, a bound ``M`` of its
# magnitude over the row and a bound ``r |x| + a`` of its running error (``r`` relative, ``a``
# absolute), from
#
# * ``x + y``: ``e <= r_x |x| + a_x + r_y |y| + a_y + (eps/2) |v|``; the operand with the larger
#   ``M`` keeps its error relative through ``|x| <= (1 + eps)|v| + |y|``, the other's becomes
#   absolute: ``r = eps/2 + r_x (1 + eps)``, ``a = a_x + a_y + (r_x + r_y) M_y`` (``M_y <= M_x``);
# * ``x y``: ``e <= |x| e_y + |y| e_x + e_x e_y + (eps/2) |v| + 2**-1074`` with ``|x y| <= (1 + eps)|v|``:
#   ``r = (r_x + r_y + r_x r_y)(1 + eps) + eps/2``, ``a = M_x a_y (1 + r_x) + M_y a_x (1 + r_y) + a_x a_y``,
#
# each mixed operation adding ``_SUBNORMAL`` to ``a``; a row quantity enters a mixed one with its
# maximum over the row (``M``, and its largest relative error ``r``, or absolute ``a`` where it
# is 0), a plain float64 array (Triple Momentum's ``gamma(beta)``) as an exact row quantity. So
# at every point of the call ``e1 <= r1 |c1| + a1``, ``e0 <= r0 |c0| + a0`` and ``|c0| <= m0``
# with column arrays (:func:`_column_bounds`; tested against :class:`_Rounding`). A product of a
# row and a column quantity (Nesterov's ``(1 + beta)(1 - alpha h)``) has ``a ~ 0``: its bound is
# relative, as tight as the running bound itself.
#
# The tests (:func:`_column_window`): with ``e1' = SLACK (r1 |c1| + a1)`` and
# ``e0' = SLACK (r0 |c0| + a0)`` (what :func:`_running_errors` returns) the relative error bound
# of :func:`_bound_route` on real roots is, using ``|c1| <= t``, ``s <= t``,
# ``c1^2 + disc <= t^2`` and ``4 |c0| <= c1^2`` (``c0 >= 0``) or ``<= disc`` (``c0 < 0``):
#
#     rel <= K + (A + B |c1|) / s + C / (s t),   K = S r1 + S^2 r0 + S eps/2 + eps,
#     A = S (1 + 2 S) a1,   B = 2 S^2 r1 + S^2 r0 + S eps/2,   C = 4 S^2 a0   (S = SLACK),
#
# which is <= ROUTE_TOL when, with ``T = ROUTE_TOL - K > 0``,
#
# * ``t (A/T + t B/T - s) + C/T < 0`` (at each point, from ``s``, ``t`` of the formula itself), or
# * for a relative bound (``theta0`` negligible, :func:`_relative`) ``disc > theta1 c1^2 + theta0``
#   with ``theta1 = 1.25 B^2 / (0.9 T)^2``, ``theta0 = 5 A^2 / (0.9 T)^2 + C / (0.1 T)``
#   (``s >= (A + B |c1|) / (0.9 T)`` and ``s^2 >= C / (0.1 T)``, ``(x + y)^2 <= 1.25 y^2 + 5 x^2``).
#
# Either way ``s >= 0.011 |c1|``, so ``disc`` exceeds its error bound and ``2 sqrt(c0) < t`` (fmax
# picks the real root). On complex roots ``c1^2 < 4 c0``, ``c1^2 + |disc| = 4 c0`` and
# ``2 a1 |c1| <= eps c1^2 + a1^2 / eps`` bound the error of ``disc`` by ``tau1 4 c0 + tau0`` with
#
#     tau1 = S (S (2 r1 + r0 + eps) + eps/2),   tau0 = S^2 (a1^2 / eps + 4 a0),
#
# and ``rho = sqrt(c0)`` is within ROUTE_TOL when ``4 c0 >= kappa = 2 S a0 / (ROUTE_TOL - eps/2 - S r0/2)``;
# since ``4 c0 >= -disc`` there, ``disc < -(max(tau0, kappa) + tau1 4 m0)`` certifies both. Every
# constant carries the factor ``_COLUMN_MARGIN``; a point passing no test, or with
# ``|rho - 1| <= 2**-43`` (:func:`_near_one`), is a candidate. A column without a certificate
# (``T <= 0`` or a bound not finite, e.g. Nesterov at ``alpha h = 1``) has ``theta0 = inf``,
# ``-tau0 = -inf`` and NaN ``A/T``: every point of it is a candidate. On a grid the constants of a
# block are scalars where they vary little over it (:func:`_block_constants`).

_COLUMN_MARGIN = 1.01
_BLOCK_COLUMNS = 64
_TINY = 2.0**-1074
# Below the normal range the roundings (of the coefficients and of these bounds) are absolute, up
# to 2**-1075 each: every mixed operation adds 2**-1060 to the absolute part, far more than the
# few dozen such roundings and negligible anywhere else.
_SUBNORMAL = 2.0**-1060


class _Axis(DD):
    """A value in the evaluation of :func:`_column_bounds` (see the notes above): kind ``"row"``,
    ``"col"`` (``hi`` the float64 value, ``lo`` its running error) or ``"mixed"`` (``hi`` the
    magnitude bound ``M`` per column, ``lo`` the absolute part ``a``, ``rel`` the relative part)."""

    __slots__ = ("kind", "rel")
    __array_ufunc__ = None  # ``ndarray op _Axis`` defers to the reflected operation here

    def __abs__(self) -> _Axis:
        raise TypeError("abs() has no running error bound here")

    def __getitem__(self, index: Any) -> _Axis:
        raise TypeError("indexing has no running error bound here")

    def __init__(self, kind: str, value: Any, err: Any = 0.0, rel: Any = 0.0) -> None:
        self.kind = kind
        self.hi = np.asarray(value, dtype=np.float64)
        self.lo = np.asarray(err, dtype=np.float64)
        self.rel = np.asarray(rel, dtype=np.float64)
        self.exact = False

    @staticmethod
    def _of(x: Any, like: _Axis) -> _Axis:
        if isinstance(x, _Axis):
            return x
        if isinstance(x, DD):
            raise TypeError("double-double operand")
        value = np.asarray(x, dtype=np.float64)
        # a Python number is exact in either kind; an array (gamma(beta)) is a row quantity
        return _Axis(like.kind if value.ndim == 0 and like.kind != "mixed" else "row", value)

    def mixed(self) -> tuple[Any, Any, Any]:
        """``(M, r, a)`` of this value as a mixed quantity."""
        if self.kind == "mixed":
            return self.hi, self.rel, self.lo
        mag = np.abs(self.hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(mag > 0.0, self.lo / np.where(mag > 0.0, mag, 1.0), 0.0)
        absolute = np.where(mag > 0.0, 0.0, self.lo)
        if self.kind == "row":
            return np.max(mag, initial=0.0), np.max(rel, initial=0.0), np.max(absolute, initial=0.0)
        return mag, rel, absolute

    def _combine(self, other: Any, product: bool) -> _Axis:
        o = _Axis._of(other, self)
        me = self
        if me.kind == o.kind and me.kind != "mixed":
            x, y = me.hi, o.hi
            if product:
                v = x * y
                err = np.abs(x) * o.lo + np.abs(y) * me.lo + me.lo * o.lo + _HALF_EPS * np.abs(v) + _TINY
            else:
                v = x + y
                err = me.lo + o.lo + _HALF_EPS * np.abs(v)
            return _Axis(me.kind, v, err)
        (mx, rx, ax), (my, ry, ay) = me.mixed(), o.mixed()
        if product:
            m = mx * my * (1.0 + EPS)
            r = (rx + ry + rx * ry) * (1.0 + EPS) + _HALF_EPS
            a = mx * ay * (1.0 + rx) + my * ax * (1.0 + ry) + ax * ay + _SUBNORMAL
        else:
            # the relative error of the operand with the larger magnitude bound stays relative
            # (|x| <= (1 + eps)|v| + |y|), that of the other becomes absolute
            m = (mx + my) * (1.0 + EPS)
            x_rel = my <= mx
            ax = ax + _SUBNORMAL
            r = _HALF_EPS + np.where(x_rel, rx, ry) * (1.0 + EPS)
            a = ax + ay + np.where(x_rel, rx * my + ry * my, ry * mx + rx * mx)
        return _Axis("mixed", m, a, r)

    def __add__(self, other: Any) -> _Axis:
        return self._combine(other, False)

    __radd__ = __add__

    def __neg__(self) -> _Axis:
        return _Axis(self.kind, self.hi if self.kind == "mixed" else -self.hi, self.lo, self.rel)

    def __sub__(self, other: Any) -> _Axis:
        return self + (-_Axis._of(other, self))

    def __rsub__(self, other: Any) -> _Axis:
        return _Axis._of(other, self) + (-self)

    def __mul__(self, other: Any) -> _Axis:
        return self._combine(other, True)

    __rmul__ = __mul__


class _Columns(NamedTuple):
    """Per-column constants of the blocks' test (see the notes above)."""

    theta1: Arr
    theta0: Arr
    tau1: Arr
    neg_tau0: Arr
    a_t: Arr
    b_t: Arr
    c_t: Arr


def _column_bounds(method: Method, a: Arr, b: Arr, hh: Arr) -> tuple[Arr, Arr, Arr, Arr, Arr] | None:
    """``(r1, a1, r0, a0, m0)`` with ``e1 <= r1 |c1| + a1``, ``e0 <= r0 |c0| + a0`` and
    ``|c0| <= m0`` at every point, as arrays of the broadcast shape of ``alpha`` and ``h``;
    ``None`` if the coefficients use more than ``+``, ``-`` and ``*``."""
    shape = np.broadcast_shapes(a.shape, hh.shape)
    ca, ch, rb = _Axis("col", a), _Axis("col", hh), _Axis("row", b)
    try:
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            out = []
            for f in (method.c1, method.c0):
                value = f(ca, rb, ch)
                if not isinstance(value, _Axis):  # a constant coefficient (exact)
                    value = _Axis("col", np.asarray(value, dtype=np.float64))
                magnitude, rel, absolute = value.mixed()
                # (1 + 2**-40): the roundings of these bounds' own evaluation
                grow = 1.0 + 2.0**-40
                out += [np.broadcast_to(rel * grow, shape), np.broadcast_to(absolute * grow, shape)]
    except (TypeError, AttributeError, ValueError):
        return None
    r1, a1, r0, a0 = out
    return r1, a1, r0, a0, np.broadcast_to(magnitude * (1.0 + 2.0**-40), shape)


def _column_window(method: Method, a: Arr, b: Arr, hh: Arr) -> _Columns | None:
    """The constants of the blocks' window for ``method`` at these inputs (see the notes above)."""
    bounds = _column_bounds(method, a, b, hh)
    if bounds is None:
        return None
    r1, a1, r0, a0, m0 = bounds
    s, m = _SLACK, _COLUMN_MARGIN
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        k = s * r1 + s * s * r0 + s * _HALF_EPS + EPS
        t = ROUTE_TOL - k
        big_a, big_b, big_c = s * (1.0 + 2.0 * s) * a1, 2.0 * s * s * r1 + s * s * r0 + s * _HALF_EPS, 4.0 * s * s * a0
        usable = t > 0.0
        t = np.where(usable, t, 1.0)
        # a column without a certificate: theta1 c1^2 + theta0 = inf, -tau0 = -inf, A/T = NaN (the
        # blocks' comparisons then all route)
        theta1 = np.where(usable, m * 1.25 * big_b * big_b / (0.9 * t) ** 2, 0.0)
        theta0 = np.where(usable, m * (5.0 * big_a * big_a / (0.9 * t) ** 2 + big_c / (0.1 * t)), np.inf)
        theta0 = np.where(np.isfinite(theta1) & ~np.isnan(theta0), theta0, np.inf)
        theta1 = np.where(np.isfinite(theta1), theta1, 0.0)
        tau1 = m * s * (s * (2.0 * r1 + r0 + EPS) + _HALF_EPS)
        denominator = ROUTE_TOL - _HALF_EPS - 0.5 * s * r0
        kappa = np.where(denominator > 0.0, m * 2.0 * s * a0 / np.where(denominator > 0.0, denominator, 1.0), np.inf)
        # |4 c0| <= 4 m0: the test disc + tau1 4 c0 < -tau0 holds where disc < -(tau0 + tau1 4 m0)
        tau0 = np.maximum(m * s * s * (a1 * a1 / EPS + 4.0 * a0), kappa) + tau1 * 4.0 * m0
        tau1 = np.where(np.isfinite(tau1) & np.isfinite(tau0), tau1, np.nan)
        tau0 = np.where(np.isfinite(tau0), tau0, np.inf)
        a_t, b_t, c_t = (np.where(usable, m * x / t, np.nan) for x in (big_a, big_b, big_c))
    return _Columns(theta1, theta0, tau1, -tau0, a_t, b_t, c_t)


def _block_constants(columns: _Columns, n: int, step: int) -> list[tuple[float, ...] | None]:
    """Per block of ``step`` indices along the first axis (columns of shape ``(n, 1, ...)``): the
    constants ``theta1, theta0, A/T, B/T, C/T`` of the block as scalars, their largest values over
    its columns (each test then certifies a subset of what the per-column constants certify; a
    scalar operand is about twice as fast as a broadcast column), or ``None`` where a constant
    varies by more than a factor 1.25 over the block (next to a column without a certificate, e.g.
    Nesterov's ``alpha h = 1``) or is NaN there: that block uses its columns."""
    starts = np.arange(0, n, step)
    ok = np.full(starts.size, step <= _BLOCK_COLUMNS)
    tops = []
    for x in (columns.theta1, columns.theta0, columns.a_t, columns.b_t, columns.c_t):
        flat = np.ascontiguousarray(x).reshape(-1)
        top, low = np.maximum.reduceat(flat, starts), np.minimum.reduceat(flat, starts)
        with np.errstate(invalid="ignore", over="ignore"):
            ok &= ~np.isnan(top) & ~((top > 1.25 * low) & (top > 2.0**-600))
        tops.append(top)
    return [tuple(float(t[i]) for t in tops) if ok[i] else None for i in range(starts.size)]


def _relative(columns: _Columns) -> bool:
    """The absolute parts of the bounds are negligible (products of a row and a column quantity,
    such as Nesterov's): the real-root test is then the window ``disc > theta1 c1^2``."""
    theta0 = columns.theta0
    return bool(np.all(np.where(np.isfinite(theta0), theta0, 0.0) <= 2.0**-600))


def _superset_route(rule: _Rule, a: Arr, b: Arr, hh: Arr, ch: Char, rho: Arr) -> NDArray[np.bool_]:
    """The test of :class:`_Superset` with ``sigma`` itself (``>= 2``) at every point: contains
    :func:`_tight_route` and is contained in the blocks' test (which uses ``sigma1 >= sigma``)."""
    sup = _superset(rule.bounds)
    c1, c0, disc = ch
    product, _, _ = rule.bounds
    with np.errstate(over="ignore", invalid="ignore"):
        u, ab = np.abs(a * hh), np.abs(b)
        sigma = np.maximum((1.0 + ab) * (1.0 + u) if product else 1.0 + ab + u, 2.0)
        sq = np.sqrt(disc)
        t = np.abs(c1) + sq
        real_ok = sigma * (t * sup.a + sup.b) + t * (sup.c * t - sup.t * sq) <= 0.0  # implies disc > 0
        four_c0 = 4.0 * c0
        complex_ok = (disc + sup.tau * (sigma * sigma + four_c0) <= 0.0) & (four_c0 >= sup.kappa * sigma)
        route: NDArray[np.bool_] = np.array(~(real_ok | complex_ok), dtype=bool)
        _near_one(2.0 * rho, np.empty(rho.shape), np.empty(rho.shape, dtype=bool), route)
    return route


def _route(
    method: Method, a: Arr, b: Arr, hh: Arr, ch: Char, rho: Arr, exact_disc: bool, running_first: bool = False,
    moderate: bool = False, running: tuple[Arr, Arr] | None = None,
) -> NDArray[np.bool_]:
    """Points whose float64 ``rho`` (from :func:`_radius_from`) must be recomputed in double-double.

    See the notes above. A point is kept in float64 when either bound certifies it: the one of
    :attr:`Method.error_bounds` (window or :func:`_tight_route`) or the running error bound of
    its own evaluation (:class:`_Rounding`); a method without error bounds has only the latter
    (and, if its coefficients use more than ``+ - *``, every point is routed). With
    ``exact_disc`` also the points where the relative error bound of ``disc`` exceeds
    :data:`ROUTE_TOL` (the Lucas sequence's phase depends on ``sqrt(-disc)``).

    A point is routed iff neither certificate holds: the mask is the intersection of two
    pointwise tests, so the order in which they are evaluated does not change it. By default the
    cheap error-bounds test runs on every point and the running bound only on the points it
    routes. ``running_first`` (the candidates of :func:`spectral_radius`, which the error-bounds
    test mostly routes anyway) evaluates the running bound on every point and the error-bounds
    test only on the few that it routes: the same mask, for about 20 fewer passes per candidate.
    ``moderate``: the caller has checked ``(1 + |beta|)(1 + |alpha h|) <= _HUGE`` for every point;
    ``running``: :func:`_running_errors` at these points, if the caller has it.
    """
    rule = _rule(method)
    route: NDArray[np.bool_]
    if running_first and rule is not None and not rule.window and not exact_disc:
        if running is None:
            running = _running_errors(method, a, b, hh)
        if running is not None:
            route = _bound_route(*running, ch, rho)
            idx = np.flatnonzero(route)
            if idx.size:
                flat = [np.ascontiguousarray(x).reshape(-1)[idx] for x in (a, b, hh, ch.c1, ch.c0, ch.disc, rho)]
                fa, fb, fh, f1, f0, fd, frho = flat
                route.reshape(-1)[idx] = _superset_route(rule, fa, fb, fh, Char(f1, f0, fd), frho)
            if not moderate:
                with np.errstate(over="ignore"):
                    route &= (1.0 + np.abs(b)) * (1.0 + np.abs(a * hh)) <= _HUGE
            return route
    if rule is None:
        route = np.ones(rho.shape, dtype=bool)
    elif rule.window:
        route = np.empty(rho.shape, dtype=bool)
        tmp, tmp_mask = np.empty(rho.shape), np.empty(rho.shape, dtype=bool)
        with np.errstate(over="ignore", invalid="ignore"):  # huge inputs: excluded below
            _window_rule(rule, ch.disc, _inverse_scale(rule, a, b, hh), tmp, tmp_mask, route)
            _near_one(2.0 * rho, tmp, tmp_mask, route)
    else:
        route = _superset_route(rule, a, b, hh, ch, rho)
    # the running error bound decides on the points the error bounds leave (the same decision
    # whichever points are evaluated together)
    idx = np.flatnonzero(route)
    running_all = None
    if idx.size:
        flat = [np.ascontiguousarray(x).reshape(-1)[idx] for x in (a, b, hh, ch.c1, ch.c0, ch.disc, rho)]
        running = _running_errors(method, *flat[:3])
        if running is not None:
            route.reshape(-1)[idx] = _bound_route(*running, Char(*flat[3:6]), flat[6])
    if exact_disc:
        running_all = _running_errors(method, a, b, hh)
        inexact = np.ones(rho.shape, dtype=bool)
        bounds = [] if rule is None else [_sigma(rule.bounds, a, b, hh)]
        for e1, e0 in [*bounds, *([] if running_all is None else [running_all])]:
            d_disc = _disc_error(e1, e0, ch)
            with np.errstate(divide="ignore", invalid="ignore"):
                inexact &= ~(d_disc <= ROUTE_TOL * (np.abs(ch.disc) - d_disc))
        route |= inexact
    with np.errstate(over="ignore"):
        route &= (1.0 + np.abs(b)) * (1.0 + np.abs(a * hh)) <= _HUGE
    return route


def _fast_path(method: Method, a: Arr, b: Arr, hh: Arr, exact_disc: bool) -> tuple[Char, Arr, NDArray[np.bool_]]:
    """Float64 coefficients, float64 rho and the mask of points to recompute (see :func:`_route`)."""
    ch = _float_coefficients(method, a, b, hh)
    rho = _radius_from(*ch)
    return ch, rho, _route(method, a, b, hh, ch, rho, exact_disc)


def _exact_fraction(x: Fraction) -> DD:
    """``(hi, lo)``: ``hi = float(x)``, ``lo = float(x - hi)`` (both correctly rounded)."""
    parts = _Dyadic._dd(x._m, x._e) if isinstance(x, _Dyadic) else None
    if parts is None:
        hi = float(x)
        return DD(hi, float(x - Fraction(hi)))
    return DD(*parts)


class _Dyadic(Fraction):
    """An exact dyadic rational ``m * 2**e`` whose ``+ - *`` skip :class:`~fractions.Fraction`'s gcd.

    The coefficients of a method at float64 inputs are polynomials in dyadic rationals (floats,
    their exact ``Fraction`` lifts, integers), so they are dyadic too, and exact arithmetic on them
    needs no normalisation by gcd: aligning exponents and multiplying integers is enough. The
    value is a ``Fraction`` whose reduced numerator and denominator are computed on demand (no
    normalisation per operation), so comparisons, ``float()`` (correctly rounded, as for any
    ``Fraction``, here by integer operations) and mixed arithmetic with non-dyadic rationals keep
    their meaning; only the speed differs (about 10x for the exact near-curve path of
    :func:`_dd_coefficients`, and again about 2x without the normalisation).
    """

    __slots__ = ("_e", "_m")
    _m: int
    _e: int

    @classmethod
    def of(cls, m: int, e: int) -> _Dyadic:
        self = object.__new__(cls)
        self._m, self._e = m, e  # not reduced: the reduced numerator and denominator on demand
        return self

    def _reduced(self) -> tuple[int, int]:
        m, e = self._m, self._e
        if not m:
            return 0, 1
        tz = (m & -m).bit_length() - 1
        m, e = m >> tz, e + tz
        return (m << e, 1) if e >= 0 else (m, 1 << -e)

    # Fraction's own methods read these (its slots, shadowed here): the reduced value, computed
    # only when a Fraction method (comparison, hash, str, mixed arithmetic) needs it
    @property
    def _numerator(self) -> int:
        return self._reduced()[0]

    @property
    def _denominator(self) -> int:
        return self._reduced()[1]

    numerator = _numerator
    denominator = _denominator

    @staticmethod
    def _round(m: int, e: int) -> tuple[float, int, int] | None:
        """``m * 2**e`` correctly rounded to float64 (round half even, as ``float(Fraction)``) as
        ``(value, mantissa, exponent)`` of the rounded value, by integer operations only; ``None``
        where the result is subnormal, zero or out of range (the caller uses ``Fraction``)."""
        if not m:
            return None
        n = m.bit_length()
        if n > 64:  # keep 64 bits and a sticky bit: float() of it rounds as the full integer would
            s = n - 64
            if m > 0:
                m = m >> s | (1 if m & ((1 << s) - 1) else 0)
            else:
                a = -m
                m = -(a >> s | (1 if a & ((1 << s) - 1) else 0))
            e += s
        x = float(m)  # m correctly rounded to 53 bits (an int of at most 64 bits)
        xm = int(x)
        if not -1022 <= e + xm.bit_length() - 1 <= 1023:
            return None  # subnormal or overflow: not representable by a shift of a normal float
        # exact: a normal float times a power of two that is a normal float (else by integers)
        if -1022 <= e <= 1023:
            return x * 2.0**e, xm, e
        return (float(xm << e) if e >= 0 else xm / (1 << -e)), xm, e

    @staticmethod
    def _dd(m: int, e: int) -> tuple[float, float] | None:
        """``(float(v), float(v - float(v)))`` for ``v = m * 2**e`` without ``Fraction`` (its gcd and
        division); ``None`` where a part would be subnormal or out of range."""
        if not m:
            return 0.0, 0.0
        high = _Dyadic._round(m, e)
        if high is None:
            return None
        hi, hm, he = high
        low = min(e, he)
        rest = (m << (e - low)) - (hm << (he - low))
        if not rest:
            return hi, 0.0
        lo = _Dyadic._round(rest, low)
        return None if lo is None else (hi, lo[0])

    def __float__(self) -> float:
        parts = _Dyadic._round(self._m, self._e)
        if parts is not None:
            return parts[0]
        n, d = self._reduced()
        return n / d  # int / int: correctly rounded (Fraction.__float__'s own formula)

    @classmethod
    def from_float(cls, x: float) -> _Dyadic:
        n, d = float(x).as_integer_ratio()
        return cls.of(n, 1 - d.bit_length())

    @staticmethod
    def _parts(x: Any) -> tuple[int, int] | None:
        if isinstance(x, _Dyadic):
            return x._m, x._e
        if isinstance(x, bool):
            return None
        if isinstance(x, int):
            return x, 0
        if isinstance(x, float):
            n, d = x.as_integer_ratio()
            return n, 1 - d.bit_length()
        if isinstance(x, Fraction) and x.denominator & (x.denominator - 1) == 0:
            return x.numerator, 1 - x.denominator.bit_length()
        return None

    def _add(self, other: Any, sign: int, swap: bool) -> Any:
        o = (other._m, other._e) if type(other) is _Dyadic else self._parts(other)
        if o is None:
            return NotImplemented
        (m1, e1), (m2, e2) = (o, (self._m, self._e)) if swap else ((self._m, self._e), o)
        e = min(e1, e2)
        return _Dyadic.of((m1 << (e1 - e)) + sign * (m2 << (e2 - e)), e)

    def __add__(self, other: Any) -> Any:
        return self._add(other, 1, False)

    def __radd__(self, other: Any) -> Any:
        return self._add(other, 1, True)

    def __sub__(self, other: Any) -> Any:
        return self._add(other, -1, False)

    def __rsub__(self, other: Any) -> Any:
        return self._add(other, -1, True)

    def __mul__(self, other: Any) -> Any:
        if type(other) is _Dyadic:
            return _Dyadic.of(self._m * other._m, self._e + other._e)
        o = self._parts(other)
        if o is None:
            return NotImplemented
        return _Dyadic.of(self._m * o[0], self._e + o[1])

    __rmul__ = __mul__

    def __neg__(self) -> _Dyadic:
        return _Dyadic.of(-self._m, self._e)

    def __pos__(self) -> _Dyadic:
        return self


def _full(x: DD, shape: tuple[int, ...]) -> DD:
    if x.exact:
        return DD(np.broadcast_to(x.hi, shape))
    return DD(np.broadcast_to(x.hi, shape), np.broadcast_to(x.lo, shape))


#: Exact near-curve coefficients already computed, per method (a search such as the tuning's comes
#: back to the same points on a critical curve: about half the calls at kappa = 1e16).
_EXACT_CACHE: weakref.WeakKeyDictionary[Method, dict[tuple[float, float, float], tuple[float, ...]]] = (
    weakref.WeakKeyDictionary())
_EXACT_CACHE_SIZE = 100_000


def _exact_parts(method: Method, a: float, b: float, h: float) -> tuple[float, ...]:
    """``(c1, c0, disc)`` at one point, exactly, as the hi and lo parts of double-doubles."""
    # dyadic inputs, so the coefficients are dyadic (no gcd; the same values as Fraction arithmetic)
    fa, fb, fh = _Dyadic.from_float(a), _Dyadic.from_float(b), _Dyadic.from_float(h)
    f1, f0 = (v if isinstance(v, Fraction) else Fraction(v) for v in (method.c1(fa, fb, fh), method.c0(fa, fb, fh)))
    out: list[float] = []
    for value in (f1, f0, f1 * f1 - 4 * f0):
        exact = _exact_fraction(value)
        out += [float(exact.hi), float(exact.lo)]
    return tuple(out)


def _dd_coefficients(method: Method, a: Arr, b: Arr, hh: Arr) -> tuple[DD, DD, DD]:
    """``(c1, c0, disc)`` in double-double at 1-d float64 inputs; exact near ``disc = 0``."""
    da, db, dh = DD(a), DD(b), DD(hh)
    f1, f0 = _coefficients(method, da, db, dh)
    c1, c0 = _full(DD._lift(f1), a.shape), _full(DD._lift(f0), a.shape)
    disc = c1 * c1 - 4.0 * c0
    tiny = np.flatnonzero(np.abs(disc.hi) <= _EXACT_DISC_TOL * (c1.hi * c1.hi + 4.0 * np.abs(c0.hi)))
    if tiny.size:
        c1, c0, disc = (DD(x.hi.copy(), np.broadcast_to(x.lo, a.shape).copy()) for x in (c1, c0, disc))
        cache = _EXACT_CACHE.setdefault(method, {})
        if len(cache) > _EXACT_CACHE_SIZE:
            cache.clear()
        for i in tiny:
            key = (float(a[i]), float(b[i]), float(hh[i]))
            parts = cache.get(key)
            if parts is None:
                parts = cache[key] = _exact_parts(method, *key)
            c1.hi[i], c1.lo[i], c0.hi[i], c0.lo[i], disc.hi[i], disc.lo[i] = parts
    return c1, c0, disc


def _dd_radius(c1: DD, c0: DD, disc: DD) -> Arr:
    """rho from double-double coefficients: each branch on its own points only."""
    real = disc.hi >= 0.0
    out = np.empty(np.shape(disc.hi), dtype=np.float64)
    for mask in (real, ~real):
        idx = np.flatnonzero(mask)
        if not idx.size:
            continue

        def pick(x: DD, idx: NDArray[np.intp] = idx, shape: tuple[int, ...] = mask.shape) -> DD:
            hi = np.broadcast_to(x.hi, shape).reshape(-1)[idx]
            return DD(hi) if x.exact else DD(hi, np.broadcast_to(x.lo, shape).reshape(-1)[idx])

        if mask is real:
            value = dd_add_positive(abs(pick(c1)), dd_sqrt(pick(disc))) * 0.5
        else:
            # an exact c0 (heavy ball, gradient descent) needs no double-double square root:
            # np.sqrt rounds correctly
            c = pick(c0)
            value = DD(np.sqrt(np.maximum(c.hi, 0.0))) if c0.exact else dd_sqrt(c)
        out.reshape(-1)[idx] = value.to_float()
    return out


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


#: Where ``|1 - rho| >= GAP_DIRECT`` the float64 ``1 - rho`` (exact subtraction) is already
#: accurate to ``ROUTE_TOL * rho / GAP_DIRECT`` relative; closer to 1 it is recomputed.
GAP_DIRECT = 2.0**-4


def gap(method: Method, alpha: Any, beta: Any, h: Any) -> Arr:
    r"""``1 - rho`` accurate to about ``1e-15`` relative, also where ``rho`` rounds to (nearly) 1.

    A float64 ``rho`` within ``delta`` of 1 fixes ``1 - rho`` only to ``2**-53 / delta`` relative
    (``8e-6`` at the point of issue 10); iteration counts need the gap itself. With
    :math:`s = \operatorname{sign} c_1` and :math:`P(z) = z^2 - c_1 z + c_0`:

    * real roots, :math:`\rho = s \lambda_1`: :math:`P(s) = (1 - s\lambda_1)(1 - s\lambda_2)`, so
      :math:`1 - \rho = (1 - |c_1| + c_0) / (1 - c_0 / \rho)`;
    * complex roots: :math:`1 - \rho = (1 - c_0) / (1 + \sqrt{c_0})`,

    in double-double from the double-double coefficients; :math:`1 - |c_1| + c_0` and :math:`1 - c_0`
    (heavy ball: :math:`\alpha h` and :math:`1 - \beta`) are recomputed exactly in rationals where
    their double-double value could have fewer than 53 correct bits. Points with
    ``|1 - rho| >= GAP_DIRECT`` keep ``1 - rho`` from :func:`characteristic`.
    """
    a, b, hh = _broadcast(alpha, beta, h)
    ch = characteristic(method, a, b, hh)
    out: Arr = np.array(1.0 - radius(ch), dtype=np.float64)
    near = np.abs(out) < GAP_DIRECT
    near &= (1.0 + np.abs(b)) * (1.0 + np.abs(a * hh)) <= _HUGE
    if not near.any():
        return out
    pa, pb, ph = a[near], b[near], hh[near]
    c1, c0, disc = _dd_coefficients(method, pa, pb, ph)
    real = disc.hi >= 0.0
    abs_c1 = abs(c1)
    p_s = 1.0 - abs_c1 + c0  # P(sign c1)
    one_c0 = 1.0 - c0
    scale = 1.0 + np.abs(c1.hi) + np.abs(c0.hi)
    for dd, kind in ((p_s, 1), (one_c0, 0)):
        tiny = np.flatnonzero(np.abs(dd.hi) <= _EXACT_DISC_TOL * scale)
        if tiny.size:
            dd.hi, dd.lo = dd.hi.copy(), np.broadcast_to(dd.lo, dd.hi.shape).copy()
            dd.exact = False
            for i in tiny:
                fa, fb, fh = Fraction(float(pa[i])), Fraction(float(pb[i])), Fraction(float(ph[i]))
                f1, f0 = Fraction(method.c1(fa, fb, fh)), Fraction(method.c0(fa, fb, fh))
                value = 1 - abs(f1) + f0 if kind else 1 - f0
                exact = _exact_fraction(value)
                dd.hi[i], dd.lo[i] = exact.hi, exact.lo
    rho = dd_add_positive(abs_c1, dd_sqrt(disc)) * 0.5
    safe = DD(np.where(rho.hi > 0.0, rho.hi, 1.0), np.where(rho.hi > 0.0, rho.lo, 0.0))
    denominator = 1.0 - dd_div(c0, safe)
    den_safe = DD(np.where(denominator.hi != 0.0, denominator.hi, 1.0), np.where(denominator.hi != 0.0,
                                                                                  denominator.lo, 0.0))
    real_gap = dd_div(p_s, den_safe).to_float()
    cplx_gap = dd_div(one_c0, 1.0 + dd_sqrt(c0)).to_float()
    out[near] = np.where(real, real_gap, cplx_gap)
    return out


def float64_characteristic(method: Method, alpha: Any, beta: Any, h: Any) -> Char:
    """``(c1, c0, disc)`` by the plain float64 formulas, never rerouted (benchmarks and tests)."""
    return _float_coefficients(method, *_broadcast(alpha, beta, h))


def routed_fraction(method: Method, alpha: Any, beta: Any, h: Any) -> float:
    """Fraction of points that :func:`characteristic` recomputes in double-double (benchmarks)."""
    a, b, hh = _broadcast(alpha, beta, h)
    _, _, route = _fast_path(method, a, b, hh, False)
    return float(route.mean()) if route.size else 0.0


def candidate_fraction(method: Method, alpha: Any, beta: Any, h: Any) -> float:
    """Fraction of points that :func:`spectral_radius` hands to :func:`_route`: the grid windows'
    or the blocks' candidates (benchmarks)."""
    a, b, hh = (_compact(np.asarray(x, dtype=np.float64)) for x in (alpha, beta, h))
    if not method.uses_beta and b.ndim and b.size > 1 and not np.any(b):  # as spectral_radius does
        b = np.zeros(())
    out = np.empty(np.broadcast_shapes(a.shape, b.shape, hh.shape))
    if _rule(method) is None or out.size == 0:
        return 1.0 if out.size else 0.0
    rule = _rule(method)
    windows = None if rule is None or rule.window else _grid_candidates(method, a, b, hh, out.shape)
    if windows is not None:  # a grid: the windows' points (each once)
        return float(np.unique(windows).size / out.size)
    with np.errstate(over="ignore", invalid="ignore"):
        return float(_float_blocks(method, a, b, hh, out).size / out.size)


def radius(ch: Char) -> Arr:
    """Spectral radius ``max |z|`` over the roots of ``z^2 - c1 z + c0``."""
    rho = getattr(ch, "rho", None)
    if isinstance(rho, np.ndarray):
        return rho
    return _radius_from(ch.c1, ch.c0, ch.disc)


# ------------------------------------------------------------------------------------------------
# spectral_radius: the same values block by block
# ------------------------------------------------------------------------------------------------


def _blocks(shape: tuple[int, ...], size: int | None = None) -> tuple[int, int]:
    """``(axis, step)``: blocks of ``step`` indices along ``axis`` at each index of the axes before
    it, every later axis whole; at most ``size`` (default :data:`_BLOCK`) elements (unless one
    index of ``axis`` holds more). ``axis == -1``: the whole array is one block."""
    size = _BLOCK if size is None else size
    inner = 1
    for axis in range(len(shape) - 1, -1, -1):
        if inner * shape[axis] > size:
            return axis, max(1, size // inner)
        inner *= shape[axis]
    return -1, 0


def spectral_radius(method: Method, alpha: Any, beta: Any, h: Any) -> Arr:
    """``radius(characteristic(method, alpha, beta, h))``: the same values, without its big temporaries.

    The float64 formula runs block by block (:data:`_BLOCK` elements, a few reused buffers),
    writing rho straight into the output, together with a cheap test whose points contain every
    point :func:`_route` routes. :func:`_route` itself then decides on those few, and the routed
    ones are recomputed in double-double as in :func:`characteristic`. Peak memory: the output
    plus a few block-sized buffers.

    Inputs must be validated (finite, broadcastable). Methods with unknown error bounds, at most
    :data:`_SMALL` points and magnitudes near the float64 range take :func:`characteristic`'s path.
    """
    a, b, hh = (_compact(np.asarray(x, dtype=np.float64)) for x in (alpha, beta, h))
    shape = np.broadcast_shapes(a.shape, b.shape, hh.shape)
    if not method.uses_beta and b.ndim and b.size > 1 and not np.any(b):
        # the polynomial does not depend on beta (validated to be 0): compute without its axes
        # and broadcast the result, the same values
        small = spectral_radius(method, a, np.zeros(()), hh)
        full = np.empty(shape, dtype=np.float64)
        full[...] = small
        return full
    if _rule(method) is None or int(np.prod(shape, dtype=np.int64)) <= _SMALL:
        return radius(characteristic(method, a, b, hh))
    amax, bmax, hmax = (max(float(np.max(x, initial=0.0)), -float(np.min(x, initial=0.0))) for x in (a, b, hh))
    with np.errstate(over="ignore"):
        moderate = (1.0 + bmax) * (1.0 + amax * hmax) <= _HUGE
    if not moderate:  # overflow checks and the huge-|c1| formula live on the general path
        return radius(characteristic(method, a, b, hh))
    out = np.empty(shape, dtype=np.float64)
    windows = None if _rule(method).window else _grid_candidates(method, a, b, hh, shape)  # type: ignore[union-attr]
    found = _float_blocks(method, a, b, hh, out, windows is not None)
    if windows is not None:
        found = windows  # (the blocks found nothing: they only test when there are no windows)
    flat = out.reshape(-1)
    # the candidates in chunks of _CHUNK points: the routing's temporaries stay small
    for lo in range(0, found.size, _CHUNK):
        candidates = found[lo : lo + _CHUNK]
        where = np.unravel_index(candidates, shape)
        pa, pb, ph = np.broadcast_arrays(*(_gather(x, where) for x in (a, b, hh)), candidates)[:3]
        ch, running = _coefficients_and_running(method, pa, pb, ph)
        # the blocks' one-square-root formula equals _radius_from's off the candidates only
        rho = _radius_from(*ch)
        flat[candidates] = rho
        route = _route(method, pa, pb, ph, ch, rho, False, True, moderate=True, running=running)
        if route.any():
            pa, pb, ph = pa[route], pb[route], ph[route]
            flat[candidates[route]] = _dd_radius(*_dd_coefficients(method, pa, pb, ph))
    return out


# ------------------------------------------------------------------------------------------------
# Grids: the candidates of a (alpha h) x beta grid found per beta, without a per-point test
# ------------------------------------------------------------------------------------------------
#
# On a grid (``alpha`` and ``h`` along one axis, ``beta`` along the other) every member of the
# family has, at a fixed ``beta`` (with ``g = gamma(beta)``, both float64 as the method uses them),
#
#     c1(u) = 1 + beta - u (1 + g),   c0(u) = beta - u g,   D(u) = c1^2 - 4 c0 = a2 (u - uv)^2 + vmin
#
# in ``u = alpha h``, with ``a2 = (1 + g)^2``, ``uv = bq / a2``, ``bq = (1 + beta)(1 + g) - 2 g`` and
# ``vmin = (1 - beta)^2 - bq uv`` (checked exactly for the method once, :func:`_general_form`).
# :func:`_route` keeps a point in float64 when its running error bound (:func:`_running_errors`,
# ``e1``, ``e0``) certifies it; with bounds ``E1 >= e1``, ``E0 >= e0`` and ``c_lo <= |c1| <= c_hi``
# over a range of ``u`` (``t = |c1| + s``, ``s = sqrt(disc)``), the relative error bound of
# :func:`_bound_route` on real roots is at most
#
#     eps + (E1 s + S (2 c_hi E1 + 4 E0 + (eps/2) c_hi^2) + S (eps/2) s^2) / (s (c_lo + s)),
#
# which is <= ROUTE_TOL for ``s >= s*`` (:func:`_real_threshold`); so ``disc >= s*^2`` (and
# ``disc`` beyond its error bound, and ``fmax`` picking ``t`` as ``s >= 0.0111 c_hi`` makes it)
# certifies the point, and ``D >= W+ = s*^2 + (the error of disc)`` certifies it whatever the
# rounding. On complex roots ``D <= -W-`` (``disc < -d_disc``) and ``c0 >= c0* + E0`` with
# ``c0* = E0 / (2 (ROUTE_TOL - eps/2))`` certify it. So the points left are within the annulus
# ``-W- < D(u) < W+`` (two intervals of ``u`` around ``uv``) or in the complex interval where
# ``c0 < c0* + E0``: intervals of ``u`` per beta, turned into index ranges of the sorted ``u``
# axis by ``searchsorted``. The running error bound is a convex function of ``u`` (a sum of
# absolute values of quantities affine in ``u``), so its values at an interval's two ends bound it
# inside: first over the whole axis, then twice more over the intervals found (each a subset of
# the last). A point certified so may still be routed for ``rho`` next to 1
# (``|rho - 1| <= 4 ROUTE_TOL rho + 2 eps`` in float64, so ``|rho - 1| <= _NEAR_ONE`` exactly);
# with ``d`` that distance, a root within ``d`` of 1 makes ``|p(1)| = |u| <= d (2 + d)``, one within
# ``d`` of -1 makes ``|p(-1)| = |2 + 2 beta - u (1 + 2 g)| <= d (2 + d)``, and a complex pair of
# modulus within ``d`` of 1 makes ``|c0 - 1| = |beta - u g - 1| <= d (2 + d)``: three more
# intervals of ``u`` per beta (a whole line where ``1 + 2 g`` or ``g`` is 0 and the constant is
# that small), so the blocks test no point at all.
# Every bound is inflated (relative ``2**-20`` or more) against the roundings of its own
# evaluation; a beta where any of it is not finite keeps its whole line of candidates.

_GRID_REFINE = 2

#: ``|rho - 1|`` up to which :func:`_bound_route` may route a point that its error bound
#: certifies otherwise: ``4 ROUTE_TOL rho + 2 eps`` for the float64 ``rho``, plus ``ROUTE_TOL``
#: from the float64 to the exact one (5.06e-14), rounded up.
_NEAR_ONE = 6e-14


def _general_form(method: Method) -> bool:
    """Whether ``c1 = 1 + beta - alpha h (1 + gamma(beta))`` and ``c0 = beta - alpha h gamma(beta)``
    exactly (rational arithmetic, at 4 values of ``alpha h`` for each of 3 betas): the grid
    windows above assume it."""
    cached = _GENERAL_FORM.get(method)
    if cached is not None:
        return cached
    ok = method.gamma is not None and method.coefficients_at is not None and method.uses_beta
    try:
        for b in (0.1875, 0.6, 1.375) if ok else ():
            fb = Fraction(b)
            g = method.gamma(fb)  # type: ignore[misc]
            g = Fraction(g) if not isinstance(g, Fraction) else g
            for a, h in ((0.25, 1.0), (1.5, 0.75), (3.0, 2.5), (0.0078125, 5.0)):
                fa, fh = Fraction(a), Fraction(h)
                u = fa * fh
                if method.c1(fa, fb, fh) != 1 + fb - u * (1 + g) or method.c0(fa, fb, fh) != fb - u * g:
                    ok = False
    except (TypeError, ValueError, AttributeError, ArithmeticError):
        ok = False
    _GENERAL_FORM[method] = ok
    return ok


_GENERAL_FORM: weakref.WeakKeyDictionary[Method, bool] = weakref.WeakKeyDictionary()


def _grid_layout(a: Arr, b: Arr, hh: Arr, shape: tuple[int, ...]) -> int | None:
    """The axis of ``alpha h`` on a 2-d grid whose other axis is ``beta`` (``None``: not a grid)."""
    if len(shape) != 2:
        return None
    ops = [x.reshape((1,) * (2 - x.ndim) + x.shape) for x in (a, b, hh)]
    for u_axis in (0, 1):
        other = 1 - u_axis
        if all(x.shape[other] == 1 for x in (ops[0], ops[2])) and ops[1].shape[u_axis] == 1:
            if shape[u_axis] > 1 and shape[other] > 1:
                return u_axis
    return None


def _real_threshold(e1: Arr, e0: Arr, c_lo: Arr, c_hi: Arr, wide: bool = True) -> Arr:
    """``s*`` of the notes above: with ``e1 <= E1``, ``e0 <= E0``, ``|c1| <= c_hi`` and
    ``t >= c_lo + s``, the real-root bound of :func:`_bound_route` is

        rel - eps <= (E1 s + K + S (eps/2) s^2) / (s (c_lo + s)),   K = S (2 c_hi E1 + 4 E0 + (eps/2) c_hi^2),

    which is <= ROUTE_TOL - eps (= T) for every ``s`` at least the positive root of
    ``(T - S eps/2) s^2 + (T c_lo - E1) s - K``; or, bounding ``|c1| / t <= 1`` instead (better where
    ``c1`` varies much over the range), ``rel - eps <= E1 / (c_lo + s) + P / s + Q / (s (c_lo + s))``
    (``P = 2 S E1 + S (eps/2) c_hi``, ``Q = 4 S E0``). ``s*`` is the least of the three thresholds,
    not below the ``s`` where ``disc`` is twice its error bound. (NaN where a bound is NaN.)
    ``wide=False``: the first threshold only (ranges narrow enough that ``c1`` varies little).
    """
    sl = _SLACK
    t = ROUTE_TOL * (1.0 - 2.0**-30) - EPS
    qa = t - sl * _HALF_EPS
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = sl * (2.0 * c_hi * e1 + 4.0 * e0 + _HALF_EPS * c_hi * c_hi)
        qb = t * c_lo - e1
        root = np.sqrt(qb * qb + 4.0 * qa * k)
        # (the form without cancellation for each sign of qb)
        star = np.where(qb > 0.0, 2.0 * k / (qb + root), (root - qb) / (2.0 * qa))
        if not wide:
            return np.maximum(star, np.sqrt(2.0 * k)) * (1.0 + 2.0**-20)
        # where c1 varies much over the range, |c1| / t <= 1 bounds better than c_hi / (c_lo + s):
        # rel - eps <= E1 / (c_lo + s) + P / s + Q / (s (c_lo + s)) with P = 2 S E1 + S (eps/2) c_hi
        # (+ S eps/2 for the s^2 term), Q = 4 S E0; certified by s1 (c_lo > 0) or s2
        t1 = t - sl * _HALF_EPS
        p, q = 2.0 * sl * e1 + sl * _HALF_EPS * c_hi, 4.0 * sl * e0
        room = t1 - e1 / c_lo
        s1 = np.where((c_lo > 0.0) & (room > 0.0), (p + q / c_lo) / room, np.inf)
        p2 = p + e1
        s2 = (p2 + np.sqrt(p2 * p2 + 4.0 * t1 * q)) / (2.0 * t1)
        star = np.minimum(star, np.minimum(s1, s2))
        # disc itself beyond twice its error bound
        floor = np.sqrt(2.0 * k)
    return np.maximum(star, floor) * (1.0 + 2.0**-20)


def _grid_candidates(method: Method, a: Arr, b: Arr, hh: Arr, shape: tuple[int, ...]) -> NDArray[np.intp] | None:
    """Flat indices containing every point :func:`_route` routes on a grid (see the notes above;
    a point may appear twice); ``None`` where the grid windows do not apply."""
    u_axis = _grid_layout(a, b, hh, shape)
    if u_axis is None or not _general_form(method):
        return None
    n_u, n_b = shape[u_axis], shape[1 - u_axis]
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        u = np.broadcast_to(np.multiply(a, hh), shape)
        u = np.ascontiguousarray(u[:, 0] if u_axis == 0 else u[0, :])
        beta = np.broadcast_to(b, shape)
        beta = np.ascontiguousarray(beta[0, :] if u_axis == 0 else beta[:, 0])
        order = None if np.all(u[1:] >= u[:-1]) else np.argsort(u, kind="stable")
        us = u if order is None else u[order]
        g = np.broadcast_to(np.asarray(method.gamma(beta), dtype=np.float64), beta.shape)  # type: ignore[misc]
        p1, p1g = 1.0 + beta, 1.0 + g
        a2 = p1g * p1g
        bq = p1 * p1g - 2.0 * g
        uv = bq / a2
        a0 = (1.0 - beta) * (1.0 - beta)
        vmin = a0 - bq * uv
        d_bq = 2.0 * EPS * (np.abs(p1 * p1g) + 2.0 * np.abs(g) + np.abs(bq))
        d_v = 2.0 * ((2.0 * np.abs(bq) * d_bq + d_bq * d_bq) / a2 + 4.0 * EPS * (bq * bq / a2 + a0)) + 2.0**-1000
        d_u = 2.0 * (d_bq / a2 + 4.0 * EPS * np.abs(uv)) + 2.0**-1000
        ok = np.isfinite(uv) & np.isfinite(vmin) & (a2 > 2.0**-500)

        # the running error bound of the method's own evaluation, its beta-only work done once
        at = method.coefficients_at(_Rounding(beta))  # type: ignore[misc]
        one = _Rounding(1.0)
        t_c0 = 2.0 * (ROUTE_TOL * (1.0 - 2.0**-30) - _HALF_EPS)

        def radii(lo: Arr, hi: Arr, wide: bool) -> tuple[Arr, Arr, Arr]:
            """(r_out, r_in, c0 limit) of the annulus and the small-c0 test from bounds over [lo, hi]."""
            pts = np.stack([lo, hi])
            r1, r0 = (_Rounding._of(x) for x in at(_Rounding(pts), one))
            e1, e0 = (x.lo.max(axis=0) * (_SLACK * (1.0 + 2.0**-20)) for x in (r1, r0))
            # |c1|, |c0| over [lo, hi] (affine in u: extremes at the ends) from their float64
            # values there, each within its running bound of the exact one
            ac1 = np.abs(r1.hi)
            c_hi = ac1.max(axis=0) + e1
            c_lo = np.where(r1.hi[0] * r1.hi[1] <= 0.0, 0.0, np.maximum(ac1.min(axis=0) - e1, 0.0))
            c0_hi = np.abs(r0.hi).max(axis=0) + e0
            star = _real_threshold(e1, e0, c_lo, c_hi, wide)
            err = 2.0 * _SLACK * (2.0 * c_hi * e1 + 4.0 * e0 + EPS * (c_hi * c_hi + 4.0 * c0_hi))
            w_plus = (star * star + err) * (1.0 + 2.0**-20)
            r_out = np.sqrt(np.maximum(w_plus + d_v - vmin, 0.0) / a2) * (1.0 + 2.0**-30) + d_u
            r_in = np.maximum(np.sqrt(np.maximum(-2.0 * err - d_v - vmin, 0.0) / a2) * (1.0 - 2.0**-30) - d_u, 0.0)
            c0_limit = (e0 / t_c0 + e0) * (1.0 + 2.0**-20) + 2.0**-1000
            # (a NaN bound gives NaN ends, an infinite one infinite ends: the whole line, below)
            return r_out, r_in, c0_limit

        r_cplx = np.sqrt(np.maximum(-vmin + d_v, 0.0) / a2) * (1.0 + 2.0**-30) + d_u
        g_safe = np.where(g == 0.0, 1.0, g)

        def small_c0(c0_limit: Arr) -> tuple[Arr, Arr]:
            """The part of the complex interval |u - uv| < r (r = sqrt(-vmin / a2), padded) where
            c0 = beta - u g < c0_limit (padded)."""
            lo, hi = uv - r_cplx, uv + r_cplx
            # beta - u g < L  <=>  u g > beta - L
            edge = (beta - c0_limit) / g_safe
            pad = 4.0 * EPS * (np.abs(edge) + 1.0)
            lo = np.where(g > 0.0, np.maximum(lo, edge - pad), lo)
            hi = np.where(g < 0.0, np.minimum(hi, edge + pad), hi)
            none = (g == 0.0) & (beta >= c0_limit)
            return np.where(none, np.inf, lo), np.where(none, -np.inf, hi)

        u_lo, u_hi = np.full(n_b, us[0]), np.full(n_b, us[-1])
        r_out, r_in, c0_limit = radii(u_lo, u_hi, True)
        clo, chi = small_c0(c0_limit)
        # the intervals, one row each: left of uv, right of uv, complex with a small c0
        lo = np.stack([uv - r_out, uv + r_in, clo])
        hi = np.stack([uv - r_in, uv + r_out, chi])
        lo, hi = np.maximum(lo, u_lo), np.minimum(hi, u_hi)
        for _ in range(_GRID_REFINE):
            empty = ~(lo <= hi)
            r_o, r_i, c0_l = radii(np.where(empty, uv, lo), np.where(empty, uv, hi), False)
            clo, chi = small_c0(c0_l[2])
            lo = np.maximum(lo, np.stack([uv - r_o[0], uv + r_i[1], clo]))
            hi = np.minimum(hi, np.stack([uv - r_i[0], uv + r_o[1], chi]))
        # rho within DELTA of 1: a root near 1 (p(1) = u), near -1 (p(-1) = 2 + 2 beta - u (1 + 2 g))
        # or a complex pair with c0 = beta - u g near 1 (notes above)
        reach = 2.01 * _NEAR_ONE * (1.0 + 2.0**-20)
        q2, q3 = 1.0 + 2.0 * g, g
        u2 = 2.0 * p1 / np.where(q2 == 0.0, 1.0, q2)
        u3 = (beta - 1.0) / np.where(q3 == 0.0, 1.0, q3)
        w2 = reach / np.abs(np.where(q2 == 0.0, 1.0, q2)) + 4.0 * EPS * np.abs(u2)
        w3 = reach / np.abs(np.where(q3 == 0.0, 1.0, q3)) + 4.0 * EPS * np.abs(u3)
        whole2 = np.abs(2.0 * p1) <= reach * (1.0 + 4.0 * EPS)
        whole3 = np.abs(beta - 1.0) <= reach * (1.0 + 4.0 * EPS)
        near_lo = np.stack([
            np.full(n_b, -reach),
            np.where(q2 == 0.0, np.where(whole2, -np.inf, np.inf), u2 - w2),
            np.where(q3 == 0.0, np.where(whole3, -np.inf, np.inf), u3 - w3),
        ])
        near_hi = np.stack([
            np.full(n_b, reach),
            np.where(q2 == 0.0, np.where(whole2, np.inf, -np.inf), u2 + w2),
            np.where(q3 == 0.0, np.where(whole3, np.inf, -np.inf), u3 + w3),
        ])
        lo, hi = np.concatenate([lo, near_lo]), np.concatenate([hi, near_hi])
        lo = np.where(ok, lo, -np.inf)
        hi = np.where(ok, hi, np.inf)
        # the grid's u are float64 products: pad by their rounding
        lo = np.where(np.isfinite(lo), lo - (EPS * np.abs(lo) + 2.0**-1070), lo)
        hi = np.where(np.isfinite(hi), hi + (EPS * np.abs(hi) + 2.0**-1070), hi)
        # (a NaN end: no certificate, the whole line)
        lost = np.isnan(lo) | np.isnan(hi)
        lo, hi = np.where(lost, -np.inf, lo).reshape(-1), np.where(lost, np.inf, hi).reshape(-1)
        live = np.flatnonzero((lo <= hi) & (hi >= us[0]) & (lo <= us[-1]))
        column = live % n_b
        start = np.searchsorted(us, lo[live], side="left")
        stop = np.searchsorted(us, hi[live], side="right")
    lengths = np.maximum(stop - start, 0)
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.intp)
    keep = lengths > 0
    start, lengths, column = start[keep], lengths[keep], column[keep]
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    sorted_index = np.repeat(start, lengths) + (np.arange(total, dtype=np.intp) - offsets)
    rows = sorted_index if order is None else order[sorted_index]
    cols = np.repeat(column, lengths)
    flat: NDArray[np.intp] = rows * n_b + cols if u_axis == 0 else cols * n_u + rows
    return flat


def _compact(x: Arr) -> Arr:
    """``x`` with every axis of stride 0 (a broadcast view) cut to length 1: the same values once
    broadcast again, without reducing over (or the kernels walking) the repeated elements."""
    repeated = [st == 0 and n > 1 for st, n in zip(x.strides, x.shape, strict=True)]
    if x.size == 0 or not any(repeated):
        return x
    return x[tuple(slice(0, 1) if r else slice(None) for r in repeated)]


def _gather(x: Arr, where: tuple[NDArray[np.intp], ...]) -> Arr:
    """``np.broadcast_to(x, shape)[where]`` without forming the broadcast (``where`` from unravel_index)."""
    x = x.reshape((1,) * (len(where) - x.ndim) + x.shape)
    sizes: tuple[int, ...] = x.shape
    index: tuple[Any, ...] = tuple(w if n > 1 else 0 for w, n in zip(where, sizes, strict=True))
    picked: Arr = x[index]
    return picked


def _float_blocks(method: Method, a: Arr, b: Arr, hh: Arr, out: Arr, bare: bool = False) -> NDArray[np.intp]:
    """Write the float64 rho of every point into ``out``; return the flat indices of the points
    that :func:`_route` may route (all of them, and a few more). ``bare``: only those with
    ``rho`` within ``2**-43`` of 1 (the grid's windows find the others)."""
    shape = out.shape
    axis, step = _blocks(shape, _BARE_BLOCK if bare else None)
    run = _BlockRun(method, a, b, hh, out, axis, step, bare)
    with np.errstate(invalid="ignore"):  # sqrt of a negative disc or c0: NaN, dropped by fmax
        if axis < 0:
            run.block((...,), 0)
        else:
            inner = run.inner
            lead_strides = [int(np.prod(shape[d + 1 :], dtype=np.int64)) for d in range(axis)]
            for lead in np.ndindex(*shape[:axis]):
                base = sum(i * st for i, st in zip(lead, lead_strides, strict=True))
                for lo in range(0, shape[axis], step):
                    run.block((*lead, slice(lo, min(lo + step, shape[axis]))), base + lo * inner)
    return np.concatenate(run.found) if run.found else np.empty(0, dtype=np.intp)


class _Superset(NamedTuple):
    """Constants of the blocks' test for an inexact ``c0``: a superset of :func:`_tight_route`.

    With ``K = SLACK k eps`` and a ``sigma1 >= max(sigma, 2)`` (``(1 + max(|beta|, 1))(1 + |alpha h|)``
    or the sum), the bound of :func:`_tight_route` is certainly within ``ROUTE_TOL`` when

    * real roots (``s = sqrt(disc)``, ``t = |c1| + s``; ``|c1| <= t``, ``c1^2 + disc <= t^2``,
      ``s <= t``): ``t (sigma1 A + c t - T s) + sigma1 B <= 0`` with ``A = (1 + 2 SLACK) K1``,
      ``B = 4 SLACK K0``, ``c = SLACK eps / 2``, ``T = ROUTE_TOL - eps`` (this also puts ``disc``
      beyond its error bound, and excludes a double root picked by ``fmax``);
    * complex roots: ``disc + tau (4 c0 + sigma1^2) <= 0`` with ``tau = SLACK (K1 + 2 K0 + eps / 2)``
      (then ``d_disc < |disc|``: ``2 |c1| e1 <= K1 (4 c0 + sigma1^2)``, ``4 e0 <= 2 K0 sigma1^2``,
      ``c1^2 + |disc| = 4 c0``), and ``4 c0 >= kappa sigma1``, ``kappa = 2 K0 / (ROUTE_TOL - eps / 2)``.

    Every constant carries a factor 1.001 towards routing, far more than the roundings of the
    test's own evaluation. Points failing both are candidates; :func:`_route` decides on them.
    """

    a: float
    b: float
    c: float
    t: float
    tau: float
    kappa: float


@functools.lru_cache(maxsize=64)
def _superset(bounds: tuple[bool, float, float]) -> _Superset:
    _, k1, k0 = bounds
    big_k1, big_k0, m = _SLACK * k1 * EPS, _SLACK * k0 * EPS, 1.001
    return _Superset(
        m * (1.0 + 2.0 * _SLACK) * big_k1,
        m * 4.0 * _SLACK * big_k0,
        m * _SLACK * EPS / 2.0,
        (ROUTE_TOL - EPS) / m,
        m * _SLACK * (big_k1 + 2.0 * big_k0 + EPS / 2.0),
        m * 2.0 * big_k0 / (ROUTE_TOL - EPS / 2.0),
    )


class _BlockRun:
    """One :func:`_float_blocks` call: operands, reused buffers, and values derived once.

    An input that does not vary along the blocked axes is passed to every block as the same
    view, so a coefficient such as heavy ball's ``c0 = beta`` is the same object in every block:
    ``4 c0`` and ``2 sqrt(c0)`` are then computed once, as block-shaped copies (contiguous loops
    run about twice as fast as broadcasting ones). The routing window's ``1 / sigma1^2`` is
    computed once for the whole input when it is small (the axis of a grid).
    """

    def __init__(
        self, method: Method, a: Arr, b: Arr, hh: Arr, out: Arr, axis: int, step: int, bare: bool = False
    ) -> None:
        shape = out.shape
        self.bare = bare
        nd = len(shape)
        rule = _rule(method)
        if rule is None:
            raise ValueError(f"method {method.name!r} has no error bounds: use characteristic()")
        self.method, self.rule, self.out, self.axis = method, rule, out, axis
        self.ops = tuple(x.reshape((1,) * (nd - x.ndim) + x.shape) for x in (a, b, hh))
        self.inner = int(np.prod(shape[axis + 1 :], dtype=np.int64)) if axis >= 0 else 1
        self.full_block = (step, *shape[axis + 1 :]) if axis >= 0 else shape
        cap = step * self.inner if axis >= 0 else out.size
        self.disc_buf, self.t_buf = np.empty(cap), np.empty(cap)
        self.route_buf, self.scratch_buf = np.empty(cap, dtype=bool), np.empty(cap, dtype=bool)
        self.root_buf = np.empty(cap)
        self.neg_buf = np.empty(cap, dtype=bool)
        self.found: list[NDArray[np.intp]] = []
        self.fixed = tuple(
            None if any(x.shape[d] > 1 for d in range(axis + 1)) else x[(0,) * max(axis, 0)] for x in self.ops
        )
        self.c0_key: object = None
        self.c1_out: Any = None
        # beta fixed along the blocks (a grid's row): the method's beta-only work once, not per block
        at = method.coefficients_at
        # (as a contiguous block-sized copy of the row: the row operands of every block are then
        # contiguous, about 1.5x faster than broadcasting them)
        self.at: Any = None
        self.at_last: Any = None
        self.at_row: Any = None
        if at is not None and self.fixed[1] is not None:
            row = self.fixed[1]
            if axis >= 0 and np.shape(row) != self.full_block:
                # (a broadcast view: coefficients_at makes its row operands contiguous and does
                # the work of beta alone once per row, not per copy)
                row = np.broadcast_to(row, self.full_block)
            self.at = at(row)
            self.at_row = row
        self.c0_terms: tuple[Any, Any] = (None, None)
        a4, b4, h4 = self.ops
        scale_size = int(np.prod(np.broadcast_shapes(a4.shape, h4.shape), dtype=np.int64))
        self.beta_small = bool(np.all(np.abs(b4) <= 1.0))
        self.inv_scale: Arr | None = None
        if rule.window and 8 * scale_size <= out.size and self.beta_small:
            self.inv_scale = _inverse_scale(self.rule, a4, b4, h4, True, True)
        self.columns: _Columns | None = None
        self.block_scalars: list[tuple[float, ...] | None] | None = None
        self.step = step
        if not rule.window:
            self.s_buf, self.g_buf, self.h_buf = np.empty(cap), np.empty(cap), np.empty(cap)
            if 8 * scale_size <= out.size and not bare:
                columns = _column_window(method, a4, b4, h4)
                if columns is not None:
                    self.columns = _Columns(*(x.reshape((1,) * (nd - x.ndim) + x.shape) for x in columns))
                    self.relative = _relative(columns)
                    if axis == 0 and all(x.shape[0] == shape[0] and x.size == shape[0] for x in columns):
                        self.block_scalars = _block_constants(columns, shape[0], step)

    def terms_of(self, c0: Any, shape: tuple[int, ...]) -> tuple[Any, Any]:
        """``4 c0`` and ``2 sqrt(c0)`` (NaN for ``c0 < 0``, dropped by fmax)."""
        if c0 is not self.c0_key:
            # 2 sqrt(c0) == sqrt(4 c0) bit for bit (scaling by powers of two commutes with the
            # correctly rounded sqrt; no overflow at these magnitudes). A c0 that the coefficient
            # function returned as a fresh block-sized array is overwritten in place.
            fresh = (
                isinstance(c0, np.ndarray) and c0.flags.owndata and c0.flags.writeable
                and c0.shape == shape and 0 < c0.size <= self.root_buf.size
                and not any(c0 is x for x in (*self.ops, *self.fixed, self.at_row))
            )
            if fresh:
                four_c0 = np.multiply(c0, 4.0, out=c0)
                two_sqrt_c0 = np.sqrt(four_c0, out=self.root_buf[: c0.size].reshape(c0.shape))
            else:
                four_c0 = np.multiply(c0, 4.0)
                two_sqrt_c0 = np.sqrt(four_c0)
            if self.axis >= 0 and any(c0 is f for f in self.fixed) and np.shape(c0) != self.full_block:
                four_c0, two_sqrt_c0 = (
                    np.ascontiguousarray(np.broadcast_to(x, self.full_block)) for x in (four_c0, two_sqrt_c0)
                )
            self.c0_key, self.c0_terms = c0, (four_c0, two_sqrt_c0)
        four_c0, two_sqrt_c0 = self.c0_terms
        rows = shape[0] if shape else 1
        if np.shape(four_c0) == self.full_block and rows != self.full_block[0]:  # the last, shorter block
            return four_c0[:rows], two_sqrt_c0[:rows]
        return four_c0, two_sqrt_c0

    def four_of(self, c0: Any, shape: tuple[int, ...]) -> Any:
        """``4 c0`` (in place when the coefficient function returned a fresh block-sized array)."""
        fresh = (
            isinstance(c0, np.ndarray) and c0.flags.owndata and c0.flags.writeable
            and c0.shape == shape and 0 < c0.size <= self.root_buf.size
            and not any(c0 is x for x in (*self.ops, *self.fixed, self.at_row))
        )
        if fresh:
            return np.multiply(c0, 4.0, out=c0)
        return self.terms_of(c0, shape)[0]

    def _column_block(
        self, o: Arr, c1: Any, c0: Any, index: tuple[Any, ...], n: int, bs: tuple[int, ...],
        disc: Arr, t: Arr, route: NDArray[np.bool_], scratch: NDArray[np.bool_],
    ) -> None:
        """An inexact ``c0``, a small ``(alpha, h)`` axis: rho and the window of :func:`_column_window`
        with per-column constants.

        One square root per point: ``sqrt(disc)`` on real roots, ``sqrt(4 c0)`` on complex ones
        (``disc < 0``), i.e. ``2 rho = [disc >= 0] |c1| + sqrt(disc if disc >= 0 else 4 c0)``. On
        every point that no test here makes a candidate this is :func:`_radius_from`'s
        ``fmax(|c1| + sqrt(disc), 2 sqrt(c0))`` bit for bit: a real root passing the real test has
        ``s >= 0.011 |c1|`` (the notes above), so ``fmax`` picks ``t``, and a complex one has the
        same ``sqrt(4 c0)``. Candidates get :func:`_radius_from`'s value in
        :func:`spectral_radius` before :func:`_route` decides on them.
        """
        x, sq = self.h_buf[:n].reshape(bs), self.s_buf[:n].reshape(bs)
        neg = self.neg_buf[:n].reshape(bs)
        if self.bare:
            # the grid's windows hold every candidate: rho alone, as rho = |c1/2| [disc >= 0] +
            # sqrt(c1^2/4 - c0 if that is >= 0 else c0) (powers of two: the same bits); c1/2 in
            # c1's place when c1 is the block's own buffer (few buffers: they stay in the cache)
            if c1 is self.c1_out:
                x = c1
            np.multiply(c1, 0.5, out=x)
            np.multiply(x, x, out=disc)
            np.subtract(disc, c0, out=disc)
            np.less(disc, 0.0, out=neg)
            np.copyto(disc, c0, where=neg)
            np.sqrt(disc, out=o)
            np.abs(x, out=x)
            np.copyto(x, 0.0, where=neg)
            np.add(o, x, out=o)
            return
        four_c0 = self.four_of(c0, bs)
        cols = self.columns
        assert cols is not None
        neg_tau0 = cols.neg_tau0[_operand_index(cols.neg_tau0, index)]
        scalars = None if self.block_scalars is None else self.block_scalars[index[0].start // self.step]
        if scalars is None:
            theta1, theta0, a_t, b_t, c_t = (
                x[_operand_index(x, index)] for x in (cols.theta1, cols.theta0, cols.a_t, cols.b_t, cols.c_t)
            )
        else:
            theta1, theta0, a_t, b_t, c_t = scalars
        np.multiply(c1, c1, out=x)
        np.subtract(x, four_c0, out=disc)
        # candidates: neither complex roots with disc < -(tau0 + tau1 4 m0) ...
        np.greater_equal(disc, neg_tau0, out=route)
        np.less(disc, 0.0, out=neg)
        if self.relative:  # ... nor real roots with disc > theta1 c1^2 + theta0
            np.multiply(x, theta1, out=x)
            np.add(x, theta0, out=x)
            np.less_equal(disc, x, out=scratch)
            np.logical_and(route, scratch, out=route)
        np.copyto(disc, four_c0, where=neg)
        np.sqrt(disc, out=sq)  # sqrt(disc) on real roots, sqrt(4 c0) = 2 rho on complex ones
        np.abs(c1, out=t)
        np.copyto(t, 0.0, where=neg)
        np.add(t, sq, out=t)  # 2 rho
        if not self.relative:  # ... nor real roots with t (A/T + t B/T - s) + C/T < 0
            np.multiply(t, b_t, out=x)
            np.add(x, a_t, out=x)
            np.subtract(x, sq, out=x)
            np.multiply(x, t, out=x)
            np.add(x, c_t, out=x)
            np.less(x, 0.0, out=scratch)  # (NaN: False)
            np.greater(scratch, neg, out=scratch)  # ... on real roots only
            np.greater(route, scratch, out=route)  # route and not scratch, on booleans
        np.multiply(t, 0.5, out=o)
        _near_one(t, x, scratch, route)

    def evaluate(
        self, at: Callable[..., tuple[Any, Any]], ac: Any, hc: Any, n: int, bs: tuple[int, ...]
    ) -> tuple[Any, Any]:
        """``at(ac, hc)``; in the bare blocks into two of the block's buffers when ``at`` takes ``out``."""
        if self.bare and _takes_out(at):
            out = self.s_buf[:n].reshape(bs), self.g_buf[:n].reshape(bs)
            c1, c0 = at(ac, hc, out=out)
            self.c1_out = out[0]
            return c1, c0
        return at(ac, hc)

    def block(self, index: tuple[Any, ...], offset: int) -> None:
        rule = self.rule
        o = self.out[index]
        ac, bc, hc = (
            x[_operand_index(x, index)] if f is None else f for x, f in zip(self.ops, self.fixed, strict=True)
        )
        n, bs = o.size, o.shape
        disc, t = self.disc_buf[:n].reshape(bs), self.t_buf[:n].reshape(bs)
        route, scratch = self.route_buf[:n].reshape(bs), self.scratch_buf[:n].reshape(bs)
        self.c1_out = None
        if self.at is not None:
            rows = bs[0] if bs else 1
            if np.shape(self.at_row) == self.full_block and rows != self.full_block[0]:  # the last, shorter block
                if self.at_last is None:
                    self.at_last = self.method.coefficients_at(self.at_row[:rows])  # type: ignore[misc]
                c1, c0 = self.evaluate(self.at_last, ac, hc, n, bs)
            else:
                c1, c0 = self.evaluate(self.at, ac, hc, n, bs)
        elif self.bare and self.method.coefficients_at is not None:
            # beta varies along the blocks (a grid's column): its work once per block
            c1, c0 = self.evaluate(self.method.coefficients_at(bc), ac, hc, n, bs)
        else:
            c1 = self.method.c1(ac, bc, hc)
            c0 = self.method.c0(ac, bc, hc)
        if (self.bare or self.columns is not None) and not rule.window:
            self._column_block(o, c1, c0, index, n, bs, disc, t, route, scratch)
            if not self.bare and route.any():
                self.found.append(np.flatnonzero(route) + offset)
            return
        four_c0, two_sqrt_c0 = self.terms_of(c0, bs)
        np.multiply(c1, c1, out=disc)
        np.subtract(disc, four_c0, out=disc)
        if rule.window:
            if self.inv_scale is None:
                inv_scale = _inverse_scale(rule, ac, bc, hc, True, self.beta_small)
            else:
                inv_scale = self.inv_scale[_operand_index(self.inv_scale, index)]
            _window_rule(rule, disc, inv_scale, t, scratch, route)
            np.sqrt(disc, out=disc)  # NaN for complex roots, dropped by fmax
            np.abs(c1, out=t)
            np.add(t, disc, out=t)
            np.fmax(t, two_sqrt_c0, out=t)
            np.multiply(t, 0.5, out=o)
            _near_one(t, disc, scratch, route)
        else:
            # inexact c0: the test of _Superset, in place, with sigma itself at each point (times
            # 1 + 2**-20, so that it contains _superset_route whatever the order of the roundings)
            sup = _superset(rule.bounds)
            sq, g, sig = self.s_buf[:n].reshape(bs), self.g_buf[:n].reshape(bs), self.h_buf[:n].reshape(bs)
            u1 = np.abs(np.multiply(ac, hc))
            b1 = np.abs(bc)
            if rule.product:
                np.multiply(np.multiply(u1 + 1.0, 1.0 + 2.0**-20), b1 + 1.0, out=sig)
            else:
                np.multiply(np.add(u1 + 1.0, b1), 1.0 + 2.0**-20, out=sig)
            np.maximum(sig, 2.0, out=sig)
            np.sqrt(disc, out=sq)  # NaN for complex roots: the real test below is then False
            np.abs(c1, out=t)
            np.add(t, sq, out=t)
            np.multiply(sig, sig, out=g)  # complex: disc + tau (4 c0 + sigma^2) <= 0 ...
            np.add(g, four_c0, out=g)
            np.multiply(g, sup.tau, out=g)
            np.add(g, disc, out=g)
            np.less_equal(g, 0.0, out=route)
            np.multiply(sig, sup.kappa, out=g)  # ... and 4 c0 >= kappa sigma
            np.greater_equal(four_c0, g, out=scratch)
            np.logical_and(route, scratch, out=route)
            np.multiply(t, sup.a, out=g)  # real: sigma (t A + B) + t (c t - T s) <= 0
            np.add(g, sup.b, out=g)
            np.multiply(g, sig, out=g)
            np.multiply(t, sup.c, out=sig)
            np.multiply(sq, sup.t, out=sq)
            np.subtract(sig, sq, out=sig)
            np.multiply(sig, t, out=sig)
            np.add(g, sig, out=g)
            np.less_equal(g, 0.0, out=scratch)
            np.logical_or(route, scratch, out=route)
            np.logical_not(route, out=route)
            np.fmax(t, two_sqrt_c0, out=t)
            np.multiply(t, 0.5, out=o)
            _near_one(t, g, scratch, route)
        if route.any():
            self.found.append(np.flatnonzero(route) + offset)


def _takes_out(at: Callable[..., Any]) -> bool:
    """Whether a :attr:`~hbtheory.methods.Method.coefficients_at` function takes a keyword ``out``."""
    code = getattr(at, "__code__", None)
    if code is None:
        return False
    known = _TAKES_OUT.get(code)
    if known is None:
        try:
            params = inspect.signature(at).parameters
        except (TypeError, ValueError):
            return False
        known = _TAKES_OUT[code] = "out" in params and params["out"].kind in (
            inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
        )
    return known


_TAKES_OUT: dict[Any, bool] = {}


def _operand_index(x: Arr, index: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((i if x.shape[d] > 1 else (slice(None) if isinstance(i, slice) else 0)) for d, i in enumerate(index))


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
