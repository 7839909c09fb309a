"""The empirical rho-map: torch.optim.SGD's measured rate over an (alpha, beta) grid, against theory.

    python examples/rho_map.py [--fast] [--grid 80] [--steps 400] [--method nesterov] [--out DIR]

Every configuration of the grid runs at once (one batched ``torch.optim.SGD``-equivalent sweep,
:func:`hbtheory.empirical.sweep`), with a progress bar on stderr. The default 80 x 80 grid of 400
steps takes a few seconds; ``--fast`` is 20 x 20 of 100 steps.

``--out DIR`` saves the measured rates against the predicted ones as ``rho_map_measured.png``
(:func:`hbtheory.plots.rates_scatter`, converging configurations).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from hbtheory.empirical import compare_with_theory, sweep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a 20 x 20 grid of 100 steps")
    parser.add_argument("--method", default="heavy_ball", choices=["heavy_ball", "nesterov"])
    parser.add_argument("--grid", type=int, default=80, help="grid points per axis, 2..1000 (default 80)")
    parser.add_argument("--steps", type=int, default=400, help="optimizer steps, 3..100000 (default 400)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--out", type=Path, default=None, help="directory of the figure (default: none)")
    args = parser.parse_args(argv)
    n, steps = (20, 100) if args.fast else (args.grid, args.steps)
    if not 2 <= n <= 1000 or not 3 <= steps <= 100_000:
        parser.error("--grid must be in [2, 1000] and --steps in [3, 100000]")
    alpha = np.linspace(0.01, 4.2, n)
    beta = np.linspace(0.0, 0.99, n)[:, None]
    print(f"sweeping {n * n} configurations x {steps} steps ({args.method}), all at once ...", flush=True)
    start = time.perf_counter()
    res = sweep(alpha, beta, 1.0, steps=steps, method=args.method, progress=not args.no_progress)
    cmp = compare_with_theory(res)
    converging = res.status == "converging"
    print(f"{res.rate.size} configurations x {res.steps} steps ({args.method}) in {time.perf_counter() - start:.1f} s")
    print(f"converging: {int(converging.sum())}, not converging: {int((~converging).sum())}")
    print(f"largest |measured - spectral_radius|: {cmp.max_abs_error:.2e} at alpha={cmp.worst_alpha:.4f},"
          f" beta={cmp.worst_beta:.4f}; region mismatches: {cmp.classification_mismatches}")
    best = np.unravel_index(np.argmin(res.rate), res.rate.shape)
    print(f"fastest on the grid: alpha={res.alpha[best]:.4f}, beta={res.beta[best]:.4f}, rate {res.rate[best]:.6f}")
    if args.out is not None:
        from hbtheory import plots

        args.out.mkdir(parents=True, exist_ok=True)
        keep = converging & np.isfinite(cmp.measured) & np.isfinite(cmp.predicted)
        path = args.out / "rho_map_measured.png"
        plots.rates_scatter(cmp.predicted[keep], cmp.measured[keep],
                            title=f"torch.optim.SGD, {args.method}: measured rates").savefig(path, dpi=100)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
