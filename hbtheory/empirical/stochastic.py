r"""SGD with momentum on least squares with sampled minibatches: ``torch.optim.SGD`` against the mean-square theory.

Every run is ``torch.optim.SGD(lr=alpha, momentum=beta, nesterov=...)`` itself on the least-squares
loss of a freshly sampled minibatch per step. Many independent runs are batched as the rows of one
``(replicas, d)`` parameter (the loss is a sum over rows and ``torch.optim.SGD`` updates elementwise,
so each row is an independent run with its own samples); several ``(alpha, beta)`` are parameter
groups of one optimiser. The features are generated from a seeded ``torch.Generator``:
``a = Q diag(sqrt(h)) z`` with ``z ~ N(0, I)`` and a seeded random rotation ``Q`` (``"gaussian"``),
or ``sqrt(d h_i) e_i`` with ``i`` uniform (``"axis"``, the discrete example of Kidambi et al.);
labels are ``a^T x_star + eps`` with ``x_star = 0`` and ``eps ~ N(0, s^2)``.

Statistics
----------
The replicas are independent, so every measured mean comes with a standard error from the
replicas' spread: for a curve :math:`\mathbb E x_t^2` the sample standard deviation of :math:`x_t^2`
over :math:`\sqrt R`, for a stationary moment that of each replica's time average (whatever the
correlation in time inside one replica). A rate is measured on ``groups`` disjoint groups of
replicas (the window ratio of each group's mean risk, to the power ``1/window``) and its standard
error is that of the group values: the groups are independent, so this is honest even though the
ratio is a non-linear function of means. Agreement is ``|measured - predicted| <= z`` standard
errors (default ``z = 5``). The squared iterates of multiplicative-noise runs are heavy-tailed: a
product of random factors whose mean, after enough steps, rests on a few rare replicas. Every curve
therefore reports the largest share of one replica in a mean (``max_share``) and calls itself
``reliable`` only below 1 %; the defaults are short enough for that.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory import stochastic as theory
from hbtheory._result import Result, frozen_array
from hbtheory._validation import as_real, as_scalar
from hbtheory.empirical._checks import as_bool, as_seed, as_steps
from hbtheory.empirical._torch import resolve_device, resolve_dtype, torch_session

__all__ = ["KidambiGap", "MinibatchCurve", "MinibatchStationary", "kidambi_gap", "minibatch_curve",
           "minibatch_stationary"]

Arr = NDArray[np.float64]


def _configs(alpha: Any, beta: Any) -> tuple[Arr, Arr]:
    a = np.atleast_1d(as_real(alpha, "alpha", low=0.0, low_open=True))
    b = np.atleast_1d(as_real(beta, "beta", low=0.0, high=1.0, high_open=True))
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError:
        raise ValueError(f"`alpha` and `beta` must broadcast together, got shapes {a.shape}, {b.shape}") from None
    if a.ndim != 1:
        raise ValueError("`alpha` and `beta` must be numbers or 1-D arrays")
    return a.astype(np.float64), b.astype(np.float64)


class _Problem:
    """Seeded least squares with sampled minibatches, for ``k`` configurations of ``R`` replicas."""

    def __init__(self, torch: Any, hs: Arr, features: str, batch: int, s2: float, seed: int, dev: Any,
                 dtype: Any, rotate: bool) -> None:
        self.torch, self.d, self.features, self.batch = torch, hs.size, features, batch
        self.gen = torch.Generator(device=dev).manual_seed(seed)
        self.dev, self.dtype = dev, dtype
        self.noise_sd = math.sqrt(s2)
        q = np.linalg.qr(np.random.default_rng(seed).standard_normal((hs.size, hs.size)))[0] if rotate \
            else np.eye(hs.size)
        self.q = torch.tensor(q, dtype=dtype, device=dev)  # columns: the eigenvectors of H
        self.scale = torch.tensor(np.sqrt(hs), dtype=dtype, device=dev)
        self.axis_scale = torch.tensor(np.sqrt(hs.size * hs), dtype=dtype, device=dev)

    def features_of(self, shape: tuple[int, ...]) -> Any:
        torch = self.torch
        if self.features == "gaussian":
            z = torch.randn((*shape, self.batch, self.d), generator=self.gen, dtype=self.dtype, device=self.dev)
            return (z * self.scale) @ self.q.T
        idx = torch.randint(self.d, (*shape, self.batch), generator=self.gen, device=self.dev)
        onehot = torch.nn.functional.one_hot(idx, self.d).to(self.dtype)
        return (onehot * self.axis_scale) @ self.q.T

    def loss(self, params: list[Any]) -> Any:
        """Sum over configurations and replicas of each one's minibatch loss ``|A x - b|^2 / (2B)``."""
        torch = self.torch
        k, r = len(params), params[0].shape[0]
        a = self.features_of((k, r))
        eps = torch.randn((k, r, self.batch), generator=self.gen, dtype=self.dtype, device=self.dev) * self.noise_sd
        x = torch.stack(params)
        resid = (a @ x[..., None])[..., 0] - eps
        return (resid * resid).sum() / (2.0 * self.batch)

    def eigen(self, p: Any) -> Any:
        """Coordinates in the eigenbasis of ``H``."""
        return p.detach() @ self.q


def _optimiser(torch: Any, hs: Arr, a: Arr, b: Arr, replicas: int, x0: Arr, q: Any, nesterov: bool,
               dtype: Any, dev: Any) -> tuple[list[Any], Any]:
    start = torch.tensor(x0, dtype=dtype, device=dev) @ q.T
    params = [start.repeat(replicas, 1).clone().requires_grad_(True) for _ in a]
    groups = [{"params": [p], "lr": float(ai), "momentum": float(bi), "nesterov": bool(nesterov and bi > 0)}
              for p, ai, bi in zip(params, a, b, strict=True)]
    return params, torch.optim.SGD(groups, lr=float(a[0]))


@dataclass(frozen=True, eq=False)
class MinibatchCurve(Result):
    r"""Measured against exact :math:`\mathbb E x_{t,i}^2` curves and mean-square rates.

    Attributes
    ----------
    alpha, beta : numpy.ndarray
        The configurations (echo), ``(k,)``.
    spectrum : numpy.ndarray
    batch_size, replicas, steps, groups, seed : int
    features : str
    nesterov : bool
        ``torch.optim.SGD(nesterov=True)``: its parameter is Nesterov's gradient point :math:`y_t`, so
        the curves are :math:`\mathbb E y_t^2` (``output="y"`` of the theory).
    noise_variance : float
    measured, standard_error, predicted : numpy.ndarray
        ``(k, steps + 1, d)``: second moments per eigen-direction.
    risk, risk_standard_error, predicted_risk : numpy.ndarray
        ``(k, steps + 1)``: :math:`\tfrac12 \sum_i h_i \mathbb E x_{t,i}^2`.
    risk_z : numpy.ndarray
        ``(risk - predicted_risk) / risk_standard_error``.
    window : int
        The rate is measured over the last ``window`` steps.
    rate, rate_standard_error : numpy.ndarray
        ``(k,)``: measured rate of the risk over the window (mean of the groups) and its standard error.
    predicted_window_rate : numpy.ndarray
        The same ratio of the exact curve (what the measurement estimates at finite ``t``).
    predicted_rate : numpy.ndarray
        :func:`hbtheory.stochastic.coupled_mean_square_rate` (the limit).
    z_tolerance : float
    agrees : bool
        Every ``|risk_z| <= z`` and every rate within ``z`` standard errors of ``predicted_window_rate``.
    max_share : numpy.ndarray
        ``(k,)``: the largest share of one replica in a mean risk, over every step. Multiplicative
        noise makes :math:`x_t^2` heavy-tailed (a product of random factors; near the edge of
        mean-square stability its fourth moment grows faster than the square of the second), and
        then the mean rests on a few replicas and its standard error is not trustworthy.
    reliable : bool
        ``max_share <= 0.01`` for every configuration: the confidence intervals can be believed.
    """

    alpha: Arr
    beta: Arr
    spectrum: Arr
    batch_size: int
    replicas: int
    steps: int
    groups: int
    seed: int
    features: str
    nesterov: bool
    noise_variance: float
    measured: Arr
    standard_error: Arr
    predicted: Arr
    risk: Arr
    risk_standard_error: Arr
    predicted_risk: Arr
    risk_z: Arr
    window: int
    rate: Arr
    rate_standard_error: Arr
    predicted_window_rate: Arr
    predicted_rate: Arr
    z_tolerance: float
    agrees: bool
    max_share: Arr
    reliable: bool


def _common(spectrum: Any, batch_size: Any, noise_variance: Any, features: Any, x0: Any) -> tuple[Arr, int, float,
                                                                                                  str, Arr]:
    hs = np.atleast_1d(as_real(spectrum, "spectrum", low=0.0, low_open=True))
    if hs.ndim != 1:
        raise ValueError("`spectrum` must be a 1-D array of curvatures > 0")
    batch = as_steps(batch_size, "batch_size", low=1)
    s2 = as_scalar(noise_variance, "noise_variance", low=0.0)
    if features not in ("gaussian", "axis"):
        raise ValueError(f"`features` must be 'gaussian' or 'axis', got {features!r}")
    start = np.broadcast_to(as_real(x0, "x0"), hs.shape).astype(np.float64)
    return hs, batch, s2, str(features), start


#: Largest number of float64 entries one sampled step (or the recorded curve) may hold: 2**26, 512 MB.
_MAX_ENTRIES = 2**26
#: Largest number of steps a stationary measurement may run.
_MAX_STEPS = 10**6


def _check_size(entries: int, what: str, names: str) -> None:
    """Refuse, before any work, a run whose arrays would not fit (instead of a MemoryError or a swap-bound hang)."""
    if entries > _MAX_ENTRIES:
        raise ValueError(f"{names} too large: {what} would hold {entries} float64 entries (at most {_MAX_ENTRIES})")


def minibatch_curve(
    *,
    alpha: Any = (0.1, 0.1),
    beta: Any = (0.0, 0.5),
    spectrum: Any = (1.0, 0.1),
    batch_size: int = 1,
    noise_variance: float = 0.0,
    steps: int = 100,
    replicas: int = 4096,
    groups: int = 16,
    features: str = "gaussian",
    nesterov: bool = False,
    x0: Any = 1.0,
    rotate: bool = True,
    seed: int = 0,
    z: float = 5.0,
    device: Any = "cpu",
    dtype: Any = "float64",
) -> MinibatchCurve:
    r"""Run ``torch.optim.SGD`` on sampled minibatches and compare :math:`\mathbb E x_t^2` and the rate with the theory.

    Parameters
    ----------
    alpha, beta : float or array_like
        Learning rates and momenta (broadcast to ``k`` configurations, all run together).
    spectrum : array_like
        Eigenvalues :math:`h_i > 0` of :math:`H = \mathbb E a a^\top`.
    batch_size : int, optional
    noise_variance : float, optional
        Label-noise variance :math:`s^2` (0: the pure multiplicative regime, where the rate is measured).
    steps : int, optional
    replicas : int, optional
        Independent runs per configuration, a multiple of ``groups``.
    groups : int, optional
        Independent groups for the rate's standard error, ``>= 2``.
    features : {"gaussian", "axis"}, optional
    nesterov : bool, optional
        Run ``torch.optim.SGD(nesterov=True)`` (Nesterov's method, the parameter being :math:`y_t`).
    x0 : float or array_like, optional
        Start in the eigenbasis, from rest.
    rotate : bool, optional
        Rotate :math:`H` by a seeded random orthogonal matrix (the theory is rotation invariant).
    seed : int, optional
    z : float, optional
        Tolerance in standard errors.
    device, dtype : optional
        As in :func:`hbtheory.empirical.verify_quadratic`.

    Returns
    -------
    MinibatchCurve

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> run = minibatch_curve(steps=40, replicas=1024)
    >>> run.agrees, run.reliable, [round(float(r), 3) for r in run.predicted_rate]
    (True, True, [0.98, 0.961])
    """
    a, b = _configs(alpha, beta)
    hs, batch, s2, feats, start = _common(spectrum, batch_size, noise_variance, features, x0)
    n_steps = as_steps(steps, "steps", low=2)
    n_groups = as_steps(groups, "groups", low=2)
    n_rep = as_steps(replicas, "replicas", low=2 * n_groups)
    if n_rep % n_groups:
        raise ValueError(f"`replicas` ({n_rep}) must be a multiple of `groups` ({n_groups})")
    k, d = a.size, hs.size
    _check_size(k * n_rep * batch * d, "one step's features (configurations x replicas x batch x d)",
                "`replicas` x `batch_size` is")
    _check_size(k * (n_steps + 1) * max(d, n_groups), "the recorded curves (configurations x steps x d)", "`steps` is")
    nest = as_bool(nesterov, "nesterov")
    if nest and (b == 0).any():
        raise ValueError("`nesterov=True` needs every `beta` > 0 (torch.optim.SGD requires it)")
    seed = as_seed(seed)
    zt = as_scalar(z, "z", low=0.0, low_open=True)
    dev = resolve_device(device)
    tdtype = resolve_dtype(dtype)
    sq = np.empty((k, n_steps + 1, d))
    sq_sd = np.empty((k, n_steps + 1, d))
    risk_groups = np.empty((k, n_steps + 1, n_groups))
    risk_sd = np.empty((k, n_steps + 1))
    share = np.zeros(k)
    h_t = None
    with torch_session(dev) as torch:
        prob = _Problem(torch, hs, feats, batch, s2, seed, dev, tdtype, as_bool(rotate, "rotate"))
        params, opt = _optimiser(torch, hs, a, b, n_rep, start, prob.q, nest, tdtype, dev)
        h_t = torch.tensor(hs, dtype=torch.float64, device=dev)

        def record(t: int) -> None:
            x2 = torch.stack([prob.eigen(p) for p in params]).double() ** 2  # (k, R, d)
            sq[:, t] = x2.mean(dim=1).cpu().numpy()
            sq_sd[:, t] = x2.std(dim=1).cpu().numpy()
            risk = 0.5 * (x2 * h_t).sum(dim=-1)  # (k, R)
            risk_groups[:, t] = risk.reshape(k, n_groups, -1).mean(dim=-1).cpu().numpy()
            risk_sd[:, t] = risk.std(dim=1).cpu().numpy()
            share[:] = np.maximum(share, (risk.max(dim=1).values / risk.sum(dim=1)).cpu().numpy())

        record(0)
        for t in range(n_steps):
            opt.zero_grad(set_to_none=True)
            prob.loss(params).backward()
            opt.step()
            record(t + 1)
    method = "nesterov" if nest else "heavy_ball"
    pred = np.stack([
        theory.coupled_second_moment_curve(ai, bi, hs, n_steps, x0=start, noise_variance=s2, batch_size=batch,
                                           features=feats, method=method if bi > 0 else "heavy_ball",
                                           output="y" if nest else "x")
        for ai, bi in zip(a, b, strict=True)
    ])
    risk = risk_groups.mean(axis=-1)
    pred_risk = 0.5 * (pred * hs).sum(axis=-1)
    se = sq_sd / math.sqrt(n_rep)
    risk_se = risk_sd / math.sqrt(n_rep)
    with np.errstate(divide="ignore", invalid="ignore"):
        risk_z = np.where(risk_se > 0, (risk - pred_risk) / risk_se, 0.0)
    window = n_steps // 2
    with np.errstate(divide="ignore", invalid="ignore"):
        group_rates = (risk_groups[:, -1] / risk_groups[:, -1 - window]) ** (1.0 / window)
        rate = group_rates.mean(axis=-1)
        rate_se = group_rates.std(axis=-1, ddof=1) / math.sqrt(n_groups)
        window_rate = (pred_risk[:, -1] / pred_risk[:, -1 - window]) ** (1.0 / window)
    asym = np.array([float(theory.coupled_mean_square_rate(ai, bi, hs, batch_size=batch, features=feats,
                                                           method=method if bi > 0 else "heavy_ball"))
                     for ai, bi in zip(a, b, strict=True)])
    rates_ok = bool(np.all(np.abs(rate - window_rate) <= zt * rate_se)) if s2 == 0.0 else True
    agrees = bool(np.all(np.abs(risk_z) <= zt) and rates_ok and np.isfinite(risk).all())
    return MinibatchCurve(
        alpha=frozen_array(a), beta=frozen_array(b), spectrum=frozen_array(hs), batch_size=batch, replicas=n_rep,
        steps=n_steps, groups=n_groups, seed=seed, features=feats, nesterov=nest, noise_variance=s2,
        measured=frozen_array(sq), standard_error=frozen_array(se), predicted=frozen_array(pred),
        risk=frozen_array(risk), risk_standard_error=frozen_array(risk_se), predicted_risk=frozen_array(pred_risk),
        risk_z=frozen_array(risk_z), window=window, rate=frozen_array(rate), rate_standard_error=frozen_array(rate_se),
        predicted_window_rate=frozen_array(window_rate), predicted_rate=frozen_array(asym), z_tolerance=zt,
        agrees=agrees, max_share=frozen_array(share), reliable=bool(np.all(share <= 0.01)),
    )


@dataclass(frozen=True, eq=False)
class MinibatchStationary(Result):
    r"""Measured against predicted stationary second moments under label noise.

    Attributes
    ----------
    alpha, beta, spectrum : numpy.ndarray
    batch_size, replicas, burn_in, window, seed : int
    features : str
    noise_variance : float
    measured, standard_error, predicted : numpy.ndarray
        ``(k, d)``: stationary :math:`\mathbb E x_i^2` per eigen-direction
        (:func:`hbtheory.stochastic.coupled_stationary_second_moment`).
    z_scores : numpy.ndarray
    z_tolerance : float
    agrees : bool
    """

    alpha: Arr
    beta: Arr
    spectrum: Arr
    batch_size: int
    replicas: int
    burn_in: int
    window: int
    seed: int
    features: str
    noise_variance: float
    measured: Arr
    standard_error: Arr
    predicted: Arr
    z_scores: Arr
    z_tolerance: float
    agrees: bool


def minibatch_stationary(
    *,
    alpha: Any = (0.1, 0.2),
    beta: Any = (0.0, 0.5),
    spectrum: Any = (1.0,),
    batch_size: int = 1,
    noise_variance: float = 1.0,
    replicas: int = 1024,
    burn_in: int | None = None,
    window: int = 400,
    features: str = "gaussian",
    rotate: bool = True,
    seed: int = 0,
    z: float = 5.0,
    device: Any = "cpu",
    dtype: Any = "float64",
) -> MinibatchStationary:
    r"""Measure the stationary :math:`\mathbb E x_i^2` of ``torch.optim.SGD`` under sampled minibatches and label noise.

    The replicas start at the optimum (so the second moment rises from 0), run ``burn_in`` steps
    (default: until the predicted transient, decaying like the mean-square rate, is below ``1e-6``)
    and average :math:`x_t^2` over ``window`` steps.

    Parameters
    ----------
    alpha, beta, spectrum, batch_size, features, rotate, seed, z, device, dtype
        As in :func:`minibatch_curve`; every configuration must be mean-square stable.
    noise_variance : float, optional
        :math:`s^2 > 0`.
    replicas : int, optional
    burn_in : int or None, optional
    window : int, optional

    Returns
    -------
    MinibatchStationary

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> run = minibatch_stationary(replicas=256, window=200)          # issue 13's reference points
    >>> run.agrees, [round(float(p), 6) for p in run.predicted[:, 0]]   # 1/17 and 3/8
    (True, [0.058824, 0.375])
    """
    a, b = _configs(alpha, beta)
    hs, batch, s2, feats, _ = _common(spectrum, batch_size, noise_variance, features, 0.0)
    if s2 <= 0.0:
        raise ValueError("`noise_variance` must be > 0 for a stationary second moment")
    n_rep = as_steps(replicas, "replicas", low=2)
    n_win = as_steps(window, "window", low=1)
    seed = as_seed(seed)
    zt = as_scalar(z, "z", low=0.0, low_open=True)
    rates = np.array([float(theory.coupled_mean_square_rate(ai, bi, hs, batch_size=batch, features=feats))
                      for ai, bi in zip(a, b, strict=True)])
    if (rates >= 1.0).any():
        bad = int(np.argmax(rates >= 1.0))
        raise ValueError(f"`alpha`, `beta` configuration {bad} (alpha = {float(a[bad])!r}, beta = {float(b[bad])!r}) "
                         "is not mean-square stable: no stationary second moment")
    worst = float(rates.max())
    n_burn = (math.ceil(math.log(1e-6) / math.log(worst)) if worst > 0 else 1) if burn_in is None \
        else as_steps(burn_in, "burn_in", low=0)
    if n_burn + n_win > _MAX_STEPS:
        raise ValueError(f"`burn_in` + `window` = {n_burn} + {n_win} steps exceed {_MAX_STEPS} (the default burn-in "
                         f"follows the slowest mean-square rate, {worst!r})")
    _check_size(a.size * n_rep * batch * hs.size, "one step's features (configurations x replicas x batch x d)",
                "`replicas` x `batch_size` is")
    dev = resolve_device(device)
    tdtype = resolve_dtype(dtype)
    k, d = a.size, hs.size
    with torch_session(dev) as torch:
        prob = _Problem(torch, hs, feats, batch, s2, seed, dev, tdtype, as_bool(rotate, "rotate"))
        params, opt = _optimiser(torch, hs, a, b, n_rep, np.zeros(d), prob.q, False, tdtype, dev)
        acc = torch.zeros((k, n_rep, d), dtype=torch.float64, device=dev)
        for t in range(n_burn + n_win):
            opt.zero_grad(set_to_none=True)
            prob.loss(params).backward()
            opt.step()
            if t >= n_burn:
                acc += torch.stack([prob.eigen(p) for p in params]).double() ** 2
        per = (acc / n_win).cpu().numpy()
    measured = per.mean(axis=1)
    se = per.std(axis=1, ddof=1) / math.sqrt(n_rep)
    pred = np.stack([theory.coupled_stationary_second_moment(ai, bi, hs, noise_variance=s2, batch_size=batch,
                                                             features=feats) for ai, bi in zip(a, b, strict=True)])
    with np.errstate(divide="ignore", invalid="ignore"):
        zs = (measured - pred) / se
    return MinibatchStationary(
        alpha=frozen_array(a), beta=frozen_array(b), spectrum=frozen_array(hs), batch_size=batch, replicas=n_rep,
        burn_in=n_burn, window=n_win, seed=seed, features=feats, noise_variance=s2, measured=frozen_array(measured),
        standard_error=frozen_array(se), predicted=frozen_array(pred), z_scores=frozen_array(zs), z_tolerance=zt,
        agrees=bool(np.all(np.abs(zs) <= zt)),
    )


@dataclass(frozen=True, eq=False)
class KidambiGap(Result):
    r"""The deterministic against the mean-square speed-up of momentum on a two-direction instance.

    Attributes
    ----------
    kappa : float
        The instance: curvatures ``(1, 1/kappa)``, axis features, one sample per step.
    tuning : hbtheory.stochastic.MeanSquareTuning
        The best mean-square parameters for heavy ball and for SGD.
    run : MinibatchCurve
        ``torch.optim.SGD`` at both tunings (heavy ball first).
    measured_speedup, speedup_standard_error : float
        :math:`\log r_{HB} / \log r_{SGD}` from the measured window rates, and its standard error (delta
        method on the two rates' independent standard errors).
    predicted_window_speedup : float
        The same ratio of the exact curves' window rates (what the measurement estimates).
    predicted_speedup : float
        The asymptotic mean-square speed-up (:attr:`hbtheory.stochastic.MeanSquareTuning.speedup`).
    deterministic_speedup : float
        The exact-gradient speed-up of the optimally tuned heavy ball over gradient descent.
    polyak_rate : float
        The mean-square rate of heavy ball at Polyak's deterministic optimum on this instance
        (``>= 1``: the deterministic tuning diverges in mean square).
    """

    kappa: float
    tuning: theory.MeanSquareTuning
    run: MinibatchCurve
    measured_speedup: float
    speedup_standard_error: float
    predicted_window_speedup: float
    predicted_speedup: float
    deterministic_speedup: float
    polyak_rate: float


@functools.lru_cache(maxsize=8)
def _kidambi_tuning(kappa: float) -> theory.MeanSquareTuning:
    return theory.mean_square_optimal([1.0, 1.0 / kappa], features="axis")


def kidambi_gap(
    *, kappa: float = 25.0, steps: int = 16, replicas: int = 16384, seed: int = 0, device: Any = "cpu"
) -> KidambiGap:
    r"""Measure how little momentum buys with one sample per step (Kidambi et al. 2018), with ``torch.optim.SGD``.

    Two directions of curvature ``1`` and ``1/kappa``; each sample's feature lies on one axis
    (:math:`\sqrt{2 h_i}\, e_i`, each with probability 1/2). With exact gradients heavy ball is
    about :math:`\sqrt\kappa` times faster than gradient descent; here stability needs
    :math:`\alpha \cdot 1 < 1 - \beta^2`, so the slow direction's rate is at least
    :math:`1 - (1 + \beta)/\kappa`, and the speed-up stays below 2.

    Parameters
    ----------
    kappa : float, optional
        ``> 1``.
    steps, replicas, seed, device : optional
        As in :func:`minibatch_curve` (``replicas`` a multiple of 16). The tuned heavy ball sits where
        mean-square stability is tight and :math:`x_t^2` is heavy-tailed: the defaults (16 steps,
        16384 replicas) keep :attr:`MinibatchCurve.reliable` true; 60 steps do not.

    Returns
    -------
    KidambiGap

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> gap = kidambi_gap(replicas=4096)
    >>> gap.run.agrees, round(gap.deterministic_speedup, 1), round(gap.predicted_speedup, 2)
    (True, 5.1, 1.44)
    """
    kap = as_scalar(kappa, "kappa", low=1.0, low_open=True)
    hs = np.array([1.0, 1.0 / kap])
    try:
        tuning = _kidambi_tuning(kap)
    except ValueError as err:   # the spectrum [1, 1/kappa] is the caller's kappa
        raise ValueError(f"`kappa` = {kap!r} is too large: {err}") from None
    run = minibatch_curve(alpha=[tuning.alpha, tuning.sgd_alpha], beta=[tuning.beta, 0.0], spectrum=hs,
                          steps=steps, replicas=replicas, features="axis", rotate=False, seed=seed, device=device)
    from hbtheory.methods import HEAVY_BALL

    if HEAVY_BALL.closed_form is None:  # pragma: no cover - heavy ball has Polyak's closed form
        raise RuntimeError("heavy ball lost its closed-form tuning")
    polyak = HEAVY_BALL.closed_form(1.0 / kap, 1.0)
    polyak_rate = float(theory.coupled_mean_square_rate(polyak.alpha, polyak.beta, hs, features="axis"))
    l1, l2 = np.log(run.rate)
    se1, se2 = run.rate_standard_error
    speedup_se = math.hypot(se1 / (run.rate[0] * l2), l1 * se2 / (run.rate[1] * l2 * l2))
    w1, w2 = np.log(run.predicted_window_rate)
    return KidambiGap(
        kappa=kap, tuning=tuning, run=run, measured_speedup=float(l1 / l2), speedup_standard_error=float(speedup_se),
        predicted_window_speedup=float(w1 / w2), predicted_speedup=tuning.speedup,
        deterministic_speedup=tuning.deterministic_speedup, polyak_rate=polyak_rate,
    )
