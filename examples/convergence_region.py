"""Where heavy ball and Nesterov converge: rate heatmaps over (alpha, beta) and the universal map.

    python examples/convergence_region.py [--out DIR] [--kappa 100] [--fast]

Saves ``rho_heatmap_heavy_ball.png`` (worst rate over [1/kappa, 1], with the region of global
convergence of Ghadimi, Feyzmahdavian and Johansson), ``rho_heatmap_nesterov.png``
(:func:`hbtheory.plots.rho_heatmap`) and ``universal_map_heavy_ball.png``,
``universal_map_nesterov.png`` (:func:`hbtheory.plots.universal_map`); prints the optima.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hbtheory import optimal_parameters, plots
from hbtheory.grids import gfj_applies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="directory of the figures")
    parser.add_argument("--kappa", type=float, default=100.0)
    parser.add_argument("--fast", action="store_true", help="coarse grids and a low resolution")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    n, dpi = (60, 60) if args.fast else (400, 100)
    mu, L = 1.0 / args.kappa, 1.0
    for method in ("heavy_ball", "nesterov"):
        best = optimal_parameters(mu=mu, L=L, method=method)
        print(f"{method:10s} kappa = {args.kappa:g}: alpha* = {best.alpha:.6f}, beta* = {best.beta:.6f},"
              f" rate {best.rate:.6f}")
        figures = {
            f"rho_heatmap_{method}": plots.rho_heatmap(mu=mu, L=L, method=method, n=n, gfj=gfj_applies(method)),
            f"universal_map_{method}": plots.universal_map(method=method, n=n, kappa=args.kappa),
        }
        for name, fig in figures.items():
            path = args.out / f"{name}.png"
            fig.savefig(path, dpi=dpi)
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
