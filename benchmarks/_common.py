"""Shared helpers of the benchmark scripts: robust timing, memory, the result line.

These machines are noisy (a shared 2-core VM): every time is the median of several repeats,
comparisons are ratios measured in the same process with the contenders interleaved (so a burst
of load hits all of them alike), and no script decides anything on a single run.

Each script ends with one ``RESULT:`` line per target it checks,

    RESULT: <target>: PASS|FAIL|SKIP <summary>

and exits 1 if any of its targets failed (0 otherwise, also when skipped). ``run_all.py`` reads
those lines; for a script without them it reports the exit status and the last line printed.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the checkout being benchmarked, even if another one is installed
    sys.path.insert(0, str(ROOT))


def median_time(f: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``f()`` in seconds over ``repeats`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        f()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(contenders: dict[str, tuple[Callable[[], object], int]], rounds: int) -> dict[str, float]:
    """Median time per call of each contender, measured in ``rounds`` interleaved rounds.

    ``contenders`` maps a name to ``(f, calls_per_round)``: a slow baseline can run once per
    round while a fast function runs many times, and load that comes and goes during the
    measurement falls on both. Each function is called once first, untimed (warm-up).
    """
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for f, _ in contenders.values():
        f()
    for _ in range(rounds):
        for name, (f, calls) in contenders.items():
            for _ in range(calls):
                start = time.perf_counter()
                f()
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in samples.items()}


def peak_memory(f: Callable[[], object]) -> int:
    """Peak bytes allocated while ``f()`` runs (numpy reports its data buffers to tracemalloc),
    including its result but not what existed before the call."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = f()
        peak = tracemalloc.get_traced_memory()[1] - base
        del result
    finally:
        tracemalloc.stop()
    return peak


def run_command(
    argv: Sequence[str], cwd: Path | None = None, timeout: float = 600.0
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall time (seconds) and result of one subprocess run of ``argv``."""
    start = time.perf_counter()
    proc = subprocess.run(
        list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout, env=child_env(), check=False
    )
    return time.perf_counter() - start, proc


def child_env() -> dict[str, str]:
    """The environment for subprocesses: the repository importable without installing it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def importtime_top(code: str, count: int = 8) -> list[str]:
    """The ``count`` slowest imports (cumulative, microseconds) of ``python -X importtime -c code``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=child_env(), check=False
    )
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    rows.sort(reverse=True)
    return [f"{us / 1e3:9.1f} ms  {name}" for us, name in rows[:count]]


def machine() -> str:
    """One line describing the machine: CPU, cores, Python, numpy."""
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}"


def result(target: str, status: str, summary: str) -> int:
    """Print the ``RESULT:`` line of one target; return 1 for FAIL, else 0."""
    if status not in ("PASS", "FAIL", "SKIP"):
        raise ValueError(f"`status` must be PASS, FAIL or SKIP, got {status!r}")
    print(f"RESULT: {target}: {status} {summary}", flush=True)
    return 1 if status == "FAIL" else 0


def steady_allocator() -> str:
    """Make glibc's malloc keep freed memory (no mmap per big array, no trimming), if it is glibc.

    A grid-sized numpy array is 8 MB; by default glibc may give each one fresh pages from the
    kernel, which then cost a page fault per 4 KiB on first touch, or may reuse freed memory,
    depending on what ran before. That made the floor's time vary 2x between runs. With these
    settings every contender runs on reused memory, as in a long-running process: the times
    compare computation, not page zeroing. Returns a note for the output.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok = libc.mallopt(m_mmap_threshold, 1 << 30) == 1 and libc.mallopt(m_trim_threshold, 1 << 30) == 1
    except (OSError, AttributeError):
        ok = False
    if ok:
        return "allocator: glibc malloc set to reuse freed memory (mallopt), so no page faults are timed"
    return "allocator: default (mallopt unavailable); big arrays may be timed with their page faults"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"
