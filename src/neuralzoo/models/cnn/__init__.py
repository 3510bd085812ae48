"""Convolutional networks (卷积神经网络): the lecture's explicit operations (``ops``), the shared
``ConvNet`` base, the lecture's example network, LeNet-5 and a modern small CNN."""

from .base import ConvNet
from .lecture import LectureCNN
from .lenet import LeNet5
from .modern import CNN

__all__ = ["CNN", "ConvNet", "LeNet5", "LectureCNN"]
