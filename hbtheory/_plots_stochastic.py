r"""Figures of the mean-square theory (:mod:`hbtheory.stochastic`): regions, batch size, measured curves.

Same conventions as :mod:`hbtheory.plots` (which re-exports these): each function takes data that
was computed elsewhere (a :class:`~hbtheory.stochastic.MeanSquareMap`, a sequence of
:class:`~hbtheory.stochastic.MeanSquareTuning`, a :class:`~hbtheory.empirical.MinibatchCurve`), draws
it on a :class:`~matplotlib.figure.Figure` with its own Agg canvas (no ``pyplot``, no global state) and
returns the figure.

* :func:`mean_square_region_plot` - the rate of :math:`\mathbb E x_t^2` over :math:`(\alpha h, \beta)`
  with exact gradients beside the same with sampled gradients, the boundary of each region drawn on both;
* :func:`batch_size_plot` - the mean-square speed-up of momentum over SGD against the batch size,
  with the exact-gradient speed-up it approaches;
* :func:`second_moment_plot` - measured :math:`\mathbb E` risk curves of ``torch.optim.SGD`` with their
  confidence bands against the exact curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from hbtheory.empirical.stochastic import MinibatchCurve
    from hbtheory.stochastic import MeanSquareMap, MeanSquareTuning

__all__ = ["batch_size_plot", "mean_square_region_plot", "second_moment_plot"]

#: Artist ids (for tests and callers).
GID_MS_BOUNDARY = "mean-square-boundary"
GID_DET_BOUNDARY = "deterministic-boundary"
GID_BAND = "confidence-band"
#: Colour of the region where the rate is >= 1 (outside the colour map).
DIVERGENT_COLOUR = "#d9d9d9"


def _figure(figsize: tuple[float, float]) -> Figure:
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _title(title: str | None) -> str | None:
    if title is not None and not isinstance(title, str):
        raise TypeError(f"`title` must be a string or None, got {type(title).__name__}")
    return title


def _check(obj: Any, cls_name: str, name: str) -> None:
    if type(obj).__name__ != cls_name:
        raise TypeError(f"`{name}` must be a {cls_name}, got {type(obj).__name__}")


def _panel(ax: Axes, x: np.ndarray, y: np.ndarray, rate: np.ndarray, norm: Normalize, cmap: Any) -> Any:
    shown = np.where(rate < 1.0, rate, np.nan)
    ax.set_facecolor(DIVERGENT_COLOUR)
    return ax.pcolormesh(x, y, shown, cmap=cmap, norm=norm, shading="nearest")


def _title_of(name: str) -> str:
    """A method's title (``Heavy ball (Polyak)``) for its name, as the other figures print it."""
    from hbtheory.methods import get_method

    try:
        return get_method(name).title
    except (ValueError, TypeError, KeyError):
        return str(name)


def mean_square_region_plot(data: MeanSquareMap, *, title: str | None = None) -> Figure:
    r"""The mean-square region beside the deterministic one.

    Parameters
    ----------
    data : hbtheory.stochastic.MeanSquareMap
        From :func:`hbtheory.stochastic.mean_square_map`.
    title : str, optional
        Figure title; ``""`` for none.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels sharing the axes :math:`(\alpha h, \beta)` and one colour bar: left the rate of
        :math:`\mathbb E x_t^2` with exact gradients (:math:`\rho(A)^2`), right with sampled gradients
        (:math:`\rho(T)`); grey where the rate is at least 1. The boundary of each region (the level
        1) is drawn on both panels: solid the panel's own, dashed the other's.

    Examples
    --------
    >>> import numpy as np
    >>> from hbtheory.stochastic import mean_square_map
    >>> from hbtheory._plots_stochastic import mean_square_region_plot
    >>> fig = mean_square_region_plot(mean_square_map(np.linspace(0.02, 4, 60), np.linspace(0, 0.98, 40)))
    >>> len(fig.axes)          # two panels and the colour bar
    3
    """
    _check(data, "MeanSquareMap", "data")
    title = _title(title)
    from matplotlib import colormaps

    x, y = np.asarray(data.alpha_h), np.asarray(data.beta)
    fig = _figure((10.0, 4.4))
    left, right = fig.subplots(1, 2, sharex=True, sharey=True)
    norm = Normalize(0.0, 1.0)
    cmap = colormaps["viridis"]
    sampled = f"sampled (k = v/h² = {data.curvature_ratio:g})"
    meshes = []
    for ax, rate, other, name in ((left, data.deterministic, data.rate, "exact gradients"),
                                  (right, data.rate, data.deterministic, sampled)):
        meshes.append(_panel(ax, x, y, np.asarray(rate), norm, cmap))
        if x.size > 1 and y.size > 1:
            own = ax.contour(x, y, np.minimum(np.asarray(rate), 2.0), levels=[1.0], colors="black", linewidths=1.6)
            own.set_gid(GID_MS_BOUNDARY if rate is data.rate else GID_DET_BOUNDARY)
            alt = ax.contour(x, y, np.minimum(np.asarray(other), 2.0), levels=[1.0], colors="white",
                             linewidths=1.2, linestyles="--")
            alt.set_gid(GID_DET_BOUNDARY if rate is data.rate else GID_MS_BOUNDARY)
        ax.set_title(f"rate of E x², {name}", fontsize="medium")
        ax.set_xlabel("α h")
    left.set_ylabel("β")
    fig.colorbar(meshes[0], ax=[left, right], label="rate of E x_t² (grey: ≥ 1)")
    if title:
        fig.suptitle(title)
    elif title is None:
        fig.suptitle(f"Mean-square stability of {_title_of(data.method)}: solid = this panel's region, "
                     "dashed = the other's")
    return fig


def batch_size_plot(tunings: Sequence[MeanSquareTuning], *, ax: Axes | None = None, title: str | None = None) -> Figure:
    r"""The speed-up of tuned momentum over tuned SGD against the batch size.

    Parameters
    ----------
    tunings : sequence of hbtheory.stochastic.MeanSquareTuning
        One per batch size (:func:`hbtheory.stochastic.mean_square_optimal`), same spectrum.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The mean-square speed-up :math:`\log r / \log r_{SGD}` (markers) against :math:`B` (log
        axis), and the exact-gradient speed-up as a horizontal line.

    Examples
    --------
    >>> from hbtheory.stochastic import mean_square_optimal
    >>> from hbtheory._plots_stochastic import batch_size_plot
    >>> ts = [mean_square_optimal([1.0, 0.04], batch_size=b, features="axis") for b in (1, 8)]
    >>> batch_size_plot(ts).axes[0].get_xscale()
    'log'
    """
    if not isinstance(tunings, Sequence) or not tunings:
        raise TypeError("`tunings` must be a non-empty sequence of MeanSquareTuning")
    for t in tunings:
        _check(t, "MeanSquareTuning", "tunings[i]")
    title = _title(title)
    if ax is None:
        fig = _figure((6.4, 4.4))
        ax = fig.add_subplot()
    elif isinstance(ax, Axes):
        parent = ax.get_figure()
        if parent is None:
            raise ValueError("`ax` does not belong to a figure")
        fig = parent  # type: ignore[assignment]
    else:
        raise TypeError(f"`ax` must be a matplotlib Axes or None, got {type(ax).__name__}")
    order = sorted(tunings, key=lambda t: t.batch_size)
    b = np.array([t.batch_size for t in order], dtype=float)
    s = np.array([t.speedup for t in order])
    ax.plot(b, s, marker="o", label="mean square (sampled gradients)")
    det = order[0].deterministic_speedup
    ax.axhline(det, color="black", linestyle="--", label=f"exact gradients ({det:.3g})")
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("batch size B")
    ax.set_ylabel("speed-up of momentum over SGD (log r / log r_SGD)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    elif title is None:
        ax.set_title(f"{_title_of(order[0].method)}, {order[0].features} features, "
                     f"spectrum of {order[0].spectrum.size}")
    return fig


def second_moment_plot(run: MinibatchCurve, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    r"""Measured against predicted risk curves of ``torch.optim.SGD`` on sampled minibatches.

    Parameters
    ----------
    run : hbtheory.empirical.MinibatchCurve
        From :func:`hbtheory.empirical.minibatch_curve`.
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Per configuration the exact risk :math:`\tfrac12 \sum_i h_i \mathbb E x_{t,i}^2` (line), the
        measured mean (markers) and the band of ``z`` standard errors, on a log axis.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> from hbtheory.empirical import minibatch_curve
    >>> from hbtheory._plots_stochastic import second_moment_plot
    >>> fig = second_moment_plot(minibatch_curve(steps=20, replicas=256))
    >>> fig.axes[0].get_yscale()
    'log'
    """
    _check(run, "MinibatchCurve", "run")
    title = _title(title)
    if ax is None:
        fig = _figure((6.4, 4.4))
        ax = fig.add_subplot()
    elif isinstance(ax, Axes):
        parent = ax.get_figure()
        if parent is None:
            raise ValueError("`ax` does not belong to a figure")
        fig = parent  # type: ignore[assignment]
    else:
        raise TypeError(f"`ax` must be a matplotlib Axes or None, got {type(ax).__name__}")
    t = np.arange(run.steps + 1)
    z = run.z_tolerance
    for i, (a, b) in enumerate(zip(run.alpha, run.beta, strict=True)):
        (line,) = ax.plot(t, run.predicted_risk[i], linewidth=1.6, label=f"α = {a:g}, β = {b:g}: exact")
        lo = np.maximum(run.risk[i] - z * run.risk_standard_error[i], run.risk[i] * 1e-3)
        band = ax.fill_between(t, lo, run.risk[i] + z * run.risk_standard_error[i], color=line.get_color(),
                               alpha=0.2, linewidth=0)
        band.set_gid(GID_BAND)
        ax.plot(t, run.risk[i], linestyle="none", marker=".", color=line.get_color(),
                label=f"torch.optim.SGD, mean of {run.replicas} (± {z:g} SE)")
    ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("expected risk ½ Σ h_i E x_{t,i}²")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    elif title is None:
        reliable = "" if run.reliable else " (heavy-tailed: bands not reliable)"
        ax.set_title(f"Sampled minibatches (B = {run.batch_size}, {run.features}): measured vs exact{reliable}")
    return fig
