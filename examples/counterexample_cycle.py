"""Heavy ball at Polyak's tuning cycles on the Lessard-Recht-Packard function; Nesterov and GD converge.

    python examples/counterexample_cycle.py [--out DIR] [--fast]

Saves ``counterexample_cycle.png`` (:func:`hbtheory.plots.cycle_plot` of
:func:`hbtheory.counterexamples.cycle_figure_data`) and prints where each method ends.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hbtheory import plots
from hbtheory.counterexamples import cycle_figure_data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="directory of the figure")
    parser.add_argument("--fast", action="store_true", help="a coarser graph and a low resolution")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    data = cycle_figure_data(points=201 if args.fast else 601)
    print("cycle points:", ", ".join(f"{c:.6f}" for c in data.cycle_points))
    for name, xs in data.iterates.items():
        alpha, beta = data.tunings[name]
        print(f"{name:16s} alpha = {alpha:.5f}, beta = {beta:.5f}: last iterates "
              + ", ".join(f"{x:+.6f}" for x in xs[-3:]))
    path = args.out / "counterexample_cycle.png"
    plots.cycle_plot(data).savefig(path, dpi=60 if args.fast else 100)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
