"""An RBM with scaled (doubled) weights: the stack of a DBM's greedy pretraining.

In a DBM every hidden layer but the top one gets input from below *and* above. Stacking
ordinary RBMs would count that input once where the DBM counts it twice, so each RBM of
the stack is trained with its weights doubled on the side where the DBM has a second
neighbour (Salakhutdinov & Hinton 2009; see :mod:`neuralzoo.models.dbm.pretrain`).
"""

from __future__ import annotations

from typing import Any

import torch

from ...energy.sampling import bernoulli, visible_batch
from .bernoulli import RBM


def doubling(l: int, L: int) -> tuple[float, float]:
    """``(up, down)`` weight factors of RBM ``l`` (0-based) of an L-hidden-layer DBM's stack."""
    if L == 1:
        return 1.0, 1.0
    return (1.0 if l == L - 1 else 2.0), (1.0 if l == 0 else 2.0)


class ScaledRBM(RBM):
    r"""An RBM whose conditionals scale the weights: ``p(h = 1 | v) = sigm(a + up * v^T W)``,
    ``p(v = 1 | h) = sigm(b + down * W h)``; trained by CD-k with the paper's update::

        Delta W = eps (<v p(h | v)^T>_data - <v' p(h | v')^T>_CD-k)     (no factor up or down)

    The surrogate ``loss = -(mean_n v_n^T W p_n - mean_m v'_m^T W p'_m) - b^T (mean v - mean v')
    - a^T (mean p - mean p')`` with ``p`` detached has exactly this gradient.

    The other keyword-only hyperparameters (``init_std``, ``k``, ...) are the :class:`RBM`'s.

    Args:
        n_features: D, the visible units (the width of the layer below; fixed by the data).
        n_hidden: hidden units H.
        up: factor of the weights in the input of the hidden units (2 where the DBM has a layer above).
        down: factor of the weights in the input of the visible units (2 where the DBM has a layer below).
    """

    registry_name = "scaled-rbm"  # a building block of the DBM, not in the registry

    def __init__(self, n_features: int, n_hidden: int = 100, *, up: float = 1.0, down: float = 1.0,
                 **options: Any) -> None:
        super().__init__(n_features, n_hidden, **options)
        self.up, self.down = float(up), float(down)

    def p_h_given_v(self, v: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(torch.addmm(self.a, v, self.W, alpha=self.up))

    def p_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(torch.addmm(self.b, h, self.W.T, alpha=self.down))

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        v0 = visible_batch(batch[0], self.dynamic_binarization)
        with torch.no_grad():
            p0 = self.p_h_given_v(v0)
            h, v = bernoulli(p0), v0
            for step in range(self.k):
                v = bernoulli(self.p_v_given_h(h))
                p = self.p_h_given_v(v)
                if step < self.k - 1:
                    h = bernoulli(p)
        stats = ((v0 @ self.W) * p0).sum(1).mean() - ((v @ self.W) * p).sum(1).mean()
        return -(stats + self.b @ (v0.mean(0) - v.mean(0)) + self.a @ (p0.mean(0) - p.mean(0)))
