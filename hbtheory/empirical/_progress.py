"""Optional tqdm progress bars: shown for runs longer than a couple of seconds on a terminal."""

from __future__ import annotations

import importlib
import sys
from typing import Any

__all__ = ["Progress"]

#: A bar appears only once a run has lasted this many seconds (tqdm's ``delay``).
DELAY_SECONDS = 2.0


class Progress:
    """A step counter that drives a tqdm bar when one is wanted and available.

    ``enabled=None`` (the default everywhere) shows the bar when standard error is a terminal;
    ``True`` forces it, ``False`` turns it off. Without tqdm installed there is never a bar.
    Use as a context manager and call :meth:`update` once per step.
    """

    def __init__(self, total: int, desc: str, enabled: bool | None = None) -> None:
        if enabled is not None and not isinstance(enabled, bool):
            raise TypeError(f"`progress` must be True, False or None, got {type(enabled).__name__}")
        show = sys.stderr.isatty() if enabled is None else enabled
        self._bar: Any = None
        if show:
            try:
                tqdm = importlib.import_module("tqdm").tqdm
            except ImportError:  # pragma: no cover - tqdm is an optional extra
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, desc=desc, delay=DELAY_SECONDS, leave=False, file=sys.stderr)

    def update(self, n: int = 1) -> None:
        """Advance the bar by ``n`` steps (no-op without a bar)."""
        if self._bar is not None:
            self._bar.update(n)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
