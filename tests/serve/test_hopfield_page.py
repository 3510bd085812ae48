"""The Hopfield page's API through Starlette's TestClient: the stored digits, the corrupted
probe, the recall streamed flip by flip (NDJSON), the continuous and the modern network beside
it, each checked against the library's models called directly (the oracle), and every bad
request answered with a 4xx and one clear message while the server keeps answering."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch

from neuralzoo.models.hopfield import ContinuousHopfield, Hopfield, ModernHopfield
from neuralzoo.serve import hopfield
from neuralzoo.serve._params import BadRequest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx


def refused(r, status: int, *fragments: str) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    msg = r.json()["error"]
    assert "\n" not in msg and "Traceback" not in msg
    for f in fragments:
        assert f in msg, (f, msg)
    return msg


def ok(r) -> dict:
    assert r.status_code == 200, r.text
    return r.json()


def probe_of(client, index=0, noise=0.15, seed=1) -> list[int]:
    return ok(client.post("/api/hopfield/corrupt", json={"index": index, "noise": noise,
                                                         "seed": seed}))["probe"]


def frames_of(r) -> list[dict]:
    """The NDJSON frames of a streamed answer, in order."""
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in r.text.splitlines() if line.strip()]


def stored_of(client, rule="pseudo-inverse", n=3) -> list[list[int]]:
    return ok(client.post("/api/hopfield/store", json={"rule": rule, "n_patterns": n}))["patterns"]


def nonincreasing(E: list[float]) -> bool:
    return all(b <= a for a, b in zip(E, E[1:]))


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

@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    """A folder with a stored Hopfield run (3 digits) and a damaged run."""
    from neuralzoo import datasets

    root = tmp_path_factory.mktemp("runs")
    X, y = datasets.load("digits", binarize="threshold")
    keep = y < 3
    Hopfield(64, rule="pseudo-inverse").fit(X[keep], y[keep], out=root / "hop", progress=False)
    (root / "broken").mkdir()
    (root / "broken" / "config.json").write_text("{not json")
    return root


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
