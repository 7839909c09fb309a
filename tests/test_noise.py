"""Momentum under a constant gradient and under gradient noise: closed forms checked four ways
(50-digit arithmetic, the discrete Lyapunov equation, the recursions themselves, Monte Carlo)."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from scipy.linalg import solve_discrete_lyapunov

import hbtheory as hb
from hbtheory import amplification, stationary_variance, velocity_transient
from hbtheory.methods import Method, general, get_method

EPS = float(np.finfo(np.float64).eps)
METHODS = ("heavy_ball", "nesterov", "gradient_descent")
#: Every member of the family, the named ones and general(gamma) on both sides of 0.
#: (get_method("general(gamma=-0.3)") fails: its "-" is normalised to "_"; reported to the lead.)
FAMILY = (*METHODS, "triple_momentum", "general(gamma=0.5)", general(-0.3), "general(gamma=2)")
TINY = float(np.finfo(np.float64).smallest_subnormal)


# ------------------------------------------------------------------------------------------------
# amplification and velocity_transient
# ------------------------------------------------------------------------------------------------


def test_amplification_values_and_broadcast() -> None:
    np.testing.assert_array_equal(amplification([0.0, 0.5, 0.75, 0.875]), [1.0, 2.0, 4.0, 8.0])
    assert amplification(0.9) == pytest.approx(10.0, rel=EPS)
    assert amplification(np.zeros((2, 3))).shape == (2, 3)
    assert isinstance(amplification(0.5), np.float64)


@pytest.mark.parametrize(("beta", "error"), [(1.0, ValueError), (-0.1, ValueError), (np.inf, ValueError),
                                             ("0.5", TypeError), (0.5j, TypeError)])
def test_amplification_validation(beta: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="`beta`"):
        amplification(beta)


def _velocity_mp(alpha: float, beta: float, g: float, t: int) -> mp.mpf:
    with mp.workdps(50):
        a, b = mp.mpf(alpha), mp.mpf(beta)
        window = mp.mpf(t) if b == 1 else (1 - b**t) / (1 - b)
        return a * mp.mpf(g) * window


def test_velocity_transient_against_mpmath() -> None:
    # expm1/log1p, two divisions and two products: each one rounding of at most an ulp, and
    # expm1's argument carries the relative error of log1p: 8 eps covers them.
    rng = np.random.default_rng(3)
    betas = np.concatenate([rng.uniform(0, 1, 40), 1 - 10.0 ** rng.uniform(-15, -1, 40), [0.0, 0.5, 1.0]])
    for beta in betas:
        for t in (0, 1, 2, 3, 10, 1000, 10**6, 10**12):
            alpha, g = 0.3, -2.5
            ref = _velocity_mp(alpha, float(beta), g, t)
            got = float(velocity_transient(alpha, beta, g, t))
            assert abs(got - ref) <= 8 * EPS * abs(ref), (beta, t, got, float(ref))


def test_velocity_transient_is_the_momentum_buffer() -> None:
    # v_{t+1} = beta v_t + alpha g from v_0 = 0, x_{t+1} = x_t - v_{t+1}: the step of heavy ball.
    alpha, beta, g = 0.05, 0.8, 3.0
    v, steps = 0.0, []
    for _ in range(60):
        v = beta * v + alpha * g
        steps.append(v)
    np.testing.assert_allclose(velocity_transient(alpha, beta, g, np.arange(1, 61)), steps, rtol=16 * EPS)


def test_velocity_transient_limits() -> None:
    assert velocity_transient(0.1, 0.9, 2.0, 0) == 0.0
    assert velocity_transient(0.1, 0.0, 2.0, 5) == pytest.approx(0.2, rel=EPS)  # no momentum: alpha g
    assert velocity_transient(0.1, 1.0, 2.0, 7) == pytest.approx(1.4, rel=EPS)  # beta = 1: alpha g t
    for beta in (0.0, 0.5, 0.9, 0.99):  # t -> infinity: alpha g / (1 - beta)
        assert velocity_transient(1.0, beta, 1.0, 10**7) == pytest.approx(float(amplification(beta)), rel=4 * EPS)
    # the naive formula cancels near beta = 1; this one does not
    beta = 1.0 - 2.0**-40
    assert velocity_transient(1.0, beta, 1.0, 3) == pytest.approx(3.0 - 3.0 * 2.0**-40, rel=2 * EPS)


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_velocity_transient_broadcasts_like_a_loop(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    size = int(np.prod(shape))
    beta = rng.uniform(0, 1, size).reshape(shape)
    t = rng.integers(0, 50, size).reshape(shape)
    out = velocity_transient(0.2, beta, -1.0, t)
    assert np.shape(out) == shape
    loop = [float(velocity_transient(0.2, float(beta.flat[i]), -1.0, int(t.flat[i]))) for i in range(size)]
    np.testing.assert_array_equal(np.ravel(out), loop)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"t": -1}, ValueError, "`t`"),
        ({"t": 1.5}, ValueError, "`t`"),
        ({"g": np.nan}, ValueError, "`g` must be finite"),
        ({"alpha": 0.0}, ValueError, "`alpha`"),
        ({"beta": 1.5}, ValueError, "`beta`"),
        ({"beta": [0.1, 0.2], "t": [1, 2, 3]}, ValueError, "must broadcast together"),
    ],
)
def test_velocity_transient_validation(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    args: dict[str, object] = {"alpha": 0.1, "beta": 0.5, "g": 1.0, "t": 3}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        velocity_transient(**args)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# stationary_variance
# ------------------------------------------------------------------------------------------------


def _random_stable(rng: np.random.Generator, method: str, count: int) -> list[tuple[float, float, float, float]]:
    points = []
    while len(points) < count:
        a, h, s = rng.uniform(0.01, 2.0), rng.uniform(0.05, 3.0), rng.uniform(0.1, 3.0)
        b = 0.0 if method == "gradient_descent" else rng.uniform(0.0, 0.99)
        if float(hb.spectral_radius(a, b, h, method=method)) < 0.99:
            points.append((a, b, h, s))
    return points


@pytest.mark.parametrize("method", METHODS)
def test_matches_the_discrete_lyapunov_equation(method: str) -> None:
    # Sigma = A Sigma A' + (alpha sigma)^2 e1 e1' for the state (x_t, x_{t-1}). scipy solves it by
    # a bilinear map to a continuous Lyapunov equation and Bartels-Stewart: backward stable, with
    # a forward error of about eps * ||A||^2 / (1 - rho^2) <= ~100 eps * ||A||^2 at rho < 0.99.
    # The closed form itself is accurate to a few ulps (next test), so the gap is scipy's.
    rng = np.random.default_rng(7)
    for a, b, h, s in _random_stable(rng, method, 40):
        A = np.asarray(hb.iteration_matrix(a, b, h, method=method))
        Q = np.array([[(a * s) ** 2, 0.0], [0.0, 0.0]])
        ref = solve_discrete_lyapunov(A, Q)[0, 0]
        rho = float(hb.spectral_radius(a, b, h, method=method))
        tol = 64 * EPS * np.linalg.norm(A, 2) ** 2 / (1 - rho**2)
        assert float(stationary_variance(a, b, h, s, method=method)) == pytest.approx(ref, rel=tol)


def _variance_mp(method: str, a: float, b: float, h: float, s: float) -> mp.mpf:
    with mp.workdps(50):
        m = get_method(method)
        A, B, H = mp.mpf(a), mp.mpf(b), mp.mpf(h)
        c1, c0 = m.c1(A, B, H), m.c0(A, B, H)
        return (A * mp.mpf(s)) ** 2 * (1 + c0) / ((1 - c0) * ((1 + c0) ** 2 - c1**2))


@pytest.mark.parametrize("method", METHODS)
def test_closed_form_to_a_few_ulps(method: str) -> None:
    # Each of the four factors is rounded once from double-double; with the products and the
    # square of alpha * sigma that is at most ~8 roundings. Includes alpha h down to 1e-12, where
    # 1 + beta - c1 would cancel in float64.
    rng = np.random.default_rng(9)
    points = _random_stable(rng, method, 30)
    points += [(1e-12, 0.0 if method == "gradient_descent" else 0.9, 1.0, 1.0), (0.3, 0.0, 6.6, 1.0)]
    for a, b, h, s in points:
        ref = _variance_mp(method, a, b, h, s)
        got = float(stationary_variance(a, b, h, s, method=method))
        assert abs(got - ref) <= 8 * EPS * ref, (a, b, h, s, got, float(ref))


def _variance_lyapunov_mp(method: str | Method, a: float, b: float, h: float, s: float) -> mp.mpf:
    """Var(x) from the discrete Lyapunov equation P = M P M' + (alpha sigma)^2 e1 e1' at 60 digits,
    with M = A + h B C built from the realisation (exact at the float64 inputs and the method's
    float64 gamma(beta)): independent of the closed form and of its factorisation."""
    m = get_method(method)
    g = float(m.gamma(b)) if m.gamma is not None else 0.0
    with mp.workdps(60):
        A, B, H, G, S = (mp.mpf(v) for v in (a, b, h, g, s))
        m11, m12 = 1 + B - A * H * (1 + G), -B + A * H * G
        # P = [[p, q], [q, r]]: p = m11^2 p + 2 m11 m12 q + m12^2 r + (A S)^2, q = m11 p + m12 q, r = p
        lhs = mp.matrix([[1 - m11**2, -2 * m11 * m12, -(m12**2)], [-m11, 1 - m12, 0], [-1, 0, 1]])
        p = mp.lu_solve(lhs, mp.matrix([(A * S) ** 2, 0, 0]))[0]
        return p


#: Points where the old evaluation failed: 1 - c1 + c0 cancelled below alpha h ~ 1e-32 (inf at 1e-34,
#: 19 % off at 1e-32), a subnormal alpha gave NaN, and partial products over/underflowed.
EXTREME = [
    (1.0, 0.9, 1e-34, 1.0),
    (1.0, 0.9, 1e-32, 1.0),
    (1.0, 0.5, 1e-300, 1.0),
    (TINY, 0.5, 1.0, 1.0),
    (1e-300, 0.5, 1e100, 1e200),
    (1e-200, 0.25, 1e-150, 1e-100),
    (0.5, 0.999999, 1e-20, 3.0),
]


@pytest.mark.parametrize("method", FAMILY, ids=str)
def test_every_member_against_the_lyapunov_equation_in_mpmath(method: str | Method) -> None:
    # Rounding: four factors rounded once from double-double, their ratio (two roundings) and a
    # mantissa product of six terms (six roundings): under 8 eps; a subnormal result is exact to
    # half its spacing.
    rng = np.random.default_rng(12)
    m = get_method(method)
    points = [p for p in _random_stable(rng, "heavy_ball", 60)
              if float(hb.spectral_radius(p[0], p[1] if m.uses_beta else 0.0, p[2], method=m)) < 0.99][:15]
    points += EXTREME
    for a, b, h, s in points:
        b = b if m.uses_beta else 0.0
        if not float(hb.spectral_radius(a, b, h, method=m)) < 1.0:
            continue
        ref = _variance_lyapunov_mp(method, a, b, h, s)
        got = float(stationary_variance(a, b, h, s, method=m))
        assert abs(got - ref) <= max(8 * EPS * ref, TINY / 2), (method, a, b, h, s, got, float(ref))


def test_stable_systems_at_tiny_curvature_are_not_called_unstable() -> None:
    # The cases, as numbers: 5e34, about 5e32 and the subnormal alpha (never inf or NaN).
    assert float(stationary_variance(1.0, 0.9, 1e-34, 1.0)) == pytest.approx(5e34, rel=4 * EPS)
    assert float(stationary_variance(1.0, 0.9, 1e-32, 1.0)) == pytest.approx(5e32, rel=4 * EPS)
    assert float(stationary_variance(TINY, 0.5, 1.0, 1.0)) == TINY


def test_a_method_given_by_its_polynomial_only() -> None:
    # gamma is None: the factors come from c1/c0 in double-double (the heavy-ball numbers).
    hb_poly = Method("my_hb", "my heavy ball", c1=get_method("heavy_ball").c1, c0=get_method("heavy_ball").c0)
    for a, b, h, s in ((0.1, 0.5, 1.0, 1.0), (0.3, 0.9, 2.0, 0.5)):
        assert float(stationary_variance(a, b, h, s, method=hb_poly)) == pytest.approx(
            float(stationary_variance(a, b, h, s)), rel=8 * EPS)


def test_heavy_ball_and_gradient_descent_closed_forms() -> None:
    rng = np.random.default_rng(2)
    for a, b, h, s in _random_stable(rng, "heavy_ball", 30):
        hb_form = a * s**2 * (1 + b) / (h * (1 - b) * (2 * (1 + b) - a * h))
        assert float(stationary_variance(a, b, h, s)) == pytest.approx(hb_form, rel=64 * EPS)
        gd_form = a * s**2 / (h * (2 - a * h))
        if a * h < 2:
            gd = float(stationary_variance(a, 0.0, h, s, method="gradient_descent"))
            assert gd == pytest.approx(gd_form, rel=64 * EPS)
            assert float(stationary_variance(a, 0.0, h, s)) == gd  # heavy ball at beta = 0


def test_momentum_amplifies_the_noise_by_one_over_one_minus_beta() -> None:
    # Var_HB / Var_GD = (1 + beta)(2 - a h) / ((1 - beta)(2 + 2 beta - a h)) = (1 + O(a h)) / (1 - beta):
    # the factor of the averaging window, exactly in the limit of small steps.
    for beta in (0.5, 0.9, 0.99, 0.999):
        for ah in (1e-1, 1e-3, 1e-6):
            ratio = float(stationary_variance(ah, beta, 1.0, 1.0) / stationary_variance(ah, 0.0, 1.0, 1.0))
            assert abs(ratio * (1 - beta) - 1) <= ah


@pytest.mark.parametrize(
    ("method", "a", "b", "h"),
    [("heavy_ball", 0.3, 0.8, 1.0), ("nesterov", 0.5, 0.7, 1.2), ("gradient_descent", 0.8, 0.0, 1.0)],
)
def test_monte_carlo(method: str, a: float, b: float, h: float) -> None:
    # 100 000 independent replicas of the noisy method itself (Gaussian noise, seeded), started at
    # the optimum and run until rho^(2T) < 1e-12; x_T is Gaussian, so its sample variance has a
    # relative standard deviation sqrt(2 / (R - 1)) = 0.45 %: allow 5 of them (2.2 %).
    rng = np.random.default_rng(42)
    sigma, replicas = 0.7, 100_000
    rho = float(hb.spectral_radius(a, b, h, method=method))
    steps = math.ceil(6 * math.log(10) / -math.log(rho))
    x = np.zeros(replicas)
    x_prev = np.zeros(replicas)
    for _ in range(steps):
        xi = sigma * rng.standard_normal(replicas)
        if method == "nesterov":
            y = x + b * (x - x_prev)
            x_new = y - a * (h * y + xi)  # the noisy gradient at the look-ahead point
        else:
            x_new = x - a * (h * x + xi) + b * (x - x_prev)
        x_prev, x = x, x_new
    expected = float(stationary_variance(a, b, h, sigma, method=method))
    assert np.var(x) == pytest.approx(expected, rel=5 * math.sqrt(2 / (replicas - 1)))


@pytest.mark.parametrize("method", METHODS)
def test_infinite_exactly_where_the_method_diverges(method: str) -> None:
    # sigma > 0: +inf iff rho >= 1 (the kernel decides rho < 1 exactly), including h <= 0,
    # rho == 1 exactly and alpha h beyond the region. Never NaN.
    rng = np.random.default_rng(4)
    a = rng.uniform(0.01, 5.0, 400)
    b = np.zeros(400) if method == "gradient_descent" else rng.choice([0.0, 0.5, 0.9, 1.0, *rng.uniform(0, 1, 5)], 400)
    h = np.concatenate([rng.uniform(-1.0, 5.0, 396), [0.0, 1e-9, 2 * (1 + 0.5) / 0.5, 1e-6]])
    a[-2] = 0.5
    b[-2] = 0.0 if method == "gradient_descent" else 0.5
    v = np.asarray(stationary_variance(a, b, h, 1.0, method=method))
    rho = np.asarray(hb.spectral_radius(a, b, h, method=method))
    assert not np.isnan(v).any()
    np.testing.assert_array_equal(np.isinf(v), rho >= 1.0)
    assert np.all(v[rho < 1.0] > 0.0)


def test_boundaries() -> None:
    assert stationary_variance(0.5, 0.5, 0.0, 1.0) == math.inf  # h = 0: rho = 1
    assert stationary_variance(0.5, 1.0, 1.0, 1.0) == math.inf  # beta = 1: rho = 1
    assert stationary_variance(1.0, 0.5, 3.0, 1.0) == math.inf  # alpha h = 2 (1 + beta): root -1
    assert stationary_variance(0.5, 0.5, -1.0, 1.0) == math.inf  # concave direction
    assert stationary_variance(0.5, 0.5, 1.0, 0.0) == 0.0  # deterministic iterates
    assert stationary_variance(0.5, 0.5, -1.0, 0.0) == 0.0  # ... even where they diverge
    huge = stationary_variance(1e200, 0.5, 1e200, 1.0)
    assert huge == math.inf


@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_stationary_variance_broadcasts_like_a_loop(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(8)
    size = int(np.prod(shape))
    a = rng.uniform(0.01, 1.0, size).reshape(shape)
    b = rng.uniform(0.0, 0.95, size).reshape(shape)
    out = stationary_variance(a, b, 1.0, [[0.5]] if shape == (2, 3) else 0.5, method="nesterov")
    assert np.shape(out) == shape
    loop = [float(stationary_variance(float(a.flat[i]), float(b.flat[i]), 1.0, 0.5, method="nesterov"))
            for i in range(size)]
    np.testing.assert_array_equal(np.ravel(out), loop)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sigma": -1.0}, ValueError, "`sigma`"),
        ({"sigma": "1"}, TypeError, "`sigma`"),
        ({"h": np.inf}, ValueError, "`h` must be finite"),
        ({"alpha": -0.1}, ValueError, "`alpha`"),
        ({"beta": 1.1}, ValueError, "`beta`"),
        ({"method": "gradient_descent"}, ValueError, "`beta` must be 0"),
        ({"method": "sgd"}, ValueError, "`method`"),
        ({"h": [1.0, 2.0], "sigma": [1.0, 2.0, 3.0]}, ValueError, "must broadcast together"),
    ],
)
def test_stationary_variance_validation(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    args: dict[str, object] = {"alpha": 0.1, "beta": 0.5, "h": 1.0, "sigma": 1.0}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        stationary_variance(**args)  # type: ignore[arg-type]


def test_public_names() -> None:
    assert hb.amplification is amplification
    assert hb.spectral.velocity_transient is velocity_transient
    assert hb.stationary_variance is stationary_variance
