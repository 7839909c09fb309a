r"""Figures of a user's model: the Hessian's spectral density and the check of a recommended tuning.

Each function takes results already computed by :mod:`hbtheory.empirical` (a
:class:`~hbtheory.empirical.SpectralDensity`, a :class:`~hbtheory.empirical.Recommendation`, a
:class:`~hbtheory.empirical.TuningCheck`) and returns a :class:`matplotlib.figure.Figure` with its
own Agg canvas (no pyplot, no global state); matplotlib is imported when a function runs. One-panel
functions take ``ax=`` to draw into an existing axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from hbtheory.empirical.hessian import SpectralDensity
    from hbtheory.empirical.recommend import Recommendation, TuningCheck

__all__ = ["GID_MU", "GID_RECOMMENDED", "spectral_density_plot", "tuning_check_plot"]

#: Artist ids, for tests and callers.
GID_MU = "mu"
GID_RECOMMENDED = "recommended"


def _new(figsize: tuple[float, float], ncols: int = 1) -> tuple[Figure, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, ncols)


def _owner(ax: Axes) -> Figure:
    from matplotlib.figure import Figure, SubFigure

    fig = ax.figure
    while isinstance(fig, SubFigure):
        fig = fig.figure
    if not isinstance(fig, Figure):  # pragma: no cover - an axes always belongs to a figure
        raise TypeError("`ax` does not belong to a matplotlib Figure")
    return fig


def spectral_density_plot(
    density: SpectralDensity,
    recommendation: Recommendation | None = None,
    *,
    log: bool = True,
    ax: Axes | None = None,
) -> Figure:
    r"""The estimated eigenvalue density of a model's Hessian, with the tuning's :math:`[\mu, L]`.

    Parameters
    ----------
    density : SpectralDensity
        From :func:`hbtheory.empirical.spectral_density`.
    recommendation : Recommendation, optional
        Marks ``mu`` and ``L`` it was tuned for, and :math:`\lambda_{\min}`.
    log : bool, optional
        Logarithmic density axis (trained networks: a bulk near zero and a few outliers,
        Ghorbani, Krishnan and Xiao 2019).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from hbtheory.empirical import SpectralDensity
    >>> grid = np.linspace(-1, 5, 50)
    >>> d = SpectralDensity(np.array([[1.0, 3.0]]), np.array([[0.5, 0.5]]), grid,
    ...                     np.exp(-grid**2), 0.1, 4.0, 2, 1, 2, 2, 0)
    >>> fig = spectral_density_plot(d)
    >>> fig.axes[0].get_xlabel()
    'Hessian eigenvalue'
    """
    if ax is None:
        fig, ax = _new((6.0, 3.4))
    else:
        fig = _owner(ax)
    floor = max(float(np.max(density.density)) * 1e-8, 1e-300)
    ax.plot(density.grid, np.maximum(density.density, floor), color="C0", lw=1.5,
            label=f"SLQ density ({density.vectors} vectors x {density.steps} steps)")
    nodes = density.nodes.ravel()
    ax.plot(nodes, np.full(nodes.shape, floor), "|", color="C0", alpha=0.4, ms=8)
    if log:
        ax.set_yscale("log")
    if recommendation is not None:
        r = recommendation
        ax.axvline(r.mu, color="C2", ls="--", gid=GID_MU, label=f"mu = {r.mu:.3g} ({r.mu_rule})")
        ax.axvline(r.L, color="C3", ls="--", label=f"L = {r.L:.3g}")
        if r.lambda_min != r.mu:
            ax.axvline(r.lambda_min, color="0.4", ls=":", label=f"lambda_min = {r.lambda_min:.3g}")
    ax.set_xlabel("Hessian eigenvalue")
    ax.set_ylabel("density")
    ax.legend(loc="upper right", fontsize="small")
    return fig


def tuning_check_plot(check: TuningCheck, *, axes: tuple[Axes, Axes] | None = None) -> Figure:
    r"""The recommended run's error against the predicted rate, and the measured rate map of the sweep.

    Left: :math:`\|(e_t, e_{t-1})\|` relative to the start, with the predicted
    :math:`\rho^t`. Right: the measured rate over the ``(lr, momentum)`` grid (diverging runs
    grey), the recommendation and the best measured point marked.

    Parameters
    ----------
    check : TuningCheck
        From :func:`hbtheory.empirical.verify_recommendation`.
    axes : pair of matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from hbtheory.empirical import TuningCheck
    >>> g = np.array([[0.9, 0.8], [1.2, 0.85]])
    >>> chk = TuningCheck(0.1, 0.5, False, 1e-4, 10, 0, 0.8, 0.81, 0.0125, 0.8 ** np.arange(10.0),
    ...                   np.array([[0.08, 0.08], [0.1, 0.1]]), np.array([[0.4, 0.5], [0.4, 0.5]]),
    ...                   g, g, (0, 1), (0, 1), True)
    >>> fig = tuning_check_plot(chk)
    >>> [a.get_title() for a in fig.axes[:2]]
    ['recommended run', 'measured rate around it']
    """
    from matplotlib.colors import Normalize

    if axes is None:
        fig, (a1, a2) = _new((10.0, 4.2), 2)
    else:
        a1, a2 = axes
        fig = _owner(a1)
    t = np.arange(check.errors.size)
    a1.semilogy(t, check.errors, color="C0", label=f"measured, rate {check.measured_rate:.4f}")
    a1.semilogy(t, check.predicted_rate ** t.astype(np.float64), "--", color="C3",
                label=f"predicted rho^t, rho = {check.predicted_rate:.4f}")
    a1.set_xlabel("step t")
    a1.set_ylabel("|(e_t, e_{t-1})| / start")
    a1.set_title("recommended run")
    a1.legend(fontsize="small")
    meas = np.asarray(check.grid_measured, dtype=np.float64)
    shown = np.where(np.isfinite(meas) & (meas < 1.0), meas, np.nan)
    finite = shown[np.isfinite(shown)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    na, nb = meas.shape
    a2.set_facecolor("#d9d9d9")  # diverging (rate >= 1) or not measurable
    im = a2.imshow(shown, origin="lower", aspect="auto", cmap="viridis_r",
                   norm=Normalize(lo, hi if hi > lo else lo + 1e-12),
                   extent=(-0.5, nb - 0.5, -0.5, na - 0.5))
    fig.colorbar(im, ax=a2, label="measured rate")
    norm = im.norm
    for i in range(na):
        for j in range(nb):
            # dark text on the light (yellow-green) end of viridis_r, white on the dark end and none on grey
            light = np.isfinite(shown[i, j]) and float(norm(shown[i, j])) < 0.45
            a2.text(j, i, f"{meas[i, j]:.3f}" if np.isfinite(meas[i, j]) else "nan", ha="center", va="center",
                    fontsize="x-small", color="w" if np.isfinite(shown[i, j]) and not light else "k")
    ri, rj = check.recommendation_index
    bi, bj = check.best_index
    a2.plot([rj], [ri], "s", ms=22, mfc="none", mec="C3", mew=2, gid=GID_RECOMMENDED, label="recommended")
    # (in the cell's corner: on its centre it would hide the cell's number)
    a2.plot([bj + 0.33], [bi + 0.3], "o", ms=6, mfc="C1", mec="k", mew=0.8, label="best measured")
    a2.set_xticks(range(nb), [f"{b:.3g}" for b in check.grid_momentum[0]])
    a2.set_yticks(range(na), [f"{a:.3g}" for a in check.grid_lr[:, 0]])
    a2.set_xlabel("momentum")
    a2.set_ylabel("lr")
    a2.set_title("measured rate around it")
    # below the axes: inside, the legend would hide cells and their numbers
    a2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize="x-small", frameon=False,
               markerscale=0.5)
    return fig
