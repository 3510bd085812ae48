"""Exact sums over all ``2^n`` binary states, for energy models small enough to enumerate.

The generic part — :func:`enumerate_states` (chunks of 0/1 states in a fixed order) and
:func:`log_partition` (``log Z = log sum_s exp(-E(s))`` by a logsumexp accumulated chunk by
chunk in float64) — takes any energy function and is shared by the Boltzmann machine and the
RBM. The rest is specific to the fully connected Boltzmann machine with energy
``E(s) = -1/2 s^T W s - b^T s`` at temperature ``T``: exact ``log Z``, exact ``log p(v)`` (the
hidden units summed out), and the exact clamped and free statistics ``<s_i s_j>`` of the
learning rule.

Memory stays bounded: at most ``chunk_size`` states (times the batch, for the per-example
sums) are held at once, whatever ``n``. Time is ``2^n``: :func:`check_enumerable` refuses
more than :data:`MAX_EXACT_UNITS` units with a message that suggests sampling instead.

>>> import torch
>>> next(enumerate_states(2)).tolist()
[[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
>>> round(float(log_partition(lambda s: torch.zeros(len(s), dtype=s.dtype), 10)), 6)  # log 2^10
6.931472
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch

from ..train import distributed as _dist

MAX_EXACT_UNITS = 24  # 2^24 = 16.8M states: seconds on a CPU; beyond that, sample
DEFAULT_CHUNK = 1 << 16  # states per chunk


def check_enumerable(n: int, max_units: int = MAX_EXACT_UNITS) -> None:
    """Refuse to enumerate ``2^n`` states when ``n > max_units``, naming the sizes."""
    if n > max_units:
        raise ValueError(
            f"exact enumeration of 2^{n} states is too large: expected n <= {max_units} units; "
            "use Gibbs sampling (method='gibbs')"
        )


def enumerate_states(n: int, chunk_size: int = DEFAULT_CHUNK, *, dtype: torch.dtype = torch.float64,
                     device: torch.device | str | None = None,
                     max_units: int = MAX_EXACT_UNITS) -> Iterator[torch.Tensor]:
    """All ``2^n`` binary states as 0/1 tensors of shape (chunk, n), in binary counting order.

    State number ``k`` has unit ``i`` equal to bit ``n - 1 - i`` of ``k`` (unit 0 is the most
    significant bit), so the chunks concatenated are the states 0 .. 2^n - 1 in order. The
    last chunk is shorter when ``chunk_size`` does not divide ``2^n``. ``n = 0`` yields the one
    empty state, shape (1, 0).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    check_enumerable(n, max_units)
    shifts = torch.arange(n - 1, -1, -1, device=device)  # (n,) bit of unit i
    total = 1 << n
    for start in range(0, total, chunk_size):
        k = torch.arange(start, min(start + chunk_size, total), device=device)  # (C,)
        yield ((k[:, None] >> shifts) & 1).to(dtype)  # (C, n)


def log_partition(energy_fn: Callable[[torch.Tensor], torch.Tensor], n: int,
                  chunk_size: int = DEFAULT_CHUNK, *, device: torch.device | str | None = None,
                  max_units: int = MAX_EXACT_UNITS) -> torch.Tensor:
    """``log Z = log sum_s exp(-energy_fn(s))`` over all ``2^n`` states, float64, differentiable.

    ``energy_fn`` maps float64 states (C, n) to energies (C,) (include ``1/T`` in it for a
    temperature). Each chunk's logsumexp is kept and the chunk results are combined by one
    more logsumexp, so nothing overflows and autograd flows through every chunk.
    """
    parts = [torch.logsumexp(-energy_fn(s), dim=0)
             for s in enumerate_states(n, chunk_size, device=device, max_units=max_units)]
    return torch.logsumexp(torch.stack(parts), dim=0)


def probabilities(energy_fn: Callable[[torch.Tensor], torch.Tensor], n: int,
                  chunk_size: int = DEFAULT_CHUNK, *, device: torch.device | str | None = None,
                  max_units: int = 20) -> torch.Tensor:
    """The Boltzmann distribution ``exp(-E(s)) / Z`` of every state, (2^n,) in state order.

    Holds all ``2^n`` probabilities at once, hence the lower default ``max_units``.
    """
    with torch.no_grad():
        log_z = log_partition(energy_fn, n, chunk_size, device=device, max_units=max_units)
        return torch.cat([torch.exp(-energy_fn(s) - log_z)
                          for s in enumerate_states(n, chunk_size, device=device, max_units=max_units)])


def state_index(s: torch.Tensor) -> torch.Tensor:
    """The number ``k`` of each 0/1 state row of ``s`` (N, n) in :func:`enumerate_states` order."""
    n = s.shape[-1]
    weights = 2 ** torch.arange(n - 1, -1, -1, device=s.device)  # (n,)
    return (s.long() * weights).sum(-1)


# -- the fully connected Boltzmann machine, E(s) = -1/2 s^T W s - b^T s ----------------------


def bm_energy(W: torch.Tensor, b: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``E(s) = -1/2 s^T W s - b^T s`` for each row of ``s`` (N, n) -> (N,); W symmetric, zero diagonal."""
    return -0.5 * ((s @ W) * s).sum(-1) - s @ b


def independent_units(W: torch.Tensor) -> list[int]:
    """A large set of units with no weight between any two of them (greedy from every start unit).

    The structural zeros of ``W`` (a connectivity mask, an RBM's two blocks) decide it; given
    the other units, these units are independent, so they can be summed out in closed form.
    """
    adj = (W != 0).cpu()
    order = sorted(range(len(W)), key=lambda i: int(adj[i].sum()))  # lowest degree first
    best: list[int] = []
    for first in range(len(W)):
        blocked = torch.zeros(len(W), dtype=torch.bool)
        chosen: list[int] = []
        for i in [first, *order]:
            if not blocked[i]:
                chosen.append(i)
                blocked |= adj[i]
                blocked[i] = True
        if len(chosen) > len(best):
            best = chosen
    return sorted(best)


def bm_log_partition(W: torch.Tensor, b: torch.Tensor, temperature: float = 1.0,
                     chunk_size: int = DEFAULT_CHUNK, max_units: int = MAX_EXACT_UNITS) -> torch.Tensor:
    """Exact ``log Z = log sum_s exp(-E(s)/T)`` (float64 scalar, differentiable in W and b).

    The units of :func:`independent_units` (set B; the rest is A) are summed out in closed
    form, as for an RBM's hidden layer, and only the ``2^|A|`` states of A are enumerated::

        sum_{s_B} exp(-E(s)/T) = exp(-E_A(s_A)/T) prod_{j in B} (1 + exp(u_j(s_A)/T)),
        u_j(s_A) = sum_{i in A} w_ij s_i + b_j

    (B is at least one unit: for a fully connected machine this halves the work; for the
    8-3-8 encoder it removes a factor of 8.)
    """
    W, b = W.double(), b.double()
    n = len(b)
    B = independent_units(W.detach()) if n > 1 else []
    A = [i for i in range(n) if i not in set(B)]
    if not B:
        return log_partition(lambda s: bm_energy(W, b, s) / temperature, n, chunk_size,
                             device=W.device, max_units=max_units)
    W_AA, W_AB, b_A, b_B = W[A][:, A], W[A][:, B], b[A], b[B]

    def energy_A(s: torch.Tensor) -> torch.Tensor:  # (C,) the free energy of s_A, B summed out
        u_B = s @ W_AB + b_B  # (C, |B|)
        return bm_energy(W_AA, b_A, s) / temperature - torch.nn.functional.softplus(u_B / temperature).sum(-1)

    check_enumerable(n, max_units)
    return log_partition(energy_A, len(A), chunk_size, device=W.device, max_units=max_units)


def _split(W: torch.Tensor, b: torch.Tensor, n_visible: int):
    D = n_visible
    return W[:D, :D], W[:D, D:], W[D:, D:], b[:D], b[D:]


def bm_neg_energy_grid(W: torch.Tensor, b: torch.Tensor, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """``-E(v_n, h_c)`` for every pair of rows, (N, C), without forming the (N, C, n) states.

    ``E(v, h) = -1/2 v^T W_vv v - v^T W_vh h - 1/2 h^T W_hh h - b_v^T v - b_h^T h``.
    """
    D = v.shape[1]
    W_vv, W_vh, W_hh, b_v, b_h = _split(W, b, D)
    e_v = 0.5 * ((v @ W_vv) * v).sum(-1) + v @ b_v  # (N,)
    e_h = 0.5 * ((h @ W_hh) * h).sum(-1) + h @ b_h  # (C,)
    return e_v[:, None] + (v @ W_vh) @ h.T + e_h[None, :]  # (N, C)


def bm_log_unnormalized(W: torch.Tensor, b: torch.Tensor, v: torch.Tensor, temperature: float = 1.0,
                        chunk_size: int = DEFAULT_CHUNK,
                        max_units: int = MAX_EXACT_UNITS) -> torch.Tensor:
    """``log sum_h exp(-E(v, h)/T)`` for each visible row ``v`` (N, D) -> (N,), float64.

    The hidden units (the last ``n - D`` of W) are summed out by enumerating their ``2^H``
    states in chunks of ``chunk_size // N`` (at least 1) so that the (N, chunk) grid stays bounded.
    """
    W, b, v = W.double(), b.double(), v.double()
    H = len(b) - v.shape[1]
    per = max(1, chunk_size // max(1, len(v)))
    parts = [torch.logsumexp(bm_neg_energy_grid(W, b, v, h) / temperature, dim=1)  # (N,)
             for h in enumerate_states(H, per, device=W.device, max_units=max_units)]
    return torch.logsumexp(torch.stack(parts, dim=1), dim=1)  # (N,)


def bm_log_marginal(W: torch.Tensor, b: torch.Tensor, v: torch.Tensor, temperature: float = 1.0,
                    chunk_size: int = DEFAULT_CHUNK, max_units: int = MAX_EXACT_UNITS) -> torch.Tensor:
    """Exact ``log p(v) = log sum_h exp(-E(v,h)/T) - log Z`` for each row of ``v`` (N, D) -> (N,)."""
    return (bm_log_unnormalized(W, b, v, temperature, chunk_size, max_units)
            - bm_log_partition(W, b, temperature, chunk_size, max_units))


def bm_free_statistics(W: torch.Tensor, b: torch.Tensor, temperature: float = 1.0,
                       chunk_size: int = DEFAULT_CHUNK,
                       max_units: int = MAX_EXACT_UNITS) -> tuple[torch.Tensor, torch.Tensor]:
    """The free-phase expectations ``(<s_i s_j>, <s_i>)`` under ``p(s)``, shapes (n, n) and (n,), float64."""
    with torch.no_grad():
        W, b = W.double(), b.double()
        n = len(b)
        log_z = bm_log_partition(W, b, temperature, chunk_size, max_units)
        ss = torch.zeros(n, n, dtype=torch.float64, device=W.device)
        s1 = torch.zeros(n, dtype=torch.float64, device=W.device)
        for s in enumerate_states(n, chunk_size, device=W.device, max_units=max_units):
            p = torch.exp(-bm_energy(W, b, s) / temperature - log_z)  # (C,)
            ss += (s * p[:, None]).T @ s
            s1 += p @ s
        return ss, s1


def bm_clamped_statistics(W: torch.Tensor, b: torch.Tensor, v: torch.Tensor, temperature: float = 1.0,
                          chunk_size: int = DEFAULT_CHUNK,
                          max_units: int = MAX_EXACT_UNITS) -> tuple[torch.Tensor, torch.Tensor]:
    """The clamped-phase expectations ``(<s_i s_j>, <s_i>)``, averaged over the rows of ``v``.

    For each data vector ``v_n`` the hidden units follow ``p(h | v_n)``; with ``s = (v, h)``::

        <v v^T> = mean_n v_n v_n^T,   <v h^T> = mean_n v_n E[h | v_n]^T,
        <h h^T> = mean_n sum_h p(h | v_n) h h^T
    """
    with torch.no_grad():
        W, b, v = W.double(), b.double(), v.double()
        N, D = v.shape
        n = len(b)
        H = n - D
        log_u = bm_log_unnormalized(W, b, v, temperature, chunk_size, max_units)  # (N,)
        Eh = torch.zeros(N, H, dtype=torch.float64, device=W.device)
        hh = torch.zeros(H, H, dtype=torch.float64, device=W.device)
        per = max(1, chunk_size // max(1, N))
        for h in enumerate_states(H, per, device=W.device, max_units=max_units):
            post = torch.exp(bm_neg_energy_grid(W, b, v, h) / temperature - log_u[:, None])  # (N, C) p(h|v_n)
            Eh += post @ h
            hh += (h * post.sum(0)[:, None]).T @ h
        s_mean = torch.cat([v, Eh], dim=1).mean(0)  # (n,)
        ss = torch.empty(n, n, dtype=torch.float64, device=W.device)
        ss[:D, :D] = v.T @ v / N
        ss[:D, D:] = v.T @ Eh / N
        ss[D:, :D] = ss[:D, D:].T
        ss[D:, D:] = hh / N
        return ss, s_mean


def bm_conditional_marginals(W: torch.Tensor, b: torch.Tensor, s: torch.Tensor, known: torch.Tensor,
                             temperature: float = 1.0, chunk_size: int = DEFAULT_CHUNK,
                             max_units: int = 20) -> torch.Tensor:
    """``p(s_i = 1 | s_known)`` for every unit, given the values of ``s`` (N, n) where ``known``.

    ``known`` is a bool mask (n,) or (N, n); known units get their own value back. Two passes
    over all ``2^n`` states: the log-normaliser of each row, then the weighted sums.
    """
    with torch.no_grad():
        W, b, s = W.double(), b.double(), s.double()
        N, n = s.shape
        known = known.to(torch.bool).expand(N, n).to(torch.float64)  # (N, n)
        per = max(1, chunk_size // max(1, N))

        def masked_logw(x: torch.Tensor) -> torch.Tensor:  # (N, C): -E/T, -inf where inconsistent
            mismatch = (known @ x.T + (known * s) @ (1 - 2 * x.T)) > 0.5  # (N, C) any known unit differs
            logw = -bm_energy(W, b, x) / temperature  # (C,)
            return logw.expand(N, -1).masked_fill(mismatch, -math.inf)

        states = lambda: enumerate_states(n, per, device=W.device, max_units=max_units)  # noqa: E731
        log_norm = torch.logsumexp(torch.stack([torch.logsumexp(masked_logw(x), 1) for x in states()], 1), 1)
        out = torch.zeros(N, n, dtype=torch.float64, device=W.device)
        for x in states():
            out += torch.exp(masked_logw(x) - log_norm[:, None]) @ x
        return out


# -- the restricted Boltzmann machine, E(v,h) = -v^T W h - b^T v - a^T h ----------------------
#
# Given one layer, the units of the other are independent, so one layer is summed out in
# closed form and only the 2^min(D, H) states of the smaller layer are enumerated:
#
#     log Z = log sum_h exp(a^T h) prod_i (1 + exp(b_i + (W h)_i))      (enumerate h)
#           = log sum_v exp(b^T v) prod_j (1 + exp(a_j + (v^T W)_j))    (enumerate v)
#
# For the enumerated layer the states are split into a high and a low part, s = (s_hi, s_lo):
# the other layer's input ``s W^T = s_hi W_hi^T + s_lo W_lo^T`` is one table of the 2^L low
# states (a single GEMM, made once) plus one row per high state, so each chunk costs an
# addition and a softplus per element and no GEMM at all.

MAX_RBM_EXACT_UNITS = 30  # 2^30 states of the smaller layer: minutes; beyond that, AIS


def check_rbm_enumerable(n_visible: int, n_hidden: int, max_units: int = MAX_RBM_EXACT_UNITS) -> None:
    """Refuse an RBM whose smaller layer has more than ``max_units`` units, naming the sizes."""
    n = min(n_visible, n_hidden)
    if n > max_units:
        raise ValueError(
            f"exact log Z enumerates 2^{n} states of the smaller layer ({n} units): "
            f"expected <= {max_units}; use AIS (method='ais')"
        )


def rbm_energy(W: torch.Tensor, b: torch.Tensor, a: torch.Tensor, v: torch.Tensor,
               h: torch.Tensor) -> torch.Tensor:
    """``E(v, h) = -v^T W h - b^T v - a^T h`` for paired rows of ``v`` (N, D) and ``h`` (N, H) -> (N,)."""
    return -((v @ W) * h).sum(-1) - v @ b - h @ a


def rbm_free_energy(W: torch.Tensor, b: torch.Tensor, a: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``F(v) = -b^T v - sum_j softplus(a_j + (v^T W)_j)`` (N, D) -> (N,): ``p(v) = exp(-F(v)) / Z``."""
    return -(v @ b) - torch.nn.functional.softplus(torch.addmm(a, v, W)).sum(-1)


def rbm_log_partition(W: torch.Tensor, b: torch.Tensor, a: torch.Tensor, *,
                      chunk_size: int = 1 << 14, dtype: torch.dtype = torch.float64,
                      max_units: int = MAX_RBM_EXACT_UNITS, distributed: bool = False) -> torch.Tensor:
    """Exact ``log Z`` of an RBM (float64 scalar, no gradient), enumerating the smaller layer.

    ``W`` is (D, H), ``b`` (D,) the visible and ``a`` (H,) the hidden biases. The per-state
    terms are computed in ``dtype`` (float32 halves the time of a large model at ~1e-5
    relative error per state) and always combined by a float64 logsumexp. Memory: one
    (chunk_size, other layer) block. 784-25 enumerates 2^25 hidden states: about a minute.

    ``distributed=True`` under torchrun (every rank calls it): the ``2^(n - low)`` chunks (one
    per high state) are split into contiguous shares, one per rank, and the ranks' partial
    ``log sum`` are combined by one more logsumexp, so every rank returns the whole ``log Z``
    (equal to one process's up to float64 rounding). In one process it changes nothing.
    """
    D, H = W.shape
    check_rbm_enumerable(D, H, max_units)
    with torch.no_grad():
        if H > D:  # enumerate the visible layer instead: swap the roles of the two layers
            W, b, a = W.T, a, b
        W, b, a = W.to(dtype), b.to(dtype), a.to(dtype)
        n = W.shape[1]  # units enumerated; the other layer (size W.shape[0]) is summed out
        low = min(n, max(0, int(chunk_size).bit_length() - 1))  # 2^low states per chunk
        s_lo = next(enumerate_states(low, 1 << low, dtype=dtype, device=W.device, max_units=max_units))
        table = s_lo @ W[:, n - low:].T + b  # (2^low, D') input of the other layer, low bits only
        lin_lo = s_lo @ a[n - low:]  # (2^low,)
        ctx = _dist.context() if distributed else None
        first, count = _dist.count_share(1 << (n - low), ctx)  # this rank's chunks
        parts = []
        for i, s_hi in enumerate(enumerate_states(n - low, 1, dtype=dtype, device=W.device,
                                                  max_units=max_units)):
            if not first <= i < first + count:
                continue
            s_hi = s_hi[0]  # (n - low,)
            x = table + W[:, :n - low] @ s_hi  # (2^low, D')
            lin = lin_lo + s_hi @ a[:n - low]  # (2^low,)
            parts.append(torch.logsumexp((lin + torch.nn.functional.softplus(x).sum(-1)).double(), 0))
        mine = (torch.logsumexp(torch.stack(parts), 0) if parts  # a rank without chunks: log 0
                else torch.tensor(-math.inf, dtype=torch.float64, device=W.device))
        return _dist.logsumexp_all(mine, ctx)


def rbm_log_marginal(W: torch.Tensor, b: torch.Tensor, a: torch.Tensor, v: torch.Tensor,
                     log_z: torch.Tensor | None = None) -> torch.Tensor:
    """Exact ``log p(v) = -F(v) - log Z`` (N, D) -> (N,), float64 (``log_z`` computed if not given)."""
    if log_z is None:
        log_z = rbm_log_partition(W, b, a)
    with torch.no_grad():
        return -rbm_free_energy(W.double(), b.double(), a.double(), v.double()) - log_z.double()
