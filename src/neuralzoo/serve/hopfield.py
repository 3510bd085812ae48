"""The Hopfield page's computations: stored digits, corrupted probes, an asynchronous recall
streamed flip by flip, and beside it the continuous and the modern Hopfield network on the same
digits and the same probe.

The discrete network (:class:`~neuralzoo.models.hopfield.Hopfield`, "单层全互连、对称权值的
反馈网络", states x_i in {-1, +1}) runs the lecture's dynamics, evolving "按能量减小的方向" until
it is stable::

    E(x) = -1/2 x^T W x + theta^T x,     x_i <- sign(sum_j w_ij x_j - theta_i)

one unit at a time; a flip changes E by ``-|h_i| |dx_i| <= 0``, so the energy curve the page
draws never rises. ``recall(..., return_trace=True)`` gives the state and energy after each
sweep; :func:`recall` replays each sweep unit by unit (the same orders, drawn from the same
seed) and streams one frame per flip, checking that the replay meets the library's state at the
end of every sweep.

The continuous network (:class:`~neuralzoo.models.hopfield.ContinuousHopfield`, the lecture's
other "common form": the circuit of capacitors C_i and resistors R_i, here C_i = R_i = 1)::

    C_i du_i/dt = sum_j w_ij V_j - u_i / R_i + I_i,      V_i = tanh(gain u_i)

whose Lyapunov energy falls along the trajectory, and the modern network
(:class:`~neuralzoo.models.hopfield.ModernHopfield`, Ramsauer et al. 2020), whose one step
``xi_new = X softmax(beta X^T xi)`` (X: the stored patterns as columns) is an attention over
the stored patterns.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from ._params import BadRequest, get_bits, get_choice, get_float, get_int

SIDE = 8  # the embedded digits are 8x8: N = 64 units
N_UNITS = SIDE * SIDE
MAX_PATTERNS = 20  # two examples of each digit
MAX_SWEEPS = 50
MAX_DELAY_MS = 500  # the page's slowest pace of the streamed flips
RULES = ("hebbian", "storkey", "pseudo-inverse")
DT, STEPS = 0.05, 400  # the continuous network's Euler step and steps at most (t <= 20 C R)
FILM = 8  # snapshots of the continuous trajectory sent to the page
GAIN = (4.0, 0.5, 50.0)  # default, lowest, highest
BETA = (0.3, 0.001, 10.0)


@lru_cache(maxsize=1)
def digit_patterns() -> tuple[list[list[int]], list[int]]:
    """``MAX_PATTERNS`` binarised digits (``x > 0.5``) of the embedded training split, in rounds
    of one example of each class 0..9: the first k are as varied as k digits can be."""
    import torch

    from .. import datasets

    X, y = datasets.load("digits", split="train", binarize="threshold")
    rows = []
    for r in range(MAX_PATTERNS // 10):
        rows += [int(torch.nonzero(y == c)[r, 0]) for c in range(10)]
    return X[rows].int().tolist(), y[rows].tolist()


def _network(body: dict[str, Any], runs: Path | None):
    """The network a request asks for: a stored run from ``--runs`` (``"run"``), or the first
    ``n_patterns`` digits stored now by ``rule``."""
    from ..models.hopfield import Hopfield

    name = body.get("run")
    if name is not None:
        from .runs import load_model

        hop = load_model(runs, name)
        if not isinstance(hop, Hopfield) or hop.n_units != N_UNITS:
            raise BadRequest(f"run {name!r}: expected a hopfield run on 8x8 digits "
                             f"({N_UNITS} units), got {type(hop).__name__}")
        return hop, hop.patterns.clamp(min=0).int().tolist()  # -1/+1 -> 0/1
    rule = get_choice(body, "rule", "pseudo-inverse", RULES)
    n = get_int(body, "n_patterns", 3, 1, MAX_PATTERNS)
    stored = digit_patterns()[0][:n]
    try:
        hop = Hopfield(N_UNITS, rule=rule).store(stored)
    except ValueError as err:  # e.g. the pseudo-inverse's dependent patterns
        raise BadRequest(str(err)) from None
    return hop, stored


def _probe(body: dict[str, Any]):
    """``probe`` (64 values 0/1) as a (1, N) float tensor."""
    import torch

    return torch.tensor([get_bits(body, "probe", N_UNITS)], dtype=torch.float32)


def _match(stored: list[list[int]], state: list[int]) -> int | None:
    """The index of the stored pattern equal to ``state``, or None."""
    return next((k for k, p in enumerate(stored) if p == state), None)


def store(body: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """The stored digits (lists of 0/1, row by row, ``side`` x ``side``), their labels, and
    which of them are fixed points of the network (a stored pattern that is not one cannot be
    recalled exactly: the Hebbian rule on correlated digits)."""
    import torch

    hop, stored = _network(body, runs)
    labels = digit_patterns()[1][:len(stored)] if body.get("run") is None else None
    fixed = hop.is_fixed_point(torch.tensor(stored, dtype=torch.float32)).tolist()
    return {"side": SIDE, "patterns": stored, "labels": labels, "fixed_points": fixed,
            "n_fixed": sum(fixed), "rule": hop.rule, "max_patterns": MAX_PATTERNS}


@lru_cache(maxsize=1)
def _capacity() -> dict[str, Any]:
    import torch

    from ..models.hopfield import Hopfield

    X = torch.tensor(digit_patterns()[0], dtype=torch.float32)  # (P_max, N)
    fixed: dict[str, list[int | None]] = {}
    for rule in RULES:
        fixed[rule] = []
        for p in range(1, MAX_PATTERNS + 1):
            try:
                hop = Hopfield(N_UNITS, rule=rule).store(X[:p])
            except ValueError:  # dependent patterns: no projection
                fixed[rule].append(None)
                continue
            fixed[rule].append(int(hop.is_fixed_point(X[:p]).sum()))
    return {"n_patterns": list(range(1, MAX_PATTERNS + 1)), "fixed": fixed}


def capacity(query: dict[str, Any]) -> dict[str, Any]:
    """For each rule and each P = 1..20 (the first P digits stored): how many of the P stored
    digits are fixed points. The Hebbian rule collapses at P = 3 on these correlated digits;
    the projection (pseudo-inverse) keeps every linearly independent pattern."""
    return _capacity()


def corrupt(body: dict[str, Any]) -> dict[str, Any]:
    """Stored digit ``index`` with ``round(noise N)`` bits flipped (``flip``, seeded)."""
    import torch

    from ..models.hopfield import flip

    index = get_int(body, "index", 0, 0, MAX_PATTERNS - 1)
    noise = get_float(body, "noise", 0.15, 0.0, 1.0)
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    x = torch.tensor([digit_patterns()[0][index]], dtype=torch.float32)
    probe = flip(x, noise, torch.Generator().manual_seed(seed))
    return {"probe": probe[0].int().tolist(), "flipped": round(noise * N_UNITS)}


def recall(body: dict[str, Any], runs: Path | None = None) -> Iterator[dict[str, Any]]:
    """Asynchronous recall of ``probe`` (64 values 0/1), streamed: one frame per flip.

    Frames, in order (each a ``dict`` with ``kind``):

    - ``start``: the ``probe``, its ``energy``, and ``energy_range`` (the library's energies of
      the first and the last sweep, to scale the curve before it is drawn);
    - ``flip``: ``flip`` (1, 2, ...), ``unit``, its new ``value``, the ``energy`` after it, and
      its ``sweep``; ``delay_ms`` apart (0-500, the page's pace);
    - ``sweep``: the end of sweep ``sweep``, where the replay met ``Hopfield.recall``'s state,
      with its ``energy`` and the ``flips`` so far;
    - ``end``: the final ``state``, ``match`` (the stored pattern it equals, or null),
      ``reversed`` (the stored pattern whose negation it equals, or null), ``flips``,
      ``sweeps``, ``converged``, ``start_energy``, ``energy``, the per-sweep ``energies``, the
      ``fixed_points`` of the stored patterns and the ``rule``.

    Every parameter is checked before the first frame (a bad one is a 4xx answer).
    """
    import torch

    hop, stored = _network(body, runs)
    x0 = _probe(body)
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    max_sweeps = get_int(body, "max_sweeps", MAX_SWEEPS, 1, MAX_SWEEPS)
    delay = get_int(body, "delay_ms", 0, 0, MAX_DELAY_MS) / 1000
    trace = hop.recall(x0, mode="async", generator=seed, max_sweeps=max_sweeps, return_trace=True)
    fixed = hop.is_fixed_point(torch.tensor(stored, dtype=torch.float32)).tolist()
    return _replay(hop, stored, x0, trace, seed, delay, fixed)


def _replay(hop, stored: list[list[int]], x0, trace, seed: int, delay: float,
            fixed: list[bool]) -> Iterator[dict[str, Any]]:
    """The frames of :func:`recall`: each sweep of ``trace`` replayed unit by unit."""
    import torch

    E = trace.energies[0].tolist()  # (S+1,) the library's energy before and after each sweep
    yield {"kind": "start", "probe": x0[0].int().tolist(), "energy": E[0],
           "energy_range": [min(E), max(E)]}
    # 1. the sweeps draw their unit orders from the seed in the same sequence as recall's
    g = torch.Generator().manual_seed(seed)
    x = x0.clone()
    flips = 0
    for s in range(trace.sweeps):
        order = torch.randperm(N_UNITS, generator=g).tolist()
        for i in order:
            new = hop.update_unit(x, i)
            if new[0, i] != x[0, i]:  # 2. a flip: one frame, E after it
                x, flips = new, flips + 1
                if delay:
                    time.sleep(delay)
                yield {"kind": "flip", "flip": flips, "unit": i, "value": int(x[0, i]),
                       "energy": float(hop.energy(x)[0]), "sweep": s + 1}
        # 3. the end of a sweep: the replay must be the library's state
        if not torch.equal(x, trace.frames[s + 1]):
            raise RuntimeError(f"replay of sweep {s + 1} differs from Hopfield.recall's frame")
        yield {"kind": "sweep", "sweep": s + 1, "energy": E[s + 1], "flips": flips}
    state = trace.states[0].int().tolist()
    negated = [1 - b for b in state]
    yield {"kind": "end", "state": state, "match": _match(stored, state),
           "reversed": _match(stored, negated), "flips": flips, "sweeps": trace.sweeps,
           "converged": bool(trace.converged[0]), "start_energy": E[0], "energy": E[-1],
           "energies": E, "fixed_points": fixed, "rule": hop.rule}


def continuous(body: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """The continuous network (C_i = R_i = 1, ``V = tanh(gain u)``) storing the same patterns
    by the same rule, integrated (Euler, ``dt`` = 0.05, at most 400 steps) from ``u = x``, the
    -1/+1 probe, in float64 (so that rounding does not lift the falling energy).

    Returns the ``times`` and ``energies`` of every step, ``film``: ``FILM`` snapshots
    ``{"t", "V"}`` of the graded outputs V in (-1, 1), the ``final`` V, its sign as 0/1
    (``state``), ``match`` (the stored pattern it equals, or null), ``converged``
    (``max |du/dt| < tol``), the ``gain`` and the ``rule``.
    """
    import torch

    from ..models.hopfield import ContinuousHopfield

    hop, stored = _network(body, runs)
    x0 = _probe(body).double()
    gain = get_float(body, "gain", *GAIN)
    net = ContinuousHopfield(N_UNITS, rule=hop.rule, gain=gain, dt=DT, max_steps=STEPS).double()
    net.store(torch.tensor(stored, dtype=torch.float64))
    trace = net.recall(x0, mode="continuous", return_trace=True)
    V = trace.frames[:, 0]  # (S+1, N) graded outputs after every step
    S = trace.sweeps
    shots = sorted({round(k * S / (FILM - 1)) for k in range(FILM)})
    state = trace.states[0].int().tolist()
    return {"times": [k * DT for k in range(S + 1)], "energies": trace.energies[0].tolist(),
            "film": [{"t": k * DT, "V": [round(v, 4) for v in V[k].tolist()]} for k in shots],
            "final": [round(v, 4) for v in V[-1].tolist()], "state": state,
            "match": _match(stored, state), "converged": bool(trace.converged[0]), "steps": S,
            "dt": DT, "gain": gain, "rule": hop.rule, "C": 1.0, "R": 1.0}


def modern(body: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """One step of the modern network on the same patterns and probe: the ``attention``
    ``softmax(beta X^T xi)`` over the stored patterns, the ``retrieved`` pattern
    ``X softmax(beta X^T xi)`` in [-1, 1], its sign as 0/1 (``state``, ties keep the probe's
    bit), ``match``, the ``energies`` E(xi) before and after the step, and ``hebbian``: the
    discrete network with the same patterns stored by the lecture's Hebbian rule, recalled
    from the same probe (seed ``seed``), for comparison (``state``, ``match``, ``n_fixed``).
    """
    import torch

    from ..models.hopfield import Hopfield, ModernHopfield

    _, stored = _network(body, runs)
    x0 = _probe(body)
    beta = get_float(body, "beta", *BETA)
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    net = ModernHopfield(N_UNITS, beta=beta, max_steps=1).store(stored)
    xi = 2 * x0 - 1  # (1, N) the probe as -1/+1
    attention = torch.softmax(beta * (xi @ net.patterns.T), dim=1)  # (1, P)
    retrieved = net.update(xi)  # (1, N) = attention @ patterns
    state = net.recall(x0, max_steps=1)[0].int().tolist()
    heb = Hopfield(N_UNITS, rule="hebbian").store(stored)
    heb_state = heb.recall(x0, generator=seed)[0].int().tolist()
    return {"beta": beta, "attention": attention[0].tolist(),
            "retrieved": [round(v, 4) for v in retrieved[0].tolist()], "state": state,
            "match": _match(stored, state),
            "energies": net.energy(torch.cat([xi, retrieved])).tolist(),
            "hebbian": {"state": heb_state, "match": _match(stored, heb_state),
                        "n_fixed": int(heb.is_fixed_point(torch.tensor(stored, dtype=torch.float32)).sum())}}


def routes(runs: Path | None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import get, post

    return [post("/api/hopfield/store", lambda body: store(body, runs)),
            get("/api/hopfield/capacity", capacity),
            post("/api/hopfield/corrupt", corrupt),
            post("/api/hopfield/recall", lambda body: recall(body, runs)),
            post("/api/hopfield/continuous", lambda body: continuous(body, runs)),
            post("/api/hopfield/modern", lambda body: modern(body, runs))]
