"""Greedy, stage-by-stage training (stacked RBMs, stacked autoencoders).

A deep model trained greedily is several ordinary :func:`fit` runs, one per stage, each
on the codes of the stages below it. :func:`fit_stage` runs one of them with its own
checkpoint in ``<out>/stages/<stage>/``, so that a crash costs at most the stage in
progress: on ``resume`` a finished stage is loaded instead of retrained and an
unfinished one continues from its last epoch. Every history row carries ``stage``;
:func:`write_stages_run` writes the whole model and the joined history into ``<out>``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch import nn

from ..config import TrainConfig, from_dict
from . import checkpoint as ckpt
from .trainer import History, fit, write_run


def stage_dir(out: str | Path, stage: str) -> Path:
    """The checkpoint folder of one stage: ``<out>/stages/<stage>``."""
    return Path(out) / "stages" / stage


def fit_stage(
    module: nn.Module,
    data: Any,
    config: TrainConfig | dict,
    *,
    stage: str,
    out: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    val_data: Any = None,
    callbacks: Sequence[Any] = (),
) -> History:
    """Train ``module`` as stage ``stage`` of a greedy run; return its history.

    Without ``out`` this is :func:`fit` with ``stage`` set. With ``out``, the stage's
    checkpoint lives in ``<out>/stages/<stage>``; on ``resume`` a stage that already ran
    all its epochs is loaded from there (not retrained), one that stopped part-way goes on.
    """
    cfg = config if isinstance(config, TrainConfig) else from_dict(TrainConfig, dict(config))
    if out is None:
        return fit(module, data, cfg, val_data=val_data, callbacks=callbacks, stage=stage)
    folder = stage_dir(out, stage)
    if resume and (folder / ckpt.STATE).exists():
        state = ckpt.load_state(folder / ckpt.STATE)
        history = History(json.loads(state["history"]))
        if int(state["epoch"]) >= cfg.epochs or _stopped_early(history, cfg):
            if "model" in state:
                ckpt.load_tensors(module, state["model"], folder / ckpt.STATE)
            else:
                ckpt.load_weights(module, folder / ckpt.WEIGHTS)
            return history
        return fit(module, data, cfg, val_data=val_data, out=folder, resume=True,
                   callbacks=callbacks, stage=stage)
    return fit(module, data, cfg, val_data=val_data, out=folder, overwrite=overwrite or resume,
               callbacks=callbacks, stage=stage)


def _stopped_early(history: History, cfg: TrainConfig) -> bool:
    # a stage that stopped early saved its last state and is finished
    return cfg.patience is not None and 0 < len(history) < cfg.epochs


def write_stages_run(
    model: nn.Module,
    out: str | Path,
    config: TrainConfig,
    histories: Sequence[list[dict[str, Any]]],
    *,
    overwrite: bool = False,
    run_info: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Write the whole model and the joined stage histories into ``out``; return the history.

    Each row of the joined history keeps its ``stage``; ``step`` numbers the rows 1, 2, ...
    across stages, so that curves of several stages can be drawn on one axis.
    """
    joined: list[dict[str, Any]] = []
    for rows in histories:
        for row in rows:
            joined.append({**row, "step": len(joined) + 1})
    write_run(model, out, config, joined, overwrite=overwrite, run_info=run_info)
    return History(joined)
