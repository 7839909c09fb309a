"""Base class of every hbtheory result: readable printing, plain dicts for JSON, safe equality."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np

__all__ = ["Result", "plain"]

_PREVIEW = 4


def plain(value: Any) -> Any:
    """``value`` with numpy arrays and scalars turned into lists and Python numbers, recursively."""
    if isinstance(value, Result):
        return value.as_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= _PREVIEW:
            return np.array2string(value, precision=6, separator=", ")
        head = ", ".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in value.ravel()[:_PREVIEW].tolist())
        return f"array{value.shape} [{head}, ...]"
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, Result):
        return type(value).__name__ + "(...)"
    if isinstance(value, (list, tuple)) and len(value) > _PREVIEW:
        return f"{type(value).__name__} of {len(value)}"
    return repr(value)


class Result:
    """Mixin for every frozen result dataclass of hbtheory (one base, one JSON policy).

    * ``str(result)`` prints one field per line, long arrays summarised by shape and first values;
    * :meth:`as_dict` gives plain Python containers (lists, floats, ints, str, bool);
    * :meth:`to_json` gives strict JSON (non-finite floats become ``null``);
    * ``==`` compares field by field, arrays with :func:`numpy.array_equal` (NaN equal to NaN).
    """

    def as_dict(self) -> dict[str, Any]:
        """The fields as a ``dict`` of plain Python values (arrays become nested lists)."""
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def to_json(self, **kwargs: Any) -> str:
        """Strict JSON text of :meth:`as_dict` (NaN and infinities become ``null``)."""
        return json.dumps(_json_safe(self.as_dict()), allow_nan=False, **kwargs)

    def __str__(self) -> str:
        lines = [type(self).__name__]
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            lines.append(f"  {f.name}: {_short(getattr(self, f.name))}")
        return "\n".join(lines)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                a_arr, b_arr = np.asarray(a), np.asarray(b)
                nan_ok = a_arr.dtype.kind in "fc" and b_arr.dtype.kind in "fc"
                if a_arr.shape != b_arr.shape or not np.array_equal(a_arr, b_arr, equal_nan=nan_ok):
                    return False
            elif a != b:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]


def frozen_array(values: Any, dtype: Any = np.float64) -> np.ndarray[Any, Any]:
    """A read-only copy of ``values`` as an array (results are immutable)."""
    arr = np.array(values, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr
