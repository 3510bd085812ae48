"""Hopfield networks with graded states: the continuous network of the lecture's "two common
forms" (Hopfield 1984), and the modern dense associative memory (Ramsauer et al. 2020).

Both share the interface of the discrete :class:`~neuralzoo.models.hopfield.Hopfield`:
``store(patterns)``, ``recall(probes, return_trace=...)``, ``energy``, ``fit``, ``evaluate``;
patterns and probes are 0/1 or -1/+1, and recall answers with binary states (the sign of the
graded state) in the probes' convention.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ...config import check_choice
from ...energy.sampling import as_generator
from .discrete import RULES, RecallResult, _Memory, from_pm1

METHODS = ("euler", "rk4")


def _binary(V: torch.Tensor, s0: torch.Tensor) -> torch.Tensor:
    """``sign(V)``, keeping the probe's bit where ``V = 0``."""
    return torch.where(V != 0, V.sign(), s0)


class ContinuousHopfield(_Memory, nn.Module):
    r"""Continuous (graded-response) Hopfield network of N tanh units.

    Dynamics (an RC circuit per unit, Hopfield 1984, with C = 1 and R = tau)::

        du_i/dt = -u_i / tau + sum_j w_ij V_j + I_i,      V_i = g(u_i) = tanh(gain u_i)

    Energy, a Lyapunov function for symmetric W::

        E(V) = -1/2 V^T W V - I^T V + 1/(tau gain) sum_i int_0^{V_i} atanh(v) dv
        int_0^V atanh(v) dv = 1/2 [(1 + V) ln(1 + V) + (1 - V) ln(1 - V)]     (ln 2 at V = +-1)

    since ``dE/dV_i = -du_i/dt`` and so ``dE/dt = -sum_i g'(u_i) (du_i/dt)^2 <= 0``. The ODE is
    integrated with a fixed step ``dt`` (``method="euler"`` or ``"rk4"``) until
    ``max_i |du_i/dt| < tol`` for every probe or ``max_steps`` steps. Recall starts at
    ``u = x`` (the -1/+1 probe, so ``V = tanh(gain x)``) and answers ``sign(V)``. High gain
    makes the units nearly binary and the attractors those of the discrete network; storage
    is by the discrete network's rules (Hebbian by default). Stored patterns are attractors
    when ``gain tau`` times their eigenvalue of W exceeds 1 (about ``gain tau (1 - alpha) > 1``
    for Hebb).

    Args:
        n_features: N, the number of units: the width of a pattern (fixed by the data).
        rule: storage rule: "hebbian", "storkey" or "pseudo-inverse".
        gain: slope of V = tanh(gain u); high gain ~ binary units.
        tau: time constant of the leak -u / tau.
        dt: integration step.
        method: integrator: "euler" or "rk4".
        max_steps: integration steps at most.
        tol: converged when max |du/dt| < tol.
        select: patterns stored by fit: "per-class" or the "first" rows.
        patterns_per_class: select="per-class": the first examples of each class.
        n_patterns: select="first": how many rows.
        n_stored: P, the stored patterns' count, set by store and fit; give it only to rebuild
            a stored network (the (P, N) patterns buffer that load_state_dict fills).

    Glossary (B probes, N units, P patterns, S steps):
        u: (B, N) internal potentials;  V: (B, N) outputs in (-1, 1);  W: (N, N) weights,
        symmetric, zero diagonal;  I: (N,) bias currents;  Xi: (P, N) stored patterns.

    Attributes (buffers):
        W: (N, N) weights, zero until ``store``.
        I: (N,) bias currents, zero.
        patterns: (P, N) stored patterns as -1/+1 (P = ``n_stored``).

    Example:
        >>> import torch
        >>> xi = torch.tensor([[1., -1, 1, -1, 1, -1], [1., 1, 1, -1, -1, -1]])
        >>> net = ContinuousHopfield(6, gain=4.0).store(xi)
        >>> net.recall(torch.tensor([[1., -1, 1, -1, 1, 1]])).tolist()
        [[1.0, -1.0, 1.0, -1.0, 1.0, -1.0]]

    Reference: Hopfield, "Neurons with graded response have collective computational
    properties like those of two-state neurons", PNAS 1984; Hopfield & Tank, "Neural
    computation of decisions in optimization problems", Biol. Cybern. 1985.
    """

    registry_name = "continuous-hopfield"

    def __init__(self, n_features: int, *, rule: str = "hebbian", gain: float = 4.0, tau: float = 1.0,
                 dt: float = 0.05, method: str = "euler", max_steps: int = 400, tol: float = 1e-4,
                 select: str = "per-class", patterns_per_class: int = 1, n_patterns: int = 10,
                 n_stored: int = 0) -> None:
        super().__init__()
        check_choice("rule", rule, RULES)
        check_choice("method", method, METHODS)
        for name, v in (("gain", gain), ("tau", tau), ("dt", dt), ("tol", tol)):
            if not float(v) > 0:
                raise ValueError(f"{name} must be positive, got {v}")
        if int(max_steps) < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        self._init_memory(n_features, n_stored, select, patterns_per_class, n_patterns)
        n = self.n_units
        self.rule, self.method = rule, method
        self.gain, self.tau, self.dt, self.tol = float(gain), float(tau), float(dt), float(tol)
        self.max_steps = int(max_steps)
        self.register_buffer("W", torch.zeros(n, n))  # (N, N)
        self.register_buffer("I", torch.zeros(n))  # (N,)

    def reset_parameters(self) -> None:
        """Empty memory: W = 0, I = 0, no stored pattern."""
        self.W.zero_()
        self.I.zero_()
        self._forget()

    def store(self, patterns: Any, rule: str | None = None) -> ContinuousHopfield:
        """Store the rows of ``patterns`` (P, N) by ``rule`` (default ``self.rule``)."""
        self._store_by_rule(patterns, rule)
        return self

    def set_weights(self, W: Any, I: Any = None) -> ContinuousHopfield:
        """Use given symmetric weights (N, N) and bias currents (N,) (the diagonal may be nonzero)."""
        W = torch.as_tensor(W).to(self.W)
        n = self.n_units
        if tuple(W.shape) != (n, n) or not torch.allclose(W, W.T, atol=1e-6):
            raise ValueError(f"W must be symmetric (N, N): expected {(n, n)} with w_ij = w_ji, "
                             f"got shape {tuple(W.shape)}")
        self.W.copy_(W)
        if I is not None:
            self.I.copy_(torch.as_tensor(I).to(self.I).reshape(n))
        self._fitted = True
        return self

    # -- the operations of the network ----------------------------------------------------

    def output(self, u: torch.Tensor) -> torch.Tensor:
        """``V = tanh(gain u)``, same shape."""
        return torch.tanh(self.gain * u)

    def flow(self, u: torch.Tensor) -> torch.Tensor:
        """``du/dt = -u / tau + V W + I``, shape (B, N)."""
        return -u / self.tau + self.output(u) @ self.W + self.I

    def energy(self, V: torch.Tensor) -> torch.Tensor:
        """The Lyapunov energy of graded states ``V`` (B, N) in [-1, 1], shape (B,)."""
        V = torch.as_tensor(V).to(self.W)
        integral = 0.5 * (torch.xlogy(1 + V, 1 + V) + torch.xlogy(1 - V, 1 - V))  # int_0^V atanh
        return (-0.5 * ((V @ self.W) * V).sum(-1) - V @ self.I
                + integral.sum(-1) / (self.tau * self.gain))

    def step(self, u: torch.Tensor, f: torch.Tensor | None = None) -> torch.Tensor:
        """One integration step of length ``dt`` from ``u`` (B, N); ``f = flow(u)`` if known."""
        dt, flow = self.dt, self.flow
        k1 = flow(u) if f is None else f
        if self.method == "euler":
            return u + dt * k1
        k2 = flow(u + dt / 2 * k1)
        k3 = flow(u + dt / 2 * k2)
        k4 = flow(u + dt * k3)
        return u + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)

    def recall(self, probes: Any, *, u0: torch.Tensor | None = None, max_steps: int | None = None,
               generator: torch.Generator | int | None = None,
               return_trace: bool = False) -> torch.Tensor | RecallResult:
        """Integrate from ``u = x`` (or ``u0``) and return ``sign(V)`` (B, N) in the probes'
        convention, or with ``return_trace`` a :class:`RecallResult` whose ``frames`` are the
        graded ``V`` after every step and ``energies`` their energy (``generator`` is unused:
        the dynamics are deterministic; it is taken as every memory's ``recall`` takes it)."""
        self._check_fitted()
        as_generator(generator)  # checked like any other, then unused
        s0, was01, one = self._states(probes)
        u = s0.clone() if u0 is None else torch.as_tensor(u0).to(s0).reshape(s0.shape)
        steps = self.max_steps if max_steps is None else int(max_steps)
        frames = [self.output(u)] if return_trace else []
        taken = 0
        f = self.flow(u)  # (B, N) du/dt
        while taken < steps and float(f.abs().amax()) >= self.tol:
            u = self.step(u, f)
            f = self.flow(u)
            taken += 1
            if return_trace:
                frames.append(self.output(u))
        converged = f.abs().amax(1) < self.tol
        states = from_pm1(_binary(self.output(u), s0), was01)
        if not return_trace:
            return states[0] if one else states
        F = torch.stack(frames)  # (S+1, B, N) graded outputs
        return RecallResult(states=states, energies=self.energy(F).T.contiguous(), converged=converged,
                            cycles=torch.zeros_like(converged), sweeps=taken, frames=F)

    def is_fixed_point(self, x: Any) -> torch.Tensor:
        """(B,) bool: recall from the binary state ``x`` ends at ``x``."""
        s, _, _ = self._states(x, name="states")
        return (self.recall(s) == s).all(1)

    def extra_repr(self) -> str:
        return (f"n_features={self.n_features}, rule={self.rule!r}, gain={self.gain}, tau={self.tau}, "
                f"dt={self.dt}, method={self.method!r}, n_stored={self.n_stored}")


class ModernHopfield(_Memory, nn.Module):
    r"""Modern (dense) Hopfield network: continuous states, exponential storage capacity.

    With the stored patterns as rows of Xi (P, N), energy and update (Ramsauer et al. 2020)::

        E(x)  = -lse(beta, Xi x) + 1/2 x^T x + (1/beta) ln P + 1/2 M^2,
                lse(beta, z) = (1/beta) ln sum_mu exp(beta z_mu),   M = max_mu ||xi^mu||
        x    <- Xi^T softmax(beta Xi x)

    The update is the concave-convex procedure on E: the energy never increases and one step
    usually lands next to the nearest pattern (it is the attention of transformers with Xi
    as keys and values). ``recall`` iterates it up to ``max_steps`` times (until the state
    moves less than 1e-6) and answers ``sign(x)`` (ties keep the probe's bit). Larger
    ``beta`` separates the patterns more sharply; at small ``beta`` the update averages
    neighbouring patterns (metastable states).

    Args:
        n_features: N, the number of units: the width of a pattern (fixed by the data).
        beta: inverse temperature of the softmax over patterns.
        max_steps: updates per recall at most.
        select: patterns stored by fit: "per-class" or the "first" rows.
        patterns_per_class: select="per-class": the first examples of each class.
        n_patterns: select="first": how many rows.
        n_stored: P, the stored patterns' count, set by store and fit; give it only to rebuild
            a stored network (the (P, N) patterns buffer that load_state_dict fills).

    Glossary (B probes, N units, P patterns):
        x: (B, N) states;  Xi: (P, N) stored patterns, -1/+1;  beta: inverse temperature.

    Attributes (buffers):
        patterns: (P, N) the stored patterns, the whole memory (P = ``n_stored``).

    Example:
        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> xi = torch.randint(0, 2, (50, 100), generator=g).float()
        >>> net = ModernHopfield(100).store(xi)
        >>> probe = xi[:1].clone(); probe[0, :30] = 1 - probe[0, :30]   # 30 bits flipped
        >>> bool((net.recall(probe) == xi[:1]).all())
        True

    Reference: Ramsauer et al., "Hopfield networks is all you need", ICLR 2021 (arXiv 2020);
    Krotov & Hopfield, "Dense associative memory for pattern recognition", NeurIPS 2016;
    Demircigil et al., "On a model of associative memory with huge storage capacity", 2017.
    """

    registry_name = "modern-hopfield"
    rule = "dense"  # named in fit's history; one way to store (patterns as they are), so no argument

    def __init__(self, n_features: int, *, beta: float = 1.0, max_steps: int = 3,
                 select: str = "per-class", patterns_per_class: int = 1, n_patterns: int = 10,
                 n_stored: int = 0) -> None:
        super().__init__()
        if not float(beta) > 0:
            raise ValueError(f"beta must be positive, got {beta}")
        if int(max_steps) < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        self._init_memory(n_features, n_stored, select, patterns_per_class, n_patterns)
        self.beta, self.max_steps = float(beta), int(max_steps)

    def reset_parameters(self) -> None:
        """Empty memory: no stored pattern."""
        self._forget()

    def store(self, patterns: Any, rule: str | None = None) -> ModernHopfield:
        """Append the rows of ``patterns`` (P, N) to the memory (``rule``: None or "dense")."""
        if rule not in (None, "dense"):
            raise ValueError(f"rule: the modern Hopfield network stores patterns as they are: "
                             f"expected None or 'dense', got {rule!r}")
        xi, _, _ = self._states(patterns, name="patterns")
        self._set_patterns(torch.cat([self.patterns, xi]))
        return self

    def update(self, x: torch.Tensor) -> torch.Tensor:
        """``x <- Xi^T softmax(beta Xi x)`` for every row of ``x`` (B, N)."""
        p = torch.softmax(self.beta * (x @ self.patterns.T), dim=1)  # (B, P) weights on patterns
        return p @ self.patterns  # (B, N)

    def energy(self, x: torch.Tensor) -> torch.Tensor:
        """``E(x)`` of states ``x`` (B, N), shape (B,)."""
        x = torch.as_tensor(x).to(self.patterns)
        self._check_fitted()
        xi = self.patterns
        lse = torch.logsumexp(self.beta * (x @ xi.T), dim=-1) / self.beta
        M2 = float((xi * xi).sum(1).max())
        return -lse + 0.5 * (x * x).sum(-1) + torch.log(torch.tensor(float(len(xi)))) / self.beta + 0.5 * M2

    def recall(self, probes: Any, *, max_steps: int | None = None,
               generator: torch.Generator | int | None = None,
               return_trace: bool = False) -> torch.Tensor | RecallResult:
        """Iterate the update from the probes and return ``sign(x)`` (B, N) in their convention,
        or a :class:`RecallResult` with the continuous ``x`` after every step (``generator``
        unused: the update is deterministic)."""
        self._check_fitted()
        as_generator(generator)  # checked like any other, then unused
        if self.n_stored == 0:
            raise ValueError("recall needs stored patterns: expected n_stored >= 1, got 0")
        s0, was01, one = self._states(probes)
        steps = self.max_steps if max_steps is None else int(max_steps)
        x = s0
        frames = [x] if return_trace else []
        taken, moved = 0, float("inf")
        while taken < steps and moved >= 1e-6:
            new = self.update(x)
            moved = float((new - x).abs().amax())
            x = new
            taken += 1
            if return_trace:
                frames.append(x)
        converged = (self.update(x) - x).abs().amax(1) < 1e-6
        states = from_pm1(_binary(x, s0), was01)
        if not return_trace:
            return states[0] if one else states
        F = torch.stack(frames)  # (S+1, B, N)
        return RecallResult(states=states, energies=self.energy(F).T.contiguous(), converged=converged,
                            cycles=torch.zeros_like(converged), sweeps=taken, frames=F)

    def is_fixed_point(self, x: Any) -> torch.Tensor:
        """(B,) bool: one update of the binary state ``x`` keeps its signs."""
        self._check_fitted()
        s, _, _ = self._states(x, name="states")
        return (_binary(self.update(s), s) == s).all(1)

    def extra_repr(self) -> str:
        return f"n_features={self.n_features}, beta={self.beta}, n_stored={self.n_stored}"
