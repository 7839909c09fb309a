"""Open a report's ``report.html`` in headless Chromium: full-page screenshots and a check of the page.

Usage::

    hbtheory report --out hbtheory-report
    python docs/screenshot_report.py hbtheory-report/report.html --out report

writes ``report-1280.png`` and ``report-390.png``: the whole page (however tall) at desktop and
phone width, and prints what :func:`inspect_page` found there. Needs Debian's ``chromium``
(``apt-get install chromium``) and the Python package ``playwright`` (``pip install playwright``);
the browser is the system's, so ``playwright install`` is never needed. Every request other than
the page itself is blocked, which also proves the page is self-contained. The test suite
(``tests/test_report.py``) runs :func:`inspect_page` on a generated report.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Chromium's flags: headless, no sandbox (root in CI), and nothing that talks to the network.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
WIDTHS = (1280, 390)

_INSPECT = """() => {
  const imgs = [...document.images];
  const ids = new Set([...document.querySelectorAll('[id]')].map(e => e.id));
  const links = [...document.querySelectorAll('nav.toc a')].map(a => a.getAttribute('href'));
  const maths = [...document.querySelectorAll('math')];
  const frac = document.querySelector('math mfrac');
  const main = document.querySelector('main').getBoundingClientRect();
  return {
    width: window.innerWidth,
    height: document.documentElement.scrollHeight,
    scroll_width: document.documentElement.scrollWidth,
    images: imgs.map(i => ({alt: i.alt.slice(0, 40), natural_width: i.naturalWidth, shown_width: i.width,
                             complete: i.complete, inside: i.getBoundingClientRect().right <= main.right + 0.5})),
    math: maths.length,
    math_laid_out: frac !== null && frac.getBoundingClientRect().height > 0
                   && frac.getBoundingClientRect().height > parseFloat(getComputedStyle(frac).fontSize),
    toc_links: links.length,
    toc_broken: links.filter(h => !h.startsWith('#') || !ids.has(h.slice(1))),
    failed_cards: [...document.querySelectorAll('.card.bad')].map(c => c.textContent),
  };
}"""


def find_browser() -> str | None:
    """The system Chromium, or ``None``."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@contextmanager
def _browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    browser_path = find_browser()
    if browser_path is None:
        raise SystemExit("screenshot_report: no chromium (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def _look(browser: Any, page: Path, width: int, shot: Path | None, height: int = 900) -> dict[str, Any]:
    url = page.resolve().as_uri()
    blocked: list[str] = []

    def route(r: Any) -> None:
        if r.request.url == url or r.request.url.startswith("data:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    try:
        tab = context.new_page()
        tab.route("**/*", route)
        tab.goto(url, wait_until="load")
        found: dict[str, Any] = tab.evaluate(_INSPECT)
        if shot is not None:
            tab.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()
    found["blocked"] = blocked
    return found


def inspect_page(page: Path, widths: tuple[int, ...] = WIDTHS, *,
                 shots: dict[int, Path] | None = None) -> dict[int, dict[str, Any]]:
    """What a reader's browser makes of the page at each width (one browser for all of them).

    For each width: ``height``, ``scroll_width`` (wider than the width means horizontal scrolling),
    ``images`` (each with ``natural_width``: 0 if it did not load), ``math`` (number of ``<math>``
    elements), ``math_laid_out`` (a fraction is typeset taller than one line: MathML is rendered,
    not shown as text), ``toc_links``, ``toc_broken``, ``failed_cards`` and ``blocked`` (requests
    the page tried to make). ``shots`` maps a width to a file for a full-page screenshot.
    """
    with _browser() as browser:
        return {w: _look(browser, page, w, (shots or {}).get(w)) for w in widths}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("page", type=Path, help="report.html")
    p.add_argument("--out", default="report", help="file name prefix: writes PREFIX-<width>.png (default: report)")
    p.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS), help="CSS widths (default: 1280 390)")
    args = p.parse_args(argv)
    shots = {w: Path(f"{args.out}-{w}.png") for w in args.widths}
    for width, found in inspect_page(args.page, tuple(args.widths), shots=shots).items():
        found["images"] = f"{sum(i['natural_width'] > 0 for i in found['images'])} of {len(found['images'])} loaded"
        print(f"wrote {shots[width]} ({width} x {found['height']}): {json.dumps(found)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
