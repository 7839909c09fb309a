"""Open the built documentation site in headless Chromium and check that it works offline.

Usage (after the build)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
    python docs/_ext/check_site.py docs/_build/html [--shots DIR]

Every request that is not a local ``file://`` (or ``data:``/``blob:``) URL is blocked and recorded,
in the pages and in the embedded explorer. For each page and width (1920 and 390 CSS pixels) the
check fails (exit status 1, one line per problem) when a request to another host was attempted, a
console error or an uncaught exception occurred, MathJax left a formula unrendered or with an error,
the page scrolls sideways on a phone, an embedded frame is empty or too small to scroll through, or a local link,
image or frame points at a missing file.
Prints one JSON line per page and width (render time, number of formulas, ...); with ``--shots``,
writes full-page screenshots ``<page>-<width>.png``. Without Chromium it fails, or with
``--skip-without-browser`` says so and exits 0. Uses Debian's ``chromium`` through Playwright
with the flags of ``docs/screenshot_report.py`` (no ``playwright install``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

DOCS = Path(__file__).resolve().parents[1]
#: Pages checked, relative to the site root, and the least number of formulas each must typeset.
PAGES = {
    "index.html": 0,
    "theory.html": 20,
    "derivations.html": 50,
    "explorer-live.html": 1,
    "report-live.html": 0,
    "api/index.html": 0,
    "api/generated/hbtheory.spectral.html": 1,
    "api/generated/hbtheory.symbolic.html": 1,
    "api/generated/hbtheory.robust.html": 1,
    "site.html": 0,
    "search.html?q=spectral_radius": 0,  # the search runs in the page, on the site's own index
}
WIDTHS = (1920, 390)
LOCAL = ("file:", "data:", "blob:", "about:")

_INSPECT = """async () => {
  const t0 = performance.now();
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const frames = [...document.querySelectorAll('iframe')];
  const local = [...document.querySelectorAll('a[href], img[src], iframe[src], script[src], link[href]')]
    .map(e => e.href || e.src).filter(u => u && u.startsWith('file:'));
  return {
    typeset_ms: Math.round(performance.now() - t0),
    formulas: document.querySelectorAll('mjx-container').length,
    math_errors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
    raw_math: [...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container')).length,
    scroll_width: document.documentElement.scrollWidth,
    width: window.innerWidth,
    frames: frames.map(f => ({src: f.getAttribute('src'), height: Math.round(f.getBoundingClientRect().height),
                              scrolling: f.getAttribute('scrolling')})),
    images_broken: [...document.images].filter(i => i.complete && i.naturalWidth === 0).map(i => i.src),
    local_links: [...new Set(local.map(u => u.split('#')[0]))],
  };
}"""


def _helpers() -> Any:
    """docs/screenshot_report.py: the system Chromium and its flags."""
    spec = importlib.util.spec_from_file_location("screenshot_report", DOCS / "screenshot_report.py")
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships in docs/
        raise ImportError("docs/screenshot_report.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(site: Path, shots: Path | None = None, pages: dict[str, int] | None = None) -> list[str]:
    """Open every page of ``pages`` at every width; the problems found (empty: the site is fine)."""
    from playwright.sync_api import sync_playwright

    helpers = _helpers()
    browser_path = helpers.find_browser()
    if browser_path is None:
        return ["no chromium: apt-get install chromium"]
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=helpers.ARGS, headless=True)
        try:
            for rel, least in (pages or PAGES).items():
                path = site / rel.partition("?")[0]
                if not path.is_file():
                    problems.append(f"{rel}: not built")
                    continue
                for width in WIDTHS:
                    name = rel.partition(".html")[0].replace("/", "_")
                    found = _look(browser, path, rel.partition("?")[2], width,
                                  shots / f"{name}-{width}.png" if shots else None)
                    print(json.dumps({"page": rel, **{k: v for k, v in found.items() if k != "local_links"},
                                      "local_links": len(found["local_links"])}))
                    problems += [f"{rel} @ {width}px: {p}" for p in _problems(found, least)]
        finally:
            browser.close()
    return problems


def _look(browser: Any, path: Path, query: str, width: int, shot: Path | None) -> dict[str, Any]:
    blocked: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context = browser.new_context(viewport={"width": width, "height": 1000}, device_scale_factor=1)
    context.route("**/*", route)  # the context's route also covers the iframes
    try:
        tab = context.new_page()
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        t0 = time.perf_counter()
        tab.goto(path.resolve().as_uri() + (f"?{query}" if query else ""), wait_until="load")
        if query:  # a search: wait for its results
            tab.wait_for_selector("#search-results li", timeout=15000)
        found: dict[str, Any] = tab.evaluate(_INSPECT)
        found["load_ms"] = round(1000 * (time.perf_counter() - t0))
        # A file:// frame is another origin: ask Playwright, not the page, what it holds.
        for frame, info in zip(tab.main_frame.child_frames, found["frames"], strict=False):
            frame.wait_for_load_state("load")
            info["elements"] = frame.evaluate("() => document.querySelectorAll('*').length")
            info["content_height"] = frame.evaluate(
                "() => Math.ceil(Math.max(...[...document.body.querySelectorAll('*')]"
                ".map(e => e.getBoundingClientRect().bottom + window.scrollY)))")
            info["title"] = frame.title()
        if shot is not None:
            shot.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()
    found["blocked"] = blocked
    found["console_errors"] = errors
    return found


def _problems(found: dict[str, Any], least: int) -> list[str]:
    out = []
    if found["blocked"]:
        out.append(f"requests to other hosts attempted: {found['blocked'][:5]}")
    if found["console_errors"]:
        out.append(f"console errors: {found['console_errors'][:5]}")
    if found["formulas"] < least:
        out.append(f"{found['formulas']} formulas typeset, expected at least {least}")
    if found["math_errors"] or found["raw_math"]:
        out.append(f"{found['math_errors']} MathJax errors, {found['raw_math']} formulas left as TeX")
    if found["scroll_width"] > found["width"] + 1:
        out.append(f"scrolls sideways: {found['scroll_width']} px wide")
    if found["images_broken"]:
        out.append(f"images not loaded: {found['images_broken'][:5]}")
    for frame in found["frames"]:
        if frame["elements"] < 20:
            out.append(f"frame {frame['src']} is empty ({frame['elements']} elements)")
        elif frame["height"] < 400 or frame["scrolling"] == "no":
            out.append(f"frame {frame['src']} is {frame['height']} px high and scrolling={frame['scrolling']}: "
                       f"its {frame['content_height']} px page cannot be read")
    missing = [u for u in found["local_links"] if not Path(unquote(urlparse(u).path)).exists()]
    if missing:
        out.append(f"links to missing files: {missing[:5]}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("site", type=Path, help="the built site (docs/_build/html)")
    p.add_argument("--shots", type=Path, default=None, help="folder for full-page screenshots")
    p.add_argument("--skip-without-browser", action="store_true",
                   help="exit 0, saying so, when there is no chromium (default: that is a failure)")
    args = p.parse_args(argv)
    if args.skip_without_browser and _helpers().find_browser() is None:
        print("check_site: skipped: no chromium (apt-get install chromium)")
        return 0
    problems = check(args.site, args.shots)
    for line in problems:
        print(f"check_site: {line}", file=sys.stderr)
    print(f"check_site: {len(PAGES) * len(WIDTHS)} page views, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
