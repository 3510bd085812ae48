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
MODES = ("continuous", "async", "sync")


def _binary(V: torch.Tensor, s0: torch.Tensor) -> torch.Tensor:
    """``sign(V)``, keeping the probe's bit where ``V = 0``."""
    return torch.where(V != 0, V.sign(), s0)


def _per_unit(name: str, value: Any, n: int) -> float | list[float]:
    """A circuit constant as given: one positive float for every unit, or N positive floats."""
    v = torch.as_tensor(value, dtype=torch.float64) if not isinstance(value, (int, float)) else None
    if v is None or v.dim() == 0:
        out: float | list[float] = float(value if v is None else v)
        ok = out > 0
    else:
        out = v.reshape(-1).tolist()
        ok = v.dim() == 1 and len(out) == n and all(x > 0 for x in out)
    if not ok:  # NaN fails "> 0" too
        got = (f"{value!r}" if v is None or v.dim() == 0 else f"shape {tuple(v.shape)}"
               + (f", smallest {float(v.min())}" if v.numel() and v.dim() == 1 and len(out) == n else ""))
        raise ValueError(f"{name}: expected a positive number or N = {n} positive numbers, got {got}")
    return out


class ContinuousHopfield(_Memory, nn.Module):
    r"""Continuous (graded-response) Hopfield network of N tanh units: the lecture's circuit.

    Each unit is an amplifier ``V_i = g(u_i)`` whose input is a capacitor ``C_i`` in parallel
    with a resistor ``R_i``, fed by the other units through conductances ``w_ij`` and by a
    bias current ``I_i`` (Hopfield 1984)::

        C_i du_i/dt = sum_j w_ij V_j - u_i / R_i + I_i,      V_i = g(u_i) = tanh(gain u_i)

    Energy, a Lyapunov function for symmetric W::

        E(V) = -1/2 sum_ij w_ij V_i V_j - sum_i I_i V_i + sum_i (1/R_i) int_0^{V_i} g^{-1}(v) dv
        g^{-1}(v) = atanh(v) / gain,
        int_0^V atanh(v) dv = 1/2 [(1 + V) ln(1 + V) + (1 - V) ln(1 - V)]     (ln 2 at V = +-1)

    since ``dE/dV_i = -C_i du_i/dt`` and so ``dE/dt = -sum_i C_i g'(u_i) (du_i/dt)^2 <= 0``.
    ``C`` and ``R`` are one number shared by every unit or one per unit (N values); without
    ``R`` the leak is ``R_i = tau`` (with ``C = 1``: the time constant of the units).

    ``mode`` chooses the dynamics that :meth:`recall` runs, all descending the same ``E``:

    - ``"continuous"``: the ODE, integrated with a fixed step ``dt`` (``method="euler"`` or
      ``"rk4"``) until ``max_i |du_i/dt| < tol`` for every probe or ``max_steps`` steps.
    - ``"async"``: the discrete-time graded update, one unit at a time (a random order per
      sweep, drawn from the recall's ``generator``),
      ``V_i <- g(R_i (sum_j w_ij V_j + I_i))``: the unit jumps to its own equilibrium
      ``du_i/dt = 0`` (with R = 1 the update ``V <- g(W V + I)``). **Condition relied on:**
      ``w_ij = w_ji``, ``w_ii >= 0`` (every storage rule gives ``w_ii = 0``) and ``g``
      strictly increasing. Then no update raises ``E``: with ``h_i`` the unit's input and
      ``G_i(V) = (1/R_i) int_0^V g^{-1}``, which is convex with ``G_i'(V_i') = h_i``,
      ``Delta E = G_i(V_i') - G_i(V_i) - h_i (V_i' - V_i) - w_ii (V_i' - V_i)^2 / 2 <= 0``.
    - ``"sync"``: the same update for all units at once, ``V <- g(R (W V + I))``. ``E`` never
      rises when ``W + diag(1 / (gain R_i))`` is positive semidefinite (Marcus & Westervelt
      1989); otherwise the net may end in a 2-cycle (``RecallResult.cycles``).

    The discrete modes take ``max_steps`` as sweeps and stop once no unit moves more than
    ``tol`` in a sweep. Recall starts at ``u = x`` (the -1/+1 probe, so ``V = tanh(gain x)``)
    and answers ``sign(V)``. High gain makes the units nearly binary and the attractors those
    of the discrete network; storage is by the discrete network's rules, the pseudo-inverse by
    default for the discrete network's reason (:class:`~neuralzoo.models.hopfield.Hopfield`):
    correlated patterns such as the ten digits are not even fixed points under the lecture's
    Hebbian rule (``rule="hebbian"``): ``neuralzoo train continuous-hopfield --data digits``
    gave test fixed fraction 0 and overlap 0.622 with it, 1 and 0.900 with the pseudo-inverse
    (issue 23). Stored patterns are attractors when ``gain R`` times their eigenvalue of W
    exceeds 1 (about ``gain R (1 - alpha) > 1`` for Hebb).

    Args:
        n_features: N, the number of units: the width of a pattern (fixed by the data).
        rule: storage rule: "hebbian", "storkey" or "pseudo-inverse".
        gain: slope of V = tanh(gain u); high gain ~ binary units.
        tau: the leak resistance R_i of every unit when R is not given (with C = 1, the time constant).
        dt: integration step.
        method: integrator: "euler" or "rk4".
        max_steps: integration steps (mode "continuous") or sweeps (modes "async", "sync") at most.
        tol: converged when max |du/dt| < tol (continuous) or no V_i moves by tol in a sweep.
        select: patterns stored by fit: "per-class" or the "first" rows.
        patterns_per_class: select="per-class": the first examples of each class.
        n_patterns: select="first": how many rows.
        n_stored: P, the stored patterns' count, set by store and fit; give it only to rebuild
            a stored network (the (P, N) patterns buffer that load_state_dict fills).
        C: capacitance C_i of the circuit: one positive number, or N (one per unit).
        R: resistance R_i of the circuit: one positive number, N of them, or None (R_i = tau).
        mode: dynamics of recall: "continuous" (the ODE), "async" or "sync" (graded updates).

    Glossary (B probes, N units, P patterns, S steps):
        u: (B, N) internal potentials;  V: (B, N) outputs in (-1, 1);  W: (N, N) weights,
        symmetric, zero diagonal;  I: (N,) bias currents;  Xi: (P, N) stored patterns;
        C, R: () or (N,) capacitances and resistances.

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
        >>> net.recall(torch.tensor([[1., -1, 1, -1, 1, 1]]), mode="async", generator=0).tolist()
        [[1.0, -1.0, 1.0, -1.0, 1.0, -1.0]]

    Reference: Hopfield, "Neurons with graded response have collective computational
    properties like those of two-state neurons", PNAS 1984; Hopfield & Tank, "Neural
    computation of decisions in optimization problems", Biol. Cybern. 1985; Marcus &
    Westervelt, "Dynamics of iterated-map neural networks", Phys. Rev. A 1989.
    """

    registry_name = "continuous-hopfield"

    def __init__(self, n_features: int, *, rule: str = "pseudo-inverse", gain: float = 4.0, tau: float = 1.0,
                 dt: float = 0.05, method: str = "euler", max_steps: int = 400, tol: float = 1e-4,
                 select: str = "per-class", patterns_per_class: int = 1, n_patterns: int = 10,
                 n_stored: int = 0, C: float | list[float] = 1.0, R: float | list[float] | None = None,
                 mode: str = "continuous") -> None:
        super().__init__()
        check_choice("rule", rule, RULES)
        check_choice("method", method, METHODS)
        check_choice("mode", mode, MODES)
        for name, v in (("gain", gain), ("tau", tau), ("dt", dt), ("tol", tol)):
            if not float(v) > 0:
                raise ValueError(f"{name} must be positive, got {v}")
        if int(max_steps) < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        if R is not None and float(tau) != 1.0:
            raise ValueError(f"the leak is R (per unit) or tau (shared), not both: got R={R!r} and tau={tau}")
        self._init_memory(n_features, n_stored, select, patterns_per_class, n_patterns)
        n = self.n_units
        self.rule, self.method, self.mode = rule, method, mode
        self.gain, self.tau, self.dt, self.tol = float(gain), float(tau), float(dt), float(tol)
        self.C = _per_unit("C", C, n)  # as given: a float, or N floats
        self.R = None if R is None else _per_unit("R", R, n)
        self.max_steps = int(max_steps)
        self.register_buffer("W", torch.zeros(n, n))  # (N, N)
        self.register_buffer("I", torch.zeros(n))  # (N,)

    @classmethod
    def upgrade_hparams(cls, old: dict[str, Any]) -> dict[str, Any]:
        """A 0.1 run's arguments; it had one shared time constant (C = 1, R = tau) and the ODE."""
        return {"C": 1.0, "R": None, "mode": "continuous", **super().upgrade_hparams(old)}

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
        """Use given symmetric weights (N, N) and bias currents (N,) (the diagonal may be
        nonzero; the "async" mode's guarantee needs ``w_ii >= 0``)."""
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

    # -- the circuit ------------------------------------------------------------------------------

    def _constant(self, value: float | list[float]) -> float | torch.Tensor:
        """A circuit constant as the dynamics use it: the float, or an (N,) tensor like W."""
        return value if isinstance(value, float) else torch.tensor(value, dtype=self.W.dtype,
                                                                    device=self.W.device)

    @property
    def resistances(self) -> float | torch.Tensor:
        """``R_i``: ``R`` as a float or (N,) tensor, ``tau`` when R is not given."""
        return self.tau if self.R is None else self._constant(self.R)

    @property
    def capacitances(self) -> float | torch.Tensor:
        """``C_i``: a float or an (N,) tensor."""
        return self._constant(self.C)

    # -- the operations of the network ----------------------------------------------------

    def output(self, u: torch.Tensor) -> torch.Tensor:
        """``V = tanh(gain u)``, same shape."""
        return torch.tanh(self.gain * u)

    def flow(self, u: torch.Tensor) -> torch.Tensor:
        """``du/dt = (V W + I - u / R) / C``, shape (B, N)."""
        return (-u / self.resistances + self.output(u) @ self.W + self.I) / self.capacitances

    def energy(self, V: torch.Tensor) -> torch.Tensor:
        """The Lyapunov energy of graded states ``V`` (B, N) in [-1, 1], shape (B,)."""
        V = torch.as_tensor(V).to(self.W)
        integral = 0.5 * (torch.xlogy(1 + V, 1 + V) + torch.xlogy(1 - V, 1 - V))  # int_0^V atanh
        R = self.resistances
        leak = integral.sum(-1) / (R * self.gain) if isinstance(R, float) else (integral / R).sum(-1) / self.gain
        return -0.5 * ((V @ self.W) * V).sum(-1) - V @ self.I + leak

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

    def update(self, V: torch.Tensor, order: list[int] | None = None) -> torch.Tensor:
        """The discrete-time graded update of ``V`` (B, N), a new tensor: all units at once
        ``V <- g(R (V W + I))`` (``order=None``), or one unit at a time in ``order``, each
        seeing the units updated before it, ``V_i <- g(R_i (sum_j w_ij V_j + I_i))``."""
        R = self.resistances
        if order is None:
            return self.output(R * (V @ self.W + self.I))
        V = V.clone()
        Rs = [R] * self.n_units if isinstance(R, float) else R.tolist()
        for i in order:
            h = V @ self.W[:, i] + self.I[i]  # (B,) the input of unit i now
            V[:, i] = self.output(Rs[i] * h)
        return V

    def recall(self, probes: Any, *, u0: torch.Tensor | None = None, max_steps: int | None = None,
               mode: str | None = None, generator: torch.Generator | int | None = None,
               return_trace: bool = False) -> torch.Tensor | RecallResult:
        """Run the dynamics of ``mode`` (default ``self.mode``) from ``u = x`` (or ``u0``) and
        return ``sign(V)`` (B, N) in the probes' convention, or with ``return_trace`` a
        :class:`RecallResult` whose ``frames`` are the graded ``V`` after every step (sweep)
        and ``energies`` their energy. ``generator`` (a ``torch.Generator``, an int seed or
        None: one draw of torch's global RNG) orders the units of the "async" sweeps; the
        other modes are deterministic and take it only as every memory's ``recall`` does."""
        mode = self.mode if mode is None else mode
        check_choice("mode", mode, MODES)
        self._check_fitted()
        generator = as_generator(generator)
        s0, was01, one = self._states(probes)
        u = s0.clone() if u0 is None else torch.as_tensor(u0).to(s0).reshape(s0.shape)
        steps = self.max_steps if max_steps is None else int(max_steps)
        if mode == "continuous":
            V, taken, converged, cycles, frames = self._integrate(u, steps, return_trace)
        else:
            if mode == "async" and generator is None:  # one draw of the global RNG seeds the orders
                generator = torch.Generator().manual_seed(int(torch.randint(0, 2**62, ())))
            V, taken, converged, cycles, frames = self._iterate(self.output(u), steps, mode, generator,
                                                                return_trace)
        states = from_pm1(_binary(V, s0), was01)
        if not return_trace:
            return states[0] if one else states
        F = torch.stack(frames)  # (S+1, B, N) graded outputs
        return RecallResult(states=states, energies=self.energy(F).T.contiguous(), converged=converged,
                            cycles=cycles, sweeps=taken, frames=F)

    def _integrate(self, u: torch.Tensor, steps: int, trace: bool) -> tuple:
        """The ODE from ``u`` (B, N) until ``max |du/dt| < tol`` or ``steps`` steps."""
        frames = [self.output(u)] if trace else []
        taken = 0
        f = self.flow(u)  # (B, N) du/dt
        while taken < steps and float(f.abs().amax()) >= self.tol:
            u = self.step(u, f)
            f = self.flow(u)
            taken += 1
            if trace:
                frames.append(self.output(u))
        converged = f.abs().amax(1) < self.tol
        return self.output(u), taken, converged, torch.zeros_like(converged), frames

    def _iterate(self, V: torch.Tensor, steps: int, mode: str, generator: torch.Generator | None,
                 trace: bool) -> tuple:
        """Graded updates from ``V`` (B, N) until no unit moves by ``tol`` or ``steps`` sweeps."""
        frames = [V] if trace else []
        prev = V  # sync: the state one step back, to see a 2-cycle
        converged = torch.zeros(len(V), dtype=torch.bool, device=V.device)
        cycles = torch.zeros_like(converged)
        taken = 0
        while taken < steps and not bool((converged | cycles).all()):
            order = (torch.randperm(self.n_units, generator=generator).tolist()
                     if mode == "async" else None)
            new = self.update(V, order)
            taken += 1
            converged = (new - V).abs().amax(1) < self.tol
            if mode == "sync":
                cycles = ((new - prev).abs().amax(1) < self.tol) & ~converged
            prev, V = V, new
            if trace:
                frames.append(V)
        return V, taken, converged, cycles, frames

    def is_fixed_point(self, x: Any) -> torch.Tensor:
        """(B,) bool: recall from the binary state ``x`` ends at ``x``."""
        s, _, _ = self._states(x, name="states")
        return (self.recall(s, generator=0) == s).all(1)

    def extra_repr(self) -> str:
        circuit = f"C={self.C}, R={self.R}, " if self.C != 1.0 or self.R is not None else ""
        return (f"n_features={self.n_features}, rule={self.rule!r}, gain={self.gain}, tau={self.tau}, "
                f"{circuit}dt={self.dt}, method={self.method!r}, mode={self.mode!r}, "
                f"n_stored={self.n_stored}")


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
