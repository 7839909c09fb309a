"""Placeholder: power_norm and theorem1_constant (being written)."""

from __future__ import annotations

from typing import Any

from hbtheory.methods import Method


def power_norm(alpha: Any, beta: Any, h: Any, t: Any, method: str | Method = "heavy_ball") -> Any:
    raise NotImplementedError


def theorem1_constant(alpha: Any, beta: Any, h: Any, eps: Any = 0.0, method: str | Method = "heavy_ball") -> Any:
    raise NotImplementedError
