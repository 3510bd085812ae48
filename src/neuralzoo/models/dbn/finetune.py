"""Fine-tuning a pretrained DBN for classification: the last stage of its greedy run.

Two ways (Hinton & Salakhutdinov 2006; Hinton, Osindero & Teh 2006):

- ``backprop``: the recognition pass becomes an MLP (:meth:`DBN.to_mlp`: the RBMs' weights
  copied, a new softmax layer) trained by back-propagation, SGD with momentum 0.9;
- ``updown``: the up-down algorithm with the label units of the top RBM
  (:class:`~neuralzoo.models.dbn.updown.UpDown`), SGD without momentum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..._checks import check_unit_interval, check_X, check_y
from ...train.stages import Stage
from .updown import UpDown

if TYPE_CHECKING:
    from .model import DBN

PRETRAINED, BACKPROP, UPDOWN = 1, 2, 3  # values of the DBN's buffer ``phase`` (0: nothing trained)


def fine_tuning_stage(dbn: DBN, X: Any, y: Any, *, method: str, epochs: int | None = None,
                      lr: float | None = None, seed: int | None = None, batch_size: int | None = None,
                      val_data: Any = None, warm: bool = False, callbacks: Sequence[Any] = (),
                      **options: Any) -> Stage:
    """Stage ``backprop`` or ``updown`` of ``dbn`` on ``(X, y)``: ``epochs`` (default
    ``finetune_epochs``), ``lr`` (default ``finetune_lr``) and further train ``options``; built
    before the stages it follows have run. ``val_data`` (X, y): ``val_loss``/``val_acc`` per epoch.
    ``warm``: a fine-tuned MLP goes on as it is (not copied anew from the RBMs)."""
    if dbn.n_classes < 2:
        raise ValueError("fine-tuning needs classes: expected a DBN built with n_classes >= 2, got 0")
    v = check_unit_interval(check_X(X, dbn.n_features))
    y = check_y(y, dbn.n_classes, len(v))
    base = {"epochs": epochs or dbn.finetune_epochs, "lr": lr or dbn.finetune_lr, "seed": seed,
            "batch_size": batch_size, "optimizer": "sgd",
            "momentum": 0.9 if method == "backprop" else 0.0, **options}
    cfg = dbn.train_config(**base)
    if method == "backprop":
        keep = warm and int(dbn.phase) == BACKPROP
        return Stage("backprop", dbn.mlp, cfg, make_input=lambda _: (v, y),
                     start=None if keep else lambda _: dbn.to_mlp(cfg.seed),
                     end=lambda: dbn.phase.fill_(BACKPROP), callbacks=callbacks,
                     val_data=None if val_data is None else dbn.mlp._fit_data(*val_data))

    def check_not_backprop(_: Any) -> None:
        if int(dbn.phase) == BACKPROP:
            raise ValueError("up-down after back-propagation: expected a pretrained DBN, got a fine-tuned MLP")

    if val_data is not None:  # the generative classifier's loss and accuracy (UpDown.metrics)
        Xv = check_unit_interval(check_X(val_data[0], dbn.n_features, name="validation X"), "validation X")
        val_data = (Xv, check_y(val_data[1], dbn.n_classes, len(Xv)))
    return Stage("updown", UpDown(dbn, dbn.updown_k), cfg, make_input=lambda _: (v, y),
                 start=check_not_backprop, end=lambda: dbn.phase.fill_(UPDOWN), callbacks=callbacks,
                 val_data=val_data)


__all__ = ["BACKPROP", "PRETRAINED", "UPDOWN", "fine_tuning_stage"]
