"""The autoencoder page (a VAE's 2-D code map of the digits): its API through Starlette's
TestClient, checked against the library's VAE holding the shipped checkpoint's weights (read
here straight from the file), and the shipped VAE's reconstruction error on the test split. The
page itself: browser/."""

from __future__ import annotations

import pytest
import torch

import neuralzoo as nz
from neuralzoo.models.base import seeded_reset
from neuralzoo.serve import _shipped
from neuralzoo.serve import autoencoder as ae

from .answers import ok, refused

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx


@pytest.fixture(scope="module")
def oracle():
    """The library's VAE with the page's sizes and the shipped weights, loaded here from the
    file (apart from the server's loader); and the test split."""
    from safetensors import safe_open

    path = _shipped.path(ae.NAME)
    assert path.is_file(), f"{path}: write it with benchmarks/train_playground.py {ae.NAME}"
    with safe_open(str(path), framework="pt") as f:
        state = {k: f.get_tensor(k) for k in f.keys()}
        meta = f.metadata()
    vae = nz.VAE(64, hidden=ae.HIDDEN, latent=2)
    vae.load_state_dict(state, strict=True)
    assert meta["epochs"] == str(ae.EPOCHS) and meta["seed"] == str(ae.SEED)
    Xt, yt = nz.datasets.load("digits", "test")
    return vae.eval(), Xt, yt


def test_the_shipped_vae_is_small_and_reconstructs_the_test_digits(oracle):
    vae, Xt, _ = oracle
    assert _shipped.path(ae.NAME).stat().st_size < 100_000  # bytes; it measured 70.8 KB
    with torch.no_grad():
        err = float(((vae(Xt) - Xt) ** 2).sum(1).mean())  # sum_i (x_i - x_hat_i)^2 per digit
    untrained = nz.VAE(64, hidden=ae.HIDDEN, latent=2)
    seeded_reset(untrained, ae.SEED)
    with torch.no_grad():
        err0 = float(((untrained(Xt) - Xt) ** 2).sum(1).mean())
    assert err < 3.0 and err < 0.3 * err0  # measured: 2.69 shipped, 11.57 untrained
    # the server's model is the shipped one: the page reports the same error
    m = ae.model()
    assert m["squared_error"] == pytest.approx(err, rel=1e-5) and m["elbo"] > -30


def test_the_codes_are_the_posterior_means_of_the_test_digits(client, oracle):
    vae, Xt, yt = oracle
    d = ok(client.get("/api/autoencoder/codes"))
    assert len(d["points"]) == len(d["labels"]) == 360 and all(len(p) == 2 for p in d["points"])
    assert d["labels"] == yt.tolist() and sorted(set(d["labels"])) == list(range(10))
    assert d["sizes"] == [64, 128, 2] and d["elbo"] < 0
    assert (d["epochs"], d["seed"]) == (ae.EPOCHS, ae.SEED)
    assert d["squared_error"] == pytest.approx(vae.evaluate(Xt)["squared_error"], abs=1e-4)
    mu = vae.transform(Xt)  # (360, 2)
    assert torch.tensor(d["points"]) == pytest.approx(mu, abs=2e-4)
    lo, hi = d["extent"]
    assert lo < mu.min() and mu.max() < hi  # every dot lies on the map
    # trained once: a second call answers the same model
    assert ok(client.get("/api/autoencoder/codes"))["points"] == d["points"]


@pytest.mark.parametrize("z", [[0.0, 0.0], [1.25, -2.5], [-9.5, 10]])
def test_decode_is_the_decoder_of_the_library_vae(client, oracle, z):
    vae = oracle[0]
    d = ok(client.post("/api/autoencoder/decode", json={"z": z}))
    img = torch.tensor(d["image"])
    assert img.shape == (64,) and 0 <= img.min() and img.max() <= 1
    with torch.no_grad():
        want = torch.sigmoid(vae.decode_logits(torch.tensor([z])))[0]
    assert img == pytest.approx(want, abs=1e-4)


def test_decoding_the_codes_is_the_library_decoder_and_redraws_the_digits(client, oracle):
    vae, Xt, yt = oracle
    d = ok(client.get("/api/autoencoder/codes"))
    picked = list(range(0, 360, 36))
    z = torch.tensor([d["points"][n] for n in picked])  # (10, 2)
    imgs = torch.tensor([ok(client.post("/api/autoencoder/decode", json={"z": d["points"][n]}))
                         ["image"] for n in picked])  # (10, 64)
    with torch.no_grad():
        assert imgs == pytest.approx(vae.decode(z), abs=1e-4)
    base = Xt.mean(0)  # the squared error of the mean digit, for scale
    errs = ((imgs - Xt[picked]) ** 2).sum(1) / ((base - Xt[picked]) ** 2).sum(1)  # (10,)
    assert float(errs.mean()) < 0.7  # closer to its digit than the mean digit is


def test_traverse_is_the_library_traversal(client, oracle):
    vae, Xt, yt = oracle
    d = ok(client.post("/api/autoencoder/traverse", json={"index": 41, "dim": 1, "steps": 7}))
    assert d["index"] == 41 and d["label"] == int(yt[41]) and d["dim"] == 1
    assert len(d["images"]) == len(d["z"]) == len(d["t"]) == 7
    want = vae.traverse(Xt[41:42], dim=1, steps=7, span=ae.SPAN)  # (7, 64)
    assert torch.tensor(d["images"]) == pytest.approx(want, abs=1e-4)
    z = torch.tensor(d["z"])
    assert z[:, 0] == pytest.approx(torch.full((7,), d["mu"][0]))  # axis 0 held fixed
    assert z[:, 1] - z[0, 1] == pytest.approx(torch.linspace(0, 2 * ae.SPAN, 7), abs=1e-3)
    assert d["t"] == pytest.approx(torch.linspace(-ae.SPAN, ae.SPAN, 7).tolist(), abs=1e-4)
    assert torch.tensor(d["image"]) == pytest.approx(Xt[41], abs=1e-4)
    assert len(ok(client.post("/api/autoencoder/traverse", json={"steps": 15}))["images"]) == 15


@pytest.mark.parametrize("path, body, status, fragments", [
    ("decode", b"{not json", 400, ("malformed JSON",)),
    ("decode", b"{}", 422, ("z: expected a list of two numbers", "None")),
    ("decode", b'{"z": [1]}', 422, ("z: expected a list of two numbers", "1 values")),
    ("decode", b'{"z": [1, 2, 3]}', 422, ("z", "3 values")),
    ("decode", b'{"z": "0,0"}', 422, ("z", "'0,0'")),
    ("decode", b'{"z": [NaN, 0]}', 422, ("z: expected two finite numbers", "nan")),
    ("decode", b'{"z": [0, Infinity]}', 422, ("finite", "inf")),
    ("decode", b'{"z": [0, "1"]}', 422, ("finite", "'1'")),
    ("decode", b'{"z": [true, 0]}', 422, ("finite", "True")),
    ("decode", b'{"z": [0, 1e9]}', 422, ("[-10.0, 10.0]", "1000000000")),
    ("traverse", b'{"index": 360}', 422, ("index", "[0, 359]", "360")),
    ("traverse", b'{"index": -1}', 422, ("index", "[0, 359]", "-1")),
    ("traverse", b'{"index": 2.5}', 422, ("index", "2.5")),
    ("traverse", b'{"dim": 2}', 422, ("dim", "[0, 1]", "got 2")),
    ("traverse", b'{"steps": 16}', 422, ("steps", "[2, 15]", "16")),
    ("traverse", b'{"steps": 1}', 422, ("steps", "[2, 15]", "got 1")),
    ("traverse", b'[3]', 400, ("expected a JSON object", "list")),
])
def test_bad_requests_are_refused(client, path, body, status, fragments):
    refused(client.post("/api/autoencoder/" + path, content=body), status, *fragments)
    assert client.post("/api/autoencoder/decode", json={"z": [0, 0]}).status_code == 200


def test_the_page_is_served_and_linked_from_every_page(client):
    from neuralzoo.serve.app import PAGES

    assert PAGES["autoencoder"] == "autoencoder.html"
    for page in PAGES:
        html = client.get("/" + page).text
        assert '<a href="/autoencoder">Autoencoder</a>' in html or \
            '<a class="here" href="/autoencoder">Autoencoder</a>' in html, page
