"""symbolic.mean_square_region == the numeric mean-square stability of hbtheory.stochastic, every member."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from hbtheory import stochastic, symbolic
from hbtheory.methods import get_method

# general(gamma=-0.7): the exact-gradient edge is a complex pair on the unit circle (det M = 1), not a
# root at -1; general(gamma=-0.1): a root at -1 for beta < 0.6, the unit circle above
FAMILY = ["heavy_ball", "nesterov", "gradient_descent", "general(gamma=0.5)", "triple_momentum",
          "general(gamma=-0.7)", "general(gamma=-0.1)"]


def test_heavy_ball_closed_form() -> None:
    reg = symbolic.mean_square_region("heavy_ball")
    b, k = symbolic.beta, reg.k
    assert sp.simplify(reg.alpha_h_bound - 2 * (1 - b**2) / (k * (1 + b) + 1 - b)) == 0
    assert sp.simplify(reg.gaussian_bound - 2 * (1 - b**2) / (3 + b)) == 0
    assert sp.simplify(reg.alpha_h_bound.subs(k, 0) - reg.deterministic_bound) == 0
    # S_y is heavy ball's stationary variance at unit noise: symbolic.stationary_variance at sigma = 1
    assert sp.simplify(reg.unit_noise_moment - symbolic.stationary_variance("heavy_ball").subs(symbolic.sigma, 1)) == 0


@pytest.mark.parametrize("method", FAMILY)
def test_bound_is_the_numeric_stability_edge(method: str) -> None:
    m = get_method(method)
    reg = symbolic.mean_square_region(m)
    param = symbolic.r if m.design is not None else symbolic.beta
    f = sp.lambdify((param, reg.k), reg.alpha_h_bound, "numpy")
    for p in ([0.2, 0.5, 0.8] if m.uses_beta else [0.0]):
        beta = p if m.design is None else p * p / (2 - p)   # Triple Momentum: beta = r^2 / (2 - r)
        for k in (2.0, 0.5, 2.0 / 16):
            edge = float(f(p, k))
            h = 1.7
            alpha = edge / h * np.array([1 - 1e-7, 1 + 1e-7])
            # at the edge rho(T) = 1; 1e-7 relative is far above the float64 rounding of the criterion
            stable = stochastic.mean_square_stable(alpha, beta, h, curvature_variance=k * h * h, method=m)
            assert stable.tolist() == [True, False], (method, p, k, edge)
        det = float(sp.lambdify(param, reg.deterministic_bound)(p))
        assert float(f(p, 0.0)) == pytest.approx(det, rel=1e-12)


def test_gaussian_bound_far_inside_deterministic() -> None:
    reg = symbolic.mean_square_region("heavy_ball")
    at = {symbolic.beta: sp.Rational(9, 10)}
    assert reg.gaussian_bound.subs(at) == sp.Rational(19, 195)   # 2 (1 - 0.81) / 3.9
    assert reg.deterministic_bound.subs(at) == sp.Rational(19, 5)


@pytest.mark.parametrize("method", FAMILY)
def test_deterministic_bound_is_the_spectral_radius_edge(method: str) -> None:
    """``deterministic_bound`` is where rho(A) reaches 1, whichever Jury condition fails there
    (before: a negative look-ahead raised RuntimeError, 'no positive boundary found')."""
    from hbtheory import spectral_radius

    m = get_method(method)
    reg = symbolic.mean_square_region(m)
    param = symbolic.r if m.design is not None else symbolic.beta
    det = sp.lambdify(param, reg.deterministic_bound, "numpy")
    for p in ([0.05, 0.3, 0.59, 0.61, 0.9] if m.uses_beta else [0.0]):
        beta = p if m.design is None else p * p / (2 - p)
        edge, h = float(det(p)), 0.9
        alpha = edge / h * np.array([1 - 1e-9, 1 + 1e-9])
        assert (spectral_radius(alpha, beta, h, method=m) < 1.0).tolist() == [True, False], (method, p, edge)


def test_general_with_a_small_negative_look_ahead_has_both_edges() -> None:
    b = symbolic.beta
    det = symbolic.mean_square_region("general(gamma=-0.1)").deterministic_bound
    # root at -1: 2 (1 + beta) / (1 + 2 gamma); unit circle: (1 - beta) / -gamma; equal at beta = 0.6
    assert isinstance(det, sp.Min)
    assert {sp.expand(a) for a in det.args} == {sp.expand(sp.Rational(5, 2) * (1 + b)), sp.expand(10 * (1 - b))}
    assert det.subs(b, sp.Rational(1, 5)) == 3 and det.subs(b, sp.Rational(4, 5)) == 2


@pytest.mark.parametrize("method", ["nesterov", "triple_momentum"])
def test_bound_at_zero_momentum_is_gradient_descents_and_float64_keeps_its_digits(method: str) -> None:
    """At zero momentum the bound is gradient descent's 2/(k + 1). The textbook root
    (-a1 + sqrt(D)) / (2 a2) was 0/0 there (a2 = 0) and lost ~|log10 beta| digits near it (Triple
    Momentum's read -1.5e8 at r = 1e-12 in float64); the form without cancellation keeps them."""
    m = get_method(method)
    reg = symbolic.mean_square_region(m)
    param = symbolic.r if m.design is not None else symbolic.beta
    k, kp = reg.k, sp.Symbol("kp", positive=True)  # (k >= 0: sqrt((k + 1)^2) = k + 1)
    at_zero = reg.alpha_h_bound.subs(param, 0).subs(k, kp)
    at_zero = at_zero.replace(lambda e: isinstance(e, sp.Pow) and e.exp == sp.S.Half,
                              lambda e: sp.sqrt(sp.factor(e.base)))  # sqrt(16 (kp + 1)^2) = 4 (kp + 1)
    assert sp.simplify(at_zero - 2 / (kp + 1)) == 0
    f = sp.lambdify((param, k), reg.alpha_h_bound, "math")
    for kv in (0.1, 2.0, 10.0):
        assert f(0.0, kv) == pytest.approx(2 / (kv + 1), rel=4e-16)
        for p in (1e-12, 1e-8, 1e-4):
            beta = p if m.design is None else p * p / (2 - p)
            edge, h = f(p, kv), 1.3
            alpha = edge / h * np.array([1 - 1e-10, 1 + 1e-10])
            stable = stochastic.mean_square_stable(alpha, beta, h, curvature_variance=kv * h * h, method=m)
            assert stable.tolist() == [True, False], (method, p, kv, edge)
