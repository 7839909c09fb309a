"""``certified_rate`` on a 100 x 100 (alpha, beta) map against bisection over a cvxpy solve of the same LMI.

Not part of the test suite (``tests/test_robust.py`` checks agreement at a few points). Run from
the repository root::

    python3 benchmarks/robust_speed.py [--grid 100] [--samples 12] [--kappa 10]

It computes the certified rate of heavy ball (sector + off-by-one IQC) on a ``grid x grid`` map,
``alpha`` in ``[0.02, 2]/L`` and ``beta`` in ``[0, 0.98]`` with ``mu = 1/kappa``, ``L = 1``, in one
batched call, then picks ``--samples`` points of the map (seeded) and computes each by the
obvious implementation, :func:`hbtheory._cvx_reference.cvxpy_certified_rate`: the same reduced
LMI compiled once per point with ``rho^2`` as a cvxpy parameter, bisection to 1e-9, Clarabel
(tolerances 1e-10; cvxpy's default solver for this SDP, SCS, is off by up to 3e-5). The per-point
time of the map (its time / number of points) is compared with the median per-point time of
the reference.

Times are CPU seconds of this process (``time.process_time``): the machine is shared, and while
other jobs run the wall time of a single-threaded computation grows with their load (it was
3-5 times the CPU time during development), for both contenders alike. Both are printed; the
targets are judged on CPU time.

Targets (exit status 1 if one is missed):

* map: the whole ``100 x 100`` map in <= 60 s (CPU);
* speed: >= 100x faster per point than the cvxpy bisection;
* agreement: ``|ours - cvxpy| <= 1e-6`` at every sampled point (both ``inf`` counts as agreement).

Without cvxpy it times the map alone and skips the other two.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import sys
import time

import _common  # noqa: F401  (puts this checkout first on sys.path)
import numpy as np
from _common import machine, result

from hbtheory.robust import certified_rate

MAP_TARGET_S = 60.0
SPEED_TARGET = 100.0
AGREE = 1e-6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", type=int, default=100)
    parser.add_argument("--samples", type=int, default=12)
    parser.add_argument("--kappa", type=float, default=10.0)
    args = parser.parse_args(argv)
    mu, L = 1.0 / args.kappa, 1.0
    alpha = np.linspace(0.02, 2.0, args.grid)
    beta = np.linspace(0.0, 0.98, args.grid)
    print(machine())
    start = time.perf_counter()
    cpu0 = time.process_time()
    rates = certified_rate(alpha[None, :], beta[:, None], mu, L)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    n = rates.size
    fin = np.isfinite(rates)
    print(f"map {args.grid} x {args.grid}: {wall:.1f} s wall ({cpu:.1f} s CPU), {fin.sum()} of {n} points certified, "
          f"smallest rate {np.min(rates[fin]):.6f}")
    status = 0
    status |= result("certified_rate 100x100 map", "PASS" if cpu <= MAP_TARGET_S else "FAIL",
                     f"{cpu:.1f} s CPU, {wall:.1f} s wall (target <= {MAP_TARGET_S:.0f} s)")
    if importlib.util.find_spec("cvxpy") is None:
        result("certified_rate vs cvxpy bisection", "SKIP", "cvxpy is not installed")
        return status
    from hbtheory._cvx_reference import cvxpy_certified_rate

    rng = np.random.default_rng(20261204)
    # half of the samples among certified points, half anywhere
    cert_idx = np.flatnonzero(fin.ravel())
    picks = np.concatenate([rng.choice(cert_idx, args.samples - args.samples // 2, replace=False),
                            rng.choice(n, args.samples // 2, replace=False)])
    times, worst = [], 0.0
    for flat in picks:
        i, j = np.unravel_index(flat, rates.shape)
        t0 = time.process_time()
        ref = cvxpy_certified_rate(float(alpha[j]), float(beta[i]), mu, L)
        times.append(time.process_time() - t0)
        ours = float(rates[i, j])
        diff = 0.0 if (math.isinf(ref) and math.isinf(ours)) else abs(ref - ours)
        worst = max(worst, diff)
        print(f"  alpha = {alpha[j]:.4f}, beta = {beta[i]:.4f}: ours {ours:.9f}, cvxpy {ref:.9f}, "
              f"|diff| {diff:.1e}, cvxpy {times[-1]:.2f} s CPU")
    per_ref = statistics.median(times)
    per_ours = cpu / n
    ratio = per_ref / per_ours
    print(f"per point (CPU): ours {per_ours * 1e3:.2f} ms, cvxpy bisection {per_ref * 1e3:.0f} ms "
          f"(median of {len(times)})")
    status |= result("certified_rate vs cvxpy bisection", "PASS" if ratio >= SPEED_TARGET else "FAIL",
                     f"{ratio:.0f}x faster per point (target >= {SPEED_TARGET:.0f}x): {per_ours * 1e3:.2f} ms vs "
                     f"{per_ref * 1e3:.0f} ms")
    status |= result("certified_rate agreement", "PASS" if worst <= AGREE else "FAIL",
                     f"max |ours - cvxpy| = {worst:.1e} at {len(picks)} points (target <= {AGREE:.0e})")
    return status


if __name__ == "__main__":
    sys.exit(main())
