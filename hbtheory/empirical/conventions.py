r"""What ``torch.optim.SGD`` really runs, measured against the other ways momentum is written.

Three experiments, each on a diagonal quadratic :math:`f(x) = \tfrac12 \sum_i h_i x_i^2`:

* :func:`chapter_vs_torch` - PyTorch's buffer form (``b = m b + g``, ``p -= lr b``) side by side
  with the source chapter's hand-written step (``v = gamma v + lr g``, ``p -= v``). At a constant
  learning rate both are heavy ball with ``alpha = lr``, ``beta = momentum``
  (:func:`hbtheory.from_torch`, :func:`hbtheory.from_chapter`) and differ only by rounding. Under a
  schedule they are different methods: PyTorch multiplies the *whole* accumulated buffer by the
  current rate, the chapter keeps each old gradient at the rate it was taken with.
* :func:`dampening_first_step` - with ``dampening = d`` PyTorch's first buffer is the undamped
  gradient, so the first step is ``1/(1 - d)`` times the canonical heavy-ball step with
  ``alpha = lr (1 - d)``; from the second step on the recurrence (hence every rate) is the same.
* :func:`nesterov_vs_matrix` - ``nesterov=True`` iterates against the Nesterov iteration matrix of
  :func:`hbtheory.iteration_matrix`: PyTorch's parameter is the look-ahead point
  :math:`y_t = x_t + \beta (x_t - x_{t-1})` of the canonical method.
* :func:`qhm_vs_canonical` - quasi-hyperbolic momentum written in torch against the canonical
  method of :func:`hbtheory.methods.from_qhm` run by :meth:`hbtheory.methods.Method.step`:
  identical iterates (to rounding) where the map says ``exact``, and otherwise the same recurrence
  from the second step on, hence the same rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory import spectral
from hbtheory._result import Result, frozen_array
from hbtheory._validation import as_scalar
from hbtheory.empirical._checks import as_eigenvalues, as_seed, as_steps
from hbtheory.empirical._torch import resolve_device, torch_session
from hbtheory.empirical.fit import fit_recurrence
from hbtheory.methods import from_chapter, from_qhm, from_torch

__all__ = [
    "ConventionRun",
    "DampeningRun",
    "NesterovRun",
    "QHMRun",
    "chapter_vs_torch",
    "dampening_first_step",
    "nesterov_vs_matrix",
    "qhm_vs_canonical",
    "step_schedule",
]

Arr = NDArray[np.float64]
EPS = float(np.finfo(np.float64).eps)


def step_schedule(at: int, factor: float) -> Callable[[int], float]:
    """A learning-rate multiplier that is 1 before step ``at`` and ``factor`` from then on.

    For ``torch.optim.lr_scheduler.LambdaLR`` and :func:`chapter_vs_torch` (``StepLR`` with one drop).

    Examples
    --------
    >>> s = step_schedule(3, 0.1)
    >>> [s(t) for t in range(5)]
    [1.0, 1.0, 1.0, 0.1, 0.1]
    """
    at_i = as_steps(at, "at", low=0)
    fac = as_scalar(factor, "factor", low=0.0, low_open=True)

    def multiplier(t: int) -> float:
        return 1.0 if t < at_i else fac

    return multiplier


@dataclass(frozen=True, eq=False)
class ConventionRun(Result):
    r"""``torch.optim.SGD`` against the chapter's hand-written momentum step.

    Attributes
    ----------
    eigenvalues, lr, momentum, steps, seed :
        The arguments (echo).
    learning_rates : numpy.ndarray
        The learning rate used at each step (constant without a schedule).
    torch_trajectory, chapter_trajectory : numpy.ndarray
        Shape ``(steps + 1, n)``.
    max_difference : float
        :math:`\max_t \|p^{torch}_t - p^{chapter}_t\|_2 / \|p_0\|_2`.
    max_difference_ulps : float
        The same difference measured in units of rounding, :math:`\max_t \|\Delta_t\|_\infty /
        (\epsilon \max_s \|p_s\|_\infty)`: a few tens when the two are one method rounded two ways.
    final_distance_torch, final_distance_chapter : float
        :math:`\|p_T - x^*\|_2 / \|p_0 - x^*\|_2` of each.
    """

    eigenvalues: Arr
    lr: float
    momentum: float
    steps: int
    seed: int
    learning_rates: Arr
    torch_trajectory: Arr
    chapter_trajectory: Arr
    max_difference: float
    max_difference_ulps: float
    final_distance_torch: float
    final_distance_chapter: float


def chapter_vs_torch(
    *,
    lr: float,
    momentum: float,
    steps: int = 100,
    eigenvalues: Any = (1.0, 10.0),
    schedule: Callable[[int], float] | None = None,
    seed: int = 0,
    device: Any = "cpu",
) -> ConventionRun:
    r"""Run ``torch.optim.SGD`` and the chapter's step ``v = gamma v + lr g; p -= v`` side by side.

    Parameters
    ----------
    lr : float
        Base learning rate, ``> 0``.
    momentum : float
        ``momentum`` of PyTorch and ``gamma`` of the chapter, in ``[0, 1)``.
    steps : int, optional
        ``>= 1``.
    eigenvalues : array_like, optional
        Diagonal of the Hessian.
    schedule : callable, optional
        ``t -> multiplier`` of the learning rate at step ``t`` (as ``LambdaLR``'s ``lr_lambda``;
        see :func:`step_schedule`). PyTorch's run uses ``torch.optim.lr_scheduler.LambdaLR``.
    seed : int, optional
        Seeds the starting point.
    device : str or torch.device, optional

    Returns
    -------
    ConventionRun

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> same = chapter_vs_torch(lr=0.05, momentum=0.9, steps=60)
    >>> same.max_difference < 1e-13
    True
    >>> drop = chapter_vs_torch(lr=0.05, momentum=0.9, steps=60, schedule=step_schedule(20, 0.1))
    >>> drop.max_difference > 1e-3
    True
    """
    can_t = from_torch(lr, momentum)
    from_chapter(lr, momentum)  # same validation, same canonical method (documented equivalence)
    n_steps = as_steps(steps, low=1)
    h = as_eigenvalues(eigenvalues)
    seed = as_seed(seed)
    if schedule is not None and not callable(schedule):
        raise TypeError("`schedule` must be a callable t -> learning-rate multiplier, or None")
    dev = resolve_device(device)
    x0 = np.random.default_rng(seed).standard_normal(h.size)

    with torch_session(dev) as torch:
        hh = torch.tensor(h, dtype=torch.float64, device=dev)

        def loss(p: Any) -> Any:
            return 0.5 * (hh * p * p).sum()

        p_t = torch.tensor(x0, dtype=torch.float64, device=dev).requires_grad_(True)
        opt = torch.optim.SGD([p_t], lr=can_t.alpha, momentum=can_t.beta)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=schedule) if schedule is not None else None
        p_c = torch.tensor(x0, dtype=torch.float64, device=dev).requires_grad_(True)
        v = torch.zeros_like(p_c)
        traj_t = [p_t.detach().clone()]
        traj_c = [p_c.detach().clone()]
        lrs = []
        for _ in range(n_steps):
            lr_now = float(opt.param_groups[0]["lr"])
            lrs.append(lr_now)
            opt.zero_grad(set_to_none=True)
            loss(p_t).backward()
            opt.step()
            if sched is not None:
                sched.step()
            # the chapter's step, as written there (velocity with the learning rate inside)
            p_c.grad = None
            loss(p_c).backward()
            with torch.no_grad():
                v = momentum * v + lr_now * p_c.grad
                p_c -= v
            traj_t.append(p_t.detach().clone())
            traj_c.append(p_c.detach().clone())
        tt = torch.stack(traj_t).cpu().numpy()
        tc = torch.stack(traj_c).cpu().numpy()

    diff = tt - tc
    start = float(np.linalg.norm(x0))
    scale = float(np.abs(tt).max())
    return ConventionRun(
        eigenvalues=frozen_array(h),
        lr=float(lr),
        momentum=float(momentum),
        steps=n_steps,
        seed=seed,
        learning_rates=frozen_array(lrs),
        torch_trajectory=frozen_array(tt),
        chapter_trajectory=frozen_array(tc),
        max_difference=float(np.linalg.norm(diff, axis=1).max() / start),
        max_difference_ulps=float(np.abs(diff).max() / (EPS * scale)),
        final_distance_torch=float(np.linalg.norm(tt[-1]) / start),
        final_distance_chapter=float(np.linalg.norm(tc[-1]) / start),
    )


@dataclass(frozen=True, eq=False)
class DampeningRun(Result):
    r"""PyTorch's dampening against canonical heavy ball with ``alpha = lr (1 - dampening)``.

    Attributes
    ----------
    lr, momentum, dampening, h, steps :
        The arguments (echo).
    alpha, beta : float
        Canonical parameters (:func:`hbtheory.from_torch`).
    torch_trajectory : numpy.ndarray
        PyTorch's iterates from :math:`x_0 = 1`.
    canonical_trajectory : numpy.ndarray
        Canonical heavy ball from :math:`x_{-1} = x_0 = 1` (iteration matrix powers).
    first_step_ratio : float
        PyTorch's first step over the canonical first step; ``1 / (1 - dampening)``.
    expected_first_step_ratio : float
        ``1 / (1 - dampening)``.
    max_relative_difference_after_first : float
        Largest relative difference between PyTorch's iterates and the canonical recurrence
        restarted from PyTorch's own :math:`(x_1, x_0)`: rounding only.
    measured_rate, predicted_rate : float
        Recurrence fit of PyTorch's iterates and :func:`hbtheory.spectral_radius`.
    """

    lr: float
    momentum: float
    dampening: float
    h: float
    steps: int
    alpha: float
    beta: float
    torch_trajectory: Arr
    canonical_trajectory: Arr
    first_step_ratio: float
    expected_first_step_ratio: float
    max_relative_difference_after_first: float
    measured_rate: float
    predicted_rate: float


def _scalar_sgd(torch: Any, dev: Any, h: float, steps: int, **sgd: Any) -> Arr:
    """``torch.optim.SGD(**sgd)`` on :math:`\\tfrac h2 x^2` from ``x_0 = 1``: the iterates."""
    x = torch.ones(1, dtype=torch.float64, device=dev, requires_grad=True)
    hh = torch.tensor([h], dtype=torch.float64, device=dev)
    opt = torch.optim.SGD([x], **sgd)
    out = [1.0]
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        (0.5 * (hh * x * x).sum()).backward()
        opt.step()
        out.append(float(x.detach().cpu()[0]))
    return np.asarray(out)


def _propagate(a_mat: Arr, first: Arr, steps: int) -> Arr:
    """Iterates of ``(e_{t+1}, e_t) = A (e_t, e_{t-1})`` from ``first = (e_1, e_0)``; returns ``e_0..e_steps``."""
    out = [first[1], first[0]]
    state = np.array(first, dtype=np.float64)
    for _ in range(steps - 1):
        state = a_mat @ state
        out.append(state[0])
    return np.asarray(out[: steps + 1])


def _rel_max(a: Arr, b: Arr) -> float:
    scale = np.maximum(np.abs(a), np.abs(b))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, np.abs(a - b) / np.where(scale > 0, scale, 1.0), 0.0)
    return float(rel.max())


def dampening_first_step(
    *, lr: float, momentum: float, dampening: float, h: float = 1.0, steps: int = 60, device: Any = "cpu"
) -> DampeningRun:
    r"""Measure PyTorch's undamped first step and the canonical recurrence after it.

    Parameters
    ----------
    lr, momentum, dampening : float
        ``torch.optim.SGD``'s arguments (``momentum`` in ``(0, 1)``, ``dampening`` in ``[0, 1)``).
    h : float, optional
        Curvature of :math:`f = \tfrac h2 x^2`, ``> 0``.
    steps : int, optional
        ``>= 3``.
    device : str or torch.device, optional

    Returns
    -------
    DampeningRun

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> run = dampening_first_step(lr=0.1, momentum=0.9, dampening=0.5)
    >>> round(run.first_step_ratio, 12), run.expected_first_step_ratio
    (2.0, 2.0)
    >>> run.max_relative_difference_after_first < 1e-12
    True
    """
    canon = from_torch(lr, momentum, dampening)
    hv = as_scalar(h, "h", low=0.0, low_open=True)
    n_steps = as_steps(steps, low=3)
    dev = resolve_device(device)
    with torch_session(dev) as torch:
        xt = _scalar_sgd(torch, dev, hv, n_steps, lr=float(lr), momentum=float(momentum), dampening=float(dampening))
    a_mat = np.asarray(spectral.iteration_matrix(canon.alpha, canon.beta, hv), dtype=np.float64)
    canonical = _propagate(a_mat, a_mat @ np.array([1.0, 1.0]), n_steps)
    restarted = _propagate(a_mat, np.array([xt[1], xt[0]]), n_steps)
    ratio = (xt[0] - xt[1]) / (canonical[0] - canonical[1])
    fit = fit_recurrence(xt[1:])
    return DampeningRun(
        lr=float(lr),
        momentum=float(momentum),
        dampening=float(dampening),
        h=hv,
        steps=n_steps,
        alpha=canon.alpha,
        beta=canon.beta,
        torch_trajectory=frozen_array(xt),
        canonical_trajectory=frozen_array(canonical),
        first_step_ratio=float(ratio),
        expected_first_step_ratio=1.0 / (1.0 - float(dampening)),
        max_relative_difference_after_first=_rel_max(xt, restarted),
        measured_rate=float(fit.rate),
        predicted_rate=float(spectral.spectral_radius(canon.alpha, canon.beta, hv)),
    )


@dataclass(frozen=True, eq=False)
class NesterovRun(Result):
    r"""``torch.optim.SGD(nesterov=True)`` against the Nesterov iteration matrix.

    Attributes
    ----------
    lr, momentum, h, steps :
        The arguments (echo).
    torch_trajectory : numpy.ndarray
        PyTorch's parameter from :math:`y_0 = 1`.
    matrix_trajectory : numpy.ndarray
        :math:`y_t = x_t + \beta(x_t - x_{t-1})` with :math:`(x_t, x_{t-1}) = A^t (1, 1)` and
        ``A = iteration_matrix(lr, momentum, h, "nesterov")``.
    max_relative_difference : float
        Over every step including the first: rounding only.
    measured_rate, predicted_rate : float
        Recurrence fit of PyTorch's iterates and ``spectral_radius(..., method="nesterov")``.
    heavy_ball_rate : float
        What heavy ball with the same ``(alpha, beta)`` would give, for contrast.
    """

    lr: float
    momentum: float
    h: float
    steps: int
    torch_trajectory: Arr
    matrix_trajectory: Arr
    max_relative_difference: float
    measured_rate: float
    predicted_rate: float
    heavy_ball_rate: float


def nesterov_vs_matrix(
    *, lr: float, momentum: float, h: float = 1.0, steps: int = 60, device: Any = "cpu"
) -> NesterovRun:
    r"""Compare ``torch.optim.SGD(nesterov=True)`` with powers of the Nesterov iteration matrix.

    Parameters
    ----------
    lr : float
        ``> 0``.
    momentum : float
        In ``(0, 1)`` (PyTorch requires ``momentum > 0`` for Nesterov).
    h : float, optional
        Curvature, ``> 0``.
    steps : int, optional
        ``>= 3``.
    device : str or torch.device, optional

    Returns
    -------
    NesterovRun

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> run = nesterov_vs_matrix(lr=0.1, momentum=0.9, h=2.0)
    >>> run.max_relative_difference < 1e-12
    True
    >>> abs(run.measured_rate - run.predicted_rate) < 1e-9
    True
    """
    canon = from_torch(lr, momentum, nesterov=True)
    hv = as_scalar(h, "h", low=0.0, low_open=True)
    n_steps = as_steps(steps, low=3)
    dev = resolve_device(device)
    with torch_session(dev) as torch:
        yt = _scalar_sgd(torch, dev, hv, n_steps, lr=float(lr), momentum=float(momentum), nesterov=True)
    a_mat = np.asarray(spectral.iteration_matrix(canon.alpha, canon.beta, hv, canon.method), dtype=np.float64)
    x = _propagate(a_mat, a_mat @ np.array([1.0, 1.0]), n_steps + 1)  # x_0 .. x_{steps+1}
    x_prev = np.concatenate([[1.0], x[:-1]])  # x_{-1} = x_0
    y = x + canon.beta * (x - x_prev)  # the look-ahead point that torch stores
    y = y[: n_steps + 1]
    fit = fit_recurrence(yt)
    return NesterovRun(
        lr=float(lr),
        momentum=float(momentum),
        h=hv,
        steps=n_steps,
        torch_trajectory=frozen_array(yt),
        matrix_trajectory=frozen_array(y),
        max_relative_difference=_rel_max(yt, y),
        measured_rate=float(fit.rate),
        predicted_rate=float(spectral.spectral_radius(canon.alpha, canon.beta, hv, canon.method)),
        heavy_ball_rate=float(spectral.spectral_radius(canon.alpha, canon.beta, hv)),
    )


@dataclass(frozen=True, eq=False)
class QHMRun(Result):
    r"""Quasi-hyperbolic momentum (torch) against its canonical method (:func:`hbtheory.methods.from_qhm`).

    Attributes
    ----------
    lr, momentum, nu, steps, seed :
        The arguments (echo).
    eigenvalues : numpy.ndarray
        Diagonal of the Hessian (echo).
    method, alpha, beta, exact :
        The canonical method and parameters, and the map's exactness claim.
    qhm_trajectory : numpy.ndarray
        Shape ``(steps + 1, n)``: QHM's iterates :math:`\theta_t` from torch.
    canonical_trajectory : numpy.ndarray
        The canonical method by :meth:`~hbtheory.methods.Method.step` from
        :math:`x_{-1} = x_0 = \theta_0`.
    restarted_trajectory : numpy.ndarray
        The canonical method restarted from QHM's own :math:`(\theta_1, \theta_0)`.
    max_difference_ulps : float
        :math:`\max_t \|\theta_t - x_t\|_\infty / (\epsilon \max_s \|\theta_s\|_\infty)`: rounding (a few
        tens at most) when the two are one method, large otherwise.
    max_difference_after_first_ulps : float
        The same against the restarted run: rounding for every ``nu`` (the recurrences agree from
        the second step on).
    first_step_ratio, expected_first_step_ratio : float
        QHM's first step over the canonical one (per coordinate, the largest), and the map's
        ``(1 - nu momentum) / (1 - momentum)`` (``1`` where exact).
    measured_rates, predicted_rates : numpy.ndarray
        Per coordinate: the recurrence fit of QHM's iterates and
        :func:`hbtheory.spectral_radius` of the canonical method.
    """

    lr: float
    momentum: float
    nu: float
    steps: int
    seed: int
    eigenvalues: Arr
    method: str
    alpha: float
    beta: float
    exact: bool
    qhm_trajectory: Arr
    canonical_trajectory: Arr
    restarted_trajectory: Arr
    max_difference_ulps: float
    max_difference_after_first_ulps: float
    first_step_ratio: float
    expected_first_step_ratio: float
    measured_rates: Arr
    predicted_rates: Arr


def qhm_vs_canonical(
    *,
    lr: float,
    momentum: float,
    nu: float,
    steps: int = 100,
    eigenvalues: Any = (0.5, 2.0, 5.0),
    seed: int = 0,
    device: Any = "cpu",
) -> QHMRun:
    r"""Run quasi-hyperbolic momentum in torch beside its canonical method and compare the iterates.

    QHM (Ma and Yarats 2019), written here in torch as in the paper's PyTorch optimizer:
    :math:`g \leftarrow \beta g + (1 - \beta) \nabla f(\theta)`,
    :math:`\theta \leftarrow \theta - \mathrm{lr}\,((1 - \nu) \nabla f(\theta) + \nu g)`, :math:`g_0 = 0`,
    with the gradient from autograd on :math:`f(\theta) = \tfrac12 \sum_i h_i \theta_i^2`. The canonical
    side is :func:`hbtheory.methods.from_qhm`'s method, stepped by
    :meth:`~hbtheory.methods.Method.step` in float64 from :math:`x_{-1} = x_0 = \theta_0`.

    Parameters
    ----------
    lr : float
        ``> 0``.
    momentum : float
        In ``[0, 1)``.
    nu : float
        In ``[0, 1]``.
    steps : int, optional
        ``>= 3``.
    eigenvalues : array_like, optional
        Diagonal of the Hessian, ``> 0``.
    seed : int, optional
        Seeds the starting point.
    device : str or torch.device, optional

    Returns
    -------
    QHMRun

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> run = qhm_vs_canonical(lr=0.5, momentum=0.9, nu=1.0)      # the EMA form: heavy ball
    >>> run.method, run.exact, run.max_difference_ulps < 64
    ('heavy_ball', True, True)
    >>> run = qhm_vs_canonical(lr=0.5, momentum=0.9, nu=0.7)      # general(gamma), from step 2 on
    >>> run.exact, run.max_difference_ulps > 1e6, run.max_difference_after_first_ulps < 64
    (False, True, True)
    >>> bool(np.allclose(run.measured_rates, run.predicted_rates, rtol=1e-9, atol=0))
    True
    """
    canon = from_qhm(lr, momentum, nu)
    n_steps = as_steps(steps, low=3)
    h = as_eigenvalues(eigenvalues)
    if not np.all(h > 0.0):
        raise ValueError("`eigenvalues` must be > 0")
    seed = as_seed(seed)
    dev = resolve_device(device)
    x0 = np.random.default_rng(seed).standard_normal(h.size)
    beta_q, nu_f, lr_f = float(momentum), float(nu), float(lr)

    with torch_session(dev) as torch:
        hh = torch.tensor(h, dtype=torch.float64, device=dev)
        theta = torch.tensor(x0, dtype=torch.float64, device=dev).requires_grad_(True)
        buf = torch.zeros_like(theta)
        traj = [theta.detach().clone()]
        for _ in range(n_steps):
            theta.grad = None
            (0.5 * (hh * theta * theta).sum()).backward()
            with torch.no_grad():
                grad = theta.grad
                buf = beta_q * buf + (1.0 - beta_q) * grad
                theta -= lr_f * ((1.0 - nu_f) * grad + nu_f * buf)
            traj.append(theta.detach().clone())
        qhm = torch.stack(traj).cpu().numpy()

    m = canon.as_method()

    def grad_f(y: Arr) -> Arr:
        return np.asarray(h * y, dtype=np.float64)

    def run(first: Arr, before: Arr, count: int) -> Arr:
        out = [before, first]
        x, x_prev = first, before
        for _ in range(count):
            x, x_prev = m.step(grad_f, x, x_prev, canon.alpha, canon.beta)
            out.append(x)
        return np.asarray(out)

    canonical = run(x0, x0, n_steps)[1:]
    restarted = run(qhm[1], qhm[0], n_steps - 1)
    scale = EPS * float(np.abs(qhm).max())
    fit = fit_recurrence(qhm[1:], floor=1e-280)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = (qhm[1] - qhm[0]) / (canonical[1] - canonical[0])
    return QHMRun(
        lr=lr_f,
        momentum=beta_q,
        nu=nu_f,
        steps=n_steps,
        seed=seed,
        eigenvalues=frozen_array(h),
        method=canon.method,
        alpha=canon.alpha,
        beta=canon.beta,
        exact=canon.exact,
        qhm_trajectory=frozen_array(qhm),
        canonical_trajectory=frozen_array(canonical),
        restarted_trajectory=frozen_array(restarted),
        max_difference_ulps=float(np.abs(qhm - canonical).max() / scale),
        max_difference_after_first_ulps=float(np.abs(qhm - restarted).max() / scale),
        first_step_ratio=float(np.max(ratios)),
        expected_first_step_ratio=1.0 if canon.exact else (1.0 - nu_f * beta_q) / (1.0 - beta_q),
        measured_rates=frozen_array(np.atleast_1d(fit.rate)),
        predicted_rates=frozen_array(
            np.atleast_1d(np.asarray(spectral.spectral_radius(canon.alpha, canon.beta, h, m)))
        ),
    )
