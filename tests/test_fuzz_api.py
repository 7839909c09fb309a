"""The promise of the public API, fuzzed: every input gives a correct value or a named error.

For every public numeric function of :mod:`hbtheory` (the torch, PEPit and plotting layers are
tested elsewhere: they are slow), hypothesis draws arguments that are valid, or mixes in one or
two "wild" ones: ``0``, ``-0.0``, subnormals, ``1e-300 .. 1e300``, ``inf``, ``nan``, integers
beyond int64 and beyond float64, booleans, ``None``, strings, complex numbers, numpy scalars of
every kind, lists of mixed content and ragged or non-broadcasting shapes, every method name.
Each wild value carries its own classification (written here, independently of
:mod:`hbtheory._validation`), and the promise checked is:

* all arguments valid: a value, never NaN, and the *right* value. Numbers are compared with an
  independent computation: the characteristic coefficients exactly in rational arithmetic from
  the float64 inputs, then roots, powers, Lyapunov equations and polynomial maxima in 60-digit
  mpmath. A result beyond the float64 range must be ``inf`` (or ``0``), never a finite number;
* an invalid argument: ``ValueError`` or ``TypeError`` whose message names that parameter in
  backticks; never another exception.

Failures found in modules owned by others are pinned below as explicit examples marked
``xfail(strict=True)`` (so the suite stays green, the failure stays visible, and a fix makes
the strict xfail fail until it is removed); the property tests exclude exactly those regions.
"""

from __future__ import annotations

import contextlib
import math
import re
import signal
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hbtheory
from hbtheory import counterexamples as cx
from hbtheory import methods
from hbtheory.methods import Method, get_method

EPS = float(np.finfo(np.float64).eps)
TINY = float(np.finfo(np.float64).tiny)  # smallest normal float64
MAXF = float(np.finfo(np.float64).max)
DPS = 60

# ------------------------------------------------------------------------------------------------
# Wild values, each with its own meaning: the float64 array it stands for, or None (not real)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arg:
    """An argument and what it means: ``real`` is the float64 array of a real-valued argument
    (``inf`` for an integer beyond float64) or ``None`` when it is no real number/array at all."""

    value: Any
    real: np.ndarray | None
    label: str = ""

    def __repr__(self) -> str:  # hypothesis prints the drawn arguments with this
        return f"Arg({self.value!r})"


def _num(x: Any) -> Arg:
    with np.errstate(over="ignore"):
        try:
            real = np.asarray(float(x), dtype=np.float64)
        except OverflowError:
            real = np.asarray(math.inf if x > 0 else -math.inf, dtype=np.float64)
    return Arg(x, real)


def _arr(x: Any, values: Any) -> Arg:
    return Arg(x, np.asarray(values, dtype=np.float64))


def _not_real(x: Any) -> Arg:
    return Arg(x, None)


SPECIAL_FLOATS = [
    0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1e-160, 1e-16, 2.0**-53, 0.25, 0.5,
    1.0 - 2.0**-53, 1.0, 1.0 + 2.0**-52, 2.0, 4.0 - 2.0**-51, 4.0, 25.0, 1e16, 1e155, 1e200, 1e300, MAXF,
    -1e-300, -0.5, -1.0, -2.0, -1e300, -MAXF,
]
WILD_SCALARS = [
    *(_num(x) for x in (math.inf, -math.inf, math.nan, 2**53 + 1, 2**63, 2**64 + 3, 10**20, -(10**20))),
    _num(10**400), _num(-(10**400)),
    _not_real(True), _not_real(False), _not_real(np.True_), _not_real(None), _not_real("0.5"), _not_real(""),
    _not_real(b"1"), _not_real("nan"), _not_real(1 + 0j), _not_real(0.5 + 0.5j), _not_real(np.complex128(0.25)),
    _not_real({}), _not_real(object()), _not_real({0.5}),
    _num(np.float32(0.5)), _num(np.float16(0.25)), _num(np.int8(-3)), _num(np.uint64(2**64 - 1)),
    _num(np.float64(np.nan)), _num(np.float32(np.inf)), _num(np.int64(2)), _num(np.longdouble(0.5)),
]
WILD_ARRAYS = [
    _arr([0.5, 1.0], [0.5, 1.0]), _arr(np.array([[0.5], [0.25]]), [[0.5], [0.25]]), _arr([], []),
    _arr(np.zeros((2, 0)), np.zeros((2, 0))), _arr([0.5, np.nan], [0.5, np.nan]),
    _arr([1.0, math.inf], [1.0, math.inf]),
    _arr([0.1, 0.2, 0.3], [0.1, 0.2, 0.3]), _arr(np.array(0.5), 0.5), _arr([10**20, 1], [1e20, 1.0]),
    _not_real([[1.0, 2.0], [3.0]]), _not_real([0.5, "a"]), _not_real([True, 0.5]), _not_real([0.5, None]),
    _not_real([0.5, 1 + 0j]), _not_real(np.array([1 + 1j])), _not_real(np.array([True, False])),
    _not_real(np.array(["a"])), _not_real(np.array([0.5], dtype=object)), _not_real([[0.5], 0.5]),
]
WILD = WILD_SCALARS + WILD_ARRAYS


@st.composite
def wild(draw: Any, arrays: bool = True) -> Arg:
    pool = WILD if arrays else WILD_SCALARS + WILD_ARRAYS[:3]
    return draw(
        st.one_of(
            st.sampled_from(pool),
            st.sampled_from(SPECIAL_FLOATS).map(_num),
            st.floats(allow_nan=True, allow_infinity=True).map(_num),
            st.integers(-(2**70), 2**70).map(_num),
        )
    )


# ------------------------------------------------------------------------------------------------
# Parameter kinds: what is valid, independent of the package's validation
# ------------------------------------------------------------------------------------------------


def _shaped(values: list[float], shape: tuple[int, ...]) -> Arg:
    arr = np.array(values[: math.prod(shape)], dtype=np.float64).reshape(shape)
    return _arr(arr, arr)


@dataclass(frozen=True)
class Real:
    """A real parameter: finite, in [lo, hi] (open ends by flag); ``scalar`` refuses arrays;
    values in ``either`` may be refused (named) or accepted (then checked)."""

    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    scalar: bool = False
    integer: bool = False
    either: tuple[float, ...] = ()

    def status(self, arg: Arg) -> str:
        """``"valid"``, ``"invalid"`` or ``"either"``."""
        r = arg.real
        if r is None:
            return "invalid"
        if self.scalar and r.ndim != 0:
            return "invalid"
        if r.size == 0:
            return "valid"
        if not np.isfinite(r).all():
            return "invalid"
        if self.integer and (not (r == np.round(r)).all() or (np.abs(r) >= 2.0**63).any()):
            return "invalid"
        inside = np.ones(r.shape, dtype=bool)
        inside &= (r > self.lo) if self.lo_open else (r >= self.lo)
        inside &= (r < self.hi) if self.hi_open else (r <= self.hi)
        if inside.all():
            return "valid"
        if self.either and np.isin(r[~inside], self.either).all():
            return "either"
        return "invalid"

    def valid(self, arrays: bool) -> st.SearchStrategy[Arg]:
        lo = self.lo if math.isfinite(self.lo) else -MAXF
        hi = self.hi if math.isfinite(self.hi) else MAXF
        if self.integer:
            top = int(min(hi, 10**6))
            ints = st.integers(int(max(lo, 0)), top).map(_num)
            return ints
        specials = [x for x in SPECIAL_FLOATS if self.status(_num(x)) == "valid"]
        floats = st.floats(lo, hi, exclude_min=self.lo_open, exclude_max=self.hi_open,
                           allow_subnormal=lo < TINY and hi > -TINY)
        scalar = st.one_of(st.sampled_from(specials), floats).map(_num) if specials else floats.map(_num)
        if self.scalar or not arrays:
            return scalar
        shapes = st.sampled_from([(2,), (3,), (2, 1)])
        six = st.lists(st.one_of(st.sampled_from(specials), floats), min_size=6, max_size=6)
        array = st.tuples(shapes, six).map(lambda p: _shaped(p[1], p[0]))
        return st.one_of(scalar, scalar, scalar, array)


METHOD_NAMES = [
    "heavy_ball", "nesterov", "gradient_descent", "triple_momentum", "general(gamma=0.3)", "general(-0.5)",
    "Heavy-Ball", " NESTEROV ", "general(gamma=2.0)",
]
BAD_METHODS = [
    "heavy ball!", "", "polyak", "general()", "general(gamma=x)", "general(gamma=nan)", "general(gamma=inf)",
    "general(1e400)", None, 3, 0.5, True, b"heavy_ball", ["heavy_ball"],
]


@dataclass(frozen=True)
class MethodKind:
    def status(self, arg: Arg) -> str:
        v = arg.value
        if isinstance(v, Method):
            return "valid"
        return "valid" if isinstance(v, str) and v in METHOD_NAMES else "invalid"

    def valid(self, arrays: bool) -> st.SearchStrategy[Arg]:
        members = [*METHOD_NAMES, methods.HEAVY_BALL, methods.general(0.7), methods.general(-0.5)]
        return st.sampled_from(members).map(lambda m: Arg(m, None))

    def wild(self) -> st.SearchStrategy[Arg]:
        return st.sampled_from(BAD_METHODS).map(lambda m: Arg(m, None))


ALPHA = Real(0.0, lo_open=True, either=(0.0,))  # alpha = 0 may become valid (rho = max(1, beta) there)
BETA = Real(0.0, 1.0)
H = Real()
METHOD = MethodKind()

# ------------------------------------------------------------------------------------------------
# Drawing arguments and checking the error half of the promise
# ------------------------------------------------------------------------------------------------


def named(exc: BaseException, names: Any) -> bool:
    """Whether the message names one of ``names`` in backticks (`` `alpha` `` or `` `alpha * L` ``)."""
    tokens = re.findall(r"`([^`]*)`", str(exc))
    return any(re.search(rf"(?<![\w.]){re.escape(n)}(?![\w(])", tok) for tok in tokens for n in names)


@st.composite
def arguments(draw: Any, kinds: dict[str, Any], arrays: bool = True) -> dict[str, Arg]:
    """Valid arguments for every parameter, with zero, one or two replaced by wild ones."""
    names = list(kinds)
    wild_names = set(draw(st.lists(st.sampled_from(names), max_size=2, unique=True)))
    if draw(st.integers(0, 2)) == 0:
        wild_names = set()  # a third of the cases fully valid
    out = {}
    for name in names:
        kind = kinds[name]
        if name in wild_names:
            out[name] = draw(kind.wild() if isinstance(kind, MethodKind) else wild(arrays))
        else:
            out[name] = draw(kind.valid(arrays))
    return out


def classify(kinds: dict[str, Any], args: dict[str, Arg]) -> tuple[set[str], set[str]]:
    """``(invalid, either)``: the parameters whose value is out of range, and those that may be."""
    invalid = {n for n, k in kinds.items() if k.status(args[n]) == "invalid"}
    either = {n for n, k in kinds.items() if k.status(args[n]) == "either"}
    return invalid, either


def outcome(f: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, BaseException | None]:
    """Call ``f``; a ValueError/TypeError is returned as data, anything else propagates (a failure).
    Warnings are errors, as in the suite (pyproject's ``filterwarnings``)."""
    try:
        return f(*args, **kwargs), None
    except (ValueError, TypeError) as exc:
        return None, exc


def quiet(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` with RuntimeWarnings silenced: for a region whose only fault is a stray warning (pinned)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return f(*args, **kwargs)

    return call


def check_promise(
    f: Callable[..., Any],
    kinds: dict[str, Any],
    args: dict[str, Arg],
    check: Callable[[Any, dict[str, Any]], None],
    *,
    joint: Callable[[dict[str, Any]], set[str]] | None = None,
    allowed: Callable[[BaseException, dict[str, Any]], bool] | None = None,
    **extra: Any,
) -> None:
    """The promise for one call: a correct value when every argument is valid, else a named error.

    ``joint(values)`` returns the parameters of a violated joint condition (``mu <= L``,
    broadcasting, ...), empty if none; ``allowed(exc, values)`` says whether an error on valid
    input is a documented refusal (for example a scan that would exceed ``max_t``).
    """
    invalid, either = classify(kinds, args)
    values = {n: a.value for n, a in args.items()}
    result, exc = outcome(f, **values, **extra)
    bad_joint = _safe(joint, values)
    if invalid:
        assert exc is not None, f"accepted invalid {sorted(invalid)}: {values} -> {result!r}"
        assert named(exc, invalid | either | bad_joint), f"{type(exc).__name__} does not name {sorted(invalid)}: {exc}"
        return
    if exc is not None:
        if either and named(exc, either):
            return
        if bad_joint and named(exc, bad_joint):
            return
        if allowed is not None and allowed(exc, values):
            return
        if isinstance(exc, ValueError) and "overflow" in str(exc) and named(exc, set(values)):
            return  # documented: a result beyond float64 may be a named error instead of inf
        raise AssertionError(f"valid input {values} refused: {type(exc).__name__}: {exc}") from exc
    assert not bad_joint, f"accepted {values} although {sorted(bad_joint)} violate a joint condition"
    check(result, values)


def _safe(joint: Callable[[dict[str, Any]], set[str]] | None, values: dict[str, Any]) -> set[str]:
    """The joint condition's verdict, or nothing when it cannot even be evaluated (invalid input)."""
    if joint is None:
        return set()
    try:
        return joint(values)
    except Exception:
        return set()


def broadcast_joint(*names: str) -> Callable[[dict[str, Any]], set[str]]:
    def joint(values: dict[str, Any]) -> set[str]:
        shapes = [np.shape(as_f(values[n])) for n in names]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            return {n for n, s in zip(names, shapes, strict=True) if s != ()}
        return set()

    return joint


def beta_for(method_joint: Callable[[dict[str, Any]], set[str]] | None = None) -> Callable[[dict[str, Any]], set[str]]:
    """Joint conditions on ``beta``: exactly 0 for gradient descent; plus ``method_joint``."""

    def joint(values: dict[str, Any]) -> set[str]:
        out = set() if method_joint is None else method_joint(values)
        m = get_method(values["method"])
        if not m.uses_beta and np.any(np.asarray(values["beta"], dtype=np.float64) != 0.0):
            out.add("beta")
        return out

    return joint


def all_of(*joints: Callable[[dict[str, Any]], set[str]]) -> Callable[[dict[str, Any]], set[str]]:
    return lambda values: set().union(*(j(values) for j in joints))


# ------------------------------------------------------------------------------------------------
# The independent oracle: exact coefficients, 60-digit roots
# ------------------------------------------------------------------------------------------------


def gamma_of(m: Method, beta: float) -> Fraction:
    """The look-ahead ``gamma`` of ``m`` at ``beta`` (the float64 value that defines the method)."""
    if m == methods.HEAVY_BALL or m == methods.GRADIENT_DESCENT:
        return Fraction(0)
    if m == methods.NESTEROV:
        return Fraction(beta)
    if m == methods.TRIPLE_MOMENTUM:
        g = float(m.gamma(beta))  # defined as the float64 beta/(1 + r), r^2 + beta r = 2 beta
        if beta > 0.0:
            with mp.workdps(DPS):
                r = (mp.sqrt(mp.mpf(beta) ** 2 + 8 * mp.mpf(beta)) - beta) / 2
                assert abs(g - beta / (1 + r)) <= 2 * EPS * g
        return Fraction(g)
    match = re.fullmatch(r"general\(gamma=(.*)\)", m.name)
    assert match, m.name
    return Fraction(float(match.group(1)))


def coefficients(m: Method, a: float, b: float, h: float) -> tuple[Fraction, Fraction]:
    """``(c1, c0)`` exactly at the float64 inputs: ``c1 = 1 + b - a h (1 + g)``, ``c0 = b - a h g``."""
    A, B, Hh = Fraction(a), Fraction(b), Fraction(h)
    if not m.uses_beta:
        B = Fraction(0)
    g = gamma_of(m, b)
    return 1 + B - A * Hh * (1 + g), B - A * Hh * g


def mpf(q: Fraction) -> Any:
    return mp.mpf(q.numerator) / q.denominator


def roots(c1: Fraction, c0: Fraction, dps: int = DPS) -> tuple[Any, Any, bool]:
    """The two roots of ``z^2 - c1 z + c0`` (larger modulus first), ``dps`` digits; and ``disc == 0``."""
    disc = c1 * c1 - 4 * c0
    with mp.workdps(dps):
        C1, C0, D = mpf(c1), mpf(c0), mpf(disc)
        if disc >= 0:
            big = (C1 + mp.sign(C1 if c1 != 0 else 1) * mp.sqrt(D)) / 2
            small = C0 / big if big != 0 else mp.mpf(0)
            return big, small, disc == 0
        s = mp.sqrt(-D)
        return mp.mpc(C1 / 2, s / 2), mp.mpc(C1 / 2, -s / 2), False


def rho_ref(m: Method, a: float, b: float, h: float) -> Any:
    return abs(roots(*coefficients(m, a, b, h))[0])


def assert_close(got: Any, ref: Any, rtol: float, what: str = "") -> None:
    """``got`` (float64) is ``ref`` (mpmath) to ``rtol`` relative; beyond the float64 range it is
    ``inf`` (or 0 below it, to ``rtol * TINY`` absolute); never NaN."""
    got = float(got)
    assert not math.isnan(got), f"{what}: NaN, expected {mp.nstr(ref, 17)}"
    with mp.workdps(DPS):
        mag = abs(ref)
        if mag > MAXF * (1 + rtol):
            assert math.isinf(got) and (got > 0) == (ref > 0), f"{what}: {got!r}, expected overflow {mp.nstr(ref, 17)}"
            return
        if mag >= MAXF * (1 - rtol) and math.isinf(got):
            return
        err = abs(mp.mpf(got) - ref)
        assert err <= rtol * mag + rtol * TINY, (
            f"{what}: got {got!r}, expected {mp.nstr(ref, 20)} (error {mp.nstr(err / max(mag, TINY) / EPS, 5)} eps)"
        )


def each(values: dict[str, Any], names: list[str]) -> Iterator[tuple[tuple[int, ...], dict[str, float]]]:
    """Broadcast the array-valued arguments and yield every element as floats."""
    arrays = np.broadcast_arrays(*(np.asarray(values[n], dtype=np.float64) for n in names))
    for idx in np.ndindex(arrays[0].shape):
        yield idx, {n: float(x[idx]) for n, x in zip(names, arrays, strict=True)}


def shape_of(values: dict[str, Any], names: list[str]) -> tuple[int, ...]:
    return np.broadcast_shapes(*(np.shape(np.asarray(values[n], dtype=np.float64)) for n in names))


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise TimeoutError after ``seconds`` (for pinned cases that hang; main thread, POSIX)."""

    def handler(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# ------------------------------------------------------------------------------------------------
# hbtheory.spectral: radius, eigenvalues, matrix, powers, Theorem 1
# ------------------------------------------------------------------------------------------------

SPECTRAL = {"alpha": ALPHA, "beta": BETA, "h": H, "method": METHOD}
SPECTRAL_JOINT = beta_for(broadcast_joint("alpha", "beta", "h"))


def as_f(x: Any) -> np.ndarray | None:
    """``x`` as a float64 array if it is one's worth of reals, else None (no warnings)."""
    if isinstance(x, (str, bytes, bool, np.bool_)) or x is None:
        return None
    if isinstance(x, int):
        return _num(x).real
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            arr = np.asarray(x)
            return arr.astype(np.float64) if arr.dtype.kind in "iuf" else None
        except (TypeError, ValueError, OverflowError):
            return None


@st.composite
def near_critical(draw: Any) -> dict[str, Arg]:
    """A point on or a few ulps off a critical-damping curve beta = (1 -/+ sqrt(alpha h))^2."""
    a = draw(st.floats(1e-6, 1e3))
    x = draw(st.floats(1e-8, 3.99))
    h = x / a
    sign = draw(st.sampled_from([-1.0, 1.0]))
    beta = (1.0 + sign * math.sqrt(a * h)) ** 2
    for _ in range(draw(st.integers(-3, 3)) % 7):
        beta = float(np.nextafter(beta, 2.0 if draw(st.booleans()) else -1.0))
    beta = min(max(beta, 0.0), 1.0)
    m = draw(st.sampled_from(["heavy_ball", "nesterov", "triple_momentum", "general(gamma=0.3)"]))
    return {"alpha": _num(a), "beta": _num(beta), "h": _num(h), "method": Arg(m, None)}


def check_radius(result: Any, v: dict[str, Any]) -> None:
    m = get_method(v["method"])
    names = ["alpha", "beta", "h"]
    assert np.shape(result) == shape_of(v, names)
    assert np.asarray(result).dtype == np.float64
    for idx, p in each(v, names):
        assert_close(np.asarray(result)[idx], rho_ref(m, p["alpha"], p["beta"], p["h"]), 8 * EPS, f"rho{idx}")


@settings(max_examples=100)
@given(st.one_of(arguments(SPECTRAL), near_critical()))
def test_spectral_radius_promise(args: dict[str, Arg]) -> None:
    check_promise(hbtheory.spectral_radius, SPECTRAL, args, check_radius, joint=SPECTRAL_JOINT)


def check_eigenvalues(result: Any, v: dict[str, Any]) -> None:
    m = get_method(v["method"])
    names = ["alpha", "beta", "h"]
    assert np.shape(result) == (*shape_of(v, names), 2) and np.asarray(result).dtype == np.complex128
    for idx, p in each(v, names):
        c1, c0 = coefficients(m, p["alpha"], p["beta"], p["h"])
        z = roots(c1, c0)
        for k in range(2):
            got = complex(np.asarray(result)[idx][k])
            # each part to a few ulps of the root's modulus (a complex pair's parts share its size)
            with mp.workdps(DPS):
                size = abs(z[k])
                assert_close(abs(mp.mpc(got) - z[k]) + size, size, 8 * EPS, f"eigenvalue {k} {idx}: {got} vs {z[k]}")


@settings(max_examples=60)
@given(st.one_of(arguments(SPECTRAL), near_critical()))
def test_eigenvalues_promise(args: dict[str, Arg]) -> None:
    check_promise(hbtheory.eigenvalues, SPECTRAL, args, check_eigenvalues, joint=SPECTRAL_JOINT)


def check_matrix(result: Any, v: dict[str, Any]) -> None:
    # The float64 evaluation of c1 and c0 from the method's formulas: first-order rounding error
    # at most 2 (1 + |gamma|) eps sigma with sigma = (1 + |beta|)(1 + |alpha h|) (methods.py);
    # twice that as the test's bound. Beyond float64 the entry must be the infinity of its sign.
    m = get_method(v["method"])
    names = ["alpha", "beta", "h"]
    assert np.shape(result) == (*shape_of(v, names), 2, 2)
    for idx, p in each(v, names):
        c1, c0 = coefficients(m, p["alpha"], p["beta"], p["h"])
        g = abs(float(gamma_of(m, p["beta"])))
        with mp.workdps(DPS):
            sigma = (1 + abs(mp.mpf(p["beta"]))) * (1 + abs(mp.mpf(p["alpha"]) * p["h"]))
            for got, ref in ((result[idx][0, 0], mpf(c1)), (-result[idx][0, 1], mpf(c0))):
                got = float(got)
                assert not math.isnan(got), f"NaN entry at {idx}, expected {mp.nstr(ref, 17)}"
                if abs(ref) > MAXF * (1 - 8 * EPS):
                    assert math.isinf(got) or abs(got) >= MAXF * (1 - 8 * EPS)
                    continue
                tol = 4 * (1 + g) * EPS * sigma
                assert abs(mp.mpf(got) - ref) <= tol + 4 * TINY, f"{got!r} vs {mp.nstr(ref, 20)}"
        assert result[idx][1, 0] == 1.0 and result[idx][1, 1] == 0.0


@settings(max_examples=80)
@given(arguments(SPECTRAL))
def test_iteration_matrix_promise(args: dict[str, Arg]) -> None:
    check_promise(hbtheory.iteration_matrix, SPECTRAL, args, check_matrix, joint=SPECTRAL_JOINT)


def mp_power_norm(c1: Fraction, c0: Fraction, t: int) -> Any:
    """``||A^t||_2`` of ``A = [[c1, -c0], [1, 0]]`` in 60 digits (binary powering, 2x2 formula)."""
    with mp.workdps(DPS + 2 * int(math.log2(t + 1)) + 10):
        A = mp.matrix([[mpf(c1), -mpf(c0)], [1, 0]])
        P = mp.eye(2)
        base, k = A, t
        while k:
            if k & 1:
                P = P * base
            base = base * base
            k >>= 1
        a, b, c, d = P[0, 0], P[0, 1], P[1, 0], P[1, 1]
        return (mp.sqrt((a + d) ** 2 + (b - c) ** 2) + mp.sqrt((a - d) ** 2 + (b + c) ** 2)) / 2


POWERS = {**SPECTRAL, "t": Real(0, integer=True)}


def check_power_norm(result: Any, v: dict[str, Any]) -> None:
    m = get_method(v["method"])
    names = ["alpha", "beta", "h", "t"]
    assert np.shape(result) == shape_of(v, names)
    for idx, p in each(v, names):
        t = int(p["t"])
        c1, c0 = coefficients(m, p["alpha"], p["beta"], p["h"])
        rho = abs(roots(c1, c0)[0])
        # power_norm's documented accuracy: 8 (t + 2) eps max(1, 1/rho) (its c1, c0 are rounded
        # once to float64); twice that here.
        scale = 1 / max(float(rho), 1e-300) if rho < 1 else 1.0
        tol = 16 * (t + 2) * EPS * scale
        got = float(np.asarray(result)[idx])
        if t <= 200:
            ref = mp_power_norm(c1, c0, t)
            if tol < 0.5:
                assert_close(got, ref, tol, f"||A^{t}|| at {p}")
            else:  # rho tiny: only the absolute size is meaningful
                assert not math.isnan(got)
        else:
            assert not math.isnan(got)
            with mp.workdps(DPS):
                lower = rho**t  # ||A^t|| >= rho(A)^t
                if lower < MAXF:
                    assert got >= float(lower) * (1 - tol) or (math.isinf(got) is False and lower < TINY)


@settings(max_examples=60)
@given(arguments(POWERS))
def test_power_norm_promise(args: dict[str, Arg]) -> None:
    check_promise(hbtheory.power_norm, POWERS, args, check_power_norm,
                  joint=beta_for(broadcast_joint("alpha", "beta", "h", "t")))


def check_gap(result: Any, v: dict[str, Any]) -> None:
    # 1 - rho "to a few ulps of itself": rho in 700 digits (the exact coefficients of float64
    # inputs need up to 330, and a gap may be as small as alpha h ~ 1e-600)
    m = get_method(v["method"])
    names = ["alpha", "beta", "h"]
    assert np.shape(result) == shape_of(v, names)
    for idx, p in each(v, names):
        big = roots(*coefficients(m, p["alpha"], p["beta"], p["h"]), dps=700)[0]
        with mp.workdps(700):
            ref = 1 - abs(big)
        assert_close(np.asarray(result)[idx], ref, 16 * EPS, f"gap{idx}")


@settings(max_examples=100)
@given(st.one_of(arguments(SPECTRAL), near_critical()))
def test_spectral_gap_promise(args: dict[str, Arg]) -> None:
    check_promise(hbtheory.spectral.spectral_gap, SPECTRAL, args, check_gap, joint=SPECTRAL_JOINT)


THEOREM1 = {**SPECTRAL, "eps": Real(0.0)}


def check_theorem1(result: Any, v: dict[str, Any]) -> None:
    m = get_method(v["method"])
    names = ["alpha", "beta", "h", "eps"]
    assert np.shape(result) == shape_of(v, names)
    for idx, p in each(v, names):
        got = float(np.asarray(result)[idx])
        assert not math.isnan(got) and got >= 1.0, got
        c1, c0 = coefficients(m, p["alpha"], p["beta"], p["h"])
        big, _, double = roots(c1, c0)
        rho = abs(big)
        if double and p["eps"] == 0.0 and c1 != 0:
            assert got == math.inf, f"defective A (double root) needs C = inf, got {got}"
            continue
        # C is the supremum of ||A^t|| / (rho + eps)^t: no power may exceed it (lower bound).
        with mp.workdps(DPS):
            base = rho + p["eps"]
            if base == 0:
                continue
            for t in (1, 2, 3, 5, 10, 40):
                ratio = mp_power_norm(c1, c0, t) / base**t
                if ratio < MAXF:
                    assert got >= float(ratio) * (1 - 64 * t * EPS), f"C = {got} < ||A^{t}||/(rho+eps)^{t} = {ratio}"


def theorem1_allowed(exc: BaseException, v: dict[str, Any]) -> bool:
    # documented: eps > 0 too small relative to rho for the max_t scan is a named ValueError
    return isinstance(exc, ValueError) and named(exc, {"eps", "max_t"})


@settings(max_examples=40)
@given(arguments(THEOREM1))
def test_theorem1_constant_promise(args: dict[str, Arg]) -> None:
    check_promise(hbtheory.theorem1_constant, THEOREM1, args, check_theorem1,
                  joint=beta_for(broadcast_joint("alpha", "beta", "h", "eps")), allowed=theorem1_allowed,
                  max_t=20_000)


# ------------------------------------------------------------------------------------------------
# Known failures in modules owned elsewhere, pinned: strict xfail until fixed (then remove the mark)
# ------------------------------------------------------------------------------------------------


def _pin(reason: str) -> Any:
    return pytest.mark.xfail(strict=True, reason=reason)


@pytest.mark.parametrize("gamma", [-0.5, 1e-05, 5e-324])
def test_general_names_with_a_minus_sign_parse(gamma: float) -> None:
    # found by this fuzz (fixed in 8def228): '-' became '_' before parsing, so general(-0.5) and
    # the method's own name general(gamma=1e-05) were refused
    m = methods.general(gamma)
    assert get_method(m.name) == m
    assert get_method(f"general({gamma!r})") == m


@pytest.mark.parametrize("name", ["general(gamma=nan)", "general(gamma=inf)", "general(1e400)"])
def test_general_bad_gamma_names_method(name: str) -> None:
    # found by this fuzz (fixed in b358e5b): the message named `gamma`, which the caller never passed
    with pytest.raises(ValueError) as info:
        get_method(name)
    assert named(info.value, {"method"}), str(info.value)


def test_double_double_split_at_huge_operands() -> None:
    # found by this fuzz: rho was 0.0 (the double-double product's split overflowed beyond 2**996)
    got = hbtheory.spectral_radius(5e-324, 0.0, MAXF)
    assert_close(got, rho_ref(methods.HEAVY_BALL, 5e-324, 0.0, MAXF), 8 * EPS, "rho")  # 1 - 8.9e-16


# found by this fuzz: near a critical-damping curve the roots lost up to 9e5 eps (the kernel's D and c0
# are accurate only as far as rho needs them)
@pytest.mark.parametrize(
    ("alpha", "beta", "h", "method"),
    [
        (1.0964540725929466, 0.00013841936090397658, 0.8906967398202575, "heavy_ball"),  # 9.3e5 eps
        (1.0, 1.0, 1e-08, "nesterov"),  # imaginary part 9.99999997e-05, exact 9.99999995e-05: 883 eps
        (1.786253406939571, 1.0, 1.8648158081403678, "general(gamma=0.3)"),  # small root: 178 eps
    ],
)
def test_eigenvalues_near_critical_curve(alpha: float, beta: float, h: float, method: str) -> None:
    m = get_method(method)
    got = hbtheory.eigenvalues(alpha, beta, h, method=method)
    z = roots(*coefficients(m, alpha, beta, h))
    with mp.workdps(DPS):
        errors = [float(abs(mp.mpc(complex(got[k])) - z[k]) / abs(z[k])) / EPS for k in range(2)]
    assert max(errors) <= 8, errors


def test_eigenvalues_at_huge_alpha_h() -> None:
    # issue 11: eigenvalues(1e155, 0.5, 1.0) returned [-inf, 0] instead of about [-1e155, -5e-156]
    got = hbtheory.eigenvalues(1e155, 0.5, 1.0)
    check_eigenvalues(got, {"alpha": 1e155, "beta": 0.5, "h": 1.0, "method": "heavy_ball"})


def test_theorem1_tiny_eps_quiet() -> None:
    # found by this fuzz: eps = 5e-324 at rho = 1 raised a RuntimeWarning (overflow in 1/-log_x) before its ValueError
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="`eps`"):
            hbtheory.theorem1_constant(5e-324, 0.0, 0.0, 5e-324)


# ------------------------------------------------------------------------------------------------
# Worst cases over [mu, L]
# ------------------------------------------------------------------------------------------------

MU = Real(0.0, lo_open=True)
INTERVAL_JOINT_NAMES = ("mu", "L")


def interval_joint(values: dict[str, Any]) -> set[str]:
    mu, L = as_f(values["mu"]), as_f(values["L"])
    if mu is None or L is None:
        return set()
    try:
        m, l_ = np.broadcast_arrays(mu, L)
    except ValueError:
        return {"mu", "L"}
    return {"mu", "L"} if bool(np.any(m > l_)) else set()


@st.composite
def interval(draw: Any, scalar: bool = False) -> tuple[Arg, Arg]:
    """A valid ``0 < mu <= L`` pair (scalars) spanning kappa = 1 .. 1e300."""
    L = draw(st.one_of(st.sampled_from([1.0, 25.0, 1e-300, 1e300, 2.0**-1000]), st.floats(1e-300, 1e300)))
    kappa = draw(st.one_of(st.sampled_from([1.0, 1.0 + 2**-52, 4.0, 100.0, 1e16]), st.floats(1.0, 1e12)))
    mu = max(L / kappa, 5e-324)
    return _num(mu), _num(L)


WCR = {"alpha": ALPHA, "beta": BETA, "mu": MU, "L": MU, "method": METHOD}


@st.composite
def wcr_arguments(draw: Any) -> dict[str, Arg]:
    args = draw(arguments(WCR))
    if draw(st.booleans()) and all(WCR[n].status(args[n]) == "valid" for n in ("mu", "L")):
        args["mu"], args["L"] = draw(interval())
    return args


def check_worst_rate(result: Any, v: dict[str, Any]) -> None:
    m = get_method(v["method"])
    names = ["alpha", "beta", "mu", "L"]
    assert np.shape(result) == shape_of(v, names)
    for idx, p in each(v, names):
        got = float(np.asarray(result)[idx])
        ends = [rho_ref(m, p["alpha"], p["beta"], h) for h in (p["mu"], p["L"])]
        assert_close(got, max(ends), 8 * EPS, f"worst rate {idx}")
        # and no interior point is worse (the maximum over [mu, L] is at an end)
        for s in (0.1, 0.37, 0.5, 0.81):
            h = p["mu"] + s * (p["L"] - p["mu"])
            if math.isfinite(h):
                inner = rho_ref(m, p["alpha"], p["beta"], h)
                assert inner <= max(ends) * (1 + 8 * EPS), f"rho({h}) = {inner} > rate {got}"


@settings(max_examples=50)
@given(wcr_arguments())
def test_worst_case_rate_promise(args: dict[str, Arg]) -> None:
    check_promise(hbtheory.worst_case_rate, WCR, args, check_worst_rate,
                  joint=all_of(beta_for(broadcast_joint("alpha", "beta", "mu", "L")), interval_joint))


def p_polynomial(m: Method, b: float, n: int) -> list[Fraction]:
    """Coefficients (in x = alpha h, lowest first) of P_n = p_{n+1} - c0 p_n, exactly. In x the
    coefficients are of order 1 whatever alpha and [mu, L] are, so the critical points are
    well-conditioned roots (in h they would span hundreds of decimal orders)."""
    B = Fraction(b) if m.uses_beta else Fraction(0)
    g = gamma_of(m, b)
    c1 = [1 + B, -(1 + g)]
    c0 = [B, -g]

    def mul(p: list[Fraction], q: list[Fraction]) -> list[Fraction]:
        out = [Fraction(0)] * (len(p) + len(q) - 1)
        for i, x in enumerate(p):
            for j, y in enumerate(q):
                out[i + j] += x * y
        return out

    def sub(p: list[Fraction], q: list[Fraction]) -> list[Fraction]:
        k = max(len(p), len(q))
        p, q = p + [Fraction(0)] * (k - len(p)), q + [Fraction(0)] * (k - len(q))
        return [x - y for x, y in zip(p, q, strict=True)]

    prev, cur = [Fraction(0)], [Fraction(1)]  # p_0, p_1
    for _ in range(n):
        prev, cur = cur, sub(mul(c1, cur), mul(c0, prev))
    return sub(cur, mul(c0, prev))  # p_{n+1} - c0 p_n


def p_value(m: Method, a: float, b: float, n: int, h: Any) -> Any:
    """P_n(h) by the three-term recurrence in mpmath (``h`` an mpf or float)."""
    with mp.workdps(DPS + 20):
        return p_of_x(m, b, n, mp.mpf(a) * h)


def p_of_x(m: Method, b: float, n: int, x: Any) -> Any:
    """P_n at x = alpha h (mpmath)."""
    with mp.workdps(DPS + 20):
        B = mp.mpf(b) if m.uses_beta else mp.mpf(0)
        g = mpf(gamma_of(m, b))
        c1, c0 = 1 + B - x * (1 + g), B - x * g
        prev, cur = mp.mpf(0), mp.mpf(1)
        for _ in range(n):
            prev, cur = cur, c1 * cur - c0 * prev
        return cur - c0 * prev


def _trim(p: list[Fraction]) -> list[Fraction]:
    while len(p) > 1 and p[-1] == 0:
        p = p[:-1]
    return p


def _divmod_poly(p: list[Fraction], d: list[Fraction]) -> tuple[list[Fraction], list[Fraction]]:
    """Exact polynomial division (coefficients lowest degree first, ``d`` trimmed and non-zero)."""
    r, quo = list(p), [Fraction(0)] * max(len(p) - len(d) + 1, 1)
    while len(r) >= len(d) and any(r):
        k, c = len(r) - len(d), r[-1] / d[-1]
        quo[k] = c
        r = _trim([x - c * d[i - k] if i >= k else x for i, x in enumerate(r)][:-1] or [Fraction(0)])
    return quo, r


def _square_free(p: list[Fraction]) -> list[Fraction]:
    """p / gcd(p, p'): the same roots, each simple (exact rational arithmetic)."""
    p = _trim([Fraction(c) for c in p])
    if len(p) <= 2:
        return p
    g, h = p, _trim([j * p[j] for j in range(1, len(p))])
    while any(h):
        g, h = h, _divmod_poly(g, h)[1]
    return _trim(_divmod_poly(p, g)[0]) if len(g) > 1 else p


def mp_max_abs_p(m: Method, n: int, a: float, b: float, mu: float, L: float) -> Any:
    """max |P_n| on [mu, L] in 60 digits: the ends and every real critical point inside."""
    if n == 0:
        return mp.mpf(1)
    q = p_polynomial(m, b, n)
    with mp.workdps(DPS):
        lo, hi = mp.mpf(a) * mu, mp.mpf(a) * L  # the interval in x = alpha h

        def value(x: Any) -> Any:
            return abs(p_of_x(m, b, n, x))

        best = max(value(lo), value(hi))
        # The critical points are the roots of the square-free part of P_n' (exact, in rationals):
        # at beta = 0 P_n = (1 - x)^(n+1) and P_n' has one root of multiplicity n, on which
        # polyroots' Durand-Kerner iteration does not converge (it raised NoConvergence for
        # alpha = 5e-324, beta = 0, [0.5, 1], n = 4 under another example budget).
        deriv = [mpf(c) for c in reversed(_square_free([j * q[j] for j in range(1, len(q))]))]  # highest first
        if len(deriv) >= 2 and hi > lo:
            for z in mp.polyroots(deriv, maxsteps=200, extraprec=100):
                if abs(mp.im(z)) <= mp.mpf(10) ** (-DPS // 3) * (1 + abs(z)) and lo <= mp.re(z) <= hi:
                    best = max(best, value(mp.re(z)))
        return best


@dataclass(frozen=True)
class Flag:
    """A boolean flag: ``True``/``False`` (numpy booleans too, or "either" with ``numpy=False``)."""

    numpy: bool = True

    def status(self, arg: Arg) -> str:
        if isinstance(arg.value, np.bool_):
            return "valid" if self.numpy else "either"
        return "valid" if isinstance(arg.value, bool) else "invalid"

    def valid(self, arrays: bool) -> st.SearchStrategy[Arg]:
        return st.sampled_from([True, False, np.False_]).map(lambda x: Arg(x, None))


WORST = {"n": Real(0, integer=True), "alpha": ALPHA, "beta": BETA, "mu": MU, "L": MU, "method": METHOD}


@st.composite
def worst_arguments(draw: Any) -> dict[str, Arg]:
    args = draw(arguments(WORST, arrays=False))
    if WORST["n"].status(args["n"]) == "valid":
        args["n"] = _num(draw(st.one_of(st.integers(0, 10), st.integers(11, 400))))
    if draw(st.booleans()) and all(WORST[k].status(args[k]) == "valid" for k in ("mu", "L")):
        args["mu"], args["L"] = draw(interval())
    if draw(st.booleans()) and WORST["alpha"].status(args["alpha"]) == "valid":
        # mostly near convergent tunings, where the maximum is an interior ripple
        L = float(args["L"].real) if WORST["L"].status(args["L"]) == "valid" else 1.0
        args["alpha"] = _num(draw(st.floats(0.01, 3.9)) / L)
    return args


def check_worst_case(result: Any, v: dict[str, Any], log: bool) -> None:
    keys = ("n", "alpha", "beta", "mu", "L")
    arrays = np.broadcast_arrays(*(np.asarray(v[k], dtype=np.float64) for k in keys))
    if arrays[0].ndim:  # array_like arguments (documented): the broadcast shape, each entry checked
        assert np.shape(result) == arrays[0].shape, (np.shape(result), arrays[0].shape)
        for idx in np.ndindex(arrays[0].shape):
            entry = {k: float(x[idx]) for k, x in zip(keys, arrays, strict=True)}
            check_worst_case(np.asarray(result)[idx], {**v, **entry}, log)
        return
    m = get_method(v["method"])
    n, a, b, mu, L = (v[k] for k in ("n", "alpha", "beta", "mu", "L"))
    n = int(float(n))
    a, b, mu, L = float(a), float(b), float(mu), float(L)
    got = float(result)
    assert not math.isnan(got), "NaN"
    with mp.workdps(DPS):
        if n <= 10:
            ref = mp_max_abs_p(m, n, a, b, mu, L)
            if ref == 0:
                assert got == (-math.inf if log else 0.0)
            elif log:
                assert_close(got, 2 * mp.log(ref), 64 * EPS * max(1.0, 1.0 / max(abs(float(2 * mp.log(ref))), 1e-300)))
            else:
                assert_close(got, ref**2, 64 * EPS, f"worst_case({n})")
            return
        # larger n: between the value at sampled points (lower) and the bound
        # |P_n(h)| <= rho(h)^n (n + 1 + n rho(h)) (upper), both in 60 digits
        hs = [mp.mpf(mu) + (mp.mpf(L) - mu) * s for s in (0, 1, 0.05, 0.25, 0.5, 0.75, 0.95)]
        lower = max(abs(p_value(m, a, b, n, h)) for h in hs)
        rates = [rho_ref(m, a, b, float(h)) for h in hs]
        R = max(rates)
        upper = R**n * (n + 1 + n * R)
        tol = 64 * EPS * n
        if log:
            if lower > 0:
                low_log = 2 * mp.log(lower)
                assert got >= low_log - tol * max(1, abs(low_log)), f"log {got} < {low_log}"
            if upper > 0:
                up_log = 2 * mp.log(upper)
                assert got <= up_log + tol * max(1, abs(up_log)), f"log {got} > {up_log}"
        else:
            lo, hi = lower**2, upper**2
            if lo > MAXF:
                assert got == math.inf, f"{got} but the value is at least {mp.nstr(lo, 5)}"
            else:
                assert got >= float(lo) * (1 - tol) or lo < TINY, f"{got} < lower bound {mp.nstr(lo, 17)}"
            assert got <= float(hi) * (1 + tol) + TINY or hi > MAXF, f"{got} > upper bound {mp.nstr(hi, 17)}"


@settings(max_examples=60)
@given(worst_arguments(), st.booleans())
def test_worst_case_promise(args: dict[str, Arg], log: bool) -> None:
    check_promise(hbtheory.worst_case, WORST, args, lambda r, vals: check_worst_case(r, vals, log),
                  joint=all_of(beta_for(), interval_joint), log=log)


@pytest.mark.parametrize("log", [1, "yes", None, np.array([True])])
def test_worst_case_log_flag_is_a_bool(log: Any) -> None:
    with pytest.raises(TypeError, match="`log`"):
        hbtheory.worst_case(3, 0.5, 0.25, 0.1, 1.0, log=log)


@pytest.mark.parametrize(
    ("n", "alpha", "beta", "mu", "L", "log"),
    [
        (20, 0.3, 0.5, 0.1, 1e200, False),  # returned 0.0821; true about 1.2e7979 -> inf
        (20, 0.3, 0.5, 0.1, 1e200, True),  # returned -2.50; true log about 18372.5
        (5, 1e155, 0.5, 0.1, 1.0, False),  # returned NaN
        (30, 1e150, 0.5, 0.1, 1e150, True),  # returned 20585.1; true at least 41446.5
        (8, 1e100, 0.5, 0.1, 1e60, False),  # NaN
    ],
)
def test_worst_case_huge_alpha_L(n: int, alpha: float, beta: float, mu: float, L: float, log: bool) -> None:
    # issue 11's examples (fixed in 8518b43); a regression would be a silent wrong number again
    v = {"n": n, "alpha": alpha, "beta": beta, "mu": mu, "L": L, "method": "heavy_ball"}
    with warnings.catch_warnings():
        result, exc = outcome(hbtheory.worst_case, n, alpha, beta, mu, L, log=log)
    if exc is not None:  # a named refusal keeps the promise too
        assert named(exc, {"alpha", "L"}), str(exc)
        return
    check_worst_case(result, v, log)


# ------------------------------------------------------------------------------------------------
# Momentum under a constant gradient and under noise
# ------------------------------------------------------------------------------------------------


@settings(max_examples=40)
@given(arguments({"beta": Real(0.0, 1.0, hi_open=True)}))
def test_amplification_promise(args: dict[str, Arg]) -> None:
    def check(result: Any, v: dict[str, Any]) -> None:
        assert np.shape(result) == np.shape(np.asarray(v["beta"], dtype=np.float64))
        for idx, p in each(v, ["beta"]):
            with mp.workdps(DPS):
                assert_close(np.asarray(result)[idx], 1 / (1 - mp.mpf(p["beta"])), 2 * EPS, "1/(1-beta)")

    check_promise(hbtheory.amplification, {"beta": Real(0.0, 1.0, hi_open=True)}, args, check)


VELOCITY = {"alpha": Real(0.0, lo_open=True), "beta": BETA, "g": H, "t": Real(0, integer=True)}


@st.composite
def velocity_arguments(draw: Any) -> dict[str, Arg]:
    args = draw(arguments(VELOCITY))
    if VELOCITY["t"].status(args["t"]) == "valid" and draw(st.booleans()):
        args["t"] = _num(draw(st.sampled_from([1, 2, 10, 1000, 10**6, 10**12, 2**62])))
    if VELOCITY["beta"].status(args["beta"]) == "valid" and draw(st.booleans()):
        args["beta"] = _num(1.0 - draw(st.sampled_from([2.0**-53, 1e-12, 1e-6, 0.1])))
    return args


def check_velocity(result: Any, v: dict[str, Any]) -> None:
    names = ["alpha", "beta", "g", "t"]
    assert np.shape(result) == shape_of(v, names)
    for idx, p in each(v, names):
        t = int(p["t"])
        with mp.workdps(DPS + 20):
            a, b, g = mp.mpf(p["alpha"]), mp.mpf(p["beta"]), mp.mpf(p["g"])
            window = mp.mpf(t) if b == 1 else (1 - b**t) / (1 - b)
            ref = a * g * window
        assert_close(np.asarray(result)[idx], ref, 16 * EPS, f"v_{t} at {p}")


@settings(max_examples=60)
@given(velocity_arguments())
def test_velocity_transient_promise(args: dict[str, Arg]) -> None:
    check_promise(hbtheory.velocity_transient, VELOCITY, args, check_velocity,
                  joint=broadcast_joint("alpha", "beta", "g", "t"))


NOISE = {"alpha": ALPHA, "beta": BETA, "h": H, "sigma": Real(0.0), "method": METHOD}


def mp_stationary_variance(m: Method, a: float, b: float, h: float, sigma: float) -> Any:
    """Var(x) of x_{t+1} = c1 x_t - c0 x_{t-1} - alpha xi_t: the discrete Lyapunov equation
    Sigma = A Sigma A^T + alpha^2 sigma^2 e1 e1^T solved in 800 digits (the exact coefficients
    may span 650 decimal orders); inf when unstable (Jury, in exact arithmetic)."""
    c1, c0 = coefficients(m, a, b, h)
    if sigma == 0.0:
        return mp.mpf(0)
    if not (abs(c0) < 1 and 1 - c1 + c0 > 0 and 1 + c1 + c0 > 0):
        return mp.inf
    with mp.workdps(800):
        C1, C0 = mpf(c1), mpf(c0)
        q = (mp.mpf(a) * sigma) ** 2
        # unknowns (s11, s12, s22): Sigma_11 = c1^2 s11 - 2 c1 c0 s12 + c0^2 s22 + q,
        # Sigma_12 = c1 s11 - c0 s12, Sigma_22 = s11
        M = mp.matrix([[1 - C1**2, 2 * C1 * C0, -(C0**2)], [-C1, 1 + C0, 0], [-1, 0, 1]])
        s11 = mp.lu_solve(M, mp.matrix([q, 0, 0]))[0]
        return +s11


def check_noise(result: Any, v: dict[str, Any]) -> None:
    m = get_method(v["method"])
    names = ["alpha", "beta", "h", "sigma"]
    assert np.shape(result) == shape_of(v, names)
    for idx, p in each(v, names):
        ref = mp_stationary_variance(m, p["alpha"], p["beta"], p["h"], p["sigma"])
        got = float(np.asarray(result)[idx])
        if ref == mp.inf:
            assert got == math.inf, f"unstable at {p}: expected inf, got {got}"
        else:
            assert_close(got, ref, 64 * EPS, f"Var at {p}")


@st.composite
def noise_arguments(draw: Any) -> dict[str, Arg]:
    args = draw(arguments(NOISE))
    if draw(st.booleans()) and all(NOISE[k].status(args[k]) == "valid" for k in ("alpha", "h")):
        # stable region, h tiny to moderate
        args["alpha"] = _num(draw(st.floats(1e-3, 10.0)))
        args["h"] = _num(draw(st.one_of(st.sampled_from([1e-34, 1e-32, 5e-324, 1e-300]), st.floats(1e-12, 1.0))))
    return args


@settings(max_examples=60)
@given(noise_arguments())
def test_stationary_variance_promise(args: dict[str, Arg]) -> None:
    check_promise(hbtheory.stationary_variance, NOISE, args, check_noise,
                  joint=beta_for(broadcast_joint("alpha", "beta", "h", "sigma")))


def test_velocity_overflow_quiet() -> None:
    # found by this fuzz: a result beyond float64 (-inf, correct) came with a RuntimeWarning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert hbtheory.velocity_transient(0.9999999999999999, 0.9999999999999999, -MAXF, 2) == -math.inf
        # t = 0 is exactly 0 also where alpha g overflows (not inf * 0 = NaN)
        assert list(hbtheory.velocity_transient(1e300, 0.9, 1e300, [0, 1])) == [0.0, math.inf]


@pytest.mark.parametrize(
    ("alpha", "beta", "h", "sigma"),
    [
        (1e-200, 0.0, 1e-200, 1.0),  # returned inf; true 0.5
        (1e-160, 0.5, 1e-160, 1e-100),  # returned 1.0000111e-200; true 1e-200
        (5e-324, 0.0, 5e-324, 5e-324),  # returned inf; true 1.2e-647 (rounds to 0)
    ],
)
# found by this fuzz: alpha h under- or flushed to 0 as chi(1), so a stable system was called unstable
def test_stationary_variance_tiny_alpha_h(alpha: float, beta: float, h: float, sigma: float) -> None:
    check_noise(hbtheory.stationary_variance(alpha, beta, h, sigma),
                {"alpha": alpha, "beta": beta, "h": h, "sigma": sigma, "method": "heavy_ball"})


# ------------------------------------------------------------------------------------------------
# hbtheory.methods: conventions, get_method, general
# ------------------------------------------------------------------------------------------------

LR = Real(0.0, lo_open=True, scalar=True)
MOMENTUM = Real(0.0, 1.0, hi_open=True, scalar=True)


def assert_product(got: float, x: float, y: Any, what: str) -> None:
    """``got`` is ``x * y`` (mpmath) rounded: 2 eps relative, or a subnormal's absolute spacing."""
    with mp.workdps(DPS):
        ref = mp.mpf(x) * y
        assert got > 0.0 and math.isfinite(got), f"{what}: {got!r} is no step size"
        assert abs(got - ref) <= 2 * EPS * ref + 5e-324, f"{what}: {got!r}, expected {mp.nstr(ref, 17)}"


def underflow_refusal(exc: BaseException, v: dict[str, Any]) -> bool:
    """A step that underflows to 0 is refused naming the step parameter (documented)."""
    return "underflows" in str(exc) and named(exc, {"lr", "eta"})


TORCH = {"lr": LR, "momentum": MOMENTUM, "dampening": MOMENTUM, "nesterov": Flag()}


def torch_joint(v: dict[str, Any]) -> set[str]:
    if v["nesterov"] and (float(v["momentum"]) == 0.0 or float(v["dampening"]) != 0.0):
        return {"nesterov", "momentum", "dampening"}
    return set()


def check_torch(c: Any, v: dict[str, Any]) -> None:
    lr, mom, damp = float(v["lr"]), float(v["momentum"]), float(v["dampening"])
    assert c.beta == mom
    if v["nesterov"]:
        assert (c.method, c.alpha, c.exact) == ("nesterov", lr, True)
    elif damp == 0.0:
        assert (c.method, c.alpha, c.exact) == ("heavy_ball", lr, True)
    else:
        assert c.method == "heavy_ball" and c.exact is False
        assert_product(c.alpha, lr, 1 - mp.mpf(damp), "lr (1 - dampening)")


@settings(max_examples=60)
@given(arguments(TORCH, arrays=False))
def test_from_torch_promise(args: dict[str, Arg]) -> None:
    check_promise(hbtheory.from_torch, TORCH, args, check_torch, joint=torch_joint, allowed=underflow_refusal)


@pytest.mark.parametrize(
    ("f", "names"),
    [(hbtheory.from_chapter, ("lr", "gamma")), (hbtheory.from_keras, ("learning_rate", "momentum")),
     (hbtheory.from_d2l, ("eta", "beta")), (hbtheory.from_ema, ("eta", "beta"))],
    ids=["chapter", "keras", "d2l", "ema"],
)
@settings(max_examples=25)
@given(data=st.data())
def test_convention_maps_promise(f: Callable[..., Any], names: tuple[str, str], data: Any) -> None:
    kinds = {names[0]: LR, names[1]: MOMENTUM}
    args = data.draw(arguments(kinds, arrays=False))

    def check(c: Any, v: dict[str, Any]) -> None:
        step, mom = float(v[names[0]]), float(v[names[1]])
        assert (c.method, c.beta, c.exact) == ("heavy_ball", mom, True)
        if f is hbtheory.from_ema:  # m = beta m + (1 - beta) g: alpha = eta (1 - beta)
            assert_product(c.alpha, step, 1 - mp.mpf(mom), "eta (1 - beta)")
        else:
            assert c.alpha == step

    check_promise(f, kinds, args, check, allowed=underflow_refusal)


QHM = {"lr": LR, "momentum": MOMENTUM, "nu": Real(0.0, 1.0, scalar=True)}


def check_qhm(c: Any, v: dict[str, Any]) -> None:
    # QHM on a quadratic, eliminating its buffer: theta_{t+1} = theta_t + m (theta_t - theta_{t-1})
    # - lr (1 - nu m) h theta_t + lr m (1 - nu) h theta_{t-1}, so its polynomial has
    # c1 = 1 + m - lr (1 - nu m) h and c0 = m - lr m (1 - nu) h. The canonical method must have
    # the same two coefficients (compared as linear functions of h, exactly).
    lr, m, nu = (Fraction(float(v[k])) for k in ("lr", "momentum", "nu"))
    if nu == 0 or m == 0:  # theta_{t+1} = theta_t - lr grad: gradient descent (the buffer's mode m decouples)
        assert (c.method, c.alpha, c.beta, c.exact) == ("gradient_descent", float(lr), 0.0, True)
        return
    method = get_method(c.method)
    A, B = Fraction(c.alpha), Fraction(c.beta)
    g = gamma_of(method, c.beta)
    canonical = (1 + B, A * (1 + g), B, A * g)  # c1 = [0] - [1] h, c0 = [2] - [3] h
    qhm = (1 + m, lr * (1 - nu * m), m, lr * m * (1 - nu))
    for k, (x, y) in enumerate(zip(canonical, qhm, strict=True)):
        # gamma is a float64: a subnormal gamma carries an absolute error of 5e-324, times alpha
        slack = Fraction(5e-324) * (1 + A)
        assert abs(x - y) <= 4 * EPS * abs(y) + slack, f"coefficient {k}: {float(x)!r} vs {float(y)!r}"
    assert c.exact == (nu == 1 or nu == 0 or m == 0)


@settings(max_examples=60)
@given(arguments(QHM, arrays=False))
def test_from_qhm_promise(args: dict[str, Arg]) -> None:
    check_promise(hbtheory.from_qhm, QHM, args, check_qhm, allowed=underflow_refusal)


def check_coefficients(m: Method, a: float, b: float, h: float) -> None:
    """c1 = 1 + beta - alpha h (1 + gamma), c0 = beta - alpha h gamma, exactly, against the method's
    float64 evaluation: error at most 2 (1 + |gamma|) eps sigma (methods.py), twice that here; an
    overflow must be an infinity."""
    g = abs(gamma_of(m, b))
    sigma = (1 + abs(Fraction(b))) * (1 + abs(Fraction(a) * Fraction(h)))
    with np.errstate(all="ignore"):
        got = (m.c1(a, b, h), m.c0(a, b, h))
    for x, exact in zip(got, coefficients(m, a, b, h), strict=True):
        x = float(x)
        assert not math.isnan(x), (m, x)
        if math.isinf(x):
            assert abs(exact) > Fraction(MAXF) / 2 and (x > 0) == (exact > 0), (m, x)
        else:
            assert abs(Fraction(x) - exact) <= 4 * (1 + g) * EPS * sigma, (m, x, float(exact))


@settings(max_examples=50)
@given(st.one_of(st.sampled_from(METHOD_NAMES + BAD_METHODS), st.text(max_size=20),
                 st.floats().map(lambda g: f"general(gamma={g!r})"), st.floats().map(lambda g: f"GENERAL({g})")))
def test_get_method_promise(name: Any) -> None:
    m, exc = outcome(get_method, name)
    if exc is not None:
        assert named(exc, {"method"}), str(exc)
        assert isinstance(exc, TypeError) == (not isinstance(name, str)), exc
        return
    assert isinstance(name, str) and isinstance(m, Method)
    assert get_method(m.name) is m or get_method(m.name) == m
    check_coefficients(m, 0.5, 0.25, 1.0)


@settings(max_examples=40)
@given(arguments({"gamma": Real(scalar=True)}, arrays=False))
def test_general_promise(args: dict[str, Arg]) -> None:
    def check(m: Any, v: dict[str, Any]) -> None:
        g = float(v["gamma"]) + 0.0
        assert m.name == f"general(gamma={g!r})"
        assert get_method(m.name) == m
        check_coefficients(m, 0.5, 0.25, 3.0)

    check_promise(hbtheory.general, {"gamma": Real(scalar=True)}, args, check)


# ------------------------------------------------------------------------------------------------
# hbtheory.counterexamples
# ------------------------------------------------------------------------------------------------


def lrp_exact(x: Fraction) -> tuple[Fraction, Fraction]:
    """The Lessard-Recht-Packard function and its gradient, exactly (pieces 25x^2/2, x^2/2 + 24x - 12,
    25x^2/2 - 24x + 36 on x < 1, [1, 2), >= 2)."""
    if x < 1:
        return 25 * x * x / 2, 25 * x
    if x < 2:
        return x * x / 2 + 24 * x - 12, x + 24
    return 25 * x * x / 2 - 24 * x + 36, 25 * x - 24


@settings(max_examples=50)
@given(arguments({"x": H}))
def test_lrp_value_and_gradient_promise(args: dict[str, Arg]) -> None:
    def check(which: int) -> Callable[[Any, dict[str, Any]], None]:
        def inner(result: Any, v: dict[str, Any]) -> None:
            assert np.shape(result) == np.shape(as_f(v["x"]))
            for idx, p in each(v, ["x"]):
                ref = lrp_exact(Fraction(p["x"]))[which]
                with mp.workdps(DPS):
                    # a few roundings of terms up to 25 x^2: relative to the largest term
                    scale = 25 * mp.mpf(p["x"]) ** 2 + 48 * abs(mp.mpf(p["x"])) + 36 if which == 0 else \
                        25 * abs(mp.mpf(p["x"])) + 24
                    got = float(np.asarray(result)[idx])
                    if scale > MAXF:
                        assert math.isinf(got) or not math.isnan(got)
                        continue
                    assert abs(mp.mpf(got) - mpf(ref)) <= 4 * EPS * scale, f"{got!r} vs {float(ref)!r} at {p}"
        return inner

    check_promise(cx.lrp_value, {"x": H}, args, check(0))
    check_promise(cx.lrp_gradient, {"x": H}, args, check(1))


@settings(max_examples=40)
@given(st.one_of(st.fractions(), st.integers(-(10**30), 10**30), st.sampled_from(WILD).map(lambda a: a.value)))
def test_lrp_gradient_exact_promise(x: Any) -> None:
    g, exc = outcome(cx.lrp_gradient_exact, x)
    if isinstance(x, (Fraction, int)) and not isinstance(x, bool):
        assert exc is None and g == lrp_exact(Fraction(x))[1]
    else:
        assert exc is not None and named(exc, {"x"}), (x, exc)


@st.composite
def periodic_run(draw: Any) -> tuple[np.ndarray, int]:
    """A run with a transient then an exact cycle of a known smallest period (or a fixed point)."""
    period = draw(st.integers(1, 6))
    # distinct points, further apart than find_cycle's tolerance (1e-9 of the orbit's size): the
    # smallest period is then the block's length
    base = [k / 8 for k in draw(st.lists(st.integers(-(10**6), 10**6), min_size=period, max_size=period, unique=True))]
    transient = draw(st.lists(st.floats(-1e3, 1e3), max_size=10))
    cycles = draw(st.integers(max(3, 40 // period), 60))
    return np.array(transient + base * cycles), period


@settings(max_examples=40)
@given(periodic_run())
def test_find_cycle_finds_the_smallest_period(run: tuple[np.ndarray, int]) -> None:
    xs, period = run
    c = cx.find_cycle(xs, max_period=8)
    assert c.status == ("converged" if period == 1 else "cycling") and c.period == period
    assert sorted(np.asarray(c.points).tolist()) == sorted(xs[-period:].tolist())


@settings(max_examples=60)
@given(st.one_of(st.sampled_from(WILD).map(lambda a: a.value),
                 st.lists(st.one_of(st.floats(), st.booleans(), st.none(), st.complex_numbers()), min_size=3,
                          max_size=8)))
def test_find_cycle_refuses_what_is_not_a_real_run(iterates: Any) -> None:
    real = as_f(iterates) if not isinstance(iterates, list) else (
        np.array(iterates, dtype=np.float64) if all(isinstance(x, float) for x in iterates) else None)
    result, exc = outcome(cx.find_cycle, iterates)
    if real is not None and real.ndim in (1, 2) and real.size and not np.isfinite(real).all() and exc is None:
        assert result.status == "diverging"  # a non-finite iterate is divergence (checked before the length)
        return
    if real is None or real.ndim not in (1, 2) or real.shape[0] < 3:
        assert exc is not None and named(exc, {"iterates"}), (iterates, exc)
    else:
        assert exc is None and result.status in ("converged", "cycling", "diverging", "undetermined")
        if not np.isfinite(real).all():
            assert result.status == "diverging"


def test_from_torch_numpy_bool() -> None:
    # found by this fuzz: numpy booleans were refused ('`nesterov` must be a bool, got bool')
    assert hbtheory.from_torch(0.1, 0.9, nesterov=np.True_).method == "nesterov"


def test_lrp_value_overflow_quiet() -> None:
    # found by this fuzz: a value beyond float64 (inf, correct) came with a RuntimeWarning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cx.lrp_value(1e155) == math.inf


def test_lrp_value_no_nan() -> None:
    # found by this fuzz: x = 7.49e306 gave NaN (12.5 x^2 and 24 x both overflow: inf - inf); true +inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cx.lrp_value(7.490388061926316e306) == math.inf


def test_iteration_matrix_overflow_quiet() -> None:
    # found by this fuzz: an entry beyond float64 (-inf, correct) came with a RuntimeWarning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert hbtheory.iteration_matrix(1.0000000000000002, 0.0, MAXF)[0, 0] == -math.inf


# found by this fuzz: the method's float64 formulas as they stand gave inf for a tiny entry, or inf - inf = NaN
@pytest.mark.parametrize(
    ("alpha", "beta", "h", "method"),
    [
        (7.190772539449264e306, 5e-324, 25.0, "nesterov"),  # c0 = beta (1 - alpha h) = -8.9e-16: got -inf
        (7.190772539449264e306, 0.0, 25.0, "nesterov"),  # c0 = 0: got NaN
        (1e300, 0.5, 1e10, methods.general(-0.5)),  # c1 = 1.5 - 0.5 alpha h -> -inf: got NaN
        (1e300, 0.5, 1e300, methods.general(-1.0)),  # c1 = 1.5 exactly (g and g gamma cancel)
        (1e300, 5e-324, -1e300, "nesterov"),  # c0 = -beta alpha h = 4.9e276
    ],
    ids=["nesterov-tiny-c0", "nesterov-zero-c0", "general-negative-gamma", "general-minus-one", "nesterov-neg-h"],
)
def test_iteration_matrix_intermediate_overflow(alpha: float, beta: float, h: float, method: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = hbtheory.iteration_matrix(alpha, beta, h, method=method)
    c1, c0 = coefficients(get_method(method), alpha, beta, h)
    for got, exact in ((result[0, 0], c1), (-result[0, 1], c0)):
        assert not math.isnan(got)
        if abs(exact) < Fraction(MAXF):
            assert abs(Fraction(float(got)) - exact) <= 4 * EPS * abs(exact) + Fraction(1, 10**300), (got, float(exact))


def test_theorem1_overflow_quiet() -> None:
    # found by this fuzz: alpha h near the float64 limit (c1 = 9e307) warned 'overflow in add' (value right)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert hbtheory.theorem1_constant(4.49423283715579e307, 0.0, -2.0) == 1.0


@settings(max_examples=40)
@given(arguments({"x": H}))
def test_lrp_curvature_promise(args: dict[str, Arg]) -> None:
    from hbtheory.lrp import lrp_curvature

    def check(result: Any, v: dict[str, Any]) -> None:
        for idx, p in each(v, ["x"]):  # f'' = 1 on [1, 2), 25 elsewhere
            assert np.asarray(result)[idx] == (1.0 if 1.0 <= p["x"] < 2.0 else 25.0), (p, result)

    check_promise(lrp_curvature, {"x": H}, args, check)


ITERATE = {"x0": Real(scalar=True), "alpha": Real(0.0, lo_open=True, scalar=True), "beta": Real(0.0, 1.0, scalar=True),
           "steps": Real(1, integer=True), "method": METHOD}


@settings(max_examples=60)
@given(arguments(ITERATE, arrays=False))
def test_iterate_promise(args: dict[str, Arg]) -> None:
    steps = args["steps"].real
    if steps is not None and steps.ndim == 0 and np.isfinite(steps) and 10**5 < steps <= 2**27:
        return  # runs (in a Python loop) for seconds to minutes: not a fuzz case; above 2**27: refused

    def check(xs: Any, v: dict[str, Any]) -> None:
        x0, a = float(v["x0"]), float(v["alpha"])
        assert xs[0] == x0 and 2 <= len(xs) <= int(float(v["steps"])) + 1 and not np.isnan(xs).any()
        # the first step from rest (x_{-1} = x0), exactly: x1 = x0 - alpha f'(x0) for every member
        # (the look-ahead point is x0 itself), rounded a few times
        if abs(x0) < 1e150 and a * 25 * abs(x0) < 1e300:
            x1 = Fraction(x0) - Fraction(a) * lrp_exact(Fraction(x0))[1]
            scale = abs(Fraction(x0)) + Fraction(a) * (25 * abs(Fraction(x0)) + 24)
            assert abs(Fraction(float(xs[1])) - x1) <= 8 * EPS * scale + 4 * Fraction(5e-324), (xs[1], float(x1))

    check_promise(quiet(cx.iterate), ITERATE, args, check, joint=beta_for(), allowed=steps_cap)


def steps_cap(exc: BaseException, v: dict[str, Any]) -> bool:
    return named(exc, {"steps", "diverge_at", "x0"})


@pytest.mark.parametrize(("x0", "steps"), [(0.0, 2**53), (0.0, 2**27), ([0.0, 1.0], 2**26)])
def test_iterate_huge_steps(x0: Any, steps: int) -> None:
    # found by this fuzz: iterate allocated (steps + 1) floats up front: steps = 2**53 raised
    # MemoryError (64 PiB) instead of a named error
    with pytest.raises(ValueError) as info:
        cx.iterate(x0, 0.1, 0.0, steps)
    assert named(info.value, {"steps"})


# ------------------------------------------------------------------------------------------------
# hbtheory.rho_grid: a rate map is the spectral radius at its cell centres
# ------------------------------------------------------------------------------------------------

RANGE_PAIRS = [None, (0.0, 2.0), (0.5, 0.6), (1e-300, 1e-299), (0.0, 1.0), (2.0, 1.0), (0.0, 0.0), (-1.0, 1.0),
               (0.0, math.inf), (0.0, math.nan), (0.0,), "0 1", (True, 2.0), (0.0, 1 + 1j)]


@st.composite
def grid_call(draw: Any) -> dict[str, Any]:
    def mostly(valid: list[Any], bad: list[Any]) -> Any:  # one in eight bad
        return draw(st.sampled_from(bad if draw(st.integers(0, 7)) == 7 else valid))

    kw: dict[str, Any] = {"n": mostly([8, 9, 12, 8.0], [7, 0, 8.5, True, "8", 5001])}
    if draw(st.booleans()):
        kw["h"] = mostly([1.0, 0.01, 25.0, 1e-300, 1e300, 3.7], [a.value for a in WILD_SCALARS] + [0.0, -1.0])
    else:
        mu, L = draw(interval())
        kw["mu"], kw["L"] = mu.value, L.value
    kw["method"] = draw(METHOD.wild() if draw(st.integers(0, 7)) == 7 else METHOD.valid(False)).value
    for axis in ("alpha_range", "beta_range"):
        kw[axis] = mostly(RANGE_PAIRS[:5], RANGE_PAIRS[5:])
    if get_method(kw["method"]).uses_beta is False if METHOD.status(Arg(kw["method"], None)) == "valid" else False:
        kw["beta_range"] = mostly([None], RANGE_PAIRS[1:])
    return kw


def _positive_scalar(x: Any) -> bool:
    if isinstance(x, (bool, np.bool_, list, tuple)):
        return False
    arr = as_f(x)
    return arr is not None and arr.ndim == 0 and bool(np.isfinite(arr)) and float(arr) > 0.0


def _valid_pair(r: Any, lo: float, hi: float) -> bool:
    if r is None:
        return True
    if not isinstance(r, tuple) or len(r) != 2 or any(isinstance(x, (bool, complex, str)) for x in r):
        return False
    return all(math.isfinite(x) for x in r) and lo <= r[0] < r[1] <= hi


@settings(max_examples=15)
@given(grid_call())
def test_rho_grid_promise(kw: dict[str, Any]) -> None:
    g, exc = outcome(quiet(hbtheory.rho_grid), **kw)
    n, m = kw["n"], kw["method"]
    bad = set()
    if isinstance(n, bool) or not isinstance(n, (int, float)) or n != int(n) or not 8 <= n <= 5000:
        bad.add("n")
    if METHOD.status(Arg(m, None)) != "valid":
        bad.add("method")
    if "h" in kw and not _positive_scalar(kw["h"]):
        bad.add("h")
    if not _valid_pair(kw["alpha_range"], 0.0, math.inf):
        bad.add("alpha_range")
    uses_beta = "method" not in bad and get_method(m).uses_beta
    if not _valid_pair(kw["beta_range"], 0.0, 1.0) or (not uses_beta and kw["beta_range"] is not None):
        bad.add("beta_range")
    if bad:
        assert exc is not None, f"accepted {kw}"
        assert named(exc, bad), f"{exc} does not name {sorted(bad)}"
        return
    if exc is not None:  # a range whose rates the grid cannot show (e.g. no convergent step) may be refused
        assert named(exc, {"alpha_range", "beta_range", "h", "mu", "L"}), f"valid {kw} refused: {exc}"
        return
    method = get_method(m)
    assert g.rho.shape == (len(g.beta), len(g.alpha)) and len(g.alpha) == int(n)
    for i in range(0, len(g.beta), 3):
        for j in range(0, len(g.alpha), 3):
            a, b = float(g.alpha[j]), float(g.beta[i])
            if a <= 0.0:
                continue
            ends = [kw["h"]] if "h" in kw else [kw["mu"], kw["L"]]
            ref = max(rho_ref(method, a, b, float(h)) for h in ends)
            assert_close(g.rho[i, j], ref, 8 * EPS, f"rho at ({a}, {b})")


# ------------------------------------------------------------------------------------------------
# Every public function is fuzzed here, or skipped for a stated reason
# ------------------------------------------------------------------------------------------------

FUZZED = {
    "amplification", "eigenvalues", "from_chapter", "from_d2l", "from_ema", "from_keras", "from_qhm", "from_torch",
    "general", "get_method", "iteration_matrix", "optimal_alpha", "optimal_beta", "optimal_parameters",
    "power_norm", "spectral_radius", "spectral_gap", "stationary_variance", "theorem1_constant",
    "velocity_transient", "worst_case", "worst_case_rate", "find_cycle", "iterate", "lrp_gradient",
    "lrp_gradient_exact", "lrp_value", "rho_grid",
}
SKIPPED = {
    "iterate_torch": "torch (tests/test_counterexamples.py runs it against iterate)",
    "lrp_value_torch": "torch",
    "counterexample_check": "a full counterexample run (seconds); tests/test_counterexamples.py",
    "counterexample_summary": "a full counterexample run (seconds); tests/test_counterexamples.py",
    "cycle_figure_data": "figure data over a run; tests/test_counterexamples.py",
    "lrp_tunings": "optimal_parameters on [1, 25] (fuzzed above)",
    "run_outcome": "iterate + find_cycle (both fuzzed above)",
    # the robust layer (exported at 08:00, not yet fuzzed here): LMI solves and cycle searches take
    # seconds per call; tests/test_robust.py checks them against cvxpy and the literature
    "certified_rate": "robust layer: batched LMI solves (tests/test_robust.py)",
    "rate_certificate": "robust layer: batched LMI solves (tests/test_robust.py)",
    "robust_optimal_parameters": "robust layer: a search over LMI solves (tests/test_robust.py)",
    "explore": "writes an interactive HTML explorer from tunings already fuzzed here (tests/test_explore.py)",
    "cycle_margin": "cycle search of the robust layer (tests/test_robust.py)",
    "cycle_witness": "cycle search of the robust layer (tests/test_robust.py)",
}
#: Public functions fuzzed in a file of their own, against references built there.
FUZZED_ELSEWHERE = {
    name: "tests/test_fuzz_stochastic.py"
    for name in ("mean_square_rate", "mean_square_stable", "stationary_second_moment", "mean_square_optimal")
}


def test_every_public_function_is_fuzzed_or_skipped_for_a_reason() -> None:
    import inspect

    from hbtheory import spectral, tuning

    public = set()
    for module in (hbtheory, methods, spectral, tuning, cx):
        public |= {n for n in module.__all__ if inspect.isfunction(getattr(module, n))}
    assert public - FUZZED - set(SKIPPED) - set(FUZZED_ELSEWHERE) == set(), "public functions without a fuzz test"
    assert FUZZED & set(SKIPPED) == set() and (FUZZED | set(SKIPPED)) & set(FUZZED_ELSEWHERE) == set()
    root = Path(__file__).resolve().parents[1]
    for name, where in FUZZED_ELSEWHERE.items():
        assert f"{name}(" in (root / where).read_text(), f"{name} is not called in {where}"

# ------------------------------------------------------------------------------------------------
# hbtheory.tuning
# ------------------------------------------------------------------------------------------------


def mp_worst_rate(m: Method, a: float, b: float, mu: float, L: float) -> Any:
    return max(rho_ref(m, a, b, mu), rho_ref(m, a, b, L))


def closed_form_refs(m: Method, mu: Any, L: Any) -> tuple[Any, Any] | None:
    """(alpha, rate) of the optimal tuning in 60 digits, for the methods with a classical closed form."""
    with mp.workdps(DPS):
        k = L / mu
        if m == methods.HEAVY_BALL:
            return 4 / (mp.sqrt(L) + mp.sqrt(mu)) ** 2, (mp.sqrt(k) - 1) / (mp.sqrt(k) + 1)
        if m == methods.NESTEROV:
            return 4 / (3 * L + mu), 1 - 2 / mp.sqrt(3 * k + 1)
        if m == methods.GRADIENT_DESCENT:
            return 2 / (mu + L), (k - 1) / (k + 1)
    return None


def candidates(mu: float, L: float) -> list[tuple[float, float]]:
    """Feasible (alpha, beta) pairs any optimum must match or beat: the classical tunings."""
    out = []
    for m in (methods.HEAVY_BALL, methods.NESTEROV, methods.GRADIENT_DESCENT, methods.TRIPLE_MOMENTUM):
        cf = m.closed_form(mu, L) if m.closed_form is not None else None
        if cf is not None and 0.0 <= cf.beta < 1.0 and cf.alpha > 0.0:
            out.append((cf.alpha, cf.beta))
    return out


def assert_rate(got: float, ref: Any, what: str = "") -> None:
    """A rate in [0, 1) to 4 eps absolute: the documented agreement ("a few units of 1e-16"); the
    float64 parameters cannot attain an optimum below that (kappa = 1 gives 5.6e-17, not 0)."""
    assert abs(got - ref) <= 4 * EPS, f"{what}: rate {got!r}, expected {mp.nstr(ref, 17)}"


def check_tuning_consistent(t: Any, m: Method, mu: float, L: float) -> None:
    """The returned rate is the worst rate of the returned parameters, and it is < 1."""
    assert t.method == m.name and t.mu == mu and t.L == L
    assert math.isfinite(t.alpha) and t.alpha > 0 and 0.0 <= t.beta < 1.0 and 0.0 <= t.rate < 1.0, t
    if not m.uses_beta:
        assert t.beta == 0.0
    # documented: worst_case_rate(alpha, beta, mu, L) agrees with rate "to a few units of 1e-16"
    # (absolute: near kappa = 1 the float64 alpha cannot attain the exact optimum 2**-54)
    actual = mp_worst_rate(m, t.alpha, t.beta, mu, L)
    assert abs(actual - t.rate) <= 4 * EPS, f"{t}: rate {t.rate!r}, its parameters' worst rate {mp.nstr(actual, 17)}"


@st.composite
def spectrum_call(draw: Any) -> tuple[dict[str, Any], set[str]]:
    """Keyword arguments of optimal_parameters and the set of parameters that are invalid."""
    mode = draw(st.sampled_from(["kappa", "kappa", "interval", "interval", "both", "none", "mu_only"]))
    kappa_kind, mu_kind = Real(1.0, scalar=True), Real(0.0, lo_open=True, scalar=True)
    # general(gamma) has no closed form: its numeric minimax takes seconds per call, so it is
    # checked on the explicit examples of test_tuning_family only
    closed = st.sampled_from([n for n in METHOD_NAMES if "general" not in n] + [methods.NESTEROV])
    out: dict[str, Any] = {"method": draw(closed.map(lambda m: Arg(m, None)) | METHOD.wild()).value}
    bad: set[str] = set() if METHOD.status(Arg(out["method"], None)) == "valid" else {"method"}
    if mode in ("kappa", "both"):
        arg = draw(st.one_of(kappa_kind.valid(False), st.sampled_from([1.0, 1e16, 1e25, 8e31, 1e40]).map(_num),
                             wild(False)))
        out["kappa"] = arg.value
        bad |= set() if kappa_kind.status(arg) == "valid" else {"kappa"}
    if mode in ("interval", "both", "mu_only"):
        mu, L = draw(interval())
        if draw(st.integers(0, 3)) == 0:
            mu = draw(wild(False))
        out["mu"] = mu.value
        bad |= set() if mu_kind.status(mu) == "valid" else {"mu"}
        if mode != "mu_only":
            out["L"] = L.value
    if mode in ("both", "none", "mu_only"):
        bad |= {"kappa", "mu", "L"}
    elif mode == "interval" and "mu" not in bad and float(_num(out["mu"]).real) > out["L"]:
        bad |= {"mu", "L"}
    return out, bad


def check_optimal(t: Any, kw: dict[str, Any]) -> None:
    m = get_method(kw["method"])
    with mp.workdps(DPS):
        if "kappa" in kw:
            mu, L, k = 1.0 / float(kw["kappa"]), 1.0, mp.mpf(float(kw["kappa"]))
        else:
            mu, L = float(kw["mu"]), float(kw["L"])
            k = mp.mpf(L) / mu
        check_tuning_consistent(t, m, mu, L)
        ref = closed_form_refs(m, mp.mpf(mu), mp.mpf(L))
        if ref is not None:
            assert_close(t.alpha, ref[0], 4 * EPS, f"{t} alpha")
            assert_rate(t.rate, closed_form_refs(m, mp.mpf(1), k)[1], f"{t}")  # the rate depends on kappa only
    cf = m.closed_form(mu, L) if m.closed_form is not None else None
    if ref is None and cf is not None:  # a closed form beyond the classical three: its alpha (Triple Momentum's design)
        assert_close(t.alpha, cf.alpha, 4 * EPS, f"{t} alpha vs {m.name}'s closed form")
    # a method tuned numerically (no closed form): no classical tuning does better for it. (Triple
    # Momentum's closed form is its design for all strongly convex functions, not the quadratic optimum.)
    for a, b in candidates(mu, L) if m.closed_form is None else []:
        if m.uses_beta or b == 0.0:
            other = mp_worst_rate(m, a, b, mu, L)
            assert t.rate <= other + 4 * EPS, f"{t} is beaten by (alpha, beta) = ({a}, {b}): rate {other}"


def optimal_refusal_ok(exc: BaseException, kw: dict[str, Any]) -> bool:
    """A documented refusal: the optimum rounds to 1 in float64 (huge kappa), or L below 4.5e-308."""
    msg = str(exc)
    if "too large for float64" in msg and named(exc, {"kappa", "L", "mu", "L`/`mu"}):
        k = float(kw["kappa"]) if "kappa" in kw else float(kw["L"]) / float(kw["mu"])
        return k > 1e15
    return "4.5e-308" in msg and named(exc, {"L"})


@settings(max_examples=150)
@given(spectrum_call())
def test_optimal_parameters_promise(call: tuple[dict[str, Any], set[str]]) -> None:
    kw, bad = call
    t, exc = outcome(hbtheory.optimal_parameters, **kw)
    if bad:
        assert exc is not None, f"accepted {kw} -> {t}"
        assert named(exc, bad), f"{exc} does not name {sorted(bad)}"
        return
    if exc is not None:
        assert optimal_refusal_ok(exc, kw), f"valid {kw} refused: {exc}"
        return
    check_optimal(t, kw)


@pytest.mark.parametrize(
    "kw",
    [
        # found by this fuzz (fixed in 9ec00f3): gradient descent's tuning (beta = 0) for these
        {"kappa": 100.0, "method": "triple_momentum"},  # alpha 1.98 (gradient descent's), design 1.9
        {"kappa": 100.0, "method": "general(gamma=0.3)"},  # claims 0.980, its parameters' worst rate is 1.89
        {"mu": 0.1, "L": 10.0, "method": methods.general(-0.5)},  # claims 0.980, attains 0.995
    ],
    ids=["triple_momentum", "general(0.3)", "general(-0.5)"],
)
def test_tuning_family(kw: dict[str, Any]) -> None:
    check_optimal(hbtheory.optimal_parameters(**kw), kw)


FIXED = {"mu": Real(0.0, lo_open=True, scalar=True), "L": Real(0.0, lo_open=True, scalar=True), "method": METHOD}


@st.composite
def fixed_arguments(draw: Any, first: str) -> dict[str, Arg]:
    kinds = {first: Real(0.0, lo_open=True, scalar=True) if first == "alpha" else Real(0.0, 1.0, hi_open=True,
                                                                                        scalar=True), **FIXED}
    args = draw(arguments(kinds, arrays=False))
    if all(kinds[k].status(args[k]) == "valid" for k in kinds) and draw(st.integers(0, 3)) > 0:
        args["mu"], args["L"] = draw(interval())
        if first == "alpha":
            scaled = draw(st.one_of(st.floats(1e-6, 4.2), st.sampled_from([1.0, 2.0, 3.99, 4.0]),
                                    st.floats(-40.0, -6.0).map(lambda e: 10.0**e)))
            args["alpha"] = _num(scaled / float(args["L"].real))
    return args


def local_minimum(rate: float, m: Method, at: Callable[[float], tuple[float, float]], x: float, mu: float,
                  L: float) -> None:
    """No nearby parameter (relative steps 1e-3, 1e-6, and the float neighbours) does better."""
    for step in (1e-3, 1e-6):
        for y in (x * (1 - step), x * (1 + step)):
            a, b = at(y)
            if a > 0 and 0 <= b < 1 and (m.uses_beta or b == 0):
                other = mp_worst_rate(m, a, b, mu, L)
                assert rate <= other + 4 * EPS, f"rate {rate} at {x}, but {mp.nstr(other, 17)} at {y}"


def check_optimal_beta(t: Any, v: dict[str, Any]) -> None:
    m, a, mu, L = get_method(v["method"]), float(v["alpha"]), float(v["mu"]), float(v["L"])
    check_tuning_consistent(t, m, mu, L)
    assert t.alpha == a
    with mp.workdps(DPS):
        if m == methods.HEAVY_BALL:  # beta* = max((1 - sqrt(a mu))^2, (1 - sqrt(a L))^2), rate sqrt(beta*)
            assert_rate(t.rate, max(abs(1 - mp.sqrt(mp.mpf(a) * mu)), abs(1 - mp.sqrt(mp.mpf(a) * L))), f"{t}")
        elif m == methods.NESTEROV and a * L <= 1.0:
            assert_rate(t.rate, 1 - mp.sqrt(mp.mpf(a) * mu), f"{t}")
        elif m == methods.GRADIENT_DESCENT:
            assert_rate(t.rate, max(abs(1 - mp.mpf(a) * mu), abs(1 - mp.mpf(a) * L)), f"{t}")
    if m.uses_beta:
        local_minimum(t.rate, m, lambda b: (a, b), t.beta, mu, L)


def beta_refusal_ok(exc: BaseException, v: dict[str, Any]) -> bool:
    # documented: alpha * L >= 4 (heavy ball) or 2 (others): no beta converges; or the best rate
    # rounds to 1 in float64 (1 - alpha mu for gradient descent, 1 - sqrt(alpha mu) with momentum)
    m = get_method(v["method"])
    a, mu, L = float(v["alpha"]), float(v["mu"]), float(v["L"])
    if not named(exc, {"alpha"}):
        return False
    limit = 4.0 if m == methods.HEAVY_BALL else 2.0
    with mp.workdps(DPS):
        best = 1 - mp.mpf(a) * mu if not m.uses_beta else 1 - mp.sqrt(mp.mpf(a) * mu)
    if m not in (methods.HEAVY_BALL, methods.NESTEROV, methods.GRADIENT_DESCENT):
        # no stability limit in closed form: the refusal holds if no beta on a grid converges
        grid = [k / 64 for k in range(64)] + [1 - 2.0**-k for k in range(7, 53, 5)]
        return all(mp_worst_rate(m, a, b, mu, L) >= 1 - 1e-12 for b in grid)
    return a * L >= limit * (1 - 1e-9) or float(best) == 1.0 or "4.5e-308" in str(exc)


@settings(max_examples=50)
@given(fixed_arguments("alpha"))
def test_optimal_beta_promise(args: dict[str, Arg]) -> None:
    kinds = {"alpha": Real(0.0, lo_open=True, scalar=True), **FIXED}
    check_promise(hbtheory.optimal_beta, kinds, args, check_optimal_beta, allowed=beta_refusal_ok,
                  joint=interval_joint)


def check_optimal_alpha(t: Any, v: dict[str, Any]) -> None:
    m, b, mu, L = get_method(v["method"]), float(v["beta"]), float(v["mu"]), float(v["L"])
    check_tuning_consistent(t, m, mu, L)
    assert t.beta == b
    with mp.workdps(DPS):
        k = mp.mpf(L) / mu
        if m == methods.HEAVY_BALL:
            sb = mp.sqrt(b)
            if k <= ((1 + sb) / (1 - sb)) ** 2:
                assert_rate(t.rate, sb, f"{t} sqrt(beta)")
            else:
                c = (1 + b) * (k - 1) / (k + 1)
                assert_rate(t.rate, (c + mp.sqrt(c * c - 4 * b)) / 2, f"{t} equal ripple")
        elif m == methods.GRADIENT_DESCENT:
            assert_close(t.alpha, 2 / (mp.mpf(mu) + L), 4 * EPS)
    local_minimum(t.rate, m, lambda a: (a, b), t.alpha, mu, L)


def alpha_refusal_ok(exc: BaseException, v: dict[str, Any]) -> bool:
    return named(exc, {"L", "mu", "L`/`mu"}) and ("too large for float64" in str(exc) or "4.5e-308" in str(exc))


@settings(max_examples=50)
@given(fixed_arguments("beta"))
def test_optimal_alpha_promise(args: dict[str, Arg]) -> None:
    kinds = {"beta": Real(0.0, 1.0, hi_open=True, scalar=True), **FIXED}
    check_promise(hbtheory.optimal_alpha, kinds, args, check_optimal_alpha, allowed=alpha_refusal_ok,
                  joint=all_of(interval_joint, beta_for()))


def mp_iterations(rate: float, tol: float) -> int | float:
    """Smallest integer t >= 1 with rate**t <= tol, decided in exact-enough arithmetic."""
    if rate >= 1.0:
        return math.inf
    if rate <= 0.0:
        return 1
    with mp.workdps(80):
        r, e = mp.mpf(rate), mp.mpf(tol)
        t = max(1, int(mp.ceil(mp.log(e) / mp.log(r))))
        while t > 1 and r ** (t - 1) <= e:
            t -= 1
        while r**t > e:
            t += 1
        return t


TOL = Real(0.0, 1.0, lo_open=True, hi_open=True, scalar=True)


@settings(max_examples=80)
@given(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 0.5, 0.9, 1 - 2.0**-53, 1.0, 1.5, 0.81818181818181823])),
       arguments({"tol": TOL}, arrays=False))
def test_tuning_iterations_promise(rate: float, args: dict[str, Arg]) -> None:
    t = hbtheory.Tuning("heavy_ball", 1.0, 0.5, rate, 0.5, 1.0)

    def check(count: Any, v: dict[str, Any]) -> None:
        assert count == mp_iterations(rate, float(v["tol"])), (rate, v, count)

    check_promise(t.iterations, {"tol": TOL}, args, check)


def test_iterations_subnormal_tol() -> None:
    # issue 11 (fixed in 9ec00f3): 3708 at kappa = 100, tol = 5e-324; exact 3710
    t = hbtheory.optimal_parameters(kappa=100)
    assert t.iterations(5e-324) == mp_iterations(t.rate, 5e-324)


def test_iterations_no_hang() -> None:
    # issue 11 (fixed in 9ec00f3): kappa = 1e25, tol = 1e-320 ran for minutes
    t = hbtheory.optimal_parameters(kappa=1e25)
    with time_limit(1):
        assert t.iterations(1e-320) == mp_iterations(t.rate, 1e-320)


def test_optimal_alpha_general() -> None:
    # found by this fuzz (fixed in 9ec00f3): rate 0.71789 at the returned alpha, 0.71681 nearby
    v = {"beta": 0.0, "mu": 1e-300, "L": 1e-300, "method": "general(gamma=0.3)"}
    check_optimal_alpha(hbtheory.optimal_alpha(**v), v)


def test_optimal_parameters_general_large_kappa() -> None:
    # found by this fuzz: rate 0.9999999949 (the multisection stopped at a tie inside its window's
    # edge), while Nesterov's tuning (1.3333, 0.99999998) attains 0.9999999886; now 1 - 1.56e-8
    kw = {"kappa": 1.023971286464102e16, "method": "general(gamma=0.3)"}
    check_optimal(hbtheory.optimal_parameters(**kw), kw)


# found by this fuzz: a tie at the accurate window's edge stopped the search (alpha = 1e-18 on [1, 1]:
# 1 - 7.7e-11 instead of 1 - 1e-9), and below alpha mu ~ 1e-23 a refusal on the plateau rho = 1
@pytest.mark.parametrize("alpha", [1e-18, 1e-20, 1e-23, 1e-25, 1e-30])
def test_optimal_beta_tiny_alpha_h(alpha: float) -> None:
    v = {"alpha": alpha, "mu": 1.0, "L": 1.0, "method": "heavy_ball"}
    check_optimal_beta(hbtheory.optimal_beta(**v), v)
    w = {"alpha": 0.125, "mu": 1e-16, "L": 1.0, "method": "heavy_ball"}  # was 1 - 1.04e-9, best 1 - 3.5e-9
    check_optimal_beta(hbtheory.optimal_beta(**w), w)


def test_robust_beta_domain_message_shows_the_number() -> None:
    # robust._inputs formatted `{beta1[i]!r}`, which prints np.float64(0.0): messages show the number
    import dataclasses

    from hbtheory import robust

    m = dataclasses.replace(methods.general(0.5), name="log_shift", gamma=np.log)  # gamma(0) = -inf
    with pytest.raises(ValueError) as info, np.errstate(divide="ignore"):
        robust.certified_rate(0.1, 0.0, 0.5, 1.0, method=m)
    assert "`beta` = 0.0 is outside" in str(info.value), str(info.value)


@pytest.mark.parametrize("iterates", [[0.5, math.nan], [0.5, math.inf], [0.5, 1e13]])
def test_find_cycle_short_nonfinite_run_is_diverging(iterates: list[float]) -> None:
    # documented (cycles.find_cycle, diverge_at): a run with a non-finite iterate, or one beyond the
    # bound, is diverging even with fewer than 3 iterates (iterate stops at such a first step)
    assert cx.find_cycle(iterates).status == "diverging"
    with pytest.raises(ValueError, match="at least 3"):
        cx.find_cycle([0.5, 1.0])
