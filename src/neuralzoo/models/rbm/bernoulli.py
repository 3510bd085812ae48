"""Restricted Boltzmann machine (受限玻尔兹曼机): a Boltzmann machine with a bipartite graph.

Visible units ``v`` and hidden units ``h`` are connected only across the two layers, so
given one layer the units of the other are conditionally independent (条件独立): the
conditionals are one matrix product and a sigmoid, ``p(v)`` has a closed-form free energy,
and learning needs no sequential Gibbs sweeps. See :class:`RBM` (binary visibles) and
:class:`~neuralzoo.models.rbm.gaussian.GaussianRBM` (real-valued visibles).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_unit_interval, check_X
from ...config import check_choice
from ...energy import ais, exact, tempering
from ...energy.sampling import as_generator, bernoulli, visible_batch
from ..base import Trainable, count_parameters, model_device, seeded_reset
from .fast import fused_loss
from .monitor import EpochMetrics, pseudo_likelihood

METHODS = ("cd", "pcd", "pt")
EXACT_EVAL_UNITS = 20  # evaluate() reports the exact log-likelihood up to 2^20 enumerated states


class RBM(Trainable, nn.Module):
    r"""Bernoulli-Bernoulli restricted Boltzmann machine, D visible and H hidden binary units.

    Energy, joint and marginal distribution (the lecture's notation; ``b`` visible, ``a``
    hidden biases)::

        E(v, h) = -sum_ij w_ij v_i h_j - sum_i b_i v_i - sum_j a_j h_j
        p(v, h) = exp(-E(v, h)) / Z,      Z = sum_{v,h} exp(-E(v, h))
        p(h_j = 1 | v) = sigmoid(a_j + sum_i w_ij v_i)
        p(v_i = 1 | h) = sigmoid(b_i + sum_j w_ij h_j)
        F(v) = -log sum_h exp(-E(v, h)) = -b^T v - sum_j softplus(a_j + (v^T W)_j)
        log p(v) = -F(v) - log Z

    Learning. ``d log p(v) / d theta = -dF(v)/d theta + E_{p(v')}[dF(v')/d theta]``, and
    ``-dF/dw_ij = v_i p(h_j = 1 | v)``. So for a batch of data ``v_n`` and samples ``v'_m`` of
    the model, the surrogate ``loss = mean_n F(v_n) - mean_m F(v'_m)`` (samples detached)
    has ``-d loss/d w_ij = <v_i p(h_j|v)>_data - <v_i p(h_j|v)>_model``, the likelihood
    gradient with the model expectation replaced by the sample mean; a gradient step on it is
    the learning rule. The methods differ only in where ``v'`` comes from:

    - ``"cd"`` (contrastive divergence, Hinton 2002): ``k`` Gibbs steps from the data;
    - ``"pcd"`` (persistent CD, Tieleman 2008): ``k`` steps continuing ``n_chains`` persistent
      chains, the buffer ``chains`` (M, D) carried by checkpoints;
    - ``"pt"`` (parallel tempering, Desjardins et al. 2010): persistent chains at
      ``n_temperatures`` inverse temperatures ``beta`` (linear from 1 to 0), each running
      ``k`` steps of ``p_beta ∝ exp(-beta E)``, then Metropolis swaps between neighbours
      (:mod:`neuralzoo.energy.tempering`); ``v'`` is the ``beta = 1`` set; ``chains`` is (T, M, D).

    Its *value* is a free-energy gap, not a likelihood: ``history_`` also logs the
    reconstruction error, the free-energy gap to validation data and (small models) the
    exact ``nll``. Momentum, weight decay and the LR schedule are the trainer's.

    Sparsity (Lee, Ekanadham & Ng 2008): ``sparsity_cost * sum_j (q - mean_n p(h_j=1|v_n))^2``
    is added for ``q = sparsity_target``, on the data phase of each batch.

    Dynamic binarisation (``dynamic_binarization``; Salakhutdinov's code, ``data > rand``): ``X``
    holds probabilities (grey levels) and every batch is drawn afresh, ``v_n ~ Bernoulli(x_n)``.

    Centering (Melchior, Fischer & Wiskott 2016): with offsets ``mu`` (D,) and ``lambda`` (H,)
    the energy is ``E = -(v - mu)^T W (h - lambda) - b^T (v - mu) - a^T (h - lambda)``.
    Expanded, it is an ordinary RBM's energy plus a constant::

        E = -v^T W h - (b - W lambda)^T v - (a - W^T mu)^T h + (b^T mu + a^T lambda - mu^T W lambda)

    so sampling, ``F``, ``log Z`` and AIS use the ordinary parameters ``(W, b - W lambda,
    a - W^T mu)`` (:meth:`ordinary_parameters`), and the surrogate differentiated through them
    gives the centered gradient ``<(v-mu)(h-lambda)^T>_data - <(v-mu)(h-lambda)^T>_model``. The
    offsets are buffers, moving averages (rate 0.01) of the data means of ``v`` and
    ``p(h|v)``; each change re-sets ``b, a`` so that the ordinary parameters (the model's
    distribution) stay the same.

    Args:
        n_features: D, the number of visible units (the width of a data row; fixed by the data).
        n_hidden: hidden units H.
        method: negative samples: "cd", "pcd" (persistent) or "pt" (parallel tempering).
        k: Gibbs steps per parameter update.
        n_chains: persistent chains M (per temperature for "pt").
        n_temperatures: rungs T of the PT ladder, beta linear from 1 to 0.
        sparsity_target: target mean hidden activation q (None: no penalty).
        sparsity_cost: weight of the sparsity penalty.
        centering: centered RBM (Melchior et al. 2016).
        init_std: standard deviation of the initial weights.
        dynamic_binarization: draw each batch afresh as v ~ Bernoulli(X).

    Attributes:
        W (D, H): weights, ``N(0, init_std^2)``.  b (D,): visible biases; ``fit`` sets them to
        ``log(p/(1-p))`` of the data means ``p`` (Hinton's guide).  a (H,): hidden biases, 0.
        chains: persistent states, (M, D) or (T, M, D) for ``"pt"``.  betas (T,): PT ladder.
        mu (D,), lam (H,): centering offsets (0 unless ``centering``).  data_mean (D,): the
        training marginals, base rates of AIS.

    Shapes: N batch, D visible, H hidden, M chains, T temperatures.

    >>> import torch, neuralzoo as nz
    >>> X, _ = nz.datasets.load("digits", binarize="threshold")
    >>> rbm = RBM(64, 16, method="pcd").fit(X, epochs=2, seed=0, progress=False)
    >>> rbm.free_energy(X[:3]).shape, rbm.transform(X[:3]).shape
    (torch.Size([3]), torch.Size([3, 16]))
    >>> bool(rbm.log_likelihood(X[:50]).mean() > -64 * 0.6931)   # beats uniform guessing (64 log 2)
    True

    References: Smolensky 1986; Hinton, "Training products of experts by minimizing
    contrastive divergence", Neural Comp. 2002; Hinton, "A practical guide to training RBMs",
    UTML TR 2010-003; Tieleman, ICML 2008; Salakhutdinov & Murray, ICML 2008 (AIS);
    Desjardins et al., AISTATS 2010 (PT); Melchior, Fischer & Wiskott, JMLR 2016 (centering).
    """

    registry_name = "rbm"
    data_defaults = {"binarize": "threshold"}
    # batch 20: digits (1,437 rows) gets 72 updates an epoch; at 100, 10 epochs stay on the plateau of the init
    train_defaults = {"epochs": 10, "batch_size": 20, "lr": 0.05, "optimizer": "sgd", "momentum": 0.5}
    renamed_hparams = {"n_visible": "n_features"}  # a 0.1 run's name
    offset_rate = 0.01  # sliding factor of the centering offsets (Melchior et al.'s nu)

    def __init__(self, n_features: int, n_hidden: int = 100, *, method: str = "cd", k: int = 1,
                 n_chains: int = 100, n_temperatures: int = 10, sparsity_target: float | None = None,
                 sparsity_cost: float = 0.0, centering: bool = False, init_std: float = 0.01,
                 dynamic_binarization: bool = False) -> None:
        super().__init__()
        D, H = int(n_features), int(n_hidden)
        if D < 1 or H < 1:
            raise ValueError(f"expected n_features >= 1 and n_hidden >= 1, got {n_features} and {n_hidden}")
        check_choice("method", method, METHODS)
        if int(k) < 1 or int(n_chains) < 1 or int(n_temperatures) < 1:
            raise ValueError(f"expected k, n_chains, n_temperatures >= 1, got {k}, {n_chains}, {n_temperatures}")
        if sparsity_target is not None and not 0 < sparsity_target < 1:
            raise ValueError(f"sparsity_target must lie in (0, 1), got {sparsity_target}")
        if not (sparsity_cost >= 0 and init_std >= 0):
            raise ValueError(f"expected sparsity_cost >= 0 and init_std >= 0, got {sparsity_cost}, {init_std}")
        self.n_features = self.n_visible = D  # n_visible: the energy code's name of D
        self.n_hidden = H
        self.method, self.k, self.n_chains, self.n_temperatures = method, int(k), int(n_chains), int(n_temperatures)
        self.sparsity_target = None if sparsity_target is None else float(sparsity_target)
        self.sparsity_cost = float(sparsity_cost)
        self.centering, self.init_std = bool(centering), float(init_std)
        self.dynamic_binarization = bool(dynamic_binarization)
        self.W = nn.Parameter(torch.zeros(D, H))  # (D, H)
        self.b = nn.Parameter(torch.zeros(D))  # (D,) visible biases
        self.a = nn.Parameter(torch.zeros(H))  # (H,) hidden biases
        T = self.n_temperatures if method == "pt" else 1
        shape = (T, self.n_chains, D) if method == "pt" else (self.n_chains, D)
        self.register_buffer("chains", torch.zeros(shape))  # (M, D) or (T, M, D)
        self.register_buffer("betas", tempering.linear_ladder(T))  # (T,)
        self.register_buffer("mu", torch.zeros(D))  # (D,) visible offset
        self.register_buffer("lam", torch.zeros(H))  # (H,) hidden offset
        self.register_buffer("data_mean", torch.full((D,), 0.5))  # (D,)
        self._parity = 0  # which neighbour pairs PT swaps next
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``W ~ N(0, init_std^2)``, zero biases; offsets ``mu = data_mean`` and ``lambda = 0.5``
        when centering; chains drawn from the data marginals (``data_mean``)."""
        with torch.no_grad():
            self.W.normal_(0.0, self.init_std)
            self.b.zero_()
            self.a.zero_()
            if self.centering:
                self.mu.copy_(self.data_mean)
                self.lam.fill_(0.5)
            self.chains.copy_(bernoulli(self.data_mean.expand_as(self.chains)))

    # -- the model -----------------------------------------------------------------------------

    def ordinary_parameters(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(W, b - W lambda, a - W^T mu)``: the plain RBM with this distribution (differentiable)."""
        if not self.centering:
            return self.W, self.b, self.a
        return self.W, self.b - self.W @ self.lam, self.a - self.mu @ self.W

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """``E(v, h)`` of paired rows (N, D), (N, H) -> (N,) (centered form when ``centering``)."""
        return exact.rbm_energy(self.W, self.b, self.a, v - self.mu, h - self.lam)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """``F(v) = -b^T v - sum_j softplus(a_j + (v^T W)_j)`` (N, D) -> (N,), ordinary parameters."""
        W, b, a = self.ordinary_parameters()
        return exact.rbm_free_energy(W, b, a, v)

    def p_h_given_v(self, v: torch.Tensor) -> torch.Tensor:
        """``p(h_j = 1 | v) = sigmoid(a_j + sum_i w_ij v_i)`` (N, D) -> (N, H)."""
        W, _, a = self.ordinary_parameters()
        return torch.sigmoid(torch.addmm(a, v, W))

    def p_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        """``p(v_i = 1 | h) = sigmoid(b_i + sum_j w_ij h_j)`` (N, H) -> (N, D)."""
        W, b, _ = self.ordinary_parameters()
        return torch.sigmoid(torch.addmm(b, h, W.T))

    def sample_h(self, v: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(p(h = 1 | v), h)``: probabilities and 0/1 states, both (N, H)."""
        p = self.p_h_given_v(v)
        return p, bernoulli(p, generator)

    def sample_v(self, h: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(p(v = 1 | h), v)``: probabilities and 0/1 states, both (N, D)."""
        p = self.p_v_given_h(h)
        return p, bernoulli(p, generator)

    def gibbs_step(self, v: torch.Tensor, steps: int = 1,
                   generator: torch.Generator | None = None) -> torch.Tensor:
        """``steps`` block-Gibbs steps ``v -> h ~ p(h|v) -> v ~ p(v|h)``; the new visible states."""
        with torch.no_grad():
            for _ in range(steps):
                _, h = self.sample_h(v, generator)
                _, v = self.sample_v(h, generator)
        return v

    def sample(self, n: int, *, steps: int = 1000, generator: torch.Generator | int | None = None,
               from_data: torch.Tensor | None = None) -> torch.Tensor:
        """``n`` visible samples (n, D) after ``steps`` Gibbs steps from the data marginals
        (or from the rows of ``from_data``, repeated to ``n``); ``generator``: a
        ``torch.Generator``, an int seed or None (torch's global RNG)."""
        device = model_device(self)
        generator = as_generator(generator, device)
        if from_data is not None:
            v0 = self._check(from_data, "from_data")
            v = v0[torch.arange(n, device=device) % len(v0)]
        else:
            v = self._chain_start(n, generator)
        return self.gibbs_step(v, steps, generator)

    def _chain_start(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        """``n`` visible states (n, D) that :meth:`sample` starts its chains from: the data marginals."""
        return bernoulli(self.data_mean.expand(n, self.n_visible), generator)

    def reconstruct(self, v: Any) -> torch.Tensor:
        """Mean-field reconstruction ``p(v | h = p(h|v))`` (N, D)."""
        v = self._check(v)
        with torch.no_grad():
            return self.p_v_given_h(self.p_h_given_v(v))

    def transform(self, v: Any) -> torch.Tensor:
        """Features ``p(h = 1 | v)`` (N, H), e.g. the input of the next layer of a DBN."""
        v = self._check(v)
        with torch.no_grad():
            return self.p_h_given_v(v)

    # -- evaluation ------------------------------------------------------------------------------

    def _exact_ok(self) -> bool:
        return min(self.n_visible, self.n_hidden) <= exact.MAX_RBM_EXACT_UNITS

    def log_partition(self, method: str = "exact", **options: Any) -> torch.Tensor:
        """``log Z`` (float64 scalar). ``"exact"`` enumerates the smaller layer (<= 30 units;
        ``dtype=torch.float32`` halves the time of large ones); ``"ais"`` returns the estimate of
        :meth:`ais` (options: ``betas``, ``n_runs``, ``data``, ``generator``)."""
        check_choice("method", method, ("exact", "ais"))
        W, b, a = (t.detach() for t in self.ordinary_parameters())
        if method == "exact":
            if "dtype" not in options and 2 ** min(W.shape) * max(W.shape) > 2**28:
                options["dtype"] = torch.float32  # large: per-state terms in float32, sums in float64
            return exact.rbm_log_partition(W, b, a, **options)
        return torch.tensor(self.ais(**options).log_z, dtype=torch.float64)

    def ais(self, *, betas: torch.Tensor | None = None, n_runs: int = 100, data: Any = None,
            reverse: bool = False, reverse_steps: int = 1000,
            generator: torch.Generator | int | None = None) -> ais.AISResult:
        """AIS estimate of ``log Z`` with its +-3 std interval (:mod:`neuralzoo.energy.ais`).

        The base-rate model takes the marginals of ``data`` (default: of the training data,
        ``data_mean``). ``betas`` defaults to the published 14,501. ``reverse`` also runs
        reverse AIS from ``n_runs`` samples of ``reverse_steps``-step Gibbs chains started at
        the training marginals (PCD/PT: the persistent chains continued) — an approximate
        upper bound beside the forward lower bound.
        """
        W, b, a = (t.detach() for t in self.ordinary_parameters())
        generator = as_generator(generator, W.device)  # one stream for the reverse chains and AIS
        if data is None:
            p = self.data_mean.double().clamp(1e-3, 1 - 1e-3)
            b_base = torch.log(p) - torch.log1p(-p)
        else:
            b_base = ais.base_rate_biases(self._check(data, "data"))
        start = None
        if reverse:
            chains = self.chains[0] if self.method == "pt" else self.chains
            init = chains if self.method != "cd" else None
            start = self.sample(n_runs, steps=reverse_steps, generator=generator, from_data=init)
        return ais.ais_log_partition(W, b, a, b_base=b_base.to(W.dtype), betas=betas, n_runs=n_runs,
                                     reverse_from=start, generator=generator)

    def log_likelihood(self, X: Any, *, method: str = "exact", log_z: float | torch.Tensor | None = None,
                       **options: Any) -> torch.Tensor:
        """``log p(v) = -F(v) - log Z`` in nats, (N, D) -> (N,) float64.

        ``method``: how ``log Z`` is found, "exact" or "ais" (``options`` go to
        :meth:`log_partition`), unless ``log_z`` is given.
        """
        v = self._check(X)
        if log_z is None:
            log_z = self.log_partition(method, **options)
        with torch.no_grad():
            return -self.free_energy(v).double() - torch.as_tensor(log_z, dtype=torch.float64)

    def pseudo_likelihood(self, X: Any, *, full: bool = False,
                          generator: torch.Generator | int | None = 0) -> torch.Tensor:
        """Log pseudo-likelihood **per feature**, ``(1/D) sum_i log p(v_i | v_-i)``, (N,) nats.

        ``log p(v_i | v_-i) = log sigmoid(F(v with bit i flipped) - F(v))``. ``full=True`` sums
        all D terms (D free energies per row); otherwise one random ``i`` per row drawn from
        ``generator`` (a ``torch.Generator``, an int seed — default 0 — or None, the global
        RNG) estimates the mean without bias. scikit-learn's
        ``BernoulliRBM.score_samples`` returns the one-bit estimate *times* D (a per-image
        figure): divide it by ``n_features`` to compare.
        """
        return pseudo_likelihood(self, self._check(X), full=full, generator=generator)

    def reconstruction_error(self, X: Any) -> float:
        """Mean squared error per visible unit between ``v`` and its mean-field reconstruction."""
        v = self._check(X)
        with torch.no_grad():  # not reconstruct(v): it would check v again
            return float(((v - self.p_v_given_h(self.p_h_given_v(v))) ** 2).mean())

    def free_energy_gap(self, X_train: Any, X_val: Any) -> float:
        """``mean F(X_val) - mean F(X_train)``: grows when the model overfits (Hinton's guide §6)."""
        with torch.no_grad():
            return float(self.free_energy(self._check(X_val)).mean() - self.free_energy(self._check(X_train)).mean())

    def metrics(self, X: torch.Tensor, y: Any = None) -> dict[str, float]:
        """Validation measures during training: mean free energy and reconstruction error."""
        return {"free_energy": float(self.free_energy(self._check(X)).mean()),
                "reconstruction_error": self.reconstruction_error(X)}

    def evaluate(self, X: Any, y: Any = None, *, generator: torch.Generator | int | None = 0) -> dict[str, float]:
        """Held-out ``pseudo_log_likelihood`` (per feature, all D flips for D <= 100, else one
        flip per row drawn from ``generator``, seed 0 by default), ``reconstruction_error``, and
        the exact mean ``log_likelihood`` (nats) when ``min(D, H) <= 20`` (AIS is offered
        separately: it takes minutes)."""
        v = self._check(X)
        pll = self.pseudo_likelihood(v, full=self.n_visible <= 100, generator=generator)
        out = {"pseudo_log_likelihood": float(pll.mean()),
               "reconstruction_error": self.reconstruction_error(v)}
        if min(self.n_visible, self.n_hidden) <= EXACT_EVAL_UNITS:
            out["log_likelihood"] = float(self.log_likelihood(v, method="exact").mean())
        return out

    # -- learning -------------------------------------------------------------------------------

    def _check(self, X: Any, name: str = "X") -> torch.Tensor:
        X = check_unit_interval(check_X(X, self.n_visible, name=name, device=model_device(self)), name)
        return X.to(self.W.dtype)

    def _model_space(self, v: torch.Tensor) -> torch.Tensor:
        """The data as the energy sees it (the identity here; GaussianRBM standardises)."""
        return v

    def _hidden_input(self, v: torch.Tensor, W: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """``a + v^T W`` (N, H): the input of the hidden units."""
        return torch.addmm(a, v, W)

    def _mean_visible_energy(self, v: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``mean_n (-b^T v_n)``: the visible part of the free energy, averaged (a scalar)."""
        return -(v.mean(0) @ b)

    def _down(self, h: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """A visible sample given ``h`` (N, H) -> (N, D), from the given parameters."""
        return bernoulli(torch.addmm(b, h, W.T).sigmoid_())

    def _negative_samples(self, h0: torch.Tensor, W: torch.Tensor, b: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """The model samples ``v'`` (M, D) of this update (no gradient)."""
        k = self.k
        if self.method == "cd":  # k steps from the data: h0 -> v1 -> h1 -> ... -> v_k
            for step in range(k):
                v = self._down(h0, W, b)
                if step < k - 1:
                    h0 = bernoulli(self._hidden_input(v, W, a).sigmoid_())  # h_{step+1}
            return v
        if self.method == "pcd":
            v = self.chains
            for _ in range(k):
                v = self._down(bernoulli(self._hidden_input(v, W, a).sigmoid_()), W, b)
            self.chains.copy_(v)
            return v
        # parallel tempering: k tempered Gibbs steps at every rung, then swaps of both parities
        X, beta = self.chains, self.betas[:, None, None]  # (T, M, D), (T, 1, 1)
        T, M, D = X.shape
        for _ in range(k):
            h = bernoulli(torch.sigmoid(beta * torch.addmm(a, X.reshape(T * M, D), W).reshape(T, M, -1)))
            X = bernoulli(torch.sigmoid(beta * torch.addmm(b, h.reshape(T * M, -1), W.T).reshape(T, M, D)))

        def log_p(x: torch.Tensor, bt: torch.Tensor) -> torch.Tensor:  # (P, M) tempered -F_beta(x)
            bt = bt[:, None]
            return bt * (x @ b) + F.softplus(bt[..., None] * (x @ W + a)).sum(-1)

        for _ in range(2):
            X, _ = tempering.swap_neighbours(X, log_p, self.betas, self._parity)
            self._parity ^= 1
        self.chains.copy_(X)
        return X[0]

    def _update_offsets(self, v0: torch.Tensor) -> None:
        """Centering: move ``mu, lambda`` towards the batch means and keep ``(W, b', a')`` fixed."""
        with torch.no_grad():
            nu = self.offset_rate
            mu = (1 - nu) * self.mu + nu * v0.mean(0)
            lam = (1 - nu) * self.lam + nu * self.p_h_given_v(v0).mean(0)
            self.b += self.W @ (lam - self.lam)  # b' = b - W lambda unchanged
            self.a += (mu - self.mu) @ self.W  # a' = a - W^T mu unchanged
            self.mu.copy_(mu)
            self.lam.copy_(lam)

    def _fused(self) -> bool:
        """Whether :meth:`loss` takes the fused CD/PCD route (plain binary RBM, no extra terms)."""
        hooks = ("_hidden_input", "_mean_visible_energy", "_down", "_negative_samples", "_model_space")
        return (self.method != "pt" and not self.centering
                and not (self.sparsity_target is not None and self.sparsity_cost > 0)
                and all(getattr(type(self), f) is getattr(RBM, f) for f in hooks))

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The surrogate ``mean F(v_data) - mean F(v_model)`` (+ sparsity); see the class docstring.

        CD and PCD of the plain RBM take a fused route with the same value and gradient
        (:func:`~neuralzoo.models.rbm.fast.fused_loss`); centering, sparsity, PT and
        subclasses the autograd one.
        """
        v0 = self._model_space(visible_batch(batch[0], self.dynamic_binarization))
        if self._fused():
            return fused_loss(self, v0)
        if self.centering:  # here, not in a batch hook: with dynamic binarisation v0 is drawn just
            self._update_offsets(v0)  # above, and a hook could only see it by drawing it twice
        W, b, a = self.ordinary_parameters()
        # 1. data phase: one GEMM gives F(v_data) (with gradient) and p(h | v_data)
        x0 = self._hidden_input(v0, W, a)  # (N, H)
        with torch.no_grad():
            p0 = torch.sigmoid(x0)
            h0 = bernoulli(p0) if self.method == "cd" else p0
            # 2. model phase: negative samples v' (no gradient flows through the chains)
            vm = self._negative_samples(h0, W.detach(), b.detach(), a.detach())
        # 3. surrogate: -d/dW = <v p(h|v)>_data - <v p(h|v)>_model; the other GEMM of F(v')
        xm = self._hidden_input(vm, W, a)  # (M, H)
        loss = (F.softplus(xm).sum() / len(vm) - F.softplus(x0).sum() / len(v0)
                + self._mean_visible_energy(v0, b) - self._mean_visible_energy(vm, b))
        if self.sparsity_target is not None and self.sparsity_cost > 0:
            q = torch.sigmoid(x0).mean(0)  # (H,) mean activation of the data phase
            loss = loss + self.sparsity_cost * ((self.sparsity_target - q) ** 2).sum()
        return loss

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor]:
        return (check_unit_interval(check_X(X, self.n_visible)),)

    def fit(self, X: Any, y: Any = None, *, method: str | None = None, k: int | None = None,
            seed: int | None = None, warm_start: bool = False, resume: bool = False,
            callbacks: Sequence[Any] = (), **options: Any) -> RBM:
        """Train by :func:`neuralzoo.fit` (``epochs=10, batch_size=20, lr=0.05``, SGD with
        momentum 0.5 unless given); returns ``self``. ``y`` is ignored. ``method`` ("cd",
        "pcd"; "pt" only if built so) and ``k`` override the constructor's. Unless
        ``warm_start``/``resume``: ``data_mean`` from ``X``, parameters re-initialised from
        ``seed``, visible biases ``log(p/(1-p))`` of the data means clipped to [1e-3, 1-1e-3]."""
        if method is not None:
            check_choice("method", method, ("cd", "pcd") if self.method != "pt" else ("pt",))
            self.method = method  # get_params (hence config.json) reads it back
        if k is not None:
            if int(k) < 1:
                raise ValueError(f"k must be >= 1, got {k}")
            self.k = int(k)
        (X,) = self._fit_data(X, y)
        if not (warm_start or resume):
            self.start_from_data(X, self.train_config(seed=seed).seed)
        return super().fit(X, seed=seed, warm_start=True, resume=resume,
                           callbacks=[EpochMetrics(self, X), *callbacks], **options)

    def start_from_data(self, X: torch.Tensor, seed: int) -> None:
        """Start of training: ``data_mean`` of ``X`` (N, D), parameters from ``seed``, ``b`` the data's log-odds."""
        with torch.no_grad():
            self.data_mean.copy_(X.mean(0).to(self.data_mean))
        seeded_reset(self, seed)
        self._init_visible_biases()

    def _init_visible_biases(self) -> None:  # a model of independent pixels to start from
        with torch.no_grad():
            self.b.copy_(torch.logit(self.data_mean, eps=1e-3))  # p clipped to [1e-3, 1 - 1e-3]

    def extra_repr(self) -> str:
        extra = f", T={self.n_temperatures}" if self.method == "pt" else ""
        extra += ", centering" if self.centering else ""
        extra += ", dynamic binarization" if self.dynamic_binarization else ""
        return (f"n_visible={self.n_visible}, n_hidden={self.n_hidden}, method={self.method!r}, k={self.k}, "
                f"n_chains={self.n_chains}{extra}, params={count_parameters(self):,}")
