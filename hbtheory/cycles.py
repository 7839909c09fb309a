r"""Cycle detection: what a run of iterates did (converged, cycling, diverging or undetermined), as data.

:func:`find_cycle` takes any sequence of iterates (scalars or points) and returns a :class:`Cycle`
with the status, the smallest period, the points of the cycle and the evidence (residual,
tolerance, onset). A run that overflowed or left a bound is reported as diverging, never as an
exception or a NaN. Nothing here knows which method produced the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._result import Result, frozen_array
from hbtheory._validation import _exact_objects, as_int, as_scalar

__all__ = ["DIVERGE_AT", "STATUSES", "Cycle", "find_cycle"]

Arr = NDArray[np.float64]

#: Default bound on ``|x|`` beyond which a run counts as diverging (and is stopped).
DIVERGE_AT = 1e12
#: The statuses of a run, in the order summaries count them.
STATUSES = ("converged", "cycling", "diverging", "undetermined")


def _iterates(value: Any) -> Arr:
    """``value`` as a float64 array of real numbers (non-finite allowed: they mean divergence).

    Refused with a ``TypeError``: ``None``, strings, booleans and complex numbers, alone or inside
    a sequence (``np.array(..., dtype=float)`` would turn them into NaN, 0/1 or drop the
    imaginary part).
    """
    what = "`iterates` must be an array of real numbers"
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{what}, got {type(value).__name__}")
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what}, got a boolean")
    arr = _exact_objects(value, "iterates", "an array of real numbers")
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        kind = {"c": "complex", "b": "bool"}.get(arr.dtype.kind, arr.dtype.name)
        raise TypeError(f"{what}, got dtype {kind}")
    return np.array(arr, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Cycle(Result):
    """What a run did, with the evidence (see :func:`find_cycle`).

    Attributes
    ----------
    status : str
        ``"converged"`` (period 1: a fixed point), ``"cycling"`` (period ``>= 2``),
        ``"diverging"`` (left ``|x| <= diverge_at`` or produced a non-finite value) or
        ``"undetermined"`` (none of these within the run: slow, quasi-periodic or chaotic).
    period : int
        Smallest period found (1 for convergence, 0 when none).
    points : numpy.ndarray
        The limit point (converged) or the cycle in visiting order starting at its smallest
        point, shape ``(period,)`` or ``(period, d)``; empty otherwise.
    onset : int
        First index from which the run repeats with this period within the tolerance (the
        length of the transient); for divergence, the first index past ``diverge_at``; -1 if none.
    residual : float
        :math:`\\max_t \\|x_t - x_{t-p}\\|_\\infty` over the tail examined (the evidence of the
        period); for divergence and undetermined runs, the smallest such mismatch over all
        periods tried.
    tolerance : float
        Absolute tolerance used, ``tol * max(1, max |x| over the tail)``.
    steps : int
        Number of iterates examined.
    last : float
        :math:`\\|x_T\\|_\\infty`, the size of the last iterate (``inf`` if non-finite).
    """

    status: str
    period: int
    points: Arr
    onset: int
    residual: float
    tolerance: float
    steps: int
    last: float


def find_cycle(
    iterates: Any, *, max_period: int = 64, tol: float = 1e-9, tail: int | None = None, diverge_at: float = DIVERGE_AT
) -> Cycle:
    r"""Classify a run as converged, cycling, diverging or undetermined, with its period and points.

    The state of a two-step method is :math:`s_t = (x_t, x_{t-1})`, so a run of period
    :math:`p` is one with :math:`x_t = x_{t-p}` for all late :math:`t` (which makes the states
    repeat too). On the last ``tail`` iterates the smallest :math:`p \le` ``max_period`` with
    :math:`\max_t \|x_t - x_{t-p}\|_\infty \le \tau` is the period, where
    :math:`\tau =` ``tol`` :math:`\cdot \max(1, \max|x|)` over the tail absorbs the rounding of
    an orbit (a few ulps of its size). Period 1 is convergence to a fixed point. A run with a
    non-finite iterate or one beyond ``diverge_at`` is diverging.

    Parameters
    ----------
    iterates : array_like, shape ``(T,)`` or ``(T, d)``
        :math:`x_0, \dots, x_{T-1}` (non-finite values allowed: they mean divergence).
    max_period : int, optional
        Largest period looked for (default 64).
    tol : float, optional
        Relative tolerance (default ``1e-9``).
    tail : int, optional
        Number of final iterates compared; default ``max(4 * max_period, 32)``, capped by the run.
        It must leave at least two periods: ``T >= tail`` and ``tail > 2 p`` for a period ``p``
        to be recognised.
    diverge_at : float, optional
        Bound on :math:`|x|` beyond which the run is diverging (default ``1e12``). A run with
        an iterate beyond it, or a non-finite one (inf or NaN), is diverging even when it holds
        fewer than 3 iterates (a run that :func:`~hbtheory.runs.iterate` stopped at its first step).

    Returns
    -------
    Cycle

    Raises
    ------
    TypeError, ValueError
        For arguments outside their ranges (the message names the parameter), or fewer than
        3 iterates all finite and within ``diverge_at``. ``iterates`` must hold real numbers:
        ``None``, strings, booleans and complex numbers are a ``TypeError`` (not NaN, 0/1 or a
        dropped imaginary part).

    Examples
    --------
    >>> c = find_cycle([0.5] + [2.0, -1.0, 3.0] * 5, tail=12)
    >>> c.status, c.period, c.points, c.onset
    ('cycling', 3, array([-1.,  3.,  2.]), 1)
    >>> find_cycle(0.5 ** np.arange(400.0)).status
    'converged'
    >>> find_cycle(2.0 ** np.arange(80.0)).status
    'diverging'
    >>> find_cycle([1.0, 2.0, 3.0 + 1e-3j])
    Traceback (most recent call last):
    ...
    TypeError: `iterates` must be an array of real numbers, got a complex in the sequence
    """
    arr = _iterates(iterates)
    if arr.ndim not in (1, 2):
        raise ValueError(f"`iterates` must have shape (T,) or (T, d), got {arr.shape}")
    p_max = int(as_int(max_period, "max_period", low=1))
    rel = as_scalar(tol, "tol", low=0.0, low_open=True)
    bound = as_scalar(diverge_at, "diverge_at", low=0.0, low_open=True)
    w = max(4 * p_max, 32) if tail is None else int(as_int(tail, "tail", low=3))
    n = arr.shape[0]
    if n == 0 or arr.size == 0:
        raise ValueError(f"`iterates` must hold at least 3 iterates, got shape {arr.shape}")
    x = arr.reshape(n, -1)
    size = np.max(np.abs(x), axis=1)  # inf/NaN for non-finite rows
    empty = frozen_array(np.empty((0, *arr.shape[1:])))
    bad = ~(size <= bound)
    last = float(size[-1]) if np.isfinite(size[-1]) else math.inf
    if bad.any():
        # A run stopped early because it diverged is diverging, however short it is.
        onset = int(np.argmax(bad))
        return Cycle("diverging", 0, empty, onset, math.inf, bound, n, last)
    if n < 3:
        raise ValueError(f"`iterates` must hold at least 3 iterates, got {n}")
    w = min(w, n)
    t_part = x[n - w :]
    scale = max(1.0, float(size[n - w :].max()))
    tau = rel * scale
    best = math.inf
    for p in range(1, min(p_max, (w - 1) // 2) + 1):
        diff = np.max(np.abs(t_part[p:] - t_part[:-p]), axis=1)
        worst = float(diff.max())
        best = min(best, worst)
        if worst <= tau:
            # Onset: first t with |x_s - x_{s-p}| <= tau for every s >= t + p, over the whole run.
            all_diff = np.max(np.abs(x[p:] - x[:-p]), axis=1)
            above = np.nonzero(all_diff > tau)[0]
            onset = 0 if above.size == 0 else int(above[-1]) + 1
            pts = x[n - p :]
            start = int(np.lexsort(pts.T[::-1])[0])
            pts = np.roll(pts, -start, axis=0)
            points = frozen_array(pts.reshape((p, *arr.shape[1:])))
            status = "converged" if p == 1 else "cycling"
            return Cycle(status, p, points, onset, worst, tau, n, last)
    return Cycle("undetermined", 0, empty, -1, best, tau, n, last)
