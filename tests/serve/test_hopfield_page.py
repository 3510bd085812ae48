"""The Hopfield page's API through Starlette's TestClient: the stored digits, letters or drawn
patterns, the corrupted probe, the recall streamed flip by flip (NDJSON), the continuous and the
modern network beside it, each checked against the library's models called directly (the
oracle), and every bad request answered with a 4xx and one clear message while the server keeps
answering."""

from __future__ import annotations

import json
import time

import pytest
import torch

from neuralzoo.models.hopfield import ContinuousHopfield, Hopfield, ModernHopfield
from neuralzoo.serve import hopfield
from neuralzoo.serve._params import BadRequest

from .answers import frames as frames_of
from .answers import ok, refused

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx


def probe_of(client, index=0, noise=0.15, seed=1) -> list[int]:
    return ok(client.post("/api/hopfield/corrupt", json={"index": index, "noise": noise,
                                                         "seed": seed}))["probe"]


def stored_of(client, rule="pseudo-inverse", n=3) -> list[list[int]]:
    return ok(client.post("/api/hopfield/store", json={"rule": rule, "n_patterns": n}))["patterns"]


def nonincreasing(E: list[float]) -> bool:
    return all(b <= a for a, b in zip(E, E[1:]))


def grid(cells) -> list[int]:
    """An 8x8 drawing (64 values 0/1, row by row) inked at the (row, col) ``cells``."""
    bits = [0] * 64
    for r, c in cells:
        bits[8 * r + c] = 1
    return bits


# what a person draws on the page: a vertical bar, a horizontal bar, a diagonal
DRAWN = [grid((r, 3) for r in range(8)), grid((4, c) for c in range(8)),
         grid((k, k) for k in range(8))]


# --- store, capacity, corrupt ------------------------------------------------------------------

def test_store_gives_the_digits_and_their_fixed_points(client):
    data = ok(client.post("/api/hopfield/store", json={"rule": "pseudo-inverse", "n_patterns": 3}))
    assert data["labels"] == [0, 1, 2] and data["side"] == 8
    assert len(data["patterns"]) == 3 and all(len(p) == 64 for p in data["patterns"])
    assert data["fixed_points"] == [True, True, True] and data["n_fixed"] == 3  # the projection
    heb = ok(client.post("/api/hopfield/store", json={"rule": "hebbian", "n_patterns": 10}))
    X = torch.tensor(heb["patterns"], dtype=torch.float32)
    expected = Hopfield(64, rule="hebbian").store(X).is_fixed_point(X).tolist()
    assert heb["fixed_points"] == expected and heb["n_fixed"] == sum(expected) == 0  # collapse


def test_capacity_counts_the_fixed_points_of_each_rule(client):
    cap = ok(client.get("/api/hopfield/capacity"))
    assert cap["n_patterns"] == list(range(1, 21))
    X = torch.tensor(hopfield.digit_patterns()[0], dtype=torch.float32)
    for rule in ("hebbian", "storkey", "pseudo-inverse"):
        for p in (1, 3, 10, 20):
            hop = Hopfield(64, rule=rule).store(X[:p])
            assert cap["fixed"][rule][p - 1] == int(hop.is_fixed_point(X[:p]).sum()), (rule, p)
    assert cap["fixed"]["pseudo-inverse"] == list(range(1, 21))  # every independent digit
    heb = cap["fixed"]["hebbian"]
    assert heb[:2] == [1, 2] and heb[2] < 3 and max(heb[3:]) == 0  # Hebb collapses from P = 3


def test_corrupt_flips_the_asked_number_of_bits(client):
    stored = stored_of(client)
    for noise, flips in ((0.0, 0), (0.15, 10), (0.5, 32)):
        probe = probe_of(client, index=1, noise=noise, seed=3)
        assert sum(a != b for a, b in zip(probe, stored[1])) == flips
    assert probe_of(client, seed=4) == probe_of(client, seed=4)  # seeded


# --- letters and drawn patterns ------------------------------------------------------------------

def test_the_letters_are_ten_distinct_capitals():
    X, names = hopfield.letter_patterns()
    assert names == list("ACEJSTVXYZ") and all(len(p) == 64 for p in X)
    T = X[names.index("T")]
    assert T[:8] == [0, 1, 1, 1, 1, 1, 1, 0] and all(T[8 * r + 3] and T[8 * r + 4] for r in range(7))
    distances = [sum(a != b for a, b in zip(p, q)) for i, p in enumerate(X) for q in X[i + 1:]]
    assert min(distances) >= 11  # far apart, as the module's comment says


@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudo-inverse"])
def test_letters_and_drawings_are_stored_by_each_rule(client, rule):
    letters = ok(client.post("/api/hopfield/store", json={"source": "letters", "rule": rule,
                                                          "n_patterns": 10}))
    X, names = hopfield.letter_patterns()
    assert letters["patterns"] == X and letters["labels"] == names
    assert letters["source"] == "letters" and letters["sizes"]["letters"] == 10
    drawn = ok(client.post("/api/hopfield/store", json={"patterns": DRAWN, "rule": rule}))
    assert drawn["patterns"] == DRAWN and drawn["labels"] is None and drawn["source"] == "drawn"
    for data in (letters, drawn):
        P = torch.tensor(data["patterns"], dtype=torch.float32)
        expected = Hopfield(64, rule=rule).store(P).is_fixed_point(P).tolist()
        assert data["fixed_points"] == expected and data["n_fixed"] == sum(expected)
        if rule == "pseudo-inverse":  # the projection keeps every independent pattern
            assert all(expected)
    if rule == "hebbian":  # ten correlated letters overwhelm Hebb, as the digits do
        assert letters["n_fixed"] < 10
    # "source": "drawn" says the same as the patterns alone; n_patterns is the source's count
    assert ok(client.post("/api/hopfield/store", json={"source": "drawn", "patterns": DRAWN,
                                                       "rule": rule, "n_patterns": 1})) == drawn


def test_capacity_of_letters_and_drawings_is_the_librarys(client):
    X = torch.tensor(hopfield.letter_patterns()[0], dtype=torch.float32)
    cap = ok(client.post("/api/hopfield/capacity", json={"source": "letters"}))
    assert ok(client.get("/api/hopfield/capacity?source=letters")) == cap
    assert cap["source"] == "letters" and cap["n_patterns"] == list(range(1, 11))
    for rule in ("hebbian", "storkey", "pseudo-inverse"):
        for p in (1, 3, 10):
            hop = Hopfield(64, rule=rule).store(X[:p])
            assert cap["fixed"][rule][p - 1] == int(hop.is_fixed_point(X[:p]).sum()), (rule, p)
    drawn = ok(client.post("/api/hopfield/capacity", json={"patterns": DRAWN}))
    assert drawn["n_patterns"] == [1, 2, 3] and drawn["fixed"]["pseudo-inverse"] == [1, 2, 3]
    D = torch.tensor(DRAWN, dtype=torch.float32)
    assert drawn["fixed"]["hebbian"][2] == int(Hopfield(64, rule="hebbian").store(D)
                                               .is_fixed_point(D).sum())
    # a pattern and its negation: no projection from P = 2 on (null), Hebb keeps one memory
    twins = ok(client.post("/api/hopfield/capacity", json={"patterns": [DRAWN[0], [
        1 - b for b in DRAWN[0]]]}))
    assert twins["fixed"]["pseudo-inverse"] == [1, None] and twins["fixed"]["hebbian"] == [1, 2]


def test_a_corrupted_drawing_is_recalled_under_the_pseudo_inverse(client):
    # by the slider: 10% noise flips round(6.4) = 6 cells of the horizontal bar
    probe = ok(client.post("/api/hopfield/corrupt", json={"patterns": DRAWN, "index": 1,
                                                          "noise": 0.1, "seed": 5}))["probe"]
    assert sum(a != b for a, b in zip(probe, DRAWN[1])) == 6
    # by hand: the three cells the browser test clicks
    clicked = list(DRAWN[1])
    for r, c in ((0, 0), (2, 6), (7, 1)):
        clicked[8 * r + c] = 1 - clicked[8 * r + c]
    D = torch.tensor(DRAWN, dtype=torch.float32)
    hop = Hopfield(64, rule="pseudo-inverse").store(D)
    for x in (probe, clicked):
        frames = frames_of(client.post("/api/hopfield/recall", json={"patterns": DRAWN,
                                                                    "probe": x, "seed": 0}))
        end = frames[-1]
        assert end["match"] == 1 and end["state"] == DRAWN[1] and end["converged"]
        assert end["state"] == hop.recall(torch.tensor(x, dtype=torch.float32),
                                          generator=0).int().tolist()
        E = [frames[0]["energy"]] + [f["energy"] for f in frames if f["kind"] == "flip"]
        assert nonincreasing(E) and E[-1] < E[0] and end["fixed_points"] == [True] * 3
    # the continuous and the modern network beside it take the same patterns
    cont = ok(client.post("/api/hopfield/continuous", json={"patterns": DRAWN, "probe": clicked}))
    net = ContinuousHopfield(64, rule="pseudo-inverse", gain=4.0, dt=0.05, max_steps=400).double()
    net.store(D.double())
    assert cont["state"] == net.recall(torch.tensor([clicked], dtype=torch.float64))[0].int().tolist()
    assert nonincreasing(cont["energies"])
    mod = ok(client.post("/api/hopfield/modern", json={"patterns": DRAWN, "probe": clicked}))
    assert len(mod["attention"]) == 3 and max(mod["attention"]) == mod["attention"][1]
    assert mod["match"] == 1


def test_an_all_ones_probe_comes_back_as_0_1(client):
    """The library reads an all-ones array as -1/+1: the server hands it -1/+1 throughout."""
    end = frames_of(client.post("/api/hopfield/recall", json={"probe": [1] * 64}))[-1]
    cont = ok(client.post("/api/hopfield/continuous", json={"probe": [1] * 64}))
    mod = ok(client.post("/api/hopfield/modern", json={"probe": [1] * 64}))
    for state in (end["state"], cont["state"], mod["state"], mod["hebbian"]["state"]):
        assert set(state) <= {0, 1}
    X = torch.tensor(stored_of(client), dtype=torch.float32)
    expected = Hopfield(64).store(X).recall(torch.ones(1, 64), generator=0)[0]  # -1/+1 back
    assert set(expected.tolist()) == {-1.0, 1.0}  # the library's reading, worked around
    assert end["state"] == ((expected + 1) / 2).int().tolist()


# --- the discrete recall, streamed --------------------------------------------------------------

@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudo-inverse"])
def test_recall_streams_flip_by_flip_and_agrees_with_the_library(client, rule):
    probe = probe_of(client)
    frames = frames_of(client.post("/api/hopfield/recall", json={
        "rule": rule, "n_patterns": 5, "probe": probe, "seed": 7}))
    start, *middle, end = frames
    assert start["kind"] == "start" and start["probe"] == probe and end["kind"] == "end"
    stored = stored_of(client, rule, 5)
    hop = Hopfield(64, rule=rule).store(torch.tensor(stored, dtype=torch.float32))
    trace = hop.recall(torch.tensor([probe], dtype=torch.float32), mode="async", generator=7,
                       return_trace=True)
    assert end["state"] == trace.states[0].int().tolist() and end["sweeps"] == trace.sweeps
    assert end["energies"] == pytest.approx(trace.energies[0].tolist())
    assert start["energy_range"] == pytest.approx([min(end["energies"]), max(end["energies"])])
    # replay the page's frames: a flip changes one unit, a sweep ends at the library's state
    state, energies, sweeps = list(probe), [start["energy"]], []
    for f in middle:
        if f["kind"] == "flip":
            assert state[f["unit"]] != f["value"] and f["flip"] == len(energies)
            state[f["unit"]] = f["value"]
            E = float(hop.energy(torch.tensor(state, dtype=torch.float32)))
            assert f["energy"] == pytest.approx(E)
            energies.append(f["energy"])
        else:
            assert f["kind"] == "sweep" and f["flips"] == len(energies) - 1
            assert state == trace.frames[f["sweep"], 0].int().tolist()
            sweeps.append(f["sweep"])
    assert sweeps == list(range(1, trace.sweeps + 1))
    assert state == end["state"] and end["flips"] == len(energies) - 1
    assert nonincreasing(energies)  # never rises
    assert end["match"] == next((k for k, p in enumerate(stored) if p == state), None)


def test_recall_checks_before_the_first_frame_and_paces_the_frames():
    with pytest.raises(BadRequest, match="probe"):  # eager: no generator to iterate first
        hopfield.recall({"probe": [0] * 63})
    with pytest.raises(BadRequest, match=r"delay_ms: expected an integer in \[0, 500\]"):
        hopfield.recall({"probe": [0] * 64, "delay_ms": 501})
    probe = hopfield.corrupt({"index": 0, "noise": 0.2, "seed": 3})["probe"]
    frames = hopfield.recall({"probe": probe, "delay_ms": 20})
    assert not isinstance(frames, dict)
    t0 = time.perf_counter()
    assert next(frames)["kind"] == "start"
    t1 = time.perf_counter()
    rest = list(frames)
    t2 = time.perf_counter()
    flips = rest[-1]["flips"]
    assert flips >= 10 and t1 - t0 < 0.02 * flips < t2 - t1  # the first frame before the pace


def test_pseudo_inverse_recalls_the_corrupted_digit_and_hebb_collapses(client):
    probe = probe_of(client, index=0, noise=0.15)
    end = frames_of(client.post("/api/hopfield/recall", json={"n_patterns": 3, "probe": probe}))[-1]
    assert end["match"] == 0 and end["converged"] and end["flips"] >= 10
    heb = frames_of(client.post("/api/hopfield/recall", json={"rule": "hebbian", "n_patterns": 10,
                                                              "probe": probe}))
    end = heb[-1]
    assert end["match"] is None and end["converged"] and end["fixed_points"] == [False] * 10
    assert nonincreasing([heb[0]["energy"]] + [f["energy"] for f in heb if f["kind"] == "flip"])


# --- beside: the continuous and the modern network ---------------------------------------------

@pytest.mark.parametrize("rule, n, gain, recalled", [("pseudo-inverse", 3, 4.0, True),
                                                     ("pseudo-inverse", 10, 8.0, True),
                                                     ("hebbian", 10, 4.0, False)])
def test_continuous_trajectory_is_the_librarys(client, rule, n, gain, recalled):
    probe = probe_of(client, index=0, noise=0.15)
    d = ok(client.post("/api/hopfield/continuous", json={"rule": rule, "n_patterns": n,
                                                         "probe": probe, "gain": gain}))
    stored = stored_of(client, rule, n)
    net = ContinuousHopfield(64, rule=rule, gain=gain, dt=0.05, max_steps=400).double()
    net.store(torch.tensor(stored, dtype=torch.float64))
    trace = net.recall(torch.tensor([probe], dtype=torch.float64), return_trace=True)
    assert d["steps"] == trace.sweeps and d["state"] == trace.states[0].int().tolist()
    assert d["energies"] == pytest.approx(trace.energies[0].tolist(), abs=1e-9)
    assert d["final"] == pytest.approx(trace.frames[-1, 0].tolist(), abs=1e-4)
    assert d["times"][-1] == pytest.approx(0.05 * trace.sweeps)
    film = d["film"]
    assert film[0]["t"] == 0 and film[-1]["t"] == pytest.approx(d["times"][-1])
    V0 = torch.tanh(gain * (2 * torch.tensor(probe, dtype=torch.float64) - 1))  # u = x
    assert film[0]["V"] == pytest.approx(V0.tolist(), abs=1e-4)
    assert nonincreasing(d["energies"]) and d["energies"][-1] < d["energies"][0]  # Lyapunov
    assert (d["match"] == 0) is recalled and d["converged"]


def test_modern_one_step_is_the_librarys_attention(client):
    probe = probe_of(client, index=0, noise=0.15)
    d = ok(client.post("/api/hopfield/modern", json={"n_patterns": 10, "probe": probe, "beta": 0.3,
                                                     "seed": 0}))
    stored = stored_of(client, n=10)
    net = ModernHopfield(64, beta=0.3).store(torch.tensor(stored, dtype=torch.float32))
    xi = 2 * torch.tensor([probe], dtype=torch.float32) - 1
    p = torch.softmax(0.3 * (xi @ net.patterns.T), dim=1)  # softmax(beta X^T xi)
    assert d["attention"] == pytest.approx(p[0].tolist(), abs=1e-6)
    assert sum(d["attention"]) == pytest.approx(1.0)
    new = net.update(xi)
    assert d["retrieved"] == pytest.approx(new[0].tolist(), abs=1e-4)
    assert d["retrieved"] == pytest.approx((p @ net.patterns)[0].tolist(), abs=1e-4)
    assert d["state"] == net.recall(torch.tensor(probe, dtype=torch.float32), max_steps=1).int().tolist()
    assert d["energies"] == pytest.approx(net.energy(torch.cat([xi, new])).tolist(), rel=1e-5)
    assert d["energies"][1] < d["energies"][0]
    heb = Hopfield(64, rule="hebbian").store(torch.tensor(stored, dtype=torch.float32))
    assert d["hebbian"]["state"] == heb.recall(torch.tensor(probe, dtype=torch.float32),
                                               generator=0).int().tolist()
    # where the Hebbian network with the same ten digits fails, one step of attention recalls
    assert d["match"] == 0 and d["state"] == stored[0]
    assert d["hebbian"]["match"] is None and d["hebbian"]["n_fixed"] == 0


def test_modern_at_small_beta_averages_the_patterns(client):
    probe = probe_of(client, index=0, noise=0.15)
    d = ok(client.post("/api/hopfield/modern", json={"n_patterns": 10, "probe": probe, "beta": 0.001}))
    assert max(d["attention"]) - min(d["attention"]) < 0.01 and d["match"] is None  # a mixture


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("path, body, status, fragments", [
    ("recall", b"{not json", 400, ("malformed JSON",)),
    ("recall", b"[1, 2]", 400, ("expected a JSON object", "list")),
    ("recall", {"n_patterns": 5000, "probe": [0] * 64}, 422, ("n_patterns", "[1, 20]", "5000")),
    ("recall", {"n_patterns": "many", "probe": [0] * 64}, 422, ("n_patterns", "'many'")),
    ("recall", {"rule": "oja", "probe": [0] * 64}, 422, ("rule", "hebbian", "'oja'")),
    ("recall", {"probe": [0] * 63}, 422, ("probe", "64", "got 63")),
    ("recall", {"probe": [2] * 64}, 422, ("probe", "0/1", "got 2")),
    ("recall", {"probe": "0101"}, 422, ("probe", "list", "str")),
    ("recall", {"probe": [0] * 64, "seed": -1}, 422, ("seed",)),
    ("recall", {"probe": [0] * 64, "delay_ms": 1000}, 422, ("delay_ms", "[0, 500]", "1000")),
    ("recall", {"probe": [0] * 64, "max_sweeps": 0}, 422, ("max_sweeps", "[1, 50]")),
    ("recall", {"probe": [0] * 64, "run": "r1"}, 404, ("no run folder was given", "--runs")),
    ("continuous", {"probe": [0] * 64, "gain": 0}, 422, ("gain", "[0.5, 50.0]", "got 0")),
    ("continuous", {"probe": [0] * 64, "gain": "high"}, 422, ("gain", "'high'")),
    ("continuous", {"n_patterns": 21, "probe": [0] * 64}, 422, ("n_patterns", "[1, 20]", "21")),
    ("continuous", {}, 422, ("probe", "list of 64", "NoneType")),
    ("modern", {"probe": [0] * 64, "beta": 0}, 422, ("beta", "[0.001, 10.0]", "got 0")),
    ("modern", {"probe": [0] * 64, "beta": 100}, 422, ("beta", "got 100")),
    ("modern", {"probe": [0] * 64, "beta": True}, 422, ("beta", "True")),
    ("modern", {"probe": [1] * 65}, 422, ("probe", "got 65")),
    ("store", {"patterns": []}, 422, ("patterns", "1 to 20 patterns of 64 values 0/1",
                                      "got 0 patterns")),
    ("store", {"patterns": [grid([(k // 8, k % 8)]) for k in range(21)]}, 422,
     ("patterns", "1 to 20", "got 21 patterns")),
    ("store", {"patterns": "0101"}, 422, ("patterns", "got str")),
    ("store", {"patterns": [DRAWN[0], [0] * 63]}, 422, ("patterns[1]", "64", "got 63 values")),
    ("store", {"patterns": [DRAWN[0], [2] * 64]}, 422, ("patterns[1]", "0/1", "got 2")),
    ("store", {"patterns": [DRAWN[0], [True] * 64]}, 422, ("patterns[1]", "0/1", "True")),
    ("store", {"patterns": [[0] * 64]}, 422, ("patterns[0]", "at least one inked cell",
                                              "all 64 cells 0")),
    ("store", {"patterns": [*DRAWN, DRAWN[1]]}, 422, ("patterns[3]", "distinct",
                                                      "a copy of patterns[1]")),
    ("store", {"patterns": [DRAWN[0], [1 - b for b in DRAWN[0]]]}, 422,
     ("linearly independent", "rank 1")),
    ("store", {"source": "letters", "patterns": DRAWN}, 422, ("patterns", "only with source "
                                                              "'drawn'", "'letters'")),
    ("store", {"source": "words"}, 422, ("source", "digits, letters, drawn", "'words'")),
    ("store", {"source": "drawn"}, 422, ("patterns", "got NoneType")),
    ("store", {"source": "letters", "n_patterns": 11}, 422, ("n_patterns", "[1, 10]", "11")),
    ("recall", {"patterns": [[0] * 64], "probe": [0] * 64}, 422, ("patterns[0]", "all 64")),
    ("continuous", {"patterns": [[1] * 65], "probe": [0] * 64}, 422, ("patterns[0]", "65")),
    ("modern", {"patterns": [DRAWN[0], DRAWN[0]], "probe": [0] * 64}, 422,
     ("patterns[1]", "copy of patterns[0]")),
    ("capacity", {"patterns": [[0] * 64]}, 422, ("patterns[0]", "all 64 cells 0")),
    ("capacity", {"source": "runs"}, 422, ("source", "'runs'")),
    ("corrupt", {"source": "letters", "index": 10}, 422, ("index", "[0, 9]", "10")),
    ("corrupt", {"patterns": DRAWN, "index": 3}, 422, ("index", "[0, 2]", "3")),
])
def test_bad_requests_are_refused(client, path, body, status, fragments):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    refused(client.post(f"/api/hopfield/{path}", content=raw), status, *fragments)
    assert client.post("/api/hopfield/store", json={}).status_code == 200  # still serving


def test_huge_body_and_bad_corruption_are_refused(client):
    refused(client.post("/api/hopfield/corrupt", content=b" " * (2 << 20)), 413, "too large")
    refused(client.post("/api/hopfield/corrupt", json={"noise": 1.5}), 422, "noise", "1.5")
    refused(client.post("/api/hopfield/corrupt", json={"index": 20}), 422, "index", "[0, 19]")
    refused(client.post("/api/hopfield/store", json={"n_patterns": 500}), 422, "n_patterns", "500")
    assert client.get("/api/hopfield/recall").status_code == 405  # POST only


# --- run folders -----------------------------------------------------------------------------


def test_a_stored_run_is_recalled_and_bad_runs_are_refused(runs_dir, make_client):
    c = make_client(runs_dir)
    stored = ok(c.post("/api/hopfield/store", json={"run": "hop"}))
    assert len(stored["patterns"]) == 3 and stored["fixed_points"] == [True] * 3
    probe = stored["patterns"][2][:]
    probe[:6] = [1 - b for b in probe[:6]]
    assert frames_of(c.post("/api/hopfield/recall", json={"run": "hop", "probe": probe}))[-1]["match"] == 2
    assert ok(c.post("/api/hopfield/continuous", json={"run": "hop", "probe": probe}))["match"] == 2
    assert ok(c.post("/api/hopfield/modern", json={"run": "hop", "probe": probe}))["match"] == 2
    refused(c.post("/api/hopfield/recall", json={"run": "gone", "probe": probe}), 404, "'gone'", "no run folder")
    refused(c.post("/api/hopfield/recall", json={"run": "..", "probe": probe}), 400, "expected the name")
    refused(c.post("/api/hopfield/store", json={"run": "broken"}), 422, "'broken'", "could not be loaded")
    refused(c.post("/api/hopfield/modern", json={"run": "gone", "probe": probe}), 404, "'gone'")
    refused(c.post("/api/hopfield/store", json={"run": "hop", "patterns": DRAWN}), 422,
            "run 'hop'", "expected no 'patterns' or 'source'", "got patterns")
