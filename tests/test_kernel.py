"""Tests of the numerical kernel: double-double arithmetic, accurate coefficients, Lucas sequences.

Reference values are exact: Python fractions on the float64 inputs (every float is a rational),
or mpmath at 50 digits where a square root is involved.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hbtheory import _kernel
from hbtheory._dd import DD, dd_add_positive, dd_sqrt, two_prod, two_square, two_sum
from hbtheory.methods import HEAVY_BALL, METHODS, Method, general, get_method

EPS = float(np.finfo(np.float64).eps)
HB, NAG, GD = (get_method(n) for n in ("heavy_ball", "nesterov", "gradient_descent"))

#: Every named member of the family and two general(gamma): each parametrisation covers them all.
ALL = [*METHODS, "general(gamma=0.5)", "general(gamma=7.5)"]


def _exact(method_name: str, a: float, b: float, h: float) -> tuple[Fraction, Fraction, Fraction]:
    m = get_method(method_name)
    fa, fb, fh = Fraction(a), Fraction(b), Fraction(h)
    c1, c0 = Fraction(m.c1(fa, fb, fh)), Fraction(m.c0(fa, fb, fh))
    return c1, c0, c1 * c1 - 4 * c0


def _mp_radius(method_name: str, a: float, b: float, h: float) -> mpmath.mpf:
    c1, c0, disc = _exact(method_name, a, b, h)
    with mpmath.workdps(50):
        c1m, c0m, dm = (mpmath.mpf(x.numerator) / x.denominator for x in (c1, c0, disc))
        return (abs(c1m) + mpmath.sqrt(dm)) / 2 if dm >= 0 else mpmath.sqrt(c0m)


def _wide_floats(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 1.0, n) * 2.0 ** rng.integers(-60, 60, n)


# ----------------------------------------------------------------------------------------------
# Double-double arithmetic
# ----------------------------------------------------------------------------------------------


def test_two_sum_and_two_prod_are_error_free(rng: np.random.Generator) -> None:
    a, b = _wide_floats(rng, 2000), _wide_floats(rng, 2000)
    s, e = two_sum(a, b)
    p, f = two_prod(a, b)
    for i in range(a.size):
        assert Fraction(s[i]) + Fraction(e[i]) == Fraction(a[i]) + Fraction(b[i])
        assert Fraction(p[i]) + Fraction(f[i]) == Fraction(a[i]) * Fraction(b[i])
    assert np.array_equal(s, a + b) and np.array_equal(p, a * b)


def test_dd_arithmetic_carries_about_104_bits(rng: np.random.Generator) -> None:
    # 1 + beta - alpha * h, the heavy-ball c1, at wide magnitudes: relative error <= 2**-100
    # of the largest term (the DD add and mul of Hida-Li-Bailey are accurate to ~2**-104).
    a, b, h = (np.abs(_wide_floats(rng, 500)) for _ in range(3))
    got = 1.0 + DD(b) - DD(a) * DD(h)
    for i in range(a.size):
        exact = 1 + Fraction(b[i]) - Fraction(a[i]) * Fraction(h[i])
        scale = 1 + Fraction(b[i]) + Fraction(a[i]) * Fraction(h[i])
        err = abs(Fraction(got.hi[i]) + Fraction(got.lo[i]) - exact)
        assert err <= scale * Fraction(1, 2**100)


def test_dd_sqrt_is_accurate_and_maps_zero_to_zero(rng: np.random.Generator) -> None:
    x = DD(np.abs(_wide_floats(rng, 300)), 0.0) * DD(np.abs(_wide_floats(rng, 300)))  # non-trivial lo
    r = dd_sqrt(x)
    for i in range(x.hi.size):
        xi = Fraction(x.hi[i]) + Fraction(x.lo[i])
        ri = Fraction(r.hi[i]) + Fraction(r.lo[i])
        assert abs(ri * ri - xi) <= xi * Fraction(1, 2**100)
    zero = dd_sqrt(DD(np.array([0.0, -1.0])))
    assert np.array_equal(zero.hi, [0.0, 0.0]) and np.array_equal(zero.lo, [0.0, 0.0])


def test_two_square_and_exact_shortcuts_are_error_free(rng: np.random.Generator) -> None:
    a = _wide_floats(rng, 2000)
    p, e = two_square(a)
    for i in range(a.size):
        assert Fraction(p[i]) + Fraction(e[i]) == Fraction(a[i]) ** 2
    # Numbers built from floats skip the zero low parts; the results are exact sums and products.
    b = _wide_floats(rng, 2000)
    s, prod, scaled = DD(a) + DD(b), DD(a) * DD(b), DD(a) * 0.25
    for i in range(a.size):
        assert Fraction(s.hi[i]) + Fraction(s.lo[i]) == Fraction(a[i]) + Fraction(b[i])
        assert Fraction(prod.hi[i]) + Fraction(prod.lo[i]) == Fraction(a[i]) * Fraction(b[i])
        assert Fraction(float(scaled.hi[i])) == Fraction(a[i]) / 4


def test_dd_add_positive_is_accurate(rng: np.random.Generator) -> None:
    x = DD(np.abs(_wide_floats(rng, 500))) * DD(np.abs(_wide_floats(rng, 500)))
    y = DD(np.abs(_wide_floats(rng, 500))) * DD(np.abs(_wide_floats(rng, 500)))
    z = dd_add_positive(x, y)
    for i in range(z.hi.size):
        exact = Fraction(x.hi[i]) + Fraction(x.lo[i]) + Fraction(y.hi[i]) + Fraction(y.lo[i])
        assert abs(Fraction(z.hi[i]) + Fraction(z.lo[i]) - exact) <= exact * Fraction(1, 2**100)


# ----------------------------------------------------------------------------------------------
# characteristic / radius
# ----------------------------------------------------------------------------------------------


def _curves(method_name: str, b: np.ndarray) -> list[np.ndarray]:
    """``alpha h`` on the critical curves of a member of the general family (``u = 1`` where none):
    the roots in ``u`` of ``(1 - b)^2 - 2 u (1 + b - g + b g) + u^2 (1 + g)^2``."""
    g = np.broadcast_to(np.asarray(get_method(method_name).gamma(b), dtype=float), b.shape)
    A, B, C = (1.0 + g) ** 2, 1.0 + b - g + b * g, (1.0 - b) ** 2
    d = B * B - A * C
    r = np.sqrt(np.maximum(d, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = np.where(B > 0, C / (B + r), (B - r) / A), (B + r) / A
    ok = (d >= 0.0) & (lo > 0.0) & np.isfinite(lo)
    return [np.where(ok, lo, 1.0), np.where(ok & (hi > 0.0), hi, 1.0)]


def _points(rng: np.random.Generator, method_name: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random points, a third within 1e-10 (relative) of a critical curve, some exactly on it."""
    b = rng.uniform(0.0, 1.0, n) if get_method(method_name).uses_beta else np.zeros(n)
    h = rng.uniform(0.1, 3.0, n)
    curve = np.choose(rng.integers(0, 2, n), _curves(method_name, b))
    near = curve * (1.0 + rng.uniform(-1e-10, 1e-10, n) * 10.0 ** -rng.integers(0, 6, n))
    near = np.where(rng.random(n) < 0.2, curve, near)  # exactly on, as far as float64 allows
    kind = rng.integers(0, 3, n)
    ah = np.where(kind == 0, near, rng.uniform(0.0, 5.0, n))
    return ah / h, b, h


@pytest.mark.parametrize("name", ALL)
def test_characteristic_matches_exact_rationals(rng: np.random.Generator, name: str) -> None:
    a, b, h = _points(rng, name, 600)
    m = get_method(name)
    ch = _kernel.characteristic(m, a, b, h, exact_disc=True)
    for i in range(a.size):
        c1, c0, disc = _exact(name, float(a[i]), float(b[i]), float(h[i]))
        # c1, c0: within the method's own float64 error bounds (k eps sigma, 1% for the second-order
        # terms), or within an ulp where they were recomputed.
        product, k1, k0 = m.error_bounds
        ab, au = abs(Fraction(b[i])), abs(Fraction(a[i]) * Fraction(h[i]))
        scale = (1 + ab) * (1 + au) if product else 1 + ab + au
        assert abs(Fraction(ch.c1[i]) - c1) <= Fraction(1.01) * Fraction(k1) * Fraction(EPS) * scale + Fraction(EPS)
        assert abs(Fraction(ch.c0[i]) - c0) <= Fraction(1.01) * Fraction(k0) * Fraction(EPS) * scale + Fraction(EPS)
        # disc: relative error <= ROUTE_TOL (routing guarantees it), zero exactly when zero.
        assert abs(Fraction(ch.disc[i]) - disc) <= Fraction(_kernel.ROUTE_TOL) * abs(disc)


def test_exact_double_roots_give_disc_exactly_zero() -> None:
    # beta = s^2, alpha h = (1 -+ s)^2 with s dyadic: exact double roots of heavy ball.
    a = np.array([0.25, 2.25, 0.0625, 1.5625, 0.25 * 4.0])
    b = np.array([0.25, 0.25, 0.5625, 0.0625, 0.25])
    h = np.array([1.0, 1.0, 1.0, 1.0, 0.25])
    ch = _kernel.characteristic(HB, a, b, h, exact_disc=True)
    assert np.array_equal(ch.disc, np.zeros(5))
    # Nesterov at alpha h = 1 (c1 = c0 = 0) and beta = 1, h = 0 (double root 1).
    ch = _kernel.characteristic(NAG, np.array([0.5, 1.0]), np.array([0.9, 1.0]), np.array([2.0, 0.0]))
    assert np.array_equal(ch.disc, [0.0, 0.0])
    assert np.array_equal(_kernel.radius(ch), [0.0, 1.0])
    # One ulp off the curve is not on it.
    ch = _kernel.characteristic(HB, np.nextafter(0.25, 1.0), 0.25, 1.0, exact_disc=True)
    assert ch.disc < 0.0


@pytest.mark.parametrize("name", ALL)
def test_radius_is_faithful_on_routed_points(rng: np.random.Generator, name: str) -> None:
    # Routed points are rounded once from double-double: within one ulp of the 50-digit value.
    a, b, h = _points(rng, name, 600)
    m = get_method(name)
    _, _, route = _kernel._fast_path(m, *_kernel._broadcast(a, b, h), False)
    rho = _kernel.radius(_kernel.characteristic(m, a, b, h))
    for i in np.flatnonzero(route):
        ref = _mp_radius(name, float(a[i]), float(b[i]), float(h[i]))
        assert abs(mpmath.mpf(float(rho[i])) - ref) <= mpmath.mpf(np.spacing(rho[i]))


@pytest.mark.parametrize("name", ALL)
def test_radius_is_exactly_one_at_zero_curvature(rng: np.random.Generator, name: str) -> None:
    # h = 0: roots 1 and beta (all three methods); float64 c1 = fl(1 + beta) alone would miss it.
    b = rng.uniform(0.0, 1.0, 5000) if get_method(name).uses_beta else np.zeros(5000)
    rho = _kernel.radius(_kernel.characteristic(get_method(name), 1.0, b, 0.0))
    assert np.array_equal(rho, np.ones_like(b))


def test_float64_formula_is_what_double_double_fixes() -> None:
    # At h = 0 the plain float64 formula misses rho = 1 for many beta; the kernel does not.
    b = np.linspace(0.0, 0.999, 1000)
    plain = _kernel.radius(_kernel.float64_characteristic(HB, 1.0, b, 0.0))
    assert np.any(plain != 1.0)
    assert 0.0 < _kernel.routed_fraction(HB, 1.0, b, 0.0) <= 1.0


def test_routed_fraction_far_from_curves_is_zero() -> None:
    # Deep inside the complex band and away from rho = 1 nothing needs double-double.
    b = np.linspace(0.2, 0.8, 101)
    assert _kernel.routed_fraction(HB, 1.0, b, 1.0) == 0.0
    assert _kernel.routed_fraction(HB, 0.25, 0.25, 1.0) == 1.0  # on the curve


def test_overflowing_alpha_h_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"`alpha \* h` overflows"):
        _kernel.characteristic(HB, np.array([1.0, 1e200]), 0.5, 1e200)


def test_huge_but_finite_coefficients_give_finite_radius() -> None:
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        rho = _kernel.radius(_kernel.characteristic(HB, 1e200, 0.5, 1e100))
    assert rho == pytest.approx(1e300, rel=4 * EPS)


# ----------------------------------------------------------------------------------------------
# spectral_radius: blocked, the same values as radius(characteristic(...))
# ----------------------------------------------------------------------------------------------


def _sr_cases(rng: np.random.Generator, name: str) -> list[tuple[object, object, object]]:
    uses_beta = get_method(name).uses_beta
    a, b, h = _points(rng, name, 3000)
    grid_b = np.linspace(0.0, 0.999, 37)[None, :] if uses_beta else 0.0
    return [
        (a, b, h),  # 1-d, a third near the curves
        (np.linspace(0.001, 4.0, 53)[:, None], grid_b, 1.0),  # a grid, broadcast
        (a.reshape(30, 100), b.reshape(30, 100), h.reshape(30, 100)),  # full 2-d operands
        (np.linspace(0.01, 3.0, 5)[:, None, None], grid_b, np.linspace(-1.0, 3.0, 11)[:, None]),  # 3-d, h < 0
        (0.25, 0.25 if uses_beta else 0.0, 1.0),  # 0-d, on a curve for heavy ball
        (1.0, b, 0.0),  # h = 0: rho exactly 1
        (np.array([1e200, 0.5]), b[:2], np.array([1e100, 1.0])),  # huge: the general path
        (np.zeros((0, 3)) + 0.5, 0.0, 1.0),  # empty
    ]


@pytest.mark.parametrize("block", [7, 64, 4096, _kernel._BLOCK])
@pytest.mark.parametrize("name", ALL)
def test_spectral_radius_equals_radius_of_characteristic(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch, name: str, block: int
) -> None:
    # Bit for bit, whatever the blocking: the routing decision of a point depends on it alone.
    monkeypatch.setattr(_kernel, "_BLOCK", block)
    m = get_method(name)
    for a, b, h in _sr_cases(rng, name):
        expected = _kernel.radius(_kernel.characteristic(m, a, b, h))
        got = _kernel.spectral_radius(m, a, b, h)
        assert got.shape == expected.shape and got.dtype == np.float64
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", ALL)
def test_block_candidates_contain_every_routed_point(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # The blocks' cheap test keeps a superset of what characteristic's _route reroutes, and the
    # float64 rho it writes is the same elsewhere. It is a superset of the error_bounds test
    # (not many more points than that), which the running error bound then narrows further.
    m = get_method(name)
    for a, b, h in (_points(rng, name, 5000), (np.linspace(0.001, 4.0, 300)[:, None], _sr_cases(rng, name)[1][1], 1.0)):
        a, b, h = _kernel._broadcast(a, b, h)
        out = np.empty(a.shape)
        candidates = np.zeros(a.size, dtype=bool)
        candidates[_kernel._float_blocks(m, a, b, h, out)] = True
        _, rho, route = _kernel._fast_path(m, a, b, h, False)
        assert not np.any(route.reshape(-1) & ~candidates)
        np.testing.assert_array_equal(out, rho)
        with monkeypatch.context() as patch:
            patch.setattr(_kernel, "_running_errors", lambda *args: None)
            _, _, bound_route = _kernel._fast_path(m, a, b, h, False)
        assert not np.any(bound_route.reshape(-1) & ~candidates)
        assert route.mean() <= bound_route.mean()
        assert candidates.mean() <= 4 * max(bound_route.mean(), 1e-3)  # and not many more


@pytest.mark.parametrize("name", ALL)
def test_running_error_bound_contains_the_actual_error(rng: np.random.Generator, name: str) -> None:
    # The running error bound of c1 and c0 at each point (what lets most points near the curves
    # and near rho = 0 stay in float64) is >= the actual error against exact rationals.
    a, b, h = _points(rng, name, 500)
    m = get_method(name)
    e1, e0 = _kernel._running_errors(m, a, b, h)
    ch = _kernel.float64_characteristic(m, a, b, h)
    for i in range(a.size):
        c1, c0, _ = _exact(name, float(a[i]), float(b[i]), float(h[i]))
        assert abs(Fraction(ch.c1[i]) - c1) <= Fraction(e1[i])
        assert abs(Fraction(ch.c0[i]) - c0) <= Fraction(e0[i])


@pytest.mark.parametrize("name", ["heavy_ball", "gradient_descent"])
def test_window_rule_contains_every_inaccurate_point(rng: np.random.Generator, name: str) -> None:
    # Points left to float64 by the window rule are within ROUTE_TOL of the 50-digit value.
    a, b, h = _points(rng, name, 3000)
    m = get_method(name)
    _, rho, route = _kernel._fast_path(m, *_kernel._broadcast(a, b, h), False)
    kept = np.flatnonzero(~route)
    near = kept[np.argsort(np.abs(_kernel.float64_characteristic(m, a, b, h).disc[kept]))[:400]]
    for i in near:  # the kept points closest to a curve
        ref = _mp_radius(name, float(a[i]), float(b[i]), float(h[i]))
        assert abs(mpmath.mpf(float(rho[i])) - ref) <= _kernel.ROUTE_TOL * ref


def _benchmark_grid(name: str, every: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ``every``-th alpha row of benchmarks/spectral_speed.py's grid (all 1000 betas), broadcast."""
    alpha = np.linspace(0.001, 4.0, 1000)[::every, None]
    beta = np.linspace(0.0, 0.999, 1000)[None, :]
    if not get_method(name).uses_beta:
        beta = np.zeros_like(beta)
    return _kernel._broadcast(alpha, beta, 1.0)


@pytest.mark.parametrize("name", ["heavy_ball", "nesterov", "triple_momentum", "general(gamma=0.5)"])
def test_points_kept_in_float64_on_the_benchmark_grid_are_certified(name: str) -> None:
    # On the float64 points of the benchmark grid (a ninth of its rows), the points that the routing
    # leaves to float64 are the ones only a certificate protects: check the riskiest of them against
    # 50-digit mpmath on the exact rationals. Riskiest: closest to a critical curve (|D| / c1^2
    # smallest), closest to rho = 1, and those that the method's error_bounds alone would have
    # routed but the running error bound certified (the routing's second certificate).
    m = get_method(name)
    a, b, h = _benchmark_grid(name, 9)
    ch, rho, route = _kernel._fast_path(m, a, b, h, False)
    assert np.array_equal(_kernel.spectral_radius(m, a, b, h), np.where(route, _kernel.radius(
        _kernel.characteristic(m, a, b, h)), rho))  # kept points: the float64 value, bit for bit
    kept = np.flatnonzero(~route.reshape(-1))
    with np.errstate(divide="ignore", invalid="ignore"):
        closeness = (np.abs(ch.disc) / (ch.c1 * ch.c1)).reshape(-1)[kept]
    picks = [kept[np.argsort(closeness, kind="stable")[:120]],
             kept[np.argsort(np.abs(rho.reshape(-1)[kept] - 1.0), kind="stable")[:60]]]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_kernel, "_running_errors", lambda *args: None)
        _, _, bound_route = _kernel._fast_path(m, a, b, h, False)
    by_running = np.flatnonzero(bound_route.reshape(-1) & ~route.reshape(-1))
    assert bound_route.mean() >= route.mean()
    picks.append(by_running[:: max(1, by_running.size // 120)])
    flat = [x.reshape(-1) for x in (a, b, h, rho)]
    for i in np.unique(np.concatenate(picks)):
        ref = _mp_radius(name, float(flat[0][i]), float(flat[1][i]), float(flat[2][i]))
        value = mpmath.mpf(float(flat[3][i]))
        assert abs(value - ref) <= _kernel.ROUTE_TOL * ref, (i, float(flat[3][i]))
        assert (value < 1) == (ref < 1) and (value == 1) == (ref == 1)  # the side of 1, exactly


@pytest.mark.parametrize("name", ["nesterov", "triple_momentum", "general(gamma=0.5)"])
def test_benchmark_grid_batched_equals_a_loop_over_points(name: str) -> None:
    # Bit for bit: the routing of a grid point does not depend on the other points of the call.
    # The points: routed ones, candidates of the blocks that were kept, and plain ones.
    m = get_method(name)
    a, b, h = _benchmark_grid(name, 25)
    got = _kernel.spectral_radius(m, a, b, h).reshape(-1)
    out = np.empty(a.shape)
    candidates = _kernel._float_blocks(m, a, b, h, out)
    _, _, route = _kernel._fast_path(m, a, b, h, False)
    routed = np.flatnonzero(route.reshape(-1))
    assert routed.size and candidates.size > routed.size
    picks = np.unique(np.concatenate([routed[:: max(1, routed.size // 40)],
                                      candidates[:: max(1, candidates.size // 40)], np.arange(0, a.size, 997)]))
    fa, fb, fh = (x.reshape(-1) for x in (a, b, h))
    for i in picks:
        one = _kernel.radius(_kernel.characteristic(m, fa[i], fb[i], fh[i]))
        assert one.tobytes() == got[i].tobytes()


@pytest.mark.parametrize("name", ALL)
def test_running_bound_first_gives_the_same_routing(rng: np.random.Generator, name: str) -> None:
    # spectral_radius's candidates evaluate the running bound first and the error-bounds test on
    # what it routes; characteristic the other way round. The mask must be the same set (the
    # intersection of two pointwise tests) on random points, near the curves, near rho = 1 (h = 0
    # and beta -> 1) and on benchmark grid points, or batched and looped values could differ.
    m = get_method(name)
    a, b, h = _points(rng, name, 3000)
    b1 = 1.0 - 2.0 ** -rng.integers(1, 40, 500) if m.uses_beta else np.zeros(500)
    cases = [(a, b, h), (rng.uniform(0.0, 1e-6, 500), b1, rng.uniform(0.0, 2.0, 500)), _benchmark_grid(name, 50)]
    routed = []
    for pa, pb, ph in cases:
        pa, pb, ph = _kernel._broadcast(pa, pb, ph)
        ch, rho, route = _kernel._fast_path(m, pa, pb, ph, False)
        first = _kernel._route(m, pa, pb, ph, ch, rho, False, True)
        np.testing.assert_array_equal(first, route)
        routed.append(route.reshape(-1))
    assert np.concatenate(routed).any() and not np.concatenate(routed).all()  # both kinds were tested


# ----------------------------------------------------------------------------------------------
# Lucas sequence
# ----------------------------------------------------------------------------------------------


def _exact_lucas(name: str, a: float, b: float, h: float, t_max: int) -> list[Fraction]:
    c1, c0, _ = _exact(name, a, b, h)
    p = [Fraction(0), Fraction(1)]
    for _ in range(t_max):
        p.append(c1 * p[-1] - c0 * p[-2])
    return p


LUCAS_CASES = [
    ("heavy_ball", 0.5, 0.25, 1.0),  # complex, c1 > 0
    ("heavy_ball", 2.0, 0.5, 1.0),  # complex, c1 < 0
    ("heavy_ball", (1 + 0.9**0.5) ** 2 * (1 - 1e-9), 0.81, 1.0),  # complex, c1 < 0, 1e-9 off the curve
    ("heavy_ball", (1 - 0.9**0.5) ** 2 * (1 + 1e-11), 0.81, 1.0),  # real, 1e-11 off the curve
    ("heavy_ball", 0.25, 0.25, 1.0),  # exact double root 1/2
    ("heavy_ball", 2.25, 0.25, 1.0),  # exact double root -1/2
    ("heavy_ball", 3.5, 0.5, 1.0),  # real, c1 < 0
    ("heavy_ball", 1.0, 0.5, -0.3),  # negative curvature: rho > 1
    ("nesterov", 0.5, 0.9, 3.0),  # c0 < 0: real roots of opposite signs
    ("nesterov", 0.5, 0.9, 2.0),  # alpha h = 1: nilpotent
    ("gradient_descent", 0.5, 0.0, 1.0),  # c0 = 0
    ("gradient_descent", 1.5, 0.0, 1.0),  # c0 = 0, c1 < 0
]


@pytest.mark.parametrize(("name", "a", "b", "h"), LUCAS_CASES)
def test_lucas_u_matches_the_exact_recurrence(name: str, a: float, b: float, h: float) -> None:
    t = np.arange(0, 61)
    ch = _kernel.characteristic(get_method(name), a, b, h, exact_disc=True)
    got = _kernel.lucas_u(ch, t)
    exact = _exact_lucas(name, a, b, h, 60)
    rho = float(_kernel.radius(ch))
    for k in t:
        # |p_t| <= t rho^(t-1); the closed form's error is O(t eps) of that scale (phase t*theta).
        scale = Fraction(max(int(k), 1)) * Fraction(rho) ** (int(k) - 1) if rho > 0 else Fraction(1)
        assert abs(Fraction(got[k]) - exact[k]) <= 4 * (int(k) + 2) * Fraction(EPS) * scale, k
    assert got[0] == 0.0 and got[1] == 1.0


def test_lucas_u_broadcasts_and_overflows_to_inf() -> None:
    ch = _kernel.characteristic(HB, np.array([[0.5], [3.9]]), 0.25, 1.0, exact_disc=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = _kernel.lucas_u(ch, np.array([0, 1, 2, 5000]))
    assert p.shape == (2, 4)
    assert np.isinf(p[1, 3]) and np.all(np.isfinite(p[:, :3]))


@pytest.mark.parametrize("name", ALL)
def test_broadcast_views_are_compacted_not_walked(name: str) -> None:
    # worst_case_rate passes np.broadcast_arrays views: the kernel cuts their stride-0 axes to
    # length 1 (no reduction over a million repeated elements) and gives the same bits as on copies.
    m = get_method(name)
    a = np.linspace(0.001, 4.0, 120)[:, None]
    b = np.linspace(0.0, 0.999, 90)[None, :] if m.uses_beta else np.zeros((1, 90))
    views = np.broadcast_arrays(a, b, np.float64(0.7))
    compact = [_kernel._compact(v) for v in views]
    assert [c.shape for c in compact] == [(120, 1), (1, 90), (1, 1)]
    copies = [np.ascontiguousarray(v) for v in views]
    np.testing.assert_array_equal(_kernel.spectral_radius(m, *views), _kernel.spectral_radius(m, *copies))
    empty = np.broadcast_to(np.zeros((0, 1)), (0, 5))
    assert _kernel._compact(empty) is empty


# ----------------------------------------------------------------------------------------------
# The error bounds the kernel routes by (Method.error_bounds) hold, for every member
# ----------------------------------------------------------------------------------------------


def _bounded_methods() -> list[Method]:
    return [*METHODS.values(), *(general(g) for g in (-10.0, -3.7, -1.0, -0.5, 0.25, 0.5, 2.0, 9.5))]


@st.composite
def _inputs(draw: Any) -> tuple[float, float, float]:
    """``(alpha, beta, h)``: alpha > 0 and h of either sign over many binades, beta in [0, 1]."""
    a = draw(st.floats(1e-8, 1e4, allow_subnormal=False))
    b = draw(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 0.5, 1.0 - 2.0**-53, 1.0])))
    h = draw(st.floats(-1e4, 1e4, allow_nan=False))
    return a, b, h


@given(_inputs(), st.sampled_from(range(12)), st.floats(-10.0, 10.0))
def test_float64_coefficients_are_within_the_methods_error_bounds(
    point: tuple[float, float, float], which: int, gamma: float
) -> None:
    # |fl(c1) - c1| <= k1 eps sigma and |fl(c0) - c0| <= k0 eps sigma (first order; the factor
    # 1 + 1e-9 covers the second-order terms, O(eps^2 sigma)), with c1, c0 evaluated exactly in
    # rationals at the same float64 inputs (and, for Triple Momentum, the same float64 gamma(beta)).
    methods = _bounded_methods()
    m = methods[which] if which < len(methods) else general(gamma)
    a, b, h = point
    if not m.uses_beta:
        b = 0.0
    assert m.error_bounds is not None
    product, k1, k0 = m.error_bounds
    fa, fb, fh = Fraction(a), Fraction(b), Fraction(h)
    ab, au = abs(fb), abs(fa * fh)
    sigma = (1 + ab) * (1 + au) if product else 1 + ab + au
    slack = Fraction(1) + Fraction(1, 10**9)
    for f, k in ((m.c1, k1), (m.c0, k0)):
        got = Fraction(float(f(a, b, h)))
        exact = Fraction(f(fa, fb, fh))
        assert abs(got - exact) <= slack * Fraction(k) * Fraction(EPS) * sigma, (m.name, point)


def test_error_bounds_are_attained_up_to_a_small_factor(rng: np.random.Generator) -> None:
    # The bounds are not loose by orders of magnitude (the routing window would then be too wide):
    # over random inputs the worst error of c1 reaches at least a tenth of k1 eps sigma.
    for m in _bounded_methods():
        assert m.error_bounds is not None
        product, k1, _ = m.error_bounds
        worst = Fraction(0)
        a, b, h = rng.uniform(0.01, 3.0, 600), rng.uniform(0.0, 1.0, 600), rng.uniform(0.1, 3.0, 600)
        if not m.uses_beta:
            b = np.zeros_like(b)
        for ai, bi, hi in zip(a.tolist(), b.tolist(), h.tolist(), strict=True):
            fa, fb, fh = Fraction(ai), Fraction(bi), Fraction(hi)
            sigma = (1 + fb) * (1 + fa * fh) if product else 1 + fb + fa * fh
            err = abs(Fraction(float(m.c1(ai, bi, hi))) - Fraction(m.c1(fa, fb, fh))) / (Fraction(EPS) * sigma)
            worst = max(worst, err)
        assert Fraction(k1) / 10 <= worst <= Fraction(k1), m.name


# ----------------------------------------------------------------------------------------------
# A method whose rounding is unknown: every point takes the accurate path
# ----------------------------------------------------------------------------------------------


def test_method_without_error_bounds_takes_the_accurate_path(rng: np.random.Generator) -> None:
    # heavy ball's polynomial as a user would define it, with no error bounds: a point stays in
    # float64 only where its running error bound certifies it, else it is recomputed in
    # double-double (exact rationals next to a curve).
    mine = Method("my_hb", "user heavy ball", c1=HEAVY_BALL.c1, c0=HEAVY_BALL.c0)
    assert mine.error_bounds is None and _kernel._rule(mine) is None
    a, b, h = _points(rng, "heavy_ball", 400)
    # the running error bound is its only certificate: the same points as heavy ball's own
    # running bound keep float64, no more
    _, _, route = _kernel._fast_path(mine, *_kernel._broadcast(a, b, h), False)
    _, _, hb_route = _kernel._fast_path(HEAVY_BALL, *_kernel._broadcast(a, b, h), False)
    assert np.all(hb_route <= route) and route.mean() < 1.0
    # with an operation the running bound cannot follow, every point is routed
    divided = Method("my_hb2", "user heavy ball", c1=lambda a, b, h: 1 + b - a * h / 1, c0=HEAVY_BALL.c0)
    _, _, route_all = _kernel._fast_path(divided, *_kernel._broadcast(a, b, h), False)
    assert route_all.all()
    rho = _kernel.spectral_radius(mine, a, b, h)
    for i in range(a.size):
        ref = _mp_radius("heavy_ball", float(a[i]), float(b[i]), float(h[i]))
        tol = mpmath.mpf(np.spacing(rho[i])) if route[i] else _kernel.ROUTE_TOL * ref
        assert abs(mpmath.mpf(float(rho[i])) - ref) <= tol
    grid = _kernel.spectral_radius(mine, np.linspace(0.01, 4.0, 90)[:, None], np.linspace(0.0, 0.99, 80), 1.0)
    np.testing.assert_array_equal(grid, _kernel.radius(_kernel.characteristic(mine, *np.meshgrid(
        np.linspace(0.01, 4.0, 90), np.linspace(0.0, 0.99, 80), indexing="ij"), 1.0)))


# ----------------------------------------------------------------------------------------------
# Extreme magnitudes in the double-double products
# ----------------------------------------------------------------------------------------------


def test_two_prod_is_error_free_at_extreme_magnitudes() -> None:
    # Dekker's split overflowed (2**27 * 1.8e308) or lost the bits of a subnormal partner: the
    # product 5e-324 * 1.8e308 came out with error term NaN and rho = 0.0 (issue 11 fuzzing).
    maxf = float(np.finfo(np.float64).max)
    a = np.array([5e-324, 1e-200, 3.0, 2.0**-1000, -7e-310, 1.5])
    b = np.array([maxf, 1e150, 1e-300, 2.0**1000 * 1.1, 3e300, 2.5])
    p, e = two_prod(a, b)
    for i in range(a.size):
        assert Fraction(p[i]) + Fraction(e[i]) == Fraction(a[i]) * Fraction(b[i])
    assert np.array_equal(p, a * b)
    rho = _kernel.spectral_radius(HB, 5e-324, 0.0, maxf)  # rho = 1 - alpha h = 1 - 2**-50 + 2**-103
    assert rho == 1.0 - 2.0**-50  # the nearest float64
