"""The models of the lecture, one package or file per family, each registered under a lower-case name.

Layout: ``perceptron.py``, ``mlp.py``, ``rbf.py``, ``boltzmann.py``; ``hopfield/`` (discrete,
continuous, modern, the storage rules); ``rbm/`` (every RBM variant and the RBM stack that the DBN,
the DBM and the deep autoencoder build on); ``dbn/``; ``dbm/``; ``cnn/`` (the lecture's explicit
operations, the shared ConvNet, the lecture's network, LeNet-5, a modern CNN); ``autoencoder/``;
``recurrent/`` (the shared RecurrentNet, the Elman RNN, the LSTM). ``base.py`` holds what every
model shares, ``fit_options.py`` the options of every ``fit``. Imports across families go only to ``rbm/`` (and the DBN's fine-tuning network is
an :class:`MLP`); sampling helpers live below the models in ``neuralzoo.energy``, input checks in
``neuralzoo._checks``.

The calling convention — one for the whole zoo, learnt once:

1. **Sizes.** The sizes the data fixes come first and are named one way everywhere
   (``neuralzoo.config.DATA_SIZES``): ``n_features`` (D: the width of an input row — a time
   step's for recurrent nets, the units of a Hopfield net, the visible units of an energy
   model), ``input_shape`` ((C, H, W) for image models), ``n_classes`` (C; 0 = no classifier
   where a family allows it) and ``n_outputs`` (a recurrent net's classes, targets or
   vocabulary). The CLI, the run folder and the scikit-learn face fill them from the data by
   name. What the user chooses is a hyperparameter: keyword-only, with a default, hidden layers
   as ``hidden`` (an int, or a list for a stack) — except the one hidden layer of the RBM family
   and the Boltzmann machine, ``n_hidden`` (the lecture's h), second after ``n_features`` so
   that ``RBM(784, 500)`` reads as the lecture writes it. Why this scheme: one rule lets every
   tool build any model from data; names for what the data fixes, the lecture's words for what
   the user chooses.
2. **Hyperparameters are declared once**, by the constructor's signature (annotated) and one
   ``Args:`` line per parameter in the class docstring; each is kept as an attribute of the same
   name, so ``get_params()``, ``hparams``, ``config.json``, ``neuralzoo train MODEL --help`` and
   ``--set`` derive from the signature (``neuralzoo.config.model_params``).
3. **Training**: ``fit(X, y=None, *, epochs, batch_size, lr, optimizer, seed, device, progress,
   out, resume, overwrite, warm_start, callbacks, val_data, **train_options) -> self`` for every
   trainable model, greedy stacks included (declared once, by ``Trainable.fit``; a family that
   trains its own way takes them through ``fit_options.takes_fit_options``); ``X`` may be a
   tensor, a NumPy array, a ``Dataset`` or a ``DataLoader``; ``history_`` is a
   :class:`neuralzoo.train.History`. Closed-form rules (``Hopfield.store``, the RBF's output
   weights) return the model too.
4. **Methods** have one signature shape each; options after the data are keyword-only:
   ``predict(X)``, ``predict_proba(X)``, ``score(X, y) -> float``, ``transform(X)``,
   ``reconstruct(X)``, ``evaluate(X, y=None) -> dict``, ``sample(n, *, steps, generator)``,
   ``recall(probes, *, ...)``, ``log_likelihood(X, *, method, log_z) -> (N,) nats``.
   Randomness is keyword-only: ``seed`` for training, a ``torch.Generator`` for a method that
   draws. A family that lacks a method of the protocol (``base.PROTOCOL``) raises an
   ``AttributeError`` naming the methods it has.
5. **Torch modules**: inputs are cast to the model's device and dtype (``model.double()``
   computes in float64); a fresh model given a trained ``state_dict`` predicts;
   ``neuralzoo.load(run)`` rebuilds a run folder's model.
6. **Fitted first** (``base.NEEDS_FIT``): the methods that answer from learned parameters
   (``predict``, ``predict_proba``, ``score``, ``evaluate``, ``transform``, ``reconstruct``,
   ``sample``, ``recall``, ``log_likelihood``) raise :class:`NotFittedError` (a ``RuntimeError``,
   ``ValueError`` and ``AttributeError``, as scikit-learn's is) until the model is fitted: by
   ``fit``, a closed-form rule (``store``), :func:`neuralzoo.fit`, ``load_state_dict`` or
   ``neuralzoo.load`` (weights set by hand: load them as a ``state_dict``). ``energy`` and
   ``free_energy`` are the model's equations and answer for any parameters.

Departure from ARCHITECTURE.md's "imports across families go only to ``rbm/``": the convolutional
RBM (``crbm/``) reuses the lecture's explicit convolution of ``cnn/ops.py`` and its image-shape
helper, so that the reference route of the ConvRBM is the lecture's own operation.
"""

from __future__ import annotations

from torch import nn

from .autoencoder.basic import Autoencoder, DenoisingAutoencoder, SparseAutoencoder
from .autoencoder.deep import DeepAutoencoder
from .autoencoder.hashing import SemanticHashing
from .autoencoder.stacked import StackedAutoencoder
from .autoencoder.vae import VAE
from .base import Classifier as Classifier
from .base import NotFittedError
from .base import Trainable as Trainable
from .base import count_parameters as count_parameters
from .boltzmann import BoltzmannMachine
from .cnn.lecture import LectureCNN
from .cnn.lenet import LeNet5
from .cnn.modern import CNN
from .crbm import ConvDBN, ConvRBM
from .dbm.model import DBM
from .dbn.model import DBN
from .hopfield.continuous import ContinuousHopfield, ModernHopfield
from .hopfield.discrete import Hopfield
from .mlp import MLP
from .perceptron import ConvergenceWarning, Perceptron
from .rbf import RBFNetwork
from .rbm.bernoulli import RBM
from .rbm.categorical import CategoricalRBM
from .rbm.classification import ClassificationRBM
from .rbm.dropout import DropoutRBM
from .rbm.gaussian import GaussianRBM
from .rbm.gaussian_hidden import GaussianHiddenRBM
from .rbm.ising import IsingRBM
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
    "categorical-rbm": CategoricalRBM,
    "ising-rbm": IsingRBM,
    "gaussian-hidden-rbm": GaussianHiddenRBM,
    "dropout-rbm": DropoutRBM,
    "class-rbm": ClassificationRBM,
    "conv-rbm": ConvRBM,
    "conv-dbn": ConvDBN,
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


__all__ = [  # internals (Trainable, Classifier, check_X, ...) stay importable, not listed
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
    "CategoricalRBM",
    "DropoutRBM",
    "GaussianHiddenRBM",
    "IsingRBM",
    "ClassificationRBM",
    "ConvRBM",
    "ConvDBN",
    "BoltzmannMachine",
    "ContinuousHopfield",
    "Hopfield",
    "ModernHopfield",
    "ConvergenceWarning",
    "Perceptron",
    "RBFNetwork",
    "REGISTRY",
    "NotFittedError",
    "get",
]
