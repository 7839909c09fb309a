"""Speed and memory of ``spectral_radius`` on a 1000 x 1000 (alpha, beta) grid.

Run from the repository root (not part of the test suite)::

    python3 benchmarks/spectral_speed.py [--n 1000] [--rounds 5]

The grid is the one of ``accuracy_spectral_radius.py``: ``alpha = linspace(0.001, 4, n)`` as a
column, ``beta = linspace(0, 0.999, n)`` as a row, ``h = 1``, broadcast by the call
``spectral_radius(alpha[:, None], beta[None, :], 1.0)`` as a user would write it. Against:

* ``np.abs(np.linalg.eigvals(A)).max(axis=-1)`` on the stacked 2x2 matrices ``A`` (built
  beforehand, not timed): what one would pick without hbtheory. Target: >= 100x faster.
* the one-pass floor ``np.sqrt(alpha * h + beta)`` over the same grid: the cost of producing any
  grid-sized result from these inputs with numpy. Target: <= 2.5x the floor's time.
* peak memory (tracemalloc, which numpy reports its buffers to), including the result, in units
  of one grid-sized float64 array. Target: <= 4.

Times are medians of interleaved rounds (each round: eigvals once, the others 10 times), so the
ratios come from the same process and the same stretch of machine load, with glibc's malloc set to
reuse freed memory (``_common.steady_allocator``): otherwise whether an 8 MB result gets fresh,
page-faulting pages depends on what ran before, and the floor's time varied 2x between runs.

The targets are checked on ``spectral_radius`` as installed: with the compiled float64 pass
(``hbtheory/_ckernel.c``) when it was built. Informational lines: the same call on the numpy path
(what a machine without a C compiler gets; same bits), on full meshgrid arrays, and what the time
consists of (the float64 formula with no accuracy handling at all, in numpy with the kernel's
blocking, and the fraction of points recomputed in double-double).
"""

from __future__ import annotations

import argparse
import sys

import _common  # noqa: F401  (puts this checkout first on sys.path)
import numpy as np
from _common import interleaved, machine, ms, peak_memory, result, steady_allocator

from hbtheory import _kernel, spectral_radius
from hbtheory.spectral import iteration_matrix

EIGVALS_TARGET = 100.0
FLOOR_TARGET = 2.5
MEMORY_TARGET = 4.0


def bare_formula(alpha: np.ndarray, beta: np.ndarray, h: float, block_rows: int = 32) -> np.ndarray:
    """rho of heavy ball by the float64 closed form alone, with the kernel's blocking and buffers.

    ``max(|c1| + sqrt(c1^2 - 4 beta), 2 sqrt(beta)) / 2``: no routing test, no double-double, so it
    is wrong by up to half the digits near the critical curves. It is the least any numpy
    implementation of the closed form does, and shows what the accuracy costs on top.
    """
    n_rows, n_cols = alpha.shape[0], beta.shape[1]
    out = np.empty((n_rows, n_cols))
    four_b = np.ascontiguousarray(np.broadcast_to(4.0 * beta, (block_rows, n_cols)))
    two_sqrt_b = np.ascontiguousarray(np.broadcast_to(2.0 * np.sqrt(beta), (block_rows, n_cols)))
    disc_buf, t_buf = np.empty((block_rows, n_cols)), np.empty((block_rows, n_cols))
    with np.errstate(invalid="ignore"):
        for lo in range(0, n_rows, block_rows):
            hi = min(lo + block_rows, n_rows)
            k = hi - lo
            c1 = 1.0 + beta - alpha[lo:hi] * h
            disc, t = disc_buf[:k], t_buf[:k]
            np.multiply(c1, c1, out=disc)
            np.subtract(disc, four_b[:k], out=disc)
            np.sqrt(disc, out=disc)
            np.abs(c1, out=t)
            np.add(t, disc, out=t)
            np.fmax(t, two_sqrt_b[:k], out=t)
            np.multiply(t, 0.5, out=out[lo:hi])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="grid side (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = parser.parse_args(argv)
    n = args.n
    alpha = np.linspace(0.001, 4.0, n)[:, None]
    beta = np.linspace(0.0, 0.999, n)[None, :]
    h = 1.0
    matrices = iteration_matrix(alpha, beta, h)
    grid_bytes = 8 * n * n
    print(f"machine: {machine()}")
    print(steady_allocator())
    print(f"grid: {n} x {n} (alpha column, beta row, h = {h}); medians of {args.rounds} interleaved rounds")
    compiled = _kernel._compiled
    print(
        "float64 pass: "
        + ("compiled (hbtheory/_ckernel.c)" if compiled is not None else "numpy blocks (the C extension is not built)")
    )

    def numpy_path(method: str = "heavy_ball") -> object:
        _kernel._compiled = None
        try:
            return spectral_radius(alpha, beta, h, method=method)
        finally:
            _kernel._compiled = compiled

    ours = spectral_radius(alpha, beta, h)
    theirs = np.abs(np.linalg.eigvals(matrices)).max(axis=-1)
    close = np.allclose(ours, theirs, rtol=1e-6, atol=0.0)
    times = interleaved(
        {
            "spectral_radius": (lambda: spectral_radius(alpha, beta, h), 10),
            "eigvals": (lambda: np.abs(np.linalg.eigvals(matrices)).max(axis=-1), 1),
            "floor": (lambda: np.sqrt(alpha * h + beta), 10),
            "bare float64 formula": (lambda: bare_formula(alpha, beta, h), 10),
            "numpy path": (numpy_path, 10),
        },
        args.rounds,
    )
    ours_t, eig_t, floor_t, bare_t, numpy_t = (
        times[k] for k in ("spectral_radius", "eigvals", "floor", "bare float64 formula", "numpy path")
    )
    peak = peak_memory(lambda: spectral_radius(alpha, beta, h)) / grid_bytes
    floor_peak = peak_memory(lambda: np.sqrt(alpha * h + beta)) / grid_bytes

    a_full, b_full = (np.ascontiguousarray(x) for x in np.broadcast_arrays(alpha, beta))
    full_t = interleaved({"full": (lambda: spectral_radius(a_full, b_full, h), 5)}, 3)["full"]
    from hbtheory.methods import get_method

    routed = _kernel.routed_fraction(get_method("heavy_ball"), alpha, beta, h)

    nag = interleaved(
        {
            "compiled": (lambda: spectral_radius(alpha, beta, h, method="nesterov"), 3),
            "numpy": (lambda: numpy_path("nesterov"), 3),
        },
        3,
    )
    nag_routed = _kernel.routed_fraction(get_method("nesterov"), alpha, beta, h)
    if not np.array_equal(numpy_path(), ours):
        print("warning: the compiled and numpy paths differ")

    print(f"{'':<36}{'time':>12}{'vs spectral_radius':>22}")
    for label, t in (
        ("spectral_radius", ours_t),
        ("np.linalg.eigvals (prebuilt A)", eig_t),
        ("floor np.sqrt(alpha*h + beta)", floor_t),
        ("bare float64 formula (no accuracy)", bare_t),
        ("spectral_radius, numpy path", numpy_t),
    ):
        print(f"{label:<36}{ms(t):>12}{t / ours_t:>21.2f}x")
    print(f"peak memory: spectral_radius {peak:.2f} grid arrays (floor: {floor_peak:.2f})")
    print(f"informational: same call on full {n}x{n} meshgrid arrays: {ms(full_t)} (input validation included)")
    print(
        f"informational: {routed:.2%} of the grid is recomputed in double-double; the accurate result "
        f"costs {ours_t / bare_t:.2f}x the bare float64 formula in numpy, which alone is {eig_t / bare_t:.0f}x "
        f"faster than eigvals and {bare_t / floor_t:.2f}x the floor (the numpy path: {eig_t / numpy_t:.0f}x "
        f"eigvals, {numpy_t / floor_t:.2f}x the floor)"
    )
    print(
        f"informational: Nesterov on the same grid: {ms(nag['compiled'])} (numpy path {ms(nag['numpy'])}); "
        f"{nag_routed:.1%} of its points need double-double (where rho is small, around alpha*h = 1)"
    )
    if not close:
        print("warning: spectral_radius and eigvals disagree beyond 1e-6 somewhere")

    failed = 0
    ratio = eig_t / ours_t
    failed |= result(
        "spectral_radius vs eigvals",
        "PASS" if ratio >= EIGVALS_TARGET else "FAIL",
        f"{ratio:.0f}x faster (target >= {EIGVALS_TARGET:.0f}x): {ms(ours_t)} vs {ms(eig_t)}",
    )
    floor_ratio = ours_t / floor_t
    failed |= result(
        "spectral_radius vs floor",
        "PASS" if floor_ratio <= FLOOR_TARGET else "FAIL",
        f"{floor_ratio:.2f}x the floor's time (target <= {FLOOR_TARGET}x): {ms(ours_t)} vs {ms(floor_t)}",
    )
    failed |= result(
        "spectral_radius peak memory",
        "PASS" if peak <= MEMORY_TARGET else "FAIL",
        f"{peak:.2f} grid-sized arrays incl. the result (target <= {MEMORY_TARGET:.0f})",
    )
    return failed


if __name__ == "__main__":
    sys.exit(main())
