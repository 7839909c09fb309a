"""The shared input validation: every kind of bad input gets a clear error naming the parameter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hbtheory._validation import as_int, as_real, as_scalar, check_interval, finish


def test_as_real_accepts_numbers_and_arrays() -> None:
    assert as_real(3, "x").dtype == np.float64
    np.testing.assert_array_equal(as_real([1, 2.5], "x"), [1.0, 2.5])
    assert as_real(np.float32(0.5), "x") == 0.5


@pytest.mark.parametrize("value", ["1.0", None, b"x", {"a": 1}])
def test_as_real_rejects_non_numeric(value: object) -> None:
    with pytest.raises(TypeError, match="`alpha`"):
        as_real(value, "alpha")


def test_as_real_rejects_bool_and_complex() -> None:
    with pytest.raises(TypeError, match="boolean"):
        as_real(True, "beta")
    with pytest.raises(TypeError, match="complex"):
        as_real(1 + 2j, "beta")
    with pytest.raises(TypeError, match="`beta`"):
        as_real([1.0, "a"], "beta")


def test_nan_and_inf_are_located() -> None:
    with pytest.raises(ValueError, match=r"`h` must be finite, got nan at index \(1,\)"):
        as_real([1.0, np.nan, 2.0], "h")
    with pytest.raises(ValueError, match="`h` must be finite, got inf"):
        as_real(np.inf, "h")


def test_ranges_name_the_interval_and_the_offender() -> None:
    with pytest.raises(ValueError, match=r"`alpha` must be in \(0.0, inf\), got 0.0"):
        as_real(0.0, "alpha", low=0.0, low_open=True)
    with pytest.raises(ValueError, match=r"`beta` must be in \[0.0, 1.0\], got 1.5 at index \(1, 0\)"):
        as_real([[0.1], [1.5]], "beta", low=0.0, high=1.0)


def test_as_int() -> None:
    np.testing.assert_array_equal(as_int([0, 3.0], "t"), [0, 3])
    with pytest.raises(ValueError, match="`t` must be a whole number"):
        as_int(2.5, "t")
    with pytest.raises(ValueError, match="`n` must be an integer >= 0, got -1"):
        as_int(-1, "n")
    with pytest.raises(TypeError, match="`n`"):
        as_int("3", "n")
    with pytest.raises(TypeError, match="boolean"):
        as_int(True, "n")
    with pytest.raises(ValueError, match="finite"):
        as_int(np.nan, "n")


def test_as_scalar_rejects_arrays() -> None:
    assert as_scalar(2, "kappa") == 2.0
    with pytest.raises(TypeError, match="`kappa` must be a single real number"):
        as_scalar([1.0, 2.0], "kappa")


def test_check_interval() -> None:
    mu, L = check_interval([0.1, 0.2], 1.0)
    assert mu.shape == (2,) and L.shape == ()
    with pytest.raises(ValueError, match="`mu` must be <= `L`"):
        check_interval(2.0, 1.0)
    with pytest.raises(ValueError, match="`mu` must be in"):
        check_interval(0.0, 1.0)
    with pytest.raises(ValueError, match="`L` must be finite"):
        check_interval(0.1, np.inf)


def test_finish_returns_scalars_for_0d() -> None:
    assert isinstance(finish(np.array(1.5)), np.float64)
    assert finish(np.array([1.5])).shape == (1,)


@given(
    arrays(np.float64, st.integers(0, 40), elements=st.floats(allow_nan=True, allow_infinity=True, width=64)),
    st.sampled_from([(None, None, False, False), (0.0, None, True, False), (0.0, 1.0, False, False),
                     (-1.0, 2.0, True, True), (None, 0.5, False, True)]),
)
def test_as_real_rejects_exactly_the_bad_arrays_and_names_the_first(values: np.ndarray, bounds: tuple) -> None:
    # The min/max shortcut must accept and reject the same arrays as the element-wise rule, and
    # the message must name the first offending element (non-finite ones first).
    low, high, low_open, high_open = bounds
    finite = np.isfinite(values)
    bad = ~finite.copy()
    if low is not None:
        bad |= (values <= low) if low_open else (values < low)
    if high is not None:
        bad |= (values >= high) if high_open else (values > high)
    kwargs = {"low": low, "high": high, "low_open": low_open, "high_open": high_open}
    if not bad.any():
        np.testing.assert_array_equal(as_real(values, "x", **kwargs), values)
        return
    first = int(np.flatnonzero(~finite)[0]) if not finite.all() else int(np.flatnonzero(bad)[0])
    with pytest.raises(ValueError, match=rf"`x` must be .*at index \({first},\)"):
        as_real(values, "x", **kwargs)


def test_messages_show_plain_numbers_not_numpy_reprs() -> None:
    # numpy 2 reprs scalars as np.float64(0.5); a message means the number 0.5.
    from hbtheory._params import check_alpha_beta
    from hbtheory._validation import number

    assert number(np.float64(0.5)) == "0.5" and number(np.int64(7)) == "7" and number(np.float32(0.25)) == "0.25"
    with pytest.raises(ValueError, match=r"got 0\.5$") as info:
        check_alpha_beta("gradient_descent", 0.1, np.array([0.0, 0.5]))
    assert "np." not in str(info.value)
    for bad in (np.float64(np.nan), np.array([0.2, np.float32(2.0)]), np.int64(-1)):
        with pytest.raises(ValueError) as info:
            as_real(bad, "beta", low=0.0, high=1.0)
        assert "np." not in str(info.value) and "`beta`" in str(info.value)
    with pytest.raises(ValueError, match=r"`mu` must be <= `L`.*got 2\.0 with L = 1\.0$"):
        check_interval(np.float64(2.0), np.float64(1.0))


@pytest.mark.parametrize("value", [[True, 0.5], [0.5, 1 + 0j], (0.5, "1"), [0.5, None], [1.0, [2.0, 3.0]]])
def test_lists_holding_non_reals_are_refused_not_converted(value: object) -> None:
    # np.asarray([True, 0.5]) is [1.0, 0.5] and np.asarray([0.5, 1+0j]) is complex: a boolean or
    # a complex number inside a list must be refused like the bare value, naming the parameter.
    with pytest.raises(TypeError, match="`alpha`"):
        as_real(value, "alpha")
    with pytest.raises(TypeError, match="`n`"):
        as_int(value, "n")


def test_large_python_integers_are_real_numbers() -> None:
    # 10**20 does not fit int64 (np.asarray makes an object array of it), but it is a real number.
    assert as_real(10**20, "L") == 1e20
    np.testing.assert_array_equal(as_real([10**20, 1], "L"), [1e20, 1.0])
    assert as_real(-(2**64), "h") == -(2.0**64)
    with pytest.raises(ValueError, match="`L` must be finite, got an integer of 401 digits"):
        as_real(10**400, "L")
    with pytest.raises(ValueError, match="`L` must be finite"):
        as_real([1, 10**400], "L")


@pytest.mark.parametrize("value", [2**63, 10**400, 1e300, 2.0**63, np.uint64(2**64 - 1), [3, 2**70]])
def test_as_int_refuses_integers_beyond_int64_instead_of_wrapping(value: object) -> None:
    # Before: 2**63 became -2**63 ("must be an integer >= 0, got 9223372036854775808") and 1e300
    # became int64's minimum; both are non-negative whole numbers too large for an int64 count.
    with pytest.raises(ValueError, match=r"`n` must be an integer in \[0, 9223372036854775807\]"):
        as_int(value, "n")
    assert as_int(2**63 - 1, "n") == 2**63 - 1
    assert as_int(2.0**62, "n") == 2**62


_NOT_REAL = [True, np.False_, None, "0.5", b"1", 1 + 0j, np.complex64(0.5), {}, object(), {0.5},
             [0.5, True], [[1.0], [2.0, 3.0]], np.array(["a"]), np.array([0.5], dtype=object), np.array([1 + 1j])]


@pytest.mark.parametrize("value", _NOT_REAL, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("helper", [as_real, as_int, as_scalar], ids=["as_real", "as_int", "as_scalar"])
def test_every_non_real_is_a_type_error_naming_the_parameter(helper: object, value: object) -> None:
    # booleans, complex numbers (even with zero imaginary part), None, strings, containers and
    # object arrays: TypeError, never a silent conversion, never another exception type
    with pytest.raises(TypeError, match="`kappa`"):
        helper(value, "kappa")  # type: ignore[operator]
