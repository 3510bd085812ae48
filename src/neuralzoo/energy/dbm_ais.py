"""AIS for the partition function of a deep Boltzmann machine (Salakhutdinov & Hinton 2009).

As for the RBM (:mod:`neuralzoo.energy.ais`), the runs anneal from a base model A of
independent units (``W = 0``; visible biases ``b_A`` from the data marginals, even hidden
layers' biases ``a_A,l`` from the model's own marginals, odd layers uniform) to the DBM B
through ``p_k`` with energy ``E_k = (1 - beta_k) E_A + beta_k E_B``. The odd layers (h1, h3)
are summed out in closed form, so a run's state is the even layers ``(v, h2, ...)``::

    log p*_k(v, h2) = (1 - beta_k) (b_A^T v + a_A,2^T h2) + beta_k (b^T v + a_2^T h2)
                      + sum_{l odd} sum_j softplus(beta_k (a_lj + (x_{l-1} W_l)_j + (W_{l+1} x_{l+1})_j))
    log Z_A = sum_{l odd} n_l log 2 + sum_i softplus(b_A,i) + sum_{l even >= 2} sum_j softplus(a_A,lj)

The transition ``T_k`` is one block-Gibbs sweep of ``p_k``: the odd layers given the even
ones, ``p_k(x_l = 1) = sigmoid(beta_k (c_l + inputs))``, then the even layers given the odd
ones (the visible units ``sigmoid((1 - beta_k) b_A + beta_k (b + W_1 h1))``).

Why the even hidden layers need a base of their own: with h2 uniform in A (``a_A,2 = 0``, the
RBM's recipe carried over) the runs start with half of h2 on, while a trained DBM's h2 is
sparse (2% on for the reproduction's 784-500-1000). Dense h2 and h1 reinforce each other
through ``W_2`` and the chains stay in that state all the way to ``beta = 1``: on that DBM the
estimate came out ~110 nats too low (598.6 for any number of betas, below the 694.6 that one
mean-field bound proves), with the end states' ``log p~`` at -258 against ~610 for the
model's own samples. Starting h2 at the fantasy particles' rates gave 708.8 (RESULTS.md).
Then ``log Z_B_hat = log Z_A + log mean_m w_m`` with the +-3 std interval of
:func:`~neuralzoo.energy.ais.interval`; like every forward AIS it is a stochastic *lower*
bound on ``log Z`` (Jensen), so a log-likelihood bound computed from it is optimistic when
the schedule is too short. Salakhutdinov & Hinton used 20,000 betas (0..0.5 step 1e-3,
0.5..0.9 step 1e-4, 0.9..1 step 1e-5 as :func:`dbm_schedule` builds).

>>> import torch
>>> Ws = [torch.zeros(4, 3), torch.zeros(3, 2)]; cs = [torch.zeros(n) for n in (4, 3, 2)]
>>> r = dbm_ais_log_partition(Ws, cs, betas=torch.linspace(0, 1, 5, dtype=torch.float64), n_runs=3)
>>> round(r.log_z, 4) == round(9 * 0.6931472, 4)   # W = 0, b = 0: log Z = 9 log 2 exactly
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .ais import AISResult, check_schedule, interval
from .dbm_exact import check_layers


def dbm_schedule(n: int = 20_000, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """About ``n`` betas shaped as the published 20,000: 1/40 in 0..0.5, 1/5 in 0.5..0.9, the rest in 0.9..1."""
    n1, n2 = max(2, round(n * 500 / 20_000)), max(2, round(n * 4000 / 20_000))
    n3 = max(2, n - n1 - n2 + 1)
    return torch.cat([torch.linspace(0.0, 0.5, n1 + 1, dtype=dtype)[:-1],
                      torch.linspace(0.5, 0.9, n2 + 1, dtype=dtype)[:-1],
                      torch.linspace(0.9, 1.0, n3, dtype=dtype)])


def _odd_inputs(Ws, cs, xs, L):
    """``c_l + x_{l-1} W_l + x_{l+1} W_{l+1}^T`` for every odd layer (dict l -> (M, n_l))."""
    out = {}
    for l in range(1, L + 1, 2):
        z = torch.addmm(cs[l], xs[l - 1], Ws[l - 1])
        if l < L:
            z = torch.addmm(z, xs[l + 1], Ws[l].T)
        out[l] = z
    return out


def dbm_ais_log_partition(Ws: Sequence[torch.Tensor], cs: Sequence[torch.Tensor], *,
                          b_base: torch.Tensor | None = None, h_base: Sequence[torch.Tensor] | None = None,
                          betas: torch.Tensor | None = None, n_runs: int = 100,
                          generator: torch.Generator | None = None) -> AISResult:
    """AIS estimate of a DBM's ``log Z``: ``Ws[l]`` (n_l, n_{l+1}), ``cs[l]`` (n_l,), ``b_base`` (n_0,)
    the base-rate visible biases, ``h_base`` the base biases of the even hidden layers h2, h4, ...
    in order (omitted: zeros, the uniform model); ``betas`` default :func:`dbm_schedule`."""
    sizes = check_layers(Ws, cs)
    L = len(Ws)
    if int(n_runs) < 1:
        raise ValueError(f"n_runs must be >= 1, got {n_runs}")
    betas = check_schedule(dbm_schedule() if betas is None else betas)
    Ws = [W.detach() for W in Ws]
    dtype, device = Ws[0].dtype, Ws[0].device
    cs = [c.detach().to(dtype) for c in cs]
    D, M = sizes[0], int(n_runs)
    b_base = torch.zeros(D, dtype=dtype, device=device) if b_base is None else b_base.to(device, dtype)
    if b_base.shape != (D,):
        raise ValueError(f"b_base must have shape ({D},), got {tuple(b_base.shape)}")
    even = list(range(2, L + 1, 2))
    if h_base is None:
        h_base = [torch.zeros(sizes[l], dtype=dtype, device=device) for l in even]
    if len(h_base) != len(even) or any(tuple(h.shape) != (sizes[l],) for h, l in zip(h_base, even)):
        raise ValueError(f"h_base: expected one vector per even hidden layer, shapes {[(sizes[l],) for l in even]}, "
                         f"got {[tuple(h.shape) for h in h_base]}")
    base = {0: b_base, **{l: h.to(device, dtype) for l, h in zip(even, h_base)}}  # even layer -> base biases
    log_z_base = float(sum(sizes[l] for l in range(1, L + 1, 2)) * math.log(2.0)
                       + sum(F.softplus(x.double()).sum() for x in base.values()))

    def rand(n: int) -> torch.Tensor:
        return torch.rand(M, n, generator=generator, dtype=dtype, device=device)

    with torch.no_grad():
        # 1. exact samples of A: every even layer independent with its base biases
        xs: list[torch.Tensor | None] = [None] * (L + 1)
        for l, bl_ in base.items():
            xs[l] = (rand(sizes[l]) < torch.sigmoid(bl_)).to(dtype)
        log_w = torch.zeros(M, dtype=torch.float64, device=device)
        K = len(betas) - 1
        bl = betas.tolist()
        for k in range(1, K + 1):
            beta, prev = bl[k], bl[k - 1]
            # 2. log w += log p*_k(x) - log p*_{k-1}(x) at the current even states
            z = _odd_inputs(Ws, cs, xs, L)
            delta = sum((beta - prev) * (xs[l] @ (cs[l] - bl_)) for l, bl_ in base.items())
            for zl in z.values():
                delta = delta + (F.softplus(beta * zl) - F.softplus(prev * zl)).sum(1)
            log_w += delta.double()
            if k == K:
                break
            # 3. x ~ T_k(. | x): odd layers given even, then even layers given odd, at beta_k
            for l, zl in z.items():
                xs[l] = (rand(sizes[l]) < torch.sigmoid(beta * zl)).to(dtype)
            for l, bl_ in base.items():  # p_k(x_l = 1) = sigmoid(base_l + beta (c_l - base_l + inputs))
                zl = torch.addmm(cs[l] - bl_, xs[l + 1], Ws[l].T) if l < L else cs[l] - bl_
                if l > 0:
                    zl = torch.addmm(zl, xs[l - 1], Ws[l - 1])
                xs[l] = (rand(sizes[l]) < torch.sigmoid(bl_ + beta * zl)).to(dtype)
    est, low, high = interval(log_w, log_z_base)
    return AISResult(est, low, high, log_z_base, log_w, len(betas))


__all__ = ["dbm_ais_log_partition", "dbm_schedule"]
