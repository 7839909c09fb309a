"""The command line: real answers, --json everywhere, one-line errors with exit status 2."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hbtheory.cli import main

DOCS = Path(__file__).resolve().parents[1] / "docs"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_optimal_kappa_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "optimal", "--kappa", "100", "--json")
    assert code == 0
    d = json.loads(out)
    # Polyak (1964): rate (sqrt(kappa) - 1) / (sqrt(kappa) + 1) = 9/11 at kappa = 100
    assert d["method"] == "heavy_ball" and math.isclose(d["rate"], 9 / 11, rel_tol=1e-15)
    assert d["iterations"] == math.ceil(math.log(1e-6) / math.log(9 / 11))


def test_optimal_mu_L_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "optimal", "--mu", "0.1", "--L", "10", "--method", "nesterov")
    assert code == 0 and "nesterov=True" in out and "kappa = 100" in out


def test_rho_and_worst_case(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rho", "--alpha", "0.5", "--beta", "0.25", "--h", "1", "--json")
    assert code == 0 and json.loads(out)["rho"] == 0.5
    code, out, _ = run(capsys, "worst-case", "--n", "1", "--alpha", "1", "--beta", "0", "--mu", "0.5", "--L", "1.5",
                       "--method", "gradient_descent", "--json")
    # one gradient step with alpha = 1 on [0.5, 1.5] contracts by max |1 - h| = 0.5, squared 0.25
    assert code == 0 and math.isclose(json.loads(out)["worst_case"], 0.25, rel_tol=1e-14)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["optimal", "--kappa", "0.5"], "`kappa`"),
        (["optimal", "--kappa", "10", "--mu", "1"], "either --kappa or"),
        (["optimal"], "give --kappa"),
        (["optimal", "--kappa", "ten"], "--kappa: expected a real number, got 'ten'"),
        (["rho", "--alpha", "-1", "--beta", "0.5", "--h", "1"], "`alpha`"),
        (["rho", "--alpha", "1", "--beta", "1.5", "--h", "1"], "`beta`"),
        (["rho", "--alpha", "nan", "--beta", "0.5", "--h", "1"], "finite"),
        (["worst-case", "--n", "-1", "--alpha", "1", "--beta", "0.5", "--mu", "0.1", "--L", "1"], "`n`"),
        (["worst-case", "--n", "3", "--alpha", "1", "--beta", "0.5", "--mu", "2", "--L", "1"], "`mu` must be <= `L`"),
        (["rho", "--method", "adam", "--alpha", "1", "--beta", "0", "--h", "1"], "invalid choice"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err


def test_console_script_error_has_no_traceback() -> None:
    argv = [sys.executable, "-m", "hbtheory", "optimal", "--kappa", "-3"]
    proc = subprocess.run(argv, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for cmd in ("optimal", "rho", "heatmap", "worst-case", "counterexample", "verify", "report"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
        assert "example: hbtheory " + cmd in capsys.readouterr().out


def test_docs_cli_examples_run() -> None:
    # every "$ hbtheory ..." line in docs/ is a command a reader may paste; it must succeed
    lines = [m.group(1) for f in DOCS.glob("*.md") for m in re.finditer(r"^\$ (hbtheory .*)$", f.read_text(), re.M)]
    assert lines, "docs/ shows no command-line examples"
    for line in lines:
        if " report" in line:
            continue  # the report is slow; tests/test_report.py exercises it
        argv = line.split()[1:]
        proc = subprocess.run([sys.executable, "-m", "hbtheory", *argv], capture_output=True, text=True)
        assert proc.returncode == 0, f"{line}: {proc.stderr}"


def test_verify_runs_torch_against_the_theory(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    code, out, _ = run(capsys, "verify", "--quick", "--json")
    d = json.loads(out)
    assert code == 0 and d["failed"] == 0 and len(d["checks"]) >= 8
    assert all(c["verdict"] == "PASS" for c in d["checks"])


def test_verify_rejects_a_bad_device(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    code, _, err = run(capsys, "verify", "--device", "tpu")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "device" in err


def test_counterexample_json_has_the_period_3_cycle(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "counterexample", "--json")
    d = json.loads(out)
    assert code == 0 and d["period"] == 3
    # Lessard, Recht, Packard (2016), sec. 4.6: the cycle of heavy ball at Polyak's tuning, kappa = 25
    exact = sorted([-2208 / 1225, 2592 / 1225, 792 / 1225])
    assert max(abs(a - b) for a, b in zip(sorted(d["cycle_points"]), exact, strict=True)) < 1e-9


def test_rho_grid_to_csv_matches_spectral_radius(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    from hbtheory import spectral_radius

    out = tmp_path / "rho.csv"
    code, stdout, _ = run(capsys, "rho", "--alpha-range", "0.01", "4", "--beta-range", "0", "0.99", "--grid", "30",
                          "--h", "2", "--csv", str(out), "--json")
    assert code == 0 and json.loads(stdout)["points"] == 900
    data = np.loadtxt(out, delimiter=",", skiprows=1)
    assert data.shape == (900, 4)
    np.testing.assert_array_equal(data[:, 3], spectral_radius(data[:, 0], data[:, 1], data[:, 2]))


def test_heatmap_writes_an_image_and_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "h.png"
    code, _, _ = run(capsys, "heatmap", "--kappa", "100", "--gfj", "--grid", "60", "--out", str(out))
    assert code == 0 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for argv, needle in [
        (["heatmap", "--kappa", "100", "--h", "1", "--out", str(out)], "exactly one of"),
        (["heatmap", "--kappa", "100", "--out", str(tmp_path / "h.gif")], ".png, .pdf or .svg"),
        (["heatmap", "--kappa", "0.5", "--out", str(out)], "`kappa`"),
        (["heatmap", "--kappa", "100", "--out", str(tmp_path / "missing" / "h.png")], "does not exist"),
        (["rho", "--alpha-range", "0", "1", "--beta-range", "0", "1", "--h", "1", "--csv", str(tmp_path / "r.csv")],
         "`alpha`"),
    ]:
        code, _, err = run(capsys, *argv)
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.png"]  # nothing half-written
