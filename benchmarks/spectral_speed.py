"""Speed and memory of ``spectral_radius`` on a 1000 x 1000 (alpha, beta) grid, for every method.

Run from the repository root (not part of the test suite)::

    python3 benchmarks/spectral_speed.py [--n 1000] [--rounds 5]

The grid is the one of ``accuracy_spectral_radius.py``: ``alpha = linspace(0.001, 4, n)`` as a
column, ``beta = linspace(0, 0.999, n)`` as a row (zeros for gradient descent), ``h = 1``,
broadcast by the call ``spectral_radius(alpha[:, None], beta[None, :], 1.0, method=m)`` as a user
would write it, for each ``m`` of the family: heavy ball, Nesterov, gradient descent, Triple
Momentum and ``general(gamma=0.5)``. Against:

* ``np.abs(np.linalg.eigvals(A)).max(axis=-1)`` on the method's stacked 2x2 matrices ``A`` (built
  beforehand, not timed): what one would pick without hbtheory. Target: >= 50x faster.
* the one-pass floor ``np.sqrt(alpha * h + beta)`` over the same grid: the cost of producing any
  grid-sized result from these inputs with numpy. Target: <= 4x the floor's time.
* peak memory (tracemalloc, which numpy reports its buffers to), including the result, in units
  of one grid-sized float64 array. Target: <= 4.

Times are medians of interleaved rounds (each round: each eigvals once, the others 10 times), so
the ratios come from the same process and the same stretch of machine load, with glibc's malloc
set to reuse freed memory (``_common.steady_allocator``): otherwise whether an 8 MB result gets
fresh, page-faulting pages depends on what ran before, and the floor's time varied 2x between runs.
The package is pure Python: this is the numpy path every installation runs. Informational
columns: the fraction of points handed on to the exact routing test ("candidates": heavy ball's
window test in the blocks; for the methods with an inexact ``c0`` the per-beta windows of
``_kernel._grid_candidates``), the fraction recomputed in double-double ("routed"), and the bare
float64 formula of heavy ball with no accuracy handling at all (what the accuracy costs on top).
"""

from __future__ import annotations

import argparse
import sys

import _common  # noqa: F401  (puts this checkout first on sys.path)
import numpy as np
from _common import interleaved, machine, ms, peak_memory, result, steady_allocator

from hbtheory import _kernel, spectral_radius
from hbtheory.methods import get_method
from hbtheory.spectral import iteration_matrix

EIGVALS_TARGET = 50.0
FLOOR_TARGET = 4.0
MEMORY_TARGET = 4.0
FAMILY = ("heavy_ball", "nesterov", "gradient_descent", "triple_momentum", "general(gamma=0.5)")


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
    beta_grid = np.linspace(0.0, 0.999, n)[None, :]
    h = 1.0
    grid_bytes = 8 * n * n
    print(f"machine: {machine()}")
    print(steady_allocator())
    print(f"grid: {n} x {n} (alpha column, beta row, h = {h}); medians of {args.rounds} interleaved rounds")

    betas = {name: (beta_grid if get_method(name).uses_beta else np.zeros_like(beta_grid)) for name in FAMILY}
    matrices = {name: iteration_matrix(alpha, betas[name], h, method=name) for name in FAMILY}
    disagree = []
    for name in FAMILY:
        ours = spectral_radius(alpha, betas[name], h, method=name)
        theirs = np.abs(np.linalg.eigvals(matrices[name])).max(axis=-1)
        if not np.allclose(ours, theirs, rtol=1e-6, atol=1e-7):
            disagree.append(name)

    def call(name: str) -> object:
        return spectral_radius(alpha, betas[name], h, method=name)

    def eig(name: str) -> object:
        return np.abs(np.linalg.eigvals(matrices[name])).max(axis=-1)

    contenders: dict = {"floor": (lambda: np.sqrt(alpha * h + beta_grid), 10)}
    contenders["bare"] = (lambda: bare_formula(alpha, beta_grid, h), 10)
    for name in FAMILY:
        contenders[name] = ((lambda name=name: call(name)), 10)
        contenders["eig " + name] = ((lambda name=name: eig(name)), 1)
    times = interleaved(contenders, args.rounds)
    floor_t, bare_t = times["floor"], times["bare"]

    header = (
        f"{'method':<22}{'time':>11}{'eigvals':>11}{'vs eigvals':>12}{'vs floor':>10}{'candidates':>11}{'routed':>9}"
        f"{'peak mem':>10}"
    )
    print(header)
    print("-" * len(header))
    rows = {}
    for name in FAMILY:
        t, te = times[name], times["eig " + name]
        routed = _kernel.routed_fraction(get_method(name), alpha, betas[name], h)
        candidates = _kernel.candidate_fraction(get_method(name), alpha, betas[name], h)
        peak = peak_memory(lambda name=name: call(name)) / grid_bytes
        rows[name] = (t, te, peak)
        print(
            f"{name:<22}{ms(t):>11}{ms(te):>11}{te / t:>11.0f}x{t / floor_t:>9.2f}x{candidates:>11.2%}{routed:>9.2%}"
            f"{peak:>10.2f}"
        )
    print(f"floor np.sqrt(alpha*h + beta): {ms(floor_t)}; bare float64 heavy-ball formula (no accuracy): "
          f"{ms(bare_t)} = {bare_t / floor_t:.2f}x the floor")
    for name in disagree:
        print(f"warning: spectral_radius and eigvals disagree beyond 1e-6 somewhere for {name}")

    failed = 0
    for name in FAMILY:
        t, te, _ = rows[name]
        ratio, floor_ratio = te / t, t / floor_t
        failed |= result(
            f"spectral_radius vs eigvals ({name})",
            "PASS" if ratio >= EIGVALS_TARGET else "FAIL",
            f"{ratio:.0f}x faster (target >= {EIGVALS_TARGET:.0f}x): {ms(t)} vs {ms(te)}",
        )
        failed |= result(
            f"spectral_radius vs floor ({name})",
            "PASS" if floor_ratio <= FLOOR_TARGET else "FAIL",
            f"{floor_ratio:.2f}x the floor's time (target <= {FLOOR_TARGET:g}x): {ms(t)} vs {ms(floor_t)}",
        )
    worst_peak = max(p for _, _, p in rows.values())
    failed |= result(
        "spectral_radius peak memory",
        "PASS" if worst_peak <= MEMORY_TARGET else "FAIL",
        f"at most {worst_peak:.2f} grid-sized arrays incl. the result over the family (target <= {MEMORY_TARGET:.0f})",
    )
    return failed


if __name__ == "__main__":
    sys.exit(main())
