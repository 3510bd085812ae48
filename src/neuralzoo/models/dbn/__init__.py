"""Deep belief networks (深度信念网络): greedy RBM pretraining, back-propagation or up-down fine-tuning."""

from .model import DBN

__all__ = ["DBN"]
