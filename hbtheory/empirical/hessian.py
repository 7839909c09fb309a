r"""The curvature of a user's torch model: extreme Hessian eigenvalues and the spectral density.

A person training a network does not know the spectrum interval :math:`[\mu, L]` that the theory
of :mod:`hbtheory.tuning` starts from. This module estimates it at the model's current
parameters :math:`\theta` from Hessian-vector products alone, never forming the Hessian:

* :func:`hessian_extremes` - the ``k`` largest and ``k`` smallest (most negative) eigenvalues of
  :math:`H = \nabla^2 \ell(\theta)` by the Lanczos method with full reorthogonalisation;
* :func:`spectral_density` - the shape of the whole spectrum by stochastic Lanczos quadrature
  (Ubaru, Chen and Saad 2017; Ghorbani, Krishnan and Xiao 2019).

**The objective.** ``data`` is one batch ``(inputs, targets)`` or a list of such batches; the
loss is :math:`\ell(\theta) = \sum_b (n_b/N)\, \mathrm{loss\_fn}(\mathrm{model}(x_b), y_b)`
with :math:`n_b` the batch's length and :math:`N` their sum, which is the full-data mean for a
mean-reduced ``loss_fn`` (a fixed evaluation batch is the one-batch case). ``inputs`` may be a
tuple of tensors, passed to the model as positional arguments. The Hessian is taken with respect
to the parameters that require a gradient (frozen ones are constants), in the order of
``model.named_parameters()``.

**Hessian-vector products** are double backward (reverse over reverse): the gradient's graph is
built once per call (one batch) and each product is one more backward pass through it.
``torch.func``'s forward-over-reverse ``jvp(grad)`` would do the same work but loads TorchScript
decompositions that warn of their deprecation in torch 2.13. A product costs about two
gradients; ``hvps`` in each result counts them.

**The user's model is never changed.** The computation runs ``torch.func.functional_call`` on
detached copies of the parameters and buffers (a batch-norm layer in training mode updates the
copies' running statistics, not the model's); the parameters, their ``requires_grad`` flags and
``.grad`` fields, the buffers and the training mode are as before.

**Lanczos** (Golub and Van Loan, *Matrix Computations*, 4th ed., section 10.1): with
:math:`q_1` a seeded random unit vector, :math:`H Q_m = Q_m T_m + \beta_m q_{m+1} e_m^\top` with
:math:`T_m` tridiagonal. Each new vector is orthogonalised twice against all previous ones
("twice is enough"), so the basis is orthonormal to rounding and no spurious copies of converged
eigenvalues appear; memory is ``m`` vectors of the model's size. A Ritz value :math:`\theta_i` of
:math:`T_m` with Ritz vector :math:`y_i = Q_m s_i` has residual
:math:`\|H y_i - \theta_i y_i\| = \beta_m |e_m^\top s_i|`, and an eigenvalue of :math:`H` lies
within that residual of :math:`\theta_i` (within residual squared over the gap once the gap is
known). A pair counts as converged when its residual is at most ``tol`` times the largest
:math:`|\theta|`; the iteration stops when the ``k`` pairs at each end have converged, when the
Krylov space is invariant (then the Ritz values are eigenvalues: a model with fewer parameters
than ``max_iter`` is solved exactly), or at ``max_iter`` (then ``converged`` is ``False`` and the
residuals say how far off the values may be). A single start vector finds one copy of a
multiple eigenvalue, as every unblocked Krylov method does.

**Stochastic Lanczos quadrature.** For a Rademacher vector :math:`v` scaled to unit length,
:math:`m` Lanczos steps from :math:`v` give the Gauss quadrature rule
:math:`v^\top g(H) v \approx \sum_j \tau_j\, g(\theta_j)` with nodes :math:`\theta_j`, the
eigenvalues of :math:`T_m`, and weights :math:`\tau_j = (e_1^\top s_j)^2`. Averaged over the
vectors it estimates the spectral measure :math:`\frac1n \sum_i \delta(t - \lambda_i)`; the
density is that measure smoothed by a Gaussian of width ``sigma``. The rule is exact for
polynomials of degree :math:`2m - 1`; in particular :math:`n \sum_j \tau_j \theta_j = v^\top H v`
(Hutchinson's trace estimate), and with :math:`m = n` the nodes are the eigenvalues.

References
----------
.. [1] C. Lanczos, "An iteration method for the solution of the eigenvalue problem of linear
   differential and integral operators", J. Res. Nat. Bur. Standards 45:255-282, 1950.
.. [2] S. Ubaru, J. Chen, Y. Saad, "Fast estimation of tr(f(A)) via stochastic Lanczos
   quadrature", SIAM J. Matrix Anal. Appl. 38(4):1075-1099, 2017.
.. [3] B. Ghorbani, S. Krishnan, Y. Xiao, "An investigation into neural net optimization via
   Hessian eigenvalue density", ICML 2019.
.. [4] B. A. Pearlmutter, "Fast exact multiplication by the Hessian", Neural Computation
   6(1):147-160, 1994.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._result import Result, frozen_array
from hbtheory._validation import as_scalar
from hbtheory.empirical._checks import as_seed, as_steps
from hbtheory.empirical._progress import Progress
from hbtheory.empirical._torch import require_torch, resolve_device, resolve_dtype

__all__ = [
    "HessianExtremes",
    "LossError",
    "SpectralDensity",
    "hessian_extremes",
    "spectral_density",
]

Arr = NDArray[np.float64]


class LossError(ValueError):
    """The loss (or its derivatives) is not a finite scalar at the model's parameters.

    Examples
    --------
    >>> import torch
    >>> x, y = torch.ones(2, 1), torch.tensor([[0.0], [float("nan")]])
    >>> try:
    ...     hessian_extremes(torch.nn.Linear(1, 1), torch.nn.functional.mse_loss, (x, y))
    ... except LossError as exc:
    ...     print(str(exc)[:40])
    `loss_fn` returned nan on `data` batch 0
    """


# --------------------------------------------------------------------------------------------
# The objective: a user's model, loss and data as a function of one flat parameter vector
# --------------------------------------------------------------------------------------------


def _as_batches(torch: Any, data: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """``data`` as a list of ``((inputs...), targets)``."""

    def is_inputs(x: Any) -> bool:
        return isinstance(x, torch.Tensor) or (
            isinstance(x, tuple) and len(x) > 0 and all(isinstance(t, torch.Tensor) for t in x))

    if isinstance(data, tuple | list) and len(data) == 2 and is_inputs(data[0]) and isinstance(data[1], torch.Tensor):
        raw = [data]
    elif isinstance(data, tuple | list) or (hasattr(data, "__iter__") and not isinstance(data, torch.Tensor)):
        raw = list(data)
    else:
        raise TypeError(f"`data` must be a pair (inputs, targets) or a list of such pairs, got {type(data).__name__}")
    if not raw:
        raise ValueError("`data` is empty: give a pair (inputs, targets) or a non-empty list of pairs")
    batches = []
    for i, item in enumerate(raw):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise TypeError(f"`data` batch {i} must be a pair (inputs, targets), got {type(item).__name__}")
        inputs, targets = item
        ins = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
        for t in (*ins, targets):
            if not isinstance(t, torch.Tensor):
                raise TypeError(f"`data` batch {i} must hold tensors, got {type(t).__name__}")
        if ins[0].ndim == 0:
            raise ValueError(f"`data` batch {i}: inputs must have a batch dimension")
        batches.append((ins, targets))
    return batches


def _trainable(torch: Any, model: Any) -> list[tuple[str, Any]]:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module, got {type(model).__name__}")
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not named:
        raise ValueError("`model` has no parameters that require a gradient: there is no Hessian to estimate")
    return named


class _Objective:
    """A user's (model, loss_fn, data) as a loss of one flat parameter vector, on copies."""

    def __init__(self, model: Any, loss_fn: Any, data: Any, *, device: Any = None, dtype: Any = None) -> None:
        torch = require_torch()
        self.torch = torch
        named = _trainable(torch, model)
        if not callable(loss_fn):
            raise TypeError(f"`loss_fn` must be callable as loss_fn(output, targets), got {type(loss_fn).__name__}")
        first = named[0][1]
        self.device = first.device if device is None else resolve_device(device)
        self.dtype = first.dtype if dtype is None else resolve_dtype(dtype)
        if not self.dtype.is_floating_point:
            raise TypeError(f"`model` parameters must be floating point, got {self.dtype}")
        self.model, self.loss_fn = model, loss_fn
        self.names = [n for n, _ in named]
        self.shapes = [p.shape for _, p in named]
        self.sizes = [p.numel() for _, p in named]
        self.n = int(sum(self.sizes))
        frozen = {n: p for n, p in model.named_parameters() if not p.requires_grad}
        self.constants = {n: t.detach().to(device=self.device, dtype=self._cast(t)).clone() for n, t in frozen.items()}
        self.buffers = {n: b.detach().to(device=self.device, dtype=self._cast(b)).clone()
                        for n, b in model.named_buffers()}
        self.batches = []
        total = 0
        for i, (ins, targets) in enumerate(_as_batches(torch, data)):
            for t in (*ins, targets):
                if t.device != self.device:
                    raise ValueError(f"`data` batch {i} is on {t.device} but the computation runs on {self.device}: "
                                     f"move the data with .to({str(self.device)!r}) (the model's parameters are "
                                     f"on {first.device})")
            ins = tuple(t.to(self._cast(t)) for t in ins)
            self.batches.append((ins, targets.to(self._cast(targets)), int(ins[0].shape[0])))
            total += int(ins[0].shape[0])
        self.weights = [b[2] / total for b in self.batches]
        self.theta = torch.cat([p.detach().reshape(-1) for _, p in named]).to(device=self.device, dtype=self.dtype)
        self._graph: tuple[Any, Any, Any] | None = None

    def _cast(self, t: Any) -> Any:
        return self.dtype if t.dtype.is_floating_point else t.dtype

    def unflat(self, v: Any) -> dict[str, Any]:
        parts = self.torch.split(v, self.sizes)
        return {n: p.reshape(s) for n, p, s in zip(self.names, parts, self.shapes, strict=True)}

    def batch_loss(self, params: dict[str, Any], b: int, check: bool = True) -> Any:
        torch = self.torch
        ins, targets, _ = self.batches[b]
        state = {**params, **self.constants, **self.buffers}
        out = torch.func.functional_call(self.model, state, ins)
        loss = self.loss_fn(out, targets)
        if not check:  # inside vmap: no data-dependent control flow
            return loss.reshape(())
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
            raise LossError(f"`loss_fn` must return a scalar tensor, got {shape} (use a reduction such as mean)")
        if not bool(torch.isfinite(loss.detach()).all()):
            raise LossError(f"`loss_fn` returned {float(loss.detach())} on `data` batch {b} at the model's "
                            f"current parameters: the loss must be finite")
        return loss.reshape(())

    def loss(self, flat: Any, check: bool = True) -> Any:
        params = self.unflat(flat)
        return sum(w * self.batch_loss(params, b, check) for b, w in enumerate(self.weights))

    def _flat_grad(self, loss: Any, leaves: list[Any], create_graph: bool) -> Any:
        torch = self.torch
        grads = torch.autograd.grad(loss, leaves, create_graph=create_graph, allow_unused=True)
        return torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for g, p in zip(grads, leaves,
                                                                                               strict=True)])

    def _build(self, b: int) -> tuple[Any, Any, Any]:
        leaves = [p.clone().requires_grad_(True) for p in self.unflat(self.theta).values()]
        with self.torch.enable_grad():
            loss = self.batch_loss(dict(zip(self.names, leaves, strict=True)), b)
            g = self._flat_grad(loss, leaves, True)
        return loss.detach(), g, leaves

    def loss_and_grad(self) -> tuple[float, Any]:
        """Loss and gradient at ``theta`` (also builds the graph reused by :meth:`hvp`)."""
        total, grad = 0.0, self.torch.zeros_like(self.theta)
        for b, w in enumerate(self.weights):
            loss, g, leaves = self._build(b)
            if len(self.batches) == 1:
                self._graph = (loss, g, leaves)
            total += w * float(loss)
            grad += w * g.detach()
        if not bool(self.torch.isfinite(grad).all()):
            raise LossError("the gradient of the loss is not finite at the model's current parameters")
        return total, grad

    def hvp(self, v: Any) -> Any:
        """``H v`` by double backward; ``v`` is a flat vector of the compute dtype."""
        torch = self.torch
        out = torch.zeros_like(self.theta)
        for b, w in enumerate(self.weights):
            if self._graph is not None:
                _, g, leaves = self._graph
            else:
                _, g, leaves = self._build(b)
            if g.requires_grad:
                with torch.enable_grad():
                    out += w * self._hv(g, leaves, v)
        if not bool(torch.isfinite(out).all()):
            raise LossError("a Hessian-vector product is not finite at the model's current parameters")
        return out

    def _hv(self, g: Any, leaves: list[Any], v: Any) -> Any:
        torch = self.torch
        hv = torch.autograd.grad(g, leaves, grad_outputs=v, retain_graph=True, allow_unused=True)
        return torch.cat([(torch.zeros_like(p) if h is None else h).reshape(-1) for h, p in zip(hv, leaves,
                                                                                               strict=True)])


# --------------------------------------------------------------------------------------------
# Lanczos
# --------------------------------------------------------------------------------------------


class _Lanczos:
    """Lanczos with full reorthogonalisation (twice) on a symmetric operator given by products."""

    def __init__(self, torch: Any, matvec: Callable[[Any], Any], start: Any, capacity: int) -> None:
        self.torch, self.matvec = torch, matvec
        self.Q = torch.empty((capacity + 1, start.numel()), dtype=start.dtype, device=start.device)
        self.Q[0] = start / torch.linalg.vector_norm(start)
        self.alpha: list[float] = []
        self.beta: list[float] = []
        self.invariant = False
        self.products = 0

    def step(self) -> None:
        j = len(self.alpha)
        q = self.Q[j]
        w = self.matvec(q)
        self.products += 1
        a = float(q @ w)
        w = w - a * q
        if j > 0:
            w = w - self.beta[-1] * self.Q[j - 1]
        basis = self.Q[: j + 1]
        for _ in range(2):
            w = w - basis.T @ (basis @ w)
        b = float(self.torch.linalg.vector_norm(w))
        self.alpha.append(a)
        self.beta.append(b)
        scale = max(abs(x) for x in self.alpha) + max(self.beta)
        if not b > 64 * np.finfo(np.float64).eps * scale * math.sqrt(j + 1) or b == 0.0:
            self.invariant = True
        else:
            self.Q[j + 1] = w / b

    def ritz(self) -> tuple[Arr, Arr, Arr]:
        """Ritz values (ascending), the residual norms ``beta_m |s_m|``, first components ``s_1``."""
        from scipy.linalg import eigh_tridiagonal

        a = np.asarray(self.alpha)
        if a.size == 1:
            theta, s = a.copy(), np.ones((1, 1))
        else:
            theta, s = eigh_tridiagonal(a, np.asarray(self.beta[:-1]))
        resid = np.zeros_like(theta) if self.invariant else abs(self.beta[-1]) * np.abs(s[-1, :])
        return theta, resid, s[0, :]


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HessianExtremes(Result):
    r"""The extreme eigenvalues of a model's loss Hessian, by Lanczos.

    Attributes
    ----------
    largest : numpy.ndarray
        The ``k`` largest eigenvalues, descending (``largest[0]`` is :math:`\lambda_{\max}`).
    smallest : numpy.ndarray
        The ``k`` smallest (algebraically: negative ones first), ascending.
    largest_residual, smallest_residual : numpy.ndarray
        Residual norms :math:`\|H y - \theta y\|` of the Ritz pairs: an eigenvalue of :math:`H`
        lies within this distance of each reported value.
    negative : int
        Ritz values found below ``-tol * max|theta|`` (at least this many directions of negative
        curvature, counting converged ones only at the ends).
    converged : bool
        Every reported pair has residual ``<= tol * max|theta|``.
    invariant : bool
        The Krylov space became invariant: the reported values are eigenvalues (to rounding).
    iterations, hvps : int
        Lanczos steps and Hessian-vector products (equal here).
    n_parameters : int
        Size of the Hessian.
    loss, gradient_norm : float
        The loss and the 2-norm of its gradient at the parameters.
    k, tol, seed : echo of the settings.

    Examples
    --------
    >>> import torch
    >>> x = torch.diag(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    >>> ext = hessian_extremes(torch.nn.Linear(3, 1, bias=False).double(), torch.nn.functional.mse_loss,
    ...                        (x, torch.zeros(3, 1, dtype=torch.float64)), k=2)
    >>> ext.largest.round(9).tolist(), ext.smallest.round(9).tolist(), ext.hvps
    ([6.0, 2.666666667], [0.666666667, 2.666666667], 3)
    """

    largest: Arr
    smallest: Arr
    largest_residual: Arr
    smallest_residual: Arr
    negative: int
    converged: bool
    invariant: bool
    iterations: int
    hvps: int
    n_parameters: int
    loss: float
    gradient_norm: float
    k: int
    tol: float
    seed: int

    @property
    def lambda_max(self) -> float:
        """The largest eigenvalue."""
        return float(self.largest[0])

    @property
    def lambda_min(self) -> float:
        """The smallest eigenvalue (negative when the point is not a minimum)."""
        return float(self.smallest[0])


@dataclass(frozen=True, eq=False)
class SpectralDensity(Result):
    r"""The Hessian's spectral density by stochastic Lanczos quadrature.

    Attributes
    ----------
    nodes, weights : numpy.ndarray
        Shape ``(vectors, steps)``: the Gauss quadrature nodes :math:`\theta_j` and weights
        :math:`\tau_j` of each probe vector (each row of ``weights`` sums to 1).
    grid, density : numpy.ndarray
        The smoothed density on a grid: :math:`\phi(t) = \frac1{V}\sum_{v,j} \tau_{vj}
        \mathcal N(t; \theta_{vj}, \sigma^2)`, integrating to 1.
    sigma : float
        Width of the Gaussian kernel.
    trace : float
        Hutchinson's estimate of :math:`\mathrm{tr}\,H`, :math:`n \cdot` mean of
        :math:`\sum_j \tau_j \theta_j`.
    n_parameters, vectors, steps, hvps, seed : int

    Examples
    --------
    >>> import torch
    >>> x = torch.eye(4, dtype=torch.float64)            # H = I / 2
    >>> d = spectral_density(torch.nn.Linear(4, 1, bias=False).double(), torch.nn.functional.mse_loss,
    ...                      (x, torch.zeros(4, 1, dtype=torch.float64)))
    >>> round(d.trace, 12), d.quantile(0.5), float(d.cdf(0.4))
    (2.0, 0.5, 0.0)
    """

    nodes: Arr
    weights: Arr
    grid: Arr
    density: Arr
    sigma: float
    trace: float
    n_parameters: int
    vectors: int
    steps: int
    hvps: int
    seed: int

    def cdf(self, t: Any) -> Arr:
        """The estimated fraction of eigenvalues ``<= t`` (the quadrature measure, unsmoothed)."""
        w = self.weights.ravel() / self.vectors
        x = self.nodes.ravel()
        tt = np.asarray(t, dtype=np.float64)
        return np.asarray((w[None, :] * (x[None, :] <= tt.reshape(-1, 1))).sum(axis=1).reshape(tt.shape))

    def quantile(self, q: float) -> float:
        """The smallest node ``t`` with estimated :meth:`cdf` ``>= q``, ``q`` in ``(0, 1]``.

        Examples
        --------
        >>> import numpy as np
        >>> d = SpectralDensity(np.array([[1.0, 3.0]]), np.array([[0.25, 0.75]]), np.zeros(1), np.zeros(1),
        ...                     0.1, 2.5, 2, 1, 2, 2, 0)
        >>> d.quantile(0.2), d.quantile(0.5)
        (1.0, 3.0)
        """
        qq = as_scalar(q, "q", low=0.0, high=1.0, low_open=True)
        x = self.nodes.ravel()
        order = np.argsort(x, kind="stable")
        c = np.cumsum(self.weights.ravel()[order]) / self.vectors
        i = int(np.searchsorted(c, qq * (1.0 - 1e-12), side="left"))
        return float(x[order][min(i, x.size - 1)])


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def _start_vector(torch: Any, n: int, seed: int, like: Any, rademacher: bool = False) -> Any:
    gen = torch.Generator().manual_seed(seed)
    if rademacher:
        v = torch.randint(0, 2, (n,), generator=gen, dtype=torch.float64) * 2.0 - 1.0
    else:
        v = torch.randn((n,), generator=gen, dtype=torch.float64)
    return v.to(device=like.device, dtype=like.dtype)


def hessian_extremes(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    data: Any,
    *,
    k: int = 1,
    tol: float = 1e-8,
    max_iter: int = 300,
    seed: int = 0,
    device: Any = None,
    dtype: Any = None,
    progress: bool | None = None,
) -> HessianExtremes:
    r"""The ``k`` largest and ``k`` smallest eigenvalues of the loss Hessian, by Lanczos.

    The problem: the extreme eigenvalues of :math:`H = \nabla^2 \ell(\theta)` at the model's
    current parameters, with :math:`\ell` the (batch-weighted) loss of the module notes.

    **Algorithm**: Lanczos with full reorthogonalisation on Hessian-vector products (double
    backward), started from a seeded Gaussian vector; stops when the ``k`` Ritz pairs at each
    end have residual ``<= tol * max|theta|``, the Krylov space is invariant, or after
    ``max_iter`` products. Deterministic for a given seed (on the CPU, at a fixed thread count).

    Parameters
    ----------
    model : torch.nn.Module
        The model, at the parameters to analyse (unchanged by the call).
    loss_fn : callable
        ``loss_fn(model(inputs), targets)`` returns a scalar tensor.
    data : pair or list of pairs
        ``(inputs, targets)``, or a list of such batches (weighted by their lengths); on the
        computation's device.
    k : int, optional
        Eigenvalues wanted at each end, ``>= 1``.
    tol : float, optional
        Relative residual at which a Ritz pair counts as converged, in ``(0, 1)``.
    max_iter : int, optional
        Most Lanczos steps (Hessian-vector products), ``>= 1``; memory is ``max_iter`` vectors.
    seed : int, optional
        Seeds the start vector.
    device, dtype : optional
        Where and in which precision to compute (default: the model's); the data must already be
        on that device.
    progress : bool or None, optional
        A tqdm bar over the products (default: on a terminal, for runs over 2 s).

    Returns
    -------
    HessianExtremes

    Raises
    ------
    TypeError
        ``model`` is not a ``torch.nn.Module``, ``loss_fn`` is not callable, ``data`` is not tensors.
    ValueError
        The model has no trainable parameters, data are on another device, a setting is out of range.
    LossError
        (a ``ValueError``) the loss is not a scalar, or it, its gradient or a product is not finite.

    Examples
    --------
    >>> import torch
    >>> from hbtheory.empirical import hessian_extremes
    >>> model = torch.nn.Linear(2, 1, bias=False).double()
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)   # H = 2 X^T X / 2
    >>> y = torch.zeros(2, 1, dtype=torch.float64)
    >>> ext = hessian_extremes(model, torch.nn.functional.mse_loss, (x, y))
    >>> round(ext.lambda_max, 12), round(ext.lambda_min, 12), ext.invariant
    (4.0, 1.0, True)
    """
    kk = as_steps(k, "k", low=1)
    tl = as_scalar(tol, "tol", low=0.0, high=1.0, low_open=True, high_open=True)
    cap = as_steps(max_iter, "max_iter", low=1)
    seed = as_seed(seed)
    obj = _Objective(model, loss_fn, data, device=device, dtype=dtype)
    torch = obj.torch
    loss, grad = obj.loss_and_grad()
    cap = min(cap, obj.n)
    lz = _Lanczos(torch, obj.hvp, _start_vector(torch, obj.n, seed, obj.theta), cap)
    with Progress(cap, "hessian_extremes", progress) as bar:
        while True:
            lz.step()
            bar.update()
            m = len(lz.alpha)
            if lz.invariant or m >= cap:
                break
            if m >= 2 * kk and (m % 4 == 0 or m < 16):
                theta, resid, _ = lz.ritz()
                scale = float(np.max(np.abs(theta)))
                ends = np.r_[resid[:kk], resid[-kk:]]
                if scale == 0.0 or bool(np.all(ends <= tl * scale)):
                    break
    theta, resid, _ = lz.ritz()
    kk_eff = min(kk, theta.size)
    scale = float(np.max(np.abs(theta)))
    ok = (resid <= tl * scale) | (scale == 0.0)
    big = slice(theta.size - 1, theta.size - 1 - kk_eff, -1) if theta.size > kk_eff else slice(None, None, -1)
    largest, largest_r = theta[big], resid[big]
    smallest, smallest_r = theta[:kk_eff], resid[:kk_eff]
    converged = bool(lz.invariant or (np.all(ok[:kk_eff]) and np.all(ok[theta.size - kk_eff:])))
    return HessianExtremes(
        largest=frozen_array(largest),
        smallest=frozen_array(smallest),
        largest_residual=frozen_array(largest_r),
        smallest_residual=frozen_array(smallest_r),
        negative=int(np.sum((theta < -tl * scale) & ok)),
        converged=converged,
        invariant=bool(lz.invariant),
        iterations=len(lz.alpha),
        hvps=lz.products,
        n_parameters=obj.n,
        loss=float(loss),
        gradient_norm=float(torch.linalg.vector_norm(grad)),
        k=kk,
        tol=tl,
        seed=seed,
    )


def spectral_density(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    data: Any,
    *,
    vectors: int = 8,
    steps: int = 60,
    sigma: float | None = None,
    points: int = 400,
    seed: int = 0,
    device: Any = None,
    dtype: Any = None,
    progress: bool | None = None,
) -> SpectralDensity:
    r"""The Hessian's eigenvalue density by stochastic Lanczos quadrature.

    **Algorithm** (Ubaru, Chen and Saad 2017, algorithm 1; Ghorbani, Krishnan and Xiao 2019,
    section 2): ``vectors`` seeded Rademacher probes, ``steps`` Lanczos steps from each with full
    reorthogonalisation; the nodes and weights of each probe's Gauss rule, and their average
    smoothed by a Gaussian of width ``sigma``.

    **Theoretical guarantee**: each rule is exact for polynomials of degree up to ``2 steps - 1``
    in the probe's spectral measure, so the estimated trace ``n * sum(tau * theta)`` equals
    Hutchinson's :math:`v^\top H v` exactly, and with ``steps >= n`` the nodes are eigenvalues.
    The error of a smooth functional decays like :math:`1/\sqrt{\text{vectors}}` (the probes'
    sampling) plus a term exponentially small in ``steps``.

    Parameters
    ----------
    model, loss_fn, data, seed, device, dtype, progress :
        As in :func:`hessian_extremes`.
    vectors : int, optional
        Probe vectors, ``>= 1``.
    steps : int, optional
        Lanczos steps per probe, ``>= 1`` (capped at the number of parameters).
    sigma : float, optional
        Kernel width, ``> 0``; default ``(max - min node) / 100`` (or 1 for a single node value).
    points : int, optional
        Size of the grid, ``>= 2``.

    Returns
    -------
    SpectralDensity

    Examples
    --------
    >>> import torch
    >>> from hbtheory.empirical import spectral_density
    >>> model = torch.nn.Linear(3, 1, bias=False).double()
    >>> x = torch.diag(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    >>> d = spectral_density(model, torch.nn.functional.mse_loss, (x, torch.zeros(3, 1, dtype=torch.float64)))
    >>> sorted({round(t, 9) for t in d.nodes.ravel().tolist()})        # H = diag(2, 8, 18) / 3
    [0.666666667, 2.666666667, 6.0]
    >>> round(d.trace, 9)
    9.333333333
    """
    nv = as_steps(vectors, "vectors", low=1)
    ns = as_steps(steps, "steps", low=1)
    npts = as_steps(points, "points", low=2)
    sg = None if sigma is None else as_scalar(sigma, "sigma", low=0.0, low_open=True)
    seed = as_seed(seed)
    obj = _Objective(model, loss_fn, data, device=device, dtype=dtype)
    torch = obj.torch
    obj.loss_and_grad()
    m = min(ns, obj.n)
    nodes = np.zeros((nv, m))
    weights = np.zeros((nv, m))
    quad = np.zeros(nv)
    gen_seeds = np.random.SeedSequence(seed).generate_state(nv)
    hvps = 0
    with Progress(nv * m, "spectral_density", progress) as bar:
        for i in range(nv):
            lz = _Lanczos(torch, obj.hvp, _start_vector(torch, obj.n, int(gen_seeds[i]), obj.theta, True), m)
            while len(lz.alpha) < m and not lz.invariant:
                lz.step()
                bar.update()
            hvps += lz.products
            theta, _, s1 = lz.ritz()
            w = s1**2
            nodes[i, : theta.size] = theta
            weights[i, : theta.size] = w / w.sum()
            quad[i] = lz.alpha[0]
            # an invariant space before m steps: the remaining nodes carry zero weight
            if theta.size < m:
                nodes[i, theta.size :] = theta[-1]
    lo, hi = float(nodes.min()), float(nodes.max())
    width = sg if sg is not None else ((hi - lo) / 100.0 if hi > lo else max(1.0, abs(hi)) * 1e-2)
    grid = np.linspace(lo - 4 * width, hi + 4 * width, npts)
    z = (grid[:, None] - nodes.ravel()[None, :]) / width
    density = (np.exp(-0.5 * z**2) @ weights.ravel()) / (nv * width * math.sqrt(2 * math.pi))
    return SpectralDensity(
        nodes=frozen_array(nodes),
        weights=frozen_array(weights),
        grid=frozen_array(grid),
        density=frozen_array(density),
        sigma=float(width),
        trace=float(obj.n * quad.mean()),
        n_parameters=obj.n,
        vectors=nv,
        steps=m,
        hvps=hvps,
        seed=seed,
    )
