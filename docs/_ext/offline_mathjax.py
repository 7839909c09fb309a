"""Serve MathJax 3 from the built site itself: no CDN, the site works offline.

The files come from the PyPI package ``django-static-mathjax`` (import name ``mathjax``): MathJax
3.2.2's own es5 build and its Apache-2.0 licence, nothing Django-specific (the package has no
dependencies). A clean machine reproduces it with ``pip install -e .[docs]``. Only what the
``tex-svg`` component can load is copied (about 3 MB, not the package's 24 MB): the combined
``tex-svg.js`` (TeX input and SVG output with the fonts as paths, so no font file is fetched), the TeX
extensions it autoloads (``\\boldsymbol``, ``\\cancel``, ...), the menu and accessibility
components, and the English speech rules.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

#: Paths inside MathJax's ``es5`` folder that the site serves, and the licence beside them.
FILES = ("tex-svg.js", "input/tex/extensions", "a11y", "ui", "sre/mathmaps/base.json", "sre/mathmaps/en.json")
ENTRY = "mathjax/tex-svg.js"


def mathjax_root() -> Path:
    """The folder of MathJax's distribution (``LICENSE``, ``es5/``) inside ``django-static-mathjax``."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError("offline_mathjax: no MathJax: pip install -e .[docs] (django-static-mathjax)")
    root = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax"
    if not (root / "es5" / "tex-svg.js").is_file() or not (root / "LICENSE").is_file():
        raise ExtensionError(f"offline_mathjax: no es5/tex-svg.js and LICENSE under {root}")
    return root


def copy_mathjax(out: Path) -> Path:
    """Copy the served subset of MathJax into ``out`` (``out/tex-svg.js``, ``out/LICENSE``, ...)."""
    root = mathjax_root()
    es5 = root / "es5"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "LICENSE", out / "LICENSE")
    for rel in FILES:
        src, dst = es5 / rel, out / rel
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return out


def _check_config(app: Sphinx, config: Any) -> None:
    if config.mathjax_path != ENTRY:
        raise ExtensionError(f"offline_mathjax: mathjax_path must be {ENTRY!r}, got {config.mathjax_path!r}")


def _copy(app: Sphinx, exc: Exception | None) -> None:
    if exc is None and app.builder.format == "html":
        copy_mathjax(Path(app.outdir) / "_static" / "mathjax")


def setup(app: Sphinx) -> dict[str, Any]:
    mathjax_root()  # fail at once, with the install command, when the package is missing
    app.connect("config-inited", _check_config)
    app.connect("build-finished", _copy)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
