"""Shared test configuration: a deterministic hypothesis profile and float64 everywhere."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "hbtheory",
    derandomize=True,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "hbtheory"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: the same test gives the same numbers on every run."""
    return np.random.default_rng(20261122)


class ReportBuild(NamedTuple):
    """One full ``hbtheory report`` build, shared by every test that reads a report."""

    out: Path
    summary: dict[str, Any]
    seconds: float


@pytest.fixture(scope="session")
def report_build(tmp_path_factory: pytest.TempPathFactory) -> ReportBuild:
    """The full report, built once per test session (about 15 s on two cores)."""
    from hbtheory.report import write_report

    out = tmp_path_factory.mktemp("report") / "hbtheory-report"
    start = time.perf_counter()
    summary = write_report(out, progress=False)
    return ReportBuild(out, summary, time.perf_counter() - start)
