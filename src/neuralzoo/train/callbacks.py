"""Callbacks: model-specific work at the edges of the training loop.

A callback is any object with some of the methods of :class:`Callback`; each receives the
:class:`TrainState`. In one fit they are called in this order::

    on_train_begin(state)
    for each epoch:
        for each mini-batch:
            on_batch_begin(state, batch)     # before the loss
            on_batch_end(state, batch, loss)  # after the optimizer step
        on_epoch_end(state, metrics)         # after validation; True stops training
    on_train_end(state)

``on_epoch_end`` may add entries to ``metrics`` (they are logged and plotted) and returns
``True`` to stop training after this epoch. The batch hooks' return values are ignored.
Hooks run inside the fit's seeded RNG: a hook that draws random numbers changes the run.
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
    epoch: int = 0  # epochs completed (during an epoch: its index, counted from 0)
    history: list[dict[str, Any]] = field(default_factory=list)
    out: Path | None = None  # run folder, or None when nothing is written
    stage: str | None = None  # name of the greedy stage, when fit is one of several
    batch: int = 0  # batches completed in the current epoch (0 in on_batch_begin of the first)
    step: int = 0  # optimizer steps completed in the run, resumed epochs included


class Callback(Protocol):
    """The hooks of the training loop; a callback defines any subset of them."""

    def on_train_begin(self, state: TrainState) -> None:
        """Before the first epoch (after a resume has restored ``state.epoch``)."""

    def on_batch_begin(self, state: TrainState, batch: tuple[torch.Tensor, ...]) -> None:
        """Before ``model.loss(batch)``; ``state.batch`` batches of this epoch are done."""

    def on_batch_end(
        self, state: TrainState, batch: tuple[torch.Tensor, ...], loss: torch.Tensor
    ) -> None:
        """After the optimizer step on ``batch``; ``state.batch`` counts it already.

        ``loss`` is the batch's loss, detached, a 0-d tensor on the training device. It is
        not read back: on a GPU ``loss.item()`` would wait for the device at every batch, so
        a hook that needs numbers should keep the tensors and read them rarely (e.g. at the
        end of the epoch, as the loop's NaN guard does).
        """

    def on_epoch_end(self, state: TrainState, metrics: dict[str, Any]) -> bool | None:
        """After validation; may add to ``metrics``; ``True`` stops after this epoch."""

    def on_train_end(self, state: TrainState) -> None:
        """After the last epoch, early stopping's best weights restored and checkpointed."""


def call(callbacks: list[Any], hook: str, *args: Any) -> bool:
    """Call ``hook`` on every callback that has it; True when any asked to stop."""
    stop = False
    for cb in callbacks:
        fn = getattr(cb, hook, None)
        if fn is not None and fn(*args):
            stop = True
    return stop
