"""Every script in examples/ (and the sweep benchmark) runs, in its fast mode, and says what it should."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

#: whole example scripts: long end-to-end runs, run by `python -m pytest -q -m slow` and CI (pyproject.toml)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

SCRIPTS = [
    ("examples/notes_2d_results.py", [], "epoch 20, x1: 0.007188, x2: 0.002553"),
    ("examples/chapter_2d_comparison.py", [], "momentum        : alpha = 0.115443"),
    ("examples/chapter_network.py", ["--fast"], "tanh twin"),
    ("examples/rho_map.py", ["--fast"], "region mismatches: 0"),
    ("examples/noise_amplification.py", ["--fast"], "standard errors: True"),
    ("examples/conventions.py", [], "first step 2.000000x"),
    ("benchmarks/sweep_vs_torch_loop.py", ["--quick", "--no-progress"], "identical (normal range) : True"),
]


@pytest.mark.parametrize(("script", "args", "expected"), SCRIPTS, ids=[s[0] for s in SCRIPTS])
def test_script_runs(
    script: str, args: list[str], expected: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", [script, *args])
    monkeypatch.syspath_prepend(str((ROOT / script).parent))  # as `python <script>` does (benchmarks' _common)
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / script), run_name="__main__")
    out = capsys.readouterr().out
    assert exit_info.value.code == 0, out
    assert expected in out, out


def test_chapter_2d_writes_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "t.json"
    monkeypatch.setattr(sys, "argv", ["chapter_2d_comparison.py", "--json", str(out)])
    with pytest.raises(SystemExit):
        runpy.run_path(str(ROOT / "examples/chapter_2d_comparison.py"), run_name="__main__")
    assert '"trajectory"' in out.read_text()


@pytest.mark.parametrize(
    ("script", "args", "figure"),
    [
        ("examples/chapter_2d_comparison.py", [], "chapter_2d_trajectories.png"),
        ("examples/notes_2d_results.py", [], "notes_2d_traces.png"),
        ("examples/chapter_network.py", ["--fast"], "chapter_network_loss.png"),
        ("examples/rho_map.py", ["--fast"], "rho_map_measured.png"),
        # docs/index.md promises --out DIR for every example (issue 11: these two refused it)
        ("examples/noise_amplification.py", ["--fast"], "noise_amplification.png"),
    ],
    ids=lambda v: v if isinstance(v, str) and v.endswith(".png") else None,
)
def test_script_saves_its_figure(script: str, args: list[str], figure: str, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", [script, *args, "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / script), run_name="__main__")
    out = capsys.readouterr().out
    assert exit_info.value.code == 0, out
    data = (tmp_path / figure).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert [p.name for p in tmp_path.iterdir()] == [figure]


def test_conventions_writes_its_measurements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import json

    monkeypatch.setattr(sys, "argv", ["conventions.py", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "examples/conventions.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert exit_info.value.code == 0, out
    assert [p.name for p in tmp_path.iterdir()] == ["conventions.json"]
    data = json.loads((tmp_path / "conventions.json").read_text())
    assert set(data) == {"constant_lr", "lr_drop_at_50", "dampening_first_step", "nesterov_vs_matrix"}
    # dampening 0.5: torch's first buffer is the raw gradient, twice the damped one (the printed 2.000000x)
    assert data["dampening_first_step"]["first_step_ratio"] == pytest.approx(2.0, rel=1e-12)


def test_rho_map_prints_before_the_sweep_and_times_it(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["rho_map.py", "--grid", "12", "--steps", "60", "--no-progress"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "examples/rho_map.py"), run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    assert exit_info.value.code == 0
    assert lines[0] == "sweeping 144 configurations x 60 steps (heavy_ball), all at once ..."
    assert lines[1].startswith("144 configurations x 60 steps (heavy_ball) in ") and lines[1].endswith(" s")
    assert "region mismatches: 0" in lines[3]

