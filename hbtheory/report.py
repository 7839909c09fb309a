"""``hbtheory report``: run the verification of the theory on the defaults and write a report.

The report is a folder with ``report.html`` (one self-contained page with the figures embedded and
the derivations typeset as MathML, readable offline), ``report.md``, ``figures/*.png`` and
``results.json``. It is written into a hidden sibling folder and moved into place at the end, so an
interrupted run leaves nothing half-written; an existing folder is only replaced if it is an
earlier report holding nothing but the report's own files (see :mod:`hbtheory._report_dir`).

Every verification row is a :class:`Check` made by a :class:`Claim` of the registry
:data:`CLAIMS`: the statement and its source, how it was checked, the ``computed`` value, the
``reference`` it is compared with, the ``discrepancy`` between them (its meaning is the claim's
``kind``) and the ``tolerance`` that discrepancy must not exceed. A check with fewer cases than the
claim needs, or a non-finite value, fails: no row can pass by comparing nothing. The command exits
non-zero when any check fails.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hbtheory import methods as _methods
from hbtheory._report_dir import MARKER, ReportBusyError
from hbtheory._result import Result

__all__ = [
    "CLAIMS",
    "KINDS",
    "MARKER",
    "Check",
    "Claim",
    "ReportBusyError",
    "discrepancy",
    "empirical_checks",
    "optimal_table",
    "run_checks",
    "torch_available",
    "write_report",
]

EPS = float(np.finfo(np.float64).eps)
KAPPAS = (10.0, 1e2, 1e3, 1e4)
#: The methods of the optimal-tuning table (every named member of the family).
TABLE_METHODS = ("gradient_descent", "heavy_ball", "nesterov", "triple_momentum")
#: The methods whose derivation the full report shows (``--quick``: heavy ball only).
DERIVED = ("heavy_ball", "nesterov", "gradient_descent", "triple_momentum")

#: What the discrepancy of each kind of claim is; the tolerance always bounds that number.
KINDS = {
    "relative error": "|computed - reference| / |reference|",
    "absolute error": "|computed - reference|",
    "at most": "computed - reference (the computed value may exceed the reference by the tolerance at most)",
    "at least": "reference - computed (the computed value may fall short of the reference by the tolerance at most)",
}


def discrepancy(kind: str, computed: float, reference: float) -> float:
    """The number a claim's tolerance bounds, for ``computed`` against ``reference``.

    NaN when either value is not finite, so that such a row can never pass.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    computed, reference : float

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For an unknown ``kind``.

    Examples
    --------
    >>> discrepancy("relative error", 1.1, 1.0) == abs(1.1 - 1.0) / 1.0
    True
    >>> discrepancy("at most", 0.5, 1.0), discrepancy("at least", 0.5, 1.0)
    (-0.5, 0.5)
    >>> discrepancy("absolute error", float("inf"), float("inf"))
    nan
    """
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {sorted(KINDS)}, got {kind!r}")
    c, r = float(computed), float(reference)
    if not (math.isfinite(c) and math.isfinite(r)):
        return math.nan
    if kind == "relative error":
        return (0.0 if c == 0 else math.inf) if r == 0 else abs(c - r) / abs(r)
    if kind == "absolute error":
        return abs(c - r)
    return c - r if kind == "at most" else r - c


@dataclass(frozen=True, eq=False)
class Check(Result):
    """One verification row: ``passed`` iff ``cases >= min_cases`` and ``discrepancy <= tolerance``.

    ``skipped`` rows (an optional dependency is missing) are neither passed nor failed.
    """

    key: str
    claim: str
    citation: str
    how: str
    computed: float
    reference: float
    kind: str
    discrepancy: float
    tolerance: float
    tolerance_means: str
    cases: int
    min_cases: int
    passed: bool
    skipped: bool = False

    @property
    def verdict(self) -> str:
        """``"PASS"``, ``"FAIL"`` or ``"SKIP"``."""
        return "SKIP" if self.skipped else ("PASS" if self.passed else "FAIL")

    def as_dict(self) -> dict[str, Any]:
        """Plain dict of the fields plus ``verdict`` (non-finite floats stay floats; JSON makes them null)."""
        d = super().as_dict()
        d["verdict"] = self.verdict
        return d


@dataclass(frozen=True)
class Claim:
    """A claim of the theory and the rule that checks it (an entry of :data:`CLAIMS`).

    Attributes
    ----------
    key : str
    statement : str
        The claim; ``{subject}`` is replaced by the method's title where the claim is per method.
    citation : str
        Where it comes from.
    kind : str
        What the discrepancy is (a key of :data:`KINDS`).
    tolerance : float
        The largest discrepancy that passes.
    tolerance_means : str
        Why the tolerance has this size.
    min_cases : int
        How many cases (points, runs, samples) must have been compared for a verdict.
    """

    key: str
    statement: str
    citation: str
    kind: str
    tolerance: float
    tolerance_means: str
    min_cases: int = 1

    def check(self, computed: float, reference: float, *, how: str, cases: int, subject: str | None = None,
              tolerance: float | None = None) -> Check:
        """The row for ``computed`` against ``reference`` over ``cases`` compared cases.

        Examples
        --------
        >>> c = CLAIMS["amplification_limit"]
        >>> c.check(2.0, 2.0, how="exact", cases=4).verdict
        'PASS'
        >>> c.check(2.0 * (1 + 1e-12), 2.0, how="a wrong value", cases=4).verdict
        'FAIL'
        >>> c.check(2.0, 2.0, how="nothing compared", cases=0).verdict
        'FAIL'
        """
        tol = self.tolerance if tolerance is None else float(tolerance)
        d = discrepancy(self.kind, computed, reference)
        passed = int(cases) >= self.min_cases and math.isfinite(d) and math.isfinite(tol) and d <= tol
        return Check(self.key, self.statement.format(subject=subject or ""), self.citation, how, float(computed),
                     float(reference), self.kind, d, tol, self.tolerance_means, int(cases), self.min_cases,
                     bool(passed))

    def skip(self, why: str, subject: str | None = None) -> Check:
        """A ``SKIP`` row: the check could not run (``why``: the missing dependency)."""
        return Check(self.key, self.statement.format(subject=subject or ""), self.citation, f"not run: {why}",
                     math.nan, math.nan, self.kind, math.nan, self.tolerance, self.tolerance_means, 0,
                     self.min_cases, False, skipped=True)


def _claims(*claims: Claim) -> dict[str, Claim]:
    return {c.key: c for c in claims}


_POLYAK = "Polyak (1964), USSR Comput. Math. Math. Phys. 4(5)"
_LRP = "Lessard, Recht, Packard (2016), SIAM J. Optim. 26(1)"
_ULPS = "float64 rounding of the closed forms: a few ulps, bounded by 16 eps"

#: The registry: every claim the report checks, with its source and what its tolerance means.
CLAIMS: dict[str, Claim] = _claims(
    Claim("region", "{subject}: the convergence region derived by sympy (Schur-Cohn / Jury) is exactly where "
          "ρ(A) < 1", "Jury (1964); the Schur-Cohn conditions of hbtheory.symbolic", "absolute error", 0.0,
          "number of points where the two disagree, none allowed (points within 1e-9 of ρ = 1 are left out)",
          min_cases=100),
    Claim("optimum_formula", "{subject}: the closed-form optimal tuning equals the sympy equal-ripple derivation",
          f"{_POLYAK}; {_LRP}", "relative error", 16 * EPS,
          _ULPS + "; worst of α*, β*, ρ* over κ in {10, 10², 10³, 10⁴}", min_cases=4),
    Claim("optimum_rate", "{subject}: the worst-case rate over [μ, L] at the optimal tuning is the optimal rate",
          f"{_POLYAK}; {_LRP}; Van Scoy, Freeman, Lynch (2018)", "relative error", 16 * EPS,
          _ULPS + "; worst over κ in {10, 10², 10³, 10⁴}", min_cases=4),
    Claim("accuracy", "spectral_radius is accurate to the last digits within 1e-10 of the critical-damping curves",
          "hbtheory design notes (double-double on the discriminant); reference: 50-digit mpmath",
          "relative error", 16 * EPS, "a few ulps of a float64 result, bounded by 16 ε (np.linalg.eigvals "
          "loses about half the digits here)", min_cases=100),
    Claim("theorem1_bound", "Theorem 1: ‖Aᵗ‖ ≤ C (ρ + ε)ᵗ for every t, with C = theorem1_constant",
          "the source chapter, Theorem 1", "at most", 64 * EPS,
          "largest ‖Aᵗ‖ / (C (ρ+ε)ᵗ) may exceed 1 by the rounding of ‖Aᵗ‖ and C only (64 ε)",
          min_cases=20),
    Claim("theorem1_defective", "at critical damping A is defective: ‖Aᵗ‖ / (t ρᵗ⁻¹) tends to "
          "‖A − ρI‖, so ‖Aᵗ‖ = O(ρᵗ) fails and no C works for ε = 0",
          "the source chapter, Theorem 1 (the double-root case)", "relative error", 64 * EPS,
          "rounding of ‖Aᵗ‖ at t = 1000 (a few ulps each of 1000 products), bounded by 64 ε"),
    Claim("worst_case", "{subject}: worst_case(n) is the maximum over the spectrum of ‖xₙ − x*‖² / ‖x₀ − x*‖²",
          "exact n-step worst case over quadratics with spectrum in [μ, L]; reference: the method's own step rule "
          "run on a dense grid of curvatures, refined around the maximum", "relative error", 1e-12,
          "float64 rounding of n ≤ 20 steps of the recurrence (about n² ε) and of the grid maximum; 1e-12 "
          "still fails an over-estimate", min_cases=3),
    Claim("noise_lyapunov", "{subject}: the stationary variance under gradient noise solves the discrete Lyapunov "
          "equation", "Åström (1970), ch. 3; reference: the Lyapunov equation solved exactly in rationals",
          "relative error", 1e-12, "float64 rounding of the closed form, amplified near the stability boundary "
          "(ρ ≤ 0.999: at most about 1e3 ε)", min_cases=20),
    Claim("amplification_transient", "under a constant gradient g the heavy-ball step after t steps is "
          "αg (1 − βᵗ)/(1 − β)", "hbtheory design notes; reference: 40-digit run of the step rule",
          "relative error", 16 * EPS, "velocity_transient is accurate to a few ulps; worst over β in "
          "{0, .5, .9, .99} and t in {1, 10, 100, 1000}", min_cases=16),
    Claim("amplification_limit", "... and tends to αg/(1 − β): momentum amplifies the step 1/(1 − β) "
          "times", "hbtheory design notes; reference: 40-digit run of the step rule until βᵗ < 1e-20",
          "relative error", 16 * EPS, "amplification(β) is one rounding of 1 − β and one division",
          min_cases=4),
    Claim("lrp_cycle", "heavy ball at Polyak's tuning (κ = 25) falls into a period-3 cycle on the "
          "Lessard-Recht-Packard function", f"{_LRP}, sec. 4.6", "absolute error", 1e-9,
          "distance of the cycle found to the exact rational cycle (the cycle detector's tolerance)"),
    Claim("lrp_others", "Nesterov and gradient descent, tuned the same way, converge on that function",
          f"{_LRP}, sec. 4.6", "absolute error", 1e-6, "largest |x_T − x*| after 2000 steps", min_cases=2),
    Claim("pep_quadratic", "PEPit's worst case over quadratics equals hbtheory.worst_case (heavy ball, Polyak's "
          "tuning)", "Taylor, Hendrickx, Glineur (2017); PEPit", "absolute error", math.nan,
          "100 times the SDP solver's tolerance (times the worst case if above 1); per accurate solve", min_cases=3),
    Claim("pep_general", "over all smooth strongly convex functions the worst case is at least the quadratic one",
          "Taylor, Hendrickx, Glineur (2017); PEPit", "at least", math.nan,
          "the general worst case may fall short of the exact quadratic one by 100 times the solver's tolerance",
          min_cases=3),
    Claim("gfj", "inside the Ghadimi-Feyzmahdavian-Johansson region heavy ball's worst case over smooth strongly "
          "convex functions decreases with n", "Ghadimi, Feyzmahdavian, Johansson (2015), Theorem 4", "at most", 0.0,
          "largest ratio W(n+1)/W(n) of consecutive worst cases may not exceed 1", min_cases=3),
    Claim("pep_certificate", "PEPit never beats a certified rate: over every smooth strongly convex function the "
          "certificate's Lyapunov function after n steps is at most ρ²ⁿ times its start (heavy ball at Polyak's "
          "tuning, Triple Momentum; κ = 10), and at 0.9ρ the same check fails", f"{_LRP}, Theorem 4; Taylor, "
          "Hendrickx, Glineur (2017); PEPit", "at most", math.nan, "100 times the SDP solver's tolerance (times the "
          "bound if above 1); the row is void (NaN) if the false claim at 0.9ρ is not refuted", min_cases=2),
    Claim("robust_lrp", "heavy ball at Polyak's tuning: the rate certified on every smooth strongly convex function "
          "(sector + off-by-one IQC) is 0.3361 at κ = 2 and 0.8604 at κ = 10", f"{_LRP}, sec. 4.5",
          "absolute error", 5e-5, "the paper prints four digits: half a unit of the fourth", min_cases=2),
    Claim("robust_gd", "gradient descent with α = 2/(L + μ) is certified at (κ − 1)/(κ + 1), its exact rate",
          _LRP, "absolute error", 2e-9, "the bisection's tolerance (1e-9; the certified end is kept)", min_cases=3),
    Claim("robust_meet", "at Polyak's tuning the certificates end exactly where the period-3 cycles begin "
          "(κ = 9 + 4√5)", f"{_LRP}; Goujaud, Taylor, Dieuleveut (2023)", "relative error", 1e-6,
          "both thresholds found by bisection in κ", min_cases=1),
    Claim("robust_disjoint", "no (α, β) is both certified and proven to cycle", f"{_LRP}; Goujaud, Taylor, "
          "Dieuleveut (2023)", "at most", 0.0, "number of points of the robust map in both sets", min_cases=100),
    Claim("robust_torch_cycle", "torch.optim.SGD on the explicit cycle witness stays on the cycle (Polyak's tuning, "
          "κ = 25, period 3)", "Goujaud, Taylor, Dieuleveut (2023); Taylor, Hendrickx, Glineur (2017)",
          "absolute error", 1e-9, "largest distance to the cycle over 60 steps (float64)", min_cases=1),
    Claim("sgd_rate", "torch.optim.SGD on a quadratic converges at the predicted rate ρ(A)", _POLYAK,
          "relative error", 1e-9, "rate fitted from a float64 run (measured: about 1e-15)", min_cases=12),
    Claim("sgd_theorem1", "Theorem 1's bound ‖e_t‖ ≤ C (ρ+ε)ᵗ ‖e₀‖ holds at every step of torch's run",
          "the source chapter, Theorem 1", "at most", 1e-9,
          "the run's rounding (16 ε C t, below 1e-11 here) rounded up", min_cases=100),
    Claim("sweep_rates", "the ρ-map measured by running torch's update equals spectral_radius", _POLYAK,
          "relative error", 1e-6, "rates fitted from a few hundred float64 steps per grid point", min_cases=100),
    Claim("sweep_classification", "... and classifies every grid point the same way (converges or not)", _POLYAK,
          "absolute error", 0.0, "number of points classified differently, none allowed", min_cases=100),
    Claim("chapter_equal", "the chapter's hand-written step v = γv + lr·g; p −= v equals torch.optim.SGD at a "
          "constant lr", "hbtheory.methods.from_chapter", "absolute error", 1e-13,
          "the two forms round differently; iterates are of size <= 1"),
    Claim("chapter_schedule", "... and differs from it under a learning-rate schedule (lr × 0.1 at step 20)",
          "hbtheory.methods.from_chapter", "at least", 0.0,
          "the largest difference of the iterates must reach 1e-3: a real difference, far above rounding"),
    Claim("notes_digits", "the notes' printed results are reproduced to every printed digit by torch.optim.SGD",
          "the source notes (d2l's train_2d)", "absolute error", 0.0, "number of printed lines that differ",
          min_cases=4),
    Claim("noise_variance", "{subject}: the stationary variance of SGD with momentum under gradient noise matches "
          "the Lyapunov prediction", "Åström (1970), ch. 3", "absolute error", math.nan,
          "5 standard errors of the mean over the seeded replicas", min_cases=256),
    Claim("ms_reference", "stationary E x² of SGD with momentum on least squares, h = s² = 1, Gaussian features: "
          "3/8 at (α, β) = (0.2, 0.5) and 1/17 at (0.1, 0)", "issue 13's reference points; hbtheory.stochastic",
          "relative error", 64 * EPS, "a 3×3 float64 solve of condition about 1/(α h): tens of ulps", min_cases=2),
    Claim("ms_exact", "{subject}: the stationary E x² under sampled features (multiplicative noise through the "
          "gradient point y) solves the exact second-moment recursion", "Kidambi, Netrapalli, Jain, Kakade (2018); "
          "reference: the 3×3 recursion built from the realisation and solved in exact rationals",
          "relative error", 1e-12, "float64 solve, condition up to about 1e3 at the sampled points (ρ(T) ≤ 0.999)",
          min_cases=20),
    Claim("ms_region", "{subject}: the mean-square region derived by sympy (α h below its bound, v = k h²) is "
          "exactly where the second-moment map is stable", "Costa, Fragoso, Marques (2005), ch. 3; "
          "hbtheory.symbolic.mean_square_region", "absolute error", 0.0,
          "number of points where the two disagree, none allowed (points 1e-6 to 1e-2 from the boundary)",
          min_cases=100),
    Claim("ms_coupled", "with d-dimensional Gaussian features the rate from the 3d secular equation equals the "
          "spectral radius of the full (2d)² moment map built from E[a aᵀ Y a aᵀ] = 2HYH + tr(HY)H",
          "Isserlis (1918); hbtheory.stochastic.coupled_mean_square_rate", "relative error", 1e-12,
          "a 36×36 eigen-solve against a Newton root: about 100 ε each", min_cases=3),
    Claim("ms_torch", "{subject}: torch.optim.SGD on sampled minibatches reaches the predicted stationary E x²",
          "hbtheory.stochastic.stationary_second_moment", "absolute error", math.nan,
          "5 standard errors of the mean over the seeded replicas", min_cases=256),
    Claim("ms_kidambi", "with one sample per step tuned heavy ball is less than twice as fast as tuned SGD "
          "(κ = 25, features on one axis at a time), against about √κ = 5 times with exact gradients",
          "Kidambi, Netrapalli, Jain, Kakade (2018)", "at most", 0.0,
          "the measured speed-up plus 5 standard errors may not exceed 2 (a run flagged heavy-tailed or "
          "disagreeing with the exact curves counts as not measured)", min_cases=1024),
    Claim("network", "on the chapter's 1-20-1 ReLU net momentum 0.8 ends with a lower loss than plain SGD",
          "the source chapter's experiment", "at most", 0.0,
          "momentum's final loss may not exceed plain SGD's (reference)"),
    Claim("local_rate", "near a minimum of the (tanh) network, full-batch SGD converges at the rate ρ predicts",
          _POLYAK, "relative error", 1e-5, "rate fitted from float64 steps near the minimum (Hessian by torch.func)"),
    Claim("hessian_extremes", "{subject}: hessian_extremes (Lanczos on Hessian-vector products, the Hessian never "
          "formed) finds the extreme eigenvalues of the model's loss Hessian",
          "Lanczos (1950); reference: the Hessian in closed form", "relative error", 1e-6,
          "issue 14's target; converged Ritz values are accurate to about residual² / gap (measured: ~1e-15)",
          min_cases=2),
    Claim("tuning_rate", "{subject}: torch.optim.SGD at recommend()'s (lr, momentum) converges on the model itself "
          "at the predicted local rate", _POLYAK, "relative error", 0.05,
          "issue 14's target: a rate fitted to the error norm of a float64 run (the critically damped ends of "
          "Polyak's tuning leave about 1e-2 at most; measured: below 1e-2)"),
    Claim("tuning_best", "{subject}: the measured (lr, momentum) map around the recommendation is best at it",
          _POLYAK, "absolute error", 0.0,
          "grid cells between the best measured point and the recommendation: none allowed", min_cases=25),
)


def _worst(pairs: Iterable[tuple[float, float]], kind: str) -> tuple[float, float]:
    """The ``(computed, reference)`` pair with the largest discrepancy (a NaN one first)."""
    best: tuple[float, float] | None = None
    best_d = -math.inf
    for c, r in pairs:
        d = discrepancy(kind, c, r)
        if math.isnan(d):
            return float(c), float(r)
        if d > best_d:
            best, best_d = (float(c), float(r)), d
    return best if best is not None else (math.nan, math.nan)


def _title(name: str) -> str:
    return _methods.get_method(name).title


# ------------------------------------------------------------------------------------------ checks


def _near_boundary(name: str, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points within 1e-6..1e-2 (relative, in alpha) of where spectral_radius crosses 1.

    For every method of the family the stable steps at fixed (beta, h) form one interval
    (0, alpha_max); alpha_max is found by bisection on ``spectral_radius`` itself, and the sympy
    region must then put the points on each side of it on the right side.
    """
    from hbtheory.spectral import spectral_radius

    b = rng.uniform(0.0, 0.99, n)
    hh = rng.uniform(0.01, 2.0, n)
    lo, hi = np.full(n, 1e-6) / hh, np.full(n, 50.0) / hh
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        outside = np.asarray(spectral_radius(mid, b, hh, method=name)) >= 1.0
        lo, hi = np.where(outside, lo, mid), np.where(outside, mid, hi)
    side = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return hi * (1.0 + side * 10.0 ** rng.uniform(-6, -2, n)), b, hh


def _check_region(rng: np.random.Generator, quick: bool) -> Iterator[Check]:
    from hbtheory import symbolic
    from hbtheory.spectral import spectral_radius

    n = 500 if quick else 3000
    claim = CLAIMS["region"]
    for name in ("heavy_ball",) if quick else ("heavy_ball", "nesterov"):
        region = symbolic.convergence_region(name)
        f = symbolic.to_numpy(region, (symbolic.alpha, symbolic.beta, symbolic.h))
        near = _near_boundary(name, rng, n)
        a = np.concatenate([rng.uniform(0.01, 5.0, n), near[0]])
        b = np.concatenate([rng.uniform(0.0, 1.0, n), near[1]])
        hh = np.concatenate([rng.uniform(0.01, 2.0, n), near[2]])
        inside = np.asarray(f(a, b, hh), dtype=bool)
        rho = np.asarray(spectral_radius(a, b, hh, method=name))
        margin = np.abs(rho - 1.0) > 1e-9  # points on the boundary itself are left out
        disagree = int(np.sum((inside != (rho < 1.0)) & margin))
        yield claim.check(disagree, 0, how=f"sympy region vs spectral_radius at {int(margin.sum())} (alpha, beta, h): "
                          f"{n} uniform, {n} within 1e-6..1e-2 of the boundary; {int(inside.sum())} inside",
                          cases=int(margin.sum()), subject=_title(name))


def _check_optimum(quick: bool) -> Iterator[Check]:
    import sympy as sp

    from hbtheory import symbolic
    from hbtheory.spectral import worst_case_rate
    from hbtheory.tuning import optimal_parameters

    formula, rate = CLAIMS["optimum_formula"], CLAIMS["optimum_rate"]
    derived = ("heavy_ball",) if quick else ("heavy_ball", "nesterov", "gradient_descent")
    for name in TABLE_METHODS:
        tunings = [optimal_parameters(kappa=kappa, method=name) for kappa in KAPPAS]
        if name in derived:
            sym = symbolic.optimal_parameters(name)
            pairs = []
            for kappa, t in zip(KAPPAS, tunings, strict=True):
                subs = {symbolic.mu: sp.Rational(1) / sp.Integer(int(kappa)), symbolic.L: 1}
                for key, expr in (("alpha", sym.alpha), ("beta", sym.beta), ("rate", sym.rho)):
                    pairs.append((float(getattr(t, key)), float(sp.N(expr.subs(subs), 30))))
            c, r = _worst(pairs, formula.kind)
            yield formula.check(c, r, how="tuning.optimal_parameters vs the sympy result at 30 digits; worst of "
                                "alpha, beta, rate", cases=len(tunings), subject=_title(name))
        pairs = [(float(worst_case_rate(t.alpha, t.beta, t.mu, t.L, method=name)), float(t.rate)) for t in tunings]
        c, r = _worst(pairs, rate.kind)
        yield rate.check(c, r, how="worst_case_rate (max over h in [mu, L] of rho) vs Tuning.rate, worst kappa",
                         cases=len(tunings), subject=_title(name))


def _check_accuracy(rng: np.random.Generator, quick: bool) -> Iterator[Check]:
    import mpmath

    from hbtheory.spectral import spectral_radius

    n = 300 if quick else 2000
    beta = rng.uniform(0.0, 1.0, n)
    sb = np.sqrt(beta)
    h = 1.0
    # within 1e-10 (relative) of the lower or the upper critical curve alpha h = (1 -/+ sqrt(beta))^2
    curve = np.where(rng.random(n) < 0.5, (1 - sb) ** 2, (1 + sb) ** 2)
    alpha = np.maximum(curve * (1 + rng.uniform(-1e-10, 1e-10, n)), 1e-12)
    ref = np.empty(n)
    with mpmath.workdps(50):
        for i in range(n):
            a, b = mpmath.mpf(float(alpha[i])), mpmath.mpf(float(beta[i]))
            c1 = 1 + b - a * h
            d = c1 * c1 - 4 * b
            ref[i] = float((abs(c1) + mpmath.sqrt(d)) / 2 if d >= 0 else mpmath.sqrt(b))
    got = np.asarray(spectral_radius(alpha, beta, h))
    mats = np.zeros((n, 2, 2))
    mats[:, 0, 0] = 1 + beta - alpha * h
    mats[:, 0, 1] = -beta
    mats[:, 1, 0] = 1
    eig = np.max(np.abs(np.linalg.eigvals(mats)), axis=-1)
    eig_err = float(np.max(np.abs(eig - ref) / ref))
    claim = CLAIMS["accuracy"]
    c, r = _worst(zip(got.tolist(), ref.tolist(), strict=True), claim.kind)
    yield claim.check(c, r, how=f"heavy ball at {n} points within 1e-10 of the curves vs 50-digit mpmath, worst point "
                      f"(np.linalg.eigvals there: relative error up to {eig_err:.1e})", cases=n)


def _check_theorem1(rng: np.random.Generator) -> Iterator[Check]:
    from hbtheory.spectral import power_norm, spectral_radius, theorem1_constant

    claim = CLAIMS["theorem1_bound"]
    t = np.arange(0, 501)
    eps = 0.01
    ratios: list[float] = []
    for _ in range(400):  # draw until enough points with 0.5 <= rho < 1 (no underflow over t <= 500)
        a, b, h = rng.uniform(0.05, 2.0), rng.uniform(0.0, 0.99), 1.0
        rho = float(spectral_radius(a, b, h))
        if not 0.5 <= rho < 1:
            continue
        c = float(theorem1_constant(a, b, h, eps=eps))
        ratios.append(float(np.max(np.asarray(power_norm(a, b, h, t)) / (rho + eps) ** t)) / c)
        if len(ratios) == 2 * claim.min_cases:
            break
    worst = max(ratios, default=math.nan)
    yield claim.check(worst, 1.0, how=f"largest ||A^t|| / (C (rho+eps)^t) over t <= 500, eps = {eps}, at "
                      f"{len(ratios)} random heavy-ball points with 0.5 <= rho < 1", cases=len(ratios))

    # heavy ball at alpha h = 1/4, beta = 1/4 = (1 - sqrt(alpha h))^2: a double root at r = 1/2
    a, b, h, r, steps = 0.25, 0.25, 1.0, 0.5, 1000
    growth = float(power_norm(a, b, h, steps)) / (steps * r ** (steps - 1))
    # A^t = r^(t-1) (t (A - rI) + rI) (Cayley-Hamilton with p_t = t r^(t-1)), so the ratio is exactly
    # ||(A - rI) + (r/t) I||_2, whose entries are exact in float64
    exact = float(np.linalg.norm(np.array([[1 - r + r / steps, -b], [1.0, -r + r / steps]]), 2))
    c0 = float(theorem1_constant(a, b, h))
    yield CLAIMS["theorem1_defective"].check(
        growth, exact, how=f"alpha h = beta = 1/4 (double root 1/2): ||A^t|| / (t rho^(t-1)) at t = {steps} vs "
        f"||A - rho I + (rho/t) I||; theorem1_constant(eps=0) = {c0:g}", cases=1)


def _brute_worst(m: _methods.Method, n: int, alpha: float, beta: float, mu: float, L: float) -> float:
    """max over h in [mu, L] of x_n(h)^2 with x_{-1} = x_0 = 1, by the method's own step rule."""

    def run(h: np.ndarray) -> np.ndarray:
        x = np.ones_like(h)
        x_prev = np.ones_like(h)
        for _ in range(n):
            x, x_prev = m.step(lambda y: h * y, x, x_prev, alpha, beta)
        return np.asarray(x**2)

    grid = np.linspace(mu, L, 20001)
    values = run(grid)
    i = int(np.argmax(values))
    fine = np.linspace(grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)], 20001)  # the maximum's neighbourhood
    return float(max(values[i], np.max(run(fine))))


def _check_worst_case() -> Iterator[Check]:
    from hbtheory.spectral import worst_case
    from hbtheory.tuning import optimal_parameters

    claim = CLAIMS["worst_case"]
    ns = (1, 5, 20)
    for name in ("heavy_ball", "nesterov", "gradient_descent"):
        m = _methods.get_method(name)
        t = optimal_parameters(kappa=100.0, method=name)
        pairs = [(_brute_worst(m, n, t.alpha, t.beta, t.mu, t.L), float(worst_case(n, t.alpha, t.beta, t.mu, t.L,
                                                                                    method=name))) for n in ns]
        c, r = _worst(pairs, claim.kind)
        yield claim.check(c, r, how=f"optimal tuning for kappa = 100, n = {', '.join(map(str, ns))}: Method.step on "
                          "20001 curvatures + 20001 around the maximum vs worst_case, worst n", cases=len(ns),
                          subject=m.title)


def _lyapunov_exact(a: float, b: float, h: float, s: float, m: _methods.Method) -> float:
    """Var(x) of x+ = c1 x - c0 x- - alpha xi (Var xi = s^2), from the 3x3 linear system in rationals."""
    from fractions import Fraction as F

    c1, c0 = m.c1(F(a), F(b), F(h)), m.c0(F(a), F(b), F(h))
    q = F(a) ** 2 * F(s) ** 2
    # S = A S A^T + Q with S = [[u, v], [v, u]] (stationary: x and x- have the same variance), A = [[c1, -c0], [1, 0]]:
    # u = c1^2 u - 2 c1 c0 v + c0^2 u + q, v = c1 u - c0 v  =>  v = c1 u / (1 + c0)
    u = q / (1 - c1**2 - c0**2 + 2 * c1**2 * c0 / (1 + c0))
    return float(u)


def _check_noise(rng: np.random.Generator) -> Iterator[Check]:
    from hbtheory.spectral import spectral_radius, stationary_variance

    claim = CLAIMS["noise_lyapunov"]
    for name in ("heavy_ball", "nesterov"):
        m = _methods.get_method(name)
        pairs = []
        for _ in range(400):  # draw until enough stable points (rho < 0.999)
            a, b, h, s = rng.uniform(0.01, 1.0), rng.uniform(0.0, 0.95), rng.uniform(0.1, 1.5), rng.uniform(0.1, 2)
            if float(spectral_radius(a, b, h, method=name)) >= 0.999:
                continue
            pairs.append((float(stationary_variance(a, b, h, s, method=name)), _lyapunov_exact(a, b, h, s, m)))
            if len(pairs) == claim.min_cases:
                break
        c, r = _worst(pairs, claim.kind)
        yield claim.check(c, r, how=f"stationary_variance vs the exact rational solution of S = A S A^T + Q at "
                          f"{len(pairs)} random stable points, worst point", cases=len(pairs), subject=m.title)


def _ms_exact(name: str, a: float, b: float, h: float, v: float, s2: float) -> float:
    """Stationary E x^2 from the second-moment recursion in exact rationals (sympy's LU on Rationals)."""
    from fractions import Fraction as F

    import sympy as sp

    from hbtheory.stochastic import moment_equations

    T, rhs = moment_equations(name, F(a), F(b), F(h), F(v))
    lhs = sp.eye(3) - sp.Matrix([[sp.Rational(x.numerator, x.denominator) for x in row] for row in T])
    col = sp.Matrix([sp.Rational(x.numerator, x.denominator) * sp.Rational(F(s2).numerator, F(s2).denominator)
                     for x in rhs])
    return float(lhs.LUsolve(col)[0])


def _isserlis_rate(alpha: float, beta: float, H: np.ndarray) -> float:
    """Spectral radius of heavy ball's full (2d)^2 second-moment map with Gaussian features N(0, H), B = 1."""
    d = H.shape[0]
    A, Bm, C, _ = _methods.HEAVY_BALL.realisation(alpha, beta)
    Ak, Bk, Ck = (np.kron(np.array(x, dtype=float), np.eye(d)) for x in (A, Bm, C))
    M = Ak + Bk @ H @ Ck
    n = 2 * d
    T = np.zeros((n * n, n * n))
    for k in range(n * n):
        P = np.zeros(n * n)
        P[k] = 1.0
        P = P.reshape(n, n)
        Y = Ck @ P @ Ck.T
        T[:, k] = (M @ P @ M.T + Bk @ (H @ Y @ H + np.trace(H @ Y) * H) @ Bk.T).ravel()
    return float(np.abs(np.linalg.eigvals(T)).max())


def _check_mean_square(quick: bool) -> Iterator[Check]:
    from hbtheory import stochastic, symbolic

    rng = np.random.default_rng(13)  # its own stream: the other groups draw the same numbers as before
    ref = CLAIMS["ms_reference"]
    got = stochastic.stationary_second_moment([0.2, 0.1], [0.5, 0.0], 1.0, curvature_variance=2.0, noise_variance=1.0)
    c, r = _worst(zip(np.asarray(got).tolist(), [3 / 8, 1 / 17], strict=True), ref.kind)
    yield ref.check(c, r, how="stationary_second_moment at the two points vs 3/8 and 1/17, worst", cases=2)

    claim = CLAIMS["ms_exact"]
    for name in ("heavy_ball", "nesterov"):
        pairs = []
        for _ in range(400):  # draw until enough mean-square stable points
            a, b, h = rng.uniform(0.01, 0.5), rng.uniform(0.0, 0.9), rng.uniform(0.2, 1.5)
            v, s2 = rng.uniform(0.0, 2.0) * h * h, rng.uniform(0.1, 2.0)
            if float(stochastic.mean_square_rate(a, b, h, curvature_variance=v, method=name)) >= 0.999:
                continue
            pairs.append((float(stochastic.stationary_second_moment(a, b, h, curvature_variance=v, noise_variance=s2,
                                                                    method=name)), _ms_exact(name, a, b, h, v, s2)))
            if len(pairs) == claim.min_cases:
                break
        c, r = _worst(pairs, claim.kind)
        yield claim.check(c, r, how=f"float64 vs exact rational solution at {len(pairs)} random stable points, "
                          "worst point", cases=len(pairs), subject=_title(name))

    claim = CLAIMS["ms_region"]
    n = 200 if quick else 1000
    for name in ("heavy_ball",) if quick else ("heavy_ball", "nesterov"):
        reg = symbolic.mean_square_region(name)
        bound = symbolic.to_numpy(reg.alpha_h_bound, (symbolic.beta, reg.k))
        bs, ks, hs = rng.uniform(0.05, 0.95, n), rng.uniform(0.05, 2.0, n), rng.uniform(0.1, 2.0, n)
        edge = np.asarray(bound(bs, ks), dtype=np.float64)
        side = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        alpha = edge / hs * (1.0 + side * 10.0 ** rng.uniform(-6, -2, n))
        numeric = np.asarray(stochastic.mean_square_stable(alpha, bs, hs, curvature_variance=ks * hs * hs,
                                                           method=name))
        wrong = int(np.count_nonzero(numeric != (side < 0)))
        yield claim.check(wrong, 0.0, how=f"{n} points 1e-6..1e-2 (relative) on either side of the derived bound; "
                          "mean_square_stable vs the side", cases=n, subject=_title(name))

    claim = CLAIMS["ms_coupled"]
    pairs = []
    for _ in range(claim.min_cases):
        q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
        hs = np.sort(rng.uniform(0.05, 1.0, 3))[::-1]
        a, b = rng.uniform(0.02, 0.3), rng.uniform(0.0, 0.9)
        full = _isserlis_rate(a, b, q @ np.diag(hs) @ q.T)
        pairs.append((float(stochastic.coupled_mean_square_rate(a, b, hs)), full))
    c, r = _worst(pairs, claim.kind)
    yield claim.check(c, r, how="d = 3, rotated H, heavy ball at random (α, β): secular root vs a 36×36 eigen-solve, "
                      "worst", cases=len(pairs))


def _check_amplification() -> Iterator[Check]:
    import mpmath

    from hbtheory.spectral import amplification, velocity_transient

    hb = _methods.HEAVY_BALL
    alpha, g = 0.1, 1.0
    transient, limit = [], []
    with mpmath.workdps(40):
        for beta in (0.0, 0.5, 0.9, 0.99):
            x = x_prev = mpmath.mpf(0)
            t_end = max(1000, math.ceil(-20 / math.log10(beta))) if beta > 0 else 1000
            for t in range(1, t_end + 1):
                x, x_prev = hb.step(lambda _y: g, x, x_prev, mpmath.mpf(alpha), mpmath.mpf(beta))
                if t in (1, 10, 100, 1000):
                    transient.append((float(velocity_transient(alpha, beta, g, t)), float(x_prev - x)))
            limit.append((alpha * g * float(amplification(beta)), float(x_prev - x)))
    for key, pairs, how in (
        ("amplification_transient", transient, "velocity_transient vs the step x_(t-1) - x_t of a 40-digit run of "
         "HEAVY_BALL.step under g = 1, alpha = 0.1, worst (beta, t)"),
        ("amplification_limit", limit,
         "alpha g amplification(beta) vs that run's step once beta^t < 1e-20, worst beta"),
    ):
        claim = CLAIMS[key]
        c, r = _worst(pairs, claim.kind)
        yield claim.check(c, r, how=how, cases=len(pairs))


def _check_counterexample() -> Iterator[Check]:
    from hbtheory.counterexamples import counterexample_summary

    s = counterexample_summary(steps=2000, starts=[-3.3, 3.0, 3.3])
    cycle = s.cycle_error if s.period == 3 else math.nan
    yield CLAIMS["lrp_cycle"].check(cycle, 0.0, how=f"run from x_-1 = x_0 = 3.3, 2000 steps; period found: {s.period}; "
                                    "max |cycle - exact rationals|", cases=1 if s.period == 3 else 0)
    others = [o for o in s.outcomes if o.method != s.cycle_method]
    converged = [o for o in others if o.status == "converged"]
    yield CLAIMS["lrp_others"].check(max((o.distance for o in converged), default=math.nan), 0.0,
                                     how="same start; status: " + ", ".join(f"{o.method} {o.status}" for o in others),
                                     cases=len(converged))


def _check_pep(quick: bool, artefacts: dict[str, Any]) -> Iterator[Check]:
    """PEPit: exact on quadratics, at least as bad on all smooth strongly convex functions, and the GFJ region."""
    import importlib.util

    if importlib.util.find_spec("PEPit") is None:
        why = "PEPit is not installed (pip install -e '.[pepit]')"
        yield from (CLAIMS[k].skip(why) for k in ("pep_quadratic", "pep_general", "gfj", "pep_certificate"))
        return
    from hbtheory.pep import gfj_check, pep_comparison

    ns = [1, 2, 3] if quick else [1, 2, 3, 4]
    comp = pep_comparison(ns, 10.0)
    artefacts["pep"] = comp
    exact = np.asarray(comp.exact)
    tol = 100.0 * comp.tolerance * max(1.0, float(np.max(exact)))
    accurate = np.asarray(comp.accurate)
    for key, values, ok in (("pep_quadratic", comp.quadratic, accurate[0]),
                            ("pep_general", comp.smooth_strongly_convex, accurate[1])):
        claim = CLAIMS[key]
        v = np.asarray(values)
        c, r = _worst(zip(v[ok].tolist(), exact[ok].tolist(), strict=True), claim.kind)
        yield claim.check(c, r, how=f"kappa = {comp.kappa:g}, n = {', '.join(map(str, ns))}, SDP solver "
                          f"{comp.solver}; worst n of the accurate solves", cases=int(ok.sum()), tolerance=tol)
    g = gfj_check(ns=(1, 2, 3) if quick else (1, 2, 3, 4))
    v = np.asarray(g.values)
    ratio = float(np.max(v[:, 1:] / v[:, :-1]))
    good = bool(np.all(g.in_region) and g.accurate)
    yield CLAIMS["gfj"].check(ratio if good else math.nan, 1.0,
                              how=f"PEPit ({g.solver}), f(x_n) - f* given f(x_0) - f* <= 1, {len(v)} points of the "
                              f"region (mu = {g.mu:g}, L = {g.L:g}), n = {', '.join(map(str, g.ns.tolist()))}",
                              cases=int(v.shape[0] * (v.shape[1] - 1)) if good else 0)
    yield _check_pep_certificate()


def _check_pep_certificate() -> Check:
    """PEPit against the certified rates (:func:`hbtheory.pep.certificate_check`), and a false claim refuted."""
    from hbtheory.methods import HEAVY_BALL, TRIPLE_MOMENTUM
    from hbtheory.pep import certificate_check

    claim = CLAIMS["pep_certificate"]
    forms = {m.name: m.closed_form for m in (HEAVY_BALL, TRIPLE_MOMENTUM)}
    runs = []
    for name, form in forms.items():
        assert form is not None  # both have their closed form (methods.py)
        cf = form(0.1, 1.0)
        runs.append(certificate_check(cf.alpha, cf.beta, 0.1, 1.0, method=name, n=2))
    polyak = runs[0]
    false = certificate_check(polyak.alpha, polyak.beta, 0.1, 1.0, n=2, rate=0.9 * polyak.rate)
    refuted = false.accurate and false.value > false.bound + false.slack
    good = [r for r in runs if r.accurate]
    c, ref = _worst(((r.value, r.bound) for r in good), claim.kind)
    how = "; ".join(f"{r.method} (ρ = {r.rate:.6f}, from step {r.entry}): {r.value:.6f} ≤ {r.bound:.6f}"
                    for r in runs)
    return claim.check(c if refuted else math.nan, ref, how=f"PEPit ({polyak.solver}), n = 2: {how}; at 0.9ρ "
                       f"{false.value:.6f} > {false.bound:.6f}", cases=len(good),
                       tolerance=max(r.slack for r in runs))


def _check_robust(quick: bool, artefacts: dict[str, Any]) -> Iterator[Check]:
    """Certified rates (IQC LMIs) and proven cycles on every smooth strongly convex function."""
    import importlib.util

    from hbtheory.methods import GRADIENT_DESCENT, HEAVY_BALL
    from hbtheory.robust import certified_rate, cycle_margin, cycle_witness, robust_map_data

    polyak_form = HEAVY_BALL.closed_form
    assert polyak_form is not None  # heavy ball has its closed form (methods.py)

    def polyak(k: float) -> tuple[float, float]:
        c = polyak_form(1.0, k)
        return c.alpha, c.beta

    (a2, b2), (a10, b10) = polyak(2.0), polyak(10.0)
    r = np.asarray(certified_rate([a2, a10], [b2, b10], 1.0, [2.0, 10.0]))
    err = max(abs(float(r[0]) - 0.3361), abs(float(r[1]) - 0.8604))
    yield CLAIMS["robust_lrp"].check(err, 0.0, how=f"certified_rate: {float(r[0]):.6f} and {float(r[1]):.6f}",
                                     cases=2)
    ks = np.array([2.0, 10.0, 100.0])
    g = np.asarray(certified_rate(2.0 / (ks + 1.0), 0.0, 1.0, ks, method=GRADIENT_DESCENT))
    yield CLAIMS["robust_gd"].check(float(np.max(np.abs(g - (ks - 1) / (ks + 1)))), 0.0, how="κ = 2, 10, 100",
                                    cases=3)

    def threshold(ends: Callable[[float], bool]) -> float:
        lo, hi = 17.0, 19.0
        for _ in range(26):  # 2 / 2^26 = 3e-8: well inside the claim's 1e-6
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if ends(mid) else (mid, hi)
        return 0.5 * (lo + hi)

    k_cert = threshold(lambda k: not math.isfinite(float(certified_rate(*polyak(k), 1.0, k))))
    k_cyc = threshold(lambda k: float(cycle_margin(*polyak(k), 1.0, k, 3)) >= 0.0)
    yield CLAIMS["robust_meet"].check(k_cert, k_cyc, how=f"bisection in κ: certificates end at {k_cert:.9f}, "
                                      f"cycles begin at {k_cyc:.9f}; 9 + 4√5 = {9 + 4 * math.sqrt(5):.9f}", cases=1)
    m = robust_map_data(0.04, 1.0, n=16 if quick else 32)
    artefacts["robust_map"] = m
    both = int(np.sum(m.certified & (m.cycle > 0)))
    yield CLAIMS["robust_disjoint"].check(float(both), 0.0, how=f"{m.rate.size}-point map, μ = 0.04, L = 1, "
                                          f"periods 2-8: {int(m.certified.sum())} certified, "
                                          f"{int((m.cycle > 0).sum())} cycling", cases=int(m.rate.size))
    if quick or importlib.util.find_spec("torch") is None:
        yield CLAIMS["robust_torch_cycle"].skip("--quick" if quick else "PyTorch is not installed")
        return
    import torch

    w = cycle_witness(*polyak(25.0), 1.0, 25.0, 3)
    p = torch.nn.Parameter(torch.tensor(np.asarray(w.points[0]), dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=w.alpha, momentum=w.beta)
    opt.state[p]["momentum_buffer"] = torch.tensor((w.points[-1] - w.points[0]) / w.alpha, dtype=torch.float64)
    worst = 0.0
    for t in range(1, 61):
        opt.zero_grad()
        w.value_torch(p).backward()
        opt.step()
        worst = max(worst, float(np.max(np.abs(p.detach().numpy() - w.points[t % w.K]))))
    yield CLAIMS["robust_torch_cycle"].check(worst, 0.0, how="torch.optim.SGD(lr=α, momentum=β) from x₀ with the "
                                             "buffer (x₋₁ − x₀)/α, 60 steps", cases=1)


# NOTES_LINES: the results printed in the source notes (shared/seeds/002_*.txt) for
# f = 0.1 x1^2 + 2 x2^2 from (-5, -2), 20 steps of d2l's train_2d at each (eta, beta).
NOTES_LINES = {
    (0.4, 0.0): "epoch 20, x1: -0.943467, x2: -0.000073",
    (0.6, 0.0): "epoch 20, x1: -0.387814, x2: -1673.365109",
    (0.6, 0.5): "epoch 20, x1: 0.007188, x2: 0.002553",
    (0.6, 0.25): "epoch 20, x1: -0.126340, x2: -0.186632",
}


def torch_available() -> bool:
    """Whether PyTorch can be imported (the empirical checks need it).

    Examples
    --------
    >>> import importlib.util
    >>> torch_available() == (importlib.util.find_spec("torch") is not None)
    True
    """
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def _theorem1_cases(run: Any) -> int:
    """(step, direction) pairs the run's Theorem-1 check compared: directions with a finite constant."""
    counted = getattr(run, "theorem1_samples", None)
    if isinstance(counted, (int, np.integer)):
        return int(counted)
    finite = int(np.sum(np.isfinite(np.asarray(run.theorem1_constants))))
    return finite * int(run.steps)


def empirical_checks(*, device: str = "cpu", quick: bool = False,
                     progress: Callable[[str], None] | None = None,
                     artefacts: dict[str, Any] | None = None) -> list[Check]:
    """Run the empirical checks: ``torch.optim.SGD`` itself against the theory.

    Parameters
    ----------
    device : str, optional
        ``"cpu"`` or ``"cuda"`` (or ``"cuda:N"``).
    quick : bool, optional
        Shorter runs, fewer replicas, and no network training (its two rows are left out).
    progress : callable, optional
        Called with the name of each check before it runs.
    artefacts : dict, optional
        If given, receives the runs behind the rows (for the report's figures), so that nothing
        is run twice.

    Returns
    -------
    list of Check
        One ``SKIP`` row when PyTorch is not installed.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> rows = empirical_checks(quick=True)
    >>> [r.verdict for r in rows].count("PASS") == len(rows) == 19
    True
    >>> rate = rows[0]
    >>> rate.key, rate.cases, rate.discrepancy < 1e-12
    ('sgd_rate', 12, True)
    """
    if not torch_available():
        return [CLAIMS["sgd_rate"].skip("PyTorch is not installed (pip install torch, the CPU build)")]
    from hbtheory import empirical as emp
    from hbtheory.tuning import optimal_parameters

    say = progress or (lambda _msg: None)
    rows: list[Check] = []

    say("empirical: quadratics")
    t = optimal_parameters(kappa=100.0)
    spectrum = emp.log_uniform_spectrum(12, 0.02, 0.9, seed=0)  # strictly inside [mu, L]: no double root
    run = emp.verify_quadratic(spectrum, lr=t.alpha, momentum=t.beta, steps=150 if quick else 300, dense=True,
                               device=device, progress=False)
    rows.append(CLAIMS["sgd_rate"].check(
        run.measured_rate, run.predicted_rate, cases=int(np.sum(np.isfinite(np.asarray(run.direction_rates)))),
        how="Polyak's tuning for kappa = 100, 12 log-uniform eigenvalues, rotated; largest fitted rate over the "
        "eigen-directions vs largest spectral_radius"))
    rows.append(CLAIMS["sgd_theorem1"].check(
        run.theorem1_max_ratio, 1.0, cases=_theorem1_cases(run),
        how=f"largest ||s_t|| / (C (rho+eps)^(t-1) ||s_1||) over {run.steps} steps and the directions with a "
        f"finite C (eps = {run.theorem1_eps:g})"))

    say("empirical: batched sweep")
    n = 16 if quick else 40
    alpha = np.linspace(0.05, 4.0, n)[:, None]
    beta = np.linspace(0.0, 0.95, n)[None, :]
    res = emp.sweep(alpha, beta, 1.0, steps=300 if quick else 500, device=device, progress=False)
    cmp = emp.compare_with_theory(res)
    measured, predicted = np.ravel(cmp.measured), np.ravel(cmp.predicted)
    both = np.isfinite(measured) & np.isfinite(predicted)
    claim = CLAIMS["sweep_rates"]
    c, r = _worst(zip(measured[both].tolist(), predicted[both].tolist(), strict=True), claim.kind)
    rows.append(claim.check(c, r, cases=int(both.sum()), how=f"{n}x{n} (alpha, beta) grid at h = 1, "
                            "measured vs spectral_radius at the worst point"))
    rows.append(CLAIMS["sweep_classification"].check(cmp.classification_mismatches, 0, cases=n * n,
                                                     how=f"the same {n}x{n} grid: converging or not"))

    say("empirical: conventions")
    same = emp.chapter_vs_torch(lr=0.05, momentum=0.9, steps=60, device=device)
    drop = emp.chapter_vs_torch(lr=0.05, momentum=0.9, steps=60, schedule=emp.step_schedule(20, 0.1), device=device)
    rows.append(CLAIMS["chapter_equal"].check(same.max_difference, 0.0, cases=60,
                                              how="largest difference of the iterates over 60 steps"))
    rows.append(CLAIMS["chapter_schedule"].check(drop.max_difference, 1e-3, cases=60,
                                                 how="largest difference of the iterates over 60 steps"))

    say("empirical: the notes' 2-D runs")
    notes = {k: emp.notes_2d(k[0], k[1], device=device) for k in NOTES_LINES}
    wrong = [f"{k}: {notes[k].d2l_line()!r}" for k, line in NOTES_LINES.items() if notes[k].d2l_line() != line]
    rows.append(CLAIMS["notes_digits"].check(len(wrong), 0, cases=len(NOTES_LINES),
                                             how="4 settings of 0.1 x1^2 + 2 x2^2 from (-5, -2), 20 steps"
                                             + (f"; differ: {wrong}" if wrong else "")))

    say("empirical: noise")
    noise = emp.noise_variance(betas=(0.0, 0.5, 0.9), replicas=1024 if quick else 4096, device=device,
                               progress=False)
    z = float(noise.z_tolerance)
    for i, b in enumerate(np.asarray(noise.betas).tolist()):
        se = float(np.asarray(noise.standard_error)[i])
        rows.append(CLAIMS["noise_variance"].check(
            float(np.asarray(noise.measured)[i]), float(np.asarray(noise.predicted)[i]),
            cases=int(np.asarray(noise.samples)[i]),
            tolerance=z * se, subject=f"beta = {b:g}",
            how=f"alpha = {noise.alpha:g}, h = {noise.h:g}, sigma = {noise.sigma:g}, {noise.replicas} replicas; "
            f"measured Var(x) vs predicted; standard error {se:.2g}"))
    say("empirical: sampled minibatches")
    ms = emp.minibatch_stationary(replicas=256 if quick else 1024, window=200 if quick else 400, device=device)
    for i, (a_i, b_i) in enumerate(zip(np.asarray(ms.alpha).tolist(), np.asarray(ms.beta).tolist(), strict=True)):
        se = float(np.asarray(ms.standard_error)[i, 0])
        rows.append(CLAIMS["ms_torch"].check(
            float(np.asarray(ms.measured)[i, 0]), float(np.asarray(ms.predicted)[i, 0]), cases=ms.replicas,
            tolerance=ms.z_tolerance * se, subject=f"alpha = {a_i:g}, beta = {b_i:g}",
            how=f"h = s² = 1, Gaussian features, batch 1, {ms.replicas} replicas, {ms.window} steps averaged after "
            f"{ms.burn_in}; standard error {se:.2g}"))
    gap = emp.kidambi_gap(replicas=16384, device=device)  # fewer replicas: the tuned run is heavy-tailed
    speedup_bound = gap.measured_speedup + 5.0 * gap.speedup_standard_error \
        if gap.run.reliable and gap.run.agrees else math.nan
    rows.append(CLAIMS["ms_kidambi"].check(
        speedup_bound, 2.0, cases=gap.run.replicas,
        how=f"measured speed-up {gap.measured_speedup:.3f} ± {gap.speedup_standard_error:.2g} (predicted "
        f"{gap.predicted_window_speedup:.3f} over the window, {gap.predicted_speedup:.3f} asymptotically; exact "
        f"gradients {gap.deterministic_speedup:.2f}); computed = measured + 5 SE"))
    say("empirical: tuning a model (recommend)")
    from hbtheory.empirical.recommend import _convex_examples

    tuning = {}
    for name, (model, loss_fn, data, evals) in _convex_examples().items():
        subject = name.replace("_", " ")
        rec = emp.recommend(model, loss_fn, data, device=device)
        ext = rec.extremes
        c, r = _worst([(ext.lambda_min, float(evals[0])), (ext.lambda_max, float(evals[-1]))], "relative error")
        rows.append(CLAIMS["hessian_extremes"].check(
            c, r, cases=2, subject=subject,
            how=f"{ext.n_parameters} parameters, {ext.hvps} Hessian-vector products; the worse of lambda_min and "
            f"lambda_max against the closed-form Hessian's eigenvalues"))
        chk = emp.verify_recommendation(model, loss_fn, data, rec, device=device)
        rows.append(CLAIMS["tuning_rate"].check(
            chk.measured_rate, chk.predicted_rate, cases=1, subject=subject,
            how=f"lr = {chk.lr:.6g}, momentum = {chk.momentum:.6g}, {chk.steps} full-batch steps from a start "
            f"{chk.delta:g} (relative) from the minimum; measured vs predicted"))
        away = max(abs(a - b) for a, b in zip(chk.best_index, chk.recommendation_index, strict=True))
        rows.append(CLAIMS["tuning_best"].check(
            away, 0, cases=int(np.asarray(chk.grid_measured).size), subject=subject,
            how=f"{'x'.join(map(str, np.shape(chk.grid_measured)))} grid of lr x (0.7 .. 1.3) by momentum "
            f"beta + (-0.3 .. 0.3)(1 - beta), measured rates"))
        tuning[name] = (rec, chk)
    if artefacts is not None:
        artefacts.update(quadratic=run, sweep=res, comparison=cmp, notes=notes, noise=noise, tuning=tuning)
    if quick:
        return rows

    say("empirical: the chapter's network")
    net = emp.chapter_network(epochs=12, device=device, progress=False)
    rows.append(CLAIMS["network"].check(net.final_loss_momentum, net.final_loss_sgd, cases=1,
                                        how="final full-data MSE after 12 epochs: momentum (computed) vs SGD"))
    local = emp.local_rate(emp.chapter_network(activation="tanh", epochs=12, device=device, progress=False),
                           alpha_factors=[1.0], beta_fractions=[0.0], progress=False)
    rows.append(CLAIMS["local_rate"].check(local.measured_rate, local.predicted_rate, cases=1,
                                           how="Hessian by torch.func at the trained weights; measured vs predicted"))
    if artefacts is not None:
        artefacts.update(network=net, local=local, chapter_2d=emp.chapter_2d(device=device))
    return rows


# ------------------------------------------------------------------------------------------ tables


def optimal_table() -> list[dict[str, Any]]:
    """Rows of the optimal-tuning table: each method of :data:`TABLE_METHODS` at each kappa of :data:`KAPPAS`.

    Examples
    --------
    >>> rows = optimal_table()
    >>> len(rows), [r["method"] for r in rows[:4]]
    (16, ['gradient_descent', 'heavy_ball', 'nesterov', 'triple_momentum'])
    >>> hb = next(r for r in rows if r["method"] == "heavy_ball" and r["kappa"] == 100.0)
    >>> abs(hb["rate"] - 9 / 11) <= 4e-16, hb["iterations_1e-6"]   # Polyak: (sqrt(kappa) - 1) / (sqrt(kappa) + 1)
    (True, 69)
    """
    from hbtheory.tuning import optimal_parameters

    rows = []
    for kappa in KAPPAS:
        for name in TABLE_METHODS:
            t = optimal_parameters(kappa=kappa, method=name)
            rows.append({"kappa": kappa, "method": name, "title": _title(name), "alpha": t.alpha, "beta": t.beta,
                         "rate": t.rate, "iterations_1e-6": t.iterations(1e-6)})
    return rows


def run_checks(*, quick: bool = False, progress: Callable[[str], None] | None = None, empirical: bool = True,
               device: str = "cpu", artefacts: dict[str, Any] | None = None, pep: bool = True) -> list[Check]:
    """Run every verification check and return the rows (seeded: the same numbers every run).

    Parameters
    ----------
    quick : bool, optional
        Smaller samples; the sympy cross-checks for heavy ball only.
    progress : callable, optional
        Called with the name of each group of checks before it runs.
    empirical : bool, optional
        Also run :func:`empirical_checks` (``torch.optim.SGD`` itself; skipped rows without torch).
    device : str, optional
        Device of the empirical checks.
    artefacts : dict, optional
        Receives the empirical runs and the PEPit comparison (for the figures).
    pep : bool, optional
        Run the PEPit checks (skipped rows without PEPit).

    Returns
    -------
    list of Check

    Examples
    --------
    >>> rows = run_checks(quick=True, empirical=False, pep=False)
    >>> [r.verdict for r in rows].count("PASS") == len(rows)
    True
    >>> sorted({r.key for r in rows})[:4]
    ['accuracy', 'amplification_limit', 'amplification_transient', 'lrp_cycle']
    """
    rng = np.random.default_rng(20261122)
    store: dict[str, Any] = {} if artefacts is None else artefacts
    groups: list[tuple[str, Callable[[], Iterator[Check]]]] = [
        ("convergence region", lambda: _check_region(rng, quick)),
        ("optimal parameters", lambda: _check_optimum(quick)),
        ("accuracy near the critical curves", lambda: _check_accuracy(rng, quick)),
        ("Theorem 1", lambda: _check_theorem1(rng)),
        ("exact worst case", _check_worst_case),
        ("noise", lambda: _check_noise(rng)),
        ("amplification", _check_amplification),
        ("counterexample", _check_counterexample),
        ("mean square (sampled gradients)", lambda: _check_mean_square(quick)),
    ]
    if not quick:
        groups.append(("certified rates and proven cycles", lambda: _check_robust(quick, store)))
    if pep:
        groups.append(("PEPit", lambda: _check_pep(quick, store)))
    checks: list[Check] = []
    for i, (name, group) in enumerate(groups, 1):
        if progress is not None:
            progress(f"[{i}/{len(groups)}] {name}")
        checks.extend(group())
    if empirical:
        checks.extend(empirical_checks(device=device, quick=quick, progress=progress, artefacts=store))
    return checks


QUICK_LEAVES_OUT = [
    "the torch.optim.SGD runs (run `hbtheory verify` for those)",
    "the PEPit semidefinite programs",
    "the certified rates and proven cycles on every smooth strongly convex function (hbtheory.robust)",
    "the sympy cross-checks and derivations of every method but heavy ball",
    "all figures but three (heavy ball's rate map, at lower resolution; the momentum weights; the counterexample)",
]


def write_report(out: str | Path, *, quick: bool = False, progress: bool = True,
                 device: str = "cpu") -> dict[str, Any]:
    """Run the checks and write the report folder atomically.

    The folder holds ``report.html`` (one self-contained page: figures embedded, formulas as
    MathML, readable offline), ``report.md``, ``figures/*.png`` and ``results.json``.

    Parameters
    ----------
    out : path
        Output folder. If it exists it must be an earlier report holding only the report's own
        files; it is then replaced. A symbolic link to one is followed (the link stays).
    quick : bool, optional
        A few seconds instead of about fifteen: leaves out :data:`QUICK_LEAVES_OUT` (the page
        says so).
    progress : bool, optional
        Print progress lines to stderr.
    device : str, optional
        Device of the empirical checks (``"cpu"`` or ``"cuda"``).

    Returns
    -------
    dict
        ``{"out", "passed", "failed", "skipped", "seconds", "quick"}``.

    Raises
    ------
    ValueError
        Before any work, if the report cannot be written at ``out`` (an existing folder that is
        not an earlier report, a dangling symbolic link, a parent that is a file or not writable,
        a bad ``device``); :class:`ReportBusyError` (a ``ValueError``) if another report is
        writing ``out``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     d = pathlib.Path(tmp) / "r"
    ...     summary = write_report(d, quick=True, progress=False)
    ...     names = sorted(p.name for p in d.iterdir())
    ...     left = sorted(p.name for p in pathlib.Path(tmp).iterdir())
    >>> summary["failed"], summary["skipped"], summary["passed"] >= 15
    (0, 0, True)
    >>> names, left
    (['.hbtheory-report', 'figures', 'report.html', 'report.md', 'results.json'], ['r'])
    """
    from hbtheory import __version__
    from hbtheory import _report_dir as rd
    from hbtheory._report_figures import figure_specs
    from hbtheory._report_html import derivation_sections, render_html, render_markdown

    target = rd.check_out(out)
    if not isinstance(device, str):
        raise TypeError(f"`device` must be a string such as 'cpu' or 'cuda', got {type(device).__name__}")
    if not quick and torch_available():
        from hbtheory.empirical import resolve_device

        resolve_device(device)  # a bad or missing device: a ValueError now, not after the checks
    target.parent.mkdir(parents=True, exist_ok=True)

    def say(msg: str) -> None:
        if progress:
            print(f"hbtheory report: {msg}", file=sys.stderr, flush=True)

    with rd.locked(target):
        if target.exists():
            rd.check_replaceable(target, str(out))  # again, now that no other run can change it
        rd.clean_stale(target)
        start = time.perf_counter()
        artefacts: dict[str, Any] = {}
        checks = run_checks(quick=quick, progress=say, device=device, artefacts=artefacts, empirical=not quick,
                            pep=not quick)
        rows = optimal_table()
        say("derivation")
        derivation = derivation_sections(("heavy_ball",) if quick else DERIVED)
        specs = figure_specs(artefacts, quick=quick)
        figures: list[tuple[Any, bytes]] = []
        for i, spec in enumerate(specs, 1):
            say(f"figure {i}/{len(specs)}: {spec.name}")
            figures.append((spec, _png(spec.draw())))
        seconds = time.perf_counter() - start
        meta = {"version": __version__, "device": device, "quick": quick,
                "left_out": QUICK_LEAVES_OUT if quick else []}
        results = {
            "optimal": rows,
            "checks": [c.as_dict() for c in checks],
            "kinds": KINDS,
            "derivation": {sec.title: {item.title: item.latex for item in sec.items} for sec in derivation},
            "figures": [{"file": f"figures/{spec.name}.png", "caption": spec.caption} for spec, _ in figures],
            "seconds": seconds,
            **meta,
        }
        files = ["report.html", "report.md", "results.json", *(f"figures/{spec.name}.png" for spec, _ in figures)]
        marker = rd.new_marker(files, ["figures"])
        tmp = rd.make_temp(target, "tmp")
        try:
            (tmp / rd.MARKER).write_text(marker.text(), encoding="utf-8")  # first: a killed run is recognisable
            (tmp / "figures").mkdir()
            for spec, png in figures:
                (tmp / "figures" / f"{spec.name}.png").write_bytes(png)
            (tmp / "report.html").write_text(render_html(rows=rows, checks=checks, derivation=derivation,
                                                         figures=figures, seconds=seconds, meta=meta),
                                             encoding="utf-8")
            (tmp / "report.md").write_text(render_markdown(rows=rows, checks=checks, derivation=derivation,
                                                           figures=[spec for spec, _ in figures], seconds=seconds,
                                                           meta=meta), encoding="utf-8")
            (tmp / "results.json").write_text(json.dumps(_json_ready(results), indent=1, allow_nan=False),
                                              encoding="utf-8")
            rd.install(tmp, target, marker)
        except BaseException:
            if tmp.exists() and rd.read_marker(tmp) is not None:
                rd.remove_own(tmp, marker)
            raise
    failed = sum(not c.passed and not c.skipped for c in checks)
    skipped = sum(c.skipped for c in checks)
    passed = len(checks) - failed - skipped
    say(f"{passed} of {passed + failed} checks passed ({skipped} skipped) in {seconds:.1f} s "
        f"-> {Path(out) / 'report.html'}")
    return {"out": str(out), "passed": passed, "failed": failed, "skipped": skipped, "seconds": seconds,
            "quick": quick}


def _json_ready(value: Any) -> Any:
    """JSON-safe copy: non-finite floats become ``None`` (the package's one policy)."""
    from hbtheory._result import plain

    value = plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


#: Figures are drawn at this many pixels per inch and shown at half their pixel width (sharp on HiDPI).
DPI = 200


def _png(fig: Any) -> bytes:
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()
