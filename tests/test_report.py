"""``hbtheory report``: checks that can fail, a folder it never loses files in, and a page that works.

The full report is built once per session (``report_build`` in conftest.py); the folder-safety
tests replace the expensive work by one real check and one tiny figure (``fast``), because what
they test is where the report writes and what it deletes. The stochastic figures' data and captions
are checked at the end.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import json
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hbtheory import _report_dir as rd
from hbtheory import _report_figures, _report_html, report, stochastic
from hbtheory._report_html import SECTIONS
from hbtheory.report import CLAIMS, KINDS, MARKER, QUICK_LEAVES_OUT, Check, ReportBusyError, discrepancy, write_report

EPS = float(np.finfo(np.float64).eps)
ROOT = Path(__file__).resolve().parents[1]
OWN = sorted([MARKER, "figures", "report.html", "report.md", "results.json"])


# ------------------------------------------------------------------------------------------ helpers


def _tiny_figure() -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [1, 0])
    return fig


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``write_report`` with the work replaced by one real check and one tiny figure.

    ``calls["during"]``, if set, runs in the middle of the report (where the checks run).
    """
    calls: dict[str, Any] = {"n": 0, "during": None}

    def run_checks(**_kwargs: Any) -> list[Check]:
        calls["n"] += 1
        if calls["during"] is not None:
            calls["during"]()
        return [CLAIMS["amplification_limit"].check(2.0, 2.0, how="stub", cases=4)]

    monkeypatch.setattr(report, "run_checks", run_checks)
    monkeypatch.setattr(report, "optimal_table", lambda: [])
    monkeypatch.setattr(_report_figures, "figure_specs", lambda artefacts, quick=False: [
        _report_figures.FigureSpec("tiny", "theory", "a tiny figure", _tiny_figure)])
    monkeypatch.setattr(_report_html, "derivation_sections", lambda methods: [])
    return calls


def _token(folder: Path) -> str:
    marker = rd.read_marker(folder)
    assert marker is not None
    return marker.token


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and "`out`" in msg, msg
    return msg


# ------------------------------------------------------------------------------------------ folder safety


def test_writes_only_its_folder_and_replaces_an_earlier_report(tmp_path: Path, fast: dict[str, Any]) -> None:
    out = tmp_path / "rep"
    write_report(out, progress=False)
    first = _token(out)
    assert sorted(p.name for p in out.iterdir()) == OWN
    write_report(out, progress=False)
    assert _token(out) != first  # replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]  # no lock file, no temporary folder left
    marker = rd.read_marker(out)
    assert marker is not None and sorted(marker.files) == ["figures/tiny.png", "report.html", "report.md",
                                                           "results.json"]


def test_refuses_a_foreign_folder_before_any_work(tmp_path: Path, fast: dict[str, Any]) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not an earlier hbtheory report") as exc:
        write_report(foreign, progress=False)
    _one_line(exc)
    assert fast["n"] == 0 and (foreign / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_refuses_an_earlier_report_that_holds_a_users_file(tmp_path: Path, fast: dict[str, Any]) -> None:
    out = tmp_path / "rep"
    write_report(out, progress=False)
    (out / "figures" / "my-notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="did not write") as exc:
        write_report(out, progress=False)
    assert "figures/my-notes.txt" in _one_line(exc) and fast["n"] == 1
    assert (out / "figures" / "my-notes.txt").read_text() == "mine"


def test_a_file_created_in_the_report_while_it_runs_is_kept(tmp_path: Path, fast: dict[str, Any]) -> None:
    # before: the check ran only at the start, and the old folder was deleted with everything in it
    out = tmp_path / "rep"
    write_report(out, progress=False)
    fast["during"] = lambda: (out / "created-meanwhile.txt").write_text("not the report's")
    with pytest.warns(UserWarning, match="created-meanwhile.txt"):
        write_report(out, progress=False)
    assert sorted(p.name for p in out.iterdir()) == OWN  # the new report is in place
    kept = list(tmp_path.glob("rep.previous-*/created-meanwhile.txt"))
    assert len(kept) == 1 and kept[0].read_text() == "not the report's"
    assert sorted(p.name for p in kept[0].parent.iterdir()) == [MARKER, "created-meanwhile.txt"]


def test_a_foreign_dot_old_sibling_is_never_deleted(tmp_path: Path, fast: dict[str, Any]) -> None:
    # before: the earlier report was moved to the fixed name .rep.old after rmtree-ing whatever was there
    old = tmp_path / ".rep.old"
    old.mkdir()
    (old / "precious.txt").write_text("keep me")
    out = tmp_path / "rep"
    write_report(out, progress=False)
    write_report(out, progress=False)
    assert (old / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".rep.old", "rep"]


def _kill_during(tmp_path: Path, out: Path, where: str) -> None:
    """Run a report in a forked child that kills itself with SIGKILL at ``where``.

    The child is this process forked (the ``fast`` stubs already in place): a real SIGKILL in the
    middle of ``write_report``, without starting and importing a new interpreter (1.5 s each).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork in a process with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child: never returns to pytest
        try:
            if where == "install":
                rd.install = lambda *a: os.kill(os.getpid(), signal.SIGKILL)  # type: ignore[assignment]
            else:  # between moving the earlier report aside and moving the new one in
                rename = os.rename

                def killing_rename(src: Any, dst: Any) -> None:
                    rename(src, dst)
                    if ".hbtheory-old-" in str(dst):
                        os.kill(os.getpid(), signal.SIGKILL)

                rd.os.rename = killing_rename  # type: ignore[assignment]
            write_report(out, progress=False)
        finally:
            os._exit(3)  # not killed where it should have been
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status


@pytest.mark.parametrize("where", ["install", "swap"])
def test_a_killed_run_leaves_no_half_report_and_the_next_run_cleans_up(tmp_path: Path, fast: dict[str, Any],
                                                                        where: str) -> None:
    out = tmp_path / "rep"
    write_report(out, progress=False)
    earlier = _token(out)
    _kill_during(tmp_path, out, where)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert any(".hbtheory-tmp-" in n for n in left), left  # what a kill leaves ...
    if where == "install":
        assert _token(out) == earlier  # ... never a half-written report: the earlier one is untouched
    else:
        assert not out.exists() and any(".hbtheory-old-" in n for n in left)
    write_report(out, progress=False)  # before: these hidden folders stayed for ever
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]
    assert sorted(p.name for p in out.iterdir()) == OWN


def test_leftovers_of_an_earlier_version_are_cleaned_and_a_live_run_is_left_alone(tmp_path: Path,
                                                                                   fast: dict[str, Any]) -> None:
    for name in (".rep.old", ".rep.k3j4h5g6"):  # what the previous version left after a kill
        d = tmp_path / name
        (d / "figures").mkdir(parents=True)
        (d / MARKER).write_text(rd.LEGACY_MARKER_TEXT)
        (d / "report.html").write_text("<html>")
        (d / "figures" / "a.png").write_bytes(b"\x89PNG")
    live = tmp_path / ".rep.hbtheory-tmp-abcd1234"  # a report being written by a process that is alive
    live.mkdir()
    (live / MARKER).write_text(dataclasses.replace(rd.new_marker(["report.html"], []), pid=os.getppid()).text())
    dead_pid = subprocess.Popen(["true"])
    dead_pid.wait()
    dead = tmp_path / ".rep.hbtheory-tmp-dead0000"
    dead.mkdir()
    (dead / MARKER).write_text(dataclasses.replace(rd.new_marker(["report.html"], []), pid=dead_pid.pid).text())
    (dead / "report.html").write_text("half")
    lookalike = tmp_path / ".rep.backup12"  # a report of this version under a name the cleanup must not take
    lookalike.mkdir()
    (lookalike / MARKER).write_text(rd.new_marker([], []).text())
    write_report(tmp_path / "rep", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".rep.backup12", ".rep.hbtheory-tmp-abcd1234", "rep"]


def test_two_runs_on_one_folder_the_second_stops_at_once_with_one_line(tmp_path: Path, fast: dict[str, Any]) -> None:
    # before: both ran; one died with an ENOTEMPTY traceback
    out = tmp_path / "rep"
    seen: list[BaseException] = []

    def second_run() -> None:
        with pytest.raises(ReportBusyError, match=rf"another hbtheory report \(pid {os.getpid()}\)") as exc:
            write_report(out, progress=False)
        seen.append(exc.value)

    fast["during"] = second_run
    write_report(out, progress=False)
    assert len(seen) == 1 and fast["n"] == 1  # the second run did no work
    assert isinstance(seen[0], ValueError) and "\n" not in str(seen[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_the_command_line_reports_a_busy_folder_with_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    with rd.locked(out):
        proc = subprocess.run([sys.executable, "-m", "hbtheory", "report", "--quick", "--out", str(out)],
                              capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "another hbtheory report" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_bad_output_paths_fail_before_any_work_with_one_line(tmp_path: Path, fast: dict[str, Any]) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    cases = [
        (dangling, "dangling symbolic link"),
        (a_file / "rep", "is a file, not a folder"),
        (a_file / "deeper" / "rep", "is a file, not a folder"),
        (a_file, "not an earlier hbtheory report"),
        ("", "empty"),
    ]
    for out, needle in cases:
        with pytest.raises(ValueError, match=needle) as exc:
            write_report(out, progress=False)
        _one_line(exc)
    with pytest.raises(TypeError, match="`out`"):
        write_report(3, progress=False)  # type: ignore[arg-type]
    assert fast["n"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "dangling"]


def _as_nobody(func: Any) -> tuple[int, str]:
    """Run ``func()`` in a forked child as the unprivileged user "nobody"; its exit code and message."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code, msg = 0, ""
        try:
            os.setgid(65534)
            os.setuid(65534)
            func()
        except ValueError as exc:
            code, msg = 3, str(exc)
        except BaseException as exc:
            code, msg = 4, repr(exc)
        os.write(write, msg.encode())
        os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        msg = pipe.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), msg


def test_a_read_only_parent_fails_before_any_work(tmp_path: Path, fast: dict[str, Any]) -> None:
    # before: the whole report ran, then a PermissionError traceback. Root ignores file modes, so
    # for root the folder is made immutable (chattr +i) or, failing that, the report runs as the
    # user "nobody" in a forked child.
    ro = tmp_path / "read-only"
    ro.mkdir()

    def run() -> None:
        write_report(ro / "rep", progress=False)

    if os.geteuid() != 0:
        ro.chmod(0o555)
        try:
            with pytest.raises(ValueError) as exc:
                run()
        finally:
            ro.chmod(0o755)
        msg = str(exc.value)
    elif subprocess.run(["chattr", "+i", str(ro)], capture_output=True).returncode == 0:
        try:
            with pytest.raises(ValueError) as exc:
                run()
        finally:
            subprocess.run(["chattr", "-i", str(ro)], check=True)
        msg = str(exc.value)
    else:  # pragma: no cover - a root without CAP_LINUX_IMMUTABLE
        import tempfile

        base = Path(tempfile.mkdtemp(prefix="hbtheory-ro-"))  # reachable by "nobody", unlike tmp_path
        try:
            base.chmod(0o755)
            ro = base / "read-only"
            ro.mkdir(mode=0o555)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # fork in a process with threads
                code, msg = _as_nobody(lambda: write_report(ro / "rep", progress=False))
            assert code == 3, msg
            assert list(ro.iterdir()) == []
        finally:
            shutil.rmtree(base)
    assert "is not writable" in msg and "`out`" in msg and "\n" not in msg
    assert fast["n"] == 0 and list(ro.iterdir()) == []


def test_a_symlink_to_an_earlier_report_is_followed_and_kept(tmp_path: Path, fast: dict[str, Any]) -> None:
    real = tmp_path / "real"
    write_report(real, progress=False)
    first = _token(real)
    link = tmp_path / "link"
    link.symlink_to(real)
    summary = write_report(link, progress=False)
    assert link.is_symlink() and link.resolve() == real and _token(real) != first
    assert summary["out"] == str(link)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    link2 = tmp_path / "link2"
    link2.symlink_to(foreign)
    with pytest.raises(ValueError, match="not an earlier hbtheory report"):
        write_report(link2, progress=False)


def test_an_interrupted_run_keeps_the_earlier_report_and_leaves_nothing(tmp_path: Path,
                                                                         fast: dict[str, Any]) -> None:
    out = tmp_path / "rep"
    write_report(out, progress=False)
    earlier = _token(out)

    def interrupt() -> None:
        raise KeyboardInterrupt

    fast["during"] = interrupt
    with pytest.raises(KeyboardInterrupt):
        write_report(out, progress=False)
    assert _token(out) == earlier and sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_the_folder_follows_the_umask(tmp_path: Path, fast: dict[str, Any]) -> None:
    old = os.umask(0o027)
    try:
        write_report(tmp_path / "rep", progress=False)
    finally:
        os.umask(old)
    assert (tmp_path / "rep").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "rep" / "report.html").stat().st_mode & 0o777 == 0o640


# ------------------------------------------------------------------------------------------ checks that can fail


def _wrong(kind: str, reference: float, tolerance: float) -> float:
    step = 4 * max(tolerance * (abs(reference) if kind == "relative error" else 1.0), 1e-3)
    return reference - step if kind == "at least" else reference + step


@pytest.mark.parametrize("key", sorted(CLAIMS))
def test_every_claim_fails_on_a_wrong_value_too_few_cases_or_a_non_finite_one(key: str) -> None:
    claim = CLAIMS[key]
    tol = claim.tolerance if math.isfinite(claim.tolerance) else 1e-6  # per-run tolerances: any finite value
    ref = 0.75
    ok = claim.check(ref, ref, how="t", cases=claim.min_cases, tolerance=tol)
    assert ok.verdict == "PASS" and ok.discrepancy == 0
    assert claim.check(_wrong(claim.kind, ref, tol), ref, how="t", cases=claim.min_cases,
                       tolerance=tol).verdict == "FAIL"
    assert claim.check(ref, ref, how="t", cases=claim.min_cases - 1, tolerance=tol).verdict == "FAIL"
    for bad in (math.inf, -math.inf, math.nan):
        assert claim.check(bad, ref, how="t", cases=claim.min_cases, tolerance=tol).verdict == "FAIL"
        assert claim.check(ref, bad, how="t", cases=claim.min_cases, tolerance=tol).verdict == "FAIL"
    assert claim.check(ref, ref, how="t", cases=claim.min_cases, tolerance=math.inf).verdict == "FAIL"
    assert claim.kind in KINDS and claim.citation and claim.tolerance_means


def test_discrepancy_means_what_the_kind_says() -> None:
    assert discrepancy("relative error", 1.5, -2.0) == 1.75
    assert discrepancy("absolute error", -1.0, 2.0) == 3.0
    assert discrepancy("at most", 3.0, 2.0) == 1.0 and discrepancy("at least", 3.0, 2.0) == -1.0
    assert discrepancy("relative error", 0.0, 0.0) == 0.0 and discrepancy("relative error", 1e-300, 0.0) == math.inf
    with pytest.raises(ValueError, match="`kind`"):
        discrepancy("close", 1.0, 1.0)


def _verdicts(rows: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r.key, []).append(r.verdict)
    return out


def test_the_numeric_checks_pass_on_the_real_code() -> None:
    rng = np.random.default_rng(20261122)
    rows = [*report._check_theorem1(rng), *report._check_worst_case(), *report._check_noise(rng),
            *report._check_amplification(), *report._check_accuracy(rng, True)]
    assert all(r.verdict == "PASS" for r in rows), [(r.claim, r.discrepancy) for r in rows if not r.passed]
    assert len(rows) == 10


@pytest.mark.parametrize("factor", [1 + 1e-9, 2.0, math.inf])
def test_an_over_estimated_worst_case_fails(monkeypatch: pytest.MonkeyPatch, factor: float) -> None:
    # before: the row tested brute force <= exact only, so any over-estimate (even inf) passed
    import hbtheory.spectral as spectral

    true = spectral.worst_case
    monkeypatch.setattr(spectral, "worst_case", lambda *a, **k: true(*a, **k) * factor)
    assert set(_verdicts(report._check_worst_case())["worst_case"]) == {"FAIL"}


def test_theorem1_with_no_accepted_point_or_a_too_small_constant_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # before: points with rho outside [0.5, 1) were skipped and zero accepted points passed
    import hbtheory.spectral as spectral

    true_rho, true_c = spectral.spectral_radius, spectral.theorem1_constant
    monkeypatch.setattr(spectral, "spectral_radius", lambda *a, **k: np.float64(0.1))
    row = next(report._check_theorem1(np.random.default_rng(0)))
    assert row.verdict == "FAIL" and row.cases == 0
    monkeypatch.setattr(spectral, "spectral_radius", true_rho)
    monkeypatch.setattr(spectral, "theorem1_constant", lambda *a, **k: true_c(*a, **k) * 0.98)
    assert next(report._check_theorem1(np.random.default_rng(0))).verdict == "FAIL"


def test_a_defective_power_that_grows_more_slowly_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import hbtheory.spectral as spectral

    true = spectral.power_norm
    monkeypatch.setattr(spectral, "power_norm", lambda *a, **k: true(*a, **k) * (1 + 1e-12))
    rows = list(report._check_theorem1(np.random.default_rng(0)))
    assert rows[1].key == "theorem1_defective" and rows[1].verdict == "FAIL"


def test_a_wrong_stationary_variance_or_no_stable_point_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import hbtheory.spectral as spectral

    true = spectral.stationary_variance
    monkeypatch.setattr(spectral, "stationary_variance", lambda *a, **k: true(*a, **k) * (1 + 1e-10))
    assert set(_verdicts(report._check_noise(np.random.default_rng(0)))["noise_lyapunov"]) == {"FAIL"}
    monkeypatch.setattr(spectral, "stationary_variance", true)
    monkeypatch.setattr(spectral, "spectral_radius", lambda *a, **k: np.float64(1.0))
    rows = list(report._check_noise(np.random.default_rng(0)))
    assert all(r.verdict == "FAIL" and r.cases == 0 for r in rows)


@pytest.mark.parametrize("name", ["velocity_transient", "amplification"])
def test_a_wrong_amplification_fails(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    # before: amplification was compared with velocity_transient at t = 1e5, the same formula: 0 by construction
    import hbtheory.spectral as spectral

    true = getattr(spectral, name)
    monkeypatch.setattr(spectral, name, lambda *a, **k: true(*a, **k) * (1 + 1e-13))
    key = "amplification_transient" if name == "velocity_transient" else "amplification_limit"
    assert _verdicts(report._check_amplification())[key] == ["FAIL"]


def test_a_slightly_wrong_spectral_radius_fails_region_and_accuracy(monkeypatch: pytest.MonkeyPatch) -> None:
    import hbtheory.spectral as spectral

    true = spectral.spectral_radius
    monkeypatch.setattr(spectral, "spectral_radius", lambda *a, **k: true(*a, **k) * (1 + 1e-14))
    assert next(report._check_accuracy(np.random.default_rng(0), True)).verdict == "FAIL"
    monkeypatch.setattr(spectral, "spectral_radius", lambda *a, **k: true(*a, **k) * 0.98)
    assert next(report._check_region(np.random.default_rng(0), True)).verdict == "FAIL"


def test_a_wrong_tuning_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import hbtheory.tuning as tuning

    true = tuning.optimal_parameters
    monkeypatch.setattr(tuning, "optimal_parameters",
                        lambda **k: dataclasses.replace(true(**k), rate=true(**k).rate * (1 - 1e-13)))
    verdicts = _verdicts(report._check_optimum(True))
    assert set(verdicts["optimum_formula"]) == {"FAIL"} and set(verdicts["optimum_rate"]) == {"FAIL"}


def test_a_missing_cycle_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import hbtheory.counterexamples as cx

    true = cx.counterexample_summary
    monkeypatch.setattr(cx, "counterexample_summary", lambda **k: dataclasses.replace(true(**k), period=2))
    row = next(report._check_counterexample())
    assert row.key == "lrp_cycle" and row.verdict == "FAIL" and row.cases == 0


def test_the_torch_theorem1_row_needs_compared_steps() -> None:
    class Run:
        theorem1_constants = np.array([np.inf, np.inf])
        steps = 300

    assert report._theorem1_cases(Run()) == 0
    row = CLAIMS["sgd_theorem1"].check(0.0, 1.0, how="t", cases=report._theorem1_cases(Run()))
    assert row.verdict == "FAIL"
    Run.theorem1_constants = np.array([2.0, np.inf])
    assert report._theorem1_cases(Run()) == 300


# ------------------------------------------------------------------------------------------ the real report


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


def test_the_full_report_passes_and_every_row_compared_something(report_build: Any) -> None:
    out, summary = report_build.out, report_build.summary
    assert summary["failed"] == 0 and summary["passed"] >= 25
    assert sorted(p.name for p in out.iterdir()) == OWN
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]
    results = _strict_json((out / "results.json").read_text())
    for c in results["checks"]:
        if c["verdict"] == "PASS":  # no "measured inf, tolerance inf, PASS": every number is finite
            assert all(isinstance(c[k], (int, float)) for k in ("computed", "reference", "discrepancy", "tolerance"))
            assert c["cases"] >= c["min_cases"] >= 1 and c["discrepancy"] <= c["tolerance"]
            assert c["kind"] in KINDS
    keys = {c["key"] for c in results["checks"]}
    assert {"region", "optimum_formula", "optimum_rate", "accuracy", "theorem1_bound", "theorem1_defective",
            "worst_case", "noise_lyapunov", "amplification_transient", "amplification_limit", "lrp_cycle"} <= keys
    if importlib.util.find_spec("torch") is not None:
        assert {"sgd_rate", "sgd_theorem1", "noise_variance", "network", "local_rate"} <= keys
    hb = [r for r in results["optimal"] if r["method"] == "heavy_ball" and r["kappa"] == 100.0]
    assert len(results["optimal"]) == 16 and abs(hb[0]["rate"] - 9 / 11) <= EPS  # Polyak: 9/11 at kappa = 100
    marker = rd.read_marker(out)
    assert marker is not None and sorted(marker.files) == sorted(
        ["report.html", "report.md", "results.json", *(f["file"] for f in results["figures"])])
    md = (out / "report.md").read_text()
    assert md.count("| PASS |") == summary["passed"] and r"\frac" in md


def test_the_page_is_self_contained_with_mathml_contents_and_sharp_figures(report_build: Any) -> None:
    out = report_build.out
    results = _strict_json((out / "results.json").read_text())
    page = (out / "report.html").read_text()
    assert "http://" not in page and "https://" not in page and "<script" not in page
    figures = results["figures"]
    expected = 13 if all(importlib.util.find_spec(m) for m in ("torch", "PEPit")) else 7
    assert len(figures) >= expected and page.count("data:image/png;base64,") == len(figures)
    for f in figures:
        w, h = _png_size((out / f["file"]).read_bytes())
        assert w >= 1000  # drawn at 200 dpi ...
        name = Path(f["file"]).stem
        assert f"<figure id='fig-{name}'><img alt=" in page
        shown = rf"id='fig-{name}'><img alt='[^']*' width='{w // 2}' height='{h // 2}'"
        assert re.search(shown, page)  # ... shown at half the pixel width
    assert page.count("<math display='block'>") >= 30 and "<mfrac>" in page and "<msqrt>" in page
    assert "<mo><</mo>" not in page and "<mo>-" not in page  # escaped relations, real minus signs
    ids = set(re.findall(r"id='([^']+)'", page))
    toc = re.search(r"<nav class='toc'.*?</nav>", page, re.S)
    assert toc is not None
    links = re.findall(r"href='#([^']+)'", toc.group(0))
    assert len(links) >= 8 and set(links) <= ids
    assert "<div class='card good'><b>0</b>checks failed</div>" in page  # not red when nothing failed
    assert "Quick mode" not in page


def test_quick_is_quick_and_says_what_it_leaves_out(tmp_path: Path, report_build: Any) -> None:
    start = time.perf_counter()
    summary = write_report(tmp_path / "q", quick=True, progress=False)
    took = time.perf_counter() - start
    assert summary["failed"] == 0 and summary["passed"] >= 15 and summary["quick"] is True
    assert took < 0.5 * report_build.seconds, (took, report_build.seconds)
    page = (tmp_path / "q" / "report.html").read_text()
    assert "Quick mode</b> leaves out" in page and all(item.replace("`", "") in html_text(page)
                                                        for item in QUICK_LEAVES_OUT)
    results = _strict_json((tmp_path / "q" / "results.json").read_text())
    assert [Path(f["file"]).stem for f in results["figures"]] == list(_report_figures.QUICK_FIGURES)
    assert not any(c["key"].startswith("sgd") for c in results["checks"])


def html_text(page: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_a_failed_check_is_shown_in_red_and_counted() -> None:
    bad = CLAIMS["worst_case"].check(2.0, 1.0, how="t", cases=3, subject="Heavy ball")
    page = _report_html.render_html(rows=[], checks=[bad], derivation=[], figures=[], seconds=1.0,
                                    meta={"quick": False})
    assert "<div class='card bad'><b>1</b>checks failed</div>" in page and "<tr class='FAIL'>" in page
    assert "rel. error 1 &le; 1e-12" in page


# ------------------------------------------------------------------------------------------ a real browser


def _screenshot_module() -> Any:
    spec = importlib.util.spec_from_file_location("screenshot_report", ROOT / "docs" / "screenshot_report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_in_chromium_at_desktop_and_phone_width(report_build: Any, tmp_path: Path) -> None:
    pytest.importorskip("playwright", reason="needs the playwright package (pip install playwright)")
    shots = _screenshot_module()
    if shots.find_browser() is None:
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    page = report_build.out / "report.html"
    shot = tmp_path / "phone.png"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # playwright's pipes to its driver
        seen = shots.inspect_page(page, shots.WIDTHS, shots={390: shot})
    for width, found in seen.items():
        assert found["scroll_width"] <= width, f"horizontal overflow at {width} px"
        assert found["images"] and all(i["natural_width"] > 0 and i["complete"] for i in found["images"])
        assert all(i["inside"] and i["shown_width"] <= width for i in found["images"])
        assert found["math"] >= 30 and found["math_laid_out"]  # typeset, not shown as text
        assert found["toc_links"] >= 8 and found["toc_broken"] == []
        assert found["failed_cards"] == [] and found["blocked"] == []
    # full page: the whole height, not a fixed 1280 x 6000 window
    assert _png_size(shot.read_bytes()) == (390, seen[390]["height"]) and seen[390]["height"] > 6000

# ------------------------------------------------------------------------------------------ the stochastic figures
# (here, not in a module of their own: pytest-xdist keeps a module on one worker, so the report build
# below reuses the mean-square tunings these tests compute)


@pytest.fixture(scope="module")
def data() -> tuple[Any, list[Any]]:
    # the tunings are the full report's (computed once per process: the report_build reuses them)
    return _report_figures.stochastic_data(24)


@pytest.fixture(scope="module")
def specs(data: tuple[Any, list[Any]]) -> dict[str, _report_figures.FigureSpec]:
    return {s.name: s for s in _report_figures._stochastic_specs(24, data)}


def test_the_stochastic_figures_have_a_section_and_draw(specs: dict[str, _report_figures.FigureSpec]) -> None:
    assert set(specs) == {"mean_square_region", "batch_size_speedup"}
    for spec in specs.values():
        assert spec.section in SECTIONS
        fig = spec.draw()
        assert fig.axes, spec.name
        # every axes drew data: images (the region map) or lines (the speed-up curve)
        assert all(ax.images or ax.lines or ax.collections for ax in fig.axes if ax.get_label() != "<colorbar>")


def test_the_region_caption_is_the_stability_edge() -> None:
    # The caption of mean_square_region states the edge alpha h < 2 (1 - beta^2) / (3 + beta) for heavy ball with
    # Gaussian features at batch size 1 (curvature variance 2 h^2); mean_square_stable decides it by Jury's
    # conditions, independently of that formula. 1e-9 relative either side is far above rounding (~1e-15).
    beta = np.linspace(0.0, 0.98, 50)
    edge = 2.0 * (1.0 - beta**2) / (3.0 + beta)
    inside = stochastic.mean_square_stable(edge * (1 - 1e-9), beta, 1.0, curvature_variance=2.0)
    outside = stochastic.mean_square_stable(edge * (1 + 1e-9), beta, 1.0, curvature_variance=2.0)
    assert inside.all() and not outside.any()


def test_the_batch_caption_holds(data: tuple[Any, list[Any]]) -> None:
    # "how many plain-SGD steps one heavy-ball step is worth ... almost nothing at batch size 1; it grows with the
    # batch", against the exact-gradient speed-up ~ sqrt(kappa) = 10
    tunings = data[1]
    assert [t.batch_size for t in tunings] == list(_report_figures.BATCH_SIZES)
    assert all(np.array_equal(t.spectrum, [1.0, 1.0 / _report_figures.KAPPA]) for t in tunings)
    speedups = [t.speedup for t in tunings]
    assert speedups[0] < 1.5
    assert all(a < b for a, b in itertools.pairwise(speedups))
    assert all(s < t.deterministic_speedup for s, t in zip(speedups, tunings, strict=True))
    assert abs(tunings[0].deterministic_speedup - 10.0) < 0.5


def test_the_model_figure_needs_the_tuning_run_and_quick_leaves_both_out(
        data: tuple[Any, list[Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_report_figures, "stochastic_data", lambda n: data)
    names = [s.name for s in _report_figures.figure_specs({}, quick=True)]
    assert "mean_square_region" not in names and "model_tuning" not in names
    full = [s.name for s in _report_figures.figure_specs({}, quick=False)]
    assert "mean_square_region" in full and "batch_size_speedup" in full
    assert "model_tuning" not in full  # no tuning run among the artefacts: no figure of it
