r"""The Lessard-Recht-Packard function: smooth and strongly convex, and heavy ball at Polyak's tuning cycles on it.

Lessard, Recht and Packard (2016, section 4.6) give a one-dimensional, piecewise quadratic function
with :math:`\mu = 1`, :math:`L = 25`:

.. math::

    f(x) = \begin{cases}
        \tfrac{25}{2} x^2 & x < 1, \\
        \tfrac12 x^2 + 24 x - 12 & 1 \le x < 2, \\
        \tfrac{25}{2} x^2 - 24 x + 36 & x \ge 2,
    \end{cases}
    \qquad
    f'(x) = \begin{cases} 25 x & x < 1, \\ x + 24 & 1 \le x < 2, \\ 25 x - 24 & x \ge 2. \end{cases}

:math:`f` is :math:`C^1`, :math:`f'` is continuous and piecewise linear with slopes 25, 1, 25, so
:math:`f` is 1-strongly convex and 25-smooth with its minimiser at :math:`x^* = 0`. The module
gives the function in float64 (:func:`lrp_value`, :func:`lrp_gradient`), in exact rationals
(:func:`lrp_gradient_exact`) and on torch tensors (:func:`lrp_value_torch`), and the proven cycle
as data (:data:`LRP_PROVEN_CYCLE`: which method, at which parameters, through which points).

References
----------
L. Lessard, B. Recht, A. Packard (2016). Analysis and design of optimization algorithms via
integral quadratic constraints. SIAM J. Optim. 26(1):57-95, section 4.6 (arXiv:1408.3595).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._validation import as_real, finish
from hbtheory.methods import GRADIENT_DESCENT, HEAVY_BALL, NESTEROV, Method, get_method

__all__ = [
    "LRP_CYCLE",
    "LRP_L",
    "LRP_METHODS",
    "LRP_MU",
    "LRP_PROVEN_CYCLE",
    "ProvenCycle",
    "lrp_curvature",
    "lrp_gradient",
    "lrp_gradient_exact",
    "lrp_tunings",
    "lrp_value",
    "lrp_value_torch",
    "return_map_radius",
]

Arr = NDArray[np.float64]

#: Strong convexity and smoothness constants of the Lessard-Recht-Packard function.
LRP_MU = 1.0
LRP_L = 25.0
#: The period-3 cycle of heavy ball at Polyak's tuning, exact, in the order the method visits
#: it (each point maps to the next, the last to the first), starting at the smallest.
LRP_CYCLE: tuple[Fraction, Fraction, Fraction] = (Fraction(-2208, 1225), Fraction(2592, 1225), Fraction(792, 1225))
#: The methods the counterexample contrasts (each at its quadratic-optimal tuning for kappa = 25).
LRP_METHODS: tuple[Method, ...] = (HEAVY_BALL, NESTEROV, GRADIENT_DESCENT)


@dataclass(frozen=True)
class ProvenCycle:
    """A cycle of a method on the LRP function, known exactly (the claim and its data).

    Attributes
    ----------
    method : Method
        The method that cycles.
    alpha, beta : fractions.Fraction
        Its parameters, exact.
    points : tuple of Fraction
        The cycle in visiting order, starting at the smallest point; its period is ``len(points)``.
    reference : str
        Where the cycle is proven.

    Examples
    --------
    >>> LRP_PROVEN_CYCLE.method.name, LRP_PROVEN_CYCLE.period
    ('heavy_ball', 3)
    """

    method: Method
    alpha: Fraction
    beta: Fraction
    points: tuple[Fraction, ...]
    reference: str

    @property
    def period(self) -> int:
        """The number of points of the cycle."""
        return len(self.points)

    def float_points(self) -> Arr:
        """The points as float64 (correctly rounded)."""
        return np.array([float(q) for q in self.points], dtype=np.float64)

    def holds(self) -> bool:
        """Whether ``method.step`` maps each point to the next in exact rational arithmetic.

        Examples
        --------
        >>> LRP_PROVEN_CYCLE.holds()
        True
        """
        pts = self.points
        p = len(pts)
        for i in range(p):
            x_next, _ = self.method.step(lrp_gradient_exact, pts[i], pts[i - 1], self.alpha, self.beta)
            if x_next != pts[(i + 1) % p]:
                return False
        return True


#: Heavy ball at Polyak's tuning for kappa = 25 (alpha = 1/9, beta = 4/9) has the period-3 cycle
#: :data:`LRP_CYCLE` (Lessard, Recht and Packard 2016, section 4.6).
LRP_PROVEN_CYCLE = ProvenCycle(
    method=HEAVY_BALL,
    alpha=Fraction(1, 9),
    beta=Fraction(4, 9),
    points=LRP_CYCLE,
    reference="Lessard, Recht & Packard, SIAM J. Optim. 26(1), 2016, section 4.6",
)


def _lrp_gradient(x: Arr) -> Arr:
    with np.errstate(over="ignore"):  # beyond float64: the infinity of its sign, no warning
        return np.where(x < 1.0, 25.0 * x, np.where(x < 2.0, x + 24.0, 25.0 * x - 24.0))


def _lrp_value(x: Arr) -> Arr:
    # x >= 2 beyond float64: 12.5 x^2 - 24 x + 36 as x (12.5 x - 24) + 36 (12.5 x - 24 > 0), so that
    # no two overflowing terms meet (inf - inf was NaN at x = 7.49e306; true +inf); the formula as
    # written (the torch version's) wherever it is finite
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float64: +inf, no warning
        far = 12.5 * x * x - 24.0 * x + 36.0
        far = np.where(np.isfinite(far), far, x * (12.5 * x - 24.0) + 36.0)
        return np.where(x < 1.0, 12.5 * x * x, np.where(x < 2.0, 0.5 * x * x + 24.0 * x - 12.0, far))


def _lrp_curvature(x: Arr) -> Arr:
    return np.where((x >= 1.0) & (x < 2.0), 1.0, 25.0)


def lrp_value(x: Any) -> Any:
    r"""The Lessard-Recht-Packard function :math:`f(x)` (broadcasting; see the module docs).

    Parameters
    ----------
    x : float or array_like
        Points, finite reals.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        :math:`f(x)`, minimum 0 at :math:`x^* = 0`.

    Raises
    ------
    TypeError, ValueError
        If ``x`` is not real or not finite.

    Examples
    --------
    >>> lrp_value([0.0, 1.0, 2.0, 3.3])
    array([ 0.   , 12.5  , 38.   , 92.925])
    """
    return finish(_lrp_value(as_real(x, "x")))


def lrp_gradient(x: Any) -> Any:
    r"""The gradient :math:`f'(x)` of the Lessard-Recht-Packard function (broadcasting).

    :math:`f'(x) = 25x` for :math:`x < 1`, :math:`x + 24` on :math:`[1, 2)`, :math:`25x - 24` for
    :math:`x \ge 2`: continuous, piecewise linear with slopes in :math:`\{1, 25\}`.

    Parameters
    ----------
    x : float or array_like
        Points, finite reals.

    Returns
    -------
    numpy.float64 or numpy.ndarray

    Raises
    ------
    TypeError, ValueError
        If ``x`` is not real or not finite.

    Examples
    --------
    >>> lrp_gradient([0.5, 1.0, 1.5, 2.0])
    array([12.5, 25. , 25.5, 26. ])
    """
    return finish(_lrp_gradient(as_real(x, "x")))


def lrp_curvature(x: Any) -> Any:
    r"""The local curvature :math:`f''(x)` of the piece containing ``x``: 1 on :math:`[1, 2)`, else 25.

    Examples
    --------
    >>> lrp_curvature([0.5, 1.0, 1.5, 2.0])
    array([25.,  1.,  1., 25.])
    """
    return finish(_lrp_curvature(as_real(x, "x")))


def lrp_gradient_exact(x: Fraction | int) -> Fraction:
    """:func:`lrp_gradient` in exact rational arithmetic (for checks that admit no rounding).

    Parameters
    ----------
    x : fractions.Fraction or int

    Returns
    -------
    fractions.Fraction

    Raises
    ------
    TypeError
        For anything else (a float would bring its rounding in).

    Examples
    --------
    >>> from fractions import Fraction
    >>> lrp_gradient_exact(Fraction(3, 2))
    Fraction(51, 2)
    """
    if isinstance(x, bool) or not isinstance(x, (Fraction, int)):
        raise TypeError(f"`x` must be a Fraction or an int, got {type(x).__name__}")
    q = Fraction(x)
    if q < 1:
        return 25 * q
    if q < 2:
        return q + 24
    return 25 * q - 24


def _torch() -> Any:
    try:
        return importlib.import_module("torch")
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError("this function needs PyTorch: pip install torch (the CPU build)") from exc


def lrp_value_torch(x: Any) -> Any:
    """The Lessard-Recht-Packard function on a torch tensor, differentiable by autograd.

    ``torch.where`` routes the gradient through the branch that is selected, so autograd gives
    exactly :func:`lrp_gradient` (the branches agree in value and slope at the breakpoints).
    torch is imported by this call, not by the module.

    Parameters
    ----------
    x : torch.Tensor

    Returns
    -------
    torch.Tensor

    Raises
    ------
    TypeError
        If ``x`` is not a tensor.

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> x = torch.tensor([0.5, 1.5, 3.0], dtype=torch.float64, requires_grad=True)
    >>> lrp_value_torch(x).sum().backward()
    >>> x.grad.tolist()
    [12.5, 25.5, 51.0]
    """
    torch = _torch()
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"`x` must be a torch.Tensor, got {type(x).__name__}")
    return torch.where(
        x < 1.0, 12.5 * x * x, torch.where(x < 2.0, 0.5 * x * x + 24.0 * x - 12.0, 12.5 * x * x - 24.0 * x + 36.0)
    )


def lrp_tunings(
    mu: float = LRP_MU, L: float = LRP_L, *, methods: tuple[Method | str, ...] = LRP_METHODS
) -> dict[str, tuple[float, float]]:
    r"""The ``(alpha, beta)`` of each method tuned for :math:`[\mu, L]` by :func:`hbtheory.optimal_parameters`.

    These are the quadratic-optimal tunings: heavy ball's is Polyak's
    (:math:`1/9, 4/9` for :math:`\kappa = 25`), gradient descent's :math:`2/(\mu + L)`.

    Parameters
    ----------
    mu, L : float, optional
        The interval (default the LRP function's ``[1, 25]``).
    methods : tuple of Method or str, optional, keyword-only
        Default :data:`LRP_METHODS`.

    Returns
    -------
    dict
        Method name to ``(alpha, beta)``, in the order of ``methods``.

    Examples
    --------
    >>> t = lrp_tunings()
    >>> t["heavy_ball"]
    (0.111111..., 0.444444...)
    >>> t["gradient_descent"]
    (0.0769230..., 0.0)
    >>> lrp_tunings(methods=("nesterov",))
    {'nesterov': (0.0526315..., 0.6267890...)}
    """
    from hbtheory.tuning import optimal_parameters

    out = {}
    for method in methods:
        m = get_method(method)
        t = optimal_parameters(mu=mu, L=L, method=m)
        out[m.name] = (float(t.alpha), float(t.beta))
    return out


def return_map_radius(method: Method | str, alpha: float, beta: float, points: Any) -> float:
    r"""Spectral radius of the linearised ``p``-step map of ``method`` at a cycle of the LRP function.

    On each piece :math:`f'` is affine, so the ``p``-step map is affine near the cycle; its linear
    part is the product of the iteration matrices :math:`((c_1, -c_0), (1, 0))` of the method at the
    local curvatures :func:`lrp_curvature` of the gradient points visited. A radius below 1 means
    that the cycle attracts.

    Parameters
    ----------
    method : Method or str
    alpha, beta : float
    points : array_like
        The cycle in visiting order (scalars).

    Returns
    -------
    float

    Examples
    --------
    >>> round(return_map_radius("heavy_ball", 1 / 9, 4 / 9, [float(q) for q in LRP_CYCLE]), 12)  # (2/3)^3
    0.296296296296
    """
    m = get_method(method)
    pts = as_real(points, "points").ravel()
    prod = np.eye(2)
    for i, x in enumerate(pts):
        # The gradient is taken at the look-ahead point of the state (x_t, x_{t-1}).
        y = float(m.lookahead(float(x), float(pts[i - 1]), beta))
        h = float(_lrp_curvature(np.float64(y)))
        prod = np.array(m.matrix(alpha, beta, h), dtype=np.float64) @ prod
    return float(np.max(np.abs(np.linalg.eigvals(prod))))
