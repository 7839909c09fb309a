"""Empirical verification: PyTorch's own ``torch.optim.SGD`` measured against the theory.

PyTorch is imported only when a function runs (``pip install torch==2.13.0`` for the CPU build,
then ``pip install 'hbtheory[torch]'``); importing this package does not need it. Every function
takes ``device`` (``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a ``torch.device``), computes in float64
by default, is seeded, and returns a frozen result that prints readably and converts to plain
``dict``/JSON (``as_dict()``, ``to_json()``).

* quadratics: :func:`verify_quadratic`, spectra :func:`uniform_spectrum`, :func:`log_uniform_spectrum`;
* batched sweeps: :func:`sweep` (bit-for-bit ``torch.optim.SGD``), :func:`compare_with_theory`;
* conventions: :func:`chapter_vs_torch`, :func:`dampening_first_step`, :func:`nesterov_vs_matrix`;
* the chapter's network: :func:`chapter_network`, :func:`local_rate`;
* two-dimensional runs: :func:`chapter_2d`, :func:`notes_2d`, :func:`run_2d`;
* noise: :func:`noise_variance`;
* sampled minibatches on least squares: :func:`minibatch_curve`, :func:`minibatch_stationary`, :func:`kidambi_gap`;
* rate fitting: :func:`fit_recurrence` (and why it, not a log-linear slope).
* a user's model: :func:`hessian_extremes`, :func:`spectral_density` (Lanczos on Hessian-vector
  products), :func:`recommend` (``torch.optim.SGD(lr, momentum)`` from them), :func:`verify_recommendation`.
"""

from __future__ import annotations

from hbtheory.empirical._torch import TORCH_MISSING, require_torch, resolve_device
from hbtheory.empirical.conventions import (
    ConventionRun,
    DampeningRun,
    NesterovRun,
    QHMRun,
    chapter_vs_torch,
    dampening_first_step,
    nesterov_vs_matrix,
    qhm_vs_canonical,
    step_schedule,
)
from hbtheory.empirical.fit import GivensLeastSquares, RecurrenceFit, envelope_rate, fit_recurrence, fit_triples
from hbtheory.empirical.hessian import (
    HessianExtremes,
    LossError,
    SpectralDensity,
    hessian_extremes,
    spectral_density,
)
from hbtheory.empirical.network import ACTIVATIONS, LocalRate, NetworkRun, chapter_network, local_rate
from hbtheory.empirical.noise import NoiseRun, noise_variance
from hbtheory.empirical.quadratic import STATUSES, QuadraticRun, random_orthogonal, run_status, verify_quadratic
from hbtheory.empirical.recommend import (
    MU_RULES,
    Recommendation,
    TuningCheck,
    recommend,
    verify_recommendation,
)
from hbtheory.empirical.spectra import log_uniform_spectrum, uniform_spectrum
from hbtheory.empirical.stochastic import (
    KidambiGap,
    MinibatchCurve,
    MinibatchStationary,
    kidambi_gap,
    minibatch_curve,
    minibatch_stationary,
)
from hbtheory.empirical.sweep import SweepComparison, SweepResult, compare_with_theory, sweep
from hbtheory.empirical.twod import ChapterTwoD, TwoDRun, chapter_2d, notes_2d, run_2d

__all__ = [
    "ACTIVATIONS",
    "MU_RULES",
    "STATUSES",
    "TORCH_MISSING",
    "ChapterTwoD",
    "ConventionRun",
    "DampeningRun",
    "GivensLeastSquares",
    "HessianExtremes",
    "KidambiGap",
    "LocalRate",
    "LossError",
    "MinibatchCurve",
    "MinibatchStationary",
    "NesterovRun",
    "NetworkRun",
    "NoiseRun",
    "QHMRun",
    "QuadraticRun",
    "Recommendation",
    "RecurrenceFit",
    "SpectralDensity",
    "SweepComparison",
    "SweepResult",
    "TuningCheck",
    "TwoDRun",
    "chapter_2d",
    "chapter_network",
    "chapter_vs_torch",
    "compare_with_theory",
    "dampening_first_step",
    "envelope_rate",
    "fit_recurrence",
    "fit_triples",
    "hessian_extremes",
    "kidambi_gap",
    "local_rate",
    "log_uniform_spectrum",
    "minibatch_curve",
    "minibatch_stationary",
    "nesterov_vs_matrix",
    "noise_variance",
    "notes_2d",
    "qhm_vs_canonical",
    "random_orthogonal",
    "recommend",
    "require_torch",
    "resolve_device",
    "run_2d",
    "run_status",
    "spectral_density",
    "step_schedule",
    "sweep",
    "uniform_spectrum",
    "verify_quadratic",
    "verify_recommendation",
]
