"""Shared test configuration: a deterministic hypothesis profile and float64 everywhere."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, NamedTuple

if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest-xdist runs one worker per core (``-n 2`` in pyproject.toml): each worker must use one
    # thread, or the two workers' BLAS/OpenMP/torch pools oversubscribe the two cores. These variables
    # are read when numpy and torch load, so they are set before either is imported (this file is
    # loaded before any test module; example and CLI subprocesses inherit them).
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

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
    """The full report, built once per test session (about 12 s).

    Under pytest-xdist a session fixture is built once per worker that uses it: ``--dist
    loadscope`` (pyproject.toml) keeps a module on one worker, so use it from tests/test_report.py
    only (or it is built twice).
    """
    from hbtheory.report import write_report

    out = tmp_path_factory.mktemp("report") / "hbtheory-report"
    start = time.perf_counter()
    summary = write_report(out, progress=False)
    return ReportBuild(out, summary, time.perf_counter() - start)



#: Fixtures that make a test a long end-to-end run: the full report build and a real browser.
END_TO_END_FIXTURES = frozenset({"report_build", "browser", "tab"})


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m "not slow" deselection sees the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that uses one of :data:`END_TO_END_FIXTURES` (the example scripts'
    modules and the docs' CLI examples carry the mark themselves): ``python -m pytest -q`` leaves
    them out, ``python -m pytest -q -m slow`` runs them, and CI runs both (pyproject.toml)."""
    for item in items:
        if END_TO_END_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
