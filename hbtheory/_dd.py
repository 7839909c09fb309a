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

import math
from typing import Any, TypeGuard, Union

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
    with np.errstate(over="ignore", invalid="ignore"):
        c = _SPLITTER * a
        hi = c - (c - a)
    if not np.isfinite(c).all():  # 2**27 * a overflowed (or a is not finite)
        big = ~(np.abs(a) <= _SPLIT_MAX)
        scaled = np.where(big, a * 2.0**-28, a)
        c = _SPLITTER * scaled
        hi = c - (c - scaled)
        lo = scaled - hi
        return np.where(big, hi * 2.0**28, hi), np.where(big, lo * 2.0**28, lo)
    return hi, a - hi


def two_prod(a: Arr, b: Arr) -> tuple[Arr, Arr]:
    """Dekker's TwoProduct: ``p + e == a * b`` exactly, ``p = fl(a * b)``."""
    if a is b:
        return two_square(a)
    with np.errstate(over="ignore", under="ignore"):
        p = a * b
    if not _moderate(a) or not _moderate(b):
        return _two_prod_scaled(a, b, p)
    return p, _dekker_error(a, b, p)


def _dekker_error(a: Arr, b: Arr, p: Arr) -> Arr:
    ah, al = split(a)
    bh, bl = split(b)
    e: Arr = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return e


_MODERATE = 2.0**450


def _moderate(x: Arr) -> bool:
    """Every nonzero ``|x|`` in ``[2**-450, 2**450]``: Dekker's partial products neither overflow nor
    lose bits below the normal range for any two such operands whose product is normal."""
    ax = np.abs(x)
    return bool(np.all((ax <= _MODERATE) & ((ax >= 1.0 / _MODERATE) | (ax == 0.0))))


def _two_prod_scaled(a: Arr, b: Arr, p: Arr) -> tuple[Arr, Arr]:
    """:func:`two_prod` for operands of any magnitude (e.g. ``5e-324 * 1.8e308``): the mantissas
    in ``[0.5, 1)`` are multiplied error-free and the exponents added back (exact by powers of two
    wherever ``p`` and the error are normal numbers; ``p`` is ``a * b`` as rounded by numpy)."""
    ma, ea = np.frexp(a)
    mb, eb = np.frexp(b)
    pm = ma * mb
    em = _dekker_error(ma, mb, pm)
    with np.errstate(over="ignore", under="ignore"):
        e = np.where(np.isfinite(p), np.ldexp(em, ea + eb) + (np.ldexp(pm, ea + eb) - p), 0.0)
    return p, e


def two_square(a: Arr) -> tuple[Arr, Arr]:
    """:func:`two_prod` of ``a`` with itself, splitting once: ``p + e == a * a`` exactly."""
    p = a * a
    ah, al = split(a)
    e = ((ah * ah - p) + 2.0 * (ah * al)) + al * al
    return p, e


Operand = Union["DD", float, int, Arr]


def _power_of_two(x: object) -> TypeGuard[float | int]:
    """``x`` is a Python number whose product with any float64 is exact (0 or +-2**k)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and (x == 0 or abs(math.frexp(x)[0]) == 0.5)


class DD:
    """An array of double-double numbers ``hi + lo`` supporting ``+``, ``-`` and ``*``.

    A number built without ``lo`` (a float64 input, exactly representable) remembers that its
    ``lo`` is zero, and the operations skip the terms that would only add zeros: the sum or the
    product of two such numbers is a single :func:`two_sum` or :func:`two_prod`, and a product with
    a Python power of two (``0.5``, ``4``) is exact. The results are the same as without the
    shortcuts; they only save numpy passes on the routed points of :mod:`hbtheory._kernel`.
    """

    __slots__ = ("exact", "hi", "lo")

    def __init__(self, hi: Any, lo: Any = 0.0) -> None:
        self.hi = np.asarray(hi, dtype=np.float64)
        self.exact = isinstance(lo, (int, float)) and lo == 0
        self.lo = np.asarray(lo, dtype=np.float64)

    @staticmethod
    def _lift(x: Operand) -> DD:
        return x if isinstance(x, DD) else DD(x)

    def __add__(self, other: Operand) -> DD:
        o = DD._lift(other)
        if self.exact and o.exact:
            return DD(*two_sum(self.hi, o.hi))
        if self.exact or o.exact:  # double-double plus double (Hida, Li and Bailey)
            x, y = (o, self) if self.exact else (self, o)
            s, e = two_sum(x.hi, y.hi)
            return DD(*quick_two_sum(s, e + x.lo))
        s, e = two_sum(self.hi, o.hi)
        t, f = two_sum(self.lo, o.lo)
        e = e + t
        s, e = quick_two_sum(s, e)
        e = e + f
        s, e = quick_two_sum(s, e)
        return DD(s, e)

    __radd__ = __add__

    def __neg__(self) -> DD:
        return DD(-self.hi) if self.exact else DD(-self.hi, -self.lo)

    def __sub__(self, other: Operand) -> DD:
        return self + (-DD._lift(other))

    def __rsub__(self, other: Operand) -> DD:
        return DD._lift(other) + (-self)

    def __mul__(self, other: Operand) -> DD:
        if _power_of_two(other):
            k = float(other)
            return DD(self.hi * k) if self.exact else DD(self.hi * k, self.lo * k)
        o = DD._lift(other)
        if self.exact and o.exact:
            return DD(*two_prod(self.hi, o.hi))
        p, e = two_prod(self.hi, o.hi)
        if self.exact or o.exact:  # double-double times double
            x, y = (o, self) if self.exact else (self, o)
            return DD(*quick_two_sum(p, e + x.lo * y.hi))
        e = e + (self.hi * o.lo + self.lo * o.hi)
        p, e = quick_two_sum(p, e)
        return DD(p, e)

    __rmul__ = __mul__

    def __abs__(self) -> DD:
        if self.exact:
            return DD(np.abs(self.hi))
        neg = self.hi < 0.0
        return DD(np.where(neg, -self.hi, self.hi), np.where(neg, -self.lo, self.lo))

    def __getitem__(self, index: Any) -> DD:
        return DD(self.hi[index]) if self.exact else DD(self.hi[index], self.lo[index])

    def to_float(self) -> Arr:
        """Round to the nearest float64 (``hi + lo`` in one rounding)."""
        return self.hi + self.lo


def dd_where(mask: NDArray[np.bool_], x: DD, y: DD) -> DD:
    """Elementwise ``x if mask else y``."""
    return DD(np.where(mask, x.hi, y.hi), np.where(mask, x.lo, y.lo))


def dd_sqrt(x: DD) -> DD:
    """Square root of a non-negative :class:`DD` (negative values give 0).

    One Newton step from the float64 root, with the residual ``x - s**2`` formed exactly by
    :func:`two_square`: the result is accurate to about ``2**-104`` relative (Hida, Li and Bailey's
    ``sqrt``). Zero maps to zero without a division by zero.
    """
    positive = x.hi > 0.0
    hi = np.where(positive, x.hi, 1.0)  # placeholders, replaced by 0 at the end
    s = np.sqrt(hi)
    p, e = two_square(s)
    r = ((hi - p) - e) / (2.0 * s) if x.exact else (((hi - p) - e) + x.lo) / (2.0 * s)
    s, r = quick_two_sum(s, r)
    return DD(np.where(positive, s, 0.0), np.where(positive, r, 0.0))


def dd_add_positive(x: DD, y: DD) -> DD:
    """``x + y`` for non-negative ``x`` and ``y``: no cancellation, so the "sloppy" addition of
    Hida, Li and Bailey (one :func:`two_sum`) is accurate to about ``2**-104`` relative."""
    s, e = two_sum(x.hi, y.hi)
    return DD(*quick_two_sum(s, e + (x.lo + y.lo)))


def dd_div(x: DD, y: DD) -> DD:
    """``x / y`` to about ``2**-100`` relative (long division with two float64 quotient digits;
    Hida, Li and Bailey's "sloppy" division). ``y`` must be nonzero."""
    q1 = x.hi / y.hi
    r = x - y * DD(q1)
    q2 = r.hi / y.hi
    r = r - y * DD(q2)
    q3 = r.hi / y.hi
    s, e = quick_two_sum(q1, q2)
    return DD(*quick_two_sum(s, e + q3))
