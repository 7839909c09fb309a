"""The method family side by side: rate maps and optimal rates of heavy ball, Nesterov, gradient
descent and Triple Momentum.

    python examples/family.py [--kappa 100] [--fast] [--out DIR]

Prints each method's optimal tuning on ``[1/kappa, 1]`` (:func:`hbtheory.optimal_parameters`) and
the iterations to reach 1e-6. ``--out DIR`` saves ``family_rate_maps.png`` (the worst-case rate
over ``(alpha, beta)`` of each method, :func:`hbtheory.plots.rho_heatmap` drawing
:func:`hbtheory.grids.rho_grid`) and ``family_rate_vs_kappa.png``
(:func:`hbtheory.plots.rate_vs_kappa`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from hbtheory import optimal_parameters
from hbtheory.methods import get_method

ORDER = ("gradient_descent", "heavy_ball", "nesterov", "triple_momentum")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kappa", type=float, default=100.0, help="condition number L/mu, >= 1 (default 100)")
    parser.add_argument("--fast", action="store_true", help="coarse grids and a low resolution")
    parser.add_argument("--out", type=Path, default=None, help="directory of the figures (default: none)")
    args = parser.parse_args(argv)
    if not args.kappa >= 1.0 or not np.isfinite(args.kappa):
        parser.error("--kappa must be a finite number >= 1")
    methods = [get_method(name) for name in ORDER]
    mu, L = 1.0 / args.kappa, 1.0
    print(f"optimal tunings on [mu, L] = [{mu:g}, {L:g}] (kappa = {args.kappa:g})")
    print(f"{'method':40s} {'alpha':>10s} {'beta':>10s} {'rate':>10s} {'iterations to 1e-6':>20s}")
    for m in methods:
        t = optimal_parameters(mu=mu, L=L, method=m)
        print(f"{m.title:40s} {t.alpha:10.6f} {t.beta:10.6f} {t.rate:10.6f} {t.iterations(1e-6):20d}")
    if args.out is not None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch

        from hbtheory import plots
        from hbtheory.grids import rho_grid

        args.out.mkdir(parents=True, exist_ok=True)
        n, dpi = (60, 50) if args.fast else (240, 90)
        fig = Figure(figsize=(12.0, 10.0), layout="constrained")
        FigureCanvasAgg(fig)
        legend: dict[str, Any] = {}
        for ax, m in zip(fig.subplots(2, 2).ravel(), methods, strict=True):
            grid = rho_grid(mu=mu, L=L, method=m, n=n)
            plots.rho_heatmap(grid, ax=ax, title=m.title, legend=False)
            ax.set_ylabel(ax.get_ylabel().split("$\\max")[0])
            if grid.optimum is not None:
                ax.annotate(f"optimum: α = {grid.optimum[0]:.4g}, β = {grid.optimum[1]:.4g}, ρ = {grid.optimum[2]:.4g}",
                            xy=(0.02, 0.04), xycoords="axes fraction", fontsize=9,
                            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85})
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
                if not label.startswith(("optimum", "Gradient")):
                    legend.setdefault(label, handle)
        legend[r"$\rho \geq 1$: divergence"] = Patch(facecolor=plots.DIVERGENT_COLOUR, edgecolor="0.5")
        fig.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=3, frameon=False)
        fig.suptitle(f"Worst-case rate over the spectrum [1/κ, 1], κ = {args.kappa:g}: where each method "
                     "converges, how fast, and its optimum (star)")
        path = args.out / "family_rate_maps.png"
        fig.savefig(path, dpi=dpi)
        print(f"wrote {path}")
        kappas = np.geomspace(2.0, 1e5, 8 if args.fast else 25)
        path = args.out / "family_rate_vs_kappa.png"
        plots.rate_vs_kappa(kappas, methods=list(ORDER)).savefig(path, dpi=dpi)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
