"""symbolic.mean_square_region == the numeric mean-square stability of hbtheory.stochastic, every member."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from hbtheory import stochastic, symbolic
from hbtheory.methods import get_method

FAMILY = ["heavy_ball", "nesterov", "gradient_descent", "general(gamma=0.5)", "triple_momentum"]


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
