"""The Boltzmann machine page's API through Starlette's TestClient: the exact distribution against
a brute-force sum over all 2^n states, the streamed Gibbs run and annealing against the
library's own sampler (one seed, one chain), learning against the two-phase rule computed by
brute force and against :meth:`BoltzmannMachine.fit`, and the refusals."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from neuralzoo.energy import geometric_schedule
from neuralzoo.models.boltzmann import BoltzmannMachine
from neuralzoo.serve.boltzmann import ENCODER, PATTERNS

from .answers import frames, ok

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx


def flat(M) -> list[float]:
    return [x for row in M for x in row]


def energy(W, b, s) -> float:
    """E = -sum_{i<j} w_ij s_i s_j - sum_i b_i s_i, written out."""
    n = len(s)
    return (-sum(W[i][j] * s[i] * s[j] for i in range(n) for j in range(i + 1, n))
            - sum(b[i] * s[i] for i in range(n)))


def brute_force(W, b, T: float = 1.0):
    """Every state (unit 0 the most significant bit), its energy, P = e^(-E/T) / Z, log Z."""
    states = list(itertools.product((0, 1), repeat=len(b)))
    E = [energy(W, b, s) for s in states]
    weights = [math.exp(-e / T) for e in E]
    Z = sum(weights)
    return states, E, [w / Z for w in weights], math.log(Z)


def visible_marginal(W, b, D: int) -> list[float]:
    """P(v) = sum_h P(v, h) of every visible state (T = 1), brute force."""
    states, _, P, _ = brute_force(W, b)
    out = [0.0] * (1 << D)
    for s, p in zip(states, P):
        out[int("".join(map(str, s[:D])), 2)] += p
    return out


def phase_statistics(W, b, rows):
    """<s_i s_j>⁺ (visible units clamped to each row, hidden ones from p(h | v), averaged over
    the rows) and <s_i s_j>⁻ (the free machine), brute force; the diagonal is <s_i>."""
    n, D = len(b), len(rows[0])
    states, E, P, _ = brute_force(W, b)
    minus = [[sum(p * s[i] * s[j] for s, p in zip(states, P)) for j in range(n)] for i in range(n)]
    plus = [[0.0] * n for _ in range(n)]
    for v in rows:
        joint = [tuple(v) + h for h in itertools.product((0, 1), repeat=n - D)]
        w = [math.exp(-energy(W, b, s)) for s in joint]
        for s, ws in zip(joint, w):
            for i in range(n):
                for j in range(n):
                    plus[i][j] += ws / sum(w) * s[i] * s[j] / len(rows)
    return plus, minus


def library_machine(W, b, T: float = 1.0) -> BoltzmannMachine:
    """The library's model with these weights (every unit visible), float64."""
    n = len(b)
    bm = BoltzmannMachine(n, 0, temperature=T).double()
    bm.load_state_dict({**bm.state_dict(), "A": torch.tensor(W, dtype=torch.float64),
                        "b": torch.tensor(b, dtype=torch.float64)})
    return bm


# -- the machine and its exact distribution -------------------------------------------------------


@pytest.mark.parametrize(("n", "seed", "T"), [(2, 0, 1.0), (5, 0, 1.0), (5, 3, 0.4), (7, 1, 2.5),
                                              (10, 4, 1.0)])
def test_the_exact_distribution_is_the_brute_force_sum(client, n, seed, T):
    m = ok(client.post("/api/boltzmann/machine", json={"n": n, "seed": seed, "T": T}))
    W, b = m["W"], m["b"]
    assert len(W) == n and len(b) == n and m["states"] == 2**n
    assert all(W[i][j] == W[j][i] for i in range(n) for j in range(n))  # w_ij = w_ji
    assert all(W[i][i] == 0 for i in range(n))  # w_ii = 0
    states, E, P, log_z = brute_force(W, b, T)
    assert m["energies"] == pytest.approx(E, abs=1e-9)
    assert m["p"] == pytest.approx(P, rel=1e-9, abs=1e-15)
    assert sum(m["p"]) == pytest.approx(1.0, abs=1e-12)
    assert m["log_z"] == pytest.approx(log_z, abs=1e-9)
    k = min(range(2**n), key=E.__getitem__)
    assert m["ground"] == {"index": k, "state": list(states[k]), "energy": pytest.approx(E[k]),
                           "p": pytest.approx(P[k])}
    # the library's model with the same weights: its energy and exact log Z
    bm = library_machine(W, b, T)
    S = torch.tensor(states, dtype=torch.float64)
    assert bm.energy(S).tolist() == pytest.approx(E, abs=1e-9)
    assert float(bm.log_partition()) == pytest.approx(log_z, abs=1e-9)


def test_one_seed_is_one_machine_and_the_temperature_flattens_p(client):
    a, b = (ok(client.post("/api/boltzmann/machine", json={"n": 6, "seed": 11, "T": T}))
            for T in (0.5, 5.0))
    assert a["W"] == b["W"] and a["b"] == b["b"]
    c = ok(client.post("/api/boltzmann/machine", json={"n": 6, "seed": 12}))
    assert c["W"] != a["W"]
    # hot, P(α) is closer to uniform: the ground state loses probability
    assert b["ground"]["index"] == a["ground"]["index"]
    assert b["ground"]["p"] < a["ground"]["p"]
    assert max(b["p"]) - min(b["p"]) < max(a["p"]) - min(a["p"])


def test_a_given_machine_with_hidden_units(client):
    W = [[0, 2.0, -1.0, 0.5], [2.0, 0, 0.25, 0], [-1.0, 0.25, 0, -3.0], [0.5, 0, -3.0, 0]]
    b = [-1.0, 0.5, 0.0, 1.5]
    m = ok(client.post("/api/boltzmann/machine", json={"W": W, "b": b, "n_visible": 2, "T": 0.7}))
    assert m["n"] == 4 and m["n_visible"] == 2 and m["seed"] is None
    assert m["W"] == W and m["b"] == b
    _, E, P, _ = brute_force(W, b, 0.7)
    assert m["p"] == pytest.approx(P, rel=1e-9) and m["energies"] == pytest.approx(E, abs=1e-12)


# -- the Gibbs run ---------------------------------------------------------------------------------


def test_the_gibbs_stream_is_the_library_chain(client):
    """Frame by frame, the library's sweeps (BoltzmannMachine.gibbs_step, one per sweep, the same
    generator): the states, the counted frequencies and the TV to the brute-force P."""
    body = {"n": 6, "seed": 2, "T": 0.8, "steps": 300, "frames": 30, "chain_seed": 7,
            "state": [1, 0, 1, 1, 0, 0]}
    m = ok(client.post("/api/boltzmann/machine", json=body))
    fs = frames(client.post("/api/boltzmann/gibbs", json=body))
    assert [f["sweep"] for f in fs] == list(range(10, 301, 10))
    _, E, P, _ = brute_force(m["W"], m["b"], 0.8)
    bm = library_machine(m["W"], m["b"], 0.8)
    g = torch.Generator().manual_seed(7)
    s = torch.tensor([body["state"]], dtype=torch.float64)
    counts = [0] * 64
    for t in range(1, 301):
        s = bm.gibbs_step(s, 1, generator=g)
        k = int("".join(str(int(x)) for x in s[0].tolist()), 2)
        counts[k] += 1
        if t % 10 == 0:
            f = fs[t // 10 - 1]
            assert f["state"] == s[0].int().tolist() and f["index"] == k
            assert f["energy"] == pytest.approx(E[k], abs=1e-9)
            freq = [c / t for c in counts]
            assert f["freq"] == pytest.approx(freq, abs=1e-12)
            tv = 0.5 * sum(abs(q - p) for q, p in zip(freq, P))
            assert f["tv"] == pytest.approx(tv, abs=1e-9)
    # without a given state, the first state is drawn from the chain's generator
    body.pop("state")
    g = torch.Generator().manual_seed(7)
    s = torch.randint(0, 2, (1, 6), generator=g).double()
    first = frames(client.post("/api/boltzmann/gibbs", json={**body, "steps": 10, "frames": 10}))[0]
    assert first["state"] == bm.gibbs_step(s, 1, generator=g)[0].int().tolist()


def test_the_visited_frequencies_approach_the_boltzmann_distribution(client):
    fs = frames(client.post("/api/boltzmann/gibbs", json={"n": 5, "seed": 0, "T": 1.0,
                                                          "steps": 4000, "chain_seed": 0}))
    assert len(fs) == 100 and fs[-1]["sweep"] == 4000
    assert all(sum(f["freq"]) == pytest.approx(1.0) for f in fs)
    tv = [f["tv"] for f in fs]
    assert tv[-1] < 0.05 and tv[-1] < tv[0] / 3  # 0.025 and 0.25 with this seed
    assert max(tv[50:]) < 0.06


# -- simulated annealing -------------------------------------------------------------------------


def test_annealing_is_the_library_schedule_and_ends_in_the_ground_state(client):
    body = {"n": 7, "seed": 5, "T_start": 8.0, "T_end": 0.05, "sweeps": 120, "chain_seed": 4,
            "state": [0] * 7}
    m = ok(client.post("/api/boltzmann/machine", json={"n": 7, "seed": 5}))
    fs = frames(client.post("/api/boltzmann/anneal", json=body))
    schedule = geometric_schedule(8.0, 0.05, 120)
    assert [f["T"] for f in fs] == pytest.approx(schedule) and len(fs) == 120
    bm = library_machine(m["W"], m["b"])
    end = bm.gibbs_step(torch.zeros(1, 7, dtype=torch.float64), 0, anneal=schedule,
                        generator=torch.Generator().manual_seed(4))  # the model's own annealing
    assert fs[-1]["state"] == end[0].int().tolist()
    _, E, _, _ = brute_force(m["W"], m["b"])
    assert all(f["energy"] == pytest.approx(E[f["index"]], abs=1e-9) for f in fs)
    assert fs[-1]["ground"]["energy"] == pytest.approx(min(E), abs=1e-9)


@pytest.mark.parametrize("n", [5, 10])
def test_slow_cooling_reaches_the_enumerated_ground_state(client, n):
    for seed in range(4):  # 300 sweeps from T = 10 to 0.05 reach it for each of these machines
        fs = frames(client.post("/api/boltzmann/anneal", json={"n": n, "seed": seed}))
        _, E, _, _ = brute_force(*(lambda m: (m["W"], m["b"]))(
            ok(client.post("/api/boltzmann/machine", json={"n": n, "seed": seed}))))
        assert fs[-1]["at_ground"] and fs[-1]["energy"] == pytest.approx(min(E), abs=1e-9)
        assert fs[-1]["index"] == fs[-1]["ground"]["index"] == E.index(min(E))


# -- learning ------------------------------------------------------------------------------------


def test_one_epoch_is_one_step_of_the_two_phase_rule(client):
    """Δw_ij = η(<s_i s_j>⁺ - <s_i s_j>⁻) and Δb_i = η(<s_i>⁺ - <s_i>⁻), the statistics
    summed by brute force at the weights the first frame shows."""
    eta = 0.3
    fs = frames(client.post("/api/boltzmann/learn", json={"data": "patterns", "optimizer": "sgd",
                                                          "lr": eta, "epochs": 1, "seed": 3}))
    assert [f["epoch"] for f in fs] == [0, 1] and fs[-1]["done"]
    W0, b0, W1, b1 = fs[0]["W"], fs[0]["b"], fs[1]["W"], fs[1]["b"]
    assert fs[0]["n_visible"] == 6 and fs[0]["n_hidden"] == 2 and fs[0]["rows"] == PATTERNS
    plus, minus = phase_statistics(W0, b0, PATTERNS)
    for i in range(8):
        assert b1[i] - b0[i] == pytest.approx(eta * (plus[i][i] - minus[i][i]), abs=1e-5)
        for j in range(i + 1, 8):
            assert W1[i][j] - W0[i][j] == pytest.approx(eta * (plus[i][j] - minus[i][j]), abs=1e-5)
    # the last frame's statistics are those of the learned weights
    plus, minus = phase_statistics(W1, b1, PATTERNS)
    assert flat(fs[-1]["stats_plus"]) == pytest.approx(flat(plus), abs=1e-6)
    assert flat(fs[-1]["stats_minus"]) == pytest.approx(flat(minus), abs=1e-6)


def test_learning_the_patterns_is_the_library_fit_and_matches_the_data(client):
    fs = frames(client.post("/api/boltzmann/learn", json={"data": "patterns"}))
    first, last = fs[0], fs[-1]
    assert (first["optimizer"], first["lr"], last["epochs"]) == ("sgd", 0.5, 300)
    assert [f["epoch"] for f in fs] == list(range(0, 301, 6))
    X = torch.tensor(PATTERNS, dtype=torch.float32)
    bm = BoltzmannMachine(6, 2, method="exact", init_std=0.5).fit(
        X, epochs=300, batch_size=3, lr=0.5, optimizer="sgd", momentum=0.0, seed=0, progress=False)
    assert flat(last["W"]) == pytest.approx(flat(bm.W.tolist()), abs=1e-6)
    assert last["b"] == pytest.approx(bm.b.tolist(), abs=1e-6)
    p_model = visible_marginal(last["W"], last["b"], 6)
    assert last["p_model"] == pytest.approx(p_model, abs=1e-6)
    p_data = [1 / 3 if k in (56, 7, 42) else 0.0 for k in range(64)]  # 111000, 000111, 101010
    assert first["p_data"] == pytest.approx(p_data)
    kl = sum(p * math.log(p / p_model[k]) for k, p in enumerate(p_data) if p)
    assert last["kl"] == pytest.approx(kl, abs=1e-6)
    assert last["kl"] < 0.06 and first["kl"] > 1.0  # 0.047 and 3.1 with these settings
    assert sum(p_model[k] for k in (56, 7, 42)) > 0.9
    # at the end the two phases nearly agree: the rule's fixed point
    diff = max(abs(p - m) for rp, rm in zip(last["stats_plus"], last["stats_minus"])
               for p, m in zip(rp, rm))
    assert diff < 0.05


def test_the_encoder_learns_a_code_through_two_hidden_units(client):
    fs = frames(client.post("/api/boltzmann/learn", json={"data": "encoder"}))
    last = fs[-1]
    assert fs[0]["n_visible"] == 8 and fs[0]["rows"] == ENCODER
    W, mask = last["W"], fs[0]["mask"]
    # V1 and V2 meet only through the hidden units: those weights stay 0
    assert all(W[i][j] == 0 for i in range(4) for j in range(4, 8))
    assert all(mask[i][j] == 0 for i in range(4) for j in range(4, 8))
    assert last["p_model"] == pytest.approx(visible_marginal(W, last["b"], 8), abs=1e-6)
    assert last["kl"] < 0.03  # 0.010 with seed 2; some seeds stop in a local minimum (0.36)


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "body", "words"), [
    ("machine", {"n": 11}, "n: expected an integer in [2, 10], got 11"),
    ("machine", {"n": 1}, "n: expected an integer in [2, 10], got 1"),
    ("machine", {"n": "5"}, "n: expected an integer"),
    ("machine", {"T": 0}, "T: expected a temperature in [0.01, 100]"),
    ("gibbs", {"T": -1}, "got -1"),
    ("gibbs", {"T": "hot"}, "T: expected a temperature in [0.01, 100] (T > 0: a unit fires with "
                            "probability 1/(1 + e^(-u/T))), got 'hot'"),
    ("gibbs", {"T": None}, "got None"),
    ("gibbs", {"steps": 20001}, "steps: expected an integer in [1, 20000], got 20001"),
    ("gibbs", {"steps": 0}, "steps"),
    ("gibbs", {"chain_seed": -1}, "chain_seed"),
    ("gibbs", {"n": 3, "state": [1, 0]}, "state: expected a list of 3 values 0/1, got 2 values"),
    ("gibbs", {"W": [[0, 1], [2, 0]], "b": [0, 0]}, "W: expected symmetric weights"),
    ("gibbs", {"W": [[1, 0], [0, 0]], "b": [0, 0]}, "W: expected a zero diagonal"),
    ("gibbs", {"W": [[0, 1], [1]], "b": [0, 0]}, "W: expected 2 rows of 2 numbers"),
    ("gibbs", {"W": [[0, 1], [1, 0]], "b": [0]}, "b: expected a list of 2 numbers"),
    ("gibbs", {"W": [[0] * 11] * 11, "b": [0] * 11}, "W: expected n in [2, 10] rows"),
    ("anneal", {"T_start": 0.1, "T_end": 1.0}, "T_end: expected at most T_start = 0.1"),
    ("anneal", {"T_end": 0}, "T_end: expected a temperature"),
    ("anneal", {"sweeps": 2001}, "sweeps: expected an integer in [1, 2000]"),
    ("learn", {"data": "mnist"}, "data: expected one of patterns, encoder, got 'mnist'"),
    ("learn", {"epochs": 1001}, "epochs: expected an integer in [1, 1000]"),
    ("learn", {"lr": 0}, "lr: expected a number"),
    ("learn", {"method": "cd"}, "method: expected one of exact, gibbs"),
])
def test_bad_requests_are_refused_before_any_frame(client, path, body, words):
    r = client.post(f"/api/boltzmann/{path}", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert words in r.json()["error"]


def test_the_page_is_served_with_its_script(client):
    r = client.get("/boltzmann")
    assert r.status_code == 200 and "/static/boltzmann.js" in r.text and 'id="bars"' in r.text
    info = ok(client.get("/api/boltzmann/datasets"))
    assert set(info["datasets"]) == {"patterns", "encoder"} and info["max_units"] == 10
    for name in ("boltzmann.js", "boltzmann.css"):
        assert client.get(f"/static/{name}").status_code == 200
