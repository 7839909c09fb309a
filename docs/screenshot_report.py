"""Render a report's ``report.html`` in headless Chromium and save a full-page screenshot.

Usage::

    hbtheory report --out hbtheory-report
    python docs/screenshot_report.py hbtheory-report/report.html --out report.png

Needs Debian's ``chromium`` package (``apt-get install chromium``). The page is opened from the
file system with the network disabled, which also proves it is self-contained.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1",
]


def screenshot(page: Path, out: Path, *, width: int = 1280, height: int = 6000) -> None:
    """Save a ``width`` x ``height`` screenshot of ``page`` (a local HTML file) to ``out``."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise SystemExit("screenshot_report: no chromium on PATH (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--screenshot={out.resolve()}", page.resolve().as_uri()]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    if not out.exists():
        raise SystemExit(f"screenshot_report: chromium wrote no {out}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("page", type=Path, help="report.html")
    p.add_argument("--out", type=Path, default=Path("report.png"))
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=6000)
    args = p.parse_args(argv)
    screenshot(args.page, args.out, width=args.width, height=args.height)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
