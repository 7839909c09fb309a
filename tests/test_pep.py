"""The PEPit bridge (``hbtheory.pep``) and the Ghadimi-Feyzmahdavian-Johansson region.

The region tests need nothing optional. The SDP tests need PEPit and cvxpy (skipped with the
reason otherwise; CI installs them). SDP accuracy: see ``tests/test_pepit.py`` - the solver's
tolerance bounds scaled residuals, so values are compared to ``100 * tol * max(1, value)``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import hbtheory
from hbtheory.pep import (
    GFJ_POINTS,
    gfj_beta_bound,
    gfj_check,
    gfj_region,
    pep_check,
    pep_comparison,
    pepit_available,
    worst_case,
)

needs_pepit = pytest.mark.skipif(
    not pepit_available(), reason="PEPit and cvxpy are optional (pip install 'hbtheory[pepit]')"
)


def _polyak(kappa: float) -> tuple[float, float, float, float]:
    mu, L = 1.0 / kappa, 1.0
    return 4.0 / (math.sqrt(mu) + math.sqrt(L)) ** 2, ((1 - math.sqrt(mu)) / (1 + math.sqrt(mu))) ** 2, mu, L


# ------------------------------------------------------------------------------------- GFJ region


def test_gfj_bound_formula_and_shape() -> None:
    mu, L = 0.1, 1.0
    a = np.linspace(1e-6, 2 / L - 1e-6, 2001)
    bound = gfj_beta_bound(a, mu, L)
    expected = 0.5 * (mu * a / 2 + np.sqrt(mu**2 * a**2 / 4 + 4 * (1 - a * L / 2)))
    np.testing.assert_allclose(bound, expected, rtol=4 * np.finfo(float).eps)
    assert np.all(np.diff(bound) < 0)  # decreasing in alpha ...
    assert bound[0] == pytest.approx(1.0, abs=1e-6) and bound[-1] == pytest.approx(mu / L, abs=1e-5)  # from 1 to mu/L
    assert np.all(bound < 1.0)
    assert gfj_beta_bound(1.0, 1.0, 1.0) == pytest.approx(1.0)  # mu = L: the bound is 1 for every alpha


def test_gfj_region_edges() -> None:
    mu, L = 0.1, 1.0
    b = float(gfj_beta_bound(1.0, mu, L))
    assert gfj_region(1.0, np.nextafter(b, 0), mu, L)
    assert not gfj_region(1.0, b, mu, L)  # strict inequality
    assert gfj_region(1.0, 0.0, mu, L) and not gfj_region(1.0, -1e-12, mu, L)
    assert not gfj_region(2.0, 0.0, mu, L) and not gfj_region(0.0, 0.5, mu, L)
    assert gfj_region(np.nextafter(2.0, 0), 0.0, mu, L)  # at beta = 0: gradient descent's (0, 2/L)


@pytest.mark.parametrize("kappa", [1.5, 3.0, 5.8, 5.9, 10.0, 25.0, 1e4])
def test_polyak_tuning_inside_iff_kappa_below_3_plus_2_sqrt2(kappa: float) -> None:
    # 4/(sqrt(L) + sqrt(mu))^2 < 2/L  <=>  sqrt(kappa) < 1 + sqrt(2); the momentum bound never binds.
    a, b, mu, L = _polyak(kappa)
    inside = kappa < 3 + 2 * math.sqrt(2)
    assert (a * L < 2.0) == inside
    assert bool(gfj_region(a, b, mu, L)) == inside


def test_gfj_region_broadcasts_like_a_loop(rng: np.random.Generator) -> None:
    a = rng.uniform(-0.5, 2.5, (4, 5))
    b = rng.uniform(-0.2, 1.2, (1, 5))
    mu = rng.uniform(0.01, 0.5, (4, 1))
    got = gfj_region(a, b, mu, 1.0)
    assert got.shape == (4, 5) and got.dtype == bool
    for i in range(4):
        for j in range(5):
            assert got[i, j] == gfj_region(float(a[i, j]), float(b[0, j]), float(mu[i, 0]), 1.0)
    assert got.any() and not got.all()


def test_gfj_validation() -> None:
    with pytest.raises(ValueError, match="`mu`"):
        gfj_region(1.0, 0.5, 2.0, 1.0)
    with pytest.raises(ValueError, match="`L`"):
        gfj_region(1.0, 0.5, 0.1, -1.0)
    with pytest.raises(ValueError, match="`alpha`"):
        gfj_region(np.nan, 0.5, 0.1, 1.0)
    with pytest.raises(TypeError, match="`beta`"):
        gfj_region(1.0, "0.5", 0.1, 1.0)
    with pytest.raises(ValueError, match="broadcast"):
        gfj_region([1.0, 2.0], [0.1, 0.2, 0.3], 0.1, 1.0)
    with pytest.raises(ValueError, match="`alpha`"):
        gfj_beta_bound(2.5, 0.1, 1.0)


def test_import_stays_light() -> None:
    code = "import sys, hbtheory.pep; print(sorted(m for m in ('PEPit', 'cvxpy', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------------------------------- PEPit


CASES = {
    "heavy_ball-polyak25": ("heavy_ball", *_polyak(25.0)),
    "heavy_ball-generic": ("heavy_ball", 0.7, 0.5, 0.1, 1.0),
    "nesterov-kappa10": ("nesterov", 1.0, (math.sqrt(10.0) - 1) / (math.sqrt(10.0) + 1), 0.1, 1.0),
    "gradient_descent": ("gradient_descent", 1.2, 0.0, 0.2, 1.5),
}


@needs_pepit
@pytest.mark.pepit
@pytest.mark.parametrize("metric", ["distance", "function_value"])
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_quadratic_class_equals_exact_worst_case(case: str, metric: str) -> None:
    method, alpha, beta, mu, L = CASES[case]
    for n in (1, 3):
        exact = float(hbtheory.worst_case(n, alpha, beta, mu, L, method=method))
        r = worst_case(n, alpha, beta, mu, L, method=method, metric=metric)
        assert r.accurate, r.note
        tol = 100 * r.tolerance * max(1.0, exact)
        # Both metrics: the ratio is a weighted mean of P_n(h)^2, maximal on one eigenvector.
        assert r.value == pytest.approx(exact, abs=tol)
        assert r.primal == pytest.approx(exact, abs=tol)


@needs_pepit
@pytest.mark.pepit
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_general_class_is_no_better(case: str) -> None:
    method, alpha, beta, mu, L = CASES[case]
    for n in (1, 2, 4):
        quad = worst_case(n, alpha, beta, mu, L, method=method)
        gen = worst_case(n, alpha, beta, mu, L, method=method, function_class="smooth_strongly_convex")
        assert gen.accurate and quad.accurate
        assert gen.value >= quad.value - 100 * gen.tolerance * max(1.0, quad.value)


@needs_pepit
@pytest.mark.pepit
def test_polyak_comparison_shows_the_gap() -> None:
    c = pep_comparison([1, 2, 3, 4], 25.0)
    assert c.accurate.all()
    tol = 100 * c.tolerance * max(1.0, float(c.exact.max()))
    np.testing.assert_allclose(c.quadratic, c.exact, atol=tol)
    assert np.all(c.smooth_strongly_convex >= c.exact - tol)
    # At Polyak's tuning the general worst case grows with n, far above the quadratic one,
    # consistently with the Lessard-Recht-Packard cycle (kappa = 25).
    assert np.all(np.diff(c.smooth_strongly_convex) > 0)
    assert c.smooth_strongly_convex[-1] > 2 * c.exact[-1]
    assert (c.alpha, c.beta) == pytest.approx(_polyak(25.0)[:2], rel=1e-12)
    d = json.loads(c.to_json())
    assert d["ns"] == [1, 2, 3, 4] and len(d["smooth_strongly_convex"]) == 4


@needs_pepit
@pytest.mark.pepit
def test_gfj_points_have_decreasing_worst_case() -> None:
    g = gfj_check(ns=(1, 2, 3, 4))
    assert g.points.shape == (len(GFJ_POINTS), 2)
    assert g.in_region.all() and g.accurate
    assert g.decreasing.all() and g.below_one.all()
    assert g.passed and g.verification().passed
    # Outside the region (Polyak's tuning, kappa = 25) the same worst case does not decrease.
    a, b, mu, L = _polyak(25.0)
    w = [worst_case(n, a, b, mu, L, function_class="smooth_strongly_convex", metric="function_value").value
         for n in (1, 2, 3)]
    assert w[2] > w[0] > 1.0


@needs_pepit
@pytest.mark.pepit
def test_report_row() -> None:
    row = pep_check()
    assert row.passed and row.measured <= row.tolerance


@needs_pepit
@pytest.mark.pepit
def test_result_is_data_and_validation() -> None:
    r = worst_case(1, 0.5, 0.0, 0.1, 1.0, method="gradient_descent")
    assert float(r) == r.value == pytest.approx(0.95**2, abs=1e-6)  # GD: max |1 - alpha h|^2
    d = json.loads(r.to_json())
    assert d["function_class"] == "quadratic" and d["metric"] == "distance" and d["n"] == 1
    with pytest.raises(ValueError, match="`function_class`"):
        worst_case(1, 0.5, 0.5, 0.1, 1.0, function_class="convex")
    with pytest.raises(ValueError, match="`metric`"):
        worst_case(1, 0.5, 0.5, 0.1, 1.0, metric="gradient")
    with pytest.raises(ValueError, match="`n`"):
        worst_case(0, 0.5, 0.5, 0.1, 1.0)
    with pytest.raises(ValueError, match="`beta` must be 0"):
        worst_case(1, 0.5, 0.5, 0.1, 1.0, method="gradient_descent")
    with pytest.raises(ValueError, match="`mu`"):
        worst_case(1, 0.5, 0.5, 2.0, 1.0)
    with pytest.raises(ValueError, match="`kappa`"):
        pep_comparison([1], 0.5)
    with pytest.raises(ValueError, match="`points`"):
        gfj_check([1.0, 0.5])
