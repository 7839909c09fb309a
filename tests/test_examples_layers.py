"""The example scripts of the robust and stochastic layers run in their fast mode, print the
literature's numbers and save their figures (the other scripts: tests/test_examples.py)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

#: whole example scripts: long end-to-end runs, run by `python -m pytest -q -m slow` and CI (pyproject.toml)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ("beyond_quadratics.py", "minibatch_momentum.py")
PNG = b"\x89PNG\r\n\x1a\n"


def run(script: str, args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setattr(sys, "argv", [script, *args])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "examples" / script), run_name="__main__")
    out = capsys.readouterr().out
    assert exit_info.value.code == 0, out
    return out


def test_beyond_quadratics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    out = run("beyond_quadratics.py", ["--fast", "--out", str(tmp_path)], monkeypatch, capsys)
    # Polyak's tuning: quadratic rate (sqrt(kappa) - 1)/(sqrt(kappa) + 1) (Polyak 1964); certified rates 0.3361 at
    # kappa = 2 and 0.8604 at kappa = 10 (Lessard, Recht and Packard 2016, Sec. 4.5); no certificate and a 3-cycle
    # from kappa = 9 + 4 sqrt(5) = 17.944 on (Goujaud, Taylor and Dieuleveut 2023)
    assert "     2    0.171573   0.336107        -" in out
    assert "    10    0.519494   0.860409        -" in out
    assert "    17    0.609612" in out and "    17    0.609612       none" not in out
    assert "    18    0.618513       none        3" in out
    # 1 - 1/sqrt(25) = 0.8, Triple Momentum's rate (Van Scoy, Freeman and Lynch 2018)
    assert "Triple Momentum 1 - 1/sqrt(kappa) = 0.800000" in out
    assert "a 3-cycle; after 60 steps" in out
    data = (tmp_path / "robust_map.png").read_bytes()
    assert data[:8] == PNG and len(data) > 10_000


def test_minibatch_momentum(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    out = run("minibatch_momentum.py", ["--fast", "--out", str(tmp_path)], monkeypatch, capsys)
    rows = [line.split() for line in out.splitlines() if line.split() and line.split()[0].isdigit()]
    assert [int(r[0]) for r in rows] == [1, 8, 64]
    speedups = [float(r[5]) for r in rows]
    # Kidambi et al. (2018): at batch size 1 momentum buys little; the speed-up grows with the batch, below the
    # exact-gradient speed-up log(rate_SGD*)/log(rate_HB*) ~ sqrt(kappa) = 10
    assert speedups[0] < 1.5 and speedups == sorted(speedups) and speedups[-1] < float(rows[-1][6])
    for name in ("batch_size_speedup.png", "mean_square_region.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == PNG and len(data) > 10_000
    monkeypatch.setattr(sys, "argv", ["minibatch_momentum.py", "--kappa", "1"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "examples" / "minibatch_momentum.py"), run_name="__main__")
    assert exit_info.value.code == 2 and "--kappa" in capsys.readouterr().err
