"""Sequential Gibbs sampling and simulated annealing for binary (0/1) units with symmetric weights.

For an energy ``E(s) = -1/2 s^T W s - b^T s`` (``W`` symmetric, zero diagonal) at temperature
``T``, the conditional of one unit given all the others is the lecture's stochastic unit::

    u_i = sum_j w_ij s_j + b_i                        (the local field; w_ii = 0)
    p(s_i = 1 | s_rest) = sigmoid(u_i / T)

A sweep visits the units ``i = 0 .. n-1`` one after the other, each seeing the new values
of the units before it, so that every update leaves the Boltzmann distribution
``p(s) ∝ exp(-E(s)/T)`` invariant (a parallel update of connected units would not). A batch
of independent chains, one per row of ``s`` (N, n), is updated together: the loop over the
units is sequential, the work inside it is vectorised over the chains.

Clamping: units under a ``clamp`` mask (n,) or (N, n) are never changed (the clamped phase
of Boltzmann learning, completion of partial patterns). Simulated annealing runs sweeps at
a falling temperature (Kirkpatrick et al. 1983) so that the chains escape high energy
barriers before settling at the target temperature.

These functions take ``(W, b, states)`` and no model: the Boltzmann machine uses them, and
so can every model whose energy has this form (an RBM is ``W`` with two zero blocks).

>>> import torch
>>> W = torch.tensor([[0., 2.], [2., 0.]]); b = torch.tensor([-1., -1.])
>>> s = torch.zeros(4, 2)
>>> g = torch.Generator().manual_seed(0)
>>> gibbs_sample(W, b, s, steps=3, clamp=torch.tensor([True, False]), generator=g)[:, 0].tolist()
[0.0, 0.0, 0.0, 0.0]
>>> geometric_schedule(8.0, 1.0, 4)
[8.0, 4.0, 2.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def local_field(W: torch.Tensor, b: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``u = s W + b``, the input of every unit for each row of ``s`` (N, n) -> (N, n)."""
    return s @ W + b


def _clamp_mask(clamp: torch.Tensor | None, s: torch.Tensor) -> torch.Tensor | None:
    if clamp is None:
        return None
    clamp = clamp.to(device=s.device, dtype=torch.bool)
    if clamp.shape not in ((s.shape[1],), tuple(s.shape)):
        raise ValueError(f"clamp must have shape ({s.shape[1]},) or {tuple(s.shape)}: "
                         f"got {tuple(clamp.shape)}")
    return clamp


def gibbs_sweep(W: torch.Tensor, b: torch.Tensor, s: torch.Tensor, *, temperature: float = 1.0,
                clamp: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """One sequential sweep over all units, in place on ``s`` (N, n); returns ``s``.

    ``clamp`` (n,) or (N, n) bool: units that keep their value. ``generator`` draws the
    uniforms (one (N, n) block per sweep), so one seed gives one chain.
    """
    clamp = _clamp_mask(clamp, s)
    u = torch.rand(s.shape, generator=generator, device=s.device, dtype=s.dtype)  # (N, n)
    per_unit = clamp is not None and clamp.dim() == 1
    for i in range(s.shape[1]):
        if per_unit and bool(clamp[i]):
            continue  # a unit clamped in every chain: nothing to draw
        # 1. local field of unit i from the current states (earlier units already updated)
        field = s @ W[:, i] + b[i]  # (N,)
        # 2. s_i = 1 with probability sigmoid(u_i / T)
        new = (u[:, i] < torch.sigmoid(field / temperature)).to(s.dtype)  # (N,)
        if clamp is not None and not per_unit:
            new = torch.where(clamp[:, i], s[:, i], new)
        s[:, i] = new
    return s


def gibbs_sample(W: torch.Tensor, b: torch.Tensor, s: torch.Tensor, steps: int, *, temperature: float = 1.0,
          clamp: torch.Tensor | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """``steps`` sequential sweeps at temperature ``T``; returns new states (``s`` is not changed)."""
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    with torch.no_grad():
        W, b, s = W.detach(), b.detach(), s.detach().clone()
        for _ in range(steps):
            gibbs_sweep(W, b, s, temperature=temperature, clamp=clamp, generator=generator)
    return s


def geometric_schedule(t_start: float, t_end: float, n: int) -> list[float]:
    """``n`` temperatures falling geometrically from ``t_start`` to ``t_end`` (both included)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not (t_start > 0 and t_end > 0):
        raise ValueError(f"temperatures must be > 0, got t_start={t_start}, t_end={t_end}")
    if n == 1:
        return [float(t_end)]
    ratio = (t_end / t_start) ** (1.0 / (n - 1))
    return [float(t_start * ratio**k) for k in range(n - 1)] + [float(t_end)]


def anneal(W: torch.Tensor, b: torch.Tensor, s: torch.Tensor, schedule: Sequence[float], *,
           sweeps_per_temperature: int = 1, clamp: torch.Tensor | None = None,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """Simulated annealing: ``sweeps_per_temperature`` sweeps at each temperature of ``schedule``.

    ``schedule`` is any sequence of positive temperatures (e.g. :func:`geometric_schedule`, or
    Ackley et al.'s ``[20, 20, 15, 15, 12, 12, 10, 10, 10, 10]``). Returns new states.
    """
    schedule = [float(t) for t in schedule]
    if any(not t > 0 for t in schedule):
        raise ValueError(f"schedule must hold temperatures > 0, got {schedule}")
    for t in schedule:
        s = gibbs_sample(W, b, s, sweeps_per_temperature, temperature=t, clamp=clamp, generator=generator)
    return s
