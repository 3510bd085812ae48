"""Deep Boltzmann machine (深度玻尔兹曼机): every layer connected to the next by undirected weights.

Unlike the DBN, the whole network is one Markov random field: a hidden layer hears the
layer below and the layer above, the posterior over the hidden units is intractable, and
learning (Salakhutdinov & Hinton 2009) pairs a mean-field approximation of the
data-dependent statistics with persistent Gibbs chains for the model's statistics.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..._checks import check_hidden, check_sizes, check_unit_interval, check_X, check_y
from ...config import to_dict
from ...energy import dbm_ais, dbm_exact
from ...energy.ais import AISResult, base_rate_biases
from ...energy.sampling import as_generator, bernoulli, visible_batch
from ...train import History
from ...train.stages import Stage, fit_stages
from ..base import (
    Classifier,
    NotFittedError,
    Trainable,
    count_parameters,
    model_device,
)
from ..fit_options import FitOptions, takes_fit_options
from ..rbm.bernoulli import RBM
from ..rbm.stack import sized_by_stack
from .finetune import MeanFieldClassifier, check_dropout, fine_tuning_stage
from .pretrain import FINETUNED, PRETRAINED, TRAINED, compose, pretraining

EXACT_EVAL_UNITS = 20  # evaluate() adds the exact log-likelihood when log Z needs <= 2^20 states


class DBM(Trainable, Classifier, nn.Module):
    r"""Deep Boltzmann machine ``[D, H_1, ..., H_L]`` with binary units (L = 2 or 3 in the papers).

    The lecture's joint probability (three hidden layers; ``b``, ``a_l`` the biases we add)::

        p(v, h1, h2, h3 | theta) = exp(sum_ij v_i h1_j w_1ij) exp(sum_jk h1_j h2_k w_2jk)
                                   exp(sum_kl h2_k h3_l w_3kl) exp(b^T v + sum_l a_l^T h_l) / z(theta)
        E(v, h) = -v^T W_1 h1 - h1^T W_2 h2 - h2^T W_3 h3 - b^T v - sum_l a_l^T h_l

    Conditionals: ``p(h_l = 1 | rest) = sigm(a_l + W_l^T h_{l-1} + W_{l+1} h_{l+1})`` (``h_0 = v``).

    **Mean-field** (data-dependent statistics): ``q(h | v) = prod Ber(mu)``, iterate the fixed-point
    equations ``mu_l = sigm(a_l + W_l^T mu_{l-1} + W_{l+1} mu_{l+1})`` (odd layers, then even ones)
    from a bottom-up pass with doubled weights until the largest change is below ``mf_tol`` or
    ``mf_steps`` sweeps. It maximises the variational lower bound
    ``log p(v) >= sum_h q(h|v) (-E(v, h)) + H(q) - log Z``.

    **Learning** (SH09): the surrogate ``loss = mean_n E(v_n, mu_n) - mean_m E(x_m)`` with the
    ``M`` persistent fantasy particles ``x_m`` advanced ``k`` block-Gibbs sweeps per update
    (odd layers given even, then even given odd), everything detached: ``-d loss/d W_l =
    <h_{l-1} h_l^T>_q - <h_{l-1} h_l^T>_model``. Sparsity ``cost * sum_j (q - mean_n mu_lj)^2`` per
    hidden layer; momentum, weight decay and LR decay are the trainer's.

    **Pretraining** (stages ``rbm1..rbmL``): RBMs with doubled weights
    (:mod:`~neuralzoo.models.dbm.pretrain`); then stage ``dbm`` (joint training) and, with
    labels, stage ``finetune``: :class:`MeanFieldClassifier` on ``[v, q(h_2 | v)]``
    (:mod:`~neuralzoo.models.dbm.finetune`; ``finetune_dropout = (p_in, p_hidden)`` adds dropout).

    Args:
        n_features: D, the visible units (the width of an input row, fixed by the data).
        n_classes: C, the number of classes (fixed by the data; 0: no classifier).
        hidden: hidden layer sizes H_1 .. H_L (the model's layers: [D, *hidden]).
        n_chains: persistent fantasy particles M.
        k: Gibbs sweeps of the particles per update.
        mf_steps: most mean-field sweeps per batch.
        mf_tol: the mean field stops when the largest change is below this.
        sparsity_target: target mean activation of each hidden layer (None: no penalty).
        sparsity_cost: weight of the sparsity penalty.
        pretrain_epochs: epochs of each doubled-weight RBM.
        pretrain_lr: learning rate of the doubled-weight RBMs (SGD, momentum 0.5).
        finetune_epochs: epochs of the mean-field classifier (0: none).
        finetune_lr: learning rate of the mean-field classifier (SGD, momentum 0.9).
        finetune_dropout: dropout (p_in, p_hidden) of the mean-field classifier's input and hidden units.
        dynamic_binarization: X as probabilities, each batch drawn afresh (v ~ Bernoulli(X)).
        init_std: standard deviation of the initial weights (of the DBM and its pretraining RBMs).

    Attributes:
        sizes: the layer sizes ``[D, H_1, ..., H_L]`` (n_0 = D, n_l = H_l).
        W[l] (n_l, n_{l+1}): weights.  bias[0] = b (D,), bias[l] = a_l (H_l,).  chains{l} (M, n_l):
        fantasy particles.  data_mean (D,): training marginals (AIS base rates).  head: the
        fine-tuned classifier.  phase: 0 untrained, 1 pretrained, 2 trained, 3 fine-tuned.

    >>> import neuralzoo as nz
    >>> X, y = nz.datasets.load("digits", binarize="threshold")
    >>> dbm = DBM(64, 10, hidden=[20, 10], pretrain_epochs=1, finetune_epochs=1)
    >>> dbm = dbm.fit(X, y, epochs=1, progress=False)
    >>> [m.shape for m in dbm.mean_field(X[:3])], dbm.predict(X[:3]).shape
    ([torch.Size([3, 20]), torch.Size([3, 10])], torch.Size([3]))

    References: Salakhutdinov & Hinton, "Deep Boltzmann machines", AISTATS 2009; Salakhutdinov
    & Hinton, Neural Comp. 2012; Salakhutdinov & Murray, ICML 2008 (AIS); Murphy ch. 28.
    """

    registry_name = "dbm"
    sizes_hparams = ("n_features", "hidden")  # a 0.1 run's sizes=[D, *H]
    data_defaults = {"binarize": "threshold"}
    train_defaults = {"epochs": 15, "batch_size": 20, "lr": 0.005, "optimizer": "sgd", "momentum": 0.9,
                      "lr_schedule": "cosine"}

    def __init__(self, n_features: int, n_classes: int = 0, *,
                 hidden: list[int] = [100, 100],  # noqa: B006 (read, never mutated)
                 n_chains: int = 100, k: int = 5, mf_steps: int = 10, mf_tol: float = 1e-4,
                 sparsity_target: float | None = None, sparsity_cost: float = 0.0, pretrain_epochs: int = 15,
                 pretrain_lr: float = 0.05, finetune_epochs: int = 30, finetune_lr: float = 0.1,
                 finetune_dropout: Sequence[float] = (0.0, 0.0), dynamic_binarization: bool = False,
                 init_std: float = 0.01) -> None:
        super().__init__()
        hidden = check_hidden(hidden, "hidden layer sizes, e.g. [500, 1000]")
        sizes = check_sizes([n_features, *hidden], "[n_features, *hidden]")
        C = int(n_classes)
        if C < 0 or min(int(n_chains), int(k), int(mf_steps), int(pretrain_epochs)) < 1 or int(finetune_epochs) < 0:
            raise ValueError(f"expected n_classes >= 0, n_chains, k, mf_steps, pretrain_epochs >= 1 and "
                             f"finetune_epochs >= 0, got {n_classes}, {n_chains}, {k}, {mf_steps}, "
                             f"{pretrain_epochs}, {finetune_epochs}")
        if sparsity_target is not None and not 0 < sparsity_target < 1:
            raise ValueError(f"sparsity_target must lie in (0, 1), got {sparsity_target}")
        if not (mf_tol >= 0 and sparsity_cost >= 0 and pretrain_lr > 0 and finetune_lr > 0 and init_std >= 0):
            raise ValueError(f"expected mf_tol, sparsity_cost, init_std >= 0 and learning rates > 0, got "
                             f"{mf_tol}, {sparsity_cost}, {init_std}, {pretrain_lr}, {finetune_lr}")
        self.sizes = sizes  # [D, H_1, ..., H_L]
        self.n_features, self.n_classes, self.hidden = sizes[0], C, sizes[1:]
        self.n_chains, self.k, self.mf_steps, self.mf_tol = int(n_chains), int(k), int(mf_steps), float(mf_tol)
        self.sparsity_target = None if sparsity_target is None else float(sparsity_target)
        self.sparsity_cost = float(sparsity_cost)
        self.pretrain_epochs, self.pretrain_lr = int(pretrain_epochs), float(pretrain_lr)
        self.finetune_epochs, self.finetune_lr, self.init_std = int(finetune_epochs), float(finetune_lr), float(init_std)
        self.dynamic_binarization, self.finetune_dropout = bool(dynamic_binarization), check_dropout(finetune_dropout)
        L = len(sizes) - 1
        self.W = nn.ParameterList(nn.Parameter(torch.zeros(sizes[l], sizes[l + 1])) for l in range(L))
        self.bias = nn.ParameterList(nn.Parameter(torch.zeros(n)) for n in sizes)
        for l, n in enumerate(sizes):
            self.register_buffer(f"chains{l}", torch.zeros(self.n_chains, n))  # (M, n_l)
        self.register_buffer("data_mean", torch.full((sizes[0],), 0.5))  # (D,)
        self.register_buffer("phase", torch.zeros((), dtype=torch.long))
        self.head = MeanFieldClassifier(sizes, C, self.finetune_dropout) if C > 0 else None
        self.reset_parameters()

    @classmethod
    def from_rbms(cls, rbms: Sequence[RBM], n_classes: int = 0, *, seed: int = 0, **options: Any) -> DBM:
        """A DBM composed of a stack of (doubled-weight) RBMs; sizes must chain. Middle biases average
        the two RBMs' biases of that layer; ``seed`` draws the fantasy particles."""
        dbm = sized_by_stack(cls, rbms, n_classes, options)
        dbm._compose(list(rbms), seed)
        return dbm

    def reset_parameters(self) -> None:
        with torch.no_grad():
            for W in self.W:
                W.normal_(0.0, self.init_std)
            for c in self.bias:
                c.zero_()
            self._reset_chains()
        if self.head is not None:
            for layer in self.head.layers:
                layer.reset_parameters()
        self.phase.zero_()

    def _start_states(self, n: int, generator: torch.Generator | None = None) -> list[torch.Tensor]:
        """``n`` states of every layer: the visible units from the data marginals, hidden ones fair coins."""
        p_on = [self.data_mean, *(self.data_mean.new_full((h,), 0.5) for h in self.sizes[1:])]  # model's dtype
        return [bernoulli(p.expand(n, len(p)).clone(), generator) for p in p_on]

    def _reset_chains(self, generator: torch.Generator | None = None) -> None:
        with torch.no_grad():
            for l, x in enumerate(self._start_states(self.n_chains, generator)):
                self.chains(l).copy_(x)

    def chains(self, l: int) -> torch.Tensor:
        """The fantasy particles of layer ``l`` (M, n_l)."""
        return getattr(self, f"chains{l}")

    @property
    def depth(self) -> int:
        """Number of hidden layers L."""
        return len(self.sizes) - 1

    # -- the model -----------------------------------------------------------------------------

    def energy(self, xs: Sequence[torch.Tensor]) -> torch.Tensor:
        """``E(v, h_1, ..., h_L)`` of paired rows ``xs[l]`` (N, n_l) -> (N,)."""
        return dbm_exact.dbm_energy(list(self.W), list(self.bias), xs)

    def layer_input(self, xs: Sequence[torch.Tensor | None], l: int) -> torch.Tensor:
        """``a_l + W_l^T x_{l-1} + W_{l+1} x_{l+1}`` (N, n_l): the input of layer ``l`` from its neighbours."""
        return dbm_exact.layer_input(list(self.W), list(self.bias), xs, l)

    def mean_field(self, X: Any, *, steps: int | None = None, tol: float | None = None,
                   trace: list[float] | None = None) -> list[torch.Tensor]:
        """Mean-field posteriors ``[mu_1, ..., mu_L]`` (each (N, H_l)) of the visible rows ``X``.

        1. start: bottom-up, doubled weights where a layer above exists, ``mu_l = sigm(a_l + 2 W_l^T mu_{l-1})``;
        2. sweep odd layers, then even ones, ``mu_l = sigm(a_l + W_l^T mu_{l-1} + W_{l+1} mu_{l+1})``, until
           ``max |change| < tol`` or ``steps`` sweeps; ``trace`` (a list) receives the change of every sweep.
        """
        return self._mean_field(self._check(X), steps, tol, trace)

    def _mean_field(self, v: torch.Tensor, steps: int | None = None, tol: float | None = None,
                    trace: list[float] | None = None) -> list[torch.Tensor]:
        steps = self.mf_steps if steps is None else int(steps)
        tol = self.mf_tol if tol is None else float(tol)
        L = self.depth
        with torch.no_grad():
            bottom = torch.addmm(self.bias[1], v, self.W[0])  # (N, H_1): a_1 + W_1^T v, fixed
            xs: list[torch.Tensor] = [v, torch.sigmoid(bottom + (bottom - self.bias[1] if L > 1 else 0.0))]
            for l in range(2, L + 1):
                xs.append(torch.sigmoid(torch.addmm(self.bias[l], xs[-1], self.W[l - 1], alpha=2.0 if l < L else 1.0)))
            for _ in range(steps):
                change = 0.0
                for parity in (1, 0):
                    for l in range(2 - parity, L + 1, 2):
                        if l == 1:
                            z = bottom if L == 1 else torch.addmm(bottom, xs[2], self.W[1].T)
                        else:
                            z = self.layer_input(xs, l)
                        new = torch.sigmoid(z)
                        change = max(change, float((new - xs[l]).abs().max())) if tol > 0 or trace is not None else 0.0
                        xs[l] = new
                if trace is not None:
                    trace.append(change)
                if tol > 0 and change < tol:
                    break
        return xs[1:]

    def gibbs_sweep(self, xs: list[torch.Tensor], steps: int = 1,
                    generator: torch.Generator | int | None = None) -> list[torch.Tensor]:
        """``steps`` block-Gibbs sweeps of states ``xs`` (v, h_1, ..., h_L): odd layers, then even ones."""
        xs = list(xs)
        generator = as_generator(generator, xs[0].device)
        with torch.no_grad():
            for _ in range(steps):
                for parity in (1, 0):
                    for l in range(parity, self.depth + 1, 2):
                        xs[l] = bernoulli(torch.sigmoid(self.layer_input(xs, l)), generator)
        return xs

    def sample(self, n: int, *, steps: int = 1000, generator: torch.Generator | int | None = None) -> torch.Tensor:
        """``n`` visible samples (n, D), ``p(v | h_1)`` after ``steps`` Gibbs sweeps from the data marginals;
        ``generator``: a ``torch.Generator``, an int seed or None (torch's global RNG)."""
        generator = as_generator(generator, model_device(self))
        xs = self.gibbs_sweep(self._start_states(int(n), generator), int(steps), generator)
        with torch.no_grad():
            return torch.sigmoid(self.layer_input(xs, 0))

    def fantasy_particles(self) -> torch.Tensor:
        """``p(v | h_1)`` of the persistent chains (M, D): what the model believes during training."""
        with torch.no_grad():
            return torch.sigmoid(self.layer_input([self.chains(l) for l in range(self.depth + 1)], 0))

    def transform(self, X: Any) -> torch.Tensor:
        """Features: the mean-field posteriors of all hidden layers, concatenated (N, sum H_l)."""
        return torch.cat(self.mean_field(self._check(X)), 1)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """Class logits (N, C) of the fine-tuned mean-field classifier."""
        if int(self.phase) < FINETUNED:
            raise NotFittedError("this DBM has no classifier yet: expected fine-tuning with labels "
                                 "(fit(X, y) with n_classes >= 2 and finetune_epochs >= 1)")
        return self.head(self._classifier_input(v))

    def _classifier_input(self, v: torch.Tensor) -> torch.Tensor:
        return torch.cat([v, self._mean_field(v)[1]], 1) if self.depth >= 2 else v

    # -- likelihoods -----------------------------------------------------------------------------

    def _params(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        return [W.detach() for W in self.W], [c.detach() for c in self.bias]

    def log_partition(self, method: str = "exact", **options: Any) -> torch.Tensor:
        """``log Z`` (float64 scalar): ``"exact"`` enumerates one parity of layers (small DBMs);
        ``"ais"`` the estimate of :meth:`ais`."""
        if method == "exact":
            return dbm_exact.dbm_log_partition(*self._params(), **options)
        if method == "ais":
            return torch.tensor(self.ais(**options).log_z, dtype=torch.float64)
        raise ValueError(f"method: expected 'exact' or 'ais', got {method!r}")

    def ais(self, *, betas: torch.Tensor | None = None, n_runs: int = 100, data: Any = None,
            generator: torch.Generator | int | None = None) -> AISResult:
        """AIS estimate of ``log Z`` with its +-3 std interval (:mod:`neuralzoo.energy.dbm_ais`); 20,000
        betas by default. The base model's visible rates come from ``data`` (default: the training
        marginals), those of h2 (h4, ...) from the fantasy particles, the model's own samples;
        ``generator``: a ``torch.Generator``, an int seed or None (torch's global RNG)."""
        generator = as_generator(generator, self.data_mean.device)
        b_base = base_rate_biases(self.data_mean[None] if data is None else self._check(data, "data"))
        h_base = [base_rate_biases(self.chains(l)) for l in range(2, self.depth + 1, 2)]
        Ws, cs = self._params()
        return dbm_ais.dbm_ais_log_partition(Ws, cs, b_base=b_base, h_base=h_base, betas=betas, n_runs=n_runs,
                                             generator=generator)

    def lower_bound(self, X: Any, log_z: float | torch.Tensor, *, check: bool = True) -> torch.Tensor:
        """The variational bound ``sum_h q(h|v)(-E(v, h)) + H(q) - log Z <= log p(v)`` (N,) float64, with
        ``q`` the mean-field posterior (factorised, so ``E_q[-E]`` is ``-E(v, mu)``). As ``E_q[-E] + H(q)
        <= log p~(v) <= log Z``, a bound above 0 proves ``log Z`` too low: warns unless ``check=False``."""
        v = self._check(X)
        mu = self.mean_field(v)
        with torch.no_grad():
            ent = sum(-(m * torch.log(m.clamp_min(1e-12)) + (1 - m) * torch.log((1 - m).clamp_min(1e-12))).sum(1)
                      for m in mu)
            bound = (-self.energy([v, *mu]) + ent).double() - torch.as_tensor(log_z, dtype=torch.float64)
        if check and len(bound) and float(bound.max()) > 0:  # log Z >= the largest unnormalised bound
            warnings.warn(f"log Z = {float(log_z):.2f} is below {float(bound.max()) + float(log_z):.2f}, which it "
                          "cannot be: the estimate missed the model's modes; no bound", RuntimeWarning, stacklevel=2)
        return bound

    def log_likelihood(self, X: Any, *, method: str | None = None, log_z: float | torch.Tensor | None = None,
                       **options: Any) -> torch.Tensor:
        """``log p(v)`` in nats (N,) float64. ``method="exact"`` (default without ``log_z``) enumerates
        the even hidden layers and ``log Z``; ``"bound"`` (default with ``log_z``) is
        :meth:`lower_bound` with ``log Z`` given or estimated by AIS (options as :meth:`ais`)."""
        method = method or ("exact" if log_z is None else "bound")
        v = self._check(X)
        if method == "exact":
            if log_z is None:
                log_z = self.log_partition("exact")
            return dbm_exact.dbm_log_unnormalized(*self._params(), v) - torch.as_tensor(log_z, dtype=torch.float64)
        if method != "bound":
            raise ValueError(f"method: expected 'exact' or 'bound', got {method!r}")
        if log_z is None:
            log_z = self.ais(**options).log_z
        return self.lower_bound(v, log_z)

    def _exact_ok(self) -> bool:
        even = sum(self.sizes[l] for l in range(0, self.depth + 1, 2))
        odd = sum(self.sizes[l] for l in range(1, self.depth + 1, 2))
        return min(even, odd) <= EXACT_EVAL_UNITS and sum(self.sizes[l] for l in range(2, self.depth + 1, 2)) <= 16

    def reconstruction_error(self, X: Any) -> float:
        """Mean squared error per pixel between ``v`` and ``p(v | h_1 = mu_1)``."""
        v = self._check(X)
        mu1 = self.mean_field(v)[0]
        with torch.no_grad():
            return float(((torch.sigmoid(torch.addmm(self.bias[0], mu1, self.W[0].T)) - v) ** 2).mean())

    def evaluate(self, X: Any, y: Any = None) -> dict[str, float]:
        """Accuracy, error and cross-entropy once fine-tuned; the reconstruction error; the exact mean
        ``log_likelihood`` and its mean-field ``lower_bound`` (nats) for small DBMs."""
        out = Classifier.evaluate(self, X, y) if y is not None and int(self.phase) == FINETUNED else {}
        v = self._check(X)
        out["reconstruction_error"] = self.reconstruction_error(v)
        if self._exact_ok():
            log_z = self.log_partition("exact")
            out["log_likelihood"] = float(self.log_likelihood(v, log_z=log_z, method="exact").mean())
            out["lower_bound"] = float(self.lower_bound(v, log_z).mean())
        return out

    # -- learning --------------------------------------------------------------------------------

    def _check(self, X: Any, name: str = "X") -> torch.Tensor:
        X = check_unit_interval(check_X(X, self.n_features, name=name, device=model_device(self)), name)
        return X.to(self.W[0].dtype)

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """``mean E(v, mu) - mean E(fantasy)`` (+ sparsity): see the class docstring."""
        v = visible_batch(batch[0], self.dynamic_binarization)
        # 1. data-dependent statistics: the mean-field posteriors of the batch
        data = [v, *self._mean_field(v)]
        # 2. model statistics: k Gibbs sweeps of the persistent fantasy particles
        with torch.no_grad():
            model = self.gibbs_sweep([self.chains(l) for l in range(self.depth + 1)], self.k)
            for l, x in enumerate(model):
                self.chains(l).copy_(x)
        # 3. the surrogate: -d/dW_l = <h_{l-1} h_l^T>_data - <h_{l-1} h_l^T>_model
        loss = self.energy(data).mean() - self.energy(model).mean()
        if self.sparsity_target is not None and self.sparsity_cost > 0:
            for l in range(1, self.depth + 1):
                q = torch.sigmoid(self.layer_input(data, l)).mean(0)  # (H_l,) with a gradient
                loss = loss + self.sparsity_cost * ((self.sparsity_target - q) ** 2).sum()
        return loss

    def _compose(self, rbms: list[RBM], seed: int) -> None:
        compose(self, rbms, seed)

    def pretrain(self, X: Any, *, seed: int | None = None, out: str | Path | None = None,
                 resume: bool = False, progress: bool | None = None, device: str | None = None,
                 batch_size: int | None = None) -> list:
        """Greedy pretraining with doubled weights, stages ``rbm1..rbmL`` (``pretrain_epochs``,
        ``pretrain_lr``, SGD momentum 0.5, the given batch size); returns their histories."""
        data = self._check(X).cpu()
        stages = pretraining(self, seed=seed, progress=progress, device=device, batch_size=batch_size)
        fit_stages(stages, data, out=out, resume=resume)
        return [s.history for s in stages]

    @takes_fit_options
    def fit(self, X: Any, y: Any, opts: FitOptions) -> DBM:
        """Pretrain, train jointly (stage ``dbm``: ``epochs``, ``lr`` ... of the train config), and with
        labels fine-tune the mean-field classifier (stage ``finetune``, ``val_data`` (X, y) its
        validation data); both carry over ``seed``, ``progress``, ``device``, ``batch_size``. Returns
        ``self``. The options of :meth:`Trainable.fit`; ``callbacks``, ``out``, ``resume``,
        ``overwrite`` as for :meth:`DBN.fit`; ``warm_start``: keep the current weights and fantasy
        particles: no pretraining, only the final stage goes on (the fine-tuning given labels, a
        fine-tuned classifier as it is; else ``dbm``)."""
        cfg = opts.config(self)
        v = self._check(X).cpu()
        if y is not None and self.n_classes == 0:
            raise ValueError("labels given to a DBM built without classes: expected y=None (or a DBM built "
                             "with n_classes >= 2)")
        yv = None if y is None else check_y(y, self.n_classes, len(v))
        tune = yv is not None and self.head is not None and self.finetune_epochs > 0
        if opts.val_data is not None and not tune:
            raise ValueError("val_data is the fine-tuning's: expected labels y and finetune_epochs >= 1, got "
                             f"y={'None' if y is None else 'given'}, finetune_epochs={self.finetune_epochs}")
        warm = opts.warm_start
        if warm and int(self.phase) < (TRAINED if tune else PRETRAINED):
            raise NotFittedError("warm_start asked before training: call fit(X) (pretraining and joint "
                                 "training) first")
        carried = {"seed": cfg.seed, "progress": cfg.progress, "device": cfg.device, "batch_size": cfg.batch_size}
        stages = [] if warm else pretraining(self, **carried)
        if not (warm and tune):  # joint training: mean field + persistent chains
            stages.append(Stage("dbm", self, cfg, make_input=lambda _: v, end=lambda: self.phase.fill_(TRAINED),
                                callbacks=opts.callbacks))
        if tune:
            stages.append(fine_tuning_stage(self, v, yv, val_data=opts.val_data, warm=warm,
                                            callbacks=opts.callbacks, **carried))
        self.history_ = fit_stages(stages, v, model=self, config=cfg, out=opts.out, resume=opts.resume,
                                   overwrite=opts.overwrite,
                                   run_info={**(opts.run_info or {}), "train_config": to_dict(cfg)})
        self._fitted = True
        return self

    def fine_tune(self, X: Any, y: Any, *, epochs: int | None = None, lr: float | None = None,
                  seed: int | None = None, out: str | Path | None = None, resume: bool = False,
                  val_data: Any = None, **options: Any) -> History:
        """Stage ``finetune``: :class:`MeanFieldClassifier` initialised from the DBM, trained by
        back-propagation on ``[v, q(h_2 | v)]`` (the mean field computed once, as in SH09), with
        the dropout of ``finetune_dropout`` (none by default); ``val_data`` (X, y) adds
        ``val_loss``/``val_acc`` per epoch. Returns the stage history."""
        if int(self.phase) < TRAINED:
            raise NotFittedError("fine-tuning asked before pretraining: call fit(X) (pretraining and "
                                 "joint training) first")
        if self.head is None:
            raise ValueError("fine-tuning needs classes: expected a DBM built with n_classes >= 2, got 0")
        stage = fine_tuning_stage(self, X, y, epochs=epochs, lr=lr, seed=seed, val_data=val_data, **options)
        fit_stages([stage], None, out=out, resume=resume)
        return stage.history

    def extra_repr(self) -> str:
        return (f"sizes={self.sizes}, n_classes={self.n_classes}, n_chains={self.n_chains}, k={self.k}, "
                f"mf_steps={self.mf_steps}, params={count_parameters(self):,}")


__all__ = ["DBM", "MeanFieldClassifier"]
