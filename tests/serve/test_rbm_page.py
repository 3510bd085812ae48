"""The RBM/DBN page's API through Starlette's TestClient, checked against the library's models
(the lecture's conditionals by hand, the Gibbs chain's draws from one seed, DBN.sample); the
shipped checkpoints against untrained models and a simple classifier; RBMs from run folders.
The page itself in a browser: tests/serve/browser/test_rbm.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from neuralzoo import datasets
from neuralzoo.serve import _shipped
from neuralzoo.serve.rbm import N_HIDDEN, dbn_model, generate, rbm_model

from .answers import frames as frames_of
from .answers import ok, refused

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx


@pytest.fixture(scope="module")
def digits(client) -> dict:
    r = client.get("/api/rbm/digits")
    assert r.status_code == 200, r.text
    return r.json()


def test_examples_are_one_binary_test_digit_per_class(digits):
    assert digits["labels"] == list(range(10)) and digits["side"] == 8
    assert all(len(d) == 64 and set(d) <= {0, 1} and sum(d) > 5 for d in digits["digits"])


def test_inference_is_the_models_mean_field_reconstruction(client, digits):
    rbm = rbm_model()
    for v in digits["digits"][:3]:
        d = ok(client.post("/api/rbm/infer", json={"v": v}))
        assert len(d["p_h"]) == N_HIDDEN and len(d["recon"]) == 64
        x = torch.tensor([v], dtype=torch.float32)
        with torch.no_grad():
            p_h = torch.sigmoid(rbm.a + x @ rbm.W)  # the oracle: the lecture's conditionals by hand
            recon = torch.sigmoid(rbm.b + p_h @ rbm.W.T)
            F = -(rbm.b @ x[0]) - torch.nn.functional.softplus(rbm.a + x[0] @ rbm.W).sum()
        assert d["p_h"] == pytest.approx(p_h[0].tolist(), abs=1e-4)
        assert d["recon"] == pytest.approx(recon[0].tolist(), abs=1e-4)
        assert d["recon"] == pytest.approx(rbm.reconstruct(x)[0].tolist(), abs=1e-4)
        assert d["free_energy"] == pytest.approx(float(F), abs=1e-3)
        assert d["source"].startswith("shipped rbm-digits")


def test_the_gibbs_chain_streams_one_frame_per_step_and_is_the_libraries_chain(client, digits):
    v = digits["digits"][4]
    frames = frames_of(client.post("/api/rbm/gibbs", json={"v": v, "steps": 25, "seed": 7}))
    assert [f["t"] for f in frames] == list(range(26))
    assert frames[0]["v"] == v and frames[0]["steps"] == 25 and frames[0]["n_hidden"] == N_HIDDEN
    assert all(len(f["v"]) == 64 and set(f["v"]) <= {0, 1} for f in frames)
    assert all(len(f["h"]) == N_HIDDEN and set(f["h"]) <= {0, 1} for f in frames[1:])
    assert any(f["v"] != v for f in frames[1:])  # the chain moves
    rbm, g = rbm_model(), torch.Generator().manual_seed(7)  # oracle: the library's chain, same seed
    x = torch.tensor([v], dtype=torch.float32)
    for f in frames[1:]:
        x_next = rbm.gibbs_step(x, 1, g)
        with torch.no_grad():  # p(v_t | h_{t-1}) of the frame's h, and v_t drawn from it
            p_v = rbm.p_v_given_h(torch.tensor([f["h"]], dtype=torch.float32))
        assert f["v"] == x_next[0].int().tolist()
        assert f["p_v"] == pytest.approx(p_v[0].tolist(), abs=1e-3)
        x = x_next
    last = rbm.gibbs_step(torch.tensor([v], dtype=torch.float32), 25,
                          torch.Generator().manual_seed(7))
    assert frames[-1]["v"] == last[0].int().tolist()  # gibbs_step(v, 25) in one call
    again = frames_of(client.post("/api/rbm/gibbs", json={"v": v, "steps": 25, "seed": 7}))
    assert again == frames  # one seed, one chain


def test_filters_are_the_weight_columns(client):
    d = ok(client.get("/api/rbm/filters"))
    W = rbm_model().W.detach()
    assert len(d["filters"]) == N_HIDDEN and all(len(f) == 64 for f in d["filters"])
    assert d["filters"][5] == pytest.approx(W[:, 5].tolist(), abs=1e-4)
    assert d["hidden_bias"] == pytest.approx(rbm_model().a.tolist(), abs=1e-4)
    assert d["max_abs"] == pytest.approx(float(W.abs().max()), abs=1e-4)


def test_the_dbn_generates_binary_digits_of_the_asked_class(client):
    d = ok(client.post("/api/dbn/generate", json={"label": 5, "n": 8, "steps": 300, "seed": 3}))
    assert len(d["images"]) == 8 and all(len(x) == 64 and set(x) <= {0, 1} for x in d["images"])
    probs = dbn_model().sample(8, steps=300, labels=torch.full((8,), 5),
                               generator=torch.Generator().manual_seed(3))  # the oracle
    assert torch.tensor(d["probs"]) == pytest.approx(probs, abs=1e-3)
    assert d["predicted"] == dbn_model().predict(torch.tensor(d["probs"])).tolist()


# --- the shipped checkpoints -------------------------------------------------------------------

def test_the_shipped_models_are_the_files_and_small():
    for name, model in (("rbm-digits", rbm_model()), ("dbn-digits", dbn_model())):
        assert _shipped.path(name).stat().st_size < 250_000
        state, meta = _shipped.load(name)
        assert meta["seed"] == "0" and meta["data"].startswith("digits train")
        mine = model.state_dict()
        assert set(mine) == set(state) and all(torch.equal(mine[k], state[k]) for k in state)


def test_the_shipped_rbm_reconstructs_test_digits_far_better_than_an_untrained_one():
    from neuralzoo.models import RBM

    X, _ = datasets.load("digits", split="train", binarize="threshold")
    X_test, _ = datasets.load("digits", split="test", binarize="threshold")
    untrained = RBM(64, N_HIDDEN).eval()  # W ~ N(0, 0.01^2), b = 0: p(v|h) ~ 0.5
    untrained._fitted = True
    p = X.mean(0).clamp(1e-3, 1 - 1e-3)
    independent = RBM(64, N_HIDDEN).eval()  # the same with b = logit of the pixel means
    independent._fitted = True
    with torch.no_grad():
        independent.b.copy_(torch.log(p / (1 - p)))
    err = rbm_model().reconstruction_error(X_test)  # measured: 0.058
    assert untrained.reconstruction_error(X_test) > 0.24  # measured: 0.249
    assert independent.reconstruction_error(X_test) > 0.12  # measured: 0.130
    assert err < 0.08 and err < 0.35 * untrained.reconstruction_error(X_test)
    pixels = ((rbm_model().reconstruct(X_test) > 0.5).float() != X_test).float().mean()
    assert pixels < 0.1  # measured: 0.078 of the pixels on the wrong side of 0.5


def test_the_shipped_dbns_digits_of_a_class_are_read_as_that_class():
    X, y = datasets.load("digits", split="train", binarize="threshold")
    means = torch.stack([X[y == c].mean(0) for c in range(10)])  # (10, 64) class means

    def nearest_mean(Z: torch.Tensor) -> torch.Tensor:  # 87% on the test split
        return torch.cdist(Z, means).argmin(1)

    hits = []
    for c in range(10):
        d = generate({"label": c, "n": 16, "steps": 1000, "seed": 0})
        hits += (nearest_mean(torch.tensor(d["probs"])) == c).tolist()
    assert sum(hits) / len(hits) > 0.65  # measured: 0.76 (chance: 0.1)


# --- refusals ---------------------------------------------------------------------------------


V0 = [0] * 64


@pytest.mark.parametrize("path, body, status, fragments", [
    ("/api/rbm/infer", b"{oops", 400, ("malformed JSON",)),
    ("/api/rbm/infer", b"[1, 0]", 400, ("expected a JSON object", "list")),
    ("/api/rbm/infer", {}, 422, ("v: expected a list of 64 values 0/1", "NoneType")),
    ("/api/rbm/infer", {"v": [1] * 63}, 422, ("64 values", "got 63 values")),
    ("/api/rbm/infer", {"v": [0.5] * 64}, 422, ("v: expected values 0/1", "0.5")),
    ("/api/rbm/gibbs", {"v": V0, "steps": 5000}, 422, ("steps", "[1, 200]", "5000")),
    ("/api/rbm/gibbs", {"v": V0, "steps": None}, 422, ("steps", "None")),
    ("/api/rbm/gibbs", {"v": V0, "seed": -1}, 422, ("seed", "got -1")),
    ("/api/rbm/gibbs", {"v": V0, "delay_ms": 1000}, 422, ("delay_ms", "[0, 250]")),
    ("/api/rbm/gibbs", {"v": [2] * 64}, 422, ("v: expected values 0/1", "2")),
    ("/api/rbm/gibbs", {"v": V0, "run": "mine"}, 404, ("'mine'", "--runs")),
    ("/api/dbn/generate", {"label": 10}, 422, ("label", "[0, 9]", "10")),
    ("/api/dbn/generate", {"n": 100}, 422, ("n: expected an integer in [1, 16]", "100")),
    ("/api/dbn/generate", {"steps": 10**6}, 422, ("steps", "[1, 2000]")),
    ("/api/dbn/generate", {"label": "seven"}, 422, ("label", "'seven'")),
])
def test_bad_requests_are_refused(client, path, body, status, fragments):
    r = (client.post(path, content=body) if isinstance(body, bytes)
         else client.post(path, json=body))
    refused(r, status, *fragments)  # a stream is refused before its first frame: a plain 4xx


# --- RBMs from run folders --------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    """Run folders written by the library: an RBM of the digits (16 hidden units), an RBM of
    32 visible units, a Gaussian RBM of the digits and a Hopfield network."""
    from neuralzoo.models import RBM
    from neuralzoo.models.hopfield import Hopfield
    from neuralzoo.models.rbm.gaussian import GaussianRBM

    root = tmp_path_factory.mktemp("runs")
    X, y = datasets.load("digits", binarize="threshold")
    RBM(64, 16).fit(X, epochs=1, seed=0, out=root / "rbm16", progress=False)
    RBM(32, 8).fit(X[:, :32], epochs=1, seed=0, out=root / "half", progress=False)
    GaussianRBM(64, 8).fit(X, epochs=1, seed=0, out=root / "gauss", progress=False)
    Hopfield(64).fit(X[:3], y[:3], out=root / "hop", progress=False)
    return root


def test_an_rbm_run_of_the_digits_serves_the_page(runs_dir, make_client, digits):
    from neuralzoo.runs import load_run

    c = make_client(runs_dir)
    rbm = load_run(runs_dir / "rbm16")  # the oracle: the run's model, loaded by the library
    v = digits["digits"][7]
    d = ok(c.post("/api/rbm/infer", json={"v": v, "run": "rbm16"}))
    x = torch.tensor([v], dtype=torch.float32)
    assert d["p_h"] == pytest.approx(rbm.transform(x)[0].tolist(), abs=1e-4)
    assert d["recon"] == pytest.approx(rbm.reconstruct(x)[0].tolist(), abs=1e-4)
    assert d["source"].startswith("run rbm16")
    f = ok(c.get("/api/rbm/filters", params={"run": "rbm16"}))
    assert f["n_hidden"] == 16 and f["filters"][3] == pytest.approx(rbm.W[:, 3].tolist(), abs=1e-4)
    frames = frames_of(c.post("/api/rbm/gibbs", json={"v": v, "steps": 5, "seed": 2,
                                                      "run": "rbm16"}))
    last = rbm.gibbs_step(x, 5, torch.Generator().manual_seed(2))
    assert frames[-1]["v"] == last[0].int().tolist() and len(frames[1]["h"]) == 16
    shipped = ok(c.post("/api/rbm/infer", json={"v": v}))  # no run named: the shipped RBM
    assert len(shipped["p_h"]) == N_HIDDEN


@pytest.mark.parametrize("run, status, fragments", [
    ("half", 422, ("'half'", "64 visible units", "got 32 visible units")),
    ("gauss", 422, ("'gauss'", "expected an rbm run", "GaussianRBM")),
    ("hop", 422, ("'hop'", "expected an rbm run", "Hopfield")),
    ("gone", 404, ("'gone'", "no run folder")),
    ("../x", 400, ("expected the name of a folder",)),
])
def test_runs_of_the_wrong_kind_or_size_are_refused(runs_dir, make_client, run, status,
                                                     fragments):
    c = make_client(runs_dir)
    refused(c.post("/api/rbm/infer", json={"v": V0, "run": run}), status, *fragments)
    refused(c.post("/api/rbm/gibbs", json={"v": V0, "run": run}), status, *fragments)
    refused(c.get("/api/rbm/filters", params={"run": run}), status, *fragments)
