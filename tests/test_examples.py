"""The torch-free scripts in examples/ run in their fast mode and save non-trivial PNG figures.

The scripts that need torch are run by ``tests/test_empirical_examples.py``.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# script, extra arguments, a line it prints, the figures it saves
SCRIPTS: list[tuple[str, list[str], str, list[str]]] = [
    ("beta_weights.py", [], "amplification 1/(1 - beta) =  10.00", ["beta_weights.png"]),
    ("decay_curves.py", [], "lambda =  19.0: 1 - eta lambda = -0.90", ["decay_curves.png"]),
    ("counterexample_cycle.py", [], "cycle points: -1.802449, 2.115918, 0.646531", ["counterexample_cycle.png"]),
    ("convergence_region.py", [], "heavy_ball kappa = 100: alpha* = 3.305785, beta* = 0.669421",
     ["rho_heatmap_heavy_ball.png", "rho_heatmap_nesterov.png", "universal_map_heavy_ball.png",
      "universal_map_nesterov.png"]),
    ("eigenvalue_locus.py", [], "rho >= 1 from alpha = 3.0", ["eigenvalue_locus.png"]),
    ("rate_vs_kappa.py", [], "100                0.980198          0.884722          0.818182", ["rate_vs_kappa.png"]),
]

PNG = b"\x89PNG\r\n\x1a\n"


def run_script(script: str, args: list[str], monkeypatch: pytest.MonkeyPatch,
               capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setattr(sys, "argv", [script, *args])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "examples" / script), run_name="__main__")
    out = capsys.readouterr().out
    assert exit_info.value.code == 0, out
    return out


def assert_figure(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG, path
    assert len(data) > 10_000, f"{path} is only {len(data)} bytes"


@pytest.mark.parametrize(("script", "args", "expected", "figures"), SCRIPTS, ids=[s[0] for s in SCRIPTS])
def test_script_saves_its_figures(script: str, args: list[str], expected: str, figures: list[str], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_script(script, ["--fast", "--out", str(tmp_path), *args], monkeypatch, capsys)
    assert expected in out, out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(figures)
    for name in figures:
        assert_figure(tmp_path / name)
        assert f"wrote {tmp_path / name}" in out


def test_pep_comparison_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("PEPit")
    pytest.importorskip("cvxpy")
    out = run_script("pep_comparison.py", ["--fast", "--out", str(tmp_path)], monkeypatch, capsys)
    assert "3             3.160494           3.160494        10.26" in out, out
    assert_figure(tmp_path / "pep_comparison.png")


def test_every_example_is_run_by_a_test() -> None:
    here = {s[0] for s in SCRIPTS} | {"pep_comparison.py"}
    torch_scripts = (ROOT / "tests" / "test_empirical_examples.py").read_text()
    for path in sorted((ROOT / "examples").glob("*.py")):
        assert path.name in here or f"examples/{path.name}" in torch_scripts, f"{path.name} is not tested"
