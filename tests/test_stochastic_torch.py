"""torch.optim.SGD on sampled minibatches against hbtheory.stochastic (small runs; tolerances in standard errors).

Every check is |measured - predicted| <= 5 standard errors over independent replicas (a false alarm
about once in 2e6 runs; the runs are seeded, so the outcome is reproducible), and each test also shows
the measurement has the power to reject a wrong model.
"""

from __future__ import annotations

import numpy as np
import pytest

from hbtheory import spectral, stochastic

pytest.importorskip("torch")

from hbtheory.empirical import stochastic as es


@pytest.fixture(scope="module")
def stationary() -> es.MinibatchStationary:
    # issue 13's reference points: h = s^2 = 1, Gaussian features; (0.1, 0) -> 1/17, (0.2, 0.5) -> 3/8
    return es.minibatch_stationary(replicas=256, window=200, seed=3)


def test_stationary_reference_points(stationary: es.MinibatchStationary) -> None:
    np.testing.assert_allclose(stationary.predicted[:, 0], [1 / 17, 3 / 8], rtol=1e-13)
    assert stationary.agrees, stationary.z_scores
    # power: the additive-noise model (gradient noise h s^2, no multiplicative part) is rejected
    additive = np.array([spectral.stationary_variance(a, b, 1.0, 1.0) for a, b in ((0.1, 0.0), (0.2, 0.5))])
    z_wrong = (stationary.measured[:, 0] - additive) / stationary.standard_error[:, 0]
    assert np.all(z_wrong > 5), z_wrong


def test_curve_and_rate_gaussian_rotated() -> None:
    # d = 8 rotated Gaussian features: the directions couple through tr(H Y) H
    hs = np.linspace(1.0, 0.5, 8)
    n = 40
    run = es.minibatch_curve(alpha=0.05, beta=[0.0, 0.5], spectrum=hs, steps=n, replicas=2048, seed=1)
    assert run.agrees and run.reliable, (run.risk_z, run.max_share)
    assert np.all(np.abs(run.rate - run.predicted_window_rate) <= 5 * run.rate_standard_error)
    # power: each direction alone with v = 2 h_i^2 (no coupling) predicts other window rates, > 5 SE away
    for i, beta in enumerate((0.0, 0.5)):
        alone = np.stack([stochastic.second_moment_curve(0.05, beta, h, n, curvature_variance=2 * h * h) for h in hs])
        risk = 0.5 * (hs[:, None] * alone).sum(axis=0)
        w = run.window
        alone_rate = (risk[-1] / risk[-1 - w]) ** (1 / w)
        assert abs(run.rate[i] - alone_rate) > 5 * run.rate_standard_error[i], (run.rate[i], alone_rate)


def test_nesterov_parameter_is_the_gradient_point() -> None:
    run = es.minibatch_curve(alpha=0.15, beta=0.6, spectrum=[1.0, 0.3], steps=30, replicas=4096, nesterov=True,
                             batch_size=4, seed=2)
    assert run.agrees and run.reliable, (run.risk_z, run.max_share)
    x_only = es.minibatch_curve(alpha=0.15, beta=0.6, spectrum=[1.0, 0.3], steps=2, replicas=32, batch_size=4, seed=2)
    assert not np.allclose(run.predicted[0, 1:3], x_only.predicted[0, 1:3])  # E y^2 differs from E x^2


def test_kidambi_gap() -> None:
    gap = es.kidambi_gap()
    assert gap.run.agrees and gap.run.reliable, (gap.run.risk_z, gap.run.max_share)
    assert abs(gap.measured_speedup - gap.predicted_window_speedup) <= 5 * gap.speedup_standard_error
    assert gap.measured_speedup + 5 * gap.speedup_standard_error < 2.0     # momentum buys < 2x here ...
    assert gap.deterministic_speedup > 4.9                                  # ... against ~sqrt(25) = 5 exactly
    assert gap.polyak_rate > 1.0                                            # Polyak's tuning diverges in mean square


def test_heavy_tails_are_flagged() -> None:
    gap = es.kidambi_gap(steps=60, replicas=1024)
    assert not gap.run.reliable and gap.run.max_share[0] > 0.1


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="replicas"):
        es.minibatch_curve(replicas=100, groups=16)
    with pytest.raises(ValueError, match="features"):
        es.minibatch_curve(features="uniform")
    with pytest.raises(ValueError, match="nesterov"):
        es.minibatch_curve(beta=[0.0, 0.5], nesterov=True)
    with pytest.raises(ValueError, match="mean-square stable"):
        es.minibatch_stationary(alpha=0.5, beta=0.5)
    with pytest.raises(ValueError, match="noise_variance"):
        es.minibatch_stationary(noise_variance=0.0)


def test_benchmark_quick(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import stochastic_mc

    assert stochastic_mc.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "RESULT: batched Monte Carlo vs loop: PASS" in out and "within 5 SE" in out
