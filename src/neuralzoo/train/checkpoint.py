"""Checkpoints: ``model.safetensors`` (weights) + ``state.pt`` (everything else), atomically.

The weights are stored with safetensors (no code can hide in them). ``state.pt`` holds the
optimizer and scheduler state, the random-number-generator states, the epoch and the
history, and is read back with ``torch.load(weights_only=True)``: only tensors and plain
Python containers, never arbitrary pickled objects. Both files are written to temporary
names and renamed, weights first, state last. ``state.pt`` also holds a copy of the weights,
and resuming reads the weights from it: the two renames are not one atomic step, and a run
killed between them must still resume from one consistent checkpoint (state.pt's).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save
from torch import nn

from .._io import atomic_write, atomic_write_bytes

WEIGHTS = "model.safetensors"
STATE = "state.pt"


class CheckpointError(ValueError):
    """A checkpoint that does not fit the model it is loaded into."""


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
        if tuple(own[key].shape) != tuple(value.shape):
            raise CheckpointError(
                f"{path}: checkpoint of another model: {key} expected shape "
                f"{tuple(own[key].shape)}, got {tuple(value.shape)}"
            )
    model.load_state_dict(tensors)
    return model


def save_state(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write the training state (tensors and plain containers only) atomically."""
    path = Path(path)
    atomic_write(path, lambda f: torch.save(state, f), binary=True)
    return path


def load_state(path: str | os.PathLike) -> dict[str, Any]:
    """Read ``state.pt`` with ``weights_only=True`` (no arbitrary unpickling)."""
    path = Path(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no training state to resume from") from None
    except Exception as err:  # corrupt or foreign pickle
        raise CheckpointError(f"{path}: unreadable training state ({err})") from None
