"""Callbacks for an RBM's :func:`neuralzoo.fit`: what a run watches beside its surrogate loss
(which is no likelihood) — reconstruction error, the free-energy gap and, for small models, the
exact negative log-likelihood after every epoch — a CD-k schedule that raises ``k`` as
training goes (Salakhutdinov & Murray 2008 raised it from 1 to 25), and the pseudo-likelihood
behind :meth:`RBM.pseudo_likelihood <neuralzoo.models.rbm.RBM.pseudo_likelihood>`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from ...energy.sampling import as_generator
from ..base import model_device

if TYPE_CHECKING:
    from .bernoulli import RBM

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


class GibbsStepSchedule:
    """Callback: CD-k with ``k`` raised linearly from ``start`` (first epoch) to ``end`` (last).

    Epoch ``e`` of ``E`` (0-based) uses ``k = round(start + (end - start) e / (E - 1))``; the
    value is set before each epoch (also after a resume) and logged as ``k``. Early in training
    the chains mix fast and a few steps suffice; later the model's modes sharpen and CD-1's
    negative samples stay near the data, so more steps buy a better likelihood gradient.
    """

    def __init__(self, model: RBM, start: int, end: int, epochs: int) -> None:
        if not 1 <= int(start) <= int(end):
            raise ValueError(f"k schedule must satisfy 1 <= start <= end, got start={start}, end={end}")
        self.model, self.start, self.end, self.epochs = model, int(start), int(end), int(epochs)

    def k_at(self, epoch: int) -> int:
        frac = min(1.0, epoch / max(1, self.epochs - 1))
        return int(round(self.start + (self.end - self.start) * frac))

    def on_train_begin(self, state: Any) -> None:
        self.model.k = self.k_at(state.epoch)

    def on_epoch_end(self, state: Any, metrics: dict[str, Any]) -> None:
        metrics["k"] = self.model.k  # the k this epoch used; the next epoch's follows
        self.model.k = self.k_at(state.epoch + 1)


def pseudo_likelihood(rbm: RBM, v: torch.Tensor, *, full: bool = False,
                      generator: torch.Generator | int | None = 0) -> torch.Tensor:
    """``(1/D) sum_i log p(v_i | v_-i)`` (N,) of the checked rows ``v``, ``log p(v_i | v_-i) =
    log sigmoid(F(v with bit i flipped) - F(v))``: all D bits (``full``) or one bit per row
    drawn from ``generator`` (a ``torch.Generator``, an int seed or None: the global RNG)."""
    rows = torch.arange(len(v), device=v.device)

    def term(i: torch.Tensor) -> torch.Tensor:  # log p(v_i | v_-i) with bit i[n] of row n flipped (N,)
        flipped = v.clone()
        flipped[rows, i] = 1 - flipped[rows, i]
        return F.logsigmoid(rbm.free_energy(flipped) - F0)

    with torch.no_grad():
        F0 = rbm.free_energy(v)  # (N,)
        if full:
            return sum(term(torch.full_like(rows, i)) for i in range(rbm.n_visible)) / rbm.n_visible
        g = as_generator(generator, v.device)
        return term(torch.randint(0, rbm.n_visible, (len(v),), generator=g, device=v.device))


__all__ = ["EXACT_EPOCH_UNITS", "EpochMetrics", "GibbsStepSchedule", "pseudo_likelihood"]
