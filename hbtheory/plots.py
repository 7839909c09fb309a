r"""Figures of the theory (matplotlib): convergence regions, eigenvalues, trajectories, rates.

Every function returns a :class:`matplotlib.figure.Figure` and computes nothing of its own beyond
what it draws: spectral radii come from :mod:`hbtheory.spectral`, optimal parameters and rates
from :mod:`hbtheory.tuning`, the critical-damping curves from :mod:`hbtheory.symbolic`
(lambdified), the methods' coefficients from :mod:`hbtheory.methods`.

Figures are built on :class:`~matplotlib.figure.Figure` directly with an Agg canvas, not through
``pyplot``: no global state is touched, no backend is selected, and everything works without a
display. Save with ``fig.savefig("rho.png")``; in Jupyter a returned figure displays itself.
Functions that draw one panel take ``ax=`` to draw into an existing
:class:`~matplotlib.axes.Axes` instead (the figure that owns it is returned);
:func:`momentum_weights` and :func:`rate_vs_kappa` draw two panels and take ``axes=(ax1, ax2)``.

Public functions:

* :func:`rho_heatmap` - :math:`\rho` over :math:`(\alpha, \beta)` for one curvature, or the worst
  rate over :math:`h \in [\mu, L]`, with the region's boundary, the critical-damping curves and
  the optimum;
* :func:`universal_map` - the same over :math:`(\alpha h, \beta)` with the regions named;
* :func:`eigenvalue_locus` - the eigenvalues in the complex plane as one parameter varies;
* :func:`trajectories_2d`, :func:`loss_curves`, :func:`rates_scatter` - empirical results;
* :func:`momentum_weights`, :func:`decay_curves`, :func:`rate_vs_kappa` - the chapter's and the
  notes' explanatory figures;
* :func:`cycle_plot`, :func:`pep_plot` - where the quadratic theory stops: the
  Lessard-Recht-Packard cycle (:mod:`hbtheory.counterexamples`) and PEPit's worst cases
  (:mod:`hbtheory.pep`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import colormaps
from matplotlib import patheffects as pe
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import Circle, Patch
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike, NDArray

from hbtheory import spectral
from hbtheory._validation import FloatArray, as_real, as_scalar
from hbtheory.grids import _count, _levels, _nice_step
from hbtheory.grids import _pair as _interval
from hbtheory.methods import Method, get_method

if TYPE_CHECKING:
    from hbtheory.counterexamples import CycleFigureData
    from hbtheory.grids import RhoGrid
    from hbtheory.pep import PEPComparison

__all__ = [
    "batch_size_plot",
    "cycle_plot",
    "decay_curves",
    "eigenvalue_locus",
    "loss_curves",
    "mean_square_region_plot",
    "momentum_weights",
    "pep_plot",
    "rate_vs_kappa",
    "rates_scatter",
    "rho_heatmap",
    "robust_map",
    "second_moment_plot",
    "spectral_density_plot",
    "trajectories_2d",
    "tuning_check_plot",
    "universal_map",
]

#: Colour of the divergent region (rho >= 1) in the heatmaps: outside the colour map on purpose.
DIVERGENT_COLOUR = "#d9d9d9"
#: Artist ids, so that tests and callers can find what was drawn.
GID_BOUNDARY = "rho=1"
GID_CURVE = "critical-damping"
GID_OPTIMUM = "optimum"
GID_GD = "gradient-descent"
GID_REGION = "region-label"
GID_UNIT_CIRCLE = "unit-circle"
GID_DIAGONAL = "y=x"
GID_ISO = "iso-rate"
GID_GFJ = "gfj-region"
GID_GRAPH = "graph"
GID_BREAKPOINT = "breakpoint"
GID_CYCLE = "cycle"
GID_CYCLE_POINTS = "cycle-points"
#: Prefix of the iterates' gids in :func:`cycle_plot` (``"iterates-heavy_ball"``, ...).
GID_ITERATES = "iterates-"
GID_EXACT = "exact"
GID_PEP_QUADRATIC = "pep-quadratic"
GID_PEP_GENERAL = "pep-smooth-strongly-convex"

_SYMBOL = {"alpha": r"$\alpha$", "beta": r"$\beta$", "h": r"$h$"}
# Thin dark outline that keeps light lines readable on both ends of a colour map.
_OUTLINE = [pe.withStroke(linewidth=2.5, foreground="0.1")]


# --------------------------------------------------------------------------------------------
# Validation and figure plumbing
# --------------------------------------------------------------------------------------------


def _finite_1d(value: Any, name: str, *, low: float | None = None, low_open: bool = False,
               min_len: int = 1) -> FloatArray:
    arr = as_real(value, name, low=low, low_open=low_open)
    if arr.ndim != 1 or arr.size < min_len:
        raise ValueError(f"`{name}` must be a 1-D array of at least {min_len} value(s), got shape {arr.shape}")
    return arr


def _colormap(cmap: str | Colormap) -> Colormap:
    if isinstance(cmap, Colormap):
        return cmap
    if not isinstance(cmap, str):
        raise TypeError(f"`cmap` must be a colour-map name or a Colormap, got {type(cmap).__name__}")
    try:
        return colormaps[cmap]
    except KeyError:
        raise ValueError(f"`cmap` must be a registered matplotlib colour map, got {cmap!r}") from None


def _title(title: str | None) -> str | None:
    if title is not None and not isinstance(title, str):
        raise TypeError(f"`title` must be a string or None, got {type(title).__name__}")
    return title


def _root(fig: Figure | SubFigure) -> Figure:
    while isinstance(fig, SubFigure):
        fig = fig.figure
    assert isinstance(fig, Figure)  # narrowing for the type checker, not validation
    return fig


def _figure(figsize: tuple[float, float]) -> Figure:
    # A Figure with its own Agg canvas: no pyplot, no global backend choice, works headless.
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """Return ``(figure, axes)``: a new figure unless ``ax`` is given."""
    if ax is None:
        fig = _figure(figsize)
        return fig, fig.add_subplot()
    if not isinstance(ax, Axes):
        raise TypeError(f"`ax` must be a matplotlib Axes or None, got {type(ax).__name__}")
    fig_or_sub = ax.get_figure()
    if fig_or_sub is None:
        raise ValueError("`ax` does not belong to a figure")
    return _root(fig_or_sub), ax


def _axes_pair(axes: Sequence[Axes] | None, figsize: tuple[float, float]) -> tuple[Figure, Axes, Axes, bool]:
    if axes is None:
        fig = _figure(figsize)
        ax1, ax2 = fig.subplots(1, 2)
        return fig, ax1, ax2, True
    if isinstance(axes, Axes) or len(axes) != 2 or not all(isinstance(a, Axes) for a in axes):
        raise TypeError("`axes` must be a pair of matplotlib Axes or None")
    fig_or_sub = axes[0].get_figure()
    if fig_or_sub is None:
        raise ValueError("`axes` do not belong to a figure")
    return _root(fig_or_sub), axes[0], axes[1], False


def _fmt(x: float) -> str:
    text = f"{x:.4g}"
    if "e+" in text and abs(x) < 1e6:  # 10000, not 1e+04
        text = f"{x:.0f}"
    return text


# --------------------------------------------------------------------------------------------
# Convergence regions: drawn from a hbtheory.grids.RhoGrid
# --------------------------------------------------------------------------------------------

# Iso-rate contour labels: dark text on a white outline, readable on both ends of the colour map.
_ISO_TEXT: list[pe.AbstractPathEffect] = [pe.withStroke(linewidth=3.0, foreground="white")]
_ISO_FONTSIZE = 10.0
#: Colour of the GFJ region (boundary and hatching).
GFJ_COLOUR = "#ff3366"


def _rate_image(ax: Axes, fig: Figure, grid: RhoGrid, cmap: Colormap, vmin: float | None,
                levels: Sequence[float] | FloatArray | None, cbar_label: str) -> list[Artist]:
    """Draw ``grid.rho`` as an image: colour map on ``[vmin, 1)``, grey where ``rho >= 1``, the
    ``rho = 1`` boundary and the iso-rate levels as contours. Returns extra legend handles."""
    x, y, rho = np.asarray(grid.alpha), np.asarray(grid.beta), np.asarray(grid.rho)
    extent = (*grid.alpha_range, *grid.beta_range)
    finite = rho[np.isfinite(rho)]
    lowest = float(finite.min()) if finite.size else 0.0
    if vmin is None:  # the lowest rate, rounded down to a round number
        step = _nice_step(max(1.0 - lowest, 1e-3) / 4.0)
        vmin = max(0.0, float(np.floor(lowest / step + 1e-9) * step))
    norm = Normalize(vmin=vmin, vmax=1.0)
    under = lowest < vmin
    over = bool((rho >= 1.0).any())
    colours = cmap.with_extremes(over=DIVERGENT_COLOUR)
    image = ax.imshow(rho, cmap=colours, norm=norm, origin="lower", extent=extent, aspect="auto",
                      interpolation="nearest", zorder=1)
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max", (True, True): "both"}
    fig.colorbar(image, ax=ax, extend=extend[(under, over)], extendfrac=0.05, label=cbar_label)
    shown = [float(v) for v in (grid.levels if levels is None else levels) if lowest < v < 1.0]
    if shown:
        iso = ax.contour(x, y, rho, levels=shown, colors="0.05", linewidths=0.9, alpha=0.8, zorder=2)
        iso.set_gid(GID_ISO)
        for text in ax.clabel(iso, fontsize=_ISO_FONTSIZE, fmt="%.3g", inline_spacing=4):
            text.set_path_effects(_ISO_TEXT)
            text.set_color("black")
    if over and lowest < 1.0:
        boundary = ax.contour(x, y, rho, levels=[1.0], colors="black", linewidths=1.8, zorder=3)
        boundary.set_gid(GID_BOUNDARY)
        ax.plot([], [], color="black", linewidth=1.8, label=r"$\rho = 1$ (boundary of convergence)")
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    if over:
        return [Patch(facecolor=DIVERGENT_COLOUR, edgecolor="0.5", label=r"$\rho \geq 1$: divergence")]
    return []


def _rate_curve(ax: Axes, grid: RhoGrid, ylabel: str) -> list[Artist]:
    """A map without a momentum axis (gradient descent): the rate against the step size."""
    x, rho = np.asarray(grid.alpha), np.asarray(grid.rho)[0]
    ax.plot(x, rho, color="tab:blue", linewidth=2.0, zorder=3, gid=GID_GD, label=rf"{grid.title}: {ylabel}")
    ax.axhline(1.0, color="black", linewidth=1.4, zorder=2, gid=GID_BOUNDARY,
               label=r"$\rho = 1$ (boundary of convergence)")
    diverging = rho >= 1.0
    extra: list[Artist] = []
    if diverging.any():
        step = (grid.alpha_range[1] - grid.alpha_range[0]) / x.size
        for start, stop in _runs(diverging):
            ax.axvspan(float(x[start]) - step / 2, float(x[stop - 1]) + step / 2, color=DIVERGENT_COLOUR, zorder=0)
        extra.append(Patch(facecolor=DIVERGENT_COLOUR, edgecolor="0.5", label=r"$\rho \geq 1$: divergence"))
    ax.set_xlim(*grid.alpha_range)
    finite = rho[np.isfinite(rho)]
    lowest = float(finite.min()) if finite.size else 0.0
    # rates near 1 (a large condition number) get an axis that shows their differences
    bottom = 0.0 if lowest < 0.5 else max(0.0, lowest - 0.5 * (1.0 - lowest))
    ax.set_ylim(bottom, 1.0 + 0.25 * (1.0 - bottom))
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return extra


def _legend(ax: Axes, owned: bool, fig: Figure, extra: Sequence[Artist] = (), ncols: int = 2) -> None:
    handles, labels = ax.get_legend_handles_labels()
    handles += list(extra)
    labels += [str(h.get_label()) for h in extra]
    if not handles:
        return
    if owned:
        legend = fig.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize="small",
                            frameon=False, handlelength=3.0)
        get_renderer = getattr(fig.canvas, "get_renderer", None)
        if ncols > 1 and get_renderer is not None and legend.get_window_extent(get_renderer()).width > fig.bbox.width:
            # long labels: one column rather than a legend cut at both edges of the figure
            legend.remove()
            fig.legend(handles, labels, loc="outside lower center", ncols=1, fontsize="small", frameon=False,
                       handlelength=3.0)
    else:
        ax.legend(handles, labels, loc="best", fontsize="small", framealpha=0.85, handlelength=3.0)



def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of ``True`` in a 1-D mask."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _draw_critical(ax: Axes, grid: RhoGrid) -> None:
    names = (["critical damping"] if grid.critical_h.size == 1
             else [rf"critical damping at $h = {e}$" for e in (r"\mu", "L")])
    for h, style, name in zip(grid.critical_h, ((0, (6.0, 3.0)), (0, (1.5, 2.0))), names, strict=False):
        pts = grid.curve(float(h))
        if len(pts) < 2:
            continue
        ax.plot(pts[:, 0], pts[:, 1], color="white", linestyle=style, linewidth=1.5, gid=GID_CURVE,
                path_effects=_OUTLINE, zorder=4, label=name)


def _draw_gfj(ax: Axes, grid: RhoGrid) -> None:
    """Shade the GFJ region (below its boundary, ``alpha < 2/L``) and draw its boundary."""
    assert grid.gfj is not None  # narrowing for the type checker
    b0, b1 = grid.beta_range
    alpha, bound = grid.gfj[:, 0], grid.gfj[:, 1]
    top = np.clip(bound, b0, b1)
    ax.fill_between(alpha, b0, top, where=bound > b0, facecolor=(1.0, 0.2, 0.4, 0.10),
                    edgecolor=(1.0, 0.2, 0.4, 0.45), hatch="//", linewidth=0.0, zorder=2.5, gid=GID_GFJ,
                    label=r"GFJ region: converges on every $\mu$-strongly convex $L$-smooth $f$")
    style: dict[str, Any] = {"color": GFJ_COLOUR, "linewidth": 2.0, "linestyle": (0, (6.0, 2.0, 1.5, 2.0)),
                             "gid": GID_GFJ, "path_effects": _OUTLINE, "zorder": 4.5}
    shown = np.where((bound >= b0) & (bound <= b1), bound, np.nan)
    ax.plot(alpha, shown, **style)
    if alpha[-1] < grid.alpha_range[1] and bound[-1] > b0:  # the right edge alpha = 2/L is in view
        ax.plot([alpha[-1], alpha[-1]], [b0, float(min(bound[-1], b1))], **style)


def _as_grid(grid: Any, given: Mapping[str, Any]) -> RhoGrid | None:
    from hbtheory.grids import RhoGrid

    if grid is None:
        return None
    if not isinstance(grid, RhoGrid):
        raise TypeError(f"`grid` must be a RhoGrid (hbtheory.grids.rho_grid) or None, got {type(grid).__name__}")
    clash = [name for name, value in given.items() if value is not None]
    if clash:
        raise ValueError(f"give either `grid` or the parameters it is computed from, not both (got {clash})")
    return grid


def rho_heatmap(
    h: float | RhoGrid | None = None,
    *,
    mu: float | None = None,
    L: float | None = None,
    method: str | Method | None = None,
    alpha_max: float | None = None,
    alpha_range: tuple[float, float] | None = None,
    beta_range: tuple[float, float] | None = None,
    n: int | None = None,
    cmap: str | Colormap = "viridis",
    vmin: float | None = None,
    levels: Sequence[float] | None = None,
    gfj: bool = False,
    grid: RhoGrid | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Figure:
    r"""Heatmap of the rate over step size and momentum, with the region of convergence.

    Draws a :class:`hbtheory.grids.RhoGrid`: ``grid``, or the one :func:`hbtheory.grids.rho_grid`
    computes from ``h`` (or ``mu``, ``L``), ``method``, ``alpha_range``, ``beta_range``, ``n`` and
    ``levels``. With ``h`` the colour is the spectral radius :math:`\rho(A(\alpha, \beta, h))`;
    with ``mu`` and ``L`` the worst rate :math:`\max_{h \in [\mu, L]} \rho`. Drawn on top: the
    boundary :math:`\rho = 1` (black contour; the divergent region is grey, outside the colour
    map), labelled iso-rate contours, the critical-damping curves (white; for ``[mu, L]`` dashed at
    ``mu`` and dotted at ``L``), gradient descent's line :math:`\beta = 0` and the optimum
    (white star, when inside the axes). A method without momentum (gradient descent) is drawn as
    its rate against the step size.

    Parameters
    ----------
    h : float or RhoGrid, optional
        One curvature, ``> 0`` (or the grid itself). Give either ``h`` or both ``mu`` and ``L``.
    mu, L : float, optional
        The spectrum interval, ``0 < mu <= L``.
    method : str or Method, optional
        Any method of the family. Default ``"heavy_ball"``.
    alpha_max : float, optional
        Shorthand for ``alpha_range=(0, alpha_max)``.
    alpha_range : (float, float), optional
        Step-size axis, ``0 <= low < high``. Default: from 0 to 10% beyond the largest step size
        at which some drawn ``beta`` converges.
    beta_range : (float, float), optional
        Momentum axis, within ``[0, 1]``. Default ``(0, 1)``.
    n : int, optional
        Grid cells per axis, in ``[8, 5000]``. Default 400.
    cmap : str or Colormap, optional
        Colour map for ``rho < 1``. Default ``"viridis"``.
    vmin : float, optional
        Rate at the bottom of the colour map (its top is 1). Default: the smallest rate drawn,
        rounded down to a round number.
    levels : sequence of float, optional
        Iso-rate contours. Default: about six round values between the smallest rate and 1
        (``grid.levels``); ``[]`` for none.
    gfj : bool, optional
        Also shade the region of Ghadimi, Feyzmahdavian and Johansson
        (:func:`hbtheory.pep.gfj_region`), where heavy ball's update converges on *every*
        :math:`\mu`-strongly convex :math:`L`-smooth function, not only on quadratics (hatched
        red, with its boundary). Needs ``mu`` and ``L`` and a method the theorem is about
        (:func:`hbtheory.grids.gfj_applies`). Default ``False``.
    grid : RhoGrid, optional
        A grid from :func:`hbtheory.grids.rho_grid` (then give none of the data parameters).
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (a colour bar is added next to it) instead of a new figure.
    title : str, optional
        Title; default names the method and the parameters. ``""`` for none.
    legend : bool, optional
        Draw the legend (default ``True``): below a new figure, inside a given ``ax``. Panels of
        one figure can share one legend built from ``ax.get_legend_handles_labels()``.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError, TypeError
        For a parameter outside its range, both or neither of ``h`` and ``(mu, L)``, both
        ``alpha_max`` and ``alpha_range``, or ``gfj=True`` where the GFJ theorem does not apply.

    See Also
    --------
    universal_map : the same in the variable :math:`\alpha h`, with the regions named.

    Examples
    --------
    >>> from hbtheory.plots import rho_heatmap
    >>> fig = rho_heatmap(h=1.0, n=50)
    >>> len(fig.axes)          # the heatmap and its colour bar
    2
    >>> fig = rho_heatmap(mu=0.01, L=1.0, method="nesterov", n=50, alpha_range=(0.5, 2.0))
    >>> [float(v) for v in fig.axes[0].get_xlim()]
    [0.5, 2.0]
    >>> from hbtheory.grids import rho_grid
    >>> fig = rho_heatmap(rho_grid(mu=0.01, L=1.0, n=50, gfj=True), gfj=True)
    >>> len([line for line in fig.axes[0].get_lines() if line.get_gid() == "gfj-region"])
    2
    """
    from hbtheory.grids import RhoGrid, gfj_applies, rho_grid

    if isinstance(h, RhoGrid):
        if grid is not None:
            raise ValueError("give the grid once (as `h` or as `grid`)")
        h, grid = None, h
    for flag, flag_name in ((gfj, "gfj"), (legend, "legend")):
        if not isinstance(flag, bool):
            raise TypeError(f"`{flag_name}` must be a bool, got {type(flag).__name__}")
    cm = _colormap(cmap)
    title = _title(title)
    if vmin is not None:
        vmin = as_scalar(vmin, "vmin", low=0.0, high=1.0, high_open=True)
    data = _as_grid(grid, {"h": h, "mu": mu, "L": L, "method": method, "alpha_max": alpha_max,
                           "alpha_range": alpha_range, "beta_range": beta_range, "n": n})
    if data is None:
        m = get_method("heavy_ball" if method is None else method)
        if gfj and not gfj_applies(m):
            raise ValueError(f"`gfj` is Ghadimi-Feyzmahdavian-Johansson's theorem on heavy ball's update "
                             f"(gamma = delta = 0); it says nothing about {m.title}")
        if alpha_max is not None:
            if alpha_range is not None:
                raise ValueError("give `alpha_max` or `alpha_range`, not both")
            alpha_range = (0.0, as_scalar(alpha_max, "alpha_max", low=0.0, low_open=True))
        data = rho_grid(h, mu=mu, L=L, method=m, alpha_range=alpha_range, beta_range=beta_range,
                        n=400 if n is None else n, levels=levels, gfj=gfj)
        levels = None  # the grid's
    elif gfj and data.gfj is None:
        raise ValueError("`gfj=True` but the grid has no GFJ region (rho_grid(..., gfj=True), on [mu, L], "
                         "for a method the theorem is about)")

    fig, axes = _axes(ax, (7.0, 5.6))
    if data.h is not None:
        label = r"$\rho(A(\alpha, \beta, h))$"
        default_title = f"{data.title}\nspectral radius $\\rho(\\alpha, \\beta)$ at h = {_fmt(data.h)}"
    else:
        label = r"worst-case rate $\max_{h \in [\mu, L]}\, \rho$"
        default_title = (f"{data.title}\nworst-case rate over h in [μ, L] = [{_fmt(data.mu)}, {_fmt(data.L)}], "
                         f"κ = {_fmt(data.L / data.mu)}")
    b0, b1 = data.beta_range
    if data.uses_beta:
        extra = _rate_image(axes, fig, data, cm, vmin, None if levels is None else _levels(levels), label)
        _draw_critical(axes, data)
        if gfj:
            _draw_gfj(axes, data)
        if b0 == 0.0:
            axes.plot(list(data.alpha_range), [0.0, 0.0], color="tab:orange", linewidth=3.0, clip_on=False,
                      zorder=5, gid=GID_GD, label=r"gradient descent ($\beta = 0$)")
        axes.set_ylabel(r"momentum $\beta$")
    else:
        extra = _rate_curve(axes, data, label)
    if data.optimum is not None:
        a_opt, b_opt, r_opt = data.optimum
        y_opt = b_opt if data.uses_beta else r_opt
        if data.alpha_range[0] <= a_opt <= data.alpha_range[1] and (not data.uses_beta or b0 <= b_opt <= b1):
            axes.plot([a_opt], [y_opt], marker="*", markersize=16, markerfacecolor="white",
                      markeredgecolor="black", linestyle="none", clip_on=False, zorder=6, gid=GID_OPTIMUM,
                      label=rf"optimum $\alpha^* = {_fmt(a_opt)}$"
                      + (rf", $\beta^* = {_fmt(b_opt)}$" if data.uses_beta else "") + rf", $\rho^* = {_fmt(r_opt)}$")
    axes.set_xlabel(r"step size $\alpha$")
    if title != "":
        axes.set_title(default_title if title is None else title)
    if legend:
        _legend(axes, ax is None, fig, extra)
    return fig


def universal_map(
    *,
    method: str | Method = "heavy_ball",
    x_max: float | None = None,
    beta_range: tuple[float, float] | None = None,
    n: int = 400,
    kappa: float | None = None,
    cmap: str | Colormap = "viridis",
    vmin: float | None = None,
    levels: Sequence[float] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""The spectral radius over :math:`(\alpha h, \beta)`, with the four regions named.

    The characteristic polynomial depends on :math:`\alpha` and :math:`h` only through their
    product, so one map holds every curvature: it is :func:`hbtheory.grids.rho_grid` at
    :math:`h = 1` with its regimes, named on the map:

    * **ripples** - complex roots, between the critical-damping curves: the error oscillates
      under a decaying envelope;
    * **monotonic decrease** - real roots, the dominant one positive;
    * **monotonic oscillations** - real roots, the dominant one negative: the sign alternates;
    * **divergence** - :math:`\rho \geq 1` (grey).

    Parameters
    ----------
    method : str or Method, optional
        Any method of the family (default ``"heavy_ball"``); one without momentum is drawn as its
        rate against :math:`\alpha h`.
    x_max : float, optional
        Right end of the :math:`\alpha h` axis. Default: 10% beyond the convergent region.
    beta_range : (float, float), optional
        Momentum axis within ``[0, 1]``. Default ``(0, 1)``.
    n : int, optional
        Grid cells per axis, in ``[8, 5000]``. Default 400.
    kappa : float, optional
        If given, also draw where the spectrum ``[mu, L]`` with this condition number lands under
        the optimal tuning (:func:`hbtheory.tuning.optimal_parameters`): the segment
        :math:`\alpha^* [\mu, L]` at :math:`\beta^*`.
    cmap : str or Colormap, optional
        Colour map for ``rho < 1``. Default ``"viridis"``.
    vmin : float, optional
        Rate at the bottom of the colour map (default 0).
    levels : sequence of float, optional
        Iso-rate contours, as in :func:`rho_heatmap`; ``[]`` for none.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.
    title : str, optional
        Title; ``""`` for none.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from hbtheory.plots import universal_map
    >>> fig = universal_map(n=60)
    >>> labels = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "region-label"]
    >>> sorted(label.replace("\n", " ") for label in labels)
    ['divergence', 'monotonic decrease', 'monotonic oscillations', 'ripples']
    """
    from hbtheory.grids import REGIMES, rho_grid

    m = get_method(method)
    cm = _colormap(cmap)
    title = _title(title)
    vmin = 0.0 if vmin is None else as_scalar(vmin, "vmin", low=0.0, high=1.0, high_open=True)
    if kappa is not None:
        kappa = as_scalar(kappa, "kappa", low=1.0)
    x_range = None if x_max is None else (0.0, as_scalar(x_max, "x_max", low=0.0, low_open=True))
    data = rho_grid(1.0, method=m, alpha_range=x_range, beta_range=beta_range, n=n, levels=levels, regimes=True)
    assert data.regime is not None  # requested above

    fig, axes = _axes(ax, (7.0, 5.6))
    if data.uses_beta:
        extra = _rate_image(axes, fig, data, cm, vmin, None, r"$\rho(A)$")
        _draw_critical(axes, data)
        axes.set_ylabel(r"momentum $\beta$")
    else:
        extra = _rate_curve(axes, data, r"$\rho(A)$")
    if kappa is not None:
        from hbtheory import tuning

        best = tuning.optimal_parameters(kappa=kappa, method=m)
        y = best.beta if data.uses_beta else best.rate
        axes.plot([best.alpha * best.mu, best.alpha * best.L], [y, y], color="tab:red",
                  linewidth=2.5, marker="|", markersize=10, zorder=6, gid=GID_OPTIMUM,
                  label=rf"optimal tuning for $\kappa = {_fmt(kappa)}$: $\alpha^* h$, $h \in [\mu, L]$")
    axes.set_xlabel(r"$\alpha h$ (step size $\times$ curvature)")
    if title != "":
        axes.set_title(f"{data.title}\nthe regions of $(\\alpha h, \\beta)$" if title is None else title)
    _legend(axes, ax is None, fig, extra)
    regime = np.asarray(data.regime)
    names = ["ripples", "monotonic\ndecrease", "monotonic\noscillations", "divergence"]
    assert len(names) == len(REGIMES)
    if data.uses_beta:
        regions = {name: regime == code for code, name in enumerate(names)}
        _label_regions(axes, fig, regions, np.asarray(data.alpha), np.asarray(data.beta))
    else:
        y_text = axes.get_ylim()[0] + 0.06 * (axes.get_ylim()[1] - axes.get_ylim()[0])
        for code, name in enumerate(names):
            for start, stop in _runs(regime[0] == code):
                # inside the run, against the axes' edge when the run reaches it
                x_text, ha = float(np.mean(data.alpha[start:stop])), "center"
                if stop == regime.shape[1]:
                    x_text, ha = data.alpha_range[1], "right"
                elif start == 0:
                    x_text, ha = data.alpha_range[0], "left"
                axes.text(x_text, y_text, name.replace("\n", " "), ha=ha, va="bottom", fontsize=8.5,
                          zorder=7, gid=GID_REGION, bbox={"boxstyle": "round,pad=0.25", "facecolor": "white",
                                                          "edgecolor": "0.4", "alpha": 0.85})
    return fig


def _label_regions(ax: Axes, fig: Figure, regions: Mapping[str, NDArray[np.bool_]], x: FloatArray,
                   y: FloatArray) -> None:
    """Write each region's name where its text box fits inside the region, or else at the nearest
    free place outside it, with an arrow.

    ``regions`` are masks on the image grid (rows ``y``, columns ``x``). Placement is done in
    pixels of the laid-out figure, so that the text boxes neither leave their region nor overlap.
    """
    from scipy import ndimage

    fig.draw_without_rendering()  # run the layout: the axes' final size in pixels
    box = ax.get_window_extent()
    shape = next(iter(regions.values())).shape
    px_y, px_x = box.height / shape[0], box.width / shape[1]
    occupied = np.zeros(shape, dtype=bool)
    for text in ax.texts:  # the iso-rate labels already drawn stay readable
        ext = text.get_window_extent()
        j0, j1 = (int(np.floor((v - box.x0) / px_x)) for v in (ext.x0, ext.x1))
        i0, i1 = (int(np.floor((v - box.y0) / px_y)) for v in (ext.y0, ext.y1))
        occupied[max(i0, 0) : max(i1 + 1, 0), max(j0, 0) : max(j1 + 1, 0)] = True
    fontsize = 8.5
    style: dict[str, Any] = {"ha": "center", "va": "center", "fontsize": fontsize, "zorder": 7, "gid": GID_REGION,
             "bbox": {"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "0.4", "alpha": 0.85}}

    def half_size(name: str) -> tuple[int, int]:
        probe = ax.text(0.0, 0.0, name, **style)
        ext = probe.get_window_extent()
        probe.remove()
        pad = 0.4 * fontsize * fig.dpi / 72.0
        return int(np.ceil((ext.height / 2 + pad) / px_y)), int(np.ceil((ext.width / 2 + pad) / px_x))

    def fits(area: NDArray[np.bool_], hh: int, hw: int) -> NDArray[np.bool_]:
        free = (area & ~occupied).astype(np.uint8)
        fit = ndimage.minimum_filter(free, size=(2 * hh + 1, 2 * hw + 1), mode="constant", cval=0)
        return np.asarray(fit, dtype=bool)

    def deepest(mask: NDArray[np.bool_]) -> tuple[int, int]:
        depth = ndimage.distance_transform_edt(np.pad(mask, 1), sampling=(px_y, px_x))[1:-1, 1:-1]
        i, j = np.unravel_index(int(np.argmax(depth)), depth.shape)
        return int(i), int(j)

    def occupy(i: int, j: int, hh: int, hw: int) -> None:
        occupied[max(i - hh, 0) : i + hh + 1, max(j - hw, 0) : j + hw + 1] = True

    pending = []
    for name, mask in regions.items():
        if mask.sum() < 4:
            continue
        hh, hw = half_size(name)
        inside = fits(mask, hh, hw)
        if inside.any():
            i, j = deepest(inside)
            ax.text(float(x[j]), float(y[i]), name, **style)
            occupy(i, j, hh, hw)
        else:
            pending.append((name, mask, hh, hw))
    rows, cols = np.indices(shape)
    for name, mask, hh, hw in pending:
        ti, tj = deepest(mask)
        spots = fits(~mask, hh, hw)
        if not spots.any():
            continue
        dist = np.where(spots, ((rows - ti) * px_y) ** 2 + ((cols - tj) * px_x) ** 2, np.inf)
        i, j = (int(v) for v in np.unravel_index(int(np.argmin(dist)), shape))
        ax.annotate(name, xy=(float(x[tj]), float(y[ti])), xytext=(float(x[j]), float(y[i])),
                    arrowprops={"arrowstyle": "->", "color": "0.15", "linewidth": 1.0}, **style)
        occupy(i, j, hh, hw)


def eigenvalue_locus(
    alpha: ArrayLike,
    beta: ArrayLike,
    h: ArrayLike = 1.0,
    *,
    method: str | Method = "heavy_ball",
    cmap: str | Colormap = "viridis",
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""The two eigenvalues of the iteration matrix in the complex plane as one parameter varies.

    Exactly one of ``alpha``, ``beta``, ``h`` is a 1-D array (the parameter swept); the others
    are numbers. Each eigenvalue (from :func:`hbtheory.spectral.eigenvalues`) is a dot coloured by
    the swept parameter, with the unit circle :math:`|z| = 1` (inside it: convergence).

    Parameters
    ----------
    alpha, beta, h : float or array_like
        As in :func:`hbtheory.spectral.spectral_radius`; one of them 1-D with at least 2 values.
    method : str, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.
    cmap : str or Colormap, optional
        Colour map of the swept parameter. Default ``"viridis"``.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.
    title : str, optional
        Title; ``""`` for none.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from hbtheory.plots import eigenvalue_locus
    >>> fig = eigenvalue_locus(np.linspace(0.01, 4.0, 200), 0.5, 1.0)
    >>> fig.axes[1].get_ylabel()
    'step size $\\alpha$'
    """
    m = get_method(method)
    cm = _colormap(cmap)
    title = _title(title)
    values = {"alpha": alpha, "beta": beta, "h": h}
    swept = [k for k, v in values.items() if np.ndim(v) != 0]
    if len(swept) != 1:
        raise ValueError(f"exactly one of `alpha`, `beta`, `h` must be an array (the parameter swept), got {swept}")
    name = swept[0]
    param = _finite_1d(values[name], name, min_len=2)
    z = np.asarray(spectral.eigenvalues(alpha, beta, h, method=m))
    x_extent = max(1.15, 1.05 * float(np.abs(z.real).max()))
    y_extent = max(1.15, 1.05 * float(np.abs(z.imag).max()))
    # equal aspect: size a new figure to the data, so that the colour bar matches the axes
    fig, axes = _axes(ax, (7.0, float(np.clip(5.6 * y_extent / x_extent + 1.2, 3.0, 7.0))))
    axes.add_patch(Circle((0.0, 0.0), 1.0, fill=False, color="black", linewidth=1.2, gid=GID_UNIT_CIRCLE,
                          label="unit circle $|z| = 1$"))
    axes.axhline(0.0, color="0.75", linewidth=0.8, zorder=0)
    axes.axvline(0.0, color="0.75", linewidth=0.8, zorder=0)
    norm = Normalize(vmin=float(param.min()), vmax=float(param.max()))
    points = None
    for k in range(2):
        points = axes.scatter(z[:, k].real, z[:, k].imag, c=param, cmap=cm, norm=norm, s=9, zorder=3,
                              edgecolors="none")
    assert points is not None
    names = {"alpha": r"step size $\alpha$", "beta": r"momentum $\beta$", "h": r"curvature $h$"}
    fig.colorbar(points, ax=axes, label=names[name])
    # Equal aspect by widening the data limits, so that the axes fill their box and the colour bar
    # beside them has their height (fixed limits would fight the aspect).
    axes.update_datalim([(-x_extent, -y_extent), (x_extent, y_extent)])
    axes.autoscale_view()
    axes.set_aspect("equal", adjustable="datalim")
    axes.legend(loc="upper right", fontsize="small", framealpha=0.85)
    axes.set_xlabel(r"Re $z$")
    axes.set_ylabel(r"Im $z$")
    fixed = ", ".join(f"{_SYMBOL[k]} = {_fmt(float(np.asarray(v)))}" for k, v in values.items() if k != name)
    if title != "":
        axes.set_title(f"{m.title}: eigenvalues as {_SYMBOL[name]} varies ({fixed})" if title is None else title)
    return fig


# --------------------------------------------------------------------------------------------
# Empirical results
# --------------------------------------------------------------------------------------------


def trajectories_2d(
    trajectories: Mapping[str, ArrayLike],
    hessian: ArrayLike,
    *,
    minimizer: ArrayLike = (0.0, 0.0),
    levels: int | ArrayLike = 12,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    axis_labels: tuple[str, str] = ("$x_1$", "$x_2$"),
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Iterates of 2-D runs over the contour lines of the quadratic they minimise.

    The quadratic is :math:`f(x) = \tfrac12 (x - x^*)^\top H (x - x^*)`: the chapter's
    :math:`x^2 + 10 y^2` is ``hessian=(2, 20)``, the notes' :math:`0.1 x_1^2 + 2 x_2^2` is
    ``hessian=(0.2, 4)``.

    Parameters
    ----------
    trajectories : mapping of str to array_like
        Label -> iterates, each of shape ``(n, 2)`` (``n >= 1``), finite.
    hessian : array_like
        :math:`H`: its diagonal (shape ``(2,)``) or the symmetric ``(2, 2)`` matrix.
    minimizer : array_like, optional
        :math:`x^*`, shape ``(2,)``. Default the origin.
    levels : int or array_like, optional
        Number of contour lines (geometrically spaced when :math:`f \geq 0` on the view) or
        their values. Default 12.
    xlim, ylim : (float, float), optional
        View. Default: all iterates and the minimiser, with a margin.
    axis_labels : (str, str), optional
        Axis labels. Default ``("$x_1$", "$x_2$")``.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.
    title : str, optional
        Title; ``""`` for none.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from hbtheory.plots import trajectories_2d
    >>> gd = np.array([[10.0, 1.0], [8.0, -1.0], [6.4, 1.0]])
    >>> fig = trajectories_2d({"gradient descent": gd}, hessian=(2.0, 20.0))
    >>> [line.get_label() for line in fig.axes[0].get_lines() if not line.get_label().startswith("_")]
    ['gradient descent', 'minimiser']
    """
    title = _title(title)
    if not isinstance(trajectories, Mapping) or not trajectories:
        raise TypeError("`trajectories` must be a non-empty mapping of label -> array of shape (n, 2)")
    paths: dict[str, FloatArray] = {}
    for key, value in trajectories.items():
        if not isinstance(key, str):
            raise TypeError(f"`trajectories` keys must be strings (the labels), got {type(key).__name__}")
        arr = as_real(value, f"trajectories[{key!r}]")
        if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 1:
            raise ValueError(f"`trajectories[{key!r}]` must have shape (n, 2) with n >= 1, got {arr.shape}")
        paths[key] = arr
    H = as_real(hessian, "hessian")
    if H.shape == (2,):
        H = np.diag(H)
    if H.shape != (2, 2):
        raise ValueError(f"`hessian` must have shape (2,) (the diagonal) or (2, 2), got {H.shape}")
    if H[0, 1] != H[1, 0]:
        raise ValueError(f"`hessian` must be symmetric, got {H.tolist()}")
    xstar = as_real(minimizer, "minimizer")
    if xstar.shape != (2,):
        raise ValueError(f"`minimizer` must have shape (2,), got {xstar.shape}")
    level_count: int | None = None
    level_values: FloatArray | None = None
    if np.ndim(levels) == 0:
        level_count = _count(levels, "levels", 1)
    else:
        level_values = np.sort(_finite_1d(levels, "levels"))
    lims = []
    for lim, name, col in ((xlim, "xlim", 0), (ylim, "ylim", 1)):
        if lim is None:
            pts = np.concatenate([p[:, col] for p in paths.values()] + [xstar[col : col + 1]])
            lo, hi = float(pts.min()), float(pts.max())
            pad = 0.08 * (hi - lo) if hi > lo else 1.0
            lims.append((lo - pad, hi + pad))
        else:
            lims.append(_interval(lim, name, -np.inf, np.inf))

    # Equal scales on both axes, so that the level sets show the conditioning. A very flat or very
    # tall view is widened along its short side (to 1:4 at most) and a new figure takes its shape;
    # the legend goes below it, where it hides no iterate.
    if xlim is None and ylim is None:
        lims = _widen(lims, 0.25)
    ratio = (lims[1][1] - lims[1][0]) / (lims[0][1] - lims[0][0])
    width = 7.0
    height = float(np.clip(0.85 * width * ratio, 1.5, 6.5)) + 0.9 + 0.2 * (len(paths) + 1) / 2
    fig, axes = _axes(ax, (width, height))
    gx = np.linspace(*lims[0], 300)
    gy = np.linspace(*lims[1], 300)
    X, Y = np.meshgrid(gx - xstar[0], gy - xstar[1])
    F = 0.5 * (H[0, 0] * X**2 + 2.0 * H[0, 1] * X * Y + H[1, 1] * Y**2)
    if level_values is None:
        assert level_count is not None
        top = float(F.max())
        if float(F.min()) >= 0.0 and top > 0.0:
            level_values = top * np.geomspace(1e-3, 1.0, level_count + 1)[:-1]
        else:
            level_values = np.linspace(float(F.min()), top, level_count + 2)[1:-1]
    axes.contour(gx, gy, F, levels=level_values, colors="0.6", linewidths=0.8, zorder=1)

    for i, (key, path) in enumerate(paths.items()):
        colour = f"C{i % 10}"
        axes.plot(path[:, 0], path[:, 1], "-o", color=colour, markersize=3.5, linewidth=1.4, label=key, zorder=3)
        axes.plot(path[0, 0], path[0, 1], "s", color=colour, markersize=7, markeredgecolor="black", zorder=4)
    axes.plot(xstar[0], xstar[1], marker="*", color="black", markersize=12, linestyle="none", label="minimiser",
              zorder=5)
    axes.set_xlim(*lims[0])
    axes.set_ylim(*lims[1])
    axes.set_aspect("equal", adjustable="box")
    axes.set_xlabel(axis_labels[0])
    axes.set_ylabel(axis_labels[1])
    if title != "":
        axes.set_title("Iterates over the contours of f (squares: starting points)" if title is None else title)
    if ax is None:
        handles, labels = axes.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2 if len(labels) > 2 else len(labels),
                   fontsize="small", frameon=False)
    else:  # beside the axes, outside them
        axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False, borderaxespad=0.0)
    return fig


def _widen(lims: list[tuple[float, float]], least: float) -> list[tuple[float, float]]:
    """Widen the shorter side of a view about its centre so that its aspect is at least ``least``."""
    (x0, x1), (y0, y1) = lims
    w, h = x1 - x0, y1 - y0
    if h < least * w:
        c, h = (y0 + y1) / 2, least * w
        return [(x0, x1), (c - h / 2, c + h / 2)]
    if w < least * h:
        c, w = (x0 + x1) / 2, least * h
        return [(c - w / 2, c + w / 2), (y0, y1)]
    return lims


def loss_curves(
    histories: Mapping[str, ArrayLike],
    *,
    log: bool = True,
    xlabel: str = "iteration",
    ylabel: str = "loss",
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Loss histories against the iteration, one labelled line each.

    Parameters
    ----------
    histories : mapping of str to array_like
        Label -> 1-D loss values (entry ``t`` at iteration ``t``). Infinite values (a diverging
        run) are left as gaps; NaN is refused.
    log : bool, optional
        Logarithmic loss axis (default ``True``): linear convergence is a straight line whose
        slope is the rate. Values ``<= 0`` are not drawn on a log axis.
    xlabel, ylabel : str, optional
        Axis labels.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.
    title : str, optional
        Title; ``""`` for none.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from hbtheory.plots import loss_curves
    >>> t = np.arange(50)
    >>> fig = loss_curves({"SGD": 0.9 ** t, "momentum": 0.6 ** t})
    >>> fig.axes[0].get_yscale()
    'log'
    """
    if not isinstance(log, bool):
        raise TypeError(f"`log` must be a bool, got {type(log).__name__}")
    title = _title(title)
    if not isinstance(histories, Mapping) or not histories:
        raise TypeError("`histories` must be a non-empty mapping of label -> 1-D array")
    curves: dict[str, FloatArray] = {}
    for key, value in histories.items():
        if not isinstance(key, str):
            raise TypeError(f"`histories` keys must be strings (the labels), got {type(key).__name__}")
        arr = np.asarray(value)
        if arr.dtype.kind not in "iuf" or arr.ndim != 1 or arr.size < 1:
            raise ValueError(f"`histories[{key!r}]` must be a non-empty 1-D array of real numbers")
        arr = arr.astype(np.float64)
        if np.isnan(arr).any():
            raise ValueError(f"`histories[{key!r}]` contains NaN at index {int(np.argmax(np.isnan(arr)))}")
        curves[key] = arr

    fig, axes = _axes(ax, (6.4, 4.4))
    for key, arr in curves.items():
        shown = np.where(np.isfinite(arr) & ((arr > 0.0) | (not log)), arr, np.nan)
        finite = np.flatnonzero(np.isfinite(arr))
        diverged = finite.size < arr.size
        (line,) = axes.plot(np.arange(arr.size), shown, label=key + (" (diverged)" if diverged else ""), linewidth=1.6)
        if diverged and finite.size and not np.isnan(shown[finite[-1]]):
            # where the run left the floating-point range
            axes.plot(finite[-1], shown[finite[-1]], marker="x", markersize=9, markeredgewidth=2,
                      color=line.get_color(), linestyle="none")
    if log:
        axes.set_yscale("log")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel + (" (log scale)" if log else ""))
    axes.grid(True, which="major", alpha=0.3)
    if title:
        axes.set_title(title)
    elif title is None:
        axes.set_title("Loss histories")
    axes.legend(loc="best", fontsize="small")
    return fig


def rates_scatter(
    predicted: ArrayLike,
    measured: ArrayLike,
    *,
    groups: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Measured rates against the theory's, with the line :math:`y = x`.

    Parameters
    ----------
    predicted : array_like
        Rates from the theory (e.g. :func:`hbtheory.spectral.spectral_radius`), 1-D, ``>= 0``.
    measured : array_like
        Rates fitted from runs, same shape, ``>= 0``.
    groups : sequence of str, optional
        A label per point (e.g. the method); each group gets a colour and a legend entry.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.
    title : str, optional
        Title; ``""`` for none.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from hbtheory.plots import rates_scatter
    >>> fig = rates_scatter([0.5, 0.8, 0.9], [0.51, 0.79, 0.9], groups=["GD", "HB", "HB"])
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['$y = x$', 'GD', 'HB']
    """
    title = _title(title)
    p = _finite_1d(predicted, "predicted", low=0.0)
    q = _finite_1d(measured, "measured", low=0.0)
    if p.shape != q.shape:
        raise ValueError(f"`predicted` and `measured` must have the same shape, got {p.shape} and {q.shape}")
    if groups is None:
        labels = ["runs"] * p.size
    else:
        if isinstance(groups, str) or len(groups) != p.size or not all(isinstance(g, str) for g in groups):
            raise TypeError(f"`groups` must be a sequence of {p.size} strings (one per point)")
        labels = list(groups)

    fig, axes = _axes(ax, (5.6, 5.2))
    lo = float(min(p.min(), q.min()))
    hi = float(max(p.max(), q.max()))
    pad = 0.05 * (hi - lo) if hi > lo else 0.05
    lo, hi = lo - pad, hi + pad
    axes.plot([lo, hi], [lo, hi], color="0.3", linestyle="--", linewidth=1.0, label="$y = x$", gid=GID_DIAGONAL)
    for i, g in enumerate(dict.fromkeys(labels)):
        sel = np.array([lab == g for lab in labels])
        axes.scatter(p[sel], q[sel], s=28, color=f"C{i % 10}", edgecolors="black", linewidths=0.5, label=g, zorder=3)
    axes.set_xlim(lo, hi)
    axes.set_ylim(lo, hi)
    axes.set_aspect("equal")
    axes.set_xlabel(r"predicted rate $\rho$")
    axes.set_ylabel("measured rate")
    if title != "":
        axes.set_title("Measured against predicted rates" if title is None else title)
    axes.legend(loc="upper left", fontsize="small")
    return fig


# --------------------------------------------------------------------------------------------
# Explanatory figures
# --------------------------------------------------------------------------------------------


def momentum_weights(
    betas: ArrayLike = (0.95, 0.9, 0.6, 0.0),
    *,
    steps: int = 40,
    axes: Sequence[Axes] | None = None,
    title: str | None = None,
) -> Figure:
    r"""Momentum as an average of past gradients: the weights and the amplification.

    Left: the weight :math:`\beta^i` that the velocity gives the gradient from :math:`i` steps
    ago. Right: under a constant gradient :math:`g` the step grows to
    :math:`\alpha g (1 - \beta^t)/(1 - \beta)` (:func:`hbtheory.spectral.velocity_transient`, drawn
    for :math:`\alpha g = 1`) and levels off at the amplification :math:`1/(1 - \beta)`
    (:func:`hbtheory.spectral.amplification`, dashed): the effective averaging window.

    Parameters
    ----------
    betas : array_like, optional
        Momentum values in ``[0, 1)``. Default the notes' ``(0.95, 0.9, 0.6, 0)``.
    steps : int, optional
        Number of steps drawn, ``>= 2``. Default 40.
    axes : pair of matplotlib.axes.Axes, optional
        Draw into these two axes instead of a new figure.
    title : str, optional
        Figure title (on a new figure only); ``""`` for none.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from hbtheory.plots import momentum_weights
    >>> fig = momentum_weights()
    >>> len(fig.axes)
    2
    """
    b = _finite_1d(betas, "betas", low=0.0)
    if (b >= 1.0).any():
        raise ValueError(f"`betas` must be in [0.0, 1.0), got {float(b[b >= 1.0][0])!r}")
    steps = _count(steps, "steps", 2)
    title = _title(title)
    fig, ax1, ax2, owned = _axes_pair(axes, (10.0, 4.2))
    lag = np.arange(steps)
    t = np.arange(1, steps + 1)
    for i, beta in enumerate(b):
        colour = f"C{i % 10}"
        ax1.plot(lag, beta**lag, color=colour, linewidth=1.6, label=rf"$\beta = {beta:.2f}$")
        step = np.asarray(spectral.velocity_transient(1.0, beta, 1.0, t))
        window = float(spectral.amplification(beta))
        ax2.plot(t, step, color=colour, linewidth=1.6, label=rf"$\beta = {beta:.2f}$: $1/(1-\beta) = {_fmt(window)}$")
        ax2.axhline(window, color=colour, linestyle="--", linewidth=1.0)
    ax1.set_xlabel("steps ago $i$")
    ax1.set_ylabel(r"weight $\beta^i$ of the gradient")
    ax1.set_title("Weights of past gradients in the velocity")
    ax1.legend(fontsize="small")
    ax2.set_xlabel("step $t$")
    ax2.set_ylabel(r"step length / $(\alpha g)$")
    ax2.set_title("Constant gradient: step grows to the amplification")
    # headroom above the highest amplification line, so that the legend covers no curve
    ax2.set_ylim(0.0, 1.35 * float(np.max(1.0 / (1.0 - b))))
    ax2.legend(fontsize="small", loc="upper left", ncols=2 if b.size > 2 else 1)
    for a in (ax1, ax2):
        a.grid(True, alpha=0.3)
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
    if owned and title != "":
        fig.suptitle("Momentum averages about 1/(1 − β) past gradients" if title is None else title)
    return fig


def decay_curves(
    lambdas: ArrayLike = (0.1, 1.0, 10.0, 19.0),
    *,
    eta: float = 0.1,
    steps: int = 20,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Gradient descent on :math:`f(x) = \tfrac12 \lambda x^2`: the error factor
    :math:`(1 - \eta \lambda)^t` for several curvatures (the notes' figure).

    The factor :math:`1 - \eta\lambda` is gradient descent's :math:`c_1` from
    :mod:`hbtheory.methods`. Small :math:`\lambda` decays slowly, :math:`\eta\lambda > 1` flips the
    sign every step, :math:`\eta\lambda > 2` diverges.

    Parameters
    ----------
    lambdas : array_like, optional
        Curvatures. Default the notes' ``(0.1, 1, 10, 19)``.
    eta : float, optional
        Step size, ``> 0``. Default 0.1.
    steps : int, optional
        Number of steps, ``>= 2``. Default 20.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.
    title : str, optional
        Title; ``""`` for none.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from hbtheory.plots import decay_curves
    >>> fig = decay_curves()
    >>> len(fig.axes[0].get_lines())
    5
    """
    lam = _finite_1d(lambdas, "lambdas")
    eta = as_scalar(eta, "eta", low=0.0, low_open=True)
    steps = _count(steps, "steps", 2)
    title = _title(title)
    gd = get_method("gradient_descent")
    fig, axes = _axes(ax, (6.4, 4.4))
    t = np.arange(steps)
    for i, value in enumerate(lam):
        factor = float(gd.c1(eta, 0.0, value))
        axes.plot(t, factor**t, "-o", color=f"C{i % 10}", markersize=3, linewidth=1.5,
                  label=rf"$\lambda = {_fmt(value)}$ ($1 - \eta\lambda = {_fmt(factor)}$)")
    axes.axhline(0.0, color="0.5", linewidth=0.8)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("step $t$")
    axes.set_ylabel(r"$(1 - \eta\lambda)^t$")
    axes.grid(True, alpha=0.3)
    if title != "":
        axes.set_title(rf"Gradient descent on $\lambda x^2/2$, $\eta = {_fmt(eta)}$" if title is None else title)
    axes.legend(fontsize="small")
    return fig


def rate_vs_kappa(
    kappas: ArrayLike | None = None,
    *,
    tol: float = 1e-6,
    methods: Sequence[str | Method] = ("gradient_descent", "nesterov", "heavy_ball"),
    axes: Sequence[Axes] | None = None,
    title: str | None = None,
) -> Figure:
    r"""Optimal rates and iteration counts against the condition number (log-log).

    For each method and :math:`\kappa` the tuning is :func:`hbtheory.tuning.optimal_parameters`.
    Left: the gap :math:`1 - \rho^*` (a rate near 1 is unreadable on any axis; the gap shows the
    :math:`1/\kappa` against :math:`1/\sqrt\kappa` slopes). Right: the iterations to reach ``tol``
    (``Tuning.iterations``).

    Parameters
    ----------
    kappas : array_like, optional
        Condition numbers, ``>= 1``. Default 41 values from 2 to :math:`10^6`, log-spaced.
    tol : float, optional
        Tolerance in ``(0, 1)`` for the iteration counts. Default ``1e-6``.
    methods : sequence of str or Method, optional
        Methods compared (any of the family). Default gradient descent, Nesterov, heavy ball.
    axes : pair of matplotlib.axes.Axes, optional
        Draw into these two axes instead of a new figure.
    title : str, optional
        Figure title (on a new figure only); ``""`` for none.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from hbtheory.plots import rate_vs_kappa
    >>> fig = rate_vs_kappa([10.0, 100.0, 1000.0])
    >>> fig.axes[0].get_xscale(), fig.axes[1].get_yscale()
    ('log', 'log')
    """
    k = np.geomspace(2.0, 1e6, 41) if kappas is None else np.sort(_finite_1d(kappas, "kappas", low=1.0))
    tol = as_scalar(tol, "tol", low=0.0, high=1.0, low_open=True, high_open=True)
    if isinstance(methods, str):
        raise TypeError("`methods` must be a sequence of method names, not a single string")
    ms = [get_method(name) for name in methods]
    if not ms:
        raise ValueError("`methods` must name at least one method")
    title = _title(title)

    from hbtheory import tuning

    fig, ax1, ax2, owned = _axes_pair(axes, (10.0, 4.2))
    for i, m in enumerate(ms):
        tunings = [tuning.optimal_parameters(kappa=float(kappa), method=m) for kappa in k]
        gap = np.array([1.0 - t.rate for t in tunings])
        iters = np.array([t.iterations(tol) for t in tunings], dtype=np.float64)
        style: dict[str, Any] = {"color": f"C{i % 10}", "linewidth": 1.8, "marker": "o", "markersize": 3,
                                 "label": m.title}
        ax1.plot(k, gap, **style)
        ax2.plot(k, np.where(iters > 0, iters, np.nan), **style)
    for a in (ax1, ax2):
        a.set_xscale("log")
        a.set_yscale("log")
        a.set_xlabel(r"condition number $\kappa = L/\mu$")
        a.grid(True, which="both", alpha=0.25)
        a.legend(fontsize="small")
    ax1.set_ylabel(r"$1 - \rho^*$ (optimal tuning)")
    ax1.set_title("Gap to 1 of the optimal rate")
    ax2.set_ylabel(f"iterations to reach tol = {tol:.3g}")
    ax2.set_title("Iterations at the optimal tuning")
    if owned and title != "":
        fig.suptitle("Optimal rates against the condition number" if title is None else title)
    return fig


# --------------------------------------------------------------------------------------------
# Beyond quadratics
# --------------------------------------------------------------------------------------------

# Colours of the runs in cycle_plot: not red, which is the cycle's.
_RUN_COLOURS = ("tab:orange", "tab:blue", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive")


def _ends_on_cycle(xs: FloatArray, cycle: FloatArray) -> bool:
    """Whether the last ``len(cycle)`` iterates are, one each, the points of ``cycle`` (to 1e-3 of
    their size): the run has fallen onto the cycle."""
    p = cycle.size
    if p == 0 or xs.size < p or not np.isfinite(xs[-p:]).all():
        return False
    gaps = np.abs(xs[-p:, None] - cycle[None, :])
    tol = 1e-3 * max(1.0, float(np.abs(cycle).max()))
    return bool((gaps.min(axis=1) <= tol).all() and len(set(gaps.argmin(axis=1).tolist())) == p)


def cycle_plot(data: CycleFigureData, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    r"""Heavy ball cycling on the Lessard-Recht-Packard function, Nesterov and gradient descent converging.

    The graph of the piecewise-quadratic function :math:`f` (:mod:`hbtheory.counterexamples`;
    :math:`\mu = 1`, :math:`L = 25`) with its breakpoints :math:`x = 1, 2` (dotted). Each method's
    iterates :math:`(x_t, f(x_t))`, tuned for :math:`\kappa = 25`, are points joined in the order
    visited: heavy ball at Polyak's tuning falls onto the period-3 cycle, drawn as a closed
    triangle through its three points (large red dots), while Nesterov's method and gradient
    descent reach the minimiser :math:`x^* = 0`. Everything drawn is in ``data``
    (:func:`hbtheory.counterexamples.cycle_figure_data`).

    Parameters
    ----------
    data : CycleFigureData
        From :func:`hbtheory.counterexamples.cycle_figure_data`.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.
    title : str, optional
        Title; ``""`` for none.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~hbtheory.counterexamples.CycleFigureData`.

    Examples
    --------
    >>> from hbtheory.counterexamples import cycle_figure_data
    >>> from hbtheory.plots import cycle_plot
    >>> fig = cycle_plot(cycle_figure_data())
    >>> (points,) = [line for line in fig.axes[0].get_lines() if line.get_gid() == "cycle-points"]
    >>> points.get_xdata().round(4)
    array([-1.8024,  2.1159,  0.6465])
    """
    from hbtheory.counterexamples import CycleFigureData

    if not isinstance(data, CycleFigureData):
        raise TypeError(f"`data` must be a CycleFigureData (hbtheory.counterexamples.cycle_figure_data), "
                        f"got {type(data).__name__}")
    title = _title(title)
    fig, axes = _axes(ax, (7.6, 5.4))
    x, f = np.asarray(data.x), np.asarray(data.f)
    runs = [np.asarray(v) for v in data.iterates.values()]
    reach = np.concatenate([x, *runs])
    reach = reach[np.isfinite(reach)]
    if reach.min() < x.min() or reach.max() > x.max():
        # the first steps leave the graph's range: extend the graph to them, at the same spacing
        from hbtheory.counterexamples import lrp_value

        step = float(x[1] - x[0]) if x.size > 1 else 0.01
        left = np.arange(x.min() - step, reach.min() - 2 * step, -step)[::-1]
        right = np.arange(x.max() + step, reach.max() + 2 * step, step)
        x = np.concatenate([left, x, right])
        f = np.concatenate([np.asarray(lrp_value(left)), f, np.asarray(lrp_value(right))])
    axes.plot(x, f, color="0.15", linewidth=2.0, zorder=2, gid=GID_GRAPH,
              label=r"$f$ (Lessard-Recht-Packard, $\mu = 1$, $L = 25$)")
    label = "breakpoints of $f'$ ($x = 1, 2$)"
    for b in np.asarray(data.breakpoints):
        axes.axvline(float(b), color="0.45", linestyle=":", linewidth=1.2, zorder=1, gid=GID_BREAKPOINT, label=label)
        label = "_" + label

    cx, cf = np.asarray(data.cycle_points), np.asarray(data.cycle_values)
    period = cx.size
    for i, (name, xs_any) in enumerate(data.iterates.items()):
        xs, fs = np.asarray(xs_any), np.asarray(data.values[name])
        on_cycle = _ends_on_cycle(xs, cx)
        style: dict[str, Any] = {"color": _RUN_COLOURS[i % len(_RUN_COLOURS)], "marker": "os^vD<>"[i % 7],
                                 "zorder": 4 if on_cycle else 3, "markersize": 4.5 if on_cycle else 3.5,
                                 "linewidth": 1.1 if on_cycle else 0.9, "linestyle": "-" if on_cycle else "--",
                                 "alpha": 0.9 if on_cycle else 0.8}
        alpha_, beta_ = data.tunings.get(name, (np.nan, np.nan))
        tuning_text = rf"$\alpha = {_fmt(alpha_)}$" + ("" if beta_ == 0.0 else rf", $\beta = {_fmt(beta_)}$")
        end = f"ends on the period-{period} cycle" if on_cycle else rf"$x_{{{xs.size - 1}}} = {xs[-1]:.1e}$"
        axes.plot(xs, fs, gid=GID_ITERATES + name, label=f"{get_method(name).title} ({tuning_text}): {end}", **style)
    if data.iterates:  # every run starts at x_{-1} = x_0 = data.x0
        first = next(iter(data.values.values()))
        axes.plot([data.x0], [float(np.asarray(first)[0])], marker="s", markersize=9,
                  markerfacecolor="white", markeredgecolor="black", linestyle="none", zorder=6,
                  label=rf"start $x_{{-1}} = x_0 = {_fmt(data.x0)}$")

    axes.fill(cx, cf, facecolor="tab:red", alpha=0.08, zorder=1)
    axes.plot(np.r_[cx, cx[:1]], np.r_[cf, cf[:1]], color="tab:red", linewidth=2.2, zorder=5, gid=GID_CYCLE,
              label=f"the period-{period} cycle (each point maps to the next)")
    axes.plot(cx, cf, marker="o", markersize=12, markerfacecolor="tab:red", markeredgecolor="black",
              markeredgewidth=1.2, linestyle="none", zorder=7, gid=GID_CYCLE_POINTS,
              label="cycle points " + ", ".join(f"{c:.3f}" for c in cx))
    axes.plot([0.0], [0.0], marker="*", markersize=14, color="black", linestyle="none", zorder=7,
              label=r"minimiser $x^* = 0$")
    # The view holds the graph and every iterate (the first steps may leave the graph's range)
    xs_all = np.concatenate([x, *(np.asarray(v) for v in data.iterates.values())])
    fs_all = np.concatenate([f, *(np.asarray(v) for v in data.values.values())])
    finite = np.isfinite(xs_all) & np.isfinite(fs_all)
    x_lo, x_hi = float(xs_all[finite].min()), float(xs_all[finite].max())
    top, low = float(fs_all[finite].max()), min(0.0, float(fs_all[finite].min()))
    pad = 0.03 * (x_hi - x_lo)
    axes.set_xlim(x_lo - pad, x_hi + pad)
    axes.set_ylim(low - 0.04 * (top - low), top + 0.06 * (top - low))
    axes.set_xlabel("$x$")
    axes.set_ylabel("$f(x)$")
    axes.grid(True, alpha=0.25)
    if title != "":
        axes.set_title("Heavy ball at Polyak's tuning cycles on a smooth strongly convex function\n"
                       r"(all three methods tuned for $\kappa = 25$)" if title is None else title)
    _legend(axes, ax is None, fig)
    return fig


def pep_plot(data: PEPComparison, *, ax: Axes | None = None, log: bool = True, title: str | None = None) -> Figure:
    r"""Worst case of :math:`n` steps against :math:`n`: quadratics against all smooth strongly convex functions.

    Three curves at the quadratic-optimal tuning of ``data.method`` (Polyak's for heavy ball):
    the exact worst case over quadratics (:func:`hbtheory.worst_case`, line), PEPit's over the
    quadratic class (open circles: they should sit on the line) and PEPit's over every
    :math:`\mu`-strongly convex :math:`L`-smooth function (red squares), which can grow where the
    quadratic one decays. Solves the solver did not report accurate are crossed. Everything drawn
    is in ``data`` (:func:`hbtheory.pep.pep_comparison`).

    Parameters
    ----------
    data : PEPComparison
        From :func:`hbtheory.pep.pep_comparison`.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.
    log : bool, optional
        Logarithmic worst-case axis (default ``True``).
    title : str, optional
        Title; ``""`` for none.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~hbtheory.pep.PEPComparison`, or ``log`` is not a bool.

    Examples
    --------
    >>> import numpy as np
    >>> from hbtheory.pep import PEPComparison
    >>> from hbtheory.plots import pep_plot
    >>> data = PEPComparison(ns=np.array([1, 2, 3]), kappa=25.0, mu=0.04, L=1.0, alpha=2.78, beta=0.44,
    ...                      method="heavy_ball", metric="distance", solver="CLARABEL",
    ...                      exact=np.array([3.16, 3.71, 3.16]), quadratic=np.array([3.16, 3.71, 3.16]),
    ...                      smooth_strongly_convex=np.array([3.16, 7.92, 10.26]),
    ...                      accurate=np.ones((2, 3), dtype=bool), tolerance=1e-8)
    >>> fig = pep_plot(data)
    >>> sorted(line.get_gid() for line in fig.axes[0].get_lines() if line.get_gid())
    ['exact', 'pep-quadratic', 'pep-smooth-strongly-convex']
    """
    from hbtheory.pep import PEPComparison

    if not isinstance(data, PEPComparison):
        raise TypeError(f"`data` must be a PEPComparison (hbtheory.pep.pep_comparison), got {type(data).__name__}")
    if not isinstance(log, bool):
        raise TypeError(f"`log` must be a bool, got {type(log).__name__}")
    title = _title(title)
    ns = np.asarray(data.ns)
    exact, quad, general = (np.asarray(v, dtype=np.float64) for v in
                            (data.exact, data.quadratic, data.smooth_strongly_convex))
    accurate = np.asarray(data.accurate, dtype=bool).reshape(2, ns.size)

    fig, axes = _axes(ax, (6.8, 4.6))
    axes.plot(ns, exact, color="black", linewidth=1.8, marker="o", markersize=4, zorder=3, gid=GID_EXACT,
              label=r"quadratics, exact (hbtheory.worst_case)")
    axes.plot(ns, quad, color="tab:blue", marker="o", markersize=10, markerfacecolor="none", markeredgewidth=1.5,
              linestyle="none", zorder=4, gid=GID_PEP_QUADRATIC, label="quadratics, PEPit")
    axes.plot(ns, general, color="tab:red", marker="s", markersize=6, linewidth=1.6, zorder=4, gid=GID_PEP_GENERAL,
              label=r"every $\mu$-strongly convex $L$-smooth $f$, PEPit")
    off = ~accurate
    if off.any():
        xs = np.concatenate([ns[off[0]], ns[off[1]]])
        ys = np.concatenate([quad[off[0]], general[off[1]]])
        axes.plot(xs, ys, marker="x", markersize=9, color="black", linestyle="none", zorder=5,
                  label="solve not reported accurate")
    axes.axhline(1.0, color="0.5", linewidth=0.9, linestyle="--", zorder=1)
    if log:
        axes.set_yscale("log")
    axes.set_xticks(ns)
    axes.set_xlabel("steps $n$")
    quantity = {"distance": r"$\|x_n - x^*\|^2 / \|x_0 - x^*\|^2$",
                "function_value": r"$(f(x_n) - f^*) / (f(x_0) - f^*)$"}.get(data.metric, data.metric)
    axes.set_ylabel(f"worst case of {quantity}")
    axes.grid(True, which="both", alpha=0.25)
    if title != "":
        name = get_method(data.method).title
        default = (f"{name} at the quadratic-optimal tuning, κ = {_fmt(data.kappa)}\n"
                   rf"($\alpha = {_fmt(data.alpha)}$, $\beta = {_fmt(data.beta)}$, "
                   rf"$[\mu, L] = [{_fmt(data.mu)}, {_fmt(data.L)}]$)")
        axes.set_title(default if title is None else title)
    axes.legend(loc="best", fontsize="small", framealpha=0.9)
    return fig


def robust_map(
    data: Any = None,
    *,
    mu: float | None = None,
    L: float | None = None,
    method: str | Method = "heavy_ball",
    n: int = 60,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""The :math:`(\alpha, \beta)` plane on :math:`F(\mu, L)` in three colours: certified, cycling, unknown.

    Draws :class:`hbtheory.robust.RobustMap` ``data``, or the one
    :func:`hbtheory.robust.robust_map_data` computes from ``mu``, ``L``, ``method`` and ``n``
    (drawing: :func:`hbtheory._robust_figure.draw_robust_map`).

    Examples
    --------
    >>> fig = robust_map(mu=0.1, L=1.0, n=6)
    >>> fig.axes[0].get_xlabel()
    'step size α'
    """
    from hbtheory._robust_figure import draw_robust_map
    from hbtheory.robust import robust_map_data

    if data is None:
        if mu is None or L is None:
            raise ValueError("give `data` or both `mu` and `L`")
        data = robust_map_data(mu, L, method=method, n=n)
    return draw_robust_map(data, ax=ax, title=title)


# The figures of the stochastic layer and of a user's model live in their own private modules (one
# concept each); they are part of this module's public surface.
from hbtheory._plots_model import spectral_density_plot, tuning_check_plot  # noqa: E402
from hbtheory._plots_stochastic import batch_size_plot, mean_square_region_plot, second_moment_plot  # noqa: E402
