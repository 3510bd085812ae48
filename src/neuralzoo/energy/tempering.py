"""Parallel tempering (replica exchange): a ladder of inverse temperatures and neighbour swaps.

A set of chains runs at each inverse temperature ``1 = beta_0 > beta_1 > ... > beta_{T-1} >= 0``
of the tempered distributions ``p_beta(x) ∝ exp(-beta E(x))``; hot chains (small beta) cross
energy barriers, and swaps between neighbouring temperatures carry their states down to
``beta = 1``. The swap of the states ``x_t`` and ``x_{t+1}`` is accepted with the Metropolis
probability of the exchange, which leaves the product of all tempered distributions invariant::

    log r = log p*_t(x_{t+1}) + log p*_{t+1}(x_t) - log p*_t(x_t) - log p*_{t+1}(x_{t+1})
    accept with probability min(1, exp(log r))

(``p*`` unnormalised: the ``Z`` cancel). Even pairs ``(0,1), (2,3), ...`` and odd pairs
``(1,2), ...`` are disjoint, so each parity is swapped in one vectorised step.

The code knows no model: ``log_p(x, beta)`` maps states (T', M, ...) and their inverse
temperatures (T',) to unnormalised log probabilities (T', M). For an RBM (Desjardins et al.
2010) it is the tempered free energy ``log p*_beta(v) = beta b^T v + sum_j softplus(beta (a + v^T W)_j)``.

>>> import torch
>>> x = torch.arange(6.).reshape(3, 2, 1)            # 3 temperatures, 2 chains each
>>> flat = lambda x, beta: torch.zeros(x.shape[:2])  # a flat distribution: every swap is accepted
>>> swap_neighbours(x, flat, linear_ladder(3), parity=0)[0].flatten().tolist()
[2.0, 3.0, 0.0, 1.0, 4.0, 5.0]
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def linear_ladder(n: int, beta_min: float = 0.0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` inverse temperatures falling linearly from 1 to ``beta_min`` (both included)."""
    if n < 1:
        raise ValueError(f"a ladder needs at least 1 temperature, got {n}")
    if not 0.0 <= beta_min < 1.0:
        raise ValueError(f"beta_min must lie in [0, 1), got {beta_min}")
    if n == 1:
        return torch.ones(1, dtype=dtype)
    return torch.linspace(1.0, beta_min, n, dtype=dtype)


def swap_neighbours(states: torch.Tensor, log_p: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                    betas: torch.Tensor, parity: int,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Metropolis swaps between temperatures ``t`` and ``t+1`` for every ``t`` of ``parity`` (0 or 1).

    ``states`` (T, M, ...): ``M`` chains at each of the ``T`` temperatures; chain ``m`` at
    ``t`` is paired with chain ``m`` at ``t+1``. Returns the new states (a new tensor) and the
    accepted mask (P, M) of the ``P`` pairs.
    """
    T = states.shape[0]
    if betas.shape != (T,):
        raise ValueError(f"betas must have shape ({T},) (one per temperature), got {tuple(betas.shape)}")
    lo = torch.arange(parity % 2, T - 1, 2, device=states.device)  # (P,) lower index of each pair
    if len(lo) == 0:
        return states.clone(), torch.zeros(0, states.shape[1], dtype=torch.bool, device=states.device)
    betas = betas.to(states.device)
    x_lo, x_hi, b_lo, b_hi = states[lo], states[lo + 1], betas[lo], betas[lo + 1]
    # 1. log r of exchanging the two states of every pair (the same for all chains' layouts)
    log_r = (log_p(x_hi, b_lo) + log_p(x_lo, b_hi) - log_p(x_lo, b_lo) - log_p(x_hi, b_hi))  # (P, M)
    # 2. Metropolis: accept when log u < log r
    u = torch.rand(log_r.shape, generator=generator, device=log_r.device, dtype=log_r.dtype)
    accept = torch.log(u) < log_r  # (P, M)
    # 3. exchange the accepted pairs
    mask = accept.reshape(*accept.shape, *([1] * (states.dim() - 2)))
    new = states.clone()
    new[lo] = torch.where(mask, x_hi, x_lo)
    new[lo + 1] = torch.where(mask, x_lo, x_hi)
    return new, accept
