"""Size and generation time of the explorer page (``hbtheory.explore``), and the browser's times.

Builds the default page (every method of the family, the default condition numbers, 128 x 128
maps, the mean-square and proven-cycles layers), prints its size, what each part of the embedded
data weighs, what the proven-cycles layer costs (its bytes and the time of its 40 maps, recomputed
on the page's grids), with ``--certified`` the page with the certified layer too, and,
when Debian's chromium and playwright are there, the page's load time and the time of one
interaction measured by ``performance.now()`` in headless Chromium (the numbers the issue asks
to report; the targets are 5 MB, 1 s and 50 ms).

    python benchmarks/explore_size.py [--certified]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine, result

SIZE_TARGET = 5e6  # bytes
LOAD_TARGET_MS = 1000.0
UPDATE_TARGET_MS = 50.0


def _parts(data: dict) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for m in data["methods"]:
        for entry in m["maps"]:
            for key, value in entry.items():
                sizes[key] = sizes.get(key, 0) + len(json.dumps(value))
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1]))


def _cycles_cost(data: dict) -> tuple[int, float]:
    """Bytes of the embedded cycle grids, and seconds to recompute them on the page's grids."""
    from hbtheory.explorer import _family, _robust
    from hbtheory.methods import get_method

    size, seconds = 0, 0.0
    by_name = {m.name: m for m in _family(())}
    for spec in data["methods"]:
        m = by_name.get(spec["name"]) or get_method(spec["name"])
        for kappa, entry in zip(data["kappas"], spec["maps"], strict=True):
            size += len(json.dumps(entry.get("cycles", "")))
            start = time.perf_counter()
            _robust(m, data["L"] / kappa, data["L"], tuple(entry["alpha_range"]), tuple(entry["beta_range"]),
                    certified=False, cycles=True)
            seconds += time.perf_counter() - start
    return size, seconds


def main(argv: list[str] | None = None) -> int:
    from hbtheory.explorer import explore

    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--certified", action="store_true", help="also build the page with the certified layer (slow)")
    args = p.parse_args(argv)

    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "explorer.html"
        start = time.perf_counter()
        page = explore("heavy_ball", kappa=100, out=out, display=False)
        built = time.perf_counter() - start
        n_maps = sum(len(m["maps"]) for m in page.data["methods"])
        print(f"page: {page.size / 1e6:.2f} MB, {len(page.data['methods'])} methods x {len(page.data['kappas'])} "
              f"condition numbers = {n_maps} maps, built in {built:.1f} s")
        for key, size in _parts(page.data).items():
            print(f"  {key:12s} {size / 1e3:8.0f} kB")
        cyc_bytes, cyc_s = _cycles_cost(page.data)
        print(f"proven-cycles layer: {cyc_bytes / 1e3:.0f} kB, {cyc_s:.2f} s for {n_maps} maps")
        status = 0
        if args.certified:
            start = time.perf_counter()
            robust = explore("heavy_ball", kappa=100, out=None, certified=True, display=False)
            secs = time.perf_counter() - start
            status |= result("page size (certified)", "PASS" if robust.size < SIZE_TARGET else "FAIL",
                             f"{robust.size / 1e6:.2f} MB with the certified and cycles layers, built in {secs:.1f} s")
        status |= result("page size", "PASS" if page.size < SIZE_TARGET else "FAIL",
                         f"{page.size / 1e6:.2f} MB (target < {SIZE_TARGET / 1e6:.0f} MB), built in {built:.1f} s")
        spec = importlib.util.spec_from_file_location("screenshot_explore", ROOT / "docs" / "screenshot_explore.py")
        has_pw = importlib.util.find_spec("playwright") is not None
        if spec is None or spec.loader is None or not has_pw:
            return status | result("browser times", "SKIP", "needs playwright")
        shots = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(shots)
        if shots.find_browser() is None:
            return status | result("browser times", "SKIP", "needs chromium (apt-get install chromium)")
        found = shots.shoot(out, Path(tmp), widths=(1920,))[1920]
        print(json.dumps(found))
        ok = found["load_ms"] < LOAD_TARGET_MS and found["update_ms"] < UPDATE_TARGET_MS
        status |= result("browser times", "PASS" if ok else "FAIL",
                         f"load {found['load_ms']:.0f} ms (target < 1 s), one update {found['update_ms']:.1f} ms, "
                         f"method/kappa redraw {found['redraw_ms']:.1f} ms (target < 50 ms)")
    return status


if __name__ == "__main__":
    sys.exit(main())
