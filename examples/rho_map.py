"""The empirical rho-map: torch.optim.SGD's measured rate over an (alpha, beta) grid, against theory.

    python examples/rho_map.py [--fast] [--method nesterov] [--out DIR]

``--out DIR`` saves the measured rates against the predicted ones as ``rho_map_measured.png``
(:func:`hbtheory.plots.rates_scatter`, converging configurations).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from hbtheory.empirical import compare_with_theory, sweep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--method", default="heavy_ball", choices=["heavy_ball", "nesterov"])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None, help="directory of the figure (default: none)")
    args = parser.parse_args(argv)
    n = 20 if args.fast else 200
    alpha = np.linspace(0.01, 4.2, n)
    beta = np.linspace(0.0, 0.99, n)[:, None]
    res = sweep(alpha, beta, 1.0, steps=100 if args.fast else args.steps, method=args.method)
    cmp = compare_with_theory(res)
    print(f"{res.rate.size} configurations x {res.steps} steps ({args.method})")
    print(f"converging: {int((~res.diverged).sum())}, diverging: {int(res.diverged.sum())}")
    print(f"largest |measured - spectral_radius|: {cmp.max_abs_error:.2e} at alpha={cmp.worst_alpha:.4f},"
          f" beta={cmp.worst_beta:.4f}; region mismatches: {cmp.classification_mismatches}")
    best = np.unravel_index(np.argmin(res.rate), res.rate.shape)
    print(f"fastest on the grid: alpha={res.alpha[best]:.4f}, beta={res.beta[best]:.4f}, rate {res.rate[best]:.6f}")
    if args.out is not None:
        from hbtheory import plots

        args.out.mkdir(parents=True, exist_ok=True)
        keep = ~res.diverged & np.isfinite(cmp.measured) & np.isfinite(cmp.predicted)
        path = args.out / "rho_map_measured.png"
        plots.rates_scatter(cmp.predicted[keep], cmp.measured[keep],
                            title=f"torch.optim.SGD, {args.method}: measured rates").savefig(
            path, dpi=100)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
