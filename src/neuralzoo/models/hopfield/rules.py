"""Storage rules and pattern helpers of the Hopfield networks (:mod:`.hopfield`).

The binary conventions (:func:`to_pm1`, :func:`from_pm1`), the corruptions of probes
(:func:`flip`, :func:`mask`), and the storage rules, Hebbian, Storkey and pseudo-inverse,
with :func:`store_weights` that adds patterns to a memory by one of them.
"""

from __future__ import annotations

from typing import Any

import torch

from ...train import as_tensor

# -- binary conventions and corruptions -------------------------------------------------------

def to_pm1(x: Any, n_units: int | None = None, *, name: str = "patterns") -> tuple[torch.Tensor, bool]:
    """``x`` (B, N) as a float -1/+1 tensor, and whether it came as 0/1 (then ``x -> 2x - 1``).

    Values in {0, 1} are 0/1 data; values in {-1, +1} are taken as they are; an all-ones
    array is the same in both and counts as -1/+1. Anything else is refused.
    """
    x = as_tensor(x)
    if x.dim() != 2:
        raise ValueError(f"{name} must be 2-D (B, N): got shape {tuple(x.shape)}")
    if n_units is not None and x.shape[1] != n_units:
        raise ValueError(f"{name} have the wrong length: expected {n_units} units, got {x.shape[1]}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} are empty: expected at least one pattern, got 0")
    if not x.is_floating_point():
        x = x.float()
    one = x == 1
    if bool((one | (x == -1)).all()):
        return x, False
    if bool((one | (x == 0)).all()):
        return 2 * x - 1, True
    values = torch.unique(x.detach().cpu())[:6].tolist()
    raise ValueError(f"expected binary patterns (0/1 or -1/+1), got values {values}"
                     f"{' ...' if len(values) == 6 else ''} (binarize the data first)")


def from_pm1(x: torch.Tensor, was01: bool) -> torch.Tensor:
    """-1/+1 states back into the caller's convention (``(x + 1) / 2`` for 0/1)."""
    return (x + 1) / 2 if was01 else x


def flip(patterns: Any, fraction: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Copies of ``patterns`` (B, N) with ``round(fraction N)`` bits flipped per row.

    The flipped positions are drawn independently for each row (from ``generator``); the
    result keeps the convention of ``patterns`` (0 <-> 1, or -1 <-> +1).
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction}")
    x, was01 = to_pm1(patterns)
    k = round(fraction * x.shape[1])
    scores = torch.rand(x.shape, generator=generator)  # (B, N) on the CPU: one stream anywhere
    chosen = torch.zeros(x.shape, dtype=torch.bool)
    chosen.scatter_(1, scores.argsort(dim=1)[:, :k], True)
    return from_pm1(torch.where(chosen.to(x.device), -x, x), was01)


def mask(patterns: Any, fraction: float = 0.5, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Copies of ``patterns`` (B, N) with ``round(fraction N)`` units set to "off" (-1, or 0).

    Without ``generator`` the last units are masked (the bottom part of an image stored row
    by row: the classic "complete the picture" demo); with one, random units per row.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction}")
    x, was01 = to_pm1(patterns)
    n = x.shape[1]
    k = round(fraction * n)
    chosen = torch.zeros(x.shape, dtype=torch.bool)
    if generator is None:
        chosen[:, n - k:] = k > 0
    else:
        chosen.scatter_(1, torch.rand(x.shape, generator=generator).argsort(dim=1)[:, :k], True)
    return from_pm1(torch.where(chosen.to(x.device), -torch.ones_like(x), x), was01)


# -- storage rules (xi: (P, N) of -1/+1, float64) ----------------------------------------------

def hebbian_weights(xi: torch.Tensor, *, scaled: bool = True) -> torch.Tensor:
    """Hebb's rule ``W = (1/N) sum_mu xi^mu xi^mu^T`` with zero diagonal, (N, N): one matmul."""
    W = xi.T @ xi  # (N, N) sum over the P patterns
    if scaled:
        W = W / xi.shape[1]
    return W.fill_diagonal_(0)


def storkey_weights(xi: torch.Tensor, W: torch.Tensor | None = None) -> torch.Tensor:
    """Storkey's rule, learning the rows of ``xi`` one after the other on top of ``W``.

    ``w_ij <- w_ij + (1/N) (xi_i xi_j - xi_i h_ji - h_ij xi_j)`` with the local field that
    leaves out units i and j, ``h_ij = sum_{k != i, j} w_ik xi_k``, computed from the weights
    before the pattern (not the full field). Sequential over patterns, vectorised over units.
    """
    n = xi.shape[1]
    W = xi.new_zeros(n, n) if W is None else W.clone()
    for x in xi:  # (N,)
        f = W @ x  # (N,) full fields f_i = sum_k w_ik x_k
        H = f[:, None] - (W.diagonal() * x)[:, None] - W * x[None, :]  # (N, N) h_ij: k != i, j
        W = W + (torch.outer(x, x) - x[:, None] * H.T - H * x[None, :]) / n
        W.fill_diagonal_(0)
    return W


def pseudo_inverse_weights(xi: torch.Tensor) -> torch.Tensor:
    """The projection rule ``W = Xi^T (Xi Xi^T)^-1 Xi`` with the diagonal set to zero, (N, N)."""
    p, n = xi.shape
    if p > n:
        raise ValueError("the pseudo-inverse rule stores at most N linearly independent patterns: "
                         f"expected P <= {n}, got {p}")
    rank = int(torch.linalg.matrix_rank(xi))
    if rank < p:
        raise ValueError("the pseudo-inverse rule stores at most N linearly independent patterns: "
                         f"expected {p} independent patterns, got {p} of rank {rank}")
    C = xi @ xi.T  # (P, P) overlaps of the patterns
    return (xi.T @ torch.linalg.solve(C, xi)).fill_diagonal_(0)  # (N, N)


def store_weights(W: torch.Tensor, old: torch.Tensor, new: torch.Tensor, rule: str,
                  scaled: bool = True) -> torch.Tensor:
    """The weights after storing ``new`` (P', N) on top of ``W`` that holds ``old`` (P, N)."""
    W, old, new = W.double(), old.double(), new.double()
    if rule == "hebbian":
        return W + hebbian_weights(new, scaled=scaled)  # Hebb is additive: incremental for free
    if rule == "storkey":
        return storkey_weights(new, W)
    return pseudo_inverse_weights(torch.cat([old, new]))  # recomputed from every stored pattern


__all__ = ["flip", "from_pm1", "hebbian_weights", "mask", "pseudo_inverse_weights",
           "store_weights", "storkey_weights", "to_pm1"]
