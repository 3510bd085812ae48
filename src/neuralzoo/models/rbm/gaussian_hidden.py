"""Bernoulli visible units, Gaussian (unit-variance) hidden units: the quadratic free energy, log Z and AIS.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ...config import check_choice
from ...energy import ais, exact
from ...energy.ais_general import anneal
from ...energy.sampling import as_generator, bernoulli
from ..base import count_parameters
from .linear import LinearRBM

MAX_VISIBLE_EXACT = 24  # log Z enumerates the 2^D visible states (the hidden integral is closed-form)


class GaussianHiddenRBM(LinearRBM):
    r"""RBM with D binary visible units and H real-valued, unit-variance Gaussian hidden units.

    The hidden units carry a quadratic self-energy, so that ``p(h | v)`` is a Gaussian::

        E(v, h) = -v^T W h - b^T v - a^T h + 1/2 h^T h
        p(h | v) = N(a + W^T v, I)
        p(v_i = 1 | h) = sigmoid(b_i + sum_j w_ij h_j)

    The free energy: with ``x = a + W^T v``, ``-E = b^T v + x^T h - 1/2 h^T h = b^T v + 1/2 ||x||^2
    - 1/2 ||h - x||^2``, and the Gaussian integral ``int exp(-1/2 ||h - x||^2) dh = (2 pi)^{H/2}``::

        -log int exp(-E(v, h)) dh = -b^T v - 1/2 ||a + W^T v||^2 - H/2 log(2 pi)
        F(v) = -b^T v - 1/2 ||a + W^T v||^2                (the constant dropped)
        Z = sum_v exp(-F(v)),   log p(v) = -F(v) - log Z   (2^D visible states enumerated)

    (the joint's partition function is ``(2 pi)^{H/2} Z``; the constant cancels from ``p(v)``).
    ``-dF/dw_ij = v_i E[h_j | v]``: the learning rule is the RBM's surrogate ``mean F(v_data) -
    mean F(v_model)``, ``v_model`` by CD-k or PCD-k with sampled ``h ~ N(a + W^T v, I)`` and
    sampled binary ``v``. Unlike the binary RBM, ``exp(-F)`` grows as ``exp(||W^T v||^2 / 2)``:
    large weights make ``p(v)`` peak sharply, hence the small default learning rate.

    AIS (:meth:`ais`) anneals from the base-rate model ``E_A = -b_A^T v + 1/2 h^T h`` through
    ``E_beta = (1 - beta) E_A + beta E``, whose marginal and conditionals are::

        log p*_beta(v) = ((1 - beta) b_A + beta b)^T v + beta^2 ||a + W^T v||^2 / 2
        p_beta(h | v) = N(beta (a + W^T v), I),  p_beta(v_i = 1 | h) = sigmoid((1 - beta) b_A,i + beta (b_i + (W h)_i))
        log Z_A = sum_i softplus(b_A,i)

    (the ``(2 pi)^{H/2}`` of every ``p_beta`` dropped alike).

    Args:
        n_features: D, the number of binary visible units (the width of a data row; fixed by the data).
        n_hidden: Gaussian hidden units H.
        method: negative samples: "cd" or "pcd" (persistent).
        k: Gibbs steps per parameter update.
        n_chains: persistent chains M ("pcd").
        init_std: standard deviation of the initial weights.

    Attributes:
        W (D, H): weights ``N(0, init_std^2)``.  b (D,): visible biases (the data's log-odds
        after ``fit``).  a (H,): hidden means' offsets, 0.  chains (M, D): persistent states.

    >>> import torch, neuralzoo as nz
    >>> X, _ = nz.datasets.load("digits", binarize="threshold")
    >>> rbm = GaussianHiddenRBM(64, 16).fit(X, epochs=2, seed=0, progress=False)
    >>> rbm.transform(X[:3]).shape                           # E[h | v], a real-valued code
    torch.Size([3, 16])
    >>> small = GaussianHiddenRBM(10, 3).fit(X[:, :10], epochs=2, seed=0, progress=False)
    >>> bool(small.log_likelihood(X[:50, :10]).mean() > -10 * 0.6931)   # exact: 2^10 states
    True

    References: Hinton & Salakhutdinov, Science 2006 (linear hidden units); Welling, Rosen-Zvi &
    Hinton, NIPS 2004 (exponential-family harmoniums); ``rbms`` 0.6 (Gaussian hidden units).
    """

    registry_name = "gaussian-hidden-rbm"
    data_defaults = {"binarize": "threshold"}
    # the tour's schedule (PCD, batch 20, lr 0.02): CD-1 at batch 100 and lr 0.01 stayed near the init on digits
    train_defaults = {"epochs": 10, "batch_size": 20, "lr": 0.02, "optimizer": "sgd", "momentum": 0.5}

    def __init__(self, n_features: int, n_hidden: int = 100, *, method: str = "pcd", k: int = 1,
                 n_chains: int = 100, init_std: float = 0.01) -> None:
        check_choice("method", method, ("cd", "pcd"))
        super().__init__(n_features, n_hidden, method=method, k=k, n_chains=n_chains, init_std=init_std)

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """``E(v, h) = -v^T W h - b^T v - a^T h + 1/2 h^T h`` of paired rows (N, D), (N, H) -> (N,)."""
        return exact.rbm_energy(self.W, self.b, self.a, v, h) + 0.5 * (h * h).sum(-1)

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The surrogate ``mean F(v_data) - mean F(v_model)``, ``v_model`` by CD-k or PCD-k (detached)."""
        v0 = batch[0]
        with torch.no_grad():
            v = v0 if self.method == "cd" else self.chains
            for _ in range(self.k):
                v = self.sample_v(self.sample_h(v)[1])[1]
            if self.method == "pcd":
                self.chains.copy_(v)
        return self.free_energy(v0).mean() - self.free_energy(v).mean()

    # -- evaluation ------------------------------------------------------------------------------

    def _exact_ok(self) -> bool:
        return self.n_visible <= MAX_VISIBLE_EXACT

    def log_partition(self, method: str = "exact", **options: Any) -> torch.Tensor:
        """``log Z = log sum_v exp(-F(v))`` (float64): ``"exact"`` enumerates the ``2^D`` visible
        states (D <= 24), ``"ais"`` is :meth:`ais`'s estimate (options ``betas``, ``n_runs``,
        ``data``, ``generator``)."""
        check_choice("method", method, ("exact", "ais"))
        if method == "ais":
            return torch.tensor(self.ais(**options).log_z, dtype=torch.float64)
        if not self._exact_ok():
            raise ValueError(f"exact log Z of Gaussian hidden units enumerates the 2^{self.n_visible} visible "
                             f"states: expected n_features <= {MAX_VISIBLE_EXACT}; use AIS (method='ais')")
        W, b, a = (t.detach().double() for t in (self.W, self.b, self.a))
        with torch.no_grad():
            parts = [torch.logsumexp(v @ b + 0.5 * (torch.addmm(a, v, W) ** 2).sum(-1), 0)
                     for v in exact.enumerate_states(self.n_visible, 1 << 14, device=W.device)]
            return torch.logsumexp(torch.stack(parts), 0)

    def ais(self, *, betas: torch.Tensor | None = None, n_runs: int = 100, data: Any = None,
            generator: torch.Generator | int | None = None) -> ais.AISResult:
        """AIS estimate of ``log Z`` with its +-3 std interval, from the base-rate model of
        ``data`` (default: the training marginals ``data_mean``); see the class docstring."""
        W, b, a = (t.detach() for t in (self.W, self.b, self.a))
        g = as_generator(generator, W.device)
        p = self.data_mean if data is None else self._check(data, "data").mean(0)
        p = p.double().clamp(1e-3, 1 - 1e-3)
        b_A = (torch.log(p) - torch.log1p(-p)).to(W.dtype)  # (D,)
        log_z_base = float(torch.nn.functional.softplus(b_A.double()).sum())

        def log_p_star(v: torch.Tensor, bt: torch.Tensor) -> torch.Tensor:  # (2, M)
            bt = bt.to(W.dtype)[:, None]
            sq = 0.5 * (torch.addmm(a, v, W) ** 2).sum(-1)  # (M,)
            return (1 - bt) * (v @ b_A) + bt * (v @ b) + bt**2 * sq

        def transition(v: torch.Tensor, beta: float, gen: torch.Generator | None) -> torch.Tensor:
            mean = beta * torch.addmm(a, v, W)
            h = mean + torch.randn(mean.shape, generator=gen, device=mean.device, dtype=mean.dtype)
            return bernoulli(torch.sigmoid((1 - beta) * b_A + beta * torch.addmm(b, h, W.T)), gen)

        return anneal(lambda M, gen: bernoulli(torch.sigmoid(b_A).expand(M, -1), gen), log_p_star, transition,
                      log_z_base=log_z_base, betas=betas, n_runs=n_runs, generator=g)

    def evaluate(self, X: Any, y: Any = None, *, generator: torch.Generator | int | None = 0) -> dict[str, float]:
        """Held-out ``pseudo_log_likelihood`` (per feature), ``reconstruction_error`` and, when
        D <= 20, the exact mean ``log_likelihood`` (nats)."""
        v = self._check(X)
        out = {"pseudo_log_likelihood": float(self.pseudo_likelihood(v, full=self.n_visible <= 100,
                                                                     generator=generator).mean()),
               "reconstruction_error": self.reconstruction_error(v)}
        if self.n_visible <= 20:
            out["log_likelihood"] = float(self.log_likelihood(v, method="exact").mean())
        return out

    def extra_repr(self) -> str:
        return (f"n_visible={self.n_visible}, n_hidden={self.n_hidden} (Gaussian), method={self.method!r}, "
                f"k={self.k}, params={count_parameters(self):,}")


LOG_2PI = math.log(2 * math.pi)

__all__ = ["GaussianHiddenRBM", "LOG_2PI"]
