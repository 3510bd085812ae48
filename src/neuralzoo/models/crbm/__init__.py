"""Convolutional RBM with probabilistic max-pooling and the convolutional DBN (Lee et al., ICML 2009).

``model.py``: :class:`ConvRBM` (shared filters, probabilistic max-pooling, sparsity, CD-k);
``dbn.py``: :class:`ConvDBN`, convolutional RBMs stacked greedily by the one staged trainer.
"""

from .dbn import ConvDBN
from .model import ConvRBM

__all__ = ["ConvDBN", "ConvRBM"]
