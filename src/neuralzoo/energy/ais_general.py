"""AIS for RBMs whose units are not both Bernoulli (categorical visibles, Gaussian hiddens).

The same estimator as :mod:`neuralzoo.energy.ais` (Salakhutdinov & Murray 2008; Neal 2001),
written once over three functions that the model supplies, so that each unit type states only
its own algebra:

- ``sample_base(M, generator)``: ``M`` exact samples ``v_0`` of the base model ``p_A``;
- ``log_p_star(v, betas)``: the unnormalised log marginal ``log p*_beta(v)`` of the intermediate
  model at every beta of ``betas`` (B,), as (B, M) -- one product ``v W`` serves both betas of
  a step;
- ``transition(v, beta, generator)``: one Gibbs step ``v -> h -> v`` that leaves ``p_beta`` invariant.

With ``0 = beta_0 < ... < beta_K = 1``, a run accumulates
``log w = sum_k log p*_k(v_{k-1}) - log p*_{k-1}(v_{k-1})`` and ``E[w] = Z_B / Z_A``, so
``log Z_B ~ log Z_A + log mean_m w_m`` with the +-3 std interval of :func:`ais.interval`.

>>> import torch
>>> base = lambda M, g: torch.zeros(M, 1)   # one unit, p_beta(v) = 1 at v = 0: log Z = 0
>>> r = anneal(base, lambda v, b: torch.zeros(len(b), len(v)), lambda v, b, g: v,
...            log_z_base=0.0, betas=torch.linspace(0, 1, 5), n_runs=3)
>>> r.log_z
0.0
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .ais import AISResult, check_schedule, interval, published_schedule


def anneal(sample_base: Callable[[int, torch.Generator | None], torch.Tensor],
           log_p_star: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
           transition: Callable[[torch.Tensor, float, torch.Generator | None], torch.Tensor], *,
           log_z_base: float, betas: torch.Tensor | None = None, n_runs: int = 100,
           generator: torch.Generator | None = None) -> AISResult:
    """Forward AIS from the base model to the target; the estimate of ``log Z`` with its interval.

    ``betas``: the schedule (default the published 14,501); ``n_runs``: parallel runs ``M``.
    """
    if int(n_runs) < 1:
        raise ValueError(f"n_runs must be >= 1, got {n_runs}")
    betas = check_schedule(published_schedule() if betas is None else betas)
    with torch.no_grad():
        v = sample_base(int(n_runs), generator)  # (M, ...) exact samples of p_A
        log_w = torch.zeros(len(v), dtype=torch.float64, device=v.device)
        K = len(betas) - 1
        for k in range(1, K + 1):
            # 1. log w += log p*_k(v_{k-1}) - log p*_{k-1}(v_{k-1})
            pair = betas[[k, k - 1]].to(device=v.device)
            lp = log_p_star(v, pair).double()  # (2, M)
            log_w += lp[0] - lp[1]
            # 2. v_k ~ T_k(. | v_{k-1}) (the last transition would not change w)
            if k < K:
                v = transition(v, float(betas[k]), generator)
    est, low, high = interval(log_w, float(log_z_base))
    return AISResult(est, low, high, float(log_z_base), log_w.cpu(), len(betas))


__all__ = ["anneal"]
