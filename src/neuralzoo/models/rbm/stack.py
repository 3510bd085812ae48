"""Stacks of RBMs: what the DBN, the DBM and the deep autoencoder build on.
"""

from __future__ import annotations

from collections.abc import Sequence

from .bernoulli import RBM


def check_chain(rbms: Sequence[RBM]) -> list[int]:
    """The sizes ``[D, H_1, ...]`` of a stack of RBMs; refuses layers that do not chain."""
    if not rbms:
        raise ValueError("expected at least one RBM to stack, got none")
    sizes = [rbms[0].n_visible]
    for i, r in enumerate(rbms):
        if r.n_visible != sizes[-1]:
            raise ValueError(f"layer sizes do not chain: RBM {i + 1} has {r.n_visible} visible units, "
                             f"expected {sizes[-1]} (the hidden units of RBM {i})")
        sizes.append(r.n_hidden)
    return sizes
