"""Deep Boltzmann machines (深度玻尔兹曼机): doubled-weight pretraining, mean-field learning, AIS."""

from .model import DBM

__all__ = ["DBM"]
