"""The RBM/DBN page: its API through Starlette's TestClient, checked against the library's
cached models (mean-field reconstruction, the Gibbs chain's draws from one seed, DBN.sample),
and the page itself in headless Chromium."""

from __future__ import annotations

import pytest
import torch

from neuralzoo.serve.rbm import N_HIDDEN, dbn_model, rbm_model  # noqa: E402

from .test_browser import CHROMIUM, selftest, server  # noqa: E402, F401 (server: a fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx



@pytest.fixture(scope="module")
def digits(client) -> dict:
    r = client.get("/api/rbm/digits")
    assert r.status_code == 200, r.text
    return r.json()


def ok(r) -> dict:
    assert r.status_code == 200, r.text
    return r.json()


def test_examples_are_one_binary_test_digit_per_class(digits):
    assert digits["labels"] == list(range(10)) and digits["side"] == 8
    assert all(len(d) == 64 and set(d) <= {0, 1} and sum(d) > 5 for d in digits["digits"])


def test_inference_is_the_models_mean_field_reconstruction(client, digits):
    rbm = rbm_model()
    V = torch.tensor(digits["digits"], dtype=torch.float32)  # (10, 64)
    for v in digits["digits"][:3]:
        d = ok(client.post("/api/rbm/infer", json={"v": v}))
        assert len(d["p_h"]) == N_HIDDEN and len(d["recon"]) == 64
        x = torch.tensor([v], dtype=torch.float32)
        p_h = torch.sigmoid(rbm.a + x @ rbm.W)  # the oracle: the lecture's conditionals by hand
        recon = torch.sigmoid(rbm.b + p_h @ rbm.W.T)
        assert d["p_h"] == pytest.approx(p_h[0].tolist(), abs=1e-4)
        assert d["recon"] == pytest.approx(recon[0].tolist(), abs=1e-4)
        assert d["recon"] == pytest.approx(rbm.reconstruct(x)[0].tolist(), abs=1e-4)
        with torch.no_grad():
            F = float(rbm.free_energy(x)[0])
        assert d["free_energy"] == pytest.approx(F, abs=1e-3)
    # the trained RBM reconstructs unseen digits well: most pixels on the right side of 0.5
    err = ((rbm.reconstruct(V) > 0.5).float() != V).float().mean()
    assert err < 0.1


def test_the_gibbs_chain_starts_at_the_input_and_is_the_libraries_chain(client, digits):
    v = digits["digits"][4]
    d = ok(client.post("/api/rbm/gibbs", json={"v": v, "steps": 25, "seed": 7}))
    frames = d["frames"]
    assert len(frames) == 26 and len(d["means"]) == 25 and frames[0] == v
    assert all(len(f) == 64 and set(f) <= {0, 1} for f in frames)
    assert any(f != v for f in frames[1:])  # the chain moves
    g = torch.Generator().manual_seed(7)  # oracle: the library's gibbs_step, same seed
    last = rbm_model().gibbs_step(torch.tensor([v], dtype=torch.float32), 25, g)
    assert frames[-1] == last[0].int().tolist()
    again = ok(client.post("/api/rbm/gibbs", json={"v": v, "steps": 25, "seed": 7}))
    assert again["frames"] == frames  # one seed, one chain


def test_filters_are_the_weight_columns(client):
    d = ok(client.get("/api/rbm/filters"))
    W = rbm_model().W.detach()
    assert len(d["filters"]) == N_HIDDEN and all(len(f) == 64 for f in d["filters"])
    assert d["filters"][5] == pytest.approx(W[:, 5].tolist(), abs=1e-4)
    assert d["max_abs"] == pytest.approx(float(W.abs().max()), abs=1e-4)


def test_the_dbn_generates_binary_digits_of_the_asked_class(client):
    d = ok(client.post("/api/dbn/generate", json={"label": 5, "n": 8, "steps": 300, "seed": 3}))
    assert len(d["images"]) == 8 and all(len(x) == 64 and set(x) <= {0, 1} for x in d["images"])
    probs = dbn_model().sample(8, steps=300, labels=torch.full((8,), 5),
                               generator=torch.Generator().manual_seed(3))  # the oracle
    assert torch.tensor(d["probs"]) == pytest.approx(probs, abs=1e-3)
    assert d["predicted"] == dbn_model().predict(torch.tensor(d["probs"])).tolist()
    assert sum(c == 5 for c in d["predicted"]) >= 5  # clamped to 5, mostly read back as 5


def refused(r, status: int, *fragments: str) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    msg = r.json()["error"]
    assert "\n" not in msg and "Traceback" not in msg
    for f in fragments:
        assert f in msg, (f, msg)


V0 = [0] * 64


@pytest.mark.parametrize("path, body, status, fragments", [
    ("/api/rbm/infer", b"{oops", 400, ("malformed JSON",)),
    ("/api/rbm/infer", b"[1, 0]", 400, ("expected a JSON object", "list")),
    ("/api/rbm/infer", {}, 422, ("v: expected a list of 64 values 0/1", "NoneType")),
    ("/api/rbm/infer", {"v": [1] * 63}, 422, ("64 values", "got 63 values")),
    ("/api/rbm/infer", {"v": [0.5] * 64}, 422, ("v: expected values 0/1", "0.5")),
    ("/api/rbm/gibbs", {"v": V0, "steps": 5000}, 422, ("steps", "[1, 200]", "5000")),
    ("/api/rbm/gibbs", {"v": V0, "seed": -1}, 422, ("seed", "got -1")),
    ("/api/dbn/generate", {"label": 10}, 422, ("label", "[0, 9]", "10")),
    ("/api/dbn/generate", {"n": 100}, 422, ("n: expected an integer in [1, 16]", "100")),
    ("/api/dbn/generate", {"steps": 10**6}, 422, ("steps", "[1, 2000]")),
    ("/api/dbn/generate", {"label": "seven"}, 422, ("label", "'seven'")),
])
def test_bad_requests_are_refused(client, path, body, status, fragments):
    r = (client.post(path, content=body) if isinstance(body, bytes)
         else client.post(path, json=body))
    refused(r, status, *fragments)


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not found: install it (Debian: "
                    "apt-get install chromium) to run the playground's browser tests")
def test_rbm_page_draws_infers_runs_a_chain_and_generates(server):  # noqa: F811
    r = selftest(server + "/rbm")
    assert r["example_shown"]  # clicking the test digit 7 put it on the canvas
    drawn = r["drawn"]  # the dragged strokes: row 1, cols 1..6, then a diagonal down
    assert [k for k in range(64) if drawn[k]] == [9, 10, 11, 12, 13, 14, 22, 29, 36, 43, 51]
    x = torch.tensor([drawn], dtype=torch.float32)
    rbm = rbm_model()  # the same seed in another process: the same model
    assert r["p_h"] == pytest.approx(rbm.transform(x)[0].tolist(), abs=1e-3)
    assert r["recon"] == pytest.approx(rbm.reconstruct(x)[0].tolist(), abs=1e-3)
    assert r["n_hidden"] == N_HIDDEN and r["frames_shown"] == 11 and r["film"] == 11
    assert r["first_frame_is_input"] and r["frames_binary"]
    assert r["status"].startswith("frame v10 of 10")
    assert r["filters_shape"] == [N_HIDDEN, 64]
    assert r["dbn_label"] == 0 and r["dbn_shown"] == 8
    assert all(set(x) <= {0, 1} and len(x) == 64 for x in r["dbn_images"])
    assert r["dbn_status"].startswith("8 samples of class 0")
    assert r["huge_refused"] == 422 and r["message"].startswith("steps: expected")
