"""Two-dimensional runs: the notes' printed results reproduced by torch.optim.SGD, the chapter's comparison."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hbtheory import optimal_parameters  # noqa: E402
from hbtheory.empirical import chapter_2d, notes_2d, run_2d  # noqa: E402

# Printed by d2l's train_2d in the notes (../shared/seeds/002_8da0b7185658d2c1.txt, the d2l.ai
# "Momentum" section): f = 0.1 x1^2 + 2 x2^2 from (-5, -2), 20 steps. External reference values.
NOTES = [
    (0.4, 0.0, "epoch 20, x1: -0.943467, x2: -0.000073"),
    (0.6, 0.0, "epoch 20, x1: -0.387814, x2: -1673.365109"),
    (0.6, 0.5, "epoch 20, x1: 0.007188, x2: 0.002553"),
    (0.6, 0.25, "epoch 20, x1: -0.126340, x2: -0.186632"),
]


@pytest.mark.parametrize(("eta", "beta", "printed"), NOTES)
def test_notes_printed_results_to_every_digit(eta: float, beta: float, printed: str) -> None:
    run = notes_2d(eta, beta)
    assert run.d2l_line() == printed
    assert run.trajectory.shape == (21, 2)


def test_notes_divergence_is_the_predicted_one() -> None:
    # eta = 0.6 on curvature 4: |1 - 2.4| = 1.4 > 1 in x2, while momentum 0.5 converges
    assert notes_2d(0.6).predicted_rate == pytest.approx(1.4)
    assert notes_2d(0.6, 0.5).predicted_rate < 1.0


def test_chapter_comparison_momentum_wins_from_both_starts() -> None:
    res = chapter_2d()
    opt = optimal_parameters(mu=2.0, L=20.0)
    assert (res.hb_alpha, res.hb_beta) == (opt.alpha, opt.beta)
    assert res.gd_alpha == pytest.approx(1.0 / 11.0)
    for gd, hb, start in zip(res.gradient_descent, res.momentum, ([10.0, 1.0], [-10.0, -1.0]), strict=True):
        np.testing.assert_array_equal(gd.start, start)
        assert gd.trajectory.shape == (16, 2)
        assert np.linalg.norm(hb.final) < 0.05 * np.linalg.norm(gd.final)
        # measured contraction over the run vs the predicted rate (transient factor allowed)
        ratio = np.linalg.norm(hb.final) / np.linalg.norm(hb.start)
        assert ratio < 10 * hb.predicted_rate**15
    # the two starts are mirror images: the runs are too
    np.testing.assert_allclose(res.momentum[0].trajectory, -res.momentum[1].trajectory, rtol=0, atol=0)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="coefficients"):
        run_2d([1.0, 2.0, 3.0], [1.0, 1.0], lr=0.1, steps=3)
    with pytest.raises(ValueError, match="coefficients"):
        run_2d([-1.0, 2.0], [1.0, 1.0], lr=0.1, steps=3)
