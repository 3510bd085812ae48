"""The Hopfield page's computations: stored patterns (the embedded digits, a built-in alphabet,
or the person's own drawings), corrupted probes, an asynchronous recall streamed flip by flip,
and beside it the continuous and the modern Hopfield network on the same patterns and the same
probe.

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

What is stored, Xi (P, N), is chosen by every request alike (:func:`_network`): ``"source":
"digits"`` (the default) or ``"letters"``, of which the first ``n_patterns``; the person's own
``"patterns"`` (P lists of N = 64 values 0/1, ``"source": "drawn"``); or a ``"run"``
folder. The page sends 0/1 (v = 1 inked); the networks get ``x = 2v - 1``, always as -1/+1
(the library reads an all-ones 0/1 array as -1/+1, so a probe of 64 inked cells would otherwise
come back in the wrong convention).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from ._params import BadRequest, get_bits, get_choice, get_float, get_int

SIDE = 8  # the patterns are 8x8: N = 64 units
N_UNITS = SIDE * SIDE
MAX_PATTERNS = 20  # two examples of each digit; as many drawings
MAX_SWEEPS = 50
MAX_DELAY_MS = 500  # the page's slowest pace of the streamed flips
RULES = ("hebbian", "storkey", "pseudo-inverse")
SOURCES = ("digits", "letters", "drawn")
DT, STEPS = 0.05, 400  # the continuous network's Euler step and steps at most (t <= 20 C R)
FILM = 8  # snapshots of the continuous trajectory sent to the page
GAIN = (4.0, 0.5, 50.0)  # default, lowest, highest
BETA = (0.3, 0.001, 10.0)

# Ten capitals, 8x8, row by row (1 = ink), two cells thick. Chosen far apart: any two differ in
# at least 11 of the 64 cells (A and H, 4 apart, were left out).
ALPHABET = """
A        C        E        J        S        T        V        X        Y        Z
00111100 00111100 01111110 00011110 00111110 01111110 01100110 01100110 01100110 01111110
01100110 01100110 01100000 00001100 01100000 00011000 01100110 01100110 01100110 00000110
01100110 01100000 01100000 00001100 01100000 00011000 01100110 00111100 01100110 00001100
01111110 01100000 01111100 00001100 00111100 00011000 01100110 00011000 00111100 00011000
01100110 01100000 01100000 01101100 00000110 00011000 01100110 00111100 00011000 00110000
01100110 01100110 01100000 01101100 00000110 00011000 00111100 01100110 00011000 01100000
01100110 00111100 01111110 00111000 01111100 00011000 00011000 01100110 00011000 01111110
00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
"""


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


@lru_cache(maxsize=1)
def letter_patterns() -> tuple[list[list[int]], list[str]]:
    """The letters of :data:`ALPHABET` as 64 values 0/1 (row by row), and their names."""
    names, *rows = [line.split() for line in ALPHABET.strip().splitlines()]
    return [[int(c) for row in rows for c in row[k]] for k in range(len(names))], names


def _pm1(bits: list[list[int]], dtype=None):
    """0/1 rows -> a (B, N) tensor of x = 2v - 1."""
    import torch

    return 2 * torch.tensor(bits, dtype=dtype or torch.float32) - 1


def _bits(x) -> list[int]:
    """One -1/+1 state (N,) -> 64 values 0/1."""
    return (x > 0).int().tolist()


def _probe(body: dict[str, Any]):
    """``probe`` (64 values 0/1) as a (1, N) -1/+1 tensor."""
    return _pm1([get_bits(body, "probe", N_UNITS)])


def _match(stored: list[list[int]], state: list[int]) -> int | None:
    """The index of the stored pattern equal to ``state``, or None."""
    return next((k for k, p in enumerate(stored) if p == state), None)


def _fixed(hop, stored: list[list[int]]) -> list[bool]:
    """Which stored patterns are fixed points of ``hop``."""
    return hop.is_fixed_point(_pm1(stored)).tolist()


def _drawn(body: dict[str, Any]) -> list[list[int]]:
    """``patterns``: 1..``MAX_PATTERNS`` lists of 64 values 0/1, none all-zero (a blank grid
    stores nothing: it is every pattern's background), no two equal (one memory, stored
    twice)."""
    v = body.get("patterns")
    if not isinstance(v, list) or not 1 <= len(v) <= MAX_PATTERNS:
        got = f"{len(v)} patterns" if isinstance(v, list) else type(v).__name__
        raise BadRequest(f"patterns: expected a list of 1 to {MAX_PATTERNS} patterns of "
                         f"{N_UNITS} values 0/1, got {got}")
    out: list[list[int]] = []
    for k, p in enumerate(v):
        key = f"patterns[{k}]"
        bits = get_bits({key: p}, key, N_UNITS)
        if not any(bits):
            raise BadRequest(f"{key}: expected at least one inked cell (1), got all {N_UNITS} "
                             "cells 0")
        if bits in out:
            raise BadRequest(f"{key}: expected distinct patterns, got a copy of "
                             f"patterns[{out.index(bits)}]")
        out.append(bits)
    return out


def _source(body: dict[str, Any]) -> tuple[str, list[list[int]], list | None]:
    """The ``source`` a request names, all its patterns, and their labels (None: drawn)."""
    source = get_choice(body, "source", "drawn" if "patterns" in body else "digits", SOURCES)
    if source == "drawn":
        return source, _drawn(body), None
    if "patterns" in body:
        raise BadRequest(f"patterns: expected them only with source 'drawn', got source "
                         f"{source!r}")
    patterns, labels = digit_patterns() if source == "digits" else letter_patterns()
    return source, patterns, labels


def _network(body: dict[str, Any], runs: Path | None):
    """The network a request asks for, its stored patterns (0/1), their labels and its source:
    a stored run from ``--runs`` (``"run"``), the person's ``patterns``, or the first
    ``n_patterns`` digits or letters (``source``), stored now by ``rule``."""
    from ..models.hopfield import Hopfield

    name = body.get("run")
    if name is not None:
        from .runs import load_model

        if "patterns" in body or "source" in body:
            raise BadRequest(f"run {name!r}: expected no 'patterns' or 'source' beside it (a run "
                             "stores its own), got " + ", ".join(
                                 k for k in ("patterns", "source") if k in body))
        hop = load_model(runs, name)
        if not isinstance(hop, Hopfield) or hop.n_units != N_UNITS:
            raise BadRequest(f"run {name!r}: expected a hopfield run on 8x8 patterns "
                             f"({N_UNITS} units), got {type(hop).__name__}")
        return hop, hop.patterns.clamp(min=0).int().tolist(), None, "run"  # -1/+1 -> 0/1
    source, stored, labels = _source(body)
    rule = get_choice(body, "rule", "pseudo-inverse", RULES)
    if source != "drawn":
        n = get_int(body, "n_patterns", 3, 1, len(stored))
        stored, labels = stored[:n], labels[:n]
    try:
        hop = Hopfield(N_UNITS, rule=rule).store(_pm1(stored))
    except ValueError as err:  # e.g. the pseudo-inverse's dependent patterns
        raise BadRequest(str(err)) from None
    return hop, stored, labels, source


def store(body: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """The stored patterns (lists of 0/1, row by row, ``side`` x ``side``), their ``labels``
    (the digits, the letters, or null for drawings and runs), which of them are fixed points of
    the network (a stored pattern that is not one cannot be recalled exactly: the Hebbian rule
    on correlated patterns), and ``sizes``: how many patterns each source offers."""
    hop, stored, labels, source = _network(body, runs)
    fixed = _fixed(hop, stored)
    return {"side": SIDE, "source": source, "patterns": stored, "labels": labels,
            "fixed_points": fixed, "n_fixed": sum(fixed), "rule": hop.rule,
            "max_patterns": MAX_PATTERNS,
            "sizes": {"digits": MAX_PATTERNS, "letters": len(letter_patterns()[0]),
                      "drawn": MAX_PATTERNS}}


@lru_cache(maxsize=16)
def _capacity(patterns: tuple[tuple[int, ...], ...]) -> dict[str, Any]:
    from ..models.hopfield import Hopfield

    X = _pm1([list(p) for p in patterns])  # (P_max, N)
    fixed: dict[str, list[int | None]] = {}
    for rule in RULES:
        fixed[rule] = []
        for p in range(1, len(X) + 1):
            try:
                hop = Hopfield(N_UNITS, rule=rule).store(X[:p])
            except ValueError:  # dependent patterns: no projection
                fixed[rule].append(None)
                continue
            fixed[rule].append(int(hop.is_fixed_point(X[:p]).sum()))
    return {"n_patterns": list(range(1, len(X) + 1)), "fixed": fixed}


def capacity(body: dict[str, Any]) -> dict[str, Any]:
    """For each rule and each P = 1, 2, ... (the first P patterns of the ``source``, or of the
    person's ``patterns``, stored): how many of the P stored patterns are fixed points (null
    where the pseudo-inverse has no projection: dependent patterns). The Hebbian rule collapses
    at P = 3 on the correlated digits; the projection keeps every linearly independent pattern.
    GET takes the ``source`` from the query string, POST a body like :func:`store`'s."""
    source, patterns, _ = _source(body)
    return {"source": source, **_capacity(tuple(map(tuple, patterns)))}


def corrupt(body: dict[str, Any]) -> dict[str, Any]:
    """Pattern ``index`` of the source (all its patterns, whatever ``n_patterns``) with
    ``round(noise N)`` bits flipped (``flip``, seeded)."""
    import torch

    from ..models.hopfield import flip

    _, pool, _ = _source(body)
    index = get_int(body, "index", 0, 0, len(pool) - 1)
    noise = get_float(body, "noise", 0.15, 0.0, 1.0)
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    probe = flip(_pm1([pool[index]]), noise, torch.Generator().manual_seed(seed))
    return {"probe": _bits(probe[0]), "flipped": round(noise * N_UNITS)}


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
    hop, stored, _, _ = _network(body, runs)
    x0 = _probe(body)
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    max_sweeps = get_int(body, "max_sweeps", MAX_SWEEPS, 1, MAX_SWEEPS)
    delay = get_int(body, "delay_ms", 0, 0, MAX_DELAY_MS) / 1000
    trace = hop.recall(x0, mode="async", generator=seed, max_sweeps=max_sweeps, return_trace=True)
    return _replay(hop, stored, x0, trace, seed, delay, _fixed(hop, stored))


def _replay(hop, stored: list[list[int]], x0, trace, seed: int, delay: float,
            fixed: list[bool]) -> Iterator[dict[str, Any]]:
    """The frames of :func:`recall`: each sweep of ``trace`` replayed unit by unit."""
    import torch

    E = trace.energies[0].tolist()  # (S+1,) the library's energy before and after each sweep
    yield {"kind": "start", "probe": _bits(x0[0]), "energy": E[0],
           "energy_range": [min(E), max(E)]}
    # 1. the sweeps draw their unit orders from the seed in the same sequence as recall's
    g = torch.Generator().manual_seed(seed)
    x = x0.clone()  # (1, N) -1/+1
    flips = 0
    for s in range(trace.sweeps):
        order = torch.randperm(N_UNITS, generator=g).tolist()
        for i in order:
            new = hop.update_unit(x, i)
            if new[0, i] != x[0, i]:  # 2. a flip: one frame, E after it
                x, flips = new, flips + 1
                if delay:
                    time.sleep(delay)
                yield {"kind": "flip", "flip": flips, "unit": i, "value": int(x[0, i] > 0),
                       "energy": float(hop.energy(x)[0]), "sweep": s + 1}
        # 3. the end of a sweep: the replay must be the library's state
        if not torch.equal(x, trace.frames[s + 1]):
            raise RuntimeError(f"replay of sweep {s + 1} differs from Hopfield.recall's frame")
        yield {"kind": "sweep", "sweep": s + 1, "energy": E[s + 1], "flips": flips}
    state = _bits(trace.states[0])
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

    hop, stored, _, _ = _network(body, runs)
    x0 = _probe(body).double()
    gain = get_float(body, "gain", *GAIN)
    net = ContinuousHopfield(N_UNITS, rule=hop.rule, gain=gain, dt=DT, max_steps=STEPS).double()
    net.store(_pm1(stored, torch.float64))
    trace = net.recall(x0, mode="continuous", return_trace=True)
    V = trace.frames[:, 0]  # (S+1, N) graded outputs after every step
    S = trace.sweeps
    shots = sorted({round(k * S / (FILM - 1)) for k in range(FILM)})
    state = _bits(trace.states[0])
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

    _, stored, _, _ = _network(body, runs)
    xi = _probe(body)  # (1, N) the probe as -1/+1
    beta = get_float(body, "beta", *BETA)
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    net = ModernHopfield(N_UNITS, beta=beta, max_steps=1).store(_pm1(stored))
    attention = torch.softmax(beta * (xi @ net.patterns.T), dim=1)  # (1, P)
    retrieved = net.update(xi)  # (1, N) = attention @ patterns
    state = _bits(net.recall(xi, max_steps=1)[0])
    heb = Hopfield(N_UNITS, rule="hebbian").store(_pm1(stored))
    heb_state = _bits(heb.recall(xi, generator=seed)[0])
    return {"beta": beta, "attention": attention[0].tolist(),
            "retrieved": [round(v, 4) for v in retrieved[0].tolist()], "state": state,
            "match": _match(stored, state),
            "energies": net.energy(torch.cat([xi, retrieved])).tolist(),
            "hebbian": {"state": heb_state, "match": _match(stored, heb_state),
                        "n_fixed": sum(_fixed(heb, stored))}}


def routes(runs: Path | None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import get, post

    return [post("/api/hopfield/store", lambda body: store(body, runs)),
            get("/api/hopfield/capacity", capacity),
            post("/api/hopfield/capacity", capacity),
            post("/api/hopfield/corrupt", corrupt),
            post("/api/hopfield/recall", lambda body: recall(body, runs)),
            post("/api/hopfield/continuous", lambda body: continuous(body, runs)),
            post("/api/hopfield/modern", lambda body: modern(body, runs))]
