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

import torch

from ...config import TrainConfig
from ...train.stages import fit_stage
from ..rbm.monitor import EpochMetrics
from ..rbm.scaled import ScaledRBM, doubling

__all__ = ["train_stack"]


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
