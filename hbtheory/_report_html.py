"""Rendering of the report: one self-contained HTML page and its Markdown twin.

This module owns the page: its layout and style sheet (inline), the table of contents, the
verification table (stacked into cards on a phone), the derivations typeset as MathML (printed by
sympy, rendered by the browser itself: no script, no network) and the figures (PNG drawn at twice
the displayed size, embedded as base64, scaled to the column). Python computed everything shown.
"""

from __future__ import annotations

import base64
import html
import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SECTIONS = {
    "theory": "Where the methods converge, and how fast",
    "experiments": "The chapter's and the notes' experiments, run with torch.optim.SGD",
    "stochastic": "Minibatch gradients: the mean-square theory",
    "model": "Tuning a model from its Hessian",
    "beyond": "Where the quadratic theory stops",
}

_CSS = """
:root { --ink: #1d2330; --muted: #4a5468; --line: #e3e6ec; --soft: #f1f4f8; --pass: #1a7f37; --fail: #cf222e; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f7f9;
       margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; background: #fff;
       box-shadow: 0 0 24px rgba(0,0,0,.06); }
h1 { font-size: 30px; line-height: 1.2; margin: 8px 0 4px; }
h2 { margin-top: 44px; border-bottom: 2px solid var(--line); padding-bottom: 4px; scroll-margin-top: 12px; }
h3 { margin: 28px 0 6px; scroll-margin-top: 12px; }
.lead { color: var(--muted); margin-top: 0; }
.summary { display: flex; gap: 12px; flex-wrap: wrap; margin: 20px 0; }
.card { flex: 1 1 150px; border-radius: 10px; padding: 10px 14px; background: var(--soft); }
.card b { display: block; font-size: 28px; }
.card.good { background: #e8f5ec; } .card.good b { color: var(--pass); }
.card.bad { background: #fdecee; } .card.bad b { color: var(--fail); }
.card.neutral b { color: #57606a; }
.note { background: #fff8e1; border-left: 4px solid #d4a72c; padding: 8px 14px; border-radius: 6px; }
nav.toc { background: var(--soft); border-radius: 10px; padding: 10px 18px; margin: 16px 0; }
nav.toc ol { margin: 4px 0; padding-left: 22px; columns: 2 260px; column-gap: 32px; }
nav.toc ol ol { columns: 1; padding-left: 18px; font-size: 14px; }
nav.toc li { break-inside: avoid; }
nav.toc a { color: #0b5cad; text-decoration: none; } nav.toc a:hover { text-decoration: underline; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 12px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td small, .cite { color: var(--muted); font-size: 12.5px; display: block; }
.v-PASS { color: var(--pass); font-weight: 700; } .v-FAIL { color: var(--fail); font-weight: 700; }
.v-SKIP { color: #7d8590; font-weight: 700; }
tr.FAIL td { background: #fff5f5; }
table.tuning tr.group th { background: #fff; border-bottom: 2px solid var(--line); padding-top: 14px; }
table.checks { table-layout: fixed; }
table.checks col.v { width: 4.2em; } table.checks col.c { width: 27%; } table.checks col.h { width: 28%; }
table.checks col.n { width: 10.5%; }
table.checks td.num { overflow-wrap: anywhere; white-space: normal; }
table.checks td.test { text-align: left; }
dl.kinds { font-size: 14px; margin: 8px 0 0; } dl.kinds dt { font-weight: 600; float: left; clear: left;
  width: 8.5em; } dl.kinds dd { margin: 0 0 2px 8.5em; color: var(--muted); }
.math { overflow-x: auto; overflow-y: hidden; padding: 6px 2px; }
math { font-family: "STIX Two Math", "Latin Modern Math", "DejaVu Math TeX Gyre", "Cambria Math", math; }
math[display="block"] { font-size: 1.12em; margin: 0; }
.deriv > div.math { align-items: flex-start; gap: 6px; overflow-x: auto; }
.deriv { display: grid; grid-template-columns: minmax(150px, 220px) minmax(0, 1fr); column-gap: 18px;
         border-top: 1px solid var(--line); }
.deriv > div { border-bottom: 1px solid var(--line); min-width: 0; display: flex; flex-direction: column;
               justify-content: center; padding: 6px 2px; }
.deriv > .what { color: var(--muted); font-size: 14px; }
details { margin: 6px 0 14px; } summary { cursor: pointer; color: var(--muted); font-size: 13px; }
pre.tex { background: #f6f8fa; border-radius: 8px; padding: 10px 14px; overflow-x: auto; font-size: 13px;
          white-space: pre-wrap; word-break: break-word; }
figure { margin: 20px 0 32px; }
figure img { display: block; width: 100%; max-width: 880px; height: auto; margin: 0 auto; border: 1px solid var(--line);
             border-radius: 6px; }
figcaption { max-width: 880px; margin: 6px auto 0; }
figcaption { color: var(--muted); font-size: 14px; }
code { background: var(--soft); padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
@media (max-width: 720px) {
  main { padding: 14px 14px 40px; }
  h1 { font-size: 24px; }
  nav.toc ol { columns: 1; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack thead { display: none; }
  table.stack tr { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 12px; padding: 4px 0; }
  table.stack td { border: 0; padding: 3px 10px; text-align: left; white-space: normal; overflow-wrap: anywhere; }
  table.stack td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-weight: 600; }
  table.checks td.num { display: inline-block; width: auto; padding-right: 14px; }
  table.checks td.test { display: block; }
  .deriv { grid-template-columns: minmax(0, 1fr); }
  table.tuning { font-size: 13px; } table.tuning td, table.tuning th { padding: 5px 4px; }
  math[display="block"] { font-size: 1em; }
  .deriv > div.what { border-bottom: 0; padding: 10px 0 0; }
  dl.kinds dt { float: none; width: auto; } dl.kinds dd { margin-left: 12px; }
}
"""


# ------------------------------------------------------------------------------------------ maths


@dataclass(frozen=True)
class MathItem:
    """One derived result: its title, the equations as MathML (one ``<math>`` each) and as LaTeX.

    ``note`` says why a result is missing (``mathml`` is then empty).
    """

    title: str
    mathml: tuple[str, ...]
    latex: str
    note: str = ""


@dataclass(frozen=True)
class DerivationSection:
    """The derived results of one method."""

    method: str
    title: str
    items: tuple[MathItem, ...]


_RELATION = re.compile(r"<mo>([<>]=?)</mo>")
_MINUS = re.compile(r"<(mo|mn)>-")


def _ml(expr: Any, **settings: Any) -> str:
    """Presentation MathML of a sympy object, with the bare ``<``/``>`` sympy emits escaped."""
    from sympy.printing.mathml import mathml

    out = mathml(expr, printer="presentation", **settings)
    out = _RELATION.sub(lambda m: f"<mo>{html.escape(m.group(1))}</mo>", out)
    return _MINUS.sub(lambda m: f"<{m.group(1)}>&#8722;", out)  # a minus sign, not a hyphen


def _x(sub: str, base: str = "x") -> str:
    """``x`` (or ``base``) with subscript ``t``, ``t+1`` or ``t-1``."""
    if sub == "t":
        return f"<msub><mi>{base}</mi><mi>t</mi></msub>"
    sign = "+" if "+" in sub else "&#8722;"
    return f"<msub><mi>{base}</mi><mrow><mi>t</mi><mo>{sign}</mo><mn>1</mn></mrow></msub>"


def _eq(lhs: str, rhs: str) -> str:
    return f"<math display='block'><mrow>{lhs}<mo>=</mo>{rhs}</mrow></math>"


_A, _B, _G, _D, _MU, _RHO = "&#945;", "&#946;", "&#947;", "&#948;", "&#956;", "&#961;"
_STAR = "<mo>*</mo>"


def _update(m: Any) -> tuple[str, ...]:
    """The method's update rule, from its look-ahead ``gamma`` (and its design, for Triple Momentum)."""
    import sympy as sp

    from hbtheory import symbolic as s

    diff = f"<mrow><mo>(</mo>{_x('t')}<mo>&#8722;</mo>{_x('t-1')}<mo>)</mo></mrow>"
    momentum = f"<mo>+</mo><mi>{_B}</mi>{diff}" if m.uses_beta else ""
    if m.design is not None:
        b_e, g_e, d_e = m.design(s.r)
        grad = f"<mo>&#8711;</mo><mi>f</mi><mrow><mo>(</mo>{_x('t', 'y')}<mo>)</mo></mrow>"
        return (_eq(_x("t+1"), f"<mrow>{_x('t')}{momentum}<mo>&#8722;</mo><mi>{_A}</mi>{grad}</mrow>"),
                _eq(_x("t", "y"), f"<mrow>{_x('t')}<mo>+</mo><mi>{_G}</mi>{diff}</mrow>"),
                _eq(_x("t", "z"), f"<mrow>{_x('t')}<mo>+</mo><mi>{_D}</mi>{diff}</mrow>"),
                *(_eq(f"<mi>{sym}</mi>", _ml(sp.sympify(e))) for sym, e in ((_B, b_e), (_G, g_e), (_D, d_e))))
    gamma = sp.sympify(m.gamma(s.beta)) if m.gamma is not None else sp.Integer(0)
    point = _x("t") if gamma == 0 else f"<mrow>{_x('t')}<mo>+</mo>{_ml(gamma)}{diff}</mrow>"
    grad = f"<mo>&#8711;</mo><mi>f</mi><mrow><mo>(</mo>{point}<mo>)</mo></mrow>"
    return (_eq(_x("t+1"), f"<mrow>{_x('t')}{momentum}<mo>&#8722;</mo><mi>{_A}</mi>{grad}</mrow>"),)


def _items(name: str, *, amplification: bool) -> list[MathItem]:
    import sympy as sp

    from hbtheory import methods as _methods
    from hbtheory import symbolic as s

    m = _methods.get_method(name)
    det = "<mrow><mi>det</mi><mo>(</mo><mi>z</mi><mi>I</mi><mo>&#8722;</mo><mi>A</mi><mo>)</mo></mrow>"

    def matrix() -> tuple[tuple[str, ...], str]:
        a = s.iteration_matrix(name)
        return (_eq("<mi>A</mi>", _ml(a)),), "A = " + s.latex(a)

    def charpoly() -> tuple[tuple[str, ...], str]:
        p = s.characteristic_polynomial(name)
        return (_eq(det, _ml(p, order="grlex")),), r"\det(zI - A) = " + sp.latex(p, order="grlex")

    def disc() -> tuple[tuple[str, ...], str]:
        d = s.discriminant(name)
        factors = d.args if isinstance(d, sp.Mul) and len(d.args) > 2 else (d,)
        pairs = [sp.Mul(*factors[i:i + 2], evaluate=False) for i in range(0, len(factors), 2)]  # phone-sized lines
        lines = [_eq("<mi>D</mi>", _ml(pairs[0]))]
        lines += [f"<math display='block'><mrow><mo>&#8901;</mo>{_ml(p)}</mrow></math>" for p in pairs[1:]]
        return tuple(lines), "D = " + s.latex(d)

    def region() -> tuple[tuple[str, ...], str]:
        reg = s.convergence_region(name)
        lhs = f"<mrow><mi>{_RHO}</mi><mo>(</mo><mi>A</mi><mo>)</mo><mo>&lt;</mo><mn>1</mn></mrow>"
        conditions = reg.args if isinstance(reg, sp.And) else (reg,)  # one condition a line: fits a phone
        lines = [f"<math display='block'><mrow>{lhs}<mo>&#8660;</mo>{_ml(conditions[0])}</mrow></math>"]
        lines += [f"<math display='block'><mrow><mo>&#8743;</mo>{_ml(c)}</mrow></math>" for c in conditions[1:]]
        return tuple(lines), r"\rho(A) < 1 \iff " + s.latex(reg)

    def curves() -> tuple[tuple[str, ...], str]:
        c = s.critical_curves(name)
        return (tuple(_eq(f"<mi>{_B}</mi>", _ml(e)) for e in c.beta)
                + tuple(_eq(f"<mrow><mi>{_A}</mi><mi>h</mi></mrow>", _ml(v)) for v in c.alpha_h)), s.latex(c)

    def optimum() -> tuple[tuple[str, ...], str]:
        opt = s.optimal_parameters(name)
        pairs = [(f"<msup><mi>{_A}</mi>{_STAR}</msup>", opt.alpha), (f"<msup><mi>{_B}</mi>{_STAR}</msup>", opt.beta),
                 (f"<msup><mi>{_RHO}</mi>{_STAR}</msup>", opt.rho)]
        return tuple(_eq(lhs, _ml(e)) for lhs, e in pairs if m.uses_beta or _B not in lhs), ", ".join(
            opt._latex_parts()[:3])

    def optimum_kappa() -> tuple[tuple[str, ...], str]:
        opt = s.optimal_parameters(name)
        pairs = [(f"<mrow><msup><mi>{_A}</mi>{_STAR}</msup><mi>{_MU}</mi></mrow>", opt.alpha_mu),
                 (f"<msup><mi>{_B}</mi>{_STAR}</msup>", opt.beta_kappa),
                 (f"<msup><mi>{_RHO}</mi>{_STAR}</msup>", opt.rho_kappa)]
        return tuple(_eq(lhs, _ml(e)) for lhs, e in pairs if m.uses_beta or _B not in lhs), ", ".join(
            opt._latex_parts()[3:])

    def variance() -> tuple[tuple[str, ...], str]:
        v = s.stationary_variance(name)
        return ((_eq("<mrow><mi>Var</mi><mo>(</mo><mi>x</mi><mo>)</mo></mrow>", _ml(v)),),
                r"\operatorname{Var}(x) = " + s.latex(v))

    def steps() -> tuple[tuple[str, ...], str]:
        series = s.amplification_series()
        v_t = "<msub><mi>v</mi><mi>t</mi></msub>"
        lim = "<munder><mo>lim</mo><mrow><mi>t</mi><mo>&#8594;</mo><mi>&#8734;</mi></mrow></munder>"
        return ((_eq(v_t, _ml(series.transient)), _eq(f"{lim}{v_t}", _ml(series.steady))),
                s.latex(series.transient) + r",\quad " + s.latex(series.steady))

    parts = [("Iteration matrix", matrix), ("Characteristic polynomial", charpoly),
             ("Discriminant, factored", disc), ("Convergence region (Schur-Cohn / Jury)", region),
             ("Critical damping (D = 0)", curves), ("Optimal tuning on [μ, L]", optimum),
             ("... in terms of κ = L/μ", optimum_kappa), ("Stationary variance under gradient noise of variance σ²",
                                                          variance)]
    if amplification:
        parts.append(("Step under a constant gradient g, after t steps and in the limit", steps))
    items = [MathItem("Update rule", _update(m), m.update)]
    for title, build in parts:
        try:
            maths, tex = build()
        except ValueError as exc:  # a result hbtheory.symbolic does not derive for this method
            items.append(MathItem(title, (), "", note=str(exc).split(": ", 1)[-1]))
            continue
        items.append(MathItem(title, maths, tex))
    return items


def derivation_sections(methods: Sequence[str] = ("heavy_ball",)) -> list[DerivationSection]:
    """The derived results of each method, as MathML and LaTeX (sympy does the derivation).

    A result that :mod:`hbtheory.symbolic` does not derive for a method (Triple Momentum's
    equal-ripple optimum, for one) is listed with the reason instead.

    Examples
    --------
    >>> sec = derivation_sections(["gradient_descent"])[0]
    >>> sec.title, [i.title for i in sec.items][:3]
    ('Gradient descent', ['Update rule', 'Iteration matrix', 'Characteristic polynomial'])
    >>> "<mfrac><mn>2</mn>" in sec.items[6].mathml[0]   # alpha* = 2/(L + mu)
    True
    """
    from hbtheory import methods as _methods

    return [DerivationSection(name, _methods.get_method(name).title,
                              tuple(_items(name, amplification=(i == 0 and _methods.get_method(name).uses_beta))))
            for i, name in enumerate(methods)]


# ------------------------------------------------------------------------------------------ helpers


def _fmt(x: float, digits: int = 3) -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return "n/a" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, float) and x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.{digits}g}"


def _png_size(png: bytes) -> tuple[int, int]:
    """Pixel width and height from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("`png` is not a PNG image")
    w, h = struct.unpack(">II", png[16:24])
    return int(w), int(h)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _summary(checks: Sequence[Any]) -> tuple[int, int, int]:
    ran = [c for c in checks if not c.skipped]
    passed = sum(c.passed for c in ran)
    return passed, len(ran) - passed, len(checks) - len(ran)


_SHORT_KIND = {"relative error": "rel. error", "absolute error": "|difference|", "at most": "excess",
               "at least": "shortfall"}


# ------------------------------------------------------------------------------------------ page


def render_html(*, rows: list[dict[str, Any]], checks: list[Any], derivation: list[DerivationSection],
                figures: list[tuple[Any, bytes]], seconds: float, meta: dict[str, Any]) -> str:
    """The whole page; ``figures`` holds ``(spec, png)`` pairs, PNGs drawn at twice their display size."""
    from hbtheory.report import KINDS

    e = html.escape
    passed, failed, skipped = _summary(checks)
    fig_sections = [(key, heading) for key, heading in SECTIONS.items()
                    if any(spec.section == key for spec, _ in figures)]
    toc = ["<nav class='toc' aria-label='Contents'><b>Contents</b><ol>",
           f"<li><a href='#verification'>Verification ({passed + failed + skipped} checks)</a></li>",
           "<li><a href='#derivation'>Derivations</a><ol>"]
    toc += [f"<li><a href='#derivation-{_slug(sec.method)}'>{e(sec.title)}</a></li>" for sec in derivation]
    toc += ["</ol></li>", "<li><a href='#tuning'>Optimal tunings</a></li>"]
    toc += [f"<li><a href='#{key}'>{e(heading)}</a></li>" for key, heading in fig_sections]
    toc.append("</ol></nav>")

    out = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
           "<meta name='viewport' content='width=device-width, initial-scale=1'>",
           "<title>hbtheory report</title><style>", _CSS, "</style></head><body><main>",
           "<h1 id='top'>Momentum methods: the theory, computed and checked</h1>",
           f"<p class='lead'>Written by <code>hbtheory report</code> {e(str(meta.get('version', '')))} in "
           f"{seconds:.1f} s on {e(str(meta.get('device', 'cpu')))}"
           f"{' (quick mode)' if meta.get('quick') else ''}. Every number below was derived with sympy, computed "
           "with numpy or measured by running <code>torch.optim.SGD</code> itself.</p>",
           "<div class='summary'>",
           f"<div class='card {'good' if passed else 'neutral'}'><b>{passed}</b>checks passed</div>",
           f"<div class='card {'bad' if failed else 'good'}'><b>{failed}</b>checks failed</div>",
           f"<div class='card neutral'><b>{skipped}</b>skipped (optional dependency missing)</div>",
           f"<div class='card neutral'><b>{seconds:.0f} s</b>wall time</div></div>"]
    if meta.get("quick"):
        left_out = (re.sub(r"`([^`]+)`", r"<code>\1</code>", e(x)) for x in meta["left_out"])
        out.append("<p class='note'><b>Quick mode</b> leaves out: " + "; ".join(left_out)
                   + ". Run <code>hbtheory report</code> without <code>--quick</code> for everything.</p>")
    out += toc

    out.append("<h2 id='verification'>Verification</h2><p>Each claim of the theory, where it comes from, how it was "
               "checked, the computed value and the reference it is compared with. The <i>discrepancy</i> between "
               "them is one of these, named in each row; the tolerance is the largest discrepancy that passes, "
               "and a row also fails if it compared fewer cases than the claim needs or a value is not finite.</p>"
               "<dl class='kinds'>")
    out += [f"<dt>{e(_SHORT_KIND[k])}</dt><dd>{e(v)}</dd>" for k, v in KINDS.items()]
    out.append("</dl><table class='stack checks'><colgroup><col class='v'><col class='c'><col class='h'><col class='n'>"
               "<col class='n'><col></colgroup><thead><tr><th>verdict</th><th>claim</th><th>how it was checked</th>"
               "<th>computed</th><th>reference</th><th>discrepancy &le; tolerance</th></tr></thead><tbody>")
    for c in checks:
        test = (f"{e(_SHORT_KIND[c.kind])} {_fmt(c.discrepancy)} &le; {_fmt(c.tolerance)}" if not c.skipped
                else "not run")
        out.append(f"<tr class='{c.verdict}'><td data-label='verdict' class='v-{c.verdict}'>{c.verdict}</td>"
                   f"<td data-label='claim'>{e(c.claim)}<span class='cite'>{e(c.citation)}</span></td>"
                   f"<td data-label='how'>{e(c.how)}<small>cases compared: {c.cases} (needs {c.min_cases})</small></td>"
                   f"<td data-label='computed' class='num'>{_fmt(c.computed, 8)}</td>"
                   f"<td data-label='reference' class='num'>{_fmt(c.reference, 8)}</td>"
                   f"<td data-label='test' class='num test'>{test}<small>{e(c.tolerance_means)}</small></td></tr>")
    out.append("</tbody></table>")

    out.append("<h2 id='derivation'>Derivations</h2><p>Derived by <code>hbtheory.symbolic</code> (sympy) from each "
               "method's two characteristic coefficients; nothing is typed in. The LaTeX source of each section is "
               "one click away.</p>")
    for sec in derivation:
        out.append(f"<h3 id='derivation-{_slug(sec.method)}'>{e(sec.title)}</h3><div class='deriv'>")
        for item in sec.items:
            maths = "".join(item.mathml) or f"<small class='cite'>not derived symbolically: {e(item.note)}</small>"
            out.append(f"<div class='what'>{e(item.title)}</div><div class='math'>{maths}</div>")
        out.append("</div><details><summary>LaTeX</summary><pre class='tex'>"
                   + e("\n".join(f"% {i.title}\n{i.latex}" for i in sec.items if i.latex)) + "</pre></details>")

    out.append("<h2 id='tuning'>Optimal tunings on the spectrum [1/&kappa;, 1]</h2><p>From "
               "<code>hbtheory.optimal_parameters</code>: the step size &alpha;, momentum &beta; and worst-case rate "
               "of each method, and the iterations to reduce the error by 10<sup>6</sup>.</p><table class='tuning'>"
               "<thead><tr><th>method</th><th class='num'>&alpha;</th><th class='num'>&beta;</th>"
               "<th class='num'>rate</th><th class='num'>iterations</th></tr>"
               "</thead><tbody>")
    kappa = None
    for r in rows:
        if r["kappa"] != kappa:
            kappa = r["kappa"]
            out.append(f"<tr class='group'><th colspan='5'>&kappa; = {kappa:g}</th></tr>")
        short = str(r["title"]).split(" (")[0]  # the citation is in the derivation's heading
        out.append(f"<tr><td>{e(short)}</td><td class='num'>{r['alpha']:.6g}</td><td class='num'>{r['beta']:.6g}</td>"
                   f"<td class='num'>{r['rate']:.6g}</td><td class='num'>{r['iterations_1e-6']}</td></tr>")
    out.append("</tbody></table>")

    number = 0
    for key, heading in fig_sections:
        out.append(f"<h2 id='{key}'>{e(heading)}</h2>")
        for spec, png in ((s, p) for s, p in figures if s.section == key):
            number += 1
            w, h = _png_size(png)
            data = base64.b64encode(png).decode("ascii")
            out.append(f"<figure id='fig-{e(spec.name)}'><img alt='{e(spec.caption)}' width='{w // 2}' "
                       f"height='{h // 2}' src='data:image/png;base64,{data}'>"
                       f"<figcaption><b>Figure {number}.</b> {e(spec.caption)}</figcaption></figure>")
    out.append("<p><a href='#top'>Back to the top</a></p></main></body></html>")
    return "\n".join(out)


def render_markdown(*, rows: list[dict[str, Any]], checks: list[Any], derivation: list[DerivationSection],
                    figures: list[Any], seconds: float, meta: dict[str, Any]) -> str:
    """The Markdown twin of the page (figures referenced as files under ``figures/``, maths as LaTeX)."""
    passed, failed, skipped = _summary(checks)
    out = ["# hbtheory report", "",
           f"{passed} of {passed + failed} checks passed in {seconds:.1f} s"
           + (f" ({skipped} skipped)." if skipped else ".")]
    if meta.get("quick"):
        out += ["", "Quick mode leaves out: " + "; ".join(meta["left_out"]) + "."]
    out += ["", "## Verification", "",
            "| verdict | claim | how | computed | reference | discrepancy <= tolerance |",
            "| --- | --- | --- | ---: | ---: | --- |"]
    for c in checks:
        verdict = {"FAIL": "**FAIL**"}.get(c.verdict, c.verdict)
        test = f"{_SHORT_KIND[c.kind]} {_fmt(c.discrepancy)} <= {_fmt(c.tolerance)}" if not c.skipped else "not run"
        out.append(f"| {verdict} | {c.claim} ({c.citation}) | {c.how}; cases {c.cases}; tolerance: "
                   f"{c.tolerance_means} | {_fmt(c.computed, 10)} | {_fmt(c.reference, 10)} | {test} |")
    out += ["", "## Derivations"]
    for sec in derivation:
        out += ["", f"### {sec.title}", ""]
        out += [f"- **{item.title}**: $${item.latex}$$" if item.latex else f"- **{item.title}**: not derived "
                f"symbolically ({item.note})" for item in sec.items]
    out += ["", "## Optimal tunings on the spectrum [1/kappa, 1]", "",
            "| kappa | method | alpha | beta | rate | iterations to 1e-6 |",
            "| ---: | --- | ---: | ---: | ---: | ---: |"]
    for r in rows:
        out.append(f"| {r['kappa']:g} | {r['title']} | {r['alpha']:.6g} | {r['beta']:.6g} | {r['rate']:.6g} | "
                   f"{r['iterations_1e-6']} |")
    for key, heading in SECTIONS.items():
        figs = [spec for spec in figures if spec.section == key]
        if figs:
            out += ["", f"## {heading}", ""]
            out += [f"![{spec.name}](figures/{spec.name}.png)\n\n{spec.caption}\n" for spec in figs]
    out.append("")
    return "\n".join(out)
