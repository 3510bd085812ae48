"""The device, the optimizer and the learning-rate schedule that :func:`neuralzoo.train.fit`
builds from a :class:`~neuralzoo.config.TrainConfig`."""

from __future__ import annotations

import torch
from torch import nn

from ..config import ConfigError, TrainConfig
from . import distributed


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; a CUDA request without CUDA is refused.
    Under torchrun ``"auto"`` and ``"cuda"`` mean this rank's GPU, ``cuda:LOCAL_RANK``."""
    device = distributed.local_device(str(device))
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"train.device: expected an available device, got {device!r} (no CUDA here)")
    return torch.device(device)


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError(f"{type(model).__name__} has no trainable parameters")
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def make_scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig):
    if cfg.lr_schedule == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.lr_step_size, gamma=cfg.lr_gamma)
    if cfg.lr_schedule == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.lr_gamma)
    if cfg.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    return torch.optim.lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=0)


__all__ = ["make_optimizer", "make_scheduler", "resolve_device"]
