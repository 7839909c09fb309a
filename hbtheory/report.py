"""``hbtheory report``: run the verification of the theory on the defaults and write a report.

The report is a directory with ``report.html`` (one self-contained page with the figures
embedded, readable offline), ``report.md``, ``figures/*.png`` and ``results.json``. It is written into a
temporary sibling directory and moved into place at the end, so an interrupted run leaves nothing
half-written; an existing directory is only replaced if it is an earlier
report (it carries the marker file :data:`MARKER`).

Every verification row is a :class:`Check`: the claim, how it was checked, the measured value,
the tolerance and the verdict. The command exits non-zero when any check fails.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hbtheory import methods as _methods

MARKER = ".hbtheory-report"
EPS = float(np.finfo(np.float64).eps)
KAPPAS = (10.0, 1e2, 1e3, 1e4)


@dataclass(frozen=True)
class Check:
    """One verification row: ``measured <= tolerance`` (or a boolean claim) decides ``passed``.

    ``skipped`` rows (an optional dependency is missing) are neither passed nor failed.
    """

    claim: str
    how: str
    measured: float
    tolerance: float
    passed: bool
    skipped: bool = False

    @property
    def verdict(self) -> str:
        """``"PASS"``, ``"FAIL"`` or ``"SKIP"``."""
        return "SKIP" if self.skipped else ("PASS" if self.passed else "FAIL")

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (infinities as strings)."""
        d = asdict(self)
        d["verdict"] = self.verdict
        for k in ("measured", "tolerance"):
            if not math.isfinite(d[k]):
                d[k] = str(d[k])
        return d


def _check(claim: str, how: str, measured: float, tolerance: float) -> Check:
    return Check(claim, how, float(measured), float(tolerance), bool(measured <= tolerance))


def _rel(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), np.finfo(np.float64).tiny)))


# ------------------------------------------------------------------------------------------ checks


def _check_region(rng: np.random.Generator, quick: bool) -> Iterator[Check]:
    from hbtheory import symbolic
    from hbtheory.spectral import spectral_radius

    n = 500 if quick else 3000
    for name in ("heavy_ball", "nesterov"):
        region = symbolic.convergence_region(name)
        f = symbolic.to_numpy(region, (symbolic.alpha, symbolic.beta, symbolic.h))
        a = rng.uniform(0.01, 5.0, n)
        b = rng.uniform(0.0, 1.0, n)
        hh = rng.uniform(0.01, 2.0, n)
        inside = np.asarray(f(a, b, hh), dtype=bool)
        rho = spectral_radius(a, b, hh, method=name)
        margin = np.abs(rho - 1.0) > 1e-9  # exclude points on the boundary itself
        disagree = int(np.sum((inside != (rho < 1.0)) & margin))
        yield _check(
            f"{name}: the Jury-derived region is exactly where rho < 1",
            f"sympy region vs spectral_radius at {n} random points",
            disagree, 0,
        )


def _check_optimum() -> Iterator[Check]:
    import sympy as sp

    from hbtheory import symbolic
    from hbtheory.spectral import worst_case_rate
    from hbtheory.tuning import optimal_parameters

    for name in ("heavy_ball", "nesterov", "gradient_descent"):
        sym = symbolic.optimal_parameters(name)
        worst = 0.0
        worst_rate = 0.0
        for kappa in KAPPAS:
            t = optimal_parameters(kappa=kappa, method=name)
            subs = {symbolic.mu: sp.Rational(1) / sp.Integer(int(kappa)), symbolic.L: 1}
            for key, expr in (("alpha", sym.alpha), ("beta", sym.beta), ("rate", sym.rho)):
                exact = float(sp.N(expr.subs(subs), 30))
                worst = max(worst, abs(getattr(t, key) - exact) / max(abs(exact), 1e-300))
            worst_rate = max(worst_rate, _rel(worst_case_rate(t.alpha, t.beta, t.mu, t.L, method=name), t.rate))
        yield _check(f"{name}: closed-form optimum equals the sympy equal-ripple derivation",
                     "relative difference over kappa in {10, 1e2, 1e3, 1e4}", worst, 16 * EPS)
        yield _check(f"{name}: worst_case_rate at the optimum equals the optimal rate",
                     "max over h in [mu, L] of rho, relative difference", worst_rate, 16 * EPS)


def _check_accuracy(rng: np.random.Generator, quick: bool) -> Iterator[Check]:
    import mpmath

    from hbtheory.spectral import spectral_radius

    n = 300 if quick else 2000
    beta = rng.uniform(0.0, 1.0, n)
    sb = np.sqrt(beta)
    h = 1.0
    # within 1e-10 (relative) of the lower or the upper critical curve alpha h = (1 -/+ sqrt(beta))^2
    curve = np.where(rng.random(n) < 0.5, (1 - sb) ** 2, (1 + sb) ** 2)
    alpha = curve * (1 + rng.uniform(-1e-10, 1e-10, n))
    alpha = np.maximum(alpha, 1e-12)
    mpmath.mp.dps = 50
    ref = np.empty(n)
    for i in range(n):
        a, b = mpmath.mpf(float(alpha[i])), mpmath.mpf(float(beta[i]))
        c1 = 1 + b - a * h
        d = c1 * c1 - 4 * b
        ref[i] = float((abs(c1) + mpmath.sqrt(d)) / 2 if d >= 0 else mpmath.sqrt(b))
    got = spectral_radius(alpha, beta, h)
    mats = np.zeros((n, 2, 2))
    mats[:, 0, 0] = 1 + beta - alpha * h
    mats[:, 0, 1] = -beta
    mats[:, 1, 0] = 1
    eig = np.max(np.abs(np.linalg.eigvals(mats)), axis=-1)
    yield _check(
        "spectral_radius is accurate within 1e-10 of the critical-damping curves",
        f"max relative error vs 50-digit mpmath at {n} points (np.linalg.eigvals: {_rel(eig, ref):.1e})",
        _rel(got, ref), 1e-13,
    )


def _check_theorem1(rng: np.random.Generator) -> Iterator[Check]:
    from hbtheory.spectral import power_norm, spectral_radius, theorem1_constant

    t = np.arange(0, 501)
    worst = 0.0
    for _ in range(20):
        a, b, h = rng.uniform(0.05, 2.0), rng.uniform(0.0, 0.99), 1.0
        rho = float(spectral_radius(a, b, h))
        if not 0.5 <= rho < 1:  # keep (rho + eps)^t far from underflow over the horizon
            continue
        eps = 0.01
        c = float(theorem1_constant(a, b, h, eps=eps))
        ratio = power_norm(a, b, h, t) / (rho + eps) ** t
        worst = max(worst, float(np.max(ratio)) / c - 1.0)
    yield _check("Theorem 1: ||A^t|| <= C (rho + eps)^t for every t, with C = theorem1_constant",
                 "max_t ||A^t|| / (C (rho+eps)^t) - 1 over t <= 500 at random points with rho >= 0.5, eps = 0.01",
                 worst, 64 * EPS)
    # critical damping: heavy ball with beta = (1 - sqrt(alpha h))^2 exactly representable
    a, h = 0.25, 1.0
    b = 0.25  # (1 - sqrt(0.25))^2: a double root at z = 0.5
    growth = float(power_norm(a, b, h, 1000) / (1000 * 0.5**999))
    c0 = float(theorem1_constant(a, b, h))
    yield Check("At critical damping A is defective: ||A^t|| ~ t rho^(t-1), so no C works for eps = 0",
                f"theorem1_constant(eps=0) = {c0}; ||A^1000|| / (1000 rho^999) = {growth:.4f}",
                float(c0), math.inf, bool(math.isinf(c0) and 0.5 < growth < 2.0))


def _check_worst_case() -> Iterator[Check]:
    from hbtheory.spectral import worst_case
    from hbtheory.tuning import optimal_parameters

    t = optimal_parameters(kappa=100.0)
    worst = 0.0
    for n in (1, 5, 20):
        grid = np.linspace(t.mu, t.L, 200001)
        x_prev = np.ones_like(grid)
        x = np.ones_like(grid)
        for _ in range(n):  # the heavy-ball recurrence itself on each eigenvalue, x_{-1} = x_0
            x, x_prev = x - t.alpha * grid * x + t.beta * (x - x_prev), x
        brute = float(np.max(x**2))
        exact = float(worst_case(n, t.alpha, t.beta, t.mu, t.L))
        worst = max(worst, (brute - exact) / exact)
    yield _check("worst_case(n) is the maximum over the spectrum of the n-step contraction",
                 "dense-grid brute force never exceeds it (relative excess, n = 1, 5, 20)", worst, 1e-12)


def _check_noise(rng: np.random.Generator) -> Iterator[Check]:
    from scipy.linalg import solve_discrete_lyapunov

    from hbtheory.spectral import iteration_matrix, stationary_variance

    worst = 0.0
    for _ in range(20):
        a, b, h, s = rng.uniform(0.01, 1.0), rng.uniform(0.0, 0.95), rng.uniform(0.1, 1.5), rng.uniform(0.1, 2)
        A = iteration_matrix(a, b, h)
        if np.max(np.abs(np.linalg.eigvals(A))) >= 0.999:
            continue
        q = np.array([[a * a * s * s, 0.0], [0.0, 0.0]])
        ref = solve_discrete_lyapunov(A, q)[0, 0]
        worst = max(worst, abs(float(stationary_variance(a, b, h, s)) - ref) / ref)
    yield _check("stationary variance under gradient noise solves the discrete Lyapunov equation",
                 "closed form vs scipy.linalg.solve_discrete_lyapunov at 20 random stable points", worst, 1e-9)


def _check_beyond_quadratics() -> Iterator[Check]:
    """Where the quadratic theory stops (counterexample) and what PEPit still certifies."""
    import importlib.util

    from hbtheory.counterexamples import counterexample_check

    yield Check(**counterexample_check().as_dict())
    if importlib.util.find_spec("PEPit") is None:
        yield Check("PEPit's SDP reproduces the exact worst case on quadratics", "not run: PEPit is not installed "
                    "(pip install -e '.[pepit]')", math.nan, math.nan, False, skipped=True)
        return
    from hbtheory.pep import gfj_check, pep_check

    yield Check(**pep_check().as_dict())
    yield Check(**gfj_check().verification().as_dict())


def _check_amplification() -> Iterator[Check]:
    from hbtheory.spectral import amplification, velocity_transient

    worst = 0.0
    for beta in (0.0, 0.5, 0.9, 0.99):
        limit = float(velocity_transient(1.0, beta, 1.0, 100000))
        worst = max(worst, abs(limit - float(amplification(beta))) / float(amplification(beta)))
    yield _check("under a constant gradient the step tends to alpha g / (1 - beta)",
                 "velocity_transient at t = 1e5 vs amplification, beta in {0, .5, .9, .99}", worst, 16 * EPS)


# NOTES_LINES: the results printed in the source notes (shared/seeds/002_*.txt) for
# f = 0.1 x1^2 + 2 x2^2 from (-5, -2), 20 steps of d2l's train_2d at each (eta, beta).
NOTES_LINES = {
    (0.4, 0.0): "epoch 20, x1: -0.943467, x2: -0.000073",
    (0.6, 0.0): "epoch 20, x1: -0.387814, x2: -1673.365109",
    (0.6, 0.5): "epoch 20, x1: 0.007188, x2: 0.002553",
    (0.6, 0.25): "epoch 20, x1: -0.126340, x2: -0.186632",
}


def torch_available() -> bool:
    """Whether PyTorch can be imported (the empirical checks need it)."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def empirical_checks(*, device: str = "cpu", quick: bool = False,
                     progress: Callable[[str], None] | None = None,
                     artefacts: dict[str, Any] | None = None) -> list[Check]:
    """Run the empirical checks: ``torch.optim.SGD`` itself against the theory.

    Parameters
    ----------
    device : str, optional
        ``"cpu"`` or ``"cuda"`` (or ``"cuda:N"``).
    quick : bool, optional
        Smaller runs.
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
    >>> rows = empirical_checks(quick=True)
    >>> all(r.passed or r.skipped for r in rows)
    True
    """
    if not torch_available():
        return [Check("torch.optim.SGD behaves as the theory predicts", "not run: PyTorch is not installed "
                      "(pip install torch==2.13.0)", math.nan, math.nan, False, skipped=True)]
    from hbtheory import empirical as emp
    from hbtheory.tuning import optimal_parameters

    say = progress or (lambda _msg: None)
    rows: list[Check] = []

    say("empirical: quadratics")
    t = optimal_parameters(kappa=100.0)
    spectrum = emp.log_uniform_spectrum(12, 0.02, 0.9, seed=0)  # strictly inside [mu, L]: no double root
    run = emp.verify_quadratic(spectrum, lr=t.alpha, momentum=t.beta, steps=150 if quick else 300, dense=True,
                               device=device, progress=False)
    rows.append(_check("torch.optim.SGD on a quadratic converges at the predicted rate rho(A)",
                       f"Polyak's tuning for kappa = 100, 12 log-uniform eigenvalues, rotated; measured "
                       f"{run.measured_rate:.10f} vs predicted {run.predicted_rate:.10f} (relative error)",
                       run.relative_error, 1e-6))
    rows.append(Check("Theorem 1's bound ||e_t|| <= C (rho+eps)^t ||e_0|| holds at every step of torch's run",
                      "per-direction check over the whole run", float(not run.theorem1_held), 0.0,
                      bool(run.theorem1_held)))

    say("empirical: batched sweep")
    n = 16 if quick else 40
    alpha = np.linspace(0.05, 4.0, n)[:, None]
    beta = np.linspace(0.0, 0.95, n)[None, :]
    res = emp.sweep(alpha, beta, 1.0, steps=300 if quick else 500, device=device, progress=False)
    cmp = emp.compare_with_theory(res)
    rows.append(_check("the empirical rho-map of torch's update equals spectral_radius",
                       f"{n}x{n} (alpha, beta) grid at h = 1, largest relative disagreement; "
                       f"{cmp.classification_mismatches} convergence mis-classifications",
                       cmp.max_rel_error + cmp.classification_mismatches, 1e-6))

    say("empirical: conventions")
    same = emp.chapter_vs_torch(lr=0.05, momentum=0.9, steps=60, device=device)
    drop = emp.chapter_vs_torch(lr=0.05, momentum=0.9, steps=60, schedule=emp.step_schedule(20, 0.1), device=device)
    rows.append(_check("the chapter's hand-written step equals torch.optim.SGD at a constant lr",
                       "max difference of the iterates over 60 steps", same.max_difference, 1e-13))
    rows.append(Check("... and differs under a learning-rate schedule (lr x 0.1 at step 20)",
                      f"max difference of the iterates: {drop.max_difference:.3g} (must exceed 1e-3)",
                      drop.max_difference, 1e-3, bool(drop.max_difference > 1e-3)))

    say("empirical: the notes' 2-D runs")
    notes = {k: emp.notes_2d(k[0], k[1], device=device) for k in NOTES_LINES}
    got = {k: r.d2l_line() for k, r in notes.items()}
    wrong = [f"{k}: {got[k]!r}" for k, line in NOTES_LINES.items() if got[k] != line]
    rows.append(Check("the notes' printed results are reproduced to every printed digit by torch.optim.SGD",
                      "4 settings of 0.1 x1^2 + 2 x2^2 from (-5, -2), 20 steps"
                      + (f"; differ: {wrong}" if wrong else ""),
                      float(len(wrong)), 0.0, not wrong))

    say("empirical: noise")
    noise = emp.noise_variance(betas=(0.0, 0.5, 0.9), replicas=1024 if quick else 4096, device=device,
                               progress=False)
    worst_z = float(np.max(np.abs(noise.z_scores)))
    rows.append(Check("stationary variance under gradient noise matches the Lyapunov prediction (1/(1-beta) growth)",
                      f"beta in {{0, 0.5, 0.9}}, {noise.replicas} seeded replicas; max |z-score|",
                      worst_z, noise.z_tolerance, bool(noise.agrees)))

    say("empirical: the chapter's network")
    net = emp.chapter_network(epochs=4 if quick else 12, device=device, progress=False)
    rows.append(Check("on the chapter's 1-20-1 ReLU net momentum 0.8 ends with a lower loss than plain SGD",
                      f"final full-data MSE: momentum {net.final_loss_momentum:.4g}, SGD {net.final_loss_sgd:.4g}",
                      net.final_loss_momentum, net.final_loss_sgd,
                      bool(net.final_loss_momentum < net.final_loss_sgd)))
    local = emp.local_rate(emp.chapter_network(activation="tanh", epochs=2 if quick else 12, device=device,
                                               progress=False),
                           alpha_factors=[1.0], beta_fractions=[0.0], progress=False)
    rows.append(_check("near a minimum of the (tanh) network, full-batch SGD converges at the rate rho predicts",
                       f"Hessian by torch.func; predicted {local.predicted_rate:.8f}, measured "
                       f"{local.measured_rate:.8f} (relative error)", local.relative_error, 1e-5))
    if artefacts is not None:
        artefacts.update(quadratic=run, sweep=res, comparison=cmp, notes=notes, noise=noise, network=net,
                         local=local, chapter_2d=emp.chapter_2d(device=device))
    return rows


# ------------------------------------------------------------------------------------------ tables


def optimal_table() -> list[dict[str, Any]]:
    """Rows of the optimal-parameter table: each method at each kappa in :data:`KAPPAS`."""
    from hbtheory.tuning import optimal_parameters

    rows = []
    for kappa in KAPPAS:
        for name in ("gradient_descent", "heavy_ball", "nesterov"):
            t = optimal_parameters(kappa=kappa, method=name)
            rows.append({"kappa": kappa, "method": name, "title": _methods.METHODS[name].title, "alpha": t.alpha,
                         "beta": t.beta, "rate": t.rate, "iterations_1e-6": t.iterations(1e-6)})
    return rows


def run_checks(*, quick: bool = False, progress: Callable[[str], None] | None = None, empirical: bool = True,
               device: str = "cpu", artefacts: dict[str, Any] | None = None) -> list[Check]:
    """Run every verification check and return the rows (seeded: the same numbers every run).

    Parameters
    ----------
    quick : bool, optional
        Smaller sample sizes.
    progress : callable, optional
        Called with the name of each group of checks before it runs.
    empirical : bool, optional
        Also run :func:`empirical_checks` (``torch.optim.SGD`` itself; skipped rows without torch).
    device : str, optional
        Device of the empirical checks.
    artefacts : dict, optional
        Receives the empirical runs (see :func:`empirical_checks`).

    Returns
    -------
    list of Check

    Examples
    --------
    >>> rows = run_checks(quick=True, empirical=False)
    >>> all(r.passed for r in rows)
    True
    """
    rng = np.random.default_rng(20261122)
    groups: list[tuple[str, Callable[[], Iterator[Check]]]] = [
        ("convergence region", lambda: _check_region(rng, quick)),
        ("optimal parameters", _check_optimum),
        ("accuracy near the critical curves", lambda: _check_accuracy(rng, quick)),
        ("Theorem 1", lambda: _check_theorem1(rng)),
        ("exact worst case", _check_worst_case),
        ("noise", lambda: _check_noise(rng)),
        ("amplification", _check_amplification),
        ("beyond quadratics", _check_beyond_quadratics),
    ]
    checks: list[Check] = []
    for i, (name, group) in enumerate(groups, 1):
        if progress is not None:
            progress(f"[{i}/{len(groups)}] {name}")
        checks.extend(group())
    if empirical:
        checks.extend(empirical_checks(device=device, quick=quick, progress=progress, artefacts=artefacts))
    return checks


def write_report(out: str | os.PathLike[str], *, quick: bool = False, progress: bool = True,
                 device: str = "cpu") -> dict[str, Any]:
    """Run the checks and write the report directory atomically.

    The directory holds ``report.html`` (one self-contained page, figures embedded, readable
    offline), ``report.md``, ``figures/*.png`` and ``results.json``.

    Parameters
    ----------
    out : path
        Output directory. If it exists it must be an earlier report (it contains :data:`MARKER`)
        and is then replaced; anything else is refused.
    quick : bool, optional
        Smaller sample sizes.
    progress : bool, optional
        Print progress lines to stderr.
    device : str, optional
        Device of the empirical checks (``"cpu"`` or ``"cuda"``).

    Returns
    -------
    dict
        ``{"out", "passed", "failed", "skipped", "seconds"}``.

    Raises
    ------
    ValueError
        If ``out`` exists and is not an earlier report.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "r"
    >>> write_report(d, quick=True, progress=False)["failed"]
    0
    >>> sorted(p.name for p in d.iterdir())
    ['.hbtheory-report', 'figures', 'report.html', 'report.md', 'results.json']
    """
    from hbtheory import __version__
    from hbtheory._report_figures import figure_specs
    from hbtheory._report_html import derivation_items, render_html, render_markdown

    target = Path(out)
    if target.exists() and not (target.is_dir() and (target / MARKER).exists()):
        raise ValueError(f"`out` {str(target)!r} exists and is not an earlier hbtheory report; choose another path")
    start = time.perf_counter()

    def say(msg: str) -> None:
        if progress:
            print(f"hbtheory report: {msg}", file=sys.stderr, flush=True)

    artefacts: dict[str, Any] = {}
    checks = run_checks(quick=quick, progress=say, device=device, artefacts=artefacts)
    rows = optimal_table()
    say("derivation")
    derivation = derivation_items("heavy_ball")
    specs = figure_specs(artefacts, quick=quick)
    figures: list[tuple[Any, bytes]] = []
    for i, spec in enumerate(specs, 1):
        say(f"figure {i}/{len(specs)}: {spec.name}")
        figures.append((spec, _png(spec.draw())))
    seconds = time.perf_counter() - start
    meta = {"version": __version__, "device": device, "quick": quick}
    results = {
        "optimal": rows,
        "checks": [c.as_dict() for c in checks],
        "derivation": {title: latex for title, _, latex in derivation},
        "figures": [{"file": f"figures/{spec.name}.png", "caption": spec.caption} for spec, _ in figures],
        "seconds": seconds,
        **meta,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the report is an ordinary directory
        (tmp / MARKER).write_text("written by hbtheory report\n")
        (tmp / "figures").mkdir()
        for spec, png in figures:
            (tmp / "figures" / f"{spec.name}.png").write_bytes(png)
        (tmp / "report.html").write_text(render_html(rows=rows, checks=checks, derivation=derivation,
                                                     figures=figures, seconds=seconds, meta=meta), encoding="utf-8")
        (tmp / "report.md").write_text(render_markdown(rows=rows, checks=checks, derivation=derivation,
                                                       figures=[spec for spec, _ in figures], seconds=seconds),
                                       encoding="utf-8")
        (tmp / "results.json").write_text(json.dumps(results, indent=2))
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    failed = sum(not c.passed and not c.skipped for c in checks)
    skipped = sum(c.skipped for c in checks)
    passed = len(checks) - failed - skipped
    say(f"{passed} of {passed + failed} checks passed ({skipped} skipped) in {seconds:.1f} s "
        f"-> {target / 'report.html'}")
    return {"out": str(target), "passed": passed, "failed": failed, "skipped": skipped, "seconds": seconds}


def _png(fig: Any) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()
