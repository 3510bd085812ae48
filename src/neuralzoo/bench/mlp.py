"""mlp: the trainer's overhead, and our MLP against scikit-learn's.

1. ``neuralzoo.fit`` training an MLP 784-100-10 (Adam, batch 100) on MNIST against a plain
   PyTorch loop over the same model, data, shuffling and optimizer, in the same process,
   alternated, median of the repeats. Target: ours <= 1.05x the plain loop per epoch.
2. The same shape in scikit-learn's ``MLPClassifier`` (adam, batch 100, lr 1e-3), time per
   epoch and test accuracy after the same number of epochs. Target: faster per epoch at
   equal (or better) accuracy.

MNIST is used when a copy is found (``neuralzoo datasets``); otherwise the embedded digits
stand in, and the rows say so.
"""

from __future__ import annotations

import statistics
import time
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .. import datasets
from ..models import MLP
from ..train import resolve_device
from .common import data_name

NAME = "mlp"
TITLE = "MLP 784-100-10: neuralzoo.fit vs a plain PyTorch loop vs scikit-learn"


def _data():
    name = data_name()
    X, y = datasets.load(name, split="train")
    X_test, y_test = datasets.load(name, split="test")
    return name, X, y, X_test, y_test


def plain_loop(X: torch.Tensor, y: torch.Tensor, sizes: list[int], epochs: int, seed: int) -> nn.Module:
    """The baseline: the loop a PyTorch user writes by hand (on the device of ``X``)."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.ReLU(), nn.Linear(sizes[1], sizes[2]))
    model.to(X.device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=g).to(X.device)
        for i in range(0, len(X), 100):
            idx = perm[i:i + 100]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model


def run(quick: bool = False) -> list[dict]:
    name, X, y, X_test, y_test = _data()
    device = resolve_device("auto")  # both sides on the same device, data already there
    X, y = X.to(device), y.to(device)
    D, C = X.shape[1], 10
    sizes = [D, 100, C]
    epochs = 1 if quick else 3
    repeats = 3 if quick else 5
    # warm-up: first calls pay for lazy initialisation inside torch; time neither of them
    MLP(D, C, hidden=sizes[1:-1]).fit(X[:1000], y[:1000], epochs=1, progress=False)
    plain_loop(X[:1000], y[:1000], sizes, 1, seed=0)
    ours_t, plain_t = [], []
    for r in range(repeats):  # alternate, so that machine noise hits both alike
        t0 = time.perf_counter()
        MLP(D, C, hidden=sizes[1:-1]).fit(X, y, epochs=epochs, batch_size=100, lr=1e-3, seed=r,
                                          progress=False)
        ours_t.append((time.perf_counter() - t0) / epochs)
        t0 = time.perf_counter()
        plain_loop(X, y, sizes, epochs, seed=r)
        if device.type == "cuda":
            torch.cuda.synchronize(device)  # the plain loop never waits for the GPU itself
        plain_t.append((time.perf_counter() - t0) / epochs)
    ratios = [o / p for o, p in zip(ours_t, plain_t)]
    data = name if name == "mnist" else f"{name} stands in for MNIST"
    rows = [{
        "name": f"fit() vs plain PyTorch loop, s/epoch ({data}, 784-100-10 Adam batch 100, {device})",
        "ours": round(statistics.median(ours_t), 4), "baseline": round(statistics.median(plain_t), 4),
        "ratio": round(statistics.median(ratios), 3), "target": "<= 1.05",
        "met": statistics.median(ratios) <= 1.05,
    }]

    # scikit-learn: same shape, same optimizer settings, same number of epochs
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    sk_epochs = 2 if quick else 5
    Xn, yn, Xt = X.cpu().numpy(), y.cpu().numpy(), X_test.numpy()
    sk_t, our_t2 = [], []
    for r in range(1 if quick else 3):
        clf = MLPClassifier(hidden_layer_sizes=(100,), solver="adam", batch_size=100,
                            learning_rate_init=1e-3, max_iter=sk_epochs, tol=0.0,
                            n_iter_no_change=10**6, random_state=r, shuffle=True)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(Xn, yn)
        sk_t.append((time.perf_counter() - t0) / sk_epochs)
        t0 = time.perf_counter()
        net = MLP(D, C, hidden=sizes[1:-1]).fit(X, y, epochs=sk_epochs, batch_size=100, lr=1e-3, seed=r,
                                                progress=False)
        our_t2.append((time.perf_counter() - t0) / sk_epochs)
    sk_acc = float((clf.predict(Xt) == y_test.numpy()).mean())
    our_acc = net.score(X_test, y_test)
    ratio = statistics.median(our_t2) / statistics.median(sk_t)
    rows.append({
        "name": f"MLP vs sklearn MLPClassifier, s/epoch ({name}; test acc after {sk_epochs} epochs: "
                f"ours {our_acc:.4f}, sklearn {sk_acc:.4f})",
        "ours": round(statistics.median(our_t2), 4), "baseline": round(statistics.median(sk_t), 4),
        "ratio": round(ratio, 3), "target": "< 1 and accuracy >= sklearn - 0.005",
        "met": ratio < 1.0 and our_acc >= sk_acc - 0.005,
        "ours_acc": round(our_acc, 4), "baseline_acc": round(sk_acc, 4),
    })
    return rows
