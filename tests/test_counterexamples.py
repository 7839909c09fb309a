"""The Lessard-Recht-Packard counterexample and runs reported as data (``hbtheory.counterexamples``).

Source: L. Lessard, B. Recht, A. Packard (2016), SIAM J. Optim. 26(1):57-95, section 4.6. The
function's class (1-strongly convex, 25-smooth, C^1) is verified numerically here rather than
trusted, and the period-3 cycle is verified in exact rational arithmetic.
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from hbtheory import counterexamples as ce
from hbtheory.counterexamples import (
    LRP_CYCLE,
    counterexample_check,
    counterexample_summary,
    cycle_figure_data,
    find_cycle,
    iterate,
    lrp_gradient,
    lrp_gradient_exact,
    lrp_tunings,
    lrp_value,
    run_outcome,
)

EPS = float(np.finfo(np.float64).eps)
ALPHA, BETA = Fraction(1, 9), Fraction(4, 9)


# ------------------------------------------------------------------------------------ the function


def test_function_is_c1_and_minimised_at_zero() -> None:
    for b in (1.0, 2.0):
        left, right = np.nextafter(b, -np.inf), b
        assert lrp_value(left) == pytest.approx(lrp_value(right), rel=1e-14)
        assert lrp_gradient(left) == pytest.approx(lrp_gradient(right), rel=1e-14)
    x = np.linspace(-4, 4, 8001)
    h = 1e-6
    fd = (lrp_value(x + h) - lrp_value(x - h)) / (2 * h)
    # The gradient is the derivative: central differences are exact on a quadratic piece up to
    # rounding, and off by at most (25 - 1) h / 4 where f'' jumps.
    assert np.max(np.abs(fd - lrp_gradient(x))) < 6 * h + 1e-7
    assert lrp_value(0.0) == 0.0 and lrp_gradient(0.0) == 0.0
    assert np.all(lrp_value(x) >= 0.0)


def test_function_is_1_strongly_convex_and_25_smooth(rng: np.random.Generator) -> None:
    # Secant slopes of the gradient lie in [mu, L] = [1, 25] ...
    x = np.concatenate([np.linspace(-3, 5, 801), [1.0, 2.0, np.nextafter(1.0, 0), np.nextafter(2.0, 0)]])
    xi, xj = np.meshgrid(x, x)
    mask = np.abs(xi - xj) > 1e-3
    slopes = (lrp_gradient(xi) - lrp_gradient(xj))[mask] / (xi - xj)[mask]
    assert slopes.min() >= 1.0 - 1e-9 and slopes.max() <= 25.0 + 1e-9
    assert slopes.min() == pytest.approx(1.0, abs=1e-9) and slopes.max() == pytest.approx(25.0, abs=1e-9)
    # ... and the function lies between the two quadratic bounds around every point.
    a, b = rng.uniform(-5, 5, 20000), rng.uniform(-5, 5, 20000)
    lin = lrp_value(a) + lrp_gradient(a) * (b - a)
    d2 = (b - a) ** 2
    scale = 1 + np.abs(lrp_value(b))
    assert np.all(lrp_value(b) >= lin + 0.5 * d2 - 1e-12 * scale)
    assert np.all(lrp_value(b) <= lin + 12.5 * d2 + 1e-12 * scale)


def test_exact_gradient_matches_float() -> None:
    for q in (Fraction(-7, 3), Fraction(1), Fraction(3, 2), Fraction(2), Fraction(33, 10)):
        assert float(lrp_gradient_exact(q)) == pytest.approx(float(lrp_gradient(float(q))), rel=4 * EPS)
    with pytest.raises(TypeError, match="`x`"):
        lrp_gradient_exact(1.5)  # type: ignore[arg-type]


def test_polyak_tuning_is_one_ninth_four_ninths() -> None:
    t = lrp_tunings()
    assert t["heavy_ball"] == pytest.approx((1 / 9, 4 / 9), rel=4 * EPS)
    assert t["gradient_descent"] == pytest.approx((2 / 26, 0.0), rel=4 * EPS)


# ---------------------------------------------------------------------------------- the cycle


def test_period_three_points_satisfy_the_map_exactly() -> None:
    c = list(LRP_CYCLE)
    for i in range(3):
        x_prev, x = c[i - 1], c[i]
        x_next = x - ALPHA * lrp_gradient_exact(x) + BETA * (x - x_prev)
        assert x_next == c[(i + 1) % 3]
    # Not a fixed point nor a 1-cycle in disguise: three distinct points, none the minimiser.
    assert len(set(c)) == 3 and Fraction(0) not in c


def test_heavy_ball_finds_the_cycle_from_3_3() -> None:
    xs = iterate(3.3, 1 / 9, 4 / 9, 2000)
    cyc = find_cycle(xs)
    assert (cyc.status, cyc.period) == ("cycling", 3)
    exact = np.array([float(q) for q in LRP_CYCLE])
    assert np.max(np.abs(cyc.points - exact)) < 1e-9
    assert 0 < cyc.onset < 200 and cyc.residual <= cyc.tolerance
    # The states (x_t, x_{t-1}) repeat too.
    np.testing.assert_allclose(xs[-3:], xs[-6:-3], atol=1e-12)


@pytest.mark.parametrize("x0", [3.2, 3.3, 3.4, -3.3, 1.0, 5.5])
def test_cycle_from_a_range_of_starts(x0: float) -> None:
    cyc = find_cycle(iterate(x0, 1 / 9, 4 / 9, 2000))
    assert cyc.period == 3
    np.testing.assert_allclose(cyc.points, [float(q) for q in LRP_CYCLE], atol=1e-9)


def test_some_starts_converge_instead() -> None:
    cyc = find_cycle(iterate(3.0, 1 / 9, 4 / 9, 2000))
    assert (cyc.status, cyc.period) == ("converged", 1)
    assert abs(cyc.points[0]) < 1e-9  # the minimiser


def test_cycle_is_attracting() -> None:
    s = counterexample_summary(starts=[3.3])
    assert s.return_map_radius == pytest.approx(8 / 27, rel=1e-9)  # A(25)^3, double eigenvalue -2/3


def test_torch_sgd_runs_the_same_cycle() -> None:
    pytest.importorskip("torch", reason="PyTorch is optional (pip install 'hbtheory[torch]')")
    ours = iterate(3.3, 1 / 9, 4 / 9, 300)
    theirs = ce.iterate_torch(3.3, 1 / 9, 4 / 9, 300)
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-12)
    o = run_outcome("heavy_ball", 1 / 9, 4 / 9, 3.3, steps=500, backend="torch")
    assert (o.status, o.cycle.period, o.backend) == ("cycling", 3, "torch.optim.SGD")
    # A given x_{-1} enters through the seeded momentum buffer.
    np.testing.assert_allclose(
        ce.iterate_torch(3.3, 1 / 9, 4 / 9, 50, x_prev=2.0), iterate(3.3, 1 / 9, 4 / 9, 50, x_prev=2.0), atol=1e-12
    )


def test_summary_contrasts_the_three_methods() -> None:
    s = counterexample_summary(steps=1500)
    assert s.period == 3 and s.cycle_error < 1e-9
    assert [(o.method, o.status) for o in s.outcomes] == [
        ("heavy_ball", "cycling"),
        ("nesterov", "converged"),
        ("gradient_descent", "converged"),
    ]
    n = len(s.starts)
    assert s.counts["nesterov"]["converged"] == n and s.counts["gradient_descent"]["converged"] == n
    hb = s.counts["heavy_ball"]
    assert hb["cycling"] > 0 and hb["cycling"] + hb["converged"] == n
    for name in ("nesterov", "gradient_descent"):
        assert s.outcome(name).distance < 1e-9
    d = json.loads(s.to_json())
    assert d["period"] == 3 and d["outcomes"][0]["cycle"]["status"] == "cycling"
    assert len(d["start_status"]["heavy_ball"]) == n
    assert "period 3" in s.text()


def test_summary_vector_run_equals_single_runs() -> None:
    grid = [-8.0, -3.3, 0.5, 3.0, 3.3, 7.9]
    s = counterexample_summary(starts=grid, steps=1500)
    for name, (a, b) in lrp_tunings().items():
        single = tuple(run_outcome(name, a, b, x, steps=1500).status for x in grid)
        assert s.start_status[name] == single


def test_figure_data_and_report_row() -> None:
    d = cycle_figure_data(steps=30)
    assert d.x.shape == d.f.shape == d.grad.shape == (601,)
    assert set(d.iterates) == {"heavy_ball", "nesterov", "gradient_descent"}
    assert all(v.shape == (31,) for v in d.iterates.values())
    np.testing.assert_allclose(d.cycle_values, lrp_value(d.cycle_points))
    json.loads(d.to_json())
    c = counterexample_check()
    assert c.passed and c.measured <= c.tolerance
    assert set(c.as_dict()) == {"claim", "how", "measured", "tolerance", "passed"}


# ------------------------------------------------------------------------------- find_cycle itself


@pytest.mark.parametrize("p", [1, 2, 3, 5, 7, 12])
def test_find_cycle_any_period_with_noise(p: int, rng: np.random.Generator) -> None:
    base = rng.uniform(-3, 3, p)
    if p > 1:
        base[1] = base[0] + 0.5  # no shorter period
    seq = np.tile(base, 600 // p + 1)[:600] + rng.normal(0, 1e-13, 600)
    seq[:50] += np.geomspace(1, 1e-15, 50)  # a transient
    cyc = find_cycle(seq, max_period=16)
    assert cyc.period == p and cyc.status == ("converged" if p == 1 else "cycling")
    np.testing.assert_allclose(np.sort(cyc.points), np.sort(base), atol=1e-9)
    assert cyc.points[0] == cyc.points.min()  # canonical rotation, visiting order kept
    assert 20 <= cyc.onset <= 50  # where the transient falls below the tolerance


def test_find_cycle_two_dimensional_states() -> None:
    t = np.arange(300)
    seq = np.stack([np.cos(2 * np.pi * t / 4), np.sin(2 * np.pi * t / 4)], axis=1)
    cyc = find_cycle(seq)
    assert cyc.period == 4 and cyc.points.shape == (4, 2)


def test_find_cycle_divergence_and_undetermined_as_data() -> None:
    with np.errstate(over="ignore"):
        grow = 1.5 ** np.arange(200.0) * 1e5
    grow[-1] = np.inf
    cyc = find_cycle(grow)
    assert cyc.status == "diverging" and cyc.onset == int(np.argmax(grow > 1e12)) and cyc.last == np.inf
    assert find_cycle([1.0, np.nan, 2.0]).status == "diverging"
    quasi = np.cos(np.sqrt(2) * np.arange(500))  # irrational rotation: no period
    und = find_cycle(quasi, max_period=20)
    assert und.status == "undetermined" and und.period == 0 and und.points.size == 0 and und.residual > 1e-3


def test_diverging_run_reports_instead_of_overflowing() -> None:
    o = run_outcome("heavy_ball", 0.2, 0.9, 3.3)  # alpha L = 5 > 2 (1 + beta)
    assert o.status == "diverging" and o.cycle.last > 1e12
    xs = iterate(3.3, 0.2, 0.9, 10_000)
    assert xs.shape[0] < 10_001 and np.all(np.isfinite(xs))
    # A gradient that overflows on its own: no warning escapes, no NaN is returned as a result.
    o = run_outcome("heavy_ball", 1.0, 0.5, 10.0, gradient=lambda x: x**5, steps=100)
    assert o.status == "diverging"


def test_nesterov_and_gd_on_a_generic_gradient() -> None:
    grad = np.tanh  # convex, 1-smooth, not strongly convex away from 0
    assert run_outcome("gradient_descent", 1.0, 0.0, 2.0, gradient=grad, steps=3000).status == "converged"
    assert run_outcome("nesterov", 0.5, 0.5, 2.0, gradient=grad, steps=3000).status == "converged"


# ------------------------------------------------------------------------------------- validation


def test_bad_input_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="`alpha`"):
        iterate(1.0, -0.1, 0.5, 10)
    with pytest.raises(ValueError, match="`beta`"):
        iterate(1.0, 0.1, 1.5, 10)
    with pytest.raises(ValueError, match="`beta` must be 0"):
        iterate(1.0, 0.1, 0.5, 10, method="gradient_descent")
    with pytest.raises(ValueError, match="`steps`"):
        iterate(1.0, 0.1, 0.5, 0)
    with pytest.raises(ValueError, match="`x_prev`"):
        iterate(1.0, 0.1, 0.5, 10, x_prev=[1.0, 2.0])
    with pytest.raises(TypeError, match="`gradient`"):
        iterate(1.0, 0.1, 0.5, 10, gradient=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method"):
        iterate(1.0, 0.1, 0.5, 10, method="adam")
    with pytest.raises(ValueError, match="`iterates`"):
        find_cycle([1.0, 2.0])
    with pytest.raises(TypeError, match="`iterates`"):
        find_cycle("abc")
    with pytest.raises(ValueError, match="`max_period`"):
        find_cycle(np.zeros(10), max_period=0)
    with pytest.raises(ValueError, match="`tol`"):
        find_cycle(np.zeros(10), tol=0.0)
    with pytest.raises(ValueError, match="`backend`"):
        run_outcome("heavy_ball", 0.1, 0.5, 1.0, backend="jax")
    with pytest.raises(ValueError, match="`x`"):
        lrp_value(np.inf)
    with pytest.raises(TypeError, match="`x`"):
        lrp_gradient("1")
    with pytest.raises(ValueError, match="`starts`"):
        counterexample_summary(starts=[])
    with pytest.raises(ValueError, match="`x_range`"):
        cycle_figure_data(x_range=(1.0, 0.0))


def test_import_stays_light() -> None:
    code = (
        "import sys, hbtheory.counterexamples; "
        "print(sorted(m for m in ('torch', 'PEPit', 'cvxpy', 'sympy', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
