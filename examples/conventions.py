"""What torch.optim.SGD runs: the chapter's hand-written step, dampening, Nesterov, measured.

    python examples/conventions.py [--out DIR]

``--out DIR`` also writes the four measurements as ``conventions.json`` (strict JSON, one object
per measurement, non-finite numbers as null).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hbtheory.empirical import chapter_vs_torch, dampening_first_step, nesterov_vs_matrix, step_schedule


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="directory of conventions.json (default: none)")
    parser.add_argument("--fast", action="store_true", help="accepted for symmetry with the other examples")
    args = parser.parse_args(argv)
    same = chapter_vs_torch(lr=0.05, momentum=0.9, steps=200)
    drop = chapter_vs_torch(lr=0.05, momentum=0.9, steps=200, schedule=step_schedule(50, 0.1))
    print(f"constant lr : torch vs chapter differ by {same.max_difference_ulps:.1f} ulps (rounding)")
    print(f"lr x0.1 at step 50: max difference {drop.max_difference:.3f} of |x0|; final distance"
          f" torch {drop.final_distance_torch:.2e}, chapter {drop.final_distance_chapter:.2e}")
    d = dampening_first_step(lr=0.1, momentum=0.9, dampening=0.5)
    print(f"dampening 0.5: first step {d.first_step_ratio:.6f}x the canonical one; afterwards equal to"
          f" {d.max_relative_difference_after_first:.1e} relative")
    n = nesterov_vs_matrix(lr=0.1, momentum=0.9, h=2.0)
    print(f"nesterov=True vs the Nesterov matrix: {n.max_relative_difference:.1e} relative; rate measured"
          f" {n.measured_rate:.10f}, predicted {n.predicted_rate:.10f} (heavy ball: {n.heavy_ball_rate:.6f})")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "conventions.json"
        runs = {"constant_lr": same, "lr_drop_at_50": drop, "dampening_first_step": d, "nesterov_vs_matrix": n}
        path.write_text(json.dumps({k: json.loads(v.to_json()) for k, v in runs.items()}, indent=1) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
