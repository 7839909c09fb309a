r"""Runs of any method of the family on any gradient, and what they did, as data.

:func:`iterate` runs :meth:`hbtheory.methods.Method.step` (the one definition of every method's
update: the gradient at :meth:`~hbtheory.methods.Method.lookahead`, then the step) on a gradient
given as a Python function, by default the Lessard-Recht-Packard function's
(:func:`hbtheory.lrp.lrp_gradient`); :func:`iterate_torch` runs ``torch.optim.SGD`` itself for
the methods it implements; :func:`run_outcome` classifies a run with
:func:`hbtheory.cycles.find_cycle` and never raises on a diverging run. Nothing here asks a
method for its name: everything method-specific comes from the :class:`~hbtheory.methods.Method`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._result import Result
from hbtheory._validation import as_int, as_real, as_scalar
from hbtheory.cycles import DIVERGE_AT, Cycle, find_cycle
from hbtheory.lrp import _lrp_gradient, _torch, lrp_value_torch
from hbtheory.methods import Canonical, Method, get_method

__all__ = [
    "BACKENDS",
    "MethodOutcome",
    "divergence_bound",
    "iterate",
    "iterate_torch",
    "run_outcome",
    "torch_arguments",
]

Arr = NDArray[np.float64]
Gradient = Callable[[Arr], Arr]

#: The backends of :func:`run_outcome` and the name each reports.
BACKENDS = {"numpy": "numpy", "torch": "torch.optim.SGD"}


def _start(x0: Any, name: str) -> Arr:
    arr = as_real(x0, name)
    if arr.ndim > 1:
        raise ValueError(f"`{name}` must be a number or a 1-d point, got shape {arr.shape}")
    out: Arr = arr.copy()
    return out


def divergence_bound(x0: Any, x_prev: Any = None, diverge_at: float | None = None) -> float:
    r"""The bound on :math:`\|x_t\|_\infty` past which a run from ``x0`` counts as diverging.

    ``diverge_at`` when given; otherwise :data:`~hbtheory.cycles.DIVERGE_AT` (``1e12``) times
    :math:`\max(1, \|x_0\|_\infty, \|x_{-1}\|_\infty)`, so that a far start is not called
    diverging merely for being far (capped at the largest float64).

    Examples
    --------
    >>> divergence_bound(0.5), divergence_bound(-1e15), divergence_bound([1.0, 2e3], diverge_at=10.0)
    (1000000000000.0, 1e+27, 10.0)
    """
    if diverge_at is not None:
        return as_scalar(diverge_at, "diverge_at", low=0.0, low_open=True)
    size = max(1.0, float(np.max(np.abs(as_real(x0, "x0")), initial=0.0)))
    if x_prev is not None:
        size = max(size, float(np.max(np.abs(as_real(x_prev, "x_prev")), initial=0.0)))
    return min(DIVERGE_AT * size, float(np.finfo(np.float64).max))


def _stepping_method(method: Method | str) -> Method:
    m = get_method(method)
    if m.gamma is None:
        raise ValueError(f"`method` {m.name!r} is given by its polynomial only: it has no step rule to run")
    return m


def _parameters(m: Method, alpha: Any, beta: Any) -> tuple[float, float]:
    a = as_scalar(alpha, "alpha", low=0.0, low_open=True)
    b = as_scalar(beta, "beta", low=0.0, high=1.0)
    if not m.uses_beta and b != 0.0:
        raise ValueError(f"`beta` must be 0 for method '{m.name}', got {b!r}")
    return a, b


#: Most floats a run returns (1 GiB): ``(steps + 1) * size`` beyond it is refused up front, with a
#: named error instead of a MemoryError (``steps = 2**53``) or hours of stepping.
_MAX_RUN_FLOATS = 2**27


def _check_run_size(t_max: int, size: int) -> None:
    if (t_max + 1) * max(size, 1) > _MAX_RUN_FLOATS:
        raise ValueError(
            f"`steps` must be at most {_MAX_RUN_FLOATS // max(size, 1) - 1} for a start of size {size} "
            f"((steps + 1) * size <= 2**27 floats returned), got {t_max}"
        )


def iterate(
    x0: Any,
    alpha: float,
    beta: float,
    steps: int,
    *,
    method: Method | str = "heavy_ball",
    gradient: Gradient | None = None,
    x_prev: Any = None,
    diverge_at: float | None = None,
) -> Arr:
    r"""Run a method on a gradient and return its iterates :math:`x_0, \dots, x_T`.

    Each step is :meth:`Method.step <hbtheory.methods.Method.step>`:
    :math:`y_t = x_t + \gamma (x_t - x_{t-1})`,
    :math:`x_{t+1} = x_t + \beta (x_t - x_{t-1}) - \alpha \nabla f(y_t)` (heavy ball
    :math:`\gamma = 0`, Nesterov :math:`\gamma = \beta`, gradient descent :math:`\beta = \gamma = 0`,
    Triple Momentum and :func:`~hbtheory.methods.general` their own :math:`\gamma`). The run stops
    early, without overflow, as soon as :math:`\|x_t\|_\infty` exceeds :func:`divergence_bound`;
    :func:`~hbtheory.cycles.find_cycle` then reports it as diverging. The iterates are the states
    :math:`x_t`; a method's output :math:`z_t` (Triple Momentum's differs) is
    :meth:`Method.output <hbtheory.methods.Method.output>` of consecutive iterates.

    Parameters
    ----------
    x0 : float or array_like (1-d)
        Starting point.
    alpha : float
        Step size, ``> 0``.
    beta : float
        Momentum, in ``[0, 1]`` (0 for gradient descent).
    steps : int
        Number of steps ``T >= 1``, with ``(T + 1) * x0.size <= 2**27`` (the returned floats).
    method : str or Method, optional, keyword-only
        Any method of the family with a step rule (default ``"heavy_ball"``).
    gradient : callable, optional, keyword-only
        ``gradient(y) -> array`` of the shape of ``y``; default :func:`hbtheory.lrp.lrp_gradient`.
    x_prev : float or array_like, optional, keyword-only
        :math:`x_{-1}`; default ``x0`` (the convention of ``torch.optim.SGD``).
    diverge_at : float, optional, keyword-only
        Bound on :math:`\|x_t\|_\infty` past which the run stops; default ``1e12`` times the
        size of the start (:func:`divergence_bound`).

    Returns
    -------
    numpy.ndarray
        Shape ``(T + 1,)`` for a scalar start, ``(T + 1, d)`` for a 1-d one; fewer rows if
        stopped early.

    Raises
    ------
    TypeError, ValueError
        For a parameter outside its range (the message names it), or a method without a step rule.

    Examples
    --------
    >>> x = iterate(3.3, 1 / 9, 4 / 9, 300)
    >>> x[-3:]
    array([-1.80244898,  2.11591837,  0.64653061])
    >>> iterate(1.0, 0.5, 0.5, 2, method="nesterov", gradient=lambda y: y)   # f(x) = x^2 / 2
    array([1.  , 0.5 , 0.125])
    """
    m = _stepping_method(method)
    a, b = _parameters(m, alpha, beta)
    t_max = int(as_int(steps, "steps", low=1))
    grad = _lrp_gradient if gradient is None else gradient
    if not callable(grad):
        raise TypeError(f"`gradient` must be callable, got {type(grad).__name__}")
    x = _start(x0, "x0")
    xp = x.copy() if x_prev is None else _start(x_prev, "x_prev")
    if xp.shape != x.shape:
        raise ValueError(f"`x_prev` must have the shape of `x0` {x.shape}, got {xp.shape}")
    _check_run_size(t_max, x.size)
    bound = divergence_bound(x, xp, diverge_at)

    def g(y: Arr) -> Arr:
        return np.asarray(grad(y), dtype=np.float64)

    out = np.empty((t_max + 1, *x.shape))
    out[0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(t_max):
            x, xp = m.step(g, x, xp, a, b)
            out[t + 1] = x
            if not np.all(np.abs(x) <= bound):  # also catches NaN
                return out[: t + 2]
    return out


def torch_arguments(method: Method | str, alpha: float, beta: float) -> dict[str, Any]:
    """The keyword arguments of ``torch.optim.SGD`` that run ``method`` at ``(alpha, beta)``.

    From :meth:`hbtheory.methods.Canonical.to_torch`; a ``ValueError`` names a method that
    ``torch.optim.SGD`` does not implement.

    Examples
    --------
    >>> torch_arguments("nesterov", 0.1, 0.5)
    {'lr': 0.1, 'momentum': 0.5, 'dampening': 0.0, 'nesterov': True}
    """
    m = _stepping_method(method)
    a, b = _parameters(m, alpha, beta)
    return Canonical(m.name, a, b, True, "").to_torch()


def iterate_torch(
    x0: float,
    alpha: float,
    beta: float,
    steps: int,
    *,
    method: Method | str = "heavy_ball",
    x_prev: float | None = None,
    dtype: str = "float64",
) -> Arr:
    r"""A method on the Lessard-Recht-Packard function run by ``torch.optim.SGD`` itself.

    ``SGD(**torch_arguments(method, alpha, beta))`` with the gradient from autograd of
    :func:`hbtheory.lrp.lrp_value_torch`. Its buffer form :math:`b_t = \beta b_{t-1} + g_t`,
    :math:`p \mathrel{-}= \alpha b_t` is heavy ball with :math:`x_{-1} = x_0`; with
    ``nesterov=True`` torch's parameter is Nesterov's look-ahead point :math:`y_t`. So the points
    returned are the look-ahead points :math:`y_t` of the method (:math:`x_t` when
    :math:`\gamma = 0`), :math:`y_0 = x_0`. For heavy ball another ``x_prev`` is seeded into the
    buffer as :math:`(x_{-1} - x_0)/\alpha` before the first step. torch is imported by this
    call, not by the module.

    Parameters
    ----------
    x0, alpha, beta : float
    steps : int
    method : str or Method, optional, keyword-only
        A method ``torch.optim.SGD`` implements (heavy ball, Nesterov, gradient descent).
    x_prev : float, optional, keyword-only
        :math:`x_{-1}` (default ``x0``); another value only where torch's parameter is :math:`x_t`.
    dtype : str, optional, keyword-only
        ``"float64"`` (default) or ``"float32"``.

    Returns
    -------
    numpy.ndarray
        Points :math:`y_0, \dots, y_T`, shape ``(T + 1,)`` (fewer if it diverged).

    Raises
    ------
    ImportError
        Without PyTorch.
    TypeError, ValueError
        For a parameter outside its range or a method torch does not implement.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> iterate_torch(3.3, 1 / 9, 4 / 9, 300)[-3:]
    array([-1.80244898,  2.11591837,  0.64653061])
    """
    m = _stepping_method(method)
    x_start = as_scalar(x0, "x0")
    kwargs = torch_arguments(m, alpha, beta)
    a = kwargs["lr"]
    t_max = int(as_int(steps, "steps", low=1))
    _check_run_size(t_max, 1)
    xp = x_start if x_prev is None else as_scalar(x_prev, "x_prev")
    if xp != x_start and kwargs["nesterov"]:
        raise ValueError("`x_prev` must equal `x0` when torch's parameter is the look-ahead point (nesterov=True)")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"`dtype` must be 'float64' or 'float32', got {dtype!r}")
    bound = divergence_bound(x_start, xp)
    torch = _torch()
    dt = getattr(torch, dtype)
    p = torch.tensor([x_start], dtype=dt, requires_grad=True)
    opt = torch.optim.SGD([p], **kwargs)
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
        if not abs(value) <= bound:
            break
    return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class MethodOutcome(Result):
    """One method run from one start on a (non-quadratic) function, and what it did.

    Attributes
    ----------
    method, alpha, beta, x0, steps : as passed
    backend : str
        ``"numpy"`` or ``"torch.optim.SGD"``.
    cycle : Cycle
        The classification with its evidence (:func:`~hbtheory.cycles.find_cycle`).
    distance : float
        :math:`\\|z_T - x^*\\|_\\infty`: the distance of the method's output
        (:meth:`~hbtheory.methods.Method.output`; the look-ahead point for the torch backend) to
        the minimiser.
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
    method: Method | str,
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
    method : str or Method
        Any method of the family with a step rule.
    alpha, beta : float
        Parameters (``beta = 0`` for gradient descent).
    x0 : float
        Start, with :math:`x_{-1} = x_0`.
    steps : int, optional
        Number of steps (default 2000).
    gradient : callable, optional
        Default :func:`hbtheory.lrp.lrp_gradient` (numpy backend only).
    minimiser : float, optional
        :math:`x^*` for the reported distance (default 0, the LRP minimiser).
    backend : str, optional
        ``"numpy"`` or ``"torch"`` (``torch.optim.SGD`` on the LRP function, for the methods it
        implements: :func:`torch_arguments`).
    max_period, tol : optional
        Passed to :func:`~hbtheory.cycles.find_cycle`.

    Returns
    -------
    MethodOutcome

    Raises
    ------
    TypeError, ValueError
        For a parameter outside its range (the message names it).

    Examples
    --------
    >>> run_outcome("heavy_ball", 1 / 9, 4 / 9, 3.3).status
    'cycling'
    >>> o = run_outcome("heavy_ball", 0.2, 0.9, 3.3)
    >>> o.status, o.cycle.last > 1e12
    ('diverging', True)
    """
    m = _stepping_method(method)
    a, b = _parameters(m, alpha, beta)
    x_start = as_scalar(x0, "x0")
    t_max = int(as_int(steps, "steps", low=1))
    x_star = as_scalar(minimiser, "minimiser")
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"`backend` must be 'numpy' or 'torch', got {backend!r}")
    if backend == "torch":
        if gradient is not None:
            raise ValueError("`backend` 'torch' runs on the LRP function only (`gradient` must be None)")
        xs = iterate_torch(x_start, a, b, t_max, method=m)
        z = xs[-1]
    else:
        xs = iterate(x_start, a, b, t_max, method=m, gradient=gradient)
        with np.errstate(over="ignore", invalid="ignore"):
            z = m.output(xs[-1], xs[-2], b) if xs.shape[0] > 1 else xs[-1]
    cycle = find_cycle(xs, max_period=max_period, tol=tol, diverge_at=divergence_bound(x_start))
    with np.errstate(over="ignore", invalid="ignore"):
        dist = float(np.max(np.abs(np.atleast_1d(z) - x_star)))
    if not math.isfinite(dist):
        dist = math.inf
    return MethodOutcome(m.name, a, b, x_start, t_max, BACKENDS[backend], cycle, dist)
