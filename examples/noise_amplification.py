"""Gradient noise amplified by momentum: measured stationary variance against the theory.

    python examples/noise_amplification.py [--fast]
"""

from __future__ import annotations

import argparse
import sys

from hbtheory.empirical import noise_variance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true")
    args = parser.parse_args(argv)
    run = noise_variance(alpha=0.01, betas=[0.0, 0.5, 0.8, 0.9, 0.95], replicas=512 if args.fast else 8192)
    print("beta   measured variance   predicted   z     amplification (measured / predicted / 1/(1-beta))")
    for i, b in enumerate(run.betas):
        print(f"{b:4.2f}   {run.measured[i]:.6f} +- {run.standard_error[i]:.6f}   {run.predicted[i]:.6f}"
              f"  {run.z_scores[i]:+5.2f}  {run.measured_amplification[i]:6.2f} / {run.predicted_amplification[i]:6.2f}"
              f" / {run.one_over_one_minus_beta[i]:6.2f}")
    print("agrees within", run.z_tolerance, "standard errors:", run.agrees)
    return 0 if run.agrees else 1


if __name__ == "__main__":
    sys.exit(main())
