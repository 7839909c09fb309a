"""Double-double arithmetic on numpy arrays (error-free transformations).

A :class:`DD` number is an unevaluated sum ``hi + lo`` of two float64 arrays with
``|lo| <= ulp(hi) / 2``, carrying about 106 bits. ``+``, ``-`` and ``*`` are all the method
coefficients in :mod:`hbtheory.methods` use, so evaluating the *same* coefficient functions on
:class:`DD` inputs gives them (and the discriminant) to about 1e-32 relative. :func:`dd_sqrt`,
``abs`` and :func:`dd_where` are what the spectral radius needs on top of that, so that it can be
rounded to float64 once, at the end.

References: T. J. Dekker, "A floating-point technique for extending the available precision",
Numer. Math. 18 (1971); Y. Hida, X. S. Li, D. H. Bailey, "Algorithms for quad-double precision
floating point arithmetic", ARITH-15 (2001), algorithms 4-7 and the "sloppy"/IEEE add and mul.

:func:`two_prod` is error-free for any float64 operands whose product and partial products
neither overflow nor fall below the normal range (about ``|a b| > 2**-969``).
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np
from numpy.typing import NDArray

Arr = NDArray[np.float64]
_SPLITTER = 134217729.0  # 2**27 + 1
_SPLIT_MAX = 2.0**995


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
    """Veltkamp's split of ``a`` into two 26-bit halves with ``hi + lo == a``.

    ``2**27 + 1`` times ``a`` overflows beyond ``2**996``; such values are split at ``a / 2**28``
    and scaled back (exact: powers of two).
    """
    big = np.abs(a) > _SPLIT_MAX
    scaled = np.where(big, a * 2.0**-28, a)
    c = _SPLITTER * scaled
    hi = c - (c - scaled)
    lo = scaled - hi
    if np.any(big):
        hi, lo = np.where(big, hi * 2.0**28, hi), np.where(big, lo * 2.0**28, lo)
    return hi, lo


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

    def __abs__(self) -> DD:
        neg = self.hi < 0.0
        return DD(np.where(neg, -self.hi, self.hi), np.where(neg, -self.lo, self.lo))

    def __getitem__(self, index: Any) -> DD:
        return DD(self.hi[index], self.lo[index])

    def to_float(self) -> Arr:
        """Round to the nearest float64 (``hi + lo`` in one rounding)."""
        return self.hi + self.lo


def dd_where(mask: NDArray[np.bool_], x: DD, y: DD) -> DD:
    """Elementwise ``x if mask else y``."""
    return DD(np.where(mask, x.hi, y.hi), np.where(mask, x.lo, y.lo))


def dd_sqrt(x: DD) -> DD:
    """Square root of a non-negative :class:`DD` (negative values give 0).

    One Newton step from the float64 root, with the residual ``x - s**2`` formed exactly by
    :func:`two_prod`: the result is accurate to about ``2**-104`` relative (Hida, Li and Bailey's
    ``sqrt``). Zero maps to zero without a division by zero.
    """
    hi = np.maximum(x.hi, 0.0)
    lo = np.where(x.hi > 0.0, x.lo, 0.0)
    s = np.sqrt(hi)
    p, e = two_prod(s, s)
    positive = s > 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(positive, (((hi - p) - e) + lo) / (2.0 * np.where(positive, s, 1.0)), 0.0)
    return DD(*quick_two_sum(s, r))
