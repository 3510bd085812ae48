"""Hopfield networks (霍普菲尔德网络): the discrete network, the continuous (graded) network of the
lecture's circuit, the modern (dense) Hopfield network, and the storage rules they share."""

from .continuous import ContinuousHopfield, ModernHopfield
from .discrete import RULES, Hopfield, RecallResult, SpuriousState, find_spurious_state
from .rules import flip, from_pm1, mask, to_pm1

__all__ = ["RULES", "ContinuousHopfield", "Hopfield", "ModernHopfield", "RecallResult", "SpuriousState",
           "find_spurious_state", "flip", "from_pm1", "mask", "to_pm1"]
