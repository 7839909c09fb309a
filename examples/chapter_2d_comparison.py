"""The chapter's f(x, y) = x^2 + 10 y^2: gradient descent against momentum, 15 iterations, two starts.

Each method at its optimal tuning for the spectrum [2, 20]. Prints the distance to the minimum
per iteration; ``--json PATH`` writes the trajectories for plotting, ``--out DIR`` saves
``chapter_2d_trajectories.png`` (:func:`hbtheory.plots.trajectories_2d`).

    python examples/chapter_2d_comparison.py [--json trajectories.json] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from hbtheory.empirical import chapter_2d


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="directory of the figure (default: none)")
    args = parser.parse_args(argv)
    res = chapter_2d()
    print(f"gradient descent: alpha = {res.gd_alpha:.6f}")
    print(f"momentum        : alpha = {res.hb_alpha:.6f}, beta = {res.hb_beta:.6f}")
    for gd, hb in zip(res.gradient_descent, res.momentum, strict=True):
        print(f"start {tuple(gd.start.tolist())}:  t   |x_t| GD      |x_t| momentum")
        for t in range(0, res.steps + 1, 3):
            print(f"{t:26d}   {np.linalg.norm(gd.trajectory[t]):.3e}   {np.linalg.norm(hb.trajectory[t]):.3e}")
    if args.json is not None:
        args.json.write_text(res.to_json(indent=1))
        print(f"wrote {args.json}")
    if args.out is not None:
        from hbtheory import plots

        args.out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for gd, hb in zip(res.gradient_descent, res.momentum, strict=True):
            start = f"({gd.start[0]:g}, {gd.start[1]:g})"
            paths[f"gradient descent from {start}"] = gd.trajectory
            paths[f"momentum from {start}"] = hb.trajectory
        path = args.out / "chapter_2d_trajectories.png"
        fig = plots.trajectories_2d(paths, hessian=2.0 * res.momentum[0].coefficients, axis_labels=("$x$", "$y$"),
                                    title=f"$x^2 + 10y^2$: {res.steps} iterations at the optimal tunings")
        fig.savefig(path, dpi=100)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
