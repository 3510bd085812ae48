"""neuralzoo: every classical neural network of the lecture, done properly on PyTorch."""

from . import datasets, models
from .models import *  # noqa: F403 -- the model classes, NotFittedError, REGISTRY: models.__all__
from .runs import load
from .train import History, fit

__version__ = "0.2.0"

__all__ = [*models.__all__, "History", "__version__", "datasets", "fit", "load"]
