"""The feedforward page (perceptron, MLP, RBF on a 2-D toy set): its API through Starlette's
TestClient, checked against the library's models and an exact oracle (the best accuracy any
straight line reaches on the XOR points), and the page itself in headless Chromium."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("sklearn")

from neuralzoo.models import MLP  # noqa: E402
from neuralzoo.serve.feedforward import LIM, make_data  # noqa: E402

from .test_browser import CHROMIUM, selftest, server  # noqa: E402, F401 (server: a fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx



def trained(client, **body) -> dict:
    r = client.post("/api/feedforward/train", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def best_linear_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    """The best training accuracy of any half-plane rule: a best line can be moved until it
    passes through two data points, so every line through two points, both orientations, both
    sides for the points on it, is tried (exact up to the <= 2 points on the line)."""
    n = len(X)
    i, j = np.triu_indices(n, 1)
    d = X[j] - X[i]  # (P, 2) directions of the lines through point pairs
    normal = np.stack([-d[:, 1], d[:, 0]], 1)  # (P, 2)
    side = (X[None] - X[i][:, None]) @ normal[..., None]  # (P, n, 1)
    side = side[..., 0]
    on = np.abs(side) < 1e-9
    pos = side > 0
    hits1 = ((pos | on) == (y == 1)).sum(1)  # points on the line counted as class 1 ...
    hits0 = ((~pos | on) == (y == 0)).sum(1)  # ... or, the other orientation, as class 0
    return float(max(hits1.max(), hits0.max())) / n


def test_the_grid_covers_the_plane_and_agrees_with_the_model(client):
    d = trained(client, data="moons", model="mlp", epochs=3, grid_size=7, seed=2)
    assert d["grid_size"] == 7 and len(d["grid"]) == 7 and all(len(r) == 7 for r in d["grid"])
    assert len(d["proba"]) == 7 and d["extent"] == [-LIM, LIM]
    assert len(d["points"]) == 200 and sorted(set(d["labels"])) == [0, 1]
    assert len(d["loss"]) == len(d["accuracy"]) == 4 and d["epochs"] == 3
    # the oracle: the same MLP trained by the library from the same seed, on the grid's points
    X, y = make_data("moons", 2)
    net = MLP(2, 2, hidden=[8], activation="tanh").fit(X, y, epochs=3, lr=0.03, batch_size=20,
                                                       seed=2, progress=False)
    xs = torch.linspace(-LIM, LIM, 7)
    top_left, bottom_right = torch.tensor([[xs[0], xs[-1]], [xs[-1], xs[0]]])
    p = net.predict_proba(torch.stack([top_left, bottom_right]))[:, 1]
    assert [d["proba"][0][0], d["proba"][6][6]] == pytest.approx(p.tolist(), abs=1e-3)
    assert d["train_accuracy"] == pytest.approx(net.score(X, y))
    # one seed, one run: the run of 3 epochs is the start of the run of 6
    longer = trained(client, data="moons", model="mlp", epochs=6, grid_size=7, seed=2)
    assert longer["loss"][:4] == pytest.approx(d["loss"])


def test_the_perceptron_cannot_separate_xor(client):
    X, y = make_data("xor", 0)
    best = best_linear_accuracy(X, y)
    assert best <= 0.76  # a line gets at most three quadrants of four
    accs = [trained(client, data="xor", model="perceptron", epochs=e, grid_size=2)
            for e in (1, 4, 12)]
    for d in accs:
        assert d["train_accuracy"] <= best + 1e-6 and max(d["accuracy"]) <= best + 1e-6
        assert not d["converged"]  # never an epoch without a mistake
    # on two blobs (separable) it stops after an error-free epoch, every point right
    blobs = trained(client, data="blobs", model="perceptron", epochs=12, grid_size=2)
    assert blobs["converged"] and blobs["train_accuracy"] == 1.0 and blobs["epochs"] < 12


def test_the_mlp_solves_xor_and_its_loss_falls(client):
    d = trained(client, data="xor", model="mlp", epochs=40, grid_size=40)
    assert d["train_accuracy"] >= 0.95 and d["loss"][-1] < 0.2 * d["loss"][0]
    g = d["grid"]  # the quadrant centres: classes 0 (x1 x2 > 0) and 1 (x1 x2 < 0)
    assert [g[10][30], g[10][10], g[30][10], g[30][30]] == [0, 1, 0, 1]


def test_the_rbf_network_solves_circles_in_closed_form(client):
    d = trained(client, data="circles", model="rbf", epochs=0, n_centers=8)
    assert d["epochs"] == 0 and len(d["loss"]) == 1 and d["train_accuracy"] >= 0.95
    tuned = trained(client, data="circles", model="rbf", epochs=20, n_centers=8)
    assert tuned["loss"][0] == pytest.approx(d["loss"][0]) and tuned["loss"][-1] < d["loss"][0]
    assert trained(client, data="xor", model="perceptron", epochs=0)["accuracy"] == [0.5]


def refused(r, status: int, *fragments: str) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    msg = r.json()["error"]
    assert "\n" not in msg and "Traceback" not in msg
    for f in fragments:
        assert f in msg, (f, msg)


@pytest.mark.parametrize("body, status, fragments", [
    (b"{not json", 400, ("malformed JSON",)),
    (b'"xor"', 400, ("expected a JSON object", "str")),
    (b'{"model": "svm"}', 422, ("model", "perceptron, mlp, rbf", "'svm'")),
    (b'{"data": "spiral"}', 422, ("data", "xor, circles", "'spiral'")),
    (b'{"model": "mlp", "epochs": 100000}', 422, ("epochs", "[0, 200]", "100000")),
    (b'{"model": "perceptron", "epochs": 13}', 422, ("epochs", "[0, 12]", "13")),
    (b'{"grid_size": 5000}', 422, ("grid_size", "[2, 120]", "5000")),
    (b'{"model": "mlp", "hidden": 5000}', 422, ("hidden", "[1, 64]", "5000")),
    (b'{"model": "mlp", "lr": "fast"}', 422, ("lr", "'fast'")),
    (b'{"model": "rbf", "n_centers": 0}', 422, ("n_centers", "[1, 50]", "got 0")),
])
def test_bad_requests_are_refused(client, body, status, fragments):
    refused(client.post("/api/feedforward/train", content=body), status, *fragments)
    assert client.post("/api/feedforward/train", json={"epochs": 1}).status_code == 200


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not found: install it (Debian: "
                    "apt-get install chromium) to run the playground's browser tests")
def test_feedforward_page_shows_the_perceptron_fail_and_the_mlp_solve_xor(server):  # noqa: F811
    r = selftest(server + "/feedforward")
    assert r["perceptron_epochs"] == 12 and max(r["perceptron_acc"]) <= 0.76
    assert "training accuracy" in r["perceptron_status"]
    assert r["after_click_epochs"] == 5  # the step button asked for 5 epochs
    assert r["mlp_acc"] >= 0.95 and r["mlp_loss_last"] < r["mlp_loss_first"]
    assert r["mlp_loss_points"] == r["mlp_epochs"] + 1
    assert r["canvas_classes"] == [0, 1, 0, 1]  # the colours drawn in the four quadrants
    assert r["huge_refused"] == 422 and r["message"].startswith("hidden: expected")
