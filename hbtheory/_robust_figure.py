"""The three-colour robust map (drawing only; the data come from :func:`hbtheory.robust.robust_map_data`).

Kept apart from :mod:`hbtheory.plots` so that the drawing can be re-exported there as
``plots.robust_map`` without touching the rest of that module.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from hbtheory.methods import get_method
from hbtheory.robust import RobustMap


def draw_robust_map(data: RobustMap, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    r"""Draw the :math:`(\alpha, \beta)` plane in three colours: certified, proven cycles, unknown.

    Certified points are shaded by their certified rate (viridis, bottom = the smallest rate), points
    with a proven regular-polygon cycle by the smallest period (reds, darker = shorter), the rest
    light grey ("unknown": neither certified nor proven to cycle). On top: the boundary of
    convergence on quadratics (black), the critical-damping curves at ``mu`` (white dashed) and ``L``
    (white dotted), the method's quadratic tuning (white star) and the best certified point of the map
    (orange diamond).

    Parameters
    ----------
    data : RobustMap
    ax : matplotlib.axes.Axes, optional
        Draw into it; default a new figure.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from hbtheory.robust import robust_map_data
    >>> fig = draw_robust_map(robust_map_data(0.1, 1.0, n=6))
    >>> len(fig.axes) >= 1
    True
    """
    if not isinstance(data, RobustMap):
        raise TypeError(f"`data` must be a RobustMap, got {type(data).__name__}")
    if ax is None:
        fig = Figure(figsize=(7.0, 5.2), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    else:
        root = ax.figure
        fig = root if isinstance(root, Figure) else root.figure
    a, b = np.asarray(data.alpha), np.asarray(data.beta)
    rate = np.asarray(data.rate)
    cycle = np.asarray(data.cycle)
    da = a[1] - a[0] if a.size > 1 else 1.0
    db = b[1] - b[0] if b.size > 1 else 1.0
    extent = (a[0] - da / 2, a[-1] + da / 2, b[0] - db / 2, b[-1] + db / 2)
    # unknown: grey background
    ax.imshow(np.ones(rate.shape), extent=extent, origin="lower", aspect="auto",
              cmap=ListedColormap(["#d9d9d9"]), vmin=0, vmax=1, interpolation="nearest")
    fin = np.isfinite(rate)
    vmin = float(np.floor(np.min(rate[fin]) * 20) / 20) if fin.any() else 0.0
    img = ax.imshow(np.where(fin, rate, np.nan), extent=extent, origin="lower", aspect="auto",
                    cmap=colormaps["viridis"], norm=Normalize(vmin, 1.0), interpolation="nearest")
    ks = sorted(int(k) for k in np.asarray(data.periods))
    reds = colormaps["Reds"]
    kcols = ListedColormap([reds(0.85 - 0.5 * i / max(len(ks) - 1, 1)) for i in range(len(ks))])
    bounds = [k - 0.5 for k in ks] + [ks[-1] + 0.5]
    ax.imshow(np.where(cycle > 0, cycle, np.nan).astype(float), extent=extent, origin="lower", aspect="auto",
              cmap=kcols, norm=BoundaryNorm(bounds, kcols.N), interpolation="nearest")
    fig.colorbar(img, ax=ax, label="certified rate on F(μ, L)")
    # quadratic boundary and critical curves
    A, B = np.meshgrid(a, b)
    quad = np.asarray(data.quadratic_rate)
    if np.any(quad < 1) and np.any(quad >= 1):
        ax.contour(A, B, quad, levels=[1.0], colors="black", linewidths=1.2)
    m = get_method(data.method)
    fine_a = np.linspace(extent[0], extent[1], 300)
    fine_b = np.linspace(extent[2], extent[3], 300)
    FA, FB = np.meshgrid(fine_a, fine_b)
    if m.uses_beta:
        for h, style in ((data.mu, "--"), (data.L, ":")):
            c1, c0 = m.c1(FA, FB, h), m.c0(FA, FB, h)
            disc = np.asarray(c1 * c1 - 4.0 * c0, dtype=float)
            if np.nanmin(disc) < 0 < np.nanmax(disc):
                ax.contour(FA, FB, disc, levels=[0.0], colors="white", linewidths=1.0, linestyles=style)
    handles: list[Any] = [
        Patch(color=colormaps["viridis"](0.6), label="certified (rate)"),
        Patch(color=reds(0.8), label="proven cycle (darker: shorter period " + ", ".join(map(str, ks)) + ")"),
        Patch(color="#d9d9d9", label="unknown"),
        Line2D([], [], color="black", label="converges on quadratics (inside)"),
    ]
    if m.closed_form is not None:
        cf = m.closed_form(data.mu, data.L)
        if extent[0] <= cf.alpha <= extent[1] and extent[2] <= cf.beta <= extent[3]:
            ax.plot([cf.alpha], [cf.beta], marker="*", color="white", markeredgecolor="black", markersize=13,
                    linestyle="none")
            handles.append(Line2D([], [], marker="*", color="white", markeredgecolor="black", linestyle="none",
                                  markersize=11, label="quadratic optimum"))
    oa, ob, orate = data.robust_optimum
    if np.isfinite(orate):
        ax.plot([oa], [ob], marker="D", color="orange", markeredgecolor="black", markersize=8, linestyle="none")
        handles.append(Line2D([], [], marker="D", color="orange", markeredgecolor="black", linestyle="none",
                              label=f"best certified ({orate:.4f})"))
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("step size α")
    ax.set_ylabel("momentum β")
    ax.set_title(title if title is not None else
                 f"{m.title} on F(μ, L), μ = {data.mu:g}, L = {data.L:g}: certified, cycling, unknown")
    ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.85)
    return fig
