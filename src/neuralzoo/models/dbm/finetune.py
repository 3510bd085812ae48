"""The DBM turned discriminative (Salakhutdinov & Hinton 2009, section 4): the mean-field classifier.

The DBM's mean-field posterior ``q(h_2 | v)`` joins the input, and a sigmoid network initialised
from the DBM's weights is trained by back-propagation. Optional dropout (Srivastava et al., JMLR
2014, who fine-tuned this DBM with it) drops input units with probability ``p_in`` and hidden
units with ``p_hidden`` while training; the kept units are scaled by ``1 / (1 - p)``, so the
network is used unchanged at test time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_y
from ...train.stages import Stage
from ..base import seeded_reset
from .pretrain import FINETUNED

if TYPE_CHECKING:
    from .model import DBM


def check_dropout(dropout: Sequence[float]) -> tuple[float, float]:
    """``(p_in, p_hidden)``, each in [0, 1), or one clear error."""
    p = tuple(float(x) for x in dropout)
    if len(p) != 2 or not all(0.0 <= x < 1.0 for x in p):
        raise ValueError(f"expected finetune_dropout = (p_in, p_hidden), each in [0, 1), got {tuple(dropout)}")
    return p  # type: ignore[return-value]


class MeanFieldClassifier(nn.Module):
    """Input ``[v, q(h_2 | v)]``, sigmoid layers initialised from the DBM
    (``h_1 = sigm(W_1^T v + W_2 q_2 + a_1)``, ``h_l = sigm(W_l^T h_{l-1} + a_l)``), softmax."""

    def __init__(self, sizes: list[int], n_classes: int, dropout: Sequence[float] = (0.0, 0.0)) -> None:
        super().__init__()
        D, L = sizes[0], len(sizes) - 1
        extra = sizes[2] if L >= 2 else 0
        ins = [D + extra, *sizes[1:]]
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in zip(ins, [*sizes[1:], n_classes]))
        self.p_in, self.p_hidden = check_dropout(dropout)

    def _drop(self, z: torch.Tensor, p: float) -> torch.Tensor:
        return F.dropout(z, p, self.training) if p > 0 else z

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        *hidden, out = self.layers
        z = self._drop(z, self.p_in)
        for layer in hidden:
            z = self._drop(torch.sigmoid(layer(z)), self.p_hidden)  # (N, H_l)
        return out(z)  # (N, C)

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        z, y = batch
        return F.cross_entropy(self(z), y)

    @torch.no_grad()
    def metrics(self, z: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """Validation: cross-entropy and accuracy on ``(z, y)`` (the trainer calls it in eval mode)."""
        logits = self(z)  # (N, C)
        return {"loss": float(F.cross_entropy(logits, y)), "acc": float((logits.argmax(1) == y).float().mean())}

    @torch.no_grad()
    def init_from(self, dbm: DBM) -> None:
        """Hidden layers from the DBM's weights and biases (``q(h_2)`` feeds ``h_1`` through ``W_2``);
        the softmax layer keeps its own initialisation."""
        D = dbm.sizes[0]
        for l in range(dbm.depth):
            self.layers[l].weight.zero_()
            self.layers[l].weight[:, :dbm.sizes[l]].copy_(dbm.W[l].T)
            self.layers[l].bias.copy_(dbm.bias[l + 1])
        if dbm.depth >= 2:
            self.layers[0].weight[:, D:].copy_(dbm.W[1])


def classifier_data(dbm: DBM, X: Any, y: Any, name: str = "X") -> tuple[torch.Tensor, torch.Tensor]:
    """The classifier's input ``[v, q(h_2 | v)]`` (N, D + H_2) of the trained DBM, the mean field
    computed once (4096 rows at a time), and the checked labels ``y`` (N,)."""
    v = dbm._check(X, name)
    y = check_y(y, dbm.n_classes, len(v), device=v.device)
    with torch.no_grad():
        return torch.cat([dbm._classifier_input(v[i:i + 4096]) for i in range(0, len(v), 4096)]), y


def fine_tuning_stage(dbm: DBM, X: Any, y: Any, *, epochs: int | None = None, lr: float | None = None,
                      seed: int | None = None, val_data: Any = None, warm: bool = False,
                      callbacks: Sequence[Any] = (), **options: Any) -> Stage:
    """Stage ``finetune`` of ``dbm`` on ``(X, y)``: ``epochs`` (default ``finetune_epochs``), ``lr``
    (default ``finetune_lr``), SGD momentum 0.9 and further train ``options``; built before the
    stages it follows have run (its input is made from the trained DBM). ``val_data`` (X, y):
    ``val_loss``/``val_acc`` per epoch. ``warm``: a fine-tuned classifier goes on as it is."""
    cfg = dbm.train_config(**{"epochs": epochs or dbm.finetune_epochs, "lr": lr or dbm.finetune_lr,
                              "seed": seed, "optimizer": "sgd", "momentum": 0.9, "lr_schedule": "constant",
                              **options})
    keep = warm and int(dbm.phase) == FINETUNED

    def start(_: Any) -> None:
        if not keep:
            dbm.head.init_from(dbm)  # 1. the hidden layers from the DBM
            with torch.no_grad():
                seeded_reset(dbm.head.layers[-1], cfg.seed)  # 2. the new softmax layer: one seed, one model

    def end() -> None:
        dbm.phase.fill_(FINETUNED)
        dbm._fitted = True

    return Stage("finetune", dbm.head, cfg, make_input=lambda _: classifier_data(dbm, X, y), start=start,
                 end=end, callbacks=callbacks,
                 val_data=None if val_data is None else lambda: classifier_data(dbm, *val_data, "validation X"))


__all__ = ["MeanFieldClassifier", "check_dropout", "classifier_data", "fine_tuning_stage"]
