"""Rendering of the report: one self-contained HTML page (figures embedded) and its Markdown twin.

The page needs no network: formulas are shown as sympy's Unicode pretty-printing (with the LaTeX
source one click away), figures are embedded as base64 PNG, and the style sheet is inline.
"""

from __future__ import annotations

import base64
import html
import math
from typing import Any

SECTIONS = {
    "theory": "Where heavy ball converges, and how fast",
    "experiments": "The chapter's and the notes' experiments, run with torch.optim.SGD",
    "beyond": "Where the quadratic theory stops",
}

_CSS = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; background: #f6f7f9;
       margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; background: #fff;
       box-shadow: 0 0 24px rgba(0,0,0,.06); }
h1 { font-size: 30px; margin: 8px 0 4px; } h2 { margin-top: 40px; border-bottom: 2px solid #e3e6ec;
padding-bottom: 4px; } h3 { margin-bottom: 4px; }
.lead { color: #4a5468; margin-top: 0; }
.summary { display: flex; gap: 16px; flex-wrap: wrap; margin: 20px 0; }
.card { flex: 1 1 160px; border-radius: 10px; padding: 12px 16px; background: #f1f4f8; }
.card b { display: block; font-size: 28px; }
.pass b { color: #1a7f37; } .fail b { color: #cf222e; } .skip b { color: #7d8590; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 12px 0; }
th, td { border-bottom: 1px solid #e3e6ec; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f1f4f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.v-PASS { color: #1a7f37; font-weight: 700; } .v-FAIL { color: #cf222e; font-weight: 700; }
.v-SKIP { color: #7d8590; font-weight: 700; }
pre.math { background: #f6f8fa; border-radius: 8px; padding: 10px 14px; overflow-x: auto; font-size: 14px;
           line-height: 1.25; }
details { margin: 2px 0 12px; } summary { cursor: pointer; color: #4a5468; font-size: 13px; }
figure { margin: 18px 0 28px; } figure img { max-width: 100%; border: 1px solid #e3e6ec; border-radius: 6px; }
figcaption { color: #4a5468; font-size: 14px; margin-top: 6px; }
code { background: #f1f4f8; padding: 1px 4px; border-radius: 4px; }
"""


def _fmt(x: float) -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return "n/a" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:.3g}"


def render_html(*, rows: list[dict[str, Any]], checks: list[Any], derivation: list[tuple[str, str, str]],
                figures: list[tuple[Any, bytes]], seconds: float, meta: dict[str, Any]) -> str:
    """The whole page. ``derivation`` holds ``(title, unicode, latex)``; ``figures`` ``(spec, png)``."""
    e = html.escape
    ran = [c for c in checks if not c.skipped]
    passed = sum(c.passed for c in ran)
    failed = len(ran) - passed
    skipped = len(checks) - len(ran)
    out = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
           "<meta name='viewport' content='width=device-width, initial-scale=1'>",
           "<title>hbtheory report</title><style>", _CSS, "</style></head><body><main>",
           "<h1>Heavy-ball momentum: the theory, computed and checked</h1>",
           f"<p class='lead'>Written by <code>hbtheory report</code> {e(str(meta.get('version', '')))} in "
           f"{seconds:.1f} s on {e(str(meta.get('device', 'cpu')))}"
           f"{' (quick mode)' if meta.get('quick') else ''}. Every number below was derived with sympy, computed "
           "with numpy or measured by running <code>torch.optim.SGD</code> itself.</p>",
           "<div class='summary'>",
           f"<div class='card pass'><b>{passed}</b>checks passed</div>",
           f"<div class='card fail'><b>{failed}</b>checks failed</div>",
           f"<div class='card skip'><b>{skipped}</b>skipped (optional dependency missing)</div>",
           f"<div class='card'><b>{seconds:.0f} s</b>wall time</div></div>"]

    out.append("<h2>Verification</h2><p>Each claim of the theory, how it was checked, what was measured "
               "and the tolerance it had to meet.</p><table><tr><th>claim</th><th>how it was checked</th>"
               "<th>measured</th><th>tolerance</th><th>verdict</th></tr>")
    for c in checks:
        out.append(f"<tr><td>{e(c.claim)}</td><td>{e(c.how)}</td><td class='num'>{_fmt(c.measured)}</td>"
                   f"<td class='num'>{_fmt(c.tolerance)}</td><td class='v-{c.verdict}'>{c.verdict}</td></tr>")
    out.append("</table>")

    out.append("<h2>Derivation (heavy ball)</h2><p>Derived by <code>hbtheory.symbolic</code> from the "
               "method's two characteristic coefficients; nothing is typed in.</p>")
    for title, pretty, latex in derivation:
        out.append(f"<h3>{e(title)}</h3><pre class='math'>{e(pretty)}</pre>"
                   f"<details><summary>LaTeX</summary><pre class='math'>{e(latex)}</pre></details>")

    out.append("<h2>Optimal parameters on the spectrum [1/&kappa;, 1]</h2><table><tr><th>&kappa;</th>"
               "<th>method</th><th>&alpha;</th><th>&beta;</th><th>rate</th><th>iterations to 1e-6</th></tr>")
    for r in rows:
        out.append(f"<tr><td class='num'>{r['kappa']:g}</td><td>{e(r['title'])}</td>"
                   f"<td class='num'>{r['alpha']:.6g}</td><td class='num'>{r['beta']:.6g}</td>"
                   f"<td class='num'>{r['rate']:.6g}</td><td class='num'>{r['iterations_1e-6']}</td></tr>")
    out.append("</table>")

    for key, heading in SECTIONS.items():
        figs = [(spec, png) for spec, png in figures if spec.section == key]
        if not figs:
            continue
        out.append(f"<h2>{e(heading)}</h2>")
        for spec, png in figs:
            data = base64.b64encode(png).decode("ascii")
            out.append(f"<figure><img alt='{e(spec.name)}' src='data:image/png;base64,{data}'>"
                       f"<figcaption>{e(spec.caption)}</figcaption></figure>")
    out.append("</main></body></html>")
    return "\n".join(out)


def render_markdown(*, rows: list[dict[str, Any]], checks: list[Any], derivation: list[tuple[str, str, str]],
                    figures: list[Any], seconds: float) -> str:
    """The Markdown twin of the page (figures referenced as files under ``figures/``)."""
    ran = [c for c in checks if not c.skipped]
    out = ["# hbtheory report", "",
           f"{sum(c.passed for c in ran)} of {len(ran)} checks passed in {seconds:.1f} s"
           + (f" ({len(checks) - len(ran)} skipped)." if len(ran) < len(checks) else "."), "",
           "## Verification", "", "| claim | how | measured | tolerance | verdict |",
           "| --- | --- | ---: | ---: | --- |"]
    for c in checks:
        verdict = {"FAIL": "**FAIL**"}.get(c.verdict, c.verdict)
        out.append(f"| {c.claim} | {c.how} | {_fmt(c.measured)} | {_fmt(c.tolerance)} | {verdict} |")
    out += ["", "## Derivation (heavy ball)", ""]
    for title, _pretty, latex in derivation:
        out.append(f"- **{title}**: $${latex}$$")
    out += ["", "## Optimal parameters on the spectrum [1/kappa, 1]", "",
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


def derivation_items(method: str = "heavy_ball") -> list[tuple[str, str, str]]:
    """``(title, unicode pretty-print, LaTeX)`` of each derived result, for the page."""
    import sympy as sp

    from hbtheory import symbolic as s

    def item(title: str, expr: Any) -> tuple[str, str, str]:
        return title, sp.pretty(expr, use_unicode=True, wrap_line=False), sp.latex(expr)

    opt = s.optimal_parameters(method)
    series = s.amplification_series()
    curves = s.critical_curves(method)
    return [
        item("Iteration matrix A(α, β, h)", s.iteration_matrix(method)),
        item("Characteristic polynomial det(zI − A)", s.characteristic_polynomial(method)),
        item("Discriminant, factored", s.discriminant(method)),
        item("Convergence region (Schur–Cohn / Jury)", s.convergence_region(method)),
        item("Critical-damping curves β(αh)", sp.Tuple(*curves.beta)),
        item("Optimal step size α*", opt.alpha),
        item("Optimal momentum β*(κ)", opt.beta_kappa),
        item("Optimal rate ρ*(κ)", opt.rho_kappa),
        item("Velocity under a constant gradient g after t steps", series.transient),
        item("Stationary variance under gradient noise σ²", s.stationary_variance(method)),
    ]
