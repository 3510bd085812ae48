"""Callbacks: model-specific work at the edges of the training loop.

A callback is any object with some of these methods; each receives the :class:`TrainState`.
``on_epoch_end`` may add entries to ``metrics`` (they are logged and plotted) and returns
``True`` to stop training after this epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn


@dataclass
class TrainState:
    """What a callback can see of a running fit."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    config: Any  # TrainConfig
    epoch: int = 0  # epochs completed
    history: list[dict[str, Any]] = field(default_factory=list)
    out: Path | None = None  # run folder, or None when nothing is written
    stage: str | None = None  # name of the greedy stage, when fit is one of several


class Callback(Protocol):
    def on_train_begin(self, state: TrainState) -> None: ...

    def on_epoch_end(self, state: TrainState, metrics: dict[str, Any]) -> bool | None: ...

    def on_train_end(self, state: TrainState) -> None: ...


def call(callbacks: list[Any], hook: str, *args: Any) -> bool:
    """Call ``hook`` on every callback that has it; True when any asked to stop."""
    stop = False
    for cb in callbacks:
        fn = getattr(cb, hook, None)
        if fn is not None and fn(*args):
            stop = True
    return stop
