"""Boltzmann machine (玻尔兹曼机): stochastic binary units, symmetric weights, hidden units.

The lecture's Boltzmann machine is a Hopfield-like feedback network (``w_ij = w_ji``,
``w_ii = 0``) whose units switch on at random with a probability set by their input and the
temperature, and which has hidden units, not connected to the outside world. It models the
distribution of its visible units and learns by the Boltzmann rule of Ackley, Hinton &
Sejnowski (1985): the clamped statistics minus the free ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .._checks import check_X
from ..config import check_choice
from ..energy import exact, gibbs
from ..energy.sampling import as_generator
from .base import Trainable, count_parameters, model_device, model_dtype, seeded_reset

METHODS = ("exact", "gibbs")


def check_binary(X: torch.Tensor, name: str = "X") -> torch.Tensor:
    """Refuse data that is not all 0 or 1 (the units are binary), naming the range found."""
    if not bool(((X == 0) | (X == 1)).all()):
        lo, hi = float(X.min()), float(X.max())
        raise ValueError(
            f"{name}: expected 0/1 data, got values in [{lo:g}, {hi:g}] that are not all 0 or 1 "
            "(binarize it first, e.g. datasets.load(..., binarize='threshold'))"
        )
    return X


def encoder_mask(n_in: int, n_hidden: int, *, hidden_lateral: bool = False) -> torch.Tensor:
    """Connectivity (n, n) of Ackley et al.'s encoder networks, units ordered ``[V1, V2, H]``.

    Each visible group (``V1`` input, ``V2`` output, ``n_in`` units each) is connected
    internally and to every hidden unit; ``V1`` and ``V2`` are not connected to each other, so
    they can only communicate through the ``n_hidden`` hidden units (the "bottleneck").
    ``hidden_lateral`` also connects the hidden units with each other. Zero diagonal.
    """
    n = 2 * n_in + n_hidden
    groups = torch.tensor([0] * n_in + [1] * n_in + [2] * n_hidden)
    same = groups[:, None] == groups[None, :]
    to_hidden = (groups[:, None] == 2) ^ (groups[None, :] == 2)
    mask = (same & (groups[:, None] < 2)) | to_hidden
    if hidden_lateral:
        mask |= same & (groups[:, None] == 2)
    mask &= ~torch.eye(n, dtype=torch.bool)
    return mask.float()  # (n, n)


def _save_M_as_mask(module: nn.Module, state_dict: dict[str, Any], prefix: str, local_metadata: Any) -> None:
    """State-dict hook: the buffer ``M`` under its neuralzoo 0.1 key ``mask``, in its place
    (``A, b, mask, chains``), so that checkpoints old and new have the same keys."""
    chains = state_dict.pop(prefix + "chains")
    state_dict[prefix + "mask"] = state_dict.pop(prefix + "M")
    state_dict[prefix + "chains"] = chains


def _load_mask_into_M(module: nn.Module, state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
    """Load-state-dict pre-hook: the key ``mask`` fills the buffer ``M`` (see :func:`_save_M_as_mask`)."""
    if prefix + "mask" in state_dict:
        state_dict[prefix + "M"] = state_dict.pop(prefix + "mask")


class _EpochMetrics:
    """Callback: an honest per-epoch measure beside the (surrogate) loss.

    With ``method="exact"`` nothing: the logged loss is already the exact ``-mean log p(v)``
    (averaged over the epoch's batches). Small machines (``n <= exact_metric_units``): the
    exact negative mean log-likelihood of the training data (``nll``, nats). Larger ones: the completion error of the second half of
    the visible units given the first (``completion_error``) on up to 256 training rows,
    by clamped Gibbs with a fixed-seed generator (the training randomness is not touched).
    """

    exact_metric_units = 20

    def __init__(self, model: BoltzmannMachine, X: torch.Tensor) -> None:
        self.model, self.X = model, X

    def on_epoch_end(self, state: Any, metrics: dict[str, Any]) -> None:
        model = self.model
        if model.method == "exact":
            return
        X = self.X.to(model_device(model))
        with torch.no_grad():
            if model.n_units <= self.exact_metric_units:
                metrics["nll"] = -float(model.log_likelihood(X).mean())
            else:
                g = torch.Generator(device=X.device).manual_seed(0)
                metrics["completion_error"] = model.completion_error(X[:256], steps=20, generator=g)


class BoltzmannMachine(Trainable, nn.Module):
    r"""General Boltzmann machine: ``n`` fully connected stochastic binary units, D visible + H hidden.

    The units ``s = (v, h)`` in {0, 1}^n (visible first, then hidden) have the energy and the
    Boltzmann distribution at temperature ``T``::

        E(s) = -1/2 s^T W s - b^T s = -sum_{i<j} w_ij s_i s_j - sum_i b_i s_i
        p(s) = exp(-E(s)/T) / Z,      Z = sum_s exp(-E(s)/T)
        p(v) = sum_h p(v, h)

    and each unit, given all the others, is on with probability (the lecture's stochastic unit)::

        p(s_i = 1 | s_rest) = sigmoid((sum_j w_ij s_j + b_i) / T)

    ``W`` is symmetric with zero diagonal *by construction*: the free parameter ``A`` (n, n)
    enters only through its strict upper triangle, ``W = (triu(A, 1) + triu(A, 1)^T) * M``,
    where ``M`` is a fixed 0/1 symmetric connectivity mask (default: all pairs; see
    :func:`encoder_mask` for Ackley et al.'s encoder, whose input and output groups meet
    only through the hidden units). A masked pair has ``w_ij = 0`` and zero gradient.

    Learning (Ackley, Hinton & Sejnowski 1985). Maximum likelihood of the data ``v``::

        d log p(v) / d w_ij = (<s_i s_j>_clamped - <s_i s_j>_free) / T
        d log p(v) / d b_i  = (<s_i>_clamped     - <s_i>_free) / T

    Derivation: ``log p(v) = log sum_h exp(-E(v,h)/T) - log Z`` and ``-dE/dw_ij = s_i s_j``.
    The first term differentiates to ``sum_h p(h|v) s_i s_j / T`` — the statistics with ``v``
    clamped and ``h`` following ``p(h|v)`` — and ``log Z`` to ``sum_s p(s) s_i s_j / T``, the
    free statistics. Two ways to get them, chosen by ``method``:

    - ``method="exact"`` (n <= ~20 units): ``loss(batch) = -mean_n log p(v_n)``, computed by
      enumerating all states (logsumexp in float64, :mod:`neuralzoo.energy.exact`). Autograd
      of this loss *is* the rule above, exactly (a test checks it against finite differences
      and against the enumerated statistics).
    - ``method="gibbs"``: the two phases are sampled by sequential Gibbs sweeps
      (:mod:`neuralzoo.energy.gibbs`). Clamped phase: ``v`` fixed to the batch, ``h`` from
      random states run ``k`` sweeps. Free phase: ``n_chains`` persistent chains (the buffer
      ``chains``, carried by checkpoints) run ``k`` more sweeps per step. With ``anneal`` (a
      list of temperatures) both phases first sweep once at each of them, as in the paper.
      The surrogate ``loss = (mean E(s_clamped) - mean E(s_free)) / T`` with the samples
      detached has ``-d loss/d w_ij = (mean s_i s_j over clamped samples - mean over free
      samples) / T``: the sampled rule, so a gradient step on it is a Boltzmann-rule step.
      Its *value* is an energy gap, not a likelihood; ``history_`` also logs ``nll`` (exact,
      n <= 20) or ``completion_error`` (larger machines) per epoch.

    Args:
        n_features: D, the number of visible units (the width of a data row; fixed by the data).
        n_hidden: hidden units H (all units are connected with each other).
        temperature: T in p(s_i = 1 | rest) = sigmoid(u_i / T).
        method: learning statistics: "gibbs" (sampled) or "exact" (n <= ~20).
        k: Gibbs sweeps per phase and step (method="gibbs").
        n_chains: persistent free-phase chains (method="gibbs").
        anneal: temperatures swept once each before the k sweeps (None: no annealing).
        mask: 0/1 connectivity M (n, n), symmetric with zero diagonal (None: all pairs).
        init_std: standard deviation of the initial weights.

    Glossary (N batch, D visible, H hidden, n = D + H units, n_chains persistent chains):
        s = (v, h): (N, n) states;  v: (N, D);  h: (N, H);  W: (n, n) effective weights
        (property);  A: (n, n) free parameter;  b: (n,) biases;  M: (n, n) mask;  T: temperature.

    Attributes:
        A: (n, n) parameter, N(0, init_std^2); only its strict upper triangle is used.
        b: (n,) biases; zero, and ``fit`` sets the visible ones to ``T logit(mean v)`` (the
            right values for W = 0; Hinton's practical guide, sec. 8).
        M: (n, n) buffer, the 0/1 connectivity (symmetric, zero diagonal); its state-dict key
            is ``mask``, as in neuralzoo 0.1 (the attribute ``mask`` is the constructor's
            argument: None or the 0/1 rows as lists).
        chains: (n_chains, n) buffer, the persistent free-phase states (random 0/1 at reset).
        n_visible: D (the lecture's name; ``n_features`` holds it too).
        history_: per-epoch metrics of the last ``fit``.

    Example:
        >>> import torch
        >>> X = torch.tensor([[1., 1., 0.], [0., 0., 1.]])
        >>> bm = BoltzmannMachine(3, 2, method="exact").fit(X, epochs=200, batch_size=2, lr=0.1,
        ...                                                 progress=False)
        >>> bm.log_likelihood(X).exp().sum().item() > 0.9       # nearly all mass on the data
        True
        >>> torch.equal(bm.W, bm.W.T), bool(bm.W.diagonal().eq(0).all())
        (True, True)

    Reference: Ackley, Hinton & Sejnowski, "A learning algorithm for Boltzmann machines",
    Cognitive Science 9, 1985; Hinton & Sejnowski, "Learning and relearning in Boltzmann
    machines", PDP vol. 1, ch. 7, 1986; Tieleman, "Training restricted Boltzmann machines
    using approximations to the likelihood gradient" (persistent chains), ICML 2008.
    """

    registry_name = "boltzmann"
    data_defaults = {"binarize": "threshold"}
    train_defaults = {"epochs": 30, "batch_size": 100, "lr": 0.01, "optimizer": "adam"}
    renamed_hparams = {"n_visible": "n_features"}  # a 0.1 run's name

    def __init__(self, n_features: int, n_hidden: int = 32, *, temperature: float = 1.0,
                 method: str = "gibbs", k: int = 5, n_chains: int = 100,
                 anneal: Sequence[float] | None = None,
                 mask: torch.Tensor | Sequence[Sequence[float]] | None = None,
                 init_std: float = 0.01) -> None:
        super().__init__()
        n_visible, n_hidden, k, n_chains = int(n_features), int(n_hidden), int(k), int(n_chains)
        if n_visible < 1 or n_hidden < 0:
            raise ValueError(f"expected n_features >= 1 and n_hidden >= 0, got {n_visible} and {n_hidden}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        check_choice("method", method, METHODS)
        if k < 1 or n_chains < 1:
            raise ValueError(f"expected k >= 1 and n_chains >= 1, got k={k}, n_chains={n_chains}")
        if not init_std >= 0:
            raise ValueError(f"init_std must be >= 0, got {init_std}")
        anneal = None if anneal is None else [float(t) for t in anneal]
        if anneal is not None and any(not t > 0 for t in anneal):
            raise ValueError(f"anneal must list temperatures > 0, got {anneal}")
        n = n_visible + n_hidden
        M = self._check_mask(mask, n)
        self.n_visible, self.n_hidden, self.n_units = n_visible, n_hidden, n
        self.n_features = n_visible
        self.temperature, self.method, self.k, self.n_chains = float(temperature), method, k, n_chains
        self.anneal, self.init_std = anneal, float(init_std)
        self.mask = None if mask is None else M.int().tolist()  # the argument, JSON-ready
        self.A = nn.Parameter(torch.zeros(n, n))  # (n, n) free; W from its strict upper triangle
        self.b = nn.Parameter(torch.zeros(n))  # (n,)
        self.register_buffer("M", M)  # (n, n) 0/1 connectivity, state-dict key "mask"
        self.register_buffer("chains", torch.zeros(n_chains, n))  # (n_chains, n) persistent free phase
        self.register_state_dict_post_hook(_save_M_as_mask)
        self.register_load_state_dict_pre_hook(_load_mask_into_M)
        self.reset_parameters()

    @staticmethod
    def _check_mask(mask: Any, n: int) -> torch.Tensor:
        if mask is None:
            return 1.0 - torch.eye(n)
        M = torch.as_tensor(mask, dtype=torch.float32)
        if M.shape != (n, n):
            raise ValueError(f"mask must have shape ({n}, {n}) (n_features + n_hidden), got {tuple(M.shape)}")
        if not (bool(((M == 0) | (M == 1)).all()) and torch.equal(M, M.T) and bool((M.diagonal() == 0).all())):
            raise ValueError("mask must be a symmetric 0/1 matrix with zero diagonal")
        return M.clone()

    def reset_parameters(self) -> None:
        """Small random weights N(0, init_std^2), zero biases, random 0/1 persistent chains."""
        with torch.no_grad():
            self.A.normal_(0.0, self.init_std)
            self.b.zero_()
            self.chains.copy_(torch.randint(0, 2, self.chains.shape, device=self.chains.device).float())

    # -- the model -----------------------------------------------------------------------------

    @property
    def W(self) -> torch.Tensor:
        """Effective weights (n, n): ``(triu(A,1) + triu(A,1)^T) * M``, symmetric, zero diagonal."""
        U = torch.triu(self.A, diagonal=1)
        return (U + U.T) * self.M

    def energy(self, s: torch.Tensor) -> torch.Tensor:
        """``E(s) = -1/2 s^T W s - b^T s`` for each row of ``s`` (N, n) -> (N,)."""
        return exact.bm_energy(self.W, self.b, s)

    def local_field(self, s: torch.Tensor) -> torch.Tensor:
        """``u_i = sum_j w_ij s_j + b_i`` for every unit, (N, n) -> (N, n)."""
        return gibbs.local_field(self.W, self.b, s)

    def p_s_given_rest(self, s: torch.Tensor) -> torch.Tensor:
        """``p(s_i = 1 | s_rest) = sigmoid(u_i / T)`` for every unit, (N, n) -> (N, n)."""
        return torch.sigmoid(self.local_field(s) / self.temperature)

    def gibbs_step(self, s: torch.Tensor, steps: int = 1, *, clamp: torch.Tensor | None = None,
                   anneal: Sequence[float] | None = None,
                   generator: torch.Generator | None = None) -> torch.Tensor:
        """Annealing (optional) then ``steps`` sequential Gibbs sweeps at ``T``; new states (N, n)."""
        W, b = self.W.detach(), self.b.detach()
        if anneal:
            s = gibbs.anneal(W, b, s, anneal, clamp=clamp, generator=generator)
        return gibbs.gibbs_sample(W, b, s, steps, temperature=self.temperature, clamp=clamp, generator=generator)

    def _random_states(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        device = model_device(self)
        return torch.randint(0, 2, (n, self.n_units), generator=generator, device=device).to(model_dtype(self))

    # -- exact quantities (small machines) ------------------------------------------------------

    def log_partition(self) -> torch.Tensor:
        """Exact ``log Z`` (float64 scalar) by enumerating all ``2^n`` states."""
        exact.check_enumerable(self.n_units)
        with torch.no_grad():
            return exact.bm_log_partition(self.W, self.b, self.temperature)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """``F(v) = -T log sum_h exp(-E(v,h)/T)`` (N,), exact (enumerates the ``2^H`` hidden states)."""
        exact.check_enumerable(self.n_hidden)
        return -self.temperature * exact.bm_log_unnormalized(self.W, self.b, v, self.temperature)

    def log_likelihood(self, X: Any, *, method: str = "exact",
                       log_z: float | torch.Tensor | None = None) -> torch.Tensor:
        """``log p(v) = log sum_h exp(-E(v, h)/T) - log Z`` in nats for each row of ``X`` (N, D) -> (N,), float64.

        Only ``method="exact"`` exists for the general machine (enumeration, n <= 24 units);
        a given ``log_z`` (e.g. :meth:`log_partition`, computed once) skips the ``2^n`` sum,
        leaving the ``2^H`` one over the hidden states.
        """
        check_choice("method", method, ("exact",))
        exact.check_enumerable(self.n_units if log_z is None else self.n_hidden)
        v = check_binary(check_X(X, self.n_visible, device=model_device(self), dtype=model_dtype(self)))
        with torch.no_grad():
            if log_z is None:
                return exact.bm_log_marginal(self.W, self.b, v, self.temperature)
            return (exact.bm_log_unnormalized(self.W, self.b, v, self.temperature)
                    - torch.as_tensor(log_z, dtype=torch.float64))

    # -- generation and completion --------------------------------------------------------------

    def sample(self, n: int, *, steps: int = 1000, generator: torch.Generator | int | None = None,
               anneal: Sequence[float] | None = None) -> torch.Tensor:
        """``n`` visible samples (n, D): fresh random chains, optional annealing, ``steps`` sweeps;
        ``generator``: a ``torch.Generator``, an int seed or None (torch's global RNG)."""
        generator = as_generator(generator, model_device(self))
        s = self.gibbs_step(self._random_states(n, generator), steps, anneal=anneal, generator=generator)
        return s[:, :self.n_visible]

    def complete_proba(self, v: Any, known: Any, *, steps: int = 50, method: str = "auto",
                       anneal: Sequence[float] | None = None,
                       generator: torch.Generator | int | None = None) -> torch.Tensor:
        """``p(v_i = 1 | v_known)`` for every visible unit (N, D); known units keep their values.

        ``known``: bool (D,) or (N, D). ``method="exact"`` sums over all states consistent with
        the known units (n <= 20); ``"gibbs"`` clamps them, starts the rest at random, anneals
        if asked, runs ``steps`` sweeps and averages the states of the second half of them;
        ``"auto"`` is exact when n <= 20.
        """
        check_choice("method", method, ("auto", "exact", "gibbs"))
        device = model_device(self)
        v = check_binary(check_X(v, self.n_visible, device=device, dtype=model_dtype(self)), "v")
        N, D = v.shape
        known = torch.as_tensor(known, dtype=torch.bool, device=device).expand(N, D)  # (N, D)
        clamp = torch.cat([known, known.new_zeros(N, self.n_hidden)], dim=1)  # (N, n)
        if method == "exact" or (method == "auto" and self.n_units <= 20):
            exact.check_enumerable(self.n_units, 20)
            s = torch.cat([v, v.new_zeros(N, self.n_hidden)], dim=1)
            p = exact.bm_conditional_marginals(self.W, self.b, s, clamp, self.temperature)
            return p[:, :D].to(model_dtype(self))
        generator = as_generator(generator, device)
        s = self._random_states(N, generator)
        s = torch.where(clamp, torch.cat([v, s[:, D:]], dim=1), s)
        s = self.gibbs_step(s, 0, clamp=clamp, anneal=anneal, generator=generator)
        total = torch.zeros_like(s)
        burn = steps // 2
        for t in range(steps):
            s = self.gibbs_step(s, 1, clamp=clamp, generator=generator)
            if t >= burn:
                total += s
        return (total / max(1, steps - burn))[:, :D]

    def complete(self, v: Any, known: Any, **options: Any) -> torch.Tensor:
        """Fill the unknown visible units: 1 where ``p(v_i = 1 | v_known) > 0.5``; (N, D) of 0/1.

        Options as :meth:`complete_proba` (``steps``, ``method``, ``anneal``, ``generator``).
        """
        p = self.complete_proba(v, known, **options)
        v = check_X(v, self.n_visible, device=p.device)
        known = torch.as_tensor(known, dtype=torch.bool, device=p.device).expand_as(v)
        return torch.where(known, v, (p > 0.5).float())

    def completion_error(self, X: Any, *, steps: int = 50, method: str = "auto",
                         generator: torch.Generator | int | None = None) -> float:
        """Fraction of wrong units when the second half of each visible row is completed from the first.

        For row-major images, the bottom half of the image given the top half.
        """
        X = check_X(X, self.n_visible, device=model_device(self), dtype=model_dtype(self))
        known = torch.arange(self.n_visible, device=X.device) < self.n_visible // 2  # (D,)
        filled = self.complete(X, known, steps=steps, method=method, generator=generator)
        return float((filled[:, ~known] != X[:, ~known]).float().mean())

    # -- learning -------------------------------------------------------------------------------

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Exact ``-mean log p(v)`` (``method="exact"``) or the sampled-rule surrogate (``"gibbs"``)."""
        v = batch[0]
        T = self.temperature
        W, b = self.W, self.b
        if self.method == "exact":
            return -exact.bm_log_marginal(W, b, v, T).mean()
        N, D = v.shape
        # 1. clamped phase: v fixed to the data, h from random states, (annealed,) k sweeps
        s_c = torch.cat([v, self._random_states(N, None)[:, D:]], dim=1)  # (N, n)
        if self.n_hidden:
            clamp = torch.arange(self.n_units, device=v.device) < D  # (n,) the visible units
            s_c = self.gibbs_step(s_c, self.k, clamp=clamp, anneal=self.anneal)
        # 2. free phase: the persistent chains continue for (annealing and) k sweeps
        s_f = self.gibbs_step(self.chains, self.k, anneal=self.anneal)
        self.chains.copy_(s_f)
        # 3. surrogate: -d/dw_ij = (<s_i s_j>_clamped - <s_i s_j>_free) / T over the samples
        return (exact.bm_energy(W, b, s_c).mean() - exact.bm_energy(W, b, s_f).mean()) / T

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor]:
        return (check_binary(check_X(X, self.n_visible)),)

    def fit(self, X: Any, y: Any = None, *, method: str | None = None, k: int | None = None,
            seed: int | None = None, warm_start: bool = False, resume: bool = False,
            callbacks: Sequence[Any] = (), **options: Any) -> BoltzmannMachine:
        """Train by :func:`neuralzoo.fit` on the Boltzmann rule; returns ``self``. ``y`` is ignored.

        ``method`` ("exact" or "gibbs") and ``k`` override the constructor's values (and are
        kept: ``get_params()`` reports them); the other options are those of :meth:`Trainable.fit`
        (``epochs=30, batch_size=100, lr=0.01, optimizer="adam"``, ``seed``, ``progress``...).
        Unless ``warm_start``/``resume``, the parameters are re-initialised from ``seed`` and
        the visible biases set to ``T logit(mean v)`` (clipped to [1e-3, 1 - 1e-3]).
        """
        if method is not None:
            check_choice("method", method, METHODS)
            self.method = method
        if k is not None:
            if int(k) < 1:
                raise ValueError(f"k must be >= 1, got {k}")
            self.k = int(k)
        if self.method == "exact":
            exact.check_enumerable(self.n_units)
        (X,) = self._fit_data(X, y)
        if not (warm_start or resume):
            seeded_reset(self, self.train_config(seed=seed).seed)
            with torch.no_grad():
                p = X.mean(0).clamp(1e-3, 1 - 1e-3).to(self.b)
                self.b[:self.n_visible] = self.temperature * torch.log(p / (1 - p))
        return super().fit(X, seed=seed, warm_start=True, resume=resume,
                           callbacks=[_EpochMetrics(self, X), *callbacks], **options)

    def evaluate(self, X: Any, y: Any = None, *, generator: torch.Generator | int | None = 0) -> dict[str, float]:
        """Held-out measures: exact mean ``log_likelihood`` (nats) when n <= 20, else the
        ``completion_error`` of the second half of the visible units (clamped Gibbs, 50 sweeps,
        drawn from ``generator``, seed 0 by default) and that of always guessing 0 for it
        (``completion_error_zeros``)."""
        X = check_binary(check_X(X, self.n_visible, device=model_device(self), dtype=model_dtype(self)))
        if self.n_units <= 20:
            ll = self.log_likelihood(X)
            return {"log_likelihood": float(ll.mean()), "nll": -float(ll.mean())}
        half = self.n_visible // 2
        return {"completion_error": self.completion_error(X, generator=generator),
                "completion_error_zeros": float(X[:, half:].mean())}

    def extra_repr(self) -> str:
        n_conn = int(self.M.sum()) // 2
        return (f"n_visible={self.n_visible}, n_hidden={self.n_hidden}, T={self.temperature:g}, "
                f"method={self.method!r}, k={self.k}, n_chains={self.n_chains}, connections={n_conn:,}, "
                f"params={count_parameters(self):,}")
