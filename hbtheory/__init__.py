"""hbtheory: the convergence theory of heavy-ball (Polyak) momentum, as software.

The public surface is listed in ``__all__`` below. Layers (see ``docs/``):

* :mod:`hbtheory.methods` - heavy ball, Nesterov, gradient descent, Triple Momentum and the
  general three-parameter method as linear systems, and the maps from framework conventions
  (PyTorch, Keras, QHM, ...) to them;
* :mod:`hbtheory.symbolic` - exact derivations with sympy (imported on first use);
* :mod:`hbtheory.spectral` - broadcasting spectral radii, exact matrix powers, Theorem-1
  constants, worst cases over a spectrum, noise;
* :mod:`hbtheory.tuning` - optimal parameters for a condition number or a spectrum interval;
* :mod:`hbtheory.empirical` - the theory measured by running ``torch.optim.SGD`` itself (needs
  PyTorch, imported on first use);
* :mod:`hbtheory.counterexamples` - where the quadratic theory stops: :mod:`hbtheory.lrp` (the
  Lessard-Recht-Packard function and its proven cycle), :mod:`hbtheory.cycles` (cycle detection),
  :mod:`hbtheory.runs` (runs of every method by ``Method.step``), :mod:`hbtheory.gfj` (the
  Ghadimi-Feyzmahdavian-Johansson region);
* :mod:`hbtheory.robust` - certified rates on every smooth strongly convex function (IQC LMIs),
  proven cycles with explicit functions, robust tuning;
* :mod:`hbtheory.pep` - worst cases by PEPit's semidefinite programs (optional extra ``pepit``);
* :mod:`hbtheory.grids` - the data behind the figures (rate maps, curves, optima);
* :mod:`hbtheory.plots` - figures (matplotlib, imported on first use);
* :mod:`hbtheory.stochastic` - the mean-square theory of SGD with momentum under minibatch noise;
* :func:`hbtheory.explore` - the interactive explorer: one offline HTML page (:mod:`hbtheory.explorer`).

``import hbtheory`` loads numpy only; sympy, scipy, matplotlib and torch are imported by the
functions that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hbtheory.methods import (
    METHODS,
    Canonical,
    Method,
    from_chapter,
    from_d2l,
    from_ema,
    from_keras,
    from_qhm,
    from_torch,
    general,
    get_method,
)

__version__ = "0.1.0"

# Public name -> module that defines it. Resolved on first access so that importing the package
# stays cheap and a heavy layer is only loaded when used.
_LAZY = {
    "spectral_radius": "hbtheory.spectral",
    "spectral_gap": "hbtheory.spectral",
    "iteration_matrix": "hbtheory.spectral",
    "eigenvalues": "hbtheory.spectral",
    "power_norm": "hbtheory.spectral",
    "theorem1_constant": "hbtheory.spectral",
    "worst_case_rate": "hbtheory.spectral",
    "worst_case": "hbtheory.spectral",
    "amplification": "hbtheory.spectral",
    "velocity_transient": "hbtheory.spectral",
    "stationary_variance": "hbtheory.spectral",
    "optimal_parameters": "hbtheory.tuning",
    "optimal_beta": "hbtheory.tuning",
    "optimal_alpha": "hbtheory.tuning",
    "Tuning": "hbtheory.tuning",
    "rho_grid": "hbtheory.grids",
    "RhoGrid": "hbtheory.grids",
    "explore": "hbtheory.explorer",
    "mean_square_rate": "hbtheory.stochastic",
    "mean_square_stable": "hbtheory.stochastic",
    "stationary_second_moment": "hbtheory.stochastic",
    "mean_square_optimal": "hbtheory.stochastic",
    "certified_rate": "hbtheory.robust",
    "rate_certificate": "hbtheory.robust",
    "robust_optimal_parameters": "hbtheory.robust",
    "cycle_margin": "hbtheory.robust",
    "cycle_witness": "hbtheory.robust",
}
_SUBMODULES = {
    "methods", "symbolic", "spectral", "tuning", "empirical", "plots", "counterexamples", "pep", "report", "cli",
    "lrp", "cycles", "runs", "gfj", "grids", "robust", "explorer", "stochastic",
}

if TYPE_CHECKING:
    from hbtheory import empirical, methods, plots, spectral, symbolic, tuning
    from hbtheory.explorer import explore
    from hbtheory.grids import RhoGrid, rho_grid
    from hbtheory.robust import certified_rate, cycle_margin, cycle_witness, rate_certificate, robust_optimal_parameters
    from hbtheory.spectral import (
        amplification,
        eigenvalues,
        iteration_matrix,
        power_norm,
        spectral_gap,
        spectral_radius,
        stationary_variance,
        theorem1_constant,
        velocity_transient,
        worst_case,
        worst_case_rate,
    )
    from hbtheory.stochastic import mean_square_optimal, mean_square_rate, mean_square_stable, stationary_second_moment
    from hbtheory.tuning import Tuning, optimal_alpha, optimal_beta, optimal_parameters


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"hbtheory.{name}")
    raise AttributeError(f"module 'hbtheory' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The public names only: not the helpers of this module (``importlib``, ``Any``, ...).
    return sorted(set(__all__) | _SUBMODULES)


__all__ = [
    "METHODS",
    "Canonical",
    "Method",
    "RhoGrid",
    "Tuning",
    "__version__",
    "amplification",
    "certified_rate",
    "cycle_margin",
    "cycle_witness",
    "eigenvalues",
    "empirical",
    "explore",
    "explorer",
    "from_chapter",
    "from_d2l",
    "from_ema",
    "from_keras",
    "from_qhm",
    "from_torch",
    "general",
    "get_method",
    "grids",
    "iteration_matrix",
    "mean_square_optimal",
    "mean_square_rate",
    "mean_square_stable",
    "methods",
    "optimal_alpha",
    "optimal_beta",
    "optimal_parameters",
    "plots",
    "power_norm",
    "rate_certificate",
    "rho_grid",
    "robust",
    "robust_optimal_parameters",
    "spectral",
    "spectral_gap",
    "spectral_radius",
    "stationary_second_moment",
    "stationary_variance",
    "stochastic",
    "symbolic",
    "theorem1_constant",
    "tuning",
    "velocity_transient",
    "worst_case",
    "worst_case_rate",
]
