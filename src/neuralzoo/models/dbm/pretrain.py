"""Greedy pretraining of a deep Boltzmann machine with doubled weights (Salakhutdinov & Hinton 2009).

In a DBM every hidden layer but the top one gets input from below *and* above. Stacking
ordinary RBMs would count that input once where the DBM counts it twice, so each RBM of
the stack is trained with its weights doubled on the side where the DBM has a second
neighbour: the bottom RBM ``v -> h1`` with ``p(h1 | v) = sigm(a + 2 v^T W)`` (two tied copies
of ``v``), the top RBM ``h_{L-1} -> h_L`` with ``p(h_{L-1} | h_L) = sigm(b + 2 W h_L)`` (two copies
of ``h_L``), middle RBMs doubled both ways. Composed into the DBM, each weight matrix is used
once in each direction, so a middle layer averages its two doubled inputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..config import TrainConfig
from ..train.stages import fit_stage
from .rbm import RBM
from .rbm_fast import bernoulli, visible_batch
from .rbm_monitor import EpochMetrics


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
    """

    def __init__(self, n_visible: int, n_hidden: int, *, up: float = 1.0, down: float = 1.0,
                 **options: Any) -> None:
        super().__init__(n_visible, n_hidden, **options)
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


__all__ = ["ScaledRBM", "doubling"]


def train_stack(sizes: list[int], data: torch.Tensor, cfg: TrainConfig, *, init_std: float,
                out: str | Path | None = None, resume: bool = False,
                dynamic_binarization: bool = False) -> tuple[list[ScaledRBM], list]:
    """The greedy pass: RBM ``l`` (weights doubled by :func:`doubling`) trained on ``p(h_{l-1} | below)``
    of the data as stage ``rbm<l+1>``, its start drawn from ``cfg.seed + l``; returns the RBMs (on the
    CPU) and their stage histories. ``dynamic_binarization``: the bottom RBM draws each batch of the
    data afresh (the layers above train on the probabilities below, as without it)."""
    depth, rbms, histories = len(sizes) - 1, [], []
    for l in range(depth):
        up, down = doubling(l, depth)
        rbm = ScaledRBM(sizes[l], sizes[l + 1], up=up, down=down, init_std=init_std,
                        dynamic_binarization=dynamic_binarization and l == 0)
        rbm.start_from_data(data, cfg.seed + l)
        histories.append(fit_stage(rbm, data, cfg, stage=f"rbm{l + 1}", out=out, resume=resume,
                                   callbacks=[EpochMetrics(rbm, data)]))
        rbms.append(rbm.cpu())
        data = rbm.transform(data)  # (N, H_l): p(h_l | below) with the doubled input
    return rbms, histories
