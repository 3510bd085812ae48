"""The Hopfield page's computations: stored digits, corrupted probes, and an asynchronous
recall traced flip by flip.

The network (:class:`~neuralzoo.models.hopfield.Hopfield`) runs the lecture's dynamics on
x_i in {-1, +1}::

    E(x) = -1/2 x^T W x + theta^T x,     x_i <- sign(sum_j w_ij x_j - theta_i)

one unit at a time; a flip changes E by ``-|h_i| |dx_i| <= 0``, so the energy curve the page
draws never rises. ``recall(..., return_trace=True)`` gives the state and energy after each
sweep; :func:`recall` replays each sweep unit by unit (the same orders, drawn from the same
seed) to give the page one frame per flip, and checks that the replay meets the library's
frame at the end of every sweep.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ._params import BadRequest, get_bits, get_choice, get_float, get_int

SIDE = 8  # the embedded digits are 8x8: N = 64 units
N_UNITS = SIDE * SIDE
MAX_PATTERNS = 20  # two examples of each digit
MAX_SWEEPS = 50
RULES = ("hebbian", "storkey", "pseudo-inverse")


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


def store(body: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """The stored digits (lists of 0/1, row by row, ``side`` x ``side``), their labels, and
    which of them are fixed points of the network (a stored pattern that is not one cannot be
    recalled exactly: the Hebbian rule on correlated digits)."""
    import torch

    hop, stored = _network(body, runs)
    labels = digit_patterns()[1][:len(stored)] if body.get("run") is None else None
    fixed = hop.is_fixed_point(torch.tensor(stored, dtype=torch.float32)).tolist()
    return {"side": SIDE, "patterns": stored, "labels": labels, "fixed_points": fixed,
            "rule": hop.rule, "max_patterns": MAX_PATTERNS}


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


def recall(body: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """Asynchronous recall of ``probe`` (64 values 0/1): every flip as a frame with its energy.

    Returns ``steps`` (one per flip: ``unit``, ``value``, ``energy``, ``sweep``), the
    per-sweep ``energies`` and ``frames`` of ``recall(return_trace=True)``, the final
    ``state``, whether it ``converged``, and ``match``: the stored pattern it equals (or null).
    """
    import torch

    hop, stored = _network(body, runs)
    probe = get_bits(body, "probe", N_UNITS)
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    max_sweeps = get_int(body, "max_sweeps", MAX_SWEEPS, 1, MAX_SWEEPS)
    x0 = torch.tensor([probe], dtype=torch.float32)
    trace = hop.recall(x0, mode="async", generator=seed, max_sweeps=max_sweeps, return_trace=True)
    # replay: the sweeps draw their unit orders from the seed in the same sequence
    g = torch.Generator().manual_seed(seed)
    x = x0.clone()
    steps = []
    for s in range(trace.sweeps):
        order = torch.randperm(N_UNITS, generator=g).tolist()
        for i in order:
            new = hop.update_unit(x, i)
            if new[0, i] != x[0, i]:
                x = new
                steps.append({"unit": i, "value": int(x[0, i]), "energy": float(hop.energy(x)[0]),
                              "sweep": s + 1})
        if not torch.equal(x, trace.frames[s + 1]):
            raise RuntimeError(f"replay of sweep {s + 1} differs from Hopfield.recall's frame")
    state = trace.states[0].int().tolist()
    match = next((k for k, p in enumerate(stored) if p == state), None)
    return {"probe": probe, "state": state, "stored": stored, "match": match,
            "start_energy": float(trace.energies[0, 0]), "steps": steps,
            "energies": trace.energies[0].tolist(), "sweeps": trace.sweeps,
            "frames": trace.frames[:, 0].int().tolist(), "converged": bool(trace.converged[0]),
            "fixed_points": hop.is_fixed_point(torch.tensor(stored, dtype=torch.float32)).tolist(),
            "rule": hop.rule}


def routes(runs: Path | None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import post

    return [post("/api/hopfield/store", lambda body: store(body, runs)),
            post("/api/hopfield/corrupt", corrupt),
            post("/api/hopfield/recall", lambda body: recall(body, runs))]
