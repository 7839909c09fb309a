"""The notes' d2l runs on f = 0.1 x1^2 + 2 x2^2 from (-5, -2), 20 steps, reproduced by torch.optim.SGD.

    python examples/notes_2d_results.py [--out DIR]

``--out DIR`` saves the four traces as ``notes_2d_traces.png`` (:func:`hbtheory.plots.trajectories_2d`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hbtheory.empirical import notes_2d

SETTINGS = [(0.4, 0.0), (0.6, 0.0), (0.6, 0.5), (0.6, 0.25)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="directory of the figure (default: none)")
    args = parser.parse_args(argv)
    runs = []
    for eta, beta in SETTINGS:
        run = notes_2d(eta, beta)
        runs.append(run)
        print(f"eta={eta}, beta={beta}: {run.d2l_line()}   (predicted rate {run.predicted_rate:.4f})")
    if args.out is not None:
        from matplotlib.figure import Figure

        from hbtheory import plots

        args.out.mkdir(parents=True, exist_ok=True)
        fig = Figure(figsize=(11.0, 7.5), layout="constrained")
        for ax, run in zip(fig.subplots(2, 2).ravel(), runs, strict=True):
            label = f"eta = {run.lr:g}, beta = {run.momentum:g}"
            plots.trajectories_2d({label: run.trajectory}, hessian=2.0 * run.coefficients, ax=ax,
                                  title=f"{label}: rate {run.predicted_rate:.3f}")
        fig.suptitle("The notes' runs on $0.1 x_1^2 + 2 x_2^2$ from $(-5, -2)$, 20 steps of torch.optim.SGD")
        path = args.out / "notes_2d_traces.png"
        fig.savefig(path, dpi=100)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
