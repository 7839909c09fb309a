"""Double-double arithmetic on numpy arrays (error-free transformations).

A :class:`DD` number is an unevaluated sum ``hi + lo`` of two float64 arrays with
``|lo| <= ulp(hi) / 2``, carrying about 106 bits. Only ``+``, ``-`` and ``*`` are provided: that is
all the method coefficients in :mod:`hbtheory.methods` use, so evaluating the *same* coefficient
functions on :class:`DD` inputs gives them (and the discriminant) to about 1e-32 relative.

References: T. J. Dekker, "A floating-point technique for extending the available precision",
Numer. Math. 18 (1971); Y. Hida, X. S. Li, D. H. Bailey, "Algorithms for quad-double precision
floating point arithmetic", ARITH-15 (2001), algorithms 4-7 and the "sloppy"/IEEE add and mul.

The Veltkamp split used by :func:`two_prod` overflows for ``|a| > 2**996``; callers pass values
of ordinary size (step sizes, momenta, curvatures).
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np
from numpy.typing import NDArray

Arr = NDArray[np.float64]
_SPLITTER = 134217729.0  # 2**27 + 1


def two_sum(a: Arr, b: Arr) -> tuple[Arr, Arr]:
    """Knuth's TwoSum: ``s + e == a + b`` exactly, ``s = fl(a + b)``."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


def quick_two_sum(a: Arr, b: Arr) -> tuple[Arr, Arr]:
    """Dekker's FastTwoSum, valid when ``|a| >= |b|`` (or ``a == 0``)."""
    s = a + b
    e = b - (s - a)
    return s, e


def split(a: Arr) -> tuple[Arr, Arr]:
    """Veltkamp's split of ``a`` into two 26-bit halves with ``hi + lo == a``."""
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a: Arr, b: Arr) -> tuple[Arr, Arr]:
    """Dekker's TwoProduct: ``p + e == a * b`` exactly, ``p = fl(a * b)``."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


Operand = Union["DD", float, int, Arr]


class DD:
    """An array of double-double numbers ``hi + lo`` supporting ``+``, ``-`` and ``*``."""

    __slots__ = ("hi", "lo")

    def __init__(self, hi: Any, lo: Any = 0.0) -> None:
        self.hi = np.asarray(hi, dtype=np.float64)
        self.lo = np.asarray(lo, dtype=np.float64)

    @staticmethod
    def _lift(x: Operand) -> DD:
        return x if isinstance(x, DD) else DD(x, 0.0)

    def __add__(self, other: Operand) -> DD:
        o = DD._lift(other)
        s, e = two_sum(self.hi, o.hi)
        t, f = two_sum(self.lo, o.lo)
        e = e + t
        s, e = quick_two_sum(s, e)
        e = e + f
        s, e = quick_two_sum(s, e)
        return DD(s, e)

    __radd__ = __add__

    def __neg__(self) -> DD:
        return DD(-self.hi, -self.lo)

    def __sub__(self, other: Operand) -> DD:
        return self + (-DD._lift(other))

    def __rsub__(self, other: Operand) -> DD:
        return DD._lift(other) + (-self)

    def __mul__(self, other: Operand) -> DD:
        o = DD._lift(other)
        p, e = two_prod(self.hi, o.hi)
        e = e + (self.hi * o.lo + self.lo * o.hi)
        p, e = quick_two_sum(p, e)
        return DD(p, e)

    __rmul__ = __mul__

    def to_float(self) -> Arr:
        """Round to the nearest float64 (``hi + lo`` in one rounding)."""
        return self.hi + self.lo
