"""The Lessard-Recht-Packard counterexample as data (``hbtheory.counterexamples``).

Source: L. Lessard, B. Recht, A. Packard (2016), SIAM J. Optim. 26(1):57-95, section 4.6. The
function and its exact cycle are tested in ``tests/test_lrp.py``, cycle detection in
``tests/test_cycles.py``, the runs of every method in ``tests/test_runs.py``; here the summary,
the figure data, the report row, the old import paths and the layering.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hbtheory
from hbtheory import counterexamples as ce
from hbtheory.counterexamples import (
    counterexample_check,
    counterexample_summary,
    cycle_figure_data,
    lrp_tunings,
    lrp_value,
    run_outcome,
)
from hbtheory.methods import TRIPLE_MOMENTUM

EPS = float(np.finfo(np.float64).eps)


def test_cycle_is_attracting() -> None:
    s = counterexample_summary(starts=[3.3])
    assert s.return_map_radius == pytest.approx(8 / 27, rel=1e-9)  # A(25)^3, double eigenvalue -2/3


def test_summary_contrasts_the_three_methods() -> None:
    s = counterexample_summary(steps=1500)
    assert s.period == 3 and s.cycle_error < 1e-9
    assert [(o.method, o.status) for o in s.outcomes] == [
        ("heavy_ball", "cycling"),
        ("nesterov", "converged"),
        ("gradient_descent", "converged"),
    ]
    n = len(s.starts)
    assert s.counts["nesterov"]["converged"] == n and s.counts["gradient_descent"]["converged"] == n
    hb = s.counts["heavy_ball"]
    assert hb["cycling"] > 0 and hb["cycling"] + hb["converged"] == n
    for name in ("nesterov", "gradient_descent"):
        assert s.outcome(name).distance < 1e-9
    d = json.loads(s.to_json())
    assert d["period"] == 3 and d["outcomes"][0]["cycle"]["status"] == "cycling"
    assert len(d["start_status"]["heavy_ball"]) == n
    assert "period 3" in s.text()


def test_summary_vector_run_equals_single_runs() -> None:
    grid = [-8.0, -3.3, 0.5, 3.0, 3.3, 7.9]
    s = counterexample_summary(starts=grid, steps=1500)
    for name, (a, b) in lrp_tunings().items():
        single = tuple(run_outcome(name, a, b, x, steps=1500).status for x in grid)
        assert s.start_status[name] == single


def test_figure_data_and_report_row() -> None:
    d = cycle_figure_data(steps=30)
    assert d.x.shape == d.f.shape == d.grad.shape == (601,)
    assert set(d.iterates) == {"heavy_ball", "nesterov", "gradient_descent"}
    assert all(v.shape == (31,) for v in d.iterates.values())
    np.testing.assert_allclose(d.cycle_values, lrp_value(d.cycle_points))
    json.loads(d.to_json())
    c = counterexample_check()
    assert c.passed and c.measured <= c.tolerance
    assert set(c.as_dict()) == {"claim", "how", "measured", "tolerance", "passed"}


def test_summary_takes_any_methods_and_the_cycle_is_data() -> None:
    # Triple Momentum, globally convergent at its design (Van Scoy et al. 2018), joins the contrast;
    # the cycle fields follow LRP_PROVEN_CYCLE, wherever heavy ball is in the list.
    s = counterexample_summary(starts=[-3.3, 3.0, 3.3], methods=("nesterov", TRIPLE_MOMENTUM, "heavy_ball"))
    assert [o.method for o in s.outcomes] == ["nesterov", "triple_momentum", "heavy_ball"]
    assert s.cycle_method == "heavy_ball" and s.period == 3 and s.cycle_error < 1e-9
    assert s.outcome(TRIPLE_MOMENTUM) is s.outcomes[1]
    with pytest.raises(ValueError, match="`methods` must include 'heavy_ball'"):
        counterexample_summary(starts=[3.3], methods=("nesterov",))
    with pytest.raises(TypeError, match="`methods`"):
        counterexample_summary(starts=[3.3], methods="heavy_ball")
    with pytest.raises(KeyError):
        s.outcome("gradient_descent")


def test_report_row_fails_when_the_contrast_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # The row is about data, so wrong data must fail it: a non-converging other method ...
    true = ce.counterexample_summary

    def no_convergence(**kw: object) -> ce.CounterexampleSummary:
        s = true(**kw)  # type: ignore[arg-type]
        other = s.outcomes[1]
        bad = ce.MethodOutcome(other.method, other.alpha, other.beta, other.x0, other.steps, other.backend,
                               ce.find_cycle([1.0, 2.0, 4.0, 8.0, 1e13]), 1e13)
        return ce.CounterexampleSummary(**{**{f: getattr(s, f) for f in s.__dataclass_fields__},
                                           "outcomes": (s.outcomes[0], bad, *s.outcomes[2:])})

    monkeypatch.setattr(ce, "counterexample_summary", no_convergence)
    row = counterexample_check()
    assert not row.passed and row.measured == np.inf


def test_summary_json_is_strict_and_can_be_indented() -> None:
    s = counterexample_summary(starts=[3.3, 3.0])
    flat, pretty = s.to_json(), s.to_json(indent=2)
    assert "\n" not in flat and len(pretty.splitlines()) > 50
    assert json.loads(pretty) == json.loads(flat) == s.as_dict()
    d = json.loads(pretty)
    assert d["cycle_method"] == "heavy_ball" and d["period"] == 3
    assert sorted(d["cycle_points"]) == pytest.approx(sorted(d["exact_points"]), abs=1e-9)


def test_torch_summary_runs_each_method_torch_implements() -> None:
    pytest.importorskip("torch", reason="PyTorch is optional (pip install 'hbtheory[torch]')")
    s = counterexample_summary(starts=[3.3], steps=600, torch=True, methods=("heavy_ball", "nesterov",
                                                                            TRIPLE_MOMENTUM))
    torch_runs = {o.method: o.status for o in s.outcomes if o.backend == "torch.optim.SGD"}
    assert torch_runs == {"heavy_ball": "cycling", "nesterov": "converged"}  # no SGD form for Triple Momentum


def test_old_import_paths_still_work() -> None:
    # plots.py, report.py, cli.py and the examples import these names from their old modules.
    from hbtheory import cycles, gfj, lrp, pep, runs

    assert ce.find_cycle is cycles.find_cycle and ce.Cycle is cycles.Cycle
    assert ce.iterate is runs.iterate and ce.MethodOutcome is runs.MethodOutcome
    assert ce.lrp_gradient is lrp.lrp_gradient and ce.LRP_CYCLE is lrp.LRP_CYCLE
    assert pep.gfj_region is gfj.gfj_region and pep.gfj_beta_bound is gfj.gfj_beta_bound
    for name in ce.__all__:
        assert hasattr(ce, name), name
    for name in pep.__all__:
        assert hasattr(pep, name), name


def test_no_method_name_dispatch() -> None:
    # Issue 10: every method-specific fact comes from the Method, not from `m.name == "..."`.
    root = Path(hbtheory.__file__).parent
    pattern = re.compile(r"\.name\s*[!=]=|==\s*[\"'](heavy_ball|nesterov|gradient_descent|triple_momentum)[\"']")
    for module in ("counterexamples", "pep", "lrp", "cycles", "runs", "gfj"):
        text = (root / f"{module}.py").read_text()
        assert not pattern.search(text), module


def test_imports_stay_light_and_never_load_the_empirical_layer() -> None:
    # Issue 10: pep and counterexamples import nothing from hbtheory.empirical, nor torch/PEPit.
    code = (
        "import sys\n"
        "import hbtheory.pep, hbtheory.counterexamples, hbtheory.gfj, hbtheory.lrp, hbtheory.cycles, hbtheory.runs\n"
        "heavy = ('torch', 'PEPit', 'cvxpy', 'sympy', 'matplotlib', 'scipy')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "print(sorted(m for m in sys.modules if m.startswith('hbtheory.empirical')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "[]"]


def test_torch_functions_import_torch_not_the_empirical_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: lrp_value_torch and iterate_torch imported hbtheory.empirical._torch (and with it
    # the whole empirical package). With the empirical layer made unimportable they still run.
    torch = pytest.importorskip("torch", reason="PyTorch is optional (pip install 'hbtheory[torch]')")
    for name in [m for m in sys.modules if m.startswith("hbtheory.empirical")] + ["hbtheory.empirical"]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError):
        import hbtheory.empirical._torch  # noqa: F401
    assert float(ce.lrp_value_torch(torch.tensor([2.0], dtype=torch.float64))[0]) == 38.0
    np.testing.assert_allclose(ce.iterate_torch(3.3, 1 / 9, 4 / 9, 20), ce.iterate(3.3, 1 / 9, 4 / 9, 20), atol=1e-12)
