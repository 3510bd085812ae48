"""Hopfield network (Hopfield网络): a single fully connected layer of +-1 units with symmetric
weights, run as a dynamical system that descends an energy until it reaches a stable state.

The lecture: "单层全互连、对称权值的反馈网络; 状态 -1(0), +1"; the network evolves from an
initial state in the direction of decreasing energy until it is stable, and the stable state
is the output. Its "two common forms" are the discrete network here (:class:`Hopfield`) and
the graded one in ``hopfield_continuous.py`` (:class:`ContinuousHopfield`), which also holds
the modern dense associative memory (:class:`ModernHopfield`, Ramsauer et al. 2020).

Patterns and probes may be given as 0/1 or -1/+1; the network works in -1/+1 (``x = 2v - 1``)
and answers in the convention it was asked in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ...config import check_choice
from ...energy.sampling import as_generator
from ...train import History, as_tensor, resolve_device
from ...train.run_folder import write_run
from ..base import NotFittedError, Trainable
from .rules import (
    flip,
    from_pm1,
    hebbian_weights,
    mask,
    pseudo_inverse_weights,
    store_weights,
    storkey_weights,
    to_pm1,
)

RULES = ("hebbian", "storkey", "pseudo-inverse")
MODES = ("async", "sync")
SELECTS = ("per-class", "first")
BLOCK = 64  # units per block of an asynchronous sweep (see Hopfield._async_sweep)
TIE_EPS = 16  # a field within TIE_EPS * eps * (sum_j |w_ij| + |theta_i|) of 0 is a tie


@dataclass
class RecallResult:
    """What ``recall(..., return_trace=True)`` returns (B probes, N units, S sweeps or steps)."""

    states: torch.Tensor  # (B, N) final states, in the probes' convention (0/1 or -1/+1)
    energies: torch.Tensor  # (B, S+1) energy before the first and after every sweep
    converged: torch.Tensor  # (B,) bool: ended at a fixed point
    cycles: torch.Tensor  # (B,) bool: ended in a 2-cycle (synchronous mode; False otherwise)
    sweeps: int  # S, sweeps (steps) taken by the slowest probe
    frames: torch.Tensor  # (S+1, B, N) states before the first and after every sweep


# -- what the three memories share --------------------------------------------------------------

class _Memory(Trainable):
    """Pattern buffer, fitted-ness, ``fit`` (choose patterns, store them) and ``evaluate``.

    ``patterns`` (P, N) is a buffer that grows at every ``store``; the constructor argument
    ``n_stored`` is read back from it (``get_params()["n_stored"]`` is P), so that
    ``cls(**net.get_params())`` builds buffers of the right shape before ``load_state_dict``
    (which marks the network as stored: the hook of ``Trainable.__init__``).
    """

    train_defaults = {"epochs": 1}  # storage is one pass; the trainer's options are not used
    renamed_hparams = {"n_units": "n_features"}  # a 0.1 run's name
    data_defaults = {"binarize": "threshold"}
    n_features: int
    n_units: int
    rule: str
    patterns: torch.Tensor

    def _init_memory(self, n_features: int, n_stored: int, select: str, patterns_per_class: int,
                     n_patterns: int) -> None:
        check_choice("select", select, SELECTS)
        for name, v in (("n_features", n_features), ("patterns_per_class", patterns_per_class),
                        ("n_patterns", n_patterns)):
            if int(v) < 1:
                raise ValueError(f"{name} must be >= 1, got {v}")
        if int(n_stored) < 0:
            raise ValueError(f"n_stored must be >= 0, got {n_stored}")
        self.n_features = self.n_units = int(n_features)  # N: the data's width is the units' count
        self.select = select
        self.patterns_per_class, self.n_patterns = int(patterns_per_class), int(n_patterns)
        self.register_buffer("patterns", torch.zeros(int(n_stored), self.n_units))  # (P, N) +-1
        self._fitted = False

    @property
    def n_stored(self) -> int:
        """P, the number of stored patterns."""
        return self.patterns.shape[0]

    def _set_patterns(self, xi: torch.Tensor) -> None:
        self.patterns = xi.to(self.patterns)  # a new (P, N) buffer
        self._fitted = True

    def _forget(self) -> None:
        """An empty memory: no stored pattern, not fitted."""
        self._set_patterns(self.patterns[:0])
        self._fitted = False

    def _store_by_rule(self, patterns: Any, rule: str | None, **options: Any) -> None:
        """Store the rows of ``patterns`` (P, N) in the weights ``W`` (N, N) by ``rule`` (default
        ``self.rule``; :func:`~.rules.store_weights` with ``options``) and add them to the memory."""
        rule = self.rule if rule is None else rule
        check_choice("rule", rule, RULES)
        xi, _, _ = self._states(patterns, name="patterns")
        self.W.copy_(store_weights(self.W, self.patterns, xi, rule, **options))
        self._set_patterns(torch.cat([self.patterns, xi]))

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise NotFittedError(f"this {type(self).__name__} holds no memory yet: call "
                                 "store(patterns) or fit(X) first (or load a stored run)")

    def _states(self, x: Any, name: str = "probes") -> tuple[torch.Tensor, bool, bool]:
        """(B, N) -1/+1 in the buffers' dtype and device, was it 0/1, was it one (N,) vector."""
        x = as_tensor(x)
        one = x.dim() == 1
        s, was01 = to_pm1(x[None] if one else x, self.n_units, name=name)
        return s.to(self.patterns), was01, one

    def choose_patterns(self, X: Any, y: Any = None) -> torch.Tensor:
        """The rows of ``X`` to store: the first ``patterns_per_class`` of each class (labels
        ``y`` in sorted order) for ``select="per-class"``, the first ``n_patterns`` for "first"."""
        X = as_tensor(X)
        X = X.reshape(len(X), -1)  # (M, N), images flattened
        if self.select == "first":
            if len(X) < self.n_patterns:
                raise ValueError(f"select='first' needs n_patterns rows: expected >= {self.n_patterns}, "
                                 f"got {len(X)}")
            return X[: self.n_patterns]
        if y is None:
            raise ValueError("select='per-class' needs labels: expected fit(X, y), got y=None")
        y = as_tensor(y).reshape(-1)
        if len(y) != len(X):
            raise ValueError(f"y must have one label per row of X: expected {len(X)}, got {len(y)}")
        rows = [torch.nonzero(y == c)[: self.patterns_per_class, 0] for c in torch.unique(y)]
        return X[torch.cat(rows)]

    def fit(self, X: Any, y: Any = None, *, seed: int | None = None, device: str | None = None,
            progress: bool | None = None, out: str | Path | None = None, overwrite: bool = False,
            resume: bool = False, warm_start: bool = False, run_info: dict[str, Any] | None = None,
            **train_options: Any):
        """Store patterns chosen from the training data (``choose_patterns``) and return ``self``.

        Storage is closed-form and deterministic: ``train_options`` (``epochs``, ``lr``,
        ``batch_size``, ...: :class:`TrainConfig` fields, checked by name) are accepted and
        ignored, and ``resume`` simply stores again. The memory is cleared first unless
        ``warm_start``. ``history_`` gets one row ``{"epoch": 0, "stage": "store", "rule",
        "patterns", **evaluate(generator=seed)}``; with ``out`` the run folder is written.
        """
        cfg = self.train_config(seed=seed, device=device, progress=progress, **train_options)
        self.to(resolve_device(cfg.device))
        xi = self.choose_patterns(X, y)
        if not warm_start:
            self.reset_parameters()
        self.store(xi)
        row = {"epoch": 0, "stage": "store", "rule": self.rule, "patterns": self.n_stored,
               **self.evaluate(generator=cfg.seed)}
        self.history_ = History([row])
        if out is not None:
            write_run(self, out, cfg, self.history_, overwrite=overwrite or resume, run_info=run_info)
        return self

    def evaluate(self, X: Any = None, y: Any = None, *, noise: float = 0.3,
                 generator: torch.Generator | int | None = 0) -> dict[str, float]:
        """Recall quality of the stored patterns (``X``, ``y`` are accepted and ignored: a
        memory is judged on what it stores, whatever the held-out data).

        ``fixed_fraction``: stored patterns that are fixed points; ``overlap``: mean
        ``m = x . xi / N`` between the pattern and the state recalled from a copy with
        ``noise`` of its bits flipped; ``recall_exact``: fraction recalled exactly. The flips
        and the recall's unit orders are drawn from ``generator`` (a ``torch.Generator``, an
        int seed — default 0 — or None, the global RNG).
        """
        self._check_fitted()
        if self.n_stored == 0:
            raise ValueError("evaluate needs stored patterns: expected n_stored >= 1, got 0")
        xi = self.patterns
        g = as_generator(generator)  # on the CPU, where flip and the unit orders draw
        # the recall's unit orders start from the state the flips started from, as when one
        # seed seeded both: generator=s draws the numbers that seed=s drew
        recall_g = None if g is None else torch.Generator().set_state(g.get_state())
        probes = flip(xi, noise, g)
        out = self.recall(probes, generator=recall_g)
        return {"fixed_fraction": float(self.is_fixed_point(xi).float().mean()),
                "overlap": float(((out * xi).sum(1) / self.n_units).mean()),
                "recall_exact": float((out == xi).all(1).float().mean())}


class Hopfield(_Memory, nn.Module):
    r"""Discrete Hopfield network: N binary units, symmetric weights, zero diagonal.

    Energy and dynamics (x_i in {-1, +1}; 0/1 data ``v`` is ``x = 2v - 1``)::

        E(x) = -1/2 x^T W x + theta^T x = -1/2 sum_{i != j} w_ij x_i x_j + sum_i theta_i x_i
        h_i  = sum_j w_ij x_j - theta_i                    local field of unit i
        x_i <- sign(h_i)          and x_i stays as it is when h_i = 0 (a tie)

    Asynchronous mode updates one unit at a time, each sweep visiting all N units in a
    random order (``torch.randperm(N, generator=g)``, one order per sweep shared by the
    batch). A flip changes the energy by ``-|h_i| |dx_i| < 0`` (W symmetric, ``w_ii = 0``), so
    E never increases and the sweeps stop at a fixed point. Synchronous mode updates all units
    at once; it either reaches a fixed point or a 2-cycle (Goles et al. 1985), which it
    reports. A sweep of the batch is computed block by block (a matmul for the fields of 64
    units, then the sequential updates inside the block): exactly the one-unit-at-a-time rule.
    Ties: a field within ``16 eps (sum_j |w_ij| + |theta_i|)`` of zero counts as 0, so that
    rounding cannot decide what exact arithmetic leaves undecided.

    Storage, ``store(patterns, rule)``, of P patterns ``xi^mu`` (rows of Xi, (P, N))::

        Hebbian:        W = (1/N) sum_mu xi^mu xi^mu^T, w_ii = 0     (scaled=False: no 1/N)
        Storkey:        w_ij <- w_ij + (1/N)(xi_i xi_j - xi_i h_ji - h_ij xi_j),
                        h_ij = sum_{k != i, j} w_ik xi_k              one pattern at a time
        pseudo-inverse: W = Xi^T (Xi Xi^T)^-1 Xi, then w_ii = 0

    Storing again adds to the memory: Hebb and Storkey continue from the current W, the
    pseudo-inverse is recomputed from all stored patterns. The projection satisfies
    ``W xi = xi`` for every stored pattern; removing its diagonal (as Kanter & Sompolinsky
    1987 do, which widens the basins) leaves ``h_i = (1 - P_ii) xi_i`` with ``0 <= P_ii <= 1``,
    so every stored pattern stays a fixed point (``P_ii = 1`` is a tie). It holds at most N
    linearly independent patterns.

    Capacity of the Hebbian rule for random patterns, P = alpha N: retrieval (with a few
    per cent of wrong bits) breaks down at alpha_c ~ 0.138 (Amit, Gutfreund & Sompolinsky
    1985); the one-step bit error is ``1/2 erfc(1 / sqrt(2 alpha))`` (0.0036 at 0.138); all
    patterns are exact fixed points with high probability up to ``N / (4 ln N)`` and most of
    them up to ``N / (2 ln N)`` (McEliece et al. 1987). Storkey's rule raises the capacity to
    about ``N / sqrt(2 ln N)``; the pseudo-inverse stores any N independent patterns.

    Why the default rule is the pseudo-inverse (the lecture's Hebbian rule is
    ``rule="hebbian"``): the capacities above hold for random, uncorrelated patterns. Real
    patterns are correlated (the ten binarised 8x8 digits overlap in most of their pixels), so
    the Hebbian crosstalk ``sum_{nu != mu} xi^nu (xi^nu . xi^mu) / N`` outweighs the signal
    and no stored digit is even a fixed point: ``neuralzoo train hopfield --data digits`` with
    ``rule="hebbian"`` gave test fixed fraction 0 and overlap 0.625, with the pseudo-inverse 1
    and 0.803 (issue 23). The projection makes every linearly independent pattern a fixed
    point, however correlated.

    Args:
        n_features: N, the number of units: the width of a pattern (fixed by the data).
        rule: storage rule: "hebbian", "storkey" or "pseudo-inverse".
        scaled: Hebbian weights divided by N (False: the unscaled textbook sum).
        select: patterns stored by fit: "per-class" or the "first" rows.
        patterns_per_class: select="per-class": the first examples of each class.
        n_patterns: select="first": how many rows.
        n_stored: P, the stored patterns' count, set by store and fit; give it only to rebuild
            a stored network (the (P, N) patterns buffer that load_state_dict fills).

    Glossary (B probes, N units, P patterns, S sweeps):
        x: (B, N) states in {-1, +1};  h: (B, N) local fields;  W: (N, N) weights,
        symmetric, zero diagonal;  theta: (N,) thresholds;  Xi: (P, N) stored patterns.

    Attributes (buffers, restored by ``load_state_dict``):
        W: (N, N) weights, zero until ``store``.
        theta: (N,) thresholds, zero (set them with :meth:`set_weights`).
        patterns: (P, N) the stored patterns as -1/+1; P = ``n_stored``, so
            ``Hopfield(**hop.get_params())`` has the shapes of the stored network.
        n_features, n_units: N (the lecture's units; both names hold it).

    Example:
        >>> import torch
        >>> xi = torch.tensor([[1., 0, 0, 1, 1, 0, 0]])          # 0/1 in, 0/1 out
        >>> hop = Hopfield(7, rule="hebbian", scaled=False).store(xi)
        >>> hop.energy(xi).item(), hop.energy(torch.zeros(1, 7)).item()
        (-21.0, 3.0)
        >>> hop.recall(torch.tensor([[1., 1, 0, 1, 1, 0, 0]]), mode="async", generator=0).tolist()
        [[1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]]

    Reference: Hopfield, "Neural networks and physical systems with emergent collective
    computational abilities", PNAS 1982, and "Neurons with graded response ...", PNAS 1984;
    Amit, Gutfreund & Sompolinsky, Phys. Rev. Lett. 1985; McEliece, Posner, Rodemich &
    Venkatesh, IEEE Trans. Inf. Theory 1987; Personnaz, Guyon & Dreyfus, J. Physique Lett.
    1985; Kanter & Sompolinsky, Phys. Rev. A 1987; Storkey, ICANN 1997; Hertz, Krogh &
    Palmer, Introduction to the Theory of Neural Computation, ch. 2, 1991.
    """

    registry_name = "hopfield"

    def __init__(self, n_features: int, *, rule: str = "pseudo-inverse", scaled: bool = True,
                 select: str = "per-class", patterns_per_class: int = 1, n_patterns: int = 10,
                 n_stored: int = 0) -> None:
        super().__init__()
        check_choice("rule", rule, RULES)
        self._init_memory(n_features, n_stored, select, patterns_per_class, n_patterns)
        n = self.n_units
        self.rule, self.scaled = rule, bool(scaled)
        self.register_buffer("W", torch.zeros(n, n))  # (N, N)
        self.register_buffer("theta", torch.zeros(n))  # (N,)

    def reset_parameters(self) -> None:
        """Empty memory: W = 0, theta = 0, no stored pattern."""
        self.W.zero_()
        self.theta.zero_()
        self._forget()

    def store(self, patterns: Any, rule: str | None = None) -> Hopfield:
        """Store the rows of ``patterns`` (P, N), 0/1 or -1/+1, by ``rule`` (default ``self.rule``)."""
        self._store_by_rule(patterns, rule, scaled=self.scaled)
        return self

    def set_weights(self, W: Any, theta: Any = None) -> Hopfield:
        """Use given weights (N, N), symmetric with zero diagonal, and thresholds (N,)."""
        W = as_tensor(W).to(self.W)
        n = self.n_units
        if tuple(W.shape) != (n, n):
            raise ValueError(f"W must be (N, N): expected {(n, n)}, got {tuple(W.shape)}")
        if not torch.allclose(W, W.T, atol=1e-6):
            raise ValueError("W must be symmetric: expected w_ij = w_ji, got max |w_ij - w_ji| = "
                             f"{float((W - W.T).abs().max()):.3g}")
        if bool(W.diagonal().any()):
            raise ValueError("W must have a zero diagonal: expected w_ii = 0, got max |w_ii| = "
                             f"{float(W.diagonal().abs().max()):.3g}")
        self.W.copy_(W)
        if theta is not None:
            theta = as_tensor(theta).to(self.theta)
            if tuple(theta.shape) != (n,):
                raise ValueError(f"theta must be (N,): expected {(n,)}, got {tuple(theta.shape)}")
            self.theta.copy_(theta)
        self._fitted = True
        return self

    # -- the operations of the network ----------------------------------------------------

    def local_field(self, x: Any) -> torch.Tensor:
        """``h = x W - theta``, shape (B, N) (W is symmetric)."""
        self._check_fitted()
        s, _, _ = self._states(x, name="states")
        return s @ self.W - self.theta

    def energy(self, x: Any) -> torch.Tensor:
        """``E(x) = -1/2 x^T W x + theta^T x`` per row, shape (B,) (a scalar for one (N,) state)."""
        s, _, one = self._states(x, name="states")
        E = -0.5 * ((s @ self.W) * s).sum(1) + s @ self.theta  # (B,)
        return E[0] if one else E

    def _tolerance(self) -> torch.Tensor:
        """(N,) the tie band of each unit's field: rounding of a sum of these magnitudes."""
        scale = self.W.abs().sum(1) + self.theta.abs()
        return TIE_EPS * torch.finfo(self.W.dtype).eps * scale

    @staticmethod
    def _decide(h: torch.Tensor, s: torch.Tensor, tol: torch.Tensor) -> torch.Tensor:
        """``sign(h)``, keeping ``s`` where ``|h| <= tol`` (a tie)."""
        return torch.where(h.abs() > tol, h.sign(), s)

    def update_unit(self, x: Any, i: int) -> torch.Tensor:
        """One asynchronous update ``x_i <- sign(h_i)`` (ties keep x_i) of every row; a copy."""
        self._check_fitted()
        s, was01, one = self._states(x, name="states")
        h = s @ self.W[i] - self.theta[i]  # (B,)
        s = s.clone()
        s[:, i] = self._decide(h, s[:, i], self._tolerance()[i])
        s = from_pm1(s, was01)
        return s[0] if one else s

    def is_fixed_point(self, x: Any) -> torch.Tensor:
        """(B,) bool: no unit of the state would change (a fixed point of both modes)."""
        self._check_fitted()
        s, _, _ = self._states(x, name="states")
        return self._fixed(s, self._tolerance())

    def _fixed(self, s: torch.Tensor, tol: torch.Tensor) -> torch.Tensor:
        # unit i would flip iff h_i x_i < 0 outside the tie band, i.e. h_i x_i < -tol_i
        return ((s @ self.W - self.theta) * s >= -tol).all(1)

    def _async_sweep(self, s: torch.Tensor, order: list[int], tol: list[float]) -> torch.Tensor:
        """One asynchronous sweep of every row of ``s`` (B, N), units in ``order``."""
        st = s.T.contiguous()  # (N, B): a unit's states over the batch are one contiguous row
        for start in range(0, self.n_units, BLOCK):
            blk = order[start:start + BLOCK]  # (K,) the next units to update
            Wb = self.W[blk]  # (K, N)
            h = Wb @ st - self.theta[blk, None]  # (K, B) fields of the block at its start
            Wbb = Wb[:, blk]  # (K, K) couplings inside the block
            for j, i in enumerate(blk):
                old = st[i]
                new = torch.where(h[j].abs() > tol[i], h[j].sign(), old)  # (B,)
                flipped = torch.nonzero(new != old)[:, 0]  # (k,) the probes where x_i flips
                if len(flipped):
                    st[i] = new
                    if j + 1 < len(blk):  # a flip by dx_i = 2 x_i moves the later units' fields
                        dh = Wbb[j + 1:, j, None] * (2 * new[flipped])  # (K-j-1, k)
                        h[j + 1:].index_add_(1, flipped, dh)
        return st.T

    def recall(self, probes: Any, *, mode: str = "async", generator: torch.Generator | int | None = None,
               max_sweeps: int = 100, return_trace: bool = False) -> torch.Tensor | RecallResult:
        """Run the dynamics from a batch of probes (B, N) to fixed points (or ``max_sweeps``).

        Returns the final states (B, N) in the probes' convention (an (N,) probe gives an
        (N,) state), or with ``return_trace`` a :class:`RecallResult` holding the energy and
        the states after every sweep. ``mode="async"`` draws one unit order per sweep from
        ``generator``: a CPU ``torch.Generator``, an int seed, or None (a generator seeded
        from torch's global RNG); ``mode="sync"`` stops a probe at a fixed point or a 2-cycle.
        A probe stops as soon as it is a fixed point, so a probe that starts at one takes no sweep.
        """
        check_choice("mode", mode, MODES)
        if int(max_sweeps) < 0:
            raise ValueError(f"max_sweeps must be >= 0, got {max_sweeps}")
        self._check_fitted()
        s0, was01, one = self._states(probes)
        generator = as_generator(generator)
        if generator is None:  # one draw of the global RNG seeds the sweeps' orders
            generator = torch.Generator().manual_seed(int(torch.randint(0, 2**62, ())))
        tol = self._tolerance()
        tol_list = tol.tolist()
        S = s0.clone()  # (B, N) the states of all probes
        prev = s0.clone()  # (B, N) sync: the states one step back
        cycles = torch.zeros(len(S), dtype=torch.bool, device=S.device)
        converged = self._fixed(S, tol)
        active = torch.nonzero(~converged)[:, 0]  # probes still moving
        frames = [S.clone()] if return_trace else []
        sweeps = 0
        while len(active) and sweeps < max_sweeps:
            x = S[active]  # (A, N)
            if mode == "async":
                order = torch.randperm(self.n_units, generator=generator).tolist()
                new = self._async_sweep(x, order, tol_list)
            else:
                new = self._decide(x @ self.W - self.theta, x, tol)
            sweeps += 1
            done = self._fixed(new, tol)
            converged[active[done]] = True
            if mode == "sync":
                cyc = (new == prev[active]).all(1) & ~done
                cycles[active[cyc]] = True
                done |= cyc
                prev[active] = x
            S[active] = new
            active = active[~done]
            if return_trace:
                frames.append(S.clone())
        states = from_pm1(S, was01)
        if not return_trace:
            return states[0] if one else states
        F = torch.stack(frames)  # (S+1, B, N) of -1/+1
        E = -0.5 * ((F @ self.W) * F).sum(2) + F @ self.theta  # (S+1, B)
        return RecallResult(states=states, energies=E.T.contiguous(), converged=converged,
                            cycles=cycles, sweeps=sweeps, frames=from_pm1(F, was01))

    def extra_repr(self) -> str:
        return f"n_features={self.n_features}, rule={self.rule!r}, n_stored={self.n_stored}"


@dataclass
class SpuriousState:
    """A mixture state relaxed by the dynamics (see :func:`find_spurious_state`)."""

    state: torch.Tensor  # (N,) the relaxed state, -1/+1
    mixture: tuple[int, ...]  # indices of the stored patterns mixed: sign(xi^a + xi^b + xi^c)
    fixed_point: bool  # the state is a fixed point of the network
    spurious: bool  # a fixed point equal to no stored pattern and to no negated one


def find_spurious_state(hop: Hopfield, k: int = 3, *, tries: int = 20, seed: int = 0) -> SpuriousState:
    """A spurious attractor: ``sign`` of the sum of ``k`` (odd) stored patterns, relaxed by
    asynchronous recall; the first of ``tries`` random mixtures that ends at a fixed point
    equal to no stored pattern (nor its negation, the "reversed states"), else the last one."""
    if k < 1 or k % 2 == 0:
        raise ValueError(f"k must be odd (no ties in the sum of k +-1 patterns), got {k}")
    if hop.n_stored < k:
        raise ValueError(f"a mixture of k patterns needs them stored: expected n_stored >= {k}, "
                         f"got {hop.n_stored}")
    g = torch.Generator().manual_seed(seed)
    xi = hop.patterns
    for _ in range(tries):
        idx = torch.randperm(hop.n_stored, generator=g)[:k].sort().values
        x = hop.recall(xi[idx].sum(0).sign()[None], generator=g)  # (1, N)
        fixed = bool(hop.is_fixed_point(x)[0])
        stored = bool(((xi == x).all(1) | (xi == -x).all(1)).any())
        if fixed and not stored:
            break
    return SpuriousState(state=x[0], mixture=tuple(idx.tolist()), fixed_point=fixed,
                         spurious=fixed and not stored)


__all__ = ["RULES", "Hopfield", "RecallResult", "SpuriousState", "find_spurious_state", "flip",
           "from_pm1", "hebbian_weights", "mask", "pseudo_inverse_weights", "store_weights",
           "storkey_weights", "to_pm1"]
