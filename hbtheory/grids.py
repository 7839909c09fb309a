r"""The data behind the rate maps: the spectral radius on an :math:`(\alpha, \beta)` grid, with
everything a picture of it marks (numpy; no matplotlib).

:func:`rho_grid` evaluates, for any method of :mod:`hbtheory.methods`,

* the rate on the grid: :math:`\rho(A(\alpha, \beta, h))` at one curvature
  (:func:`hbtheory.spectral.spectral_radius`) or the worst rate
  :math:`\max_{h \in [\mu, L]} \rho` (:func:`hbtheory.spectral.worst_case_rate`);
* the iso-rate levels worth drawing;
* the critical-damping curves: the zero set of the discriminant :math:`c_1^2 - 4 c_0` of the
  method's polynomial (its ``c1``, ``c0``) at each end of the spectrum, as polylines;
* the optimum of :func:`hbtheory.tuning.optimal_parameters`;
* where it applies, the boundary of the region of Ghadimi, Feyzmahdavian and Johansson
  (:func:`hbtheory.pep.gfj_beta_bound`), and the regimes of the universal map
  (:func:`hbtheory.spectral.eigenvalues`).

:mod:`hbtheory.plots` only draws a :class:`RhoGrid`. A method without momentum
(``uses_beta=False``: gradient descent) gets the single row :math:`\beta = 0`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory import spectral
from hbtheory._result import Result, frozen_array
from hbtheory._validation import FloatArray, as_int, as_scalar, check_interval
from hbtheory.methods import Method, get_method

__all__ = ["REGIMES", "RhoGrid", "gfj_applies", "rho_grid"]

#: Names of the codes in :attr:`RhoGrid.regime` (index = code).
REGIMES = ("ripples", "monotonic decrease", "monotonic oscillations", "divergence")

# The betas at which a method's look-ahead shifts are sampled to decide whether it is heavy ball's
# update (gamma = delta = 0 for every beta): the GFJ theorem is about that update only.
_SHIFT_PROBES = np.array([0.0, 0.125, 0.5, 0.875, 0.99])


@dataclass(frozen=True, eq=False)
class RhoGrid(Result):
    r"""A rate map and what is drawn on it (see :func:`rho_grid`).

    Attributes
    ----------
    method : str
        The method's name; ``title`` its readable name.
    title : str
    h : float or None
        The curvature of a one-curvature map; ``None`` for a worst-case map over ``[mu, L]``.
    mu, L : float
        The spectrum (``mu = L = h`` for one curvature).
    alpha_range, beta_range : (float, float)
        The axes' extents. ``beta_range == (0, 0)`` for a method without momentum.
    alpha, beta : numpy.ndarray
        Cell centres, shapes ``(n,)`` and ``(m,)`` (``m = 1`` without momentum).
    rho : numpy.ndarray
        Shape ``(m, n)``: the rate at ``(alpha[j], beta[i])`` in row ``i``, column ``j``.
    levels : numpy.ndarray
        Iso-rate levels strictly between the smallest rate drawn and 1.
    critical_h : numpy.ndarray
        The curvatures at which critical-damping curves are given (``[h]`` or ``[mu, L]``; empty
        without momentum).
    critical : numpy.ndarray
        Shape ``(k, 3)``: rows ``(h, alpha, beta)`` of the zero set of :math:`c_1^2 - 4 c_0` at
        each ``critical_h`` inside the axes; within one ``h``, segments are separated by a row
        ``(h, nan, nan)``. :meth:`curve` gives one curvature's points.
    optimum : tuple of float or None
        ``(alpha, beta, rate)`` of :func:`hbtheory.tuning.optimal_parameters` on ``[mu, L]``.
    gfj : numpy.ndarray or None
        The upper boundary of the GFJ region, shape ``(k, 2)`` (``alpha`` in ``(0, 2/L)``,
        the strict bound on ``beta``); ``None`` when not requested or when the theorem does not
        apply (:func:`gfj_applies`).
    regime : numpy.ndarray or None
        Shape ``(m, n)`` codes into :data:`REGIMES` (one curvature, when requested).

    Examples
    --------
    >>> g = rho_grid(mu=0.01, L=1.0, n=40)
    >>> g.rho.shape, g.method
    ((40, 40), 'heavy_ball')
    >>> alpha, beta, rate = g.optimum     # Polyak's tuning on [0.01, 1]
    >>> round(alpha, 6), round(beta, 6), round(rate, 6)
    (3.305785, 0.669421, 0.818182)
    """

    method: str
    title: str
    h: float | None
    mu: float
    L: float
    alpha_range: tuple[float, float]
    beta_range: tuple[float, float]
    alpha: FloatArray
    beta: FloatArray
    rho: FloatArray
    levels: FloatArray
    critical_h: FloatArray
    critical: FloatArray
    optimum: tuple[float, float, float] | None
    gfj: FloatArray | None
    regime: NDArray[np.int8] | None

    def curve(self, h: float) -> FloatArray:
        """The critical-damping points ``(alpha, beta)`` at curvature ``h`` (one of
        ``critical_h``), shape ``(k, 2)``, segments separated by rows of NaN."""
        rows = np.asarray(self.critical)
        return np.asarray(rows[rows[:, 0] == h, 1:])

    @property
    def uses_beta(self) -> bool:
        """Whether the map has a momentum axis."""
        return self.beta_range[1] > self.beta_range[0]


def gfj_applies(method: str | Method) -> bool:
    r"""Whether the GFJ region (:func:`hbtheory.pep.gfj_region`) speaks about this method.

    The theorem of Ghadimi, Feyzmahdavian and Johansson is about the update
    :math:`x_{t+1} = x_t + \beta (x_t - x_{t-1}) - \alpha \nabla f(x_t)`: a method of the family
    whose gradient point and output are :math:`x_t` itself (:math:`\gamma = \delta = 0`) with a
    momentum parameter. Decided from the method's ``gamma`` and ``delta``, not its name.

    Examples
    --------
    >>> from hbtheory.methods import general
    >>> gfj_applies("heavy_ball"), gfj_applies("nesterov"), gfj_applies(general(0.0)), gfj_applies("gradient_descent")
    (True, False, True, False)
    """
    m = get_method(method)
    if not m.uses_beta or m.gamma is None:
        return False
    shifts = [m.gamma] + ([] if m.delta is None else [m.delta])
    return all(np.all(np.asarray(s(_SHIFT_PROBES), dtype=np.float64) == 0.0) for s in shifts)


def _pair(value: Any, name: str, low: float, high: float) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or np.ndim(value) != 1 or len(value) != 2:
        raise TypeError(f"`{name}` must be a pair (low, high) of real numbers, got {value!r}")
    lo = as_scalar(value[0], f"{name}[0]", low=low, high=high)
    hi = as_scalar(value[1], f"{name}[1]", low=low, high=high)
    if not lo < hi:
        raise ValueError(f"`{name}` must satisfy low < high, got ({lo!r}, {hi!r})")
    return lo, hi


def _count(value: Any, name: str, low: int, high: int = 2**62) -> int:
    if isinstance(value, (list, tuple)) or np.ndim(value) != 0:
        raise TypeError(f"`{name}` must be a single integer, got an array of shape {np.shape(value)}")
    count = int(as_int(value, name, low=low))
    if count > high:
        raise ValueError(f"`{name}` must be an integer in [{low}, {high}], got {count}")
    return count


def _levels(levels: Any) -> FloatArray:
    """Iso-rate levels: a 1-D sequence of rates in ``(0, 1)``, sorted and without repeats."""
    from hbtheory._validation import as_real

    arr = as_real(levels, "levels", low=0.0, high=1.0, low_open=True, high_open=True)
    if arr.ndim != 1:
        raise ValueError(f"`levels` must be a 1-D sequence of rates, got shape {arr.shape}")
    return np.unique(arr)


def _nice_step(span: float) -> float:
    """Smallest of 1, 2, 5 times a power of ten that is ``>= span``."""
    power = 10.0 ** np.floor(np.log10(span))
    return float(next(k * power for k in (1.0, 2.0, 5.0, 10.0) if k * power >= span * (1 - 1e-9)))


def _centres(lo: float, hi: float, n: int) -> FloatArray:
    return lo + (hi - lo) * (np.arange(n, dtype=np.float64) + 0.5) / n


def _default_levels(rho: FloatArray) -> FloatArray:
    """About six round rates between the smallest rate on the grid and 1."""
    finite = rho[np.isfinite(rho)]
    lowest = float(finite.min()) if finite.size else 1.0
    if lowest >= 1.0:
        return np.empty(0)
    step = _nice_step(max(1.0 - lowest, 1e-3) / 6.0)
    grid = np.round(np.arange(np.ceil(lowest / step) * step, 1.0, step), 12)
    return np.asarray(grid[(grid > lowest) & (grid < 1.0)], dtype=np.float64)


def _critical_lines(m: Method, h: float, alpha_range: tuple[float, float], beta_range: tuple[float, float],
                    n: int) -> FloatArray:
    """The zero set of the discriminant c1^2 - 4 c0 at curvature ``h`` inside the axes."""
    import contourpy

    a0, a1 = alpha_range
    b0, b1 = beta_range
    # Nodes (not cell centres) so that the curves reach the edges; refined near alpha = a0 and the
    # ends of the beta axis, where curves like beta = (1 - sqrt(alpha h))^2 are vertical.
    fine = np.geomspace(1e-7, 2.0 / n, 40)
    alpha = np.unique(np.concatenate([np.linspace(a0, a1, 2 * n + 1), a0 + (a1 - a0) * fine]))
    beta = np.unique(np.concatenate([np.linspace(b0, b1, 2 * n + 1), b0 + (b1 - b0) * fine,
                                     b1 - (b1 - b0) * fine]))
    def disc(a: FloatArray, b: FloatArray) -> FloatArray:
        with np.errstate(all="ignore"):
            c1 = np.asarray(m.c1(a, b, h), dtype=np.float64)
            c0 = np.asarray(m.c0(a, b, h), dtype=np.float64)
            d = np.broadcast_to(c1 * c1 - 4.0 * c0, np.broadcast_shapes(np.shape(a), np.shape(b)))
        return np.where(np.isfinite(d), d, np.nan)

    A, B = np.meshgrid(alpha, beta)
    lines = contourpy.contour_generator(alpha, beta, disc(A, B), line_type="Separate").lines(0.0)
    pieces: list[FloatArray] = []
    for line in lines:
        pts = np.asarray(line, dtype=np.float64)
        if len(pts) >= 2:
            pieces += [_onto_zero_set(disc, pts, (a1 - a0) / n, (b1 - b0) / n), np.full((1, 2), np.nan)]
    return np.concatenate(pieces[:-1]) if pieces else np.empty((0, 2))


def _onto_zero_set(disc: Any, pts: FloatArray, da: float, db: float) -> FloatArray:
    """Move the points of a contour (linear interpolation between grid nodes, off the curve by up
    to ~1e-4 where it is steep) onto the zero set of ``disc`` by Newton steps along its gradient
    (in units of the cells, so that both axes count alike). A point whose step would leave its
    cell, or not reduce ``|disc|``, stays where it was."""
    a, b = pts[:, 0].copy(), pts[:, 1].copy()
    for _ in range(8):
        d = disc(a, b)
        ga = (disc(a + 1e-6 * da, b) - disc(a - 1e-6 * da, b)) / 2e-6  # derivative per cell width
        gb = (disc(a, b + 1e-6 * db) - disc(a, b - 1e-6 * db)) / 2e-6
        norm2 = ga * ga + gb * gb
        with np.errstate(all="ignore"):
            ta, tb = -d * ga / norm2, -d * gb / norm2  # Newton step, in cells
        na, nb = a + ta * da, b + tb * db
        better = np.abs(disc(na, nb)) <= np.abs(d)
        ok = np.isfinite(ta) & np.isfinite(tb) & (np.hypot(ta, tb) < 1.0) & better
        a, b = np.where(ok, na, a), np.where(ok, nb, b)
    return np.column_stack([a, b])


def _gfj_boundary(mu: float, L: float, alpha_range: tuple[float, float], n: int) -> FloatArray | None:
    from hbtheory.pep import gfj_beta_bound

    a0 = max(alpha_range[0], 0.0)
    a_end = min(2.0 / L, alpha_range[1])
    if not a0 < a_end:
        return None
    span = a_end - a0
    alpha = a0 + span * np.concatenate([np.geomspace(1e-6, 1e-2, 60), np.linspace(1e-2, 1.0, 1200)[1:]])
    if a_end == 2.0 / L:  # the bound is defined on the open interval (0, 2/L)
        alpha[-1] = np.nextafter(a_end, 0.0)
    beta = np.asarray(gfj_beta_bound(alpha, mu, L), dtype=np.float64)
    return np.column_stack([alpha, beta])


def _regimes(m: Method, alpha: FloatArray, beta: FloatArray, h: float, rho: FloatArray) -> NDArray[np.int8]:
    dominant = np.asarray(spectral.eigenvalues(alpha[None, :], beta[:, None], h, method=m))[..., 0]
    dominant = np.broadcast_to(dominant, rho.shape)
    code = np.where(dominant.imag != 0.0, 0, np.where(dominant.real > 0.0, 1, 2))
    return np.where(rho >= 1.0, 3, code).astype(np.int8)


def rho_grid(
    h: float | None = None,
    *,
    mu: float | None = None,
    L: float | None = None,
    method: str | Method = "heavy_ball",
    alpha_range: tuple[float, float] | None = None,
    beta_range: tuple[float, float] | None = None,
    n: int = 400,
    levels: Any = None,
    gfj: bool = False,
    regimes: bool = False,
) -> RhoGrid:
    r"""The rate of a method over a grid of step sizes and momenta, with the curves a map marks.

    Parameters
    ----------
    h : float, optional
        One curvature, ``> 0``. Give either ``h`` or both ``mu`` and ``L``.
    mu, L : float, optional
        The spectrum interval, ``0 < mu <= L``: the rate is the worst over ``[mu, L]``.
    method : str or Method, optional
        Any method of the family (default ``"heavy_ball"``).
    alpha_range : (float, float), optional
        Step-size axis, ``0 <= low < high``. Default ``(0, a)`` with ``a`` 10% beyond the largest
        step size at which some ``beta`` of the axis converges.
    beta_range : (float, float), optional
        Momentum axis within ``[0, 1]``. Default ``(0, 1)``; must be ``None`` for a method
        without momentum (the grid is then the row ``beta = 0``).
    n : int, optional
        Grid cells per axis, in ``[8, 5000]``; rates at the cell centres. Default 400.
    levels : sequence of float, optional
        Iso-rate levels in ``(0, 1)``. Default: about six round values between the smallest
        rate and 1; ``[]`` for none.
    gfj : bool, optional
        Also compute the GFJ boundary (needs ``mu`` and ``L``). It is ``None`` in the result when
        :func:`gfj_applies` says the theorem is not about this method.
    regimes : bool, optional
        Also classify each cell (one curvature only): ripples (complex roots), monotonic
        decrease or oscillation (real dominant root of either sign), divergence.

    Returns
    -------
    RhoGrid

    Raises
    ------
    ValueError, TypeError
        For a parameter outside its range, both or neither of ``h`` and ``(mu, L)``, or
        ``regimes=True`` with ``mu`` and ``L``.

    Examples
    --------
    >>> g = rho_grid(mu=0.01, L=1.0, n=40)
    >>> g.rho.shape, g.critical_h.tolist(), g.curve(0.01).shape[1]
    ((40, 40), [0.01, 1.0], 2)
    >>> [round(v, 6) for v in g.optimum]                    # Polyak's tuning for kappa = 100
    [3.305785, 0.669421, 0.818182]
    >>> rho_grid(h=1.0, method="gradient_descent", alpha_range=(0.0, 2.5), n=10).rho.round(3)
    array([[0.875, 0.625, 0.375, 0.125, 0.125, 0.375, 0.625, 0.875, 1.125, 1.375]])
    """
    m = get_method(method)
    if h is not None and (mu is not None or L is not None):
        raise ValueError("give either `h` or both `mu` and `L`, not both")
    if h is None and (mu is None or L is None):
        raise ValueError("give either `h` or both `mu` and `L`")
    for flag, name in ((gfj, "gfj"), (regimes, "regimes")):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"`{name}` must be a bool, got {type(flag).__name__}")
    n = _count(n, "n", 8, 5000)
    if h is not None:
        h = as_scalar(h, "h", low=0.0, low_open=True)
        lo_h = hi_h = h
        if gfj:
            raise ValueError("`gfj` needs `mu` and `L` (the GFJ region is a statement on [mu, L])")
    else:
        if regimes:
            raise ValueError("`regimes` needs one curvature `h` (regimes are per eigen-direction)")
        mu_a, L_a = check_interval(as_scalar(mu, "mu", low=0.0, low_open=True),
                                   as_scalar(L, "L", low=0.0, low_open=True))
        lo_h, hi_h = float(mu_a), float(L_a)
    if m.uses_beta:
        b_range = (0.0, 1.0) if beta_range is None else _pair(beta_range, "beta_range", 0.0, 1.0)
        beta = _centres(*b_range, n)
    else:
        if beta_range is not None:
            raise ValueError(f"`beta_range` must be None for {m.title}, which has no momentum parameter")
        b_range, beta = (0.0, 0.0), np.zeros(1)

    def rate(alpha: FloatArray, betas: FloatArray) -> FloatArray:
        if h is not None:
            out = spectral.spectral_radius(alpha[None, :], betas[:, None], h, method=m)
        else:
            out = spectral.worst_case_rate(alpha[None, :], betas[:, None], lo_h, hi_h, method=m)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (betas.size, alpha.size))

    if alpha_range is None:
        # Nothing of the family converges beyond alpha * L = 8; look there on a coarse grid.
        coarse = np.linspace(8.0 / hi_h / 256, 8.0 / hi_h, 256)
        probe = np.linspace(*b_range, 33) if m.uses_beta else beta
        converging = coarse[(rate(coarse, probe) < 1.0).any(axis=0)]
        a_range = (0.0, 1.1 * float(converging.max() if converging.size else coarse[-1]))
    else:
        a_range = _pair(alpha_range, "alpha_range", 0.0, np.inf)
    alpha = _centres(*a_range, n)
    rho = rate(alpha, beta)

    lv = _default_levels(rho) if levels is None else _levels(levels)

    ends = [lo_h] if lo_h == hi_h else [lo_h, hi_h]
    crit_h = np.array(ends if m.uses_beta else [], dtype=np.float64)
    lines = [_critical_lines(m, float(e), a_range, b_range, n) for e in crit_h]
    critical = np.concatenate([np.column_stack([np.full(len(pts), e), pts]) for e, pts in zip(crit_h, lines,
                                                                                              strict=True)]
                              + [np.empty((0, 3))])

    from hbtheory import tuning

    try:
        best = tuning.optimal_parameters(mu=lo_h, L=hi_h, method=m)
        optimum: tuple[float, float, float] | None = (float(best.alpha), float(best.beta), float(best.rate))
    except ValueError:  # e.g. a spectrum beyond the float64 range of the step size
        optimum = None
    boundary = _gfj_boundary(lo_h, hi_h, a_range, n) if gfj and gfj_applies(m) else None
    regime = _regimes(m, alpha, beta, lo_h, rho) if regimes else None
    return RhoGrid(
        method=m.name,
        title=m.title,
        h=h,
        mu=lo_h,
        L=hi_h,
        alpha_range=a_range,
        beta_range=b_range,
        alpha=frozen_array(alpha),
        beta=frozen_array(beta),
        rho=frozen_array(rho),
        levels=frozen_array(lv),
        critical_h=frozen_array(crit_h),
        critical=frozen_array(critical),
        optimum=optimum,
        gfj=None if boundary is None else frozen_array(boundary),
        regime=None if regime is None else frozen_array(regime, dtype=np.int8),
    )
