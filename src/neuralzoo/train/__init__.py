"""Training: the one loop (:func:`fit`), its callbacks and checkpoints."""

from .callbacks import Callback, TrainState
from .checkpoint import CheckpointError, load_weights, save_weights
from .trainer import History, RunExistsError, TrainingDiverged, as_tensor, fit, resolve_device

__all__ = [
    "Callback",
    "CheckpointError",
    "History",
    "RunExistsError",
    "TrainState",
    "TrainingDiverged",
    "as_tensor",
    "fit",
    "load_weights",
    "resolve_device",
    "save_weights",
]
