"""What the reproductions share: the train and test splits of a dataset (fewer training rows for
a quick run), an MLP trained on them and scored on the test split, a row of results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .. import datasets
from ..models import MLP

QUICK_LIMIT = 10_000  # training rows of a quick run (a smoke test)


def train_test(load: Callable[..., Any], data: str, *, quick: bool, quick_limit: int = QUICK_LIMIT,
               **options: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``X, y, X_test, y_test``: the splits of ``data`` by ``load`` (the reproduction's
    ``datasets.load``, which a test may replace) with ``options``; a ``quick`` run keeps the first
    ``quick_limit`` training rows, and the whole test split."""
    X, y = load(data, split="train", **options)
    X_test, y_test = load(data, split="test", **options)
    if quick:
        X, y = X[:quick_limit], y[:quick_limit]
    return X, y, X_test, y_test


def mlp_test_accuracy(data: str, hidden: list[int], *, quick: bool, epochs: int,
                      dropout: float = 0.0, quick_limit: int = QUICK_LIMIT, quick_epochs: int = 3,
                      **train: Any) -> float:
    """Test accuracy of an MLP ``[784, *hidden, 10]`` trained on ``data`` (no peeking at test)."""
    X, y, X_test, y_test = train_test(datasets.load, data, quick=quick, quick_limit=quick_limit)
    if quick:
        epochs = quick_epochs
    net = MLP(X.shape[1], 10, hidden=list(hidden), activation="relu", dropout=dropout)
    net.fit(X, y, epochs=epochs, **train)
    return net.score(X_test, y_test)


def row(name: str, ours: float, published: float | None, target: float, *, note: str = "") -> dict:
    """One reproduction row; ``met`` is ``ours >= target``."""
    return {"name": name, "ours": round(ours, 4), "published": published,
            "target": f">= {target}", "met": bool(ours >= target), **({"note": note} if note else {})}
