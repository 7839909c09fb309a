"""The report's mean-square rows pass on the real code and fail on a wrong one."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from hbtheory import report, stochastic


def _verdicts(rows: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r.key, []).append(r.verdict)
    return out


def test_mean_square_rows_pass() -> None:
    v = _verdicts(report._check_mean_square(True))
    assert v == {"ms_reference": ["PASS"], "ms_exact": ["PASS", "PASS"], "ms_region": ["PASS"],
                 "ms_coupled": ["PASS"]}


def test_mean_square_rows_fail_on_wrong_code(monkeypatch: pytest.MonkeyPatch) -> None:
    real_moment = stochastic.stationary_second_moment
    real_stable = stochastic.mean_square_stable
    real_rate = stochastic.coupled_mean_square_rate
    # a moment 1e-9 too large, a stability test that ignores the sampling noise (the deterministic
    # region), a coupled rate 1e-9 too large: each must turn its row red
    monkeypatch.setattr(stochastic, "stationary_second_moment",
                        lambda *a, **k: np.asarray(real_moment(*a, **k)) * (1 + 1e-9))
    monkeypatch.setattr(stochastic, "mean_square_stable",
                        lambda alpha, beta, h, *, curvature_variance, method: real_stable(
                            alpha, beta, h, curvature_variance=0.0 * curvature_variance, method=method))
    monkeypatch.setattr(stochastic, "coupled_mean_square_rate", lambda *a, **k: real_rate(*a, **k) * (1 + 1e-9))
    v = _verdicts(report._check_mean_square(True))
    assert v == {"ms_reference": ["FAIL"], "ms_exact": ["FAIL", "FAIL"], "ms_region": ["FAIL"],
                 "ms_coupled": ["FAIL"]}


def test_kidambi_row_needs_a_reliable_run() -> None:
    claim = report.CLAIMS["ms_kidambi"]
    assert claim.check(1.68, 2.0, how="t", cases=16384).verdict == "PASS"
    assert claim.check(2.01, 2.0, how="t", cases=16384).verdict == "FAIL"
    assert claim.check(float("nan"), 2.0, how="t", cases=16384).verdict == "FAIL"   # a heavy-tailed run
    assert claim.check(1.68, 2.0, how="t", cases=512).verdict == "FAIL"             # too few replicas
