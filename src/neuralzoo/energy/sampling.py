"""Sampling helpers shared by the energy models (RBM variants, DBN, DBM) and every method that draws."""

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


def as_generator(generator: torch.Generator | int | None,
                 device: torch.device | str | None = None) -> torch.Generator | None:
    """The one way randomness enters a method that draws: a ``torch.Generator`` as it is, an
    int as a fresh generator seeded with it (on ``device``), None as None (the global RNG).

    >>> torch.equal(torch.rand(3, generator=as_generator(5)), torch.rand(3, generator=torch.Generator().manual_seed(5)))
    True
    """
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    if isinstance(generator, bool) or not isinstance(generator, int):
        raise TypeError(f"generator: expected a torch.Generator, an int seed or None, got "
                        f"{type(generator).__name__} {generator!r}")
    return torch.Generator(device=device or "cpu").manual_seed(generator)
