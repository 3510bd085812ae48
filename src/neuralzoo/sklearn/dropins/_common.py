"""What the drop-ins share: the thread policy of small steps and the NumPy <-> torch conversions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

SMALL_STEP = 1 << 22
"""Multiply-adds of a training step's largest product below which the CPU runs it on one thread."""

_DEVICE = [str, torch.device]  # the parameter constraint of ``device``
_MAX_INT = np.iinfo(np.int32).max


# -- helpers --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _threads_for(device: torch.device, work: int) -> Iterator[None]:
    """One intra-op thread on the CPU while a step's largest product has < ``SMALL_STEP`` multiply-adds."""
    n = torch.get_num_threads()
    if device.type != "cpu" or work >= SMALL_STEP or n == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def _dense(X: Any) -> np.ndarray:
    """Sparse input as a dense array: the products run on dense tensors."""
    return X.toarray() if sp.issparse(X) else X


def _tensor(X: np.ndarray, device: torch.device, dtype: torch.dtype | None = None) -> torch.Tensor:
    """``X`` on ``device`` (no copy for a writable contiguous CPU array of that dtype)."""
    X = np.ascontiguousarray(X)
    t = torch.from_numpy(X) if X.flags.writeable else torch.tensor(X)
    return t.to(device=device, dtype=dtype)


def _numpy(t: torch.Tensor) -> np.ndarray:
    """A tensor as a NumPy array (a view on the CPU)."""
    return t.detach().cpu().numpy()


def _torch_dtype(dtype: np.dtype) -> torch.dtype:
    return torch.float32 if np.dtype(dtype) == np.float32 else torch.float64


__all__ = ["SMALL_STEP"]
