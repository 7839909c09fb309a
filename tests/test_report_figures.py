"""The report's stochastic and model-tuning figures: drawn from computed data, captions that are true."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from hbtheory import _report_figures, stochastic
from hbtheory._report_html import SECTIONS


@pytest.fixture(scope="module")
def data() -> tuple[Any, list[Any]]:
    return _report_figures.stochastic_data(24)


@pytest.fixture(scope="module")
def specs(data: tuple[Any, list[Any]]) -> dict[str, _report_figures.FigureSpec]:
    return {s.name: s for s in _report_figures._stochastic_specs(24, data)}


def test_the_stochastic_figures_have_a_section_and_draw(specs: dict[str, _report_figures.FigureSpec]) -> None:
    assert set(specs) == {"mean_square_region", "batch_size_speedup"}
    for spec in specs.values():
        assert spec.section in SECTIONS
        fig = spec.draw()
        assert fig.axes, spec.name
        # every axes drew data: images (the region map) or lines (the speed-up curve)
        assert all(ax.images or ax.lines or ax.collections for ax in fig.axes if ax.get_label() != "<colorbar>")


def test_the_region_caption_is_the_stability_edge() -> None:
    # The caption of mean_square_region states the edge alpha h < 2 (1 - beta^2) / (3 + beta) for heavy ball with
    # Gaussian features at batch size 1 (curvature variance 2 h^2); mean_square_stable decides it by Jury's
    # conditions, independently of that formula. 1e-9 relative either side is far above rounding (~1e-15).
    beta = np.linspace(0.0, 0.98, 50)
    edge = 2.0 * (1.0 - beta**2) / (3.0 + beta)
    inside = stochastic.mean_square_stable(edge * (1 - 1e-9), beta, 1.0, curvature_variance=2.0)
    outside = stochastic.mean_square_stable(edge * (1 + 1e-9), beta, 1.0, curvature_variance=2.0)
    assert inside.all() and not outside.any()


def test_the_batch_caption_holds(data: tuple[Any, list[Any]]) -> None:
    # "how many plain-SGD steps one heavy-ball step is worth ... almost nothing at batch size 1; it grows with the
    # batch", against the exact-gradient speed-up ~ sqrt(kappa) = 10
    tunings = data[1]
    assert [t.batch_size for t in tunings] == list(_report_figures.BATCH_SIZES)
    assert all(np.array_equal(t.spectrum, [1.0, 1.0 / _report_figures.KAPPA]) for t in tunings)
    speedups = [t.speedup for t in tunings]
    assert speedups[0] < 1.5
    assert all(a < b for a, b in itertools.pairwise(speedups))
    assert all(s < t.deterministic_speedup for s, t in zip(speedups, tunings, strict=True))
    assert abs(tunings[0].deterministic_speedup - 10.0) < 0.5


def test_the_model_figure_needs_the_tuning_run_and_quick_leaves_both_out(
        data: tuple[Any, list[Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_report_figures, "stochastic_data", lambda n: data)
    names = [s.name for s in _report_figures.figure_specs({}, quick=True)]
    assert "mean_square_region" not in names and "model_tuning" not in names
    full = [s.name for s in _report_figures.figure_specs({}, quick=False)]
    assert "mean_square_region" in full and "batch_size_speedup" in full
    assert "model_tuning" not in full  # no tuning run among the artefacts: no figure of it
