"""The method family and the convention maps, checked by running each convention's update."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hbtheory import METHODS, from_chapter, from_d2l, from_ema, from_keras, from_torch, get_method

EPS = np.finfo(np.float64).eps


def canonical_run(method: str, alpha: float, beta: float, H: np.ndarray, x0: np.ndarray, steps: int) -> np.ndarray:
    """The canonical recurrences written out from their textbook definitions (x_{-1} = x_0)."""
    xs = [x0.copy()]
    x_prev, x = x0.copy(), x0.copy()
    for _ in range(steps):
        if method == "heavy_ball":
            x_new = x - alpha * H @ x + beta * (x - x_prev)
        elif method == "nesterov":
            y = x + beta * (x - x_prev)
            x_new = y - alpha * H @ y
        elif method == "triple_momentum":
            # Van Scoy, Freeman & Lynch (2018), with rho recovered from beta = rho^2 / (2 - rho)
            rho = (np.sqrt(beta * beta + 8.0 * beta) - beta) / 2.0
            gamma = rho * rho / ((1.0 + rho) * (2.0 - rho))
            y = x + gamma * (x - x_prev)
            x_new = x + beta * (x - x_prev) - alpha * H @ y
        elif method == "gradient_descent":
            x_new = x - alpha * H @ x
        else:
            raise AssertionError(f"no textbook update written for {method}")
        x_prev, x = x, x_new
        xs.append(x.copy())
    return np.array(xs)


def quadratic(rng: np.random.Generator, d: int = 4) -> np.ndarray:
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (q * rng.uniform(0.1, 2.0, d)) @ q.T


def test_each_method_defined_once_by_its_polynomial() -> None:
    # The recurrence e_{t+1} = c1 e_t - c0 e_{t-1} reproduces each textbook update on a scalar quadratic.
    rng = np.random.default_rng(1)
    for name, m in METHODS.items():
        for _ in range(20):
            alpha, h = rng.uniform(0.01, 1.0), rng.uniform(0.0, 3.0)
            beta = 0.0 if not m.uses_beta else rng.uniform(0.0, 1.0)
            xs = canonical_run(name, alpha, beta, np.array([[h]]), np.array([1.0]), 6)[:, 0]
            # x_1 from x_{-1} = x_0, then the two-term recurrence
            c1, c0 = m.c1(alpha, beta, h), m.c0(alpha, beta, h)
            e = [1.0, c1 - c0]
            for _ in range(5):
                e.append(c1 * e[-1] - c0 * e[-2])
            np.testing.assert_allclose(xs, e, rtol=64 * EPS, atol=64 * EPS)


def test_matrix_is_companion_of_polynomial() -> None:
    m = get_method("nesterov")
    (a, b), (c, d) = m.matrix(0.3, 0.5, 2.0)
    assert (c, d) == (1, 0)
    assert a == pytest.approx(m.c1(0.3, 0.5, 2.0)) and b == pytest.approx(-m.c0(0.3, 0.5, 2.0))


@pytest.mark.parametrize("bad", ["adam", "heavyball2", ""])
def test_unknown_method_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="`method` must be one of"):
        get_method(bad)


def test_method_type_is_checked() -> None:
    with pytest.raises(TypeError, match="`method`"):
        get_method(3)  # type: ignore[arg-type]


# --- conventions: each written-out update equals the canonical recurrence it is mapped to --------


def run_torch_style(lr: float, momentum: float, dampening: float, nesterov: bool, H: np.ndarray, x0: np.ndarray,
                    steps: int, lrs: list[float] | None = None) -> np.ndarray:
    """torch.optim.SGD's documented update (no torch needed): b_1 = g_1, b_t = m b + (1-d) g."""
    p, buf, xs = x0.copy(), None, [x0.copy()]
    for t in range(steps):
        g = H @ p
        buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
        step = g + momentum * buf if nesterov else buf
        p = p - (lrs[t] if lrs else lr) * step
        xs.append(p.copy())
    return np.array(xs)


def run_chapter(lr: float, gamma: float, H: np.ndarray, x0: np.ndarray, steps: int,
                lrs: list[float] | None = None) -> np.ndarray:
    p, v, xs = x0.copy(), np.zeros_like(x0), [x0.copy()]
    for t in range(steps):
        v = gamma * v + (lrs[t] if lrs else lr) * (H @ p)
        p = p - v
        xs.append(p.copy())
    return np.array(xs)


def run_keras(lr: float, m: float, H: np.ndarray, x0: np.ndarray, steps: int) -> np.ndarray:
    p, v, xs = x0.copy(), np.zeros_like(x0), [x0.copy()]
    for _ in range(steps):
        v = m * v - lr * (H @ p)
        p = p + v
        xs.append(p.copy())
    return np.array(xs)


def run_ema(eta: float, beta: float, H: np.ndarray, x0: np.ndarray, steps: int) -> np.ndarray:
    p, mom, xs = x0.copy(), np.zeros_like(x0), [x0.copy()]
    for _ in range(steps):
        mom = beta * mom + (1 - beta) * (H @ p)
        p = p - eta * mom
        xs.append(p.copy())
    return np.array(xs)


def nesterov_lookahead(alpha: float, beta: float, H: np.ndarray, x0: np.ndarray, steps: int) -> np.ndarray:
    xs = canonical_run("nesterov", alpha, beta, H, x0, steps + 1)
    return np.array([xs[0]] + [xs[t] + beta * (xs[t] - xs[t - 1]) for t in range(1, steps + 1)])


conv_params = st.tuples(st.floats(0.01, 0.5), st.floats(0.0, 0.95))


@given(conv_params)
def test_torch_undamped_is_heavy_ball_exactly(p: tuple[float, float]) -> None:
    lr, m = p
    rng = np.random.default_rng(0)
    H, x0 = quadratic(rng), rng.standard_normal(4)
    c = from_torch(lr, m)
    assert (c.method, c.alpha, c.beta, c.exact) == ("heavy_ball", lr, m, True)
    np.testing.assert_allclose(run_torch_style(lr, m, 0.0, False, H, x0, 30),
                               canonical_run("heavy_ball", c.alpha, c.beta, H, x0, 30), rtol=1e-10, atol=1e-12)


@given(conv_params, st.floats(0.05, 0.9))
def test_torch_dampening_changes_only_the_first_step(p: tuple[float, float], d: float) -> None:
    lr, m = p
    rng = np.random.default_rng(1)
    H, x0 = quadratic(rng), rng.standard_normal(4)
    c = from_torch(lr, m, dampening=d)
    assert not c.exact and c.alpha == pytest.approx(lr * (1 - d), rel=4 * EPS)
    xs = run_torch_style(lr, m, d, False, H, x0, 25)
    # from step 2 on the canonical recurrence holds with alpha = lr (1 - d)
    for t in range(1, 24):
        rhs = xs[t] - c.alpha * H @ xs[t] + c.beta * (xs[t] - xs[t - 1])
        np.testing.assert_allclose(xs[t + 1], rhs, rtol=1e-9, atol=1e-12)
    # ... but the first step is 1/(1-d) times the canonical one
    np.testing.assert_allclose(xs[1] - xs[0], -(c.alpha / (1 - d)) * H @ x0, rtol=1e-12)


@given(st.tuples(st.floats(0.01, 0.5), st.floats(0.05, 0.95)))
def test_torch_nesterov_is_the_lookahead_sequence(p: tuple[float, float]) -> None:
    lr, m = p
    rng = np.random.default_rng(2)
    H, x0 = quadratic(rng), rng.standard_normal(4)
    c = from_torch(lr, m, nesterov=True)
    assert c.method == "nesterov" and c.exact
    np.testing.assert_allclose(run_torch_style(lr, m, 0.0, True, H, x0, 30),
                               nesterov_lookahead(c.alpha, c.beta, H, x0, 30), rtol=1e-9, atol=1e-12)


@given(conv_params)
def test_chapter_keras_d2l_ema_forms(p: tuple[float, float]) -> None:
    lr, m = p
    rng = np.random.default_rng(3)
    H, x0 = quadratic(rng), rng.standard_normal(4)
    ref = canonical_run("heavy_ball", lr, m, H, x0, 30)
    for c, xs in [
        (from_chapter(lr, m), run_chapter(lr, m, H, x0, 30)),
        (from_keras(lr, m), run_keras(lr, m, H, x0, 30)),
        (from_d2l(lr, m), run_torch_style(lr, m, 0.0, False, H, x0, 30)),
    ]:
        assert (c.alpha, c.beta) == (lr, m)
        np.testing.assert_allclose(xs, ref, rtol=1e-9, atol=1e-12)
    c = from_ema(lr, m)
    np.testing.assert_allclose(run_ema(lr, m, H, x0, 30), canonical_run("heavy_ball", c.alpha, c.beta, H, x0, 30),
                               rtol=1e-9, atol=1e-12)


def test_lr_inside_and_outside_the_buffer_differ_under_a_schedule() -> None:
    # The chapter keeps lr inside v; torch multiplies the buffer by the current lr. Equal at a
    # constant lr (tested above), different as soon as lr changes.
    rng = np.random.default_rng(4)
    H, x0 = quadratic(rng), rng.standard_normal(4)
    lrs = [0.2] * 5 + [0.05] * 10
    a = run_chapter(0.2, 0.9, H, x0, 15, lrs)
    b = run_torch_style(0.2, 0.9, 0.0, False, H, x0, 15, lrs)
    np.testing.assert_allclose(a[:6], b[:6], rtol=1e-12)
    assert np.max(np.abs(a[6:] - b[6:])) > 1e-3


def test_to_torch_roundtrip() -> None:
    for c in (from_torch(0.1, 0.9), from_torch(0.05, 0.5, nesterov=True)):
        kw = c.to_torch()
        assert from_torch(**kw) == c


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: from_torch(0.0, 0.9), "`lr` must be in"),
        (lambda: from_torch(-1.0, 0.9), "`lr` must be in"),
        (lambda: from_torch(0.1, 1.0), r"`momentum` must be in \[0.0, 1.0\)"),
        (lambda: from_torch(0.1, -0.1), "`momentum`"),
        (lambda: from_torch(0.1, 0.9, dampening=1.0), "`dampening`"),
        (lambda: from_torch(0.1, 0.0, nesterov=True), "nesterov"),
        (lambda: from_torch(0.1, 0.9, dampening=0.1, nesterov=True), "nesterov"),
        (lambda: from_torch(float("nan"), 0.9), "`lr` must be finite"),
        (lambda: from_chapter(0.1, float("inf")), "`gamma` must be finite"),
        (lambda: from_keras(0.1, 1.5), "`momentum`"),
        (lambda: from_d2l(-0.1, 0.5), "`eta`"),
        (lambda: from_ema(0.1, 1.0), "`beta`"),
    ],
)
def test_convention_bad_input(call, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        call()


def test_convention_type_errors() -> None:
    with pytest.raises(TypeError, match="`lr`"):
        from_torch("0.1", 0.9)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`lr` must be a single real number"):
        from_torch([0.1, 0.2], 0.9)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`nesterov`"):
        from_torch(0.1, 0.9, nesterov=1)  # type: ignore[arg-type]
