"""Gradient descent on lambda x^2 / 2: the error factor (1 - eta lambda)^t for the notes' curvatures.

    python examples/decay_curves.py [--out DIR] [--fast]

Saves ``decay_curves.png`` (:func:`hbtheory.plots.decay_curves`, lambda in [0.1, 1, 10, 19],
eta = 0.1) and prints each factor.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hbtheory import get_method, plots

LAMBDAS = (0.1, 1.0, 10.0, 19.0)
ETA = 0.1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="directory of the figure")
    parser.add_argument("--fast", action="store_true", help="a low resolution")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    gd = get_method("gradient_descent")
    for lam in LAMBDAS:
        factor = float(gd.c1(ETA, 0.0, lam))
        print(f"lambda = {lam:5.1f}: 1 - eta lambda = {factor:+.2f}, after 20 steps {factor ** 20:+.3e}")
    path = args.out / "decay_curves.png"
    plots.decay_curves(LAMBDAS, eta=ETA).savefig(path, dpi=60 if args.fast else 100)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
