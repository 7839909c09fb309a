r"""Measuring a convergence rate from iterates: fit the recurrence, not the envelope.

Every method of :mod:`hbtheory.methods` makes the error on one eigen-direction of a quadratic
obey a two-term linear recurrence

.. math::

    e_{t+1} = c_1 e_t - c_0 e_{t-1},

and the rate is the spectral radius of :math:`z^2 - c_1 z + c_0`. :func:`fit_recurrence`
measures :math:`(c_1, c_0)` from the observed sequence by weighted least squares on the
equations above and returns that polynomial's spectral radius.

Why this fit and not a slope of :math:`\log|e_t|`
--------------------------------------------------
The envelope of the error is :math:`\rho^t` only asymptotically and only up to a bounded
oscillating or growing factor:

* complex roots :math:`\rho e^{\pm i\theta}` give :math:`e_t = a \rho^t \cos(t\theta + \phi)`,
  whose logarithm wobbles by :math:`O(1)` forever; a log-linear slope over :math:`T` steps errs
  by :math:`O(1/T)` unless the window covers whole periods :math:`\pi/\theta` exactly;
* a double root (critical damping, Polyak's tuning at :math:`h = \mu`) gives
  :math:`e_t = (a + bt)\rho^t`, and the slope errs by about :math:`\log(T)/T`;
* two real roots close together give a slowly dying second mode, with the same kind of error.

The recurrence holds *exactly* at every step in all three cases (up to the rounding of each
step), so its coefficients, and hence :math:`\rho`, are recovered to a few rounding errors from a
handful of steps. The fit is linear least squares and needs no starting guess. Each equation is
weighted by :math:`1/\max(|e_t|, |e_{t-1}|)`, which makes every step's rounding error count the
same however far the sequence has decayed or grown. Where the rate itself is ill-conditioned
(on a critical-damping curve :math:`\rho` moves like the square root of the discriminant), an
error :math:`\delta` in the coefficients costs about :math:`\sqrt{\delta}` in :math:`\rho`; with
float64 iterates this is still about :math:`10^{-8}`.

When the sequence is geometric to rounding accuracy (gradient descent, or a start on an
eigenvector), the two columns of the least-squares problem are parallel and :math:`c_0` is not
identifiable; the fit then falls back to the one-term recurrence :math:`e_{t+1} = r e_t` and
returns :math:`|r|`. A sequence that becomes exactly zero has rate 0.

:func:`envelope_rate` is the log-linear slope, kept to show (and test) the difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory import _kernel
from hbtheory._result import Result, frozen_array

__all__ = ["GivensLeastSquares", "RecurrenceFit", "envelope_rate", "fit_recurrence", "fit_triples"]

Arr = NDArray[np.float64]

#: Below this ``sin^2`` of the angle between the weighted columns ``(e_t)`` and ``(e_{t-1})`` the
#: sequence is taken as geometric: a second mode smaller than about 1e-12 of the first is rounding.
RANK_TOL = 1e-24


@dataclass(frozen=True, eq=False)
class RecurrenceFit(Result):
    r"""Fitted recurrence :math:`e_{t+1} = c_1 e_t - c_0 e_{t-1}` of one or many sequences.

    Attributes
    ----------
    c1, c0 : numpy.ndarray
        The fitted coefficients (``c0`` is ``0`` for an order-1 fit).
    rate : numpy.ndarray
        Spectral radius of :math:`z^2 - c_1 z + c_0`: the measured rate (NaN when the sequence
        gave too few usable equations).
    order : numpy.ndarray
        ``2`` (two-term fit), ``1`` (geometric sequence), ``0`` (sequence vanished: rate 0) or
        ``-1`` (not measurable).
    residual : numpy.ndarray
        Root-mean-square weighted residual of the equations, relative to the sequence's size at
        each step: a few ``1e-16`` when the sequence really obeys a linear recurrence.
    equations : numpy.ndarray
        Number of equations used.
    """

    c1: Arr
    c0: Arr
    rate: Arr
    order: NDArray[np.int64]
    residual: Arr
    equations: NDArray[np.int64]


class GivensLeastSquares:
    r"""Streaming least squares for :math:`c = c_1 a - c_0 b`, one equation per call, by Givens QR.

    Holds the triangular factor :math:`R = \begin{pmatrix} r_{11} & r_{12} \\ 0 & r_{22}\end{pmatrix}`
    of the two columns ``(a, b)``, :math:`z = Q^\top c` and the residual sum of squares, for many
    independent problems at once (one per element). Each new equation is rotated into ``R`` with
    two Givens rotations: backward stable, so the coefficients carry an error of about
    ``eps * cond`` (normal equations would give ``eps * cond**2``), and nothing is stored per step.

    ``xp`` is the array namespace: ``numpy`` (used by :func:`fit_triples`) or ``torch`` (used by
    :func:`hbtheory.empirical.sweep` on the device, in the simulation's dtype).
    """

    def __init__(self, xp: Any, like: Any) -> None:
        self.xp = xp
        zero = like * 0
        self.r11, self.r12, self.r22, self.z1, self.z2, self.rss = (zero + 0 for _ in range(6))
        self.count = zero + 0

    def update(self, a: Any, b: Any, c: Any, usable: Any) -> None:
        """Fold in the equation ``c = c1 a - c0 b`` (already weighted) where ``usable`` is true."""
        xp = self.xp
        zero = a * 0
        a, b, c = (xp.where(usable, v, zero) for v in (a, b, c))
        one = zero + 1
        rho = xp.hypot(self.r11, a)
        nz = rho > 0
        safe = xp.where(nz, rho, one)
        cs, sn = xp.where(nz, self.r11 / safe, one), xp.where(nz, a / safe, zero)
        r12 = cs * self.r12 + sn * b
        b2 = cs * b - sn * self.r12
        z1 = cs * self.z1 + sn * c
        c2 = cs * c - sn * self.z1
        rho2 = xp.hypot(self.r22, b2)
        nz2 = rho2 > 0
        safe2 = xp.where(nz2, rho2, one)
        cs2, sn2 = xp.where(nz2, self.r22 / safe2, one), xp.where(nz2, b2 / safe2, zero)
        z2 = cs2 * self.z2 + sn2 * c2
        c3 = cs2 * c2 - sn2 * self.z2
        self.r11, self.r12, self.r22, self.z1, self.z2 = rho, r12, rho2, z1, z2
        self.rss = self.rss + c3 * c3
        self.count = self.count + xp.where(usable, one, zero)

    def solve(self) -> RecurrenceFit:
        """The fitted recurrences (numpy, on the CPU)."""
        def arr(v: Any) -> Arr:
            if hasattr(v, "detach"):
                v = v.detach().to(device="cpu").double().numpy()
            return np.asarray(v, dtype=np.float64)

        r11, r12, r22, z1, z2, rss, count = (arr(v) for v in (self.r11, self.r12, self.r22, self.z1, self.z2,
                                                             self.rss, self.count))
        # a fit of a rate near 1e300 squares numbers beyond float64: its residual is then inf
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            bb = r12 * r12 + r22 * r22  # |b|^2
            sin2 = np.where(bb > 0, r22 * r22 / np.where(bb > 0, bb, 1.0), 0.0)
            two = (count >= 2) & (sin2 > RANK_TOL) & (r11 > 0)
            one = ~two & (count >= 1) & (r11 > 0)
            u2 = np.where(two, z2 / np.where(two, r22, 1.0), 0.0)
            u1 = np.where(two, (z1 - r12 * u2) / np.where(r11 > 0, r11, 1.0), z1 / np.where(r11 > 0, r11, 1.0))
            # an order-1 fit leaves z2 in the residual
            rss_eff = np.where(two, rss, rss + z2 * z2)
            resid = np.sqrt(rss_eff / np.maximum(count, 1))
        c1 = np.where(two | one, u1, np.nan)
        c0 = np.where(two, -u2, np.where(one, 0.0, np.nan))
        fitted = two | one
        c1f, c0f = np.where(fitted, c1, 0.0), np.where(fitted, c0, 0.0)
        with np.errstate(over="ignore"):
            rate = np.where(fitted, _kernel.radius(_kernel.Char(c1f, c0f, c1f * c1f - 4.0 * c0f)), np.nan)
        order = np.where(two, 2, np.where(one, 1, -1))
        # nothing to fit but an exactly-zero sequence: it converged in finitely many steps
        # (every e_t of the equations is 0 and so is every e_{t+1})
        vanished = ~fitted & (r11 == 0.0) & (rss == 0.0) & (z1 == 0.0) & (z2 == 0.0) & (count >= 1)
        return RecurrenceFit(
            c1=frozen_array(np.where(vanished, 0.0, c1)),
            c0=frozen_array(np.where(vanished, 0.0, c0)),
            rate=frozen_array(np.where(vanished, 0.0, rate)),
            order=frozen_array(np.where(vanished, 0, order), dtype=np.int64),
            residual=frozen_array(np.where(vanished | ~fitted, np.where(vanished, 0.0, np.nan), resid)),
            equations=frozen_array(count, dtype=np.int64),
        )


def fit_triples(a: Any, b: Any, c: Any, usable: Any = True) -> RecurrenceFit:
    r"""Fit :math:`c = c_1 a - c_0 b` from equations already weighted to unit size.

    ``a``, ``b``, ``c`` hold :math:`e_t`, :math:`e_{t-1}`, :math:`e_{t+1}` of each equation, each
    equation divided by its own scale (so that rounding counts the same in every equation), with
    the equations along axis 0; ``usable`` masks equations out. :func:`fit_recurrence` builds
    such triples from a sequence.

    The least-squares problem is solved by :class:`GivensLeastSquares`. Its two columns are
    parallel to rounding accuracy when the part of ``b`` orthogonal to ``a`` is below
    ``sqrt(RANK_TOL)`` of ``b``; the fit is then of order 1.

    Examples
    --------
    >>> import numpy as np
    >>> e = 0.5 ** np.arange(8.0) * np.cos(np.arange(8.0))   # a damped oscillation
    >>> f = fit_triples(e[1:-1], e[:-2], e[2:])
    >>> round(float(f.rate), 12), round(float(f.c0), 12)
    (0.5, 0.25)
    """
    a, b, c = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, c)))
    mask = np.broadcast_to(np.asarray(usable, dtype=bool), a.shape)
    if a.ndim == 0:
        raise ValueError("`a`, `b`, `c` need an equation axis (axis 0)")
    ls = GivensLeastSquares(np, np.zeros(a.shape[1:]))
    for k in range(a.shape[0]):
        ls.update(a[k], b[k], c[k], mask[k])
    return ls.solve()


def fit_recurrence(sequences: Any, *, floor: Any = 0.0, rel_floor: float = 0.0) -> RecurrenceFit:
    r"""Fit :math:`e_{t+1} = c_1 e_t - c_0 e_{t-1}` to each sequence and return its rate.

    Parameters
    ----------
    sequences : array_like
        Shape ``(T,)`` or ``(T, ...)``: time along the first axis, one sequence per trailing
        index. ``T >= 3``.
    floor : float or array_like, optional
        Absolute noise level: an equation is used only while
        :math:`\max(|e_t|, |e_{t-1}|) > \text{floor}`. Broadcasts against the equations' shape
        ``(T - 2, ...)``, so a per-step floor (say, rounding relative to the whole state when the
        sequence is a projection) is allowed. Only the *leading* run of usable equations is
        kept: once a sequence has sunk into the noise, later values are not trusted. A sequence
        that reaches exactly zero has converged in finitely many steps and gets rate 0.
    rel_floor : float, optional
        Floor relative to each sequence's largest value, combined with ``floor`` (the larger
        applies). Use it when the iterates carry a disturbance (a non-quadratic loss).

    Returns
    -------
    RecurrenceFit
        Arrays of the trailing shape (scalars as 0-d arrays).

    Raises
    ------
    ValueError
        For fewer than 3 time steps, non-finite values or a negative floor.

    Notes
    -----
    See the module documentation for why fitting the recurrence is right where the error
    oscillates (complex roots) or decays like :math:`t\rho^t` (critical damping).

    Examples
    --------
    Critical damping, where the envelope :math:`(1 + t)\, 0.9^t` misleads a log-linear fit:

    >>> import numpy as np
    >>> t = np.arange(60.0)
    >>> e = (1 + t) * 0.9 ** t
    >>> round(float(fit_recurrence(e).rate), 10)
    0.9
    >>> round(float(envelope_rate(e)), 3)   # biased by the factor (1 + t)
    0.943
    """
    seq = np.asarray(sequences, dtype=np.float64)
    if seq.ndim == 0 or seq.shape[0] < 3:
        raise ValueError(f"`sequences` needs at least 3 time steps along axis 0, got shape {seq.shape}")
    if not np.isfinite(seq).all():
        raise ValueError("`sequences` must be finite")
    floor_arr = np.asarray(floor, dtype=np.float64)
    if not np.isfinite(floor_arr).all() or (floor_arr < 0).any():
        raise ValueError("`floor` must be finite and >= 0")
    if not (np.isfinite(rel_floor) and rel_floor >= 0.0):
        raise ValueError(f"`rel_floor` must be finite and >= 0, got {rel_floor!r}")
    a, b, c = seq[1:-1], seq[:-2], seq[2:]
    scale = np.maximum(np.abs(a), np.abs(b))
    level = np.maximum(floor_arr, rel_floor * scale.max(axis=0, initial=0.0))
    above = scale > level
    # the leading run of usable equations, extended by the first exact zero (finite convergence)
    usable = np.cumprod(above, axis=0).astype(bool)
    stop = np.cumprod(above | (scale == 0.0), axis=0).astype(bool)
    zero_after = stop & ~usable & (scale == 0.0) & (np.abs(c) == 0.0)
    mask = usable | zero_after
    w = np.where(usable, 1.0 / np.where(usable, scale, 1.0), 0.0)
    fit = fit_triples(a * w, b * w, c * w, mask)
    return fit


def envelope_rate(sequences: Any, *, start: int = 0) -> Any:
    r"""Log-linear fit of :math:`|e_t|`: ``exp`` of the least-squares slope of :math:`\log|e_t|`.

    This is the naive measurement that :func:`fit_recurrence` replaces: it is biased by
    :math:`O(1/T)` when the error oscillates and by about :math:`\log(T)/T` at critical damping.
    Zero values are skipped.

    Parameters
    ----------
    sequences : array_like
        Shape ``(T, ...)`` as in :func:`fit_recurrence` (the norms of a state work too).
    start : int, optional
        First time step used.

    Returns
    -------
    numpy.float64 or numpy.ndarray

    Examples
    --------
    >>> round(float(envelope_rate([1.0, 0.5, 0.25, 0.125])), 12)
    0.5
    """
    seq = np.abs(np.asarray(sequences, dtype=np.float64))[start:]
    if seq.shape[0] < 2:
        raise ValueError("`sequences` needs at least 2 time steps after `start`")
    t = np.arange(seq.shape[0], dtype=np.float64).reshape((-1,) + (1,) * (seq.ndim - 1))
    ok = seq > 0.0
    with np.errstate(divide="ignore"):
        logs = np.where(ok, np.log(np.where(ok, seq, 1.0)), 0.0)
    n = ok.sum(axis=0)
    tm = np.sum(t * ok, axis=0) / np.maximum(n, 1)
    lm = np.sum(logs, axis=0) / np.maximum(n, 1)
    num = np.sum(ok * (t - tm) * (logs - lm), axis=0)
    den = np.sum(ok * (t - tm) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    out = np.exp(slope)
    return out[()] if np.ndim(out) == 0 else out
