r"""``torch.optim.SGD`` itself on a quadratic with a given Hessian spectrum, against the theory.

The problem is :math:`f(x) = \tfrac12 x^\top H x` with :math:`H = Q\,\mathrm{diag}(h)\,Q^\top`
(:math:`Q = I`, or a seeded random orthogonal matrix with ``dense=True``), minimum
:math:`x^* = 0`. PyTorch's optimizer runs it with the gradient from autograd; nothing of the
update is re-implemented here. In the eigenbasis each coordinate :math:`e_i = (Q^\top x)_i` obeys
the two-term recurrence of the method named by :func:`hbtheory.from_torch`, so

* the *measured* rate of direction :math:`i` is the spectral radius of the recurrence fitted to
  :math:`e_i` (:func:`hbtheory.empirical.fit_recurrence`, which explains why this fit, and not a
  slope of :math:`\log\|x_t\|`, is right for oscillating and critically damped errors);
* the *predicted* rate is :func:`hbtheory.spectral_radius` at the canonical ``(alpha, beta)``;
* Theorem 1 is checked at every step on every direction:
  :math:`\|s_t\|_2 \le C_\varepsilon (\rho + \varepsilon)^{t-1} \|s_1\|_2` with the state
  :math:`s_t = (e_t, e_{t-1})` and :math:`C_\varepsilon` from :func:`hbtheory.theorem1_constant`.
  The bound starts at :math:`t = 1` because PyTorch's first step is special (an undamped buffer;
  Nesterov's look-ahead), while the recurrence, and hence :math:`s_{t+1} = A s_t`, holds from there on.

Status
------
One meaning, shared with :func:`hbtheory.empirical.sweep` (:data:`STATUSES`): ``"overflow"`` when
an iterate left the float range (the finite prefix is measured); otherwise ``"converging"`` when the
measured rate is below 1 by more than the fit's rounding (:data:`RATE_TOL`) and
``"not_converging"`` otherwise (a rate of exactly 1 does not diverge, but it does not converge
either; its fit gives 1 to within a few ulps, on either side). ``diverged`` is shorthand for
``status != "converging"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory import spectral
from hbtheory._result import Result, frozen_array
from hbtheory.empirical._checks import as_bool, as_eigenvalues, as_seed, as_steps
from hbtheory.empirical._progress import Progress
from hbtheory.empirical._torch import resolve_device, resolve_dtype, torch_session
from hbtheory.empirical.fit import envelope_rate, fit_recurrence
from hbtheory.methods import from_torch

__all__ = ["STATUSES", "QuadraticRun", "random_orthogonal", "run_status", "verify_quadratic"]

Arr = NDArray[np.float64]
EPS = float(np.finfo(np.float64).eps)

#: In a dense run a direction's projection carries rounding of the whole state; equations are
#: used while the direction is above this fraction of the largest direction.
DENSE_REL_FLOOR = 1e-3
#: Below this absolute size a float64 iterate is near the subnormal range: not fitted.
TINY = 1e-280
#: The outcomes of a run (see the module notes), in :attr:`QuadraticRun.status` and
#: :attr:`hbtheory.empirical.SweepResult.status`.
STATUSES = ("converging", "not_converging", "overflow")
#: A measured rate counts as below 1 when it is below ``1 - RATE_TOL``: the recurrence fit of a
#: sequence with rate exactly 1 (``x -> -x``) returns ``1 - 3e-16``.
RATE_TOL = 64.0 * EPS


def run_status(rate: Any, overflow: Any) -> Any:
    """The status of runs from their measured rate and overflow flag (one meaning everywhere).

    ``"overflow"`` where ``overflow``; else ``"converging"`` where ``rate < 1 - RATE_TOL`` and
    ``"not_converging"`` elsewhere (a rate of 1 within rounding, above 1, or not measurable:
    nothing shows convergence).

    Examples
    --------
    >>> run_status([0.5, 1.0 - 3e-16, 3.35, 0.5], [False, False, False, True]).tolist()
    ['converging', 'not_converging', 'not_converging', 'overflow']
    """
    r = np.asarray(rate, dtype=np.float64)
    over = np.asarray(overflow, dtype=bool)
    return np.where(over, STATUSES[2], np.where(r < 1.0 - RATE_TOL, STATUSES[0], STATUSES[1]))


@dataclass(frozen=True, eq=False)
class QuadraticRun(Result):
    r"""One run of ``torch.optim.SGD`` on :math:`\tfrac12 x^\top H x`, measured against theory.

    Attributes
    ----------
    eigenvalues : numpy.ndarray
        The spectrum of :math:`H` (echo).
    lr, momentum, dampening, nesterov, steps, dense, seed, device, dtype :
        The arguments (echo); ``device`` and ``dtype`` as strings.
    method, alpha, beta : str, float, float
        The canonical method and parameters that PyTorch's settings are (:func:`hbtheory.from_torch`).
    measured_rate : float
        Largest fitted rate over the eigen-directions (on the finite prefix after an overflow); NaN
        only when fewer than 3 steps stayed finite (status ``"overflow"``).
    predicted_rate : float
        Largest :func:`hbtheory.spectral_radius` over the eigenvalues.
    relative_error : float
        ``|measured - predicted| / predicted``.
    direction_rates, direction_predicted : numpy.ndarray
        Per eigen-direction, measured (NaN when a direction left too few usable steps) and predicted.
    envelope_rate : float
        For contrast: the log-linear slope of :math:`\|x_t\|` over the second half of the run.
    theorem1_eps : float
        The :math:`\varepsilon` of the Theorem-1 check.
    theorem1_constants : numpy.ndarray
        :math:`C_\varepsilon` per direction (``inf`` at a double root with ``eps = 0``).
    theorem1_held : bool
        Whether :math:`\|s_t\| \le C_\varepsilon(\rho+\varepsilon)^{t-1}\|s_1\|` held on every
        accepted sample (allowing the rounding of the run); vacuously ``True`` when
        ``theorem1_samples == 0``.
    theorem1_max_ratio : float
        Largest :math:`\|s_t\| / B_t` over the accepted samples, with the allowed bound
        :math:`B_t = C_\varepsilon(\rho+\varepsilon)^{t-1}\|s_1\| (1 + 16\epsilon C_\varepsilon t)`
        plus, in a dense run, the projection's rounding: ``theorem1_held`` iff it is ``<= 1``
        (``0`` without accepted samples).
    theorem1_samples : int
        The (step, direction) pairs the check accepted: a finite :math:`C_\varepsilon`, a nonzero
        :math:`s_1`, and :math:`\|s_t\|` above the rounding noise (``TINY``; in a dense run
        ``16 eps sqrt(n)`` times the whole state, where a projection is rounding only).
    status : str
        ``"converging"``, ``"not_converging"`` or ``"overflow"`` (see the module notes).
    error_history : numpy.ndarray
        :math:`\|x_t - x^*\|_2` for ``t = 0 .. steps``.
    projections : numpy.ndarray
        Shape ``(steps + 1, n)``: the error in the eigenbasis, :math:`Q^\top x_t`.
    """

    eigenvalues: Arr
    lr: float
    momentum: float
    dampening: float
    nesterov: bool
    steps: int
    dense: bool
    seed: int
    device: str
    dtype: str
    method: str
    alpha: float
    beta: float
    measured_rate: float
    predicted_rate: float
    relative_error: float
    direction_rates: Arr
    direction_predicted: Arr
    envelope_rate: float
    theorem1_eps: float
    theorem1_constants: Arr
    theorem1_held: bool
    theorem1_max_ratio: float
    theorem1_samples: int
    status: str
    error_history: Arr
    projections: Arr

    @property
    def diverged(self) -> bool:
        """``status != "converging"``: the run did not show convergence (see the module notes)."""
        return self.status != STATUSES[0]


def random_orthogonal(n: int, *, seed: int = 0) -> Arr:
    """A seeded random orthogonal ``n x n`` matrix (QR of a Gaussian matrix, signs fixed).

    The signs of ``R``'s diagonal are moved into ``Q`` so that the draw is uniform (Haar) and the
    same on every platform.

    Examples
    --------
    >>> q = random_orthogonal(3, seed=1)
    >>> bool(np.allclose(q @ q.T, np.eye(3)))
    True
    """
    count = as_steps(n, "n", low=1)
    rng = np.random.default_rng(as_seed(seed))
    q, r = np.linalg.qr(rng.standard_normal((count, count)))
    return np.asarray(q * np.sign(np.diag(r)), dtype=np.float64)


def verify_quadratic(
    eigenvalues: Any,
    *,
    lr: float,
    momentum: float,
    dampening: float = 0.0,
    nesterov: bool = False,
    steps: int = 200,
    dense: bool = False,
    device: Any = "cpu",
    seed: int = 0,
    dtype: Any = "float64",
    eps: float = 0.0,
    progress: bool | None = None,
) -> QuadraticRun:
    r"""Run ``torch.optim.SGD(lr, momentum, dampening, nesterov)`` on a quadratic and measure its rate.

    Parameters
    ----------
    eigenvalues : array_like
        The Hessian spectrum ``h``, a non-empty 1-D array of finite reals (see
        :func:`uniform_spectrum`, :func:`log_uniform_spectrum`).
    lr, momentum, dampening, nesterov :
        ``torch.optim.SGD``'s arguments, validated as in :func:`hbtheory.from_torch`.
    steps : int, optional
        Optimizer steps, ``>= 3``.
    dense : bool, optional
        Rotate the Hessian by a seeded random orthogonal matrix (otherwise it is diagonal).
    device : str or torch.device, optional
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a ``torch.device``.
    seed : int, optional
        Seeds the starting point (standard normal in the eigenbasis) and the rotation.
    dtype : str or torch.dtype, optional
        ``"float64"`` (default) or ``"float32"``.
    eps : float, optional
        The :math:`\varepsilon \ge 0` of the Theorem-1 check. With ``eps = 0`` the constant is
        infinite at a double root (the bound then holds vacuously; pass ``eps > 0`` there).
    progress : bool or None, optional
        tqdm bar: ``None`` shows it on a terminal for runs longer than two seconds.

    Returns
    -------
    QuadraticRun

    Raises
    ------
    ImportError
        Without PyTorch.
    ValueError, TypeError
        For an argument outside its range (the message names it).

    Notes
    -----
    In float64 on the CPU the measured and predicted rates agree to about ``1e-9`` relative
    away from 0, 1 and the critical-damping curves, and to about ``1e-7`` on the curves, where
    the rate is a square root of the fitted discriminant (tested to ``1e-6``).

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> run = verify_quadratic([1.0, 4.0, 10.0], lr=0.1, momentum=0.5, steps=100)
    >>> (run.method, run.alpha, run.beta)
    ('heavy_ball', 0.1, 0.5)
    >>> abs(run.measured_rate - run.predicted_rate) < 1e-9 * run.predicted_rate
    True
    >>> run.theorem1_held
    True
    """
    h = as_eigenvalues(eigenvalues)
    canon = from_torch(lr, momentum, dampening, nesterov)
    n_steps = as_steps(steps, low=3)
    dense = as_bool(dense, "dense")
    seed = as_seed(seed)
    eps_f = float(np.asarray(eps, dtype=np.float64)) if np.ndim(eps) == 0 else np.nan
    if not (np.isfinite(eps_f) and eps_f >= 0.0):
        raise ValueError(f"`eps` must be a single finite number >= 0, got {eps!r}")
    dev = resolve_device(device)
    tdtype = resolve_dtype(dtype)

    n = h.size
    rng = np.random.default_rng(seed)
    e0 = rng.standard_normal(n)
    q = random_orthogonal(n, seed=seed + 1) if dense else None

    with torch_session(dev) as torch:
        hh = torch.tensor(h, dtype=tdtype, device=dev)
        if q is not None:
            qt = torch.tensor(q, dtype=tdtype, device=dev)
            hess = (qt * hh) @ qt.T
            x0 = qt @ torch.tensor(e0, dtype=tdtype, device=dev)
        else:
            x0 = torch.tensor(e0, dtype=tdtype, device=dev)
        x = x0.clone().requires_grad_(True)
        opt = torch.optim.SGD(
            [x], lr=float(lr), momentum=float(momentum), dampening=float(dampening), nesterov=bool(nesterov)
        )
        hist = torch.empty((n_steps + 1, n), dtype=tdtype, device=dev)
        hist[0] = x.detach()
        with Progress(n_steps, "verify_quadratic", progress) as bar:
            for t in range(n_steps):
                opt.zero_grad(set_to_none=True)
                loss = 0.5 * torch.dot(x, hess @ x) if q is not None else 0.5 * (hh * x * x).sum()
                loss.backward()
                opt.step()
                hist[t + 1] = x.detach()
                bar.update()
        traj = hist.to(device="cpu", dtype=torch.float64).numpy()

    proj = traj @ q if q is not None else traj.copy()
    finite_rows = np.isfinite(proj).all(axis=1)
    overflowed = not bool(finite_rows.all())
    stop = int(np.argmin(finite_rows)) if overflowed else proj.shape[0]
    used = proj[:stop]

    predicted = np.atleast_1d(np.asarray(spectral.spectral_radius(canon.alpha, canon.beta, h, canon.method)))
    if used.shape[0] >= 3:
        scale = np.maximum(np.abs(used[1:-1]), np.abs(used[:-2]))
        floor = np.full_like(scale, TINY)
        if q is not None:
            floor = np.maximum(floor, DENSE_REL_FLOOR * scale.max(axis=1, keepdims=True))
        fit = fit_recurrence(used, floor=floor)
        rates = np.asarray(fit.rate, dtype=np.float64)
    else:
        rates = np.full(n, np.nan)
    measured = float(np.nanmax(rates)) if np.isfinite(rates).any() else float("nan")
    pred = float(predicted.max())

    norms = _row_norms(traj)
    env = float(envelope_rate(norms[: max(stop, 2)], start=max(stop, 2) // 2)) if stop >= 4 else float("nan")

    consts = np.atleast_1d(
        np.asarray(spectral.theorem1_constant(canon.alpha, canon.beta, h, eps=eps_f, method=canon.method))
    )
    held, max_ratio, samples = _theorem1_check(used, predicted + eps_f, consts, dense=q is not None)

    return QuadraticRun(
        eigenvalues=frozen_array(h),
        lr=float(lr),
        momentum=float(momentum),
        dampening=float(dampening),
        nesterov=bool(nesterov),
        steps=n_steps,
        dense=dense,
        seed=seed,
        device=str(dev),
        dtype=str(tdtype).replace("torch.", ""),
        method=canon.method,
        alpha=canon.alpha,
        beta=canon.beta,
        measured_rate=measured,
        predicted_rate=pred,
        relative_error=abs(measured - pred) / pred if pred > 0 else abs(measured - pred),
        direction_rates=frozen_array(rates),
        direction_predicted=frozen_array(predicted),
        envelope_rate=env,
        theorem1_eps=eps_f,
        theorem1_constants=frozen_array(consts),
        theorem1_held=held,
        theorem1_max_ratio=max_ratio,
        theorem1_samples=samples,
        status=str(run_status(measured, overflowed)),
        error_history=frozen_array(norms),
        projections=frozen_array(proj),
    )


def _row_norms(values: Arr) -> Arr:
    """Euclidean norm of each row without spurious overflow (inf only where the true norm is)."""
    scale = np.max(np.abs(values), axis=1)
    ok = np.isfinite(scale) & (scale > 0)
    safe = np.where(ok, scale, 1.0)[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        inner = np.sqrt(np.sum(np.where(ok[:, None], values / safe, 0.0) ** 2, axis=1))
        norms = np.where(ok, scale * inner, scale)
    return np.asarray(norms, dtype=np.float64)


def _theorem1_check(e: Arr, base: Arr, consts: Arr, *, dense: bool) -> tuple[bool, float, int]:
    r"""Check :math:`\|s_t\| \le C (\rho+\varepsilon)^{t-1} \|s_1\|` for ``t >= 1`` on every column.

    Returns ``(held, max_ratio, samples)``. The rounding of the run is allowed for: relative
    ``16 eps C t`` (errors committed along the way, each amplified by at most ``C``) plus, for a
    dense run, ``16 eps sqrt(n)`` times the whole state (the projection). A sample counts only
    where :math:`\|s_t\|` is above that absolute rounding (``TINY`` in a diagonal run): below it
    the direction is rounding noise, and the verdict and the ratio skip the same samples. The
    ratio is :math:`\|s_t\|` over the whole allowed bound, so ``held`` iff ``max_ratio <= 1``;
    everything is computed in logarithms (no overflow on long or divergent runs).
    """
    if e.shape[0] < 2:
        return True, 0.0, 0
    s = np.hypot(e[1:], e[:-1])  # s[k] = ||(e_{k+1}, e_k)||, k = t - 1
    s1 = s[0]
    k = np.arange(s.shape[0], dtype=np.float64)[:, None]
    finite_c = np.isfinite(consts)
    safe_c = np.where(finite_c, consts, 1.0)
    if dense:
        noise = 16.0 * EPS * np.sqrt(e.shape[1]) * _row_norms(np.hypot(e[1:], e[:-1]))[:, None]
    else:
        noise = np.full((s.shape[0], 1), TINY)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        slack = 1.0 + 16.0 * EPS * safe_c * (k + 1)
        log_s1 = np.log(np.where(s1 > 0, s1, 1.0))
        power = np.where(k == 0, 0.0, k * np.log(base))  # 0 * log(0) is 0 here
        log_bound = np.log(safe_c) + power + log_s1 + np.log(slack)
        log_allowed = np.logaddexp(log_bound, np.log(noise)) if dense else log_bound
        accepted = finite_c & (s1 > 0) & (s > noise)
        log_ratio = np.log(np.where(accepted, s, 1.0)) - log_allowed
        ratio = np.where(accepted, np.exp(log_ratio), 0.0)
    samples = int(accepted.sum())
    max_ratio = float(ratio.max()) if samples else 0.0
    return bool(np.all(ratio <= 1.0)), max_ratio, samples
