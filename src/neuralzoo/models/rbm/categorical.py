"""Categorical ("softmax", Potts) visible units: each visible variable takes one of K values.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from ..._checks import _tensor
from ...config import check_choice
from ...energy import exact
from ...energy.ais_general import anneal
from ...energy.sampling import as_generator, bernoulli
from ..base import count_parameters, model_device
from .bernoulli import RBM

MAX_CODE_STATES = 1 << 24  # K^D visible states enumerated at most (else the 2^H hidden states)


def sample_groups(logits: torch.Tensor, K: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """One-hot draws (N, D K) from ``softmax`` over each group of ``K`` logits of ``logits`` (N, D K).

    Inverse CDF: the category of a group is the number of its cumulative probabilities below
    one uniform ``u`` (one random number per variable, not per unit)."""
    N = logits.shape[0]
    p = torch.softmax(logits.reshape(N, -1, K), -1)  # (N, D, K)
    u = torch.rand(p.shape[:2] + (1,), generator=generator, device=p.device, dtype=p.dtype)  # (N, D, 1)
    idx = (p.cumsum(-1) < u).sum(-1, keepdim=True).clamp_(max=K - 1)  # (N, D, 1)
    return torch.zeros_like(p).scatter_(2, idx, 1.0).reshape(N, -1)  # (N, D K)


class CategoricalRBM(RBM):
    r"""RBM with D categorical visible variables of K values each (one-hot groups) and H binary hiddens.

    Visible variable ``i`` is a group of K units ``v_ik`` of which exactly one is on (the "Potts"
    or softmax units of Salakhutdinov, Mnih & Hinton 2007 and of ``rbms``'s PBRBM). With
    ``W`` (D K, H) and ``b`` (D K,) indexed by the pair ``(i, k)``::

        E(v, h) = -sum_ikj v_ik w_ikj h_j - sum_ik b_ik v_ik - sum_j a_j h_j
        p(h_j = 1 | v) = sigmoid(a_j + sum_i w_{i v_i j})            (v_i: the value of variable i)
        p(v_i = k | h) = exp(b_ik + sum_j w_ikj h_j) / sum_k' exp(b_ik' + sum_j w_ik'j h_j)
        F(v) = -sum_i b_{i v_i} - sum_j softplus(a_j + sum_i w_{i v_i j})
        log Z = log sum_h exp(a^T h) prod_i sum_k exp(b_ik + (W h)_ik)     (enumerate 2^H)
              = log sum_v exp(-F(v))                                       (or enumerate K^D)

    ``F`` is the binary RBM's free energy of the one-hot vector, so the learning rule is the
    RBM's surrogate ``mean F(v_data) - mean F(v_model)``; only the visible conditional (a
    softmax per group) and the states summed over differ. AIS (:meth:`ais`) anneals from the
    base-rate model ``W = 0``, ``b_A`` the log marginal frequencies of each variable's values,
    whose ``log Z_A = H log 2 + sum_i log sum_k exp(b_A,ik)``; the intermediate model's
    visible conditional is the softmax of ``(1 - beta) b_A + beta (b + W h)``.

    Data: integer codes (N, D) with values in ``0 .. K-1`` (a table, or a window of characters),
    or their one-hot form (N, D K); :meth:`codes` turns visible states back into codes.

    Args:
        n_features: D, the number of categorical variables (the width of an integer-coded row).
        n_hidden: hidden units H.
        n_categories: K, the values each variable takes (codes 0 .. K-1).
        method: negative samples: "cd" or "pcd" (persistent).
        k: Gibbs steps per parameter update.
        n_chains: persistent chains M ("pcd").
        init_std: standard deviation of the initial weights.

    Attributes:
        W (D K, H): weights ``N(0, init_std^2)``.  b (D K,): visible biases; ``fit`` sets them to
        the log marginal frequencies.  a (H,): hidden biases, 0.  chains (M, D K): one-hot states.

    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> X = (4 * torch.rand(200, 4, generator=g)).long().clamp(max=2)   # 4 variables, values 0, 1, 2
    >>> rbm = CategoricalRBM(4, 5, n_categories=3).fit(X, epochs=2, seed=0, progress=False)
    >>> rbm.codes(rbm.sample(2, steps=10, generator=0)).shape
    torch.Size([2, 4])
    >>> ll = rbm.log_likelihood(X).mean()                       # exact: 2^5 hidden states
    >>> bool(ll > 4 * -1.0987)                                  # better than uniform: 4 log(1/3)
    True

    References: Salakhutdinov, Mnih & Hinton, "Restricted Boltzmann machines for collaborative
    filtering", ICML 2007; Tubiana & Monasson, PRL 2017 (Potts RBMs); Salakhutdinov & Murray,
    ICML 2008 (AIS).
    """

    registry_name = "categorical-rbm"
    data_defaults = {"binarize": "threshold"}  # digits as 64 variables of 2 values
    # batch 20, as the RBM's: on the digits (1,437 rows) batches of 100 leave 10 epochs on the plateau of the init
    train_defaults = {"epochs": 10, "batch_size": 20, "lr": 0.05, "optimizer": "sgd", "momentum": 0.5}

    def __init__(self, n_features: int, n_hidden: int = 100, *, n_categories: int = 2, method: str = "cd",
                 k: int = 1, n_chains: int = 100, init_std: float = 0.01) -> None:
        check_choice("method", method, ("cd", "pcd"))
        D, K = int(n_features), int(n_categories)
        if D < 1 or K < 2:
            raise ValueError(f"expected n_features >= 1 and n_categories >= 2, got {n_features} and {n_categories}")
        self.n_categories = K  # before RBM.__init__: its reset_parameters draws one-hot chains
        super().__init__(D * K, n_hidden, method=method, k=k, n_chains=n_chains, init_std=init_std)
        self.n_features = D  # the data's width (codes); n_visible = D K one-hot units

    def reset_parameters(self) -> None:
        """``W ~ N(0, init_std^2)``, zero biases, chains drawn from the data marginals."""
        with torch.no_grad():
            self.W.normal_(0.0, self.init_std)
            self.b.zero_()
            self.a.zero_()
            self.chains.copy_(self._chain_start(len(self.chains), None))

    # -- the model -----------------------------------------------------------------------------

    def p_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        """``p(v_i = k | h)``: a softmax over each group of ``b_ik + (W h)_ik``, (N, H) -> (N, D K)."""
        W, b, _ = self.ordinary_parameters()
        z = torch.addmm(b, h, W.T)  # (N, D K)
        return torch.softmax(z.reshape(len(z), -1, self.n_categories), -1).reshape(len(z), -1)

    def sample_v(self, h: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(p(v | h), v)``: group probabilities and one-hot states, both (N, D K)."""
        W, b, _ = self.ordinary_parameters()
        z = torch.addmm(b, h, W.T)
        return self.p_v_given_h(h), sample_groups(z, self.n_categories, generator)

    def _down(self, h: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return sample_groups(torch.addmm(b, h, W.T), self.n_categories)

    def _chain_start(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        logits = torch.log(self.data_mean.clamp_min(1e-6)).expand(n, self.n_visible)
        return sample_groups(logits, self.n_categories, generator)

    def codes(self, v: torch.Tensor) -> torch.Tensor:
        """The value of each variable, (N, D K) one-hot (or group probabilities) -> (N, D) int64."""
        return v.reshape(len(v), -1, self.n_categories).argmax(-1)

    # -- data ------------------------------------------------------------------------------------

    def _one_hot(self, X: Any, name: str = "X") -> torch.Tensor:
        """Integer codes (N, D) or one-hot rows (N, D K) as float one-hot (N, D K); else one clear line."""
        D, K = self.n_features, self.n_categories
        X = _tensor(X, name)
        if X.dim() != 2 or X.shape[1] not in (D, D * K) or len(X) == 0:
            raise ValueError(f"{name} must be integer codes (N, {D}) or one-hot rows (N, {D * K}) "
                             f"(D={D} variables of K={K} values): got shape {tuple(X.shape)}")
        if X.shape[1] == D:
            codes = X.double()
            bad = (codes != codes.round()) | (codes < 0) | (codes > K - 1)
            if bool(bad.any()):
                r, c = (int(i) for i in bad.nonzero()[0])
                raise ValueError(f"{name} holds codes outside 0..{K - 1} (integers expected): got "
                                 f"{float(X[r, c])!r} at row {r}, column {c}")
            return F.one_hot(codes.long(), K).reshape(len(X), D * K).float()
        X = X.float()
        sums = X.reshape(len(X), D, K).sum(-1)
        if bool(((X < 0) | (X > 1)).any()) or not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
            raise ValueError(f"{name} of width {D * K} must be one-hot groups of {K} (values in [0, 1], "
                             "each group summing to 1)")
        return X

    def _check(self, X: Any, name: str = "X") -> torch.Tensor:
        return self._one_hot(X, name).to(model_device(self), self.W.dtype)

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor]:
        return (self._one_hot(X),)

    def _init_visible_biases(self) -> None:  # independent variables at the data's marginals
        with torch.no_grad():
            self.b.copy_(torch.log(self.data_mean.clamp_min(1e-3)))

    # -- evaluation ------------------------------------------------------------------------------

    def _enumerate_visible(self) -> bool:
        """Whether ``K^D`` visible states are fewer than the ``2^H`` hidden ones."""
        return self.n_features * math.log(self.n_categories) < self.n_hidden * math.log(2)

    def _exact_ok(self) -> bool:
        if self._enumerate_visible():
            return self.n_categories ** self.n_features <= MAX_CODE_STATES
        return self.n_hidden <= exact.MAX_RBM_EXACT_UNITS

    def log_partition(self, method: str = "exact", **options: Any) -> torch.Tensor:
        """``log Z`` (float64): ``"exact"`` sums the ``2^H`` hidden states (each visible group
        summed in closed form) or the ``K^D`` visible ones, whichever are fewer; ``"ais"`` is
        :meth:`ais`'s estimate (options ``betas``, ``n_runs``, ``data``, ``generator``)."""
        check_choice("method", method, ("exact", "ais"))
        if method == "ais":
            return torch.tensor(self.ais(**options).log_z, dtype=torch.float64)
        W, b, a = (t.detach().double() for t in self.ordinary_parameters())
        D, K, H = self.n_features, self.n_categories, self.n_hidden
        if not self._exact_ok():
            raise ValueError(f"exact log Z enumerates min(2^{H}, {K}^{D}) states: expected at most 2^30 "
                             f"hidden or {MAX_CODE_STATES} visible states; use AIS (method='ais')")
        with torch.no_grad():
            parts = []
            if self._enumerate_visible():  # all K^D codes, chunk by chunk: -F(v)
                total, place = K ** D, K ** torch.arange(D - 1, -1, -1, device=W.device)
                for start in range(0, total, 1 << 14):
                    idx = torch.arange(start, min(start + (1 << 14), total), device=W.device)
                    v = F.one_hot(idx[:, None] // place % K, K).reshape(len(idx), D * K).double()
                    parts.append(torch.logsumexp(-exact.rbm_free_energy(W, b, a, v), 0))
            else:  # all 2^H hidden states: a^T h + sum_i logsumexp_k(b_ik + (W h)_ik)
                for h in exact.enumerate_states(H, 1 << 12, device=W.device, max_units=exact.MAX_RBM_EXACT_UNITS):
                    z = torch.addmm(b, h, W.T).reshape(len(h), D, K)  # (C, D, K)
                    parts.append(torch.logsumexp(h @ a + torch.logsumexp(z, -1).sum(-1), 0))
            return torch.logsumexp(torch.stack(parts), 0)

    def ais(self, *, betas: torch.Tensor | None = None, n_runs: int = 100, data: Any = None,
            generator: torch.Generator | int | None = None):
        """AIS estimate of ``log Z`` with its +-3 std interval (an ``AISResult``), from the
        base-rate model of ``data`` (default: the training marginals ``data_mean``)."""
        W, b, a = (t.detach() for t in self.ordinary_parameters())
        g = as_generator(generator, W.device)
        D, K, H = self.n_features, self.n_categories, self.n_hidden
        p = self.data_mean if data is None else self._check(data, "data").mean(0)
        b_A = torch.log(p.to(W.dtype).clamp_min(1e-3))  # (D K,) log marginal frequencies
        log_z_base = H * math.log(2.0) + float(torch.logsumexp(b_A.double().reshape(D, K), -1).sum())

        def log_p_star(v: torch.Tensor, bt: torch.Tensor) -> torch.Tensor:  # (2, M)
            bt = bt.to(W.dtype)[:, None]
            x = torch.addmm(a, v, W)  # (M, H)
            vA, vB = v @ b_A, v @ b  # (M,)
            return (1 - bt) * vA + bt * vB + F.softplus(bt[..., None] * x).sum(-1)

        def transition(v: torch.Tensor, beta: float, gen: torch.Generator | None) -> torch.Tensor:
            h = bernoulli(torch.sigmoid(beta * torch.addmm(a, v, W)), gen)
            return sample_groups((1 - beta) * b_A + beta * torch.addmm(b, h, W.T), K, gen)

        return anneal(lambda M, gen: sample_groups(b_A.expand(M, -1), K, gen), log_p_star, transition,
                      log_z_base=log_z_base, betas=betas, n_runs=n_runs, generator=g)

    def pseudo_likelihood(self, X: Any, *, full: bool = False,
                          generator: torch.Generator | int | None = 0) -> torch.Tensor:
        """Log pseudo-likelihood per variable, ``(1/D) sum_i log p(v_i | v_-i)``, (N,) nats.

        ``log p(v_i | v_-i) = -F(v) - log sum_k exp(-F(v with v_i = k))``: all D variables
        (``full``) or one per row drawn from ``generator`` (an unbiased estimate of the mean)."""
        v = self._check(X)
        W, b, a = self.ordinary_parameters()
        D, K = self.n_features, self.n_categories
        Wg, bg = W.reshape(D, K, -1), b.reshape(D, K)  # (D, K, H), (D, K)
        rows = torch.arange(len(v), device=v.device)
        with torch.no_grad():
            x, vb, cur = torch.addmm(a, v, W), v @ b, self.codes(v)  # (N, H), (N,), (N, D)

            def term(i: torch.Tensor) -> torch.Tensor:  # log p(v_i | v_-i) for variable i[n] of row n
                c = cur[rows, i]  # (N,)
                base = x - Wg[i, c]  # (N, H): the input without variable i
                neg_f = ((vb - bg[i, c])[:, None] + bg[i]
                         + F.softplus(base[:, None, :] + Wg[i]).sum(-1))  # (N, K) -F for each value
                return neg_f[rows, c] - torch.logsumexp(neg_f, 1)

            if full:
                return sum(term(torch.full_like(rows, i)) for i in range(D)) / D
            g = as_generator(generator, v.device)
            return term(torch.randint(0, D, (len(v),), generator=g, device=v.device))

    def evaluate(self, X: Any, y: Any = None, *, generator: torch.Generator | int | None = 0) -> dict[str, float]:
        """Held-out ``pseudo_log_likelihood`` (per variable), ``reconstruction_error`` and, when
        at most 2^20 states are enumerated, the exact mean ``log_likelihood`` (nats)."""
        v = self._check(X)
        out = {"pseudo_log_likelihood": float(self.pseudo_likelihood(v, full=self.n_features <= 100,
                                                                     generator=generator).mean()),
               "reconstruction_error": self.reconstruction_error(v)}
        if min(self.n_hidden * math.log(2), self.n_features * math.log(self.n_categories)) <= 20 * math.log(2):
            out["log_likelihood"] = float(self.log_likelihood(v, method="exact").mean())
        return out

    def extra_repr(self) -> str:
        return (f"n_features={self.n_features}, n_categories={self.n_categories}, n_hidden={self.n_hidden}, "
                f"method={self.method!r}, k={self.k}, params={count_parameters(self):,}")


__all__ = ["CategoricalRBM", "sample_groups"]
