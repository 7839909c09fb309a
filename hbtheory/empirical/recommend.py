r"""From a user's model to a tuning: estimate :math:`[\mu, L]`, recommend ``(lr, momentum)``, check it.

:func:`recommend` closes the gap between the theory, which answers "what is the best momentum on
:math:`[\mu, L]`?", and a person with a torch model, who does not know :math:`[\mu, L]`:

1. :func:`hbtheory.empirical.hessian_extremes` estimates :math:`L = \lambda_{\max}` and
   :math:`\lambda_{\min}` of the loss Hessian at the model's parameters (Lanczos on
   Hessian-vector products; the Hessian is never formed);
2. a documented rule turns :math:`\lambda_{\min}` into :math:`\mu > 0` (``mu=``):

   * ``"auto"`` (default): :math:`\mu = \lambda_{\min}` when :math:`\lambda_{\min} \ge L/\kappa_{\max}`,
     else the positive floor :math:`\mu = L/\kappa_{\max}` (a network's Hessian at a minimum is
     singular or slightly indefinite: its smallest eigenvalue is not a useful :math:`\mu`, and
     directions below the floor are left to converge slowly - ``rate_full_spectrum`` says how slowly);
   * ``"floor"``: always :math:`L/\kappa_{\max}`;
   * ``"quantile"``: the ``quantile`` of the spectral density
     (:func:`hbtheory.empirical.spectral_density`), not below the floor - tune for the bulk and
     accept that the smallest fraction ``quantile`` of the directions converges more slowly;
   * ``"smallest"``: :math:`\lambda_{\min}` itself (an error unless it is positive);
   * a number: the user's :math:`\mu`, in :math:`(0, L]`;

3. :func:`hbtheory.optimal_parameters` gives the quadratic-optimal :math:`(\alpha, \beta)` on
   :math:`[\mu, L]` for the method and :meth:`hbtheory.Tuning.to_torch` the ``torch.optim.SGD``
   arguments (heavy ball: ``lr = alpha``, ``momentum = beta``, ``dampening = 0``; Nesterov also
   ``nesterov=True``); a method that ``torch.optim.SGD`` cannot run (Triple Momentum, a general
   ``gamma``) keeps its :math:`(\alpha, \beta)` with ``lr = momentum = None`` and a note saying so;
4. the predicted local rate (the worst rate on :math:`[\mu, L]`) and the iteration count to
   contract the error by ``tol``.

**When the local quadratic model does not apply** the recommendation says so plainly
(``applies = False``, with the reasons): negative curvature (the parameters are not at a
minimum: along those directions every ``(lr, momentum)`` moves away, and the rates describe the
positive part only) and piecewise-linear units (ReLU and its relatives: the loss is not twice
differentiable where a unit's kink crosses a data point, the Hessian is that of the current
linear pieces, and SGD chatters across a kink with an amplitude proportional to the step; on the
chapter's ReLU network the measured local rates miss the prediction by tens of percent, see
:mod:`hbtheory.empirical.network`). The numbers are still returned.

:func:`verify_recommendation` checks the prediction on the model itself. From a start
:math:`\theta^* + \delta u` next to the model's parameters :math:`\theta^*` (``u`` a seeded unit
vector, :math:`\delta` relative to :math:`\max(1, \|\theta^*\|)`) it runs full-batch
``torch.optim.SGD`` with the recommended arguments, and also from :math:`\theta^*` itself; the
difference of the two runs is the linearised dynamics whatever the reference does (a small
residual gradient drives a drift in both, which cancels; Taylor's theorem leaves an
:math:`O(\delta^2)` error). The measured rate is :math:`\rho` of a least-squares fit
:math:`\log \|(e_t, e_{t-1})\| = c + t \log\rho + p \log t` over the steps after the first
quarter while the error is above ``1e-10`` of its start. With many directions at the same
modulus (at Polyak's tuning every direction in :math:`[\mu, L]` has rate :math:`\sqrt\beta`) the
norm decays like :math:`\rho^t` up to a slowly varying factor, and the two critically damped ends
add a factor :math:`a + b t`, which the :math:`\log t` term absorbs (a plain slope is biased by
about :math:`1/t`: 5.4% instead of 0.7% on a least-squares problem with rate 0.42). The same
measurement on a small grid around the recommendation (``alpha_factors`` times :math:`\alpha` by
momenta :math:`\beta + f (1 - \beta)`), run in one batch with ``torch.func.vmap`` where the model
allows it (the update is ``torch.optim.SGD``'s: ``b = momentum * b + g``, ``p -= lr * b``;
a loop of ``torch.optim.SGD`` otherwise), shows where the measured map is best.

References
----------
.. [1] B. T. Polyak, "Some methods of speeding up the convergence of iteration methods", 1964.
.. [2] B. Ghorbani, S. Krishnan, Y. Xiao, "An investigation into neural net optimization via
   Hessian eigenvalue density", ICML 2019 (the spectrum of trained networks: a bulk near zero
   and a few outliers, negative eigenvalues of small size).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._result import Result, frozen_array
from hbtheory._validation import as_scalar
from hbtheory._worst import worst_case_rate
from hbtheory.empirical._checks import as_seed, as_steps
from hbtheory.empirical._progress import Progress
from hbtheory.empirical.hessian import (
    HessianExtremes,
    SpectralDensity,
    _Objective,
    _start_vector,
    hessian_extremes,
    spectral_density,
)
from hbtheory.methods import from_torch, get_method
from hbtheory.tuning import optimal_parameters

__all__ = ["MU_RULES", "NONSMOOTH_MODULES", "Recommendation", "TuningCheck", "recommend", "verify_recommendation"]

Arr = NDArray[np.float64]

#: The rules for the smallest eigenvalue (see the module notes); a number is the user's ``mu``.
MU_RULES = ("auto", "floor", "quantile", "smallest")
#: Module classes (``torch.nn``) whose output is not twice differentiable everywhere.
NONSMOOTH_MODULES = (
    "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "Hardtanh", "Hardshrink", "Softshrink", "Hardsigmoid",
    "Hardswish", "Threshold", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d", "L1Loss", "SmoothL1Loss", "HuberLoss",
)
#: Negative curvature counts when lambda_min < -NEGATIVE_TOL * L (smaller values are the rounding
#: and Lanczos residuals of a singular Hessian).
NEGATIVE_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class Recommendation(Result):
    r"""The recommended ``torch.optim.SGD`` arguments for a model, and what they predict.

    Attributes
    ----------
    method : str
        The method the parameters are for.
    lr, momentum : float or None
        ``torch.optim.SGD``'s ``lr`` and ``momentum`` (``None`` when torch cannot run the method).
    torch_kwargs : dict or None
        All keyword arguments of ``torch.optim.SGD`` (``lr, momentum, dampening, nesterov``).
    alpha, beta : float
        The canonical parameters (:mod:`hbtheory.methods`).
    mu, L, kappa : float
        The spectrum interval the tuning is for, and ``L / mu``.
    mu_rule : str
        How ``mu`` was chosen (``"auto"``, ``"floor"``, ``"quantile"``, ``"smallest"``, ``"user"``).
    kappa_max, quantile : float
        The settings of the rule.
    lambda_min, lambda_max : float
        The estimated extreme eigenvalues of the Hessian.
    predicted_rate : float
        Worst asymptotic rate on :math:`[\mu, L]` (:attr:`hbtheory.Tuning.rate`).
    rate_full_spectrum : float
        Worst rate on :math:`[\lambda_{\min}, L]` when :math:`\lambda_{\min} > 0`, else ``1``
        (flat or negative directions do not contract).
    iterations : int or float
        Steps for the predicted rate to contract the error by ``tol`` (``inf`` if it does not).
    tol : float
    applies : bool
        Whether the local quadratic model applies (no negative curvature, a smooth model).
    reasons : tuple of str
        Why it does not apply (empty when it does).
    notes : tuple of str
        What the rule did, and anything else worth knowing (floor, torch, convergence).
    loss, gradient_norm : float
        At the model's parameters.
    extremes : HessianExtremes
    density : SpectralDensity or None
        Only for ``mu="quantile"``.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)     # H = diag(1, 4)
    >>> rec = recommend(torch.nn.Linear(2, 1, bias=False).double(), torch.nn.functional.mse_loss,
    ...                 (x, torch.zeros(2, 1, dtype=torch.float64)), method="gradient_descent")
    >>> rec.torch_kwargs, round(rec.predicted_rate, 12)                      # 2/(1 + 4), 3/5
    ({'lr': 0.4, 'momentum': 0.0, 'dampening': 0.0, 'nesterov': False}, 0.6)
    """

    method: str
    lr: float | None
    momentum: float | None
    torch_kwargs: dict[str, Any] | None
    alpha: float
    beta: float
    mu: float
    L: float
    kappa: float
    mu_rule: str
    kappa_max: float
    quantile: float
    lambda_min: float
    lambda_max: float
    predicted_rate: float
    rate_full_spectrum: float
    iterations: int | float
    tol: float
    applies: bool
    reasons: tuple[str, ...]
    notes: tuple[str, ...]
    loss: float
    gradient_norm: float
    extremes: HessianExtremes
    density: SpectralDensity | None = field(default=None)

    def __str__(self) -> str:
        head = (f"torch.optim.SGD(lr={self.lr:.6g}, momentum={self.momentum:.6g})" if self.lr is not None
                and self.momentum is not None else f"{self.method}: alpha={self.alpha:.6g}, beta={self.beta:.6g}")
        lines = [
            f"Recommendation ({self.method}): {head}",
            f"  spectrum: lambda_min={self.lambda_min:.6g}, lambda_max={self.lambda_max:.6g}; "
            f"tuned for [mu, L] = [{self.mu:.6g}, {self.L:.6g}] (kappa={self.kappa:.6g}, rule {self.mu_rule})",
            f"  predicted local rate {self.predicted_rate:.6g}: {self.iterations} steps to contract by "
            f"{self.tol:g}",
            "  the local quadratic model applies" if self.applies
            else "  the local quadratic model does NOT apply:",
        ]
        lines += [f"    - {r}" for r in self.reasons]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class TuningCheck(Result):
    r"""The recommendation run on the model itself: measured against predicted local rates.

    Attributes
    ----------
    lr, momentum : float
        The ``torch.optim.SGD`` arguments checked (``nesterov`` as recommended).
    nesterov : bool
    delta, steps, seed : echo of the settings.
    predicted_rate : float
        The rate the run should show: worst rate on :math:`[\lambda_{\min}, L]` when
        :math:`\lambda_{\min} > 0` (every direction is excited), else ``1``.
    measured_rate, relative_error : float
    errors : numpy.ndarray
        :math:`\|(e_t, e_{t-1})\|` of the recommended run, relative to its start.
    grid_lr, grid_momentum : numpy.ndarray
        The sweep around the recommendation, shape ``(len(alpha_factors), len(momentum_fractions))``.
    grid_predicted, grid_measured : numpy.ndarray
        Predicted (worst rate on :math:`[\lambda_{\min}, L]`) and measured rates on the grid.
    best_index : tuple of int
        Where the measured map is smallest.
    recommendation_index : tuple of int
        Where the recommendation sits in the grid.
    batched : bool
        Whether the sweep ran in one ``vmap`` batch (else a loop of ``torch.optim.SGD``).

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    >>> model, data = torch.nn.Linear(2, 1, bias=False).double(), (x, torch.zeros(2, 1, dtype=torch.float64))
    >>> rec = recommend(model, torch.nn.functional.mse_loss, data, method="gradient_descent")
    >>> chk = verify_recommendation(model, torch.nn.functional.mse_loss, data, rec, alpha_factors=[0.8, 1.0, 1.2],
    ...                             momentum_fractions=[0.0, 0.3])
    >>> round(chk.measured_rate, 6), chk.grid_measured.shape, chk.best_index   # momentum 0.3 beats plain GD
    (0.6, (3, 2), (1, 1))
    >>> bool(chk.grid_measured[:, 0].argmin() == 1)                           # lr = 2/(mu + L) is best for GD
    True
    """

    lr: float
    momentum: float
    nesterov: bool
    delta: float
    steps: int
    seed: int
    predicted_rate: float
    measured_rate: float
    relative_error: float
    errors: Arr
    grid_lr: Arr
    grid_momentum: Arr
    grid_predicted: Arr
    grid_measured: Arr
    best_index: tuple[int, int]
    recommendation_index: tuple[int, int]
    batched: bool

    @property
    def recommendation_is_best(self) -> bool:
        """The measured map is smallest at the recommendation."""
        return self.best_index == self.recommendation_index


def _nonsmooth(model: Any) -> list[str]:
    return sorted({type(m).__name__ for m in model.modules() if type(m).__name__ in NONSMOOTH_MODULES})


def recommend(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    data: Any,
    *,
    method: Any = "heavy_ball",
    mu: float | str = "auto",
    kappa_max: float = 1e4,
    quantile: float = 0.1,
    tol: float = 1e-6,
    lanczos_tol: float = 1e-8,
    max_iter: int = 300,
    seed: int = 0,
    device: Any = None,
    dtype: Any = None,
    progress: bool | None = None,
) -> Recommendation:
    r"""The quadratic-optimal ``torch.optim.SGD(lr, momentum)`` for a model at its current parameters.

    **Algorithm**: see the module notes: Lanczos estimate of :math:`[\lambda_{\min}, L]`, the
    ``mu`` rule, :func:`hbtheory.optimal_parameters` on :math:`[\mu, L]`,
    :meth:`hbtheory.Tuning.to_torch`.

    **Theoretical guarantee**: on a quadratic whose Hessian spectrum lies in :math:`[\mu, L]`,
    the error contracts asymptotically at ``predicted_rate`` per step (Polyak 1964 for heavy
    ball); near a strict minimum of a smooth loss, the same holds locally (the linearised
    dynamics), up to the accuracy of the estimates of :math:`\mu` and :math:`L`.

    Parameters
    ----------
    model, loss_fn, data :
        As in :func:`hbtheory.empirical.hessian_extremes`; the model should be at (or near) a
        minimum, e.g. trained first.
    method : str or Method, optional
        Any member of the family (default heavy ball).
    mu : str or float, optional
        The rule for the smallest eigenvalue: ``"auto"``, ``"floor"``, ``"quantile"``,
        ``"smallest"`` or a number in ``(0, L]`` (module notes).
    kappa_max : float, optional
        The positive floor is ``L / kappa_max``; ``> 1``.
    quantile : float, optional
        For ``mu="quantile"``, in ``(0, 1)``.
    tol : float, optional
        Contraction for the iteration count, in ``(0, 1)``.
    lanczos_tol, max_iter, seed, device, dtype, progress :
        Passed to :func:`hbtheory.empirical.hessian_extremes` (``lanczos_tol`` as its ``tol``).

    Returns
    -------
    Recommendation

    Raises
    ------
    ValueError, TypeError
        As :func:`hessian_extremes`, for a setting out of range, for ``mu="smallest"`` with a
        non-positive smallest eigenvalue, and when the Hessian has no positive eigenvalue.

    Examples
    --------
    >>> import torch
    >>> from hbtheory.empirical import recommend
    >>> model = torch.nn.Linear(2, 1, bias=False).double()
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 10.0]], dtype=torch.float64)   # H = diag(1, 100)
    >>> rec = recommend(model, torch.nn.functional.mse_loss, (x, torch.zeros(2, 1, dtype=torch.float64)))
    >>> round(rec.lr, 12), round(rec.momentum, 12), round(rec.predicted_rate, 12)   # 4/121, (9/11)^2
    (0.033057851240, 0.669421487603, 0.818181818182)
    >>> rec.applies, rec.iterations
    (True, 69)
    """
    m = get_method(method)
    kmax = as_scalar(kappa_max, "kappa_max", low=1.0, low_open=True)
    q = as_scalar(quantile, "quantile", low=0.0, high=1.0, low_open=True, high_open=True)
    tl = as_scalar(tol, "tol", low=0.0, high=1.0, low_open=True, high_open=True)
    if isinstance(mu, str):
        if mu not in MU_RULES:
            raise ValueError(f"`mu` must be one of {MU_RULES} or a number in (0, L], got {mu!r}")
        rule, mu_user = mu, None
    else:
        rule, mu_user = "user", as_scalar(mu, "mu", low=0.0, low_open=True)
    ext = hessian_extremes(model, loss_fn, data, k=1, tol=lanczos_tol, max_iter=max_iter, seed=seed,
                           device=device, dtype=dtype, progress=progress)
    lam_min, L = ext.lambda_min, ext.lambda_max
    if not L > 0.0:
        raise ValueError(f"the Hessian has no positive eigenvalue (lambda_max = {L!r}): the parameters are at a "
                         f"maximum or a flat point, and no step size contracts")
    floor = L / kmax
    notes: list[str] = []
    density = None
    if mu_user is not None:
        if mu_user > L:
            raise ValueError(f"`mu` must be in (0, L] = (0, {L!r}], got {mu_user!r}")
        mu_f = mu_user
    elif rule == "smallest":
        if not lam_min > 0.0:
            raise ValueError(f"`mu`='smallest' needs a positive smallest eigenvalue, got {lam_min!r}: use 'auto', "
                             f"'floor', 'quantile' or a number")
        mu_f = lam_min
    elif rule == "quantile":
        density = spectral_density(model, loss_fn, data, seed=seed, device=device, dtype=dtype, progress=progress)
        mu_f = max(density.quantile(q), floor)
        notes.append(f"mu is the {q:g} quantile of the spectral density (not below L/kappa_max = {floor:.6g}); "
                     f"about a fraction {q:g} of the directions converge more slowly than predicted")
    elif rule == "floor" or not lam_min >= floor:
        mu_f = floor
        if rule == "auto":
            notes.append(f"lambda_min = {lam_min:.6g} is below L/kappa_max = {floor:.6g}: mu is the positive floor "
                         f"L/kappa_max (directions of smaller curvature converge more slowly: rate_full_spectrum)")
    else:
        mu_f = lam_min
    tuning = optimal_parameters(mu=mu_f, L=L, method=m)
    try:
        kwargs: dict[str, Any] | None = tuning.to_torch()
    except ValueError as exc:
        kwargs = None
        notes.append(f"torch.optim.SGD cannot run {m.name}: {exc}; (alpha, beta) are for hbtheory's canonical "
                     f"form (Method.step runs it)")
    full = float(worst_case_rate(tuning.alpha, tuning.beta, lam_min, L, m)) if lam_min > 0.0 else 1.0
    reasons: list[str] = []
    if lam_min < -NEGATIVE_TOL * L:
        reasons.append(f"negative curvature: lambda_min = {lam_min:.6g} < 0, so the parameters are not at a minimum "
                       f"(a saddle or a slope); along those directions every (lr, momentum) moves away, and the rates "
                       f"describe the positive-curvature part only: train further first")
    kinks = _nonsmooth(model)
    if kinks:
        reasons.append(f"the model has non-smooth units ({', '.join(kinks)}): the loss is not twice differentiable "
                       f"where a kink crosses a data point; the Hessian is that of the current linear pieces, and SGD "
                       f"can chatter across a kink with an amplitude proportional to the step (measured rates of "
                       f"the chapter's ReLU network miss the prediction by tens of percent)")
    if not ext.converged:
        notes.append(f"Lanczos did not converge in {ext.iterations} steps: lambda_max within "
                     f"{ext.largest_residual[0]:.3g}, lambda_min within {ext.smallest_residual[0]:.3g}")
    scale = max(1.0, float(np.sqrt(mu_f * L)))
    if ext.gradient_norm > 1e-3 * scale * mu_f:
        notes.append(f"gradient norm {ext.gradient_norm:.3g}: the quadratic model's minimum is about "
                     f"{ext.gradient_norm / mu_f:.3g} away (gradient/mu); the rates are local to a minimum")
    return Recommendation(
        method=m.name,
        lr=None if kwargs is None else float(kwargs["lr"]),
        momentum=None if kwargs is None else float(kwargs["momentum"]),
        torch_kwargs=kwargs,
        alpha=tuning.alpha,
        beta=tuning.beta,
        mu=mu_f,
        L=L,
        kappa=L / mu_f,
        mu_rule=rule,
        kappa_max=kmax,
        quantile=q,
        lambda_min=lam_min,
        lambda_max=L,
        predicted_rate=tuning.rate,
        rate_full_spectrum=full,
        iterations=tuning.iterations(tl),
        tol=tl,
        applies=not reasons,
        reasons=tuple(reasons),
        notes=tuple(notes),
        loss=ext.loss,
        gradient_norm=ext.gradient_norm,
        extremes=ext,
        density=density,
    )


# --------------------------------------------------------------------------------------------
# Verification on the model itself
# --------------------------------------------------------------------------------------------

#: The fit of the measured rate stops when the error falls below this fraction of its start.
ERROR_FLOOR = 1e-10


def _measured_rate(errors: Arr) -> float:
    """The ``rho`` of a least-squares fit ``log e_t = c + t log(rho) + p log(t)`` after the first quarter,
    while ``e_t`` is above the floor (the ``log t`` term absorbs the ``(a + b t) rho^t`` of a
    critically damped direction, which would otherwise bias a plain slope by about ``1/t``)."""
    e = np.asarray(errors, dtype=np.float64)
    ok = np.isfinite(e) & (e > ERROR_FLOOR * e[0])
    last = int(np.argmin(ok)) if not ok.all() else e.size
    if last < 12:
        if last < 2:
            return float("nan")
        return float(np.exp(np.log(e[last - 1] / e[0]) / (last - 1)))
    t = np.arange(last // 4, last, dtype=np.float64)
    design = np.stack([np.ones_like(t), t, np.log(t + 1.0)], axis=1)
    coef = np.linalg.lstsq(design, np.log(e[last // 4 : last]), rcond=None)[0]
    return float(np.exp(coef[1]))


def _state_norms(traj: Arr) -> Arr:
    """``|(e_t, e_{t-1})|`` relative to the start, from a trajectory of differences ``(T+1, ..., n)``."""
    sq = np.sum(traj**2, axis=-1)
    st = np.sqrt(sq[1:] + sq[:-1])
    return np.asarray(st / st[0])


def verify_recommendation(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    data: Any,
    recommendation: Recommendation,
    *,
    delta: float = 1e-4,
    steps: int | None = None,
    alpha_factors: Any = (0.7, 0.85, 1.0, 1.15, 1.3),
    momentum_fractions: Any = (-0.3, -0.15, 0.0, 0.15, 0.3),
    seed: int = 0,
    device: Any = None,
    dtype: Any = None,
    progress: bool | None = None,
) -> TuningCheck:
    r"""Run ``torch.optim.SGD`` with a recommendation near the model's parameters and measure its rate.

    See the module notes for the measurement. The model should be at a minimum (trained); it is
    not changed.

    Parameters
    ----------
    model, loss_fn, data, device, dtype, progress :
        As in :func:`recommend`.
    recommendation : Recommendation
        From :func:`recommend` for a method ``torch.optim.SGD`` runs.
    delta : float, optional
        Size of the start's offset, relative to :math:`\max(1, \|\theta^*\|)`; ``> 0``.
    steps : int, optional
        Steps per run, ``>= 8``; default: enough for the predicted rate to contract by ``1e-10``
        (at most 3000).
    alpha_factors : array_like, optional
        Step sizes of the sweep, as multiples of the recommended ``lr`` (``1.0`` must be one).
    momentum_fractions : array_like, optional
        Momenta of the sweep, :math:`\beta + f (1 - \beta)` clipped to ``[0, 1)`` (``0.0`` must be one).
    seed : int, optional
        Seeds the offset's direction.

    Returns
    -------
    TuningCheck

    Examples
    --------
    >>> import torch
    >>> from hbtheory.empirical import recommend, verify_recommendation
    >>> model = torch.nn.Linear(2, 1, bias=False).double()
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 10.0]], dtype=torch.float64)
    >>> data = (x, torch.zeros(2, 1, dtype=torch.float64))
    >>> chk = verify_recommendation(model, torch.nn.functional.mse_loss, data,
    ...                             recommend(model, torch.nn.functional.mse_loss, data))
    >>> chk.relative_error < 0.05, chk.recommendation_is_best
    (True, True)
    """
    if not isinstance(recommendation, Recommendation):
        raise TypeError(f"`recommendation` must be a Recommendation, got {type(recommendation).__name__}")
    rec = recommendation
    if rec.torch_kwargs is None:
        raise ValueError(f"`recommendation` is for {rec.method}, which torch.optim.SGD cannot run: nothing to verify")
    dl = as_scalar(delta, "delta", low=0.0, low_open=True)
    seed = as_seed(seed)
    afs = np.atleast_1d(np.asarray(alpha_factors, dtype=np.float64))
    mfs = np.atleast_1d(np.asarray(momentum_fractions, dtype=np.float64))
    if afs.ndim != 1 or not np.all(np.isfinite(afs)) or np.any(afs <= 0) or not np.any(afs == 1.0):
        raise ValueError("`alpha_factors` must be a 1-D array of positive numbers containing 1.0")
    if mfs.ndim != 1 or not np.all(np.isfinite(mfs)) or np.any(np.abs(mfs) >= 1) or not np.any(mfs == 0.0):
        raise ValueError("`momentum_fractions` must be a 1-D array of numbers in (-1, 1) containing 0.0")
    kw = rec.torch_kwargs
    lr, mom, nest = float(kw["lr"]), float(kw["momentum"]), bool(kw["nesterov"])
    m = get_method(rec.method)
    lam_min, L = rec.lambda_min, rec.lambda_max
    pred = float(worst_case_rate(rec.alpha, rec.beta, lam_min, L, m)) if lam_min > 0 else 1.0
    if steps is None:
        n_steps = 3000 if not pred < 1.0 else int(min(3000, max(40, math.ceil(1.2 * math.log(ERROR_FLOOR)
                                                                             / math.log(max(pred, 1e-3))))))
    else:
        n_steps = as_steps(steps, "steps", low=8)

    obj = _Objective(model, loss_fn, data, device=device, dtype=dtype)
    torch = obj.torch
    theta = obj.theta.detach().clone()
    u = _start_vector(torch, obj.n, seed, theta)
    u = u / torch.linalg.vector_norm(u)
    offset = dl * max(1.0, float(torch.linalg.vector_norm(theta))) * u

    def run_sgd(start: Any, a: float, b: float) -> Any:
        leaves = [p.detach().clone().requires_grad_(True) for p in obj.unflat(start.clone()).values()]
        opt = torch.optim.SGD(leaves, lr=a, momentum=b, dampening=0.0, nesterov=nest and b > 0)
        hist = [torch.cat([p.detach().reshape(-1) for p in leaves])]
        for _ in range(n_steps):
            opt.zero_grad(set_to_none=True)
            with torch.enable_grad():
                params = dict(zip(obj.names, leaves, strict=True))
                loss = sum(w * obj.batch_loss(params, bi) for bi, w in enumerate(obj.weights))
                loss.backward()
            opt.step()
            hist.append(torch.cat([p.detach().reshape(-1) for p in leaves]))
        return torch.stack(hist)

    ga = lr * afs[:, None] * np.ones_like(mfs)[None, :]
    gb = np.clip(mom + mfs[None, :] * (1.0 - mom), 0.0, np.nextafter(1.0, 0.0)) * np.ones_like(afs)[:, None]
    with Progress(2 + 2 * ga.size, "verify_recommendation", progress) as bar:
        diff = run_sgd(theta + offset, lr, mom) - run_sgd(theta, lr, mom)
        bar.update(2)
        errors = _state_norms(diff.to(device="cpu", dtype=torch.float64).numpy())
        try:
            norms = _batched_sweep(obj, theta, offset, ga.ravel(), gb.ravel(), nest, n_steps)
            batched = True
        except Exception:
            norms = np.stack([_state_norms((run_sgd(theta + offset, float(a), float(b))
                                            - run_sgd(theta, float(a), float(b))).cpu().double().numpy())
                              for a, b in zip(ga.ravel(), gb.ravel(), strict=True)])
            batched = False
        bar.update(2 * ga.size)
    measured = _measured_rate(errors)
    g_meas = np.array([_measured_rate(row) for row in norms]).reshape(ga.shape)
    g_pred = np.ones(ga.shape)
    if lam_min > 0:
        for idx in np.ndindex(ga.shape):
            # each grid point is whatever torch.optim.SGD runs there (momentum > 0 makes GD heavy ball)
            point = from_torch(float(ga[idx]), float(gb[idx]), nesterov=nest and bool(gb[idx] > 0))
            g_pred[idx] = float(worst_case_rate(point.alpha, point.beta, lam_min, L, point.as_method()))
    finite = np.where(np.isfinite(g_meas), g_meas, np.inf)
    best = np.unravel_index(int(np.argmin(finite)), ga.shape)
    centre = (int(np.flatnonzero(afs == 1.0)[0]), int(np.flatnonzero(mfs == 0.0)[0]))
    return TuningCheck(
        lr=lr,
        momentum=mom,
        nesterov=nest,
        delta=dl,
        steps=n_steps,
        seed=seed,
        predicted_rate=pred,
        measured_rate=measured,
        relative_error=abs(measured - pred) / pred,
        errors=frozen_array(errors),
        grid_lr=frozen_array(ga),
        grid_momentum=frozen_array(gb),
        grid_predicted=frozen_array(g_pred),
        grid_measured=frozen_array(g_meas),
        best_index=(int(best[0]), int(best[1])),
        recommendation_index=centre,
        batched=batched,
    )


def _batched_sweep(obj: _Objective, theta: Any, offset: Any, lrs: Arr, moms: Arr, nesterov: bool, steps: int) -> Arr:
    """``torch.optim.SGD``'s update for every grid point at once (``vmap`` of the gradient).

    Returns the relative state norms ``|(e_t, e_{t-1})|`` of each point, shape ``(G, steps)``.
    """
    torch = obj.torch
    g = lrs.size
    grad = torch.func.vmap(torch.func.grad(lambda v: obj.loss(v, check=False)))
    a = torch.as_tensor(np.r_[lrs, lrs], dtype=theta.dtype, device=theta.device)[:, None]
    b = torch.as_tensor(np.r_[moms, moms], dtype=theta.dtype, device=theta.device)[:, None]
    p = torch.cat([(theta + offset).expand(g, -1), theta.expand(g, -1)]).clone()
    buf = None
    sq = [torch.sum((p[:g] - p[g:]) ** 2, dim=1)]
    with torch.no_grad():
        for _ in range(steps):
            d_p = grad(p)
            buf = d_p.clone() if buf is None else buf * b + d_p
            step = d_p + b * buf if nesterov else buf
            p = p - a * step
            sq.append(torch.sum((p[:g] - p[g:]) ** 2, dim=1))
    s = torch.stack(sq, dim=1).to(device="cpu", dtype=torch.float64).numpy()
    st = np.sqrt(s[:, 1:] + s[:, :-1])
    return np.asarray(st / st[:, :1])


# --------------------------------------------------------------------------------------------
# The entry point for a script, a notebook or the command line
# --------------------------------------------------------------------------------------------

#: Loss names :func:`tune` accepts (``torch.nn.functional``), besides ``"module:function"``.
LOSSES = ("mse", "cross_entropy", "bce_with_logits", "l1", "huber")


def load_object(spec: str, name: str) -> Any:
    """The object ``attr`` of ``"module:attr"`` or ``"path/to/file.py:attr"``; a zero-argument
    callable (a factory) is called, a ``torch.nn.Module`` is returned as it is.

    Raises ``ValueError`` naming ``name`` for a malformed spec, a module that does not import or
    a missing attribute.

    Examples
    --------
    >>> load_object("math:pi", "model")
    3.141592653589793
    >>> load_object("math", "model")
    Traceback (most recent call last):
    ...
    ValueError: `model` must be 'module:attr' or 'file.py:attr' (a factory or an object), got 'math'
    """
    import importlib
    import importlib.util
    import os
    import sys

    if not isinstance(spec, str) or ":" not in spec or spec.endswith(":") or spec.startswith(":"):
        raise ValueError(f"`{name}` must be 'module:attr' or 'file.py:attr' (a factory or an object), got {spec!r}")
    mod_name, attr = spec.rsplit(":", 1)
    try:
        if mod_name.endswith(".py") or os.sep in mod_name:
            spec_obj = importlib.util.spec_from_file_location(f"_hbtheory_{name}", mod_name)
            if spec_obj is None or spec_obj.loader is None or not os.path.isfile(mod_name):
                raise ValueError(f"`{name}`: no such file {mod_name!r}")
            module = importlib.util.module_from_spec(spec_obj)
            spec_obj.loader.exec_module(module)
        else:
            module = importlib.import_module(mod_name)
    except ImportError as exc:
        raise ValueError(f"`{name}`: cannot import {mod_name!r}: {exc}") from exc
    if not hasattr(module, attr):
        raise ValueError(f"`{name}`: module {mod_name!r} has no attribute {attr!r}")
    obj = getattr(module, attr)
    torch_mod = sys.modules.get("torch")
    is_module = torch_mod is not None and isinstance(obj, torch_mod.nn.Module)
    if callable(obj) and not is_module:
        return obj()
    return obj


def _loss(loss: Any) -> Callable[[Any, Any], Any]:
    import torch.nn.functional as fn

    named = {"mse": fn.mse_loss, "cross_entropy": fn.cross_entropy,
             "bce_with_logits": fn.binary_cross_entropy_with_logits, "l1": fn.l1_loss, "huber": fn.huber_loss}
    if callable(loss):
        return loss  # type: ignore[no-any-return]
    if isinstance(loss, str) and loss in named:
        return named[loss]  # type: ignore[return-value]
    if isinstance(loss, str) and ":" in loss:
        import importlib

        mod_name, attr = loss.rsplit(":", 1)
        try:
            f = getattr(importlib.import_module(mod_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ValueError(f"`loss`: cannot load {loss!r}: {exc}") from exc
        if not callable(f):
            raise TypeError(f"`loss` {loss!r} is not callable")
        return f  # type: ignore[no-any-return]
    raise ValueError(f"`loss` must be one of {LOSSES}, 'module:function' or a callable, got {loss!r}")


def tune(
    model: Any,
    data: Any = None,
    *,
    loss: Any = "mse",
    method: Any = "heavy_ball",
    mu: float | str = "auto",
    kappa_max: float = 1e4,
    quantile: float = 0.1,
    verify: bool = False,
    seed: int = 0,
    device: Any = None,
    progress: bool | None = None,
) -> tuple[Recommendation, TuningCheck | None]:
    r""":func:`recommend` (and optionally :func:`verify_recommendation`) from objects or ``"module:attr"`` specs.

    The entry point of ``hbtheory tune`` and of scripts: ``model`` is a ``torch.nn.Module``, or a
    spec whose factory returns one, or returns ``(model, data)`` or ``(model, loss_fn, data)``
    (then ``data``/``loss`` may be omitted); ``data`` likewise (a pair, a list of pairs, or a
    spec); ``loss`` a name of :data:`LOSSES`, ``"module:function"`` or a callable.

    Returns
    -------
    (Recommendation, TuningCheck or None)

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Linear(2, 1, bias=False).double()
    >>> data = (torch.eye(2, dtype=torch.float64) * torch.tensor([1.0, 10.0], dtype=torch.float64),
    ...         torch.zeros(2, 1, dtype=torch.float64))
    >>> rec, chk = tune(model, data)
    >>> round(rec.momentum, 6), chk is None
    (0.669421, True)
    """
    loss_fn = None
    if isinstance(model, str):
        model = load_object(model, "model")
    if isinstance(model, tuple):
        if len(model) == 3:
            model, loss_fn, packed = model
        elif len(model) == 2:
            model, packed = model
        else:
            raise ValueError("`model`'s factory must return a Module, (model, data) or (model, loss_fn, data)")
        data = packed if data is None else data
    if isinstance(data, str):
        data = load_object(data, "data")
    if data is None:
        raise ValueError("`data` is missing: give --data (or return (model, data) from the model's factory)")
    if loss_fn is None or loss != "mse":
        loss_fn = _loss(loss)
    if not isinstance(verify, bool):
        raise TypeError(f"`verify` must be a bool, got {type(verify).__name__}")
    rec = recommend(model, loss_fn, data, method=method, mu=mu, kappa_max=kappa_max, quantile=quantile, seed=seed,
                    device=device, progress=progress)
    chk = None
    if verify and rec.torch_kwargs is not None:
        chk = verify_recommendation(model, loss_fn, data, rec, seed=seed, device=device, progress=progress)
    return rec, chk


def _convex_examples(seed: int = 0) -> dict[str, tuple[Any, Callable[[Any, Any], Any], Any, Arr]]:
    """Two convex models at their minimum, with their Hessian's eigenvalues in closed form.

    ``"least_squares"``: a linear model (20 features, 100 points) at the least-squares solution,
    :math:`H = 2 X^\\top X / n` for the mean squared error; ``"logistic"``: logistic regression
    (8 features and a bias, 200 noisy labels, not separable) trained by L-BFGS to a gradient below
    ``1e-13``, :math:`H = X_1^\\top \\mathrm{diag}(p (1 - p)) X_1 / n`. For the report's checks.
    """
    from hbtheory.empirical._torch import require_torch

    torch = require_torch()
    fn = torch.nn.functional
    rng = np.random.default_rng(seed)
    n, d = 100, 20
    x, y = rng.standard_normal((n, d)), rng.standard_normal((n, 1))
    ls = torch.nn.Linear(d, 1, bias=False).double()
    with torch.no_grad():
        ls.weight.copy_(torch.as_tensor(np.linalg.lstsq(x, y, rcond=None)[0].T))
    out = {"least_squares": (ls, fn.mse_loss, (torch.as_tensor(x), torch.as_tensor(y)),
                             np.linalg.eigvalsh(2.0 * x.T @ x / n))}
    n, d = 200, 8
    x = rng.standard_normal((n, d))
    y = (rng.random((n, 1)) < 1.0 / (1.0 + np.exp(-x[:, :1]))).astype(np.float64)
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        lg = torch.nn.Linear(d, 1).double()
    opt = torch.optim.LBFGS(lg.parameters(), max_iter=200, tolerance_grad=1e-14, tolerance_change=0.0,
                            line_search_fn="strong_wolfe")

    def closure() -> Any:
        opt.zero_grad()
        loss = fn.binary_cross_entropy_with_logits(lg(xt), yt)
        loss.backward()
        return loss

    opt.step(closure)
    opt.zero_grad(set_to_none=True)
    w, b = lg.weight.detach().numpy()[0], float(lg.bias.detach())
    p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
    xa = np.c_[x, np.ones(n)]
    out["logistic"] = (lg, fn.binary_cross_entropy_with_logits, (xt, yt),
                       np.linalg.eigvalsh(xa.T @ (xa * (p * (1 - p))[:, None]) / n))
    return out


def example_problem() -> tuple[Any, Callable[[Any, Any], Any], Any]:
    """A ready ``(model, loss_fn, data)``: least squares (20 features, 100 points) at its minimum.

    For trying :func:`tune` and ``hbtheory tune --model hbtheory.empirical.recommend:example_problem``
    without a model of one's own; its Hessian is :math:`2 X^\\top X / 100` (seeded data).

    Examples
    --------
    >>> model, loss_fn, data = example_problem()
    >>> rec, _ = tune(model, data, loss=loss_fn)
    >>> round(rec.lr, 6), round(rec.momentum, 6)
    (0.529647, 0.179032)
    """
    model, loss_fn, data, _ = _convex_examples()["least_squares"]
    return model, loss_fn, data
