"""Greedy, stage-by-stage training (stacked RBMs, stacked autoencoders).

A deep model trained greedily is several ordinary :func:`fit` runs, one per stage, each
on the codes of the stages below it. :func:`fit_stage` runs one of them with its own
checkpoint in ``<out>/stages/<stage>/``, so that a crash costs at most the stage in
progress: on ``resume`` a finished stage is loaded instead of retrained and an
unfinished one continues from its last epoch. Every history row carries ``stage``;
:func:`write_stages_run` writes the whole model and the joined history into ``<out>``.

A later stage is trained on what the earlier ones produced, so when a resumed run trains
an earlier stage again (more epochs asked for it), the stages that followed it are stale:
``<out>/stage_order.json`` keeps the order in which the stages first started, and such
later stages are moved aside to ``<out>/stale_stages/`` (kept, not deleted) and trained anew.

A greedy model describes its training as a list of :class:`Stage` s and hands it to
:func:`fit_stages`, the one runner of every greedy fit (DBN, DBM, the deep and the stacked
autoencoders): each stage's input is made from the one before it, the stages run in order
through :func:`fit_stage`, and their histories join into one :class:`History`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from .._io import atomic_write_json, run_lock
from ..config import TrainConfig, from_dict, read_json_object, to_dict
from . import checkpoint as ckpt
from . import distributed
from .run_folder import RunExistsError, write_run
from .trainer import History, fit


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
    The writer holds ``out`` meanwhile (:func:`~neuralzoo._io.run_lock`). A finished stage
    takes no option that would change it (fewer epochs, another rate): refused by name.
    """
    cfg = config if isinstance(config, TrainConfig) else from_dict(TrainConfig, dict(config))
    if out is None:
        return fit(module, data, cfg, val_data=val_data, callbacks=callbacks, stage=stage)
    with run_lock(out if distributed.is_writer() else None):
        return _fit_stage(module, data, cfg, stage=stage, out=out, resume=resume, overwrite=overwrite,
                          val_data=val_data, callbacks=callbacks)


def _fit_stage(module: nn.Module, data: Any, cfg: TrainConfig, *, stage: str, out: str | Path,
               resume: bool, overwrite: bool, val_data: Any, callbacks: Sequence[Any]) -> History:
    folder = stage_dir(out, stage)
    if resume and (folder / ckpt.STATE).exists():
        state = ckpt.read_state(folder / ckpt.STATE)  # checked: a trainer's state
        history = History(state["rows"])
        early = _stopped_early(history, cfg)
        if state["epoch"] >= cfg.epochs or early:
            stored = read_json_object(folder / "config.json").get("train") \
                if (folder / "config.json").exists() else None
            ckpt.resume_changes(stored if isinstance(stored, dict) else None, to_dict(cfg), where=str(folder),
                                done=max(state["epoch"], cfg.epochs) if early else state["epoch"])
            if "model" in state:
                ckpt.load_tensors(module, state["model"], folder / ckpt.STATE)
            else:
                ckpt.load_weights(module, folder / ckpt.WEIGHTS)
            return history
        # this stage changes: what was built on it is stale (rank 0 moves it under torchrun)
        distributed.on_writer(lambda: _set_aside_later_stages(out, stage))
        return fit(module, data, cfg, val_data=val_data, out=folder, resume=True,
                   callbacks=callbacks, stage=stage)
    if resume:
        distributed.on_writer(lambda: _set_aside_later_stages(out, stage))
    distributed.on_writer(lambda: _record_start(out, stage))
    return fit(module, data, cfg, val_data=val_data, out=folder, overwrite=overwrite or resume,
               callbacks=callbacks, stage=stage)


def _order_file(out: str | Path) -> Path:
    return Path(out) / "stage_order.json"


def _stage_order(out: str | Path) -> list[str]:
    path = _order_file(out)
    return json.loads(path.read_text()) if path.exists() else []


def _record_start(out: str | Path, stage: str) -> None:
    order = _stage_order(out)
    if stage not in order:
        _order_file(out).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(_order_file(out), [*order, stage])


def _set_aside_later_stages(out: str | Path, stage: str) -> None:
    """Move the stages that started after ``stage`` to ``<out>/stale_stages/`` (kept)."""
    order = _stage_order(out)
    if stage not in order:
        return
    later = order[order.index(stage) + 1:]
    for name in later:
        folder = stage_dir(out, name)
        if folder.exists():
            target = Path(out) / "stale_stages" / name
            n = 1
            while target.exists():
                n += 1
                target = Path(out) / "stale_stages" / f"{name}.{n}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(folder), str(target))
    atomic_write_json(_order_file(out), order[: order.index(stage) + 1])


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
    joined = _join(histories)
    write_run(model, out, config, joined, overwrite=overwrite, run_info=run_info)
    return joined


@dataclass
class Stage:
    """One stage of a greedy run: the module it trains, on what, with which options.

    Attributes:
        name: the stage's name: its rows' ``stage``, its folder ``<out>/stages/<name>``.
        module: what :func:`fit` trains (an RBM of the stack, one autoencoder, the whole model).
        config: its :class:`TrainConfig` (or a dict of its fields).
        make_input: ``previous -> input``: this stage's training data made from the data the
            previous stage trained on (the run's data for the first stage), once the previous
            stage has finished; None: the same data.
        start: ``start(input)`` before training, also when a resumed run loads the stage:
            the module's start (seeded weights, weights copied from the stages below).
        end: ``end()`` after training: what the model records once the stage is done.
        callbacks: the stage's callbacks, or ``callbacks(input) -> callbacks``.
        val_data: validation data (the trainer adds ``val_*`` metrics when the module has
            ``metrics``), or ``val_data() -> data``, made when the stage starts.
        history: the stage's own history, once it has run.
    """

    name: str
    module: nn.Module
    config: TrainConfig | dict
    make_input: Callable[[Any], Any] | None = None
    start: Callable[[Any], None] | None = None
    end: Callable[[], None] | None = None
    callbacks: Sequence[Any] | Callable[[Any], Sequence[Any]] = ()
    val_data: Any = None
    history: History | None = field(default=None, init=False, repr=False)


def fit_stages(
    stages: Sequence[Stage],
    data: Any,
    *,
    model: nn.Module | None = None,
    config: TrainConfig | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    run_info: dict[str, Any] | None = None,
) -> History:
    """Run ``stages`` in order on ``data``; return their joined history (one row per epoch,
    ``stage`` kept, ``step`` numbering the rows across stages).

    Each stage goes through :func:`fit_stage`: with ``out`` its checkpoint lives in
    ``<out>/stages/<name>`` and a resumed run loads the stages that had finished. With
    ``model`` and ``out`` the run is a whole run: a folder that already holds a run is refused
    before any training unless ``resume`` or ``overwrite`` (as :func:`fit`), and at the end
    ``out`` gets the whole ``model``, ``config`` (the run's train options) and the joined
    history (:func:`write_stages_run`). Without ``model`` only the stages' checkpoints are
    written (a pretraining on its own). The writer holds ``out`` throughout
    (:func:`~neuralzoo._io.run_lock`): a second writer is refused.
    """
    with run_lock(out if out is not None and distributed.is_writer() else None):
        return _fit_stages(stages, data, model=model, config=config, out=out, resume=resume,
                           overwrite=overwrite, run_info=run_info)


def _fit_stages(stages: Sequence[Stage], data: Any, *, model: nn.Module | None, config: TrainConfig | None,
                out: str | Path | None, resume: bool, overwrite: bool,
                run_info: dict[str, Any] | None) -> History:
    if out is not None and model is not None:
        distributed.on_writer(lambda: _check_run_folder(Path(out), resume=resume, overwrite=overwrite))
    x = data
    for stage in stages:
        # 1. the stage's data from the previous stage's, and the module's start
        if stage.make_input is not None:
            x = stage.make_input(x)
        if stage.start is not None:
            stage.start(x)
        callbacks = stage.callbacks(x) if callable(stage.callbacks) else stage.callbacks
        val_data = stage.val_data() if callable(stage.val_data) else stage.val_data
        # 2. one fit, with its own checkpoint (a finished one is loaded on resume)
        stage.history = fit_stage(stage.module, x, stage.config, stage=stage.name, out=out, resume=resume,
                                  overwrite=overwrite, val_data=val_data, callbacks=callbacks)
        if stage.end is not None:
            stage.end()
    histories = [s.history for s in stages]
    if out is not None and model is not None:
        if config is None:
            raise ValueError("fit_stages writes the run's train options: expected config, got None")
        return write_stages_run(model, out, config, histories, overwrite=True, run_info=run_info)
    return _join(histories)


def _check_run_folder(out: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse a folder holding a run unless resumed or overwritten; a new run forgets the old order."""
    held = [name for name in (ckpt.WEIGHTS, ckpt.STATE, "stages") if (out / name).exists()]
    if held and not (resume or overwrite):
        raise RunExistsError(f"{out} already holds a run ({', '.join(held)}): expected an empty or new "
                             "folder (resume it, or overwrite it explicitly)")
    if overwrite and not resume and _order_file(out).exists():
        atomic_write_json(_order_file(out), [])  # the stages of the old run are overwritten, not stale


def _join(histories: Sequence[list[dict[str, Any]]]) -> History:
    joined: list[dict[str, Any]] = []
    for rows in histories:
        for row in rows:
            joined.append({**row, "step": len(joined) + 1})
    return History(joined)
