"""The Boltzmann machine page's computations: a small, fully connected machine whose ``2^n``
states are enumerated exactly, a Gibbs run whose visited states' frequencies approach that
distribution, simulated annealing into a low-energy state, and learning by the two-phase rule.

The machine (:class:`~neuralzoo.models.boltzmann.BoltzmannMachine`; the lecture's structure
``w_ij = w_ji``, ``w_ii = 0``, units ``s_i`` in {0, 1}) at temperature ``T``::

    E_α = -sum_{i<j} w_ij s_i^α s_j^α - sum_i b_i s_i^α          (energy of the state α)
    u_i = sum_j w_ij s_j + b_i,   p(s_i = 1) = 1 / (1 + e^(-u_i / T))   (the stochastic unit)
    P(α) = e^(-E_α / T) / Z,      Z = sum_β e^(-E_β / T)           (Boltzmann distribution)

Run unit by unit (sequential Gibbs sweeps, :func:`neuralzoo.energy.gibbs_sweep`), the chain
of states has ``P`` as its equilibrium: the running frequency ``f(α)`` of each visited state
tends to ``P(α)``, which the page shows as the total variation distance
``TV = 1/2 sum_α |f(α) - P(α)|`` falling. Simulated annealing runs one sweep at each
temperature of a geometric schedule ``T_k = T_0 (T_K / T_0)^(k / (K - 1))`` (Kirkpatrick et
al. 1983): hot, the chain crosses energy barriers; cold, it settles into a low-energy state,
here compared with the ground state found by enumeration.

Learning (Ackley, Hinton & Sejnowski 1985): visible units ``v`` and hidden units ``h``,
``s = (v, h)``; the data's distribution ``P⁺(v)`` is matched by the machine's ``P⁻(v) =
sum_h P(v, h)`` by the rule::

    Δw_ij = η (<s_i s_j>⁺ - <s_i s_j>⁻),    Δb_i = η (<s_i>⁺ - <s_i>⁻)

``⁺``: the clamped phase (``v`` fixed to the data, ``h`` from ``p(h | v)``), ``⁻``: the free
phase (the machine running on its own). It follows the gradient of ``-KL(P⁺ || P⁻)``
(``T = 1``). The page trains through :meth:`BoltzmannMachine.fit`: ``method="exact"`` takes
both phases' statistics by enumeration, ``"gibbs"`` samples them; ``optimizer="sgd"`` (no
momentum) steps by the rule itself, ``"adam"`` scales the same gradient per weight.

The API is stateless: a machine is ``n`` and ``seed`` (random weights), or its ``W`` and ``b``
given (the learned one, sent back by the page); one ``chain_seed`` gives one chain.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Iterator
from typing import Any

from ._params import BadRequest, get_bits, get_choice, get_float, get_int

MIN_UNITS, MAX_UNITS = 2, 10  # 2^10 = 1024 states, enumerated for every request
DEFAULT_UNITS = 5
WEIGHT_STD, BIAS_STD = 1.0, 0.5  # a random machine: w_ij ~ N(0, 1), b_i ~ N(0, 0.5^2)
MAX_ABS_WEIGHT = 100.0  # a given machine's |w_ij| and |b_i|
MIN_T, MAX_T = 0.01, 100.0
MAX_SWEEPS = 20_000  # one Gibbs run; 10 units: 11 s on a busy 2-core box (streamed as it goes)
MAX_FRAMES = 100  # frames of a Gibbs run (each carries all 2^n frequencies)
MAX_ANNEAL = 2000  # sweeps (= temperatures) of one annealing run, one frame each
MAX_EPOCHS = 1000
MAX_SEED = 2**31 - 1

# The data sets of the learning card: visible rows, hidden units, connectivity, and the
# settings that learn them (checked by the tests; the encoder is a hard problem: some seeds
# end in a local minimum where two patterns share a hidden code, the lecture's 局部极小).
PATTERNS = [[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0]]
ENCODER = [[int(i == k) for i in range(4)] * 2 for k in range(4)]  # 4-2-4: V1 = V2 = one-hot
DATASETS: dict[str, dict[str, Any]] = {
    "patterns": {"rows": PATTERNS, "n_hidden": 2, "encoder": False,
                 "defaults": {"optimizer": "sgd", "lr": 0.5, "epochs": 300, "seed": 0}},
    "encoder": {"rows": ENCODER, "n_hidden": 2, "encoder": True,
                "defaults": {"optimizer": "adam", "lr": 0.2, "epochs": 200, "seed": 2}},
}
LEARN_INIT_STD = 0.5
LEARN_FRAMES = 50

_learn_lock = threading.Lock()  # fit seeds the global RNG (forked): one fit at a time


# -- the machine ---------------------------------------------------------------------------------


def make_machine(W: Any, b: Any, T: float = 1.0, n_visible: int | None = None):
    """A :class:`BoltzmannMachine` (float64) with the weights ``W`` (n, n; symmetric, zero
    diagonal) and biases ``b`` (n,) loaded as a trained state dict; the first ``n_visible``
    units visible (default: all), the rest hidden."""
    import torch

    from ..models.boltzmann import BoltzmannMachine

    W = torch.as_tensor(W, dtype=torch.float64)
    n = len(W)
    D = n if n_visible is None else n_visible
    bm = BoltzmannMachine(D, n - D, temperature=T, method="exact").double()
    # W = triu(A, 1) + triu(A, 1)^T: a symmetric W with zero diagonal is its own A
    bm.load_state_dict({**bm.state_dict(), "A": W, "b": torch.as_tensor(b, dtype=torch.float64)})
    return bm


def random_weights(n: int, seed: int) -> tuple[list[list[float]], list[float]]:
    """``w_ij = w_ji ~ N(0, 1)`` (i < j), ``w_ii = 0``, ``b_i ~ N(0, 0.5^2)``, from ``seed``."""
    import torch

    g = torch.Generator().manual_seed(seed)
    U = torch.triu(torch.randn(n, n, generator=g, dtype=torch.float64) * WEIGHT_STD, 1)  # (n, n)
    b = torch.randn(n, generator=g, dtype=torch.float64) * BIAS_STD  # (n,)
    return (U + U.T).tolist(), b.tolist()


def _temperature(body: dict[str, Any], key: str, default: float) -> float:
    T = body.get(key, default)
    if isinstance(T, bool) or not isinstance(T, int | float) or not MIN_T <= T <= MAX_T:
        raise BadRequest(f"{key}: expected a temperature in [{MIN_T:g}, {MAX_T:g}] (T > 0: a unit "
                         f"fires with probability 1/(1 + e^(-u/T))), got {T!r}")
    return float(T)


def _given_weights(body: dict[str, Any]) -> tuple[list[list[float]], list[float]]:
    """``W`` (n x n, symmetric, zero diagonal) and ``b`` (n) of the body, checked."""
    W, b = body.get("W"), body.get("b")
    if not isinstance(W, list) or not all(isinstance(row, list) for row in W):
        raise BadRequest(f"W: expected a list of n rows of n numbers (n in [{MIN_UNITS}, "
                         f"{MAX_UNITS}]), got {type(W).__name__}")
    n = len(W)
    if not MIN_UNITS <= n <= MAX_UNITS:
        raise BadRequest(f"W: expected n in [{MIN_UNITS}, {MAX_UNITS}] rows (2^n states are "
                         f"enumerated), got {n}")
    if any(len(row) != n for row in W):
        raise BadRequest(f"W: expected {n} rows of {n} numbers, got rows of lengths "
                         f"{sorted({len(row) for row in W})}")
    if not isinstance(b, list) or len(b) != n:
        raise BadRequest(f"b: expected a list of {n} numbers (one bias per unit), got "
                         f"{len(b) if isinstance(b, list) else type(b).__name__}")
    for name, values in (("W", [x for row in W for x in row]), ("b", b)):
        bad = [x for x in values if isinstance(x, bool) or not isinstance(x, int | float)
               or not abs(x) <= MAX_ABS_WEIGHT]
        if bad:
            raise BadRequest(f"{name}: expected finite numbers with |value| <= {MAX_ABS_WEIGHT:g}, "
                             f"got {bad[0]!r}")
    if any(W[i][i] != 0 for i in range(n)):
        raise BadRequest("W: expected a zero diagonal (w_ii = 0), got "
                         f"w_ii = {next(W[i][i] for i in range(n) if W[i][i] != 0)!r}")
    asym = [(i, j) for i in range(n) for j in range(i) if W[i][j] != W[j][i]]
    if asym:
        i, j = asym[0]
        raise BadRequest(f"W: expected symmetric weights (w_ij = w_ji), got w_{i}{j} = "
                         f"{W[i][j]!r} and w_{j}{i} = {W[j][i]!r}")
    return [[float(x) for x in row] for row in W], [float(x) for x in b]


def _machine(body: dict[str, Any]):
    """The machine a request asks for, at its ``T``: ``(bm, spec)`` where ``spec`` says what it
    is (``n``, ``seed`` or None, ``n_visible``)."""
    T = _temperature(body, "T", 1.0)
    if "W" in body:
        W, b = _given_weights(body)
        n = len(W)
        D = get_int(body, "n_visible", n, 1, n)
        seed = None
    else:
        n = get_int(body, "n", DEFAULT_UNITS, MIN_UNITS, MAX_UNITS)
        seed = get_int(body, "seed", 0, 0, MAX_SEED)
        W, b = random_weights(n, seed)
        D = n
    return make_machine(W, b, T, D), {"n": n, "seed": seed, "n_visible": D, "T": T}


def exact_distribution(bm) -> tuple[Any, Any, Any]:
    """All ``2^n`` states α (2^n, n) in counting order (unit 0 the most significant bit), their
    energies ``E_α`` and ``P(α)`` at the machine's temperature, by enumeration (the model's own
    exact ``log p``: with every unit visible, ``log P(α) = -E_α / T - log Z``)."""
    import torch

    from ..energy import enumerate_states

    n = bm.n_units
    S = next(enumerate_states(n, 1 << n))  # (2^n, n) float64
    everyone = make_machine(bm.W.detach(), bm.b.detach(), bm.temperature)  # all units visible
    with torch.no_grad():
        return S, bm.energy(S), everyone.log_likelihood(S).exp()


def _weights(bm) -> dict[str, Any]:
    return {"W": bm.W.detach().tolist(), "b": bm.b.detach().tolist()}


def machine(body: dict[str, Any]) -> dict[str, Any]:
    """The machine (``W``, ``b``), every state's energy ``energies`` and exact probability ``p``
    (index k: unit i is bit ``n - 1 - i`` of k), ``log_z``, and the ground state (the minimum
    energy)."""
    import torch

    bm, spec = _machine(body)
    S, E, P = exact_distribution(bm)
    k = int(torch.argmin(E))
    return {**spec, **_weights(bm), "states": len(S), "energies": E.tolist(), "p": P.tolist(),
            "log_z": float(bm.log_partition()),
            "ground": {"index": k, "state": S[k].int().tolist(), "energy": float(E[k]),
                       "p": float(P[k])}}


def _start(body: dict[str, Any], n: int, g):
    """The chain's first state: ``state`` (n bits) if given, else drawn from ``g``."""
    import torch

    if body.get("state") is not None:
        return torch.tensor([get_bits(body, "state", n)], dtype=torch.float64)  # (1, n)
    return torch.randint(0, 2, (1, n), generator=g).double()  # (1, n)


# -- Gibbs run and simulated annealing -------------------------------------------------------------


def gibbs_run(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``steps`` sequential Gibbs sweeps at ``T`` from a random (or given) state, drawn from
    ``chain_seed``; a frame every ``steps / frames`` sweeps: ``sweep``, the ``state`` after it,
    its ``index`` and ``energy``, the running frequency ``freq`` of every state (the states
    after sweeps 1..t, counted) and ``tv`` = 1/2 sum |freq - P| against the exact ``P``."""
    import torch

    from ..energy import gibbs, state_index

    bm, spec = _machine(body)
    steps = get_int(body, "steps", 4000, 1, MAX_SWEEPS)
    frames = get_int(body, "frames", MAX_FRAMES, 1, MAX_FRAMES)
    chain_seed = get_int(body, "chain_seed", 0, 0, MAX_SEED)
    g = torch.Generator().manual_seed(chain_seed)
    s = _start(body, bm.n_units, g)
    every = math.ceil(steps / frames)

    def frames_() -> Iterator[dict[str, Any]]:
        _, E, P = exact_distribution(bm)
        W, b, T = bm.W.detach(), bm.b.detach(), bm.temperature
        counts = torch.zeros(len(P), dtype=torch.float64)
        # W and b are detached: no graph is built. (No `with torch.no_grad()` around a yield:
        # grad mode is per thread, and each frame may run on another thread of the pool.)
        for t in range(1, steps + 1):
            # 1. one sweep: each unit in turn on with probability sigmoid(u_i / T)
            gibbs.gibbs_sweep(W, b, s, temperature=T, generator=g)
            # 2. count the state it ends in
            k = int(state_index(s)[0])
            counts[k] += 1
            if t % every == 0 or t == steps:
                freq = counts / t
                yield {"sweep": t, "steps": steps, "T": T, "state": s[0].int().tolist(),
                       "index": k, "energy": float(E[k]), "freq": freq.tolist(),
                       "tv": 0.5 * float((freq - P).abs().sum())}

    return frames_()


def anneal_run(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Simulated annealing: one sweep at each of ``sweeps`` temperatures falling geometrically
    from ``T_start`` to ``T_end`` (:func:`neuralzoo.energy.geometric_schedule`), from a random (or
    given) state drawn from ``chain_seed``; a frame per sweep (``sweep``, its ``T``, the
    ``state``, ``index``, ``energy``); the last also says the ground state (enumeration)."""
    import torch

    from ..energy import gibbs, state_index

    bm, spec = _machine(body)
    t_start = _temperature(body, "T_start", 10.0)
    t_end = _temperature(body, "T_end", 0.05)
    if t_end > t_start:
        raise BadRequest(f"T_end: expected at most T_start = {t_start:g} (annealing cools), "
                         f"got {t_end:g}")
    sweeps = get_int(body, "sweeps", 300, 1, MAX_ANNEAL)
    chain_seed = get_int(body, "chain_seed", 0, 0, MAX_SEED)
    g = torch.Generator().manual_seed(chain_seed)
    s = _start(body, bm.n_units, g)
    schedule = gibbs.geometric_schedule(t_start, t_end, sweeps)

    def frames_() -> Iterator[dict[str, Any]]:
        S, E, P = exact_distribution(bm)
        W, b = bm.W.detach(), bm.b.detach()
        ground = int(torch.argmin(E))
        # the sweeps of gibbs.anneal(W, b, s, schedule, generator=g), one frame after each (W, b
        # detached; no grad-mode block around a yield, see above)
        for t, T in enumerate(schedule, 1):
            gibbs.gibbs_sweep(W, b, s, temperature=T, generator=g)
            k = int(state_index(s)[0])
            frame = {"sweep": t, "sweeps": sweeps, "T": T, "state": s[0].int().tolist(),
                     "index": k, "energy": float(E[k])}
            if t == sweeps:
                frame.update(ground={"index": ground, "state": S[ground].int().tolist(),
                                     "energy": float(E[ground])}, at_ground=k == ground)
            yield frame

    return frames_()


# -- learning --------------------------------------------------------------------------------------


def _visible_distribution(bm) -> Any:
    """``P⁻(v)`` of every visible state (2^D,), exact (``log Z`` once, then the hidden sums)."""
    import torch

    from ..energy import enumerate_states

    V = next(enumerate_states(bm.n_visible, 1 << bm.n_visible))  # (2^D, D)
    with torch.no_grad():
        return bm.log_likelihood(V.to(bm.b.dtype), log_z=bm.log_partition()).exp()


def data_distribution(rows: list[list[int]]) -> list[float]:
    """``P⁺(v)``: the empirical distribution of the rows over the ``2^D`` visible states."""
    D = len(rows[0])
    p = [0.0] * (1 << D)
    for r in rows:
        p[int("".join(map(str, r)), 2)] += 1 / len(rows)
    return p


def _divergences(p_data: list[float], p_model: Any) -> tuple[float, float]:
    """``KL(P⁺ || P⁻) = sum_v P⁺ log(P⁺ / P⁻)`` (nats), ``TV = 1/2 sum_v |P⁺ - P⁻|``."""
    q = p_model.tolist()
    kl = sum(p * math.log(p / max(q[k], 1e-300)) for k, p in enumerate(p_data) if p > 0)
    tv = 0.5 * sum(abs(p - q[k]) for k, p in enumerate(p_data))
    return kl, tv


def learn(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Train a small machine with hidden units on ``data`` (``patterns`` or the 4-2-4
    ``encoder``) by the two-phase rule, through :meth:`BoltzmannMachine.fit` (``method``,
    ``optimizer``, ``lr`` = η, ``epochs``, ``seed``); a frame at the start and every
    ``epochs / 50`` epochs: ``epoch``, the machine (``W``, ``b``), ``p_model`` = P⁻(v) over the
    ``2^D`` visible states, ``kl`` and ``tv`` to the data's ``p_data``; the first frame also
    carries the data, the last (``done``) the two phases' statistics <s_i s_j>⁺ and <s_i s_j>⁻
    of the learned machine."""
    data = get_choice(body, "data", "patterns", tuple(DATASETS))
    spec = DATASETS[data]
    d = spec["defaults"]
    method = get_choice(body, "method", "exact", ("exact", "gibbs"))
    optimizer = get_choice(body, "optimizer", d["optimizer"], ("sgd", "adam"))
    lr = get_float(body, "lr", d["lr"], 1e-4, 10.0)
    epochs = get_int(body, "epochs", d["epochs"], 1, MAX_EPOCHS)
    seed = get_int(body, "seed", d["seed"], 0, MAX_SEED)
    return _learn_frames(data, {"method": method, "optimizer": optimizer, "lr": lr,
                                "epochs": epochs, "seed": seed})


def learn_model(data: str, *, method: str = "exact", optimizer: str | None = None,
                lr: float | None = None, epochs: int | None = None, seed: int | None = None,
                callbacks: tuple = ()):
    """The machine :func:`learn` trains for ``data`` (defaults of :data:`DATASETS`), fitted."""
    import torch

    from ..models.boltzmann import BoltzmannMachine, encoder_mask

    spec = DATASETS[data]
    d = spec["defaults"]
    rows = spec["rows"]
    D, H = len(rows[0]), spec["n_hidden"]
    mask = encoder_mask(D // 2, H) if spec["encoder"] else None
    bm = BoltzmannMachine(D, H, method=method, mask=mask, init_std=LEARN_INIT_STD)
    X = torch.tensor(rows, dtype=torch.float32)
    return bm.fit(X, epochs=epochs or d["epochs"], batch_size=len(rows), lr=lr or d["lr"],
                  optimizer=optimizer or d["optimizer"], momentum=0.0,
                  seed=d["seed"] if seed is None else seed, progress=False, callbacks=callbacks)


def _learn_frames(data: str, options: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """:func:`learn_model` (``options``) in a worker thread; its callback queues a frame every
    ``epochs / 50`` epochs, which the returned iterator yields as they come."""
    rows = DATASETS[data]["rows"]
    D, H = len(rows[0]), DATASETS[data]["n_hidden"]
    p_data = data_distribution(rows)
    epochs = options["epochs"]
    every = max(1, epochs // LEARN_FRAMES)
    out: queue.Queue = queue.Queue()
    stop = threading.Event()

    def frame(bm, epoch: int) -> dict[str, Any]:
        p_model = _visible_distribution(bm)
        kl, tv = _divergences(p_data, p_model)
        return {"epoch": epoch, "epochs": epochs, **_weights(bm), "p_model": p_model.tolist(),
                "kl": kl, "tv": tv}

    class Frames:  # a callback of the training loop (neuralzoo.train.Callback)
        def on_train_begin(self, state: Any) -> None:
            bm = state.model
            out.put(("frame", {**frame(bm, 0), "data": data, "rows": rows, "p_data": p_data,
                               "n_visible": D, "n_hidden": H, "mask": bm.M.int().tolist(),
                               "method": options["method"], "optimizer": options["optimizer"],
                               "lr": options["lr"], "seed": options["seed"]}))

        def on_epoch_end(self, state: Any, metrics: dict[str, Any]) -> bool:
            epoch = state.epoch + 1  # state.epoch: the index of the epoch ending
            if epoch % every == 0 or epoch == epochs:
                out.put(("frame", frame(state.model, epoch)))
            return stop.is_set()  # the page went away: stop training

    def work() -> None:
        try:
            with _learn_lock:
                bm = learn_model(data, callbacks=(Frames(),), **options)
            out.put(("done", bm))
        except Exception as err:  # handed to the stream, which ends with an error frame
            out.put(("error", err))

    def frames_() -> Iterator[dict[str, Any]]:
        import torch

        from ..energy import bm_clamped_statistics, bm_free_statistics

        threading.Thread(target=work, name="boltzmann-learn", daemon=True).start()
        try:
            while True:
                kind, item = out.get()
                if kind == "error":
                    raise item
                if kind == "frame":
                    last = item
                    if item["epoch"] < epochs:
                        yield item
                    continue
                bm = item
                X = torch.tensor(rows, dtype=torch.float64)
                plus, _ = bm_clamped_statistics(bm.W.detach(), bm.b.detach(), X, bm.temperature)
                minus, _ = bm_free_statistics(bm.W.detach(), bm.b.detach(), bm.temperature)
                yield {**last, "done": True, "stats_plus": plus.tolist(),
                       "stats_minus": minus.tolist()}
                return
        finally:
            stop.set()

    return frames_()


def routes(runs: Any = None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import get, post

    return [get("/api/boltzmann/datasets", lambda query: {
                "datasets": {k: {"rows": v["rows"], "n_hidden": v["n_hidden"],
                                 "encoder": v["encoder"], "defaults": v["defaults"]}
                             for k, v in DATASETS.items()},
                "max_units": MAX_UNITS, "max_sweeps": MAX_SWEEPS, "max_anneal": MAX_ANNEAL,
                "max_epochs": MAX_EPOCHS, "min_T": MIN_T, "max_T": MAX_T}),
            post("/api/boltzmann/machine", machine),
            post("/api/boltzmann/gibbs", gibbs_run),
            post("/api/boltzmann/anneal", anneal_run),
            post("/api/boltzmann/learn", learn)]
