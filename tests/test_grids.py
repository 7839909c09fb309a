"""Tests of hbtheory.grids: the rate map and everything drawn on it, for every member of the family.

Each quantity is recomputed independently: the rates by hbtheory.spectral at the cell centres, the
critical curves by the discriminant of the methods' own c1, c0 (and for heavy ball by its closed
form), the regimes by the eigenvalues, the GFJ boundary by hbtheory.pep.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from hbtheory import pep, spectral, tuning
from hbtheory.grids import REGIMES, RhoGrid, gfj_applies, rho_grid
from hbtheory.methods import general, get_method

FAMILY = ["heavy_ball", "nesterov", "gradient_descent", "triple_momentum", "general(gamma=0.5)"]
EPS = np.finfo(float).eps


def centres(lo: float, hi: float, n: int) -> np.ndarray:
    return lo + (hi - lo) * (np.arange(n) + 0.5) / n


@pytest.mark.parametrize("method", FAMILY)
def test_rates_are_the_spectral_layers_at_the_cell_centres(method: str) -> None:
    m = get_method(method)
    for kwargs in ({"h": 2.0}, {"mu": 0.05, "L": 1.0}):
        g = rho_grid(method=method, n=30, **kwargs)  # type: ignore[arg-type]
        alpha = centres(*g.alpha_range, 30)
        np.testing.assert_array_equal(g.alpha, alpha)
        if m.uses_beta:
            beta = centres(0.0, 1.0, 30)
            assert g.beta_range == (0.0, 1.0) and g.uses_beta
        else:  # gradient descent: one row, beta = 0
            beta = np.zeros(1)
            assert g.beta_range == (0.0, 0.0) and not g.uses_beta and g.critical_h.size == 0
        np.testing.assert_array_equal(g.beta, beta)
        if "h" in kwargs:
            expected = spectral.spectral_radius(alpha[None, :], beta[:, None], 2.0, method=m)
        else:
            expected = spectral.worst_case_rate(alpha[None, :], beta[:, None], 0.05, 1.0, method=m)
        np.testing.assert_array_equal(g.rho, np.broadcast_to(expected, g.rho.shape))
        assert np.isfinite(g.rho).all()
        # the optimum is tuning's, on [h, h] or [mu, L]
        t = tuning.optimal_parameters(mu=g.mu, L=g.L, method=m)
        assert g.optimum == (t.alpha, t.beta, t.rate)


@pytest.mark.parametrize("method", FAMILY)
def test_default_step_axis_ends_ten_percent_beyond_convergence(method: str) -> None:
    g = rho_grid(mu=0.05, L=1.0, method=method, n=200)
    # the largest converging step of a probe: 256 steps on (0, 8/L], 33 momenta on [0, 1]
    a_conv = g.alpha_range[1] / 1.1
    probe_step = 8.0 / 256
    below_probe_top = g.beta <= 31 / 32  # momenta up to the probe's largest one below 1
    converging = (g.rho[below_probe_top] < 1.0).any(axis=0)
    assert not converging[g.alpha > a_conv + probe_step].any()
    assert converging[np.abs(g.alpha - a_conv) <= probe_step].any()


def densify(pts: np.ndarray, k: int = 16) -> np.ndarray:
    """``k`` points on every segment of a polyline whose pieces are separated by NaN rows."""
    p, q = pts[:-1], pts[1:]
    ok = np.isfinite(p).all(axis=1) & np.isfinite(q).all(axis=1)
    t = np.linspace(0.0, 1.0, k)[None, :, None]
    return (p[ok][:, None, :] + t * (q[ok] - p[ok])[:, None, :]).reshape(-1, 2)


def _disc(method: str, a: np.ndarray, b: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray]:
    m = get_method(method)
    c1, c0 = np.asarray(m.c1(a, b, h)), np.asarray(m.c0(a, b, h))
    return c1 * c1 - 4.0 * c0, (1.0 + np.abs(c1)) * (1.0 + np.abs(b)) * (1.0 + np.abs(a * h))


@pytest.mark.parametrize("method", [m for m in FAMILY if m != "gradient_descent"])
def test_critical_curves_are_the_double_roots_and_all_of_them(method: str) -> None:
    g = rho_grid(mu=0.05, L=1.0, method=method, n=60)
    assert g.critical_h.tolist() == [0.05, 1.0]
    for h in g.critical_h:
        pts = g.curve(h)
        ok = np.isfinite(pts).all(axis=1)
        a, b = pts[ok, 0], pts[ok, 1]
        assert a.size > 100
        assert (a >= g.alpha_range[0]).all() and (a <= g.alpha_range[1]).all() and (b >= 0).all() and (b <= 1).all()
        # on the zero set of c1^2 - 4 c0: to the rounding of the discriminant (c1, c0 are within a few
        # eps (1 + |beta|)(1 + |alpha h|) of exact, so c1^2 - 4 c0 within that times (1 + |c1|))
        d, scale = _disc(method, a, b, h)
        ga = (_disc(method, a + 1e-7, b, h)[0] - _disc(method, a - 1e-7, b, h)[0]) / 2e-7
        gb = (_disc(method, a, b + 1e-7, h)[0] - _disc(method, a, b - 1e-7, h)[0]) / 2e-7
        grad = np.hypot(ga, gb)
        regular = grad > 0.05  # away from where the two branches cross (a saddle of the discriminant)
        assert (np.abs(d[regular]) <= 64 * EPS * scale[regular]).all()
        assert (np.abs(d) <= 1e-9 * np.maximum(grad, 1e-3)).all()  # elsewhere within 1e-9 of the curve
        # complete: every cell of a node grid whose corners change sign has a curve point in it
        na = np.linspace(*g.alpha_range, 41)
        nb = np.linspace(0.0, 1.0, 41)
        D = _disc(method, na[None, :], nb[:, None], h)[0]
        corners = np.stack([D[:-1, :-1], D[1:, :-1], D[:-1, 1:], D[1:, 1:]])
        changes = (corners.min(axis=0) < 0) & (corners.max(axis=0) > 0)
        cell_a, cell_b = np.diff(na)[0], np.diff(nb)[0]
        a, b = densify(pts).T  # the drawn polyline, not only its vertices
        for i, j in np.argwhere(changes):
            near = ((a >= na[j] - 1e-9) & (a <= na[j] + cell_a + 1e-9) & (b >= nb[i] - 1e-9)
                    & (b <= nb[i] + cell_b + 1e-9))
            assert near.any(), (method, h, na[j], nb[i])


def test_heavy_ball_critical_curves_match_the_closed_form() -> None:
    # beta = (1 -/+ sqrt(alpha h))^2 (docs/theory.md); measured along the axis the curve is less steep in
    g = rho_grid(h=2.0, n=200)
    pts = g.curve(2.0)
    a, b = pts[np.isfinite(pts).all(axis=1)].T
    in_b = np.minimum(np.abs(b - (1 - np.sqrt(2 * a)) ** 2), np.abs(b - (1 + np.sqrt(2 * a)) ** 2))
    in_a = np.minimum(np.abs(2 * a - (1 - np.sqrt(b)) ** 2), np.abs(2 * a - (1 + np.sqrt(b)) ** 2))
    assert (np.minimum(in_a, in_b) <= 64 * EPS * np.maximum(1.0, 2 * a)).all()


def test_default_levels_are_round_and_inside_the_drawn_rates() -> None:
    g = rho_grid(mu=0.01, L=1.0, n=80)
    lowest = float(g.rho.min())
    assert g.levels.size >= 2 and (g.levels > lowest).all() and (g.levels < 1.0).all()
    step = np.diff(g.levels)
    np.testing.assert_allclose(step, step[0], rtol=1e-9)
    mantissa = step[0] / 10.0 ** np.floor(np.log10(step[0]))
    assert round(mantissa, 9) in (1.0, 2.0, 5.0)
    np.testing.assert_allclose(g.levels / step[0], np.round(g.levels / step[0]), atol=1e-9)
    assert rho_grid(h=1.0, n=10, levels=[0.5, 0.2, 0.5]).levels.tolist() == [0.2, 0.5]
    assert rho_grid(h=1.0, n=10, levels=[]).levels.size == 0


def test_gfj_applies_from_the_methods_shifts_not_its_name() -> None:
    assert gfj_applies("heavy_ball") and gfj_applies(general(0.0))
    for method in ("nesterov", "triple_momentum", "gradient_descent", "general(gamma=0.5)"):
        assert not gfj_applies(method)
    # a heavy-ball update under another name is still heavy ball's
    import dataclasses

    renamed = dataclasses.replace(get_method("heavy_ball"), name="my_hb", title="mine")
    assert gfj_applies(renamed)
    assert rho_grid(mu=0.1, L=1.0, method=renamed, n=10, gfj=True).gfj is not None
    assert rho_grid(mu=0.1, L=1.0, method="nesterov", n=10, gfj=True).gfj is None


def test_gfj_boundary_is_pep_gfj_beta_bound() -> None:
    mu, L = 0.01, 1.0
    g = rho_grid(mu=mu, L=L, n=20, gfj=True)
    assert g.gfj is not None
    a, b = g.gfj.T
    assert (a > 0).all() and (a < 2 / L).all() and a[-1] == np.nextafter(2.0 / L, 0.0)
    np.testing.assert_array_equal(b, pep.gfj_beta_bound(a, mu, L))
    assert b[-1] == pytest.approx(mu / L, rel=1e-6)
    # clipped to the step axis
    g = rho_grid(mu=mu, L=L, n=20, gfj=True, alpha_range=(0.5, 1.0))
    assert g.gfj is not None and g.gfj[:, 0].min() >= 0.5 and g.gfj[:, 0].max() <= 1.0
    assert rho_grid(mu=mu, L=L, n=20, gfj=True, alpha_range=(2.5, 3.0)).gfj is None  # beyond 2/L


@pytest.mark.parametrize("method", FAMILY)
def test_regimes_from_the_eigenvalues(method: str) -> None:
    g = rho_grid(h=1.0, method=method, n=24, regimes=True)
    assert g.regime is not None and g.regime.shape == g.rho.shape
    m = get_method(method)
    z = np.asarray(spectral.eigenvalues(g.alpha[None, :], g.beta[:, None], 1.0, method=m))[..., 0]
    z = np.broadcast_to(z, g.rho.shape)
    for (i, j), code in np.ndenumerate(g.regime):
        if g.rho[i, j] >= 1.0:
            assert REGIMES[code] == "divergence"
        elif z[i, j].imag != 0.0:
            assert REGIMES[code] == "ripples"
        else:
            assert REGIMES[code] == ("monotonic decrease" if z[i, j].real > 0 else "monotonic oscillations")


def test_result_is_json_and_compares() -> None:
    g = rho_grid(mu=0.1, L=1.0, n=10, gfj=True)
    data = json.loads(g.to_json())
    assert data["method"] == "heavy_ball" and data["h"] is None and len(data["rho"]) == 10
    assert {row[0] for row in data["critical"] if row[0] is not None} == {0.1, 1.0} and data["regime"] is None
    assert g == rho_grid(mu=0.1, L=1.0, n=10, gfj=True)
    assert isinstance(g, RhoGrid) and not g.rho.flags.writeable


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({}, ValueError, "give either `h`"),
        ({"h": 1.0, "mu": 0.1, "L": 1.0}, ValueError, "not both"),
        ({"h": 0.0}, ValueError, "`h`"),
        ({"mu": 2.0, "L": 1.0}, ValueError, "`mu`"),
        ({"h": 1.0, "method": "adam"}, ValueError, "`method`"),
        ({"h": 1.0, "n": 7}, ValueError, "`n`"),
        ({"h": 1.0, "n": 5001}, ValueError, "`n`"),
        ({"h": 1.0, "n": [10]}, TypeError, "`n`"),
        ({"h": 1.0, "alpha_range": (1.0, 1.0)}, ValueError, "`alpha_range`"),
        ({"h": 1.0, "alpha_range": (-1.0, 1.0)}, ValueError, "`alpha_range"),
        ({"h": 1.0, "alpha_range": "ab"}, TypeError, "`alpha_range`"),
        ({"h": 1.0, "beta_range": (0.0, 1.5)}, ValueError, "`beta_range"),
        ({"h": 1.0, "method": "gradient_descent", "beta_range": (0.0, 0.5)}, ValueError, "`beta_range`"),
        ({"h": 1.0, "levels": [1.0]}, ValueError, "`levels`"),
        ({"h": 1.0, "gfj": True}, ValueError, "`gfj`"),
        ({"mu": 0.1, "L": 1.0, "regimes": True}, ValueError, "`regimes`"),
        ({"h": 1.0, "regimes": 1}, TypeError, "`regimes`"),
    ],
)
def test_validation(kwargs: dict[str, Any], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        rho_grid(**kwargs)
