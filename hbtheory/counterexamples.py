r"""Where the quadratic theory stops: the Lessard-Recht-Packard counterexample, and runs as data.

Polyak's tuning makes heavy ball converge at rate :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)` on
every quadratic with spectrum in :math:`[\mu, L]`. Lessard, Recht and Packard (2016, section 4.6)
showed that the same tuning need not converge at all on a function that is merely
:math:`\mu`-strongly convex and :math:`L`-smooth. Their function, with :math:`\mu = 1`,
:math:`L = 25`, is one-dimensional and piecewise quadratic:

.. math::

    f(x) = \begin{cases}
        \tfrac{25}{2} x^2 & x < 1, \\
        \tfrac12 x^2 + 24 x - 12 & 1 \le x < 2, \\
        \tfrac{25}{2} x^2 - 24 x + 36 & x \ge 2,
    \end{cases}
    \qquad
    f'(x) = \begin{cases} 25 x & x < 1, \\ x + 24 & 1 \le x < 2, \\ 25 x - 24 & x \ge 2. \end{cases}

:math:`f` is :math:`C^1` (the pieces and their slopes agree at 1 and 2), :math:`f'` is continuous
and piecewise linear with slopes 25, 1, 25, so :math:`f` is 1-strongly convex and 25-smooth, with
its minimiser at :math:`x^* = 0`. Heavy ball with
:math:`\alpha = 4/(\sqrt L + \sqrt\mu)^2 = 1/9`, :math:`\beta = 4/9` started at
:math:`x_{-1} = x_0 = 3.3` falls into a cycle of period 3 through the points
:math:`-2208/1225`, :math:`2592/1225`, :math:`792/1225` (exact rationals: see
:data:`LRP_CYCLE`), while Nesterov's method and gradient descent tuned for the same
:math:`\kappa = 25` converge from every starting point tried.

The module gives the function (numpy, exact rationals and torch), the three methods run on any
gradient (and heavy ball through ``torch.optim.SGD`` itself), :func:`find_cycle`, which turns a
run into data (converged, cycling with its period and points, diverging, or undetermined), and
the results the command line, the figure and the report use:
:func:`counterexample_summary`, :func:`cycle_figure_data` and :func:`counterexample_check`.

References
----------
L. Lessard, B. Recht, A. Packard (2016). Analysis and design of optimization algorithms via
integral quadratic constraints. SIAM J. Optim. 26(1):57-95, section 4.6 (arXiv:1408.3595).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._result import Result, frozen_array
from hbtheory._validation import as_int, as_real, as_scalar, finish
from hbtheory.methods import get_method

__all__ = [
    "LRP_CYCLE",
    "LRP_L",
    "LRP_MU",
    "CounterexampleSummary",
    "Cycle",
    "CycleFigureData",
    "MethodOutcome",
    "Verification",
    "counterexample_check",
    "counterexample_summary",
    "cycle_figure_data",
    "find_cycle",
    "iterate",
    "iterate_torch",
    "lrp_gradient",
    "lrp_gradient_exact",
    "lrp_tunings",
    "lrp_value",
    "lrp_value_torch",
    "run_outcome",
]

Arr = NDArray[np.float64]
Gradient = Callable[[Arr], Arr]

#: Strong convexity and smoothness constants of the Lessard-Recht-Packard function.
LRP_MU = 1.0
LRP_L = 25.0
#: The period-3 cycle of heavy ball at Polyak's tuning, exact, in the order the method visits
#: it (each point maps to the next, the last to the first), starting at the smallest.
LRP_CYCLE: tuple[Fraction, Fraction, Fraction] = (Fraction(-2208, 1225), Fraction(2592, 1225), Fraction(792, 1225))

#: Default bound on ``|x|`` beyond which a run counts as diverging (and is stopped).
DIVERGE_AT = 1e12
_STATUSES = ("converged", "cycling", "diverging", "undetermined")


# ------------------------------------------------------------------------------------- the function


def _lrp_gradient(x: Arr) -> Arr:
    return np.where(x < 1.0, 25.0 * x, np.where(x < 2.0, x + 24.0, 25.0 * x - 24.0))


def _lrp_value(x: Arr) -> Arr:
    return np.where(
        x < 1.0, 12.5 * x * x, np.where(x < 2.0, 0.5 * x * x + 24.0 * x - 12.0, 12.5 * x * x - 24.0 * x + 36.0)
    )


def lrp_value(x: Any) -> Any:
    r"""The Lessard-Recht-Packard function :math:`f(x)` (broadcasting; see the module docs).

    Parameters
    ----------
    x : float or array_like
        Points, finite reals.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        :math:`f(x)`, minimum 0 at :math:`x^* = 0`.

    Raises
    ------
    TypeError, ValueError
        If ``x`` is not real or not finite.

    Examples
    --------
    >>> lrp_value([0.0, 1.0, 2.0, 3.3])
    array([ 0.   , 12.5  , 38.   , 92.925])
    """
    arr = as_real(x, "x")
    out = _lrp_value(arr)
    return finish(out)


def lrp_gradient(x: Any) -> Any:
    r"""The gradient :math:`f'(x)` of the Lessard-Recht-Packard function (broadcasting).

    :math:`f'(x) = 25x` for :math:`x < 1`, :math:`x + 24` on :math:`[1, 2)`, :math:`25x - 24` for
    :math:`x \ge 2`: continuous, piecewise linear with slopes in :math:`\{1, 25\}`.

    Parameters
    ----------
    x : float or array_like
        Points, finite reals.

    Returns
    -------
    numpy.float64 or numpy.ndarray

    Raises
    ------
    TypeError, ValueError
        If ``x`` is not real or not finite.

    Examples
    --------
    >>> lrp_gradient([0.5, 1.0, 1.5, 2.0])
    array([12.5, 25. , 25.5, 26. ])
    """
    arr = as_real(x, "x")
    out = _lrp_gradient(arr)
    return finish(out)


def lrp_gradient_exact(x: Fraction | int) -> Fraction:
    """:func:`lrp_gradient` in exact rational arithmetic (for checks that admit no rounding).

    Examples
    --------
    >>> from fractions import Fraction
    >>> lrp_gradient_exact(Fraction(3, 2))
    Fraction(51, 2)
    """
    if isinstance(x, bool) or not isinstance(x, (Fraction, int)):
        raise TypeError(f"`x` must be a Fraction or an int, got {type(x).__name__}")
    q = Fraction(x)
    if q < 1:
        return 25 * q
    if q < 2:
        return q + 24
    return 25 * q - 24


def lrp_value_torch(x: Any) -> Any:
    """The Lessard-Recht-Packard function on a torch tensor, differentiable by autograd.

    ``torch.where`` routes the gradient through the branch that is selected, so autograd gives
    exactly :func:`lrp_gradient` (the branches agree in value and slope at the breakpoints).

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> x = torch.tensor([0.5, 1.5, 3.0], dtype=torch.float64, requires_grad=True)
    >>> lrp_value_torch(x).sum().backward()
    >>> x.grad.tolist()
    [12.5, 25.5, 51.0]
    """
    from hbtheory.empirical._torch import require_torch

    torch = require_torch()
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"`x` must be a torch.Tensor, got {type(x).__name__}")
    return torch.where(
        x < 1.0, 12.5 * x * x, torch.where(x < 2.0, 0.5 * x * x + 24.0 * x - 12.0, 12.5 * x * x - 24.0 * x + 36.0)
    )


def lrp_tunings(mu: float = LRP_MU, L: float = LRP_L) -> dict[str, tuple[float, float]]:
    r"""The ``(alpha, beta)`` of each method tuned for :math:`[\mu, L]` by :func:`hbtheory.optimal_parameters`.

    These are the quadratic-optimal tunings: heavy ball's is Polyak's
    (:math:`1/9, 4/9` for :math:`\kappa = 25`), gradient descent's :math:`2/(\mu + L)`.

    Examples
    --------
    >>> t = lrp_tunings()
    >>> t["heavy_ball"]
    (0.111111..., 0.444444...)
    >>> t["gradient_descent"]
    (0.0769230..., 0.0)
    """
    from hbtheory.tuning import optimal_parameters

    out = {}
    for name in ("heavy_ball", "nesterov", "gradient_descent"):
        t = optimal_parameters(mu=mu, L=L, method=name)
        out[name] = (float(t.alpha), float(t.beta))
    return out


# ------------------------------------------------------------------------------------------- runs


def _start(x0: Any, name: str) -> Arr:
    arr = as_real(x0, name)
    if arr.ndim > 1:
        raise ValueError(f"`{name}` must be a number or a 1-d point, got shape {arr.shape}")
    out: Arr = arr.copy()
    return out


def iterate(
    x0: Any,
    alpha: float,
    beta: float,
    steps: int,
    *,
    method: str = "heavy_ball",
    gradient: Gradient | None = None,
    x_prev: Any = None,
    diverge_at: float = DIVERGE_AT,
) -> Arr:
    r"""Run a method on a gradient and return its iterates :math:`x_0, \dots, x_T`.

    Heavy ball: :math:`x_{t+1} = x_t - \alpha \nabla f(x_t) + \beta (x_t - x_{t-1})`; Nesterov:
    :math:`y_t = x_t + \beta (x_t - x_{t-1})`, :math:`x_{t+1} = y_t - \alpha \nabla f(y_t)`;
    gradient descent: :math:`\beta = 0`. The run stops early, without overflow, as soon as
    :math:`\|x_t\|_\infty` exceeds ``diverge_at``; :func:`find_cycle` then reports it as diverging.

    Parameters
    ----------
    x0 : float or array_like (1-d)
        Starting point.
    alpha : float
        Step size, ``> 0``.
    beta : float
        Momentum, in ``[0, 1]`` (0 for gradient descent).
    steps : int
        Number of steps ``T >= 1``.
    method : str, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.
    gradient : callable, optional
        ``gradient(x) -> array`` of the shape of ``x``; default :func:`lrp_gradient`.
    x_prev : float or array_like, optional
        :math:`x_{-1}`; default ``x0`` (the convention of ``torch.optim.SGD``).
    diverge_at : float, optional
        Bound on :math:`\|x_t\|_\infty` past which the run stops.

    Returns
    -------
    numpy.ndarray
        Shape ``(T + 1,)`` for a scalar start, ``(T + 1, d)`` for a 1-d one; fewer rows if
        stopped early.

    Raises
    ------
    TypeError, ValueError
        For a parameter outside its range (the message names it).

    Examples
    --------
    >>> x = iterate(3.3, 1 / 9, 4 / 9, 300)
    >>> x[-3:]
    array([-1.80244898,  2.11591837,  0.64653061])
    """
    m = get_method(method)
    a = as_scalar(alpha, "alpha", low=0.0, low_open=True)
    b = as_scalar(beta, "beta", low=0.0, high=1.0)
    if not m.uses_beta and b != 0.0:
        raise ValueError(f"`beta` must be 0 for method '{m.name}', got {b!r}")
    t_max = int(as_int(steps, "steps", low=1))
    bound = as_scalar(diverge_at, "diverge_at", low=0.0, low_open=True)
    grad = _lrp_gradient if gradient is None else gradient
    if not callable(grad):
        raise TypeError(f"`gradient` must be callable, got {type(grad).__name__}")
    x = _start(x0, "x0")
    xp = x.copy() if x_prev is None else _start(x_prev, "x_prev")
    if xp.shape != x.shape:
        raise ValueError(f"`x_prev` must have the shape of `x0` {x.shape}, got {xp.shape}")
    out = np.empty((t_max + 1, *x.shape))
    out[0] = x
    nesterov = m.name == "nesterov"
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(t_max):
            if nesterov:
                y = x + b * (x - xp)
                x_new = y - a * np.asarray(grad(y), dtype=np.float64)
            else:
                x_new = x - a * np.asarray(grad(x), dtype=np.float64) + b * (x - xp)
            out[t + 1] = x_new
            if not np.all(np.abs(x_new) <= bound):  # also catches NaN
                return out[: t + 2]
            x, xp = x_new, x
    return out


def iterate_torch(
    x0: float, alpha: float, beta: float, steps: int, *, x_prev: float | None = None, dtype: str = "float64"
) -> Arr:
    r"""Heavy ball on the Lessard-Recht-Packard function run by ``torch.optim.SGD`` itself.

    ``SGD(lr=alpha, momentum=beta)`` (no dampening) with the gradient from autograd of
    :func:`lrp_value_torch`. Its buffer form :math:`b_t = \beta b_{t-1} + g_t`,
    :math:`x_{t+1} = x_t - \alpha b_t` is heavy ball with :math:`x_{-1} = x_0`; for another
    ``x_prev`` the buffer is seeded with :math:`(x_{-1} - x_0)/\alpha` before the first step.

    Returns
    -------
    numpy.ndarray
        Iterates :math:`x_0, \dots, x_T`, shape ``(T + 1,)`` (fewer if it diverged).

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> iterate_torch(3.3, 1 / 9, 4 / 9, 300)[-3:]
    array([-1.80244898,  2.11591837,  0.64653061])
    """
    from hbtheory.empirical._torch import resolve_dtype, torch_session

    x_start = as_scalar(x0, "x0")
    a = as_scalar(alpha, "alpha", low=0.0, low_open=True)
    b = as_scalar(beta, "beta", low=0.0, high=1.0)
    t_max = int(as_int(steps, "steps", low=1))
    xp = x_start if x_prev is None else as_scalar(x_prev, "x_prev")
    with torch_session("cpu") as torch:
        dt = resolve_dtype(dtype)
        p = torch.tensor([x_start], dtype=dt, requires_grad=True)
        opt = torch.optim.SGD([p], lr=a, momentum=b)
        if xp != x_start:
            # torch's buffer is b_1 = g_0 only when it starts empty; a given x_{-1} enters as
            # b_0 = (x_{-1} - x_0) / alpha, so that x_1 = x_0 - alpha (beta b_0 + g_0).
            opt.state[p]["momentum_buffer"] = torch.full_like(p.detach(), (xp - x_start) / a)
        out = [x_start]
        for _ in range(t_max):
            opt.zero_grad()
            lrp_value_torch(p).sum().backward()
            opt.step()
            value = float(p.detach()[0])
            out.append(value)
            if not abs(value) <= DIVERGE_AT:
                break
    return np.asarray(out, dtype=np.float64)


# ---------------------------------------------------------------------------------------- cycles


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
        Bound on :math:`|x|` beyond which the run is diverging.

    Returns
    -------
    Cycle

    Raises
    ------
    TypeError, ValueError
        For arguments outside their ranges (the message names the parameter), or fewer than
        3 iterates.

    Examples
    --------
    >>> c = find_cycle(iterate(3.3, 1 / 9, 4 / 9, 400))
    >>> c.status, c.period, c.points
    ('cycling', 3, array([-1.80244898,  2.11591837,  0.64653061]))
    >>> find_cycle(iterate(3.0, 1 / 9, 4 / 9, 400)).status
    'converged'
    >>> find_cycle(iterate(3.0, 0.2, 0.9, 400)).status
    'diverging'
    """
    arr = np.array(iterates, dtype=np.float64) if not isinstance(iterates, (str, bytes)) else None
    if arr is None or arr.dtype.kind != "f":
        raise TypeError("`iterates` must be an array of real numbers")
    if arr.ndim not in (1, 2):
        raise ValueError(f"`iterates` must have shape (T,) or (T, d), got {arr.shape}")
    p_max = int(as_int(max_period, "max_period", low=1))
    rel = as_scalar(tol, "tol", low=0.0, low_open=True)
    bound = as_scalar(diverge_at, "diverge_at", low=0.0, low_open=True)
    x = arr.reshape(arr.shape[0], -1)
    n = x.shape[0]
    if n < 3:
        raise ValueError(f"`iterates` must hold at least 3 iterates, got {n}")
    w = max(4 * p_max, 32) if tail is None else int(as_int(tail, "tail", low=3))
    w = min(w, n)
    size = np.max(np.abs(x), axis=1)  # inf/NaN for non-finite rows
    empty = frozen_array(np.empty((0, *arr.shape[1:])))
    bad = ~(size <= bound)
    last = float(size[-1]) if np.isfinite(size[-1]) else math.inf
    if bad.any():
        onset = int(np.argmax(bad))
        return Cycle("diverging", 0, empty, onset, math.inf, bound, n, last)
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


# ---------------------------------------------------------------------------------- run outcomes


@dataclass(frozen=True, eq=False)
class MethodOutcome(Result):
    """One method run from one start on a (non-quadratic) function, and what it did.

    Attributes
    ----------
    method, alpha, beta, x0, steps : as passed
    backend : str
        ``"numpy"`` or ``"torch.optim.SGD"``.
    cycle : Cycle
        The classification with its evidence (:func:`find_cycle`).
    distance : float
        :math:`\\|x_T - x^*\\|_\\infty` with :math:`x^* = 0` (the minimiser of the LRP function).
    """

    method: str
    alpha: float
    beta: float
    x0: float
    steps: int
    backend: str
    cycle: Cycle
    distance: float

    @property
    def status(self) -> str:
        """The cycle's status (``"converged"``, ``"cycling"``, ``"diverging"``, ``"undetermined"``)."""
        return self.cycle.status


def run_outcome(
    method: str,
    alpha: float,
    beta: float,
    x0: float,
    *,
    steps: int = 2000,
    gradient: Gradient | None = None,
    minimiser: float = 0.0,
    backend: str = "numpy",
    max_period: int = 64,
    tol: float = 1e-9,
) -> MethodOutcome:
    """Run ``method`` from ``x0`` and report converged / cycling / diverging, never raising on the run.

    Parameters
    ----------
    method : str
        ``"heavy_ball"``, ``"nesterov"`` or ``"gradient_descent"``.
    alpha, beta : float
        Parameters (``beta = 0`` for gradient descent).
    x0 : float
        Start, with :math:`x_{-1} = x_0`.
    steps : int, optional
        Number of steps (default 2000).
    gradient : callable, optional
        Default :func:`lrp_gradient` (numpy backend only).
    minimiser : float, optional
        :math:`x^*` for the reported distance (default 0, the LRP minimiser).
    backend : str, optional
        ``"numpy"`` or ``"torch"`` (``torch.optim.SGD``, heavy ball on the LRP function only).
    max_period, tol : optional
        Passed to :func:`find_cycle`.

    Returns
    -------
    MethodOutcome

    Examples
    --------
    >>> run_outcome("heavy_ball", 1 / 9, 4 / 9, 3.3).status
    'cycling'
    >>> o = run_outcome("heavy_ball", 0.2, 0.9, 3.3)
    >>> o.status, o.cycle.last > 1e12
    ('diverging', True)
    """
    m = get_method(method)
    x_start = as_scalar(x0, "x0")
    t_max = int(as_int(steps, "steps", low=1))
    if backend == "numpy":
        xs = iterate(x_start, alpha, beta, t_max, method=m.name, gradient=gradient)
        name = "numpy"
    elif backend == "torch":
        if m.name != "heavy_ball" or gradient is not None:
            raise ValueError("`backend` 'torch' runs heavy ball on the LRP function only")
        xs = iterate_torch(x_start, alpha, beta, t_max)
        name = "torch.optim.SGD"
    else:
        raise ValueError(f"`backend` must be 'numpy' or 'torch', got {backend!r}")
    cycle = find_cycle(xs, max_period=max_period, tol=tol)
    x_star = as_scalar(minimiser, "minimiser")
    with np.errstate(over="ignore", invalid="ignore"):
        dist = float(np.max(np.abs(np.atleast_1d(xs[-1]) - x_star)))
    if not math.isfinite(dist):
        dist = math.inf
    return MethodOutcome(m.name, float(alpha), float(beta), x_start, t_max, name, cycle, dist)


# -------------------------------------------------------------------------------------- summary


@dataclass(frozen=True, eq=False)
class CounterexampleSummary(Result):
    """The Lessard-Recht-Packard counterexample in numbers (see :func:`counterexample_summary`).

    Attributes
    ----------
    mu, L, kappa : float
        1, 25, 25.
    x0, steps : float, int
        The representative start (:math:`x_{-1} = x_0`) and the run length.
    period : int
        The period heavy ball settles into from ``x0`` (3).
    cycle_points : numpy.ndarray
        The cycle found, visiting order, starting at the smallest point.
    exact_points : numpy.ndarray
        :data:`LRP_CYCLE` as floats.
    cycle_error : float
        :math:`\\max |{\\rm found} - {\\rm exact}|`.
    return_map_radius : float
        Spectral radius of the linearisation of the ``period``-step map at the cycle (< 1:
        the cycle attracts; it is :math:`(2/3)^3 = 8/27` here).
    outcomes : tuple of MethodOutcome
        Heavy ball, Nesterov and gradient descent, each at :func:`lrp_tunings`, from ``x0``
        (plus heavy ball through ``torch.optim.SGD`` when asked for).
    starts : numpy.ndarray
        The grid of starting points tried.
    start_status : dict
        For each method, the status from each start (a tuple aligned with ``starts``).
    counts : dict
        For each method, how many starts ended in each status.
    """

    mu: float
    L: float
    kappa: float
    x0: float
    steps: int
    period: int
    cycle_points: Arr
    exact_points: Arr
    cycle_error: float
    return_map_radius: float
    outcomes: tuple[MethodOutcome, ...]
    starts: Arr
    start_status: dict[str, tuple[str, ...]]
    counts: dict[str, dict[str, int]]

    def outcome(self, method: str) -> MethodOutcome:
        """The outcome of ``method`` (``"heavy_ball"``, ``"nesterov"``, ``"gradient_descent"``)
        from ``x0`` with the numpy backend."""
        for o in self.outcomes:
            if o.method == method and o.backend == "numpy":
                return o
        raise KeyError(method)

    def text(self) -> str:
        """A few lines for the command line."""
        pts = ", ".join(f"{v:.10f}" for v in np.asarray(self.cycle_points).ravel())
        lines = [
            f"Lessard-Recht-Packard function (mu = {self.mu:g}, L = {self.L:g}), start x_-1 = x_0 = {self.x0:g}:",
            f"  heavy ball at Polyak's tuning: period {self.period} cycle {{{pts}}}",
            f"  |found - exact| = {self.cycle_error:.2e}, return-map radius {self.return_map_radius:.6f}",
        ]
        for o in self.outcomes:
            lines.append(
                f"  {o.method:<17} {o.backend:<16} alpha = {o.alpha:.6g}, beta = {o.beta:.6g}: {o.status}"
                f" (period {o.cycle.period}, |x_T - x*| = {o.distance:.3g})"
            )
        for name, c in self.counts.items():
            summary = ", ".join(f"{k} {v}" for k, v in c.items() if v)
            lines.append(f"  {len(self.starts)} starts in [{self.starts[0]:g}, {self.starts[-1]:g}], {name}: {summary}")
        return "\n".join(lines)


def _return_map_radius(alpha: float, beta: float, points: Arr) -> float:
    # The p-step map is affine on each piece; its linear part is the product of the 2x2
    # heavy-ball matrices at the local curvatures (25 or 1) of the points visited.
    prod = np.eye(2)
    for x in np.asarray(points, dtype=np.float64).ravel():
        h = 1.0 if 1.0 <= x < 2.0 else 25.0
        prod = np.array([[1 + beta - alpha * h, -beta], [1.0, 0.0]]) @ prod
    return float(np.max(np.abs(np.linalg.eigvals(prod))))


def counterexample_summary(
    x0: float = 3.3,
    *,
    steps: int = 2000,
    starts: Sequence[float] | NDArray[np.float64] | None = None,
    torch: bool = False,
) -> CounterexampleSummary:
    r"""Heavy ball cycles, Nesterov and gradient descent converge: the LRP counterexample, as data.

    Runs each method at its :func:`lrp_tunings` (quadratic-optimal for :math:`\kappa = 25`) on
    the Lessard-Recht-Packard function from ``x0`` and from every point of ``starts``, and
    classifies each run with :func:`find_cycle` (tolerance ``1e-9``).

    Parameters
    ----------
    x0 : float, optional
        Representative start (default 3.3, the paper's), with :math:`x_{-1} = x_0`.
    steps : int, optional
        Steps per run (default 2000).
    starts : sequence of float, optional
        Grid of starts; default 201 points evenly spaced in :math:`[-10, 10]`.
    torch : bool, optional
        Also run heavy ball through ``torch.optim.SGD`` from ``x0`` (needs PyTorch).

    Returns
    -------
    CounterexampleSummary
        With ``as_dict()``/``to_json()`` for ``--json`` and ``text()`` for the terminal.

    Examples
    --------
    >>> s = counterexample_summary()
    >>> s.period, s.cycle_points
    (3, array([-1.80244898,  2.11591837,  0.64653061]))
    >>> [(o.method, o.status) for o in s.outcomes]
    [('heavy_ball', 'cycling'), ('nesterov', 'converged'), ('gradient_descent', 'converged')]
    >>> s.counts["heavy_ball"]["cycling"] > 0, s.counts["nesterov"]["converged"] == len(s.starts)
    (True, True)
    """
    x_start = as_scalar(x0, "x0")
    t_max = int(as_int(steps, "steps", low=10))
    grid = np.linspace(-10.0, 10.0, 201) if starts is None else as_real(starts, "starts")
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(f"`starts` must be a non-empty 1-d sequence, got shape {grid.shape}")
    if not isinstance(torch, bool):
        raise TypeError("`torch` must be a bool")
    tunings = lrp_tunings()
    outcomes = [run_outcome(name, a, b, x_start, steps=t_max) for name, (a, b) in tunings.items()]
    if torch:
        a, b = tunings["heavy_ball"]
        outcomes.append(run_outcome("heavy_ball", a, b, x_start, steps=t_max, backend="torch"))
    hb = outcomes[0]
    exact = np.array([float(q) for q in LRP_CYCLE])
    pts = np.asarray(hb.cycle.points, dtype=np.float64)
    if hb.cycle.period == len(exact):
        err = float(np.max(np.abs(pts - exact)))
        radius = _return_map_radius(hb.alpha, hb.beta, pts)
    else:
        err, radius = math.inf, math.nan
    start_status: dict[str, tuple[str, ...]] = {}
    counts: dict[str, dict[str, int]] = {}
    for name, (a, b) in tunings.items():
        # The LRP gradient acts coordinatewise, so one vector run is every start at once; a run
        # stopped early by a diverging start is redone start by start.
        xs = iterate(grid, a, b, t_max, method=name)
        if xs.shape[0] == t_max + 1:
            statuses = tuple(find_cycle(xs[:, i]).status for i in range(grid.size))
        else:
            statuses = tuple(run_outcome(name, a, b, float(v), steps=t_max).status for v in grid)
        start_status[name] = statuses
        counts[name] = {k: statuses.count(k) for k in _STATUSES}
    return CounterexampleSummary(
        mu=LRP_MU,
        L=LRP_L,
        kappa=LRP_L / LRP_MU,
        x0=x_start,
        steps=t_max,
        period=hb.cycle.period,
        cycle_points=frozen_array(pts),
        exact_points=frozen_array(exact),
        cycle_error=err,
        return_map_radius=radius,
        outcomes=tuple(outcomes),
        starts=frozen_array(grid),
        start_status=start_status,
        counts=counts,
    )


@dataclass(frozen=True, eq=False)
class CycleFigureData(Result):
    """What a figure of the cycle needs (see :func:`cycle_figure_data`).

    Attributes
    ----------
    x, f, grad : numpy.ndarray
        A grid on ``x_range`` with :math:`f` and :math:`f'` on it (breakpoints 1 and 2 marked by
        ``breakpoints``).
    breakpoints : numpy.ndarray
        ``[1, 2]``.
    iterates : dict
        For each method, its iterates :math:`x_0, \\dots, x_T` from ``x0``.
    values : dict
        :math:`f` at those iterates.
    cycle_points, cycle_values : numpy.ndarray
        The exact period-3 cycle and :math:`f` there.
    tunings : dict
        ``(alpha, beta)`` of each method.
    """

    x0: float
    steps: int
    x: Arr
    f: Arr
    grad: Arr
    breakpoints: Arr
    iterates: dict[str, Arr]
    values: dict[str, Arr]
    cycle_points: Arr
    cycle_values: Arr
    tunings: dict[str, tuple[float, float]]


def cycle_figure_data(
    x0: float = 3.3, *, steps: int = 40, x_range: tuple[float, float] = (-2.5, 3.5), points: int = 601
) -> CycleFigureData:
    """Data for a figure of the LRP function with the heavy-ball cycle and the other methods' runs.

    Examples
    --------
    >>> d = cycle_figure_data()
    >>> d.iterates["heavy_ball"].shape, d.cycle_points
    ((41,), array([-1.80244898,  2.11591837,  0.64653061]))
    >>> bool(abs(d.iterates["nesterov"][-1]) < 1e-3)
    True
    """
    x_start = as_scalar(x0, "x0")
    t_max = int(as_int(steps, "steps", low=1))
    n = int(as_int(points, "points", low=2))
    if len(x_range) != 2:
        raise ValueError("`x_range` must be a pair (low, high)")
    lo, hi = as_scalar(x_range[0], "x_range"), as_scalar(x_range[1], "x_range")
    if not lo < hi:
        raise ValueError(f"`x_range` must have low < high, got {x_range!r}")
    grid = np.linspace(lo, hi, n)
    tunings = lrp_tunings()
    its = {name: frozen_array(iterate(x_start, a, b, t_max, method=name)) for name, (a, b) in tunings.items()}
    cyc = np.array([float(q) for q in LRP_CYCLE])
    return CycleFigureData(
        x0=x_start,
        steps=t_max,
        x=frozen_array(grid),
        f=frozen_array(_lrp_value(grid)),
        grad=frozen_array(_lrp_gradient(grid)),
        breakpoints=frozen_array([1.0, 2.0]),
        iterates=its,
        values={k: frozen_array(_lrp_value(v)) for k, v in its.items()},
        cycle_points=frozen_array(cyc),
        cycle_values=frozen_array(_lrp_value(cyc)),
        tunings=tunings,
    )


# ---------------------------------------------------------------------------------- report row


@dataclass(frozen=True, eq=False)
class Verification(Result):
    """One report row: ``passed`` iff ``measured <= tolerance`` (the fields of ``hbtheory.report.Check``)."""

    claim: str
    how: str
    measured: float
    tolerance: float
    passed: bool


def counterexample_check(*, steps: int = 2000) -> Verification:
    """Report row: heavy ball at Polyak's tuning cycles (period 3, exact points) on the LRP function.

    ``measured`` is the distance of the detected cycle to :data:`LRP_CYCLE` (``inf`` if heavy ball
    does not cycle with period 3 from 3.3, or if Nesterov or gradient descent fail to converge).

    Examples
    --------
    >>> c = counterexample_check()
    >>> c.passed, c.measured < 1e-12
    (True, True)
    """
    s = counterexample_summary(steps=steps, starts=[-3.3, 3.0, 3.3])
    ok = (
        s.period == 3
        and s.outcome("nesterov").status == "converged"
        and s.outcome("gradient_descent").status == "converged"
    )
    return Verification(
        claim="heavy ball at Polyak's tuning (kappa = 25) has a period-3 cycle on the LRP function; "
        "Nesterov and gradient descent converge",
        how="run from x_-1 = x_0 = 3.3, find_cycle on the last iterates; max |cycle - exact rationals|",
        measured=s.cycle_error if ok else math.inf,
        tolerance=1e-9,
        passed=bool(ok and s.cycle_error <= 1e-9),
    )
