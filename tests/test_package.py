"""Packaging promises: a cheap import, the public surface, the console entry points."""

from __future__ import annotations

import subprocess
import sys

import hbtheory


def test_import_does_not_load_heavy_dependencies() -> None:
    code = (
        "import sys, hbtheory; heavy = [m for m in ('torch', 'sympy', 'matplotlib', 'scipy') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"import hbtheory loaded {out}"


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in hbtheory.__all__:
        obj = getattr(hbtheory, name)
        if callable(obj) and not isinstance(obj, type(hbtheory)):
            doc = obj.__doc__ or ""
            assert "Examples" in doc or ">>>" in doc, f"{name} has no runnable example"


def test_python_dash_m_runs_the_cli() -> None:
    proc = subprocess.run([sys.executable, "-m", "hbtheory", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("hbtheory ")
