"""The Lessard-Recht-Packard function and its proven cycle (``hbtheory.lrp``).

Source: L. Lessard, B. Recht, A. Packard (2016), SIAM J. Optim. 26(1):57-95, section 4.6. The
function's class (1-strongly convex, 25-smooth, C^1) is verified numerically here rather than
trusted, and the period-3 cycle is verified in exact rational arithmetic through ``Method.step``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from hbtheory.lrp import (
    LRP_CYCLE,
    LRP_PROVEN_CYCLE,
    ProvenCycle,
    lrp_curvature,
    lrp_gradient,
    lrp_gradient_exact,
    lrp_tunings,
    lrp_value,
    return_map_radius,
)
from hbtheory.methods import HEAVY_BALL, NESTEROV

EPS = float(np.finfo(np.float64).eps)
ALPHA, BETA = Fraction(1, 9), Fraction(4, 9)


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


def test_curvature_is_the_slope_of_the_gradient_on_each_piece() -> None:
    x = np.array([-3.0, 0.0, 0.999, 1.0, 1.5, 1.999, 2.0, 4.0])
    d = 1e-4  # inside each piece f' is affine: the forward difference is its slope up to rounding
    slope = (lrp_gradient(x + d) - lrp_gradient(x)) / d
    inside = (np.abs(x - 1.0) > d) & (np.abs(x - 2.0) > d)
    np.testing.assert_allclose(lrp_curvature(x)[inside], slope[inside], rtol=1e-9)
    assert lrp_curvature(1.0) == 1.0 and lrp_curvature(2.0) == 25.0


def test_exact_gradient_matches_float() -> None:
    for q in (Fraction(-7, 3), Fraction(1), Fraction(3, 2), Fraction(2), Fraction(33, 10)):
        assert float(lrp_gradient_exact(q)) == pytest.approx(float(lrp_gradient(float(q))), rel=4 * EPS)
    with pytest.raises(TypeError, match="`x`"):
        lrp_gradient_exact(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`x`"):
        lrp_gradient_exact(True)


def test_polyak_tuning_is_one_ninth_four_ninths() -> None:
    t = lrp_tunings()
    assert list(t) == ["heavy_ball", "nesterov", "gradient_descent"]
    assert t["heavy_ball"] == pytest.approx((1 / 9, 4 / 9), rel=4 * EPS)
    assert t["gradient_descent"] == pytest.approx((2 / 26, 0.0), rel=4 * EPS)
    # Nesterov's quadratic optimum (Lessard, Recht & Packard 2016): alpha = 4/(3L + mu), beta = (r - 2)/(r + 2)
    # with r = sqrt(3 kappa + 1) = sqrt(76).
    r = np.sqrt(76.0)
    assert t["nesterov"] == pytest.approx((4 / 76, (r - 2) / (r + 2)), rel=8 * EPS)


def test_period_three_points_satisfy_the_map_exactly() -> None:
    c = list(LRP_CYCLE)
    for i in range(3):
        x_prev, x = c[i - 1], c[i]
        x_next = x - ALPHA * lrp_gradient_exact(x) + BETA * (x - x_prev)
        assert x_next == c[(i + 1) % 3]
    # Not a fixed point nor a 1-cycle in disguise: three distinct points, none the minimiser.
    assert len(set(c)) == 3 and Fraction(0) not in c


def test_proven_cycle_is_data_checked_through_method_step() -> None:
    p = LRP_PROVEN_CYCLE
    assert (p.method, p.alpha, p.beta, p.period) == (HEAVY_BALL, ALPHA, BETA, 3)
    assert p.holds()  # HEAVY_BALL.step in exact rationals maps each point to the next
    np.testing.assert_array_equal(p.float_points(), [float(q) for q in LRP_CYCLE])
    # The same points are not a cycle of another method, nor at other parameters: holds() can fail.
    assert not ProvenCycle(NESTEROV, ALPHA, BETA, LRP_CYCLE, "").holds()
    assert not ProvenCycle(HEAVY_BALL, ALPHA, Fraction(5, 9), LRP_CYCLE, "").holds()


def test_return_map_radius_is_eight_27ths() -> None:
    # On the cycle heavy ball visits curvatures 25, 25, 25 (no point lies in [1, 2)): the 3-step
    # map is A(25)^3 with A(25) = [[1 + 4/9 - 25/9, -4/9], [1, 0]], a double eigenvalue -2/3.
    pts = [float(q) for q in LRP_CYCLE]
    assert not np.any((np.array(pts) >= 1) & (np.array(pts) < 2))
    # A double eigenvalue: eigvals loses half the digits (sqrt(eps) ~ 1.5e-8), hence rel=1e-7.
    assert return_map_radius(HEAVY_BALL, 1 / 9, 4 / 9, pts) == pytest.approx(8 / 27, rel=1e-7)
    # The radius is the method's: Nesterov's matrices at the same points give another number.
    assert return_map_radius(NESTEROV, 1 / 9, 4 / 9, pts) != pytest.approx(8 / 27, rel=1e-3)


def test_torch_function_has_the_same_values_and_gradient() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is optional (pip install 'hbtheory[torch]')")
    from hbtheory.lrp import lrp_value_torch

    x = np.array([-3.0, 0.5, 1.0, 1.5, 2.0, 3.3])
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    v = lrp_value_torch(t)
    v.sum().backward()
    np.testing.assert_array_equal(v.detach().numpy(), lrp_value(x))
    np.testing.assert_array_equal(t.grad.numpy(), lrp_gradient(x))
    with pytest.raises(TypeError, match="`x`"):
        lrp_value_torch(np.array([1.0]))


def test_bad_input_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="`x`"):
        lrp_value(np.inf)
    with pytest.raises(TypeError, match="`x`"):
        lrp_gradient("1")
    with pytest.raises(TypeError, match="`points`"):
        return_map_radius(HEAVY_BALL, 0.1, 0.5, [1.0, None])
