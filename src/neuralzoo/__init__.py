"""neuralzoo: every classical neural network of the lecture, done properly on PyTorch."""

from . import datasets
from .models import (
    CNN,
    MLP,
    RBM,
    BoltzmannMachine,
    ContinuousHopfield,
    ConvergenceWarning,
    GaussianRBM,
    Hopfield,
    LectureCNN,
    LeNet5,
    ModernHopfield,
    Perceptron,
    RBFNetwork,
)
from .train import History, fit

__version__ = "0.1.0"

__all__ = [
    "CNN",
    "MLP",
    "LeNet5",
    "LectureCNN",
    "RBM",
    "GaussianRBM",
    "BoltzmannMachine",
    "ContinuousHopfield",
    "Hopfield",
    "ModernHopfield",
    "ConvergenceWarning",
    "History",
    "Perceptron",
    "RBFNetwork",
    "__version__",
    "datasets",
    "fit",
]
