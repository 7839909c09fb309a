"""Placeholder: amplification, velocity_transient, stationary_variance (being written)."""

from __future__ import annotations

from typing import Any

from hbtheory.methods import Method


def amplification(beta: Any) -> Any:
    raise NotImplementedError


def velocity_transient(alpha: Any, beta: Any, g: Any, t: Any) -> Any:
    raise NotImplementedError


def stationary_variance(alpha: Any, beta: Any, h: Any, sigma: Any, method: str | Method = "heavy_ball") -> Any:
    raise NotImplementedError
