"""The three-colour map's data (hbtheory.robust.robust_map_data) and its drawing."""

from __future__ import annotations

import numpy as np
import pytest

from hbtheory._robust_figure import draw_robust_map
from hbtheory.methods import HEAVY_BALL
from hbtheory.robust import certified_rate, cycle_margin, robust_map_data


@pytest.fixture(scope="module")
def rmap():
    return robust_map_data(0.04, 1.0, n=10)


def test_map_values_are_the_functions_values(rmap) -> None:
    i, j = 3, 6
    a, b = rmap.alpha[j], rmap.beta[i]
    assert rmap.rate[i, j] == pytest.approx(float(certified_rate(a, b, 0.04, 1.0)), abs=2e-9)
    k = rmap.cycle[i, j]
    margins = {K: float(cycle_margin(a, b, 0.04, 1.0, K)) for K in rmap.periods}
    expected = min((K for K, v in margins.items() if v >= 0), default=0)
    assert k == expected


def test_three_colours_partition_and_never_overlap(rmap) -> None:
    cert, cyc, unk = rmap.certified, rmap.cycle > 0, rmap.unknown
    assert cert.any() and cyc.any()
    assert not np.any(cert & cyc)
    assert np.all(cert | cyc | unk) and not np.any(unk & (cert | cyc))
    assert np.all(rmap.rate[cert] >= rmap.quadratic_rate[cert] * (1 - 1e-12))
    assert rmap.robust_optimum[2] == np.min(rmap.rate)


def test_polyak_is_in_the_cycle_region_at_kappa_25() -> None:
    cf = HEAVY_BALL.closed_form(0.04, 1.0)
    m = robust_map_data(0.04, 1.0, n=3, alpha_range=(cf.alpha * 0.999, cf.alpha * 1.001),
                        beta_range=(cf.beta * 0.999, cf.beta * 1.001), periods=(3,))
    assert m.cycle[1, 1] == 3 and not m.certified[1, 1]


def test_drawing(rmap) -> None:
    fig = draw_robust_map(rmap)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step size α" and len(ax.images) == 3
    with pytest.raises(TypeError, match="RobustMap"):
        draw_robust_map({"rate": 1})


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="mu"):
        robust_map_data(1.0, 1.0)
    with pytest.raises(ValueError, match="n"):
        robust_map_data(0.1, 1.0, n=1)
    with pytest.raises(ValueError, match="beta_range"):
        robust_map_data(0.1, 1.0, beta_range=(0.5, 1.5))
