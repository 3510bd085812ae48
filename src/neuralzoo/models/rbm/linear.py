"""An RBM with linear (Gaussian, unit-variance) hidden units: the code layer of the deep autoencoder.
"""

from __future__ import annotations

from typing import Any

import torch

from .bernoulli import RBM


class LinearRBM(RBM):
    r"""RBM with binary visible and *linear* (Gaussian, unit-variance) hidden units.

    The code layer of Hinton & Salakhutdinov's deep autoencoder::

        E(v, h) = -v^T W h - b^T v - a^T h + 1/2 h^T h
        p(h | v) = N(a + W^T v, I)                     (a real-valued code)
        p(v_i = 1 | h) = sigmoid(b_i + sum_j w_ij h_j)
        F(v) = -b^T v - 1/2 || a + W^T v ||^2  (+ const)

    so ``-dF/dw_ij = v_i E[h_j | v]``. CD-1 as in the paper's ``rbmhidlinear.m``: hidden
    states ``h = a + W^T v + eps``, a mean-field reconstruction ``v' = p(v | h)``, the surrogate
    ``mean F(v) - mean F(v')``. ``log Z`` is not offered (the hidden units are continuous).
    """

    registry_name = "linear-rbm"

    def p_h_given_v(self, v: torch.Tensor) -> torch.Tensor:
        """The mean ``E[h | v] = a + W^T v`` (N, D) -> (N, H) (the code)."""
        return torch.addmm(self.a, v, self.W)

    def sample_h(self, v: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(E[h | v], h)`` with ``h = E[h | v] + eps``, ``eps ~ N(0, I)``."""
        mean = self.p_h_given_v(v)
        return mean, mean + torch.randn(mean.shape, generator=generator, device=mean.device)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """``F(v) = -b^T v - 1/2 ||a + W^T v||^2`` (N, D) -> (N,), up to a constant."""
        return -(v @ self.b) - 0.5 * (torch.addmm(self.a, v, self.W) ** 2).sum(1)

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """CD-k surrogate ``mean F(v) - mean F(v'_k)`` (``v'`` detached, mean-field visibles)."""
        v0 = batch[0]
        with torch.no_grad():
            v = v0
            for _ in range(self.k):
                _, h = self.sample_h(v)
                v = self.p_v_given_h(h)
        return self.free_energy(v0).mean() - self.free_energy(v).mean()

    def log_partition(self, method: str = "exact", **options: Any) -> torch.Tensor:
        raise ValueError("log Z of a LinearRBM: expected binary hidden units, got linear (Gaussian) ones")

    def _exact_ok(self) -> bool:  # no log Z: fit's epoch metrics must not ask for the exact nll
        return False

    def evaluate(self, X: Any, y: Any = None) -> dict[str, float]:
        """Held-out mean-field ``reconstruction_error`` per visible unit."""
        return {"reconstruction_error": self.reconstruction_error(X)}
