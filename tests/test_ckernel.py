"""The optional compiled float64 pass (hbtheory/_ckernel.c) against the numpy path it replaces.

Both paths must give the same bits: the compiled one only changes how fast the float64 formula
and the cheap routing test run. CI builds the extension and sets ``HBTHEORY_REQUIRE_EXTENSION``,
so there these tests cannot pass by being skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hbtheory import _kernel
from hbtheory.methods import get_method

COMPILED = ["heavy_ball", "gradient_descent", "nesterov"]

needs_extension = pytest.mark.skipif(
    not _kernel.compiled_kernel() and not os.environ.get("HBTHEORY_REQUIRE_EXTENSION"),
    reason="hbtheory._ckernel was not built (no C compiler at install time)",
)


def test_extension_is_built_where_required() -> None:
    # .ci/run sets HBTHEORY_REQUIRE_EXTENSION: a CI whose install silently fell back to numpy
    # must fail here rather than skip every comparison below.
    if os.environ.get("HBTHEORY_REQUIRE_EXTENSION"):
        assert _kernel.compiled_kernel()


def test_environment_variable_turns_the_extension_off() -> None:
    code = "from hbtheory import _kernel; print(_kernel.compiled_kernel())"
    env = {**os.environ, "HBTHEORY_NO_EXTENSION": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _numpy_path(method_name: str, a: object, b: object, h: object) -> np.ndarray:
    """spectral_radius with the compiled pass switched off (no fixture: hypothesis tests use it too)."""
    saved = _kernel._compiled
    try:
        _kernel._compiled = None
        return _kernel.spectral_radius(get_method(method_name), a, b, h)
    finally:
        _kernel._compiled = saved


def _both(method_name: str, a: object, b: object, h: object) -> tuple[np.ndarray, ...]:
    m = get_method(method_name)
    compiled = _kernel.spectral_radius(m, a, b, h)
    reference = _kernel.radius(_kernel.characteristic(m, a, b, h))
    return compiled, _numpy_path(method_name, a, b, h), reference


def _layouts(rng: np.random.Generator) -> list[tuple[object, object, object]]:
    """Every inner-loop variant of the C code, and the strided fallback."""
    n = 700
    b = rng.uniform(0.0, 1.0, n)
    h = rng.uniform(0.1, 3.0, n)
    curve = (1.0 + rng.choice([-1.0, 1.0], n) * np.sqrt(b)) ** 2  # heavy ball's critical curves
    a = np.where(rng.random(n) < 0.5, curve * (1.0 + rng.uniform(-1e-9, 1e-9, n)), rng.uniform(0, 5, n)) / h
    grid_a = np.linspace(0.001, 4.0, 301)
    grid_b = np.linspace(0.0, 0.999, 257)
    full_a, full_b = np.meshgrid(grid_a, grid_b, indexing="ij")
    return [
        (a, b, h),  # all contiguous
        (grid_a[:, None], grid_b[None, :], 1.0),  # a row of beta per alpha (numpy may buffer)
        (grid_a[None, :], grid_b[:, None], 0.7),  # a column: scalar beta along alpha
        (full_a, full_b, 1.3),  # alpha and beta vary, one h
        (full_a.T, full_b.T, 1.3),  # transposed views
        (np.asfortranarray(full_a), full_b, 2.0),  # mixed memory orders
        (a[::3], b[::3], h[::3]),  # strided: the generic loop
        (a[:, None], b[None, ::-2], h[:, None]),  # negative strides
        (grid_a[:, None, None], grid_b[None, :20, None], np.array([-1.0, 0.0, 0.5, 3.0])),  # 3-d, h <= 0
        (0.25, np.full(100, 0.25), 1.0),  # exactly on a curve: the exact-rational path
        (np.geomspace(1e-3, 1e3, 301)[:, None], np.array([0.0, 5e-324, 1e-310]), 1.0),  # subnormal beta
    ]


@needs_extension
@pytest.mark.parametrize("name", COMPILED)
def test_compiled_path_gives_the_numpy_paths_bits(rng: np.random.Generator, name: str) -> None:
    for a, b, h in _layouts(rng):
        if name == "gradient_descent":
            b = np.zeros_like(np.asarray(b))
        compiled, numpy_path, reference = _both(name, a, b, h)
        assert compiled.shape == reference.shape and compiled.dtype == np.float64
        np.testing.assert_array_equal(compiled, numpy_path)
        np.testing.assert_array_equal(compiled, reference)


@needs_extension
@pytest.mark.parametrize("name", COMPILED)
def test_flags_contain_every_routed_point_and_rho_is_the_float64_formula(
    rng: np.random.Generator, name: str
) -> None:
    # What _route recomputes must be flagged (or its rho would stay wrong); everywhere else the
    # ufunc's rho is the numpy float64 formula's, bit for bit; and the flags are not many more.
    m = get_method(name)
    ufunc = getattr(_kernel._compiled, name)
    for a, b, h in _layouts(rng):
        a, b, h = _kernel._broadcast(a, b, h)
        if name == "gradient_descent":
            b = np.zeros_like(b)
        rho, flags = ufunc(a, b, h)
        _, rho_np, route = _kernel._fast_path(m, a, b, h, False)
        assert not np.any(route & ~flags)
        np.testing.assert_array_equal(rho[~route], rho_np[~route])
        assert flags.mean() <= 4 * max(route.mean(), 1e-3)


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
moderate = finite.filter(lambda x: abs(x) < 1e100)
large = finite.filter(lambda x: abs(x) < 1e150)


@needs_extension
@settings(max_examples=100)
@given(
    st.integers(65, 300).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, n, elements=moderate), arrays(np.float64, n, elements=st.floats(0.0, 1.0)),
            arrays(np.float64, n, elements=moderate),
        )
    ),
    st.sampled_from(COMPILED),
)
def test_compiled_and_numpy_paths_agree_on_wide_inputs(points: tuple[np.ndarray, ...], name: str) -> None:
    # Any finite alpha and h (both signs, tiny to 1e100; alpha h then spans the float64 range),
    # beta in [0, 1]: more than _SMALL points, so the blocked paths run.
    a, b, h = points
    if name == "gradient_descent":
        b = np.zeros_like(b)
    m = get_method(name)
    try:
        reference = _kernel.radius(_kernel.characteristic(m, a, b, h))
    except ValueError:  # alpha * h overflows: rejected on every path
        with pytest.raises(ValueError, match="overflows"):
            _kernel.spectral_radius(m, a, b, h)
        return
    np.testing.assert_array_equal(_kernel.spectral_radius(m, a, b, h), reference)
    np.testing.assert_array_equal(_numpy_path(name, a, b, h), reference)


@needs_extension
@given(large, large, large, st.sampled_from(COMPILED))
def test_ufunc_flags_every_routed_point_for_any_beta(a: float, b: float, h: float, name: str) -> None:
    # The flag is a superset of _route's test for every finite input, beta outside [0, 1] too,
    # not only for the validated range.
    aa, bb, hh = _kernel._broadcast(a, b, h)
    if (1.0 + abs(b)) * (1.0 + abs(a * h)) > _kernel._HUGE:  # spectral_radius's general path
        return
    rho, flag = getattr(_kernel._compiled, name)(a, b, h)
    _, rho_np, route = _kernel._fast_path(get_method(name), aa, bb, hh, False)
    if bool(route):
        assert bool(flag)
    else:
        assert rho == rho_np or (np.isnan(rho) and np.isnan(rho_np))


@needs_extension
def test_ufunc_raises_no_floating_point_warnings() -> None:
    # sqrt of a negative discriminant happens inside the loop on every complex-root point, and
    # Nesterov's bound divides by c0 = 0 at alpha h = 1; the ufuncs clear those flags, so numpy
    # has nothing to warn about.
    with np.errstate(all="raise"):
        rho, _ = _kernel._compiled.heavy_ball(np.linspace(0.01, 1.0, 1000), 0.9, 1.0)
        rho_nag, flag_nag = _kernel._compiled.nesterov(np.array([0.5, 1.0, 1.5]), np.array([[0.0], [0.9]]), 2.0)
    assert np.all(np.isfinite(rho)) and rho.max() == pytest.approx(0.9**0.5, rel=1e-15)
    assert np.all(rho_nag[:, 0] == 0.0) and np.all(np.isfinite(rho_nag))  # alpha h = 1: nilpotent
    assert np.all(flag_nag[:, 0])  # rho = 0: its relative accuracy needs the exact path


@needs_extension
def test_set_window_rejects_a_window_without_zero() -> None:
    with pytest.raises(ValueError, match="lower <= 0 <= upper"):
        _kernel._compiled.set_window(0.1, 0.2)
    with pytest.raises(TypeError):
        _kernel._compiled.set_window("a", 0.2)
    with pytest.raises(ValueError, match="0 < tol < 1"):
        _kernel._compiled.set_tight(1e-16, 1e-16, 2.0, 0.0)


def test_a_stale_build_is_ignored_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    # An editable install whose _ckernel.c changed after the build carries another checksum: the
    # kernel must not run it (its flags could miss points), it warns and takes the numpy path.
    import types

    import hbtheory

    stale = types.ModuleType("hbtheory._ckernel")
    stale.SOURCE_CRC32 = 12345  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hbtheory._ckernel", stale)
    monkeypatch.setattr(hbtheory, "_ckernel", stale, raising=False)
    with pytest.warns(RuntimeWarning, match="built from another version"):
        assert _kernel._load_compiled() is None


@needs_extension
def test_the_build_matches_its_source() -> None:
    import zlib
    from pathlib import Path

    source = Path(_kernel.__file__).with_name("_ckernel.c").read_bytes()
    assert _kernel._compiled.SOURCE_CRC32 == zlib.crc32(source)
