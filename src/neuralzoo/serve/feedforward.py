"""The feedforward page's computations: the lecture's three feedforward nets on a 2-D toy data
set, trained for N epochs, with the loss curve and the decision boundary on a grid.

The page is stateless on the server: each request builds a fresh model from ``seed`` and
trains it for ``epochs`` epochs; one seed gives one run, so the run of N epochs is the first N
epochs of the run of 2N (the page "trains in steps" by asking for N = 1, 2, 3, ...). The nets:

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

import warnings
from typing import Any

from ._params import get_choice, get_float, get_int

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


class _EpochMetrics:
    """Callback: the loss and accuracy of the current weights on all the data at an epoch end."""

    def __init__(self, model, X, y) -> None:
        self.model, self.X, self.y, self.rows = model, X, y, []

    def on_epoch_end(self, state: Any, metrics: dict[str, Any]) -> bool:
        self.rows.append(_evaluate(self.model, self.X, self.y))
        return False


def _evaluate(model, X, y) -> tuple[float, float]:
    """(loss, accuracy) of ``model`` on ``(X, y)``: its own training loss on all the data."""
    import torch

    with torch.no_grad():
        mistakes = getattr(model, "_mistakes", None)  # the perceptron counts mistakes in loss()
        loss = float(model.loss((X, y)))
        if mistakes is not None:
            model._mistakes = mistakes
        acc = float((model(X).argmax(1) == y).float().mean())
    return loss, acc


def _model(body: dict[str, Any], kind: str):
    from ..models import MLP, Perceptron, RBFNetwork

    if kind == "perceptron":
        return Perceptron(2, 2), {}
    if kind == "mlp":
        hidden = get_int(body, "hidden", 8, 1, 64)
        activation = get_choice(body, "activation", "tanh", ACTIVATIONS)
        lr = get_float(body, "lr", 0.03, 1e-4, 1.0)
        return MLP(2, 2, hidden=[hidden], activation=activation), {"lr": lr,
                                                                   "batch_size": MLP_BATCH}
    n_centers = get_int(body, "n_centers", 8, 1, 50)
    lr = get_float(body, "lr", 0.03, 1e-4, 1.0)
    return RBFNetwork(2, 2, n_centers=n_centers), {"lr": lr, "batch_size": MLP_BATCH}


def train(body: dict[str, Any]) -> dict[str, Any]:
    """Train ``model`` on data set ``data`` for ``epochs`` epochs from ``seed``.

    Returns the ``points`` and their ``labels``, ``loss`` and ``accuracy`` on all the data after
    each epoch (index 0: before training; for the RBF, after its closed-form stage), the final
    ``train_accuracy`` (the perceptron's pocket weights), and the predicted class ``grid`` and
    P(class 1) ``proba`` on a ``grid_size`` x ``grid_size`` grid over ``[-LIM, LIM]^2``, row 0
    at the top (``x_2 = LIM``), column 0 at the left (``x_1 = -LIM``).
    """
    import torch

    from ..models.base import seeded_reset

    data = get_choice(body, "data", "xor", DATASETS)
    kind = get_choice(body, "model", "mlp", MODELS)
    epochs = get_int(body, "epochs", 1, 0, MAX_EPOCHS[kind])
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    G = get_int(body, "grid_size", 60, 2, MAX_GRID)
    model, options = _model(body, kind)
    Xn, yn = make_data(data, seed)
    X, y = torch.from_numpy(Xn), torch.from_numpy(yn)
    rows = _EpochMetrics(model, X, y)
    stopped = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the perceptron's ConvergenceWarning: the page shows it
        if kind == "rbf":  # epoch 0 is the closed form; then `epochs` of fine-tuning
            model.fit(X, y, epochs=epochs, seed=seed, progress=False, callbacks=[rows], **options)
            start = (float(model.history_[0]["loss"]), float(model.history_[0]["acc"]))
        else:
            seeded_reset(model, seed)  # the same start fit draws from the seed
            start = _evaluate(model, X, y)
            if epochs > 0:
                model.fit(X, y, epochs=epochs, seed=seed, progress=False, callbacks=[rows],
                          **options)
                stopped = len(rows.rows) < epochs  # the perceptron stops at an error-free epoch
    curve = [start, *rows.rows]
    xs = torch.linspace(-LIM, LIM, G)
    grid = torch.stack([xs.repeat(G), xs.flip(0).repeat_interleave(G)], dim=1)  # (G*G, 2)
    with torch.no_grad():
        model.eval()
        p1 = torch.softmax(model(grid), dim=1)[:, 1].reshape(G, G)  # (G, G)
        train_acc = float((model(X).argmax(1) == y).float().mean())
        cls = (model(grid).argmax(1)).reshape(G, G)  # argmax, ties to class 0 as predict does
    return {"data": data, "model": kind, "seed": seed, "epochs": len(curve) - 1,
            "converged": stopped, "points": Xn.round(4).tolist(), "labels": yn.tolist(),
            "loss": [c[0] for c in curve], "accuracy": [c[1] for c in curve],
            "train_accuracy": train_acc, "grid_size": G, "extent": [-LIM, LIM],
            "grid": cls.tolist(), "proba": p1.round(decimals=3).tolist(),
            "max_epochs": MAX_EPOCHS[kind]}


def routes(runs: Any = None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import post

    return [post("/api/feedforward/train", train)]
