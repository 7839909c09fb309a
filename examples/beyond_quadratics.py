"""Heavy ball beyond quadratics: where Polyak's tuning is certified on every smooth strongly convex
function, where it provably cycles, and what tuning is best when the function is not a quadratic.

    python examples/beyond_quadratics.py [--fast] [--out DIR]

For kappa from 2 to 50 it prints, at Polyak's quadratic tuning, the worst rate on quadratics
(:func:`hbtheory.worst_case_rate`), the rate certified on every mu-strongly convex L-smooth
function by the Lessard-Recht-Packard IQC LMIs (:func:`hbtheory.robust.certified_rate`, sector +
off-by-one; ``inf`` where none below 1 exists) and the shortest period K of a proven cycle
(:func:`hbtheory.robust.cycle_margin` >= 0). Then, for kappa = 25, the tuning that minimises the
certified rate (:func:`hbtheory.robust.robust_optimal_parameters`) beside Triple Momentum's
1 - 1/sqrt(kappa), and the 3-cycle of Polyak's tuning run with ``torch.optim.SGD``'s update on an
explicit function of the class (:func:`hbtheory.robust.cycle_witness`). ``--out DIR`` saves
``robust_map.png``, the three-colour (alpha, beta) map (:func:`hbtheory.plots.robust_map`).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from hbtheory import optimal_parameters, worst_case_rate
from hbtheory.robust import certified_rate, cycle_margin, cycle_witness, robust_optimal_parameters

KAPPAS = (2.0, 5.0, 10.0, 17.0, 18.0, 25.0, 50.0)
PERIODS = tuple(range(2, 9))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a coarse map and search")
    parser.add_argument("--out", type=Path, default=None, help="directory of the figure (default: none)")
    args = parser.parse_args(argv)

    print("heavy ball at Polyak's tuning on [1/kappa, 1]")
    print(f"{'kappa':>6} {'quadratics':>11} {'certified':>10} {'cycle K':>8}")
    for kappa in KAPPAS:
        t = optimal_parameters(kappa=kappa)
        quad = float(worst_case_rate(t.alpha, t.beta, t.mu, t.L))
        cert = float(certified_rate(t.alpha, t.beta, t.mu, t.L))
        cycles = [K for K in PERIODS if float(cycle_margin(t.alpha, t.beta, t.mu, t.L, K)) >= 0.0]
        shown_cert = f"{cert:10.6f}" if math.isfinite(cert) else f"{'none':>10}"
        print(f"{kappa:6g} {quad:11.6f} {shown_cert} {min(cycles) if cycles else '-':>8}")

    kappa = 25.0
    best = robust_optimal_parameters(kappa, grid=7 if args.fast else 13)
    print(f"\nkappa = {kappa:g}: tuning with the best certified rate: alpha = {best.alpha:.6f}, "
          f"beta = {best.beta:.6f}, certified rate {best.rate:.6f} (on quadratics {best.quadratic_rate:.6f}); "
          f"Triple Momentum 1 - 1/sqrt(kappa) = {best.triple_momentum_rate:.6f}")

    t = optimal_parameters(kappa=kappa)
    w = cycle_witness(t.alpha, t.beta, t.mu, t.L, 3)
    x_prev, x = w.points[-1].copy(), w.points[0].copy()
    for _ in range(3 * 20):  # torch.optim.SGD(lr=alpha, momentum=beta)'s recurrence, written out
        x, x_prev = x + t.beta * (x - x_prev) - t.alpha * w.gradient(x), x
    drift = float(np.max(np.abs(x - w.points[0])))
    print(f"Polyak's tuning at kappa = {kappa:g} on an explicit {t.mu:g}-strongly convex {t.L:g}-smooth function: "
          f"a 3-cycle; after 60 steps the iterate is {drift:.1e} from where it started")

    if args.out is not None:
        from hbtheory import plots

        args.out.mkdir(parents=True, exist_ok=True)
        fig = plots.robust_map(mu=t.mu, L=t.L, n=12 if args.fast else 40)
        path = args.out / "robust_map.png"
        fig.savefig(path, dpi=60 if args.fast else 110)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
