"""Tests of the blocks' per-column routing test of :func:`hbtheory._kernel.spectral_radius`.

The blocks only pick *candidates*; :func:`hbtheory._kernel._route` decides on them, pointwise.
So the values are right exactly when the candidates contain every point that ``_route`` routes:
these tests check that containment directly (the column bounds dominate the running error bound
at every point, the block test's survivors are certified by that bound), and its consequence
(``spectral_radius`` gives the bits of ``radius(characteristic(...))``, batched == looped, and
agrees with 50-digit mpmath next to the critical curves), for every member of the family and for
user-defined methods.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtheory import _kernel
from hbtheory.methods import NESTEROV, TRIPLE_MOMENTUM, Method, general, get_method

#: Every member whose c0 is inexact (the blocks' column test) and heavy ball (window rule).
MEMBERS = ["nesterov", "triple_momentum", "general(gamma=0.5)", "general(gamma=-0.7)", "general(gamma=3.0)"]
ALL = ["heavy_ball", "gradient_descent", *MEMBERS]


def _grid(n: int, h: float, lo: float = 0.001, hi: float = 4.0) -> tuple[np.ndarray, np.ndarray, float]:
    return np.linspace(lo, hi, n)[:, None] / h, np.linspace(0.0, 0.999, n)[None, :], h


def _curves(m: Method, b: np.ndarray) -> list[np.ndarray]:
    """``alpha h`` on the critical curves at each ``beta`` (the roots in ``u`` of
    ``(1 + g)^2 u^2 - 2 (1 + b - g + b g) u + (1 - b)^2``, see ``benchmarks/accuracy_spectral_radius.py``)."""
    g = np.broadcast_to(np.asarray(m.gamma(b), dtype=float), b.shape)
    a2, b2, c2 = (1.0 + g) ** 2, 1.0 + b - g + b * g, (1.0 - b) ** 2
    r = np.sqrt(np.maximum(b2 * b2 - a2 * c2, 0.0))
    return [c2 / (b2 + r), (b2 + r) / a2]


def _mp_radius(m: Method, a: float, b: float, h: float) -> mpmath.mpf:
    fa, fb, fh = Fraction(a), Fraction(b), Fraction(h)
    c1, c0 = Fraction(m.c1(fa, fb, fh)), Fraction(m.c0(fa, fb, fh))
    with mpmath.workdps(50):
        c1m, c0m = mpmath.mpf(c1.numerator) / c1.denominator, mpmath.mpf(c0.numerator) / c0.denominator
        d = c1m * c1m - 4 * c0m
        return (abs(c1m) + mpmath.sqrt(d)) / 2 if d >= 0 else mpmath.sqrt(c0m)


@pytest.mark.parametrize("name", ALL)
@given(
    a=st.lists(st.floats(1e-12, 1e6), min_size=1, max_size=6),
    b=st.lists(st.floats(-0.999, 0.999), min_size=1, max_size=6),
    h=st.floats(1e-6, 1e6),
)
@settings(max_examples=40, deadline=None)
def test_coefficients_at_gives_the_bits_of_c1_c0(name: str, a: list[float], b: list[float], h: float) -> None:
    m = get_method(name)
    assert m.coefficients_at is not None
    alpha, beta = np.array(a)[:, None], np.array(b)[None, :]
    if not m.uses_beta:
        beta = np.zeros_like(beta)
    c1, c0 = m.coefficients_at(beta)(alpha, h)
    shape = (alpha.size, beta.size)
    assert np.array_equal(np.broadcast_to(c1, shape), np.broadcast_to(m.c1(alpha, beta, h), shape))
    assert np.array_equal(np.broadcast_to(c0, shape), np.broadcast_to(m.c0(alpha, beta, h), shape))


@pytest.mark.parametrize("name", ALL)
@given(
    a=st.lists(st.floats(1e-9, 1e4), min_size=2, max_size=12),
    b=st.lists(st.floats(-0.999, 0.999), min_size=2, max_size=12),
    h=st.one_of(st.just(1.0), st.floats(1e-5, 1e5)),
)
@settings(max_examples=30, deadline=None)
def test_column_bounds_dominate_the_running_error_bound(name: str, a: list[float], b: list[float], h: float) -> None:
    """``e1 <= r1 |c1| + a1``, ``e0 <= r0 |c0| + a0`` and ``|c0| <= m0`` at every point, ``e`` the
    running bound."""
    m = get_method(name)
    alpha, beta = np.array(a)[:, None], np.array(b)[None, :]
    if not m.uses_beta:
        beta = np.zeros_like(beta)
    bounds = _kernel._column_bounds(m, alpha, beta, np.asarray(h))
    assert bounds is not None
    r1, a1, r0, a0, m0 = bounds
    pa, pb, ph = _kernel._broadcast(alpha, beta, h)
    c1, c0, _ = _kernel._float_coefficients(m, pa, pb, ph)
    running = _kernel._running_errors(m, pa, pb, ph)
    assert running is not None
    e1, e0 = (e / _kernel._SLACK for e in running)
    assert np.all(e1 <= r1 * np.abs(c1) + a1)
    assert np.all(e0 <= r0 * np.abs(c0) + a0)
    assert np.all(np.abs(c0) <= m0)


def _assert_candidates_contain_routed(m: Method, alpha: np.ndarray, beta: np.ndarray, h: float) -> np.ndarray:
    a, b, hh = _kernel._broadcast(alpha, beta, h)
    out = np.empty(a.shape)
    found = _kernel._float_blocks(m, np.asarray(alpha), np.asarray(beta), np.asarray(h), out)
    ch = _kernel._float_coefficients(m, a, b, hh)
    rho = _kernel._radius_from(*ch)
    routed = np.flatnonzero(_kernel._route(m, a, b, hh, ch, rho, False))
    assert np.isin(routed, found).all()
    # the float64 rho of the blocks is the reference formula's wherever the point is not a candidate
    keep = np.ones(a.size, dtype=bool)
    keep[found] = False
    assert np.array_equal(out.reshape(-1)[keep], rho.reshape(-1)[keep])
    return found


@pytest.mark.parametrize("name", MEMBERS)
@pytest.mark.parametrize("h", [1.0, 0.37, 1e-4])
def test_blocks_keep_every_routed_point_on_a_grid(name: str, h: float) -> None:
    m = get_method(name)
    found = _assert_candidates_contain_routed(m, *_grid(160, h))
    # the column test is narrow: a few percent of the grid are candidates (the per-point
    # error-bounds superset it replaces flagged 11-22%)
    assert found.size <= 0.05 * 160 * 160


@pytest.mark.parametrize("name", MEMBERS)
def test_blocks_keep_every_routed_point_next_to_the_curves_and_one(name: str, rng: np.random.Generator) -> None:
    """Rows of beta, columns of alpha h within 1e-16..1e-2 of a critical curve, and next to
    rho = 1 (alpha h tiny, beta near 1): where the float64 formula loses most."""
    m = get_method(name)
    beta = np.sort(rng.uniform(0.0, 0.999, 40))
    curve = _curves(m, beta)[rng.integers(0, 2)]
    u = np.concatenate([curve * (1.0 + s * 10.0 ** rng.uniform(-16, -2, 40)) for s in (-1.0, 1.0)])
    u = np.concatenate([u[np.isfinite(u) & (u > 0.0)], 10.0 ** rng.uniform(-16, -3, 20)])
    beta = np.concatenate([beta, 1.0 - 10.0 ** rng.uniform(-12, -1, 20)])
    _assert_candidates_contain_routed(m, u[:, None], beta[None, :], 1.0)
    _assert_candidates_contain_routed(m, u[:, None] / 3.0, beta[None, :], 3.0)


@pytest.mark.parametrize("name", ALL)
def test_grid_equals_characteristic_and_a_loop(name: str, rng: np.random.Generator) -> None:
    m = get_method(name)
    alpha, beta, h = _grid(120, 0.7)
    if not m.uses_beta:
        beta = np.zeros_like(beta)
    got = _kernel.spectral_radius(m, alpha, beta, h)
    assert np.array_equal(got, _kernel.radius(_kernel.characteristic(m, alpha, beta, h)))
    idx = rng.integers(0, 120, (60, 2))
    loop = [_kernel.spectral_radius(m, np.asarray(alpha[i, 0]), np.asarray(beta[0, j]), np.asarray(h)) for i, j in idx]
    assert np.array_equal(np.array(loop, dtype=float), got[idx[:, 0], idx[:, 1]])


@pytest.mark.parametrize("name", MEMBERS)
def test_agrees_with_mpmath_next_to_the_curves(name: str, rng: np.random.Generator) -> None:
    """Relative error <= ROUTE_TOL against 50 digits at grid points 1e-14..1e-2 from a curve."""
    m = get_method(name)
    beta = np.sort(rng.uniform(0.01, 0.99, 8))
    side = rng.choice([-1.0, 1.0], 8)
    u = np.concatenate([c * (1.0 + side * 10.0 ** rng.uniform(-14, -2, 8)) for c in _curves(m, beta)])
    u = u[np.isfinite(u) & (u > 0.0)]
    h = 0.9
    alpha = (u / h)[:, None]
    got = _kernel.spectral_radius(m, alpha, beta[None, :], h)
    for i in range(alpha.shape[0]):
        for j in range(beta.size):
            ref = _mp_radius(m, float(alpha[i, 0]), float(beta[j]), h)
            assert abs(mpmath.mpf(float(got[i, j])) - ref) <= _kernel.ROUTE_TOL * ref


def test_user_methods_keep_their_paths() -> None:
    """A user Method given by c1/c0 only (no coefficients_at): with error bounds the blocks call
    c1 and c0 and derive the column bounds themselves; without, every point takes the accurate
    path; coefficients beyond + - * (here abs) give no column bounds (the per-point test runs instead)."""
    alpha, beta, h = _grid(100, 1.0)
    mine = Method("my_nesterov", "mine", NESTEROV.c1, NESTEROV.c0, error_bounds=NESTEROV.error_bounds)
    assert mine.coefficients_at is None
    ours = _kernel.spectral_radius(mine, alpha, beta, h)
    assert np.array_equal(ours, _kernel.spectral_radius(NESTEROV, alpha, beta, h))
    _assert_candidates_contain_routed(mine, alpha, beta, h)
    bare = Method("my_tm", "mine", TRIPLE_MOMENTUM.c1, TRIPLE_MOMENTUM.c0)
    assert np.array_equal(
        _kernel.spectral_radius(bare, alpha, beta, h), _kernel.spectral_radius(TRIPLE_MOMENTUM, alpha, beta, h)
    )

    def c0_abs(alpha: Any, beta: Any, h: Any) -> Any:
        return beta - abs(alpha * h) * 0.25  # general(0.25)'s c0 for alpha h > 0, bit for bit

    g = general(0.25)
    with_abs = Method("with_abs", "mine", g.c1, c0_abs, error_bounds=g.error_bounds)
    assert _kernel._column_bounds(with_abs, alpha, beta, np.asarray(h)) is None
    got = _kernel.spectral_radius(with_abs, alpha, beta, h)
    assert np.array_equal(got, _kernel.radius(_kernel.characteristic(with_abs, alpha, beta, h)))
    assert np.allclose(got, _kernel.spectral_radius(g, alpha, beta, h), rtol=_kernel.ROUTE_TOL * 2, atol=0.0)


@pytest.mark.parametrize("name", ALL)
def test_grid_of_several_blocks_equals_characteristic(name: str) -> None:
    """300 x 301 points: several blocks and a shorter last one, the row of beta reused by every
    block (as a contiguous copy; the caller's arrays are left as they were)."""
    m = get_method(name)
    alpha, beta = np.linspace(0.001, 4.0, 300)[:, None] / 0.7, np.linspace(0.0, 0.999, 301)[None, :]
    if not m.uses_beta:
        beta = np.zeros_like(beta)
    kept = alpha.copy(), beta.copy()
    assert _kernel._blocks((300, 301))[0] == 0  # blocked along alpha
    got = _kernel.spectral_radius(m, alpha, beta, 0.7)
    assert np.array_equal(got, _kernel.radius(_kernel.characteristic(m, alpha, beta, 0.7)))
    assert np.array_equal(alpha, kept[0]) and np.array_equal(beta, kept[1])


@pytest.mark.parametrize("name", ALL)
def test_candidate_fraction_bounds_the_routed_fraction(name: str) -> None:
    """The benchmark's "candidates" column: at least the fraction routed, at most a few percent."""
    m = get_method(name)
    alpha, beta, h = _grid(200, 1.0)
    if not m.uses_beta:
        beta = np.zeros_like(beta)
    candidates = _kernel.candidate_fraction(m, alpha, beta, h)
    assert _kernel.routed_fraction(m, alpha, beta, h) <= candidates <= (0.05 if m.uses_beta else 0.1)


@pytest.mark.parametrize("name", MEMBERS)
@pytest.mark.parametrize(
    "shapes",
    [((1, 70, 1), (60, 1, 1), (1, 1, 9)), ((9, 1, 1), (1, 1, 70), (1, 60, 1)), ((1, 150), (300, 1), (1, 150))],
)
def test_other_layouts_equal_characteristic(name: str, shapes: tuple, rng: np.random.Generator) -> None:
    """beta along the blocked axis, h as a third axis, alpha and h sharing an axis: the column
    constants then vary along the blocks or are indexed per block, and the values stay the same."""
    m = get_method(name)
    alpha, beta = rng.uniform(0.001, 4.0, shapes[0]), rng.uniform(0.0, 0.999, shapes[1])
    h = rng.uniform(0.1, 3.0, shapes[2])
    got = _kernel.spectral_radius(m, alpha, beta, h)
    assert np.array_equal(got, _kernel.radius(_kernel.characteristic(m, alpha, beta, h)))
