"""The documentation site's build helpers (docs/_ext/): API pages, derivations, offline MathJax, browser check.

The full build (``python -m sphinx -W --keep-going -b html docs docs/_build/html``, about 30 s) and
the browser check of the built site (``python docs/_ext/check_site.py docs/_build/html``) run in CI
after the tests; here the pieces they rely on are checked in milliseconds.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sphinx", reason="the docs extra (pip install -e .[docs]) is not installed")

EXT = Path(__file__).resolve().parents[1] / "docs" / "_ext"


def _load(name: str) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXT / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site() -> Any:
    return _load("hbtheory_site")


@pytest.fixture(scope="module")
def pages(site: Any) -> dict[str, dict[str, list[str]]]:
    return site.api_members()


def test_every_public_name_is_documented_on_exactly_one_api_page(site: Any, pages: dict[str, Any]) -> None:
    import hbtheory

    documented: dict[Any, str] = {}
    for modname, page in pages.items():
        mod = importlib.import_module(modname)
        for name in page["functions"] + page["classes"] + page["data"]:
            assert name in mod.__all__, f"{modname}.{name} is not public"
            obj = getattr(mod, name)
            key = id(obj) if callable(obj) else (modname, name)
            assert key not in documented, f"{modname}.{name} is also documented as {documented.get(key)}"
            documented[key] = f"{modname}.{name}"
    # every top-level name resolves to a page that documents it (not to hbtheory itself)
    rst = site.top_level_rst()
    for name in hbtheory.__all__:
        obj = getattr(hbtheory, name)
        if name.startswith("__") or isinstance(obj, types.ModuleType):
            continue
        path = documented.get(id(obj) if callable(obj) else ("hbtheory.methods", name))
        assert path is not None and f"~{path}\n" in rst, name
    # re-exports from private modules are documented on the public module, never under hbtheory._x
    assert "worst_case" in pages["hbtheory.spectral"]["functions"]
    assert all(not p.split(".")[-1].startswith("_") for p in documented.values())
    # a page that only re-exports (the empirical package) links to the defining module
    assert "verify_quadratic" not in pages["hbtheory.empirical"]["functions"]
    assert "quadratic.verify_quadratic" in pages["hbtheory.empirical"]["elsewhere"]


def test_every_module_exported_by_hbtheory_has_a_page(site: Any) -> None:
    import hbtheory

    modules = {f"hbtheory.{n}" for n in hbtheory.__all__ if isinstance(getattr(hbtheory, n), types.ModuleType)}
    assert modules, "hbtheory.__all__ exports no module"
    assert modules <= set(site.MODULES)


def test_derivations_page_typesets_every_result_of_every_method(site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import hbtheory.symbolic

    seen: list[str] = []

    def fake(m: Any) -> dict[str, str]:  # the real one takes seconds; its output is tested in test_symbolic
        seen.append(m.name)
        return {"update": "x_{t+1} = x_t", "optimal_parameters": r"\alpha^* = 1,\quad \beta^* = 0,\quad \rho^* = 1"}

    monkeypatch.setattr(hbtheory.symbolic, "derivation", fake)
    text = site.derivations_markdown()
    assert seen[:4] == ["heavy_ball", "nesterov", "gradient_descent", "triple_momentum"]
    assert seen[4].startswith("general") and len(seen) == 5
    assert text.count("```{math}") == 2 * len(seen)
    # a ",\quad"-joined result becomes one displayed equation per part, separated by a blank line
    assert "```{math}\n\\alpha^* = 1\n\n\\beta^* = 0\n\n\\rho^* = 1\n```" in text
    assert "`derivation(general(0.5))`" in text

    monkeypatch.setattr(hbtheory.symbolic, "derivation", lambda m: {"new_result": "x"})
    with pytest.raises(Exception, match="no heading for derivation keys"):
        site.derivations_markdown()


def test_mathjax_is_copied_into_the_site_with_its_licence(tmp_path: Path) -> None:
    mj = _load("offline_mathjax")
    out = mj.copy_mathjax(tmp_path / "mathjax")
    entry = (out / "tex-svg.js").read_text(encoding="utf-8")
    assert "3.2.2" in entry[:4000] or '"3.2.2"' in entry  # MathJax's version string in the bundle
    assert "Apache License" in (out / "LICENSE").read_text(encoding="utf-8")
    assert (out / "input" / "tex" / "extensions" / "boldsymbol.js").is_file()  # autoloaded on use
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    assert 2e6 < size < 5e6, size  # the subset, not the package's 24 MB

    class Config:
        mathjax_path = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-svg.js"

    with pytest.raises(Exception, match="mathjax_path must be"):
        mj._check_config(None, Config())


def _found(**over: Any) -> dict[str, Any]:
    ok = {"blocked": [], "console_errors": [], "formulas": 5, "math_errors": 0, "raw_math": 0, "scroll_width": 390,
          "width": 390, "images_broken": [], "frames": [], "local_links": []}
    return {**ok, **over}


def test_browser_check_names_every_kind_of_problem() -> None:
    cs = _load("check_site")
    assert cs._problems(_found(), 5) == []
    # a frame shorter than its page is fine while it scrolls (the explorer grows with its layers)
    tall = {"src": "e.html", "elements": 300, "content_height": 3400, "height": 700, "scrolling": None}
    assert cs._problems(_found(frames=[tall]), 5) == []
    cases = {
        "requests to other hosts": _found(blocked=["https://cdn.example/x.js"]),
        "console errors": _found(console_errors=["boom"]),
        "formulas typeset": _found(formulas=4),
        "left as TeX": _found(raw_math=1),
        "scrolls sideways": _found(scroll_width=420),
        "images not loaded": _found(images_broken=["file:///x.png"]),
        "is empty": _found(frames=[{"src": "e.html", "elements": 3, "content_height": 10, "height": 900,
                                    "scrolling": None}]),
        "cannot be read": _found(frames=[{"src": "e.html", "elements": 300, "content_height": 1730, "height": 1500,
                                          "scrolling": "no"}]),
        "missing files": _found(local_links=["file:///nonexistent/hbtheory/page.html"]),
    }
    for words, found in cases.items():
        problems = cs._problems(found, 5)
        assert len(problems) == 1 and words in problems[0], (words, problems)
