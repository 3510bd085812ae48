"""Exact sums of a small deep Boltzmann machine (DBM), the oracle of its AIS and its tests.

A DBM with layers ``x_0 = v, x_1 = h1, ..., x_L = hL``, weights ``W_l`` (n_{l-1}, n_l) and
biases ``c_l`` (n_l,) (``c_0 = b`` visible, ``c_l = a_l`` hidden) has the energy::

    E(x) = -sum_{l=1..L} x_{l-1}^T W_l x_l - sum_{l=0..L} c_l^T x_l

The layers of one parity (odd: h1, h3, ...; even: v, h2, ...) are conditionally independent
given the other parity, so one parity sums out in closed form::

    log sum_{odd} exp(-E(x)) = sum_{l even} c_l^T x_l
                               + sum_{l odd} sum_j softplus(c_lj + (x_{l-1} W_l)_j + (W_{l+1} x_{l+1})_j)

and ``log Z`` enumerates only the other parity (the smaller one is chosen), ``log p(v)``
only the even hidden layers (none for L = 1: the RBM's free energy; 2^{n_2} for L = 2).

>>> import torch
>>> Ws = [torch.zeros(3, 2, dtype=torch.float64), torch.zeros(2, 2, dtype=torch.float64)]
>>> cs = [torch.zeros(n, dtype=torch.float64) for n in (3, 2, 2)]
>>> round(float(dbm_log_partition(Ws, cs)), 6) == round(7 * 0.6931472, 6)   # 2^7 states, E = 0
True
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .exact import MAX_EXACT_UNITS, enumerate_states

Tensors = Sequence[torch.Tensor]


def check_layers(Ws: Tensors, cs: Tensors) -> list[int]:
    """The layer sizes ``[n_0, ..., n_L]``; refuses weights and biases that do not chain."""
    if len(cs) != len(Ws) + 1:
        raise ValueError(f"a DBM with {len(Ws)} weight matrices needs {len(Ws) + 1} bias vectors, got {len(cs)}")
    sizes = [int(c.shape[0]) for c in cs]
    for i, W in enumerate(Ws):
        if tuple(W.shape) != (sizes[i], sizes[i + 1]):
            raise ValueError(f"W_{i + 1} must have shape ({sizes[i]}, {sizes[i + 1]}) to chain layers "
                             f"{i} and {i + 1}, got {tuple(W.shape)}")
    return sizes


def dbm_energy(Ws: Tensors, cs: Tensors, xs: Tensors) -> torch.Tensor:
    """``E(x) = -sum_l x_{l-1}^T W_l x_l - sum_l c_l^T x_l`` of paired rows, each ``xs[l]`` (N, n_l) -> (N,)."""
    E = -sum(x @ c for x, c in zip(xs, cs))
    for i, W in enumerate(Ws):
        E = E - ((xs[i] @ W) * xs[i + 1]).sum(-1)
    return E


def layer_input(Ws: Tensors, cs: Tensors, xs: Sequence[torch.Tensor | None], l: int) -> torch.Tensor:
    """The total input of layer ``l``: ``c_l + x_{l-1} W_l + x_{l+1} W_{l+1}^T`` (N, n_l)."""
    z = cs[l]
    if l > 0:
        z = z + xs[l - 1] @ Ws[l - 1]
    if l < len(Ws):
        z = z + xs[l + 1] @ Ws[l].T
    return z


def log_marginal_parity(Ws: Tensors, cs: Tensors, xs: Sequence[torch.Tensor | None], parity: int) -> torch.Tensor:
    """``log sum over the layers of parity 1 - parity of exp(-E)``, given the layers of ``parity`` (N,).

    ``xs[l]`` holds (N, n_l) states for every layer ``l`` with ``l % 2 == parity`` (others ignored).
    """
    L = len(Ws)
    kept = [l for l in range(L + 1) if l % 2 == parity]
    out = sum(xs[l] @ cs[l] for l in kept)
    for l in range(L + 1):
        if l % 2 != parity:
            out = out + F.softplus(layer_input(Ws, cs, xs, l)).sum(-1)
    return out


def _states_of(layers: list[int], sizes: list[int], chunk: torch.Tensor) -> dict[int, torch.Tensor]:
    """Split enumerated states (C, sum n_l) into the given layers, in order."""
    out, at = {}, 0
    for l in layers:
        out[l] = chunk[:, at:at + sizes[l]]
        at += sizes[l]
    return out


def dbm_log_partition(Ws: Tensors, cs: Tensors, *, max_units: int = MAX_EXACT_UNITS,
                      chunk_size: int = 1 << 14) -> torch.Tensor:
    """Exact ``log Z`` (float64 scalar): enumerate the parity with fewer units, sum out the other."""
    sizes = check_layers(Ws, cs)
    Ws = [W.detach().double() for W in Ws]
    cs = [c.detach().double() for c in cs]
    by_parity = [sum(sizes[l] for l in range(len(sizes)) if l % 2 == p) for p in (0, 1)]
    parity = 0 if by_parity[0] <= by_parity[1] else 1
    layers = [l for l in range(len(sizes)) if l % 2 == parity]
    parts = []
    for chunk in enumerate_states(by_parity[parity], chunk_size, device=Ws[0].device, max_units=max_units):
        xs: list[torch.Tensor | None] = [None] * len(sizes)
        for l, x in _states_of(layers, sizes, chunk).items():
            xs[l] = x
        parts.append(torch.logsumexp(log_marginal_parity(Ws, cs, xs, parity), 0))
    return torch.logsumexp(torch.stack(parts), 0)


def dbm_log_unnormalized(Ws: Tensors, cs: Tensors, v: torch.Tensor, *,
                         max_units: int = MAX_EXACT_UNITS) -> torch.Tensor:
    """``log sum_h exp(-E(v, h))`` (N,) float64: the even hidden layers enumerated, the odd summed out."""
    sizes = check_layers(Ws, cs)
    Ws = [W.detach().double() for W in Ws]
    cs = [c.detach().double() for c in cs]
    v = v.double()
    layers = [l for l in range(2, len(sizes), 2)]
    n = sum(sizes[l] for l in layers)
    parts = []
    for chunk in enumerate_states(n, 1 << 12, device=v.device, max_units=max_units):  # (S, n)
        S, N = len(chunk), len(v)
        xs: list[torch.Tensor | None] = [None] * len(sizes)
        xs[0] = v.repeat_interleave(S, 0)  # (N S, D): every v with every state
        for l, x in _states_of(layers, sizes, chunk).items():
            xs[l] = x.repeat(N, 1)  # (N S, n_l)
        parts.append(torch.logsumexp(log_marginal_parity(Ws, cs, xs, 0).reshape(N, S), 1))
    return torch.logsumexp(torch.stack(parts, 1), 1)


def dbm_log_likelihood(Ws: Tensors, cs: Tensors, v: torch.Tensor, *,
                       max_units: int = MAX_EXACT_UNITS) -> torch.Tensor:
    """Exact ``log p(v) = log sum_h exp(-E(v, h)) - log Z`` (N,) float64, nats."""
    return dbm_log_unnormalized(Ws, cs, v, max_units=max_units) - dbm_log_partition(Ws, cs, max_units=max_units)


__all__ = ["check_layers", "dbm_energy", "dbm_log_likelihood", "dbm_log_partition", "dbm_log_unnormalized",
           "layer_input", "log_marginal_parity"]
