"""Pages and files of the documentation site that hbtheory itself generates at build time.

* ``derivations``: the page's committed text is followed by the results of
  :func:`hbtheory.symbolic.derivation` for every method of the family (and one member of the
  general family), typeset by MathJax from ``sympy.latex``; nothing is typed in.
* ``api/index``: the line ``.. hbtheory-top-level::`` becomes an autosummary table of
  ``hbtheory.__all__``, each name linked to the module that defines it.
* ``generated/explorer.html`` (``hbtheory explore``) and ``generated/report/`` (``hbtheory report
  --quick``) are written into the HTML output by two subprocesses started when the build starts and
  awaited when it ends, so they run while Sphinx reads the sources. A failing report check, or a
  generator that fails, fails the build.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Sections of the derivations page: key of :func:`hbtheory.symbolic.derivation`, heading, the
#: function of :mod:`hbtheory.symbolic` behind it.
SECTIONS = (
    ("update", "Update rule", "hbtheory.methods.Method"),
    ("iteration_matrix", "Iteration matrix", "hbtheory.symbolic.iteration_matrix"),
    ("characteristic_polynomial", "Characteristic polynomial", "hbtheory.symbolic.characteristic_polynomial"),
    ("eigenvalues", "Eigenvalues", "hbtheory.symbolic.eigenvalues"),
    ("discriminant", "Discriminant", "hbtheory.symbolic.discriminant"),
    ("convergence_region", "Convergence region (Schur-Cohn)", "hbtheory.symbolic.convergence_region"),
    ("design", "Parameters from the rate $r$", "hbtheory.methods.Method"),
    ("critical_curves", "Critical-damping curves", "hbtheory.symbolic.critical_curves"),
    ("optimal_parameters", "Optimal parameters on $[\\mu, L]$", "hbtheory.symbolic.optimal_parameters"),
    ("optimal_parameters_kappa", "Optimal parameters in $\\kappa$", "hbtheory.symbolic.optimal_parameters"),
    ("amplification", "Amplification of a constant gradient", "hbtheory.symbolic.amplification_series"),
    ("amplification_transient", "Amplification after $t$ steps", "hbtheory.symbolic.amplification_series"),
    ("stationary_variance", "Stationary variance under gradient noise", "hbtheory.symbolic.stationary_variance"),
)
#: The member of the general family shown after the named methods (gradient at x_t + gamma (x_t - x_{t-1})).
GENERAL_GAMMA = 0.5
MARK_DERIVATIONS = "<!-- hbtheory-derivations -->"
MARK_TOP_LEVEL = ".. hbtheory-top-level::"

API_INDEX = Path(__file__).resolve().parents[1] / "api" / "index.rst"


def _api_modules() -> tuple[str, ...]:
    """The modules of the API reference: the ``:toctree: generated`` autosummary of ``api/index.rst``.

    One page each, in the order of the layers. A function, class or constant is documented on the
    first page whose module exports it (in ``__all__``) and defines it, or else imports it from a
    private module; a later page that re-exports it links there.
    """
    lines = API_INDEX.read_text(encoding="utf-8").splitlines()
    start = lines.index("   :toctree: generated")
    out = []
    for line in lines[start + 1:]:
        if line.strip() and not line.startswith("   "):
            break
        if line.strip():
            out.append(line.strip())
    return tuple(out)


MODULES = _api_modules()
OUT = "generated"


def _equations(tex: str) -> list[str]:
    """One displayed equation per part of a ``,\\quad``-joined result (narrow screens wrap between them)."""
    return [part.strip() for part in tex.split(r",\quad ") if part.strip()]


def derivations_markdown() -> str:
    """The generated part of ``derivations.md`` (MyST Markdown with ``{math}`` blocks)."""
    from hbtheory import general
    from hbtheory.methods import METHODS
    from hbtheory.symbolic import derivation

    methods = [(m, f"derivation({m.name!r})") for m in METHODS.values()]
    methods.append((general(GENERAL_GAMMA), f"derivation(general({GENERAL_GAMMA}))"))
    known = {key for key, _, _ in SECTIONS}
    lines: list[str] = []
    for m, call in methods:
        d = derivation(m)
        unknown = set(d) - known
        if unknown:  # a new result of hbtheory.symbolic: give it a heading here
            raise ExtensionError(f"hbtheory_site: no heading for derivation keys {sorted(unknown)}")
        lines += [f"## {m.title}", "", f"`{call}`", ""]
        for key, heading, source in SECTIONS:
            if key not in d:
                continue
            lines += [f"**{heading}** ({{py:obj}}`~{source}`)", "", "```{math}"]
            for i, eq in enumerate(_equations(d[key])):
                lines += ([""] if i else []) + [eq]
            lines += ["```", ""]
    return "\n".join(lines)


@functools.cache
def _imported_from(modname: str) -> dict[str, str]:
    """Names a module imports with ``from hbtheory.X import name`` at top level, to ``hbtheory.X``."""
    import ast
    import importlib
    import inspect

    tree = ast.parse(inspect.getsource(importlib.import_module(modname)))
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                out[alias.asname or alias.name] = node.module
    return out


def _private(modname: str) -> bool:
    return any(part.startswith("_") for part in modname.split("."))


def api_members() -> dict[str, dict[str, list[str]]]:
    """For every page of :data:`MODULES`: the names it documents and the names it links elsewhere.

    ``{"hbtheory.spectral": {"functions": [...], "classes": [...], "data": [...], "elsewhere":
    ["hbtheory.methods.Method", ...]}}``, in the order of each module's ``__all__``. A name that
    no page defines or imports from a private module is documented by the first page exporting it.
    Raises when a public module of ``hbtheory.__all__`` has no page.
    """
    import importlib
    import inspect
    import types

    import hbtheory

    missing = sorted(
        f"hbtheory.{n}" for n in hbtheory.__all__
        if isinstance(getattr(hbtheory, n), types.ModuleType) and f"hbtheory.{n}" not in MODULES
    )
    if missing:
        raise ExtensionError(f"hbtheory_site: no API page for {missing}; add them to MODULES")
    owners: dict[Any, str] = {}
    pages: dict[str, dict[str, list[str]]] = {}
    # First pass: who defines what (a definition beats a re-export from a private module).
    mods = {name: importlib.import_module(name) for name in MODULES}
    for pass_ in ("defined", "private", "exported"):
        for modname, mod in mods.items():
            imported = _imported_from(modname)
            for name in getattr(mod, "__all__", []):
                obj = getattr(mod, name)
                if isinstance(obj, types.ModuleType):
                    continue
                key = id(obj) if (inspect.isclass(obj) or callable(obj)) else (imported.get(name, modname), name)
                if key in owners:
                    continue
                source = imported.get(name)
                here = {"defined": source is None, "private": source is not None and _private(source),
                        "exported": True}[pass_]  # exported: by a public module that does not export it
                if here:
                    owners[key] = f"{modname}.{name}"
    for modname, mod in mods.items():
        imported = _imported_from(modname)
        page: dict[str, list[str]] = {"functions": [], "classes": [], "data": [], "elsewhere": []}
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if isinstance(obj, types.ModuleType):
                page["elsewhere"].append(obj.__name__)
                continue
            key = id(obj) if (inspect.isclass(obj) or callable(obj)) else (imported.get(name, modname), name)
            path = owners.get(key)
            if path != f"{modname}.{name}":  # relative to this page's module when inside it
                page["elsewhere"].append(path.removeprefix(f"{modname}."))
            elif inspect.isclass(obj):
                page["classes"].append(name)
            elif callable(obj):
                page["functions"].append(name)
            else:
                page["data"].append(name)
        pages[modname] = page
    _OWNERS.clear()
    _OWNERS.update(owners)
    return pages


_OWNERS: dict[Any, str] = {}


def top_level_rst() -> str:
    """An autosummary table of ``hbtheory.__all__``: functions and classes by their defining module."""
    import types

    import hbtheory

    modules, objects = [], []
    for name in hbtheory.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(hbtheory, name)
        if isinstance(obj, types.ModuleType):
            modules.append(obj.__name__)
            continue
        if not _OWNERS:
            api_members()
        for key in (id(obj), ("hbtheory.methods", name)):
            if key in _OWNERS:
                objects.append(_OWNERS[key])
                break
        else:
            raise ExtensionError(f"hbtheory_site: hbtheory.{name} is documented on no API page")
    out = [".. autosummary::", "   :nosignatures:", ""]
    out += [f"   ~{path}" for path in objects]
    return "\n".join(out) + "\n"


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == "derivations":
        if MARK_DERIVATIONS not in source[0]:
            raise ExtensionError(f"hbtheory_site: derivations.md has no line {MARK_DERIVATIONS}")
        t0 = time.perf_counter()
        source[0] = source[0].replace(MARK_DERIVATIONS, derivations_markdown())
        logger.info(f"hbtheory_site: derivations typeset in {time.perf_counter() - t0:.1f} s")
    elif docname == "api/index":
        if MARK_TOP_LEVEL not in source[0]:
            raise ExtensionError(f"hbtheory_site: api/index.rst has no line {MARK_TOP_LEVEL}")
        source[0] = source[0].replace(MARK_TOP_LEVEL, top_level_rst())


def _start(app: Sphinx) -> None:
    app.hbtheory_jobs = {}  # type: ignore[attr-defined]
    if app.builder.format != "html":
        return
    out = Path(app.outdir) / OUT
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    py = [sys.executable, "-m", "hbtheory"]
    commands = {
        "explorer": [*py, "explore", "--kappa", "100", "--out", str(out / "explorer.html")],
        "report": [*py, "report", "--quick", "--out", str(out / "report")],
    }
    for name, cmd in commands.items():
        log = open(out / f"{name}.log", "w")
        app.hbtheory_jobs[name] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env), log, cmd,
                                   time.perf_counter())


def _finish(app: Sphinx, exc: Exception | None) -> None:
    jobs: dict[str, Any] = getattr(app, "hbtheory_jobs", {})
    failed = []
    for name, (proc, log, cmd, t0) in jobs.items():
        code = proc.wait()
        log.close()
        logger.info(f"hbtheory_site: {name} written in {time.perf_counter() - t0:.1f} s (exit status {code})")
        if code != 0:
            failed.append(f"{' '.join(cmd[1:])} exited with {code}; see {log.name}")
    if failed and exc is None:
        raise ExtensionError("hbtheory_site: " + "; ".join(failed))
    if jobs and exc is None:
        out = Path(app.outdir) / OUT
        for path in ("explorer.html", "report/report.html"):
            if not (out / path).is_file():
                raise ExtensionError(f"hbtheory_site: {out / path} was not written")


def _always_outdated(app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    # generated from the package, not from their files: read again on every build
    return [doc for doc in ("derivations", "api/index") if doc in env.found_docs]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _start)
    app.connect("env-get-outdated", _always_outdated)
    app.connect("source-read", _source_read)
    app.connect("build-finished", _finish)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


def xref_aliases(pages: dict[str, dict[str, list[str]]]) -> dict[str, str]:
    """numpydoc's type aliases: the package's classes by their short name, and numpydoc's defaults
    that point into the Python/NumPy inventories (``:term:``/``:ref:``, which warn without
    intersphinx, and the site fetches nothing) turned into plain object references."""
    aliases = {
        "None": ":data:`None`", "True": ":data:`True`", "False": ":data:`False`", "list": ":class:`list`",
        "tuple": ":class:`tuple`", "str": ":class:`str`", "string": ":class:`str`", "dict": ":class:`dict`",
        "float": ":class:`float`", "int": ":class:`int`", "callable": ":func:`callable`",
        "contextmanager": ":func:`~contextlib.contextmanager`", "namedtuple": ":func:`~collections.namedtuple`",
        "bool": ":class:`bool`", "boolean": ":class:`bool`", "iterable": ":class:`~collections.abc.Iterable`",
        "sequence": ":class:`~collections.abc.Sequence`", "generator": ":class:`~collections.abc.Generator`",
        "array-like": ":obj:`array_like <numpy.typing.ArrayLike>`",
        "array_like": ":obj:`array_like <numpy.typing.ArrayLike>`", "scalar": ":obj:`scalar <numpy.generic>`",
    }
    for modname, page in pages.items():
        for cls in page["classes"]:
            aliases.setdefault(cls, f"{modname}.{cls}")
    return aliases
