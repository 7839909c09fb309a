"""The chapter's 1-20-1 ReLU network: SGD against momentum 0.8, then the local rate at a minimum.

    python examples/chapter_network.py [--fast] [--out DIR]

``--fast`` trains 2 epochs and measures a single grid point (for the test suite). ``--out DIR``
saves the loss curves as ``chapter_network_loss.png`` (:func:`hbtheory.plots.loss_curves`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from hbtheory.empirical import chapter_network, local_rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="directory of the figure (default: none)")
    args = parser.parse_args(argv)
    epochs = 2 if args.fast else 12
    run = chapter_network(epochs=epochs)
    print("epoch  full-data loss: SGD    momentum")
    for e, (s, m) in enumerate(zip(run.sgd_epoch_losses, run.momentum_epoch_losses, strict=True)):
        print(f"{e:5d}  {s:21.6f}  {m:9.6f}")
    if args.out is not None:
        from hbtheory import plots

        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "chapter_network_loss.png"
        plots.loss_curves({"SGD": run.sgd_epoch_losses, f"momentum {run.momentum:g}": run.momentum_epoch_losses},
                          xlabel="epoch", ylabel="full-data loss",
                          title="The chapter's 1-20-1 ReLU network: SGD against momentum").savefig(path, dpi=100)
        print(f"wrote {path}")
    grid: dict[str, Any] = {"alpha_factors": [1.0], "beta_fractions": [0.0]} if args.fast else {}
    relu = local_rate(run, **grid)
    print(f"ReLU minimum: {relu.pinned_kinks} kink(s) pinned on data points, gradient {relu.gradient_norm:.1e}"
          f" -> local rate predicted {relu.predicted_rate:.6f}, measured {relu.measured_rate:.6f}")
    smooth = local_rate(chapter_network(activation="tanh", epochs=epochs), **grid)
    print(f"tanh twin: Hessian eigenvalues in [{smooth.lambda_min:.3e}, {smooth.lambda_max:.4f}],"
          f" stiff part {np.round(smooth.stiff_eigenvalues, 4).tolist()}")
    print(f"  lr={smooth.lr}, momentum={smooth.momentum}: predicted {smooth.predicted_rate:.8f},"
          f" measured {smooth.measured_rate:.8f} (relative error {smooth.relative_error:.1e})")
    print(f"  optimal alpha={smooth.optimal_alpha:.5f}, beta={smooth.optimal_beta:.5f}, rate {smooth.optimal_rate:.5f}")
    print("  grid (alpha, beta): predicted / measured")
    for idx in np.ndindex(smooth.grid_alpha.shape):
        print(f"    ({smooth.grid_alpha[idx]:.5f}, {smooth.grid_beta[idx]:.5f}):"
              f" {smooth.grid_predicted[idx]:.6f} / {smooth.grid_measured[idx]:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
