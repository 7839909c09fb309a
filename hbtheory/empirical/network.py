r"""The chapter's network experiment, reproducible, and its local convergence rate measured.

:func:`chapter_network` is the chapter's experiment done carefully: :math:`y = x^2 + 0.1\,\epsilon`
on 1000 points of :math:`[-1, 1]`, a 1-20-1 ReLU network, mean squared error, batches of 32, 12
epochs, ``lr = 0.01``, plain SGD against ``momentum = 0.8``. Unlike the chapter, both networks
start from the *same* weights and see the *same* batches (one seeded permutation per epoch), the
data, initialisation and shuffling come from explicit seeds (the global RNG is left alone), the
arithmetic is float64, and the CPU run is bit-for-bit reproducible (fixed thread count,
deterministic algorithms).

:func:`local_rate` goes past the chapter. Near a minimum :math:`\theta^*` the full-batch loss is
:math:`\tfrac12 (\theta - \theta^*)^\top H (\theta - \theta^*)` to second order, so full-batch
``torch.optim.SGD`` should converge on each eigen-direction of the Hessian :math:`H` at the rate
:func:`hbtheory.spectral_radius` gives for its eigenvalue. The function

1. reaches a minimum by full-batch training from the trained momentum network
   (``torch.optim.LBFGS`` with a strong-Wolfe line search on the whole data set);
2. computes :math:`H` with ``torch.func`` (``jacrev`` of ``jacrev``) and its eigen-decomposition;
3. predicts the local rate for ``(lr, momentum)`` on the *stiff* eigen-directions
   :math:`h \ge \lambda_{\max}/\kappa_{\max}`, runs full-batch ``torch.optim.SGD`` from
   :math:`\theta^* + \delta u` (``u`` a seeded unit vector in the stiff subspace) and from
   :math:`\theta^*` itself, projects the difference of the two trajectories on the stiff
   eigenvectors and fits each projection's recurrence (:func:`hbtheory.empirical.fit_recurrence`);
4. does the same on a small grid around the optimal :math:`(\alpha^*, \beta^*)` of
   :func:`hbtheory.optimal_parameters` for the stiff spectrum :math:`[\mu_s, \lambda_{\max}]`:
   :math:`\alpha^* a_i` by :math:`\beta^* + f_j (1 - \beta^*)` (larger steps or smaller momenta
   than the optimum leave the stability region of the top eigenvalue, which sits on its edge).

The difference of two runs is the linearised dynamics (to first order in :math:`\delta`) whatever
the reference does: training stops with a small residual gradient along the flat directions, and
over a hundred steps the drift it drives is far larger than :math:`\delta`; in the difference it
cancels, along with the second-order forcing it would otherwise put on the stiff directions.

Why the local analysis uses a smooth activation by default
----------------------------------------------------------
The theory needs a loss that is twice differentiable at the minimum, and the chapter's ReLU
network does not have one. Its Hessian is singular (dead units and the rescaling symmetry
:math:`(w_1, b_1, w_2) \to (c w_1, c b_1, w_2/c)` of each live unit), which only removes directions
from the comparison; worse, full-batch training parks some unit's kink :math:`-b_1/w_1` exactly on
a data point (``pinned_kinks`` counts them; for each of the seeds 0 to 7 L-BFGS stopped with one),
where the gradient jumps by about :math:`|r_k w_2|/N`. The iterates then chatter across the kink
with an amplitude proportional to the step, a disturbance no quadratic model has: the measured
local rates of the ReLU network miss the prediction by tens of percent (seed 1: 1.226 measured
against 0.99915 predicted), and the grid around the optimum is no better. So ``local_rate()`` by
default analyses the same experiment with ``tanh`` units (same data, sizes, optimizer and seeds;
:func:`chapter_network` takes ``activation``), whose minimum is smooth; there prediction and
measurement agree to about ``1e-7`` at the chapter's ``(lr, momentum)``. A ReLU run can still be
passed in, to see the failure.

Directions with tiny eigenvalues (``kappa_max`` below) have rates within :math:`10^{-3}` of 1 or
closer: nothing measurable in a hundred steps, and nothing the worst case over the whole
spectrum (``predicted_rate_full_spectrum``, essentially 1) tells a practitioner. At the optimum
both ends of the stiff spectrum are critically damped, where the rate is the square root of a
discriminant: there the fit's error is amplified to about ``1e-3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory import spectral
from hbtheory._result import Result, frozen_array
from hbtheory._validation import as_scalar
from hbtheory.empirical._checks import as_seed, as_steps
from hbtheory.empirical._progress import Progress
from hbtheory.empirical._torch import resolve_device, resolve_dtype, torch_session
from hbtheory.empirical.fit import fit_recurrence
from hbtheory.methods import from_torch
from hbtheory.tuning import optimal_parameters

__all__ = ["LocalRate", "NetworkRun", "chapter_network", "local_rate"]

Arr = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class NetworkRun(Result):
    r"""The chapter's SGD-against-momentum experiment.

    Attributes
    ----------
    activation, points, hidden, noise, batch_size, epochs, lr, momentum, seed, device, dtype :
        The settings (echo).
    sgd_losses, momentum_losses : numpy.ndarray
        The loss of every mini-batch step (what the chapter plots).
    sgd_epoch_losses, momentum_epoch_losses : numpy.ndarray
        Full-data loss after each epoch.
    final_loss_sgd, final_loss_momentum : float
        Full-data loss at the end.
    momentum_parameters : numpy.ndarray
        The momentum network's final parameters, flattened (the start of :func:`local_rate`).
    """

    activation: str
    points: int
    hidden: int
    noise: float
    batch_size: int
    epochs: int
    lr: float
    momentum: float
    seed: int
    device: str
    dtype: str
    sgd_losses: Arr
    momentum_losses: Arr
    sgd_epoch_losses: Arr
    momentum_epoch_losses: Arr
    final_loss_sgd: float
    final_loss_momentum: float
    momentum_parameters: Arr


@dataclass(frozen=True, eq=False)
class LocalRate(Result):
    r"""Local convergence rate of full-batch ``torch.optim.SGD`` at a minimum of the network.

    Attributes
    ----------
    activation, lr, momentum, kappa_max, delta, steps, seed :
        The settings (echo).
    loss_at_minimum, gradient_norm : float
        Full-batch loss and gradient norm where L-BFGS stopped.
    pinned_kinks : int
        Live units whose kink sits on a data point (within ``1e-8`` relative): non-smooth points.
    eigenvalues : numpy.ndarray
        All Hessian eigenvalues, ascending.
    lambda_min, lambda_max : float
        The extreme eigenvalues.
    near_zero : int
        Eigenvalues with :math:`|h| \le 10^{-8} \lambda_{\max}` (symmetries, dead units).
    stiff_eigenvalues : numpy.ndarray
        :math:`h \ge \lambda_{\max}/\kappa_{\max}`; ``mu_stiff`` is the smallest.
    mu_stiff : float
    predicted_rate, measured_rate : float
        Largest predicted and measured rate over the stiff directions at ``(lr, momentum)``.
    relative_error : float
    predicted_rate_full_spectrum : float
        The prediction over every positive eigenvalue (near 1: the flat directions).
    direction_predicted, direction_measured, direction_residual : numpy.ndarray
        Per stiff direction.
    optimal_alpha, optimal_beta, optimal_rate : float
        :func:`hbtheory.optimal_parameters` for ``[mu_stiff, lambda_max]``.
    grid_alpha, grid_beta : numpy.ndarray
        The grid around the optimum (shape ``(k, m)``).
    grid_predicted, grid_measured, grid_residual : numpy.ndarray
        Predicted and measured local rates on the grid, and the worst fit residual there.
    """

    activation: str
    lr: float
    momentum: float
    kappa_max: float
    delta: float
    steps: int
    seed: int
    loss_at_minimum: float
    gradient_norm: float
    pinned_kinks: int
    eigenvalues: Arr
    lambda_min: float
    lambda_max: float
    near_zero: int
    stiff_eigenvalues: Arr
    mu_stiff: float
    predicted_rate: float
    measured_rate: float
    relative_error: float
    predicted_rate_full_spectrum: float
    direction_predicted: Arr
    direction_measured: Arr
    direction_residual: Arr
    optimal_alpha: float
    optimal_beta: float
    optimal_rate: float
    grid_alpha: Arr
    grid_beta: Arr
    grid_predicted: Arr
    grid_measured: Arr
    grid_residual: Arr


class _Problem:
    """Data, network and flat-parameter helpers shared by the training and the local analysis."""

    def __init__(
        self, torch: Any, *, activation: str, points: int, hidden: int, noise: float, seed: int, dev: Any, dt: Any
    ) -> None:
        self.torch = torch
        gen = torch.Generator().manual_seed(seed)
        x = torch.linspace(-1.0, 1.0, points, dtype=torch.float64).unsqueeze(1)
        y = x.pow(2) + noise * torch.randn(x.shape, generator=gen, dtype=torch.float64)
        self.x, self.y = x.to(device=dev, dtype=dt), y.to(device=dev, dtype=dt)
        with torch.random.fork_rng(devices=[]):  # seeded initialisation, global RNG untouched
            torch.manual_seed(seed)
            act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "softplus": torch.nn.Softplus}[activation]()
            net = torch.nn.Sequential(torch.nn.Linear(1, hidden), act, torch.nn.Linear(hidden, 1))
        self.template = net.to(device=dev, dtype=dt)
        self.names = [k for k, _ in self.template.named_parameters()]
        self.shapes = [p.shape for p in self.template.parameters()]
        self.sizes = [p.numel() for p in self.template.parameters()]
        self.gen = gen
        self.dev, self.dt = dev, dt

    def fresh(self) -> Any:
        """A copy of the initial network."""
        import copy

        return copy.deepcopy(self.template)

    def flat(self, net: Any) -> Any:
        return self.torch.cat([p.detach().reshape(-1) for p in net.parameters()])

    def unflat(self, v: Any) -> dict[str, Any]:
        parts = self.torch.split(v, self.sizes)
        return {n: p.reshape(s) for n, p, s in zip(self.names, parts, self.shapes, strict=True)}

    def load(self, net: Any, v: Any) -> None:
        with self.torch.no_grad():
            for p, q in zip(net.parameters(), self.unflat(v).values(), strict=True):
                p.copy_(q)

    def loss_of_flat(self, v: Any) -> Any:
        out = self.torch.func.functional_call(self.template, self.unflat(v), (self.x,))
        return self.torch.mean((out - self.y) ** 2)

    def full_loss(self, net: Any) -> float:
        with self.torch.no_grad():
            return float(self.torch.mean((net(self.x) - self.y) ** 2))


#: Hidden-unit activations of :func:`chapter_network` (the chapter uses ReLU).
ACTIVATIONS = ("relu", "tanh", "softplus")


def _check_common(points: Any, hidden: Any, noise: Any, seed: Any) -> tuple[int, int, float, int]:
    return (
        as_steps(points, "points", low=2),
        as_steps(hidden, "hidden", low=1),
        as_scalar(noise, "noise", low=0.0),
        as_seed(seed),
    )


def _check_activation(activation: Any) -> str:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"`activation` must be one of {ACTIVATIONS}, got {activation!r}")
    return activation


def chapter_network(
    *,
    lr: float = 0.01,
    momentum: float = 0.8,
    epochs: int = 12,
    batch_size: int = 32,
    activation: str = "relu",
    points: int = 1000,
    hidden: int = 20,
    noise: float = 0.1,
    seed: int = 1,
    device: Any = "cpu",
    dtype: Any = "float64",
    progress: bool | None = None,
) -> NetworkRun:
    r"""Train the chapter's 1-20-1 ReLU network with SGD and with momentum, side by side.

    Parameters
    ----------
    lr : float, optional
        Learning rate of both optimizers (the chapter's 0.01).
    momentum : float, optional
        Momentum of the second optimizer (the chapter's 0.8), in ``[0, 1)``.
    epochs, batch_size : int, optional
        The chapter's 12 and 32.
    activation : str, optional
        ``"relu"`` (the chapter's), ``"tanh"`` or ``"softplus"`` (smooth twins, see the module notes).
    points, hidden : int, optional
        The chapter's 1000 and 20.
    noise : float, optional
        Standard deviation of the label noise (0.1).
    seed : int, optional
        Seeds the data, the initial weights and the batch order.
    device, dtype : optional
        As in :func:`verify_quadratic`.
    progress : bool or None, optional
        tqdm bar (see :func:`verify_quadratic`).

    Returns
    -------
    NetworkRun

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> run = chapter_network(epochs=2)
    >>> run.sgd_losses.shape, run.final_loss_momentum < run.final_loss_sgd
    ((64,), True)
    """
    from_torch(lr, momentum)  # validates both
    n_epochs = as_steps(epochs, "epochs", low=1)
    pts, hid, nz, seed = _check_common(points, hidden, noise, seed)
    bsz = as_steps(batch_size, "batch_size", low=1)
    act = _check_activation(activation)
    dev = resolve_device(device)
    dt = resolve_dtype(dtype)
    batches = math.ceil(pts / bsz)
    with torch_session(dev) as torch:
        prob = _Problem(torch, activation=act, points=pts, hidden=hid, noise=nz, seed=seed, dev=dev, dt=dt)
        nets = [prob.fresh(), prob.fresh()]
        opts = [torch.optim.SGD(nets[0].parameters(), lr=float(lr)),
                torch.optim.SGD(nets[1].parameters(), lr=float(lr), momentum=float(momentum))]
        losses: list[list[float]] = [[], []]
        epoch_losses: list[list[float]] = [[], []]
        with Progress(n_epochs * batches, "chapter_network", progress) as bar:
            for _ in range(n_epochs):
                perm = torch.randperm(pts, generator=prob.gen).to(dev)
                for start in range(0, pts, bsz):
                    idx = perm[start : start + bsz]
                    bx, by = prob.x[idx], prob.y[idx]
                    for net, opt, hist in zip(nets, opts, losses, strict=True):
                        opt.zero_grad(set_to_none=True)
                        loss = torch.mean((net(bx) - by) ** 2)
                        loss.backward()
                        opt.step()
                        hist.append(float(loss.detach()))
                    bar.update()
                for net, hist in zip(nets, epoch_losses, strict=True):
                    hist.append(prob.full_loss(net))
        final = [prob.full_loss(net) for net in nets]
        params = prob.flat(nets[1]).to(device="cpu", dtype=torch.float64).numpy()
    return NetworkRun(
        activation=act,
        points=pts,
        hidden=hid,
        noise=nz,
        batch_size=bsz,
        epochs=n_epochs,
        lr=float(lr),
        momentum=float(momentum),
        seed=seed,
        device=str(dev),
        dtype=str(dt).replace("torch.", ""),
        sgd_losses=frozen_array(losses[0]),
        momentum_losses=frozen_array(losses[1]),
        sgd_epoch_losses=frozen_array(epoch_losses[0]),
        momentum_epoch_losses=frozen_array(epoch_losses[1]),
        final_loss_sgd=final[0],
        final_loss_momentum=final[1],
        momentum_parameters=frozen_array(params),
    )


def local_rate(
    run: NetworkRun | None = None,
    *,
    lr: float | None = None,
    momentum: float | None = None,
    kappa_max: float = 1000.0,
    delta: float = 1e-6,
    steps: int = 100,
    rel_floor: float = 1e-2,
    alpha_factors: Any = (0.5, 0.75, 1.0),
    beta_fractions: Any = (0.0, 1.0 / 3.0, 2.0 / 3.0),
    lbfgs_iterations: int = 500,
    seed: int = 0,
    progress: bool | None = None,
) -> LocalRate:
    r"""Predicted against measured local rate of full-batch ``torch.optim.SGD`` at a minimum of the network.

    Parameters
    ----------
    run : NetworkRun, optional
        Where to start the search for a minimum (the trained momentum network, whose data and
        network settings are reused); by default ``chapter_network(activation="tanh")`` (see the
        module notes for why not ReLU).
    lr, momentum : float, optional
        The optimizer whose local rate is predicted and measured; default the run's.
    kappa_max : float, optional
        The stiff subspace is :math:`h \ge \lambda_{\max}/\kappa_{\max}`, ``> 1``.
    delta : float, optional
        Size of the starting perturbation, ``> 0``.
    steps : int, optional
        Full-batch steps per measurement, ``>= 3``.
    rel_floor : float, optional
        A direction's difference is fitted while it is above this fraction of its largest value
        (below, rounding and the nonlinear terms weigh more), in ``(0, 1)``.
    alpha_factors, beta_fractions : array_like, optional
        The grid :math:`\alpha^* a_i` by :math:`\beta^* + f_j (1 - \beta^*)` around the optimum.
    lbfgs_iterations : int, optional
        Budget of the full-batch L-BFGS search for the minimum.
    seed : int, optional
        Seeds the perturbation direction.
    progress : bool or None, optional
        tqdm bar over the measurements.

    Returns
    -------
    LocalRate

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> run = chapter_network(activation="tanh", epochs=2)
    >>> res = local_rate(run, alpha_factors=[1.0], beta_fractions=[0.0])
    >>> res.relative_error < 1e-5
    True
    """
    if run is None:
        run = chapter_network(activation="tanh")
    if not isinstance(run, NetworkRun):
        raise TypeError(f"`run` must be a NetworkRun, got {type(run).__name__}")
    lr_f = run.lr if lr is None else lr
    mom_f = run.momentum if momentum is None else momentum
    canon = from_torch(lr_f, mom_f)
    kmax = as_scalar(kappa_max, "kappa_max", low=1.0, low_open=True)
    dlt = as_scalar(delta, "delta", low=0.0, low_open=True)
    n_steps = as_steps(steps, low=3)
    rf = as_scalar(rel_floor, "rel_floor", low=0.0, high=1.0, low_open=True, high_open=True)
    afs = np.atleast_1d(np.asarray(alpha_factors, dtype=np.float64))
    bfs = np.atleast_1d(np.asarray(beta_fractions, dtype=np.float64))
    if afs.ndim != 1 or (afs <= 0).any() or not np.isfinite(afs).all():
        raise ValueError("`alpha_factors` must be a 1-D array of positive numbers")
    if bfs.ndim != 1 or (bfs < 0).any() or (bfs >= 1).any():
        raise ValueError("`beta_fractions` must be a 1-D array of numbers in [0, 1)")
    n_lbfgs = as_steps(lbfgs_iterations, "lbfgs_iterations", low=1)
    seed = as_seed(seed)
    dev = resolve_device(run.device)
    dt = resolve_dtype(run.dtype)

    with torch_session(dev) as torch:
        prob = _Problem(torch, activation=run.activation, points=run.points, hidden=run.hidden, noise=run.noise,
                        seed=run.seed, dev=dev, dt=dt)
        net = prob.fresh()
        prob.load(net, torch.tensor(run.momentum_parameters, dtype=dt, device=dev))

        # 1. a minimum by full-batch training
        lbfgs = torch.optim.LBFGS(net.parameters(), lr=1.0, max_iter=n_lbfgs, max_eval=2 * n_lbfgs,
                                  tolerance_grad=1e-13, tolerance_change=0.0, history_size=50,
                                  line_search_fn="strong_wolfe")

        def closure() -> Any:
            lbfgs.zero_grad(set_to_none=True)
            loss = torch.mean((net(prob.x) - prob.y) ** 2)
            loss.backward()
            return loss

        lbfgs.step(closure)
        theta = prob.flat(net)
        grad = torch.func.grad(prob.loss_of_flat)(theta)
        # reverse over reverse: torch.func.hessian's forward mode loads TorchScript decompositions
        # and warns about their deprecation
        hess = torch.func.jacrev(torch.func.jacrev(prob.loss_of_flat))(theta)
        loss_min = float(prob.loss_of_flat(theta))
        w1, b1 = (net[0].weight.detach()[:, 0], net[0].bias.detach())
        pre = prob.x @ net[0].weight.detach().T + b1
        live = (pre > 0).any(dim=0)
        margin = pre.abs().min(dim=0).values / (w1.abs() + b1.abs())
        pinned = int(((margin < 1e-8) & live).sum())
        theta_np = theta.to(device="cpu", dtype=torch.float64).numpy()
        grad_norm = float(torch.linalg.vector_norm(grad))
        hess_np = hess.to(device="cpu", dtype=torch.float64).numpy()

        # 2. the spectrum and the stiff subspace
        evals, evecs = np.linalg.eigh(0.5 * (hess_np + hess_np.T))
        lam_max = float(evals[-1])
        stiff = evals >= lam_max / kmax
        h_s, v_s = evals[stiff], evecs[:, stiff]
        coef = np.random.default_rng(seed).standard_normal(h_s.size)
        u = v_s @ coef
        u /= np.linalg.norm(u)

        def trajectory(start: Arr, a: float, b: float) -> Arr:
            prob.load(net, torch.tensor(start, dtype=dt, device=dev))
            opt = torch.optim.SGD(net.parameters(), lr=a, momentum=b)
            hist = [prob.flat(net)]
            for _ in range(n_steps):
                opt.zero_grad(set_to_none=True)
                torch.mean((net(prob.x) - prob.y) ** 2).backward()
                opt.step()
                hist.append(prob.flat(net))
            return np.asarray(torch.stack(hist).to(device="cpu", dtype=torch.float64).numpy())

        def measure(a: float, b: float) -> tuple[Arr, Arr]:
            # the perturbed run minus the unperturbed one: the linearised dynamics, without the
            # slow drift that the residual gradient of the flat directions drives in both
            diff = trajectory(theta_np + dlt * u, a, b) - trajectory(theta_np, a, b)
            fit = fit_recurrence(diff @ v_s, rel_floor=rf)
            return np.asarray(fit.rate), np.asarray(fit.residual)

        # 3. the given (lr, momentum), 4. the grid around the optimum
        tuning = optimal_parameters(mu=float(h_s.min()), L=lam_max)
        ga = tuning.alpha * afs[:, None] * np.ones_like(bfs)[None, :]
        gb = np.ones_like(afs)[:, None] * (tuning.beta + bfs[None, :] * (1.0 - tuning.beta))
        with Progress(1 + ga.size, "local_rate", progress) as bar:
            rates, resid = measure(canon.alpha, canon.beta)
            bar.update()
            g_meas = np.empty(ga.shape)
            g_res = np.empty(ga.shape)
            for idx in np.ndindex(ga.shape):
                r, res = measure(float(ga[idx]), float(gb[idx]))
                g_meas[idx] = np.nanmax(r) if np.isfinite(r).any() else np.nan
                g_res[idx] = np.nanmax(res) if np.isfinite(res).any() else np.nan
                bar.update()

    pred_dir = np.asarray(spectral.spectral_radius(canon.alpha, canon.beta, h_s), dtype=np.float64)
    positive = evals[evals > 0]
    pred_full = float(np.max(spectral.spectral_radius(canon.alpha, canon.beta, positive))) if positive.size else 1.0
    measured = float(np.nanmax(rates)) if np.isfinite(rates).any() else float("nan")
    predicted = float(pred_dir.max())
    grid_pred = np.asarray(spectral.worst_case_rate(ga, gb, float(h_s.min()), lam_max), dtype=np.float64)
    return LocalRate(
        activation=run.activation,
        lr=canon.alpha,
        momentum=canon.beta,
        kappa_max=kmax,
        delta=dlt,
        steps=n_steps,
        seed=seed,
        loss_at_minimum=loss_min,
        gradient_norm=grad_norm,
        pinned_kinks=pinned,
        eigenvalues=frozen_array(evals),
        lambda_min=float(evals[0]),
        lambda_max=lam_max,
        near_zero=int(np.sum(np.abs(evals) <= 1e-8 * lam_max)),
        stiff_eigenvalues=frozen_array(h_s),
        mu_stiff=float(h_s.min()),
        predicted_rate=predicted,
        measured_rate=measured,
        relative_error=abs(measured - predicted) / predicted,
        predicted_rate_full_spectrum=pred_full,
        direction_predicted=frozen_array(pred_dir),
        direction_measured=frozen_array(rates),
        direction_residual=frozen_array(resid),
        optimal_alpha=tuning.alpha,
        optimal_beta=tuning.beta,
        optimal_rate=tuning.rate,
        grid_alpha=frozen_array(ga),
        grid_beta=frozen_array(gb),
        grid_predicted=frozen_array(grid_pred),
        grid_measured=frozen_array(g_meas),
        grid_residual=frozen_array(g_res),
    )
