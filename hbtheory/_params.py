"""Validation of the method parameters ``(alpha, beta, h)`` shared by the numeric layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from hbtheory._validation import FloatArray, as_real, number
from hbtheory.methods import Method, get_method

__all__ = ["check_alpha_beta", "check_method_params"]


def check_alpha_beta(method: str | Method, alpha: Any, beta: Any) -> tuple[Method, FloatArray, FloatArray]:
    """Validate ``method``, ``alpha > 0`` and ``beta`` in ``[0, 1]`` (exactly 0 for gradient descent).

    ``alpha = 0`` is refused with a message that says so and how to start a grid above 0.
    """
    m = get_method(method)
    try:
        a = as_real(alpha, "alpha", low=0.0, low_open=True)
    except ValueError as err:
        if "got 0.0" not in str(err):
            raise
        # alpha = 0 is excluded on purpose (rho would be defined, max(1, |beta|): the method stands
        # still), so that every layer has one range; say so, and how to write a grid from 0.
        raise ValueError(
            f"{err}; alpha = 0 is excluded (a zero step does not move), start a range above 0, "
            "e.g. np.linspace(0, 4, 501)[1:]"
        ) from None
    if m.uses_beta:
        b = as_real(beta, "beta", low=0.0, high=1.0)
    else:
        b = as_real(beta, "beta")
        nonzero = b != 0.0
        if nonzero.any():
            raise ValueError(
                f"`beta` must be 0 for method '{m.name}' (it has no momentum), got {number(b[nonzero].flat[0])}"
            )
    return m, a, b


def check_method_params(
    method: str | Method, alpha: Any, beta: Any, h: Any
) -> tuple[Method, FloatArray, FloatArray, FloatArray]:
    """Validate ``(method, alpha, beta, h)``: ``h`` is any finite real (negative = concave direction)."""
    m, a, b = check_alpha_beta(method, alpha, beta)
    hh = as_real(h, "h")
    try:
        np.broadcast_shapes(a.shape, b.shape, hh.shape)
    except ValueError:
        raise ValueError(
            f"`alpha`, `beta` and `h` must broadcast together, got shapes {a.shape}, {b.shape}, {hh.shape}"
        ) from None
    return m, a, b, hh
