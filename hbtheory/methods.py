r"""The method family and the maps from framework conventions to canonical parameters.

Every method studied by hbtheory is a two-step linear recurrence on a quadratic. On one
eigen-direction with curvature :math:`h` the error obeys

.. math::

    e_{t+1} = c_1(\alpha, \beta, h)\, e_t - c_0(\alpha, \beta, h)\, e_{t-1},

so the method *is* the pair of coefficients of its characteristic polynomial
:math:`z^2 - c_1 z + c_0`, and its iteration matrix is
:math:`A = \begin{pmatrix} c_1 & -c_0 \\ 1 & 0 \end{pmatrix}`.
This module defines those coefficients once; the symbolic, numeric and empirical layers all read
them from here. The coefficient functions use nothing but ``+``, ``-`` and ``*``, so the same
definition evaluates on floats, numpy arrays, sympy symbols and the double-double numbers of the
accurate spectral-radius path.

The second half maps the ways frameworks and texts write momentum to the canonical
``(method, alpha, beta)``, each with the exact condition under which the map is an identity of
iterates (not merely of rates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from hbtheory._validation import as_scalar

__all__ = [
    "METHODS",
    "Canonical",
    "Method",
    "from_chapter",
    "from_d2l",
    "from_ema",
    "from_keras",
    "from_torch",
    "get_method",
]

Coefficient = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class Method:
    r"""A first-order method on quadratics, given by its characteristic polynomial.

    Attributes
    ----------
    name : str
        Identifier used by every ``method=`` argument (``"heavy_ball"``, ``"nesterov"``,
        ``"gradient_descent"``).
    title : str
        Human-readable name.
    c1, c0 : callable
        ``c1(alpha, beta, h)`` and ``c0(alpha, beta, h)``: the coefficients of
        :math:`z^2 - c_1 z + c_0`. Pure arithmetic, so they accept floats, arrays, sympy
        symbols or double-double numbers.
    uses_beta : bool
        ``False`` for gradient descent, whose polynomial does not depend on ``beta``
        (``beta`` must then be 0).
    update : str
        The update rule in LaTeX, in the canonical variables.

    Examples
    --------
    >>> hb = get_method("heavy_ball")
    >>> hb.c1(0.5, 0.25, 1.0), hb.c0(0.5, 0.25, 1.0)
    (0.75, 0.25)
    >>> hb.matrix(0.5, 0.25, 1.0)
    ((0.75, -0.25), (1, 0))
    """

    name: str
    title: str
    c1: Coefficient
    c0: Coefficient
    uses_beta: bool
    update: str

    def matrix(self, alpha: Any, beta: Any, h: Any) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
        """The iteration matrix ``((c1, -c0), (1, 0))`` as nested tuples of whatever type the
        coefficients evaluate to (see :func:`hbtheory.spectral.iteration_matrix` for arrays)."""
        return ((self.c1(alpha, beta, h), -self.c0(alpha, beta, h)), (1, 0))


def _hb_c1(alpha: Any, beta: Any, h: Any) -> Any:
    return 1 + beta - alpha * h


def _hb_c0(alpha: Any, beta: Any, h: Any) -> Any:
    return beta


def _nag_c1(alpha: Any, beta: Any, h: Any) -> Any:
    return (1 + beta) * (1 - alpha * h)


def _nag_c0(alpha: Any, beta: Any, h: Any) -> Any:
    return beta * (1 - alpha * h)


def _gd_c1(alpha: Any, beta: Any, h: Any) -> Any:
    return 1 - alpha * h


def _gd_c0(alpha: Any, beta: Any, h: Any) -> Any:
    return 0 * h


HEAVY_BALL = Method(
    name="heavy_ball",
    title="Heavy ball (Polyak)",
    c1=_hb_c1,
    c0=_hb_c0,
    uses_beta=True,
    update=r"x_{t+1} = x_t - \alpha \nabla f(x_t) + \beta (x_t - x_{t-1})",
)
NESTEROV = Method(
    name="nesterov",
    title="Nesterov accelerated gradient",
    c1=_nag_c1,
    c0=_nag_c0,
    uses_beta=True,
    update=(
        r"y_t = x_t + \beta (x_t - x_{t-1}),\quad "
        r"x_{t+1} = y_t - \alpha \nabla f(y_t)"
    ),
)
GRADIENT_DESCENT = Method(
    name="gradient_descent",
    title="Gradient descent",
    c1=_gd_c1,
    c0=_gd_c0,
    uses_beta=False,
    update=r"x_{t+1} = x_t - \alpha \nabla f(x_t)",
)

METHODS: dict[str, Method] = {m.name: m for m in (HEAVY_BALL, NESTEROV, GRADIENT_DESCENT)}


def get_method(method: str | Method) -> Method:
    """Return the :class:`Method` called ``method`` (``-`` and case are ignored).

    Parameters
    ----------
    method : str or Method
        ``"heavy_ball"``, ``"nesterov"`` or ``"gradient_descent"``, or a :class:`Method`.

    Returns
    -------
    Method

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    TypeError
        If ``method`` is neither a string nor a :class:`Method`.

    Examples
    --------
    >>> get_method("Heavy-Ball").title
    'Heavy ball (Polyak)'
    """
    if isinstance(method, Method):
        return method
    if not isinstance(method, str):
        raise TypeError(f"`method` must be a string, got {type(method).__name__}")
    key = method.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in METHODS:
        known = ", ".join(repr(k) for k in METHODS)
        raise ValueError(f"`method` must be one of {known}, got {method!r}")
    return METHODS[key]


# --------------------------------------------------------------------------------------------
# Conventions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Canonical:
    """Canonical parameters ``(method, alpha, beta)`` of an update written in some convention.

    Attributes
    ----------
    method : str
        ``"heavy_ball"`` or ``"nesterov"``.
    alpha, beta : float
        Step size and momentum of the canonical recurrence (see :data:`METHODS`).
    exact : bool
        ``True`` when the convention's iterates equal the canonical iterates started from
        ``x_{-1} = x_0`` for every step (at a constant learning rate); ``False`` when only the
        recurrence from the second step on (hence every rate) agrees.
    note : str
        The condition of equivalence in words.

    Examples
    --------
    >>> c = from_torch(lr=0.1, momentum=0.9)
    >>> (c.method, c.alpha, c.beta, c.exact)
    ('heavy_ball', 0.1, 0.9, True)
    >>> c.to_torch()
    {'lr': 0.1, 'momentum': 0.9, 'dampening': 0.0, 'nesterov': False}
    """

    method: str
    alpha: float
    beta: float
    exact: bool
    note: str

    def to_torch(self) -> dict[str, Any]:
        """Keyword arguments of ``torch.optim.SGD`` that run these canonical parameters exactly."""
        return {"lr": self.alpha, "momentum": self.beta, "dampening": 0.0, "nesterov": self.method == "nesterov"}

    def as_dict(self) -> dict[str, Any]:
        """Plain ``dict`` of the fields, for JSON."""
        return asdict(self)


_CONSTANT_LR = "at a constant learning rate; under a schedule the maps differ (see the docs)"


def from_torch(lr: float, momentum: float, dampening: float = 0.0, nesterov: bool = False) -> Canonical:
    r"""Canonical parameters of ``torch.optim.SGD(lr, momentum, dampening, nesterov)``.

    PyTorch keeps a buffer :math:`b` with :math:`b_1 = g_1` (the first step is never damped) and
    :math:`b_t = m\, b_{t-1} + (1 - d)\, g_t`, then steps :math:`p \mathrel{-}= \mathrm{lr}\, b_t`
    (or :math:`p \mathrel{-}= \mathrm{lr}\,(g_t + m\, b_t)` with ``nesterov=True``).

    * ``nesterov=False``: heavy ball with ``alpha = lr * (1 - dampening)``, ``beta = momentum``.
      With ``dampening == 0`` the iterates are identical to heavy ball started from
      ``x_{-1} = x_0``. With ``dampening > 0`` the undamped first step is ``1 / (1 - dampening)``
      times too long, so only the recurrence from step two on (and every rate) agrees.
    * ``nesterov=True``: PyTorch's parameter is the look-ahead point ``y_t`` of Nesterov's method
      with ``alpha = lr``, ``beta = momentum``, identical for every step (``y_0 = x_0``).
      PyTorch requires ``momentum > 0`` and ``dampening == 0`` here, and so does this function.

    Parameters
    ----------
    lr : float
        Learning rate, ``> 0``.
    momentum : float
        Momentum factor in ``[0, 1)``.
    dampening : float, optional
        Dampening in ``[0, 1)``.
    nesterov : bool, optional
        PyTorch's Nesterov flag.

    Returns
    -------
    Canonical

    Raises
    ------
    ValueError
        For a parameter outside its range, or ``nesterov=True`` with ``momentum == 0`` or
        ``dampening != 0``.

    Examples
    --------
    >>> from_torch(0.01, 0.8).alpha
    0.01
    >>> c = from_torch(0.1, 0.9, dampening=0.5)
    >>> (c.alpha, c.beta, c.exact)
    (0.05, 0.9, False)
    >>> from_torch(0.1, 0.9, nesterov=True).method
    'nesterov'
    """
    lr = as_scalar(lr, "lr", low=0.0, low_open=True)
    momentum = as_scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    dampening = as_scalar(dampening, "dampening", low=0.0, high=1.0, high_open=True)
    if not isinstance(nesterov, (bool,)):
        raise TypeError(f"`nesterov` must be a bool, got {type(nesterov).__name__}")
    if nesterov:
        if momentum == 0.0 or dampening != 0.0:
            raise ValueError("`nesterov=True` requires `momentum` in (0, 1) and `dampening` == 0 (as torch.optim.SGD)")
        return Canonical(
            "nesterov", lr, momentum, True,
            "torch's parameter is Nesterov's look-ahead point y_t; identical iterates " + _CONSTANT_LR,
        )
    if dampening == 0.0:
        return Canonical("heavy_ball", lr, momentum, True, "identical iterates " + _CONSTANT_LR)
    return Canonical(
        "heavy_ball", lr * (1.0 - dampening), momentum, False,
        "same recurrence from step 2 on; torch's first step is undamped, 1/(1-dampening) times longer",
    )


def from_chapter(lr: float, gamma: float) -> Canonical:
    r"""Canonical parameters of the source chapter's hand-written step.

    The update is :math:`v \leftarrow \gamma v + \mathrm{lr}\, g`, :math:`p \leftarrow p - v`
    with :math:`v_0 = 0`: heavy ball with ``alpha = lr``, ``beta = gamma``, identical iterates at a
    constant learning rate. Under a schedule ``lr_t`` the learning rate sits *inside* the buffer,
    so old steps keep their old ``lr``; PyTorch multiplies the whole buffer by the current ``lr``.

    Parameters
    ----------
    lr : float
        Learning rate, ``> 0``.
    gamma : float
        Momentum in ``[0, 1)``.

    Returns
    -------
    Canonical

    Examples
    --------
    >>> c = from_chapter(0.01, 0.8)
    >>> (c.method, c.alpha, c.beta, c.exact)
    ('heavy_ball', 0.01, 0.8, True)
    """
    lr = as_scalar(lr, "lr", low=0.0, low_open=True)
    gamma = as_scalar(gamma, "gamma", low=0.0, high=1.0, high_open=True)
    return Canonical("heavy_ball", lr, gamma, True, "identical iterates " + _CONSTANT_LR)


def from_keras(learning_rate: float, momentum: float) -> Canonical:
    r"""Canonical parameters of the Keras-style update :math:`v \leftarrow m v - \eta g`,
    :math:`p \leftarrow p + v` (``v_0 = 0``).

    The velocity has the opposite sign to the chapter's, the iterates are the same:
    heavy ball with ``alpha = learning_rate``, ``beta = momentum``, exact at a constant rate.

    Parameters
    ----------
    learning_rate : float
        ``> 0``.
    momentum : float
        In ``[0, 1)``.

    Returns
    -------
    Canonical

    Examples
    --------
    >>> from_keras(0.01, 0.9).beta
    0.9
    """
    learning_rate = as_scalar(learning_rate, "learning_rate", low=0.0, low_open=True)
    momentum = as_scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    return Canonical("heavy_ball", learning_rate, momentum, True, "identical iterates " + _CONSTANT_LR)


def from_d2l(eta: float, beta: float) -> Canonical:
    r"""Canonical parameters of the d2l / optax form :math:`v \leftarrow \beta v + g`,
    :math:`x \leftarrow x - \eta v` (``v_0 = 0``).

    This is PyTorch's undamped convention: heavy ball with ``alpha = eta``, exact at a constant
    ``eta``. The learning rate is outside the buffer, as in PyTorch.

    Parameters
    ----------
    eta : float
        ``> 0``.
    beta : float
        In ``[0, 1)``.

    Returns
    -------
    Canonical

    Examples
    --------
    >>> from_d2l(0.6, 0.5).alpha
    0.6
    """
    eta = as_scalar(eta, "eta", low=0.0, low_open=True)
    beta = as_scalar(beta, "beta", low=0.0, high=1.0, high_open=True)
    return Canonical("heavy_ball", eta, beta, True, "identical iterates " + _CONSTANT_LR)


def from_ema(eta: float, beta: float) -> Canonical:
    r"""Canonical parameters of the exponential-moving-average form
    :math:`m \leftarrow \beta m + (1 - \beta) g`, :math:`x \leftarrow x - \eta m` (``m_0 = 0``).

    Heavy ball with ``alpha = eta * (1 - beta)``: the average is normalised, so there is no
    ``1 / (1 - beta)`` amplification of the step. Exact at a constant ``eta`` (the first step is
    ``eta * (1 - beta) * g``, the canonical first step).

    Parameters
    ----------
    eta : float
        ``> 0``.
    beta : float
        In ``[0, 1)``.

    Returns
    -------
    Canonical

    Examples
    --------
    >>> from_ema(1.0, 0.9).alpha  # doctest: +ELLIPSIS
    0.0999999999999999...
    """
    eta = as_scalar(eta, "eta", low=0.0, low_open=True)
    beta = as_scalar(beta, "beta", low=0.0, high=1.0, high_open=True)
    return Canonical("heavy_ball", eta * (1.0 - beta), beta, True, "identical iterates " + _CONSTANT_LR)
