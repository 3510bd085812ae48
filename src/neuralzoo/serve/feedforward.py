"""The feedforward page's computations: the lecture's three basic nets (单层感知器、多层感知器、
RBF网络) on a 2-D toy data set, trained epoch by epoch, each epoch streamed to the page as a
frame with the loss, the accuracy and the decision boundary on a grid.

The page is stateless on the server: each request builds a fresh model from ``seed`` and trains
it for ``epochs`` epochs by the library's own ``fit``; a callback turns the epoch ends into NDJSON
frames (see :mod:`._web`), sent while the next epochs train. One seed gives one run, so the run
of N epochs is the first N epochs of the run of 2N, and "N more epochs from where it stopped" is
the run of ``start + N`` epochs streamed from epoch ``start`` on. The nets:

* perceptron (:class:`~neuralzoo.models.Perceptron`): ``y_hat = argmax_c (w_c . x + b_c)``,
  Rosenblatt's rule ``w_y <- w_y + eta x, w_p <- w_p - eta x`` on each mistake, the pocket
  keeping the best weights; a line, so it cannot separate XOR (at most 3 of its 4 clusters);
* MLP (:class:`~neuralzoo.models.MLP`): ``h = f(W1 x + b1), o = W2 h + b2``, softmax
  cross-entropy ``log sum_j exp(o_j) - o_y`` minimised by back-propagation (Adam);
* RBF (:class:`~neuralzoo.models.RBFNetwork`): ``phi_j(x) = exp(-||x - mu_j||^2 /
  (2 sigma_j^2))``, ``o = W phi + b``; k-means centres and least-squares output weights in
  closed form (epoch 0), then ``epochs`` epochs of gradient fine-tuning.
"""

from __future__ import annotations

import queue
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

from ._params import BadRequest, get_choice, get_float, get_int

DATASETS = ("xor", "circles", "moons", "blobs")
MODELS = ("perceptron", "mlp", "rbf")
ACTIVATIONS = ("tanh", "relu", "sigmoid")
N_POINTS = 200
LIM = 1.5  # the grid spans [-LIM, LIM]^2; every data set lies in [-1.2, 1.2]^2
MAX_GRID = 120
# epochs per request, each model's cap keeps a request under about a second on one core
# (the perceptron updates row by row: ~0.07 s an epoch on 200 points; the others ~0.005 s)
MAX_EPOCHS = {"perceptron": 12, "mlp": 200, "rbf": 200}
MLP_BATCH = 20
THREAD = "feedforward-train"  # the name of the thread that trains for one stream


def make_data(name: str, seed: int, n: int = N_POINTS):
    """``n`` points ``X`` (n, 2) float32 and labels ``y`` (n,) in {0, 1}, drawn from ``seed``.

    xor: uniform in [-1, 1]^2 outside a 0.1 band around the axes, ``y = [x_1 x_2 < 0]``
    (50 points per quadrant); circles, moons, blobs: scikit-learn's generators, scaled into
    [-1.2, 1.2]^2. Each class has n/2 points.
    """
    import numpy as np
    from sklearn import datasets as skd

    rng = np.random.default_rng(seed)
    if name == "xor":
        q = n // 4
        mag = rng.uniform(0.1, 1.0, (4 * q, 2))
        signs = np.repeat([[1, 1], [-1, -1], [1, -1], [-1, 1]], q, axis=0)
        X = mag * signs
        y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    elif name == "circles":
        X, y = skd.make_circles(n, noise=0.08, factor=0.45, random_state=seed)
    elif name == "moons":
        X, y = skd.make_moons(n, noise=0.12, random_state=seed)
    else:
        X, y = skd.make_blobs(n, centers=[[-1.0, -1.0], [1.0, 1.0]], cluster_std=0.45,
                              random_state=seed)
    X = X - (X.max(0) + X.min(0)) / 2  # centre the bounding box, then fit it in [-1.2, 1.2]^2
    X = 1.2 * X / np.abs(X).max()
    return X.astype(np.float32), np.asarray(y, dtype=np.int64)


def grid_points(G: int):
    """The ``G * G`` points of the boundary grid (G*G, 2) over ``[-LIM, LIM]^2``, row by row:
    row 0 at the top (``x_2 = LIM``), column 0 at the left (``x_1 = -LIM``)."""
    import torch

    xs = torch.linspace(-LIM, LIM, G)
    return torch.stack([xs.repeat(G), xs.flip(0).repeat_interleave(G)], dim=1)  # (G*G, 2)


def _evaluate(model, X, y) -> tuple[float, float]:
    """(loss, accuracy) of the current weights ``w(t)`` on ``(X, y)``: the model's own training
    loss on all the data."""
    import torch

    with torch.no_grad():
        mistakes = getattr(model, "_mistakes", None)  # the perceptron counts mistakes in loss()
        loss = float(model.loss((X, y)))
        if mistakes is not None:
            model._mistakes = mistakes
        acc = float((model(X).argmax(1) == y).float().mean())
    return loss, acc


def drawn_scores(model, x):
    """The scores ``s`` (N, C) of the weights that ``fit`` would return if training stopped now:
    the perceptron's pocket once an epoch has ended (``fit`` ends on it), else the current ones."""
    from ..models import Perceptron

    if isinstance(model, Perceptron) and model.pocket and int(model.pocket_errors) >= 0:
        return x @ model.pocket_W.T + model.pocket_b  # (N, C)
    return model(x)


def frame(model, X, y, grid, epoch: int, converged: bool = False) -> dict[str, Any]:
    """One frame: at ``epoch``, the ``loss`` and ``accuracy`` of ``w(t)`` on all the data (the
    curve), the ``train_accuracy`` of the drawn weights (:func:`drawn_scores`), the predicted
    class ``grid`` (argmax, ties to class 0 as ``predict``) and P(class 1) ``proba`` on the
    ``G x G`` grid, and whether the perceptron ``converged`` (an epoch without a mistake)."""
    import torch

    G = int(round(len(grid) ** 0.5))
    loss, acc = _evaluate(model, X, y)
    with torch.no_grad():
        s = drawn_scores(model, grid)  # (G*G, C)
        p1 = torch.softmax(s, dim=1)[:, 1].reshape(G, G)  # (G, G)
        cls = s.argmax(1).reshape(G, G)  # (G, G)
        train_acc = float((drawn_scores(model, X).argmax(1) == y).float().mean())
    return {"epoch": epoch, "loss": loss, "accuracy": acc, "train_accuracy": train_acc,
            "converged": converged, "grid": cls.tolist(),
            "proba": p1.double().round(decimals=3).tolist()}


class _Frames:
    """Callback: a frame at epoch ``start``, then every ``every`` epochs, and at the last epoch
    (the asked-for one, or the perceptron's error-free one); stops training once ``cancel``
    is set (the client went away)."""

    def __init__(self, emit: Callable[[dict[str, Any]], None], cancel: threading.Event,
                 model, X, y, grid, start: int, every: int, epochs: int) -> None:
        self.emit, self.cancel = emit, cancel
        self.model, self.X, self.y, self.grid = model, X, y, grid
        self.start, self.every, self.epochs = start, every, epochs

    def on_train_begin(self, state: Any) -> None:
        if self.start == 0:  # epoch 0: the seeded start (the RBF's closed form)
            self.emit(frame(self.model, self.X, self.y, self.grid, 0))

    def on_epoch_end(self, state: Any, metrics: dict[str, Any]) -> bool:
        e = int(metrics["epoch"])  # 1-based: the epochs done
        converged = metrics.get("mistakes") == 0  # the perceptron's counter ran before this one
        if (converged or e == self.epochs
                or (e >= self.start and (e - self.start) % self.every == 0)):
            self.emit(frame(self.model, self.X, self.y, self.grid, e, converged))
        return self.cancel.is_set()


def _model(body: dict[str, Any], kind: str):
    """The untrained net ``kind`` and its ``fit`` options, from the request's settings."""
    from ..models import MLP, Perceptron, RBFNetwork

    if kind == "perceptron":
        return Perceptron(2, 2), {}
    lr = get_float(body, "lr", 0.03, 1e-4, 1.0)
    if kind == "mlp":
        hidden = get_int(body, "hidden", 8, 1, 64)
        activation = get_choice(body, "activation", "tanh", ACTIVATIONS)
        return MLP(2, 2, hidden=[hidden], activation=activation), {"lr": lr,
                                                                   "batch_size": MLP_BATCH}
    n_centers = get_int(body, "n_centers", 8, 1, 50)
    return RBFNetwork(2, 2, n_centers=n_centers), {"lr": lr, "batch_size": MLP_BATCH}


def train_frames(model, X, y, *, epochs: int, seed: int, start: int = 0, every: int = 1,
                 grid_size: int = 60, fit_options: dict[str, Any] | None = None,
                 emit: Callable[[dict[str, Any]], None],
                 cancel: threading.Event | None = None) -> None:
    """Train ``model`` on ``(X, y)`` for ``epochs`` epochs from ``seed`` by its ``fit``, calling
    ``emit(frame)`` at epoch ``start``, every ``every`` epochs after it and at the last epoch;
    ``cancel`` set stops training at the next epoch end. ``epochs = 0``: the seeded start only
    (the RBF's closed form)."""
    from ..models import RBFNetwork
    from ..models.base import seeded_reset

    grid = grid_points(grid_size)
    frames = _Frames(emit, cancel or threading.Event(), model, X, y, grid, start, every, epochs)
    options = {"seed": seed, "progress": False, **(fit_options or {})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the perceptron's ConvergenceWarning: the page shows it
        if epochs > 0 or isinstance(model, RBFNetwork):  # the RBF's epoch 0: its closed form
            model.fit(X, y, epochs=epochs, callbacks=[frames], **options)
        else:
            seeded_reset(model, seed)  # the start that fit draws from the seed
    if epochs == 0:
        emit(frame(model, X, y, grid, 0))


def _stream(work: Callable[[Callable[[dict[str, Any]], None], threading.Event], None]
            ) -> Iterator[dict[str, Any]]:
    """The frames that ``work(emit, cancel)`` emits, yielded as they come: ``work`` runs in a
    thread of its own (``fit`` owns its loop, so a frame cannot be yielded from inside it).
    Closing the iterator (the client went away: Starlette drops the stream) sets ``cancel``, and
    the training stops at its next epoch end."""
    frames: queue.Queue = queue.Queue()
    cancel, end = threading.Event(), object()

    def run() -> None:
        try:
            work(frames.put, cancel)
        except Exception as err:  # handed over to the stream, which ends with an error frame
            frames.put(err)
        finally:
            frames.put(end)

    threading.Thread(target=run, name=THREAD, daemon=True).start()
    try:
        while (item := frames.get()) is not end:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        cancel.set()


def train(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``POST /api/feedforward/train``: train ``model`` on data set ``data`` for ``epochs``
    epochs from ``seed``, streamed as frames (:func:`frame`) from epoch ``start`` on, every
    ``every`` epochs and at the last one.

    The first frame also carries the run: ``data``, ``model``, ``seed``, the ``points`` and
    their ``labels``, the grid's ``grid_size`` and ``extent``, and the model's ``max_epochs``.
    All parameters are checked before the first frame (a refusal is a 4xx answer).
    """
    import torch

    data = get_choice(body, "data", "xor", DATASETS)
    kind = get_choice(body, "model", "mlp", MODELS)
    epochs = get_int(body, "epochs", 1, 0, MAX_EPOCHS[kind])
    start = get_int(body, "start", 0, 0, MAX_EPOCHS[kind])
    if start > epochs:
        raise BadRequest(f"start: expected an epoch in [0, epochs={epochs}], got {start}")
    every = get_int(body, "every", 1, 1, MAX_EPOCHS[kind])
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    G = get_int(body, "grid_size", 60, 2, MAX_GRID)
    model, options = _model(body, kind)
    Xn, yn = make_data(data, seed)
    X, y = torch.from_numpy(Xn), torch.from_numpy(yn)
    run = {"data": data, "model": kind, "seed": seed, "points": Xn.astype("float64").round(4).tolist(),
           "labels": yn.tolist(), "grid_size": G, "extent": [-LIM, LIM],
           "max_epochs": MAX_EPOCHS[kind]}

    def work(emit: Callable[[dict[str, Any]], None], cancel: threading.Event) -> None:
        train_frames(model, X, y, epochs=epochs, seed=seed, start=start, every=every,
                     grid_size=G, fit_options=options, emit=emit, cancel=cancel)

    def frames() -> Iterator[dict[str, Any]]:
        with closing(_stream(work)) as stream:
            for k, f in enumerate(stream):
                yield {**run, **f} if k == 0 else f  # the run rides on the first frame

    return frames()


def routes(runs: Any = None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import post

    return [post("/api/feedforward/train", train)]
