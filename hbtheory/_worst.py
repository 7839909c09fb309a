"""Worst cases over a spectrum interval ``[mu, L]``: the asymptotic rate and the exact n-step bound."""

from __future__ import annotations

from typing import Any

import numpy as np

from hbtheory import _kernel
from hbtheory._params import check_alpha_beta
from hbtheory._validation import check_interval, finish
from hbtheory.methods import Method


def worst_case_rate(alpha: Any, beta: Any, mu: Any, L: Any, method: str | Method = "heavy_ball") -> Any:
    r"""Worst asymptotic rate :math:`\max_{h \in [\mu, L]} \rho(A(\alpha, \beta, h))`.

    Parameters
    ----------
    alpha : float or array_like
        Step size, ``> 0``.
    beta : float or array_like
        Momentum in ``[0, 1]`` (``0`` for gradient descent).
    mu, L : float or array_like
        The spectrum interval, ``0 < mu <= L``.
    method : str, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        The rate, broadcast over the inputs. Below 1 iff the method converges linearly on every
        quadratic whose Hessian spectrum lies in ``[mu, L]``.

    Notes
    -----
    For each method in the family, :math:`h \mapsto \rho(h)` is quasi-convex on
    :math:`h > 0`: it decreases while the roots are real and :math:`c_1 > 0` (left of the
    critical-damping band), equals :math:`\sqrt{c_0}` inside the band (constant for heavy ball,
    decreasing for Nesterov) and increases once :math:`c_1 < 0` (right of the band). The maximum
    over an interval is therefore attained at an end, so the rate is
    :math:`\max(\rho(\mu), \rho(L))` (checked against dense grids in the tests).

    Examples
    --------
    >>> from hbtheory import worst_case_rate
    >>> kappa = 100.0   # Polyak's tuning gives (sqrt(kappa) - 1) / (sqrt(kappa) + 1)
    >>> a = 4 / (1 + kappa ** -0.5) ** 2
    >>> b = ((kappa ** 0.5 - 1) / (kappa ** 0.5 + 1)) ** 2
    >>> round(float(worst_case_rate(a, b, 1 / kappa, 1.0)), 12)
    0.818181818182
    """
    m, a, b = check_alpha_beta(method, alpha, beta)
    mu_a, L_a = check_interval(mu, L)
    ends = np.stack(np.broadcast_arrays(a, b, mu_a, L_a))
    a, b, mu_a, L_a = ends
    rho_mu = _kernel.radius(_kernel.characteristic(m, a, b, mu_a))
    rho_L = _kernel.radius(_kernel.characteristic(m, a, b, L_a))
    return finish(np.maximum(rho_mu, rho_L))


def worst_case(n: Any, alpha: Any, beta: Any, mu: Any, L: Any, method: str | Method = "heavy_ball") -> Any:
    raise NotImplementedError
