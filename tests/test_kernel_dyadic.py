"""``_kernel._Dyadic``: the gcd-free exact arithmetic of the near-curve path equals ``Fraction``'s."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hbtheory import methods
from hbtheory._kernel import _dd_coefficients, _Dyadic

FLOATS = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300) | st.sampled_from(
    [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.0, 0.3, 1e-300])
OPERAND = st.one_of(FLOATS, st.integers(-10**20, 10**20), FLOATS.map(Fraction))


@given(x=FLOATS, y=OPERAND, z=OPERAND)
def test_arithmetic_is_fractions(x: float, y: float | int | Fraction, z: float | int | Fraction) -> None:
    d, f = _Dyadic.from_float(x), Fraction(x)
    fy = Fraction(y)
    fz = Fraction(z)
    for got, want in (
        (d + y, f + fy), (y + d, fy + f), (d - y, f - fy), (y - d, fy - f), (d * y, f * fy), (y * d, fy * f),
        (-d, -f), (d * y - z * d + 1, f * fy - fz * f + 1), (1 + d - d * z - (d * z) * y, 1 + f - f * fz - f * fz * fy),
    ):
        assert isinstance(got, _Dyadic)
        assert got == want and got.numerator == want.numerator and got.denominator == want.denominator
        try:
            expected = float(want)
        except OverflowError:  # beyond float64: float(Fraction) refuses, and so must this
            with pytest.raises(OverflowError):
                float(got)
        else:
            assert float(got) == expected  # correctly rounded, as float(Fraction), subnormals included


def test_a_non_dyadic_operand_falls_back_to_fraction() -> None:
    third = Fraction(1, 3)
    got = _Dyadic.from_float(0.5) * third
    assert got == Fraction(1, 6) and not isinstance(got, _Dyadic)
    assert _Dyadic.from_float(0.5) + third == Fraction(5, 6)


def _on_curve(gamma: float, b: float) -> float:
    # alpha h where c1^2 = 4 c0 for c1 = 1 + b - u (1 + g), c0 = b - u g: the smaller root of
    # (1 + g)^2 u^2 - 2 u ((1 + b)(1 + g) - 2 g) + (1 - b)^2 = 0
    p = (1 + b) * (1 + gamma) - 2 * gamma
    return (p - np.sqrt(max(p * p - (1 + gamma) ** 2 * (1 - b) ** 2, 0.0))) / (1 + gamma) ** 2


@given(b=st.floats(0.01, 0.99), h=st.floats(1e-3, 1e3))
def test_the_exact_path_matches_fraction_arithmetic_for_every_member(b: float, h: float) -> None:
    # a point put on each member's critical curve in float64, so that _dd_coefficients takes its exact branch
    # for at least heavy ball; there c1, c0 and c1^2 - 4 c0 must be Fraction arithmetic's, to the last bit
    hit = 0
    for m in (methods.HEAVY_BALL, methods.NESTEROV, methods.TRIPLE_MOMENTUM, methods.general(0.3)):
        g = float(m.gamma(b)) if m.gamma is not None else 0.0
        a = _on_curve(g, b) / h
        fa, fb, fh = Fraction(a), Fraction(b), Fraction(h)
        f1, f0 = Fraction(m.c1(fa, fb, fh)), Fraction(m.c0(fa, fb, fh))
        c1, c0, disc = _dd_coefficients(m, np.array([a]), np.array([b]), np.array([h]))
        if abs(float(disc.hi[0])) > 2.0**-50 * (float(c1.hi[0]) ** 2 + 4 * abs(float(c0.hi[0]))):
            continue  # double-double branch (the float64 curve missed by more than the exact window)
        hit += 1
        for dd, value in ((c1, f1), (c0, f0), (disc, f1 * f1 - 4 * f0)):
            hi = float(value)
            assert dd.hi[0] == hi and dd.lo[0] == float(value - Fraction(hi))
    assert hit >= 1


def test_exact_branch_on_heavy_balls_double_root() -> None:
    # beta = 1/4, alpha h = 1/4: c1 = 1 = 2 sqrt(beta), an exact double root (disc = 0 exactly)
    c1, c0, disc = _dd_coefficients(methods.HEAVY_BALL, np.array([0.25]), np.array([0.25]), np.array([1.0]))
    assert disc.hi[0] == 0.0 and c1.hi[0] == 1.0 and c0.hi[0] == 0.25


def test_the_exact_cache_is_per_method_and_gives_the_same_bits() -> None:
    from hbtheory import _kernel

    h = 1.0
    for gamma in (0.3, 0.7):
        m = methods.general(gamma)
        for b in np.linspace(0.05, 0.95, 91):  # the first float64 curve point inside the exact window
            a = np.array([_on_curve(gamma, float(b)) / h])
            first = _dd_coefficients(m, a, np.array([b]), np.array([h]))
            if _kernel._EXACT_CACHE.get(m):
                break
        else:
            raise AssertionError(f"no point of general({gamma})'s curve took the exact branch")
        again = _dd_coefficients(m, a, np.array([b]), np.array([h]))
        for x, y in zip(first, again, strict=True):
            assert np.array_equal(x.hi, y.hi)
            assert np.array_equal(np.broadcast_to(x.lo, (1,)), np.broadcast_to(y.lo, (1,)))
        # another method at this point is computed for itself, not read from this method's cache
        other_gamma = 1.0 - gamma
        other = _dd_coefficients(methods.general(other_gamma), a, np.array([b]), np.array([h]))
        want = Fraction(float(b)) - Fraction(float(a[0])) * Fraction(h) * Fraction(other_gamma)
        assert float(other[1].hi[0]) == float(want) != float(first[1].hi[0])
