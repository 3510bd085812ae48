"""Training: the one loop (:func:`fit`), its callbacks and checkpoints."""

from .callbacks import Callback, TrainState
from .checkpoint import CheckpointError, load_weights, save_weights
from .data import as_tensor, as_tensors
from .trainer import History, RunExistsError, TrainingDiverged, fit, resolve_device

__all__ = [
    "Callback",
    "CheckpointError",
    "History",
    "RunExistsError",
    "TrainState",
    "TrainingDiverged",
    "as_tensor",
    "as_tensors",
    "fit",
    "load_weights",
    "resolve_device",
    "save_weights",
]
