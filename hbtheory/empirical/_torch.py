"""Lazy PyTorch import, device and dtype resolution, and a reproducible run context.

Nothing here imports torch at module import time: :func:`require_torch` does it on first use,
so ``import hbtheory.empirical`` stays cheap and works without PyTorch installed. torch is
handled as ``Any`` on purpose: the package type-checks the same way with or without it.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any

__all__ = ["TORCH_MISSING", "require_torch", "resolve_device", "resolve_dtype", "torch_session"]

#: The message of the ImportError raised when PyTorch is missing.
TORCH_MISSING = (
    "hbtheory.empirical needs PyTorch: pip install torch==2.13.0 (CPU build) "
    "and then pip install 'hbtheory[torch]'"
)


def require_torch() -> Any:
    """Import and return the ``torch`` module, or raise ``ImportError`` saying how to install it."""
    try:
        return importlib.import_module("torch")
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError(TORCH_MISSING) from exc


def resolve_device(device: Any) -> Any:
    """Return a ``torch.device`` for ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a ``torch.device``.

    Raises ``TypeError`` for anything else and ``ValueError`` when a CUDA device is asked for
    but ``torch.cuda.is_available()`` is false.
    """
    torch = require_torch()
    if isinstance(device, str):
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"`device` must be 'cpu', 'cuda' or 'cuda:N', got {device!r}") from exc
    elif isinstance(device, torch.device):
        dev = device
    else:
        raise TypeError(f"`device` must be a string or a torch.device, got {type(device).__name__}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"`device` {str(dev)!r} requested but torch.cuda.is_available() is False")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"`device` must be a CPU or CUDA device, got {str(dev)!r}")
    return dev


def resolve_dtype(dtype: Any) -> Any:
    """Return ``torch.float64`` or ``torch.float32`` from a name (``"float64"``) or a torch dtype."""
    torch = require_torch()
    names = {"float64": torch.float64, "double": torch.float64, "float32": torch.float32, "float": torch.float32}
    if isinstance(dtype, str):
        if dtype not in names:
            raise ValueError(f"`dtype` must be 'float64' or 'float32', got {dtype!r}")
        return names[dtype]
    if dtype in (torch.float64, torch.float32):
        return dtype
    raise TypeError(f"`dtype` must be 'float64', 'float32' or the matching torch dtype, got {dtype!r}")


@contextlib.contextmanager
def torch_session(device: Any, *, threads: int | None = 1) -> Iterator[Any]:
    """Run a block reproducibly and restore torch's global settings afterwards.

    On the CPU, ``threads`` fixes the number of intra-op threads (reductions such as a loss's mean
    round differently with a different split, so a fixed count is part of bit-for-bit
    reproducibility; ``None`` leaves it alone) and deterministic algorithms are switched on.
    On CUDA neither is touched: deterministic cuBLAS needs an environment variable set before
    CUDA starts, which a library must not impose. Yields the ``torch`` module.
    """
    torch = require_torch()
    dev = resolve_device(device)
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    try:
        if dev.type == "cpu":
            if threads is not None:
                torch.set_num_threads(int(threads))
            torch.use_deterministic_algorithms(True)
        yield torch
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)
