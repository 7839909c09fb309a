"""Certified rates (hbtheory.robust): reference values of Lessard, Recht & Packard, exact cases,
an LMI rebuilt here from the method's realisation, simulations on functions of F(mu, L), and a
cvxpy solve of the same LMI."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from hbtheory._worst import worst_case_rate
from hbtheory.methods import GRADIENT_DESCENT, HEAVY_BALL, NESTEROV, TRIPLE_MOMENTUM, get_method
from hbtheory.robust import certified_rate, rate_certificate

HAVE_CVXPY = importlib.util.find_spec("cvxpy") is not None
# The bisection stops at 1e-9 (the returned end is the certified one, so values are rounded up).
RHO_TOL = 2e-9


def polyak(kappa: float) -> tuple[float, float]:
    cf = HEAVY_BALL.closed_form(1.0, kappa)
    return cf.alpha, cf.beta


def test_lrp_reference_values() -> None:
    # LRP 2016, Section 4.5 / Fig. 5 (mu = 1, L = kappa, Polyak's tuning, sector + off-by-one):
    # 0.3361 at kappa = 2, 0.8604 at kappa = 10.
    a2, b2 = polyak(2.0)
    a10, b10 = polyak(10.0)
    r = certified_rate([a2, a10], [b2, b10], 1.0, [2.0, 10.0])
    assert round(float(r[0]), 4) == 0.3361
    assert round(float(r[1]), 4) == 0.8604


def test_polyak_certified_region_ends_near_18_and_sector_near_6() -> None:
    # LRP: "about 18" with the off-by-one IQC, "about 6" with the sector IQC alone. Measured here:
    # 17.94427 and 5.828427 (= 3 + 2 sqrt 2, where Polyak's step reaches 2/L).
    ks = np.array([17.94, 17.95])
    a, b = zip(*(polyak(k) for k in ks), strict=True)
    r = certified_rate(np.array(a), np.array(b), 1.0, ks)
    assert np.isfinite(r[0]) and r[0] < 1.0 and math.isinf(r[1])
    ks = np.array([5.82, 5.84])
    a, b = zip(*(polyak(k) for k in ks), strict=True)
    r = certified_rate(np.array(a), np.array(b), 1.0, ks, iqc="sector")
    assert np.isfinite(r[0]) and math.isinf(r[1])


def test_nesterov_standard_tuning_loses_sector_certificate_near_11_7() -> None:
    # LRP Section 4.4: alpha = 1/L, beta = (sqrt k - 1)/(sqrt k + 1); sector alone fails beyond
    # about 11.7 (measured 11.65685, i.e. 6 + 4 sqrt 2); with the off-by-one IQC it stays certified.
    ks = np.array([11.64, 11.67, 1000.0])
    beta = (np.sqrt(ks) - 1) / (np.sqrt(ks) + 1)
    r = certified_rate(1.0 / ks, beta, 1.0, ks, method="nesterov", iqc="sector")
    assert np.isfinite(r[0]) and math.isinf(r[1]) and math.isinf(r[2])
    r = certified_rate(1.0 / ks, beta, 1.0, ks, method=NESTEROV)
    assert np.all(r < 1.0)


@pytest.mark.parametrize("kappa", [2.0, 3.0, 10.0, 100.0])
def test_gradient_descent_certified_at_exact_rate(kappa: float) -> None:
    # alpha = 2/(L + mu): rate (kappa - 1)/(kappa + 1) on every f in F(mu, L), and attained by
    # quadratics, so the certified rate equals it.
    exact = (kappa - 1) / (kappa + 1)
    r = float(certified_rate(2 / (kappa + 1), 0.0, 1.0, kappa, method=GRADIENT_DESCENT))
    assert exact - 1e-15 <= r <= exact + RHO_TOL


def test_triple_momentum_certified_at_its_design_rate() -> None:
    # Van Scoy, Freeman & Lynch 2018: 1 - 1/sqrt(kappa) on F(mu, L); its realisation with the filter
    # is not minimal (the reduction is exercised here).
    ks = np.array([2.0, 10.0, 100.0])
    cfs = [TRIPLE_MOMENTUM.closed_form(1.0, k) for k in ks]
    r = certified_rate([c.alpha for c in cfs], [c.beta for c in cfs], 1.0, ks, method="triple_momentum")
    np.testing.assert_allclose(r, 1 - 1 / np.sqrt(ks), rtol=0, atol=5 * RHO_TOL)


def test_never_below_the_quadratic_rate_and_batch_equals_scalar() -> None:
    rng = np.random.default_rng(12)
    a = rng.uniform(0.05, 2.0, (3, 4))
    b = rng.uniform(0.0, 0.95, (3, 4))
    r = certified_rate(a, b, 0.1, 1.0)
    assert r.shape == (3, 4)
    quad = worst_case_rate(a, b, 0.1, 1.0)
    fin = np.isfinite(r)
    assert fin.sum() >= 3
    assert np.all(r[fin] >= quad[fin] * (1 - 4 * np.finfo(float).eps))
    assert np.all(r[fin] < 1.0)
    # batched and scalar calls run the same solver on different batch sizes, whose vectorised sums
    # may round differently: equal to the bisection's tolerance, not bit for bit
    for idx in [(0, 0), (1, 2), (2, 3)]:
        assert abs(certified_rate(a[idx], b[idx], 0.1, 1.0) - r[idx]) <= RHO_TOL
    assert np.asarray(certified_rate(a[0], b[0], 0.1, 1.0)).shape == (4,)


def test_scale_invariance() -> None:
    # The rate depends on alpha L, beta, mu/L only.
    a, b = polyak(5.0)
    r1 = certified_rate(a, b, 1.0, 5.0)
    r2 = certified_rate(a / 1000.0, b, 1000.0, 5000.0)
    assert abs(r1 - r2) <= RHO_TOL


def _full_lmi(method: str, alpha: float, beta: float, mu: float, rho: float, P: np.ndarray,
              lam: np.ndarray, T: np.ndarray) -> np.ndarray:
    """The LRP LMI rebuilt from Method.realisation (L = 1), restricted to the certificate's subspace."""
    A, B, C, _ = (np.array(x, dtype=float) for x in get_method(method).realisation(alpha, beta))
    c = C[0]
    # plant + off-by-one filter zeta+ = -L y + u (LRP Lemma 8)
    Ah = np.zeros((3, 3))
    Ah[:2, :2] = A
    Ah[2, :2] = -c
    Bh = np.array([B[0, 0], B[1, 0], 1.0])
    ABh = np.hstack([Ah, Bh[:, None]])
    lift = np.zeros((4, T.shape[1] + 1))
    lift[:3, :-1] = T
    lift[3, -1] = 1.0
    Pf = T @ P @ T.T
    E = np.hstack([np.eye(3), np.zeros((3, 1))])
    lyap = ABh.T @ Pf @ ABh - rho**2 * E.T @ Pf @ E
    Mx = np.array([[0.0, 1.0], [1.0, 0.0]])
    # rows of (L y - u, u - mu y) on w = (x, x_prev, zeta, u): sector, then off-by-one with rho^2 zeta
    D = np.array([[c[0], c[1], 0.0, -1.0], [-mu * c[0], -mu * c[1], 0.0, 1.0]])
    Do = D.copy()
    Do[0, 2] = rho**2
    full = lyap + lam[0] * D.T @ Mx @ D + lam[1] * Do.T @ Mx @ Do
    return lift.T @ full @ lift


@pytest.mark.parametrize(("method", "alpha", "beta", "mu"), [
    ("heavy_ball", 0.4, 0.5, 0.1),
    ("nesterov", 1.0, 0.5, 0.1),       # alpha = 1/L: the filter state copies -L x (reduced)
    ("gradient_descent", 0.5, 0.0, 1 / 3),
    ("general(gamma=0.3)", 1.0, 0.5, 0.1),
])
def test_certificate_checks_in_an_lmi_rebuilt_from_the_realisation(method: str, alpha: float, beta: float,
                                                                   mu: float) -> None:
    c = rate_certificate(alpha, beta, mu, 1.0, method=method)
    assert c.rate < 1.0
    assert np.linalg.eigvalsh(c.P)[0] > 0 and np.all(c.multipliers >= 0)
    lmi = _full_lmi(method, alpha, beta, mu, c.rate, np.asarray(c.P), np.asarray(c.multipliers), np.asarray(c.basis))
    top = np.linalg.eigvalsh(lmi)[-1]
    assert top < 0.0
    # at a rate 1e-4 smaller the same certificate must fail (the bound is tight for its P)
    assert np.linalg.eigvalsh(_full_lmi(method, alpha, beta, mu, c.rate - 1e-4, np.asarray(c.P),
                                        np.asarray(c.multipliers), np.asarray(c.basis)))[-1] > top


def _piecewise_quadratic(rng: np.random.Generator, mu: float, L: float, pieces: int = 7):
    """A random f in F(mu, L) of one variable: f' continuous, piecewise linear with slopes in [mu, L], f'(0) = 0."""
    knots = np.sort(rng.uniform(-3, 3, pieces - 1))
    slopes = rng.choice([mu, L], pieces) * rng.uniform(0.999, 1.0, pieces)
    slopes = np.clip(slopes, mu, L)
    # f'(x) = integral of the slope from 0
    def grad(x: float) -> float:
        edges = np.concatenate([[-np.inf], knots, [np.inf]])
        total = 0.0
        lo, hi = (0.0, x) if x >= 0 else (x, 0.0)
        for i in range(pieces):
            a, b = max(lo, edges[i]), min(hi, edges[i + 1])
            if b > a:
                total += slopes[i] * (b - a)
        return total if x >= 0 else -total
    return grad


def test_simulated_trajectories_respect_the_certified_rate() -> None:
    # On random functions of F(mu, L), |x_t| never decays slower than C rho^t; measured over
    # t = 150 with C = 1e3 (generous: the certified rate is what is tested, not the constant).
    rng = np.random.default_rng(5)
    cases = [("heavy_ball", 0.8, 0.6), ("nesterov", 1.0, 0.6), ("triple_momentum", 1.6, 0.4)]
    mu = 0.1
    for name, alpha, beta in cases:
        m = get_method(name)
        rho = float(certified_rate(alpha, beta, mu, 1.0, method=m))
        assert rho < 1.0
        for _ in range(5):
            grad = _piecewise_quadratic(rng, mu, 1.0)
            x0 = rng.uniform(-3, 3)
            x, xp = x0, x0
            for _t in range(150):
                x, xp = m.step(grad, x, xp, alpha, beta)
            assert abs(x) <= 1e3 * rho**150 * abs(x0) + 1e-300


def test_polyak_at_kappa_25_has_no_certificate_and_cycles() -> None:
    # The LRP function (mu = 1, L = 25) makes heavy ball cycle at Polyak's tuning: no certificate may exist.
    from hbtheory.lrp import LRP_CYCLE, lrp_gradient_exact
    a, b = polyak(25.0)
    assert math.isinf(certified_rate(a, b, 1.0, 25.0))
    x, xp = LRP_CYCLE[0], LRP_CYCLE[2]
    from fractions import Fraction
    alpha, beta = Fraction(1, 9), Fraction(4, 9)
    for _ in range(3):
        x, xp = x + beta * (x - xp) - alpha * lrp_gradient_exact(x), x
    assert x == LRP_CYCLE[0]


def test_errors_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="iqc"):
        certified_rate(0.5, 0.5, 0.1, 1.0, iqc="circle")
    with pytest.raises(ValueError, match="alpha"):
        certified_rate(-0.5, 0.5, 0.1, 1.0)
    with pytest.raises(ValueError, match="beta"):
        certified_rate(0.5, 1.5, 0.1, 1.0)
    with pytest.raises(ValueError, match="mu"):
        certified_rate(0.5, 0.5, 2.0, 1.0)
    with pytest.raises(ValueError, match="method"):
        certified_rate(0.5, 0.5, 0.1, 1.0, method="adam")
    with pytest.raises(TypeError, match="alpha"):
        rate_certificate(np.array([0.5, 0.6]), 0.5, 0.1, 1.0)
    assert certified_rate(np.zeros((0,)), 0.5, 0.1, 1.0).shape == (0,)


@pytest.mark.pepit
@pytest.mark.skipif(not HAVE_CVXPY, reason="cvxpy is not installed")
def test_agrees_with_bisection_over_cvxpy() -> None:
    # The obvious implementation (hbtheory._cvx_reference, Clarabel at 1e-10), same LMI: agree to 1e-6.
    from hbtheory._cvx_reference import cvxpy_certified_rate
    pts = [
        (*polyak(10.0), 1.0, 10.0, "heavy_ball", "off_by_one"),
        (0.3, 0.5, 0.1, 1.0, "nesterov", "sector"),
        (1.0, 0.5, 0.1, 1.0, "nesterov", "off_by_one"),
        (1.5, 0.3, 0.1, 1.0, "triple_momentum", "off_by_one"),
    ]
    for a, b, mu, L, m, iqc in pts:
        ref = cvxpy_certified_rate(a, b, mu, L, method=m, iqc=iqc, rho_tol=1e-8)
        ours = float(certified_rate(a, b, mu, L, method=m, iqc=iqc))
        assert abs(ref - ours) <= 1e-6, (m, iqc, ref, ours)


def test_robust_optimal_parameters() -> None:
    from hbtheory.robust import robust_optimal_parameters

    # gradient descent: the robust optimum is alpha = 2/(L + mu), rate (kappa - 1)/(kappa + 1)
    gd = robust_optimal_parameters(10.0, method="gradient_descent", grid=9, levels=8)
    assert abs(gd.alpha - 2 / 1.1) < 2e-3 and gd.rate <= 9 / 11 + 1e-3   # mu = 0.1, L = 1
    assert gd.rate >= 9 / 11 - 1e-12  # nothing beats the quadratic rate
    # heavy ball: its best certified rate lies between Triple Momentum's and Polyak's quadratic rate
    # (Polyak's own tuning is not certified beyond kappa = 17.94)
    hb = robust_optimal_parameters(mu=1.0, L=25.0, grid=7, levels=4)
    assert hb.kappa == 25.0 and hb.triple_momentum_rate == 0.8
    assert hb.quadratic_rate <= hb.rate < 1.0 and hb.rate > 0.8 - 1e-9
    with pytest.raises(ValueError, match="kappa"):
        robust_optimal_parameters(10.0, mu=1.0, L=10.0)


def test_robust_search_over_the_general_family_finds_triple_momentum() -> None:
    # Searching (alpha, beta, gamma) lands near Triple Momentum's design (alpha = 1.684, beta = 0.354,
    # gamma = 0.210 at kappa = 10) and its rate 1 - 1/sqrt(kappa) (measured 0.6868 with grid 9, 5 levels).
    from hbtheory.robust import robust_optimal_parameters

    t = robust_optimal_parameters(10.0, method="general", grid=7, levels=4)
    assert t.gamma is not None and t.method.startswith("general(")
    assert t.triple_momentum_rate - 1e-9 <= t.rate < t.triple_momentum_rate + 0.02
    assert abs(t.gamma - 0.21) < 0.1 and abs(t.alpha - 1.68) < 0.2


def _det(M: list[list]) -> object:
    """Exact determinant by fraction-free expansion (small matrices)."""
    n = len(M)
    if n == 1:
        return M[0][0]
    return sum((-1) ** j * M[0][j] * _det([row[:j] + row[j + 1:] for row in M[1:]]) for j in range(n))


@pytest.mark.parametrize("kappa", [2.0, 10.0])
def test_certificate_is_a_proof_in_exact_rationals(kappa: float) -> None:
    # Polyak's tuning (a minimal 3-state realisation): the float64 certificate, read as exact
    # rationals, satisfies the LRP LMI exactly: P > 0, multipliers >= 0 and -LMI > 0 by Sylvester's
    # criterion (all leading principal minors positive), every number a Fraction.
    from fractions import Fraction as F

    a, b = polyak(kappa)
    c = rate_certificate(a, b, 1.0, kappa)   # the certificate is in units L = 1: alpha L, mu / L
    assert np.asarray(c.basis).shape == (3, 3)
    T = [[F(float(x)) for x in row] for row in np.asarray(c.basis)]
    Pr = [[F(float(x)) for x in row] for row in np.asarray(c.P)]
    lam = [F(float(x)) for x in np.asarray(c.multipliers)]
    assert all(x >= 0 for x in lam)
    P = [[sum(T[i][k] * Pr[k][m] * T[j][m] for k in range(3) for m in range(3)) for j in range(3)] for i in range(3)]
    # the data exactly as the solver saw them: alpha L and mu / L rounded to float64
    alpha, beta, mu = F(a * kappa), F(b), F(1.0 / kappa)

    def negative_definite(rho: F) -> bool:
        AB = [[1 + beta, -beta, F(0), -alpha], [F(1), F(0), F(0), F(0)], [F(-1), F(0), F(0), F(1)]]
        E = [[F(int(i == j)) for j in range(4)] for i in range(3)]
        D = [[F(1), F(0), F(0), F(-1)], [-mu, F(0), F(0), F(1)]]
        Do = [[F(1), F(0), rho * rho, F(-1)], [-mu, F(0), F(0), F(1)]]

        def quad(X: list[list], Q: list[list]) -> list[list]:
            return [[sum(X[k][i] * Q[k][m] * X[m][j] for k in range(len(X)) for m in range(len(X)))
                     for j in range(4)] for i in range(4)]

        M = [[F(0), F(1)], [F(1), F(0)]]
        lyap, decay, s_iqc, o_iqc = quad(AB, P), quad(E, P), quad(D, M), quad(Do, M)
        neg = [[-(lyap[i][j] - rho * rho * decay[i][j] + lam[0] * s_iqc[i][j] + lam[1] * o_iqc[i][j])
                for j in range(4)] for i in range(4)]
        return all(_det([row[:k] for row in neg[:k]]) > 0 for k in range(1, 5))

    assert negative_definite(F(c.rate))
    assert not negative_definite(F(c.rate) - F(1, 1000))   # the check can fail: not at a smaller rate
    assert all(_det([row[:k] for row in P[:k]]) > 0 for k in range(1, 4))


@pytest.mark.parametrize("m", [2, 3])
def test_small_inverses_agree_with_lapack(m: int, rng: np.random.Generator) -> None:
    """The interior-point solver inverts its 2x2 / 3x3 Gram matrices by the adjugate (one
    elementwise pass over the stack): within a few hundred eps times the condition number of
    LAPACK's inverse on well-posed SPD stacks; a stack with one matrix that is not safely positive
    definite goes back to LAPACK whole."""
    from hbtheory import _lmi

    X = rng.normal(size=(500, m, m))
    G = X @ np.swapaxes(X, -1, -2) + 1e-3 * np.eye(m)
    got = _lmi._inv_small(G)
    assert got is not None
    inv, good = got
    ref = np.linalg.inv(G)
    cond = np.linalg.cond(G)
    err = np.max(np.abs(inv - ref), axis=(-1, -2)) / np.max(np.abs(ref), axis=(-1, -2))
    assert good.all() and np.all(err <= 300 * np.finfo(float).eps * cond)
    G[7] = -G[7]  # one indefinite matrix: no adjugate shortcut for the stack
    assert _lmi._inv_small(G) is None
    inv2, good2 = _lmi._inv(G)
    assert good2.all()
    assert np.allclose(inv2[7] @ G[7], np.eye(m))
