"""Tests of hbtheory.plots: the artists drawn, the pixels of the heatmap, validation, PNG output.

The figures are checked against the numeric layers they draw (spectral, tuning, symbolic): every
position and colour asserted here is recomputed independently of the plotting code.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from matplotlib.text import Annotation

from hbtheory import plots, spectral, tuning

# One 8-bit colour level, and two for the rounding of blended colour maps.
RGB_TOL = 2.0 / 255.0


def lines_with_gid(ax: Axes, gid: str) -> list[Line2D]:
    return [line for line in ax.get_lines() if line.get_gid() == gid]


def contour_with_gid(ax: Axes, gid: str) -> ContourSet:
    found = [c for c in ax.collections if isinstance(c, ContourSet) and c.get_gid() == gid]
    assert len(found) == 1, f"expected one contour set {gid!r}, found {len(found)}"
    return found[0]


def assert_on_level_one(ax: Axes, contour: ContourSet, rate: Callable[[Any, Any], Any]) -> None:
    """Every vertex of ``contour`` is within one grid cell of a point where ``rate`` crosses 1."""
    (image,) = ax.images
    a0, a1, b0, b1 = image.get_extent()
    ny, nx = image.get_array().shape
    da, db = (a1 - a0) / nx, (b1 - b0) / ny
    v = np.concatenate([p.vertices for p in contour.get_paths()])
    assert len(v) > 10
    shifts = np.array([(sa, sb) for sa in (-1, 0, 1) for sb in (-1, 0, 1)], dtype=float)
    a = np.clip(v[:, None, 0] + shifts[None, :, 0] * da, 1e-12, a1)
    b = np.clip(v[:, None, 1] + shifts[None, :, 1] * db, b0, b1)
    rho = np.asarray(rate(a, b))
    assert (rho.min(axis=1) <= 1.0).all() and (rho.max(axis=1) >= 1.0).all()


def assert_on_critical_curves(a: np.ndarray, b: np.ndarray, h: float) -> None:
    """Heavy ball's double roots: alpha h = (1 -/+ sqrt(beta))^2. Each point is on one branch to
    within 64 ulps of the larger coordinate, measured along whichever axis the curve is less
    steep in (the polyline's points are projected onto the zero set of c1^2 - 4 c0)."""
    in_b = np.minimum(np.abs(b - (1.0 - np.sqrt(h * a)) ** 2), np.abs(b - (1.0 + np.sqrt(h * a)) ** 2))
    in_a = np.minimum(np.abs(h * a - (1.0 - np.sqrt(b)) ** 2), np.abs(h * a - (1.0 + np.sqrt(b)) ** 2))
    assert (np.minimum(in_a, in_b) <= 64 * np.finfo(float).eps * np.maximum(1.0, h * a)).all()


def display_points(ax: Axes, xy: np.ndarray) -> np.ndarray:
    return np.asarray(ax.transData.transform(xy))


def densify(points: np.ndarray, spacing: float = 2.0) -> np.ndarray:
    """Points every ``spacing`` pixels along a polyline (NaN vertices break it)."""
    out = [points[:1]]
    for p, q in itertools.pairwise(points):
        if np.isfinite(p).all() and np.isfinite(q).all():
            k = max(1, int(np.ceil(np.linalg.norm(q - p) / spacing)))
            out.append(p + (q - p) * (np.arange(1, k + 1) / k)[:, None])
        else:
            out.append(q[None, :])
    return np.concatenate(out)


def overlay_pixels(ax: Axes) -> np.ndarray:
    """Display coordinates along every line and contour drawn over the image."""
    pts = [display_points(ax, np.column_stack([line.get_xdata(), line.get_ydata()])) for line in ax.get_lines()]
    for c in ax.collections:
        if isinstance(c, ContourSet):
            for path in c.get_paths():
                pts.append(display_points(ax, path.vertices))
    all_pts = np.concatenate([densify(p) for p in pts if p.size])
    return all_pts[np.isfinite(all_pts).all(axis=1)]


# --------------------------------------------------------------------------------------------
# rho_heatmap
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def heatmap_h() -> Figure:
    return plots.rho_heatmap(h=2.0, n=120)


@pytest.fixture(scope="module")
def heatmap_interval() -> Figure:
    return plots.rho_heatmap(mu=0.01, L=1.0, n=120)


def test_heatmap_artists_single_curvature(heatmap_h: Figure) -> None:
    ax = heatmap_h.axes[0]
    assert len(heatmap_h.axes) == 2
    assert ax.get_xlabel() == r"step size $\alpha$"
    assert ax.get_ylabel() == r"momentum $\beta$"
    assert "h = 2" in ax.get_title()
    (image,) = ax.images
    assert image.colorbar is not None and image.colorbar.ax is heatmap_h.axes[1]
    assert image.get_cmap().name.startswith("viridis")

    boundary = contour_with_gid(ax, plots.GID_BOUNDARY)
    assert list(boundary.levels) == [1.0]
    assert_on_level_one(ax, boundary, lambda a, b: spectral.spectral_radius(a, b, 2.0))

    curves = lines_with_gid(ax, plots.GID_CURVE)
    assert curves
    for line in curves:
        a, b = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        ok = np.isfinite(b)
        assert ok.sum() > 100
        # heavy ball: double root where beta = (1 -/+ sqrt(alpha h))^2, i.e. alpha h = (1 -/+ sqrt(beta))^2
        assert_on_critical_curves(a[ok], b[ok], 2.0)
        assert (b[ok] >= 0.0).all() and (b[ok] <= 1.0).all()
    # the whole lower branch inside the view is drawn, from (0, 1) down to (1/h, 0)
    a = np.concatenate([np.asarray(c.get_xdata()) for c in curves])
    b = np.concatenate([np.asarray(c.get_ydata()) for c in curves])
    # (the branch touches beta = 0 tangentially at alpha h = 1: reached to within 1e-6)
    assert np.nanmax(b) == pytest.approx(1.0, abs=1e-9) and np.nanmin(b) == pytest.approx(0.0, abs=1e-6)
    assert np.nanmin(a) == pytest.approx(0.0, abs=1e-9)

    (gd,) = lines_with_gid(ax, plots.GID_GD)
    assert list(gd.get_ydata()) == [0.0, 0.0]

    # one curvature: the optimum of [mu, L] = [h, h] (gradient descent with alpha = 1/h)
    best = tuning.optimal_parameters(mu=2.0, L=2.0)
    (opt,) = lines_with_gid(ax, plots.GID_OPTIMUM)
    assert (opt.get_xdata()[0], opt.get_ydata()[0]) == (best.alpha, best.beta)


def test_heatmap_artists_interval(heatmap_interval: Figure) -> None:
    ax = heatmap_interval.axes[0]
    best = tuning.optimal_parameters(mu=0.01, L=1.0)
    (opt,) = lines_with_gid(ax, plots.GID_OPTIMUM)
    assert (opt.get_xdata()[0], opt.get_ydata()[0]) == (best.alpha, best.beta)
    assert opt.get_marker() == "*"

    boundary = contour_with_gid(ax, plots.GID_BOUNDARY)
    assert_on_level_one(ax, boundary, lambda a, b: spectral.worst_case_rate(a, b, 0.01, 1.0))

    # Critical damping at both ends of the spectrum; Polyak's optimum lies on both.
    curves = lines_with_gid(ax, plots.GID_CURVE)
    at_mu = [c for c in curves if c.get_label().endswith(r"$h = \mu$")]
    at_L = [c for c in curves if c.get_label().endswith("$h = L$")]
    assert at_mu and at_L
    for group, h in ((at_mu, 0.01), (at_L, 1.0)):
        for line in group:
            a, b = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
            ok = np.isfinite(b)
            assert_on_critical_curves(a[ok], b[ok], h)
        # Polyak's optimum: mu on the lower branch, L on the upper one; the curve passes within
        # a fraction of a grid cell (n = 120) of it
        a, b = np.asarray(group[0].get_xdata()), np.asarray(group[0].get_ydata())
        (xlo, xhi), (ylo, yhi) = ax.get_xlim(), ax.get_ylim()
        gap = np.nanmin(np.hypot((a - best.alpha) / (xhi - xlo), (b - best.beta) / (yhi - ylo)))
        assert gap < 0.2 / 120
    labels = [t.get_text() for t in heatmap_interval.legends[0].get_texts()]
    assert any("optimum" in t for t in labels) and any("divergence" in t for t in labels)


def test_heatmap_iso_rate_levels() -> None:
    ax = plots.rho_heatmap(h=1.0, n=40, levels=[0.5, 0.8]).axes[0]
    assert list(contour_with_gid(ax, plots.GID_ISO).levels) == [0.5, 0.8]
    ax = plots.rho_heatmap(h=1.0, n=40, levels=[]).axes[0]
    assert not [c for c in ax.collections if c.get_gid() == plots.GID_ISO]


def _cell_pixels(fig: Figure) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray, np.ndarray]:
    """Render ``fig`` and return (RGBA buffer, image, alpha centres, beta centres, pixel centres)."""
    fig.canvas.draw()
    buf = np.asarray(fig.canvas.buffer_rgba()).astype(np.float64) / 255.0  # type: ignore[attr-defined]
    ax = fig.axes[0]
    (image,) = ax.images
    a0, a1, b0, b1 = image.get_extent()
    ny, nx = image.get_array().shape
    alpha = a0 + (a1 - a0) * (np.arange(nx) + 0.5) / nx
    beta = b0 + (b1 - b0) * (np.arange(ny) + 0.5) / ny
    A, B = np.meshgrid(alpha, beta)
    pix = display_points(ax, np.column_stack([A.ravel(), B.ravel()])).reshape(ny, nx, 2)
    return buf, image, A, B, pix


def _pixel(buf: np.ndarray, xy: np.ndarray) -> np.ndarray:
    # display y grows upwards from the bottom of the canvas; buffer rows grow downwards
    col = int(np.floor(xy[0]))
    row = buf.shape[0] - 1 - int(np.floor(xy[1]))
    return buf[row, col, :3]


@pytest.mark.parametrize(
    ("kwargs", "rate"),
    [
        ({"h": 2.0, "method": "heavy_ball"}, lambda a, b: spectral.spectral_radius(a, b, 2.0)),
        ({"h": 1.0, "method": "nesterov", "cmap": "cividis"},
         lambda a, b: spectral.spectral_radius(a, b, 1.0, method="nesterov")),
        ({"mu": 0.05, "L": 1.0}, lambda a, b: spectral.worst_case_rate(a, b, 0.05, 1.0)),
    ],
    ids=["heavy_ball-h", "nesterov-h", "heavy_ball-interval"],
)
def test_heatmap_pixels_inside_the_boundary_have_colours_below_one(
    kwargs: dict[str, Any], rate: Callable[[Any, Any], Any]
) -> None:
    fig = plots.rho_heatmap(n=60, levels=[], **kwargs)
    buf, image, A, B, pix = _cell_pixels(fig)
    ax = fig.axes[0]
    cmap, norm = image.get_cmap(), image.norm
    rho = np.asarray(rate(A, B))

    # Cell centres at least 8 pixels from every line, contour vertex and the optimum marker.
    overlays = overlay_pixels(ax)
    flat = pix.reshape(-1, 2)
    from scipy.spatial import cKDTree

    gap = cKDTree(overlays).query(flat)[0].reshape(rho.shape)
    clear = gap > 8.0
    inside = clear & (rho < 1.0)
    outside = clear & (rho > 1.0)
    assert inside.sum() > 200 and outside.sum() > 50

    lut = cmap(np.linspace(0.0, 1.0, cmap.N))[:, :3]
    step = (norm.vmax - norm.vmin) / cmap.N
    for i, j in np.argwhere(inside)[::7]:
        rgb = _pixel(buf, pix[i, j])
        nearest = int(np.argmin(np.linalg.norm(lut - rgb, axis=1)))
        assert np.linalg.norm(lut[nearest] - rgb) < 2 * RGB_TOL  # a colour of the map, not an overlay
        value = norm.vmin + (nearest + 0.5) * step
        assert value < 1.0
        # and the colour of this cell's rate (within a LUT step, or clipped at vmin)
        assert value == pytest.approx(max(float(rho[i, j]), norm.vmin), abs=2 * step)
        np.testing.assert_allclose(rgb, np.asarray(cmap(norm(rho[i, j])))[:3], atol=RGB_TOL)
    over = np.asarray(cmap.with_extremes(over=plots.DIVERGENT_COLOUR).get_over())[:3]
    for i, j in np.argwhere(outside)[::5]:
        np.testing.assert_allclose(_pixel(buf, pix[i, j]), over, atol=RGB_TOL)


def test_heatmap_into_existing_axes() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    out = plots.rho_heatmap(h=1.0, n=30, ax=ax, title="mine")
    assert out is fig
    assert ax.get_title() == "mine" and len(fig.axes) == 2
    assert ax.get_legend() is not None
    sub = Figure().subfigures(1, 2)[0]
    ax2 = sub.add_subplot()
    assert plots.rho_heatmap(h=1.0, n=20, ax=ax2) is sub.figure


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({}, ValueError, "give either `h`"),
        ({"h": 1.0, "mu": 0.1, "L": 1.0}, ValueError, "not both"),
        ({"mu": 0.1}, ValueError, "give either `h`"),
        ({"h": 1.0, "method": "gradient_descent", "beta_range": (0.0, 0.5)}, ValueError, "`beta_range`"),
        ({"h": 1.0, "alpha_max": 2.0, "alpha_range": (0.0, 1.0)}, ValueError, "`alpha_max` or `alpha_range`"),
        ({"h": 1.0, "alpha_range": (1.0, 0.5)}, ValueError, "`alpha_range`"),
        ({"h": 1.0, "alpha_range": (-1.0, 0.5)}, ValueError, "`alpha_range"),
        ({"h": 1.0, "method": "adam"}, ValueError, "`method`"),
        ({"h": -1.0}, ValueError, "`h`"),
        ({"h": "1"}, TypeError, "`h`"),
        ({"mu": 2.0, "L": 1.0}, ValueError, "`mu`"),
        ({"h": 1.0, "n": 3}, ValueError, "`n`"),
        ({"h": 1.0, "n": 10.5}, ValueError, "`n`"),
        ({"h": 1.0, "beta_range": (0.5, 0.2)}, ValueError, "`beta_range`"),
        ({"h": 1.0, "beta_range": (0.0, 1.5)}, ValueError, "`beta_range"),
        ({"h": 1.0, "beta_range": 0.5}, TypeError, "`beta_range`"),
        ({"h": 1.0, "alpha_max": 0.0}, ValueError, "`alpha_max`"),
        ({"h": 1.0, "cmap": "no-such-map"}, ValueError, "`cmap`"),
        ({"h": 1.0, "cmap": 3}, TypeError, "`cmap`"),
        ({"h": 1.0, "vmin": 1.0}, ValueError, "`vmin`"),
        ({"h": 1.0, "ax": "axes"}, TypeError, "`ax`"),
        ({"h": 1.0, "title": 3}, TypeError, "`title`"),
    ],
)
def test_heatmap_validation(kwargs: dict[str, Any], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        plots.rho_heatmap(**kwargs)


# --------------------------------------------------------------------------------------------
# universal_map
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["heavy_ball", "nesterov"])
def test_universal_map_names_the_regions_where_they_are(method: str) -> None:
    fig = plots.universal_map(method=method, n=150, kappa=100.0)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith(r"$\alpha h$")
    labels = {t.get_text().replace("\n", " "): t for t in ax.texts if t.get_gid() == plots.GID_REGION}
    assert set(labels) == {"ripples", "monotonic decrease", "monotonic oscillations", "divergence"}

    def region(x: float, beta: float) -> str:
        if spectral.spectral_radius(x, beta, 1.0, method=method) >= 1.0:
            return "divergence"
        z = spectral.eigenvalues(x, beta, 1.0, method=method)[0]
        if z.imag != 0.0:
            return "ripples"
        return "monotonic decrease" if z.real > 0.0 else "monotonic oscillations"

    for name, text in labels.items():
        # a label inside its region, or an arrow pointing into it
        x, beta = text.xy if isinstance(text, Annotation) else text.get_position()
        assert region(x, beta) == name

    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in labels.values()]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j])
    # nor do they cover an iso-rate label
    iso = [t.get_window_extent() for t in contour_with_gid(ax, plots.GID_ISO).labelTexts]
    assert iso and not any(b.overlaps(t) for b in boxes for t in iso)

    best = tuning.optimal_parameters(kappa=100.0, method=method)
    (segment,) = lines_with_gid(ax, plots.GID_OPTIMUM)
    np.testing.assert_array_equal(segment.get_xdata(), [best.alpha * best.mu, best.alpha * best.L])
    np.testing.assert_array_equal(segment.get_ydata(), [best.beta, best.beta])
    assert list(contour_with_gid(ax, plots.GID_BOUNDARY).levels) == [1.0]


def test_universal_map_nesterov_draws_the_line_alpha_h_equal_one() -> None:
    # Nesterov at alpha h = 1: c1 = c0 = 0 for every beta, a double root at 0 all the way up
    ax = plots.universal_map(method="nesterov", n=40).axes[0]
    pts = np.concatenate([np.column_stack([line.get_xdata(), line.get_ydata()])
                          for line in lines_with_gid(ax, plots.GID_CURVE)])
    on_line = pts[np.abs(pts[:, 0] - 1.0) <= 4 * np.finfo(float).eps]
    # from within one cell (1/40) of beta = 0, where it meets the other branch in a saddle, up to beta = 1
    assert on_line[:, 1].min() < 1.0 / 40 and on_line[:, 1].max() == pytest.approx(1.0, abs=1e-9)


def test_universal_map_into_existing_axes() -> None:
    fig = Figure()  # no Agg canvas of ours: the label placement must still lay the figure out
    ax = fig.add_subplot()
    assert plots.universal_map(n=40, ax=ax, title="") is fig
    assert ax.get_title() == ""
    assert len([t for t in ax.texts if t.get_gid() == plots.GID_REGION]) == 4


def test_universal_map_validation() -> None:
    with pytest.raises(ValueError, match="`kappa`"):
        plots.universal_map(kappa=0.5)
    with pytest.raises(ValueError, match="`x_max`"):
        plots.universal_map(x_max=-1.0)
    with pytest.raises(ValueError, match="`method`"):
        plots.universal_map(method="adam")


# --------------------------------------------------------------------------------------------
# eigenvalue_locus
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("swept", ["alpha", "h", "beta"])
def test_eigenvalue_locus(swept: str) -> None:
    values = np.linspace(0.05, 0.95, 50)
    args: dict[str, Any] = {"alpha": 0.7, "beta": 0.4, "h": 1.0, swept: values}
    fig = plots.eigenvalue_locus(args["alpha"], args["beta"], args["h"], method="nesterov")
    ax = fig.axes[0]
    (circle,) = [p for p in ax.patches if isinstance(p, Circle)]
    assert circle.get_radius() == 1.0 and circle.get_gid() == plots.GID_UNIT_CIRCLE
    z = spectral.eigenvalues(args["alpha"], args["beta"], args["h"], method="nesterov")
    scatters = ax.collections
    assert len(scatters) == 2
    for k, sc in enumerate(scatters):
        np.testing.assert_array_equal(sc.get_offsets(), np.column_stack([z[:, k].real, z[:, k].imag]))
        np.testing.assert_array_equal(sc.get_array(), values)
    assert swept in fig.axes[1].get_ylabel() or {"alpha": "step", "beta": "momentum", "h": "curvature"}[swept] in (
        fig.axes[1].get_ylabel()
    )
    assert ax.get_xlabel() == r"Re $z$"


def test_eigenvalue_locus_validation() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        plots.eigenvalue_locus(0.5, 0.5, 1.0)
    with pytest.raises(ValueError, match="exactly one"):
        plots.eigenvalue_locus([0.1, 0.2], [0.1, 0.2], 1.0)
    with pytest.raises(ValueError, match="`alpha`"):
        plots.eigenvalue_locus([0.1], 0.5, 1.0)
    with pytest.raises(ValueError, match="`alpha`"):
        plots.eigenvalue_locus([-0.1, 0.2], 0.5, 1.0)


# --------------------------------------------------------------------------------------------
# Empirical results
# --------------------------------------------------------------------------------------------


def heavy_ball_path(alpha: float, beta: float, hessian: np.ndarray, x0: tuple[float, float], n: int) -> np.ndarray:
    x = np.array(x0, dtype=float)
    prev = x.copy()
    out = [x.copy()]
    for _ in range(n):
        x, prev = x - alpha * hessian @ x + beta * (x - prev), x
        out.append(x.copy())
    return np.array(out)


def test_trajectories_2d() -> None:
    H = np.diag([2.0, 20.0])  # the chapter's x^2 + 10 y^2
    runs = {
        "gradient descent": heavy_ball_path(0.09, 0.0, H, (10.0, 1.0), 15),
        "momentum": heavy_ball_path(0.09, 0.5, H, (-10.0, -1.0), 15),
    }
    fig = plots.trajectories_2d(runs, hessian=(2.0, 20.0), axis_labels=("x", "y"))
    ax = fig.axes[0]
    labelled = {line.get_label(): line for line in ax.get_lines()}
    for name, path in runs.items():
        np.testing.assert_array_equal(labelled[name].get_xydata(), path)
    assert "minimiser" in labelled
    (contours,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    levels = np.asarray(contours.levels)
    assert len(levels) == 12 and (np.diff(levels) > 0).all()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    x0, x1 = ax.get_xlim()
    assert x0 < -10.0 and x1 > 10.0
    # a full matrix with explicit levels and a view
    fig = plots.trajectories_2d({"a": [[1.0, 1.0], [0.5, 0.2]]}, hessian=[[1.0, 0.3], [0.3, 2.0]],
                                minimizer=(0.5, 0.0), levels=[0.1, 0.5, 1.0], xlim=(-2, 2), ylim=(-1, 2))
    ax = fig.axes[0]
    assert ax.get_xlim() == (-2.0, 2.0)
    assert list(next(c for c in ax.collections if isinstance(c, ContourSet)).levels) == [0.1, 0.5, 1.0]


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        (({}, (1.0, 2.0)), {}, TypeError, "`trajectories`"),
        (({"a": np.zeros((3, 3))}, (1.0, 2.0)), {}, ValueError, r"`trajectories\['a'\]`"),
        (({"a": [[0.0, np.nan]]}, (1.0, 2.0)), {}, ValueError, "finite"),
        (({1: np.zeros((3, 2))}, (1.0, 2.0)), {}, TypeError, "keys"),
        (({"a": np.zeros((3, 2))}, [[1.0, 0.5], [0.0, 1.0]]), {}, ValueError, "symmetric"),
        (({"a": np.zeros((3, 2))}, (1.0, 2.0, 3.0)), {}, ValueError, "`hessian`"),
        (({"a": np.zeros((3, 2))}, (1.0, 2.0)), {"minimizer": (0.0,)}, ValueError, "`minimizer`"),
        (({"a": np.zeros((3, 2))}, (1.0, 2.0)), {"levels": 0}, ValueError, "`levels`"),
        (({"a": np.zeros((3, 2))}, (1.0, 2.0)), {"xlim": (1.0, 0.0)}, ValueError, "`xlim`"),
    ],
)
def test_trajectories_2d_validation(args: tuple[Any, Any], kwargs: dict[str, Any], exc: type[Exception],
                                    match: str) -> None:
    with pytest.raises(exc, match=match):
        plots.trajectories_2d(*args, **kwargs)


def test_loss_curves() -> None:
    t = np.arange(30)
    hist = {"SGD": 0.9**t, "momentum": 0.5**t, "blows up": np.r_[2.0**t[:10], np.full(20, np.inf)],
            "exact": np.r_[1.0, np.zeros(29)]}
    ax = plots.loss_curves(hist).axes[0]
    assert ax.get_yscale() == "log"
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["SGD"].get_ydata(), 0.9**t)
    assert "blows up (diverged)" in lines
    assert np.isnan(lines["exact"].get_ydata()[1:]).all()  # zero is not drawn on a log axis
    markers = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(markers) == 1 and markers[0].get_xdata()[0] == 9
    ax = plots.loss_curves({"a": [3, 2, 1]}, log=False, ylabel="f").axes[0]
    assert ax.get_yscale() == "linear" and ax.get_ylabel() == "f"
    with pytest.raises(ValueError, match="NaN"):
        plots.loss_curves({"a": [1.0, np.nan]})
    with pytest.raises(ValueError, match=r"`histories\['a'\]`"):
        plots.loss_curves({"a": np.ones((2, 2))})
    with pytest.raises(TypeError, match="`histories`"):
        plots.loss_curves([1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`log`"):
        plots.loss_curves({"a": [1.0]}, log="yes")  # type: ignore[arg-type]


def test_rates_scatter() -> None:
    predicted = np.array([0.5, 0.8, 0.9, 0.95])
    measured = predicted * (1.0 + np.array([0.01, -0.01, 0.0, 0.002]))
    ax = plots.rates_scatter(predicted, measured, groups=["gd", "hb", "hb", "gd"]).axes[0]
    (diag,) = lines_with_gid(ax, plots.GID_DIAGONAL)
    np.testing.assert_array_equal(diag.get_xdata(), diag.get_ydata())
    lo, hi = ax.get_xlim()
    assert diag.get_xdata()[0] == lo and diag.get_xdata()[1] == hi and ax.get_ylim() == (lo, hi)
    offsets = np.concatenate([c.get_offsets() for c in ax.collections])
    order = np.lexsort((offsets[:, 1], offsets[:, 0]))
    np.testing.assert_allclose(offsets[order], np.column_stack([predicted, measured]))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["$y = x$", "gd", "hb"]
    with pytest.raises(ValueError, match="same shape"):
        plots.rates_scatter([0.5, 0.6], [0.5])
    with pytest.raises(TypeError, match="`groups`"):
        plots.rates_scatter([0.5, 0.6], [0.5, 0.6], groups=["a"])
    with pytest.raises(ValueError, match="`measured`"):
        plots.rates_scatter([0.5], [-0.1])


# --------------------------------------------------------------------------------------------
# Explanatory figures
# --------------------------------------------------------------------------------------------


def test_momentum_weights() -> None:
    betas = [0.9, 0.5, 0.0]
    fig = plots.momentum_weights(betas, steps=30)
    left, right = fig.axes
    i = np.arange(30)
    for line, beta in zip(left.get_lines(), betas, strict=True):
        np.testing.assert_allclose(line.get_ydata(), beta**i)
    curves = [line for line in right.get_lines() if len(line.get_xdata()) == 30]
    levels = [line for line in right.get_lines() if len(line.get_xdata()) == 2]
    for curve, level, beta in zip(curves, levels, betas, strict=True):
        amp = float(spectral.amplification(beta))
        assert amp == pytest.approx(1.0 / (1.0 - beta))
        assert level.get_ydata()[0] == amp
        np.testing.assert_allclose(curve.get_ydata(), spectral.velocity_transient(1.0, beta, 1.0, np.arange(1, 31)))
        assert curve.get_ydata()[-1] <= amp
    with pytest.raises(ValueError, match="`betas`"):
        plots.momentum_weights([0.5, 1.0])
    with pytest.raises(ValueError, match="`steps`"):
        plots.momentum_weights(steps=1)
    with pytest.raises(TypeError, match="`axes`"):
        plots.momentum_weights(axes=[Figure().add_subplot()])


def test_decay_curves() -> None:
    fig = plots.decay_curves([0.1, 19.0], eta=0.1, steps=10)
    lines = [line for line in fig.axes[0].get_lines() if line.get_label().startswith("$")]
    t = np.arange(10)
    np.testing.assert_allclose(lines[0].get_ydata(), 0.99**t)
    np.testing.assert_allclose(lines[1].get_ydata(), (-0.9) ** t)
    with pytest.raises(ValueError, match="`eta`"):
        plots.decay_curves(eta=0.0)


def test_rate_vs_kappa() -> None:
    kappas = [10.0, 100.0, 1000.0]
    fig = plots.rate_vs_kappa(kappas, tol=1e-4, methods=["gradient_descent", "heavy_ball"])
    gap_ax, iter_ax = fig.axes
    assert gap_ax.get_xscale() == gap_ax.get_yscale() == iter_ax.get_yscale() == "log"
    for gap, iters, method in zip(gap_ax.get_lines(), iter_ax.get_lines(), ["gradient_descent", "heavy_ball"],
                                  strict=True):
        tunings = [tuning.optimal_parameters(kappa=k, method=method) for k in kappas]
        np.testing.assert_array_equal(gap.get_xdata(), kappas)
        np.testing.assert_allclose(gap.get_ydata(), [1.0 - t.rate for t in tunings])
        np.testing.assert_array_equal(iters.get_ydata(), [t.iterations(1e-4) for t in tunings])
    with pytest.raises(ValueError, match="`kappas`"):
        plots.rate_vs_kappa([0.5, 10.0])
    with pytest.raises(ValueError, match="`tol`"):
        plots.rate_vs_kappa(tol=2.0)
    with pytest.raises(TypeError, match="`methods`"):
        plots.rate_vs_kappa(methods="heavy_ball")


# --------------------------------------------------------------------------------------------
# Beyond quadratics: the GFJ region, the LRP cycle, PEPit's worst cases
# --------------------------------------------------------------------------------------------


def test_heatmap_gfj_region_matches_gfj_beta_bound() -> None:
    from hbtheory import pep

    mu, L = 0.01, 1.0
    fig = plots.rho_heatmap(mu=mu, L=L, n=40, gfj=True)
    ax = fig.axes[0]
    curve, segment = lines_with_gid(ax, plots.GID_GFJ)
    a, b = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    assert a.size > 500 and (a > 0.0).all() and (a < 2.0 / L).all()
    np.testing.assert_array_equal(b, pep.gfj_beta_bound(a, mu, L))
    assert a[-1] == pytest.approx(2.0 / L, rel=1e-9) and b[-1] == pytest.approx(mu / L, rel=1e-6)
    assert b[0] == pytest.approx(1.0, abs=1e-5)
    # the region's right edge alpha = 2/L, from the axis up to the curve
    np.testing.assert_array_equal(segment.get_xdata(), [a[-1], a[-1]])
    np.testing.assert_array_equal(segment.get_ydata(), [0.0, b[-1]])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert sum("GFJ" in t for t in labels) == 1
    # inside the drawn curve the region holds, just above it it does not
    assert pep.gfj_region(a[::50], 0.999 * b[::50], mu, L).all()
    assert not pep.gfj_region(a[::50], 1.001 * b[::50], mu, L).any()
    # the quadratic region is still drawn beside it
    assert list(contour_with_gid(ax, plots.GID_BOUNDARY).levels) == [1.0]
    assert not lines_with_gid(plots.rho_heatmap(mu=mu, L=L, n=20).axes[0], plots.GID_GFJ)


def test_heatmap_gfj_clipped_to_the_view() -> None:
    ax = plots.rho_heatmap(mu=0.1, L=1.0, n=20, gfj=True, alpha_max=1.0, beta_range=(0.0, 0.9)).axes[0]
    (curve,) = lines_with_gid(ax, plots.GID_GFJ)  # no right edge: 2/L is beyond the view
    a, b = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    assert a.max() == pytest.approx(1.0)
    assert np.isnan(b[:5]).all() and np.nanmax(b) <= 0.9


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"h": 1.0, "gfj": True}, ValueError, "`gfj`"),
        ({"mu": 0.1, "L": 1.0, "method": "nesterov", "gfj": True}, ValueError, "`gfj`"),
        ({"mu": 0.1, "L": 1.0, "gfj": 1}, TypeError, "`gfj`"),
    ],
)
def test_heatmap_gfj_validation(kwargs: dict[str, Any], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        plots.rho_heatmap(n=10, **kwargs)


def test_gfj_bound_does_not_need_pepit() -> None:
    code = (
        "import sys; sys.modules['PEPit'] = None; sys.modules['cvxpy'] = None;"
        "from hbtheory import pep, plots; print(float(pep.gfj_beta_bound(1.0, 0.1, 1.0)));"
        "plots.rho_heatmap(mu=0.1, L=1.0, n=10, gfj=True); print('drawn')"
    )  # a None entry in sys.modules makes any import of PEPit or cvxpy raise ImportError
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert float(out[0]) == pytest.approx(0.73254858, abs=1e-8) and out[1] == "drawn"


@pytest.fixture(scope="module")
def cycle_data() -> Any:
    from hbtheory.counterexamples import cycle_figure_data

    return cycle_figure_data()


def test_cycle_plot(cycle_data: Any) -> None:
    fig = plots.cycle_plot(cycle_data)
    ax = fig.axes[0]
    (graph,) = lines_with_gid(ax, plots.GID_GRAPH)
    # the data's graph, extended (by the function's own values) to heavy ball's first steps
    from hbtheory.counterexamples import lrp_value

    gx, gf = graph.get_xdata(), graph.get_ydata()
    inside = (gx >= cycle_data.x[0]) & (gx <= cycle_data.x[-1])
    np.testing.assert_array_equal(np.column_stack([gx[inside], gf[inside]]),
                                  np.column_stack([cycle_data.x, cycle_data.f]))
    np.testing.assert_allclose(gf, lrp_value(gx), rtol=4 * np.finfo(float).eps)
    reach = np.concatenate(list(cycle_data.iterates.values()))
    assert gx.min() <= reach.min() < cycle_data.x[0] and gx.max() >= reach.max()
    assert [list(line.get_xdata()) for line in lines_with_gid(ax, plots.GID_BREAKPOINT)] == [[1.0, 1.0], [2.0, 2.0]]

    # the cycle points, prominent, at the data's cycle points; the cycle as a closed polygon
    (points,) = lines_with_gid(ax, plots.GID_CYCLE_POINTS)
    expected = np.column_stack([cycle_data.cycle_points, cycle_data.cycle_values])
    np.testing.assert_array_equal(points.get_xydata(), expected)
    assert points.get_markersize() >= 10 and points.get_linestyle() == "None"
    (polygon,) = lines_with_gid(ax, plots.GID_CYCLE)
    np.testing.assert_array_equal(polygon.get_xydata(), np.vstack([expected, expected[:1]]))
    # and they lie on the graph
    np.testing.assert_allclose(np.interp(cycle_data.cycle_points, cycle_data.x, cycle_data.f),
                               cycle_data.cycle_values, rtol=1e-3)

    # every method's iterates, in order, labelled; heavy ball's tail on the cycle
    for name in ("heavy_ball", "nesterov", "gradient_descent"):
        (line,) = lines_with_gid(ax, plots.GID_ITERATES + name)
        np.testing.assert_array_equal(line.get_xdata(), cycle_data.iterates[name])
        np.testing.assert_array_equal(line.get_ydata(), cycle_data.values[name])
        assert not line.get_label().startswith("_")
    (hb,) = lines_with_gid(ax, plots.GID_ITERATES + "heavy_ball")
    tail = np.asarray(hb.get_xdata())[-3:]
    assert np.min(np.abs(tail[:, None] - cycle_data.cycle_points[None, :]), axis=1).max() < 1e-3
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    # labelled by the methods' titles; which run ends on the cycle, and its period, come from the data
    hb_label = next(t for t in labels if t.startswith("Heavy ball"))
    assert hb_label.endswith("ends on the period-3 cycle")
    assert any(t.startswith("Nesterov") and "x_{40}" in t for t in labels)
    assert any(t.startswith("Gradient descent") and "x_{40}" in t for t in labels)
    # the view holds every iterate (heavy ball's x_1 = -3.2, f = 128 included) and the graph
    values = np.concatenate(list(cycle_data.values.values()))
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < min(reach.min(), cycle_data.x[0]) and x1 > max(reach.max(), cycle_data.x[-1])
    assert y1 > max(values.max(), cycle_data.f.max()) and y0 < 0.0


def test_cycle_plot_period_comes_from_the_data(cycle_data: Any) -> None:
    # the same runs against a made-up "cycle" that no run ends on: no label claims a cycle
    import dataclasses

    other = dataclasses.replace(cycle_data, cycle_points=np.array([-1.0, 1.5]), cycle_values=np.array([12.5, 46.125]))
    labels = [t.get_text() for t in plots.cycle_plot(other).legends[0].get_texts()]
    assert not any("ends on" in t for t in labels)
    assert any("period-2" in t for t in labels)  # the drawn cycle's own label


def test_cycle_plot_legend_fits_and_ax(cycle_data: Any) -> None:
    fig = plots.cycle_plot(cycle_data)
    fig.canvas.draw()
    assert fig.legends[0].get_window_extent().width <= fig.bbox.width
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.cycle_plot(cycle_data, ax=ax, title="") is fig
    assert ax.get_legend() is not None and ax.get_title() == ""
    with pytest.raises(TypeError, match="`data`"):
        plots.cycle_plot({"x": [1.0]})  # type: ignore[arg-type]


def pep_data(accurate: bool = True) -> Any:
    """A PEPComparison of PEPit's values for Polyak's tuning at kappa = 25 (pep_comparison's doctest), no SDP."""
    from hbtheory.pep import PEPComparison

    ns = np.array([1, 2, 3])
    tune = tuning.optimal_parameters(mu=0.04, L=1.0)
    exact = np.array([float(spectral.worst_case(int(n), tune.alpha, tune.beta, 0.04, 1.0)) for n in ns])
    acc = np.ones((2, 3), dtype=bool)
    if not accurate:
        acc[1, 2] = False
    return PEPComparison(ns=ns, kappa=25.0, mu=0.04, L=1.0, alpha=tune.alpha, beta=tune.beta, method="heavy_ball",
                         metric="distance", solver="CLARABEL", exact=exact, quadratic=exact + 1e-7,
                         smooth_strongly_convex=np.array([3.16049389, 7.92318248, 10.26185032]), accurate=acc,
                         tolerance=1e-8)


def test_pep_plot_draws_the_three_worst_cases() -> None:
    data = pep_data()
    fig = plots.pep_plot(data)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    for gid, values in ((plots.GID_EXACT, data.exact), (plots.GID_PEP_QUADRATIC, data.quadratic),
                        (plots.GID_PEP_GENERAL, data.smooth_strongly_convex)):
        (line,) = lines_with_gid(ax, gid)
        np.testing.assert_array_equal(line.get_xdata(), data.ns)
        np.testing.assert_array_equal(line.get_ydata(), values)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 3 and "hbtheory.worst_case" in labels[0] and "PEPit" in labels[1]
    assert "convex" in labels[2]
    assert "κ = 25" in ax.get_title()
    ax = plots.pep_plot(pep_data(accurate=False), log=False).axes[0]
    assert ax.get_yscale() == "linear"
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and list(crosses[0].get_xydata()[0]) == [3.0, 10.26185032]
    with pytest.raises(TypeError, match="`data`"):
        plots.pep_plot(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`log`"):
        plots.pep_plot(data, log="no")  # type: ignore[arg-type]


def test_pep_plot_from_pepit() -> None:
    pytest.importorskip("PEPit")
    from hbtheory.pep import pep_comparison

    data = pep_comparison([1, 2], 10.0)
    (line,) = lines_with_gid(plots.pep_plot(data).axes[0], plots.GID_PEP_GENERAL)
    np.testing.assert_array_equal(line.get_ydata(), data.smooth_strongly_convex)


# --------------------------------------------------------------------------------------------
# Output, and no global matplotlib state
# --------------------------------------------------------------------------------------------


def all_figures() -> dict[str, Callable[[], Figure]]:
    t = np.arange(40)
    H = np.diag([0.2, 4.0])  # the notes' 0.1 x1^2 + 2 x2^2
    return {
        "rho_heatmap": lambda: plots.rho_heatmap(mu=0.01, L=1.0, n=60),
        "universal_map": lambda: plots.universal_map(n=60),
        "eigenvalue_locus": lambda: plots.eigenvalue_locus(np.linspace(0.01, 4.0, 100), 0.5),
        "trajectories_2d": lambda: plots.trajectories_2d(
            {"GD": heavy_ball_path(0.4, 0.0, H, (-5.0, -2.0), 20),
             "momentum": heavy_ball_path(0.6, 0.5, H, (-5.0, -2.0), 20)}, hessian=(0.2, 4.0)),
        "loss_curves": lambda: plots.loss_curves({"a": 0.9**t, "b": 0.7**t}),
        "rates_scatter": lambda: plots.rates_scatter([0.5, 0.9], [0.52, 0.89]),
        "momentum_weights": plots.momentum_weights,
        "decay_curves": plots.decay_curves,
        "rate_vs_kappa": lambda: plots.rate_vs_kappa([2.0, 10.0, 100.0]),
        "cycle_plot": lambda: plots.cycle_plot(__import__("hbtheory.counterexamples").counterexamples
                                               .cycle_figure_data()),
        "pep_plot": lambda: plots.pep_plot(pep_data()),
        "robust_map": lambda: plots.robust_map(mu=0.1, L=1.0, n=5),
    }


#: Public figures whose data comes from another layer, each drawn and saved by that layer's tests.
TESTED_ELSEWHERE = {
    "spectral_density_plot": "tests/test_empirical_recommend.py",
    "tuning_check_plot": "tests/test_empirical_recommend.py",
    "batch_size_plot": "tests/test_stochastic_plots.py",
    "mean_square_region_plot": "tests/test_stochastic_plots.py",
    "second_moment_plot": "tests/test_stochastic_plots.py",
}


def test_every_function_saves_a_png(tmp_path: Path) -> None:
    figures = all_figures()
    assert set(figures) | set(TESTED_ELSEWHERE) == set(plots.__all__)
    root = Path(__file__).resolve().parent.parent
    for name, where in TESTED_ELSEWHERE.items():
        assert name in (root / where).read_text(), f"{name} is not drawn by {where}"
    for name, make in figures.items():
        fig = make()
        assert isinstance(fig, Figure)
        path = tmp_path / f"{name}.png"
        fig.savefig(path, dpi=60)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_pyplot_and_the_users_backend_is_kept(tmp_path: Path) -> None:
    code = (
        "import sys, matplotlib; matplotlib.use('svg');"
        "from hbtheory import plots; fig = plots.rho_heatmap(h=1.0, n=20); fig.canvas.draw();"
        "fig.savefig(sys.argv[1]);"
        "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules, type(fig.canvas).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x.png")], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["svg", "False", "FigureCanvasAgg"]


# --------------------------------------------------------------------------------------------
# Every member of the family, and what issue 11 found in the figures
# --------------------------------------------------------------------------------------------

FAMILY = ["heavy_ball", "nesterov", "gradient_descent", "triple_momentum", "general(gamma=0.5)"]


def _png(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=40)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("method", FAMILY)
def test_every_plot_that_takes_a_method_works_for_every_member(method: str, tmp_path: Path) -> None:
    from hbtheory.methods import get_method

    m = get_method(method)
    for kwargs in ({"h": 1.0}, {"mu": 0.05, "L": 1.0}):
        fig = plots.rho_heatmap(method=method, n=24, **kwargs)  # type: ignore[arg-type]
        _png(fig, tmp_path / "heatmap.png")
        ax = fig.axes[0]
        if m.uses_beta:  # the image is the method's own rate, finite everywhere
            (image,) = ax.images
            rho = np.asarray(image.get_array())
            assert rho.shape == (24, 24) and np.isfinite(rho).all()
            a0, a1, b0, b1 = image.get_extent()
            A = a0 + (a1 - a0) * (np.arange(24) + 0.5) / 24
            B = b0 + (b1 - b0) * (np.arange(24) + 0.5) / 24
            expected = (spectral.spectral_radius(A[None, :], B[:, None], 1.0, method=m) if "h" in kwargs
                        else spectral.worst_case_rate(A[None, :], B[:, None], 0.05, 1.0, method=m))
            np.testing.assert_array_equal(rho, expected)
            assert lines_with_gid(ax, plots.GID_CURVE)  # every member with momentum has critical damping
        else:  # no momentum axis: the rate against the step size
            (curve,) = lines_with_gid(ax, plots.GID_GD)
            a, rho = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
            assert np.isfinite(rho).all()
            h = 1.0 if "h" in kwargs else None
            expected = (spectral.spectral_radius(a, 0.0, 1.0, method=m) if h
                        else spectral.worst_case_rate(a, 0.0, 0.05, 1.0, method=m))
            np.testing.assert_array_equal(rho, expected)
            assert not ax.images and len(fig.axes) == 1
    # (the optimal-tuning segment needs a tuning: numeric for a method without a closed form, 2 s)
    fig = plots.universal_map(method=method, n=24, kappa=10.0 if m.closed_form is not None else None)
    _png(fig, tmp_path / "universal.png")
    labels = {t.get_text().replace("\n", " ") for t in fig.axes[0].texts if t.get_gid() == plots.GID_REGION}
    assert "divergence" in labels and "monotonic decrease" in labels
    beta = 0.4 if m.uses_beta else 0.0
    fig = plots.eigenvalue_locus(np.linspace(0.05, 3.0, 30), beta, 1.0, method=method)
    _png(fig, tmp_path / "locus.png")
    assert all(np.isfinite(sc.get_offsets()).all() for sc in fig.axes[0].collections)
    fig = plots.rate_vs_kappa([40.0], methods=[method])
    _png(fig, tmp_path / "rates.png")
    assert all(np.isfinite(line.get_ydata()).all() for a in fig.axes for line in a.get_lines())


def test_gfj_overlay_follows_the_method_not_its_name() -> None:
    from hbtheory.methods import general

    # general(gamma=0) is heavy ball's update under another name: the theorem applies
    ax = plots.rho_heatmap(mu=0.1, L=1.0, n=16, method=general(0.0), gfj=True).axes[0]
    assert lines_with_gid(ax, plots.GID_GFJ)
    for method in ("nesterov", "triple_momentum", "gradient_descent", "general(gamma=0.5)"):
        with pytest.raises(ValueError, match="`gfj`"):
            plots.rho_heatmap(mu=0.1, L=1.0, n=16, method=method, gfj=True)


def test_gfj_region_is_shaded_below_its_boundary() -> None:
    from matplotlib.collections import PolyCollection

    from hbtheory import pep

    mu, L = 0.01, 1.0
    ax = plots.rho_heatmap(mu=mu, L=L, n=40, gfj=True).axes[0]
    (shade,) = [c for c in ax.collections if isinstance(c, PolyCollection) and c.get_gid() == plots.GID_GFJ]
    assert shade.get_hatch() and 0.0 < shade.get_facecolor()[0][3] < 0.5  # hatched, translucent
    (path,) = shade.get_paths()
    inside = np.array([[1.0, 0.5 * float(pep.gfj_beta_bound(1.0, mu, L))], [0.2, 0.05], [1.9, 0.005]])
    outside = np.array([[1.0, 1.05 * float(pep.gfj_beta_bound(1.0, mu, L))], [2.05, 0.005], [0.5, 0.99]])
    assert path.contains_points(inside).all()
    assert not path.contains_points(outside).any()
    labels = [t.get_text() for t in ax.figure.legends[0].get_texts()]
    assert sum("GFJ region" in t for t in labels) == 1


def test_iso_rate_labels_are_readable(heatmap_interval: Figure) -> None:
    from matplotlib.patheffects import withStroke

    ax = heatmap_interval.axes[0]
    iso = contour_with_gid(ax, plots.GID_ISO)
    assert iso.labelTexts
    for text in iso.labelTexts:
        assert text.get_fontsize() >= 9.5  # was 7.5: too small at the report's width
        assert text.get_color() == "black"
        assert any(isinstance(e, withStroke) for e in text.get_path_effects())  # a white outline
    # the contour lines are dark and nearly opaque (were alpha 0.45)
    assert iso.get_alpha() >= 0.75


def test_trajectories_equal_aspect_and_the_legend_hides_no_iterate() -> None:
    H = np.diag([2.0, 20.0])
    runs = {"gradient descent": heavy_ball_path(0.09, 0.0, H, (10.0, 1.0), 15),
            "momentum": heavy_ball_path(0.09, 0.5, H, (-10.0, -1.0), 15)}
    fig = plots.trajectories_2d(runs, hessian=(2.0, 20.0))
    fig.canvas.draw()
    ax = fig.axes[0]
    # one unit is as long on both axes: the level sets of x^2 + 10 y^2 are ellipses of axis ratio sqrt(10)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    box = ax.get_window_extent()
    assert (box.width / (x1 - x0)) == pytest.approx(box.height / (y1 - y0), rel=1e-2)
    # the legend is outside the axes: no iterate, start or minimiser under it
    (legend,) = fig.legends
    assert ax.get_legend() is None
    frame = legend.get_window_extent()
    for path in runs.values():
        pts = ax.transData.transform(path)
        assert not ((pts[:, 0] >= frame.x0) & (pts[:, 0] <= frame.x1) & (pts[:, 1] >= frame.y0)
                    & (pts[:, 1] <= frame.y1)).any()
    # and every iterate is inside the view
    for path in runs.values():
        assert ((path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)).all()


def test_trajectories_into_an_axes_legend_outside() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    plots.trajectories_2d({"a": [[1.0, 1.0], [0.5, 0.2]]}, hessian=(1.0, 2.0), ax=ax)
    legend = ax.get_legend()
    assert legend is not None and legend.get_bbox_to_anchor().x0 >= ax.get_window_extent().x1


def test_heatmap_alpha_range_sets_the_axis() -> None:
    from hbtheory.grids import rho_grid

    fig = plots.rho_heatmap(mu=0.01, L=1.0, n=20, alpha_range=(1.0, 3.0), beta_range=(0.5, 0.9))
    (image,) = fig.axes[0].images
    assert tuple(image.get_extent()) == (1.0, 3.0, 0.5, 0.9)
    # the same figure from a grid computed first
    grid = rho_grid(mu=0.01, L=1.0, n=20, alpha_range=(1.0, 3.0), beta_range=(0.5, 0.9))
    (image2,) = plots.rho_heatmap(grid).axes[0].images
    np.testing.assert_array_equal(image2.get_array(), image.get_array())
    with pytest.raises(ValueError, match="not both"):
        plots.rho_heatmap(grid, n=30)
    with pytest.raises(TypeError, match="`grid`"):
        plots.rho_heatmap(grid={"rho": 1})  # type: ignore[arg-type]

