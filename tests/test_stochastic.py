"""hbtheory.stochastic: the mean-square theory of SGD with momentum, checked exact == numeric == Monte Carlo.

Reference points (issue 13): scalar least squares, h = s^2 = 1, Gaussian features (v = 2 h^2):
heavy ball alpha = 0.2, beta = 0.5 has stationary E x^2 = 3/8; gradient descent alpha = 0.1 has 1/17
(E(1 - alpha a^2)^2 = 1 - 2 alpha + 3 alpha^2 = 83/100, so E x^2 = alpha^2 / (1 - 0.83)).
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp

from hbtheory import spectral, stochastic
from hbtheory.methods import get_method

EPS = np.finfo(float).eps
FAMILY = ["heavy_ball", "nesterov", "triple_momentum", "general(gamma=0.5)", "gradient_descent"]


def exact_stationary(method: str, alpha: F, beta: F, h: F, v: F, s2: F) -> F:
    """E x^2 from (I - T) p = s^2 b, solved in exact rationals (sympy) from the Fraction map."""
    T, b = stochastic.moment_equations(method, alpha, beta, h, v)
    lhs = sp.eye(3) - sp.Matrix([[sp.Rational(x.numerator, x.denominator) for x in row] for row in T])
    rhs = sp.Matrix([sp.Rational(x.numerator, x.denominator) * sp.Rational(s2.numerator, s2.denominator) for x in b])
    return F(str(lhs.LUsolve(rhs)[0]))


def test_reference_points_exact_and_float() -> None:
    assert exact_stationary("heavy_ball", F(1, 5), F(1, 2), F(1), F(2), F(1)) == F(3, 8)
    assert exact_stationary("gradient_descent", F(1, 10), F(0), F(1), F(2), F(1)) == F(1, 17)
    assert exact_stationary("heavy_ball", F(1, 10), F(0), F(1), F(2), F(1)) == F(1, 17)
    got = stochastic.stationary_second_moment([0.2, 0.1], [0.5, 0.0], 1.0, curvature_variance=2.0, noise_variance=1.0)
    # a 3x3 solve of condition ~ 1/(alpha h): tens of ulps at these points
    np.testing.assert_allclose(got, [3 / 8, 1 / 17], rtol=64 * EPS, atol=0)


@pytest.mark.parametrize("method", FAMILY)
def test_float_equals_exact_rationals(method: str) -> None:
    beta = 0.0 if method == "gradient_descent" else 0.6
    for alpha, h, v, s2 in [(0.05, 1.0, 2.0, 1.0), (0.3, 0.5, 0.25, 2.0), (0.125, 2.0, 1.0, 0.5)]:
        ex = exact_stationary(method, F(alpha), F(beta), F(h), F(v), F(s2))
        got = float(stochastic.stationary_second_moment(alpha, beta, h, curvature_variance=v, noise_variance=s2,
                                                        method=method))
        # Triple Momentum's gamma(beta) is a float64 function, lifted exactly: same inputs both sides
        assert got == pytest.approx(float(ex), rel=256 * EPS)


def test_heavy_ball_closed_form(rng: np.random.Generator) -> None:
    # E x^2 = s^2 h alpha^2 S / (1 - v alpha^2 S), S = (1 + b) / ((1 - b) u (2 (1 + b) - u)), u = alpha h
    a = rng.uniform(0.01, 0.5, 200)
    b = rng.uniform(0.0, 0.95, 200)
    h = rng.uniform(0.2, 2.0, 200)
    v = rng.uniform(0.0, 1.0, 200) * h * h
    u = a * h
    S = (1 + b) / ((1 - b) * u * (2 * (1 + b) - u))
    closed = np.where(v * a * a * S < 1, h * a * a * S / (1 - v * a * a * S), np.inf)
    got = stochastic.stationary_second_moment(a, b, h, curvature_variance=v, noise_variance=1.0)
    finite = np.isfinite(closed) & (v * a * a * S < 0.9)
    assert finite.sum() > 50
    np.testing.assert_allclose(got[finite], closed[finite], rtol=1e-11)
    assert np.all(np.isinf(got[v * a * a * S > 1.0 + 1e-9]))


@pytest.mark.parametrize("method", FAMILY)
def test_noiseless_rate_is_deterministic_rate_squared(method: str) -> None:
    alpha = np.linspace(0.05, 1.5, 30)
    beta = 0.0 if method == "gradient_descent" else 0.7
    got = stochastic.mean_square_rate(alpha, beta, 1.0, curvature_variance=0.0, method=method)
    rho = spectral.spectral_radius(alpha, beta, 1.0, method=method)
    # eigenvalues of M (x) M near a double root (critical damping) are accurate to ~sqrt(eps) only
    np.testing.assert_allclose(got, rho**2, rtol=1e-7)


@pytest.mark.parametrize("k", [2.0, 0.5, 2.0 / 8])
@pytest.mark.parametrize("beta", [0.0, 0.3, 0.9])
def test_heavy_ball_stability_boundary(k: float, beta: float) -> None:
    # alpha h < 2 (1 - beta^2) / (k (1 + beta) + 1 - beta) with v = k h^2 (module notes)
    h = 1.5
    edge = 2 * (1 - beta**2) / (k * (1 + beta) + 1 - beta) / h
    stable = stochastic.mean_square_stable(edge * np.array([1 - 1e-9, 1 + 1e-9]), beta, h, curvature_variance=k * h * h)
    assert stable.tolist() == [True, False]
    rate = float(stochastic.mean_square_rate(edge, beta, h, curvature_variance=k * h * h))
    assert rate == pytest.approx(1.0, abs=1e-8)


def test_batch_size_divides_both_noises() -> None:
    a = stochastic.stationary_second_moment(0.2, 0.5, 1.0, curvature_variance=2.0, noise_variance=1.0, batch_size=4)
    b = stochastic.stationary_second_moment(0.2, 0.5, 1.0, curvature_variance=0.5, noise_variance=0.25)
    assert float(a) == float(b)


def test_broadcast_equals_loop() -> None:
    alpha = np.array([[0.1], [0.3]])
    beta = np.array([0.0, 0.5, 0.9])
    got = stochastic.mean_square_rate(alpha, beta, 1.0, curvature_variance=2.0)
    assert got.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            assert got[i, j] == stochastic.mean_square_rate(alpha[i, 0], beta[j], 1.0, curvature_variance=2.0)


def test_bad_input_names_parameter() -> None:
    with pytest.raises(ValueError, match="curvature_variance"):
        stochastic.mean_square_rate(0.1, 0.5, 1.0, curvature_variance=-1.0)
    with pytest.raises(ValueError, match="batch_size"):
        stochastic.mean_square_rate(0.1, 0.5, 1.0, curvature_variance=1.0, batch_size=0)
    with pytest.raises(ValueError, match="noise_variance"):
        stochastic.stationary_second_moment(0.1, 0.5, 1.0, curvature_variance=1.0, noise_variance=float("nan"))
    with pytest.raises(ValueError, match="beta"):
        stochastic.mean_square_rate(0.1, 1.5, 1.0, curvature_variance=1.0)
    with pytest.raises(ValueError, match="spectrum"):
        stochastic.coupled_mean_square_rate(0.1, 0.5, [[1.0]])
    with pytest.raises(ValueError, match="features"):
        stochastic.coupled_mean_square_rate(0.1, 0.5, [1.0], features="laplace")


def test_unstable_is_inf_not_nan() -> None:
    got = stochastic.stationary_second_moment([0.5, 3.0, 1e300], 0.5, 1.0, curvature_variance=2.0, noise_variance=1.0)
    assert np.all(np.isinf(got))
    assert np.isinf(stochastic.mean_square_rate(1e300, 0.5, 1e300, curvature_variance=1.0))
    assert float(stochastic.stationary_second_moment(0.5, 0.5, 1.0, curvature_variance=2.0, noise_variance=0.0)) == 0.0


# --- d dimensions: the 3d reduction against the full (2d)^2 Isserlis map ------------------------


def isserlis_map(alpha: float, beta: float, H: np.ndarray, batch: int, method: str) -> np.ndarray:
    """The second-moment map of the 2d-dimensional state built entry by entry, from
    E[a a^T Y a a^T] = 2 H Y H + tr(H Y) H (a ~ N(0, H)), H not diagonal: independent of the reduction."""
    m = get_method(method)
    d = H.shape[0]
    A, Bm, C, _ = m.realisation(alpha, beta)
    Ak, Bk, Ck = (np.kron(np.array(x, dtype=float), np.eye(d)) for x in (A, Bm, C))
    M = Ak + Bk @ H @ Ck
    n = 2 * d
    T = np.zeros((n * n, n * n))
    for k in range(n * n):
        P = np.zeros(n * n)
        P[k] = 1.0
        P = P.reshape(n, n)
        Y = Ck @ P @ Ck.T
        N = (H @ Y @ H + np.trace(H @ Y) * H) / batch
        T[:, k] = (M @ P @ M.T + Bk @ N @ Bk.T).ravel()
    return T


@pytest.fixture(scope="module")
def rotated() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    hs = np.array([1.0, 0.3, 0.05])
    return hs, Q, Q @ np.diag(hs) @ Q.T


@pytest.mark.parametrize("method", FAMILY)
def test_coupled_rate_equals_full_isserlis_map(method: str, rotated: tuple) -> None:
    hs, _, H = rotated
    for alpha, beta, batch in [(0.1, 0.5, 1), (0.3, 0.8, 4), (0.5, 0.3, 2)]:
        beta = 0.0 if method == "gradient_descent" else beta
        full = np.abs(np.linalg.eigvals(isserlis_map(alpha, beta, H, batch, method))).max()
        got = float(stochastic.coupled_mean_square_rate(alpha, beta, hs, batch_size=batch, method=method))
        # the 36x36 eigen-solve and the secular root agree to ~100 eps (a few 1e-14 observed)
        assert got == pytest.approx(full, rel=1e-12)


@pytest.mark.parametrize("method", ["heavy_ball", "nesterov"])
def test_coupled_stationary_equals_full_solve(method: str, rotated: tuple) -> None:
    hs, Q, H = rotated
    alpha, beta, batch, s2 = 0.2, 0.6, 2, 1.5
    d = 3
    T = isserlis_map(alpha, beta, H, batch, method)
    m = get_method(method)
    _, Bm, _, _ = m.realisation(alpha, beta)
    Bk = np.kron(np.array(Bm, dtype=float), np.eye(d))
    noise = (Bk @ (s2 * H / batch) @ Bk.T).ravel()
    P = np.linalg.solve(np.eye(36) - T, noise).reshape(6, 6)
    # E x_i^2 in the eigenbasis of H: diag(Q^T P_xx Q)
    full = np.diag(Q.T @ P[:3, :3] @ Q)
    got = stochastic.coupled_stationary_second_moment(alpha, beta, hs, noise_variance=s2, batch_size=batch,
                                                      method=method)
    np.testing.assert_allclose(got, full, rtol=1e-11)


def test_coupled_d1_is_scalar_and_axis_decouples() -> None:
    assert float(stochastic.coupled_stationary_second_moment(0.2, 0.5, [1.0], noise_variance=1.0)[0]) == pytest.approx(
        0.375, rel=64 * EPS)
    hs = np.array([1.0, 0.1])
    # axis features, d = 2: each direction alone with v = (d - 1) h^2 = h^2 per sample
    got = stochastic.coupled_stationary_second_moment(0.3, 0.5, hs, noise_variance=1.0, features="axis")
    one = stochastic.stationary_second_moment(0.3, 0.5, hs, curvature_variance=hs**2, noise_variance=1.0)
    np.testing.assert_allclose(got, one, rtol=64 * EPS)
    r = stochastic.coupled_mean_square_rate(0.3, 0.5, hs, features="axis")
    assert float(r) == float(np.max(stochastic.mean_square_rate(0.3, 0.5, hs, curvature_variance=hs**2)))


def test_coupled_curve_tends_to_stationary() -> None:
    hs = np.array([1.0, 0.2])
    curve = stochastic.coupled_second_moment_curve(0.2, 0.5, hs, 400, noise_variance=1.0)
    stat = stochastic.coupled_stationary_second_moment(0.2, 0.5, hs, noise_variance=1.0)
    np.testing.assert_allclose(curve[-1], stat, rtol=1e-9)
    rate = float(stochastic.coupled_mean_square_rate(0.2, 0.5, hs))
    plain = stochastic.coupled_second_moment_curve(0.2, 0.5, hs, 300)
    tot = plain.sum(axis=-1)
    assert tot[300] / tot[299] == pytest.approx(rate, rel=1e-6)


# --- Monte Carlo (numpy): sampled features through Method.step --------------------------------


def mc_stationary(method: str, alpha: float, beta: float, *, replicas: int, burn: int, window: int,
                  seed: int) -> tuple[float, float]:
    """Mean over independent replicas of the time-averaged x_t^2 and its standard error.

    Scalar least squares, a ~ N(0, 1) (h = 1, v = 2), labels with N(0, 1) noise (s^2 = 1). The
    replicas are independent, so the standard error is the replicas' standard deviation over
    sqrt(R) whatever the correlation in time within one replica.
    """
    m = get_method(method)
    rng = np.random.default_rng(seed)
    x = np.zeros(replicas)
    xp = np.zeros(replicas)
    acc = np.zeros(replicas)
    for t in range(burn + window):
        a = rng.standard_normal(replicas)
        e = rng.standard_normal(replicas)
        x, xp = m.step(lambda y, a=a, e=e: a * (a * y - e), x, xp, alpha, beta)
        if t >= burn:
            acc += x * x
    per = acc / window
    return float(per.mean()), float(per.std(ddof=1) / np.sqrt(replicas))


@pytest.mark.parametrize(("method", "alpha", "beta"), [("heavy_ball", 0.2, 0.5), ("gradient_descent", 0.1, 0.0),
                                                       ("nesterov", 0.2, 0.5), ("triple_momentum", 0.2, 0.5)])
def test_monte_carlo_stationary(method: str, alpha: float, beta: float) -> None:
    pred = float(stochastic.stationary_second_moment(alpha, beta, 1.0, curvature_variance=2.0, noise_variance=1.0,
                                                     method=method))
    rate = float(stochastic.mean_square_rate(alpha, beta, 1.0, curvature_variance=2.0, method=method))
    burn = int(np.ceil(np.log(1e-6) / np.log(rate)))  # transient below 1e-6 of the start (x0 = 0 here: none)
    mean, se = mc_stationary(method, alpha, beta, replicas=2000, burn=burn, window=1000, seed=11)
    # 5 standard errors: a false alarm about once in 2e6 runs (seeded, so reproducible); the test
    # has power only if the standard error is small against the effect of a wrong model: ignoring
    # the multiplicative noise (v = 0) would give 3/14 instead of 3/8 for heavy ball.
    assert se < 0.01 * pred
    assert abs(mean - pred) <= 5 * se


def test_tiny_steps_keep_their_digits() -> None:
    # alpha h -> 0: E x^2 -> s^2 alpha / (2 h (1 - beta)) (the additive limit); 1 - c1 + c0 formed
    # directly would lose alpha h below eps and call the method unstable
    for alpha in (1e-20, 1e-300):
        got = float(stochastic.stationary_second_moment(alpha, 0.5, 1.0, curvature_variance=2.0, noise_variance=1.0))
        assert got == pytest.approx(alpha, rel=1e-12)
        assert bool(stochastic.mean_square_stable(alpha, 0.5, 1.0, curvature_variance=2.0))


def test_coupled_broadcast_equals_loop() -> None:
    hs = [1.0, 0.2, 0.05]
    alpha = np.array([0.05, 0.3, 3.0])          # the last one is unstable: rate > 1, stationary inf
    beta = np.array([[0.0], [0.7]])
    rate = stochastic.coupled_mean_square_rate(alpha, beta, hs)
    stat = stochastic.coupled_stationary_second_moment(alpha, beta, hs, noise_variance=1.0)
    assert rate.shape == (2, 3) and stat.shape == (2, 3, 3)
    for i in range(2):
        for j in range(3):
            assert rate[i, j] == pytest.approx(float(stochastic.coupled_mean_square_rate(alpha[j], beta[i, 0], hs)),
                                               rel=4 * EPS)
            one = stochastic.coupled_stationary_second_moment(alpha[j], beta[i, 0], hs, noise_variance=1.0)
            np.testing.assert_array_equal(stat[i, j], one)
    assert np.all(rate[:, 2] > 1) and np.all(np.isinf(stat[:, 2]))


def test_secular_equation_at_a_pole_is_infinite_not_a_linalg_error() -> None:
    # the root search of coupled_mean_square_rate can land exactly on an eigenvalue of a block (seen with the rate
    # rounding next to 1: mean_square_optimal([1, 1e-16], batch_size=10**12) raised "Singular matrix");
    # f = sum_j w_j^T (lam I - D_j)^{-1} b_j has a pole there, +inf for the search, and the other points are unharmed
    from hbtheory.stochastic import _secular

    blocks = np.stack([np.diag([0.5, 0.25, 0.125]), np.diag([0.75, 0.5, 0.25])])[None].repeat(2, axis=0)
    noise = np.ones((2, 2, 3))
    w = np.ones((2, 2, 3))
    lam = np.array([0.5, 2.0])
    for slope in (False, True):
        f, df = _secular(blocks, noise, w, lam, slope=slope)
        assert f[0] == np.inf
        # at lam = 2: sum over both blocks of 1/(2 - d) for the six diagonal entries
        expected = sum(1.0 / (2.0 - d) for d in (0.5, 0.25, 0.125, 0.75, 0.5, 0.25))
        assert abs(f[1] - expected) <= 8 * np.finfo(float).eps * expected
        if slope:
            assert df[0] == -np.inf
            assert abs(df[1] + sum(1.0 / (2.0 - d) ** 2 for d in (0.5, 0.25, 0.125, 0.75, 0.5, 0.25))) < 1e-14


def test_an_unresolvable_spectrum_is_refused_by_name_at_a_huge_batch() -> None:
    from hbtheory.stochastic import mean_square_optimal

    with pytest.raises(ValueError, match="`spectrum` is too ill-conditioned"):
        mean_square_optimal([1.0, 1e-16], batch_size=10**12)
