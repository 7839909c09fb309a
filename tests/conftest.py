"""Shared test configuration: a deterministic hypothesis profile and float64 everywhere."""

from __future__ import annotations

import os

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
