"""Tests of :mod:`hbtheory.spectral`: spectral radius, iteration matrix, power norms, Theorem 1.

References are exact at the float64 inputs: Python fractions for anything rational (regions,
discriminants), mpmath at 50 significant digits for radii and matrix powers. Tolerances are in
machine epsilons, each with its reason.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hbtheory import _kernel
from hbtheory.methods import METHODS, get_method
from hbtheory.spectral import (
    eigenvalues,
    iteration_matrix,
    power_norm,
    spectral_gap,
    spectral_radius,
    theorem1_constant,
)

EPS = float(np.finfo(np.float64).eps)

#: Every named member of the family and one general(gamma): each parametrisation covers them all.
ALL = [*METHODS, "general(gamma=0.5)", "general(gamma=7.5)"]


# ----------------------------------------------------------------------------------------------
# Exact references
# ----------------------------------------------------------------------------------------------


def exact_coefficients(name: str, a: float, b: float, h: float) -> tuple[Fraction, Fraction]:
    """``(c1, c0)`` as exact rationals at the float64 inputs (every float is a rational)."""
    m = get_method(name)
    fa, fb, fh = Fraction(a), Fraction(b), Fraction(h)
    return Fraction(m.c1(fa, fb, fh)), Fraction(m.c0(fa, fb, fh))


def _mpf(x: Fraction) -> mpmath.mpf:
    return mpmath.mpf(x.numerator) / x.denominator


def mp_radius(name: str, a: float, b: float, h: float) -> mpmath.mpf:
    """Spectral radius at 50 digits from the exact coefficients."""
    c1, c0 = exact_coefficients(name, a, b, h)
    with mpmath.workdps(50):
        disc = _mpf(c1 * c1 - 4 * c0)
        return (abs(_mpf(c1)) + mpmath.sqrt(disc)) / 2 if disc >= 0 else mpmath.sqrt(_mpf(c0))


def mp_power_norm(name: str, a: float, b: float, h: float, t: int) -> mpmath.mpf:
    """``||A^t||_2`` by repeated squaring of the exact matrix in mpmath.

    Squaring loses at most about ``log10(t^2 C^2)`` digits, ``C`` bounding ``||A^s|| / rho^s``
    (``<= s (||A||/rho + 1)``), so the working precision is raised by that much above 50 digits.
    """
    c1, c0 = exact_coefficients(name, a, b, h)
    rho = float(mp_radius(name, a, b, h))
    scale = (abs(float(c1)) + abs(float(c0)) + 1.0) / rho if rho > 0 else 1.0
    with mpmath.workdps(60 + int(3 * math.log10(t + 2) + 2 * math.log10(scale + 2))):
        A = mpmath.matrix([[_mpf(c1), -_mpf(c0)], [1, 0]])
        R, P, n = mpmath.eye(2), A, t
        while n:
            if n & 1:
                R = R * P
            n >>= 1
            if n:
                P = P * P
        a_, b_, c_, d_ = R[0, 0], R[0, 1], R[1, 0], R[1, 1]
        return (mpmath.sqrt((a_ + d_) ** 2 + (b_ - c_) ** 2) + mpmath.sqrt((a_ - d_) ** 2 + (b_ + c_) ** 2)) / 2


def critical_curves(name: str, b: np.ndarray) -> list[np.ndarray]:
    """The values of ``u = alpha * h`` where ``disc = 0``, for any member of the general family.

    With ``c1 = 1 + beta - u (1 + gamma)`` and ``c0 = beta - u gamma``,
    ``disc = (1 - beta)^2 - 2 u (1 + beta - gamma + beta gamma) + u^2 (1 + gamma)^2``: the roots in
    ``u`` (heavy ball ``(1 -+ sqrt(beta))^2``, Nesterov ``((1 - beta)/(1 + beta))^2`` and ``1``,
    gradient descent ``1``). Where a member has no real curve at some beta, ``u = 1`` stands in.
    """
    gamma = np.broadcast_to(np.asarray(get_method(name).gamma(b), dtype=float), b.shape)
    A, B, C = (1.0 + gamma) ** 2, 1.0 + b - gamma + b * gamma, (1.0 - b) ** 2
    d = B * B - A * C
    root = np.sqrt(np.maximum(d, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(B > 0, C / (B + root), (B - root) / A)  # no cancellation
        hi = (B + root) / A
    ok = (d >= 0.0) & (lo > 0.0) & np.isfinite(lo)
    return [np.where(ok, lo, 1.0), np.where(ok & (hi > 0.0), hi, 1.0)]


def sample_points(rng: np.random.Generator, name: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random ``(alpha, beta, h)``: a third within 1e-10 (relative) of a critical curve, of those a
    fifth "exactly on" it as far as a float64 formula puts it, the rest anywhere in
    ``0 < alpha h < 5``."""
    b = rng.uniform(0.0, 1.0, n) if get_method(name).uses_beta else np.zeros(n)
    h = np.exp(rng.uniform(np.log(0.01), np.log(100.0), n))
    curves = critical_curves(name, b)
    curve = np.choose(rng.integers(0, len(curves), n), curves)
    rel = rng.uniform(-1e-10, 1e-10, n) * 10.0 ** -rng.integers(0, 6, n)
    near = np.where(rng.random(n) < 0.2, curve, curve * (1.0 + rel))
    ah = np.where(rng.random(n) < 1.0 / 3.0, near, rng.uniform(0.0, 5.0, n))
    ah = np.where(ah > 0.0, ah, 0.5)
    return ah / h, b, h


# ----------------------------------------------------------------------------------------------
# spectral_radius and iteration_matrix
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_closed_form_matches_eigvals_away_from_the_curves(rng: np.random.Generator, name: str) -> None:
    a, b, h = sample_points(rng, name, 3000)
    A = iteration_matrix(a, b, h, method=name)
    c1, c0 = A[:, 0, 0], -A[:, 0, 1]
    disc = c1 * c1 - 4 * c0
    rho = spectral_radius(a, b, h, method=name)
    ref = np.abs(np.linalg.eigvals(A)).max(axis=-1)
    # eigvals is backward stable: its eigenvalues are exact for A + E, ||E|| ~ eps ||A||, which
    # moves a simple eigenvalue of the companion matrix by about eps (1 + |lambda|^2) ||A|| / sqrt|D|.
    # Away from the curves that bound is moderate; compare at 16 times it.
    away = (np.abs(disc) > 1e-2 * (c1 * c1 + 4 * np.abs(c0))) & (rho > 1e-2)
    assert away.sum() > 1000
    bound = EPS * (1 + rho**2) * np.linalg.norm(A, axis=(-2, -1)) / np.sqrt(np.abs(disc) + 1e-300)
    assert np.all(np.abs(rho - ref)[away] <= 16 * bound[away])


def test_iteration_matrix_entries() -> None:
    A = iteration_matrix(0.1, 0.9, 2.0, method="nesterov")
    np.testing.assert_array_equal(A, [[(1 + 0.9) * (1 - 0.1 * 2.0), -0.9 * (1 - 0.1 * 2.0)], [1.0, 0.0]])
    assert iteration_matrix([[0.1], [0.2]], [0.0, 0.5, 0.9], 1.0).shape == (2, 3, 2, 2)


SHAPES: list[tuple[int, ...]] = [(), (5,), (3, 4)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ALL)
def test_vectorised_calls_equal_scalar_loops(rng: np.random.Generator, name: str, shape: tuple[int, ...]) -> None:
    n = int(np.prod(shape, dtype=int))
    a, b, h = (x.reshape(shape) for x in sample_points(rng, name, n))
    t = rng.integers(0, 200, size=shape)
    eps = rng.choice([0.0, 0.05], size=shape)
    batched = {
        "rho": spectral_radius(a, b, h, method=name),
        "matrix": iteration_matrix(a, b, h, method=name),
        "norm": power_norm(a, b, h, t, method=name),
        "theorem1": theorem1_constant(a, b, h, eps, method=name),
    }
    assert batched["rho"].shape == shape and batched["matrix"].shape == (*shape, 2, 2)
    for idx in np.ndindex(*shape):
        args = (float(a[idx]), float(b[idx]), float(h[idx]))
        assert batched["rho"][idx] == spectral_radius(*args, method=name)
        np.testing.assert_array_equal(batched["matrix"][idx], iteration_matrix(*args, method=name))
        # The closed forms use exp/sin, whose SIMD loops may differ from the scalar ones by an ulp.
        np.testing.assert_allclose(batched["norm"][idx], power_norm(*args, int(t[idx]), method=name), rtol=4 * EPS)
        np.testing.assert_allclose(
            batched["theorem1"][idx], theorem1_constant(*args, float(eps[idx]), method=name), rtol=4 * EPS
        )


def test_scalar_inputs_give_numpy_scalars() -> None:
    assert isinstance(spectral_radius(0.5, 0.25, 1.0), np.float64)
    assert isinstance(power_norm(0.5, 0.25, 1.0, 3), np.float64)
    assert isinstance(theorem1_constant(0.5, 0.25, 1.0), np.float64)


@pytest.mark.parametrize("name", ALL)
def test_radius_accuracy_against_mpmath(rng: np.random.Generator, name: str) -> None:
    n = {"heavy_ball": 2400, "nesterov": 1200, "gradient_descent": 400}.get(name, 800)
    a, b, h = sample_points(rng, name, n)
    # and points exactly on the heavy-ball curves as a float64 formula gives them, at h = 1
    if name == "heavy_ball":
        bb = rng.uniform(0.0, 1.0, 200)
        a = np.concatenate([a, (1 - np.sqrt(bb)) ** 2, (1 + np.sqrt(bb)) ** 2])
        b = np.concatenate([b, bb, bb])
        h = np.concatenate([h, np.ones(400)])
    rho = spectral_radius(a, b, h, method=name)
    errors = []
    for i in range(a.size):
        ref = mp_radius(name, float(a[i]), float(b[i]), float(h[i]))
        if ref == 0:
            assert rho[i] == 0.0
            continue
        errors.append(float(abs(mpmath.mpf(float(rho[i])) - ref) / ref))
    # Routed points are faithfully rounded (<= 1 ulp <= 2 eps relative); the others have a
    # first-order error bound <= ROUTE_TOL (1e-14, about 45 eps) by construction, which the
    # measured errors undercut by an order of magnitude. The acceptance bar is 1e-13.
    assert max(errors) <= _kernel.ROUTE_TOL
    assert max(errors) <= 1e-13


def test_radius_closed_forms() -> None:
    assert spectral_radius(0.5, 0.25, 1.0) == 0.5  # between the curves: sqrt(beta)
    assert spectral_radius(0.25, 0.25, 1.0) == 0.5  # exact double root c1 / 2
    assert spectral_radius(1.0, 0.0, 1.5, method="gradient_descent") == 0.5
    assert spectral_radius(0.5, 0.9, 2.0, method="nesterov") == 0.0  # alpha h = 1: nilpotent
    assert spectral_radius(1.0, 0.3, 0.0) == 1.0  # h = 0: roots 1 and beta


# --- region of convergence (hypothesis) ---------------------------------------------------------


def _jury(name: str, a: float, b: float, h: float) -> bool:
    """Schur stability of z^2 - c1 z + c0, exactly: P(1) > 0, P(-1) > 0, |c0| < 1."""
    c1, c0 = exact_coefficients(name, a, b, h)
    return 1 - c1 + c0 > 0 and 1 + c1 + c0 > 0 and abs(c0) < 1


def _region(name: str, a: float, b: float, h: float) -> bool:
    """The region in closed form, exactly. Heavy ball: |beta| < 1, 0 < alpha h < 2 (1 + beta).
    Nesterov: P(1) = alpha h, P(-1) = 1 + (1 + 2 beta)(1 - alpha h) and |beta (1 - alpha h)| < 1
    (implied by the others for beta in [0, 1]): 0 < alpha h < (2 + 2 beta) / (1 + 2 beta).
    Gradient descent: 0 < alpha h < 2. Any other member: the Jury conditions themselves."""
    ah, fb = Fraction(a) * Fraction(h), Fraction(b)
    if name == "heavy_ball":
        return abs(fb) < 1 and 0 < ah < 2 * (1 + fb)
    if name == "nesterov":
        return 0 < ah < (2 + 2 * fb) / (1 + 2 * fb)
    if name == "gradient_descent":
        return 0 < ah < 2
    return _jury(name, a, b, h)


@st.composite
def parameters(draw: Any, name: str) -> tuple[float, float, float]:
    """``(alpha, beta, h)`` anywhere, or within a few ulps of a stability boundary or critical curve.

    For the general family P(1) = alpha h, P(-1) = 2 (1 + beta) - alpha h (1 + 2 gamma) and
    c0 = -1 at alpha h = (1 + beta) / gamma: the boundaries in alpha h, besides the curves."""
    m = get_method(name)
    b = draw(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 0.25, 0.5, 1.0]))) if m.uses_beta else 0.0
    h = draw(st.one_of(st.floats(-2.0, 50.0), st.sampled_from([0.0, 1.0, 1e-300])))
    g = float(np.asarray(m.gamma(b)))
    targets = [float(c[0]) for c in critical_curves(name, np.array([b]))]
    if 1.0 + 2.0 * g > 0.0:
        targets.append(2.0 * (1.0 + b) / (1.0 + 2.0 * g))
    if g > 0.0:
        targets.append((1.0 + b) / g)
    mode = draw(st.sampled_from(["free", "boundary"]))
    if mode == "free" or h == 0.0:
        a = draw(st.floats(1e-6, 20.0))
    else:
        target = draw(st.sampled_from(targets)) / abs(h)
        a = target * (1.0 + draw(st.integers(-4, 4)) * EPS)
        if not (np.isfinite(a) and a > 0.0):
            a = 1.0
    return a, b, h


def _check_region(name: str, a: float, b: float, h: float) -> None:
    rho = float(spectral_radius(a, b, h, method=name))
    inside = _region(name, a, b, h)
    assert inside == _jury(name, a, b, h)
    if inside:
        # rho < 1 exactly, unless the true rho is within half an ulp-below-1 of 1, where the
        # faithfully rounded value may be 1.0 itself.
        assert rho < 1.0 or (rho == 1.0 and mp_radius(name, a, b, h) > 1 - mpmath.mpf(2) ** -53)
    else:
        assert rho >= 1.0


@given(parameters("heavy_ball"))
def test_heavy_ball_converges_exactly_on_its_region(p: tuple[float, float, float]) -> None:
    _check_region("heavy_ball", *p)


@given(parameters("nesterov"))
def test_nesterov_converges_exactly_on_its_region(p: tuple[float, float, float]) -> None:
    _check_region("nesterov", *p)


@given(parameters("gradient_descent"))
def test_gradient_descent_converges_exactly_on_its_region(p: tuple[float, float, float]) -> None:
    _check_region("gradient_descent", *p)


@given(parameters("triple_momentum"))
def test_triple_momentum_converges_exactly_on_its_region(p: tuple[float, float, float]) -> None:
    _check_region("triple_momentum", *p)


@given(parameters("general(gamma=0.5)"))
def test_general_method_converges_exactly_on_its_region(p: tuple[float, float, float]) -> None:
    _check_region("general(gamma=0.5)", *p)


@given(parameters("general(gamma=7.5)"))
def test_general_method_large_gamma_converges_exactly_on_its_region(p: tuple[float, float, float]) -> None:
    _check_region("general(gamma=7.5)", *p)


@given(parameters("heavy_ball"))
def test_heavy_ball_rate_is_sqrt_beta_between_the_curves(p: tuple[float, float, float]) -> None:
    a, b, h = p
    c1, c0 = exact_coefficients("heavy_ball", a, b, h)
    if c1 * c1 < 4 * c0:  # strictly between (1 - sqrt(beta))^2 < alpha h < (1 + sqrt(beta))^2
        assert spectral_radius(a, b, h) == np.sqrt(b)


# --- bad input ------------------------------------------------------------------------------------

BAD_INPUTS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"alpha": float("nan")}, ValueError, "`alpha` must be finite"),
    ({"alpha": float("inf")}, ValueError, "`alpha` must be finite"),
    ({"alpha": 0.0}, ValueError, r"`alpha` must be in \(0.0, inf\)"),
    ({"alpha": -1.0}, ValueError, "`alpha` must be in"),
    ({"beta": 1.5}, ValueError, r"`beta` must be in \[0.0, 1.0\]"),
    ({"beta": -0.1}, ValueError, "`beta` must be in"),
    ({"h": float("-inf")}, ValueError, "`h` must be finite"),
    ({"h": [1.0, float("nan"), 2.0]}, ValueError, r"`h` must be finite, got nan at index \(1,\)"),
    ({"beta": [[0.5, 0.2], [0.3, 2.0]]}, ValueError, r"`beta` must be in .* at index \(1, 1\)"),
    ({"alpha": "0.1"}, TypeError, "`alpha` must be a real number"),
    ({"beta": True}, TypeError, "`beta` must be a real number, got a boolean"),
    ({"h": 1 + 2j}, TypeError, "`h` must be a real number"),
    ({"alpha": None}, TypeError, "`alpha`"),
    ({"alpha": [0.1, 0.2], "beta": [0.1, 0.2, 0.3]}, ValueError, "must broadcast together"),
    ({"method": "polyak"}, ValueError, "`method` must be one of"),
    ({"method": 3}, TypeError, "`method` must be a string"),
    ({"method": "gradient_descent", "beta": 0.5}, ValueError, "`beta` must be 0 for method 'gradient_descent'"),
    ({"alpha": 1e200, "h": 1e200}, ValueError, r"`alpha \* h` overflows"),
]


def _call(func: Any, extra: dict[str, Any], **kwargs: Any) -> Any:
    args = {"alpha": 0.1, "beta": 0.5, "h": 1.0, "method": "heavy_ball", **extra, **kwargs}
    if args["method"] == "gradient_descent" and "beta" not in kwargs and "beta" not in extra:
        args["beta"] = 0.0
    return func(**args)


# iteration_matrix holds the float64 entries as they are, so the alpha*h overflow check does not apply to it.
BAD_CASES = [
    (func, *case)
    for func in (spectral_radius, iteration_matrix, power_norm, theorem1_constant)
    for case in BAD_INPUTS
    if not (func is iteration_matrix and "overflows" in case[2])
]


@pytest.mark.parametrize(("func", "kwargs", "error", "match"), BAD_CASES)
def test_bad_input_names_the_parameter(func: Any, kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    extra = {"t": 3} if func is power_norm else {}
    with pytest.raises(error, match=match):
        _call(func, extra, **kwargs)


@pytest.mark.parametrize(
    ("t", "error", "match"),
    [
        (-1, ValueError, "`t` must be an integer >= 0"),
        (1.5, ValueError, "`t` must be a whole number"),
        ([1, 2, -3], ValueError, r"`t` must be an integer >= 0, got -3 at index \(2,\)"),
        (float("inf"), ValueError, "`t` must be a finite integer"),
        (True, TypeError, "`t` must be an integer, got a boolean"),
        ("3", TypeError, "`t` must be an integer"),
        ([1, 2, 3], ValueError, "must broadcast together"),
    ],
)
def test_power_norm_rejects_bad_t(t: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        power_norm([0.1, 0.2], 0.5, 1.0, t)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"eps": -0.1}, ValueError, r"`eps` must be in \[0.0, inf\)"),
        ({"eps": float("nan")}, ValueError, "`eps` must be finite"),
        ({"eps": [0.1, -1.0]}, ValueError, r"`eps` must be in .* at index \(1,\)"),
        ({"eps": "0.1"}, TypeError, "`eps`"),
        ({"eps": [0.1, 0.2, 0.3]}, ValueError, "must broadcast together"),
        ({"max_t": 0}, ValueError, "`max_t` must be an integer >= 1"),
        ({"max_t": 2.5}, TypeError, "`max_t` must be an integer"),
        ({"max_t": True}, TypeError, "`max_t` must be an integer"),
    ],
)
def test_theorem1_rejects_bad_eps_and_max_t(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        theorem1_constant([0.1, 0.2], 0.5, 1.0, **kwargs)


# ----------------------------------------------------------------------------------------------
# power_norm
# ----------------------------------------------------------------------------------------------


def test_power_norm_small_cases() -> None:
    assert power_norm(0.3, 0.7, 1.0, 0) == 1.0
    A = iteration_matrix(0.3, 0.7, 1.0)
    assert power_norm(0.3, 0.7, 1.0, 1) == pytest.approx(np.linalg.norm(A, 2), rel=4 * EPS)
    # nilpotent A = [[0, 0], [1, 0]] (Nesterov at alpha h = 1): 1, 1, 0, 0, ...
    np.testing.assert_array_equal(power_norm(0.5, 0.9, 2.0, [0, 1, 2, 3, 50], method="nesterov"), [1, 1, 0, 0, 0])
    # gradient descent: ||A^t|| = |c1|^(t-1) sqrt(1 + c1^2)
    t = np.arange(1, 30)
    np.testing.assert_allclose(
        power_norm(1.0, 0.0, 0.3, t, method="gradient_descent"), 0.7 ** (t - 1) * np.hypot(1, 0.7), rtol=8 * EPS * 30
    )


@pytest.mark.parametrize("name", ALL)
def test_power_norm_matches_numpy_matrix_power_away_from_the_curves(rng: np.random.Generator, name: str) -> None:
    a, b, h = sample_points(rng, name, 200)
    for i in range(a.size):
        A = iteration_matrix(a[i], b[i], h[i], method=name)
        for t in (2, 7, 30):
            P = np.linalg.matrix_power(A, t)
            ref = np.linalg.norm(P, 2)
            # float64 products lose about t * eps * (||A||/rho)^t relative; keep the cases where
            # that is below 1e-10 and compare at that level.
            rho = float(spectral_radius(a[i], b[i], h[i], method=name))
            if rho == 0.0 or not 1e-250 < ref < 1e250:
                continue
            loss = t * EPS * (np.abs(A).sum() / rho) ** t
            if loss < 1e-10:
                assert power_norm(a[i], b[i], h[i], t, method=name) == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("name", ALL)
def test_power_norm_accuracy_against_mpmath(rng: np.random.Generator, name: str) -> None:
    a, b, h = sample_points(rng, name, 80)
    if name == "heavy_ball":  # exact double roots and float64-"exact" curve points
        a = np.concatenate([a, [0.25, 2.25, (1 - np.sqrt(0.3)) ** 2, (1 + np.sqrt(0.7)) ** 2]])
        b = np.concatenate([b, [0.25, 0.25, 0.3, 0.7]])
        h = np.concatenate([h, np.ones(4)])
    ts = np.array([0, 1, 2, 3, 10, 100, 1000, 10**4, 10**5])
    worst = 0.0
    for i in range(a.size):
        got = power_norm(a[i], b[i], h[i], ts, method=name)
        small = max(1.0, 1.0 / float(spectral_radius(a[i], b[i], h[i], method=name)))
        for k, t in enumerate(ts):
            ref = mp_power_norm(name, float(a[i]), float(b[i]), float(h[i]), int(t))
            if not mpmath.mpf("1e-290") < ref < mpmath.mpf("1e290"):
                continue  # beyond float64 (inf / 0 are checked elsewhere)
            err = float(abs(mpmath.mpf(float(got[k])) - ref) / ref)
            # Documented accuracy O(t eps) (times 1/rho for rho << 1 near a resonance): the phase
            # t*theta, the power q^t and rho^t each carry the one rounding of c1, c0; measured
            # <= (t + 2) eps for rho >~ 0.1, asserted with a factor 8.
            assert err <= 8 * (t + 2) * EPS * small, (a[i], b[i], h[i], t, err)
            worst = max(worst, err / ((t + 2) * EPS * small))
    assert 0.0 < worst <= 8.0


def test_power_norm_overflow_is_inf_not_nan() -> None:
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        big = power_norm(1.0, 0.5, -1.0, [10, 10**6])  # rho > 1
        small = power_norm(0.5, 0.25, 1.0, 10**6)
    assert np.isfinite(big[0]) and big[1] == np.inf and small == 0.0


# ----------------------------------------------------------------------------------------------
# theorem1_constant
# ----------------------------------------------------------------------------------------------


def _ratios(name: str, a: float, b: float, h: float, t: np.ndarray, eps: float = 0.0) -> np.ndarray:
    """``||A^t|| / (rho + eps)^t`` from the public functions (for rho ~ 1, so nothing underflows)."""
    rho = float(spectral_radius(a, b, h, method=name))
    result: np.ndarray = power_norm(a, b, h, t, method=name) / (rho + eps) ** t
    return result


def _slack(t: np.ndarray) -> np.ndarray:
    # power_norm is accurate to 8 (t + 2) eps; rho from spectral_radius (not rounded the way
    # power_norm's own rho is) may differ by ROUTE_TOL, and enters as rho^t.
    result: np.ndarray = 8 * (t + 2) * EPS + t * _kernel.ROUTE_TOL
    return result


def _near_one_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Heavy-ball ``(alpha, beta)`` at ``h = 1`` with rho in about [0.98, 1): long horizons stay in range."""
    b = rng.uniform(0.96, 0.999, n)
    ah = np.where(rng.random(n) < 0.5, rng.uniform(0.0, 1.0, n) * (1 - np.sqrt(b)) ** 2, rng.uniform(0.01, 3.0, n))
    rho = spectral_radius(ah, b, 1.0)
    keep = rho < 0.9995
    return ah[keep], b[keep]


def test_theorem1_is_never_exceeded_and_is_approached(rng: np.random.Generator) -> None:
    a, b = _near_one_points(rng, 60)
    t = np.arange(0, 20001)
    for ai, bi in zip(a, b, strict=True):
        ai, bi = float(ai), float(bi)
        C = float(theorem1_constant(ai, bi, 1.0))
        r = _ratios("heavy_ball", ai, bi, 1.0, t)
        assert np.all(r <= C * (1 + _slack(t))), (ai, bi)
        c1, c0 = exact_coefficients("heavy_ball", ai, bi, 1.0)
        if c1 * c1 > 4 * c0:
            # real roots, q >= 0: ||P1 + q^t P2|| -> ||P1|| = C; q^t is negligible by t = 20000 here
            q = float(_kernel.lucas_params(_kernel.characteristic(get_method("heavy_ball"), ai, bi, 1.0)).q)
            if q**20000 < 1e-17:
                assert r[-1] == pytest.approx(C, rel=float(_slack(t[-1:])[0]) + 1e-15)
        else:
            # complex roots, irrational angle: {t theta mod pi} is dense, the sup is approached
            theta = math.acos(float(c1) / (2 * math.sqrt(float(c0))))
            if all(abs(theta / math.pi * q - round(theta / math.pi * q)) > 1e-3 for q in range(1, 13)):
                assert r.max() >= C * (1 - 1e-4)


def test_theorem1_closed_forms() -> None:
    # real roots: sqrt(c1^2 + (1 - c0)^2) / sqrt(D)
    c1, c0 = 1.0 + 0.5 - 0.05, 0.5
    assert theorem1_constant(1.0, 0.5, 0.05) == pytest.approx(math.hypot(c1, 1 - c0) / math.sqrt(c1 * c1 - 4 * c0))
    # complex roots: (1 + c0 + sqrt(c1^2 + (1 - c0)^2)) / sqrt(-D)
    c1, c0 = 0.75, 0.25
    dense = (1 + c0 + math.hypot(c1, 1 - c0)) / math.sqrt(4 * c0 - c1 * c1)
    assert theorem1_constant(0.5, 0.25, 1.0) == pytest.approx(dense)
    # gradient descent (c0 = 0, attained at t = 1): sqrt(1 + c1^2) / |c1|
    assert theorem1_constant(1.0, 0.0, 0.3, method="gradient_descent") == pytest.approx(math.hypot(1, 0.7) / 0.7)


def test_theorem1_opposite_sign_roots_attained_at_t_equal_one() -> None:
    # Nesterov with alpha h > 1: c0 < 0, q < 0, C = ||A|| / rho
    a, b, h = 0.5, 0.9, 2.6
    t = np.arange(0, 200)
    r = _ratios("nesterov", a, b, h, t)
    C = theorem1_constant(a, b, h, method="nesterov")
    assert int(np.argmax(r)) == 1 and r[1] == pytest.approx(C, rel=4 * EPS)
    assert np.all(r <= C * (1 + _slack(t)))


# (alpha, beta) at h = 1 with cos^2(theta) = c1^2 / (4 c0) in {0, 1/4, 1/2, 3/4}; the t where the
# maximum over one period is attained.
RATIONAL_ANGLES = [
    ("pi/2", 1.5, 0.5, 1),
    ("pi/3", 0.75, 0.25, 1),
    ("2pi/3", 1.75, 0.25, 1),
    ("pi/4", 0.5, 0.5, 2),
    ("3pi/4", 2.5, 0.5, 2),
    ("pi/6", 0.25, 0.75, 3),
    ("5pi/6", 3.25, 0.75, 3),
]


@pytest.mark.parametrize(("label", "a", "b", "t_max"), RATIONAL_ANGLES)
def test_theorem1_rational_angles_are_a_maximum_over_one_period(label: str, a: float, b: float, t_max: int) -> None:
    t = np.arange(0, 49)  # 4 periods of the longest (12)
    r = power_norm(a, b, 1.0, t) / float(spectral_radius(a, b, 1.0)) ** t
    C = float(theorem1_constant(a, b, 1.0))
    assert r[t_max] == pytest.approx(C, rel=16 * EPS)  # attained ...
    assert np.all(r[:t_max] < C * (1 - 1e-3)) and r.max() == pytest.approx(C, rel=16 * EPS)  # ... first there
    np.testing.assert_allclose(r[:12], r[12:24], rtol=64 * EPS)  # the orbit is periodic
    c1, c0 = 1.0 + b - a, b
    dense = (1 + c0 + math.hypot(c1, 1 - c0)) / math.sqrt(4 * c0 - c1 * c1)
    if label in ("pi/3", "2pi/3"):
        # the orbit misses |sin(t theta)| = 1: C is strictly below the dense-orbit supremum,
        # which one ulp away (an irrational angle) is the answer again.
        assert C < dense * (1 - 1e-3)
        assert theorem1_constant(np.nextafter(a, 2.0), b, 1.0) == pytest.approx(dense, rel=1e-9)
    else:
        assert C == pytest.approx(dense, rel=16 * EPS)


@pytest.mark.parametrize("side", [-1.0, 1.0])
@pytest.mark.parametrize("curve_sign", [-1.0, 1.0])
def test_theorem1_blows_up_like_inverse_sqrt_disc(side: float, curve_sign: float) -> None:
    b = 0.81
    curve = (1 + curve_sign * 0.9) ** 2
    for k in range(4, 14):
        a = curve * (1 + side * 10.0**-k)
        c1, c0 = exact_coefficients("heavy_ball", a, b, 1.0)
        disc = c1 * c1 - 4 * c0
        C = float(theorem1_constant(a, b, 1.0))
        # C sqrt|D| = sqrt(c1^2 + (1-c0)^2) (real side) or 1 + c0 + that (complex side), and
        # c1^2 + (1-c0)^2 = (1 + c0)^2 + D: the limits are 1 + c0 and 2 (1 + c0).
        limit = (1 + b) * (1 if disc > 0 else 2)
        assert C * math.sqrt(abs(float(disc))) == pytest.approx(limit, rel=abs(float(disc)) + 1e-12)


def test_theorem1_is_infinite_exactly_at_double_roots() -> None:
    assert theorem1_constant(0.25, 0.25, 1.0) == np.inf  # exact double root 1/2
    assert theorem1_constant(2.25, 0.25, 1.0) == np.inf  # exact double root -1/2
    assert theorem1_constant(0.5, 0.9, 2.0, method="nesterov") == np.inf  # nilpotent: rho + eps = 0
    assert theorem1_constant(1.0, 0.0, 1.0, method="gradient_descent") == np.inf  # nilpotent
    # one ulp off: finite, and huge
    assert 1e7 < theorem1_constant(np.nextafter(0.25, 1.0), 0.25, 1.0) < np.inf
    # and at a double root the powers really outgrow any C rho^t: A^t / lambda^t =
    # [[t + 1, -lambda t], [t / lambda, 1 - t]], here ~ t [[1, -1/2], [2, -1]] of norm 5t/2.
    t = np.array([10, 100, 1000])
    r = _ratios("heavy_ball", 0.25, 0.25, 1.0, t)
    np.testing.assert_array_less(np.abs(r / t - 2.5), 1.0 / t)


def test_theorem1_with_eps_is_attained_and_finite_everywhere(rng: np.random.Generator) -> None:
    a, b = _near_one_points(rng, 40)
    # defective (s = 31/32: beta = s^2, alpha h = (1 - s)^2 exactly), on-curve in float64, pi/3
    s = 31 / 32
    a = np.concatenate([a, [(1 - s) ** 2, (1 - np.sqrt(0.97)) ** 2, 1 + s * s - s]])
    b = np.concatenate([b, [s * s, 0.97, s * s]])
    t = np.arange(0, 6001)
    for ai, bi in zip(a, b, strict=True):
        for eps in (0.01, 0.05, 0.3):
            C = float(theorem1_constant(ai, bi, 1.0, eps))
            assert 1.0 <= C < np.inf
            with np.errstate(under="ignore", over="ignore"):
                r = _ratios("heavy_ball", float(ai), float(bi), 1.0, t, eps)
            k = int(np.argmax(r))
            assert k < t[-1] // 2  # the maximum is well inside the horizon ...
            assert np.all(r <= C * (1 + _slack(t)))  # ... never exceeded ...
            assert r[k] == pytest.approx(C, rel=float(_slack(t[k : k + 1])[0]))  # ... and attained
    # nilpotent: ||A^t|| = 1, 1, 0, ... so C = max(1, 1/eps)
    np.testing.assert_array_equal(theorem1_constant(0.5, 0.9, 2.0, [0.5, 2.0], method="nesterov"), [2.0, 1.0])


def test_theorem1_decreases_with_eps() -> None:
    eps = np.array([0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0])
    for a, b in [(0.5, 0.25), (0.25, 0.25), (0.01, 0.81), (3.0, 0.5)]:
        C = theorem1_constant(a, b, 1.0, eps)
        assert np.all(np.diff(C) <= 0.0) and C[-1] >= 1.0


def test_theorem1_refuses_to_truncate() -> None:
    with pytest.raises(ValueError, match=r"`eps` = 1e-06 is too small.*`max_t` = 1000"):
        theorem1_constant(0.25, 0.25, 1.0, 1e-6, max_t=1000)
    assert theorem1_constant(0.25, 0.25, 1.0, 1e-6) > 1e5  # the default cap is enough here


# ----------------------------------------------------------------------------------------------
# eigenvalues and extreme magnitudes
# ----------------------------------------------------------------------------------------------


def mp_roots(name: str, a: float, b: float, h: float) -> tuple[mpmath.mpc, mpmath.mpc]:
    """The two roots at 50 digits from the exact coefficients, larger modulus first."""
    c1, c0 = exact_coefficients(name, a, b, h)
    with mpmath.workdps(50):
        c1m, c0m = _mpf(c1), _mpf(c0)
        d = c1m * c1m - 4 * c0m
        if d >= 0:
            big = (c1m + mpmath.sign(c1m) * mpmath.sqrt(d)) / 2 if c1m != 0 else mpmath.sqrt(d) / 2
            return mpmath.mpc(big), mpmath.mpc(c0m / big if big != 0 else 0)
        return mpmath.mpc(c1m / 2, mpmath.sqrt(-d) / 2), mpmath.mpc(c1m / 2, -mpmath.sqrt(-d) / 2)


EXTREMES = [
    (1e155, 0.5, 1.0),  # issue 11: [-inf, 0] instead of about [-1e155, -5e-156]
    (1e300, 0.5, 1.0),
    (1e154, 0.9, 1e154),  # c1 = -1e308, close to the largest float
    (1e-300, 0.5, 1.0),
    (5e-324, 0.5, 1.0),  # subnormal alpha
    (1.0, 0.5, 1e-320),  # subnormal h
    (1e-160, 0.3, 1e-160),  # alpha h underflows to a subnormal
    (3.0, 0.5, -1e200),  # huge negative curvature
    (2.0**-537, 0.7, 2.0**537),  # exact alpha h = 1
]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(("a", "b", "h"), EXTREMES)
def test_eigenvalues_and_radius_at_extreme_magnitudes(name: str, a: float, b: float, h: float) -> None:
    # Both roots to a few ulps of their own modulus (for a tiny root, of the product c0 / big,
    # which is how it is formed), and rho = max |root| to a few ulps, against 50-digit mpmath.
    if not get_method(name).uses_beta:
        b = 0.0
    c1, c0 = exact_coefficients(name, a, b, h)
    if max(abs(c1), abs(c0)) > Fraction(float(np.finfo(np.float64).max)):
        # beyond float64: a named error, not inf or NaN
        with pytest.raises(ValueError, match=r"`alpha \* h` overflows float64"):
            eigenvalues(a, b, h, method=name)
        return
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to subnormals is fine
        got = eigenvalues(a, b, h, method=name)
        rho = float(spectral_radius(a, b, h, method=name))
    ref = mp_roots(name, a, b, h)
    for g, r in zip(got, ref, strict=True):
        assert np.isfinite(g.real) and np.isfinite(g.imag)
        assert abs(mpmath.mpc(complex(g)) - r) <= 8 * EPS * abs(r) + mpmath.mpf(2) ** -1074 * 4
    ref_rho = max(abs(r) for r in ref)
    assert abs(mpmath.mpf(rho) - ref_rho) <= 4 * EPS * ref_rho


def test_eigenvalues_issue_11_example() -> None:
    got = eigenvalues(1e155, 0.5, 1.0)
    # roots of z^2 - (1.5 - 1e155) z + 0.5: -1e155 (1 + O(1e-155)) and 0.5 / that = -5e-156
    assert got[0] == pytest.approx(-1e155, rel=2 * EPS) and got[1] == pytest.approx(-5e-156, rel=4 * EPS)
    assert got[0].imag == 0.0 and got[1].imag == 0.0


def test_alpha_zero_is_refused_with_a_clear_message() -> None:
    # issue 11: spectral_radius on np.linspace(0, 4, 500) failed "at index (0, 0)" with no hint.
    # alpha = 0 stays outside the range (one range for every layer); the message says so and how.
    with pytest.raises(ValueError, match=r"`alpha` must be in \(0.0, inf\), got 0.0 at index \(0, 0\); "
                       r"alpha = 0 is excluded .* np.linspace\(0, 4, 501\)\[1:\]"):
        spectral_radius(np.linspace(0.0, 4.0, 500)[:, None], np.linspace(0.0, 0.99, 3), 1.0)
    assert spectral_radius(np.linspace(0.0, 4.0, 501)[1:][:, None], np.linspace(0.0, 0.99, 3), 1.0).shape == (500, 3)


# ----------------------------------------------------------------------------------------------
# 1 - rho near rho = 1 (spectral_gap)
# ----------------------------------------------------------------------------------------------


def _near_one_family(rng: np.random.Generator, name: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points with rho within 1e-16..1e-3 of 1: tiny alpha h (both sides of the curves), beta near 1
    (inside the complex band and next to the first curve), and negative curvature."""
    m = get_method(name)
    b = 1.0 - 10.0 ** rng.uniform(-9, -0.5, n) if m.uses_beta else np.zeros(n)
    b = np.where(rng.random(n) < 0.3, rng.uniform(0.0, 1.0, n), b) if m.uses_beta else b
    u = 10.0 ** rng.uniform(-16, -3, n)  # alpha h
    lo = critical_curves(name, b)[0]
    u = np.where(rng.random(n) < 0.25, lo * (1.0 + rng.uniform(-1e-3, 1e-3, n)), u)
    h = 10.0 ** rng.uniform(-8, 2, n) * np.where(rng.random(n) < 0.1, -1.0, 1.0)
    return np.abs(u / h), b, h


def mp_gap(name: str, a: float, b: float, h: float) -> mpmath.mpf:
    with mpmath.workdps(60):
        return 1 - mp_radius(name, a, b, h)


@pytest.mark.parametrize("name", ALL)
def test_spectral_gap_is_accurate_near_rho_one(rng: np.random.Generator, name: str) -> None:
    # 1 - rho decides iteration counts: relative error <= 1e-12 wherever rho is near 1 (measured
    # below 1e-15: the double-double gap is rounded once). 1 - spectral_radius cannot do this: a
    # float64 rho near 1 fixes the gap only to ulp(1) / gap.
    a, b, h = _near_one_family(rng, name, 300)
    got = spectral_gap(a, b, h, method=name)
    worst = 0.0
    for i in range(a.size):
        with mpmath.workdps(60):
            ref = mp_gap(name, float(a[i]), float(b[i]), float(h[i]))
            if ref == 0:
                assert got[i] == 0.0
                continue
            worst = max(worst, float(abs(mpmath.mpf(float(got[i])) - ref) / abs(ref)))
    assert worst <= 1e-12
    # and the float64 radius itself is within ROUTE_TOL there
    rho = spectral_radius(a, b, h, method=name)
    assert np.all(np.abs(rho - (1.0 - got)) <= _kernel.ROUTE_TOL * rho + EPS)


def test_spectral_gap_issue_10_point() -> None:
    # issue 10: heavy ball here gave rho = 0.9999999997874143, true 0.99999999978741254615...:
    # 1 - rho was 8e-6 off relative. The gap is now right to 1e-15.
    a, b, h = 0.0001861366120198143, 0.8554269855702333, 1.6511748366417483e-07
    true = 1 - mpmath.mpf("0.99999999978741254615")
    assert abs(float(1.0 - spectral_radius(a, b, h)) - true) / true > 1e-9  # what the float rho gives
    with mpmath.workdps(60):
        assert abs(mpmath.mpf(float(spectral_gap(a, b, h))) - mp_gap("heavy_ball", a, b, h)) <= 1e-15 * true


def test_spectral_gap_far_from_one_and_shapes() -> None:
    assert spectral_gap(0.5, 0.25, 1.0) == 0.5
    assert spectral_gap(1.0, 0.3, 0.0) == 0.0  # h = 0: rho = 1 exactly
    assert spectral_gap(1.0, 0.5, -0.3) < 0.0  # negative curvature diverges
    g = spectral_gap([[0.1], [0.2]], [0.0, 0.5, 0.9], 1.0)
    np.testing.assert_allclose(g, 1.0 - spectral_radius([[0.1], [0.2]], [0.0, 0.5, 0.9], 1.0), rtol=0, atol=2 * EPS)
