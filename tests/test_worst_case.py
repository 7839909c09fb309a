"""The exact n-step worst case over quadratics: derivation, accuracy, properties, validation.

Accuracy is checked against an independent 50-digit brute force: a dense float64 scan (the plain
recurrence, or the complex-root closed form for large n, on grids uniform in h *and* in the
phase theta) locates the high local maxima, and golden-section search on P_n evaluated in mpmath
refines each of them.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hbtheory as hb
from hbtheory import _worst, worst_case, worst_case_rate
from hbtheory._worst import _DIRECT_MAX_N, _PER_PEAK, MAX_BAND_N, MAX_N, _grid
from hbtheory.methods import Method, general, get_method

EPS = float(np.finfo(np.float64).eps)
METHODS = ("heavy_ball", "nesterov", "gradient_descent")
#: The rest of the family: Triple Momentum and general(gamma) on both sides of 0 (objects: the
#: name "general(gamma=-0.3)" does not parse, reported to the lead).
MORE = ("triple_momentum", general(0.5), general(-0.3), general(2.0))
#: The required relative accuracy of worst_case (the implementation reaches a few ulps).
RTOL = 1e-12


def polyak(kappa: float) -> tuple[float, float, float, float]:
    """Polyak's heavy-ball tuning on [1/kappa, 1]: (alpha, beta, mu, L)."""
    mu, L = 1.0 / kappa, 1.0
    alpha = 4.0 / (math.sqrt(mu) + math.sqrt(L)) ** 2
    beta = ((math.sqrt(L) - math.sqrt(mu)) / (math.sqrt(L) + math.sqrt(mu))) ** 2
    return alpha, beta, mu, L


def nesterov_tuning(kappa: float) -> tuple[float, float, float, float]:
    """The usual strongly convex Nesterov tuning on [1/kappa, 1]: alpha = 1/L."""
    q = math.sqrt(kappa)
    return 1.0, (q - 1.0) / (q + 1.0), 1.0 / kappa, 1.0


# ------------------------------------------------------------------------------------------------
# Independent reference
# ------------------------------------------------------------------------------------------------


def _coefficients(method: str | Method, a: object, b: object, h: object) -> tuple[object, object]:
    m = get_method(method)
    if isinstance(a, mp.mpf) and m.gamma is not None:
        # The family's polynomial at the method's float64 gamma(beta), in mpmath (Triple Momentum's
        # gamma is a float64 function of beta, not an mpmath one).
        g = mp.mpf(float(m.gamma(float(b)))) if m.uses_beta else mp.mpf(float(m.gamma(0.0)))
        return 1 + b - a * h * (1 + g), b - a * h * g
    return m.c1(a, b, h), m.c0(a, b, h)


def p_mp(n: int, method: str | Method, a: float, b: float, h: mp.mpf) -> mp.mpf:
    """P_n(h) at 60 digits: the three-term recurrence of the error from x_{-1} = x_0 = 1 for
    n <= 16, binary powering of z^(n+1) mod (z^2 - c1 z + c0) at z = 1 above (a third of the
    multiplications at n = 50, where the golden-section searches spend most of their time; the
    two are compared in test_mpmath_reference_is_consistent)."""
    with mp.workdps(60):
        c1, c0 = _coefficients(method, mp.mpf(a), mp.mpf(b), mp.mpf(h))
        if n <= 16:
            x, x_prev = mp.mpf(1), mp.mpf(1)
            for _ in range(n):
                x, x_prev = c1 * x - c0 * x_prev, x
            return +x
        u, v = mp.mpf(0), mp.mpf(1)
        for bit in bin(n + 1)[2:]:
            u, v = c1 * u * u + 2 * u * v, v * v - c0 * u * u
            if bit == "1":
                u, v = c1 * u + v, -c0 * u
        return u + v


def _theta_grid(method: str | Method, a: float, b: float, mu: float, L: float, count: int) -> np.ndarray:
    """Points uniform in the phase theta of the complex roots (method-specific inverse maps)."""
    th = np.linspace(0.0, np.pi, count)
    if method == "heavy_ball":  # cos(theta) = (1 + b - a h) / (2 sqrt(b))
        h = (1.0 + b - 2.0 * np.sqrt(b) * np.cos(th)) / a
    elif method == "nesterov":  # cos(theta) = (1 + b) sqrt(1 - a h) / (2 sqrt(b)), theta < pi/2
        h = (1.0 - 4.0 * b * np.cos(th / 2.0) ** 2 / (1.0 + b) ** 2) / a
    else:  # any gamma: c1^2 = 4 c0 cos^2(theta) is a quadratic in g = a h, solved per theta
        m = get_method(method)
        if m.gamma is None or not m.uses_beta:
            return np.empty(0)
        g_, cos2 = float(m.gamma(b)), np.cos(th) ** 2
        qa = np.full_like(th, (1.0 + g_) ** 2)
        qb = -2.0 * (1.0 + b) * (1.0 + g_) + 4.0 * cos2 * g_
        qc = (1.0 + b) ** 2 - 4.0 * b * cos2
        disc = np.sqrt(np.maximum(qb * qb - 4.0 * qa * qc, 0.0))
        h = np.concatenate([(-qb - disc) / (2.0 * qa), (-qb + disc) / (2.0 * qa)]) / a
    return h[(h >= mu) & (h <= L)]


def _scan_log_abs(n: int, method: str | Method, a: float, b: float, h: np.ndarray) -> np.ndarray:
    """log|P_n(h)| in float64, only to locate maxima."""
    c1, c0 = (np.broadcast_to(np.asarray(c, dtype=float), h.shape) for c in _coefficients(method, a, b, h))
    c1, c0 = np.array(c1), np.array(c0)
    with np.errstate(all="ignore"):
        if n <= 2000:
            x, x_prev, log_scale = np.ones_like(h), np.ones_like(h), np.zeros_like(h)
            for t in range(n):  # the recurrence itself, rescaled now and then against underflow
                x, x_prev = c1 * x - c0 * x_prev, x
                if t % 32 == 31:
                    scale = np.maximum(np.abs(x), np.abs(x_prev))
                    scale = np.where(scale > 0.0, scale, 1.0)
                    x, x_prev, log_scale = x / scale, x_prev / scale, log_scale + np.log(scale)
            return np.log(np.abs(x)) + log_scale
        s = np.sqrt((c1 * c1 - 4.0 * c0).astype(complex))
        l1, l2 = (c1 + s) / 2.0, (c1 - s) / 2.0
        big = np.maximum(np.abs(l1), np.abs(l2))
        big = np.where(big > 0.0, big, 1.0)
        r1, r2 = l1 / big, l2 / big
        split = np.abs(l1 - l2) > 1e-6 * big
        val = np.where(
            split,
            (r1 ** (n + 1) * (1.0 - l2) - r2 ** (n + 1) * (1.0 - l1)) / np.where(split, (l1 - l2) / big, 1.0),
            r1**n * (n + 1 - n * l1),  # double root
        )
        return np.log(np.abs(val)) + n * np.log(big)


def reference_log(n: int, method: str | Method, a: float, b: float, mu: float, L: float, top: int = 12) -> mp.mpf:
    """log max_{[mu, L]} P_n^2 by brute force: dense scan, then golden section in mpmath."""
    if n == 0:
        return mp.mpf(0)
    count = max(4000, 40 * n)
    h = np.unique(np.concatenate([np.linspace(mu, L, count), _theta_grid(method, a, b, mu, L, count), [mu, L]]))
    key = _scan_log_abs(n, method, a, b, h)
    key = np.where(np.isfinite(key), key, -np.inf)
    inner = np.flatnonzero((key[1:-1] >= key[:-2]) & (key[1:-1] >= key[2:])) + 1
    best_idx = inner[np.argsort(key[inner])[::-1][:top]]
    with mp.workdps(60):
        best = max(abs(p_mp(n, method, a, b, mp.mpf(mu))), abs(p_mp(n, method, a, b, mp.mpf(L))))
        g = (mp.sqrt(5) - 1) / 2
        for i in best_idx:
            lo, hi = mp.mpf(h[i - 1]), mp.mpf(h[i + 1])
            x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
            f1, f2 = abs(p_mp(n, method, a, b, x1)), abs(p_mp(n, method, a, b, x2))
            for _ in range(60):  # bracket shrinks to 0.618**60 ~ 3e-13 of a grid step
                if f1 > f2:
                    hi, x2, f2 = x2, x1, f1
                    x1 = hi - g * (hi - lo)
                    f1 = abs(p_mp(n, method, a, b, x1))
                else:
                    lo, x1, f1 = x1, x2, f2
                    x2 = lo + g * (hi - lo)
                    f2 = abs(p_mp(n, method, a, b, x2))
            best = max(best, f1, f2)
        return 2 * mp.log(best) if best > 0 else mp.mpf("-inf")


def assert_matches_reference(n: int, method: str | Method, a: float, b: float, mu: float, L: float) -> None:
    ref = reference_log(n, method, a, b, mu, L)
    got_log = float(worst_case(n, a, b, mu, L, method=method, log=True))
    # The documented accuracy: the log to a few ulps of itself (its own rounding is eps |log| / 2)
    # plus the value's relative error: double-double for n > 16, the float64 recurrence's bound
    # n**3 eps / 6 (on |P_n|, twice that on P_n^2) below.
    value_tol = (n**3 / 3 + 4) * EPS if n <= _DIRECT_MAX_N else 32 * EPS
    assert abs(got_log - float(ref)) <= value_tol + 8 * EPS * abs(float(ref)), (n, method, got_log, float(ref))
    ref_value = mp.exp(ref)
    if mp.mpf("1e-300") < ref_value < mp.mpf("1e300"):  # a normal float64: the value's own accuracy
        got = float(worst_case(n, a, b, mu, L, method=method))
        rel = abs(got - ref_value) / ref_value
        assert rel <= RTOL, (n, method, got, float(ref_value), float(rel))


# ------------------------------------------------------------------------------------------------
# Derivation: P_n is what the methods do
# ------------------------------------------------------------------------------------------------


def _run_method_exact(method: str, a: Fraction, b: Fraction, h: Fraction, n: int) -> Fraction:
    """x_n for x_0 = x_{-1} = 1 on f = h x^2 / 2, by each method's written-out update."""
    x_prev, x = Fraction(1), Fraction(1)
    for _ in range(n):
        if method == "heavy_ball":
            x_new = x - a * h * x + b * (x - x_prev)
        elif method == "nesterov":
            y = x + b * (x - x_prev)
            x_new = y - a * h * y
        else:
            x_new = x - a * h * x
        x_prev, x = x, x_new
    return x


@pytest.mark.parametrize("method", METHODS)
def test_polynomial_is_the_methods_own_iteration(method: str) -> None:
    # P_n = (c1 - c0) p_n - c0 p_{n-1}, from A^n = p_n A - c0 p_{n-1} I applied to (1, 1), in exact
    # rational arithmetic; for Nesterov the recurrence is that of the iterates x_t, with
    # x_1 = (1 - a h) x_0 when x_{-1} = x_0.
    m = get_method(method)
    a, b, h = Fraction(3, 7), Fraction(0) if method == "gradient_descent" else Fraction(5, 11), Fraction(13, 5)
    c1, c0 = m.c1(a, b, h), m.c0(a, b, h)
    p = [Fraction(0), Fraction(1)]
    for _ in range(12):
        p.append(c1 * p[-1] - c0 * p[-2])
    for n in range(1, 12):
        P = (c1 - c0) * p[n] - c0 * p[n - 1]
        assert P == p[n + 1] - c0 * p[n]
        assert P == _run_method_exact(method, a, b, h, n)
    if method == "nesterov":
        assert _run_method_exact(method, a, b, h, 1) == 1 - a * h


def test_mpmath_reference_is_consistent() -> None:
    # The reference's binary powering (n > 16) agrees with its recurrence, at 60 digits, from the
    # first n that uses it on (every member: the family's coefficients in mpmath).
    for method, (a, b) in (("heavy_ball", (0.7, 0.6)), ("nesterov", (0.9, 0.8)), *((m, (0.5, 0.6)) for m in MORE)):
        for h in (0.05, 0.4, 1.3):
            with mp.workdps(60):
                c1, c0 = _coefficients(method, mp.mpf(a), mp.mpf(b), mp.mpf(h))
                x, x_prev = mp.mpf(1), mp.mpf(1)
                for n in range(1, 101):
                    x, x_prev = c1 * x - c0 * x_prev, x
                    if n in (17, 18, 50, 64, 65, 100):
                        assert abs(p_mp(n, method, a, b, mp.mpf(h)) - x) <= mp.mpf(10) ** -50 * abs(x), (n, method)


def test_n_zero_is_one() -> None:
    assert worst_case(0, 0.3, 0.5, 0.1, 1.0) == 1.0
    assert worst_case(0, 0.3, 0.5, 0.1, 1.0, log=True) == 0.0


# ------------------------------------------------------------------------------------------------
# Accuracy against the 50-digit brute force
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 5, 50, 1000, 10000])
@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_polyak_tuning_against_mpmath(kappa: float, n: int) -> None:
    # The whole interval is inside the critical band: P_n has ~n near-equal ripples. For
    # n >= 1000 at kappa = 10 the value underflows and only the logarithm is compared.
    assert_matches_reference(n, "heavy_ball", *polyak(kappa))


@pytest.mark.parametrize("n", [1, 5, 50, 1000])
def test_nesterov_tuning_against_mpmath(n: int) -> None:
    assert_matches_reference(n, "nesterov", *nesterov_tuning(100.0))


_RANDOM = np.random.default_rng(20261122)
RANDOM_CASES = [
    (str(_RANDOM.choice(["heavy_ball", "nesterov"])), *(float(v) for v in row))
    for row in zip(
        _RANDOM.uniform(0.2, 3.0, 4),  # alpha
        _RANDOM.uniform(0.0, 0.99, 4),  # beta
        _RANDOM.uniform(0.01, 0.4, 4),  # mu
        _RANDOM.uniform(0.5, 2.0, 4),  # L
        strict=True,
    )
]


@pytest.mark.parametrize("n", [1, 2, 5, 16, 17, 50, 1000])
@pytest.mark.parametrize("case", RANDOM_CASES, ids=lambda c: f"{c[0]}-a{c[1]:.2f}-b{c[2]:.2f}")
def test_random_parameters_against_mpmath(case: tuple[str, float, float, float, float], n: int) -> None:
    # Random (alpha, beta), some divergent (rate > 1): the value may be far from 1 either way.
    assert_matches_reference(n, *case)


@pytest.mark.parametrize(
    ("method", "a", "b", "mu", "L"),
    [
        ("heavy_ball", 0.05, 0.999, 0.01, 1.0),  # rate near 1: the value stays representable
        ("heavy_ball", 0.02, 0.9995, 0.001, 1.0),  # band edge at 5e-6: a grid clustered there
        ("nesterov", 0.5, 0.999, 0.01, 1.0),
    ],
)
def test_slow_rates_at_ten_thousand_steps(method: str, a: float, b: float, mu: float, L: float) -> None:
    assert_matches_reference(10000, method, a, b, mu, L)


@pytest.mark.parametrize(
    ("method", "a", "b", "mu", "L"),
    [
        ("gradient_descent", 1.5, 0.0, 0.01, 1.0),  # zero of P_n inside the interval
        ("heavy_ball", 0.3, 0.05, 0.2, 5.0),  # divergent: the band is a small part of [mu, L]
        ("nesterov", 1.5, 0.9, 0.01, 1.0),  # alpha L > 1: c0 < 0, real roots of opposite signs
        ("heavy_ball", 3.0, 0.9, 0.1, 1.0),  # [mu, L] strictly inside the band
        ("nesterov", 0.1, 0.99, 0.5, 0.5000001),  # a tiny interval
        ("heavy_ball", 1.0, 0.25, 1.0, 1.0),  # mu == L on the critical curve (double root)
        ("heavy_ball", 0.01, 0.2, 0.1, 1.0),  # rate < 0.5 ...
        ("heavy_ball", 10.0, 0.2, 0.1, 1.0),  # ... and > 1 (the float path scales by 2**k)
    ],
)
@pytest.mark.parametrize("n", [3, 16, 30, 300])
def test_special_configurations_against_mpmath(method: str, a: float, b: float, mu: float, L: float, n: int) -> None:
    assert_matches_reference(n, method, a, b, mu, L)


def test_peak_just_inside_an_end() -> None:
    # Found by a randomised search: the highest ripple sits 5e-4 inside L, between the last grid
    # point and L, and only L is above its neighbour on the grid. The ends are brackets too.
    assert_matches_reference(1959, "heavy_ball", 0.0512037534445144, 0.992436771086142,
                             0.06241511470906978, 39.801387039241085)


def test_gradient_descent_is_the_larger_end() -> None:
    # |1 - alpha h|^n is quasi-convex in h: the maximum is at an end, computed to a few ulps.
    a, mu, L = 1.7, 0.05, 1.0
    for n in (1, 7, 16, 17, 400):
        with mp.workdps(50):
            ref = max(abs(1 - mp.mpf(a) * mp.mpf(mu)), abs(1 - mp.mpf(a) * mp.mpf(L))) ** (2 * n)
        got = float(worst_case(n, a, 0.0, mu, L, method="gradient_descent"))
        # n <= 16: float64 (1 - a h) to the power 2n; above: double-double (see the module notes)
        assert abs(got - ref) <= ((n**3 / 3 if n <= _DIRECT_MAX_N else 0) + 4) * EPS * ref


# ------------------------------------------------------------------------------------------------
# The rest of the family (Triple Momentum, general(gamma)) and extreme magnitudes
# ------------------------------------------------------------------------------------------------


def _family_point(method: str | Method) -> tuple[float, float, float, float]:
    """(alpha, beta, mu, L): Triple Momentum's own tuning for kappa = 30 (Van Scoy et al.), and
    for general(gamma) a point whose band lies inside [mu, L]."""
    m = get_method(method)
    if m.closed_form is not None:
        cf = m.closed_form(1.0 / 30.0, 1.0)
        return cf.alpha, cf.beta, 1.0 / 30.0, 1.0
    return 0.6, 0.7, 0.02, 2.0


@pytest.mark.parametrize("n", [1, 5, 16, 17, 50, 300])
@pytest.mark.parametrize("method", MORE, ids=str)
def test_rest_of_the_family_against_mpmath(method: str | Method, n: int) -> None:
    assert_matches_reference(n, method, *_family_point(method))


@pytest.mark.parametrize("method", MORE, ids=str)
def test_polynomial_is_each_members_own_step(method: str | Method) -> None:
    # P_n from the Lucas sequence of (c1, c0) equals x_n of Method.step itself on f = h x^2 / 2
    # from x_{-1} = x_0 = 1, in exact rational arithmetic (Triple Momentum: its float64 gamma).
    m = get_method(method)
    a, b, h = Fraction(3, 7), Fraction(5, 11), Fraction(13, 5)
    c1, c0 = Fraction(m.c1(a, b, h)), Fraction(m.c0(a, b, h))
    p = [Fraction(0), Fraction(1)]
    for _ in range(12):
        p.append(c1 * p[-1] - c0 * p[-2])
    x, x_prev = Fraction(1), Fraction(1)
    for n in range(1, 12):
        x, x_prev = m.step(lambda y: h * y, x, x_prev, a, b)
        assert p[n + 1] - c0 * p[n] == x


@pytest.mark.parametrize("method", MORE, ids=str)
def test_rest_of_the_family_in_many_dimensions(method: str | Method) -> None:
    # Method.step on a rotated 150-dimensional quadratic: every start is below the worst case, and
    # starts along the eigenvectors come within a factor 2 of it.
    m = get_method(method)
    rng = np.random.default_rng(6)
    a, b, mu, L = _family_point(method)
    n, d = 25, 150
    eig = np.concatenate([[mu, L], rng.uniform(mu, L, d - 2)])
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    H = (q * eig) @ q.T
    X0 = np.concatenate([q, rng.normal(size=(d, 8))], axis=1)
    X, X_prev = X0.copy(), X0.copy()
    for _ in range(n):
        X, X_prev = m.step(lambda Y: H @ Y, X, X_prev, a, b)
    ratios = np.sum(X**2, axis=0) / np.sum(X0**2, axis=0)
    w = float(worst_case(n, a, b, mu, L, method=m))
    assert np.all(ratios <= w * (1 + 1e-9))
    assert ratios[:d].max() >= 0.5 * w


def reference_log_mp(n: int, method: str | Method, a: float, b: float, mu: float, L: float) -> mp.mpf:
    """log max P_n^2 for any magnitude: a grid uniform and geometric in h, evaluated in mpmath
    (nothing over- or underflows), then golden section around its 6 highest local maxima."""
    h = np.unique(np.concatenate([np.linspace(mu, L, 600), np.geomspace(mu, L, 600), [mu, L]]))
    with mp.workdps(60):
        vals = [abs(p_mp(n, method, a, b, mp.mpf(float(x)))) for x in h]
        best = max(vals)
        inner = [i for i in range(1, len(h) - 1) if vals[i] >= vals[i - 1] and vals[i] >= vals[i + 1]]
        g = (mp.sqrt(5) - 1) / 2
        for i in sorted(inner, key=lambda i: vals[i], reverse=True)[:6]:
            lo, hi = mp.mpf(float(h[i - 1])), mp.mpf(float(h[i + 1]))
            x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
            f1, f2 = abs(p_mp(n, method, a, b, x1)), abs(p_mp(n, method, a, b, x2))
            for _ in range(50):
                if f1 > f2:
                    hi, x2, f2 = x2, x1, f1
                    x1 = hi - g * (hi - lo)
                    f1 = abs(p_mp(n, method, a, b, x1))
                else:
                    lo, x1, f1 = x1, x2, f2
                    x2 = lo + g * (hi - lo)
                    f2 = abs(p_mp(n, method, a, b, x2))
            best = max(best, f1, f2)
        return 2 * mp.log(best)


@pytest.mark.parametrize(
    ("n", "method", "a", "b", "mu", "L"),
    [
        (20, "heavy_ball", 0.3, 0.5, 0.1, 1e200),  # was 0.0821 (log -2.50); true ~1e7979
        (5, "heavy_ball", 1e155, 0.5, 0.1, 1.0),  # was NaN
        (30, "heavy_ball", 1e150, 0.5, 0.1, 1e150),  # log was 20585.1, true 41446.5
        (17, "nesterov", 1e160, 0.9, 1e-3, 1.0),
        (40, "triple_momentum", 0.5, 0.6, 0.01, 1e250),
        (8, general(0.5), 1e180, 0.3, 1.0, 1e100),
        (25, "heavy_ball", 1e200, 0.5, 3.0, 3.0),  # mu == L
        (64, "gradient_descent", 1e300, 0.0, 1e-300, 1.0),
    ],
)
def test_huge_alpha_L_gives_inf_and_the_right_log(
    n: int, method: str | Method, a: float, b: float, mu: float, L: float
) -> None:
    ref = reference_log_mp(n, method, a, b, mu, L)
    got = float(worst_case(n, a, b, mu, L, method=method, log=True))
    tol = ((n**3 / 3 + 4) if n <= 16 else 32) * EPS + 8 * EPS * abs(float(ref))
    assert abs(got - float(ref)) <= tol, (got, float(ref))
    assert ref > 1024 * math.log(2.0)  # beyond float64: the value is inf, never a wrong finite number
    assert float(worst_case(n, a, b, mu, L, method=method)) == math.inf


@pytest.mark.parametrize("log10_aL", [50, 60, 100, 140, 154, 160, 200, 250, 300])
@pytest.mark.parametrize("n", [3, 20])
def test_the_log_is_right_across_the_old_breakdown(log10_aL: int, n: int) -> None:
    # "Any alpha * L above about 1e154" went wrong: scan across it.
    a, b, mu, L = 0.5, 0.3, 0.2, 2.0 * 10.0**log10_aL
    ref = float(reference_log_mp(n, "heavy_ball", a, b, mu, L))
    got = float(worst_case(n, a, b, mu, L, log=True))
    assert abs(got - ref) <= ((n**3 / 3 + 4) if n <= 16 else 32) * EPS + 8 * EPS * abs(ref)


def test_large_n_outside_the_band_costs_log_n() -> None:
    # No complex roots on [mu, L] (heavy ball's band is [9.4, 34.6] here): the search does not
    # grow with n, and n = 10**8 matches the 60-digit reference.
    a, b, mu, L = 0.05, 0.1, 1e-4, 1e-3
    n = 10**8
    ref = float(reference_log_mp(n, "heavy_ball", a, b, mu, L))
    assert abs(float(worst_case(n, a, b, mu, L, log=True)) - ref) <= 32 * EPS + 8 * EPS * abs(ref)
    gd = float(worst_case(10**11, 1.5, 0.0, 0.1, 1.0, method="gradient_descent", log=True))
    with mp.workdps(40):
        assert gd == pytest.approx(float(2 * 10**11 * mp.log(1 - mp.mpf(1.5) * mp.mpf(0.1))), rel=8 * EPS)


BNB_CASES = [
    ("heavy_ball", polyak(100.0)),  # the band is all of [mu, L], both ends on the curves
    ("heavy_ball", (3.0, 0.9, 0.1, 1.0)),  # [mu, L] strictly inside the band
    ("nesterov", (1.0, 0.8182, 0.01, 1.0)),  # the band ends at a nilpotent point (alpha h = 1)
    ("nesterov", (1.5, 0.9, 0.01, 1.0)),
    ("heavy_ball", (0.3, 0.05, 0.2, 5.0)),  # divergent: the band is a small part of [mu, L]
    ("triple_momentum", None),
    (general(-0.3), (0.6, 0.7, 0.02, 2.0)),
]


@pytest.mark.parametrize("n", [5000, 12000])
@pytest.mark.parametrize(("method", "point"), BNB_CASES, ids=lambda v: str(v)[:24])
def test_branch_and_bound_equals_the_full_search(
    method: str | Method, point: tuple[float, float, float, float] | None, n: int
) -> None:
    # Above 4096 steps the band is searched by branch and bound on the envelope; the full search
    # (every ripple, ~16 n points) must find the same maximum to the last bits.
    m = get_method(method)
    a, b, mu, L = point if point is not None else _family_point(method)
    got = _worst._max_abs_p(m, n, a, b, mu, L)
    full = _worst._scan_and_refine(m, n, a, b, mu, L)
    assert _worst._log_value(got) == pytest.approx(_worst._log_value(full), rel=4 * EPS, abs=4 * EPS)


@pytest.mark.parametrize("n", [10**6, 10**8, 10**11])
def test_large_n_in_the_band_is_cheap_and_squeezed_by_rigorous_bounds(n: int) -> None:
    # Was: 19 s and 1.2 GB at n = 4e6, unbounded beyond. Lower bound P_n(L)^2 at 60 digits (the
    # value at one point), upper bound from |P_n(h)| <= rho(h)^n (n + 1 + n rho(h)) <= that at the rate.
    a, b, mu, L = polyak(100.0)
    got = float(worst_case(n, a, b, mu, L, log=True))
    rate = float(worst_case_rate(a, b, mu, L))
    with mp.workdps(60):
        lower = float(2 * mp.log(abs(p_mp(n, "heavy_ball", a, b, mp.mpf(L)))))
        upper = float(2 * (n * mp.log(mp.mpf(rate)) + mp.log(n + 1 + n * mp.mpf(rate))))
    tol = 8 * EPS * abs(lower) + 32 * EPS
    assert lower - tol <= got <= upper + tol + 2 * n * 4 * EPS  # the rate's own rounding, n times


def test_n_caps_are_named_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match=f"`n` must be an integer <= {MAX_N}"):
        worst_case(MAX_N + 1, 0.5, 0.0, 1.0, 2.0)
    # Many nearly equal ripples that the envelope cannot tell apart: a tiny interval in the band
    # (a lowered cap keeps the test fast; the real one is MAX_BAND_N = 2e5 ripples).
    monkeypatch.setattr(_worst, "MAX_BAND_N", 2000)
    with pytest.raises(ValueError, match="nearly equal ripples"):
        worst_case(10**9, 3.0, 0.9, 0.5, 0.50001)
    assert MAX_BAND_N == 200_000


# ------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1e4])
def test_polyak_closed_form(kappa: float) -> None:
    # |P_n(h)| <= rho(h)^n (n + 1 + n rho(h)) with equality at a double root -rho; Polyak's tuning
    # puts L on that curve, so the worst case is (rho^n (n (1 + rho) + 1))^2, rho = sqrt(beta).
    # The float64 inputs sit within an ulp of the curve: P_n moves by ~n^2 eps relative.
    a, b, mu, L = polyak(kappa)
    rho = math.sqrt(b)
    for n in (1, 10, 100, 1000):
        closed = 2 * n * math.log(rho) + 2 * math.log(n * (1 + rho) + 1)
        got = float(worst_case(n, a, b, mu, L, log=True))
        assert abs(got - closed) <= 10 * n * n * EPS + 8 * EPS * abs(closed)


@pytest.mark.parametrize("method", (*METHODS, *MORE), ids=str)
def test_rigorous_bounds_squeeze_to_the_rate(method: str | Method) -> None:
    # Upper: |P_n(h)| <= rho(h)^n (n + 1 + n rho(h)) from |p_t| <= t rho^(t-1), |c0| <= rho^2.
    # Lower: worst_case >= P_n(h)^2 at any h, here the end attaining the rate (P_n by mpmath).
    # Both logs divided by 2n tend to log(rate): worst_case^(1/2n) -> worst_case_rate.
    a, b = (0.8, 0.3) if get_method(method).uses_beta else (0.8, 0.0)
    mu, L = 0.1, 2.0
    rate = float(worst_case_rate(a, b, mu, L, method=method))
    end = max((mu, L), key=lambda h: float(hb.spectral_radius(a, b, h, method=method)))
    gaps = []
    for n in (10, 100, 1000, 10000):
        got = float(worst_case(n, a, b, mu, L, method=method, log=True))
        upper = 2 * n * math.log(rate) + 2 * math.log(n + 1 + n * rate)
        lower = float(2 * mp.log(abs(p_mp(n, method, a, b, mp.mpf(end)))))
        assert lower - 1e-9 <= got <= upper + 1e-9
        gaps.append((upper - lower) / (2 * n))
        assert abs(got / (2 * n) - math.log(rate)) <= (upper - lower) / (2 * n) + 1e-12
    assert gaps[-1] < 2e-3 and all(g2 < g1 for g1, g2 in itertools.pairwise(gaps))


@pytest.mark.parametrize("method", ["heavy_ball", "nesterov", *MORE], ids=str)
def test_below_the_power_norm_bound(method: str | Method) -> None:
    # P_n(h) = e1' A^n (1, 1)' gives P_n^2 <= 2 ||A^n||^2; ||A^n(h)|| is an envelope without the
    # oscillation of P_n, so its maximum over a fine grid is within a few percent of the true one.
    # power_norm (closed form) against numpy's matrix powers, for every member of the family.
    a, b = (1.2, 0.5) if method == "heavy_ball" else (0.9, 0.6)
    mu, L = 0.1, 1.5
    h = np.linspace(mu, L, 4001)
    for n in (3, 20, 200):
        norms = np.asarray(hb.power_norm(a, b, h, n, method=method))
        bound = 2 * float(norms.max()) ** 2
        A = np.asarray(hb.iteration_matrix(a, b, h, method=method))
        direct = 2 * float(np.max(np.linalg.norm(np.linalg.matrix_power(A, n), ord=2, axis=(-2, -1)))) ** 2
        assert bound == pytest.approx(direct, rel=1e-10)
        assert float(worst_case(n, a, b, mu, L, method=method)) <= 1.05 * bound


@given(
    n=st.integers(1, 300),
    a=st.floats(0.05, 3.0),
    b=st.floats(0.0, 0.999),
    lo=st.floats(0.0, 1.0),
    hi=st.floats(0.0, 1.0),
    method=st.sampled_from(["heavy_ball", "nesterov"]),
)
def test_monotone_in_the_interval(n: int, a: float, b: float, lo: float, hi: float, method: str) -> None:
    # A sub-interval is a smaller set to maximise over: never a larger worst case. This fails if
    # the search misses the global maximum on the larger interval.
    mu, L = 0.05, 2.0
    sub_mu, sub_L = sorted((mu + (L - mu) * lo, mu + (L - mu) * hi))
    big = float(worst_case(n, a, b, mu, L, method=method, log=True))
    small = float(worst_case(n, a, b, sub_mu, sub_L, method=method, log=True))
    assert small <= big + 8 * EPS * max(1.0, abs(big))


@pytest.mark.parametrize("method", METHODS)
def test_quadratics_in_many_dimensions(method: str) -> None:
    # Run the method itself on a 400-dimensional quadratic with spectrum in [mu, L] (rotated):
    # every start gives a ratio below the worst case, and starting along each eigenvector gives
    # P_n(h_i)^2, whose maximum over a dense spectrum approaches it.
    rng = np.random.default_rng(5)
    a, b = (0.7, 0.0) if method == "gradient_descent" else (0.7, 0.7)
    mu, L, n, d = 0.2, 3.0, 25, 400
    eig = np.concatenate([[mu, L], rng.uniform(mu, L, d - 2)])
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    H = (q * eig) @ q.T
    X0 = np.concatenate([q, rng.normal(size=(d, 8))], axis=1)  # eigenvectors, then random starts
    X, X_prev = X0.copy(), X0.copy()
    for _ in range(n):
        if method == "heavy_ball":
            X_new = X - a * (H @ X) + b * (X - X_prev)
        elif method == "nesterov":
            Y = X + b * (X - X_prev)
            X_new = Y - a * (H @ Y)
        else:
            X_new = X - a * (H @ X)
        X_prev, X = X, X_new
    ratios = np.sum(X**2, axis=0) / np.sum(X0**2, axis=0)
    w = float(worst_case(n, a, b, mu, L, method=method))
    assert np.all(ratios <= w * (1 + 1e-9))
    assert ratios[:d].max() >= 0.5 * w  # 400 random eigenvalues resolve the largest ripple


def test_grid_resolves_the_phase() -> None:
    # The search's grid: at most 1.5 / _PER_PEAK of a half-period pi/n of the phase per step
    # inside the band (what makes every local maximum of |P_n| bracketed).
    cases = [
        ("heavy_ball", 50, polyak(100.0)),
        ("heavy_ball", 1000, polyak(10.0)),
        ("heavy_ball", 300, (3.0, 0.9, 0.1, 1.0)),  # [mu, L] strictly inside the band
        ("nesterov", 400, nesterov_tuning(100.0)),  # the map u(theta) is only interpolated
    ]
    for method, n, (a, b, mu, L) in cases:
        grid, scan = _grid(get_method(method), n, a, b, mu, L, 1.0)
        assert grid[0] == mu and grid[-1] == L and np.all(np.diff(grid) > 0)
        inside = scan.inside[:-1] & scan.inside[1:]
        assert inside.sum() > 8 * n  # the band is resolved, not skipped
        assert (n * np.diff(scan.theta)[inside] * _PER_PEAK / np.pi).max() <= 1.5


def test_the_two_search_paths_meet() -> None:
    # n <= _DIRECT_MAX_N: all critical points from the colleague matrix; above: the phase grid.
    a, b, mu, L = polyak(30.0)
    for n in (_DIRECT_MAX_N, _DIRECT_MAX_N + 1):
        assert_matches_reference(n, "heavy_ball", a, b, mu, L)


# ------------------------------------------------------------------------------------------------
# Interface
# ------------------------------------------------------------------------------------------------


def test_log_matches_the_value() -> None:
    a, b, mu, L = polyak(100.0)
    for n in (1, 20, 300):
        value = float(worst_case(n, a, b, mu, L))
        assert float(worst_case(n, a, b, mu, L, log=True)) == pytest.approx(math.log(value), rel=4 * EPS, abs=4 * EPS)


def test_underflow_and_overflow_are_ieee_and_the_log_is_not() -> None:
    a, b, mu, L = polyak(10.0)
    assert float(worst_case(5000, a, b, mu, L)) == 0.0
    assert math.isfinite(float(worst_case(5000, a, b, mu, L, log=True)))
    assert float(worst_case(2000, 4.0, 0.5, 0.1, 1.0)) == math.inf  # rate ~ 2.28
    assert 1000 < float(worst_case(2000, 4.0, 0.5, 0.1, 1.0, log=True)) < math.inf


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_broadcasting_equals_a_scalar_loop(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(11)
    size = int(np.prod(shape))
    n = rng.integers(0, 40, size).reshape(shape)
    a = rng.uniform(0.1, 2.0, size).reshape(shape)
    b = rng.uniform(0.0, 0.95, size).reshape(shape)
    batched = worst_case(n, a, b, 0.1, 1.0)
    assert np.shape(batched) == shape
    expected = [float(worst_case(int(n.flat[i]), float(a.flat[i]), float(b.flat[i]), 0.1, 1.0)) for i in range(size)]
    np.testing.assert_array_equal(np.ravel(batched), expected)
    assert np.asarray(batched).dtype == np.float64


def test_broadcasting_over_the_interval_and_n() -> None:
    out = worst_case([[1], [10]], 0.5, 0.3, [0.1, 0.2, 0.3], 1.0)
    assert out.shape == (2, 3)
    assert np.all(np.diff(out, axis=1) <= 0)  # smaller intervals, smaller worst cases


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": -1}, ValueError, "`n` must be an integer >= 0"),
        ({"n": 2.5}, ValueError, "`n` must be a whole number"),
        ({"n": "3"}, TypeError, "`n`"),
        ({"n": True}, TypeError, "`n`"),
        ({"alpha": 0.0}, ValueError, "`alpha`"),
        ({"beta": 1.5}, ValueError, "`beta`"),
        ({"beta": np.nan}, ValueError, "`beta` must be finite"),
        ({"mu": 0.0}, ValueError, "`mu`"),
        ({"mu": 2.0}, ValueError, "`mu` must be <= `L`"),
        ({"L": [1.0, 2.0], "alpha": [1.0, 2.0, 3.0]}, ValueError, "must broadcast together"),
        ({"method": "adam"}, ValueError, "`method`"),
        ({"method": "gradient_descent"}, ValueError, "`beta` must be 0"),
        ({"log": 1}, TypeError, "`log`"),
        ({"alpha": 1e200, "L": 1e200, "mu": 1.0}, ValueError, "overflows"),
    ],
)
def test_validation(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    args: dict[str, object] = {"n": 3, "alpha": 0.5, "beta": 0.5, "mu": 0.1, "L": 1.0}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        worst_case(**args)  # type: ignore[arg-type]


def test_public_names() -> None:
    assert hb.worst_case is worst_case
    assert hb.spectral.worst_case is worst_case


def test_band_search_has_a_work_budget() -> None:
    # found by the API fuzz: 131 s (2-core machine) of band splitting before refusing `n`; now the same
    # named ValueError after at most _MAX_BNB_POPS pieces (about 1 s)
    # (CPU time of this process: the wall clock on a shared or loaded machine measured 6 s.)
    import time

    t0 = time.process_time()
    with pytest.raises(ValueError, match="`n` = 1000000000000"):
        worst_case(10**12, 3.676306044881907, 0.842450901083359, 0.842450901083359, 1.0)
    assert time.process_time() - t0 < 2.0
