"""The one training loop of neuralzoo.

:func:`fit` trains any model that exposes ``loss(batch) -> Tensor`` (a scalar to minimise).
It knows no model: batching, optimizer, weight decay, gradient clipping, learning-rate
schedule, validation and early stopping, progress, ``metrics.jsonl``, checkpoints, exact
resume, the NaN guard, devices and seeds all live here, and model-specific work comes in as
callbacks at the edges of each batch and epoch (``train/callbacks.py``). The data are held
as tensors (``train/data.py``); :class:`Trainer` runs the loop in named steps.

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

import torch
from torch import nn

from .._io import atomic_write_json, atomic_write_text, run_lock
from ..config import ConfigError, TrainConfig, from_dict, read_json_object, to_dict
from . import checkpoint as ckpt
from . import distributed
from .callbacks import TrainState, call
from .data import as_tensors, split_validation
from .optim import make_optimizer, make_scheduler, resolve_device
from .progress import Progress
from .run_folder import RunExistsError, run_config

SYNC_EVERY_CPU = 1  # batches between two reads of the loss (NaN guard) on the CPU: every one
SYNC_EVERY_GPU = 50  # ... and on an accelerator, where a read waits for the device




class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


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


def _hooks(callbacks: list[Any], hook: str) -> list[Any]:
    """The bound ``hook`` methods of the callbacks that define it."""
    return [fn for cb in callbacks if (fn := getattr(cb, hook, None)) is not None]


def _improved(monitor: str, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value < best if monitor.endswith("loss") else value > best


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
        data: a tensor/array ``X``, a tuple ``(X, y)`` (tensors or NumPy arrays), a
            ``Dataset`` or a ``DataLoader`` (see :func:`as_tensors`: a loader's own batching
            and shuffling are not used; ``batch_size`` and ``shuffle`` below decide).
        config: a :class:`TrainConfig` or a dict of its fields (unknown keys refused).
        val_data: explicit validation data, in the same forms as ``data``; otherwise
            ``config.val_fraction`` is held out.
        out: run folder for ``config.json``, ``metrics.jsonl``, ``model.safetensors`` and
            ``state.pt``; None writes nothing.
        resume: continue from the checkpoint in ``out``. The epochs, the learning rate and its
            schedule, clipping, ``checkpoint_every``, ``device`` and ``progress`` may differ from
            the run's (:data:`~neuralzoo.train.checkpoint.RESUMABLE`) and are applied; any other
            change, or fewer epochs than were trained, is refused by name. A folder that holds
            only ``config.json`` (stopped before its first checkpoint) starts anew.
        overwrite: allow writing into a folder that already holds a run (its checkpoint and
            metrics go).
        callbacks: objects with some of the hooks of :class:`~neuralzoo.train.Callback`
            (``on_train_begin``, ``on_batch_begin``, ``on_batch_end``, ``on_epoch_end``,
            ``on_train_end``).
        stage: name of this stage when a model is trained greedily in several fits; shown
            in the progress and logged as ``stage``.
        run_info: extra entries for ``config.json`` (dataset, model config, ...).
    """
    cfg = config if isinstance(config, TrainConfig) else from_dict(TrainConfig, dict(config or {}))
    if not callable(getattr(model, "loss", None)):
        raise TypeError(f"{type(model).__name__} has no loss(batch) method: it cannot be trained by fit")
    trainer = Trainer(model, cfg, out=out, resume=resume, overwrite=overwrite,
                      callbacks=callbacks, stage=stage, run_info=run_info)
    # the model's methods answer while the loop trains it (callbacks use them), and once it has
    # run the model is fitted (the one rule of neuralzoo.models.base.NEEDS_FIT)
    model._fitting = getattr(model, "_fitting", 0) + 1
    try:
        # one writer per run folder (neuralzoo._io.run_lock), held until the run ends
        with run_lock(trainer.out if trainer.writer else None):
            if trainer.out is not None:
                trainer.resume = bool(distributed.broadcast(distributed.on_writer(trainer._claim_folder),
                                                            trainer.dist))
            history = trainer.run(data, val_data)
    except RuntimeError as err:  # a rate beyond float32 (e.g. lr=1e39) fails inside optimizer.step
        if isinstance(err, TrainingDiverged) or "without overflow" not in str(err):
            raise
        raise TrainingDiverged(f"an optimizer step overflowed ({err}): stopped; "
                               f"{trainer._checkpoint_note()} (try a smaller lr)") from None
    finally:
        model._fitting -= 1
    model._fitted = True
    return history


class Trainer:
    """One run of :func:`fit`, in named steps.

    :meth:`run` calls ``_setup`` (data, run folder, optimizer), ``_restore`` (on resume),
    then per epoch :meth:`run_epoch`, which calls :meth:`train_step` per mini-batch, and
    :meth:`end_epoch` (validation, callbacks, early stopping, log, checkpoint).
    """

    def __init__(self, model: nn.Module, cfg: TrainConfig, *, out: str | Path | None = None,
                 resume: bool = False, overwrite: bool = False, callbacks: Sequence[Any] = (),
                 stage: str | None = None, run_info: dict[str, Any] | None = None) -> None:
        self.model, self.cfg, self.stage, self.run_info = model, cfg, stage, run_info
        self.out = Path(out) if out is not None else None
        self.resume, self.overwrite = resume, overwrite
        self.callbacks = list(callbacks)
        # looked up once: a loop with no batch hooks pays nothing for them
        self.on_batch_begin = _hooks(self.callbacks, "on_batch_begin")
        self.on_batch_end = _hooks(self.callbacks, "on_batch_end")
        # under torchrun: this rank's place; only rank 0 writes (see train/distributed.py)
        self.dist = distributed.context()
        self.writer = self.dist is None or self.dist.rank == 0

    def run(self, data: Any, val_data: Any = None) -> History:
        self._setup(data, val_data)
        # Everything random from here on (dropout, sampling inside a loss) draws from the
        # global RNG, seeded for this run and forked so that the caller's RNG is left alone.
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            torch.manual_seed(self.cfg.seed if self.dist is None
                              else distributed.rank_seed(self.cfg.seed, self.dist.rank))
            if self.resume:
                self._restore()
            self._write_config()
            call(self.callbacks, "on_train_begin", self.state)
            label = f"{self.stage} " if self.stage else ""
            total = (self.cfg.epochs - self.state.epoch) * self.n_batches
            with Progress(enabled=self.cfg.progress and self.writer, total=total,
                          description=f"{label}{type(self.model).__name__}") as self.bar:
                for epoch in range(self.state.epoch, self.cfg.epochs):
                    if self.end_epoch(epoch, self.run_epoch(epoch)):
                        break
            call(self.callbacks, "on_train_end", self.state)
        return self.history

    def _setup(self, data: Any, val_data: Any) -> None:
        cfg = self.cfg
        # 1. the data on the device: training tensors, and validation ones (given, or held
        #    out by a split seeded apart from the shuffling)
        self.device = resolve_device(cfg.device)
        tensors = as_tensors(data)
        if val_data is not None:
            val = as_tensors(val_data, "validation data")
        else:
            tensors, val = split_validation(tensors, cfg)
        self.tensors = tuple(t.to(self.device) for t in tensors)
        self.val = tuple(t.to(self.device) for t in val) if val is not None else None
        self.model.to(self.device)
        self.n = len(self.tensors[0])
        self.bs = min(cfg.batch_size, self.n)
        self.n_batches = math.ceil(self.n / self.bs)
        self.sync_every = SYNC_EVERY_CPU if self.device.type == "cpu" else SYNC_EVERY_GPU
        # 2. the run folder: never write over a run unless asked to
        if self.out is not None:
            distributed.on_writer(self._check_out)  # rank 0 decides, every rank obeys
        # 3. optimizer, schedule, and a generator of its own for the order of the batches,
        #    so that a checkpoint can save it apart from the global RNG (dropout)
        self.optimizer = make_optimizer(self.model, cfg)
        self.scheduler = make_scheduler(self.optimizer, cfg)
        self.shuffle = torch.Generator().manual_seed(cfg.seed)
        # 4. what a checkpoint carries besides them: history and early-stopping records
        self.history = History()
        self.best_value: float | None = None
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.bad_epochs = 0
        self.saved_epoch = 0  # epoch of the last checkpoint, named when the loss diverges
        self.state = TrainState(model=self.model, optimizer=self.optimizer, config=cfg,
                                history=self.history, out=self.out if self.writer else None,
                                stage=self.stage)
        if self.dist is not None:
            distributed.broadcast_parameters(self.model, self.dist)

    def _check_out(self) -> None:
        """Refuse a folder holding a run unless resumed or overwritten; then make it."""
        if self.out is None:
            return
        if (self.out / ckpt.STATE).exists() and not (self.resume or self.overwrite):
            raise RunExistsError(
                f"{self.out} already holds a run: expected an empty or new folder "
                "(resume it, or overwrite it explicitly)"
            )
        self.out.mkdir(parents=True, exist_ok=True)

    def _claim_folder(self) -> bool:
        """The run folder, as its writer holds it: whether to resume. A resume of a folder with
        no checkpoint yet (only ``config.json``: stopped in its first epochs) starts anew; a new
        run drops an old run's checkpoint and metrics, which no longer match its config.json."""
        out = self.out
        if self.resume and not (out / ckpt.STATE).exists() and not (out / ckpt.WEIGHTS).exists() \
                and (out / "config.json").exists():
            self.resume, self.overwrite = False, True
        if self.overwrite and not self.resume and out.is_dir():
            ckpt.clear_run(out, (ckpt.STATE, ckpt.WEIGHTS, "metrics.jsonl"))
        return self.resume

    def _stored_train(self) -> dict[str, Any] | None:
        """The train options ``config.json`` says this folder's run used (None: not recorded)."""
        path = self.out / "config.json"
        train = read_json_object(path).get("train") if path.exists() else None
        return train if isinstance(train, dict) else None

    def _restore(self) -> None:
        """Continue from ``state.pt``: the weights saved with it, then every RNG and record."""
        if self.out is None:
            raise ValueError("resume needs the run folder (out=...)")
        path = self.out / ckpt.STATE
        state = ckpt.read_state(path)  # checked: a trainer's state, its epoch matching its history
        stored = self._stored_train()
        changed = ckpt.resume_changes(stored, to_dict(self.cfg), where=str(self.out), done=state["epoch"])
        if "model" in state:  # the weights saved with this state (see checkpoint.py)
            ckpt.load_tensors(self.model, state["model"], path)
        else:
            ckpt.load_weights(self.model, self.out / ckpt.WEIGHTS)
        self.model.to(self.device)
        with ckpt.applying(path, "optimizer"):
            self.optimizer.load_state_dict(state["optimizer"])
            ckpt.check_optimizer_state(self.optimizer, path)
        with ckpt.applying(path, "scheduler"):
            self.scheduler.load_state_dict(state["scheduler"])
        if changed & set(ckpt.SCHEDULE) or ("epochs" in changed and "cosine" in (self.cfg.lr_schedule,
                                                                               stored.get("lr_schedule"))):
            # a new rate or schedule: replayed from the start, as if the run had used it throughout
            self.scheduler = ckpt.replay_schedule(self.optimizer, make_scheduler, self.cfg, state["epoch"])
        with ckpt.applying(path, "shuffle_rng"):
            self.shuffle.set_state(state["shuffle_rng"])
        with ckpt.applying(path, "torch_rng"):
            torch.set_rng_state(state["torch_rng"])
        if self.device.type == "cuda" and "cuda_rng" in state:
            with ckpt.applying(path, "cuda_rng"):
                torch.cuda.set_rng_state(state["cuda_rng"], self.device)
        self.history = self.state.history = History(state["rows"])
        self.best_value = state.get("best_value")
        self.bad_epochs = int(state.get("bad_epochs", 0))
        self.best_weights = state.get("best_weights")
        self.saved_epoch = self.state.epoch = int(state["epoch"])
        if self.dist is not None and "ranks" in state:  # each rank's own RNG and chains
            distributed.restore_rank_state(self.model, state["ranks"], self.device, self.dist)
        self.state.step = self.state.epoch * self.n_batches

    def _write_config(self) -> None:
        if self.out is None or not self.writer:
            return
        # on resume the train config may change (more epochs): config.json must say so
        path = self.out / "config.json"
        stored = read_json_object(path) if self.resume and path.exists() else {}
        atomic_write_json(path, {**stored, **run_config(self.model, self.cfg, self.run_info)})

    def run_epoch(self, epoch: int) -> dict[str, Any]:
        """One pass over the training data; the epoch's metrics before validation."""
        n, bs = self.n, self.bs
        self.model.train()
        t0 = time.perf_counter()
        # 1. a new order of the examples, drawn from the trainer's own generator
        perm = torch.randperm(n, generator=self.shuffle) if self.cfg.shuffle else torch.arange(n)
        perm = perm.to(self.device)
        # 2. one step per mini-batch; the losses stay on the device until the NaN guard reads them
        self.losses = torch.empty(self.n_batches, dtype=torch.float64, device=self.device)
        self.loss_sum, self.checked = 0.0, 0  # checked: batches whose loss has been read back
        self.state.batch = 0
        for b in range(self.n_batches):
            idx = perm[b * bs:(b + 1) * bs]
            if self.dist is not None:  # this rank's contiguous share of the global batch
                idx = distributed.share(idx, self.dist)
            batch = tuple(t.index_select(0, idx) for t in self.tensors)  # t[idx], 3-15x faster on the CPU
            self.train_step(b, batch)
        # 3. the metrics: lr is the one this epoch trained with (the schedule steps after)
        seconds = time.perf_counter() - t0
        metrics: dict[str, Any] = {
            "epoch": epoch + 1,
            "loss": self.loss_sum / n,
            "lr": self.optimizer.param_groups[0]["lr"],
            "seconds": seconds,
            "samples_per_s": n / seconds if seconds > 0 else float("inf"),
        }
        if self.stage:
            metrics["stage"] = self.stage
        return metrics

    def train_step(self, b: int, batch: tuple[torch.Tensor, ...]) -> None:
        """Batch ``b`` of the epoch: loss, NaN guard, gradient, clipping, optimizer step."""
        if self.dist is not None:  # the same steps around an all-reduce of the gradients
            return distributed.train_step(self, b, batch, self.dist)
        for hook in self.on_batch_begin:
            hook(self.state, batch)
        loss = self.model.loss(batch)
        self.losses[b] = detached = loss.detach()
        self._check_losses(b)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.cfg.clip_value is not None:
            torch.nn.utils.clip_grad_value_(self.model.parameters(), self.cfg.clip_value)
        if self.cfg.clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.clip_norm)
        self.optimizer.step()
        self.state.batch, self.state.step = b + 1, self.state.step + 1
        for hook in self.on_batch_end:  # the loss as a tensor: reading it would sync a GPU
            hook(self.state, batch, detached)

    def _check_losses(self, b: int) -> None:
        # The NaN guard reads the loss back. On the CPU that is free, so every batch is
        # checked before its step. On a GPU a read waits for the device, so losses are read
        # every `sync_every` batches: a NaN is then caught up to that many steps late (the
        # model in memory is lost, the checkpoint stays).
        if b + 1 - self.checked < self.sync_every and b + 1 != self.n_batches:
            return
        n, bs, epoch = self.n, self.bs, self.state.epoch
        for j, value in enumerate(self.losses[self.checked:b + 1].tolist(), start=self.checked):
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"loss became {value} at epoch {epoch + 1}, batch {j + 1}: stopped; "
                    f"{self._checkpoint_note()} (try a smaller lr or gradient clipping)"
                )
            self.loss_sum += value * min(bs, n - j * bs)
        self.bar.advance(b + 1 - self.checked, epoch=epoch + 1, epochs=self.cfg.epochs,
                         loss=self.loss_sum / min(n, (b + 1) * bs))
        self.checked = b + 1

    def end_epoch(self, epoch: int, metrics: dict[str, Any]) -> bool:
        """Validate, ask callbacks and early stopping, log and checkpoint; True to stop."""
        self.scheduler.step()
        # 1. validation metrics, when the model defines them
        if self.val is not None and callable(getattr(self.model, "metrics", None)):
            self.model.eval()
            with torch.no_grad():
                for key, v in self.model.metrics(*self.val).items():
                    metrics[f"val_{key}"] = float(v)
        # 2. callbacks may add metrics and ask to stop; so may early stopping
        stop = bool(call(self.callbacks, "on_epoch_end", self.state, metrics))
        if self.dist is not None:  # rank 0's metrics and decision hold on every rank
            metrics, stop = distributed.broadcast((metrics, stop), self.dist)
        stop = self._early_stopping(metrics) or stop
        # 3. the log: history, progress, metrics.jsonl (rewritten whole, atomically)
        self.history.append(metrics)
        self.state.epoch = epoch + 1
        self.bar.epoch_done(metrics)
        if self.out is not None and self.writer:
            atomic_write_text(self.out / "metrics.jsonl",
                              "".join(json.dumps(row) + "\n" for row in self.history))
        # 4. early stopping ends on its best epoch, stopped or at the epoch cap (as
        #    scikit-learn); the last epoch always writes a checkpoint
        last = stop or epoch + 1 == self.cfg.epochs
        if last and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
        if last or (epoch + 1) % self.cfg.checkpoint_every == 0:
            self.save_checkpoint(epoch + 1)
        if not last:
            self._check_lr(epoch + 1)
        return stop

    def _checkpoint_note(self) -> str:
        """Which checkpoint a stopped run leaves: the one ``state.pt`` holds (written every
        ``checkpoint_every`` epochs), to resume with ``--resume`` and a smaller rate."""
        if self.out is None or getattr(self, "saved_epoch", 0) == 0:
            return "no checkpoint written"
        return f"the last good checkpoint, {self.out / ckpt.STATE} (epoch {self.saved_epoch}), stays"

    def _check_lr(self, epoch: int) -> None:
        """Stop when the schedule has taken the rate past what the weights' dtype can hold
        (e.g. ``lr_gamma=1e10``): the optimizer's step would fail on it."""
        lr = self.optimizer.param_groups[0]["lr"]
        params = [p for p in self.model.parameters() if p.is_floating_point()]
        if params and not (math.isfinite(lr) and abs(lr) <= torch.finfo(params[0].dtype).max):
            raise TrainingDiverged(
                f"the learning rate became {lr:.3g} after epoch {epoch} (train.lr_schedule "
                f"{self.cfg.lr_schedule!r}, lr_gamma {self.cfg.lr_gamma:g}): beyond what "
                f"{str(params[0].dtype).removeprefix('torch.')} weights take; stopped; "
                f"{self._checkpoint_note()} (try lr_gamma <= 1 or a smaller lr)")

    def _early_stopping(self, metrics: dict[str, Any]) -> bool:
        """Track the best ``monitor`` value and its weights; True after ``patience`` bad epochs."""
        cfg = self.cfg
        if cfg.patience is None:
            return False
        if cfg.monitor not in metrics:
            raise ConfigError(
                f"train.monitor: expected one of the epoch metrics {sorted(metrics)}, "
                f"got {cfg.monitor!r} (early stopping needs validation data: set val_fraction)"
            )
        value = float(metrics[cfg.monitor])
        if _improved(cfg.monitor, value, self.best_value):
            self.best_value, self.bad_epochs = value, 0
            self.best_weights = ckpt.state_tensors(self.model)
            return False
        self.bad_epochs += 1
        return self.bad_epochs >= cfg.patience

    def save_checkpoint(self, epoch: int) -> None:
        """Weights, then ``state.pt`` with everything an exact resume needs."""
        if self.out is None:
            return
        ranks = (distributed.gather_rank_states(self.model, self.device, self.dist)
                 if self.dist is not None else None)  # collective: every rank takes part
        if not self.writer:
            return
        ckpt.save_weights(self.model, self.out / ckpt.WEIGHTS)
        state = {
            "epoch": epoch,
            "model": ckpt.state_tensors(self.model),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "shuffle_rng": self.shuffle.get_state(),
            "torch_rng": torch.get_rng_state(),
            "history": json.dumps(self.history),
            "best_value": self.best_value,
            "bad_epochs": self.bad_epochs,
            "best_weights": self.best_weights,
        }
        if self.device.type == "cuda":
            state["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        if ranks is not None:
            state["ranks"] = ranks
        ckpt.save_state(state, self.out / ckpt.STATE)
        self.saved_epoch = epoch
