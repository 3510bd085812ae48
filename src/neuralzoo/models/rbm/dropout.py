"""Dropout RBM (Srivastava et al., JMLR 2014, section 8): hidden units dropped during CD.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ...config import check_choice
from ...energy import exact
from ...energy.sampling import bernoulli
from ..base import count_parameters
from .bernoulli import RBM


class DropoutRBM(RBM):
    r"""Binary RBM trained with dropout of its hidden units (retention probability ``p``).

    The model of Srivastava et al. (2014, §8.1): a mask ``r in {0, 1}^H``, ``r_j ~ Bernoulli(p)``,
    and the joint ``P(r, h, v) = P(r; p) P(h, v | r)`` where ``P(h, v | r)`` is the RBM
    restricted to ``h_j = 0`` wherever ``r_j = 0`` (the factor ``g(h_j, r_j)``)::

        P(h, v | r) = exp(-E(v, h)) prod_j g(h_j, r_j) / Z(r),   E(v, h) = -v^T W h - b^T v - a^T h
        P(h_j = 1 | r, v) = r_j sigmoid(a_j + (v^T W)_j),   P(v | h) the RBM's
        F_r(v) = -b^T v - sum_j r_j softplus(a_j + (v^T W)_j)      (the thinned RBM's free energy)

    Learning (§8.2): "r is first sampled and only the hidden units that are retained are used
    for training", a fresh ``r`` per training case: CD-k on the thinned RBM, whose surrogate is
    ``mean_n F_{r_n}(v_n) - mean_n F_{r_n}(v'_n)`` (``v'_n`` from the chain of case ``n`` under its
    own mask; ``-dF_r/dw_ij = v_i r_j p(h_j = 1 | v)``).

    Over masks, the expectations are exact and linear in ``r``::

        E_r[P(h_j = 1 | r, v)] = p sigmoid(a_j + (v^T W)_j)
        E_r[F_r(v)] = -b^T v - p sum_j softplus(a_j + (v^T W)_j)   (:meth:`expected_free_energy`)
        E_r[b + W (r * h)] = b + p W h                             (the visible input given h)

    Inference, as for dropout networks: no mask, the weights scaled by ``p``. The model used by
    every method but :meth:`loss` is the RBM ``(p W, b, a)`` (:meth:`ordinary_parameters`):
    its visible input given ``h`` is the mask average above, and its ``log Z``, AIS, samples,
    features and likelihoods are the plain RBM's.

    Args:
        n_features: D, the number of visible units (the width of a data row; fixed by the data).
        n_hidden: hidden units H.
        retention: p, the probability that a hidden unit is kept during training.
        k: Gibbs steps per parameter update (CD-k).
        init_std: standard deviation of the initial weights.

    Attributes:
        W (D, H): the trained weights (the inference model uses ``p W``).  b (D,), a (H,): biases.

    >>> import torch, neuralzoo as nz
    >>> X, _ = nz.datasets.load("digits", binarize="threshold")
    >>> rbm = DropoutRBM(64, 32, retention=0.5).fit(X, epochs=2, seed=0, progress=False)
    >>> bool(torch.equal(rbm.ordinary_parameters()[0], 0.5 * rbm.W))
    True

    Reference: Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov, "Dropout: a simple
    way to prevent neural networks from overfitting", JMLR 15, 2014, §8.
    """

    registry_name = "dropout-rbm"

    def __init__(self, n_features: int, n_hidden: int = 100, *, retention: float = 0.5, k: int = 1,
                 init_std: float = 0.01) -> None:
        if not 0 < retention <= 1:
            raise ValueError(f"retention must lie in (0, 1], got {retention}")
        self.retention = float(retention)
        super().__init__(n_features, n_hidden, method="cd", k=k, init_std=init_std)

    def ordinary_parameters(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(p W, b, a)``: the inference model, weights scaled by the retention ``p``."""
        return self.retention * self.W, self.b, self.a

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """``E(v, h)`` of the inference model ``(p W, b, a)``, paired rows -> (N,)."""
        return exact.rbm_energy(*self.ordinary_parameters(), v, h)

    def thinned_free_energy(self, v: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        """``F_r(v) = -b^T v - sum_j r_j softplus(a_j + (v^T W)_j)``: (N, D), masks (N, H) -> (N,)."""
        return -(v @ self.b) - (r * F.softplus(torch.addmm(self.a, v, self.W))).sum(-1)

    def expected_free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """``E_r[F_r(v)] = -b^T v - p sum_j softplus(a_j + (v^T W)_j)`` (N, D) -> (N,)."""
        return -(v @ self.b) - self.retention * F.softplus(torch.addmm(self.a, v, self.W)).sum(-1)

    def sample_mask(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` masks ``r`` (n, H), ``r_j ~ Bernoulli(p)`` (all ones when ``p = 1``, drawing nothing)."""
        if self.retention == 1.0:
            return self.W.new_ones(n, self.n_hidden)
        return bernoulli(self.W.new_full((n, self.n_hidden), self.retention), generator)

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """CD-k on the thinned RBMs: ``mean F_r(v_0) - mean F_r(v_k)``, one mask per case (detached chains)."""
        v0 = batch[0]
        W, b, a = self.W.detach(), self.b.detach(), self.a.detach()
        with torch.no_grad():
            r = self.sample_mask(len(v0))  # (N, H) one mask per training case
            v = v0
            for _ in range(self.k):  # h ~ P(h | r, v): dropped units stay 0; v ~ P(v | h)
                h = bernoulli(torch.sigmoid(torch.addmm(a, v, W))) * r
                v = bernoulli(torch.sigmoid(torch.addmm(b, h, W.T)))
        return self.thinned_free_energy(v0, r).mean() - self.thinned_free_energy(v, r).mean()

    def fit(self, X: Any, y: Any = None, *, method: str | None = None, **options: Any) -> DropoutRBM:
        """As :meth:`RBM.fit`; the method is CD-k (as in the paper)."""
        if method is not None:
            check_choice("method", method, ("cd",))
        return super().fit(X, y, **options)

    def extra_repr(self) -> str:
        return (f"n_visible={self.n_visible}, n_hidden={self.n_hidden}, retention={self.retention}, "
                f"k={self.k}, params={count_parameters(self):,}")


__all__ = ["DropoutRBM"]
