"""The explorer's proven-cycles layer: the cells of ``robust_map_data``, and the verdict in a real browser.

The layer marks the cells of the page's robust grid (14 x 14 over each map's ranges) where a
period-K orbit on a regular K-gon exists for some f in F(mu, L), by the smallest K
(``hbtheory.robust.cycle_margin``, Goujaud, Taylor and Dieuleveut 2023). Checked here: the embedded
grid is ``robust_map_data``'s at the same cells for every method of the family, its K is the
smallest period with ``cycle_margin >= 0`` at the cell centre, a certified cell never cycles (the
page refuses to be built otherwise), and in Chromium the toggle shows the cells and the numbers
panel gives the verdict the map colours: "cycle of period K proven", "certified rate r", "unknown".
Heavy ball at Polyak's tuning for kappa = 100 (> ~18) sits in the 3-cycle region.
"""

from __future__ import annotations

import base64
import importlib.util
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hbtheory import explorer as ex
from hbtheory import robust
from hbtheory.methods import GRADIENT_DESCENT, HEAVY_BALL, NESTEROV, TRIPLE_MOMENTUM, general

pytestmark = pytest.mark.xdist_group("explore_cycles")  # one worker builds the shared pages once

ROOT = Path(__file__).resolve().parents[1]
KAPPA = 100.0
MU, L = 1.0 / KAPPA, 1.0
FAMILY = [HEAVY_BALL, NESTEROV, GRADIENT_DESCENT, TRIPLE_MOMENTUM]


def _cycles(entry: dict[str, Any], uses_beta: bool) -> np.ndarray:
    n = ex._CERT_N
    k = np.frombuffer(base64.b64decode(entry["cycles"]), dtype=np.uint8)
    return k.reshape(n if uses_beta else 1, n).astype(np.int64)


def _rates(entry: dict[str, Any], uses_beta: bool) -> np.ndarray:
    n = ex._CERT_N
    return np.frombuffer(base64.b64decode(entry["certified"]), dtype="<u2").reshape(n if uses_beta else 1, n)


@pytest.fixture(scope="module")
def cycles_page() -> ex.Explorer:
    """The default layers (cycles on, certified off) for the family but the general method, one kappa."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ex, "_family", lambda gammas: list(FAMILY))
        return ex.explore("heavy_ball", kappa=KAPPA, kappas=(), out=None, n=16, mean_square=False, display=False)


@pytest.fixture(scope="module")
def robust_page(tmp_path_factory: pytest.TempPathFactory) -> ex.Explorer:
    """Heavy ball with both robust layers (one robust_map_data call, ~0.4 s)."""
    out = tmp_path_factory.mktemp("explore_cycles") / "robust.html"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ex, "_family", lambda gammas: [HEAVY_BALL])
        return ex.explore("heavy_ball", kappa=KAPPA, kappas=(), out=out, n=16, mean_square=False, certified=True,
                          display=False)


@pytest.fixture(scope="module")
def heavy_ball_map(robust_page: ex.Explorer) -> robust.RobustMap:
    """robust_map_data itself, with its certified rates, on the heavy-ball page's robust grid."""
    g = robust_page.data["methods"][0]["maps"][0]
    return robust.robust_map_data(MU, L, **ex._robust_args(HEAVY_BALL, tuple(g["alpha_range"]), tuple(g["beta_range"])))


def _centres(args: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    n = args["n"]
    (a0, a1), (b0, b1) = args["alpha_range"], args["beta_range"]
    a = a0 + (np.arange(n) + 0.5) * (a1 - a0) / n
    b = b0 + (np.arange(n) + 0.5) * (b1 - b0) / n if args["method"].uses_beta else np.zeros(1)
    return a, b


# ------------------------------------------------------------------------------------------ Python side


def test_cycle_grid_is_robust_map_datas_for_every_method(cycles_page: ex.Explorer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    d = cycles_page.data
    assert d["layers"]["cycles"] and not d["layers"]["certified"]
    assert d["cycle_periods"] == [2, 3, 4, 5, 6, 7, 8] and len(d["cycle_colours"]) == 7
    # robust_map_data's cycle field does not depend on its certified rates (~2 ms a cell): stub them
    monkeypatch.setattr(robust, "certified_rate", lambda a, b, mu, L, method: np.full(np.broadcast(a, b).shape, np.inf))
    seen = set()
    for m, spec in zip(FAMILY, d["methods"], strict=True):
        entry = spec["maps"][0]
        args = ex._robust_args(m, tuple(entry["alpha_range"]), tuple(entry["beta_range"]))
        ref = np.asarray(robust.robust_map_data(MU, L, **args).cycle)
        assert np.array_equal(_cycles(entry, m.uses_beta), ref), m.name
        seen |= set(np.unique(ref).tolist())
    # the general method (not on the fixture's page: its tuning costs seconds) through the same code
    m = general(0.5)
    args = ex._robust_args(m, (0.0, 2.0), (0.0, 1.0))
    assert np.array_equal(ex._smallest_period(MU, L, args), np.asarray(robust.robust_map_data(MU, L, **args).cycle))
    assert {0, 2, 3} <= seen  # the comparison covers cells with no cycle, 2-cycles and 3-cycles


def test_period_is_the_smallest_with_a_nonnegative_cycle_margin(cycles_page: ex.Explorer) -> None:
    entry = cycles_page.data["methods"][0]["maps"][0]  # heavy ball: periods 2 to 8 all occur at kappa = 100
    args = ex._robust_args(HEAVY_BALL, tuple(entry["alpha_range"]), tuple(entry["beta_range"]))
    a, b = _centres(args)
    K = _cycles(entry, True)
    assert set(np.unique(K).tolist()) >= {0, 2, 3, 4, 5}
    rng = np.random.default_rng(16)
    cells = [tuple(c) for c in np.argwhere(K > 0)[rng.choice(int((K > 0).sum()), 6, replace=False)]]
    cells += [tuple(c) for c in np.argwhere(K == 0)[:3]]
    for i, j in cells:
        margins = {k: float(robust.cycle_margin(a[j], b[i], MU, L, k)) for k in range(2, 9)}
        proven = [k for k, v in margins.items() if v >= 0.0]
        assert K[i, j] == (min(proven) if proven else 0), (i, j, margins)


def test_certified_and_cycle_cells_never_overlap_and_come_from_one_robust_map(
        robust_page: ex.Explorer, heavy_ball_map: robust.RobustMap) -> None:
    entry = robust_page.data["methods"][0]["maps"][0]
    K, q = _cycles(entry, True), _rates(entry, True)
    rm = heavy_ball_map
    assert np.array_equal(K, np.asarray(rm.cycle))
    assert np.array_equal(q == 65535, ~np.isfinite(rm.rate))
    assert not np.any((q != 65535) & (K > 0))
    assert np.any(q != 65535) and np.any(K > 0) and np.any(rm.unknown)  # all three verdicts occur


def test_a_cell_both_certified_and_cycling_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real = robust.robust_map_data

    def contradictory(mu: float, L: float, **kw: Any) -> robust.RobustMap:
        rm = real(mu, L, **kw)
        return robust.RobustMap(method=rm.method, mu=rm.mu, L=rm.L, alpha=rm.alpha, beta=rm.beta,
                                rate=np.full(rm.rate.shape, 0.5), cycle=np.asarray(rm.cycle),
                                quadratic_rate=rm.quadratic_rate, periods=rm.periods,
                                robust_optimum=rm.robust_optimum, seconds=rm.seconds)

    monkeypatch.setattr(robust, "robust_map_data", contradictory)
    with pytest.raises(RuntimeError, match="both certified and proven to cycle"):
        ex._robust(GRADIENT_DESCENT, 0.1, 1.0, (0.0, 3.0), (0.0, 0.0), certified=True, cycles=True)


def test_cycles_flag_is_a_bool_and_off_means_no_data() -> None:
    with pytest.raises(TypeError, match="`cycles`"):
        ex.explore(out=None, display=False, kappas=(), gammas=(), n=16, cycles=1)  # type: ignore[arg-type]
    assert ex._robust(GRADIENT_DESCENT, 0.1, 1.0, (0.0, 3.0), (0.0, 0.0), certified=False, cycles=False) == {}
    # mu == L: every function of F(L, L) is a quadratic, nothing cycles
    one = ex._robust(HEAVY_BALL, 1.0, 1.0, (0.0, 3.0), (0.0, 1.0), certified=False, cycles=True)
    assert not np.frombuffer(base64.b64decode(one["cycles"]), dtype=np.uint8).any()


# ------------------------------------------------------------------------------------------ browser


def _shots() -> Any:
    spec = importlib.util.spec_from_file_location("screenshot_explore", ROOT / "docs" / "screenshot_explore.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tab(robust_page: ex.Explorer) -> Iterator[Any]:
    pytest.importorskip("playwright", reason="needs the playwright package (pip install playwright)")
    shots = _shots()
    if shots.find_browser() is None:
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    assert robust_page.path is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # playwright's pipes to its driver
        with shots.browser() as b, shots.open_page(b, robust_page.path, 1280) as (t, messages, blocked):
            yield t
            assert messages == [] and blocked == []  # no console error, no request


def _click(tab: Any, alpha: float, beta: float) -> None:
    x, y = tab.evaluate("""([a, b]) => {
      const svg = document.getElementById('map'), p = svg.createSVGPoint();
      const g = HBX.methods[HBX.state.mi].maps[HBX.state.ki];
      p.x = 52 + (a - g.alpha_range[0]) / (g.alpha_range[1] - g.alpha_range[0]) * 408;
      p.y = 10 + 350 - (b - g.beta_range[0]) / (g.beta_range[1] - g.beta_range[0]) * 350;
      const q = p.matrixTransform(svg.getScreenCTM()); return [q.x, q.y]; }""", [alpha, beta])
    tab.mouse.click(x, y)


def test_toggle_shows_the_cycle_cells_and_the_legend(tab: Any) -> None:
    assert not tab.is_disabled("#l-cyc") and not tab.is_checked("#l-cyc")
    assert tab.locator("#cyc-layer").count() == 0 and tab.locator("#robust-legend").is_hidden()
    tab.focus("#l-cyc")
    tab.keyboard.press("Space")  # keyboard-operable
    assert tab.is_checked("#l-cyc") and tab.locator("#cyc-layer").count() == 1
    assert tab.locator("#cyc-key").is_visible()
    assert tab.text_content("#cyc-swatches") == "2345678"
    # the layer's pixels: one per cell, coloured where the embedded grid has a period
    painted = tab.evaluate("""() => new Promise(done => {
      const img = new Image(); img.onload = () => {
        const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
        const px = ctx.getImageData(0, 0, c.width, c.height).data, out = [];
        for (let i = 3; i < px.length; i += 4) out.push(px[i] > 0 ? 1 : 0);
        done([c.width, c.height, out]); };
      img.src = document.getElementById('cyc-layer').getAttribute('href'); })""")
    w, h, alpha = painted
    n = ex._CERT_N
    g = tab.evaluate("HBX.methods[0].maps[0]")
    K = _cycles(g, True)
    assert (w, h) == (n, n)
    assert np.array_equal(np.array(alpha).reshape(n, n)[::-1], (K > 0).astype(int))  # canvas rows top-down
    tab.uncheck("#l-cyc")
    assert tab.locator("#cyc-layer").count() == 0


def test_clicked_cells_say_cycle_certified_or_unknown_as_the_map(tab: Any, heavy_ball_map: robust.RobustMap) -> None:
    rm = heavy_ball_map
    assert HEAVY_BALL.closed_form is not None
    cf = HEAVY_BALL.closed_form(MU, L)  # Polyak's tuning: alpha = 4/(sqrt(L) + sqrt(mu))^2
    j = int(np.argmin(np.abs(rm.alpha - cf.alpha)))
    i = int(np.argmin(np.abs(rm.beta - cf.beta)))
    # GTD 2023: the 3-cycle at Polyak's tuning beyond kappa ~ 18; at this cell's centre as well
    assert float(robust.cycle_margin(rm.alpha[j], rm.beta[i], MU, L, 3)) >= 0.0
    assert float(robust.cycle_margin(rm.alpha[j], rm.beta[i], MU, L, 2)) < 0.0
    _click(tab, float(rm.alpha[j]), float(rm.beta[i]))
    assert tab.text_content("#num-robust") == "cycle of period 3 proven on F(\u03bc, L)"
    assert tab.get_attribute("#num-robust", "data-value") == "cycle"

    ci, cj = (int(v) for v in np.argwhere(rm.certified)[0])
    _click(tab, float(rm.alpha[cj]), float(rm.beta[ci]))
    shown = tab.text_content("#num-robust")
    assert shown.startswith("certified rate ")
    # shown rounded up: to the 1/65535 grid, then to 5 digits; an upper bound still (this cell's rate,
    # 0.99841, was once shown rounded down to 0.9984: a false certificate)
    ref = float(rm.rate[ci, cj])
    assert ref <= float(shown.removeprefix("certified rate ")) <= ref + 2 / 65535 + 1e-5

    # unknown: neither certified nor cycling. Every such cell converges on quadratics (where heavy ball
    # diverges on one, a cycle is proven too), so "unknown" is never hiding a known divergence
    quad = np.asarray(rm.quadratic_rate)
    assert np.all(quad[rm.unknown] < 1.0)
    ui, uj = (int(v) for v in np.argwhere(rm.unknown)[0])
    _click(tab, float(rm.alpha[uj]), float(rm.beta[ui]))
    assert tab.text_content("#num-robust") == "unknown"
    assert tab.get_attribute("#num-robust", "data-value") == "unknown"
    assert float(tab.get_attribute("#num-rate", "data-value")) < 1.0
