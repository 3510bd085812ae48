"""The one training loop of neuralzoo.

:func:`fit` trains any model that exposes ``loss(batch) -> Tensor`` (a scalar to minimise).
It knows no model: batching, optimizer, weight decay, gradient clipping, learning-rate
schedule, validation and early stopping, progress, ``metrics.jsonl``, checkpoints, exact
resume, the NaN guard, devices and seeds all live here, and model-specific work comes in as
callbacks (``train/callbacks.py``).

Optional model hooks:

- ``model.metrics(X, y) -> dict[str, float]``: evaluated on validation data after each
  epoch (reported with a ``val_`` prefix);
- ``model.hparams -> dict`` and ``model.registry_name``: written to ``config.json`` so that
  the run can be rebuilt by :func:`neuralzoo.train.load_run`.

Exact resume: after every checkpoint, ``state.pt`` holds the optimizer, the scheduler, the
generator that shuffles the batches, the global RNG (dropout) and the history. A run stopped
after epoch k and resumed ends with the same weights as one that was never stopped.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .._io import atomic_write_json, atomic_write_text
from ..config import ConfigError, TrainConfig, from_dict, to_dict
from . import checkpoint as ckpt
from .callbacks import TrainState, call
from .progress import Progress

SYNC_EVERY_CPU = 1  # batches between two reads of the loss (NaN guard) on the CPU: every one
SYNC_EVERY_GPU = 50  # ... and on an accelerator, where a read waits for the device


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class RunExistsError(FileExistsError):
    """A run folder that already holds a run (use resume or overwrite)."""


class History(list):
    """Per-epoch metrics: a list of dicts, one per epoch, with a column accessor.

    >>> h = History([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}])
    >>> h.column("loss")
    [0.5, 0.25]
    """

    def column(self, key: str) -> list[Any]:
        return [row.get(key) for row in self]

    @property
    def last(self) -> dict[str, Any]:
        return self[-1] if self else {}


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; a CUDA request without CUDA is refused."""
    device = str(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"train.device: expected an available device, got {device!r} (no CUDA here)")
    return torch.device(device)


def as_tensor(x: Any, dtype: torch.dtype | None = None) -> torch.Tensor:
    """A tensor from a tensor, a NumPy array or a nested list (no copy when possible)."""
    if isinstance(x, torch.Tensor):
        return x if dtype is None else x.to(dtype)
    if isinstance(x, np.ndarray):
        t = torch.from_numpy(np.ascontiguousarray(x))
        return t if dtype is None else t.to(dtype)
    return torch.as_tensor(x, dtype=dtype)


def _as_tensors(data: Any) -> tuple[torch.Tensor, ...]:
    if isinstance(data, (tuple, list)):
        tensors = tuple(as_tensor(t) for t in data if t is not None)
    else:
        tensors = (as_tensor(data),)
    if not tensors or len(tensors[0]) == 0:
        raise ValueError("training data is empty: expected at least one example, got 0")
    n = len(tensors[0])
    for t in tensors[1:]:
        if len(t) != n:
            raise ValueError(f"data tensors disagree in length: expected {n}, got {len(t)}")
    return tensors


def _make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError(f"{type(model).__name__} has no trainable parameters")
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def _make_scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig):
    if cfg.lr_schedule == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.lr_step_size, gamma=cfg.lr_gamma)
    if cfg.lr_schedule == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.lr_gamma)
    if cfg.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    return torch.optim.lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=0)


def _split_validation(tensors, cfg: TrainConfig):
    n = len(tensors[0])
    n_val = int(round(cfg.val_fraction * n))
    if n_val == 0:
        return tensors, None
    if n_val >= n:
        raise ValueError(f"train.val_fraction={cfg.val_fraction} leaves no training data ({n} examples)")
    g = torch.Generator().manual_seed(cfg.seed + 7919)
    perm = torch.randperm(n, generator=g)
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    return tuple(t[train_idx] for t in tensors), tuple(t[val_idx] for t in tensors)


def _improved(monitor: str, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value < best if monitor.endswith("loss") else value > best


def _run_config(model: nn.Module, cfg: TrainConfig, run_info: dict[str, Any] | None) -> dict[str, Any]:
    """What ``config.json`` holds: enough to rebuild the model and repeat the run."""
    return {
        "model": getattr(model, "registry_name", type(model).__name__.lower()),
        "hparams": getattr(model, "hparams", {}),
        "train": to_dict(cfg),
        **(run_info or {}),
    }


def write_run(
    model: nn.Module,
    out: str | Path,
    config: TrainConfig,
    history: list[dict[str, Any]],
    *,
    overwrite: bool = False,
    run_info: dict[str, Any] | None = None,
) -> Path:
    """Write the run folder of a model fitted in closed form (no gradient epochs).

    ``config.json``, ``model.safetensors`` and ``metrics.jsonl`` as :func:`fit` writes them;
    there is no ``state.pt`` since there is no optimizer to resume.
    """
    out_path = Path(out)
    if (out_path / ckpt.WEIGHTS).exists() and not overwrite:
        raise RunExistsError(
            f"{out_path} already holds a run: expected an empty or new folder "
            "(overwrite it explicitly)"
        )
    out_path.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out_path / "config.json", _run_config(model, config, run_info))
    ckpt.save_weights(model, out_path / ckpt.WEIGHTS)
    atomic_write_text(out_path / "metrics.jsonl", "".join(json.dumps(row) + "\n" for row in history))
    return out_path


def fit(
    model: nn.Module,
    data: Any,
    config: TrainConfig | dict | None = None,
    *,
    val_data: Any = None,
    out: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    callbacks: Sequence[Any] = (),
    stage: str | None = None,
    run_info: dict[str, Any] | None = None,
) -> History:
    """Train ``model`` on ``data`` by minimising ``model.loss(batch)``; return the history.

    Args:
        model: an ``nn.Module`` with ``loss(batch) -> Tensor``; ``batch`` is the tuple of
            data tensors indexed by the current mini-batch (e.g. ``(x, y)``).
        data: a tensor/array ``X`` or a tuple ``(X, y)`` (tensors or NumPy arrays).
        config: a :class:`TrainConfig` or a dict of its fields (unknown keys refused).
        val_data: explicit validation data; otherwise ``config.val_fraction`` is held out.
        out: run folder for ``config.json``, ``metrics.jsonl``, ``model.safetensors`` and
            ``state.pt``; None writes nothing.
        resume: continue from the checkpoint in ``out``.
        overwrite: allow writing into a folder that already holds a run.
        callbacks: objects with ``on_train_begin / on_epoch_end / on_train_end``.
        stage: name of this stage when a model is trained greedily in several fits; shown
            in the progress and logged as ``stage``.
        run_info: extra entries for ``config.json`` (dataset, model config, ...).
    """
    cfg = config if isinstance(config, TrainConfig) else from_dict(TrainConfig, dict(config or {}))
    if not callable(getattr(model, "loss", None)):
        raise TypeError(f"{type(model).__name__} has no loss(batch) method: it cannot be trained by fit")
    device = resolve_device(cfg.device)
    tensors = _as_tensors(data)
    if val_data is not None:
        val = _as_tensors(val_data)
    else:
        tensors, val = _split_validation(tensors, cfg)
    tensors = tuple(t.to(device) for t in tensors)
    val = tuple(t.to(device) for t in val) if val is not None else None
    model.to(device)

    out_path = Path(out) if out is not None else None
    if out_path is not None:
        if (out_path / ckpt.STATE).exists() and not (resume or overwrite):
            raise RunExistsError(
                f"{out_path} already holds a run: expected an empty or new folder "
                "(resume it, or overwrite it explicitly)"
            )
        out_path.mkdir(parents=True, exist_ok=True)

    optimizer = _make_optimizer(model, cfg)
    scheduler = _make_scheduler(optimizer, cfg)
    shuffle = torch.Generator().manual_seed(cfg.seed)
    history = History()
    best_value: float | None = None
    best_weights: dict[str, torch.Tensor] | None = None
    bad_epochs = 0
    start_epoch = 0
    rng_devices = [device] if device.type == "cuda" else []

    with torch.random.fork_rng(devices=rng_devices):
        torch.manual_seed(cfg.seed)
        if resume:
            if out_path is None:
                raise ValueError("resume needs the run folder (out=...)")
            state = ckpt.load_state(out_path / ckpt.STATE)
            if "model" in state:  # the weights saved with this state (see checkpoint.py)
                ckpt.load_tensors(model, state["model"], out_path / ckpt.STATE)
            else:
                ckpt.load_weights(model, out_path / ckpt.WEIGHTS)
            model.to(device)
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            shuffle.set_state(state["shuffle_rng"])
            torch.set_rng_state(state["torch_rng"])
            if device.type == "cuda" and "cuda_rng" in state:
                torch.cuda.set_rng_state(state["cuda_rng"], device)
            history = History(json.loads(state["history"]))
            start_epoch = int(state["epoch"])
            best_value = state.get("best_value")
            bad_epochs = int(state.get("bad_epochs", 0))
            best_weights = state.get("best_weights")
        if out_path is not None:
            # on resume the train config may change (more epochs): config.json must say so
            old = out_path / "config.json"
            stored = json.loads(old.read_text(encoding="utf-8")) if resume and old.exists() else {}
            atomic_write_json(old, {**stored, **_run_config(model, cfg, run_info)})

        ts = TrainState(model=model, optimizer=optimizer, config=cfg, epoch=start_epoch,
                        history=history, out=out_path, stage=stage)
        cbs = list(callbacks)
        call(cbs, "on_train_begin", ts)

        def save_checkpoint(epoch: int) -> None:
            if out_path is None:
                return
            ckpt.save_weights(model, out_path / ckpt.WEIGHTS)
            state = {
                "epoch": epoch,
                "model": ckpt.state_tensors(model),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "shuffle_rng": shuffle.get_state(),
                "torch_rng": torch.get_rng_state(),
                "history": json.dumps(history),
                "best_value": best_value,
                "bad_epochs": bad_epochs,
                "best_weights": best_weights,
            }
            if device.type == "cuda":
                state["cuda_rng"] = torch.cuda.get_rng_state(device)
            ckpt.save_state(state, out_path / ckpt.STATE)

        n = len(tensors[0])
        bs = min(cfg.batch_size, n)
        n_batches = math.ceil(n / bs)
        sync_every = SYNC_EVERY_CPU if device.type == "cpu" else SYNC_EVERY_GPU
        label = f"{stage} " if stage else ""
        with Progress(enabled=cfg.progress, total=(cfg.epochs - start_epoch) * n_batches,
                      description=f"{label}{type(model).__name__}") as bar:
            for epoch in range(start_epoch, cfg.epochs):
                model.train()
                t0 = time.perf_counter()
                perm = (torch.randperm(n, generator=shuffle) if cfg.shuffle else torch.arange(n)).to(device)
                loss_sum = 0.0
                losses = torch.empty(n_batches, dtype=torch.float64, device=device)
                checked = 0  # batches whose loss has been read back and checked
                for b in range(n_batches):
                    idx = perm[b * bs:(b + 1) * bs]
                    batch = tuple(t.index_select(0, idx) for t in tensors)  # t[idx], 3-15x faster on the CPU
                    loss = model.loss(batch)
                    losses[b] = loss.detach()
                    # The NaN guard reads the loss back. On the CPU that is free, so every
                    # batch is checked before its step. On a GPU a read waits for the device,
                    # so losses are read every `sync_every` batches: a NaN is then caught up to
                    # that many steps late (the model in memory is lost, the checkpoint stays).
                    if b + 1 - checked >= sync_every or b + 1 == n_batches:
                        for j, value in enumerate(losses[checked:b + 1].tolist(), start=checked):
                            if not math.isfinite(value):
                                raise TrainingDiverged(
                                    f"loss became {value} at epoch {epoch + 1}, batch {j + 1}: stopped; "
                                    + (f"the last good checkpoint (epoch {ts.epoch}) stays in {out_path}"
                                       if out_path is not None and ts.epoch > 0 else "no checkpoint written")
                                    + " (try a smaller lr or gradient clipping)"
                                )
                            loss_sum += value * min(bs, n - j * bs)
                        bar.advance(b + 1 - checked, epoch=epoch + 1, epochs=cfg.epochs,
                                    loss=loss_sum / min(n, (b + 1) * bs))
                        checked = b + 1
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    if cfg.clip_value is not None:
                        torch.nn.utils.clip_grad_value_(model.parameters(), cfg.clip_value)
                    if cfg.clip_norm is not None:
                        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm)
                    optimizer.step()
                seconds = time.perf_counter() - t0
                metrics: dict[str, Any] = {
                    "epoch": epoch + 1,
                    "loss": loss_sum / n,
                    "lr": optimizer.param_groups[0]["lr"],
                    "seconds": seconds,
                    "samples_per_s": n / seconds if seconds > 0 else float("inf"),
                }
                if stage:
                    metrics["stage"] = stage
                scheduler.step()
                if val is not None and callable(getattr(model, "metrics", None)):
                    model.eval()
                    with torch.no_grad():
                        for key, v in model.metrics(*val).items():
                            metrics[f"val_{key}"] = float(v)
                stop = bool(call(cbs, "on_epoch_end", ts, metrics))
                if cfg.patience is not None and cfg.monitor in metrics:
                    value = float(metrics[cfg.monitor])
                    if _improved(cfg.monitor, value, best_value):
                        best_value, bad_epochs = value, 0
                        best_weights = ckpt.state_tensors(model)
                    else:
                        bad_epochs += 1
                        if bad_epochs >= cfg.patience:
                            stop = True
                elif cfg.patience is not None:
                    raise ConfigError(
                        f"train.monitor: expected one of the epoch metrics {sorted(metrics)}, "
                        f"got {cfg.monitor!r} (early stopping needs validation data: set val_fraction)"
                    )
                history.append(metrics)
                ts.epoch = epoch + 1
                bar.epoch_done(metrics)
                if out_path is not None:
                    atomic_write_text(out_path / "metrics.jsonl",
                                      "".join(json.dumps(row) + "\n" for row in history))
                last = stop or epoch + 1 == cfg.epochs
                if last and best_weights is not None:  # early stopping ends on its best epoch,
                    model.load_state_dict(best_weights)  # stopped or at the epoch cap (as scikit-learn)
                if last or (epoch + 1) % cfg.checkpoint_every == 0:
                    save_checkpoint(epoch + 1)
                if stop:
                    break
        call(cbs, "on_train_end", ts)
    return history
