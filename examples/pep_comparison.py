"""Worst cases beyond quadratics: exact (quadratics) against PEPit (quadratics, all smooth strongly convex).

    python examples/pep_comparison.py [--out DIR] [--kappa 25] [--fast]

Needs the optional PEPit extra (``pip install 'hbtheory[pepit]'``). At Polyak's tuning the
worst case over quadratics decays while the one over every smooth strongly convex function grows.
Saves ``pep_comparison.png`` (:func:`hbtheory.plots.pep_plot` of :func:`hbtheory.pep.pep_comparison`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hbtheory import plots
from hbtheory.pep import PEPIT_MISSING, pep_comparison, pepit_available


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="directory of the figure")
    parser.add_argument("--kappa", type=float, default=25.0)
    parser.add_argument("--fast", action="store_true", help="n = 1..3 only (small SDPs) and a low resolution")
    args = parser.parse_args(argv)
    if not pepit_available():
        print(PEPIT_MISSING)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    data = pep_comparison(range(1, 4 if args.fast else 9), args.kappa)
    print("n   exact (quadratics)   PEPit quadratics   PEPit smooth strongly convex")
    for i, n in enumerate(data.ns):
        print(f"{n:<3d} {data.exact[i]:18.6f}   {data.quadratic[i]:16.6f}   {data.smooth_strongly_convex[i]:14.6f}")
    path = args.out / "pep_comparison.png"
    plots.pep_plot(data).savefig(path, dpi=60 if args.fast else 100)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
