"""The two eigenvalues of heavy ball's iteration matrix as the step size grows (beta = 0.5, h = 1).

    python examples/eigenvalue_locus.py [--out DIR] [--beta 0.5] [--fast]

Saves ``eigenvalue_locus.png`` (:func:`hbtheory.plots.eigenvalue_locus`): real and apart, then a
complex pair on the circle of radius sqrt(beta), then real again until one leaves the unit circle
at alpha h = 2 (1 + beta). Prints the step sizes where the regime changes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from hbtheory import plots, spectral


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="directory of the figure")
    parser.add_argument("--beta", type=float, default=0.5)
    parser.add_argument("--fast", action="store_true", help="fewer points and a low resolution")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    alpha = np.linspace(0.01, 2.0 * (1.0 + args.beta) + 0.3, 100 if args.fast else 600)
    z = np.asarray(spectral.eigenvalues(alpha, args.beta, 1.0))
    complex_pair = alpha[z[:, 0].imag != 0.0]
    rho = np.asarray(spectral.spectral_radius(alpha, args.beta, 1.0))
    print(f"beta = {args.beta}: complex pair for alpha in [{complex_pair.min():.3f}, {complex_pair.max():.3f}]"
          f" (grid), rho >= 1 from alpha = {alpha[rho >= 1.0].min():.3f}")
    path = args.out / "eigenvalue_locus.png"
    plots.eigenvalue_locus(alpha, args.beta, 1.0).savefig(path, dpi=60 if args.fast else 100)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
