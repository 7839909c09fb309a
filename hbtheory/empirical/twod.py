r"""Two-dimensional runs of ``torch.optim.SGD``: the chapter's comparison and the notes' printed results.

* :func:`chapter_2d` - the chapter's :math:`f(x, y) = x^2 + 10 y^2` from :math:`(10, 1)` and
  :math:`(-10, -1)`, 15 iterations, gradient descent against momentum. The chapter gives no
  step sizes; each method gets its optimal tuning for this spectrum
  (Hessian eigenvalues :math:`\mu = 2`, :math:`L = 20`) from :func:`hbtheory.optimal_parameters`:
  gradient descent :math:`\alpha = 2/(\mu + L) = 1/11` (rate :math:`9/11`), heavy ball Polyak's
  :math:`\alpha^* = 4/(\sqrt\mu + \sqrt L)^2`, :math:`\beta^* = ((\sqrt{10} - 1)/(\sqrt{10} + 1))^2`
  (rate :math:`\approx 0.519`).
* :func:`notes_2d` - the notes' :math:`f = 0.1 x_1^2 + 2 x_2^2` from :math:`(-5, -2)` for 20
  steps. d2l's ``train_2d`` prints ``epoch 20`` after 20 updates of ``v = beta v + g``,
  ``x -= eta v`` (PyTorch's own convention, :func:`hbtheory.from_d2l`), so
  ``torch.optim.SGD(lr=eta, momentum=beta)`` reproduces the printed lines digit for digit
  (:meth:`TwoDRun.d2l_line`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory import spectral
from hbtheory._result import Result, frozen_array
from hbtheory._validation import as_real, as_scalar
from hbtheory.empirical._checks import as_steps
from hbtheory.empirical._torch import resolve_device, torch_session
from hbtheory.methods import from_torch
from hbtheory.tuning import optimal_parameters

__all__ = ["ChapterTwoD", "TwoDRun", "chapter_2d", "notes_2d", "run_2d"]

Arr = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class TwoDRun(Result):
    r"""A run of ``torch.optim.SGD`` on :math:`f(x) = \sum_i c_i x_i^2` (Hessian ``diag(2 c)``).

    Attributes
    ----------
    coefficients : numpy.ndarray
        The :math:`c_i` of :math:`f` (echo); the Hessian eigenvalues are ``2 * coefficients``.
    start : numpy.ndarray
    lr, momentum : float
    steps : int
    trajectory : numpy.ndarray
        Shape ``(steps + 1, 2)``: the iterates, for plotting.
    values : numpy.ndarray
        :math:`f` along the trajectory.
    predicted_rate : float
        :func:`hbtheory.spectral_radius` maximised over the two eigenvalues.
    """

    coefficients: Arr
    start: Arr
    lr: float
    momentum: float
    steps: int
    trajectory: Arr
    values: Arr
    predicted_rate: float

    @property
    def final(self) -> Arr:
        """The last iterate."""
        return np.asarray(self.trajectory[-1])

    def d2l_line(self) -> str:
        """The line d2l's ``train_2d`` prints after the run: ``epoch T, x1: ..., x2: ...``."""
        x1, x2 = (float(v) for v in self.trajectory[-1])
        return f"epoch {self.steps}, x1: {x1:f}, x2: {x2:f}"


def run_2d(
    coefficients: Any, start: Any, *, lr: float, momentum: float = 0.0, steps: int, device: Any = "cpu"
) -> TwoDRun:
    r"""Minimise :math:`f(x) = \sum_i c_i x_i^2` with ``torch.optim.SGD(lr, momentum)``.

    Parameters
    ----------
    coefficients : array_like
        The two :math:`c_i > 0`.
    start : array_like
        Two finite numbers.
    lr : float
        ``> 0``.
    momentum : float, optional
        In ``[0, 1)``.
    steps : int
        ``>= 1``.
    device : str or torch.device, optional

    Returns
    -------
    TwoDRun

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> run_2d([0.1, 2.0], [-5.0, -2.0], lr=0.4, steps=20).d2l_line()
    'epoch 20, x1: -0.943467, x2: -0.000073'
    """
    coef = np.atleast_1d(as_real(coefficients, "coefficients", low=0.0, low_open=True))
    x0 = np.atleast_1d(as_real(start, "start"))
    if coef.shape != (2,) or x0.shape != (2,):
        raise ValueError(f"`coefficients` and `start` must each hold 2 numbers, got shapes {coef.shape}, {x0.shape}")
    canon = from_torch(lr, momentum)
    n_steps = as_steps(steps, low=1)
    dev = resolve_device(device)
    with torch_session(dev) as torch:
        c = torch.tensor(coef, dtype=torch.float64, device=dev)
        x = torch.tensor(x0, dtype=torch.float64, device=dev, requires_grad=True)
        opt = torch.optim.SGD([x], lr=float(lr), momentum=float(momentum))
        traj, vals = [x.detach().clone()], []
        for _ in range(n_steps):
            opt.zero_grad(set_to_none=True)
            f = (c * x**2).sum()
            vals.append(float(f.detach()))
            f.backward()
            opt.step()
            traj.append(x.detach().clone())
        vals.append(float((c * x.detach() ** 2).sum()))
        tr = torch.stack(traj).cpu().numpy()
    rho = spectral.spectral_radius(canon.alpha, canon.beta, 2.0 * coef, canon.method)
    return TwoDRun(
        coefficients=frozen_array(coef),
        start=frozen_array(x0),
        lr=float(lr),
        momentum=float(momentum),
        steps=n_steps,
        trajectory=frozen_array(tr),
        values=frozen_array(vals),
        predicted_rate=float(np.max(rho)),
    )


def notes_2d(eta: float, beta: float = 0.0, *, steps: int = 20, device: Any = "cpu") -> TwoDRun:
    r"""The notes' run: :math:`f = 0.1 x_1^2 + 2 x_2^2` from :math:`(-5, -2)`, ``SGD(lr=eta, momentum=beta)``.

    Parameters
    ----------
    eta : float
        Learning rate, ``> 0``.
    beta : float, optional
        Momentum in ``[0, 1)`` (``0``: the notes' ``gd_2d``).
    steps : int, optional
        d2l's ``train_2d`` default, 20.
    device : str or torch.device, optional

    Returns
    -------
    TwoDRun

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> notes_2d(0.6, 0.5).d2l_line()
    'epoch 20, x1: 0.007188, x2: 0.002553'
    """
    return run_2d([0.1, 2.0], [-5.0, -2.0], lr=eta, momentum=beta, steps=steps, device=device)


@dataclass(frozen=True, eq=False)
class ChapterTwoD(Result):
    r"""The chapter's :math:`x^2 + 10 y^2` comparison.

    Attributes
    ----------
    gd_alpha : float
        Gradient descent's step (default: optimal, ``1/11``).
    hb_alpha, hb_beta : float
        Heavy ball's parameters (default: Polyak's optimum for ``[2, 20]``).
    steps : int
    gradient_descent, momentum : tuple of TwoDRun
        One run per start, ``(10, 1)`` then ``(-10, -1)``.
    """

    gd_alpha: float
    hb_alpha: float
    hb_beta: float
    steps: int
    gradient_descent: tuple[TwoDRun, ...]
    momentum: tuple[TwoDRun, ...]


def chapter_2d(
    *, steps: int = 15, gd_alpha: float | None = None, alpha: float | None = None, beta: float | None = None,
    device: Any = "cpu",
) -> ChapterTwoD:
    r"""The chapter's comparison on :math:`f(x, y) = x^2 + 10 y^2`, 15 iterations from two starts.

    Parameters
    ----------
    steps : int, optional
        Iterations (the chapter's 15).
    gd_alpha : float, optional
        Gradient descent's step; default the optimal ``2 / (mu + L) = 1/11``.
    alpha, beta : float, optional
        Heavy ball's parameters; default Polyak's optimum for the spectrum ``[2, 20]``.
    device : str or torch.device, optional

    Returns
    -------
    ChapterTwoD

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> res = chapter_2d()
    >>> round(res.gd_alpha, 6), round(res.hb_alpha, 6), round(res.hb_beta, 6)
    (0.090909, 0.115443, 0.269874)
    >>> [bool(np.linalg.norm(m.final) < np.linalg.norm(g.final)) for g, m in zip(res.gradient_descent, res.momentum)]
    [True, True]
    """
    mu, L = 2.0, 20.0
    gd = optimal_parameters(mu=mu, L=L, method="gradient_descent").alpha if gd_alpha is None else gd_alpha
    if alpha is None or beta is None:
        opt = optimal_parameters(mu=mu, L=L)
        alpha = opt.alpha if alpha is None else alpha
        beta = opt.beta if beta is None else beta
    gd = as_scalar(gd, "gd_alpha", low=0.0, low_open=True)
    starts = ([10.0, 1.0], [-10.0, -1.0])
    coef = [1.0, 10.0]
    gd_runs = tuple(run_2d(coef, s, lr=gd, steps=steps, device=device) for s in starts)
    hb_runs = tuple(run_2d(coef, s, lr=alpha, momentum=beta, steps=steps, device=device) for s in starts)
    return ChapterTwoD(
        gd_alpha=float(gd),
        hb_alpha=float(alpha),
        hb_beta=float(beta),
        steps=int(steps),
        gradient_descent=gd_runs,
        momentum=hb_runs,
    )
