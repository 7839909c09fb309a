"""Wall time of ``hbtheory report`` with its defaults.

Run from the repository root (not part of the test suite)::

    python3 benchmarks/report_time.py [--runs 1] [--profile]

Runs ``python -m hbtheory report`` (defaults: CPU, full sizes) in a fresh subprocess inside a
temporary directory, with this checkout first on ``PYTHONPATH``, checks that it exits 0 and wrote
its report, and reports the wall time (the median if ``--runs`` > 1). Target: at most 60 s on the
2-core machine. ``--profile`` runs it once more under cProfile and prints the 15 most expensive
functions (cumulative), to find what to fix when the target slips.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from _common import machine, result, run_command

TARGET = 60.0
COMMAND = ["-m", "hbtheory", "report"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="also profile one run with cProfile")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    times = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            t, proc = run_command([sys.executable, *COMMAND], cwd=Path(tmp), timeout=20 * TARGET)
            written = sorted(p.name for p in (Path(tmp) / "hbtheory-report").glob("*"))
        if proc.returncode != 0 or not written:
            print(proc.stdout[-3000:], proc.stderr[-3000:])
            return result("hbtheory report", "FAIL", f"exit status {proc.returncode}, wrote {written}")
        times.append(t)
    last = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    wall = statistics.median(times)
    print(f"hbtheory report: {wall:.1f} s wall ({args.runs} run(s)); wrote {', '.join(written)}")
    if last:
        print(f"its last line: {last[-1]}")
    if args.profile:
        with tempfile.TemporaryDirectory() as tmp:
            _, prof = run_command(
                [sys.executable, "-m", "cProfile", "-s", "cumulative", *COMMAND], cwd=Path(tmp), timeout=40 * TARGET
            )
        rows = [line for line in prof.stdout.splitlines() if line.strip()]
        start = next((i for i, line in enumerate(rows) if line.lstrip().startswith("ncalls")), 0)
        print("\n".join(rows[start : start + 16]))
    status = "PASS" if wall <= TARGET else "FAIL"
    return result("hbtheory report", status, f"{wall:.1f} s wall (target <= {TARGET:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
