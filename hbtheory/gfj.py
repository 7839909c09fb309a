r"""The Ghadimi-Feyzmahdavian-Johansson region: heavy ball converges on every smooth strongly convex function.

Beyond quadratics, Polyak's tuning can fail (:mod:`hbtheory.counterexamples`). What is still
guaranteed for heavy ball on every :math:`\mu`-strongly convex :math:`L`-smooth function is the
region of Ghadimi, Feyzmahdavian and Johansson (2015): :func:`gfj_region` tests membership and
:func:`gfj_beta_bound` gives its upper boundary. Both are closed forms (numpy only); the numerical
check of the theorem by PEPit is :func:`hbtheory.pep.gfj_check`.

References
----------
E. Ghadimi, H. R. Feyzmahdavian, M. Johansson (2015). Global convergence of the Heavy-ball method
for convex optimization. European Control Conference (ECC), 310-315; arXiv:1412.7457, Theorem 4.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._validation import as_real, check_interval, finish
from hbtheory.methods import HEAVY_BALL, Method

__all__ = ["GFJ_METHOD", "gfj_beta_bound", "gfj_region"]

Arr = NDArray[np.float64]

#: The method the theorem is about: heavy ball (the region says nothing about Nesterov's method,
#: Triple Momentum or the general method). :func:`hbtheory.pep.gfj_check` runs this method.
GFJ_METHOD: Method = HEAVY_BALL


def _gfj_bound(a: Arr, mu: Arr, L: Arr) -> Arr:
    inside = 4.0 * (1.0 - a * L / 2.0)
    return 0.5 * (mu * a / 2.0 + np.sqrt(np.maximum(mu * mu * a * a / 4.0 + inside, 0.0)))


def gfj_beta_bound(alpha: Any, mu: Any, L: Any) -> Any:
    r"""The largest momentum of the GFJ region (strict bound on ``beta``), broadcasting.

    .. math::

        \bar\beta(\alpha) = \frac12\Bigl(\frac{\mu\alpha}{2}
        + \sqrt{\frac{\mu^2\alpha^2}{4} + 4\Bigl(1 - \frac{\alpha L}{2}\Bigr)}\Bigr).

    Heavy ball is guaranteed to converge linearly on every :math:`\mu`-strongly convex
    :math:`L`-smooth function for :math:`0 \le \beta <` this bound (see :func:`gfj_region`).
    It decreases from 1 (at :math:`\alpha \to 0`) to :math:`\mu/L` (at :math:`\alpha = 2/L`) and is
    below 1 whenever :math:`\mu < L`.

    Parameters
    ----------
    alpha : float or array_like
        Step size in :math:`(0, 2/L)`.
    mu, L : float or array_like
        ``0 < mu <= L``. Everything broadcasts.

    Returns
    -------
    numpy.float64 or numpy.ndarray

    Raises
    ------
    TypeError, ValueError
        For a parameter outside its range (``alpha`` outside :math:`(0, 2/L)` included).

    Examples
    --------
    >>> gfj_beta_bound([0.5, 1.0, 1.5], 0.1, 1.0)
    array([0.87861561, 0.73254858, 0.53890428])
    """
    mu_arr, L_arr = check_interval(mu, L)
    a = as_real(alpha, "alpha", low=0.0, low_open=True)
    a_b, mu_b, L_b = np.broadcast_arrays(a, mu_arr, L_arr)
    bad = a_b * L_b >= 2.0
    if bad.any():
        i = tuple(int(j) for j in np.argwhere(bad)[0]) if bad.ndim else ()
        raise ValueError(f"`alpha` must be in (0, 2/L), got {a_b[i].item()!r} with L = {L_b[i].item()!r}")
    out = _gfj_bound(a_b, mu_b, L_b)
    return finish(out)


def gfj_region(alpha: Any, beta: Any, mu: Any, L: Any) -> Any:
    r"""Whether :math:`(\alpha, \beta)` lies in the region where heavy ball provably converges globally.

    **Theoretical guarantee** (Ghadimi, Feyzmahdavian and Johansson 2015, Theorem 4): if
    :math:`f` is :math:`\mu`-strongly convex and :math:`L`-smooth and

    .. math::

        \alpha \in \Bigl(0, \frac{2}{L}\Bigr), \qquad
        0 \le \beta < \frac12\Bigl(\frac{\mu\alpha}{2} + \sqrt{\frac{\mu^2\alpha^2}{4}
        + 4\Bigl(1 - \frac{\alpha L}{2}\Bigr)}\Bigr),

    then heavy ball converges linearly to the unique minimiser:
    :math:`f(x_k) - f^* \le q^k (f(x_0) - f^*)` for some :math:`q \in [0, 1)`.

    Polyak's tuning lies in it exactly when :math:`\kappa < 3 + 2\sqrt2 \approx 5.83`: beyond,
    its step :math:`4/(\sqrt L + \sqrt\mu)^2` exceeds :math:`2/L` (below, its small momentum is
    within the bound). At :math:`\kappa = 25` it is outside, consistently with the
    Lessard-Recht-Packard cycle. The region is sufficient, not necessary.

    Parameters
    ----------
    alpha, beta : float or array_like
        Any finite reals (the answer is ``False`` outside the region).
    mu, L : float or array_like
        ``0 < mu <= L``. Everything broadcasts.

    Returns
    -------
    ``numpy.bool_`` or numpy.ndarray of bool

    Raises
    ------
    TypeError, ValueError
        For a non-real or non-finite input, or ``mu``, ``L`` out of range.

    Notes
    -----
    The statement is transcribed from the theorem as quoted in the lecture notes
    MerkulovDaniil/optim (``docs/methods/fom/heavy_ball.md``, "Heavy Ball Global Convergence");
    PEPit's ``heavy_ball_momentum`` example cites the same result as Theorem 4. The primary PDF
    was not re-read here. :func:`gfj_check` tests it numerically: inside the region PEPit's
    worst case stays below 1 and, away from the boundary, decreases with ``n``; near the
    boundary it may rise for a few steps (e.g. ``alpha = 1, beta = 0.95 * bound``, ``mu = 0.1``,
    ``L = 1``: 0.81, 0.548, 0.618, 0.501, 0.377), which a bound :math:`q^n` with
    :math:`q \approx 0.86` allows.

    References
    ----------
    E. Ghadimi, H. R. Feyzmahdavian, M. Johansson (2015). Global convergence of the Heavy-ball
    method for convex optimization. ECC 2015, 310-315; arXiv:1412.7457, Theorem 4.

    Examples
    --------
    >>> gfj_region([1.0, 1.0, 2.5], [0.5, 0.8, 0.1], 0.1, 1.0)
    array([ True, False, False])
    >>> bool(gfj_region(1 / 9, 4 / 9, 1.0, 25.0))  # Polyak's tuning for kappa = 25
    False
    >>> bool(gfj_region(4 / (1 + 2 ** -0.5) ** 2, ((1 - 2 ** -0.5) / (1 + 2 ** -0.5)) ** 2, 0.5, 1.0))  # kappa = 2
    True
    """
    mu_arr, L_arr = check_interval(mu, L)
    a = as_real(alpha, "alpha")
    b = as_real(beta, "beta")
    try:
        a_b, b_b, mu_b, L_b = np.broadcast_arrays(a, b, mu_arr, L_arr)
    except ValueError:
        raise ValueError(
            f"`alpha`, `beta`, `mu` and `L` must broadcast together, got shapes {a.shape}, {b.shape}, "
            f"{mu_arr.shape}, {L_arr.shape}"
        ) from None
    step_ok = (a_b > 0.0) & (a_b * L_b < 2.0)
    out = step_ok & (b_b >= 0.0) & (b_b < _gfj_bound(np.where(step_ok, a_b, 0.0), mu_b, L_b))
    return finish(out)
