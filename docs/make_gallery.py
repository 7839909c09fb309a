"""Regenerate the figure gallery: ``docs/figures/*.png`` and ``docs/gallery.md``.

    python docs/make_gallery.py [--out docs] [--dpi 90]

Every figure is drawn by a function of :mod:`hbtheory.plots` from data computed by the other
layers. Figures of torch runs are skipped with a message when torch is absent, the PEPit
comparison when PEPit is absent (an existing PNG is then kept and still listed). Each PNG must stay
under 150 kB (a larger one is stored with a 256-colour palette); the script fails otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

MAX_BYTES = 150_000
KAPPA = 100.0


@dataclass(frozen=True)
class Entry:
    name: str
    title: str
    text: str
    needs: str | None
    make: Callable[[], Figure]


def _heatmap(method: str) -> Figure:
    from hbtheory import plots
    from hbtheory.grids import gfj_applies

    return plots.rho_heatmap(mu=1.0 / KAPPA, L=1.0, method=method, gfj=gfj_applies(method))


def _universal_map() -> Figure:
    from hbtheory import plots

    return plots.universal_map(kappa=KAPPA)


def _locus() -> Figure:
    import numpy as np

    from hbtheory import plots

    return plots.eigenvalue_locus(np.linspace(0.01, 3.3, 600), 0.5, 1.0)


def _chapter_2d() -> Figure:
    from hbtheory import plots
    from hbtheory.empirical import chapter_2d

    res = chapter_2d()
    paths = {}
    for gd, hb in zip(res.gradient_descent, res.momentum, strict=True):
        start = f"({gd.start[0]:g}, {gd.start[1]:g})"
        paths[f"gradient descent from {start}"] = gd.trajectory
        paths[f"momentum from {start}"] = hb.trajectory
    return plots.trajectories_2d(paths, hessian=2.0 * res.momentum[0].coefficients, axis_labels=("$x$", "$y$"),
                                 title=f"$x^2 + 10y^2$: {res.steps} iterations at the optimal tunings")


def _notes_2d() -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from hbtheory import plots
    from hbtheory.empirical import notes_2d

    fig = Figure(figsize=(10.0, 7.0), layout="constrained")
    FigureCanvasAgg(fig)
    for ax, (eta, beta) in zip(fig.subplots(2, 2).ravel(), [(0.4, 0.0), (0.6, 0.0), (0.6, 0.5), (0.6, 0.25)],
                               strict=True):
        run = notes_2d(eta, beta)
        label = f"eta = {eta:g}, beta = {beta:g}"
        # the diverging run (rate > 1) is shown up to where it leaves a view of the start's size
        view = {"xlim": (-5.5, 0.5), "ylim": (-4.5, 4.5)} if run.predicted_rate > 1.0 else {}
        plots.trajectories_2d({label: run.trajectory}, hessian=2.0 * run.coefficients, ax=ax,
                              title=f"{label}: rate {run.predicted_rate:.3f}", **view)
    fig.suptitle("The notes' runs on $0.1 x_1^2 + 2 x_2^2$ from $(-5, -2)$, 20 steps of torch.optim.SGD")
    return fig


def _loss_curves() -> Figure:
    from hbtheory import plots
    from hbtheory.empirical import chapter_network

    run = chapter_network()
    return plots.loss_curves({"SGD": run.sgd_epoch_losses, f"momentum {run.momentum:g}": run.momentum_epoch_losses},
                             xlabel="epoch", ylabel="full-data loss",
                             title="The chapter's 1-20-1 ReLU network: SGD against momentum")


def _momentum_weights() -> Figure:
    from hbtheory import plots

    return plots.momentum_weights()


def _decay_curves() -> Figure:
    from hbtheory import plots

    return plots.decay_curves((0.1, 1.0, 10.0, 19.0), eta=0.1)


def _rate_vs_kappa() -> Figure:
    from hbtheory import plots

    return plots.rate_vs_kappa(methods=("gradient_descent", "nesterov", "heavy_ball", "triple_momentum"))


def _family_maps() -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.patches import Patch

    from hbtheory import plots
    from hbtheory.grids import rho_grid
    from hbtheory.methods import get_method

    fig = Figure(figsize=(10.0, 8.2), layout="constrained")
    FigureCanvasAgg(fig)
    legend: dict[str, object] = {}
    for ax, name in zip(fig.subplots(2, 2).ravel(), ("gradient_descent", "heavy_ball", "nesterov", "triple_momentum"),
                        strict=True):
        m = get_method(name)
        grid = rho_grid(mu=1.0 / KAPPA, L=1.0, method=m, n=150)
        plots.rho_heatmap(grid, ax=ax, title=m.title, legend=False)
        if grid.optimum is not None:
            a, b, r = grid.optimum
            ax.annotate(f"optimum: α = {a:.4g}, β = {b:.4g}, ρ = {r:.4g}", xy=(0.02, 0.04), xycoords="axes fraction",
                        fontsize=9, bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85})
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if not label.startswith(("optimum", "Gradient")):
                legend.setdefault(label, handle)
    legend[r"$\rho \geq 1$: divergence"] = Patch(facecolor=plots.DIVERGENT_COLOUR, edgecolor="0.5")
    fig.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=3, frameon=False)
    fig.suptitle(f"Worst-case rate over the spectrum [1/κ, 1], κ = {KAPPA:g}, for four members of the family")
    return fig


def _cycle() -> Figure:
    from hbtheory import plots
    from hbtheory.counterexamples import cycle_figure_data

    return plots.cycle_plot(cycle_figure_data())


def _pep() -> Figure:
    from hbtheory import plots
    from hbtheory.pep import pep_comparison

    return plots.pep_plot(pep_comparison(range(1, 9), 25.0))


def _robust_map() -> Figure:
    from hbtheory import plots

    return plots.robust_map(mu=1.0 / 25.0, L=1.0, n=40)


def _mean_square_region() -> Figure:
    import numpy as np

    from hbtheory import plots
    from hbtheory.stochastic import mean_square_map

    return plots.mean_square_region_plot(mean_square_map(np.linspace(0.01, 2.2, 300), np.linspace(0.0, 0.99, 300)))


def _batch_size() -> Figure:
    from hbtheory import plots
    from hbtheory.stochastic import mean_square_optimal

    return plots.batch_size_plot([mean_square_optimal([1.0, 1.0 / KAPPA], batch_size=b)
                                  for b in (1, 2, 4, 8, 16, 32, 64, 128)])


ENTRIES = [
    Entry("rho_heatmap_heavy_ball", "Heavy ball: worst-case rate over step size and momentum",
          f"The worst rate of heavy ball over every quadratic with spectrum in [1/κ, 1], κ = {KAPPA:g}, with the "
          "boundary ρ = 1, labelled iso-rate contours, the critical-damping curves at both ends of the spectrum, "
          "Polyak's optimum, and (hatched) the smaller region of Ghadimi, Feyzmahdavian and Johansson where heavy "
          "ball converges on every smooth strongly convex function (`plots.rho_heatmap(mu=0.01, L=1, gfj=True)`).",
          None,
          lambda: _heatmap("heavy_ball")),
    Entry("rho_heatmap_nesterov", "Nesterov: worst-case rate over step size and momentum",
          f"The same for Nesterov's method, κ = {KAPPA:g} (`plots.rho_heatmap(mu=0.01, L=1, method=\"nesterov\")`).",
          None, lambda: _heatmap("nesterov")),
    Entry("family_rate_maps", "The family side by side",
          f"Gradient descent (its rate against the step size: it has no momentum axis), heavy ball, Nesterov and "
          f"Triple Momentum on the same spectrum, κ = {KAPPA:g}, each with its optimum "
          "(`grids.rho_grid` for each method, drawn by `plots.rho_heatmap(grid, ax=...)`; "
          "`python examples/family.py --out DIR`).", None, _family_maps),
    Entry("universal_map", "The universal map of heavy ball",
          "The spectral radius over (αh, β), one map for every curvature, with its four regions named and the "
          f"optimal tuning for κ = {KAPPA:g} as the segment α*[μ, L] (`plots.universal_map(kappa=100)`).", None,
          _universal_map),
    Entry("eigenvalue_locus", "Eigenvalues as the step size grows",
          "The two eigenvalues of heavy ball's iteration matrix (β = 0.5, h = 1) coloured by α: real, then a "
          "complex pair on the circle of radius √β, then real again until one leaves the unit circle at "
          "αh = 2(1 + β) (`plots.eigenvalue_locus`).", None, _locus),
    Entry("chapter_2d_trajectories", "The chapter's two-dimensional comparison",
          "Gradient descent and momentum, each at its optimal tuning, 15 steps of `torch.optim.SGD` on "
          "x² + 10y² from two starts, on equal axes so that the level sets show the conditioning "
          "(`hbtheory.empirical.chapter_2d`, drawn by `plots.trajectories_2d`).",
          "torch", _chapter_2d),
    Entry("notes_2d_traces", "The notes' traces",
          "The notes' four d2l runs on 0.1x₁² + 2x₂² from (−5, −2): η = 0.4 converges slowly, η = 0.6 diverges "
          "in x₂, and momentum 0.5 or 0.25 rescues it (`hbtheory.empirical.notes_2d`, four "
          "`plots.trajectories_2d` panels).", "torch", _notes_2d),
    Entry("loss_curves", "Loss curves of the chapter's network",
          "Full-data loss per epoch of the chapter's 1-20-1 ReLU network trained by SGD and by SGD with "
          "momentum 0.8 (`hbtheory.empirical.chapter_network`, drawn by `plots.loss_curves`).", "torch",
          _loss_curves),
    Entry("momentum_weights", "Momentum averages past gradients",
          "The weight β^i of the gradient from i steps ago, and under a constant gradient the step growing to "
          "the amplification 1/(1 − β) (`plots.momentum_weights`).", None, _momentum_weights),
    Entry("decay_curves", "Gradient descent's error factor",
          "(1 − ηλ)^t for the notes' curvatures λ = 0.1, 1, 10, 19 at η = 0.1: slow decay, one-step "
          "convergence, and sign-alternating decay (`plots.decay_curves`).", None, _decay_curves),
    Entry("rate_vs_kappa", "Optimal rates against the condition number",
          "The gap 1 − ρ* and the iterations to 10⁻⁶ of gradient descent, Nesterov, heavy ball and Triple "
          "Momentum at their optimal tunings on quadratics: slopes 1/κ against 1/√κ "
          "(`plots.rate_vs_kappa(methods=...)`).", None, _rate_vs_kappa),
    Entry("counterexample_cycle", "Heavy ball cycles on a smooth strongly convex function",
          "The Lessard-Recht-Packard function (μ = 1, L = 25): heavy ball at Polyak's tuning falls onto a "
          "period-3 cycle while Nesterov and gradient descent converge; every iterate is in view, the first "
          "steps of heavy ball included "
          "(`hbtheory.counterexamples.cycle_figure_data`, drawn by `plots.cycle_plot`).", None, _cycle),
    Entry("pep_comparison", "Worst cases beyond quadratics (PEPit)",
          "At Polyak's tuning for κ = 25, the exact worst case of n steps over quadratics (`hbtheory.worst_case`), "
          "PEPit's over quadratics (on it) and PEPit's over every smooth strongly convex function, which grows "
          "(`hbtheory.pep.pep_comparison`, drawn by `plots.pep_plot`).", "PEPit", _pep),
    Entry("robust_map", "Certified, cycling or unknown: heavy ball on every smooth strongly convex function",
          "κ = 25: where a rate is certified on every 0.04-strongly convex 1-smooth function (the "
          "Lessard-Recht-Packard IQC LMIs, shaded by the rate), where a cycle on a regular polygon is proven "
          "(Goujaud, Taylor and Dieuleveut; darker: shorter period), and the unknown rest, with the boundary of "
          "convergence on quadratics and Polyak's tuning, which cycles (`hbtheory.robust.robust_map_data`, drawn "
          "by `plots.robust_map`; `python examples/beyond_quadratics.py --out DIR`).", None, _robust_map),
    Entry("mean_square_region", "Minibatch noise shrinks the stable region",
          "Heavy ball on one curvature h with sampled gradients whose curvature has variance 2h² (a Gaussian "
          "feature, batch size 1): the rate of E x² with exact gradients and with sampling; the sampled region is "
          "αh < 2(1 − β²)/(3 + β) (`hbtheory.stochastic.mean_square_map`, drawn by "
          "`plots.mean_square_region_plot`).", None, _mean_square_region),
    Entry("batch_size_speedup", "What momentum buys with minibatches",
          f"Least squares with Gaussian features and curvatures 1 and 1/{KAPPA:g}: how many plain-SGD steps one "
          "heavy-ball step is worth at the mean-square optimum of each, by batch size, against the exact-gradient "
          "speed-up ≈ √κ (`hbtheory.stochastic.mean_square_optimal`, drawn by `plots.batch_size_plot`; "
          "`python examples/minibatch_momentum.py --out DIR`).", None, _batch_size),
]


def _save(fig: Figure, path: Path, dpi: float) -> None:
    """Save ``fig``; a PNG above the size limit (smooth colour maps compress badly) is stored with
    a 256-colour median-cut palette, Floyd-Steinberg dithered so that gradients show no bands."""
    fig.savefig(path, dpi=dpi)
    if path.stat().st_size > MAX_BYTES:
        from PIL import Image

        with Image.open(path) as image:
            rgb = image.convert("RGB")
        palette = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        rgb.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)


def _missing(module: str | None) -> bool:
    if module is None:
        return False
    needed = [module, "cvxpy"] if module == "PEPit" else [module]
    return any(importlib.util.find_spec(m) is None for m in needed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="the docs directory")
    parser.add_argument("--dpi", type=float, default=90.0)
    args = parser.parse_args(argv)
    figures = args.out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    sections = []
    too_big = []
    for entry in ENTRIES:
        path = figures / f"{entry.name}.png"
        if _missing(entry.needs):
            print(f"skipped {entry.name}: needs {entry.needs}" + (" (kept the existing PNG)" if path.exists() else ""))
            if not path.exists():
                continue
        else:
            _save(entry.make(), path, args.dpi)
            size = path.stat().st_size
            print(f"wrote {path} ({size / 1000:.0f} kB)")
            if size > MAX_BYTES:
                too_big.append(f"{path.name}: {size / 1000:.0f} kB")
        sections.append(f"## {entry.title}\n\n{entry.text}\n\n![{entry.title}](figures/{entry.name}.png)\n")
    gallery = args.out / "gallery.md"
    gallery.write_text(
        "# Gallery\n\nThe figures of the chapter and the notes, drawn by `hbtheory.plots` "
        "(regenerate with `python docs/make_gallery.py`).\n\n" + "\n".join(sections)
    )
    print(f"wrote {gallery} ({len(sections)} figures)")
    if too_big:
        print("larger than 150 kB: " + ", ".join(too_big))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
