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
    "number",
]

#: Largest value an int64 holds (``as_int`` refuses larger ones instead of wrapping around).
_INT64_MAX = int(np.iinfo(np.int64).max)


def number(x: Any) -> str:
    """A real number as a message shows it: the shortest repr of its float64 (``0.5``, not
    ``np.float64(0.5)``), or the integer itself for an integer.

    Examples
    --------
    >>> number(np.float64(0.5)), number(np.array(2.0)), number(np.int64(3)), number(10**20)
    ('0.5', '2.0', '3', '100000000000000000000')
    """
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        digits = str(int(x))
        return digits if len(digits.lstrip("-")) <= 30 else f"an integer of {len(digits.lstrip('-'))} digits"
    try:
        return repr(float(x))
    except (TypeError, ValueError, OverflowError):
        return repr(x)


def _describe(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    lo = "-inf" if low is None else repr(float(low))
    hi = "inf" if high is None else repr(float(high))
    left = "(" if (low is None or low_open) else "["
    right = ")" if (high is None or high_open) else "]"
    return f"{left}{lo}, {hi}{right}"


def _first_bad(mask: NDArray[np.bool_], values: NDArray[Any]) -> str:
    if values.ndim == 0:
        return f"got {number(values.item())}"
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return f"got {number(values[index].item())} at index {index}"


def _is_real_scalar(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _exact_objects(value: Any, name: str, plural: str) -> NDArray[Any]:
    """``value`` as a numpy array, refusing what ``np.asarray`` would silently turn into numbers
    (a boolean or a complex number with zero imaginary part inside a list) and turning Python
    integers beyond int64 (``10**20``) into floats instead of an object array.

    Lists and tuples are inspected element by element (they are small in practice); numpy
    arrays carry their dtype and are taken as they are.
    """
    what = f"`{name}` must be {plural}"
    if not isinstance(value, (list, tuple)):
        if isinstance(value, int) and not isinstance(value, bool) and not -_INT64_MAX <= value <= _INT64_MAX:
            try:
                return np.asarray(float(value))
            except OverflowError:
                raise ValueError(f"`{name}` must be finite, got {number(value)}") from None
        try:
            return np.asarray(value)
        except Exception as exc:  # pragma: no cover - numpy raises many kinds here
            raise TypeError(f"{what}, got {type(value).__name__}") from exc
    try:
        obj = np.asarray(value, dtype=object)
    except Exception as exc:  # a ragged nesting numpy cannot even hold as objects
        raise TypeError(f"{what}, got a ragged nested sequence") from exc
    flat = obj.ravel()
    for x in flat:
        if not _is_real_scalar(x):
            if isinstance(x, (list, tuple, np.ndarray)):
                raise TypeError(f"{what}, got a ragged nested sequence")
            kind = "a boolean" if isinstance(x, (bool, np.bool_)) else f"a {type(x).__name__}"
            raise TypeError(f"{what}, got {kind} in the sequence")
    if any(isinstance(x, int) and not -_INT64_MAX <= x <= _INT64_MAX for x in flat):
        try:
            return np.asarray([float(x) for x in flat], dtype=np.float64).reshape(obj.shape)
        except OverflowError:
            raise ValueError(f"`{name}` must be finite, got an integer too large for float64 in the sequence") from None
    return np.asarray(value)


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
    arr = _exact_objects(value, name, "a real number or an array of real numbers")
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
    or boolean a ``TypeError``. A whole number beyond int64 (``2**63``, ``1e300``) is a
    ``ValueError`` (never wrapped around).
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"`{name}` must be an integer or an array of integers, got {type(value).__name__}")
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be an integer, got a boolean")
    if isinstance(value, int) and not -_INT64_MAX <= value <= _INT64_MAX:
        raise ValueError(f"`{name}` must be an integer in [{low}, {_INT64_MAX}], got {number(value)}")
    arr = _exact_objects(value, name, "an integer or an array of integers")
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        kind = "complex" if arr.dtype.kind == "c" else arr.dtype.name
        raise TypeError(f"`{name}` must be an integer or an array of integers, got dtype {kind}")
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            raise ValueError(f"`{name}` must be a finite integer, {_first_bad(~finite, arr)}")
        whole = arr == np.round(arr)
        if not whole.all():
            raise ValueError(f"`{name}` must be a whole number, {_first_bad(~whole, arr)}")
        # 2.0**63 is the first float beyond int64: compare before the cast, which would wrap.
        big = np.abs(arr) >= 2.0**63
    elif arr.dtype.kind == "u":
        big = arr > _INT64_MAX
    else:
        big = np.zeros(arr.shape, dtype=bool)
    if big.any():
        raise ValueError(f"`{name}` must be an integer in [{low}, {_INT64_MAX}], {_first_bad(big, arr)}")
    ints = arr.astype(np.int64)
    bad = ints < low
    if bad.any():
        raise ValueError(f"`{name}` must be an integer >= {low}, {_first_bad(bad, arr)}")
    return ints


def as_scalar(value: Any, name: str, **bounds: Any) -> float:
    """Validate a parameter that must be a single real number and return it as a float."""
    try:
        shape: tuple[int, ...] | None = np.shape(value)
    except ValueError:  # a ragged nesting has no shape
        shape = None
    if isinstance(value, (list, tuple)) or shape != ():
        what = "a ragged nested sequence" if shape is None else f"an array of shape {shape}"
        raise TypeError(f"`{name}` must be a single real number, got {what}")
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
            f"with L = {number(_first_value(bad, L_b))}"
        )
    return mu_arr, L_arr


def _first_value(mask: NDArray[np.bool_], values: NDArray[Any]) -> float:
    if values.ndim == 0:
        return float(values)
    return float(values[tuple(np.argwhere(mask)[0])])


def finish(result: NDArray[Any]) -> Any:
    """Return a 0-d result as a numpy scalar and anything else unchanged (numpy's convention)."""
    return result[()] if result.ndim == 0 else result
