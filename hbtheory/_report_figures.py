"""The report's figures: each one a call into :mod:`hbtheory.plots` on results already computed."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

KAPPA = 100.0
#: The figures of ``hbtheory report --quick`` (the others take most of a full report's drawing time).
QUICK_FIGURES = ("heatmap_heavy_ball", "momentum_weights", "counterexample_cycle")


@dataclass(frozen=True)
class FigureSpec:
    """A figure of the report: file stem, section, caption and the function that draws it."""

    name: str
    section: str
    caption: str
    draw: Callable[[], Any]


#: The batch sizes of the report's speed-up figure, and its spectrum (kappa = 100, d = 2).
BATCH_SIZES = (1, 4, 16, 64)


def stochastic_data(n: int) -> tuple[Any, list[Any]]:
    """The data of the stochastic figures: the mean-square map (``n`` x ``n``) and one tuning per batch size."""
    from hbtheory import stochastic

    region = stochastic.mean_square_map(np.linspace(0.01, 2.2, n), np.linspace(0.0, 0.99, n))
    return region, list(_batch_tunings())


@functools.cache
def _batch_tunings() -> tuple[Any, ...]:
    # the mean-square optimum per batch size (about 3 s, deterministic): computed once per process
    from hbtheory import stochastic

    return tuple(stochastic.mean_square_optimal([1.0, 1.0 / KAPPA], batch_size=b) for b in BATCH_SIZES)


def _stochastic_specs(n: int, data: tuple[Any, list[Any]] | None = None) -> list[FigureSpec]:
    from hbtheory import plots

    region, tunings = stochastic_data(n) if data is None else data
    return [
        FigureSpec("mean_square_region", "stochastic",
                   "Heavy ball on one curvature h with sampled gradients whose curvature varies (variance "
                   "2h², a Gaussian feature at batch size 1): the rate of E x² with exact gradients (left) and "
                   "with sampling (right). Sampling shrinks the stable region to αh < 2(1 − β²)/(3 + β): below "
                   "2/3 at β = 0, and to nothing as β → 1.",
                   lambda: plots.mean_square_region_plot(region)),
        FigureSpec("batch_size_speedup", "stochastic",
                   f"What momentum buys with minibatches (least squares, Gaussian features, curvatures 1 and "
                   f"1/{KAPPA:g}): how many plain-SGD steps one heavy-ball step is worth at the mean-square optimum "
                   "of each, against the exact-gradient speed-up ≈ √κ. At batch size 1 it is almost nothing "
                   "(Kidambi et al. 2018); it grows with the batch.",
                   lambda: _batch_figure(tunings)),
    ]


def _batch_figure(tunings: list[Any]) -> Any:
    # wide and short like the report's other single-panel figures (the default shape reads too large)
    from matplotlib.figure import Figure

    from hbtheory import plots

    fig = Figure(figsize=(8.0, 3.8), layout="constrained")
    ax = fig.add_subplot()
    plots.batch_size_plot(tunings, ax=ax,
                          title=f"Heavy ball at its mean-square optimum against plain SGD at its own (κ = {KAPPA:g})")
    ax.set_ylabel("speed-up over SGD\n(log r / log r_SGD)")
    return fig


def figure_specs(artefacts: dict[str, Any], *, quick: bool = False) -> list[FigureSpec]:
    """The figures to draw, given the runs of the empirical checks (``artefacts``, maybe empty)."""
    from hbtheory import plots
    from hbtheory.tuning import optimal_parameters

    t = optimal_parameters(kappa=KAPPA)
    n = 120 if quick else 320
    specs = [
        FigureSpec("heatmap_heavy_ball", "theory",
                   f"Worst-case rate of heavy ball over the spectrum [1/{KAPPA:g}, 1]: the ρ = 1 boundary, the "
                   "critical-damping curves at μ and L, gradient descent's line β = 0, Polyak's optimum, and "
                   "the region where convergence is proven for every smooth strongly convex function.",
                   lambda: plots.rho_heatmap(mu=t.mu, L=t.L, n=n, gfj=True)),
        FigureSpec("heatmap_nesterov", "theory",
                   "The same map for Nesterov's method, with its optimum (Lessard, Recht and Packard 2016).",
                   lambda: plots.rho_heatmap(mu=t.mu, L=t.L, method="nesterov", n=n)),
        FigureSpec("universal_map", "theory",
                   "ρ depends on α and h only through αh: the universal map with its four regimes; "
                   f"the segment is Polyak's tuning for κ = {KAPPA:g}.",
                   lambda: plots.universal_map(kappa=KAPPA, n=n)),
        FigureSpec("eigenvalue_locus", "theory",
                   "Eigenvalues of A as the step size grows (β = 0.5, h = 1): real, then a circle of radius "
                   "√β between the critical curves, then real again and out of the unit circle.",
                   lambda: plots.eigenvalue_locus(np.linspace(0.01, 3.2, 400), 0.5, 1.0)),
        FigureSpec("rate_vs_kappa", "theory",
                   "Optimal rates and iterations to 1e-6 against κ: O(κ) for gradient descent, "
                   "O(√κ) for the momentum methods.",
                   lambda: plots.rate_vs_kappa(np.logspace(0.3, 6, 40))),
        FigureSpec("momentum_weights", "theory",
                   "Weights βᵗ of past gradients in the velocity, and the step under a constant gradient "
                   "approaching the 1/(1 − β) amplification.",
                   lambda: plots.momentum_weights([0.95, 0.9, 0.6, 0.0])),
        FigureSpec("decay_curves", "theory",
                   "The notes' (1 − ηλ)ᵗ for η = 0.1: gradient descent on each eigen-direction.",
                   lambda: plots.decay_curves([0.1, 1.0, 10.0, 19.0], eta=0.1)),
    ]
    if "chapter_2d" in artefacts:
        ch = artefacts["chapter_2d"]
        traj = {f"GD, α = {ch.gd_alpha:.3g}, from {tuple(r.start.tolist())}": r.trajectory
                for r in ch.gradient_descent}
        traj.update({f"momentum, α = {ch.hb_alpha:.3g}, β = {ch.hb_beta:.3g}, from "
                     f"{tuple(r.start.tolist())}": r.trajectory for r in ch.momentum})
        specs.append(FigureSpec("chapter_trajectories", "experiments",
                                "The chapter's f = x² + 10y², 15 iterations of torch.optim.SGD from (10, 1) and "
                                "(-10, -1): gradient descent at its best step against momentum at the optimum for "
                                "this spectrum.",
                                lambda: plots.trajectories_2d(traj, (2.0, 20.0))))
    if "notes" in artefacts:
        notes = artefacts["notes"]
        traj2 = {f"η = {k[0]}, β = {k[1]}": r.trajectory for k, r in notes.items() if k != (0.6, 0.0)}
        specs.append(FigureSpec("notes_trajectories", "experiments",
                                "The notes' f = 0.1x₁² + 2x₂² from (-5, -2), 20 steps of torch.optim.SGD "
                                "(η = 0.6 without momentum diverges and is left out).",
                                lambda: plots.trajectories_2d(traj2, (0.2, 4.0))))
    if "network" in artefacts:
        net = artefacts["network"]
        specs.append(FigureSpec("network_losses", "experiments",
                                "The chapter's 1-20-1 ReLU network: full-data loss after each epoch, SGD against "
                                "momentum 0.8 (lr 0.01, batch 32).",
                                lambda: plots.loss_curves({"SGD": net.sgd_epoch_losses,
                                                           "momentum 0.8": net.momentum_epoch_losses},
                                                          xlabel="epoch")))
    if "comparison" in artefacts:
        cmp = artefacts["comparison"]
        specs.append(FigureSpec("rates_scatter", "experiments",
                                "Rates measured by running torch's update on a grid of (α, β) against "
                                "spectral_radius.",
                                lambda: plots.rates_scatter(np.ravel(cmp.predicted), np.ravel(cmp.measured))))
    if not quick:
        specs += _stochastic_specs(n)
    if "tuning" in artefacts and "least_squares" in artefacts["tuning"]:
        _, chk = artefacts["tuning"]["least_squares"]
        specs.append(FigureSpec("model_tuning", "model",
                                "hbtheory.empirical.recommend on a least-squares model (Hessian extremes by Lanczos "
                                "on Hessian-vector products): torch.optim.SGD's measured rate on a grid of "
                                "(lr, momentum) around the recommendation, and the loss at the recommendation "
                                "against the predicted rate.",
                                lambda: plots.tuning_check_plot(chk)))
    from hbtheory.counterexamples import cycle_figure_data

    specs.append(FigureSpec("counterexample_cycle", "beyond",
                            "The Lessard-Recht-Packard function (1-strongly convex, 25-smooth): heavy ball at "
                            "Polyak's tuning for κ = 25 falls into a period-3 cycle; Nesterov and gradient "
                            "descent converge.",
                            lambda: plots.cycle_plot(cycle_figure_data())))
    if "pep" in artefacts:
        comparison = artefacts["pep"]
        specs.append(FigureSpec("pep_comparison", "beyond",
                                "Worst case of ‖xₙ − x*‖² after n steps at Polyak's tuning (κ = 10): exact on "
                                "quadratics, PEPit on quadratics, and PEPit on all smooth strongly convex functions.",
                                lambda: plots.pep_plot(comparison)))
    if "robust_map" in artefacts:
        rmap = artefacts["robust_map"]
        specs.append(FigureSpec("robust_map", "beyond",
                                "Heavy ball on every 0.04-strongly convex 1-smooth function (κ = 25): certified "
                                "rates (IQC LMIs of Lessard, Recht and Packard), proven cycles on regular polygons "
                                "(Goujaud, Taylor and Dieuleveut; darker: shorter period) and the unknown rest; "
                                "black: where quadratics converge; star: Polyak's tuning, which cycles.",
                                lambda: plots.robust_map(rmap)))
    if quick:
        specs = [s for s in specs if s.name in QUICK_FIGURES]
    return specs
