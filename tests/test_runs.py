"""Runs by ``Method.step`` for every member of the family (``hbtheory.runs``).

On a quadratic with curvature h every method is the linear recurrence of its iteration matrix
A(h) = ((c1, -c0), (1, 0)) on the state (x_t, x_{t-1}); so ``iterate`` (which only calls
``Method.step``) must reproduce the matrix powers: exactly in rational arithmetic (through the
Cayley-Hamilton recurrence A^t = p_t A - c0 p_{t-1} I, p_{t+1} = c1 p_t - c0 p_{t-1}) and to
rounding in float64 (against ``hbtheory.iteration_matrix`` and ``numpy.linalg.matrix_power``).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from hbtheory.cycles import find_cycle
from hbtheory.lrp import LRP_CYCLE, LRP_L, LRP_MU, LRP_PROVEN_CYCLE, lrp_gradient
from hbtheory.methods import (
    GRADIENT_DESCENT,
    HEAVY_BALL,
    NESTEROV,
    TRIPLE_MOMENTUM,
    ClosedForm,
    Method,
    general,
    get_method,
)
from hbtheory.runs import iterate, iterate_torch, run_outcome, torch_arguments
from hbtheory.spectral import iteration_matrix

EPS = float(np.finfo(np.float64).eps)


def _tm(mu: float, L: float) -> ClosedForm:
    """Triple Momentum's design on [mu, L] (Van Scoy, Freeman & Lynch 2018)."""
    form = TRIPLE_MOMENTUM.closed_form
    assert form is not None
    return form(mu, L)


#: Every member, each at parameters where its iteration is stable on [0.1, 1] (alpha, beta).
MEMBERS: dict[str, tuple[Method, float, float]] = {
    "heavy_ball": (HEAVY_BALL, 0.7, 0.5),
    "nesterov": (NESTEROV, 0.9, 0.4),
    "gradient_descent": (GRADIENT_DESCENT, 1.2, 0.0),
    "triple_momentum": (TRIPLE_MOMENTUM, _tm(0.1, 1.0).alpha, _tm(0.1, 1.0).beta),
    "general(0.3)": (general(0.3), 0.8, 0.45),
    "general(-0.4)": (general(-0.4), 0.5, 0.3),
}


def _exact_state(m: Method, alpha: Fraction, beta: Fraction, h: Fraction, t: int,
                 x0: Fraction, xm1: Fraction) -> Fraction:
    """x_t from the Cayley-Hamilton recurrence of A(h) (no Method.step involved)."""
    c1, c0 = m.c1(alpha, beta, h), m.c0(alpha, beta, h)
    p_prev, p = Fraction(0), Fraction(1)  # p_0, p_1
    for _ in range(t - 1):
        p_prev, p = p, c1 * p - c0 * p_prev
    # A^t = p_t A - c0 p_{t-1} I, first row applied to (x0, x_{-1}).
    x_t: Fraction = (p * c1 - c0 * p_prev) * x0 + (p * -c0) * xm1
    return x_t


@pytest.mark.parametrize("name", list(MEMBERS))
def test_step_is_the_iteration_matrix_exactly(name: str) -> None:
    m, a_f, b_f = MEMBERS[name]
    a, b = Fraction(a_f), Fraction(b_f)  # the float64 parameters, exactly
    for h in (Fraction(1, 10), Fraction(1, 2), Fraction(1)):
        x, xp = Fraction(3), Fraction(-2)
        for t in range(1, 13):
            x, xp = m.step(lambda y, h=h: h * y, x, xp, a, b)  # type: ignore[misc]
            assert x == _exact_state(m, a, b, h, t, Fraction(3), Fraction(-2)), (name, h, t)


@pytest.mark.parametrize("name", list(MEMBERS))
def test_iterate_equals_matrix_powers_in_float64(name: str) -> None:
    m, a, b = MEMBERS[name]
    h = np.array([0.1, 0.37, 1.0])  # a diagonal quadratic, one coordinate per curvature
    x0, xm1 = np.array([1.0, -2.0, 0.5]), np.array([0.5, 1.0, 0.25])
    steps = 40
    xs = iterate(x0, a, b, steps, method=m, gradient=lambda y: h * y, x_prev=xm1)
    mats = np.asarray(iteration_matrix(a, b, h, method=m))
    for t in (1, 2, 7, steps):
        expect = np.array([(np.linalg.matrix_power(mats[i], t) @ [x0[i], xm1[i]])[0] for i in range(3)])
        # Both sides round about 2 t times per step on numbers of size <= |state| (the methods are
        # stable here, so nothing grows): a few ulps per step of the state's size.
        np.testing.assert_allclose(xs[t], expect, rtol=0, atol=8 * t * EPS * 2.0)


@pytest.mark.parametrize("name", list(MEMBERS))
def test_runs_from_the_unit_states_give_power_norm(name: str) -> None:
    # From (x_0, x_{-1}) = (1, 0) and (0, 1) the run's (x_t, x_{t-1}) are the columns of A^t, so
    # ||A^t||_2 assembled from two runs of Method.step equals hbtheory.power_norm (which computes
    # the powers by its own exact path).
    from hbtheory import power_norm

    m, a, b = MEMBERS[name]
    for h in (0.1, 0.6, 1.0):
        xs = iterate(np.array([1.0, 0.0]), a, b, 30, method=m, gradient=lambda y, h=h: h * y,  # type: ignore[misc]
                     x_prev=np.array([0.0, 1.0]))
        for t in (1, 5, 30):
            at = np.array([xs[t], xs[t - 1]])
            expect = float(power_norm(a, b, h, t, method=m))
            # a few roundings per step on a stable recurrence, and the norm's own: 64 t eps
            assert np.linalg.norm(at, 2) == pytest.approx(expect, rel=64 * t * EPS, abs=64 * t * EPS)


@pytest.mark.parametrize("name", list(MEMBERS))
def test_quadratic_convergence_matches_the_spectral_radius(name: str) -> None:
    # A run on f = h x^2 / 2 contracts like rho(A(h))^t: the measured rate over the tail agrees.
    from hbtheory.spectral import spectral_radius

    m, a, b = MEMBERS[name]
    h = 0.37
    rho = float(spectral_radius(a, b, h, method=m))
    xs = iterate(1.0, a, b, 200, method=m, gradient=lambda y: h * y)
    z = np.abs(xs[100:])
    measured = (max(z[-20:].max(), 1e-300) / z[:20].max()) ** (1 / 80)
    assert measured == pytest.approx(rho, rel=0.05)


def test_lrp_run_of_heavy_ball_finds_its_proven_cycle() -> None:
    p = LRP_PROVEN_CYCLE
    xs = iterate(3.3, float(p.alpha), float(p.beta), 2000, method=p.method)
    cyc = find_cycle(xs)
    assert (cyc.status, cyc.period) == ("cycling", p.period)
    assert np.max(np.abs(cyc.points - p.float_points())) < 1e-9
    assert 0 < cyc.onset < 200 and cyc.residual <= cyc.tolerance
    np.testing.assert_allclose(xs[-3:], xs[-6:-3], atol=1e-12)  # the states repeat too


@pytest.mark.parametrize("x0", [3.2, 3.3, 3.4, -3.3, 1.0, 5.5])
def test_cycle_from_a_range_of_starts(x0: float) -> None:
    cyc = find_cycle(iterate(x0, 1 / 9, 4 / 9, 2000))
    assert cyc.period == 3
    np.testing.assert_allclose(cyc.points, [float(q) for q in LRP_CYCLE], atol=1e-9)


def test_some_starts_converge_instead() -> None:
    cyc = find_cycle(iterate(3.0, 1 / 9, 4 / 9, 2000))
    assert (cyc.status, cyc.period) == ("converged", 1)
    assert abs(cyc.points[0]) < 1e-9  # the minimiser


def test_triple_momentum_converges_on_the_lrp_function_at_its_rate() -> None:
    # Van Scoy, Freeman & Lynch (2018): at its design, Triple Momentum's output converges like
    # (1 - 1/sqrt(kappa))^t on every mu-strongly convex L-smooth function, the LRP one included,
    # from every start (kappa = 25: rate 0.8).
    cf = _tm(LRP_MU, LRP_L)
    starts = np.linspace(-10.0, 10.0, 41)
    xs = iterate(starts, cf.alpha, cf.beta, 150, method=TRIPLE_MOMENTUM)
    z = np.abs(TRIPLE_MOMENTUM.output(xs[1:], xs[:-1], cf.beta)).max(axis=1)
    rho = 1.0 - 1.0 / math.sqrt(LRP_L / LRP_MU)
    t = np.arange(1, 151)
    assert np.all(z[t >= 50] <= 1e3 * np.max(np.abs(starts)) * rho ** t[t >= 50])  # C rho^t with a modest C
    assert z[-1] < 1e-12
    o = run_outcome(TRIPLE_MOMENTUM, cf.alpha, cf.beta, 3.3)
    assert o.status == "converged" and o.distance < 1e-12


def test_output_distance_is_the_methods_output() -> None:
    # After 3 steps on f = x^2 / 2 Triple Momentum's output z_3 = x_3 + delta (x_3 - x_2) differs
    # from x_3; the outcome reports |z_T - x*|.
    cf = _tm(0.1, 1.0)
    xs = iterate(1.0, cf.alpha, cf.beta, 3, method=TRIPLE_MOMENTUM, gradient=lambda y: y)
    o = run_outcome(TRIPLE_MOMENTUM, cf.alpha, cf.beta, 1.0, steps=3, gradient=lambda y: y)
    z = float(TRIPLE_MOMENTUM.output(xs[-1], xs[-2], cf.beta))
    assert o.distance == abs(z) and abs(z) != abs(xs[-1])


def test_diverging_run_reports_instead_of_overflowing() -> None:
    o = run_outcome("heavy_ball", 0.2, 0.9, 3.3)  # alpha L = 5 > 2 (1 + beta)
    assert o.status == "diverging" and o.cycle.last > 1e12
    xs = iterate(3.3, 0.2, 0.9, 10_000)
    assert xs.shape[0] < 10_001 and np.all(np.isfinite(xs))
    o = run_outcome("heavy_ball", 1.0, 0.5, 10.0, gradient=lambda x: x**5, steps=100)
    assert o.status == "diverging" and o.distance > 1e12  # stopped once past diverge_at, not overflowed


def test_nesterov_and_gd_on_a_generic_gradient() -> None:
    grad = np.tanh  # convex, 1-smooth, not strongly convex away from 0
    assert run_outcome("gradient_descent", 1.0, 0.0, 2.0, gradient=grad, steps=3000).status == "converged"
    assert run_outcome("nesterov", 0.5, 0.5, 2.0, gradient=grad, steps=3000).status == "converged"


def test_torch_sgd_runs_the_same_iterates() -> None:
    pytest.importorskip("torch", reason="PyTorch is optional (pip install 'hbtheory[torch]')")
    ours = iterate(3.3, 1 / 9, 4 / 9, 300)
    np.testing.assert_allclose(iterate_torch(3.3, 1 / 9, 4 / 9, 300), ours, rtol=0, atol=1e-12)
    o = run_outcome("heavy_ball", 1 / 9, 4 / 9, 3.3, steps=500, backend="torch")
    assert (o.status, o.cycle.period, o.backend) == ("cycling", 3, "torch.optim.SGD")
    # A given x_{-1} enters through the seeded momentum buffer.
    np.testing.assert_allclose(
        iterate_torch(3.3, 1 / 9, 4 / 9, 50, x_prev=2.0), iterate(3.3, 1 / 9, 4 / 9, 50, x_prev=2.0), atol=1e-12
    )
    # Nesterov: torch's parameter is the look-ahead point y_t = Method.lookahead of our iterates.
    a, b = 4 / 76, 0.6267890062732585
    xs = iterate(3.3, a, b, 200, method=NESTEROV)
    ys = np.r_[xs[0], NESTEROV.lookahead(xs[1:], xs[:-1], b)]
    np.testing.assert_allclose(iterate_torch(3.3, a, b, 200, method=NESTEROV), ys, rtol=0, atol=1e-12)
    assert run_outcome(NESTEROV, a, b, 3.3, backend="torch").status == "converged"


def test_torch_arguments_come_from_the_method() -> None:
    assert torch_arguments(HEAVY_BALL, 0.1, 0.5)["nesterov"] is False
    assert torch_arguments("nesterov", 0.1, 0.5)["nesterov"] is True
    assert torch_arguments(GRADIENT_DESCENT, 0.1, 0.0)["momentum"] == 0.0
    with pytest.raises(ValueError, match=r"torch\.optim\.SGD"):
        torch_arguments(TRIPLE_MOMENTUM, 0.1, 0.5)
    with pytest.raises(ValueError, match=r"torch\.optim\.SGD"):
        run_outcome(general(0.3), 0.1, 0.5, 1.0, backend="torch")


def test_bad_input_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="`alpha`"):
        iterate(1.0, -0.1, 0.5, 10)
    with pytest.raises(ValueError, match="`beta`"):
        iterate(1.0, 0.1, 1.5, 10)
    with pytest.raises(ValueError, match="`beta` must be 0"):
        iterate(1.0, 0.1, 0.5, 10, method="gradient_descent")
    with pytest.raises(ValueError, match="`steps`"):
        iterate(1.0, 0.1, 0.5, 0)
    with pytest.raises(ValueError, match="`x_prev`"):
        iterate(1.0, 0.1, 0.5, 10, x_prev=[1.0, 2.0])
    with pytest.raises(TypeError, match="`gradient`"):
        iterate(1.0, 0.1, 0.5, 10, gradient=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method"):
        iterate(1.0, 0.1, 0.5, 10, method="adam")
    polynomial_only = Method("my_hb", "mine", c1=HEAVY_BALL.c1, c0=HEAVY_BALL.c0)
    with pytest.raises(ValueError, match=r"`method`.*no step rule"):
        iterate(1.0, 0.1, 0.5, 10, method=polynomial_only)
    with pytest.raises(ValueError, match="`backend`"):
        run_outcome("heavy_ball", 0.1, 0.5, 1.0, backend="jax")
    with pytest.raises(ValueError, match="`gradient`"):
        run_outcome("heavy_ball", 0.1, 0.5, 1.0, backend="torch", gradient=lrp_gradient)
    with pytest.raises(ValueError, match="`x_prev`"):
        iterate_torch(1.0, 0.1, 0.5, 10, method="nesterov", x_prev=2.0)
    with pytest.raises(ValueError, match="`dtype`"):
        iterate_torch(1.0, 0.1, 0.5, 10, dtype="float16")
    assert get_method("heavy_ball") is HEAVY_BALL


def test_a_far_start_is_not_diverging_for_being_far() -> None:
    # Before: the bound was 1e12 whatever the start, so from x0 = -1e15 the run stopped after one
    # step and find_cycle raised "at least 3 iterates" (the CLI's `counterexample --x0 -1e15`
    # failed). Heavy ball at Polyak's tuning is linear with h = 25 for x < 1 (rate 2/3), so it
    # comes back and falls into the proven cycle.
    o = run_outcome("heavy_ball", 1 / 9, 4 / 9, -1e15, steps=2000)
    assert (o.status, o.cycle.period) == ("cycling", 3)
    assert np.max(np.abs(np.sort(o.cycle.points) - np.sort(LRP_PROVEN_CYCLE.float_points()))) < 1e-9
    # A run that really diverges is still reported so, even after a single step.
    assert run_outcome("heavy_ball", 1.0, 0.5, 3.3, steps=1, gradient=lambda y: 1e13 * y).status == "diverging"
    assert find_cycle([1.0, 1e13], diverge_at=1e12).status == "diverging"
