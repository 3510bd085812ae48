"""What the reproductions share: train an MLP on a dataset and score it on the test split."""

from __future__ import annotations

from typing import Any

from .. import datasets
from ..models import MLP


def mlp_test_accuracy(data: str, hidden: list[int], *, quick: bool, epochs: int,
                      dropout: float = 0.0, quick_limit: int = 10_000, quick_epochs: int = 3,
                      **train: Any) -> float:
    """Test accuracy of an MLP ``[784, *hidden, 10]`` trained on ``data`` (no peeking at test)."""
    X, y = datasets.load(data, split="train")
    X_test, y_test = datasets.load(data, split="test")
    if quick:
        X, y, epochs = X[:quick_limit], y[:quick_limit], quick_epochs
    net = MLP(X.shape[1], 10, hidden=list(hidden), activation="relu", dropout=dropout)
    net.fit(X, y, epochs=epochs, **train)
    return net.score(X_test, y_test)


def row(name: str, ours: float, published: float | None, target: float, *, note: str = "") -> dict:
    """One reproduction row; ``met`` is ``ours >= target``."""
    return {"name": name, "ours": round(ours, 4), "published": published,
            "target": f">= {target}", "met": bool(ours >= target), **({"note": note} if note else {})}
