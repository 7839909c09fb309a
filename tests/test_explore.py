"""``hbtheory.explore``: the page's data is the package's, and the page works in a real browser.

One small page (two condition numbers, 64 x 64 maps, every method of the family with one
``gamma``) is built once per module; the browser tests drive Debian's Chromium through Playwright
(``docs/screenshot_explore.py`` holds the browser helpers). The in-page routines (eigenvalues,
spectral radius, rate, Theorem-1 constant, trajectory) are compared with hbtheory's Python at
random points.
"""

from __future__ import annotations

import base64
import importlib.util
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hbtheory import explorer as ex
from hbtheory.methods import HEAVY_BALL, get_method
from hbtheory.spectral import eigenvalues, spectral_radius, theorem1_constant, worst_case_rate
from hbtheory.tuning import optimal_parameters

ROOT = Path(__file__).resolve().parents[1]
EPS = float(np.finfo(np.float64).eps)
#: Relative agreement of the page's routines with Python. The page's coefficients are sympy's
#: printing of the same polynomials (operations in another order: a few ulps), and its roots
#: lose digits only within ~1e-4 of a critical curve, which random points miss.
RTOL = 1e-12
KAPPAS = (10.0, 100.0)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> ex.Explorer:
    out = tmp_path_factory.mktemp("explore") / "explorer.html"
    return ex.explore("heavy_ball", kappa=10.0, out=out, kappas=KAPPAS, gammas=(0.5,), n=64, display=False)


# ------------------------------------------------------------------------------------------ Python side


def _rates(entry: dict[str, Any]) -> np.ndarray:
    q = np.frombuffer(base64.b64decode(entry["rho"]), dtype="<u2").reshape(entry["ny"], entry["nx"])
    return q.astype(np.float64)


def test_embedded_maps_are_rho_grid_quantised(page: ex.Explorer) -> None:
    from hbtheory.grids import rho_grid

    d = page.data
    assert d["kappas"] == list(KAPPAS) and d["kappa_index"] == 0
    names = [m["name"] for m in d["methods"]]
    assert names == ["heavy_ball", "nesterov", "gradient_descent", "triple_momentum", "general(gamma=0.5)"]
    for m in d["methods"][:4]:  # the general method's maps come from the same code (and cost 2 s each)
        for kappa, entry in zip(d["kappas"], m["maps"], strict=True):
            g = rho_grid(mu=1.0 / kappa, L=1.0, method=m["name"], n=64)
            q = _rates(entry)
            rho = np.asarray(g.rho)
            diverged = q == 65535
            assert np.array_equal(diverged, ~(rho < 1.0))
            # q = floor(rho * 65535): the rate is within 1/65535 below (q + 1)/65535
            r, qq = rho[~diverged], q[~diverged]
            assert np.all(qq / 65535 <= r) and np.all(r < (qq + 1) / 65535)
            assert entry["optimum"] == list(g.optimum)  # optimal_parameters, through rho_grid
            assert entry["levels"] == list(g.levels)


def test_gamma_printed_for_the_page_is_the_methods_and_the_realisation_is_checked() -> None:
    from hbtheory.methods import Method

    rng = np.random.default_rng(3)
    for m in [get_method(n) for n in ("heavy_ball", "nesterov", "gradient_descent", "triple_momentum",
                                      "general(gamma=0.5)", "general(gamma=-0.3)")]:
        js = ex._js(m)["gamma"]
        env = {"Math": type("M", (), {"sqrt": math.sqrt, "pow": pow})}
        for beta in rng.uniform(0.0, 0.999, 20):
            # the JavaScript expression evaluated in Python's float64 (same operators; / is a float division)
            assert eval(js, {**env, "beta": float(beta)}) == pytest.approx(float(m.gamma(float(beta))), rel=8 * EPS)
    wrong = Method(name="wrong", title="c1 not its realisation's", c1=lambda a, b, h: 1 + b - 2 * a * h,
                   c0=HEAVY_BALL.c0, gamma=HEAVY_BALL.gamma, delta=HEAVY_BALL.delta)
    with pytest.raises(ValueError, match="realisation"):
        ex._js(wrong)


def test_torch_arguments_only_where_torch_runs_the_method() -> None:
    assert ex._torch(HEAVY_BALL) == {"nesterov": False}
    assert ex._torch(get_method("nesterov")) == {"nesterov": True}
    assert ex._torch(get_method("gradient_descent")) == {"nesterov": False}
    assert ex._torch(get_method("triple_momentum")) is None
    assert ex._torch(get_method("general(gamma=0.5)")) is None


def test_file_is_offline_and_notebook_shows_it_in_an_iframe(page: ex.Explorer) -> None:
    assert page.path is not None and page.path.read_text(encoding="utf-8") == page.html
    text = page.html
    for forbidden in ("<script src", "<link", "@import", "url(http"):
        assert forbidden not in text.lower()
    assert page.html.count("<script") == 2  # the data block and the one inline script
    frame = page._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "<script" not in frame  # escaped
    print(f"\nexplorer test page: {page.size / 1e3:.0f} kB")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"kappa": 0.5}, "kappa"),
    ({"kappa": 10.0, "mu": 1.0, "L": 2.0}, "either"),
    ({"mu": 1.0}, "both"),
    ({"mu": 2.0, "L": 1.0}, "mu"),
    ({"n": 8}, "`n`"),
    ({"tol": 1e-5}, "`tol`"),
    ({"kappas": (0.1,)}, r"kappas\[0\]"),
    ({"gammas": (float("nan"),)}, r"gammas\[0\]"),
])
def test_bad_input_names_the_parameter(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ex.explore(out=None, display=False, **kwargs)


def test_out_must_be_a_file_in_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="folder"):
        ex.explore(out=tmp_path, display=False, kappas=(), n=16, gammas=())
    with pytest.raises(ValueError, match="does not exist"):
        ex.explore(out=tmp_path / "no" / "x.html", display=False, kappas=(), n=16, gammas=())
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ browser


def _shots() -> Any:
    spec = importlib.util.spec_from_file_location("screenshot_explore", ROOT / "docs" / "screenshot_explore.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    pytest.importorskip("playwright", reason="needs the playwright package (pip install playwright)")
    shots = _shots()
    if shots.find_browser() is None:
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # playwright's pipes to its driver
        with shots.browser() as b:
            yield b


@pytest.fixture
def tab(browser: Any, page: ex.Explorer) -> Iterator[Any]:
    assert page.path is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        with _shots().open_page(browser, page.path, 1280) as (t, messages, blocked):
            yield t
            assert messages == [] and blocked == []  # no console error, no request


def test_loads_without_console_error_and_reports_times(browser: Any, page: ex.Explorer) -> None:
    assert page.path is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        with _shots().open_page(browser, page.path, 390) as (t, messages, blocked):
            found = t.evaluate(_shots()._MEASURE)
            assert found["scroll_width"] <= 390  # readable on a phone: no horizontal scrolling
    assert messages == [] and blocked == []
    print(f"\nexplorer: load {found['load_ms']:.0f} ms, one update {found['update_ms']:.1f} ms, "
          f"method/kappa redraw {found['redraw_ms']:.1f} ms")


_JS_CHECK = """([mi, pts, mu, L]) => {
  const m = HBX.methods[mi], api = HBX.api;
  return pts.map(([a, b, h]) => ({rho: api.rho(m, a, b, h), gamma: m.gam(b), eig: api.eig(m, a, b, h),
                                 c: api.theorem1(m, a, b, h), rate: api.rate(m, a, b, mu, L),
                                 traj: api.trajectory(m, a, b, [mu, L], [1, -0.5], 30)}));
}"""


def _python_trajectory(m: Any, a: float, b: float, mu: float, L: float, steps: int) -> np.ndarray:
    hs = np.array([mu, L])
    x = np.array([1.0, -0.5])
    x_prev = x.copy()
    out = [x]
    for _ in range(steps):
        x, x_prev = m.step(lambda y: hs * y, x, x_prev, a, b)
        out.append(x)
    return np.array(out)


def test_page_routines_equal_python_at_random_points(tab: Any, page: ex.Explorer) -> None:
    rng = np.random.default_rng(20261204)
    mu, L = 0.1, 1.0
    for mi, spec in enumerate(page.data["methods"]):
        m = get_method(spec["name"])
        a_max = spec["maps"][0]["alpha_range"][1]
        pts = [[float(rng.uniform(0.0, a_max)), float(rng.uniform(0.0, 0.999)) if m.uses_beta else 0.0,
                float(rng.uniform(mu, L))] for _ in range(100)]
        got = tab.evaluate(_JS_CHECK, [mi, pts, mu, L])
        a, b, h = (np.array(col) for col in zip(*pts, strict=True))  # the references, batched
        rho = np.asarray(spectral_radius(a, b, h, method=m))
        rate = np.asarray(worst_case_rate(a, b, mu, L, method=m))
        eig = np.sort_complex(np.asarray(eigenvalues(a, b, h, method=m)).reshape(len(pts), -1))
        const = np.asarray(theorem1_constant(a, b, h, method=m))
        for k, js in enumerate(got):
            assert js["rho"] == pytest.approx(rho[k], rel=RTOL)
            assert js["rate"] == pytest.approx(rate[k], rel=RTOL)
            mine = np.sort_complex(np.array([complex(*z) for z in js["eig"]]))
            assert np.allclose(mine, eig[k], rtol=RTOL, atol=RTOL * float(np.abs(eig[k]).max()))
            c_js = math.inf if js["c"] is None else js["c"]
            assert c_js == pytest.approx(const[k], rel=RTOL) if math.isfinite(const[k]) else c_js == math.inf
            traj = np.array(js["traj"], dtype=np.float64)
            ref_traj = _python_trajectory(m, float(a[k]), float(b[k]), mu, L, 30)
            assert np.allclose(traj, ref_traj, rtol=0.0, atol=RTOL * np.abs(ref_traj).max())


def test_page_routines_equal_python_on_the_critical_curves(tab: Any, page: ex.Explorer) -> None:
    # Points of the critical-damping curves (rho_grid's, Newton-projected onto c1^2 = 4 c0) and
    # 1e-9 off them: where float64 roots lose half their digits.
    from hbtheory.grids import rho_grid

    rng = np.random.default_rng(7)
    mu, L = 0.1, 1.0
    for mi, spec in enumerate(page.data["methods"]):
        m = get_method(spec["name"])
        if not m.uses_beta:
            continue
        g = rho_grid(mu=mu, L=L, method=m, n=16)
        pts = []
        for h in (mu, L):
            curve = g.curve(h)
            curve = curve[np.isfinite(curve).all(axis=1) & (curve[:, 0] > 0)]
            for a, b in curve[rng.choice(len(curve), 25)]:
                pts.append([float(a), float(b) * (1 + float(rng.choice([0.0, 1e-9, -1e-9]))), float(h)])
        got = tab.evaluate(_JS_CHECK, [mi, pts, mu, L])
        for (a, b, h), js in zip(pts, got, strict=True):
            ref = float(spectral_radius(a, b, h, method=m))
            if js["gamma"] == float(m.gamma(b)):
                assert js["rho"] == pytest.approx(ref, rel=RTOL), (m.name, a, b, h)
            else:
                # Triple Momentum's gamma(beta) is not a polynomial: the page's float64 gamma (sympy's
                # formula) may differ from Python's by an ulp, which a double root turns into
                # sqrt(ulp). The page is exact for its own gamma: the general method with that gamma.
                same = float(spectral_radius(a, b, h, method=ex.general(js["gamma"])))
                assert js["rho"] == pytest.approx(same, rel=RTOL)
                assert js["rho"] == pytest.approx(ref, rel=16 * math.sqrt(EPS))


def _to_screen(tab: Any, alpha: float, beta: float) -> tuple[float, float]:
    return tuple(tab.evaluate("""([a, b]) => {
      const svg = document.getElementById('map'), p = svg.createSVGPoint();
      const g = HBX.methods[HBX.state.mi].maps[HBX.state.ki];
      p.x = 52 + (a - g.alpha_range[0]) / (g.alpha_range[1] - g.alpha_range[0]) * 408;
      p.y = 10 + 350 - (b - g.beta_range[0]) / (g.beta_range[1] - g.beta_range[0]) * 350;
      const q = p.matrixTransform(svg.getScreenCTM()); return [q.x, q.y]; }""", [alpha, beta]))


def test_clicking_a_point_shows_the_rate_spectral_radius_gives(tab: Any) -> None:
    x, y = _to_screen(tab, 1.0, 0.5)
    tab.mouse.click(x, y)
    state = tab.evaluate("HBX.state")
    a, b = state["alpha"], state["beta"]
    assert abs(a - 1.0) < 0.02 and abs(b - 0.5) < 0.01  # within a pixel or two of the click
    shown = float(tab.get_attribute("#num-rate", "data-value"))
    mu, L = 0.1, 1.0
    expected = max(float(spectral_radius(a, b, mu)), float(spectral_radius(a, b, L)))
    assert shown == pytest.approx(expected, rel=RTOL)
    assert tab.text_content("#num-rate").startswith(f"{expected:.8g}"[:8])
    # the torch arguments of heavy ball at that point
    assert f"lr={a:.8g}"[:9] in tab.text_content("#num-torch")


def test_kappa_control_moves_the_optimum_marker(tab: Any) -> None:
    def marker() -> tuple[float, float, float, float]:
        box = tab.locator("#opt-marker").bounding_box()
        a = float(tab.get_attribute("#opt-marker", "data-alpha"))
        b = float(tab.get_attribute("#opt-marker", "data-beta"))
        return a, b, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    tab.focus("#kappa")
    for kappa in KAPPAS:
        a, b, px, py = marker()
        best = optimal_parameters(kappa=kappa)
        assert (a, b) == (best.alpha, best.beta)
        ex_, ey = _to_screen(tab, best.alpha, best.beta)
        assert abs(px - ex_) < 1.0 and abs(py - ey) < 1.0
        assert tab.text_content("#kappa-out") == f"{kappa:g}"
        tab.keyboard.press("ArrowRight")  # keyboard-operable
    assert tab.evaluate("HBX.state.ki") == len(KAPPAS) - 1


def test_iterations_and_keyboard_moves_and_methods(tab: Any) -> None:
    best = optimal_parameters(kappa=10.0)
    assert int(tab.get_attribute("#num-iter", "data-value")) == best.iterations(1e-6)
    tab.select_option("#tol", "1e-9")
    assert int(tab.get_attribute("#num-iter", "data-value")) == best.iterations(1e-9)
    a0 = tab.evaluate("HBX.state.alpha")
    tab.focus("#map")
    tab.keyboard.press("ArrowRight")
    g = tab.evaluate("HBX.methods[0].maps[0].alpha_range")
    assert tab.evaluate("HBX.state.alpha") == pytest.approx(a0 + (g[1] - g[0]) / 64, rel=1e-12)
    tab.select_option("#method", label="Nesterov accelerated gradient")
    assert "nesterov=True" in tab.text_content("#num-torch")
    nag = optimal_parameters(kappa=10.0, method="nesterov")
    # At Nesterov's optimum mu is critically damped (a double root): float64 roots would lose half the
    # digits there; the page's discriminant is double-double.
    assert float(tab.get_attribute("#num-rate", "data-value")) == pytest.approx(nag.rate, rel=RTOL)
    assert f"rate {nag.rate:.8g}" in tab.text_content("#num-opt")
    tab.select_option("#method", label="General three-parameter method")
    assert not tab.is_disabled("#gamma") and "cannot run" in tab.text_content("#num-torch")
    tab.select_option("#method", label="Gradient descent")
    assert tab.is_disabled("#beta") and tab.evaluate("HBX.state.beta") == 0


def test_mean_square_layer_agrees_with_stochastic(tab: Any) -> None:
    from hbtheory.stochastic import mean_square_stable

    tab.check("#l-ms")
    assert tab.locator("#ms-layer").count() == 1
    mu, L = 0.1, 1.0
    for batch in ("1", "64"):
        tab.select_option("#batch", batch)
        state = tab.evaluate("HBX.state")
        g = tab.evaluate("HBX.methods[0].maps[0]")
        n = ex._LAYER_N
        j = min(n - 1, int((state["alpha"] - g["alpha_range"][0]) / (g["alpha_range"][1] - g["alpha_range"][0]) * n))
        i = min(n - 1, int(state["beta"] * n))
        a = g["alpha_range"][0] + (j + 0.5) * (g["alpha_range"][1] - g["alpha_range"][0]) / n
        b = (i + 0.5) / n
        hs = np.unique(np.concatenate([np.geomspace(mu, L, ex._MS_CURVATURES), [mu, L]]))
        stable = bool(np.all(mean_square_stable(a, b, hs, curvature_variance=2 * hs * hs, batch_size=int(batch))))
        assert tab.text_content("#num-ms") == ("yes" if stable else "no")
    tab.uncheck("#l-ms")
    assert tab.locator("#ms-layer").count() == 0


def test_certified_layer_shows_robust_certified_rate(browser: Any, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from hbtheory.robust import certified_rate

    monkeypatch.setattr(ex, "_family", lambda gammas: [HEAVY_BALL])  # one map: certified_rate costs ~8 ms a point
    out = tmp_path / "certified.html"
    built = ex.explore("heavy_ball", kappa=10.0, kappas=(), out=out, n=16, mean_square=False, certified=True,
                       display=False)
    g = built.data["methods"][0]["maps"][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        with _shots().open_page(browser, out, 1280) as (t, messages, blocked):
            assert not t.is_disabled("#l-cert")
            t.check("#l-cert")
            assert t.locator("#cert-layer").count() == 1
            a, b = t.evaluate("[HBX.state.alpha, HBX.state.beta]")
            n = ex._CERT_N
            (a0, a1), (b0, b1) = g["alpha_range"], g["beta_range"]
            j, i = min(n - 1, int((a - a0) / (a1 - a0) * n)), min(n - 1, int((b - b0) / (b1 - b0) * n))
            ref = float(certified_rate(a0 + (j + 0.5) * (a1 - a0) / n, b0 + (i + 0.5) * (b1 - b0) / n, 0.1, 1.0))
            shown = t.text_content("#num-cert")
            if math.isfinite(ref) and ref < 1.0:  # shown rounded up to the 1/65535 grid: an upper bound still
                assert ref <= float(shown) <= ref + 2 / 65535 + 1e-4
            else:
                assert shown == "none below 1"
    assert messages == [] and blocked == []


def _cli_has_explore() -> bool:
    from hbtheory.cli import COMMANDS

    return "explore" in COMMANDS


@pytest.mark.skipif(not _cli_has_explore(), reason="`hbtheory explore` is not wired into hbtheory/cli.py yet")
def test_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from hbtheory.cli import main

    # one method and one condition number: the command's wiring, not the (tested) page again
    monkeypatch.setattr(ex, "_family", lambda gammas: [HEAVY_BALL])
    monkeypatch.setattr(ex, "DEFAULT_KAPPAS", ())
    out = tmp_path / "page.html"
    assert main(["explore", "--method", "nesterov", "--mu", "0.1", "--L", "2", "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["out"] == str(out) and report["kappas"] == [20.0] and report["L"] == 2.0
    assert report["bytes"] == len(out.read_bytes()) and report["method"] == "nesterov"
    assert '"method_index":1' in out.read_text()  # nesterov shown first, beside heavy ball
    for argv, match in ((["--kappa", "10", "--mu", "1", "--L", "2"], "not both"),
                        (["--mu", "1"], "both --mu and --L"),
                        (["--out", str(tmp_path)], "folder"),
                        (["--kappa", "0.5"], "kappa")):
        assert main(["explore", *argv]) == 2
        err = capsys.readouterr().err
        assert match in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


def test_a_notebook_displays_the_page_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    shown: list[str] = []

    class ZMQInteractiveShell:  # the class name Jupyter's kernel shell has
        pass

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = ZMQInteractiveShell  # type: ignore[attr-defined]
    display = types.ModuleType("IPython.display")
    display.HTML = lambda text: text  # type: ignore[attr-defined]
    display.display = shown.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    page = ex.Explorer("<!DOCTYPE html><p>x</p>", None, {})
    ex._display(page)
    assert shown == [page._repr_html_()]

    class TerminalInteractiveShell:  # IPython in a terminal: nothing to display inline
        pass

    ipython.get_ipython = TerminalInteractiveShell  # type: ignore[attr-defined]
    ex._display(page)
    assert len(shown) == 1
