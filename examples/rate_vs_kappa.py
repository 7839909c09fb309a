"""Optimal rates and iteration counts of gradient descent, Nesterov and heavy ball against kappa.

    python examples/rate_vs_kappa.py [--out DIR] [--fast]

Saves ``rate_vs_kappa.png`` (:func:`hbtheory.plots.rate_vs_kappa`) and prints a table of the
optimal rates (:func:`hbtheory.optimal_parameters`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from hbtheory import optimal_parameters, plots

METHODS = ("gradient_descent", "nesterov", "heavy_ball")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="directory of the figure")
    parser.add_argument("--fast", action="store_true", help="fewer condition numbers and a low resolution")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print("kappa      " + "  ".join(f"{m:>16s}" for m in METHODS))
    for kappa in (10.0, 100.0, 1000.0, 10000.0):
        rates = [optimal_parameters(kappa=kappa, method=m).rate for m in METHODS]
        print(f"{kappa:<9g}  " + "  ".join(f"{r:16.6f}" for r in rates))
    kappas = np.geomspace(2.0, 1e6, 9 if args.fast else 41)
    path = args.out / "rate_vs_kappa.png"
    plots.rate_vs_kappa(kappas, methods=METHODS).savefig(path, dpi=60 if args.fast else 100)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
