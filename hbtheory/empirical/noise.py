r"""Momentum amplifies gradient noise: the stationary variance measured with ``torch.optim.SGD``.

On :math:`f(x) = \tfrac h2 x^2` with gradients :math:`h x + \xi_t`, :math:`\xi_t \sim N(0, \sigma^2)`
independent, heavy ball's iterate settles into a stationary distribution of variance
:func:`hbtheory.stationary_variance`, about :math:`1/(1 - \beta)` times gradient descent's at small
steps. :func:`noise_variance` measures it: many replicas of the scalar problem are the elements of
one parameter tensor per ``beta`` (``torch.optim.SGD``'s update is elementwise, so each element is
an independent run), each ``beta`` is its own parameter group, and the noise is added to the
gradient autograd computes.

Statistics
----------
The replicas start at the optimum :math:`x_0 = 0` (so the mean is exactly 0 at every step) and run
a burn-in long enough for the variance's transient, which decays like :math:`\rho^{2t}`, to fall
below ``1e-6`` of the stationary value. Each replica then averages :math:`x_t^2` over a window; the
replicas are independent, so the standard error of the mean of these averages is their sample
standard deviation over :math:`\sqrt R`, whatever the correlation in time within a replica. The
measurement agrees with the theory when it is within ``z`` standard errors (default 5: a false
alarm about once in two million).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory import spectral
from hbtheory._result import Result, frozen_array
from hbtheory._validation import as_real, as_scalar
from hbtheory.empirical._checks import as_seed, as_steps
from hbtheory.empirical._progress import Progress
from hbtheory.empirical._torch import resolve_device, resolve_dtype, torch_session

__all__ = ["NoiseRun", "noise_variance"]

Arr = NDArray[np.float64]

#: The variance transient left after the default burn-in, relative to the stationary variance.
BURN_IN_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class NoiseRun(Result):
    r"""Measured against predicted stationary variance, for several momenta.

    Attributes
    ----------
    alpha, h, sigma : float
        The problem and step (echo).
    betas : numpy.ndarray
        The momenta (echo).
    replicas, burn_in, window, seed : int
    samples : numpy.ndarray
        int64, per ``beta``: the replicas whose time average is finite, i.e. the samples the
        measurement rests on (``replicas`` unless a replica overflowed). A check on a ``beta``
        with fewer than 2 samples cannot be made, and ``agrees`` is then ``False``.
    measured : numpy.ndarray
        Mean over the accepted replicas of the time-averaged :math:`x_t^2`.
    standard_error : numpy.ndarray
        Its standard error (independent replicas).
    predicted : numpy.ndarray
        :func:`hbtheory.stationary_variance`.
    z_scores : numpy.ndarray
        ``(measured - predicted) / standard_error``.
    z_tolerance : float
    agrees : bool
        Every ``|z| <= z_tolerance``, with at least 2 samples for every ``beta``.
    measured_amplification, predicted_amplification : numpy.ndarray
        Variance relative to gradient descent's (``beta = 0``, whether or not it was run).
    one_over_one_minus_beta : numpy.ndarray
        :math:`1/(1 - \beta)` (:func:`hbtheory.amplification`): the small-step limit of the amplification.
    """

    alpha: float
    h: float
    sigma: float
    betas: Arr
    replicas: int
    burn_in: int
    window: int
    seed: int
    samples: NDArray[np.int64]
    measured: Arr
    standard_error: Arr
    predicted: Arr
    z_scores: Arr
    z_tolerance: float
    agrees: bool
    measured_amplification: Arr
    predicted_amplification: Arr
    one_over_one_minus_beta: Arr


def noise_variance(
    *,
    alpha: float = 0.1,
    betas: Any = (0.0, 0.5, 0.9),
    h: float = 1.0,
    sigma: float = 1.0,
    replicas: int = 4096,
    burn_in: int | None = None,
    window: int | None = None,
    seed: int = 0,
    z: float = 5.0,
    device: Any = "cpu",
    dtype: Any = "float64",
    progress: bool | None = None,
) -> NoiseRun:
    r"""Measure the stationary variance of ``torch.optim.SGD(lr=alpha, momentum=beta)`` under gradient noise.

    Parameters
    ----------
    alpha : float, optional
        Learning rate, ``> 0``; every ``beta`` must converge (``alpha h < 2 (1 + beta)``).
    betas : array_like, optional
        Momenta in ``[0, 1)``.
    h : float, optional
        Curvature, ``> 0``.
    sigma : float, optional
        Noise standard deviation, ``> 0``.
    replicas : int, optional
        Independent runs per ``beta``, ``>= 2``.
    burn_in, window : int, optional
        Steps before and during the averaging. By default the burn-in leaves a transient below
        ``1e-6`` and the window is 20 relaxation times :math:`1/(1 - \rho)`.
    seed : int, optional
        Seeds the noise (a ``torch.Generator`` on the device).
    z : float, optional
        Tolerance in standard errors, ``> 0``.
    device, dtype : optional
        As in :func:`verify_quadratic`.
    progress : bool or None, optional
        tqdm bar (see :func:`verify_quadratic`).

    Returns
    -------
    NoiseRun

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> run = noise_variance(betas=[0.0, 0.9], replicas=512)
    >>> run.agrees
    True
    >>> [round(float(v), 2) for v in run.predicted_amplification]   # ~ 1/(1 - beta) = 1, 10
    [1.0, 9.76]
    """
    a = as_scalar(alpha, "alpha", low=0.0, low_open=True)
    hv = as_scalar(h, "h", low=0.0, low_open=True)
    sg = as_scalar(sigma, "sigma", low=0.0, low_open=True)
    bs = np.atleast_1d(as_real(betas, "betas", low=0.0, high=1.0, high_open=True))
    if bs.ndim != 1:
        raise ValueError("`betas` must be a number or a 1-D array")
    rho = np.atleast_1d(np.asarray(spectral.spectral_radius(a, bs, hv), dtype=np.float64))
    if (rho >= 1.0).any():
        bad = float(bs[np.argmax(rho >= 1.0)])
        raise ValueError(f"`alpha` * `h` = {a * hv!r} does not converge for beta = {bad!r}: no stationary variance")
    n_rep = as_steps(replicas, "replicas", low=2)
    worst = float(rho.max())
    default_burn = math.ceil(math.log(BURN_IN_TOL) / (2.0 * math.log(worst))) if worst > 0 else 1
    default_window = max(200, math.ceil(20.0 / (1.0 - worst)))
    n_burn = default_burn if burn_in is None else as_steps(burn_in, "burn_in", low=0)
    n_win = default_window if window is None else as_steps(window, "window", low=1)
    seed = as_seed(seed)
    zt = as_scalar(z, "z", low=0.0, low_open=True)
    dev = resolve_device(device)
    tdtype = resolve_dtype(dtype)

    with torch_session(dev) as torch:
        gen = torch.Generator(device=dev).manual_seed(seed)
        params = [torch.zeros(n_rep, dtype=tdtype, device=dev, requires_grad=True) for _ in bs]
        opt = torch.optim.SGD([{"params": [p], "momentum": float(b)} for p, b in zip(params, bs, strict=True)], lr=a)
        acc = [torch.zeros(n_rep, dtype=torch.float64, device=dev) for _ in bs]
        with Progress(n_burn + n_win, "noise_variance", progress) as bar:
            for step in range(n_burn + n_win):
                opt.zero_grad(set_to_none=True)
                loss = sum(0.5 * hv * (p * p).sum() for p in params)
                loss.backward()
                for p in params:
                    p.grad.add_(torch.randn(n_rep, generator=gen, dtype=tdtype, device=dev), alpha=sg)
                opt.step()
                if step >= n_burn:
                    for s, p in zip(acc, params, strict=True):
                        s += p.detach().double() ** 2
                bar.update()
        per_replica = np.stack([(s / n_win).cpu().numpy() for s in acc])

    finite = np.isfinite(per_replica)
    samples = finite.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.where(finite, per_replica, 0.0).sum(axis=1)
        measured = np.where(samples > 0, total / np.maximum(samples, 1), np.nan)
        dev = np.where(finite, per_replica - measured[:, None], 0.0)
        se = np.sqrt((dev * dev).sum(axis=1) / np.maximum(samples - 1, 1) / np.maximum(samples, 1))
        se = np.where(samples >= 2, se, np.nan)
    predicted = np.atleast_1d(np.asarray(spectral.stationary_variance(a, bs, hv, sg), dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        zs = (measured - predicted) / se
    # amplifications at unit noise (they do not depend on sigma; sigma**2 itself may overflow)
    gd = float(spectral.stationary_variance(a, 0.0, hv, 1.0))
    unit = np.atleast_1d(np.asarray(spectral.stationary_variance(a, bs, hv, 1.0), dtype=np.float64))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        measured_amp = measured / sg / sg / gd
    return NoiseRun(
        alpha=a,
        h=hv,
        sigma=sg,
        betas=frozen_array(bs),
        replicas=n_rep,
        burn_in=n_burn,
        window=n_win,
        seed=seed,
        samples=frozen_array(samples, dtype=np.int64),
        measured=frozen_array(measured),
        standard_error=frozen_array(se),
        predicted=frozen_array(predicted),
        z_scores=frozen_array(zs),
        z_tolerance=zt,
        agrees=bool(np.all(samples >= 2) and np.all(np.abs(zs) <= zt)),
        measured_amplification=frozen_array(measured_amp),
        predicted_amplification=frozen_array(unit / gd),
        one_over_one_minus_beta=frozen_array(np.atleast_1d(np.asarray(spectral.amplification(bs)))),
    )
