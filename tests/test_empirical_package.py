"""The empirical layer as a package: lazy torch, a clear error without it, devices, progress, results."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import hbtheory.empirical as emp
from hbtheory._result import Result
from hbtheory.empirical._progress import Progress


def test_importing_does_not_import_torch() -> None:
    code = "import sys, hbtheory.empirical; print('torch' in sys.modules, 'tqdm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_missing_torch_gives_the_install_hint() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import hbtheory.empirical as e\n"
        "try:\n    e.verify_quadratic([1.0], lr=0.1, momentum=0.5)\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == emp.TORCH_MISSING
    assert "pip install torch==2.13.0" in emp.TORCH_MISSING


def test_public_names_are_documented_with_examples() -> None:
    for name in emp.__all__:
        obj = getattr(emp, name)
        if callable(obj) and not isinstance(obj, type):
            doc = obj.__doc__ or ""
            assert "Examples" in doc or name in {"require_torch", "resolve_device"}, name


def test_progress_bar_switch() -> None:
    assert Progress(10, "x", enabled=False)._bar is None
    assert Progress(10, "x")._bar is None  # pytest's stderr is not a terminal
    with pytest.raises(TypeError, match="progress"):
        Progress(10, "x", enabled="yes")  # type: ignore[arg-type]
    pytest.importorskip("tqdm")
    with Progress(3, "x", enabled=True) as bar:
        assert bar._bar is not None
        bar.update()


def test_result_equality_printing_and_json() -> None:
    fit = emp.fit_recurrence(0.5 ** np.arange(10.0))
    assert fit == emp.fit_recurrence(0.5 ** np.arange(10.0))
    assert fit != emp.fit_recurrence(0.25 ** np.arange(10.0))
    assert isinstance(fit, Result) and "rate" in str(fit)
    assert fit.as_dict()["rate"] == pytest.approx(0.5, rel=1e-15)
    nan_fit = emp.fit_recurrence(np.array([[1.0, 0.0], [0.5, 0.0], [0.25, 1.0]]))
    assert "null" in nan_fit.to_json()  # NaN becomes null: strict JSON
    with pytest.raises(TypeError):
        hash(fit)


def test_devices() -> None:
    torch = pytest.importorskip("torch")
    assert emp.resolve_device("cpu") == torch.device("cpu")
    assert emp.resolve_device(torch.device("cpu")).type == "cpu"
    with pytest.raises(ValueError, match="device"):
        emp.resolve_device("nonsense")
    with pytest.raises(TypeError, match="device"):
        emp.resolve_device(0)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="cuda"):
            emp.resolve_device("cuda")


def test_torch_session_restores_global_state() -> None:
    torch = pytest.importorskip("torch")
    from hbtheory.empirical._torch import torch_session

    threads = torch.get_num_threads()
    det = torch.are_deterministic_algorithms_enabled()
    with torch_session("cpu", threads=1):
        assert torch.get_num_threads() == 1 and torch.are_deterministic_algorithms_enabled()
    assert torch.get_num_threads() == threads and torch.are_deterministic_algorithms_enabled() == det
