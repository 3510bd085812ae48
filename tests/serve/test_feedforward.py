"""The feedforward page (perceptron, MLP, RBF on a 2-D toy set): its streaming API through
Starlette's TestClient, each frame checked against the library's model trained directly with the
same seed, an exact oracle for XOR (the best accuracy any straight line reaches), and a client
that goes away mid-stream under the real server (uvicorn). The page itself: browser/."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("sklearn")

from neuralzoo.models import MLP, Perceptron, RBFNetwork  # noqa: E402
from neuralzoo.models.base import seeded_reset  # noqa: E402
from neuralzoo.serve import feedforward as ff  # noqa: E402
from neuralzoo.serve.feedforward import LIM, make_data  # noqa: E402

from .answers import refused

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx


def streamed(client, **body) -> list[dict]:
    """The frames of one training stream (NDJSON, one JSON object a line)."""
    r = client.post("/api/feedforward/train", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    frames = [json.loads(line) for line in r.text.splitlines() if line.strip()]
    assert frames and not any("error" in f for f in frames), frames[-1]
    return frames


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


# the oracle: the library's model, built and trained here as a user would
def library_model(kind: str):
    if kind == "perceptron":
        return Perceptron(2, 2), {}
    if kind == "mlp":
        return MLP(2, 2, hidden=[8], activation="tanh"), {"lr": 0.03, "batch_size": 20}
    return RBFNetwork(2, 2, n_centers=8), {"lr": 0.03, "batch_size": 20}


class Curve:
    """Callback: the loss and accuracy on all the data at each epoch end, by their formulas (the
    perceptron criterion [s_y <= s_p](s_p - s_y), else the cross-entropy), of the weights the
    net holds then (w(t); at the perceptron's last epoch its pocket, which fit ends on)."""

    def __init__(self, net, X, y, kind: str) -> None:
        self.net, self.X, self.y, self.kind, self.rows = net, X, y, kind, []

    def on_epoch_end(self, state, metrics) -> bool:
        with torch.no_grad():
            s = self.net(self.X)  # (N, 2)
            if self.kind == "perceptron":
                s_y = s.gather(1, self.y[:, None])[:, 0]  # (N,)
                s_p = s.gather(1, 1 - self.y[:, None])[:, 0]  # (N,) the other class
                loss = float(((s_y <= s_p) * (s_p - s_y)).mean())
            else:
                loss = float(F.cross_entropy(s, self.y))
            self.rows.append((loss, float((s.argmax(1) == self.y).float().mean())))
        return False


def fitted(kind: str, X, y, epochs: int, seed: int):
    """The library's net trained for ``epochs`` epochs from ``seed`` in one go, and its curve."""
    net, options = library_model(kind)
    curve = Curve(net, X, y, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the perceptron on XOR does not converge
        if kind == "rbf" or epochs > 0:
            net.fit(X, y, epochs=epochs, seed=seed, progress=False, callbacks=[curve],
                    **options)
        else:
            seeded_reset(net, seed)  # the start fit draws from the seed
    return net, curve.rows


def accuracy(net, X, y) -> float:
    with torch.no_grad():
        return float((net(X).argmax(1) == y).float().mean())


@pytest.mark.parametrize("kind, data, epochs", [("mlp", "moons", 6), ("perceptron", "xor", 4),
                                                 ("rbf", "circles", 4)])
def test_the_frames_are_the_library_model_trained_with_the_same_seed(client, kind, data, epochs):
    G, seed = 9, 2
    frames = streamed(client, data=data, model=kind, epochs=epochs, grid_size=G, seed=seed)
    assert [f["epoch"] for f in frames] == list(range(epochs + 1))  # one frame per epoch
    Xn, yn = make_data(data, seed)
    X, y = torch.from_numpy(Xn), torch.from_numpy(yn)
    assert torch.tensor(frames[0]["points"]) == pytest.approx(X, abs=1e-4)
    assert frames[0]["labels"] == yn.tolist() and "points" not in frames[1]
    grid = ff.grid_points(G)
    assert grid[0].tolist() == [-LIM, LIM] and grid[-1].tolist() == [LIM, -LIM]  # row 0 on top
    # frame k's boundary is the net that fit(epochs=k) returns (the perceptron's pocket)
    for f in frames:
        net, _ = fitted(kind, X, y, f["epoch"], seed)
        with torch.no_grad():
            s = net(grid)  # (G*G, 2)
        assert torch.tensor(f["proba"]).flatten() == pytest.approx(
            torch.softmax(s, 1)[:, 1], abs=6e-4)
        assert torch.tensor(f["grid"]).flatten().tolist() == s.argmax(1).tolist()
        assert f["train_accuracy"] == pytest.approx(accuracy(net, X, y))
    # the curve: the epochs of the one run of `epochs` epochs, from the seeded start on
    start, _ = fitted(kind, X, y, 0, seed)
    _, rows = fitted(kind, X, y, epochs, seed)
    assert frames[0]["accuracy"] == pytest.approx(accuracy(start, X, y))
    assert [f["loss"] for f in frames[1:]] == pytest.approx([r[0] for r in rows], rel=1e-5)
    assert [f["accuracy"] for f in frames[1:]] == pytest.approx([r[1] for r in rows])
    assert not any(f["converged"] for f in frames)


def test_a_later_start_streams_the_same_run_from_there_every_few_epochs(client):
    whole = streamed(client, data="moons", model="mlp", epochs=10, grid_size=5, seed=1)
    part = streamed(client, data="moons", model="mlp", epochs=10, grid_size=5, seed=1, start=4,
                    every=4)
    assert [f["epoch"] for f in part] == [4, 8, 10]  # and the last epoch, always
    for f in part:
        assert {k: v for k, v in f.items() if k in whole[f["epoch"]]} == whole[f["epoch"]]
    assert part[0]["labels"] == whole[0]["labels"]  # the run rides on the first frame


def test_the_perceptron_cannot_separate_xor(client):
    X, y = make_data("xor", 0)
    best = best_linear_accuracy(X, y)
    assert best <= 0.76  # a line gets at most three quadrants of four
    frames = streamed(client, data="xor", model="perceptron", epochs=12, grid_size=2)
    assert len(frames) == 13
    for f in frames:
        assert f["train_accuracy"] <= best + 1e-6 and f["accuracy"] <= best + 1e-6
        assert not f["converged"]  # never an epoch without a mistake
    # on two blobs (separable) it stops after an error-free epoch, every point right
    blobs = streamed(client, data="blobs", model="perceptron", epochs=12, grid_size=2)
    assert blobs[-1]["converged"] and blobs[-1]["train_accuracy"] == 1.0
    assert blobs[-1]["epoch"] < 12 and len(blobs) == blobs[-1]["epoch"] + 1


def test_the_mlp_solves_xor_and_its_loss_falls(client):
    frames = streamed(client, data="xor", model="mlp", epochs=40, every=10, grid_size=40)
    assert [f["epoch"] for f in frames] == [0, 10, 20, 30, 40]
    last = frames[-1]
    assert last["train_accuracy"] >= 0.95 and last["loss"] < 0.2 * frames[0]["loss"]
    g = last["grid"]  # the quadrant centres: classes 0 (x1 x2 > 0) and 1 (x1 x2 < 0)
    assert [g[10][30], g[10][10], g[30][10], g[30][30]] == [0, 1, 0, 1]


def test_the_rbf_network_solves_circles_in_closed_form(client):
    (d,) = streamed(client, data="circles", model="rbf", epochs=0, n_centers=8)
    assert d["epoch"] == 0 and d["train_accuracy"] >= 0.95
    tuned = streamed(client, data="circles", model="rbf", epochs=20, every=20, n_centers=8)
    assert tuned[0]["loss"] == pytest.approx(d["loss"]) and tuned[-1]["loss"] < d["loss"]
    assert streamed(client, data="xor", model="perceptron", epochs=0)[0]["accuracy"] == 0.5


def test_closing_the_stream_stops_the_training_thread(monkeypatch):
    made = []  # the epochs of the frames made

    def frame(model, X, y, grid, epoch, converged=False):
        made.append(epoch)
        return {"epoch": epoch}

    monkeypatch.setattr(ff, "frame", frame)
    stream = ff.train({"data": "xor", "model": "mlp", "epochs": 200})
    assert next(stream)["epoch"] == 0
    stream.close()  # what Starlette does when the client goes away
    assert wait_for_no_training_thread()
    assert made[-1] < 200  # stopped before its 200 epochs


def wait_for_no_training_thread(timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while any(t.name == ff.THREAD for t in threading.enumerate()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def live_server():
    """The app under uvicorn, in this process, on a free 127.0.0.1 port (its base URL)."""
    import uvicorn

    from neuralzoo.serve import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_a_client_gone_mid_stream_leaves_the_server_answering(live_server, monkeypatch):
    made, real = [], ff.frame  # the epochs of the frames made

    def frame(model, X, y, grid, epoch, converged=False):
        made.append(epoch)
        return real(model, X, y, grid, epoch, converged)

    monkeypatch.setattr(ff, "frame", frame)
    body = json.dumps({"data": "xor", "model": "mlp", "epochs": 200}).encode()
    port = int(live_server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST /api/feedforward/train HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
        got = b""
        while b"\r\n\r\n" not in got or b'"epoch":' not in got.split(b"\r\n\r\n", 1)[1]:
            got += sock.recv(1 << 16)
        assert got.startswith(b"HTTP/1.1 200")
    # the socket is closed after the first frame: the training stops, the server answers
    assert wait_for_no_training_thread()
    assert made[-1] < 200
    request = urllib.request.Request(live_server + "/api/feedforward/train",
                                     data=json.dumps({"epochs": 3}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        frames = [json.loads(line) for line in r.read().splitlines()]
    assert r.status == 200 and [f["epoch"] for f in frames] == [0, 1, 2, 3]


@pytest.mark.parametrize("body, status, fragments", [
    (b"{not json", 400, ("malformed JSON",)),
    (b'"xor"', 400, ("expected a JSON object", "str")),
    (b'{"model": "svm"}', 422, ("model", "perceptron, mlp, rbf", "'svm'")),
    (b'{"data": "spiral"}', 422, ("data", "xor, circles", "'spiral'")),
    (b'{"model": "mlp", "epochs": 100000}', 422, ("epochs", "[0, 200]", "100000")),
    (b'{"model": "perceptron", "epochs": 13}', 422, ("epochs", "[0, 12]", "13")),
    (b'{"epochs": 5, "start": 6}', 422, ("start", "[0, epochs=5]", "got 6")),
    (b'{"every": 0}', 422, ("every", "[1, 200]", "got 0")),
    (b'{"grid_size": 5000}', 422, ("grid_size", "[2, 120]", "5000")),
    (b'{"model": "mlp", "hidden": 5000}', 422, ("hidden", "[1, 64]", "5000")),
    (b'{"model": "mlp", "lr": "fast"}', 422, ("lr", "'fast'")),
    (b'{"model": "rbf", "n_centers": 0}', 422, ("n_centers", "[1, 50]", "got 0")),
])
def test_bad_requests_are_refused_before_the_stream(client, body, status, fragments):
    refused(client.post("/api/feedforward/train", content=body), status, *fragments)
    assert client.post("/api/feedforward/train", json={"epochs": 1}).status_code == 200
