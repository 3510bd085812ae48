"""The RBM with ±1 (Ising, spin) units in both layers, and its exact map onto the 0/1 RBM.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ..._checks import check_X
from ...config import check_choice
from ...energy import ais, exact
from ...energy.sampling import as_generator, bernoulli
from ..base import model_device, seeded_reset
from .bernoulli import RBM


def spins(p: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """±1 states with ``P(+1) = p``, same shape and dtype."""
    return bernoulli(p, generator).mul_(2).sub_(1)


def log_2cosh(x: torch.Tensor) -> torch.Tensor:
    """``log(e^x + e^-x) = softplus(2 x) - x``, stable for any ``x``."""
    return F.softplus(2 * x) - x


class IsingRBM(RBM):
    r"""RBM whose visible and hidden units take the values -1 and +1 (Ising spins).

    The energy is the RBM's, read over ``s in {-1, +1}^D``, ``sigma in {-1, +1}^H``::

        E(s, sigma) = -s^T W sigma - b^T s - a^T sigma
        p(sigma_j = +1 | s) = sigmoid(2 (a_j + (s^T W)_j)),   E[sigma_j | s] = tanh(a_j + (s^T W)_j)
        p(s_i = +1 | sigma) = sigmoid(2 (b_i + (W sigma)_i))
        F(s) = -b^T s - sum_j log(2 cosh(a_j + (s^T W)_j))

    The learning rule is the RBM's surrogate ``mean F(s_data) - mean F(s_model)`` (CD or PCD),
    ``-dF/dw_ij = s_i tanh(a_j + (s^T W)_j)``.

    The map to the 0/1 RBM. With ``s = 2u - 1``, ``sigma = 2g - 1`` (u, g in {0, 1})::

        E(s, sigma) = E_01(u, g; W' = 4W, b' = 2b - 2 W 1, a' = 2a - 2 W^T 1) + C,
        C = 1^T b + 1^T a - 1^T W 1

    so ``log Z = log Z_01(W', b', a') - C`` and ``F(s) = F_01(u) + C``: :meth:`log_partition`
    enumerates (or anneals, AIS) the equivalent 0/1 RBM (:meth:`binary_parameters`), and the
    tests check it against a brute-force sum over all ±1 joint states.

    Data: ±1 rows, or rows in [0, 1] read as ``s = 2x - 1`` (0/1 pixels: 0 -> -1, 1 -> +1). The
    model's own outputs are in its units: :meth:`sample` gives ±1 states, :meth:`reconstruct`
    the means ``E[s | sigma = E[sigma | s]]`` in [-1, 1]; :meth:`transform` gives
    ``p(sigma_j = +1 | s)`` in [0, 1] (``2p - 1`` is the mean ``tanh``).

    Args:
        n_features: D, the number of visible spins (the width of a data row; fixed by the data).
        n_hidden: hidden spins H.
        method: negative samples: "cd" or "pcd" (persistent).
        k: Gibbs steps per parameter update.
        n_chains: persistent chains M ("pcd").
        init_std: standard deviation of the initial weights.

    Attributes:
        W (D, H): weights ``N(0, init_std^2)``.  b (D,): visible fields; ``fit`` sets
        ``b_i = atanh(m_i)`` for the data means ``m_i`` of ``s_i``.  a (H,): hidden fields, 0.
        chains (M, D): ±1 persistent states.  data_mean (D,): ``p(s_i = +1)`` of the data.

    >>> import torch, neuralzoo as nz
    >>> X, _ = nz.datasets.load("digits", binarize="threshold")       # 0/1, read as -1/+1
    >>> rbm = IsingRBM(64, 16).fit(X, epochs=2, seed=0, progress=False)
    >>> sorted(rbm.sample(3, steps=5, generator=0).unique().tolist())
    [-1.0, 1.0]
    >>> bool(rbm.log_likelihood(X[:50]).mean() > -64 * 0.6931)         # beats 64 log 2
    True

    References: the ±1 RBM of statistical physics (e.g. Decelle & Furtlehner, Chinese Phys. B
    2021); ``rbms`` 0.6 (Ising units); Hinton 2002 (CD); Tieleman 2008 (PCD).
    """

    registry_name = "ising-rbm"
    data_defaults = {"binarize": "threshold"}

    def __init__(self, n_features: int, n_hidden: int = 100, *, method: str = "cd", k: int = 1,
                 n_chains: int = 100, init_std: float = 0.01) -> None:
        check_choice("method", method, ("cd", "pcd"))
        super().__init__(n_features, n_hidden, method=method, k=k, n_chains=n_chains, init_std=init_std)

    def reset_parameters(self) -> None:
        """``W ~ N(0, init_std^2)``, zero fields, ±1 chains drawn from the data marginals."""
        with torch.no_grad():
            self.W.normal_(0.0, self.init_std)
            self.b.zero_()
            self.a.zero_()
            self.chains.copy_(spins(self.data_mean.expand_as(self.chains)))

    # -- the model -----------------------------------------------------------------------------

    def binary_parameters(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(W', b', a', C)`` of the 0/1 RBM with ``E(s, sigma) = E_01(u, g) + C`` (class docstring)."""
        W, b, a = self.W, self.b, self.a
        return 4 * W, 2 * b - 2 * W.sum(1), 2 * a - 2 * W.sum(0), b.sum() + a.sum() - W.sum()

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """``E(s, sigma)`` of paired ±1 rows (N, D), (N, H) -> (N,)."""
        return exact.rbm_energy(self.W, self.b, self.a, v, h)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """``F(s) = -b^T s - sum_j log 2cosh(a_j + (s^T W)_j)`` (N, D) -> (N,)."""
        return -(v @ self.b) - log_2cosh(torch.addmm(self.a, v, self.W)).sum(-1)

    def p_h_given_v(self, v: torch.Tensor) -> torch.Tensor:
        """``p(sigma_j = +1 | s) = sigmoid(2 (a_j + (s^T W)_j))`` (N, D) -> (N, H)."""
        return torch.sigmoid(2 * torch.addmm(self.a, v, self.W))

    def p_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        """``p(s_i = +1 | sigma) = sigmoid(2 (b_i + (W sigma)_i))`` (N, H) -> (N, D)."""
        return torch.sigmoid(2 * torch.addmm(self.b, h, self.W.T))

    def sample_h(self, v: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(p(sigma = +1 | s), sigma)``: probabilities and ±1 states, both (N, H)."""
        p = self.p_h_given_v(v)
        return p, spins(p, generator)

    def sample_v(self, h: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(p(s = +1 | sigma), s)``: probabilities and ±1 states, both (N, D)."""
        p = self.p_v_given_h(h)
        return p, spins(p, generator)

    def _chain_start(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        return spins(self.data_mean.expand(n, self.n_visible), generator)

    def reconstruct(self, v: Any) -> torch.Tensor:
        """Mean-field reconstruction ``tanh(b + W tanh(a + W^T s))`` (N, D), in [-1, 1]."""
        s = self._check(v)
        with torch.no_grad():
            return torch.tanh(torch.addmm(self.b, torch.tanh(torch.addmm(self.a, s, self.W)), self.W.T))

    def reconstruction_error(self, X: Any) -> float:
        """Mean squared error per spin between ``s`` and its mean-field reconstruction (±1 units)."""
        return float(((self._check(X) - self.reconstruct(X)) ** 2).mean())

    # -- data ------------------------------------------------------------------------------------

    def _spins(self, X: Any, name: str = "X") -> torch.Tensor:
        X = check_X(X, self.n_visible, name=name)
        lo, hi = torch.aminmax(X)
        if lo >= 0 and hi <= 1:
            return 2 * X - 1  # 0/1 (or probabilities of +1) -> ±1 (means)
        bad = (X != 1) & (X != -1)
        if bool(bad.any()):
            r, c = (int(i) for i in bad.nonzero()[0])
            raise ValueError(f"{name} must be ±1 spins or values in [0, 1] (read as 2x - 1): got "
                             f"{float(X[r, c])!r} at row {r}, column {c}")
        return X

    def _check(self, X: Any, name: str = "X") -> torch.Tensor:
        return self._spins(X, name).to(model_device(self), self.W.dtype)

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor]:
        return (self._spins(X),)

    def start_from_data(self, X: torch.Tensor, seed: int) -> None:
        """``data_mean = p(s_i = +1)`` of the ±1 rows ``X``, parameters from ``seed``, ``b_i = atanh(m_i)``."""
        with torch.no_grad():
            self.data_mean.copy_(((X.mean(0) + 1) / 2).to(self.data_mean))
        seeded_reset(self, seed)
        with torch.no_grad():  # independent spins: p(s_i = +1) = sigmoid(2 b_i)
            self.b.copy_(torch.logit(self.data_mean, eps=1e-3) / 2)

    # -- learning ----------------------------------------------------------------------------------

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The surrogate ``mean F(s_data) - mean F(s_model)`` (``s_model`` by CD-k or PCD-k, detached)."""
        v0 = batch[0]
        with torch.no_grad():
            if self.method == "cd":
                v = v0
                for _ in range(self.k):
                    v = self.sample_v(self.sample_h(v)[1])[1]
            else:
                v = self.chains
                for _ in range(self.k):
                    v = self.sample_v(self.sample_h(v)[1])[1]
                self.chains.copy_(v)
        return self.free_energy(v0).mean() - self.free_energy(v).mean()

    # -- evaluation ------------------------------------------------------------------------------

    def log_partition(self, method: str = "exact", **options: Any) -> torch.Tensor:
        """``log Z = log Z_01(W', b', a') - C`` (float64): ``"exact"`` enumerates the smaller layer
        of the equivalent 0/1 RBM, ``"ais"`` anneals it (options of :meth:`ais`)."""
        check_choice("method", method, ("exact", "ais"))
        if method == "ais":
            return torch.tensor(self.ais(**options).log_z, dtype=torch.float64)
        W, b, a, C = (t.detach() for t in self.binary_parameters())
        return exact.rbm_log_partition(W, b, a) - C.double()

    def ais(self, *, betas: torch.Tensor | None = None, n_runs: int = 100, data: Any = None,
            generator: torch.Generator | int | None = None) -> ais.AISResult:
        """AIS on the equivalent 0/1 RBM (base rates of ``data``, default the training marginals),
        shifted by ``-C``: the estimate of ``log Z`` with its +-3 std interval."""
        W, b, a, C = (t.detach() for t in self.binary_parameters())
        p = self.data_mean if data is None else (self._check(data, "data").mean(0) + 1) / 2
        p = p.double().clamp(1e-3, 1 - 1e-3)
        b_base = (torch.log(p) - torch.log1p(-p)).to(W.dtype)
        r = ais.ais_log_partition(W, b, a, b_base=b_base, betas=betas, n_runs=n_runs,
                                  generator=as_generator(generator, W.device))
        c = float(C)
        r.log_z, r.log_z_low, r.log_z_high, r.log_z_base = (r.log_z - c, r.log_z_low - c, r.log_z_high - c,
                                                            r.log_z_base - c)
        return r

    def pseudo_likelihood(self, X: Any, *, full: bool = False,
                          generator: torch.Generator | int | None = 0) -> torch.Tensor:
        """Log pseudo-likelihood per spin, ``(1/D) sum_i log sigmoid(F(s with s_i -> -s_i) - F(s))``:
        all D spins (``full``) or one per row drawn from ``generator``."""
        s = self._check(X)
        rows = torch.arange(len(s), device=s.device)
        with torch.no_grad():
            F0 = self.free_energy(s)

            def term(i: torch.Tensor) -> torch.Tensor:
                flipped = s.clone()
                flipped[rows, i] = -flipped[rows, i]
                return F.logsigmoid(self.free_energy(flipped) - F0)

            if full:
                return sum(term(torch.full_like(rows, i)) for i in range(self.n_visible)) / self.n_visible
            g = as_generator(generator, s.device)
            return term(torch.randint(0, self.n_visible, (len(s),), generator=g, device=s.device))


__all__ = ["IsingRBM", "log_2cosh", "spins"]
