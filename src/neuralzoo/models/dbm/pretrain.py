"""Greedy pretraining of a deep Boltzmann machine with doubled weights (Salakhutdinov & Hinton 2009).

In a DBM every hidden layer but the top one gets input from below *and* above. Stacking
ordinary RBMs would count that input once where the DBM counts it twice, so each RBM of
the stack is trained with its weights doubled on the side where the DBM has a second
neighbour: the bottom RBM ``v -> h1`` with ``p(h1 | v) = sigm(a + 2 v^T W)`` (two tied copies
of ``v``), the top RBM ``h_{L-1} -> h_L`` with ``p(h_{L-1} | h_L) = sigm(b + 2 W h_L)`` (two copies
of ``h_L``), middle RBMs doubled both ways. Composed into the DBM, each weight matrix is used
once in each direction, so a middle layer averages its two doubled inputs.

The stack is trained by the one pretrainer of RBM stacks
(:func:`~neuralzoo.models.rbm.stack.pretraining_stages`): RBM ``l`` drawn from ``seed + l``,
the next RBM's data ``p(h_l | below)`` (with the doubled input) computed on the CPU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ...train.stages import Stage
from ..rbm.bernoulli import RBM
from ..rbm.scaled import ScaledRBM, doubling
from ..rbm.stack import pretraining_stages, up_on_cpu

if TYPE_CHECKING:
    from .model import DBM

__all__ = ["FINETUNED", "PRETRAINED", "TRAINED", "compose", "doubled_stack", "pretraining"]

PRETRAINED, TRAINED, FINETUNED = 1, 2, 3  # values of the DBM's buffer ``phase`` (0: untrained)


def doubled_stack(sizes: list[int], *, init_std: float, dynamic_binarization: bool = False) -> list[ScaledRBM]:
    """The RBMs ``sizes[l] - sizes[l+1]`` with the weight factors of :func:`doubling`;
    ``dynamic_binarization``: the bottom RBM draws each batch of the data afresh (the layers above
    train on the probabilities below, as without it)."""
    depth = len(sizes) - 1
    return [ScaledRBM(sizes[l], sizes[l + 1], up=doubling(l, depth)[0], down=doubling(l, depth)[1],
                      init_std=init_std, dynamic_binarization=dynamic_binarization and l == 0)
            for l in range(depth)]


def pretraining(dbm: DBM, *, seed: int | None = None, progress: bool | None = None, device: str | None = None,
                batch_size: int | None = None) -> list[Stage]:
    """Stages ``rbm1 .. rbmL`` of the greedy pass (``pretrain_epochs``, ``pretrain_lr``, SGD momentum
    0.5, the given batch size), RBM ``l`` drawn from ``seed + l``; once the top one is trained the
    DBM is composed of them (on the CPU, fantasy particles drawn from ``seed``)."""
    cfg = dbm.train_config(epochs=dbm.pretrain_epochs, lr=dbm.pretrain_lr, momentum=0.5, lr_schedule="constant",
                           weight_decay=0.0, seed=seed, progress=progress, device=device, batch_size=batch_size)
    rbms = doubled_stack(dbm.sizes, init_std=dbm.init_std, dynamic_binarization=dbm.dynamic_binarization)
    return pretraining_stages(rbms, cfg, seed=cfg.seed, seeding="layer", up=up_on_cpu,
                              then=lambda: compose(dbm.cpu(), [r.cpu() for r in rbms], cfg.seed))


def compose(dbm: DBM, rbms: list[RBM], seed: int) -> None:
    """The DBM's parameters from its pretrained stack: ``W_l`` as is, ``b`` from the bottom RBM,
    a middle layer's bias the mean of its two RBMs' biases, the top's from the top RBM; the
    fantasy particles drawn anew from ``seed`` (not the global RNG: one seed, one model)."""
    with torch.no_grad():
        L = dbm.depth
        for l, r in enumerate(rbms):
            dbm.W[l].copy_(r.W)
        dbm.bias[0].copy_(rbms[0].b)
        for l in range(1, L + 1):
            dbm.bias[l].copy_(rbms[l - 1].a if l == L else (rbms[l - 1].a + rbms[l].b) / 2)
        dbm.data_mean.copy_(rbms[0].data_mean)
    dbm._reset_chains(torch.Generator(device=dbm.data_mean.device).manual_seed(seed))
    dbm.phase.fill_(PRETRAINED)
    dbm._fitted = True
