"""Checkpoints: ``model.safetensors`` (weights) + ``state.pt`` (everything else), atomically.

The weights are stored with safetensors (no code can hide in them). ``state.pt`` holds the
optimizer and scheduler state, the random-number-generator states, the epoch and the
history, and is read back with ``torch.load(weights_only=True)``: only tensors and plain
Python containers, never arbitrary pickled objects. Both files are written to temporary
names and renamed, weights first, state last. ``state.pt`` also holds a copy of the weights,
and resuming reads the weights from it: the two renames are not one atomic step, and a run
killed between them must still resume from one consistent checkpoint (state.pt's).

Everything read back is checked before it is used, and a fault is one :class:`CheckpointError`
naming the file: weights of another shape or dtype, or holding NaN/inf; a ``state.pt`` that
is empty, will not unpickle under ``weights_only`` (a refused object is named, nothing runs),
or unpickles to another structure (:func:`read_state`, :func:`applying`).

On resume some train options may change (:data:`RESUMABLE`: the epochs, the learning rate and
its schedule, clipping, and what does not touch the numbers); any other change is refused by
name (:func:`resume_changes`), so that ``config.json`` never records what was not used.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save
from torch import nn

from .._io import atomic_write, atomic_write_bytes

WEIGHTS = "model.safetensors"
STATE = "state.pt"


class CheckpointError(ValueError):
    """A checkpoint that does not fit the model it is loaded into, or is not a checkpoint."""


RESUMABLE = ("epochs", "lr", "lr_schedule", "lr_step_size", "lr_gamma", "clip_norm", "clip_value",
             "checkpoint_every", "device", "progress")
"""The train options that may change on resume; the trainer applies each (a new learning rate or
schedule is replayed from the start to the resumed epoch, as if the run had used it throughout)."""

SCHEDULE = ("lr", "lr_schedule", "lr_step_size", "lr_gamma")
"""The options that set the learning rate of every epoch (with ``epochs`` for ``cosine``)."""

RUN_FILES = (WEIGHTS, STATE, "config.json", "metrics.jsonl", "summary.json", "report.html",
             "samples.png", "stage_order.json", "stages", "stale_stages")
"""What neuralzoo writes in a run folder: the one list that ``--force`` clears."""


def state_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """The model's parameters and buffers as contiguous CPU tensors (shared storage cloned)."""
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}


def save_weights(model: nn.Module, path: str | os.PathLike) -> Path:
    """Write the model's state dict to a safetensors file atomically."""
    path = Path(path)
    atomic_write_bytes(path, save(state_tensors(model)))  # the one atomic write (fsync, rename)
    return path


def load_weights(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load safetensors weights into ``model``; a checkpoint of another shape is refused."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no weights file")
    try:
        tensors = load_file(str(path))
    except Exception as err:  # safetensors raises its own error types
        raise CheckpointError(f"{path}: not a readable safetensors file ({err})") from None
    return load_tensors(model, tensors, path)


def load_tensors(model: nn.Module, tensors: dict[str, torch.Tensor], path: str | os.PathLike) -> nn.Module:
    """Load a state dict read from ``path`` into ``model``; one of another shape is refused."""
    own = model.state_dict()
    missing = sorted(set(own) - set(tensors))
    extra = sorted(set(tensors) - set(own))
    if missing or extra:
        raise CheckpointError(
            f"{path}: checkpoint of another model: expected tensors {sorted(own)[:6]}..., "
            f"missing {missing[:6]}, unexpected {extra[:6]}"
        )
    for key, value in tensors.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{path}: {key}: expected a tensor, got {type(value).__name__}")
        if tuple(own[key].shape) != tuple(value.shape):
            raise CheckpointError(
                f"{path}: checkpoint of another model: {key} expected shape "
                f"{tuple(own[key].shape)}, got {tuple(value.shape)}"
            )
        if value.dtype != own[key].dtype:  # load_state_dict would cast it silently
            raise CheckpointError(f"{path}: {key} expected dtype {_dtype(own[key])}, got {_dtype(value)}")
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise CheckpointError(f"{path}: {key} holds non-finite values (NaN or inf): expected "
                                  "finite weights")
    model.load_state_dict(tensors)
    return model


def _dtype(t: torch.Tensor) -> str:
    return str(t.dtype).removeprefix("torch.")


def save_state(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write the training state (tensors and plain containers only) atomically."""
    path = Path(path)
    atomic_write(path, lambda f: torch.save(state, f), binary=True)
    return path


def load_state(path: str | os.PathLike) -> dict[str, Any]:
    """Read ``state.pt`` with ``weights_only=True`` (no arbitrary unpickling)."""
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise CheckpointError(f"{path}: unreadable training state: the file is empty (0 bytes)")
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no training state to resume from") from None
    except CheckpointError:
        raise
    except Exception as err:  # corrupt or foreign pickle
        raise CheckpointError(f"{path}: unreadable training state ({_reason(err)})") from None


def _reason(err: Exception) -> str:
    """One line for a failed ``torch.load``: the object ``weights_only`` refused, never the
    advice to load without it (that would run the file's code)."""
    text = str(err)
    refused = re.search(r"GLOBAL ([\w.]+)", text) or re.search(r"[Uu]nsupported \w+ ([\w.]+)", text)
    if refused:
        return (f"it holds a {refused.group(1)} object, refused: a neuralzoo state holds only tensors "
                "and plain containers")
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and "weights_only" not in line and "documentation" not in line]
    return lines[0] if lines else type(err).__name__


STATE_KEYS = {"epoch": int, "optimizer": dict, "scheduler": dict, "shuffle_rng": torch.Tensor,
              "torch_rng": torch.Tensor, "history": str}
"""What every ``state.pt`` written by the trainer holds, and of which type."""


def read_state(path: str | os.PathLike) -> dict[str, Any]:
    """:func:`load_state`, checked to be a trainer's state: its keys and their types, an epoch
    that matches its history (one row per epoch), the optimizer's and the weights' structure.
    Adds ``"rows"``: the history, parsed."""
    path = Path(path)
    state = load_state(path)
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: expected a training state (a dict), got {type(state).__name__}")
    for key, kind in STATE_KEYS.items():
        if key not in state:
            raise CheckpointError(f"{path}: not a training state: no {key!r} (it has {sorted(map(str, state))})")
        if not isinstance(state[key], kind) or isinstance(state[key], bool):
            raise CheckpointError(f"{path}: {key}: expected {kind.__name__}, got {type(state[key]).__name__}")
    try:
        rows = json.loads(state["history"])
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path}: history: not valid JSON ({err})") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise CheckpointError(f"{path}: history: expected a list of per-epoch objects")
    if state["epoch"] != len(rows):
        raise CheckpointError(f"{path}: epoch {state['epoch']} does not match its history of {len(rows)} "
                              "epochs: a tampered or foreign file")
    opt = state["optimizer"]
    if not isinstance(opt.get("state"), dict) or not isinstance(opt.get("param_groups"), list):
        raise CheckpointError(f"{path}: optimizer: expected 'state' and 'param_groups', got {sorted(map(str, opt))}")
    for key in ("model", "best_weights"):
        value = state.get(key)
        if value is not None and not (isinstance(value, dict)
                                      and all(isinstance(v, torch.Tensor) for v in value.values())):
            raise CheckpointError(f"{path}: {key}: expected a dict of tensors")
    best = state.get("best_value")
    if best is not None and (not isinstance(best, (int, float)) or isinstance(best, bool)):
        raise CheckpointError(f"{path}: best_value: expected a number, got {type(best).__name__}")
    if not isinstance(state.get("bad_epochs", 0), int):
        raise CheckpointError(f"{path}: bad_epochs: expected an integer")
    return {**state, "rows": rows}


@contextmanager
def applying(path: str | os.PathLike, what: str) -> Iterator[None]:
    """Turn a failure to apply part ``what`` of a checkpoint (an optimizer state of other
    parameters, an RNG state of the wrong size, ...) into one :class:`CheckpointError`."""
    try:
        yield
    except CheckpointError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RuntimeError) as err:
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CheckpointError(f"{path}: {what} does not fit this run ({detail})") from None


def check_optimizer_state(optimizer: torch.optim.Optimizer, path: str | os.PathLike) -> None:
    """Refuse an optimizer state whose per-parameter tensors (momenta) have other shapes."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            for name, value in optimizer.state.get(p, {}).items():
                if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape != p.shape:
                    raise CheckpointError(f"{path}: optimizer {name} has shape {tuple(value.shape)}, "
                                          f"expected {tuple(p.shape)} (the state of another model)")


def resume_changes(stored: dict[str, Any] | None, new: dict[str, Any], *, where: str,
                   done: int | None) -> set[str]:
    """The train options of a resumed run that differ from those it was trained with.

    ``stored``: the ``train`` section of its ``config.json`` (None: unknown, nothing checked);
    ``new``: the options now; ``done``: the epochs already trained (None: not checked). An option
    outside :data:`RESUMABLE` is refused by name, as are fewer epochs than were trained, and a
    change of learning rate or schedule when no epoch is left to use it.
    """
    if not stored:
        return set()
    changed = {k for k in new if k in stored and _same(stored[k]) != _same(new[k])}
    fixed = sorted(changed - set(RESUMABLE))
    if fixed:
        k = fixed[0]
        raise CheckpointError(
            f"train.{k}: {where} was trained with {stored[k]!r}: it cannot change on resume (got "
            f"{new[k]!r}); what may change: {', '.join(RESUMABLE)} (or start anew with --force)")
    if done is not None and new.get("epochs", done) < done:
        raise CheckpointError(
            f"train.epochs: {where} already trained {done} epochs: expected {done} or more to resume "
            f"it, got {new['epochs']} (or start anew with --force)")
    used = changed & {*SCHEDULE, "clip_norm", "clip_value"}
    if done is not None and used and new.get("epochs", done) <= done:
        k = sorted(used)[0]
        raise CheckpointError(
            f"train.{k}: {where} has trained all its {done} epochs: a new {k} ({new[k]!r}) would not be "
            f"used; expected more epochs (--epochs above {done}) to train on with it")
    return changed


def _same(value: Any) -> Any:
    """A value as config.json stores it (tuples are lists, floats compare by value)."""
    return json.loads(json.dumps(value))


def replay_schedule(optimizer: torch.optim.Optimizer, make_scheduler, cfg: Any, epochs: int):
    """A new learning-rate schedule of ``cfg`` stepped ``epochs`` times, as if the run had used it
    from its start: the optimizer's rate (and ``initial_lr``) restart from ``cfg.lr``."""
    import warnings

    for group in optimizer.param_groups:
        group["lr"] = cfg.lr
        group.pop("initial_lr", None)
    scheduler = make_scheduler(optimizer, cfg)
    with warnings.catch_warnings():  # "scheduler.step() before optimizer.step()": a replay, on purpose
        warnings.simplefilter("ignore")
        for _ in range(epochs):
            scheduler.step()
    lr = optimizer.param_groups[0]["lr"]
    if not math.isfinite(lr):
        raise CheckpointError(f"train.lr: the schedule reaches {lr} by epoch {epochs}: expected a finite rate")
    return scheduler


def clear_run(folder: str | os.PathLike, names: tuple[str, ...] = RUN_FILES) -> list[Path]:
    """Remove what neuralzoo wrote in ``folder`` (``names``), nothing else: a user's own files stay."""
    import shutil

    removed = []
    for name in names:
        path = Path(folder) / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        removed.append(path)
    return removed
