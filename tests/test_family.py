"""Every member of the method family through the layers: symbolic == numeric == a direct simulation.

One definition (hbtheory.methods.Method) feeds every layer; these tests check that the layers agree
with each other *and* with an independent computation for each member, including Triple Momentum
and the general three-parameter method, which have no special case anywhere.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

import hbtheory as hb
from hbtheory import symbolic as S
from hbtheory.methods import METHODS, TRIPLE_MOMENTUM, Method, general, get_method

EPS = float(np.finfo(np.float64).eps)

FAMILY = [*METHODS.values(), general(0.5), general(-0.25), general(2.0)]
IDS = [m.name for m in FAMILY]


def _beta(m: Method, rng: np.random.Generator) -> float:
    return float(rng.uniform(0.0, 0.95)) if m.uses_beta else 0.0


@pytest.mark.parametrize("m", FAMILY, ids=IDS)
def test_realisation_gives_the_characteristic_polynomial(m: Method) -> None:
    # det(zI - (A + h B C)) == z^2 - c1 z + c0, symbolically (LRP 2016: the iteration matrix on a
    # quadratic of curvature h is A + h B C).
    a, h, z = sp.symbols("alpha h z")
    if m.design is None:
        b = sp.Symbol("beta")
        A, B, C, _ = m.realisation(a, b)
        c1, c0 = m.c1(a, b, h), m.c0(a, b, h)
    else:
        # Triple Momentum: gamma(beta) involves a square root; in its design parameter r all is rational
        r = sp.Symbol("r", positive=True)
        b, g, d = m.design(r)
        A = ((1 + b, -b), (1, 0))
        B = ((-a,), (0,))
        C = ((1 + g, -g),)
        c1, c0 = m.design_coefficients(a, r, h)
        # and the design agrees with the float64 gamma(beta), delta(beta) at a few r
        for rv in (0.1, 0.5, 0.9):
            beta_v = rv * rv / (2 - rv)
            assert float(m.gamma(beta_v)) == pytest.approx(float(g.subs(r, rv)), rel=8 * EPS)
            assert float(m.delta(beta_v)) == pytest.approx(float(d.subs(r, rv)), rel=16 * EPS)
    M = sp.Matrix(A) + h * sp.Matrix(B) * sp.Matrix(C)
    poly = (z * sp.eye(2) - M).det()
    assert sp.simplify(poly - (z**2 - c1 * z + c0)) == 0


@pytest.mark.parametrize("m", FAMILY, ids=IDS)
def test_step_on_a_quadratic_follows_the_polynomial_exactly(m: Method) -> None:
    # Method.step in exact rational arithmetic on f(x) = h x^2 / 2 obeys e_{t+1} = c1 e_t - c0 e_{t-1}
    # exactly (Cayley-Hamilton), with the coefficients evaluated in Fractions at the same float inputs.
    rng = np.random.default_rng(7)
    for _ in range(5):
        alpha, h = Fraction(float(rng.uniform(0.05, 1.0))), Fraction(float(rng.uniform(0.0, 3.0)))
        beta = Fraction(_beta(m, rng))
        x_prev, x = Fraction(1), Fraction(3, 2)
        xs = [x_prev, x]
        for _ in range(6):
            x, x_prev = m.step(lambda y, h=h: h * y, x, x_prev, alpha, beta)  # type: ignore[misc]
            xs.append(x)
        c1, c0 = Fraction(m.c1(alpha, beta, h)), Fraction(m.c0(alpha, beta, h))
        for k in range(2, len(xs)):
            assert xs[k] == c1 * xs[k - 1] - c0 * xs[k - 2]


@pytest.mark.parametrize("m", FAMILY, ids=IDS)
def test_symbolic_eigenvalues_equal_numeric_spectral_radius(m: Method) -> None:
    rng = np.random.default_rng(11)
    e1, e2 = S.eigenvalues(m)
    param = S.beta if m.design is None else S.r
    for _ in range(20):
        alpha, h = float(rng.uniform(0.05, 1.5)), float(rng.uniform(0.0, 3.0))
        if m.design is None:
            beta = _beta(m, rng)
            pv = beta
        else:
            pv = float(rng.uniform(0.02, 0.95))
            beta = pv * pv / (2 - pv)
        subs = {S.alpha: alpha, S.h: h, param: pv}
        with mpmath.workdps(40):
            ref = max(abs(complex(sp.N(e.subs(subs), 40))) for e in (e1, e2))
        got = float(hb.spectral_radius(alpha, beta, h, method=m))
        # the design path rounds beta (and TM's float64 gamma(beta)) once: a few ulps of the inputs,
        # amplified at most by 1/sqrt(disc) near a double root; keep points with a clear margin
        assert got == pytest.approx(ref, rel=1e-7, abs=1e-12)


@pytest.mark.parametrize("m", FAMILY, ids=IDS)
def test_symbolic_region_equals_numeric_convergence(m: Method) -> None:
    region = S.convergence_region(m)
    param = S.beta if m.design is None else S.r
    in_region = sp.lambdify([S.alpha, param, S.h], region, modules="math")
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(200):
        alpha, h = float(rng.uniform(0.05, 2.0)), float(rng.uniform(-0.5, 6.0))
        if m.design is None:
            beta = _beta(m, rng)
            pv = beta
        else:
            pv = float(rng.uniform(0.02, 0.95))
            beta = pv * pv / (2 - pv)
        rho = float(hb.spectral_radius(alpha, beta, h, method=m))
        if abs(rho - 1.0) < 1e-9:  # on the boundary: the float inputs decide, not the region
            continue
        inside = bool(in_region(alpha, pv, h))
        assert inside == (rho < 1.0), (alpha, beta, h, rho)
        checked += 1
    assert checked > 150


@pytest.mark.parametrize("m", FAMILY, ids=IDS)
def test_simulated_rate_is_the_spectral_radius(m: Method) -> None:
    # A long float64 run of Method.step on a scalar quadratic decays like rho^t. The state is rescaled
    # every step (the map is linear) and the logs of the scales summed: log||xi_T|| / T -> log rho with
    # an error of at most log(cond V)/T, V the eigenvector matrix (about 1e-3 here for T = 4000).
    alpha, beta, h = 0.4, (0.5 if m.uses_beta else 0.0), 1.3
    rho = float(hb.spectral_radius(alpha, beta, h, method=m))
    x_prev, x = 1.0, 0.5
    total, T = 0.0, 4000
    for _ in range(T):
        x, x_prev = m.step(lambda y: h * y, x, x_prev, alpha, beta)
        scale = math.hypot(x, x_prev)
        total += math.log(scale)
        x, x_prev = x / scale, x_prev / scale
    measured = math.exp(total / T)
    assert measured == pytest.approx(rho, rel=2e-3)


@pytest.mark.parametrize("m", FAMILY, ids=IDS)
def test_stationary_variance_symbolic_equals_numeric(m: Method) -> None:
    expr = S.stationary_variance(m)
    param = S.beta if m.design is None else S.r
    pv = 0.4 if m.uses_beta else 0.0
    beta = pv if m.design is None else pv * pv / (2 - pv)
    alpha, h, sigma = 0.3, 1.1, 0.7
    ref = float(expr.subs({S.alpha: alpha, S.h: h, param: pv, S.sigma: sigma}))
    got = float(hb.stationary_variance(alpha, beta, h, sigma, method=m))
    assert got == pytest.approx(ref, rel=64 * EPS)


def test_general_family_contains_heavy_ball_and_nesterov() -> None:
    # gamma = 0 is heavy ball and gamma = beta is Nesterov: same coefficients at the same floats
    rng = np.random.default_rng(5)
    a, b, h = rng.uniform(0.01, 1, 50), rng.uniform(0, 1, 50), rng.uniform(0, 3, 50)
    hb0 = get_method("heavy_ball")
    g0 = general(0.0)
    np.testing.assert_array_equal(g0.c1(a, b, h), hb0.c1(a, b, h))
    np.testing.assert_array_equal(g0.c0(a, b, h), hb0.c0(a, b, h))
    for bi in (0.0, 0.3, 0.9):
        ref = hb.spectral_radius(a, bi, h, method="nesterov")
        got = hb.spectral_radius(a, bi, h, method=general(bi))
        np.testing.assert_allclose(got, ref, rtol=16 * EPS, atol=16 * EPS)


def test_triple_momentum_design_matches_van_scoy_freeman_lynch() -> None:
    # Van Scoy, Freeman & Lynch (2018), eq. (3): rho = 1 - 1/sqrt(kappa), alpha = (1 + rho)/L,
    # beta = rho^2/(2 - rho), gamma = rho^2/((1 + rho)(2 - rho)), delta = rho^2/(1 - rho^2).
    for kappa in (2.0, 10.0, 100.0, 1e4):
        rho = 1 - 1 / math.sqrt(kappa)
        beta = rho * rho / (2 - rho)
        assert float(TRIPLE_MOMENTUM.gamma(beta)) == pytest.approx(rho * rho / ((1 + rho) * (2 - rho)), rel=8 * EPS)
        assert float(TRIPLE_MOMENTUM.delta(beta)) == pytest.approx(rho * rho / (1 - rho * rho), rel=1e-12)


def test_general_names_round_trip_and_bad_gamma() -> None:
    assert get_method("general(gamma=0.25)") is general(0.25)
    assert get_method("General(0.25)") is general(0.25)
    with pytest.raises(ValueError, match="gamma"):
        general(float("nan"))
    with pytest.raises(ValueError, match="gamma must be a number"):
        get_method("general(gamma=abc)")
    with pytest.raises(TypeError, match="gamma"):
        general("0.5")  # type: ignore[arg-type]


def test_polynomial_only_method_has_no_step() -> None:
    m = Method("mine", "mine", c1=METHODS["heavy_ball"].c1, c0=METHODS["heavy_ball"].c0)
    with pytest.raises(ValueError, match="no realisation or step"):
        m.step(lambda y: y, 1.0, 1.0, 0.1, 0.5)
    assert float(hb.spectral_radius(0.1, 0.5, 1.0, method=m)) == float(hb.spectral_radius(0.1, 0.5, 1.0))


@pytest.mark.parametrize(
    ("lr", "momentum", "nu"), [(0.1, 0.9, 0.7), (0.5, 0.5, 0.5), (0.05, 0.999, 0.7), (0.2, 0.3, 0.0), (0.2, 0.3, 1.0)]
)
def test_qhm_map_reproduces_qhm_iterates_on_a_quadratic(lr: float, momentum: float, nu: float) -> None:
    # Ma & Yarats (2019), Algorithm 1 (torch-style QHM), run in exact rationals on f(x) = h x^2 / 2,
    # against the canonical method of from_qhm: identical from step 2 on (all steps when exact).
    h = Fraction(13, 10)
    c = hb.from_qhm(lr, momentum, nu)
    m = c.as_method()
    a, b, mom, n = Fraction(c.alpha), Fraction(c.beta), Fraction(momentum), Fraction(nu)
    lrf = Fraction(lr)
    theta, buf = Fraction(1), Fraction(0)
    qhm = [theta]
    for _ in range(8):
        grad = h * theta
        buf = mom * buf + (1 - mom) * grad
        theta = theta - lrf * ((1 - n) * grad + n * buf)
        qhm.append(theta)
    if c.exact:
        x_prev = x = Fraction(1)
        ours = [x]
        for _ in range(8):
            x, x_prev = m.step(lambda y: h * y, x, x_prev, a, b)
            ours.append(x)
        assert [float(v) for v in ours] == pytest.approx([float(v) for v in qhm], rel=64 * EPS)
    else:
        # from step 2 on, QHM's iterates satisfy the canonical recurrence (started from QHM's own x0, x1)
        x_prev, x = qhm[0], qhm[1]
        for k in range(2, len(qhm)):
            x, x_prev = m.step(lambda y: h * y, x, x_prev, a, b)
            assert float(x) == pytest.approx(float(qhm[k]), rel=1e-12)
