"""Benchmark: batched Monte Carlo of SGD with momentum on sampled minibatches against a loop of single runs.

Both estimate the same thing, E x_T^2 per eigen-direction after ``steps`` steps of
``torch.optim.SGD(lr, momentum)`` on least squares with one freshly sampled Gaussian minibatch per step,
over ``replicas`` independent runs. The batched version (what :func:`hbtheory.empirical.minibatch_curve`
does) holds every run as one row of a ``(replicas, d)`` parameter and samples all minibatches in one
call; the loop is what one writes without it: a parameter, an optimiser and a sampling call per run.
Both estimates must agree with the exact theory (:func:`hbtheory.stochastic.coupled_second_moment_curve`)
within 5 standard errors, and the batched one must be at least 20x faster (times interleaved in one
process; the loop is timed on ``--loop-replicas`` runs and scaled).

    python benchmarks/stochastic_mc.py            # 4096 replicas x 50 steps, loop timed on 256
    python benchmarks/stochastic_mc.py --quick    # seconds; what the test suite runs
"""

from __future__ import annotations

import argparse
import math
import sys

import _common  # noqa: F401  (puts this checkout first on sys.path)
import numpy as np
from _common import interleaved, result

from hbtheory import stochastic
from hbtheory.empirical._torch import require_torch

TARGET = 20.0
SCI = {"float_kind": lambda v: f"{v:.1e}"}
ALPHA, BETA = 0.1, 0.5
SPECTRUM = np.array([1.0, 0.3])


def batched(replicas: int, steps: int, seed: int) -> np.ndarray:
    """Every run a row of one parameter; returns x_T^2 per run and direction, shape (replicas, d)."""
    torch = require_torch()
    gen = torch.Generator().manual_seed(seed)
    scale = torch.tensor(np.sqrt(SPECTRUM), dtype=torch.float64)
    x = torch.ones((replicas, SPECTRUM.size), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([x], lr=ALPHA, momentum=BETA)
    for _ in range(steps):
        a = torch.randn((replicas, SPECTRUM.size), generator=gen, dtype=torch.float64) * scale
        opt.zero_grad()
        (0.5 * ((a * x).sum(dim=1) ** 2).sum()).backward()
        opt.step()
    return (x.detach() ** 2).numpy()


def loop(replicas: int, steps: int, seed: int) -> np.ndarray:
    """One parameter, optimiser and sampling call per run."""
    torch = require_torch()
    gen = torch.Generator().manual_seed(seed + 1)
    scale = torch.tensor(np.sqrt(SPECTRUM), dtype=torch.float64)
    out = np.empty((replicas, SPECTRUM.size))
    for r in range(replicas):
        x = torch.ones(SPECTRUM.size, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([x], lr=ALPHA, momentum=BETA)
        for _ in range(steps):
            a = torch.randn(SPECTRUM.size, generator=gen, dtype=torch.float64) * scale
            opt.zero_grad()
            (0.5 * (a * x).sum() ** 2).backward()
            opt.step()
        out[r] = (x.detach() ** 2).numpy()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--loop-replicas", type=int, default=256, help="time the loop on this many runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="256 replicas x 10 steps, loop on 16, one round")
    args = parser.parse_args(argv)
    if args.quick:
        args.replicas, args.steps, args.loop_replicas = 256, 10, 16
    try:
        torch = require_torch()
    except ImportError as exc:
        print(exc)
        return result("batched Monte Carlo vs loop", "SKIP", "torch is not installed")
    torch.set_num_threads(1)
    n_loop = min(args.loop_replicas, args.replicas)
    times = interleaved({
        "batched": (lambda: batched(args.replicas, args.steps, args.seed), 1),
        "loop": (lambda: loop(n_loop, args.steps, args.seed), 1),
    }, rounds=1 if args.quick else 3)
    t_batched, t_loop = times["batched"], times["loop"] * args.replicas / n_loop
    exact = stochastic.coupled_second_moment_curve(ALPHA, BETA, SPECTRUM, args.steps)[-1]
    ok = True
    for name, sample in (("batched", batched(args.replicas, args.steps, args.seed)),
                         ("loop", loop(n_loop, args.steps, args.seed))):
        mean = sample.mean(axis=0)
        se = sample.std(axis=0, ddof=1) / math.sqrt(sample.shape[0])
        z = (mean - exact) / se
        ok &= bool(np.all(np.abs(z) <= 5.0))
        print(f"{name:8s} E x_T^2 = {np.array2string(mean, precision=5)} +- {np.array2string(se, formatter=SCI)} "
              f"(exact {np.array2string(exact, precision=5)}, z = {np.array2string(z, precision=2)})")
    ratio = t_loop / t_batched
    print(f"replicas x steps: {args.replicas} x {args.steps}, d = {SPECTRUM.size}, Gaussian features, batch 1")
    print(f"batched (one parameter of shape (R, d)): {t_batched:.3f} s")
    print(f"loop of single runs                    : {t_loop:.3f} s (timed on {n_loop}, scaled to {args.replicas})")
    print(f"speed-up: {ratio:.0f}x (target >= {TARGET:.0f}x)")
    good = ok and (args.quick or ratio >= TARGET)
    return result(
        "batched Monte Carlo vs loop",
        "PASS" if good else "FAIL",
        f"{ratio:.0f}x faster (target >= {TARGET:.0f}x{', not checked with --quick' if args.quick else ''}); "
        f"both estimates {'within' if ok else 'NOT within'} 5 SE of the exact E x_T^2",
    )


if __name__ == "__main__":
    sys.exit(main())
