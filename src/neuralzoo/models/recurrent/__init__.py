"""Recurrent networks (循环神经网络): the shared ``RecurrentNet`` base, the Elman RNN with BPTT, the LSTM."""

from .base import RecurrentNet, rows_task
from .elman import ElmanRNN
from .lstm import LSTM

__all__ = ["LSTM", "ElmanRNN", "RecurrentNet", "rows_task"]
