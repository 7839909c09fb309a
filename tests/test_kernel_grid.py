"""Tests of the grid windows of :func:`hbtheory._kernel.spectral_radius` (``_grid_candidates``).

On an ``(alpha h) x beta`` grid the candidates are found per beta as intervals of ``alpha h``
(an annulus of the discriminant around its vertex, a small ``c0``, ``rho`` near 1), and the
blocks compute ``rho`` with no per-point test. The values are right exactly when the windows
contain every point that :func:`hbtheory._kernel._route` routes on the whole grid: these tests
check that containment directly, on grids built to put points where the float64 formula loses
most (next to the critical curves, at ``rho = 1`` exactly or within a few ulps, ``beta`` near 1,
negative, above 1, tiny and large ``alpha h``, both orientations, unsorted axes, ``h`` per row),
and its consequence, the bits of ``radius(characteristic(...))``. One test shrinks the windows on
purpose and checks that the containment check then fails.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hbtheory import _kernel
from hbtheory.methods import Method, general, get_method

#: The members whose c0 is inexact (the grid windows apply to them), with look-aheads of both
#: signs and above 1.
MEMBERS = ["nesterov", "triple_momentum", "general(gamma=0.5)", "general(gamma=-0.7)", "general(gamma=3.0)"]


def _routed(m: Method, alpha: np.ndarray, beta: np.ndarray, h: Any) -> np.ndarray:
    """Flat indices that characteristic() routes on the broadcast grid (the reference)."""
    a, b, hh = _kernel._broadcast(alpha, beta, h)
    ch = _kernel._float_coefficients(m, a, b, hh)
    return np.flatnonzero(_kernel._route(m, a, b, hh, ch, _kernel._radius_from(*ch), False))


def _windows(m: Method, alpha: np.ndarray, beta: np.ndarray, h: Any) -> np.ndarray:
    a, b, hh = (np.asarray(x, dtype=float) for x in (alpha, beta, h))
    shape = np.broadcast_shapes(a.shape, b.shape, hh.shape)
    found = _kernel._grid_candidates(m, a, b, hh, shape)
    assert found is not None, "the grid windows should apply to this layout"
    return found


def _missed(m: Method, alpha: np.ndarray, beta: np.ndarray, h: Any) -> int:
    routed = _routed(m, alpha, beta, h)
    return int(np.count_nonzero(~np.isin(routed, _windows(m, alpha, beta, h))))


def _critical_u(m: Method, beta: np.ndarray) -> list[np.ndarray]:
    """``alpha h`` where the discriminant vanishes (u_-, u_+), where a root is -1, and where a
    complex pair has modulus 1, at each beta."""
    g = np.broadcast_to(np.asarray(m.gamma(beta), dtype=float), beta.shape)
    a2, bq, c2 = (1.0 + g) ** 2, (1.0 + beta) * (1.0 + g) - 2.0 * g, (1.0 - beta) ** 2
    r = np.sqrt(np.maximum(bq * bq - a2 * c2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return [(bq - r) / a2, (bq + r) / a2, 2.0 * (1.0 + beta) / (1.0 + 2.0 * g), (beta - 1.0) / g]


def _hard_grid(m: Method, rng: np.random.Generator, n_beta: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """A beta axis (near 0, near 1, negative, above 1, random) and an alpha h axis holding each
    beta's critical values, a few ulps and 1e-16..1e-2 away from them, 0 and tiny values."""
    beta = np.concatenate([
        rng.uniform(0.0, 0.999, n_beta // 2), [0.0, 1e-300, 0.5, 1.0 - 2.0**-52, 1.0, 1.0 + 1e-12, -1.0],
        1.0 - 10.0 ** rng.uniform(-15, -2, 3), rng.uniform(-0.9, -0.01, 2), rng.uniform(1.01, 3.0, 2),
    ])
    us = []
    for c in _critical_u(m, beta):
        c = c[np.isfinite(c) & (np.abs(c) < 1e6)]
        us += [c, np.nextafter(c, np.inf), np.nextafter(c, -np.inf), c * (1.0 + 4.4e-16 * rng.integers(-8, 9, c.size))]
        us += [c * (1.0 + rng.choice([-1.0, 1.0], c.size) * 10.0 ** rng.uniform(-16, -2, c.size))]
    us += [np.array([0.0, 5e-324, 1e-300, 1e-16, 1e-9, 2.0, 7.5, 1e3]), rng.uniform(0.0, 5.0, 40)]
    return np.unique(np.concatenate(us)), beta


@pytest.mark.parametrize("name", MEMBERS)
def test_windows_contain_every_routed_point_on_hard_grids(name: str, rng: np.random.Generator) -> None:
    m = get_method(name)
    u, beta = _hard_grid(m, rng)
    routed_total = 0
    for h in (1.0, 0.37, 3.0):
        alpha = u / h
        assert _missed(m, alpha[:, None], beta[None, :], h) == 0  # alpha h along the rows
        assert _missed(m, alpha[None, :], beta[:, None], h) == 0  # ... along the columns (heatmaps)
        routed_total += _routed(m, alpha[:, None], beta[None, :], h).size
    assert routed_total > 100  # the grid does exercise the routing


@pytest.mark.parametrize("name", MEMBERS)
def test_windows_on_unsorted_axes_and_h_per_row(name: str, rng: np.random.Generator) -> None:
    m = get_method(name)
    u, beta = _hard_grid(m, rng, 10)
    perm = rng.permutation(u.size)
    h = rng.uniform(0.5, 2.0, u.size)
    alpha = u[perm] / h[perm]
    assert _missed(m, alpha[:, None], beta[rng.permutation(beta.size)][None, :], h[perm][:, None]) == 0


@pytest.mark.parametrize("name", MEMBERS)
def test_windows_reach_rho_equal_to_one(name: str) -> None:
    """Points with rho within a few ulps of 1 whose error bound does not decide the side of 1 are
    routed; the windows hold them: a root at -1 (alpha h = 2 (1 + beta)/(1 + 2 gamma) and its
    neighbours in float64), a root at 1 (alpha h = 0 and next to it) and beta = 1."""
    m = get_method(name)
    beta = np.array([0.0, 0.25, 0.5, 0.75, 0.9, 1.0])
    u2 = _critical_u(m, beta)[2]
    u2 = u2[np.isfinite(u2)]  # (negative for gamma < -1/2: alpha h < 0 there)
    # (and alpha h = 0: a root at 1, rho = 1 exactly for |beta| <= 1, and its neighbours)
    tiny = np.array([0.0, 5e-324, -5e-324, 1e-20, -1e-20, 1e-15, -1e-15, 3e-14])
    u = np.concatenate([u2, np.nextafter(u2, np.inf), np.nextafter(u2, -np.inf), tiny, np.linspace(0.01, 3.0, 30)])
    u = np.unique(u)
    near = _kernel._grid_candidates(m, u[:, None], beta[None, :], np.asarray(1.0), (u.size, beta.size))
    a, b, hh = _kernel._broadcast(u[:, None], beta[None, :], 1.0)
    rho = _kernel._radius_from(*_kernel._float_coefficients(m, a, b, hh))
    ones = np.flatnonzero(np.abs(rho - 1.0) <= 1e-14)
    assert ones.size >= 4
    routed = _routed(m, u[:, None], beta[None, :], 1.0)
    assert np.isin(routed, near).all()
    # (a float64 rho of 1 whose error bound is far below 1 - rho is certified, not routed)
    assert np.isin(ones, routed).sum() >= 2


@pytest.mark.parametrize("name", MEMBERS)
def test_grid_gives_the_bits_of_characteristic(name: str, rng: np.random.Generator) -> None:
    m = get_method(name)
    u, beta = _hard_grid(m, rng, 12)
    for alpha, b in ((u[:, None], beta[None, :]), (u[None, :], beta[:, None])):
        got = _kernel.spectral_radius(m, alpha, b, 1.0)
        assert np.array_equal(got, _kernel.radius(_kernel.characteristic(m, alpha, b, 1.0)))


@pytest.mark.parametrize("name", MEMBERS)
def test_windows_are_narrow(name: str) -> None:
    """On the benchmark's grid the windows hold about twice the routed points (1% of the grid);
    the per-point test they replace held 1.3-3.5%."""
    m = get_method(name)
    alpha, beta = np.linspace(0.001, 4.0, 400)[:, None], np.linspace(0.0, 0.999, 400)[None, :]
    found = _windows(m, alpha, beta, 1.0)
    routed = _routed(m, alpha, beta, 1.0)
    assert np.isin(routed, found).all()
    assert np.unique(found).size <= max(2.5 * routed.size, 0.02 * alpha.size * beta.size)


def test_a_shrunk_window_is_caught(monkeypatch: pytest.MonkeyPatch, rng: np.random.Generator) -> None:
    """The containment check can fail: halving the certifying threshold s* (a wrong bound) leaves
    routed points outside the windows, and the check sees them."""
    m = get_method("triple_momentum")
    alpha, beta = np.linspace(0.001, 4.0, 300)[:, None], np.linspace(0.0, 0.999, 200)[None, :]
    assert _missed(m, alpha, beta, 1.0) == 0
    real = _kernel._real_threshold
    monkeypatch.setattr(_kernel, "_real_threshold", lambda *args: 0.5 * real(*args))
    assert _missed(m, alpha, beta, 1.0) > 0


def test_general_form_is_checked_exactly() -> None:
    """The windows assume c1 = 1 + beta - u (1 + gamma), c0 = beta - u gamma: true for the
    family, false for a method whose gamma does not match its polynomial or whose polynomial is
    not affine in alpha h; those keep the per-point test (and their values)."""
    for name in ("heavy_ball", *MEMBERS):
        assert _kernel._general_form(get_method(name))
    base = general(0.5)
    wrong_gamma = Method(
        name="wrong_gamma", title="", c1=base.c1, c0=base.c0, gamma=lambda b: 0 * b + Fraction(1, 3),
        error_bounds=base.error_bounds, coefficients_at=base.coefficients_at,
    )
    assert not _kernel._general_form(wrong_gamma)

    def c1(a: Any, b: Any, h: Any) -> Any:
        return 1 + b - a * h - a * h * a * h

    def at(b: Any) -> Any:
        return lambda a, h: (1 + b - a * h - a * h * a * h, base.c0(a, b, h))

    quadratic = Method(
        name="quadratic_in_u", title="", c1=c1, c0=base.c0, gamma=base.gamma, error_bounds=base.error_bounds,
        coefficients_at=at,
    )
    assert not _kernel._general_form(quadratic)
    alpha, beta = np.linspace(0.01, 1.0, 30)[:, None], np.linspace(0.0, 0.9, 30)[None, :]
    assert _kernel._grid_candidates(quadratic, alpha, beta, np.asarray(1.0), (30, 30)) is None
    got = _kernel.spectral_radius(quadratic, alpha, beta, np.asarray(1.0))
    assert np.array_equal(got, _kernel.radius(_kernel.characteristic(quadratic, alpha, beta, 1.0)))


@pytest.mark.parametrize("name", ["heavy_ball", "gradient_descent", *MEMBERS])
def test_one_evaluation_gives_the_coefficients_and_their_running_bound(name: str, rng: np.random.Generator) -> None:
    """The candidates' coefficients come from the running-error evaluation: the same bits as the
    plain float64 evaluation, the same bounds as :func:`_running_errors`."""
    m = get_method(name)
    a = 10.0 ** rng.uniform(-12, 3, 500)
    b = rng.uniform(-0.99, 1.5, 500) if m.uses_beta else np.zeros(500)
    h = 10.0 ** rng.uniform(-3, 3, 500)
    ch, running = _kernel._coefficients_and_running(m, a, b, h)
    ref = _kernel._float_coefficients(m, a, b, h)
    for got, want in zip(ch, ref, strict=True):
        assert np.array_equal(got, want)
    assert running is not None
    for got, want in zip(running, _kernel._running_errors(m, a, b, h), strict=True):  # type: ignore[arg-type]
        assert np.array_equal(got, want)


@pytest.mark.parametrize("name", MEMBERS)
@given(
    u=st.lists(
        st.one_of(st.floats(-1e3, 1e3), st.floats(-1e-6, 1e-6), st.floats(1e-300, 1e-200)), min_size=9, max_size=14
    ),
    beta=st.lists(
        st.one_of(st.floats(-3.0, 3.0), st.floats(0.999, 1.001), st.sampled_from([-1.0, 0.0, 1.0])),
        min_size=8,
        max_size=12,
    ),
    h=st.floats(1e-3, 1e3),
)
@settings(max_examples=25, deadline=None)
def test_windows_contain_every_routed_point_on_random_grids(
    name: str, u: list[float], beta: list[float], h: float
) -> None:
    """Wide random axes (alpha h from 1e-300 to 1e3 of both signs, beta from -3 to 3, next to 1,
    and -1, where Nesterov's 1 + gamma is 0): the windows hold every routed point and the grid has
    the bits of characteristic(). (Run with 1500 examples per member once; 25 here.)"""
    m = get_method(name)
    alpha = np.array(u) / h
    b = np.array(beta)
    assert _missed(m, alpha[:, None], b[None, :], h) == 0
    got = _kernel.spectral_radius(m, alpha[:, None], b[None, :], np.asarray(h))
    assert np.array_equal(got, _kernel.radius(_kernel.characteristic(m, alpha[:, None], b[None, :], h)))


@pytest.mark.parametrize("name", ["heavy_ball", "gradient_descent", *MEMBERS])
def test_coefficients_at_writes_the_same_bits_into_out(name: str, rng: np.random.Generator) -> None:
    """``coefficients_at(beta)(alpha, h, out=...)`` (how the grid's blocks evaluate into two
    reused buffers) gives the bits of ``c1`` and ``c0``, in the buffers it was given, with beta
    along either axis."""
    m = get_method(name)
    assert m.coefficients_at is not None
    alpha = 10.0 ** rng.uniform(-8, 1, (40, 1))
    beta = rng.uniform(-0.9, 1.4, (1, 30)) if m.uses_beta else np.zeros((1, 30))
    h = 0.37
    for a, b in ((alpha, beta), (alpha.T, beta.T)):
        shape = np.broadcast_shapes(a.shape, b.shape)
        row = np.broadcast_to(b, shape)
        at = m.coefficients_at(row)
        out = np.full(shape, np.nan), np.full(shape, np.nan)
        c1, c0 = at(a, h, out=out)
        assert c1 is out[0] and c0 is out[1]
        assert np.array_equal(c1, np.broadcast_to(m.c1(a, b, h), shape))
        assert np.array_equal(c0, np.broadcast_to(m.c0(a, b, h), shape))
        plain = at(a, h)
        assert np.array_equal(np.broadcast_to(plain[0], shape), c1)
        assert np.array_equal(np.broadcast_to(plain[1], shape), c0)


def test_a_coefficients_at_without_out_still_gives_the_bits() -> None:
    """A user's ``coefficients_at`` whose function takes no ``out``: the blocks call it without
    one, and the grid has the same bits as the built-in Triple Momentum's."""
    import dataclasses

    tm = get_method("triple_momentum")
    assert tm.coefficients_at is not None
    calls = []

    def no_out(beta: Any) -> Any:
        inner = tm.coefficients_at(beta)  # type: ignore[misc]

        def at(alpha: Any, h: Any) -> Any:
            calls.append(1)
            return inner(alpha, h)

        return at

    mine = dataclasses.replace(tm, name="tm_without_out", coefficients_at=no_out)
    alpha = np.linspace(0.001, 4.0, 300)[:, None]
    beta = np.linspace(0.0, 0.999, 200)[None, :]
    got = _kernel.spectral_radius(mine, alpha, beta, 1.0)
    assert calls, "the blocks should evaluate through coefficients_at"
    assert np.array_equal(got, _kernel.spectral_radius(tm, alpha, beta, 1.0))
    assert np.array_equal(got, _kernel.radius(_kernel.characteristic(tm, alpha, beta, 1.0)))
