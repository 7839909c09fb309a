"""What torch.optim.SGD runs, measured: the chapter's step, dampening's first step, Nesterov."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hbtheory import from_chapter, from_torch, spectral_radius  # noqa: E402
from hbtheory.empirical import (  # noqa: E402
    chapter_vs_torch,
    dampening_first_step,
    nesterov_vs_matrix,
    step_schedule,
)
from hbtheory.empirical.conventions import qhm_vs_canonical  # noqa: E402
from hbtheory.methods import from_qhm  # noqa: E402


def test_constant_lr_torch_and_chapter_are_one_method_rounded_two_ways() -> None:
    assert from_torch(0.05, 0.9).to_torch() == from_chapter(0.05, 0.9).to_torch()
    run = chapter_vs_torch(lr=0.05, momentum=0.9, steps=200, eigenvalues=[1.0, 5.0, 10.0])
    assert run.max_difference_ulps < 64  # rounding, not a different method
    assert run.max_difference < 1e-13
    np.testing.assert_array_equal(run.learning_rates, np.full(200, 0.05))


def test_under_a_schedule_they_differ_and_the_difference_starts_at_the_drop() -> None:
    drop = 30
    run = chapter_vs_torch(lr=0.05, momentum=0.9, steps=120, schedule=step_schedule(drop, 0.1))
    diff = np.linalg.norm(run.torch_trajectory - run.chapter_trajectory, axis=1)
    assert diff[: drop + 1].max() < 1e-14  # identical until the first step at the new rate
    assert run.max_difference > 1e-2  # then a different method
    # PyTorch rescales the whole accumulated buffer at once; the chapter keeps the old steps at the
    # old rate, so right after the drop its step is larger by the surviving old part of the velocity
    step_t = run.torch_trajectory[drop + 1] - run.torch_trajectory[drop]
    step_c = run.chapter_trajectory[drop + 1] - run.chapter_trajectory[drop]
    assert np.linalg.norm(step_c) > 3 * np.linalg.norm(step_t)
    assert run.learning_rates[drop - 1] == 0.05 and run.learning_rates[drop] == pytest.approx(0.005)


@pytest.mark.parametrize("dampening", [0.1, 0.5, 0.9])
def test_dampening_first_step_is_undamped(dampening: float) -> None:
    run = dampening_first_step(lr=0.1, momentum=0.8, dampening=dampening, h=2.0)
    assert run.first_step_ratio == pytest.approx(1.0 / (1.0 - dampening), rel=1e-12)
    assert run.max_relative_difference_after_first < 1e-11
    assert run.alpha == pytest.approx(0.1 * (1.0 - dampening))
    assert abs(run.measured_rate - run.predicted_rate) < 1e-9 * run.predicted_rate
    assert not from_torch(0.1, 0.8, dampening).exact


@pytest.mark.parametrize(("lr", "momentum", "h"), [(0.1, 0.9, 2.0), (0.5, 0.5, 1.0), (0.02, 0.95, 30.0)])
def test_nesterov_flag_is_the_nesterov_iteration_matrix(lr: float, momentum: float, h: float) -> None:
    run = nesterov_vs_matrix(lr=lr, momentum=momentum, h=h)
    assert run.max_relative_difference < 1e-11  # every step, including the first
    assert abs(run.measured_rate - run.predicted_rate) < 1e-9
    assert run.predicted_rate != pytest.approx(run.heavy_ball_rate)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="nesterov"):
        nesterov_vs_matrix(lr=0.1, momentum=0.0)
    with pytest.raises(ValueError, match="dampening"):
        dampening_first_step(lr=0.1, momentum=0.9, dampening=1.0)
    with pytest.raises(TypeError, match="schedule"):
        chapter_vs_torch(lr=0.1, momentum=0.9, schedule=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="factor"):
        step_schedule(3, 0.0)


# ------------------------------------------------------------------------------------------------
# Quasi-hyperbolic momentum (from_qhm), measured like the other convention maps
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lr", "momentum", "nu", "method"),
    [
        (0.5, 0.9, 1.0, "heavy_ball"),  # nu = 1: the EMA form
        (0.05, 0.99, 1.0, "heavy_ball"),
        (0.5, 0.9, 0.0, "gradient_descent"),  # nu = 0: plain SGD, whatever the buffer holds
        (0.3, 0.0, 0.3, "gradient_descent"),  # momentum = 0: the buffer is the gradient
    ],
)
def test_qhm_equals_its_canonical_method_where_the_map_is_exact(
    lr: float, momentum: float, nu: float, method: str
) -> None:
    run = qhm_vs_canonical(lr=lr, momentum=momentum, nu=nu, steps=300)
    assert run.exact and run.method == method
    # one method rounded two ways: QHM's buffer form and Method.step differ by rounding only
    # (measured: <= 18 ulps of the largest iterate for heavy ball, 0 for nu = 0)
    assert run.max_difference_ulps < 64
    if nu == 0.0:  # theta - lr (1 * g + 0 * buf) is x - lr g to the bit
        np.testing.assert_array_equal(run.qhm_trajectory, run.canonical_trajectory)
    np.testing.assert_allclose(run.measured_rates, run.predicted_rates, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize(("lr", "momentum", "nu"), [(0.5, 0.9, 0.7), (0.3, 0.5, 0.5), (0.1, 0.99, 0.3)])
def test_qhm_is_the_general_method_from_its_second_step_on(lr: float, momentum: float, nu: float) -> None:
    run = qhm_vs_canonical(lr=lr, momentum=momentum, nu=nu, steps=300)
    c = from_qhm(lr, momentum, nu)
    assert not run.exact and run.method == c.method and c.method.startswith("general(")
    # not an identity of iterates: the first step is (1 - nu momentum)/(1 - momentum) times longer ...
    assert run.first_step_ratio == pytest.approx(run.expected_first_step_ratio, rel=1e-12)
    assert run.expected_first_step_ratio > 1.0 and run.max_difference_ulps > 1e6
    # ... but the recurrence from (theta_1, theta_0) on is the general method's, to rounding
    assert run.max_difference_after_first_ulps < 64
    # and so is the rate, which is not heavy ball's at the same (alpha, beta)
    np.testing.assert_allclose(run.measured_rates, run.predicted_rates, rtol=1e-9)
    hb_rates = spectral_radius(c.alpha, c.beta, run.eigenvalues)
    assert np.max(np.abs(run.measured_rates - hb_rates)) > 1e-3
