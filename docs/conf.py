"""Sphinx configuration of the hbtheory documentation site.

Build (warnings are errors; about 30 s on two cores)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Why Sphinx + numpydoc + pydata-sphinx-theme: the docstrings of hbtheory are numpydoc, the
convention of numpy, scipy and matplotlib, whose sites are built with exactly this stack; a reader of
those sites finds the same layout here, and numpydoc renders the Parameters/Returns/Examples sections
without a conversion step. The Markdown guides in ``docs/`` are read by myst-parser as they are
(they stay doctested by pytest). See ``docs/site.md``.

Everything the pages load is served by the site itself: MathJax 3 is copied from the PyPI package
``django-static-mathjax`` (MathJax's own es5 files and licence) by ``_ext/offline_mathjax.py``; no
CDN, so the built site works offline. ``_ext/hbtheory_site.py`` generates at build time the
derivations page (from :func:`hbtheory.symbolic.derivation`), the explorer (``hbtheory.explore``),
a quick report (``hbtheory report --quick``) and the table of the top-level names.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import hbtheory  # noqa: E402

project = "hbtheory"
author = "the hbtheory authors"
copyright = "2026, the hbtheory authors"
release = version = hbtheory.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "offline_mathjax",
    "hbtheory_site",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# --- Markdown (the guides in docs/*.md are plain CommonMark with $...$ maths and pycon blocks)
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# --- API reference: autosummary pages from the numpydoc docstrings, in the order of __all__
autosummary_generate = True
autosummary_ignore_module_all = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc "Parameters" sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"  # link only the aliases below (set at the end of this file)
numpydoc_validation_checks: set[str] = set()

# --- Maths: MathJax 3 served from _static/mathjax (see _ext/offline_mathjax.py)
mathjax_path = "mathjax/tex-svg.js"
mathjax3_config = {"tex": {"tags": "none"}, "svg": {"fontCache": "global"}}

# --- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"hbtheory {version}"
html_static_path = ["_static"]
html_css_files = ["hbtheory.css"]
html_last_updated_fmt = None
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": []}
html_context = {"default_mode": "auto"}  # light or dark as the reader's system says
html_show_sourcelink = False
html_show_search_summary = False  # the summaries are fetched page by page, which file:// forbids
pygments_style = "default"

# The members of each API page (defined there, or re-exported from a private module) and the
# names it only links to: see _ext/hbtheory_site.py.
import hbtheory_site  # noqa: E402

_pages = hbtheory_site.api_members()
autosummary_context = {"api": _pages}
numpydoc_xref_aliases = hbtheory_site.xref_aliases(_pages)
suppress_warnings = ["ref.citation"]  # numpydoc References entries that the text does not cite with [1]_
