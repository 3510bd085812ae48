"""What an RBM run watches beside its surrogate loss (which is no likelihood): a callback
for :func:`neuralzoo.fit` that logs reconstruction error, the free-energy gap and, for small
models, the exact negative log-likelihood after every epoch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from .base import model_device

if TYPE_CHECKING:
    from .rbm import RBM

EXACT_EPOCH_UNITS = 16  # the per-epoch exact metric enumerates at most 2^16 states


class EpochMetrics:
    """Callback: honest per-epoch measures beside the surrogate loss (which is no likelihood).

    ``reconstruction_error`` on up to 1000 training rows; ``free_energy_gap`` =
    ``val_free_energy - mean F(train rows)`` when there is validation data (it grows when the
    model overfits, Hinton's guide §6); ``nll`` (exact, nats) when ``min(D, H) <= 16``.
    """

    def __init__(self, model: RBM, X: torch.Tensor) -> None:
        self.model, self.X = model, X[:1000]

    def on_epoch_end(self, state: Any, metrics: dict[str, Any]) -> None:
        m = self.model
        X = self.X.to(model_device(m))
        with torch.no_grad():
            metrics["reconstruction_error"] = m.reconstruction_error(X)
            if "val_free_energy" in metrics:
                metrics["free_energy_gap"] = metrics["val_free_energy"] - float(m.free_energy(m._check(X)).mean())
            if min(m.n_visible, m.n_hidden) <= EXACT_EPOCH_UNITS and m._exact_ok():
                metrics["nll"] = -float(m.log_likelihood(X, method="exact").mean())


__all__ = ["EXACT_EPOCH_UNITS", "EpochMetrics"]
