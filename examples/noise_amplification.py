"""Gradient noise amplified by momentum: measured stationary variance against the theory.

    python examples/noise_amplification.py [--fast] [--out DIR]

``--out DIR`` saves ``noise_amplification.png``: the measured stationary variance (with two
standard errors) and the predicted one (:func:`hbtheory.spectral.stationary_variance`) against
``beta``, beside the naive ``1/(1 - beta)`` amplification.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from hbtheory.empirical import noise_variance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="512 replicas instead of 8192")
    parser.add_argument("--out", type=Path, default=None, help="directory of the figure (default: none)")
    args = parser.parse_args(argv)
    run = noise_variance(alpha=0.01, betas=[0.0, 0.5, 0.8, 0.9, 0.95], replicas=512 if args.fast else 8192)
    print("beta   measured variance   predicted   z     amplification (measured / predicted / 1/(1-beta))")
    for i, b in enumerate(run.betas):
        print(f"{b:4.2f}   {run.measured[i]:.6f} +- {run.standard_error[i]:.6f}   {run.predicted[i]:.6f}"
              f"  {run.z_scores[i]:+5.2f}  {run.measured_amplification[i]:6.2f} / {run.predicted_amplification[i]:6.2f}"
              f" / {run.one_over_one_minus_beta[i]:6.2f}")
    print("agrees within", run.z_tolerance, "standard errors:", run.agrees)
    if args.out is not None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        args.out.mkdir(parents=True, exist_ok=True)
        fig = Figure(figsize=(6.4, 4.4), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        betas = np.asarray(run.betas)
        base = float(run.predicted[0])  # beta = 0: plain SGD's variance
        ax.errorbar(betas, run.measured, yerr=2 * np.asarray(run.standard_error), fmt="o", color="black",
                    capsize=4, label=f"measured ({run.replicas} replicas, ±2 standard errors)")
        ax.plot(betas, run.predicted, "-", color="tab:blue", linewidth=1.8, label="stationary_variance (theory)")
        ax.plot(betas, base * np.asarray(run.one_over_one_minus_beta), "--", color="tab:red", linewidth=1.2,
                label=r"naive $1/(1-\beta)$ times SGD's variance")
        ax.set_yscale("log")
        ax.set_xlabel(r"momentum $\beta$")
        ax.set_ylabel(r"stationary variance of $x$ (log scale)")
        ax.set_title(rf"Gradient noise under momentum, $\alpha = {run.alpha:g}$, $h = {run.h:g}$")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
        path = args.out / "noise_amplification.png"
        fig.savefig(path, dpi=100)
        print(f"wrote {path}")
    return 0 if run.agrees else 1


if __name__ == "__main__":
    sys.exit(main())
