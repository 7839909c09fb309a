"""Momentum as an average of past gradients: the weights beta^i and the amplification 1/(1 - beta).

    python examples/beta_weights.py [--out DIR] [--fast]

Saves ``beta_weights.png`` (:func:`hbtheory.plots.momentum_weights`) and prints the amplification.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hbtheory import plots, spectral

BETAS = (0.95, 0.9, 0.6, 0.0)  # the notes' values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="directory of the figure")
    parser.add_argument("--fast", action="store_true", help="fewer steps and a low resolution")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for beta in BETAS:
        print(f"beta = {beta:4.2f}: amplification 1/(1 - beta) = {float(spectral.amplification(beta)):6.2f}")
    path = args.out / "beta_weights.png"
    plots.momentum_weights(BETAS, steps=20 if args.fast else 40).savefig(path, dpi=60 if args.fast else 100)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
