"""The autoencoder page (a VAE's 2-D code map of the digits): its API through Starlette's
TestClient, checked against the library's VAE holding the shipped checkpoint's weights (read
here straight from the file), and the shipped VAE's reconstruction error on the test split;
models from run folders written here by the library (a VAE and a plain autoencoder with 2-D
codes, checked against the runs' models loaded by ``neuralzoo.runs.load_run``; runs of the wrong
kind or size refused). The page itself: browser/."""

from __future__ import annotations

from pathlib import Path

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


def test_the_shipped_answers_say_so_and_no_runs_are_offered_without_a_runs_folder(client):
    assert ok(client.get("/api/autoencoder/runs")) == {"runs": []}
    d = ok(client.post("/api/autoencoder/decode", json={"z": [0, 0]}))
    assert d["run"] is None and d["source"] == f"shipped {ae.NAME}: {ae.EPOCHS} epochs from seed 0"
    c = ok(client.get("/api/autoencoder/codes"))
    assert (c["kind"], c["traversal"], c["grid"], c["z_range"]) == ("vae", True, 1.0, [-10, 10])
    assert ok(client.post("/api/autoencoder/traverse", json={}))["source"] == d["source"]
    for r in (client.get("/api/autoencoder/codes", params={"run": "mine"}),
              client.post("/api/autoencoder/decode", json={"z": [0, 0], "run": "mine"}),
              client.post("/api/autoencoder/traverse", json={"run": "mine"})):
        refused(r, 404, "'mine'", "--runs")


# --- models from run folders ------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    """Run folders written by the library, one epoch each on 300 training digits: a VAE and a
    plain autoencoder with 2-D codes (served), a VAE with a 3-D code, a VAE of 32 inputs and an
    RBM (refused)."""
    import warnings

    from neuralzoo.models import RBM, VAE, Autoencoder

    root = tmp_path_factory.mktemp("runs")
    X = nz.datasets.load("digits", "train")[0][:300]
    fit = {"epochs": 1, "seed": 0, "progress": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        VAE(64, hidden=[16], latent=2).fit(X, out=root / "vae2", **fit)
        Autoencoder(64, hidden=[16], code=2).fit(X, out=root / "ae2", **fit)
        VAE(64, hidden=[16], latent=3).fit(X, out=root / "vae3", **fit)
        VAE(32, hidden=[8], latent=2).fit(X[:, :32], out=root / "half", **fit)
        RBM(64, 8).fit(X, out=root / "rbm", **fit)
    return root


def test_a_vae_run_serves_the_map_decode_and_traversal(runs_dir, make_client, oracle):
    from neuralzoo.runs import load_run

    c = make_client(runs_dir)
    vae = load_run(runs_dir / "vae2").eval()  # the oracle: the run's model, loaded by the library
    Xt = oracle[1]
    d = ok(c.get("/api/autoencoder/codes", params={"run": "vae2"}))
    assert torch.tensor(d["points"]) == pytest.approx(vae.transform(Xt), abs=2e-4)
    assert d["sizes"] == [64, 16, 2] and (d["epochs"], d["seed"]) == (1, 0)
    assert (d["kind"], d["traversal"], d["run"]) == ("vae", True, "vae2")
    assert d["source"] == "run vae2: vae, 1 epoch from seed 0"
    assert d["elbo"] == pytest.approx(vae.evaluate(Xt)["elbo"], abs=1e-3)
    assert d["squared_error"] == pytest.approx(vae.evaluate(Xt)["squared_error"], abs=1e-4)
    lo, hi = d["extent"]
    assert lo < float(vae.transform(Xt).min()) and float(vae.transform(Xt).max()) < hi
    z = [0.75, -1.5]
    got = ok(c.post("/api/autoencoder/decode", json={"z": z, "run": "vae2"}))
    with torch.no_grad():
        assert torch.tensor(got["image"]) == pytest.approx(vae.decode(torch.tensor([z]))[0],
                                                           abs=1e-4)
    assert got["source"].startswith("run vae2")
    t = ok(c.post("/api/autoencoder/traverse",
                  json={"index": 12, "dim": 0, "steps": 5, "run": "vae2"}))
    want = vae.traverse(Xt[12:13], dim=0, steps=5, span=ae.SPAN)  # (5, 64)
    assert torch.tensor(t["images"]) == pytest.approx(want, abs=1e-4)
    assert t["mu"] == pytest.approx(vae.transform(Xt[12:13])[0].tolist(), abs=1e-4)
    with torch.no_grad():  # the run's decoder differs from the shipped one
        shipped = oracle[0].decode(torch.tensor([z]))[0]
    assert (torch.tensor(got["image"]) - shipped).abs().max() > 0.05


def test_an_autoencoder_run_shows_its_codes_and_decodes_them_but_has_no_traversal(
        runs_dir, make_client, oracle):
    from neuralzoo.runs import load_run

    c = make_client(runs_dir)
    net = load_run(runs_dir / "ae2").eval()  # the oracle
    Xt = oracle[1]
    d = ok(c.get("/api/autoencoder/codes", params={"run": "ae2"}))
    y = net.transform(Xt)  # (360, 2): the codes y(x)
    assert torch.tensor(d["points"]) == pytest.approx(y, abs=2e-4)
    assert (d["kind"], d["traversal"], d["elbo"], d["model"]) == ("autoencoder", False, None,
                                                                   "autoencoder")
    assert d["squared_error"] == pytest.approx(net.reconstruction_error(Xt), abs=1e-4)
    (lo, hi), step = d["extent"], d["grid"]
    assert lo < float(y.min()) and float(y.max()) < hi  # the plane is fitted to the codes
    assert (hi - lo) / step == pytest.approx(round((hi - lo) / step)) and (hi - lo) / step <= 20
    assert hi - lo < 1.5 * float(y.max() - y.min()) + 2 * step  # and not much wider
    # decoding a digit's code is the autoencoder's reconstruction of that digit, z = decode(y(x))
    got = ok(c.post("/api/autoencoder/decode", json={"z": d["points"][5], "run": "ae2"}))
    assert torch.tensor(got["image"]) == pytest.approx(net.reconstruct(Xt[5:6])[0], abs=1e-3)
    zlo, zhi = d["z_range"]
    assert zlo < lo and hi < zhi
    refused(c.post("/api/autoencoder/decode", json={"z": [zhi + 1, 0], "run": "ae2"}), 422,
            f"z: expected numbers in [{zlo}, {zhi}]")
    refused(c.post("/api/autoencoder/traverse", json={"run": "ae2"}), 422,
            "'ae2'", "expected a vae run", "got Autoencoder", "prior N(0, I)")


def test_the_page_lists_the_runs_it_can_show_and_why_not_the_others(runs_dir, make_client):
    c = make_client(runs_dir)
    listed = {r["name"]: r for r in ok(c.get("/api/autoencoder/runs"))["runs"]}
    assert sorted(listed) == ["ae2", "half", "rbm", "vae2", "vae3"]
    assert {n for n, r in listed.items() if r["suitable"]} == {"ae2", "vae2"}
    assert listed["vae2"]["traversal"] and not listed["ae2"]["traversal"]
    assert listed["vae2"]["reason"] is None and listed["ae2"]["model"] == "autoencoder"
    assert "a rbm run" in listed["rbm"]["reason"] and "vae" in listed["rbm"]["reason"]
    for name in ("vae3", "half"):  # the reason is the refusal a request naming the run gets
        r = c.get("/api/autoencoder/codes", params={"run": name})
        assert listed[name]["reason"] == refused(r, 422)


@pytest.mark.parametrize("run, status, fragments", [
    ("vae3", 422, ("'vae3'", "with a 2-D code", "got VAE of sizes [64, 16, 3]", "a 3-D code")),
    ("half", 422, ("'half'", "(64 inputs)", "32 inputs")),
    ("rbm", 422, ("'rbm'", "expected an autoencoder run with a decoder", "vae", "got RBM")),
    ("gone", 404, ("'gone'", "no run folder")),
    ("../x", 400, ("expected the name of a folder",)),
    ("", 400, ("expected the name of a folder", "''")),
])
def test_runs_of_the_wrong_kind_or_size_are_refused(runs_dir, make_client, run, status,
                                                     fragments):
    c = make_client(runs_dir)
    refused(c.get("/api/autoencoder/codes", params={"run": run}), status, *fragments)
    refused(c.post("/api/autoencoder/decode", json={"z": [0, 0], "run": run}), status, *fragments)
    refused(c.post("/api/autoencoder/traverse", json={"run": run}), status, *fragments)
