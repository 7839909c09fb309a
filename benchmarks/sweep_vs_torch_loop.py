"""Benchmark: hbtheory.empirical.sweep against a Python loop of torch.optim.SGD, one run per configuration.

Both compute the same thing, bit for bit: ``steps`` iterations of ``torch.optim.SGD(lr=alpha,
momentum=beta)`` on ``f(x) = h/2 x^2`` from ``x = 1`` for every configuration ``(alpha, beta, h)``.
The loop is what one would write without the batched simulator (a parameter, an optimizer, autograd
per configuration); the sweep runs all configurations as one tensor program and also fits each
rate. The script checks that the final iterates agree exactly and prints the speed ratio
(target: at least 50x at 1e4 configurations x 500 steps).

    python benchmarks/sweep_vs_torch_loop.py                      # 1e4 x 500, full loop (minutes)
    python benchmarks/sweep_vs_torch_loop.py --loop-configs 1000  # time the loop on a subset, scale up
    python benchmarks/sweep_vs_torch_loop.py --quick              # seconds; what the test suite runs
"""

from __future__ import annotations

import argparse
import sys
import time

import _common  # noqa: F401  (puts this checkout first on sys.path)
import numpy as np
from _common import result

from hbtheory.empirical import sweep
from hbtheory.empirical._progress import Progress
from hbtheory.empirical._torch import require_torch

TARGET = 50.0


def configurations(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded configurations spread over the convergence region and a little beyond."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.01, 4.0, n), rng.uniform(0.0, 0.99, n), np.exp(rng.uniform(-1.0, 1.0, n))


def torch_loop(alpha: np.ndarray, beta: np.ndarray, h: np.ndarray, steps: int, progress: bool | None) -> np.ndarray:
    """The unbatched baseline: one torch.optim.SGD per configuration; returns the final iterates."""
    torch = require_torch()
    out = np.empty(alpha.size)
    with Progress(alpha.size, "torch.optim.SGD loop", progress) as bar:
        for i in range(alpha.size):
            x = torch.ones(1, dtype=torch.float64, requires_grad=True)
            hh = torch.tensor([h[i]], dtype=torch.float64)
            opt = torch.optim.SGD([x], lr=float(alpha[i]), momentum=float(beta[i]))
            for _ in range(steps):
                opt.zero_grad()
                (0.5 * (hh * x * x).sum()).backward()
                opt.step()
            out[i] = x.item()
            bar.update()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--loop-configs", type=int, default=None, help="time the loop on this many (default: all)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="200 configurations x 50 steps")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.configs, args.steps = 200, 50
    n_loop = args.configs if args.loop_configs is None else min(args.loop_configs, args.configs)
    progress = False if args.no_progress else None

    alpha, beta, h = configurations(args.configs, args.seed)
    sweep(alpha[:10], beta[:10], h[:10], steps=5, device=args.device)  # warm-up (kernel probe, allocator)
    t0 = time.perf_counter()
    res = sweep(alpha, beta, h, steps=args.steps, device=args.device, progress=progress)
    t_sweep = time.perf_counter() - t0

    t0 = time.perf_counter()
    final = torch_loop(alpha[:n_loop], beta[:n_loop], h[:n_loop], args.steps, progress)
    t_loop = (time.perf_counter() - t0) * args.configs / n_loop

    with np.errstate(over="ignore", under="ignore"):  # beyond float64, where torch gives inf or 0 too
        ours = np.ldexp(res.x_final, res.log2_scale)[:n_loop]
    normal = np.isfinite(final) & (np.abs(final) >= np.finfo(np.float64).tiny) & (np.abs(final) < 1e300)
    identical = bool(np.array_equal(ours[normal], final[normal]))
    ratio = t_loop / t_sweep
    scaled = "" if n_loop == args.configs else f" (timed on {n_loop}, scaled to {args.configs})"
    print(f"configurations x steps : {args.configs} x {args.steps} on {args.device}")
    print(f"sweep (one tensor program, rates fitted): {t_sweep:.3f} s")
    print(f"Python loop of torch.optim.SGD          : {t_loop:.3f} s{scaled}")
    print(f"final iterates identical (normal range) : {identical} ({int(normal.sum())} compared)")
    print(f"speed-up: {ratio:.0f}x (target >= {TARGET:.0f}x)")
    # --quick is a smoke run (too small for the ratio to mean anything); otherwise both targets count
    ok = identical and (args.quick or ratio >= TARGET)
    return result(
        "sweep vs SGD loop",
        "PASS" if ok else "FAIL",
        f"{ratio:.0f}x faster (target >= {TARGET:.0f}x{', not checked with --quick' if args.quick else ''}), "
        f"{'identical' if identical else 'DIFFERENT'} iterates",
    )


if __name__ == "__main__":
    sys.exit(main())
