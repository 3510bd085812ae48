"""What a run folder holds besides the checkpoint: ``config.json`` (:func:`run_config`), and the
whole folder of a model fitted in closed form (:func:`write_run`); :class:`RunExistsError`, the
refusal to write over a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from torch import nn

from .._io import atomic_write_json, atomic_write_text, run_lock
from ..config import TrainConfig, to_dict
from . import checkpoint as ckpt
from . import distributed

CONFIG_FORMAT = 2  # config.json: 2 = hparams are the constructor's arguments of neuralzoo >= 0.2
# (one declaration per model); a file without "format" was written by 0.1 (see runs.load_run)


class RunExistsError(FileExistsError):
    """A run folder that already holds a run (use resume or overwrite)."""


def run_config(model: nn.Module, cfg: TrainConfig, run_info: dict[str, Any] | None) -> dict[str, Any]:
    """What ``config.json`` holds: enough to rebuild the model and repeat the run."""
    return {
        "format": CONFIG_FORMAT,
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

    def write() -> None:  # under torchrun on rank 0 only; a refusal there is raised on every rank
        with run_lock(out_path):  # one writer at a time
            if (out_path / ckpt.WEIGHTS).exists() and not overwrite:
                raise RunExistsError(
                    f"{out_path} already holds a run: expected an empty or new folder "
                    "(overwrite it explicitly)"
                )
            atomic_write_json(out_path / "config.json", run_config(model, config, run_info))
            ckpt.save_weights(model, out_path / ckpt.WEIGHTS)
            atomic_write_text(out_path / "metrics.jsonl", "".join(json.dumps(row) + "\n" for row in history))

    distributed.on_writer(write)
    return out_path


__all__ = ["CONFIG_FORMAT", "RunExistsError", "run_config", "write_run"]
