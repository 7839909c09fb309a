"""The mean-square figures: they draw the data they are given (boundaries, bands), refuse other input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hbtheory import _plots_stochastic as P
from hbtheory import stochastic


def _gids(fig: object) -> set[str]:
    return {a.get_gid() for ax in fig.axes for a in ax.get_children() if a.get_gid()}  # type: ignore[attr-defined]


def test_region_plot_draws_both_boundaries(tmp_path: Path) -> None:
    data = stochastic.mean_square_map(np.linspace(0.02, 4.0, 40), np.linspace(0.0, 0.95, 30))
    fig = P.mean_square_region_plot(data, title="")
    assert {P.GID_MS_BOUNDARY, P.GID_DET_BOUNDARY} <= _gids(fig)
    # the mean-square boundary (solid, right panel) sits at alpha h = 2 (1 - b^2)/(3 + b): read it back
    right = fig.axes[1]
    solid = next(c for c in right.get_children() if c.get_gid() == P.GID_MS_BOUNDARY)
    verts = np.concatenate([p.vertices for p in solid.get_paths()])
    expected = 2 * (1 - verts[:, 1] ** 2) / (3 + verts[:, 1])
    assert np.max(np.abs(verts[:, 0] - expected)) < 0.11   # grid spacing in alpha h is 0.1
    fig.savefig(tmp_path / "region.png")
    assert (tmp_path / "region.png").stat().st_size > 1000


def _tuning(batch: int, speedup: float) -> stochastic.MeanSquareTuning:
    # the figure draws data: a hand-made tuning is enough (the tuning itself is tested elsewhere)
    return stochastic.MeanSquareTuning(
        method="heavy_ball", features="axis", spectrum=np.array([1.0, 0.04]), batch_size=batch, alpha=0.5,
        beta=0.5, rate=0.9, sgd_alpha=1.0, sgd_rate=0.95, speedup=speedup, deterministic_speedup=5.0)


def test_batch_size_plot() -> None:
    ts = [_tuning(4, 2.5), _tuning(1, 1.5)]
    fig = P.batch_size_plot(ts)
    line = fig.axes[0].get_lines()[0]
    assert list(line.get_xdata()) == [1.0, 4.0]                       # sorted by batch size
    assert list(line.get_ydata()) == [1.5, 2.5]
    assert any(list(ln.get_ydata()) == [5.0, 5.0] for ln in fig.axes[0].get_lines())  # the exact-gradient line


def test_second_moment_plot_band() -> None:
    pytest.importorskip("torch")
    from hbtheory.empirical import minibatch_curve

    fig = P.second_moment_plot(minibatch_curve(steps=5, replicas=32, groups=2))
    assert P.GID_BAND in _gids(fig)


def test_plots_refuse_other_data() -> None:
    with pytest.raises(TypeError, match="MeanSquareMap"):
        P.mean_square_region_plot(np.zeros((3, 3)))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tunings"):
        P.batch_size_plot([])
    with pytest.raises(TypeError, match="MinibatchCurve"):
        P.second_moment_plot(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="title"):
        P.mean_square_region_plot(stochastic.mean_square_map([0.5], [0.5]), title=3)  # type: ignore[arg-type]
