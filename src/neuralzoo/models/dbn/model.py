"""Deep belief network (深度信念网络): a directed sigmoid belief net under an undirected RBM.

Greedy layer-wise pretraining stacks RBMs "stack by stack"; the stack is then a generative
model (Gibbs sampling in the top RBM, one down pass), a feature extractor (``transform``)
and, fine-tuned, a classifier: as an MLP by back-propagation, or generatively by the
up-down (contrastive wake-sleep) algorithm with label units in the top RBM
(:mod:`neuralzoo.models.dbn.updown`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_hidden, check_sizes, check_unit_interval, check_X, check_y
from ...config import TrainConfig, check_choice, to_dict
from ...energy import exact
from ...energy.sampling import as_generator, bernoulli
from ...train import History
from ...train.stages import Stage, fit_stages
from ..base import (
    Classifier,
    NotFittedError,
    Trainable,
    count_parameters,
    model_device,
    seeded_reset,
)
from ..fit_options import FitOptions, takes_fit_options
from ..mlp import MLP
from ..rbm.bernoulli import RBM
from ..rbm.label import LabelRBM
from ..rbm.stack import check_chain, pretraining_stages, sized_by_stack, up_on_device
from .finetune import BACKPROP, PRETRAINED, fine_tuning_stage

FINETUNE = ("backprop", "updown", "none")


class DBN(Trainable, Classifier, nn.Module):
    r"""Deep belief network ``[D, H_1, ..., H_L]``: L - 1 directed sigmoid layers under a top RBM.

    The lecture's joint probability (three hidden layers; ``v = h_0``)::

        p(v, h1, h2, h3 | theta) = prod_i Ber(v_i | sigm(h1^T w_1i + b_0i))
                                 * prod_j Ber(h1_j | sigm(h2^T w_2j + b_1j))
                                 * exp(sum_kl h2_k h3_l w_3kl + b_2^T h2 + a^T h3) / z(theta)

    the top two layers an undirected RBM (with ``labels``, C softmax label units join ``h2`` as
    its visible units), the layers below a directed sigmoid belief net (the generative
    weights ``G_l`` (H_l, H_{l-1}), biases ``g_l``). Training (Hinton, Osindero & Teh 2006):

    1. **Greedy pretraining**, "stack by stack": RBM l is trained by CD (``neuralzoo.fit``,
       one stage ``rbm<l>`` each) on ``p(h_{l-1} | h_{l-2})`` of the data; its weights serve
       both ways: recognition ``p(h_l = 1 | h_{l-1}) = sigm(a_l + h_{l-1}^T W_l)`` and
       generation ``G_l = W_l^T``, ``g_l = b_l``.
    2. **Fine-tuning** (stage ``backprop`` or ``updown``): (a) the recognition pass becomes an
       MLP (``to_mlp``: the sigmoid layers with the weights copied, plus a softmax layer) trained
       by back-propagation; or (b) up-down with labels (:mod:`~neuralzoo.models.dbn.updown`):
       wake-phase delta rule on ``G``, CD on the top RBM, sleep-phase delta rule on ``W``.

    Classification: the MLP after (a); otherwise with labels the top RBM's free energy
    ``p(y = c | h_{L-1}) ∝ exp(-F([h_{L-1}, e_c]))`` on the recognition pass.
    Generation (``sample``): Gibbs sampling in the top RBM (labels clamped if given), then one
    down pass through ``G``; the visible layer is shown as probabilities.

    Args:
        n_features: D, the visible units (the width of an input row, fixed by the data).
        n_classes: C, the number of classes (fixed by the data; 0: no classifier).
        hidden: hidden layer sizes H_1 .. H_L (the model's layers: [D, *hidden]).
        labels: softmax label units in the top RBM (generative classifier, up-down).
        method: each RBM's negative phase: "cd" or "pcd".
        k: Gibbs steps per pretraining update.
        finetune: "backprop" (MLP), "updown" (needs labels) or "none".
        finetune_epochs: epochs of fine-tuning.
        finetune_lr: learning rate of fine-tuning (SGD, momentum 0.9 for backprop).
        finetune_dropout: dropout of the MLP's hidden units in back-propagation.
        updown_k: CD steps in the top RBM during up-down.
        init_std: standard deviation of each RBM's initial weights.

    Attributes:
        sizes: the layer sizes ``[D, H_1, ..., H_L]``.  rbms: the L RBMs (the top one a
        :class:`LabelRBM` with ``labels``).  gen_W[l] (H_{l+1}, H_l), gen_b[l] (H_l,): generative
        weights of the directed layers (copies of ``W^T, b`` after pretraining).  mlp: the
        fine-tuned network ``[D, H_1, ..., H_L, C]`` (C > 0).  phase: 0 untrained, 1 pretrained,
        2 backprop- and 3 up-down-fine-tuned.

    >>> import neuralzoo as nz
    >>> X, y = nz.datasets.load("digits")
    >>> dbn = DBN(64, 10, hidden=[32, 32]).fit(X, y, epochs=2, finetune_epochs=2, progress=False)
    >>> dbn.transform(X[:3]).shape, dbn.sample(4, steps=10).shape, dbn.predict(X[:3]).shape
    (torch.Size([3, 32]), torch.Size([4, 64]), torch.Size([3]))

    References: Hinton, Osindero & Teh, "A fast learning algorithm for deep belief nets",
    Neural Comp. 2006; Hinton & Salakhutdinov, Science 2006; Bengio et al., NIPS 2007; Murphy,
    *Machine Learning: A Probabilistic Perspective* ch. 28.
    """

    registry_name = "dbn"
    sizes_hparams = ("n_features", "hidden")  # a 0.1 run's sizes=[D, *H]
    # sized for the embedded digits (the tour's): at [500, 500, 2000] and batch 100 it ended at chance
    train_defaults = {"epochs": 15, "batch_size": 20, "lr": 0.05, "optimizer": "sgd", "momentum": 0.5}

    def __init__(self, n_features: int, n_classes: int = 0, *,
                 hidden: list[int] = [100, 100, 200],  # noqa: B006 (read, never mutated)
                 labels: bool = False, method: str = "cd", k: int = 1, finetune: str = "backprop",
                 finetune_epochs: int = 30, finetune_lr: float = 0.1, finetune_dropout: float = 0.0,
                 updown_k: int = 10, init_std: float = 0.01) -> None:
        super().__init__()
        hidden = check_hidden(hidden, "hidden layer sizes, e.g. [500, 500, 2000]")
        sizes = check_sizes([n_features, *hidden], "[n_features, *hidden]")
        C = int(n_classes)
        check_choice("method", method, ("cd", "pcd"))
        check_choice("finetune", finetune, FINETUNE)
        if C < 0 or (labels and C < 2):
            raise ValueError(f"label units need n_classes >= 2, got n_classes={n_classes}")
        if finetune == "updown" and not labels:
            raise ValueError("finetune='updown' trains the label units of the top RBM: expected labels=True, got False")
        if int(finetune_epochs) < 1 or not finetune_lr > 0 or int(updown_k) < 1:
            raise ValueError(f"expected finetune_epochs >= 1, finetune_lr > 0, updown_k >= 1, got "
                             f"{finetune_epochs}, {finetune_lr}, {updown_k}")
        self.sizes = sizes  # [D, H_1, ..., H_L]
        self.n_features, self.n_classes, self.hidden, self.labels = sizes[0], C, sizes[1:], bool(labels)
        self.method, self.k, self.init_std = method, int(k), float(init_std)
        self.finetune, self.finetune_epochs, self.finetune_lr = finetune, int(finetune_epochs), float(finetune_lr)
        self.finetune_dropout, self.updown_k = float(finetune_dropout), int(updown_k)
        L = len(sizes) - 1
        opts = {"method": method, "k": self.k, "init_std": self.init_std}
        rbms: list[RBM] = [RBM(sizes[l], sizes[l + 1], **opts) for l in range(L - 1)]
        rbms.append(LabelRBM(sizes[-2], C, sizes[-1], **opts) if labels else RBM(sizes[-2], sizes[-1], **opts))
        self.rbms = nn.ModuleList(rbms)
        self.gen_W = nn.ParameterList(nn.Parameter(torch.zeros(sizes[l + 1], sizes[l])) for l in range(L - 1))
        self.gen_b = nn.ParameterList(nn.Parameter(torch.zeros(sizes[l])) for l in range(L - 1))
        self.mlp = (MLP(sizes[0], C, hidden=sizes[1:], activation="sigmoid", dropout=self.finetune_dropout)
                    if C > 0 else None)
        self.register_buffer("phase", torch.zeros((), dtype=torch.long))

    @classmethod
    def from_rbms(cls, rbms: Sequence[RBM], n_classes: int = 0, **options: Any) -> DBN:
        """A pretrained DBN from a stack of trained RBMs (their weights copied); sizes must chain."""
        if options.get("labels"):
            raise ValueError("from_rbms stacks plain RBMs: expected labels=False (train label units by fit)")
        dbn = sized_by_stack(cls, rbms, n_classes, options)
        with torch.no_grad():
            for mine, theirs in zip(dbn.rbms, rbms):
                mine.load_state_dict(theirs.state_dict())
        dbn._tie_generative()
        dbn.phase.fill_(PRETRAINED)
        dbn._fitted = True
        return dbn

    def reset_parameters(self) -> None:
        for r in self.rbms:
            r.reset_parameters()
        self._tie_generative()
        if self.mlp is not None:
            self.mlp.reset_parameters()
        self.phase.zero_()

    def _tie_generative(self) -> None:
        """``G_l = W_l^T``, ``g_l = b_l``: the directed layers as pretraining leaves them."""
        with torch.no_grad():
            for l in range(len(self.gen_W)):
                self.gen_W[l].copy_(self.rbms[l].W.T)
                self.gen_b[l].copy_(self.rbms[l].b)

    # -- the model -----------------------------------------------------------------------------

    @property
    def depth(self) -> int:
        """Number of hidden layers L."""
        return len(self.sizes) - 1

    def up(self, v: torch.Tensor) -> list[torch.Tensor]:
        """The recognition pass ``[p(h_1 | v), p(h_2 | h_1), ...]`` on probabilities (label units off)."""
        hs, h = [], v
        for l, r in enumerate(self.rbms):
            W = r.W[:self.sizes[l]]  # (H_{l-1}, H_l): the label rows of the top RBM left out
            h = torch.sigmoid(torch.addmm(r.a, h, W))
            hs.append(h)
        return hs

    def p_down(self, h: torch.Tensor, l: int) -> torch.Tensor:
        """``p(h_{l-1} = 1 | h_l) = sigm(h_l^T G_l + g_l)`` of directed layer ``l`` (1-based)."""
        return torch.sigmoid(torch.addmm(self.gen_b[l - 1], h, self.gen_W[l - 1]))

    def log_joint(self, v: torch.Tensor, hs: Sequence[torch.Tensor], y: torch.Tensor | None = None, *,
                  log_z: float | torch.Tensor | None = None) -> torch.Tensor:
        """``log p(v, h_1, ..., h_L [, y])`` of paired rows (N,): the Bernoulli terms of the directed
        layers plus ``-E_top(h_{L-1} [, y], h_L) - log z``; ``log z`` exact when not given (small tops)."""
        xs = [v, *hs]
        out = torch.zeros(len(v), dtype=torch.float64, device=v.device)
        for l in range(1, self.depth):  # log Ber(h_{l-1} | sigm(G_l h_l + g_l))
            logits = torch.addmm(self.gen_b[l - 1], xs[l], self.gen_W[l - 1])
            out = out - F.binary_cross_entropy_with_logits(logits, xs[l - 1], reduction="none").sum(1).double()
        top = self.rbms[-1]
        vis = xs[-2] if y is None else torch.cat([xs[-2], F.one_hot(y, self.n_classes).to(xs[-2])], 1)
        if log_z is None:
            log_z = self.top_log_partition()
        return out - top.energy(vis, xs[-1]).double() - torch.as_tensor(log_z, dtype=torch.float64)

    def top_log_partition(self) -> torch.Tensor:
        """Exact ``log z`` of the top RBM (float64), by enumeration; with label units only one-hot
        labels count: ``log z = log sum_h exp(a^T h) prod_i (1 + e^{b_i + (W h)_i}) sum_c e^{b_c + (W h)_c}``."""
        top = self.rbms[-1]
        if not self.labels:
            return top.log_partition(method="exact")
        P = top.n_pen
        W, b, a = (t.detach().double() for t in (top.W, top.b, top.a))
        parts = []
        for h in exact.enumerate_states(top.n_hidden, 1 << 14, device=W.device):  # (S, H)
            z = torch.addmm(b, h, W.T)  # (S, P + C)
            parts.append(torch.logsumexp(h @ a + F.softplus(z[:, :P]).sum(1) + torch.logsumexp(z[:, P:], 1), 0))
        return torch.logsumexp(torch.stack(parts), 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (N, C): the fine-tuned MLP, else the top RBM's ``-F([h_{L-1}, e_c])``."""
        if int(self.phase) == BACKPROP:
            return self.mlp(x)
        if self.labels and int(self.phase) >= PRETRAINED:
            return self.rbms[-1].label_logits(self.up(x)[-2] if self.depth > 1 else x)
        raise NotFittedError("this DBN has no classifier yet: expected label units (labels=True) or "
                             "fine-tuning (fine_tune(X, y)), got neither")

    def transform(self, X: Any, *, layer: int = -1) -> torch.Tensor:
        """Features ``p(h_layer | below)`` of the recognition pass (N, H_layer), for other classifiers;
        ``layer`` indexes the hidden layers (0: h_1, -1: the top one)."""
        v = self._check_v(X)
        with torch.no_grad():
            return self.up(v)[layer]

    def sample(self, n: int, *, steps: int = 1000, labels: Any = None,
               generator: torch.Generator | int | None = None) -> torch.Tensor:
        """``n`` samples (n, D) in [0, 1]: ``steps`` Gibbs steps in the top RBM (label units clamped
        to ``labels`` (n,) when given), then one down pass; the visible layer as probabilities.
        ``generator``: a ``torch.Generator``, an int seed or None (torch's global RNG)."""
        top, dev = self.rbms[-1], model_device(self)
        generator = as_generator(generator, dev)
        if labels is not None and not self.labels:
            raise ValueError("labels given to a DBN built without label units: expected labels=None "
                             "(or a DBN built with labels=True)")
        with torch.no_grad():
            x = bernoulli(top.data_mean.expand(int(n), top.n_visible).clone(), generator)
            if labels is not None:
                clamp = F.one_hot(check_y(labels, self.n_classes, int(n), device=dev), self.n_classes).to(x)
            for _ in range(int(steps)):
                if labels is not None:
                    x[:, -self.n_classes:] = clamp
                _, h = top.sample_h(x, generator)
                _, x = top.sample_v(h, generator)
            h = x[:, :self.sizes[-2]]
            for l in range(self.depth - 1, 0, -1):  # the directed layers, top to bottom
                p = self.p_down(h, l)
                h = p if l == 1 else bernoulli(p, generator)
            return h

    def reconstruct(self, X: Any) -> torch.Tensor:
        """Up on probabilities to ``h_{L-1}``, down through the generative weights (N, D)."""
        v = self._check_v(X)
        with torch.no_grad():
            h = self.up(v)[-2] if self.depth > 1 else self.rbms[0].p_h_given_v(v)
            if self.depth == 1:
                return self.rbms[0].p_v_given_h(h)
            for l in range(self.depth - 1, 0, -1):
                h = self.p_down(h, l)
            return h

    def log_likelihood_bound(self, X: Any, *, log_z: float | torch.Tensor | None = None, n_samples: int = 10,
                             generator: torch.Generator | int | None = None, **ais_options: Any) -> torch.Tensor:
        """Variational lower bound on ``log p(v)`` (N,) float64, nats (Salakhutdinov & Murray 2008)::

            log p(v) >= E_Q[ sum_{l<L} log p(h_{l-1} | h_l) - F_top(h_{L-1}) - log Q(h | v) ] - log z

        with ``Q(h | v) = prod_l Ber(h_l | sigm(a_l + W_l^T h_{l-1}))`` the recognition pass, estimated
        from ``n_samples`` samples of Q; ``log z`` of the top RBM by AIS (``ais_options``) unless given;
        ``generator`` (a ``torch.Generator``, an int seed or None) draws both. Without label units only
        (the RBM's AIS would count every binary label vector, not one-hot)."""
        if self.labels:
            raise ValueError("log_likelihood_bound: expected a DBN without label units, got labels=True")
        self._check_pretrained("log_likelihood_bound")
        v = self._check_v(X)
        top = self.rbms[-1]
        generator = as_generator(generator, v.device)
        if log_z is None:
            log_z = top.ais(generator=generator, **ais_options).log_z
        total = torch.zeros(len(v), dtype=torch.float64, device=v.device)
        with torch.no_grad():
            for _ in range(int(n_samples)):
                h, term = v, torch.zeros_like(total)
                for l in range(1, self.depth):
                    r = self.rbms[l - 1]
                    q_logits = torch.addmm(r.a, h, r.W)  # (N, H_l)
                    h_new = bernoulli(torch.sigmoid(q_logits), generator)
                    term += F.binary_cross_entropy_with_logits(q_logits, h_new, reduction="none").sum(1).double()
                    g_logits = torch.addmm(self.gen_b[l - 1], h_new, self.gen_W[l - 1])  # predicts h
                    term -= F.binary_cross_entropy_with_logits(g_logits, h, reduction="none").sum(1).double()
                    h = h_new
                total += term - top.free_energy(h).double()
        return total / int(n_samples) - torch.as_tensor(log_z, dtype=torch.float64)

    def evaluate(self, X: Any, y: Any = None) -> dict[str, float]:
        """Accuracy, error and cross-entropy when the DBN classifies; the reconstruction error always."""
        out = {}
        if y is not None and (int(self.phase) == BACKPROP or (self.labels and int(self.phase) >= PRETRAINED)):
            out.update(Classifier.evaluate(self, X, y))
        v = self._check_v(X)
        out["reconstruction_error"] = float(((self.reconstruct(v) - v) ** 2).mean())
        return out

    # -- training --------------------------------------------------------------------------------

    def _check_v(self, X: Any, name: str = "X") -> torch.Tensor:
        v = check_unit_interval(check_X(X, self.n_features, name=name, device=model_device(self)), name)
        return v.to(self.rbms[0].W.dtype)

    def _labels(self, y: Any, n: int) -> torch.Tensor | None:
        if y is None:
            if self.labels:
                raise ValueError("this DBN has label units: expected labels y for pretraining, got y=None")
            return None
        if not self.labels:
            raise ValueError("labels given to a DBN built without label units: expected y=None for "
                             "pretraining (or build the DBN with labels=True)")
        return check_y(y, self.n_classes, n)

    def _pretraining(self, X: Any, y: Any, cfg: TrainConfig, callbacks: Sequence[Any], *,
                     warm: bool = False) -> tuple[torch.Tensor, list[Stage]]:
        """The data and the stages ``rbm1 .. rbmL`` (:func:`~neuralzoo.models.rbm.stack.pretraining_stages`):
        RBM l drawn from ``cfg.seed + l`` and trained on ``p(h_{l-1} | below)``, computed where the
        RBM below trained; the one-hot ``y`` joins the top RBM's data. ``warm``: only stage ``rbmL``,
        the top RBM going on from its current weights."""
        data = check_unit_interval(check_X(X, self.n_features))
        y = self._labels(y, len(data))
        stages = pretraining_stages(self.rbms, cfg, seed=cfg.seed, seeding=None if warm else "layer",
                                    up=up_on_device, labels=None if y is None else F.one_hot(y, self.n_classes),
                                    callbacks=callbacks, first=self.depth - 1 if warm else 0,
                                    then=None if warm else self._pretrained)
        return data, stages

    def _pretrained(self) -> None:
        self._tie_generative()
        self.phase.fill_(PRETRAINED)
        self._fitted = True

    def pretrain(self, X: Any, y: Any = None, *, seed: int | None = None, out: str | Path | None = None,
                 resume: bool = False, callbacks: Sequence[Any] = (), **options: Any) -> list:
        """Greedy layer-wise pretraining: RBM l on ``p(h_{l-1} | below)`` of the data (stage ``rbm<l>``);
        ``y`` feeds the label units of the top RBM. Returns the stage histories."""
        cfg = self.train_config(seed=seed, **options)
        data, stages = self._pretraining(X, y, cfg, callbacks)
        fit_stages(stages, data, out=out, resume=resume)
        return [s.history for s in stages]

    def to_mlp(self, seed: int = 0) -> MLP:
        """The recognition pass as an MLP ``[D, H_1, ..., H_L, C]`` (sigmoid): layer l gets ``W_l^T``
        and ``a_l`` copied (so its hidden activations are :meth:`up`'s), the softmax layer is new,
        drawn from ``seed`` (one seed, one model)."""
        self._check_pretrained("to_mlp")
        if self.mlp is None:
            raise ValueError("to_mlp needs classes: expected a DBN built with n_classes >= 2, got 0")
        seeded_reset(self.mlp, seed)
        with torch.no_grad():
            for l, r in enumerate(self.rbms):
                self.mlp.layers[l].weight.copy_(r.W[:self.sizes[l]].T)
                self.mlp.layers[l].bias.copy_(r.a)
        return self.mlp

    def _check_pretrained(self, what: str) -> None:
        if int(self.phase) < PRETRAINED:
            raise NotFittedError(f"{what} asked before pretraining: call pretrain(X) (or fit) first")

    def _tune_method(self, method: str | None) -> str:
        method = method or (self.finetune if self.finetune != "none" else "backprop")
        check_choice("method", method, ("backprop", "updown"))
        return method

    def fine_tune(self, X: Any, y: Any, *, method: str | None = None, epochs: int | None = None,
                  lr: float | None = None, seed: int | None = None, out: str | Path | None = None,
                  resume: bool = False, batch_size: int | None = None, val_data: Any = None,
                  **options: Any) -> History:
        """Fine-tune for classification, stage ``backprop`` (MLP, SGD momentum 0.9) or ``updown``
        (:mod:`~neuralzoo.models.dbn.updown`); ``val_data`` (X, y) adds ``val_loss``/``val_acc``
        per epoch. Returns the stage history."""
        method = self._tune_method(method)
        self._check_pretrained("fine-tuning")
        stage = fine_tuning_stage(self, X, y, method=method, epochs=epochs, lr=lr, seed=seed, batch_size=batch_size,
                                  val_data=val_data, **options)
        fit_stages([stage], None, out=out, resume=resume)
        return stage.history

    @takes_fit_options
    def fit(self, X: Any, y: Any, opts: FitOptions, *, finetune_epochs: int | None = None) -> DBN:
        """Pretrain, then fine-tune as built (``finetune``) when ``y`` is given; returns ``self``.

        The options of :meth:`Trainable.fit`. Its train options (``epochs``, ``lr``, ... and further
        :class:`TrainConfig` fields) are the pretraining's, as for :meth:`RBM.fit`; the fine-tuning
        takes ``finetune_epochs`` and ``finetune_lr`` and carries over ``batch_size``, ``device``,
        ``weight_decay``, ``progress`` and ``seed``. ``val_data`` (X, y): validation data of the
        fine-tuning (``val_loss``, ``val_acc`` per epoch). ``callbacks``: every stage's. With ``out``
        each stage checkpoints in ``out/stages/<stage>`` and the run folder gets the whole model and
        the joined history; a folder holding a run is refused unless ``resume`` or ``overwrite``.
        ``warm_start``: keep the current weights (a pretrained DBN): no pretraining, only the final
        stage goes on — the fine-tuning given ``y`` (a fine-tuned MLP as it is), else the top RBM.
        """
        cfg = opts.config(self)
        tune = y is not None and self.finetune != "none" and self.n_classes >= 2
        if opts.val_data is not None and not tune:
            raise ValueError("val_data is the fine-tuning's: expected labels y and finetune != 'none', got "
                             f"y={'None' if y is None else 'given'}, finetune={self.finetune!r}")
        if opts.warm_start:
            self._check_pretrained("warm_start")
        data, stages = None, []
        if not (opts.warm_start and tune):
            data, stages = self._pretraining(X, y if self.labels else None, cfg, opts.callbacks,
                                             warm=opts.warm_start)
        if tune:
            ft = {k: opts.train[k] for k in ("batch_size", "device", "weight_decay") if k in opts.train}
            stages.append(fine_tuning_stage(self, X, y, method=self._tune_method(None), epochs=finetune_epochs,
                                            seed=opts.seed, progress=opts.progress, val_data=opts.val_data,
                                            warm=opts.warm_start, callbacks=opts.callbacks, **ft))
        self.history_ = fit_stages(stages, data, model=self, config=cfg, out=opts.out, resume=opts.resume,
                                   overwrite=opts.overwrite,
                                   run_info={**(opts.run_info or {}), "train_config": to_dict(cfg)})
        self._fitted = True
        return self

    def extra_repr(self) -> str:
        return (f"sizes={self.sizes}, n_classes={self.n_classes}, labels={self.labels}, "
                f"finetune={self.finetune!r}, params={count_parameters(self):,}")


__all__ = ["DBN", "LabelRBM", "check_chain", "check_sizes"]
