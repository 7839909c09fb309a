r"""An interactive explorer of the :math:`(\alpha, \beta)` plane: one self-contained offline HTML page.

:func:`explore` computes everything the page shows in Python, at generation time, and embeds it as
data in the page template ``_explore_template.html`` (plain JavaScript and inline SVG/canvas, no
library, no network):

* for every method of the family (heavy ball, Nesterov, gradient descent, Triple Momentum and the
  general method for a few ``gamma``) and every condition number of a log-spaced list, the worst
  rate on :math:`[\mu, L]` over an :math:`n \times n` grid (:func:`hbtheory.grids.rho_grid`), its
  iso-rate lines and convergence boundary (contours of that grid), the critical-damping curves
  and the optimum (:func:`hbtheory.tuning.optimal_parameters`);
* optional layers on a coarse grid: the mean-square stability region of SGD with momentum for a few
  batch sizes (:func:`hbtheory.stochastic.mean_square_stable`, Gaussian features) and the rate
  certified on every :math:`\mu`-strongly convex :math:`L`-smooth function
  (:func:`hbtheory.robust.certified_rate`, slow: off by default) and the proven cycles (the
  smallest period ``K`` of a regular K-gon orbit on some function of that class,
  :func:`hbtheory.robust.cycle_margin`), both as :func:`hbtheory.robust.robust_map_data` computes
  them, on the same grid (a cell both certified and cycling is refused);
* for each method, its look-ahead :math:`\gamma(\beta)` printed as JavaScript from the
  :class:`~hbtheory.methods.Method` itself (sympy's ``jscode`` of ``Method.gamma`` on a symbol),
  after a symbolic check that the realisation's trace and determinant
  :math:`c_1 = 1 + \beta - \alpha h (1 + \gamma)`, :math:`c_0 = \beta - \alpha h \gamma` are the
  Method's ``c1`` and ``c0``; and how ``torch.optim.SGD`` runs it
  (:meth:`hbtheory.methods.Canonical.to_torch`).

At a clicked point the page computes only small things from those coefficients (in double-double
where it matters, as :mod:`hbtheory._kernel` does): the
eigenvalues of the :math:`2 \times 2` iteration matrix for :math:`h` across :math:`[\mu, L]`, the
rate :math:`\max(\rho(\mu), \rho(L))` (where :func:`hbtheory.worst_case_rate` attains it), the
trajectory by the method's step (:meth:`~hbtheory.methods.Method.step`'s rule) on the quadratic
:math:`f(x) = (\mu x_1^2 + L x_2^2)/2`, and the Theorem-1 constant at :math:`\epsilon = 0`. The
browser test (``tests/test_explore.py``) compares each of them with the Python function at
random points. No tuning or region formula is written in JavaScript.

Embedded data (the JSON block ``hbx-data`` of the page): a rate map is a base64 string of
little-endian ``uint16``, ``q = floor(rate * 65535)`` for a rate below 1 (so the rate is known to
``1/65535``) and ``65535`` where the method diverges; a polyline is ``uint16`` pairs of
coordinates normalised to the axes (``round(65534 t)``, ``t`` in ``[0, 1]``), pieces separated by
the pair ``(65535, 65535)``; a mean-square region is ``numpy.packbits`` of its boolean grid; the
cycle layer is ``uint8`` per cell, the smallest proven period (0: none), rows of increasing ``beta``.
"""

from __future__ import annotations

import base64
import html
import json
import os
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._validation import FloatArray, as_scalar
from hbtheory.methods import (
    GRADIENT_DESCENT,
    HEAVY_BALL,
    NESTEROV,
    TRIPLE_MOMENTUM,
    Canonical,
    Method,
    general,
    get_method,
)

__all__ = ["DEFAULT_GAMMAS", "DEFAULT_KAPPAS", "Explorer", "explore"]

#: Condition numbers of the kappa control: half decades from sqrt(10) to 1e4.
DEFAULT_KAPPAS: tuple[float, ...] = tuple(float(10.0 ** (k / 2)) for k in range(1, 9))
#: Look-aheads of the general method on the page (its numeric tuning costs about 3 s per kappa).
DEFAULT_GAMMAS: tuple[float, ...] = (0.5,)
#: Batch sizes of the mean-square layer.
BATCH_SIZES: tuple[int, ...] = (1, 8, 64)
#: Tolerances offered for the iteration count.
TOLERANCES: tuple[float, ...] = (1e-3, 1e-6, 1e-9, 1e-12)
_LAYER_N = 40  # coarse grid of the mean-square layer
_CERT_N = 14  # coarse grid of the certified layer (certified_rate: ~8 ms a point)
_MS_CURVATURES = 16  # curvatures sampled in [mu, L] for the mean-square layer
_SEP = 65535
_TEMPLATE = "_explore_template.html"


# ------------------------------------------------------------------------------------------ encoding


def _b64(arr: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")


def _encode_rates(rho: FloatArray) -> str:
    r = np.asarray(rho, dtype=np.float64)
    q = np.where(r < 1.0, np.floor(np.clip(r, 0.0, 1.0) * 65535.0), _SEP)
    return _b64(np.minimum(q, _SEP).astype("<u2"))


def _simplify(pts: FloatArray, step: float = 0.002) -> FloatArray:
    """Drop points closer than ``step`` (axes units) to the last kept one; keep both ends."""
    keep = [0]
    for i in range(1, len(pts) - 1):
        if np.hypot(*(pts[i] - pts[keep[-1]])) >= step:
            keep.append(i)
    if len(pts) > 1:
        keep.append(len(pts) - 1)
    return pts[keep]


def _encode_lines(pieces: list[FloatArray], a_range: tuple[float, float], b_range: tuple[float, float]) -> str:
    """Polylines in data coordinates -> normalised uint16 pairs with separators (module notes)."""
    out: list[np.ndarray] = []
    for pts in pieces:
        p = np.asarray(pts, dtype=np.float64)
        p = p[np.isfinite(p).all(axis=1)]
        if len(p) < 2:
            continue
        t = np.column_stack([(p[:, 0] - a_range[0]) / (a_range[1] - a_range[0]),
                             (p[:, 1] - b_range[0]) / (b_range[1] - b_range[0])])
        t = _simplify(np.clip(t, 0.0, 1.0))
        out += [np.round(t * 65534.0).astype("<u2"), np.full((1, 2), _SEP, dtype="<u2")]
    return _b64(np.concatenate(out)) if out else ""


def _split_nan(rows: FloatArray) -> list[FloatArray]:
    """Pieces of a polyline whose segments are separated by rows of NaN."""
    pieces, cur = [], []
    for row in np.asarray(rows):
        if np.isfinite(row).all():
            cur.append(row)
        elif cur:
            pieces.append(np.array(cur))
            cur = []
    if cur:
        pieces.append(np.array(cur))
    return pieces


def _contours(alpha: FloatArray, beta: FloatArray, rho: FloatArray, level: float) -> list[FloatArray]:
    import contourpy

    z = np.where(np.isfinite(rho), np.minimum(rho, 2.0), 2.0)
    return [np.asarray(p) for p in contourpy.contour_generator(alpha, beta, z, line_type="Separate").lines(level)]


# ------------------------------------------------------------------------------------------ methods


def _js(method: Method) -> dict[str, str]:
    """The JavaScript expression of ``gamma(beta)`` printed from the Method's own function on a sympy
    symbol (the page's only method-specific code). The page takes ``c1`` and ``c0`` from the
    realisation, :math:`c_1 = 1 + \\beta - \\alpha h (1 + \\gamma)`, :math:`c_0 = \\beta - \\alpha h \\gamma`;
    this checks symbolically that they are the Method's ``c1`` and ``c0``."""
    import sympy as sp
    from sympy.printing.jscode import jscode

    if method.gamma is None:
        raise ValueError(f"`method` {method.name!r} has no realisation (given by its polynomial only)")
    a, b, h = sp.symbols("alpha beta h")
    g = sp.sympify(method.gamma(b))
    d1 = sp.sympify(method.c1(a, b, h)) - (1 + b - a * h * (1 + g))
    d0 = sp.sympify(method.c0(a, b, h)) - (b - a * h * g)
    if not method.uses_beta:
        d1, d0 = d1.subs(b, 0), d0.subs(b, 0)
    if sp.expand(d1) != 0 or sp.expand(d0) != 0:
        raise ValueError(f"`method` {method.name!r}: its c1, c0 are not those of its realisation")
    return {"gamma": jscode(g)}


def _torch(method: Method) -> dict[str, Any] | None:
    """How ``torch.optim.SGD`` runs the method: ``{"nesterov": bool}`` when its ``lr`` is ``alpha``
    and its ``momentum`` is ``beta`` (checked on a probe point), else ``None``."""
    try:
        kw = Canonical(method.name, 0.375, 0.625, True, "").to_torch()
    except ValueError:
        return None
    if kw["lr"] != 0.375 or kw["momentum"] != 0.625:
        return None
    return {"nesterov": bool(kw["nesterov"])}


def _family(gammas: tuple[float, ...]) -> list[Method]:
    return [HEAVY_BALL, NESTEROV, GRADIENT_DESCENT, TRIPLE_MOMENTUM] + [general(g) for g in gammas]


# ------------------------------------------------------------------------------------------ layers


def _centres(lo: float, hi: float, n: int) -> FloatArray:
    return lo + (hi - lo) * (np.arange(n, dtype=np.float64) + 0.5) / n


def _mean_square(m: Method, mu: float, L: float, a_range: tuple[float, float],
                 b_range: tuple[float, float]) -> dict[str, str]:
    """Packed boolean grids: mean-square stable at every sampled curvature of ``[mu, L]``.

    A smaller batch has the larger noise (``v / B``), so its region lies inside the larger batch's:
    each batch size is decided only on the points stable for the next larger one, curvature by
    curvature (the ends first), starting from the points where the method converges at all.
    """
    from hbtheory.spectral import worst_case_rate
    from hbtheory.stochastic import mean_square_stable

    a = _centres(*a_range, _LAYER_N)
    b = _centres(*b_range, _LAYER_N) if m.uses_beta else np.zeros(1)
    A, B = (x.ravel() for x in np.meshgrid(a, b))
    inner = np.geomspace(mu, L, _MS_CURVATURES)[1:-1]
    hs = [L, mu, *inner[::-1]] if L > mu else [L]
    alive = np.asarray(worst_case_rate(A, B, mu, L, method=m)) < 1.0
    out = {}
    for batch in sorted(BATCH_SIZES, reverse=True):
        for h in hs:
            idx = np.flatnonzero(alive)
            if idx.size:
                alive[idx] = mean_square_stable(A[idx], B[idx], h, curvature_variance=2.0 * h * h, batch_size=batch,
                                                method=m)
        out[str(batch)] = _b64(np.packbits(alive))
    return out


def _robust_args(m: Method, a_range: tuple[float, float], b_range: tuple[float, float]) -> dict[str, Any]:
    """The arguments of :func:`hbtheory.robust.robust_map_data` whose cells are the page's robust grid:
    ``_CERT_N`` cells per axis over the map's ranges. The map's momentum axis ends at 1, which
    ``robust_map_data`` refuses (its range must lie in (-1, 1)); every cell centre is below 1, so the
    range ends one ulp below it (the centres move by at most an ulp). A method without momentum has
    one row, ``beta = 0``, whatever the range."""
    b_hi = float(np.nextafter(b_range[1], -np.inf)) if b_range[1] >= 1.0 else float(b_range[1])
    beta_range = (float(b_range[0]), b_hi) if m.uses_beta else (0.0, 0.5)
    return {"method": m, "alpha_range": (float(a_range[0]), float(a_range[1])), "beta_range": beta_range,
            "n": _CERT_N}


def _periods() -> tuple[int, ...]:
    """The periods the robust map searches (the default of ``robust_map_data``, one definition)."""
    import inspect

    from hbtheory.robust import robust_map_data

    return tuple(int(k) for k in inspect.signature(robust_map_data).parameters["periods"].default)


def _smallest_period(mu: float, L: float, args: dict[str, Any]) -> NDArray[np.int64]:
    """``robust_map_data(mu, L, **args).cycle`` without its certified rates (which cost ~2 ms a cell):
    the smallest period ``K`` with ``cycle_margin >= 0`` at the same cell centres, 0 where none.
    ``tests/test_explore_cycles.py`` checks that the two are equal."""
    from hbtheory.robust import cycle_margin

    m, n = args["method"], args["n"]
    (a_lo, a_hi), (b_lo, b_hi) = args["alpha_range"], args["beta_range"]
    alpha = a_lo + (np.arange(n) + 0.5) * (a_hi - a_lo) / n  # robust_map_data's centres, same operations
    beta = b_lo + (np.arange(n) + 0.5) * (b_hi - b_lo) / n if m.uses_beta else np.zeros(1)
    cycle = np.zeros((beta.size, alpha.size), dtype=np.int64)
    if not mu < L:  # on mu == L every function is a quadratic: nothing cycles
        return cycle
    for K in sorted(_periods(), reverse=True):
        cycle = np.where(np.asarray(cycle_margin(alpha[None, :], beta[:, None], mu, L, K, method=m)) >= 0.0, K, cycle)
    return cycle


def _robust(m: Method, mu: float, L: float, a_range: tuple[float, float], b_range: tuple[float, float], *,
            certified: bool, cycles: bool) -> dict[str, str]:
    """The robust layers on the ``_CERT_N`` grid: ``certified`` (rates, encoded as the rate maps) and
    ``cycles`` (the smallest proven period per cell as ``uint8``, 0 where none), both from
    :func:`hbtheory.robust.robust_map_data` when the certified rates are asked for (one call gives
    both); the cycles alone come from :func:`_smallest_period`, the same cells without the rates.

    Raises
    ------
    RuntimeError
        If a cell were both certified and proven to cycle (a contradiction: the page refuses it).
    """
    from hbtheory.robust import certified_rate, robust_map_data

    args = _robust_args(m, a_range, b_range)
    out: dict[str, str] = {}
    if certified and mu < L:
        rm = robust_map_data(mu, L, **args)
        rate, cycle = np.asarray(rm.rate), np.asarray(rm.cycle)
    elif certified:  # mu == L: no robust map (nothing cycles); the rates on the same centres
        a = _centres(*a_range, _CERT_N)
        b = _centres(*b_range, _CERT_N) if m.uses_beta else np.zeros(1)
        rate = np.broadcast_to(certified_rate(a[None, :], b[:, None], mu, L, method=m), (b.size, a.size))
        cycle = np.zeros(rate.shape, dtype=np.int64)
    else:
        rate, cycle = None, _smallest_period(mu, L, args)
    if rate is not None:
        both = np.isfinite(rate) & (cycle > 0)
        if np.any(both):
            raise RuntimeError(f"{m.name}, mu={mu!r}, L={L!r}: {int(both.sum())} cells are both certified and"
                               " proven to cycle")
        out["certified"] = _encode_rates(rate)
    if cycles:
        out["cycles"] = _b64(cycle.astype(np.uint8))
    return out


# ------------------------------------------------------------------------------------------ the page


def _map(m: Method, mu: float, L: float, n: int, *, mean_square: bool, certified: bool,
         cycles: bool) -> dict[str, Any]:
    from hbtheory.grids import rho_grid

    g = rho_grid(mu=mu, L=L, method=m, n=n)
    a_range, b_range = g.alpha_range, g.beta_range
    entry: dict[str, Any] = {
        "alpha_range": list(a_range), "beta_range": list(b_range), "nx": int(g.alpha.size), "ny": int(g.beta.size),
        "rho": _encode_rates(np.asarray(g.rho)), "levels": [float(v) for v in g.levels],
        "optimum": None if g.optimum is None else list(g.optimum),
    }
    if g.uses_beta:
        entry["iso"] = [_encode_lines(_contours(g.alpha, g.beta, g.rho, float(v)), a_range, b_range)
                        for v in g.levels]
        entry["boundary"] = _encode_lines(_contours(g.alpha, g.beta, g.rho, 1.0), a_range, b_range)
        entry["critical"] = [_encode_lines(_split_nan(g.curve(float(h))), a_range, b_range) for h in g.critical_h]
    if mean_square:
        entry["mean_square"] = _mean_square(m, mu, L, a_range, b_range)
    if certified or cycles:
        entry.update(_robust(m, mu, L, a_range, b_range, certified=certified, cycles=cycles))
    return entry


def _colormap() -> list[str]:
    """Matplotlib's viridis as 256 hex colours (the figures' colour map, one definition)."""
    from matplotlib import colormaps

    rgb = (np.asarray(colormaps["viridis"](np.linspace(0.0, 1.0, 256)))[:, :3] * 255).round().astype(int)
    return ["#" + "".join(f"{int(v):02x}" for v in c) for c in rgb]


def _cycle_colours(periods: tuple[int, ...]) -> list[str]:
    """One colour per period, as the static robust map draws them (matplotlib's Reds, darker = shorter:
    :func:`hbtheory._robust_figure.draw_robust_map`)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    reds, k = colormaps["Reds"], len(periods)
    return [to_hex(reds(0.85 - 0.5 * i / max(k - 1, 1))) for i in range(k)]


def page_data(
    method: Method, kappa: float, L: float, *, kappas: tuple[float, ...], gammas: tuple[float, ...], n: int,
    tol: float, mean_square: bool, certified: bool, cycles: bool = True,
) -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data (see the module notes for the encodings)."""
    from hbtheory import __version__

    family = _family(gammas)
    if method not in family:
        family.append(method)
    ks = sorted(set(kappas) | {kappa})
    periods = _periods()
    methods = []
    for m in family:
        methods.append({
            "name": m.name, "title": m.title, "uses_beta": m.uses_beta, "js": _js(m), "torch": _torch(m),
            "gamma": None if m.closed_form is not None or m.gamma is None else float(m.gamma(0.0)),
            "maps": [_map(m, L / k, L, n, mean_square=mean_square, certified=certified, cycles=cycles) for k in ks],
        })
    return {
        "version": __version__, "L": L, "kappas": ks, "kappa_index": ks.index(kappa),
        "method_index": family.index(method), "methods": methods, "tolerances": list(TOLERANCES), "tol": tol,
        "batch_sizes": list(BATCH_SIZES), "colormap": _colormap(), "ms_curvatures": _MS_CURVATURES,
        "layer_n": _LAYER_N, "cert_n": _CERT_N, "cycle_periods": list(periods),
        "cycle_colours": _cycle_colours(periods),
        "layers": {"mean_square": mean_square, "certified": certified, "cycles": cycles},
    }


def render(data: dict[str, Any]) -> str:
    """The page: the template with ``data`` embedded as JSON."""
    template = resources.files("hbtheory").joinpath(_TEMPLATE).read_text(encoding="utf-8")
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return template.replace("/*HBX_DATA*/{}", payload, 1)


@dataclass(frozen=True)
class Explorer:
    """The explorer page :func:`explore` wrote (or only built, with ``out=None``).

    Attributes
    ----------
    html : str
        The whole self-contained page.
    path : pathlib.Path or None
        Where it was written.
    data : dict
        The data embedded in the page.
    """

    html: str = field(repr=False)
    path: Path | None
    data: dict[str, Any] = field(repr=False)

    @property
    def size(self) -> int:
        """Size of the page in bytes (UTF-8)."""
        return len(self.html.encode("utf-8"))

    def _repr_html_(self) -> str:
        # An iframe keeps the page's script and styles apart from the notebook's.
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" style="width:100%;height:1050px;'
                'border:1px solid #ccc" title="hbtheory explorer"></iframe>')


def check_out(path: Path) -> Path:
    """``path`` if a page can be written there (checked before any work; the CLI calls it too).

    Raises
    ------
    ValueError
        For a folder, or a file in a folder that does not exist.

    Examples
    --------
    >>> check_out(Path("explorer.html"))
    PosixPath('explorer.html')
    """
    if path.is_dir():
        raise ValueError(f"`out` must be a file name, got the folder {str(path)!r}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"`out`: the folder {str(folder)!r} does not exist")
    return path


def _write(path: Path, text: str) -> None:
    """Write ``text`` to a temporary sibling and rename it into place (never a half-written page)."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _display(page: Explorer) -> None:
    """Show the page inline when running inside IPython/Jupyter (nothing otherwise)."""
    import sys

    ipython = sys.modules.get("IPython")
    if ipython is None or getattr(ipython, "get_ipython", lambda: None)() is None:
        return
    shell = type(ipython.get_ipython()).__name__
    if shell == "ZMQInteractiveShell":  # a notebook kernel, not the terminal
        import importlib

        shown = importlib.import_module("IPython.display")
        shown.display(shown.HTML(page._repr_html_()))


def explore(
    method: str | Method = "heavy_ball",
    *,
    kappa: float | None = None,
    mu: float | None = None,
    L: float | None = None,
    out: str | os.PathLike[str] | None = "hbtheory-explorer.html",
    kappas: tuple[float, ...] | None = None,
    gammas: tuple[float, ...] = DEFAULT_GAMMAS,
    n: int = 128,
    tol: float = 1e-6,
    mean_square: bool = True,
    certified: bool = False,
    cycles: bool = True,
    display: bool = True,
) -> Explorer:
    r"""Write the interactive explorer of the :math:`(\alpha, \beta)` plane: one offline HTML file.

    The page shows, for the chosen method and spectrum :math:`[\mu, L]`, the worst rate on
    quadratics over the :math:`(\alpha, \beta)` plane with the convergence boundary, the
    critical-damping curves, the optimum and iso-rate lines; click, drag or use the arrow keys to
    pick a point and see the eigenvalues of the iteration matrix for :math:`h` across
    :math:`[\mu, L]` with the unit circle, the trajectory on :math:`f(x) = (\mu x_1^2 + L x_2^2)/2`,
    the error against :math:`t` beside :math:`\rho^t` and the Theorem-1 bound, and the numbers
    (rate, iterations to ``tol``, the ``torch.optim.SGD`` arguments). Controls switch the method
    (every member of the family, ``gamma`` of the general method), :math:`\kappa` (log scale),
    the tolerance and the layers (mean-square region; rate certified and cycles proven on every
    :math:`\mu`-strongly convex :math:`L`-smooth function). In a Jupyter notebook the page is also
    displayed inline.

    Parameters
    ----------
    method : str or Method, optional
        The method shown first (every member of the family is on the page).
    kappa : float, optional
        Condition number shown first, ``>= 1`` (default 100); or give ``mu`` and ``L``.
    mu, L : float, optional
        The spectrum ``0 < mu <= L``: ``kappa = L/mu`` and step sizes in units of ``L``'s scale.
    out : str or path-like or None, optional
        The HTML file to write (default ``hbtheory-explorer.html``); ``None`` writes nothing.
    kappas : tuple of float, optional
        The condition numbers of the kappa control (default :data:`DEFAULT_KAPPAS`, half decades
        from :math:`\sqrt{10}` to :math:`10^4`); ``kappa`` is added to them.
    gammas : tuple of float, optional
        Look-aheads of the general method on the page (default :data:`DEFAULT_GAMMAS`).
    n : int, optional
        Grid cells per axis of the rate maps, in ``[16, 400]`` (default 128; the page grows as
        ``n**2``).
    tol : float, optional
        Tolerance of the iteration count shown first, one of :data:`TOLERANCES`.
    mean_square : bool, optional
        Add the mean-square stability layer (default ``True``, about 0.02 s a map).
    certified : bool, optional
        Add the layer of rates certified on every :math:`\mu`-strongly convex :math:`L`-smooth
        function on a 14 x 14 grid (:func:`hbtheory.robust.robust_map_data`, about 0.5 s a map:
        default ``False``). With it, the point's verdict on :math:`F(\mu, L)` is complete:
        certified rate, proven cycle or unknown.
    cycles : bool, optional
        Add the layer of proven cycles on the same 14 x 14 grid: the cells where a period-K orbit on
        a regular K-gon exists for some :math:`f \in F(\mu, L)`, by the smallest ``K`` in 2..8
        (:func:`hbtheory.robust.cycle_margin`, as :func:`~hbtheory.robust.robust_map_data` computes
        it; milliseconds a map: default ``True``).
    display : bool, optional
        Display the page inline when called in a Jupyter notebook (default ``True``).

    Returns
    -------
    Explorer
        The page (``html``), where it was written (``path``) and its data.

    Raises
    ------
    ValueError, TypeError
        For a parameter outside its range, ``kappa`` together with ``mu``/``L``, or an ``out``
        that is a folder or in a folder that does not exist.

    Examples
    --------
    >>> page = explore("nesterov", kappa=100, out=None, kappas=(10.0,), gammas=(), n=16)
    >>> page.data["kappas"], page.data["methods"][page.data["method_index"]]["name"]
    ([10.0, 100.0], 'nesterov')
    >>> page.html.startswith("<!DOCTYPE html>") and "http" not in page.html.split("hbx-data")[0]
    True
    """
    m = get_method(method)
    if m.gamma is None:
        raise ValueError(f"`method` {m.name!r} has no realisation (given by its polynomial only): the page needs"
                         " its step")
    if kappa is not None and (mu is not None or L is not None):
        raise ValueError("give either `kappa` or both `mu` and `L`, not both")
    if kappa is None and (mu is None) != (L is None):
        raise ValueError("give both `mu` and `L` (or `kappa`)")
    if mu is not None and L is not None:
        mu_v = as_scalar(mu, "mu", low=0.0, low_open=True)
        L_v = as_scalar(L, "L", low=0.0, low_open=True)
        if not mu_v <= L_v:
            raise ValueError(f"`mu` must be <= `L`, got mu={mu_v!r}, L={L_v!r}")
        k, scale = L_v / mu_v, L_v
    else:
        k, scale = as_scalar(100.0 if kappa is None else kappa, "kappa", low=1.0, high=1e16), 1.0
    ks = DEFAULT_KAPPAS if kappas is None else tuple(
        as_scalar(v, f"kappas[{i}]", low=1.0, high=1e16) for i, v in enumerate(kappas))
    gs = tuple(as_scalar(g, f"gammas[{i}]", low=-1.0, high=10.0) for i, g in enumerate(gammas))
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 16 <= int(n) <= 400:
        raise ValueError(f"`n` must be an integer in [16, 400], got {n!r}")
    tol_v = as_scalar(tol, "tol")
    if tol_v not in TOLERANCES:
        raise ValueError(f"`tol` must be one of {list(TOLERANCES)}, got {tol_v!r}")
    for flag, name in ((mean_square, "mean_square"), (certified, "certified"), (cycles, "cycles"),
                       (display, "display")):
        if not isinstance(flag, bool):
            raise TypeError(f"`{name}` must be a bool, got {type(flag).__name__}")
    path = None if out is None else check_out(Path(os.fspath(out)))
    data = page_data(m, float(k), float(scale), kappas=tuple(float(v) for v in ks), gammas=gs, n=int(n), tol=tol_v,
                     mean_square=mean_square, certified=certified, cycles=cycles)
    text = render(data)
    if path is not None:
        _write(path, text)
    page = Explorer(text, path, data)
    if display:
        _display(page)
    return page




