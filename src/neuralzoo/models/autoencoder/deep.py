"""The deep autoencoder of Hinton & Salakhutdinov (Science, 2006): RBM pretraining, unrolling,
fine-tuning.

The lecture (对早期工作的说明): Hinton and Salakhutdinov pretrained the network with **RBMs**
and used a **symmetric** structure, the decoder's weight matrices the transposes of the
encoder's. A stack of RBMs is trained greedily (binary hidden units, the top one *linear*
with Gaussian noise so that the code is real-valued), unrolled into an encoder (``W``) and a
decoder (``W^T``), and the whole network is then fine-tuned by back-propagating the
reconstruction error, encoder and decoder weights now separate.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from ..._checks import check_unit_interval, check_X
from ...train.stages import Stage, fit_stages
from ..base import seeded_reset
from ..fit_options import FitOptions, takes_fit_options
from ..rbm.bernoulli import RBM
from ..rbm.linear import LinearRBM
from ..rbm.stack import pretraining_stages, up_in_chunks
from .basic import Autoencoder

PAPER_SIZES = [784, 1000, 500, 250, 30]  # the MNIST network of the paper: D, H_1 .. H_3, K


class DeepAutoencoder(Autoencoder):
    r"""Deep autoencoder ``[D, H_1, ..., K]``: sigmoid hidden layers, a linear code, logistic
    outputs, pretrained as a stack of RBMs (Hinton & Salakhutdinov 2006).

    Pretraining (stage ``rbm<l>``, l = 1 .. L): RBM l with weights ``W_l`` (H_{l-1}, H_l),
    visible biases ``b_l``, hidden biases ``a_l`` learns the codes of the RBM below,
    ``y^(l-1) = p(h | y^(l-2))`` (binary RBMs, CD-1; the top one a :class:`LinearRBM`).

    Unrolling (:meth:`unroll`)::

        encoder: y^(l) = sigmoid(W_l^T y^(l-1) + a_l),   code y^(L) = W_L^T y^(L-1) + a_L
        decoder: g^(l-1) = sigmoid(W_l g^(l) + b_l),     z = g^(0)

    so before fine-tuning the encoder is the RBM stack's upward pass and the decoder its
    downward pass. Fine-tuning (stage ``finetune``): back-propagation of the cross-entropy
    ``-sum_i [x_i log z_i + (1-x_i) log(1-z_i)]`` through all ``2L`` layers, encoder and
    decoder weights separate (the paper used conjugate gradients; we use the trainer's Adam
    or SGD). The paper's figure is the squared error ``sum_i (x_i - z_i)^2`` per test image:
    3.00 on MNIST with ``[784, 1000, 500, 250, 30]`` (PCA with 30 components: 13.87).

    Args:
        n_features: D, the width of an input row (fixed by the data; the paper's 784).
        hidden: widths H_1 .. H_{L-1} of the binary RBMs' hidden layers (the paper's [1000, 500, 250]).
        code: K, the code size (the paper's 30).
        code_activation: f of the code units: "linear" (the paper's: a LinearRBM on top) or
            "sigmoid" (a binary top RBM).
        pretrain_epochs: CD-1 epochs per RBM (the paper: 50); 0 skips pretraining.
        pretrain_lr: SGD rate of the binary RBMs (the paper's 0.1).
        pretrain_lr_code: SGD rate of the linear top RBM (the paper's 0.001).
        pretrain_batch_size: RBM mini-batch (the paper's 100).

    The other hyperparameters (``activation``, ``reconstruction``, ``tied``, ...) are the
    :class:`Autoencoder`'s, with its defaults: sigmoid hidden units, cross-entropy, untied.

    >>> import neuralzoo as nz
    >>> X, _ = nz.datasets.load("digits")
    >>> dae = DeepAutoencoder(64, hidden=[32, 16], code=2).fit(X, epochs=1, pretrain_epochs=1, seed=0,
    ...                                                        progress=False)
    >>> dae.transform(X[:3]).shape, sorted({r["stage"] for r in dae.history_})
    (torch.Size([3, 2]), ['finetune', 'rbm1', 'rbm2', 'rbm3'])

    Reference: G. E. Hinton and R. R. Salakhutdinov, "Reducing the Dimensionality of Data
    with Neural Networks", Science 313:504-507, 2006 (and its supporting material).
    """

    registry_name = "deep-autoencoder"
    train_defaults = {"epochs": 20, "batch_size": 100, "lr": 1e-3, "optimizer": "adam"}

    def __init__(self, n_features: int = 784, *,
                 hidden: list[int] = [1000, 500, 250],  # noqa: B006 (read, never mutated)
                 code: int = 30, code_activation: str = "linear", pretrain_epochs: int = 10,
                 pretrain_lr: float = 0.1, pretrain_lr_code: float = 0.001, pretrain_batch_size: int = 100,
                 **kw: Any) -> None:
        super().__init__(n_features, hidden=hidden, code=code, code_activation=code_activation, **kw)
        if pretrain_epochs < 0 or not (pretrain_lr > 0 and pretrain_lr_code > 0) or pretrain_batch_size < 1:
            raise ValueError(f"expected pretrain_epochs >= 0, positive rates and batch size, got "
                             f"{pretrain_epochs}, {pretrain_lr}, {pretrain_lr_code}, {pretrain_batch_size}")
        self.pretrain_epochs, self.pretrain_lr = int(pretrain_epochs), float(pretrain_lr)
        self.pretrain_lr_code, self.pretrain_batch_size = float(pretrain_lr_code), int(pretrain_batch_size)

    # -- pretraining ---------------------------------------------------------------------------

    def make_rbms(self) -> list[RBM]:
        """The stack to pretrain: binary RBMs ``H_{l-1} - H_l``, a :class:`LinearRBM` on top when
        the code is linear."""
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        top = LinearRBM if self.code_activation == "linear" else RBM
        # initial weights N(0, 0.1^2), as in the paper's code (rbm.m, rbmhidlinear.m)
        return [(top if l == len(pairs) - 1 else RBM)(d, h, init_std=0.1) for l, (d, h) in enumerate(pairs)]

    def _pretraining(self, epochs: int | None = None, seed: int = 0, device: str = "auto", progress: bool = False,
                     momentum: float = 0.9, weight_decay: float = 2e-4) -> tuple[list[RBM], list[Stage]]:
        """The RBMs and the stages ``rbm1 .. rbmL`` (:func:`~neuralzoo.models.rbm.stack.pretraining_stages`):
        every RBM's start drawn in turn from one stream seeded with ``seed``, RBM l trained (seed
        ``seed + l``) on ``p(h | v)`` of the one below, computed 4096 rows at a time; then :meth:`unroll`."""
        epochs = self.pretrain_epochs if epochs is None else int(epochs)
        rbms = self.make_rbms()
        configs = [{"epochs": max(epochs, 1), "batch_size": self.pretrain_batch_size,
                    "lr": self.pretrain_lr_code if isinstance(rbm, LinearRBM) else self.pretrain_lr,
                    "optimizer": "sgd", "momentum": momentum, "weight_decay": weight_decay,
                    "seed": seed + l, "device": device, "progress": progress} for l, rbm in enumerate(rbms)]
        return rbms, pretraining_stages(rbms, configs, seed=seed, seeding="stream", up=up_in_chunks,
                                        epoch_metrics=False, then=lambda: self.unroll(rbms))

    def pretrain(self, X: Any, *, epochs: int | None = None, seed: int = 0, device: str = "auto",
                 progress: bool = False, momentum: float = 0.9, weight_decay: float = 2e-4,
                 out: str | Path | None = None, resume: bool = False) -> tuple[list[RBM], list[list[dict]]]:
        """Train the RBM stack greedily (stage ``rbm<l>``: CD-1, SGD with ``momentum``, the
        paper's weight decay 2e-4), each on ``p(h | v)`` of the one below, then :meth:`unroll`.
        Returns the RBMs and their histories."""
        X = check_unit_interval(check_X(X, self.n_features))
        rbms, stages = self._pretraining(epochs, seed, device, progress, momentum, weight_decay)
        fit_stages(stages, X, out=out, resume=resume)
        return rbms, [s.history for s in stages]

    def unroll(self, rbms: Sequence[RBM]) -> DeepAutoencoder:
        """Copy an RBM stack into the network: ``encoder[l] = (W_l^T, a_l)``, the decoder layer
        of l ``(W_l, b_l)`` (the transposes; separate tensors unless ``tied``)."""
        if len(rbms) != len(self.encoder):
            raise ValueError(f"unroll needs one RBM per layer: expected {len(self.encoder)}, got {len(rbms)}")
        L = len(rbms)
        with torch.no_grad():
            for l, rbm in enumerate(rbms):
                if tuple(rbm.W.shape) != (self.sizes[l], self.sizes[l + 1]):
                    raise ValueError(f"RBM {l + 1} must be {self.sizes[l]} x {self.sizes[l + 1]}: "
                                     f"got {tuple(rbm.W.shape)}")
                W, b, a = (t.detach() for t in rbm.ordinary_parameters())
                self.encoder[l].weight.copy_(W.T)  # (H_l, H_{l-1})
                self.encoder[l].bias.copy_(a)
                i = L - 1 - l  # the decoder runs from the top
                if self.tied:
                    self.decoder_bias[i].copy_(b)
                else:
                    self.decoder[i].weight.copy_(W)  # (H_{l-1}, H_l)
                    self.decoder[i].bias.copy_(b)
        self._fitted = True  # the unrolled stack is a working autoencoder before fine-tuning
        return self

    # -- training -------------------------------------------------------------------------------

    @takes_fit_options
    def fit(self, X: Any, y: Any, opts: FitOptions, *, pretrain_epochs: int | None = None) -> DeepAutoencoder:
        """RBM pretraining (``pretrain_epochs`` per RBM; 0 skips it), unrolling, then fine-tuning
        with the options of :meth:`Trainable.fit` (``epochs``, ``lr``, ...; ``val_data`` (X, y) its
        validation data); ``y`` is ignored. Stages ``rbm1 ..`` and ``finetune`` each checkpoint in
        ``<out>/stages/<stage>``; ``callbacks`` are every stage's; a folder holding a run is refused
        unless ``resume`` or ``overwrite``. ``warm_start``: keep the current weights: no
        re-initialisation, no pretraining, only the fine-tuning goes on."""
        cfg = opts.config(self)
        (X,) = self._fit_data(X, y)
        val_data = None if opts.val_data is None else self._fit_data(*opts.val_data)
        n_pre = self.pretrain_epochs if pretrain_epochs is None else int(pretrain_epochs)
        stages: list[Stage] = []
        if not (opts.warm_start or opts.resume):
            seeded_reset(self, cfg.seed)
        if n_pre > 0 and not opts.warm_start:
            check_unit_interval(X)
            _, stages = self._pretraining(n_pre, cfg.seed, cfg.device, cfg.progress)
        stages.append(Stage("finetune", self, cfg, make_input=lambda _: X, callbacks=opts.callbacks,
                            val_data=val_data))
        self.history_ = fit_stages(stages, X, model=self, config=cfg, out=opts.out, resume=opts.resume,
                                   overwrite=opts.overwrite, run_info=opts.run_info)
        self._fitted = True
        return self
