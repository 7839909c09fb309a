"""What momentum buys with minibatch gradients: the mean-square theory of SGD with momentum on least
squares, by batch size.

    python examples/minibatch_momentum.py [--kappa 100] [--fast] [--out DIR]

For the two curvatures 1 and 1/kappa with Gaussian features it prints, for each batch size, heavy
ball's mean-square optimal (alpha, beta) (:func:`hbtheory.stochastic.mean_square_optimal`), the
rate of E||x_t||^2, plain SGD's best rate, and how many SGD steps one heavy-ball step is worth,
beside the exact-gradient speed-up (about sqrt(kappa)): with batch size 1 momentum buys almost
nothing (Kidambi, Netrapalli, Jain and Kakade 2018), and the speed-up returns as the batch grows.
``--out DIR`` saves ``batch_size_speedup.png`` (:func:`hbtheory.plots.batch_size_plot`) and
``mean_square_region.png`` (:func:`hbtheory.plots.mean_square_region_plot`: the (alpha h, beta)
region where E x_t^2 converges, with and without sampling noise).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from hbtheory.stochastic import mean_square_map, mean_square_optimal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kappa", type=float, default=100.0, help="condition number, > 1 (default 100)")
    parser.add_argument("--fast", action="store_true", help="fewer batch sizes, coarse figures")
    parser.add_argument("--out", type=Path, default=None, help="directory of the figures (default: none)")
    args = parser.parse_args(argv)
    if not (args.kappa > 1.0 and math.isfinite(args.kappa)):
        parser.error("--kappa must be a finite number > 1")
    spectrum = [1.0, 1.0 / args.kappa]
    batches = (1, 8, 64) if args.fast else (1, 2, 4, 8, 16, 32, 64, 128)
    print(f"least squares, Gaussian features, curvatures 1 and {1 / args.kappa:g}: heavy ball in mean square")
    print(f"{'batch':>6} {'alpha':>10} {'beta':>10} {'rate':>10} {'SGD rate':>10} {'speed-up':>9} {'exact':>7}")
    tunings = []
    for b in batches:
        t = mean_square_optimal(spectrum, batch_size=b)
        tunings.append(t)
        print(f"{b:6d} {t.alpha:10.6f} {t.beta:10.6f} {t.rate:10.6f} {t.sgd_rate:10.6f} {t.speedup:9.2f} "
              f"{t.deterministic_speedup:7.2f}")
    if args.out is not None:
        from hbtheory import plots

        args.out.mkdir(parents=True, exist_ok=True)
        dpi = 50 if args.fast else 100
        path = args.out / "batch_size_speedup.png"
        plots.batch_size_plot(tunings).savefig(path, dpi=dpi)
        print(f"wrote {path}")
        n = 60 if args.fast else 300
        region = mean_square_map(np.linspace(0.01, 2.2, n), np.linspace(0.0, 0.99, n))
        path = args.out / "mean_square_region.png"
        plots.mean_square_region_plot(region).savefig(path, dpi=dpi)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
