"""Run every benchmark script and print one table of targets.

Run from the repository root (not part of the test suite)::

    python3 benchmarks/run_all.py [--only NAME ...] [--update-readme] [--timeout 900]

Each ``benchmarks/*.py`` script (not ``_*.py``, not this one) runs in its own subprocess, one after
the other (timing benchmarks must not share the two cores), with this checkout first on
``PYTHONPATH``. Scripts are run with their defaults, except for the documented options in
:data:`SCRIPT_ARGS` that keep the whole run well under ten minutes.

A script reports each of its targets as a last line ``RESULT: <target>: PASS|FAIL|SKIP <summary>``
(see ``_common.py``). For a script that prints none, its exit status decides (0: ``PASS``,
marked ``*``) and its last printed line is the summary. A script that crashes or times out is an
``ERROR``; one the issue expects but that is not there yet is ``MISSING``. The exit status is 1
if any target is ``FAIL`` or any script an ``ERROR``, 0 otherwise (``SKIP`` and ``MISSING`` are
reported, not failed). ``--update-readme`` writes the table into ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from _common import child_env, machine

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
TABLE_START, TABLE_END = "<!-- run_all:table:start -->", "<!-- run_all:table:end -->"

#: The scripts the benchmark issue asks for, in the order of its table.
EXPECTED = (
    "spectral_speed.py",
    "accuracy_spectral_radius.py",
    "worst_case_vs_pepit.py",
    "sweep_vs_torch_loop.py",
    "import_time.py",
    "cli_time.py",
    "report_time.py",
    "robust_speed.py",
    "stochastic_mc.py",
    "hessian_lanczos.py",
    "explore_size.py",
)

#: Documented options of a script that run_all passes to it.
SCRIPT_ARGS: dict[str, list[str]] = {
    # The unbatched torch loop takes minutes at 1e4 configurations: time 1000 and scale up
    # (the script's own option; the sweep itself still runs all 1e4 x 500).
    "sweep_vs_torch_loop.py": ["--loop-configs", "1000", "--no-progress"],
}

RESULT_LINE = re.compile(r"^RESULT:\s*(?P<target>.+?):\s*(?P<status>PASS|FAIL|SKIP)\b\s*(?P<summary>.*)$")


@dataclass
class Row:
    script: str
    target: str
    status: str
    summary: str
    seconds: float


def run_script(path: Path, timeout: float) -> list[Row]:
    argv = [sys.executable, str(path), *SCRIPT_ARGS.get(path.name, [])]
    start = time.perf_counter()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=child_env(), check=False)
    except subprocess.TimeoutExpired:
        return [Row(path.name, "-", "ERROR", f"timed out after {timeout:.0f} s", time.perf_counter() - start)]
    seconds = time.perf_counter() - start
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    rows = [
        Row(path.name, m["target"], m["status"], m["summary"], seconds)
        for m in (RESULT_LINE.match(line.strip()) for line in lines)
        if m
    ]
    if rows:
        if proc.returncode != 0 and all(r.status != "FAIL" for r in rows):
            rows.append(Row(path.name, "-", "ERROR", f"exit status {proc.returncode}: {_last(proc)}", seconds))
        return rows
    if proc.returncode == 0:
        return [Row(path.name, "-", "PASS*", _last(proc), seconds)]
    status = "FAIL" if proc.returncode == 1 and "Traceback" not in proc.stderr else "ERROR"
    return [Row(path.name, "-", status, f"exit status {proc.returncode}: {_last(proc)}", seconds)]


def _last(proc: subprocess.CompletedProcess[str]) -> str:
    for text in (proc.stdout, proc.stderr):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines:
            return lines[-1][:160]
    return "(no output)"


def table(rows: list[Row]) -> str:
    out = ["| script | target | status | result | time |", "|---|---|---|---|---|"]
    for r in rows:
        summary = r.summary.replace("|", "\\|")
        seconds = f"{r.seconds:.0f} s" if r.seconds else ""
        out.append(f"| `{r.script}` | {r.target} | **{r.status}** | {summary} | {seconds} |")
    return "\n".join(out)


def update_readme(text: str) -> None:
    readme = README.read_text()
    if TABLE_START not in readme or TABLE_END not in readme:
        raise SystemExit(f"{README} has no {TABLE_START} ... {TABLE_END} section to update")
    head, rest = readme.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    README.write_text(f"{head}{TABLE_START}\n{text}\n{TABLE_END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these scripts (file names)")
    parser.add_argument("--timeout", type=float, default=900.0, help="per script, seconds (default 900)")
    parser.add_argument("--update-readme", action="store_true", help="write the table into benchmarks/README.md")
    args = parser.parse_args(argv)
    found = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_") and p.name != Path(__file__).name)
    names = [p.name for p in found]
    order = [n for n in EXPECTED if n in names] + [n for n in names if n not in EXPECTED]
    if args.only:
        order = [n for n in order if n in args.only]
    start = time.perf_counter()
    rows: list[Row] = []
    for name in order:
        print(f"running {name} ...", flush=True)
        new = run_script(HERE / name, args.timeout)
        for r in new:
            print(f"    {r.status:<6} {r.target}: {r.summary}", flush=True)
        rows.extend(new)
    if not args.only:
        rows.extend(Row(n, "-", "MISSING", "script not there yet", 0.0) for n in EXPECTED if n not in names)
    total = time.perf_counter() - start
    text = table(rows)
    footer = f"\nTotal {total / 60:.1f} min on {machine()}."
    if any(r.status.endswith("*") for r in rows):
        footer += "\n`*`: the script prints no `RESULT:` line; its exit status decides, the result is its last line."
    print()
    print(text)
    print(footer)
    if args.update_readme:
        update_readme(text + "\n" + footer)
    return 1 if any(r.status in ("FAIL", "ERROR") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
