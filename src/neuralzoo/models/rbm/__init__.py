"""Restricted Boltzmann machines (受限玻尔兹曼机): every RBM variant of the zoo and the stack they form.

``RBM`` (binary units; CD, PCD, PT), ``GaussianRBM`` (Gaussian visible units), ``LinearRBM``
(linear hidden units: the deep autoencoder's code layer), ``GaussianHiddenRBM`` (Gaussian hidden
units with log Z and AIS), ``IsingRBM`` (±1 units), ``CategoricalRBM`` (softmax visible groups),
``DropoutRBM`` (hidden dropout during CD), ``LabelRBM`` (softmax label units: the
top of a DBN), ``ScaledRBM`` (doubled weights: the DBM's pretraining stack), ``ClassificationRBM`` (Larochelle
& Bengio's classifier: softmax labels, discriminative/hybrid training). The DBN, the DBM
and the deep autoencoder import from here; nothing here imports them.
"""

from .bernoulli import RBM
from .categorical import CategoricalRBM
from .classification import ClassificationRBM
from .dropout import DropoutRBM
from .gaussian import GaussianRBM
from .gaussian_hidden import GaussianHiddenRBM
from .ising import IsingRBM
from .label import LabelRBM
from .linear import LinearRBM
from .scaled import ScaledRBM, doubling
from .stack import check_chain

__all__ = ["RBM", "CategoricalRBM", "ClassificationRBM", "DropoutRBM", "GaussianHiddenRBM", "IsingRBM", "GaussianRBM", "LabelRBM", "LinearRBM", "ScaledRBM", "check_chain", "doubling"]
