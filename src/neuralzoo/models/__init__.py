"""The models of the lecture, one family per file, each registered under a lower-case name."""

from __future__ import annotations

from torch import nn

from .._checks import check_X, check_y
from .autoencoder.basic import Autoencoder, DenoisingAutoencoder, SparseAutoencoder
from .autoencoder.deep import DeepAutoencoder
from .autoencoder.hashing import SemanticHashing
from .autoencoder.stacked import StackedAutoencoder
from .autoencoder.vae import VAE
from .base import Classifier, NotFittedError, Trainable, count_parameters
from .boltzmann import BoltzmannMachine
from .cnn.lecture import LectureCNN
from .cnn.lenet import LeNet5
from .cnn.modern import CNN
from .dbm.model import DBM
from .dbn.model import DBN
from .hopfield.continuous import ContinuousHopfield, ModernHopfield
from .hopfield.discrete import Hopfield
from .mlp import MLP
from .perceptron import ConvergenceWarning, Perceptron
from .rbf import RBFNetwork
from .rbm.bernoulli import RBM
from .rbm.gaussian import GaussianRBM
from .rbm.linear import LinearRBM
from .recurrent.elman import ElmanRNN
from .recurrent.lstm import LSTM

REGISTRY: dict[str, type[nn.Module]] = {
    "perceptron": Perceptron,
    "mlp": MLP,
    "rbf": RBFNetwork,
    "hopfield": Hopfield,
    "continuous-hopfield": ContinuousHopfield,
    "modern-hopfield": ModernHopfield,
    "boltzmann": BoltzmannMachine,
    "rbm": RBM,
    "gaussian-rbm": GaussianRBM,
    "dbn": DBN,
    "dbm": DBM,
    "lecture-cnn": LectureCNN,
    "lenet5": LeNet5,
    "cnn": CNN,
    "rnn": ElmanRNN,
    "lstm": LSTM,
    "autoencoder": Autoencoder,
    "denoising-autoencoder": DenoisingAutoencoder,
    "sparse-autoencoder": SparseAutoencoder,
    "stacked-autoencoder": StackedAutoencoder,
    "deep-autoencoder": DeepAutoencoder,
    "vae": VAE,
    "semantic-hashing": SemanticHashing,
}


def get(name: str) -> type[nn.Module]:
    """The model class registered as ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown model {name!r}: expected one of {', '.join(sorted(REGISTRY))}"
        ) from None


def build(name: str, hparams: dict) -> nn.Module:
    """Rebuild a model from its registry name and constructor arguments (``config.json``)."""
    return get(name)(**hparams)


__all__ = [
    "DBN",
    "DBM",
    "ElmanRNN",
    "LSTM",
    "Autoencoder",
    "DeepAutoencoder",
    "DenoisingAutoencoder",
    "LinearRBM",
    "SemanticHashing",
    "SparseAutoencoder",
    "StackedAutoencoder",
    "VAE",
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
    "Perceptron",
    "RBFNetwork",
    "REGISTRY",
    "Classifier",
    "NotFittedError",
    "Trainable",
    "build",
    "check_X",
    "check_y",
    "count_parameters",
    "get",
]
