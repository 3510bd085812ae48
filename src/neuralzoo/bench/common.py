"""What the benchmarks share: their data and their clock.

The data is MNIST when a copy is found (``neuralzoo datasets``), else the embedded digits
stand in (each row says which). A time is read with the device synchronised before and after:
work queued on a GPU is not done when the call returns, and neither side waits for it itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from .. import datasets
from ..train import resolve_device

QUICK_IMAGES = 10_000  # training images of a --quick run


def data_name() -> str:
    """``"mnist"`` when a copy is found, else ``"digits"``."""
    return "mnist" if datasets.info("mnist").found else "digits"


def binary_images(quick: bool) -> tuple[str, torch.Tensor, torch.device]:
    """``(name, X, device)``: the training images of :func:`data_name` thresholded at 0.5, (N, D),
    on the benchmarks' device (``"auto"``); the first ``QUICK_IMAGES`` when ``quick``."""
    name = data_name()
    X, _ = datasets.load(name, split="train", binarize="threshold")
    device = resolve_device("auto")
    if quick:
        X = X[:QUICK_IMAGES]
    return name, X.to(device), device


def sync(device: torch.device) -> None:
    """Wait for the work queued on ``device`` (a GPU; the CPU has none)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(f: Callable[[], Any], device: torch.device) -> float:
    """Seconds ``f()`` takes, the device synchronised before and after."""
    sync(device)
    t0 = time.perf_counter()
    f()
    sync(device)
    return time.perf_counter() - t0


__all__ = ["QUICK_IMAGES", "binary_images", "data_name", "sync", "timed"]
