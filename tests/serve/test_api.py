"""The playground's JSON API through Starlette's TestClient: what each page is given, checked
against the library's models (the oracle), and every bad request answered with a 4xx and one
clear message while the server keeps answering."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from neuralzoo import cli  # noqa: E402
from neuralzoo.models.cnn import ops  # noqa: E402
from neuralzoo.models.hopfield import Hopfield  # noqa: E402
from neuralzoo.serve.app import STATIC  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx



def refused(r, status: int, *fragments: str) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    msg = r.json()["error"]
    assert "\n" not in msg and "Traceback" not in msg
    for f in fragments:
        assert f in msg, (f, msg)
    return msg


def probe_of(client, index=0, noise=0.15, seed=1) -> list[int]:
    r = client.post("/api/hopfield/corrupt", json={"index": index, "noise": noise, "seed": seed})
    assert r.status_code == 200, r.text
    return r.json()["probe"]


# --- pages -----------------------------------------------------------------------------------

def test_pages_and_static_files_are_served(client):
    index = client.get("/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert 'href="/hopfield"' in index.text and 'href="/cnn"' in index.text
    for page in ("/hopfield", "/cnn"):
        r = client.get(page)
        assert r.status_code == 200 and ("<canvas" in r.text or "<table" in r.text)
        for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text):
            assert client.get(src).status_code == 200, src
    refused(client.get("/nosuchpage"), 404, "no page 'nosuchpage'")


def test_static_files_load_nothing_from_another_host():
    for f in STATIC.iterdir():
        # an SVG's namespace name is an identifier, never fetched
        text = f.read_text(encoding="utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")
        # a URL with a scheme or a protocol-relative one would leave the machine
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), f.name
        assert "@import" not in text and "url(" not in text, f.name


# --- Hopfield --------------------------------------------------------------------------------

def test_store_gives_the_digits_and_their_fixed_points(client):
    r = client.post("/api/hopfield/store", json={"rule": "pseudo-inverse", "n_patterns": 3})
    data = r.json()
    assert data["labels"] == [0, 1, 2] and data["side"] == 8
    assert len(data["patterns"]) == 3 and all(len(p) == 64 for p in data["patterns"])
    assert data["fixed_points"] == [True, True, True]  # the projection fixes every stored digit
    heb = client.post("/api/hopfield/store", json={"rule": "hebbian", "n_patterns": 10}).json()
    oracle = Hopfield(64, rule="hebbian").store(torch.tensor(heb["patterns"], dtype=torch.float32))
    expected = oracle.is_fixed_point(torch.tensor(heb["patterns"], dtype=torch.float32)).tolist()
    assert heb["fixed_points"] == expected and not all(expected)  # Hebb on correlated digits


def test_corrupt_flips_the_asked_number_of_bits(client):
    stored = client.post("/api/hopfield/store", json={"n_patterns": 3}).json()["patterns"]
    for noise, flips in ((0.0, 0), (0.15, 10), (0.5, 32)):
        probe = probe_of(client, index=1, noise=noise, seed=3)
        assert sum(a != b for a, b in zip(probe, stored[1])) == flips
    assert probe_of(client, seed=4) == probe_of(client, seed=4)  # seeded


@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudo-inverse"])
def test_recall_flip_by_flip_agrees_with_the_library(client, rule):
    probe = probe_of(client)
    r = client.post("/api/hopfield/recall", json={"rule": rule, "n_patterns": 5, "probe": probe,
                                                   "seed": 7})
    data = r.json()
    stored = torch.tensor(data["stored"], dtype=torch.float32)
    hop = Hopfield(64, rule=rule).store(stored)
    x = torch.tensor([probe], dtype=torch.float32)
    trace = hop.recall(x, mode="async", generator=7, return_trace=True)
    assert data["state"] == trace.states[0].int().tolist()
    assert data["energies"] == pytest.approx(trace.energies[0].tolist())
    # replay the page's frames: each flip changes one unit, and its energy is E of that state
    state = list(probe)
    energies = [data["start_energy"]]
    for st in data["steps"]:
        assert state[st["unit"]] != st["value"]
        state[st["unit"]] = st["value"]
        assert st["energy"] == pytest.approx(float(hop.energy(torch.tensor(state, dtype=torch.float32))))
        energies.append(st["energy"])
    assert state == data["state"]
    assert all(b <= a + 1e-9 for a, b in zip(energies, energies[1:]))  # never rises
    assert data["match"] == next((k for k, p in enumerate(data["stored"]) if p == state), None)


def test_pseudo_inverse_recalls_the_corrupted_digit(client):
    probe = probe_of(client, index=0, noise=0.15)
    data = client.post("/api/hopfield/recall", json={"n_patterns": 3, "probe": probe}).json()
    assert data["match"] == 0 and data["converged"] and len(data["steps"]) >= 10


# --- CNN -------------------------------------------------------------------------------------

def test_cnn_lecture_example_numbers(client):
    data = client.get("/api/cnn/lecture").json()
    out = torch.tensor(data["output"])
    expected = F.conv2d(ops.LECTURE_IMAGE[None, None], ops.LECTURE_KERNEL[None, None])[0, 0]
    assert torch.equal(out, expected)  # PyTorch's kernel is the oracle
    assert data["output"][0][:3] == [0, 8, 8] and data["output"][6][6] == 6
    sob = client.get("/api/cnn/lecture?kernel=sobel_x").json()
    K = ops.CLASSICAL_FILTERS["sobel_x"]
    assert torch.equal(torch.tensor(sob["output"]), F.conv2d(ops.LECTURE_IMAGE[None, None], K[None, None])[0, 0])
    refused(client.get("/api/cnn/lecture?kernel=gabor"), 422, "expected one of", "'gabor'")


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("body, status, fragments", [
    (b"{not json", 400, ("malformed JSON",)),
    (b"[1, 2]", 400, ("expected a JSON object", "list")),
    (json.dumps({"n_patterns": 5000, "probe": [0] * 64}).encode(), 422, ("n_patterns", "[1, 20]", "5000")),
    (json.dumps({"n_patterns": "many", "probe": [0] * 64}).encode(), 422, ("n_patterns", "'many'")),
    (json.dumps({"rule": "oja", "probe": [0] * 64}).encode(), 422, ("rule", "hebbian", "'oja'")),
    (json.dumps({"probe": [0] * 63}).encode(), 422, ("probe", "64", "got 63")),
    (json.dumps({"probe": [2] * 64}).encode(), 422, ("probe", "0/1", "got 2")),
    (json.dumps({"probe": "0101"}).encode(), 422, ("probe", "list", "str")),
    (json.dumps({"probe": [0] * 64, "seed": -1}).encode(), 422, ("seed",)),
    (json.dumps({"probe": [0] * 64, "run": "r1"}).encode(), 404, ("no run folder was given", "--runs")),
])
def test_bad_recall_requests_are_refused(client, body, status, fragments):
    refused(client.post("/api/hopfield/recall", content=body), status, *fragments)
    assert client.post("/api/hopfield/store", json={}).status_code == 200  # still serving


def test_huge_body_and_bad_corruption_are_refused(client):
    refused(client.post("/api/hopfield/corrupt", content=b" " * (2 << 20)), 413, "too large")
    refused(client.post("/api/hopfield/corrupt", json={"noise": 1.5}), 422, "noise", "1.5")
    refused(client.post("/api/hopfield/corrupt", json={"index": 20}), 422, "index", "[0, 19]")
    assert client.get("/api/hopfield/recall").status_code == 405  # POST only


# --- run folders -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    """A folder with a stored Hopfield run (3 digits), a damaged run and a non-run folder."""
    from neuralzoo import datasets

    root = tmp_path_factory.mktemp("runs")
    X, y = datasets.load("digits", binarize="threshold")
    keep = y < 3
    Hopfield(64, rule="pseudo-inverse").fit(X[keep], y[keep], out=root / "hop", progress=False)
    (root / "broken").mkdir()
    (root / "broken" / "config.json").write_text("{not json")
    (root / "notes").mkdir()
    return root


def test_runs_are_listed_loaded_and_refused_clearly(runs_dir, make_client):
    c = make_client(runs_dir)
    assert c.get("/api/runs").json()["runs"] == [{"name": "broken", "model": None},
                                                 {"name": "hop", "model": "hopfield"}]
    stored = c.post("/api/hopfield/store", json={"run": "hop"}).json()
    assert len(stored["patterns"]) == 3 and stored["fixed_points"] == [True] * 3
    probe = stored["patterns"][2][:]
    probe[:6] = [1 - b for b in probe[:6]]
    data = c.post("/api/hopfield/recall", json={"run": "hop", "probe": probe}).json()
    assert data["match"] == 2
    refused(c.post("/api/hopfield/recall", json={"run": "gone", "probe": probe}), 404, "'gone'", "no run folder")
    refused(c.post("/api/hopfield/recall", json={"run": "..", "probe": probe}), 400, "expected the name")
    refused(c.post("/api/hopfield/store", json={"run": "broken"}), 422, "'broken'", "could not be loaded")
    refused(c.get("/api/runs/notes"), 404, "'notes'")
    assert c.get("/api/runs/hop").json() == {"name": "hop", "model": "hopfield"}


# --- command line ----------------------------------------------------------------------------

def test_serve_refuses_a_missing_runs_folder_and_a_taken_port(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["serve", "--runs", str(tmp_path / "nope")])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and err.startswith("error: --runs") and "\n" not in err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(SystemExit) as exc:
            cli.main(["serve", "--port", str(port)])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and f"cannot listen on 127.0.0.1:{port}" in err and "\n" not in err
