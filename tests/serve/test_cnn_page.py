"""The CNN page's API through Starlette's TestClient: the shipped LeNet-5 (it loads, it classifies
the digits' test split), its feature maps and probabilities against the model's own layers and
against the paper's equations written out with PyTorch's functional ops, the 32x32 drawing
averaged into the 8x8 image, and the refusals of bad input; LeNet-5s of run folders written in
tmp_path (their answers against the run's own model) and the runs refused, with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from neuralzoo.models.cnn.lenet import C3_TABLE
from neuralzoo.serve import _shipped
from neuralzoo.serve.cnn import CANVAS, SIDE, digits, lenet_model

from .answers import ok, refused

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx


@pytest.fixture(scope="module")
def examples(client) -> dict:
    return ok(client.get("/api/cnn/examples"))


def blocks(pixels8: list[float]) -> list[float]:
    """An 8x8 image as the page's 32x32 grid: each pixel a 4x4 block."""
    b = CANVAS // SIDE
    return torch.tensor(pixels8).view(SIDE, SIDE).repeat_interleave(b, 0).repeat_interleave(
        b, 1).flatten().tolist()


def by_hand(net, x8: torch.Tensor) -> dict[str, torch.Tensor]:
    """LeNet-5's layers from the paper's equations with PyTorch's functional ops and the model's
    parameters: y_j = f(sum_i y_i * K_ij + w_j), s_j = f(c_j sum_2x2 y_j + b_j)."""
    def f(a):
        return 1.7159 * torch.tanh(2.0 * a / 3.0)

    def sub(y, s):  # the sum of each 2x2 window, times c_j, plus b_j
        N, C, H, W = y.shape
        total = y.view(N, C, H // 2, 2, W // 2, 2).sum(dim=(3, 5))
        return f(s.coef.view(1, -1, 1, 1) * total + s.bias.view(1, -1, 1, 1))

    mask = torch.zeros(16, 6, 1, 1)
    for j, inputs in enumerate(C3_TABLE):
        mask[j, list(inputs)] = 1.0
    with torch.no_grad():
        x = F.pad(F.interpolate(x8.view(1, 1, SIDE, SIDE), scale_factor=3, mode="bilinear",
                                align_corners=False), (4, 4, 4, 4))
        out = {"input": x}
        out["C1"] = f(F.conv2d(x, net.C1.weight, net.C1.bias))
        out["S2"] = sub(out["C1"], net.S2)
        out["C3"] = f(F.conv2d(out["S2"], net.C3.weight * mask, net.C3.bias))
        out["S4"] = sub(out["C3"], net.S4)
        out["C5"] = f(F.conv2d(out["S4"], net.C5.weight, net.C5.bias))
        out["F6"] = f(out["C5"].flatten(1) @ net.F6.weight.T + net.F6.bias)
        out["output"] = out["F6"] @ net.output.weight.T + net.output.bias
    return {k: v[0] for k, v in out.items()}


# --- the shipped model -----------------------------------------------------------------------

def test_the_shipped_lenet5_loads_and_classifies_the_test_digits():
    assert _shipped.path("lenet5").stat().st_size < _shipped.MAX_BYTES
    state, meta = _shipped.load("lenet5")  # the file, not a model trained on the fly
    net, served_meta = lenet_model()
    assert served_meta == meta
    assert all(torch.equal(v, state[k]) for k, v in net.state_dict().items())
    X, y = digits("test")
    with torch.no_grad():
        acc = float((net(X).argmax(1) == y).float().mean())
    print(f"shipped LeNet-5: accuracy {acc:.4f} on the {len(y)} test digits")
    assert acc > 0.95  # measured 0.9694
    assert float(meta["test_accuracy"]) == pytest.approx(acc, abs=1e-4)


# --- feature maps and probabilities ----------------------------------------------------------

def test_the_maps_are_the_models_own_layers_and_the_probabilities_its_softmax(client, examples):
    net, _ = lenet_model()
    for k in (0, 3, 8):
        pixels = examples["digits"][k]
        d = ok(client.post("/api/cnn/lenet", json={"pixels": pixels}))
        names = [layer["name"] for layer in d["layers"]]
        assert names == ["input", "C1", "S2", "C3", "S4", "C5", "F6", "output"]
        x = torch.tensor(pixels).view(1, SIDE * SIDE)
        own = dict(net.feature_maps(x))  # the model's own intermediate outputs
        hand = by_hand(net, x)
        for layer in d["layers"]:
            got = torch.tensor(layer["maps"])
            assert list(got.shape) == layer["shape"], layer["name"]
            if layer["name"] in own:
                assert torch.allclose(got, own[layer["name"]], atol=6e-4), layer["name"]
            assert torch.allclose(got, hand[layer["name"]], atol=1e-3), layer["name"]
        assert [layer["shape"] for layer in d["layers"]] == [
            [1, 32, 32], [6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5], [120, 1, 1], [84],
            [10]]
        with torch.no_grad():
            p = torch.softmax(net(x), dim=1)[0]
        assert d["probs"] == pytest.approx(p.tolist(), abs=1e-4)
        assert sum(d["probs"]) == pytest.approx(1.0, abs=1e-3)
        assert d["predicted"] == int(p.argmax()) == examples["labels"][k]
        assert d["input"] == torch.tensor(pixels).view(8, 8).tolist()  # n/16: exact


def test_a_32x32_drawing_is_averaged_over_4x4_blocks(client, examples):
    pixels = examples["digits"][5]
    small = ok(client.post("/api/cnn/lenet", json={"pixels": pixels}))
    big = ok(client.post("/api/cnn/lenet", json={"pixels": blocks(pixels)}))
    assert big == small  # a 4x4 block of one grey level is that pixel
    grid = torch.zeros(CANVAS, CANVAS)
    grid[2:30, 15:18] = 1.0  # a vertical stroke three cells wide: a "1"
    d = ok(client.post("/api/cnn/lenet", json={"pixels": grid.flatten().tolist()}))
    means = [[float(grid[4 * i:4 * i + 4, 4 * j:4 * j + 4].mean()) for j in range(8)]
             for i in range(8)]
    assert d["input"] == means  # n/16: exact
    assert d["input"][4][3] == 0.25 and d["input"][4][4] == 0.5 and d["input"][0][3] == 0.125
    assert d["predicted"] == 1


def test_examples_are_the_first_test_digit_of_each_class(client, examples):
    X, y = digits("test")
    assert examples["labels"] == list(range(10)) and examples["n_test"] == len(y) == 360
    for k, (row, pixels) in enumerate(zip(examples["indices"], examples["digits"])):
        assert int(y[row]) == k and int((y[:row] == k).sum()) == 0
        assert pixels == pytest.approx(X[row].tolist(), abs=1e-4)
    d = ok(client.post("/api/cnn/digit", json={"index": 359}))
    assert d["label"] == int(y[359]) and d["pixels"] == pytest.approx(X[359].tolist(), abs=1e-4)
    assert 0.95 < examples["test_accuracy"] <= 1.0


# --- refusals --------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "fragments"), [
    ({}, ["pixels: expected a list of 64 (8x8) or 1024 (32x32)", "got nothing"]),
    ({"pixels": "0101"}, ["expected a list", "got str"]),
    ({"pixels": [0.0] * 63}, ["expected 64 (8x8) or 1024 (32x32) values, got 63"]),
    ({"pixels": [0.0] * 1025}, ["got 1025"]),
    ({"pixels": [0.0] * 10 + ["x"] + [0.0] * 53}, ["grey levels in [0, 1], got 'x' at index 10"]),
    ({"pixels": [0.0] * 63 + [1.5]}, ["got 1.5 at index 63"]),
    ({"pixels": [-0.1] + [0.0] * 63}, ["got -0.1 at index 0"]),
    ({"pixels": [True] + [0.0] * 63}, ["got True at index 0"]),
    ({"pixels": [None] * 64}, ["got None at index 0"]),
])
def test_bad_pixels_are_refused_with_one_line(client, body, fragments):
    refused(client.post("/api/cnn/lenet", json=body), 422, *fragments)


def test_nan_malformed_json_and_bad_indices_are_refused(client):
    nan = "{\"pixels\": [" + ", ".join(["0"] * 7 + ["NaN"] + ["0"] * 56) + "]}"
    refused(client.post("/api/cnn/lenet", content=nan), 422, "got nan at index 7")
    refused(client.post("/api/cnn/lenet", content=b"{pixels: [0]"), 400, "malformed JSON")
    refused(client.post("/api/cnn/digit", json={"index": 360}), 422,
            "index: expected an integer in [0, 359], got 360")
    refused(client.post("/api/cnn/digit", json={"index": "3"}), 422, "got '3'")


def test_the_lecture_example_is_pytorchs_cross_correlation(client):
    for kernel in ("lecture", "laplacian", "sobel_y"):
        d = ok(client.get(f"/api/cnn/lecture?kernel={kernel}"))
        want = F.conv2d(torch.tensor(d["image"])[None, None], torch.tensor(d["kernel"])[None, None])
        assert torch.allclose(torch.tensor(d["output"]), want[0, 0], atol=1e-5), kernel
    d = ok(client.get("/api/cnn/lecture"))
    assert d["output"][0][:3] == [0, 8, 8] and d["output"][-1][-1] == 6


# --- LeNet-5s from run folders ---------------------------------------------------------------

@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    """Run folders written by the library, each trained for one epoch on a few hundred digits:
    LeNet-5s of the 8x8 digits (the paper's options; ReLU, max pooling, f after the pooling,
    no Table I), a LeNet-5 of 28x28 images, one of 3 classes, a modern CNN of the digits and a
    Hopfield network."""
    from neuralzoo.models.cnn import CNN, LeNet5
    from neuralzoo.models.hopfield import Hopfield

    root = tmp_path_factory.mktemp("runs")
    X, y = digits("train")
    X, y = X[:300], y[:300]
    fit = {"epochs": 1, "seed": 0, "progress": False}
    LeNet5((1, 8, 8), 10).fit(X, y, out=root / "lenet8", **fit)
    LeNet5((1, 8, 8), 10, activation="relu", subsampling="max", activation_after_pool=True,
           c3_table=False).fit(X, y, out=root / "relu", **fit)
    X28 = torch.rand(20, 784, generator=torch.Generator().manual_seed(0))
    LeNet5().fit(X28, torch.arange(20) % 10, out=root / "mnist", **fit)
    LeNet5((1, 8, 8), 3).fit(X[y < 3], y[y < 3], out=root / "three", **fit)
    CNN((1, 8, 8), 10, channels=[4]).fit(X, y, out=root / "small-cnn", **fit)
    Hopfield(64).fit((X[:3] > 0.5).float(), y[:3], out=root / "hop", progress=False)
    return root


def test_a_lenet5_run_of_the_digits_serves_the_page(runs_dir, make_client, examples):
    from neuralzoo.runs import load_run

    c = make_client(runs_dir)
    net = load_run(runs_dir / "lenet8").eval()  # the oracle: the run's model, loaded by the library
    shipped, _ = lenet_model()
    pixels = examples["digits"][4]
    x = torch.tensor(pixels).view(1, SIDE * SIDE)
    d = ok(c.post("/api/cnn/lenet", json={"pixels": pixels, "run": "lenet8"}))
    assert d["source"] == "run lenet8: lenet5, scaled_tanh, trainable subsampling"
    own, hand = dict(net.feature_maps(x)), by_hand(net, x)
    for layer in d["layers"]:
        got = torch.tensor(layer["maps"])
        if layer["name"] in own:
            assert torch.allclose(got, own[layer["name"]], atol=6e-4), layer["name"]
        assert torch.allclose(got, hand[layer["name"]], atol=1e-3), layer["name"]
    with torch.no_grad():
        p = torch.softmax(net(x), dim=1)[0]
        q = torch.softmax(shipped(x), dim=1)[0]
    assert d["probs"] == pytest.approx(p.tolist(), abs=1e-4) and d["predicted"] == int(p.argmax())
    assert (p - q).abs().max() > 0.01  # not the shipped model's answer
    mine = ok(c.get("/api/cnn/examples", params={"run": "lenet8"}))
    Xt, yt = digits("test")
    with torch.no_grad():
        acc = float((net(Xt).argmax(1) == yt).float().mean())
    assert mine["test_accuracy"] == pytest.approx(acc, abs=1e-4)
    assert mine["source"].startswith("run lenet8") and mine["digits"] == examples["digits"]
    d = ok(c.post("/api/cnn/lenet", json={"pixels": pixels}))  # no run named: the shipped one
    assert d["source"] == "shipped lenet5, scaled_tanh, trainable subsampling"
    assert d["probs"] == pytest.approx(q.tolist(), abs=1e-4) and d["range"] == 1.7159
    assert [(layer["note"], layer["range"]) for layer in d["layers"]][:2] == [
        ("the 8x8 digit upscaled 3x (bilinear), zero border of 4", 1.0), ("5x5 kernels, f", 1.7159)]


def test_a_lenet5_run_with_other_options_is_drawn_as_it_computes(runs_dir, make_client, examples):
    from neuralzoo.runs import load_run

    c = make_client(runs_dir)
    net = load_run(runs_dir / "relu").eval()
    pixels = examples["digits"][7]
    x = torch.tensor(pixels).view(1, SIDE * SIDE)
    d = ok(c.post("/api/cnn/lenet", json={"pixels": pixels, "run": "relu"}))
    own = dict(net.feature_maps(x))
    with torch.no_grad():
        o = net(x)[0]
    notes = {layer["name"]: layer["note"] for layer in d["layers"]}
    assert notes["C1"] == "5x5 kernels" and notes["S2"] == "2x2 max pooling, then f"
    assert notes["C3"] == "5x5 kernels over all 6 S2 maps" and d["range"] is None
    assert d["f"] == "f(a) = max(0, a)" and d["source"].endswith("relu, max subsampling")
    for layer in d["layers"]:
        got = torch.tensor(layer["maps"])
        want = own.get(layer["name"], o if layer["name"] == "output" else None)
        if want is not None:
            assert torch.allclose(got, want, atol=6e-4), layer["name"]
        assert got.abs().max() <= layer["range"] + 1e-3, layer["name"]  # the colour scale holds it
    assert min(own["C1"].min(), own["C3"].min()) < 0  # C1, C3 before f: not ReLU's output
    assert d["probs"] == pytest.approx(torch.softmax(o, 0).tolist(), abs=1e-4)


WHY = {
    "mnist": (422, "expected a LeNet-5 of the 8x8 digits (input 1x8x8, 10 classes), "
                   "got input 1x28x28, 10 classes"),
    "three": (422, "got input 1x8x8, 3 classes"),
    "small-cnn": (422, "expected a lenet5 run (LeNet-5, whose layers C1 ... F6 the page draws), "
                       "got a cnn run"),
    "hop": (422, "got a hopfield run"),
}


@pytest.mark.parametrize(("run", "status", "fragment"), [
    *((run, *why) for run, why in WHY.items()),
    ("gone", 404, "no run folder"),
    ("../x", 400, "expected the name of a folder"),
    ("", 400, "expected the name of a folder"),
])
def test_runs_of_the_wrong_kind_or_shape_are_refused(runs_dir, make_client, examples, run,
                                                      status, fragment):
    c = make_client(runs_dir)
    pixels = examples["digits"][0]
    msg = refused(c.post("/api/cnn/lenet", json={"pixels": pixels, "run": run}), status, fragment)
    assert refused(c.get("/api/cnn/examples", params={"run": run}), status) == msg
    if run in WHY:
        assert msg.startswith(f"run {run!r}: ")


def test_the_page_lists_the_runs_that_serve_it_and_why_not_the_others(runs_dir, make_client,
                                                                       examples):
    c = make_client(runs_dir)
    listed = ok(c.get("/api/cnn/runs"))["runs"]
    assert [r["name"] for r in listed] == [r["name"] for r in ok(c.get("/api/runs"))["runs"]]
    usable = {r["name"]: r["source"] for r in listed if r["usable"]}
    assert usable == {"lenet8": "run lenet8: lenet5, scaled_tanh, trainable subsampling",
                      "relu": "run relu: lenet5, relu, max subsampling"}
    pixels = examples["digits"][0]
    for r in listed:
        if not r["usable"]:  # the reason is the refusal the endpoints answer
            why = refused(c.post("/api/cnn/lenet", json={"pixels": pixels, "run": r["name"]}), 422)
            assert r["reason"] == why and WHY[r["name"]][1] in why, r["name"]
    assert ok(make_client().get("/api/cnn/runs")) == {"runs": []}  # served without --runs
    refused(make_client().post("/api/cnn/lenet", json={"pixels": pixels, "run": "lenet8"}), 404,
            "'lenet8'", "--runs")
