"""The chapter's network: momentum beats SGD, runs reproduce bit for bit, local rates match the theory."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hbtheory import optimal_parameters, spectral_radius  # noqa: E402
from hbtheory.empirical import LocalRate, NetworkRun, chapter_network, local_rate  # noqa: E402


@pytest.fixture(scope="module")
def relu_run() -> NetworkRun:
    return chapter_network()


@pytest.fixture(scope="module")
def tanh_run() -> NetworkRun:
    return chapter_network(activation="tanh")


@pytest.fixture(scope="module")
def tanh_local(tanh_run: NetworkRun) -> LocalRate:
    return local_rate(tanh_run)


def test_chapter_claim_momentum_ends_lower(relu_run: NetworkRun) -> None:
    assert relu_run.sgd_losses.shape == (12 * 32,)
    assert relu_run.momentum_epoch_losses.shape == (12,)
    assert relu_run.final_loss_momentum < relu_run.final_loss_sgd
    # and it is ahead at every epoch, not just at the end
    assert np.all(relu_run.momentum_epoch_losses < relu_run.sgd_epoch_losses)


def test_cpu_runs_are_bit_for_bit_reproducible(relu_run: NetworkRun) -> None:
    again = chapter_network()
    assert again == relu_run
    np.testing.assert_array_equal(again.momentum_losses, relu_run.momentum_losses)
    other_seed = chapter_network(seed=2, epochs=1)
    assert other_seed.sgd_losses[0] != relu_run.sgd_losses[0]


def test_global_rng_is_left_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    chapter_network(epochs=1)
    assert torch.equal(torch.rand(3), expected)


def test_local_rate_prediction_agrees_with_measurement(tanh_local: LocalRate) -> None:
    res = tanh_local
    assert res.gradient_norm < 1e-4 and res.lambda_max > 0
    assert res.lambda_min > -1e-4 * res.lambda_max  # a minimum (up to flat directions)
    np.testing.assert_array_equal(res.direction_predicted, spectral_radius(0.01, 0.8, res.stiff_eigenvalues))
    assert 0.9 < res.predicted_rate < 0.9999
    assert res.relative_error < 1e-5
    np.testing.assert_allclose(res.direction_measured, res.direction_predicted, rtol=1e-5)
    assert res.predicted_rate_full_spectrum > res.predicted_rate  # the flat directions are slower still


def test_optimal_parameters_of_the_local_spectrum_beat_the_grid(tanh_local: LocalRate) -> None:
    res = tanh_local
    opt = optimal_parameters(mu=res.mu_stiff, L=res.lambda_max)
    assert (res.optimal_alpha, res.optimal_beta) == (opt.alpha, opt.beta)
    assert res.grid_alpha[-1, 0] == opt.alpha and res.grid_beta[-1, 0] == opt.beta
    # measured on the grid: the optimum is the fastest, at the optimal rate (the fit is weaker
    # there, both spectrum ends being critically damped)
    best = tuple(int(i) for i in np.unravel_index(np.argmin(res.grid_measured), res.grid_measured.shape))
    assert best == (2, 0)
    assert res.grid_measured[-1, 0] == pytest.approx(res.optimal_rate, rel=5e-3)
    off = np.ones(res.grid_measured.shape, dtype=bool)
    off[-1, 0] = False
    np.testing.assert_allclose(res.grid_measured[off], res.grid_predicted[off], rtol=1e-3)
    assert res.pinned_kinks == 0


def test_relu_minimum_is_not_smooth(relu_run: NetworkRun) -> None:
    res = local_rate(relu_run, alpha_factors=[1.0], beta_fractions=[0.0])
    assert res.activation == "relu"
    assert res.pinned_kinks >= 1  # a kink sits on a data point: no Hessian there
    assert res.near_zero > 0  # dead units and rescaling symmetries


def test_result_json(tanh_local: LocalRate) -> None:
    d = tanh_local.as_dict()
    assert d["activation"] == "tanh" and len(d["eigenvalues"]) == 61
    assert "grid_measured" in tanh_local.to_json()


def test_bad_input(relu_run: NetworkRun) -> None:
    with pytest.raises(ValueError, match="activation"):
        chapter_network(activation="sigmoid", epochs=1)
    with pytest.raises(ValueError, match="kappa_max"):
        local_rate(relu_run, kappa_max=1.0)
    with pytest.raises(TypeError, match="run"):
        local_rate("run")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="beta_fractions"):
        local_rate(relu_run, beta_fractions=[1.0])
