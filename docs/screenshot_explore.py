"""Open the explorer page in headless Chromium: screenshots for the docs, and what the browser measured.

Usage::

    python docs/screenshot_explore.py                      # builds the page, writes docs/figures/explore_*.png
    python docs/screenshot_explore.py --page hbtheory-explorer.html --out-dir /tmp

writes ``explore_1920.png`` and ``explore_390.png`` (the whole page at desktop and phone width),
``explore_robust_1920.png`` (a heavy-ball page at kappa = 100 with the layers of rates certified
and cycles proven on F(mu, L) switched on, the point at Polyak's tuning, where the 3-cycle is) and
prints, for each width, the load time and the time of one interaction from ``performance.now()``,
the console messages and any request the page tried to make (all are blocked but the page itself,
which also proves the page works offline). Needs Debian's ``chromium`` (``apt-get install
chromium``) and the Python package ``playwright``; the browser is the system's, ``playwright
install`` is never needed. ``tests/test_explore.py`` uses :func:`browser` and :func:`open_page`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

WIDTHS = (1920, 390)
FIGURES = Path(__file__).resolve().parent / "figures"


def _report_script() -> Any:
    """docs/screenshot_report.py, which owns the system-Chromium helpers both scripts use."""
    spec = importlib.util.spec_from_file_location("screenshot_report", Path(__file__).with_name("screenshot_report.py"))
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships beside this one
        raise ImportError("docs/screenshot_report.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_REPORT = _report_script()
#: Chromium's flags: headless, no sandbox (root in CI), and nothing that talks to the network.
ARGS: list[str] = _REPORT.ARGS
find_browser = _REPORT.find_browser
#: A headless system Chromium driven by Playwright (a context manager).
browser = _REPORT._browser


@contextmanager
def open_page(b: Any, page: Path, width: int, height: int = 1000) -> Iterator[tuple[Any, list[str], list[str]]]:
    """The page at ``width`` CSS pixels: ``(tab, console messages, blocked requests)``.

    Every request other than the page itself and ``data:`` URLs is aborted and recorded.
    """
    url = page.resolve().as_uri()
    messages: list[str] = []
    blocked: list[str] = []

    def route(r: Any) -> None:
        if r.request.url == url or r.request.url.startswith("data:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context = b.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    try:
        tab = context.new_page()
        tab.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
        tab.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
        tab.route("**/*", route)
        tab.goto(url, wait_until="load")
        tab.wait_for_function("window.HBX !== undefined")
        yield tab, messages, blocked
    finally:
        context.close()


_MEASURE = """() => {
  const t0 = performance.now();
  HBX.state.alpha *= 0.9; HBX.update();
  const one = performance.now() - t0;
  const t1 = performance.now();
  HBX.redraw();
  return {load_ms: HBX.api.load, update_ms: one, redraw_ms: performance.now() - t1,
          scroll_width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight};
}"""


def _palette(png: Path, limit: int = 150_000) -> None:
    """Store a PNG over ``limit`` bytes with a dithered 256-colour palette (as docs/make_gallery.py does)."""
    if png.stat().st_size <= limit or importlib.util.find_spec("PIL") is None:
        return
    from PIL import Image

    with Image.open(png) as img:
        small = img.convert("RGB").quantize(256, dither=Image.Dither.FLOYDSTEINBERG)
    small.save(png, optimize=True)


def shoot(page: Path, out_dir: Path, widths: tuple[int, ...] = WIDTHS) -> dict[int, dict[str, Any]]:
    """Full-page screenshots ``explore_<width>.png`` in ``out_dir`` and what was measured at each width."""
    found = {}
    with browser() as b:
        for w in widths:
            with open_page(b, page, w) as (tab, messages, blocked):
                shot = out_dir / f"explore_{w}.png"
                tab.screenshot(path=str(shot), full_page=True)
                _palette(shot)
                info = tab.evaluate(_MEASURE)
                info.update(messages=messages, blocked=blocked)
                found[w] = info
    return found


def shoot_robust(page: Path, out_dir: Path, width: int = 1920) -> dict[str, Any]:
    """``explore_robust_<width>.png``: the whole page with the certified and proven-cycles
    layers on, at the optimum (Polyak's tuning for heavy ball); returns the verdict the numbers show."""
    with browser() as b, open_page(b, page, width) as (tab, messages, blocked):
        for box in ("#l-cert", "#l-cyc"):
            if not tab.is_disabled(box):
                tab.check(box)
        shot = out_dir / f"explore_robust_{width}.png"
        tab.screenshot(path=str(shot), full_page=True)
        _palette(shot)
        verdict = tab.text_content("#num-robust") if tab.locator("#num-robust").count() else None
        return {"verdict": verdict, "messages": messages, "blocked": blocked}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--page", type=Path, help="an explorer page (default: build one with hbtheory.explore)")
    p.add_argument("--out-dir", type=Path, default=FIGURES, help="where the PNGs go (default docs/figures)")
    args = p.parse_args(argv)
    page = args.page
    with tempfile.TemporaryDirectory() as tmp:
        if page is None:
            from hbtheory.explorer import explore

            page = Path(tmp) / "explorer.html"
            built = explore("heavy_ball", kappa=100, out=page, display=False)
            print(f"built {page}: {built.size / 1e6:.2f} MB")
        for width, info in shoot(page, args.out_dir).items():
            print(f"wrote {args.out_dir / f'explore_{width}.png'}: {json.dumps(info)}")
        from hbtheory.explorer import explore

        robust = Path(tmp) / "robust.html"  # the certified layer costs ~0.5 s a map: one kappa, no general method
        explore("heavy_ball", kappa=100, kappas=(), gammas=(), out=robust, certified=True, display=False)
        info = shoot_robust(robust, args.out_dir)
        print(f"wrote {args.out_dir / 'explore_robust_1920.png'}: {json.dumps(info)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
