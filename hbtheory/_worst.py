"""Placeholder: worst_case_rate and worst_case (being written)."""

from __future__ import annotations

from typing import Any

from hbtheory.methods import Method


def worst_case_rate(alpha: Any, beta: Any, mu: Any, L: Any, method: str | Method = "heavy_ball") -> Any:
    raise NotImplementedError


def worst_case(n: Any, alpha: Any, beta: Any, mu: Any, L: Any, method: str | Method = "heavy_ball") -> Any:
    raise NotImplementedError
