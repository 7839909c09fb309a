"""The command line: real answers, --json everywhere, one-line errors with exit status 2."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hbtheory.cli import COMMANDS, build_parser, main

DOCS = Path(__file__).resolve().parents[1] / "docs"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_optimal_kappa_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "optimal", "--kappa", "100", "--json")
    assert code == 0
    d = json.loads(out)
    # Polyak (1964): rate (sqrt(kappa) - 1) / (sqrt(kappa) + 1) = 9/11 at kappa = 100
    assert d["method"] == "heavy_ball" and math.isclose(d["rate"], 9 / 11, rel_tol=1e-15)
    assert d["iterations"] == math.ceil(math.log(1e-6) / math.log(9 / 11))


def test_optimal_mu_L_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "optimal", "--mu", "0.1", "--L", "10", "--method", "nesterov")
    assert code == 0 and "nesterov=True" in out and "kappa = 100" in out


def test_rho_and_worst_case(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rho", "--alpha", "0.5", "--beta", "0.25", "--h", "1", "--json")
    assert code == 0 and json.loads(out)["rho"] == 0.5
    code, out, _ = run(capsys, "worst-case", "--n", "1", "--alpha", "1", "--beta", "0", "--mu", "0.5", "--L", "1.5",
                       "--method", "gradient_descent", "--json")
    # one gradient step with alpha = 1 on [0.5, 1.5] contracts by max |1 - h| = 0.5, squared 0.25
    assert code == 0 and math.isclose(json.loads(out)["worst_case"], 0.25, rel_tol=1e-14)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["optimal", "--kappa", "0.5"], "`kappa`"),
        (["optimal", "--kappa", "10", "--mu", "1"], "either --kappa or"),
        (["optimal"], "give --kappa"),
        (["optimal", "--kappa", "ten"], "--kappa: expected a real number, got 'ten'"),
        (["rho", "--alpha", "-1", "--beta", "0.5", "--h", "1"], "`alpha`"),
        (["rho", "--alpha", "1", "--beta", "1.5", "--h", "1"], "`beta`"),
        (["rho", "--alpha", "nan", "--beta", "0.5", "--h", "1"], "finite"),
        (["worst-case", "--n", "-1", "--alpha", "1", "--beta", "0.5", "--mu", "0.1", "--L", "1"], "`n`"),
        (["worst-case", "--n", "3", "--alpha", "1", "--beta", "0.5", "--mu", "2", "--L", "1"], "`mu` must be <= `L`"),
        (["rho", "--method", "adam", "--alpha", "1", "--beta", "0", "--h", "1"], "invalid choice"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err


def test_console_script_error_has_no_traceback() -> None:
    argv = [sys.executable, "-m", "hbtheory", "optimal", "--kappa", "-3"]
    proc = subprocess.run(argv, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for cmd in ("optimal", "rho", "heatmap", "worst-case", "counterexample", "verify", "report"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
        assert "example: hbtheory " + cmd in capsys.readouterr().out


@pytest.mark.slow  # every CLI example of the docs, end to end (CI runs it: pyproject.toml)
def test_docs_cli_examples_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every "$ hbtheory ..." line in docs/ is a command a reader may paste; it must succeed
    # (in-process: the console script itself is run by test_console_script_error_has_no_traceback).
    # Run in a temporary folder: the explorer and figures are written to the working directory.
    monkeypatch.chdir(tmp_path)
    lines = [m.group(1) for f in DOCS.glob("*.md") for m in re.finditer(r"^\$ (hbtheory .*)$", f.read_text(), re.M)]
    assert lines, "docs/ shows no command-line examples"
    for line in lines:
        argv = line.split()[1:]
        if argv[0] in ("report", "verify"):
            continue  # slow; run by tests/test_report.py and test_verify_runs_torch_against_the_theory
        code, out, err = run(capsys, *argv)
        assert code == 0 and out and not err, f"{line}: {err}"


def test_verify_runs_torch_against_the_theory(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    code, out, _ = run(capsys, "verify", "--quick", "--json")
    d = json.loads(out)
    assert code == 0 and d["failed"] == 0 and len(d["checks"]) >= 8
    assert all(c["verdict"] == "PASS" for c in d["checks"])


def test_verify_rejects_a_bad_device(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    code, _, err = run(capsys, "verify", "--device", "tpu")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "device" in err


def test_counterexample_json_has_the_period_3_cycle(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "counterexample", "--json")
    d = json.loads(out)
    assert code == 0 and d["period"] == 3
    # Lessard, Recht, Packard (2016), sec. 4.6: the cycle of heavy ball at Polyak's tuning, kappa = 25
    exact = sorted([-2208 / 1225, 2592 / 1225, 792 / 1225])
    assert max(abs(a - b) for a, b in zip(sorted(d["cycle_points"]), exact, strict=True)) < 1e-9


def test_rho_grid_to_csv_matches_spectral_radius(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    from hbtheory import spectral_radius

    out = tmp_path / "rho.csv"
    code, stdout, _ = run(capsys, "rho", "--alpha-range", "0.01", "4", "--beta-range", "0", "0.99", "--grid", "30",
                          "--h", "2", "--csv", str(out), "--json")
    assert code == 0 and json.loads(stdout)["points"] == 900
    data = np.loadtxt(out, delimiter=",", skiprows=1)
    assert data.shape == (900, 4)
    np.testing.assert_array_equal(data[:, 3], spectral_radius(data[:, 0], data[:, 1], data[:, 2]))


def test_heatmap_writes_an_image_and_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "h.png"
    code, _, _ = run(capsys, "heatmap", "--kappa", "100", "--gfj", "--grid", "20", "--dpi", "30", "--out", str(out))
    assert code == 0 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for argv, needle in [
        (["heatmap", "--kappa", "100", "--h", "1", "--out", str(out)], "exactly one of"),
        (["heatmap", "--kappa", "100", "--out", str(tmp_path / "h.gif")], ".png, .pdf or .svg"),
        (["heatmap", "--kappa", "0.5", "--out", str(out)], "`kappa`"),
        (["heatmap", "--kappa", "100", "--out", str(tmp_path / "missing" / "h.png")], "does not exist"),
        (["rho", "--alpha-range", "0", "1", "--beta-range", "0", "1", "--h", "1", "--csv", str(tmp_path / "r.csv")],
         "`alpha`"),
    ]:
        code, _, err = run(capsys, *argv)
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.png"]  # nothing half-written


# ----------------------------------------------------------------------------------------------
# Issue 11, "CLI": each test below failed before the fix it names.
# ----------------------------------------------------------------------------------------------

GRID = ["rho", "--alpha-range", "0.1", "1", "--beta-range", "0", "0.5", "--grid", "3", "--h", "1"]


def one_line_exit_2(code: int, out: str, err: str) -> str:
    assert code == 2, (code, err)
    assert out == "" and "Traceback" not in err
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    return err


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the expensive work fail loudly: a bad output path must be refused before it."""
    import hbtheory.plots
    import hbtheory.report

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("the work started before the output path was validated")

    monkeypatch.setattr(hbtheory.plots, "rho_heatmap", boom)
    monkeypatch.setattr(hbtheory.report, "write_report", boom)


def bad_paths(tmp_path: Path) -> dict[str, str]:
    """Output paths that cannot be written: each must give one line and exit 2 (before: tracebacks, exit 1)."""
    folder = tmp_path / "folder.png"
    folder.mkdir()
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    dangling = tmp_path / "dangling.png"
    dangling.symlink_to(tmp_path / "nowhere.png")
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    return {"empty": "", "blank": "  ", "folder": str(folder), "folder slash": str(tmp_path) + "/",
            "parent is a file": str(afile / "x.png"), "missing folder": str(tmp_path / "missing" / "x.png"),
            "dangling symlink": str(dangling), "fifo": str(fifo)}


@pytest.mark.usefixtures("no_work")
def test_bad_output_paths_are_refused_before_the_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = bad_paths(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    for why, path in paths.items():
        err = one_line_exit_2(*run(capsys, *GRID, "--csv", path))
        assert "--csv" in err, (why, err)
        err = one_line_exit_2(*run(capsys, "heatmap", "--kappa", "100", "--out", path))
        assert "--out" in err, (why, err)
    # the report's folder: a dangling symlink, a parent that is a file, an existing file
    for path in (paths["dangling symlink"], paths["parent is a file"], str(tmp_path / "file.txt"), ""):
        err = one_line_exit_2(*run(capsys, "report", "--quick", "--out", path))
        assert "out" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created, nothing replaced
    assert stat.S_ISFIFO(os.lstat(paths["fifo"]).st_mode)


@contextlib.contextmanager
def unwritable_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder this process cannot write: mode 0555, or for root (who ignores modes) the immutable flag."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        undo = ["chmod", "755", str(folder)]
    else:
        proc = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
        if proc.returncode != 0:  # pragma: no cover - a root without CAP_LINUX_IMMUTABLE
            pytest.skip(f"root cannot make a folder unwritable here: {proc.stderr.strip()}")
        undo = ["chattr", "-i", str(folder)]
    try:
        with pytest.raises(OSError):  # the premise: this process really cannot write there
            (folder / "probe").write_text("x")
        yield folder
    finally:
        subprocess.run(undo, check=True)


def test_an_unwritable_folder_is_one_line_before_the_work(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          no_work: None) -> None:
    with unwritable_folder(tmp_path) as folder:
        one_line_exit_2(*run(capsys, *GRID, "--csv", str(folder / "x.csv")))
        one_line_exit_2(*run(capsys, "heatmap", "--kappa", "100", "--out", str(folder / "x.png")))
        one_line_exit_2(*run(capsys, "report", "--quick", "--out", str(folder / "rep")))
        assert list(folder.iterdir()) == []
    # a folder the checks think writable but the kernel refuses (procfs): still one line, exit 2
    err = one_line_exit_2(*run(capsys, *GRID, "--csv", "/proc/hbtheory-test.csv"))
    assert "cannot be written" in err


def test_report_validates_device_and_out_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         no_work: None) -> None:
    # before: `report --device tpu` failed only after 9 s of checks
    err = one_line_exit_2(*run(capsys, "report", "--device", "tpu", "--out", str(tmp_path / "r")))
    assert "--device must be cpu, cuda or cuda:N, got 'tpu'" in err
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    err = one_line_exit_2(*run(capsys, "report", "--quick", "--out", str(foreign)))
    assert "not an earlier hbtheory report" in err and (foreign / "precious.txt").read_text() == "keep me"


def test_negative_numbers_are_values(capsys: pytest.CaptureFixture[str]) -> None:
    from hbtheory import spectral_radius

    # before: "argument --h: expected one argument" unless written --h=-1e-3
    code, out, _ = run(capsys, "rho", "--alpha", "0.1", "--beta", "0.5", "--h", "-1e-3", "--json")
    assert code == 0 and json.loads(out)["rho"] == float(spectral_radius(0.1, 0.5, -1e-3))
    code, out, _ = run(capsys, "rho", "--alpha", "0.1", "--beta", "0.5", "--h=-1e-3", "--json")
    assert code == 0 and json.loads(out)["rho"] == float(spectral_radius(0.1, 0.5, -1e-3))
    # a two-value option, -inf and -0 are values too; the library then names what it refuses
    err = one_line_exit_2(*run(capsys, "rho", "--alpha-range", "-1e-3", "1", "--beta-range", "0", "1", "--h", "1",
                               "--csv", "x.csv"))
    assert "`alpha`" in err
    err = one_line_exit_2(*run(capsys, "optimal", "--kappa", "-inf"))
    assert "`kappa`" in err
    code, out, _ = run(capsys, "rho", "--alpha", "1", "--beta", "-0", "--h", "1", "--method", "gradient_descent",
                       "--json")
    assert code == 0 and json.loads(out)["rho"] == 0.0
    # counterexample --x0 takes negative starts (the summary itself is the library's)
    code, out, _ = run(capsys, "counterexample", "--x0", "-3.3", "--json")
    assert code == 0 and json.loads(out)["x0"] == -3.3
    code, out, err = run(capsys, "counterexample", "--x0", "-1e15")
    assert "expected one argument" not in err and code in (0, 2)
    # an option name is still an option, and a stray number is still refused in one line
    err = one_line_exit_2(*run(capsys, "rho", "--alpha", "1", "-1"))
    assert "unrecognized arguments: -1" in err


def test_rho_refuses_a_point_and_a_grid_together(capsys: pytest.CaptureFixture[str]) -> None:
    # before: the grid was used and --alpha/--beta silently ignored
    err = one_line_exit_2(*run(capsys, "rho", "--alpha", "0.1", "--beta", "0.5", "--alpha-range", "0.1", "1",
                               "--beta-range", "0", "1", "--h", "1", "--csv", "x.csv"))
    assert "not both" in err
    one_line_exit_2(*run(capsys, "rho", "--alpha", "0.1", "--beta", "0.5", "--h", "1", "--grid", "5"))


def test_grid_size_is_grid_and_n_is_steps(capsys: pytest.CaptureFixture[str]) -> None:
    for cmd in (["rho", *GRID[1:-4]], ["heatmap", "--kappa", "100", "--out", "h.png"]):
        err = one_line_exit_2(*run(capsys, *cmd, "--n", "50"))
        assert "--n is now --grid" in err
    help_text = build_parser().format_help()
    assert "worst-case" in help_text


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_output_files_follow_the_umask(tmp_path: Path, capsys: pytest.CaptureFixture[str], umask: int) -> None:
    # before: 0600 whatever the umask (mkstemp's mode)
    old = os.umask(umask)
    try:
        assert run(capsys, *GRID, "--csv", str(tmp_path / "r.csv"))[0] == 0
        assert run(capsys, "heatmap", "--kappa", "100", "--grid", "20", "--dpi", "20",
                   "--out", str(tmp_path / "h.png"))[0] == 0
    finally:
        os.umask(old)
    for name in ("r.csv", "h.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask
    # an existing file keeps its permissions, as with shell redirection
    (tmp_path / "r.csv").chmod(0o640)
    assert run(capsys, *GRID, "--csv", str(tmp_path / "r.csv"))[0] == 0
    assert stat.S_IMODE((tmp_path / "r.csv").stat().st_mode) == 0o640


def test_csv_through_a_symbolic_link_replaces_its_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # before: the link itself was replaced by a regular file
    target = tmp_path / "data" / "rho.csv"
    target.parent.mkdir()
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert run(capsys, *GRID, "--csv", str(link))[0] == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("alpha,beta,h,rho\n") and len(target.read_text().splitlines()) == 10
    assert sorted(p.name for p in target.parent.iterdir()) == ["rho.csv"]  # no temporary left


def test_every_option_has_help() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert sorted(commands) == sorted(COMMANDS)
    missing = [f"{name} {a.option_strings[0]}" for name, p in commands.items() for a in p._actions
               if a.option_strings and not a.help]
    assert missing == []  # before: rho --alpha/--beta, all of worst-case, heatmap --L --dpi --method


def test_heatmap_sets_its_ranges(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import hbtheory.plots

    drawn: list[object] = []
    real = hbtheory.plots.rho_heatmap

    def spy(*args: object, **kwargs: object) -> object:
        fig = real(*args, **kwargs)  # type: ignore[arg-type]
        drawn.append(fig)
        return fig

    monkeypatch.setattr(hbtheory.plots, "rho_heatmap", spy)
    code, _, _ = run(capsys, "heatmap", "--mu", "0.1", "--L", "1", "--alpha-max", "2", "--beta-range", "0.2", "0.8",
                     "--grid", "20", "--dpi", "20", "--out", str(tmp_path / "h.svg"))
    assert code == 0 and (tmp_path / "h.svg").read_text().lstrip().startswith("<?xml")
    ax = drawn[0].axes[0]  # type: ignore[attr-defined]
    assert tuple(ax.get_xlim()) == (0.0, 2.0) and tuple(ax.get_ylim()) == (0.2, 0.8)
    code, _, _ = run(capsys, "heatmap", "--h", "1", "--alpha-range", "0.5", "1.5", "--grid", "20", "--dpi", "20",
                     "--out", str(tmp_path / "h.png"))
    assert code == 0 and tuple(drawn[1].axes[0].get_xlim()) == (0.5, 1.5)  # type: ignore[attr-defined]
    err = one_line_exit_2(*run(capsys, "heatmap", "--h", "1", "--alpha-range", "0.5", "1.5", "--alpha-max", "2",
                               "--out", str(tmp_path / "h.png")))
    assert "not both" in err
    err = one_line_exit_2(*run(capsys, "heatmap", "--h", "1", "--alpha-range", "1.5", "0.5",
                               "--out", str(tmp_path / "h.png")))
    assert "alpha_range" in err


def test_rho_grid_is_streamed_in_bounded_blocks(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    import hbtheory.cli
    import hbtheory.spectral

    sizes: list[int] = []
    real = hbtheory.spectral.spectral_radius

    def spy(alpha: object, beta: object, h: object, method: object = "heavy_ball") -> object:
        out = real(alpha, beta, h, method=method)  # type: ignore[arg-type]
        sizes.append(int(np.size(out)))
        return out

    monkeypatch.setattr(hbtheory.spectral, "spectral_radius", spy)
    monkeypatch.setattr(hbtheory.cli, "RHO_BLOCK_POINTS", 500)
    out = tmp_path / "rho.csv"
    code, stdout, _ = run(capsys, "rho", "--alpha-range", "0.01", "4", "--beta-range", "0", "0.99", "--grid", "70",
                          "--h", "0.5", "--csv", str(out), "--json")
    assert code == 0
    # before: one call on all 4900 points (rho --grid 5000: 3.6 GB); now blocks of <= 500 points
    assert max(sizes) <= 500 and sum(sizes) >= 4900
    data = np.loadtxt(out, delimiter=",", skiprows=1)
    alpha, beta = np.linspace(0.01, 4, 70), np.linspace(0, 0.99, 70)
    np.testing.assert_array_equal(data[:, 0], np.repeat(alpha, 70))
    np.testing.assert_array_equal(data[:, 1], np.tile(beta, 70))
    np.testing.assert_array_equal(data[:, 3], real(alpha[:, None], beta[None, :], 0.5).ravel())
    d = json.loads(stdout)
    assert d["min_rho"] == data[:, 3].min() and d["converging_points"] == int(np.sum(data[:, 3] < 1))
    err = one_line_exit_2(*run(capsys, *GRID[:-4], "--grid", "5001", "--h", "1", "--csv", str(out)))
    assert "[2, 5000]" in err


def test_json_is_strict_indented_and_null_for_non_finite(capsys: pytest.CaptureFixture[str]) -> None:
    from hbtheory.counterexamples import counterexample_summary
    from hbtheory.spectral import worst_case

    # divergent parameters (rho > 1): the 3000-step worst case overflows float64
    argv = ["--n", "3000", "--alpha", "4", "--beta", "0.5", "--mu", "0.1", "--L", "1"]
    assert float(worst_case(3000, 4.0, 0.5, 0.1, 1.0)) == math.inf
    code, out, _ = run(capsys, "worst-case", *argv, "--json")
    d = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    assert code == 0 and d["worst_case"] is None  # before: the string "inf"
    assert math.isfinite(d["log10_worst_case"]) and d["log10_worst_case"] > 308
    assert out.startswith("{\n  \"")
    code, out, _ = run(capsys, "counterexample", "--json")
    assert code == 0 and len(out.splitlines()) > 50  # before: one 12 KB line
    assert json.loads(out) == json.loads(counterexample_summary().to_json())


FLOAT = re.compile(r"(?<![\w.])-?\d+\.\d*(?:e[-+]?\d+)?|(?<![\w.])-?\d+e[-+]?\d+")


@pytest.mark.parametrize("argv", [
    ["optimal", "--kappa", "2.5e7"],
    ["optimal", "--mu", "0.1", "--L", "10", "--method", "nesterov"],
    ["rho", "--alpha", "0.1", "--beta", "0.9", "--h", "0.3"],
    ["worst-case", "--n", "20", "--alpha", "3.3", "--beta", "0.67", "--mu", "0.01", "--L", "1"],
])
def test_text_prints_each_float_as_its_shortest_repr(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, _ = run(capsys, *argv)
    numbers = FLOAT.findall(out)
    assert code == 0 and numbers
    # before: "beta = 0.96078815802372319" (%.17g) beside "momentum=0.9607881580237232" (repr)
    assert [s for s in numbers if repr(float(s)) != s] == []


def test_optimal_text_and_torch_call_show_the_same_doubles(capsys: pytest.CaptureFixture[str]) -> None:
    from hbtheory import optimal_parameters

    t = optimal_parameters(kappa=2500.0)
    code, out, _ = run(capsys, "optimal", "--kappa", "2500")
    assert code == 0
    assert f"beta  = {t.beta!r}" in out and f"momentum={t.beta!r}" in out and f"lr={t.alpha!r}" in out


def test_no_command_is_a_short_usage_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    # before: the whole help on stdout
    err = one_line_exit_2(*run(capsys))
    from hbtheory.cli import COMMANDS

    assert err.startswith("usage: hbtheory {" + ",".join(COMMANDS) + "}")


ALL_METHODS = [["--method", "heavy_ball"], ["--method", "nesterov"], ["--method", "gradient_descent"],
               ["--method", "triple_momentum"], ["--method", "general", "--gamma", "0.5"],
               ["--method", "general", "--gamma", "-0.25"]]


def api_method(flags: list[str]) -> object:
    from hbtheory.methods import general, get_method

    return general(float(flags[3])) if len(flags) == 4 else get_method(flags[1])


@pytest.mark.parametrize("flags", ALL_METHODS, ids=lambda f: "-".join(f[1:]))
def test_every_method_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import hbtheory
    import hbtheory.tuning
    from hbtheory import plots

    m = api_method(flags)
    beta = "0" if flags[1] == "gradient_descent" else "0.5"
    code, out, _ = run(capsys, "rho", "--alpha", "0.3", "--beta", beta, "--h", "2", *flags, "--json")
    d = json.loads(out)
    assert code == 0 and d["method"] == m.name  # type: ignore[attr-defined]
    assert d["rho"] == float(hbtheory.spectral_radius(0.3, float(beta), 2.0, method=m))  # type: ignore[arg-type]
    code, out, _ = run(capsys, "worst-case", "--n", "7", "--alpha", "0.3", "--beta", beta, "--mu", "0.1", "--L", "1",
                       *flags, "--json")
    d = json.loads(out)
    assert code == 0 and d["worst_case"] == float(hbtheory.worst_case(7, 0.3, float(beta), 0.1, 1.0, method=m))  # type: ignore[arg-type]
    # optimal: the library's answer for exactly this method (recorded, not recomputed: general(gamma)
    # is a numeric minimax of a few seconds)
    tunings: list[hbtheory.Tuning] = []
    real = hbtheory.tuning.optimal_parameters

    def spy(**kwargs: object) -> hbtheory.Tuning:
        assert kwargs == {"kappa": 50.0, "method": m}
        tunings.append(real(**kwargs))  # type: ignore[arg-type]
        return tunings[-1]

    monkeypatch.setattr(hbtheory.tuning, "optimal_parameters", spy)
    code, out, _ = run(capsys, "optimal", "--kappa", "50", *flags, "--json")
    monkeypatch.undo()
    (t,) = tunings
    d = json.loads(out)
    assert code == 0 and (d["alpha"], d["beta"], d["rate"], d["method"]) == (t.alpha, t.beta, t.rate, m.name)  # type: ignore[attr-defined]
    # the heatmap: whatever plots.rho_heatmap accepts is drawn; what it refuses is one line, exit 2
    try:
        plots.rho_heatmap(mu=0.02, L=1.0, method=m, n=8)  # type: ignore[arg-type]
    except ValueError as exc:
        expected: str | None = str(exc)
    else:
        expected = None
    code, out, err = run(capsys, "heatmap", "--kappa", "50", "--grid", "20", "--dpi", "20",
                         "--out", str(tmp_path / "h.png"), *flags)
    if expected is None:
        assert code == 0 and (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"
    else:
        assert expected in one_line_exit_2(code, out, err)


def test_general_needs_gamma_and_gamma_needs_general(capsys: pytest.CaptureFixture[str]) -> None:
    point = ["rho", "--alpha", "0.3", "--beta", "0.5", "--h", "2"]
    assert "needs --gamma" in one_line_exit_2(*run(capsys, *point, "--method", "general"))
    assert "--gamma goes with --method general" in one_line_exit_2(*run(capsys, *point, "--gamma", "0.5"))
    assert "`gamma`" in one_line_exit_2(*run(capsys, *point, "--method", "general", "--gamma", "nan"))


def test_cli_does_not_dispatch_on_method_names() -> None:
    source = (Path(__file__).resolve().parents[1] / "hbtheory" / "cli.py").read_text()
    named = re.findall(r"""(?:==|!=|\bin)\s*\(?["'](heavy_ball|nesterov|gradient_descent|triple_momentum)""", source)
    assert named == []


def test_a_closed_pipe_ends_quietly() -> None:
    # `hbtheory ... | head`: before, "hbtheory: error: Broken pipe" (status 2, as if the input were bad)
    proc = subprocess.Popen([sys.executable, "-m", "hbtheory", "counterexample", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    with proc:
        proc.stdout.close()  # the reader is gone before the first byte is written
        err = proc.stderr.read()
    assert proc.returncode == 141 and err == b""


def test_refused_negative_numbers_are_shown_as_typed(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_exit_2(*run(capsys, "rho", "--method", "-1"))
    assert "invalid choice: '-1'" in err and "x00" not in err
    err = one_line_exit_2(*run(capsys, "worst-case", "--n", "-1.5", "--alpha", "1", "--beta", "0", "--mu", "1",
                               "--L", "1"))
    assert "--n: expected an integer, got '-1.5'" in err


def test_optimal_refuses_a_bad_tol_before_optimising(capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import hbtheory.tuning

    def boom(**kwargs: object) -> None:
        raise AssertionError("optimised before --tol was checked")

    monkeypatch.setattr(hbtheory.tuning, "optimal_parameters", boom)
    for tol in ("0", "1", "nan", "-1e-3", "2"):
        err = one_line_exit_2(*run(capsys, "optimal", "--kappa", "1e16", "--method", "nesterov", "--tol", tol))
        assert "`tol`" in err
