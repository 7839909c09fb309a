"""The PEPit bridge (``hbtheory.pep``): worst cases of every method of the family by SDP.

The algorithm PEPit analyses is built from ``Method.step`` alone, so every member is checked
against an independent number: on the quadratic class the exact worst case
``hbtheory.worst_case`` (Chebyshev-type polynomial maximisation, no SDP), on the smooth strongly
convex class gradient descent's known tight rate. The SDP tests need PEPit and cvxpy (skipped
with the reason otherwise; CI installs them). SDP accuracy: see ``tests/test_pepit.py`` - the solver's
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
from hbtheory.methods import GRADIENT_DESCENT, HEAVY_BALL, TRIPLE_MOMENTUM, Method, general
from hbtheory.pep import (
    GFJ_POINTS,
    gfj_check,
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


def test_import_stays_light() -> None:
    code = "import sys, hbtheory.pep; print(sorted(m for m in ('PEPit', 'cvxpy', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------------------------------- PEPit


assert TRIPLE_MOMENTUM.closed_form is not None
_TM = TRIPLE_MOMENTUM.closed_form(0.1, 1.0)
#: Every member of the family (Triple Momentum at its design for kappa = 10, the general method
#: at a gamma that is neither heavy ball's 0 nor Nesterov's beta).
CASES: dict[str, tuple[str | Method, float, float, float, float]] = {
    "heavy_ball-polyak25": ("heavy_ball", *_polyak(25.0)),
    "heavy_ball-generic": ("heavy_ball", 0.7, 0.5, 0.1, 1.0),
    "nesterov-kappa10": ("nesterov", 1.0, (math.sqrt(10.0) - 1) / (math.sqrt(10.0) + 1), 0.1, 1.0),
    "gradient_descent": ("gradient_descent", 1.2, 0.0, 0.2, 1.5),
    "triple_momentum-kappa10": (TRIPLE_MOMENTUM, _TM.alpha, _TM.beta, 0.1, 1.0),
    "general-gamma0.3": (general(0.3), 0.8, 0.45, 0.1, 1.0),
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
    for n in (1, 3):
        quad = worst_case(n, alpha, beta, mu, L, method=method)
        gen = worst_case(n, alpha, beta, mu, L, method=method, function_class="smooth_strongly_convex")
        assert gen.accurate and quad.accurate
        assert gen.value >= quad.value - 100 * gen.tolerance * max(1.0, quad.value)


@needs_pepit
@pytest.mark.pepit
@pytest.mark.parametrize(("alpha", "mu", "L"), [(1.2, 0.2, 1.5), (0.5, 0.2, 1.5), (2 / 1.7, 0.2, 1.5)])
def test_gradient_descent_tight_rate_on_smooth_strongly_convex(alpha: float, mu: float, L: float) -> None:
    # Taylor, Hendrickx & Glineur (Math. Prog. 2017): for 0 < alpha <= 2/L the worst case of
    # ||x_n - x*||^2 / ||x_0 - x*||^2 over all mu-strongly convex L-smooth functions is
    # max(|1 - alpha mu|, |1 - alpha L|)^(2n), attained by a quadratic (so both classes agree).
    # The third alpha is 2/(mu + L), where both ends tie.
    rate = max(abs(1 - alpha * mu), abs(1 - alpha * L))
    for n in (1, 3):
        r = worst_case(n, alpha, 0.0, mu, L, method=GRADIENT_DESCENT, function_class="smooth_strongly_convex")
        assert r.accurate, r.note
        assert r.value == pytest.approx(rate ** (2 * n), abs=100 * r.tolerance)


@needs_pepit
@pytest.mark.pepit
def test_method_with_only_a_polynomial_is_refused() -> None:
    polynomial_only = Method("my_hb", "mine", c1=HEAVY_BALL.c1, c0=HEAVY_BALL.c0)
    with pytest.raises(ValueError, match=r"`method`.*no step rule"):
        worst_case(1, 0.5, 0.5, 0.1, 1.0, method=polynomial_only)


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
        gfj_check([1.0, 0.5])  # type: ignore[list-item]
