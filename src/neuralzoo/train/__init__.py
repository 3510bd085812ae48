"""Training: the one loop (:func:`fit`), its callbacks and checkpoints."""

from .callbacks import Callback, TrainState
from .checkpoint import CheckpointError, load_weights, save_weights
from .data import as_tensor, as_tensors
from .optim import resolve_device
from .run_folder import RunExistsError
from .trainer import History, TrainingDiverged, fit

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
