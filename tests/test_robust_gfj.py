"""The Ghadimi-Feyzmahdavian-Johansson statements: each labelled with its source, checked against the
IQC certificates (every point of the region certified) and against PEPit's worst cases."""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest

from hbtheory.robust import GFJ_STATEMENTS, certified_rate, gfj_convex_region, gfj_robust_check, gfj_sqrt_momentum

HAVE_PEPIT = importlib.util.find_spec("PEPit") is not None and importlib.util.find_spec("cvxpy") is not None


def test_statements_carry_their_sources() -> None:
    keys = [s.key for s in GFJ_STATEMENTS]
    assert keys == ["region", "sqrt_tuning", "convex_average"]
    assert "MerkulovDaniil" in GFJ_STATEMENTS[0].source and "PEPit" in GFJ_STATEMENTS[1].source
    assert all("1412.7457" in s.source or "GFJ 2015" in s.source for s in GFJ_STATEMENTS)


@pytest.mark.parametrize("mu", [0.1, 0.01])
def test_every_sampled_point_of_the_region_is_certified(mu: float) -> None:
    c = gfj_robust_check(mu, 1.0, grid=7)
    assert c.uncertified.shape == (0, 2)
    assert np.all(np.asarray(c.region_rates) < 1.0)
    # the sqrt tuning: certified on distances at least as fast as the claimed function-value rate
    # implies (sqrt(1 - alpha mu)); measured: no larger than 1 - alpha mu, to the bisection tolerance
    assert np.all(np.asarray(c.sqrt_rates) <= np.asarray(c.sqrt_claimed) + 2e-9)
    assert c.passed


def test_just_outside_the_region_polyak_is_not_certified() -> None:
    # Polyak's tuning at kappa = 25 is outside the region (its step exceeds 2/L) and cycles.
    assert np.isinf(certified_rate(1 / 9, 4 / 9, 1.0, 25.0))


def test_helpers() -> None:
    assert gfj_sqrt_momentum(1.0, 0.1, 1.0) == 0.0
    np.testing.assert_allclose(gfj_sqrt_momentum(0.5, 0.1, 1.0), np.sqrt(0.95 * 0.5), rtol=1e-15)
    assert gfj_convex_region(1.19, 0.4, 1.0) and not gfj_convex_region(1.21, 0.4, 1.0)
    with pytest.raises(ValueError, match="alpha"):
        gfj_sqrt_momentum(1.5, 0.1, 1.0)


@pytest.mark.pepit
@pytest.mark.skipif(not HAVE_PEPIT, reason="PEPit/cvxpy not installed")
def test_sqrt_tuning_against_pepit() -> None:
    # PEPit's own example: alpha = 1/2, mu = 0.1, L = 1, n = 2 gives 0.7535 <= 0.9025.
    from hbtheory.pep import worst_case

    for alpha in (0.5, 0.9):
        beta = float(gfj_sqrt_momentum(alpha, 0.1, 1.0))
        for n in (1, 2, 3):
            w = worst_case(n, alpha, beta, 0.1, 1.0, function_class="smooth_strongly_convex", metric="function_value")
            assert w.value <= (1 - alpha * 0.1) ** n * (1 + 1e-6) + 100 * w.tolerance


@pytest.mark.pepit
@pytest.mark.skipif(not HAVE_PEPIT, reason="PEPit/cvxpy not installed")
def test_convex_average_against_pepit() -> None:
    # Inside the convex region, the worst case of f(average of x_0..x_T) - f* over L-smooth convex f
    # with ||x_0 - x*|| <= 1 decays like 1/T: (T + 1) W(T) does not grow (T = 4, 8 stay below the
    # larger of T = 1, 2; measured 0.50, 0.46, 0.40, 0.36 and 0.77, 0.85, 0.81, 0.67).
    from PEPit import PEP
    from PEPit.functions import SmoothConvexFunction

    def worst(T: int, alpha: float, beta: float) -> float:
        problem = PEP()
        f = problem.declare_function(SmoothConvexFunction, L=1.0)
        xs = f.stationary_point()
        fs = f(xs)
        x0 = problem.set_initial_point()
        problem.set_initial_condition((x0 - xs) ** 2 <= 1)
        x, xp, total = x0, x0, x0
        for _ in range(T):
            x, xp = x - alpha * f.gradient(x) + beta * (x - xp), x
            total = total + x
        problem.set_performance_metric(f(total / (T + 1)) - fs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(problem.solve(verbose=0))

    for alpha, beta in ((1.0, 0.4), (0.3, 0.8)):
        assert gfj_convex_region(alpha, beta, 1.0)
        scaled = [(T + 1) * worst(T, alpha, beta) for T in (1, 2, 4, 8)]
        assert max(scaled[2:]) <= max(scaled[:2]) * (1 + 1e-4)
