"""Sampling helpers shared by the energy models (RBM variants, DBN, DBM).
"""

from __future__ import annotations

import torch


def bernoulli(p: torch.Tensor, generator: torch.Generator | None = None, *,
              out: torch.Tensor | None = None) -> torch.Tensor:
    """0/1 states with ``P(1) = p``, same shape, dtype and device (uniforms below ``p``),
    written into ``out`` when given (else over the uniforms: one buffer, no cast)."""
    u = torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype)
    return torch.lt(u, p, out=u if out is None else out)


def visible_batch(x: torch.Tensor, dynamic: bool) -> torch.Tensor:
    """The visible states a batch ``x`` trains on: ``x`` itself, or with dynamic binarisation
    (``x`` the probabilities, e.g. grey levels) a fresh draw ``v ~ Bernoulli(x)`` for every batch."""
    return bernoulli(x) if dynamic else x
