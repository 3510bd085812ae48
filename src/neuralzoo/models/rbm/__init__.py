"""Restricted Boltzmann machines (受限玻尔兹曼机): every RBM variant of the zoo and the stack they form.

``RBM`` (binary units; CD, PCD, PT), ``GaussianRBM`` (Gaussian visible units), ``LinearRBM``
(linear hidden units: the deep autoencoder's code layer), ``LabelRBM`` (softmax label units: the
top of a DBN), ``ScaledRBM`` (doubled weights: the DBM's pretraining stack). The DBN, the DBM
and the deep autoencoder import from here; nothing here imports them.
"""

from .bernoulli import RBM
from .gaussian import GaussianRBM
from .label import LabelRBM
from .linear import LinearRBM
from .scaled import ScaledRBM, doubling
from .stack import check_chain

__all__ = ["RBM", "GaussianRBM", "LabelRBM", "LinearRBM", "ScaledRBM", "check_chain", "doubling"]
