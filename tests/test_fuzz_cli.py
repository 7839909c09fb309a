"""Fuzzing the command line against its promise (issue 11).

Every argv gives exit status 0 with the value the Python API computes for the same numbers, or
exit status 2 with exactly one line on stderr and no traceback; status 1 ("a check failed") never
comes out of these commands. The inputs mix valid and invalid numbers (-0, 1e308, overflowing
literals, NaN, infinities, subnormals, huge integers, empty strings, words) and paths (folders,
a parent that is a file, dangling links). ``report`` and ``verify`` are left out: they run for
seconds and have their own tests.

``main(argv)`` runs in-process for speed; the whole file takes a few seconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import hbtheory
import hbtheory.tuning
from hbtheory.cli import main
from hbtheory.methods import Method, general, get_method

# Numbers as a user could type them: each must either reach the library unchanged or be refused.
SPECIAL = ["0", "-0", "0.0", "-0.0", "1", "-1", "0.5", "1e308", "-1e308", "1.7976931348623157e308", "1e309",
           "-1e309", "nan", "-nan", "NaN", "inf", "-inf", "Infinity", "5e-324", "-5e-324", "2.2250738585072014e-308",
           "1e-320", "0.99", "1.0000000000000002", "0.9999999999999999", "100", "1e16", "1e-16", str(10**30),
           "-" + str(10**30), "9" * 400, "", " ", "1e", "one", "0x10", "1_000", "--", "-", "1,5"]
NUMBER = st.one_of(
    st.sampled_from(SPECIAL),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=-3, max_value=3).map(repr),
    st.integers(-(10**20), 10**20).map(str),
)
# In-range values (extremes included) drawn as often as the adversarial ones, so that the
# "exit 0 with the API's value" half of the promise is exercised too.
STEP = st.one_of(st.floats(1e-3, 4.0), st.sampled_from([5e-324, 1e-300, 1e-16, 1.9999999999999998, 1e150, 1e300]))
MOMENTUM = st.one_of(st.floats(0.0, 1.0), st.sampled_from([-0.0, 0.0, 0.9999999999999999, 1.0, 5e-324]))
CURVATURE = st.one_of(st.floats(-2.0, 10.0), st.sampled_from([-0.0, 5e-324, -5e-324, 1e-300, 1e300, -1e308]))


def optional(s: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), s, s, s, s)


def value(valid: st.SearchStrategy[float]) -> st.SearchStrategy[str]:
    text = valid.map(repr)
    return st.one_of(text, text, text, text, NUMBER)


METHOD_FLAGS: list[list[str]] = [[], ["--method", "heavy_ball"], ["--method", "nesterov"],
                                 ["--method", "gradient_descent"], ["--method", "triple_momentum"],
                                 ["--method", "general", "--gamma", "0.5"], ["--method", "general", "--gamma", "-1"],
                                 ["--method", "general"], ["--method", "general", "--gamma", "nan"],
                                 ["--gamma", "0.5"], ["--method", "adam"]]
# the valid spellings three times as often as the refused ones
FLAGS = st.sampled_from(METHOD_FLAGS[:7] * 3 + METHOD_FLAGS[7:])


def parse_number(text: str) -> float | None:
    """The float the CLI reads from ``text``, or None where it must refuse it."""
    try:
        return float(text)
    except ValueError:
        return None


def api_method(flags: list[str]) -> Method | None:
    """The method those flags name, or None where the CLI must refuse them."""
    opts = dict(zip(flags[::2], flags[1::2], strict=True))
    name, gamma = opts.get("--method", "heavy_ball"), opts.get("--gamma")
    if (name == "general") != (gamma is not None) or name == "adam":
        return None
    try:
        return general(float(gamma)) if gamma is not None else get_method(name)
    except ValueError:
        return None


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    # A warning of the library would be an error under the suite's filterwarnings and escape main();
    # from the command line it is a printed warning beside exit status 0. The promise checked here
    # is the exit status and the one stderr line; the library's warnings are its own tests' business
    # (found by this fuzz: matplotlib's "identical low and high ylims" from the gradient-descent
    # heatmap at mu = 1e-16, numpy overflow warnings from worst_case at alpha * L > 1e154).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            yield


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with quiet(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def api(func: Callable[[], Any]) -> Any:
    """The API's value, or None when it refuses the input (ValueError/TypeError naming it)."""
    try:
        with quiet():
            return func()
    except (ValueError, TypeError):
        return None


def check(argv: list[str], expected: Any, compare: Callable[[dict[str, Any], Any], None]) -> None:
    """The promise: ``expected is None`` -> exit 2 and one line; otherwise exit 0 and ``compare`` holds."""
    verdict(argv, *run(argv), expected, compare)


def verdict(argv: list[str], code: int, out: str, err: str, expected: Any,
            compare: Callable[[dict[str, Any], Any], None]) -> None:
    event(f"exit {code}")
    assert "Traceback" not in err
    if expected is None:
        assert code == 2, (argv, code, out, err)
        assert out == "" and len(err.splitlines()) == 1 and err.endswith("\n"), (argv, err)
    else:
        assert code == 0, (argv, err)
        compare(json.loads(out), expected)


class Spy:
    """Stands in for one library function during a CLI run and records its calls and outcomes.

    For the slow functions (a numeric minimax, 600 simulated runs) the oracle is then the library's
    own outcome for the arguments the CLI passed, and the test checks those arguments: computing
    everything twice would not fit the time budget.
    """

    def __init__(self, module: Any, name: str) -> None:
        self.module, self.name, self.real = module, name, getattr(module, name)
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any], Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            result = self.real(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            self.calls.append((args, kwargs, exc))
            raise
        self.calls.append((args, kwargs, result))
        return result

    def run(self, argv: list[str]) -> tuple[int, str, str]:
        with mock.patch.object(self.module, self.name, self):
            return run(argv)


def identical(a: Any, b: Any) -> bool:
    """Equal as arguments: floats bit for bit (NaN equal to NaN, -0.0 not equal to 0.0)."""
    if isinstance(a, float) and isinstance(b, float):
        return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def same(encoded: Any, value: float) -> bool:
    """JSON policy: a finite float exactly (shortest repr round-trips), anything else null."""
    value = float(value)
    return encoded is None if not math.isfinite(value) else encoded == value


def options(**given: str | None) -> list[str]:
    return [token for name, value in given.items() if value is not None for token in (f"--{name}", value)]


@settings(max_examples=150)
@given(alpha=optional(value(STEP)), beta=optional(value(MOMENTUM)), h=optional(value(CURVATURE)), flags=FLAGS)
def test_rho_point(alpha: str | None, beta: str | None, h: str | None, flags: list[str]) -> None:
    argv = ["rho", *options(alpha=alpha, beta=beta, h=h), *flags, "--json"]
    values = [None if v is None else parse_number(v) for v in (alpha, beta, h)]
    m = api_method(flags)
    expected = None
    if m is not None and all(v is not None for v in values):
        a, b, hh = values
        expected = api(lambda: float(hbtheory.spectral_radius(a, b, hh, method=m)))

    def compare(d: dict[str, Any], rho: float) -> None:
        assert same(d["rho"], rho) and d["converges"] == (rho < 1) and d["method"] == m.name  # type: ignore[union-attr]
        assert same(d["alpha"], values[0]) and same(d["h"], values[2])  # type: ignore[arg-type]

    check(argv, expected, compare)


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, bool]]:
    """Output paths with whether they can be written."""
    base = tmp_path_factory.mktemp("fuzz")
    (base / "folder").mkdir()
    (base / "file").write_text("x")
    (base / "dangling").symlink_to(base / "nowhere")
    return {"good": (base / "out", True), "folder": (base / "folder", False), "empty": (Path(""), False),
            "under a file": (base / "file" / "x", False), "missing": (base / "missing" / "x", False),
            "dangling": (base / "dangling", False)}


@settings(max_examples=60)
@given(numbers=st.one_of(st.tuples(*(s.map(repr) for s in (STEP, STEP, MOMENTUM, MOMENTUM, CURVATURE))),
                         st.tuples(*(value(s) for s in (STEP, STEP, MOMENTUM, MOMENTUM, CURVATURE)))),
       grid=st.one_of(st.integers(2, 6).map(str), st.integers(2, 6).map(str), st.integers(-3, 6).map(str),
                      st.sampled_from(["5001", "1e1", "", "x", "9" * 30])),
       where=st.sampled_from(["good"] * 6 + ["folder", "empty", "under a file", "missing", "dangling"]),
       flags=FLAGS, point=st.sampled_from([False] * 5 + [True]))
def test_rho_grid(paths: dict[str, tuple[Path, bool]], numbers: tuple[str, ...], grid: str, where: str,
                  flags: list[str], point: bool) -> None:
    a_lo, a_hi, b_lo, b_hi, h = numbers
    path, writable = paths[where]
    target = Path(f"{path}.csv") if writable else path
    if writable:
        target.unlink(missing_ok=True)
    argv = ["rho", "--alpha-range", a_lo, a_hi, "--beta-range", b_lo, b_hi, "--h", h, "--grid", grid,
            "--csv", str(target) if where != "empty" else "", *flags, *(["--alpha", "0.5"] if point else []), "--json"]
    values = [parse_number(v) for v in numbers]
    n = int(grid) if grid.lstrip("-").isdigit() and len(grid) < 10 else None
    m = api_method(flags)
    expected = None
    if m is not None and writable and not point and n is not None and 2 <= n <= 5000 and None not in values:
        with np.errstate(all="ignore"):
            alpha = np.linspace(values[0], values[1], n)
            beta = np.linspace(values[2], values[3], n)
        expected = api(lambda: hbtheory.spectral_radius(alpha[:, None], beta[None, :], values[4], method=m))

    def compare(d: dict[str, Any], rho: Any) -> None:
        assert d["points"] == rho.size and d["converging_points"] == int(np.sum(rho < 1))
        data = np.loadtxt(target, delimiter=",", skiprows=1, ndmin=2)
        np.testing.assert_array_equal(data[:, 3], rho.ravel())
        np.testing.assert_array_equal(data[:, 0], np.repeat(alpha, n))  # type: ignore[arg-type]

    check(argv, expected, compare)
    if expected is None and writable:
        assert not target.exists()  # a refused grid leaves no file
    assert list(paths["good"][0].parent.glob(".hbtheory-*")) == []  # nor a temporary one


@settings(max_examples=100)
@given(which=st.sampled_from(["kappa"] * 3 + ["mu L"] * 3 + ["kappa mu", "mu", "kappa mu L", ""]),
       # kappa >= 1e15 takes the library 6-9 s for Nesterov (and 8 s to refuse 1e30 for heavy ball)
       # today; such values still come from NUMBER, rarely
       x=value(st.floats(1.0, 1e12) | st.sampled_from([1e12, 1.0000000000000002])),
       y=value(st.floats(1e-3, 1.0)), z=value(st.floats(1.0, 1e3)),
       tol=optional(value(st.floats(1e-300, 0.99))),
       # general(gamma) has no closed form: its numeric minimax takes seconds, so it is checked once
       # per gamma in test_cli.py instead of here; its spellings that must be refused stay in
       flags=st.sampled_from([f for f in METHOD_FLAGS if "--gamma" not in f or api_method(f) is None]))
def test_optimal(which: str, x: str, y: str, z: str, tol: str | None, flags: list[str]) -> None:
    kappa, mu, L = (v if name in which.split() else None for name, v in (("kappa", x), ("mu", y), ("L", z)))
    tol_value = 1e-6 if tol is None else parse_number(tol)
    if tol_value is not None and 0 < tol_value < 2.2250738585072014e-308:
        # Tuning.iterations at a subnormal tol can run for minutes (issue 11, "Hangs", owned by the
        # tuning layer); everything else about tol, subnormal kappa/mu/L included, is fuzzed
        tol_value, tol = 1e-300, "1e-300"
    argv = ["optimal", *options(kappa=kappa, mu=mu, L=L, tol=tol), *flags, "--json"]
    m = api_method(flags)
    k, lo, hi = (None if v is None else parse_number(v) for v in (kappa, mu, L))
    bad_number = any(v is not None and parse_number(v) is None for v in (kappa, mu, L))
    one_way = (kappa is not None and mu is None and L is None) or (kappa is None and mu is not None and L is not None)
    spy = Spy(hbtheory.tuning, "optimal_parameters")
    code, out, err = spy.run(argv)
    expected = None
    tol_ok = tol_value is not None and 0.0 < tol_value < 1.0  # checked first, before the optimisation
    if m is not None and tol_ok and one_way and not bad_number:
        (args, kwargs, result), = spy.calls
        want = {"kappa": k, "method": m} if k is not None else {"mu": lo, "L": hi, "method": m}
        assert args == () and sorted(kwargs) == sorted(want)
        assert all(identical(kwargs[name], want[name]) for name in want), (kwargs, want)
        if not isinstance(result, Exception):
            expected = api(lambda: (result, result.iterations(tol_value)))
    else:
        assert spy.calls == []

    def compare(d: dict[str, Any], result: tuple[Any, Any]) -> None:
        t, iterations = result
        assert (d["method"], d["alpha"], d["beta"], d["rate"], d["mu"], d["L"]) == (
            t.method, t.alpha, t.beta, t.rate, t.mu, t.L)
        assert d["iterations"] == (iterations if math.isfinite(iterations) else None)
        assert same(d["tol"], tol_value)  # type: ignore[arg-type]

    verdict(argv, code, out, err, expected, compare)


@settings(max_examples=100)
@given(n=st.one_of(st.integers(0, 60).map(str), st.integers(-3, 2000).map(str),
                   st.sampled_from(["200001", str(10**12 + 1), str(2**64), "9" * 400,
                                    "-" + "9" * 30, "1e3", "", "2.0", "-0"])),
       numbers=st.one_of(*(st.tuples(*(wrap(s) for s in (STEP, MOMENTUM, st.floats(1e-3, 1.0), st.floats(1.0, 10.0))))
                           for wrap in (lambda s: s.map(repr), value))),
       flags=FLAGS)
def test_worst_case(n: str, numbers: tuple[str, str, str, str], flags: list[str]) -> None:
    alpha, beta, mu, L = numbers
    # n in the thousands to 2e5 costs up to a second per call where [mu, L] meets the
    # critical-damping band (the library's cap there is 2e5), and n = 1e12 can take minutes before
    # it is refused: n is drawn small, or beyond the caps
    argv = ["worst-case", "--n", n, *options(alpha=alpha, beta=beta, mu=mu, L=L), *flags, "--json"]
    m = api_method(flags)
    values = [parse_number(v) for v in numbers]
    try:
        steps: int | None = int(n)
    except ValueError:
        steps = None
    expected = None
    if m is not None and steps is not None and None not in values:
        a, b, lo, hi = values
        expected = api(lambda: (hbtheory.worst_case(steps, a, b, lo, hi, method=m),
                                hbtheory.worst_case(steps, a, b, lo, hi, method=m, log=True),
                                hbtheory.worst_case_rate(a, b, lo, hi, method=m)))

    def compare(d: dict[str, Any], values: tuple[Any, Any, Any]) -> None:
        value, log_value, rate = (float(v) for v in values)
        assert same(d["worst_case"], value) and same(d["rate"], rate) and d["n"] == steps
        assert same(d["log10_worst_case"], log_value / math.log(10.0))

    check(argv, expected, compare)


HEATMAP_BAD = ["nan", "-inf", "inf", "1e309", "-1", "0", "-0", "", "one", "0.5", "1e308"]


@settings(max_examples=8)
@given(which=st.sampled_from(["kappa", "kappa", "h", "mu L", "kappa h", "none"]),
       # a spectrum wider than about 1e15 makes the library's optimum search (drawn as the star) take
       # 5-60 s today, so the refused values here are the cheap ones; optimal is fuzzed more widely
       x=st.one_of(*[st.floats(1.0, 1e4).map(repr)] * 4, st.sampled_from(HEATMAP_BAD)),
       y=st.one_of(*[st.floats(1.0, 1e4).map(repr)] * 4, st.sampled_from(HEATMAP_BAD)),
       extra=st.sampled_from([[], ["--gfj"], ["--alpha-max", "2"], ["--beta-range", "0.2", "0.9"],
                              ["--alpha-max", "-1"], ["--beta-range", "nan", "1"], ["--alpha-range", "0.5", "2"],
                              ["--alpha-range", "-0", "inf"]]),
       flags=st.sampled_from(METHOD_FLAGS[:5]))  # general's optimum is a numeric minimax: test_cli.py draws it
def test_heatmap(paths: dict[str, tuple[Path, bool]], which: str, x: str, y: str, extra: list[str],
                 flags: list[str]) -> None:
    from hbtheory import plots

    target = Path(f"{paths['good'][0]}.png")
    target.unlink(missing_ok=True)
    given_opts = {"kappa": {"kappa": x}, "h": {"h": x}, "mu L": {"mu": x, "L": y}, "kappa h": {"kappa": x, "h": y},
                  "none": {}}[which]
    argv = ["heatmap", *options(**given_opts), *extra, *flags, "--grid", "20", "--dpi", "20", "--out", str(target)]
    m = api_method(flags)
    numbers = {k: parse_number(v) for k, v in given_opts.items()}
    spy = Spy(plots, "rho_heatmap")
    code, out, err = spy.run(argv)
    expected = None
    kappa = numbers.get("kappa")
    bad_kappa = which == "kappa" and not (kappa is not None and math.isfinite(kappa) and kappa >= 1)
    if m is not None and which in ("kappa", "h", "mu L") and None not in numbers.values() and not bad_kappa:
        (args, kwargs, result), = spy.calls  # drawn once, by the library, with exactly these inputs
        want: dict[str, Any] = {"method": m, "n": 20, "gfj": "--gfj" in extra, "alpha_max": None}
        for flag, name in (("--alpha-max", "alpha_max"), ("--beta-range", "beta_range"),
                           ("--alpha-range", "alpha_range")):
            if flag in extra:
                want[name] = float(extra[1]) if name == "alpha_max" else (float(extra[1]), float(extra[2]))
        if which == "kappa":
            want.update(mu=1.0 / kappa, L=1.0)  # type: ignore[operator]
        elif which == "mu L":
            want.update(mu=numbers["mu"], L=numbers["L"])
        assert args == ((numbers["h"],) if which == "h" else ())
        assert sorted(kwargs) == sorted(want) and all(
            identical(kwargs[k], want[k]) if isinstance(want[k], float) else kwargs[k] == want[k] for k in want), kwargs
        expected = None if isinstance(result, Exception) else result
    else:
        assert spy.calls == []
    event(f"exit {code}")
    assert "Traceback" not in err
    if expected is None:
        assert code == 2 and out == "" and len(err.splitlines()) == 1, (argv, err)
        assert not target.exists() and list(target.parent.glob(".hbtheory-*")) == []
    else:
        assert code == 0 and target.read_bytes()[:4] == b"\x89PNG", (argv, err)


@settings(max_examples=3)
@given(x0=value(st.floats(-10.0, 10.0)))
def test_counterexample(x0: str) -> None:
    import hbtheory.counterexamples

    argv = ["counterexample", "--x0", x0, "--json"]
    spy = Spy(hbtheory.counterexamples, "counterexample_summary")
    code, out, err = spy.run(argv)
    number = parse_number(x0)
    expected = None
    if number is not None:
        (args, kwargs, result), = spy.calls
        assert identical(args[0], number) and kwargs == {"torch": False}
        expected = None if isinstance(result, Exception) else result

    def compare(d: dict[str, Any], summary: Any) -> None:
        assert d == json.loads(summary.to_json())

    verdict(argv, code, out, err, expected, compare)


TOKENS = st.one_of(NUMBER, st.sampled_from(
    ["--alpha", "--beta", "--h", "--mu", "--L", "--kappa", "--n", "--grid", "--tol", "--x0", "--method", "--gamma",
     "--json", "--csv", "--out", "--alpha-range", "--beta-range", "--alpha-max", "--dpi", "--gfj", "heavy_ball",
     "general", "-h", "--help", "--version", "-x", "--nope", "rho", "x.png"]))


@settings(max_examples=120)
@given(command=st.sampled_from(["optimal", "rho", "worst-case", "nonsense", ""]),
       tokens=st.lists(TOKENS, max_size=8))
def test_random_argv_keeps_the_promise(command: str, tokens: list[str]) -> None:
    # no oracle here: any argv at all gives exit 0, or exit 2 with one line; never a traceback or 1
    argv = ([command] if command else []) + [t for t in tokens if t not in ("-h", "--help", "--version")]
    argv = [t for t in argv if t not in ("--csv", "--out")]  # (paths are fuzzed above, with an oracle)
    if command == "optimal" and "--tol" in argv:
        return  # the subnormal tol that hangs the library is excluded above
    code, out, err = run(argv)
    event(f"exit {code}")
    assert "Traceback" not in err
    assert code in (0, 2), (argv, code, err)
    if code == 2:
        assert out == "" and len(err.splitlines()) == 1, (argv, err)
