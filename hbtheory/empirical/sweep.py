r"""Batched simulation of ``torch.optim.SGD`` on many scalar quadratics at once: the empirical rho-map.

Each configuration ``(alpha, beta, h)`` is one scalar quadratic :math:`f(x) = \tfrac h2 x^2`
optimised by ``torch.optim.SGD(lr=alpha, momentum=beta, nesterov=...)`` from :math:`x_0 = 1`.
Which of PyTorch's two buffers runs comes from the method's look-ahead :math:`\gamma(\beta)`
(:attr:`hbtheory.methods.Method.gamma`), not from its name: :math:`\gamma = 0` is
``nesterov=False`` (heavy ball; gradient descent is :math:`\beta = 0`, where torch's buffer equals
the gradient bit for bit), :math:`\gamma = \beta` is ``nesterov=True``. ``torch.optim.SGD``
runs no other member (Triple Momentum, a general :math:`\gamma`), and :func:`sweep` raises
``ValueError`` for them rather than simulate something that is not PyTorch.
:func:`sweep` runs every broadcast combination as one tensor program: each configuration is one
element of a few 1-D tensors, and one step is a handful of elementwise torch operations.

Bit-for-bit equal to ``torch.optim.SGD``
----------------------------------------
The step is PyTorch's own update in buffer form (``torch/optim/sgd.py``, single-tensor path), with
the gradient :math:`g = h x` that autograd computes for :math:`\tfrac12 h x^2`:

====================  ===============================================  ===================================
method                ``torch.optim.SGD`` does                         here, per element
====================  ===============================================  ===================================
all (first step)      ``buf = g.clone()``                              same
heavy ball            ``buf.mul_(m).add_(g, alpha=1 - 0)``             ``buf.mul_(beta).add_(g)``
                      ``p.add_(buf, alpha=-lr)``                       ``p + (-alpha) * buf``, see below
Nesterov              ``d = g.add(buf, alpha=m)``; ``p.add_(d, ...)``  ``g + beta * buf``; ``p + (-alpha) * d``
gradient descent      ``p.add_(g, alpha=-lr)``                         ``p + (-alpha) * g``
====================  ===============================================  ===================================

The only difference is that ``lr`` and ``momentum`` vary per element. ``x.add_(y, alpha=s)``
may evaluate ``x + s*y`` with one rounding (a fused multiply-add, as the vectorised CPU kernels
do) or two; :func:`_axpy_kernel` probes, once per device and dtype, which of
``torch.addcmul(x, y, s)`` and ``x + y * s`` reproduces ``add_(alpha=...)`` bit for bit, and the
simulator uses that one. Multiplying by a tensor of ``beta`` rounds exactly as by the scalar.

Renormalisation
---------------
Over long runs the iterates of a converging configuration underflow and those of a diverging one
overflow. After every step the state ``(x, buf)`` is multiplied by :math:`2^{-k}` with ``k`` the
binary exponent of :math:`\max(|x|, |buf|)` (``torch.frexp``), and ``k`` is added to an integer
log-scale, as Lyapunov-exponent codes do. The update is linear and homogeneous and scaling by a
power of two is exact, so the simulated state times :math:`2^{\text{log-scale}}` *is* PyTorch's
iterate, bit for bit, for as long as PyTorch's own iterate stays in the normal float range; after
that the simulation keeps going where PyTorch would return 0 or inf.

Measured rate
-------------
Every step's equation :math:`x_{t+1} = c_1 x_t - c_0 x_{t-1}`, divided by
:math:`\max(|x_{t-1}|, |x_t|)` so that each counts the same, is folded into a streaming
least-squares fit (:class:`hbtheory.empirical.GivensLeastSquares`, Givens QR on the device), and
the rate is the spectral radius of the fitted polynomial (see :mod:`hbtheory.empirical.fit` for
why this and not a slope of the log-norm). Each configuration gets a status with the meaning of
:func:`hbtheory.empirical.verify_quadratic` (:func:`hbtheory.empirical.run_status`): ``"overflow"``
where PyTorch's own iterate left the float64 range (the simulation keeps measuring), else
``"converging"`` (measured rate below 1) or ``"not_converging"`` (1 or more, a rate of exactly 1
included). If one single step leaves the float range even after rescaling (only for absurd
``alpha * h``) the state is set to 0 so that nothing NaN spreads and the rate is ``inf``; nothing
produces a warning.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory import spectral
from hbtheory._params import check_method_params
from hbtheory._result import Result, frozen_array
from hbtheory.empirical._checks import as_bool, as_steps
from hbtheory.empirical._progress import Progress
from hbtheory.empirical._torch import require_torch, resolve_device, resolve_dtype
from hbtheory.empirical.fit import GivensLeastSquares
from hbtheory.empirical.quadratic import STATUSES, run_status
from hbtheory.methods import Method

__all__ = ["SweepComparison", "SweepResult", "compare_with_theory", "sweep"]

Arr = NDArray[np.float64]

#: The binary exponent used to rescale is clamped to this range so that ``2**-k`` is a normal
#: float64 and the scaling exact.
_MAX_SHIFT = 1000


@dataclass(frozen=True, eq=False)
class SweepResult(Result):
    r"""The empirical rho-map of :func:`sweep`.

    Attributes
    ----------
    alpha, beta, h : numpy.ndarray
        The inputs broadcast to the common shape ``S`` (echo).
    method, steps, device, dtype :
        The arguments (echo).
    rate : numpy.ndarray
        Shape ``S``: the measured rate (the recurrence fitted on the whole run; ``inf`` where a
        single step left the float range).
    lyapunov_rate : numpy.ndarray
        Shape ``S``: :math:`(\|s_T\| / \|s_0\|)^{1/T}` of the state ``s = (x, buf)`` over the
        whole run, from the exact log-scale (includes the transient; for comparison).
    fit_order : numpy.ndarray
        Order of the fitted recurrence (see :class:`hbtheory.empirical.RecurrenceFit`).
    status : numpy.ndarray
        Shape ``S``, strings: ``"converging"``, ``"not_converging"`` or ``"overflow"`` (PyTorch's
        iterate left the float64 range), as :attr:`hbtheory.empirical.QuadraticRun.status`.
    log2_scale : numpy.ndarray
        int64, shape ``S``: the final exponent; PyTorch's ``x_T`` is ``x_final * 2**log2_scale``.
    x_final, buf_final : numpy.ndarray
        The final scaled state.
    history : numpy.ndarray or None
        With ``record=True``, shape ``(steps + 1,) + S``: the scaled iterates.
    history_log2 : numpy.ndarray or None
        With ``record=True``: the matching exponents (see :meth:`iterates`).
    """

    alpha: Arr
    beta: Arr
    h: Arr
    method: str
    steps: int
    device: str
    dtype: str
    rate: Arr
    lyapunov_rate: Arr
    fit_order: NDArray[np.int64]
    status: NDArray[np.str_]
    log2_scale: NDArray[np.int64]
    x_final: Arr
    buf_final: Arr
    history: Arr | None
    history_log2: NDArray[np.int64] | None

    @property
    def diverged(self) -> NDArray[np.bool_]:
        """``status != "converging"`` (see :attr:`status`)."""
        return np.asarray(self.status != STATUSES[0])

    def iterates(self) -> Arr:
        """PyTorch's iterates ``x_t`` (``t = 0 .. steps``) rebuilt from the recorded history.

        Exact where they are normal floats; they become ``0`` or ``inf`` exactly where PyTorch's
        would. Needs ``record=True``.
        """
        if self.history is None or self.history_log2 is None:
            raise ValueError("the sweep was run without `record=True`; no history to rebuild")
        with np.errstate(over="ignore", under="ignore"):
            return np.ldexp(self.history, self.history_log2)


@dataclass(frozen=True, eq=False)
class SweepComparison(Result):
    """The empirical rho-map against :func:`hbtheory.spectral_radius`.

    Attributes
    ----------
    measured, predicted : numpy.ndarray
        Shape ``S``.
    max_abs_error, max_rel_error : float
        Largest ``|measured - predicted|`` and the same relative to ``predicted`` (over
        ``predicted > 0``).
    worst_index : tuple of int
        Where the largest absolute error is.
    worst_alpha, worst_beta, worst_h : float
        The configuration there.
    classification_mismatches : int
        Configurations where ``measured >= 1`` and ``predicted >= 1`` disagree, ignoring those
        within ``1e-9`` of the boundary.
    """

    measured: Arr
    predicted: Arr
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...]
    worst_alpha: float
    worst_beta: float
    worst_h: float
    classification_mismatches: int


@functools.cache
def _axpy_kernel(device: str, dtype: str) -> str:
    """``"fma"`` or ``"mul_add"``: which per-element formula equals ``x.add_(y, alpha=s)`` here.

    Probes values whose fused and unfused results differ; raises if neither matches, because
    then the bit-for-bit promise cannot be kept on this build.
    """
    torch = require_torch()
    dt = getattr(torch, dtype)
    gen = torch.Generator().manual_seed(12345)
    x = torch.randn(256, generator=gen, dtype=torch.float64).to(device=device, dtype=dt)
    y = torch.randn(256, generator=gen, dtype=torch.float64).to(device=device, dtype=dt)
    s = -0.1234567891234567
    ref = x.clone().add_(y, alpha=s)
    st = torch.full_like(x, s)
    if torch.equal(torch.addcmul(x, y, st), ref):
        return "fma"
    if torch.equal(x + y * st, ref):
        return "mul_add"
    raise RuntimeError(  # pragma: no cover - would need an exotic torch build
        "cannot reproduce torch's add_(alpha=...) elementwise on this device; sweep() is not bit-exact here"
    )


def sweep(
    alpha: Any,
    beta: Any,
    h: Any,
    *,
    steps: int,
    method: str | Method = "heavy_ball",
    device: Any = "cpu",
    dtype: Any = "float64",
    record: bool = False,
    progress: bool | None = None,
) -> SweepResult:
    r"""Run ``torch.optim.SGD`` on :math:`\tfrac h2 x^2` for every broadcast ``(alpha, beta, h)`` at once.

    Parameters
    ----------
    alpha : float or array_like
        Learning rate ``lr``, ``> 0``.
    beta : float or array_like
        Momentum in ``[0, 1]`` (``0`` for gradient descent).
    h : float or array_like
        Curvature, any finite real.
    steps : int
        Optimizer steps, ``>= 3``.
    method : str or Method, optional
        A method that ``torch.optim.SGD`` runs at every ``beta`` given: look-ahead
        ``gamma(beta) == 0`` (``"heavy_ball"``, ``momentum=beta``; ``"gradient_descent"``,
        ``momentum=0``) or ``gamma(beta) == beta`` (``"nesterov"``, ``nesterov=True``).
    device : str or torch.device, optional
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a ``torch.device``.
    dtype : str or torch.dtype, optional
        ``"float64"`` (default) or ``"float32"``.
    record : bool, optional
        Keep the whole (scaled) trajectory, for :meth:`SweepResult.iterates`.
    progress : bool or None, optional
        tqdm bar: ``None`` shows it on a terminal for runs longer than two seconds.

    Returns
    -------
    SweepResult

    Raises
    ------
    ImportError
        Without PyTorch.
    ValueError, TypeError
        For a parameter outside its range (the message names it), or a method that
        ``torch.optim.SGD`` cannot run (Triple Momentum, ``general(gamma)`` at ``beta != gamma``).

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> import numpy as np
    >>> res = sweep([0.1, 1.0, 3.5], [[0.0], [0.5]], 1.0, steps=200)
    >>> res.rate.shape
    (2, 3)
    >>> from hbtheory import spectral_radius
    >>> bool(np.allclose(res.rate, spectral_radius(res.alpha, res.beta, res.h), rtol=1e-9))
    True
    >>> res.status.tolist()
    [['converging', 'converging', 'not_converging'], ['converging', 'converging', 'not_converging']]
    """
    m, a, b, hh = check_method_params(method, alpha, beta, h)
    a, b, hh = (np.array(v, dtype=np.float64, copy=True) for v in np.broadcast_arrays(a, b, hh))
    shape = a.shape
    nesterov = _torch_buffer(m, b)
    n_steps = as_steps(steps, low=3)
    record = as_bool(record, "record")
    torch = require_torch()
    dev = resolve_device(device)
    tdtype = resolve_dtype(dtype)
    kernel = _axpy_kernel(str(dev), str(tdtype).replace("torch.", ""))

    def axpy(x: Any, y: Any, s: Any) -> Any:
        return torch.addcmul(x, y, s) if kernel == "fma" else x + y * s

    def t(v: Arr) -> Any:
        return torch.tensor(v.ravel(), dtype=tdtype, device=dev)

    neg_lr, mom, curv = t(-a), t(b), t(hh)
    look_ahead = torch.tensor(nesterov.ravel(), device=dev)
    n = neg_lr.numel()
    x = torch.ones(n, dtype=tdtype, device=dev)
    buf = torch.zeros_like(x)
    x_prev = x.clone()
    log2 = torch.zeros(n, dtype=torch.int64, device=dev)
    overflow = torch.zeros(n, dtype=torch.bool, device=dev)  # a single step left the range
    left_range = torch.zeros(n, dtype=torch.bool, device=dev)  # PyTorch's own iterate did
    lsq = GivensLeastSquares(torch, x * 0)
    hist = torch.empty((n_steps + 1, n), dtype=tdtype, device=dev) if record else None
    hist_log2 = torch.empty((n_steps + 1, n), dtype=torch.int64, device=dev) if record else None
    if hist is not None and hist_log2 is not None:
        hist[0], hist_log2[0] = x, log2
    zero = torch.zeros((), dtype=tdtype, device=dev)

    with torch.no_grad(), Progress(n_steps, f"sweep {n} configurations", progress) as bar:
        for step in range(n_steps):
            g = curv * x
            # torch's buffer; at momentum 0 it equals g bit for bit (0 * buf + g), so the plain
            # branch is also torch's momentum=0 step p.add_(g, alpha=-lr)
            buf = g.clone() if step == 0 else buf.mul_(mom).add_(g)
            d = torch.where(look_ahead, axpy(g, buf, mom), buf)
            x_new = axpy(x, d, neg_lr)
            if step >= 1:  # the equation x_new = c1 x - c0 x_prev, divided by its own scale
                s = torch.maximum(x_prev.abs(), x.abs())
                inv = torch.where(s > 0, 1.0 / s, zero)
                ok = torch.isfinite(x_new) & ((s > 0) | (x_new == 0))
                lsq.update(x * inv, x_prev * inv, torch.where(ok, x_new * inv, zero), ok)
            x_prev, x = x, x_new
            # a step that left the float range (absurd alpha * h): flag it and stop that element
            bad = ~(torch.isfinite(x) & torch.isfinite(buf) & torch.isfinite(x_prev))
            if bool(bad.any()):
                overflow |= bad
                x, buf, x_prev = (torch.where(bad, zero, v) for v in (x, buf, x_prev))
            # exact renormalisation by a power of two
            _, k = torch.frexp(torch.maximum(x.abs(), buf.abs()))
            k = k.to(torch.int64).clamp_(-_MAX_SHIFT, _MAX_SHIFT)
            scale = torch.ldexp(torch.ones_like(x), -k)
            x, buf, x_prev = x * scale, buf * scale, x_prev * scale
            log2 += k
            # max(|x|, |buf|) is now in [0.5, 1) times 2**log2: PyTorch's is >= 2**1024 (inf) iff log2 > 1024
            left_range |= log2 > 1024
            if hist is not None and hist_log2 is not None:
                hist[step + 1], hist_log2[step + 1] = x, log2
            bar.update()

    fit = lsq.solve()
    over = overflow.cpu().numpy()
    rate = np.where(over, np.inf, np.asarray(fit.rate))
    status = run_status(rate, over | left_range.cpu().numpy())

    x_np = x.to(device="cpu", dtype=torch.float64).numpy()
    buf_np = buf.to(device="cpu", dtype=torch.float64).numpy()
    l2 = log2.cpu().numpy()
    state = np.maximum(np.abs(x_np), np.abs(buf_np))
    with np.errstate(divide="ignore"):
        log_growth = (np.log2(state) + l2) * math.log(2.0)  # ||s_0||_max = 1
        lyap = np.where(over, np.inf, np.exp(log_growth / n_steps))

    def out(v: Any, dt: Any = np.float64) -> Any:
        return frozen_array(np.asarray(v).reshape(shape), dtype=dt)

    return SweepResult(
        alpha=frozen_array(a),
        beta=frozen_array(b),
        h=frozen_array(hh),
        method=m.name,
        steps=n_steps,
        device=str(dev),
        dtype=str(tdtype).replace("torch.", ""),
        rate=out(rate),
        lyapunov_rate=out(lyap),
        fit_order=out(fit.order, np.int64),
        status=frozen_array(np.asarray(status).reshape(shape), dtype=np.str_),
        log2_scale=out(l2, np.int64),
        x_final=out(x_np),
        buf_final=out(buf_np),
        history=None if hist is None else frozen_array(hist.cpu().double().numpy().reshape((n_steps + 1, *shape))),
        history_log2=None
        if hist_log2 is None
        else frozen_array(hist_log2.cpu().numpy().reshape((n_steps + 1, *shape)), dtype=np.int64),
    )


def _torch_buffer(m: Method, beta: Arr) -> NDArray[np.bool_]:
    """Per configuration: ``True`` for torch's ``nesterov=True`` buffer (``gamma(beta) == beta``),
    ``False`` for the plain one (``gamma(beta) == 0``); ``ValueError`` where torch runs neither."""
    if m.gamma is None:
        raise ValueError(f"`method` {m.name!r} is given by its polynomial only: torch.optim.SGD cannot run it")
    gamma = np.broadcast_to(np.asarray(m.gamma(beta), dtype=np.float64), beta.shape)
    plain, look = gamma == 0.0, gamma == beta
    if not np.all(plain | look):
        i = tuple(int(k) for k in np.argwhere(~(plain | look))[0])
        raise ValueError(
            f"`method` {m.name!r} has no torch.optim.SGD equivalent at beta = {float(beta[i])!r} "
            f"(look-ahead gamma = {float(gamma[i])!r}; torch runs gamma = 0, heavy ball, or gamma = beta, "
            "Nesterov); use hbtheory.methods.Method.step for a plain simulation"
        )
    return np.asarray(look & ~plain)


def compare_with_theory(result: SweepResult, method: Method | None = None) -> SweepComparison:
    """Compare a sweep's measured rates with :func:`hbtheory.spectral_radius` and report the worst.

    Parameters
    ----------
    result : SweepResult
    method : Method, optional
        The method the sweep ran, when it is a user-defined :class:`~hbtheory.methods.Method` that
        its name (``result.method``) cannot be looked up by; it must carry that name.

    Returns
    -------
    SweepComparison

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> import numpy as np
    >>> res = sweep(np.linspace(0.05, 3.0, 7), np.linspace(0.0, 0.9, 5)[:, None], 1.0, steps=300)
    >>> cmp = compare_with_theory(res)
    >>> cmp.max_abs_error < 1e-7, cmp.classification_mismatches
    (True, 0)
    """
    if not isinstance(result, SweepResult):
        raise TypeError(f"`result` must be a SweepResult, got {type(result).__name__}")
    if method is not None and (not isinstance(method, Method) or method.name != result.method):
        raise ValueError(f"`method` must be the Method named {result.method!r} that the sweep ran, got {method!r}")
    m = method if method is not None else result.method
    pred = np.asarray(spectral.spectral_radius(result.alpha, result.beta, result.h, m), dtype=np.float64)
    pred = np.broadcast_to(pred, result.rate.shape)
    meas = result.rate
    both_inf = np.isinf(meas) & (pred >= 1.0)
    err = np.where(both_inf, 0.0, np.abs(meas - pred))
    err = np.where(np.isnan(err), np.inf, err)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(pred > 0, err / np.where(pred > 0, pred, 1.0), err)
    flat = int(np.argmax(err)) if err.size else 0
    idx = tuple(int(i) for i in np.unravel_index(flat, err.shape)) if err.ndim else ()
    clear = np.abs(pred - 1.0) > 1e-9
    mismatch = int(np.sum(clear & ((meas >= 1.0) != (pred >= 1.0))))
    return SweepComparison(
        measured=frozen_array(meas),
        predicted=frozen_array(pred),
        max_abs_error=float(err.max()) if err.size else 0.0,
        max_rel_error=float(rel.max()) if rel.size else 0.0,
        worst_index=idx,
        worst_alpha=float(result.alpha[idx]),
        worst_beta=float(result.beta[idx]),
        worst_h=float(result.h[idx]),
        classification_mismatches=mismatch,
    )
