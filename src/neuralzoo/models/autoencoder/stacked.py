"""Stacked (denoising) autoencoder, trained greedily layer by layer as the lecture describes.

网络训练（逐层静态进行）: each layer is a three-layer network ``H_{l-1} - H_l - H_{l-1}``
trained by back-propagation to reconstruct the codes of the layer below, while the other
layers stay fixed (在训练当前层时，其它层固定不动); the stack of encoders is then a feature
extractor (只应用编码器), and with a classifier on the last code it is fine-tuned on labelled
data (fine-tuning).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_hidden, check_X, check_y
from ...config import TrainConfig, check_choice
from ...train.stages import Stage, fit_stages
from ..base import Classifier, Trainable, count_parameters, model_device, model_dtype, seeded_reset
from ..fit_options import FitOptions, takes_fit_options
from .basic import ACTIVATIONS, CORRUPTIONS, RECONSTRUCTIONS, Autoencoder, check_noise


class StackedAutoencoder(Trainable, Classifier, nn.Module):
    r"""Stacked autoencoder ``[D, H_1, ..., H_L]`` with a softmax classifier on top.

    Greedy pretraining, stage ``layer<l>`` for l = 1 .. L (only autoencoder l learns)::

        y^(0) = x
        autoencoder l:  y^(l) = f(W^(l) corrupt_l(y^(l-1)) + b^(l)),  z^(l) = f(V^(l) y^(l) + c^(l))
                        min sum_k L(y_k^(l-1), z_k^(l))     (V^(l) = W^(l)^T when tied)

    with the corruption level ``noise[l]`` of layer l (a stacked *denoising* autoencoder,
    Vincent et al. 2010: masking 0.1 / 0.2 / 0.3 for 3 x 1000). Fine-tuning, stage
    ``finetune``: the encoders (decoders dropped) and a softmax layer ``o = U y^(L) + d``
    trained together on ``l(x, y) = -log softmax(o)_y``.

    Args:
        n_features: D, the width of an input row (fixed by the data).
        n_classes: C, the number of classes of the softmax layer (fixed by the data).
        hidden: layer widths H_1 .. H_L, one autoencoder per layer.
        activation: f of every layer: "sigmoid", "tanh", "relu" or "linear".
        noise: corruption level per layer, in [0, 1) (one number: the same for every layer;
            0 leaves a layer uncorrupted).
        corruption: "none", "mask" or "gaussian": the kind of noise of the corrupted layers.
        tied: each layer's decoder is its encoder transposed.
        reconstruction: the reconstruction loss of every layer: "squared" or "cross-entropy".
        pretrain_epochs: epochs per greedy stage (0 skips pretraining).
        pretrain_lr: learning rate of the greedy stages (Adam).
        pretrain_batch_size: batch size of the greedy stages.

    Glossary (N batch, D input, H_l layer widths, C classes): ``layers[l-1]`` the l-th
    :class:`~neuralzoo.models.autoencoder.Autoencoder` (its ``encoder[0]`` holds W^(l), b^(l));
    ``head`` the Linear (C, H_L) classifier U, d.

    >>> import neuralzoo as nz
    >>> X, y = nz.datasets.load("digits")
    >>> sae = StackedAutoencoder(64, 10, hidden=[48, 32], noise=[0.1, 0.2])
    >>> sae = sae.fit(X, y, epochs=2, pretrain_epochs=1, seed=0, progress=False)
    >>> sae.transform(X[:2]).shape, [r["stage"] for r in sae.history_]
    (torch.Size([2, 32]), ['layer1', 'layer2', 'finetune', 'finetune'])

    References: Bengio et al., NIPS 2006 (greedy layer-wise training); Vincent et al., JMLR
    11:3371, 2010 (stacked denoising autoencoders).
    """

    registry_name = "stacked-autoencoder"
    # the tour's settings (issue 23: [48, 32], 10 pretraining epochs at 1e-3 and 20 fine-tuning
    # epochs at 1e-3 gave 0.817 on digits, the tour 0.958)
    train_defaults = {"epochs": 20, "batch_size": 64, "lr": 3e-3, "optimizer": "adam"}
    # a 0.1 run's sizes=[D, *H]; its loss (a name the loss(batch) method holds now)
    sizes_hparams, renamed_hparams = ("n_features", "hidden"), {"loss": "reconstruction"}

    def __init__(self, n_features: int, n_classes: int, *,
                 hidden: list[int] = [128, 64],  # noqa: B006 (read, never mutated)
                 activation: str = "sigmoid",
                 noise: Sequence[float] | float = [0.1, 0.2],  # noqa: B006 (read, never mutated)
                 corruption: str = "mask", tied: bool = True, reconstruction: str = "cross-entropy",
                 pretrain_epochs: int = 5, pretrain_lr: float = 3e-3, pretrain_batch_size: int = 64) -> None:
        super().__init__()
        hidden = [int(h) for h in check_hidden(hidden, "layer widths, e.g. [48, 32]")]  # a copy
        sizes = [int(n_features), *hidden]
        if len(sizes) < 2 or min(sizes) < 1 or int(n_classes) < 2:
            raise ValueError("expected n_features >= 1, at least one layer in hidden, widths >= 1 and "
                             f"n_classes >= 2: got n_features={n_features}, hidden={hidden}, n_classes={n_classes}")
        L = len(hidden)
        noise = [float(noise)] * L if isinstance(noise, (int, float)) else [float(v) for v in noise]
        if len(noise) != L:
            raise ValueError(f"noise needs one corruption level per layer: expected {L}, got {len(noise)} "
                             f"(noise={noise}; one number sets every layer's)")
        noise = [check_noise(v, f"noise[{i}]") for i, v in enumerate(noise)]
        check_choice("activation", activation, tuple(ACTIVATIONS))
        check_choice("corruption", corruption, CORRUPTIONS)
        check_choice("reconstruction", reconstruction, RECONSTRUCTIONS)
        if pretrain_epochs < 0:
            raise ValueError(f"pretrain_epochs must be >= 0, got {pretrain_epochs}")
        self.n_features, self.n_classes, self.hidden = sizes[0], int(n_classes), hidden
        self.sizes = sizes  # [D, H_1, ..., H_L]
        self.activation, self.noise, self.corruption = activation, noise, corruption
        self.tied, self.reconstruction = bool(tied), reconstruction
        self.pretrain_epochs, self.pretrain_lr = int(pretrain_epochs), float(pretrain_lr)
        self.pretrain_batch_size = int(pretrain_batch_size)
        # one three-layer network H_{l-1} - H_l - H_{l-1} per layer
        self.layers = nn.ModuleList(
            Autoencoder(a, hidden=[], code=b, activation=activation, code_activation=activation,
                        reconstruction=reconstruction, tied=tied,
                        corruption=corruption if v > 0 else "none", noise=v)
            for a, b, v in zip(sizes[:-1], sizes[1:], noise))
        self.head = nn.Linear(sizes[-1], self.n_classes)  # U (C, H_L), d (C,)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every layer's autoencoder re-initialised; the classifier Xavier-uniform, zero bias."""
        for layer in self.layers:
            layer.reset_parameters()
        nn.init.xavier_uniform_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def encode(self, x: torch.Tensor, *, upto: int | None = None) -> torch.Tensor:
        """``y^(upto)`` (N, H_upto): ``x`` through the first ``upto`` encoders (all by default)."""
        f = ACTIVATIONS[self.activation]
        n = len(self.layers) if upto is None else upto
        h = x
        for l, layer in enumerate(self.layers):  # (slicing a ModuleList builds a new module)
            if l == n:
                break
            h = f(layer.encoder[0](h))  # (N, H_l)
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``o = U y^(L) + d`` (N, C)."""
        return self.head(self.encode(x))

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Fine-tuning: mean cross-entropy ``-log softmax(o)_y``."""
        x, y = batch
        return F.cross_entropy(self(x), y)

    def transform(self, X: Any) -> torch.Tensor:
        """The top code ``y^(L)`` (N, H_L) of every row: the stack of encoders as features."""
        if not getattr(self, "_pretrained", False):
            self._check_fitted()
        X = check_X(X, self.n_features, device=model_device(self), dtype=model_dtype(self))
        with torch.no_grad():
            return self.encode(X)

    # -- greedy training ----------------------------------------------------------------------

    def _layer_stage(self, l: int, X: torch.Tensor, config: TrainConfig | dict,
                     callbacks: Sequence[Any] = ()) -> Stage:
        """Stage ``layer<l+1>``: autoencoder ``l`` (0-based) on the codes ``y^(l)`` of the layers below
        (frozen: only ``layers[l]`` is handed to the trainer), made from ``X`` once they are trained."""
        if not 0 <= l < len(self.layers):
            raise ValueError(f"layer index must lie in [0, {len(self.layers) - 1}], got {l}")

        def codes(_: Any) -> torch.Tensor:
            with torch.no_grad():
                return self.encode(X.to(model_device(self)), upto=l).cpu()  # (N, H_l)

        def end() -> None:
            self._pretrained = True

        return Stage(f"layer{l + 1}", self.layers[l], config, make_input=codes, end=end, callbacks=callbacks)

    def pretrain_layer(self, l: int, X: torch.Tensor, config: TrainConfig | dict, *,
                       out: str | Path | None = None, resume: bool = False) -> list[dict[str, Any]]:
        """Train autoencoder ``l`` (0-based) on the codes ``y^(l)`` of the layers below (frozen:
        only ``layers[l]`` is handed to the trainer); stage ``layer<l+1>``."""
        stage = self._layer_stage(l, X, config)
        fit_stages([stage], X, out=out, resume=resume)
        return stage.history

    @takes_fit_options
    def fit(self, X: Any, y: Any, opts: FitOptions, *, pretrain_epochs: int | None = None) -> StackedAutoencoder:
        """Greedy pretraining of every layer (``pretrain_epochs`` each, Adam at ``pretrain_lr``;
        0 skips it), then, given labels ``y``, fine-tuning of the whole stack with the classifier
        (the options of :meth:`Trainable.fit`: ``epochs``, ``lr``, ...; ``val_data`` (X, y) its
        validation data). Each stage is its own checkpoint in ``<out>/stages/<stage>``;
        ``history_`` joins them with a ``stage`` column; ``callbacks`` are every stage's; a folder
        holding a run is refused unless ``resume`` or ``overwrite``. ``warm_start``: keep the
        current weights: no re-initialisation, no pretraining of the layers below, only the final
        stage goes on (the fine-tuning given ``y``, else the top layer's autoencoder)."""
        cfg = opts.config(self)
        X = check_X(X, self.n_features)
        if y is not None:
            y = check_y(y, self.n_classes, len(X))
        val_data = opts.val_data
        if val_data is not None:
            if y is None:
                raise ValueError("val_data is the fine-tuning's: expected labels y, got y=None")
            Xv = check_X(val_data[0], self.n_features, name="validation X")
            val_data = (Xv, check_y(val_data[1], self.n_classes, len(Xv)))
        if not (opts.warm_start or opts.resume):
            seeded_reset(self, cfg.seed)
        n_pre = self.pretrain_epochs if pretrain_epochs is None else int(pretrain_epochs)
        pre = {"epochs": max(n_pre, 1), "batch_size": self.pretrain_batch_size, "lr": self.pretrain_lr,
               "optimizer": "adam", "seed": cfg.seed, "device": cfg.device, "progress": cfg.progress}
        layers = range(len(self.layers)) if n_pre > 0 else range(0)
        if opts.warm_start:  # no pretraining below; without labels the top layer goes on
            layers = range(0) if y is not None else range(len(self.layers) - 1, len(self.layers))
        stages = [self._layer_stage(l, X, pre, opts.callbacks) for l in layers]
        if y is not None:
            stages.append(Stage("finetune", self, cfg, make_input=lambda _: (X, y), end=self._finetuned,
                                callbacks=opts.callbacks, val_data=val_data))
        self.history_ = fit_stages(stages, X, model=self, config=cfg, out=opts.out, resume=opts.resume,
                                   overwrite=opts.overwrite, run_info=opts.run_info)
        self._pretrained = True
        return self

    def _finetuned(self) -> None:
        self._fitted = True

    def evaluate(self, X: Any, y: Any = None) -> dict[str, float]:
        """Held-out accuracy, error and cross-entropy (after fine-tuning)."""
        if y is None:
            raise ValueError("StackedAutoencoder.evaluate scores the classifier: expected evaluate(X, y), "
                             "got y=None")
        return Classifier.evaluate(self, X, y)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, noise={self.noise}, n_classes={self.n_classes}, params={count_parameters(self):,}"
