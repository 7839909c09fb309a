"""Wall time of ``hbtheory optimal --kappa 100 --json``.

Run from the repository root (not part of the test suite)::

    python3 benchmarks/cli_time.py [--runs 7]

Runs ``python -m hbtheory optimal --kappa 100 --json`` (what the ``hbtheory`` script runs, with this
checkout first on ``PYTHONPATH``) in fresh subprocesses, checks that the output is JSON, and takes
the median wall time, interpreter start included. Target: at most 1 s. Also prints the slowest
imports of ``hbtheory.cli``, the usual culprit when this target slips.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from _common import importtime_top, machine, result, run_command

TARGET = 1.0
COMMAND = ["-m", "hbtheory", "optimal", "--kappa", "100", "--json"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    times = []
    for _ in range(args.runs):
        t, proc = run_command([sys.executable, *COMMAND])
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr)
            return result("hbtheory optimal --json", "FAIL", f"exit status {proc.returncode}")
        times.append(t)
    try:
        answer = json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(proc.stdout)
        return result("hbtheory optimal --json", "FAIL", "the output is not JSON")
    wall = statistics.median(times)
    keys = ", ".join(sorted(answer)[:6]) if isinstance(answer, dict) else type(answer).__name__
    print(f"hbtheory {' '.join(COMMAND[2:])}: median {wall * 1e3:.0f} ms over {args.runs} runs (JSON keys: {keys})")
    print("slowest imports of hbtheory.cli (python -X importtime, cumulative):")
    for line in importtime_top("import hbtheory.cli"):
        print("   " + line)
    return result(
        "hbtheory optimal --json",
        "PASS" if wall <= TARGET else "FAIL",
        f"{wall * 1e3:.0f} ms wall (target <= {TARGET * 1e3:.0f} ms)",
    )


if __name__ == "__main__":
    sys.exit(main())
