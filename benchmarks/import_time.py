"""Cost of ``import hbtheory`` over a bare interpreter start.

Run from the repository root (not part of the test suite)::

    python3 benchmarks/import_time.py [--runs 15]

Times ``python -c pass`` and ``python -c "import hbtheory"`` in fresh subprocesses of the same
interpreter (``sys.executable``, this checkout first on ``PYTHONPATH``), interleaved, and compares
the medians. Target: at most 0.3 s extra. It also lists the slowest imports reported by
``python -X importtime`` and checks that torch, sympy and matplotlib are not among them (the design
imports them only when a function needs them).
"""

from __future__ import annotations

import argparse
import statistics
import sys

from _common import importtime_top, machine, result, run_command

TARGET = 0.3
HEAVY = ("torch", "sympy", "matplotlib")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    bare: list[float] = []
    full: list[float] = []
    for _ in range(args.runs):
        t, proc = run_command([sys.executable, "-c", "pass"])
        bare.append(t)
        t, proc = run_command(
            [sys.executable, "-c", f"import hbtheory, sys; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"]
        )
        if proc.returncode != 0:
            print(proc.stderr)
            return result("import hbtheory", "FAIL", "the import failed")
        full.append(t)
    heavy = proc.stdout.strip()
    extra = statistics.median(full) - statistics.median(bare)
    print(f"python -c pass:            median {statistics.median(bare) * 1e3:7.1f} ms over {args.runs} runs")
    print(f"python -c 'import hbtheory': median {statistics.median(full) * 1e3:7.1f} ms")
    print("slowest imports (python -X importtime, cumulative):")
    for line in importtime_top("import hbtheory"):
        print("   " + line)
    if heavy:
        print(f"warning: `import hbtheory` imports {heavy}")
    ok = extra <= TARGET and not heavy
    return result(
        "import hbtheory",
        "PASS" if ok else "FAIL",
        f"{extra * 1e3:.0f} ms extra over `python -c pass` (target <= {TARGET * 1e3:.0f} ms)"
        + (f"; imports {heavy}" if heavy else ""),
    )


if __name__ == "__main__":
    sys.exit(main())
