"""The `hbtheory robust` subcommand (one point, and the map), in-process."""

from __future__ import annotations

import json
import math

import pytest

from hbtheory.cli import main


def test_point_certified_and_cycling(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["robust", "--alpha", "0.111111111111", "--beta", "0.444444444444", "--mu", "1", "--L", "25",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["certified_rate"] is None and 3 in out["cycle_periods"]   # inf is null in JSON
    assert main(["robust", "--alpha", "0.5", "--beta", "0", "--mu", "1", "--L", "3", "--method", "gradient_descent",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert math.isclose(out["certified_rate"], 0.5, abs_tol=2e-9) and out["cycle_periods"] == []


def test_map(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "map.png"
    assert main(["robust", "--kappa", "10", "--out", str(target), "--grid", "6"]) == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote" in capsys.readouterr().out


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["robust", "--alpha", "0.5", "--kappa", "10"]) == 2
    assert main(["robust", "--kappa", "10"]) == 2
    assert main(["robust", "--alpha", "0.5", "--beta", "0.5"]) == 2
    assert main(["robust", "--alpha", "-1", "--beta", "0.5", "--kappa", "10"]) == 2
    err = capsys.readouterr().err
    assert "alpha" in err
