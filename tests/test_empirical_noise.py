"""Momentum amplifies gradient noise by about 1/(1 - beta): measured variance vs stationary_variance."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hbtheory import stationary_variance  # noqa: E402
from hbtheory.empirical import noise_variance  # noqa: E402


def test_measured_stationary_variance_within_five_standard_errors() -> None:
    run = noise_variance(alpha=0.1, betas=[0.0, 0.5, 0.8, 0.9], h=1.0, sigma=0.5, replicas=4096, seed=3)
    assert run.agrees, run.z_scores
    np.testing.assert_array_equal(run.predicted, stationary_variance(0.1, run.betas, 1.0, 0.5))
    # the standard error is small enough for the test to mean something: 1% of the value or less
    assert np.all(run.standard_error < 0.01 * run.predicted)


def test_amplification_is_about_one_over_one_minus_beta() -> None:
    run = noise_variance(alpha=0.01, betas=[0.0, 0.5, 0.9], h=1.0, replicas=2048, seed=1)
    assert run.agrees
    # at a small step the exact amplification is within a few percent of 1/(1 - beta)
    np.testing.assert_allclose(run.predicted_amplification, run.one_over_one_minus_beta, rtol=0.05)
    np.testing.assert_allclose(run.measured_amplification, run.one_over_one_minus_beta, rtol=0.1)
    assert np.all(np.diff(run.measured) > 0)


def test_seeded_and_reproducible() -> None:
    a = noise_variance(betas=[0.5], replicas=64, window=50, seed=7)
    b = noise_variance(betas=[0.5], replicas=64, window=50, seed=7)
    assert a == b


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="converge"):
        noise_variance(alpha=3.0, betas=[0.0])
    with pytest.raises(ValueError, match="betas"):
        noise_variance(betas=[1.0])
    with pytest.raises(ValueError, match="replicas"):
        noise_variance(replicas=1)
    with pytest.raises(ValueError, match="sigma"):
        noise_variance(sigma=0.0)


def test_samples_count_what_the_measurement_rests_on() -> None:
    # Every replica counts in an ordinary run; when x_t^2 leaves float64 (sigma = 1e160) no
    # replica is a usable sample, the check has nothing to rest on and does not agree.
    ok = noise_variance(betas=[0.0, 0.5], replicas=64, window=50, seed=2)
    assert ok.samples.tolist() == [64, 64]
    huge = noise_variance(betas=[0.5], sigma=1e160, replicas=64, window=50, seed=2)
    assert huge.samples.tolist() == [0] and not huge.agrees
    assert np.isnan(huge.measured[0]) and stationary_variance(0.1, 0.5, 1.0, 1e160) == huge.predicted[0]
