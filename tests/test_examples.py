"""The torch-free scripts in examples/ run in their fast mode and save non-trivial PNG figures.

The scripts that need torch are run by ``tests/test_empirical_examples.py``.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

#: whole example scripts: long end-to-end runs, run by `python -m pytest -q -m slow` and CI (pyproject.toml)
pytestmark = pytest.mark.slow

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
    # the family at kappa = 100: Triple Momentum's rate is 1 - 1/sqrt(kappa) = 0.9 with alpha = (1 + rho)/L
    # = 1.9 and beta = rho^2/(2 - rho) = 0.81/1.1 (Van Scoy, Freeman, Lynch 2018)
    ("family.py", [], "Triple Momentum (Van Scoy, Freeman, Lynch)   1.900000   0.736364   0.900000",
     ["family_rate_maps.png", "family_rate_vs_kappa.png"]),
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
    # the robust and stochastic layers' scripts are run by tests/test_examples_layers.py
    torch_scripts = (ROOT / "tests" / "test_empirical_examples.py").read_text()
    layer_scripts = (ROOT / "tests" / "test_examples_layers.py").read_text()
    for path in sorted((ROOT / "examples").glob("*.py")):
        assert (path.name in here or f"examples/{path.name}" in torch_scripts
                or f'"{path.name}"' in layer_scripts), f"{path.name} is not tested"


def test_family_prints_every_member_at_its_optimum(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = run_script("family.py", ["--kappa", "100"], monkeypatch, capsys)
    # Polyak: alpha* = 4/(sqrt(L) + sqrt(mu))^2 = 4/1.21, beta* = (9/11)^2, rho* = 9/11; gradient descent
    # 2/(mu + L) with rho = 99/101; 69 = ceil(log(1e-6)/log(9/11)) iterations
    assert "Heavy ball (Polyak)                        3.305785   0.669421   0.818182                   69" in out
    assert "Gradient descent                           1.980198   0.000000   0.980198                  691" in out
    assert "Nesterov accelerated gradient" in out and "wrote" not in out  # no --out: no figure
    monkeypatch.setattr(sys, "argv", ["family.py", "--kappa", "0.5"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "examples" / "family.py"), run_name="__main__")
    assert exit_info.value.code == 2 and "--kappa" in capsys.readouterr().err

