"""Validation of the arguments shared by the empirical runs (steps, seeds, flags, spectra)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._validation import as_int, as_real

__all__ = ["as_bool", "as_eigenvalues", "as_seed", "as_steps"]


def as_steps(value: Any, name: str = "steps", *, low: int = 1) -> int:
    """A single whole number ``>= low``."""
    if np.ndim(value) != 0:
        raise TypeError(f"`{name}` must be a single integer")
    return int(as_int(value, name, low=low))


def as_seed(value: Any) -> int:
    """An integer seed ``>= 0``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"`seed` must be an integer, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"`seed` must be >= 0, got {value}")
    return int(value)


def as_bool(value: Any, name: str) -> bool:
    """A real ``bool`` (no truthy strings or numbers)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a bool, got {type(value).__name__}")
    return bool(value)


def as_eigenvalues(value: Any, name: str = "eigenvalues") -> NDArray[np.float64]:
    """A non-empty 1-D array of finite reals."""
    arr = np.atleast_1d(as_real(value, name))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-D array, got shape {np.shape(value)}")
    return arr
