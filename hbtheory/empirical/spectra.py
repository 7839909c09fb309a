"""Seeded Hessian spectra in ``[mu, L]`` for the quadratic experiments."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._validation import as_int, check_interval

__all__ = ["log_uniform_spectrum", "uniform_spectrum"]


def _draw(n: Any, mu: Any, L: Any, seed: Any) -> tuple[int, float, float, np.random.Generator]:
    count = int(as_int(n, "n", low=2))
    if np.ndim(mu) != 0 or np.ndim(L) != 0:
        raise TypeError("`mu` and `L` must be single real numbers")
    mu_a, L_a = check_interval(mu, L)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"`seed` must be an integer, got {type(seed).__name__}")
    return count, float(mu_a), float(L_a), np.random.default_rng(int(seed))


def uniform_spectrum(n: int, mu: float, L: float, *, seed: int = 0) -> NDArray[np.float64]:
    """``n`` eigenvalues in ``[mu, L]``: both ends exactly, the rest uniform, sorted.

    The extremes are included so that the worst case over the spectrum, which for every method
    of the family is attained at an end (see :func:`hbtheory.worst_case_rate`), is the one the
    experiment measures.

    Parameters
    ----------
    n : int
        Number of eigenvalues, ``>= 2``.
    mu, L : float
        The interval, ``0 < mu <= L``.
    seed : int, optional
        Seed of the numpy generator.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, float64, ascending.

    Examples
    --------
    >>> s = uniform_spectrum(5, 1.0, 10.0)
    >>> float(s[0]), float(s[-1]), s.shape
    (1.0, 10.0, (5,))
    """
    count, lo, hi, rng = _draw(n, mu, L, seed)
    inner = rng.uniform(lo, hi, size=count - 2)
    return np.sort(np.concatenate([[lo], inner, [hi]]))


def log_uniform_spectrum(n: int, mu: float, L: float, *, seed: int = 0) -> NDArray[np.float64]:
    """``n`` eigenvalues in ``[mu, L]``: both ends exactly, the rest log-uniform, sorted.

    Ill-conditioned problems have eigenvalues spread over orders of magnitude; a log-uniform draw
    puts as many in ``[mu, 10 mu]`` as in ``[L/10, L]``.

    Parameters
    ----------
    n : int
        Number of eigenvalues, ``>= 2``.
    mu, L : float
        The interval, ``0 < mu <= L``.
    seed : int, optional
        Seed of the numpy generator.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, float64, ascending.

    Examples
    --------
    >>> s = log_uniform_spectrum(4, 0.01, 1.0, seed=1)
    >>> float(s[0]), float(s[-1]), bool(np.all(np.diff(s) >= 0))
    (0.01, 1.0, True)
    """
    count, lo, hi, rng = _draw(n, mu, L, seed)
    inner = np.exp(rng.uniform(np.log(lo), np.log(hi), size=count - 2))
    return np.sort(np.concatenate([[lo], np.clip(inner, lo, hi), [hi]]))
