"""Input validation shared by every public function.

One helper per kind of parameter, so that every function rejects bad input the same way: a
``TypeError`` for something that is not a real number, a ``ValueError`` naming the parameter, the
allowed range and the first offending value (with its index for arrays) otherwise. Nothing here
computes mathematics; it only guards it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = [
    "FloatArray",
    "as_int",
    "as_real",
    "as_scalar",
    "check_interval",
    "finish",
]


def _describe(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    lo = "-inf" if low is None else repr(float(low))
    hi = "inf" if high is None else repr(float(high))
    left = "(" if (low is None or low_open) else "["
    right = ")" if (high is None or high_open) else "]"
    return f"{left}{lo}, {hi}{right}"


def _first_bad(mask: NDArray[np.bool_], values: NDArray[Any]) -> str:
    if values.ndim == 0:
        return f"got {values.item()!r}"
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return f"got {values[index].item()!r} at index {index}"


def as_real(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> FloatArray:
    """Return ``value`` as a float64 array after checking that it is real, finite and in range.

    Raises ``TypeError`` for non-numeric, boolean or complex input and ``ValueError`` for NaN,
    infinity or a value outside the interval given by ``low``/``high`` (closed unless the
    matching ``*_open`` flag is set).
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"`{name}` must be a real number or an array of real numbers, got {type(value).__name__}")
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a real number, got a boolean")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - numpy raises many kinds here
        raise TypeError(f"`{name}` must be a real number or an array of real numbers") from exc
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        kind = "complex" if arr.dtype.kind == "c" else arr.dtype.name
        raise TypeError(f"`{name}` must be a real number or an array of real numbers, got dtype {kind}")
    arr = arr.astype(np.float64, copy=False)
    if arr.size == 0:
        return arr
    # Two reductions decide the common case without a temporary the size of the input (min and
    # max propagate NaN); the element-wise masks below run only to name the first bad value.
    extremes = np.array([arr.min(), arr.max()])
    if np.isfinite(extremes).all() and not _outside(extremes, low, high, low_open, high_open).any():
        return arr
    finite = np.isfinite(arr)
    if not finite.all():
        raise ValueError(f"`{name}` must be finite, {_first_bad(~finite, arr)}")
    allowed = _describe(low, high, low_open, high_open)
    raise ValueError(f"`{name}` must be in {allowed}, {_first_bad(_outside(arr, low, high, low_open, high_open), arr)}")


def _outside(
    x: FloatArray, low: float | None, high: float | None, low_open: bool, high_open: bool
) -> NDArray[np.bool_]:
    """Mask of the values of ``x`` outside the interval given by ``low``/``high``."""
    bad = np.zeros(x.shape, dtype=bool)
    if low is not None:
        bad |= (x <= low) if low_open else (x < low)
    if high is not None:
        bad |= (x >= high) if high_open else (x > high)
    return bad


def as_int(value: Any, name: str, *, low: int = 0) -> NDArray[np.int64]:
    """Return ``value`` as an int64 array of whole numbers ``>= low``.

    Floats are accepted when they are whole (``3.0``); ``3.5`` is a ``ValueError`` and a string
    or boolean a ``TypeError``.
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"`{name}` must be an integer or an array of integers, got {type(value).__name__}")
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be an integer, got a boolean")
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        raise TypeError(f"`{name}` must be an integer or an array of integers, got dtype {arr.dtype.name}")
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            raise ValueError(f"`{name}` must be a finite integer, {_first_bad(~finite, arr)}")
        whole = arr == np.round(arr)
        if not whole.all():
            raise ValueError(f"`{name}` must be a whole number, {_first_bad(~whole, arr)}")
    ints = arr.astype(np.int64)
    bad = ints < low
    if bad.any():
        raise ValueError(f"`{name}` must be an integer >= {low}, {_first_bad(bad, arr)}")
    return ints


def as_scalar(value: Any, name: str, **bounds: Any) -> float:
    """Validate a parameter that must be a single real number and return it as a float."""
    if isinstance(value, (list, tuple)) or np.ndim(value) != 0:
        raise TypeError(f"`{name}` must be a single real number, got an array of shape {np.shape(value)}")
    return float(as_real(value, name, **bounds))


def check_interval(mu: Any, L: Any) -> tuple[FloatArray, FloatArray]:
    """Validate a spectrum interval ``[mu, L]`` with ``0 < mu <= L`` (arrays broadcast)."""
    mu_arr = as_real(mu, "mu", low=0.0, low_open=True)
    L_arr = as_real(L, "L", low=0.0, low_open=True)
    mu_b, L_b = np.broadcast_arrays(mu_arr, L_arr)
    bad = mu_b > L_b
    if bad.any():
        raise ValueError(
            f"`mu` must be <= `L` (the spectrum is [mu, L]), {_first_bad(bad, mu_b)} "
            f"with L = {_first_value(bad, L_b)!r}"
        )
    return mu_arr, L_arr


def _first_value(mask: NDArray[np.bool_], values: NDArray[Any]) -> float:
    if values.ndim == 0:
        return float(values)
    return float(values[tuple(np.argwhere(mask)[0])])


def finish(result: NDArray[Any]) -> Any:
    """Return a 0-d result as a numpy scalar and anything else unchanged (numpy's convention)."""
    return result[()] if result.ndim == 0 else result
