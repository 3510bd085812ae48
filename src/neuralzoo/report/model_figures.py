"""The figures of a trained model, chosen by its family: what people would rather look at.

Kept in the report layer so that model files never import matplotlib.
"""

from __future__ import annotations

import math

import torch
from matplotlib.figure import Figure
from torch import nn

from ..models.base import Classifier
from .plots import confusion_figure, image_grid_figure


def _square(d: int) -> bool:
    return int(math.isqrt(d)) ** 2 == d


def classifier_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                       class_names: list[str] | None = None) -> dict[str, Figure]:
    """Confusion matrix and misclassified examples of a classifier on (X, y)."""
    pred = model.predict(X).cpu()
    y = y.cpu()
    C = model.n_classes
    cm = torch.bincount(y * C + pred, minlength=C * C).reshape(C, C).numpy()
    figs: dict[str, Figure] = {"Confusion matrix (test)": confusion_figure(cm, class_names)}
    wrong = (pred != y).nonzero().flatten()[:24]
    if len(wrong) and _square(X.shape[1]):
        names = class_names or [str(c) for c in range(C)]
        titles = [f"{names[int(y[i])]}→{names[int(pred[i])]}" for i in wrong]
        figs["Misclassified (true→predicted)"] = image_grid_figure(
            X[wrong].cpu().numpy(), titles=titles, ncols=8)
    return figs


def weight_figures(model: nn.Module) -> dict[str, Figure]:
    """Input-layer weights or centres shown as images, by model family."""
    name = getattr(model, "registry_name", "")
    figs: dict[str, Figure] = {}
    D = getattr(model, "n_features", 0)
    if not _square(D):
        return figs
    if name == "mlp":
        W = model.layers[0].weight.detach().cpu()[:36]  # (H_1, D)
        figs["First-layer weights W^(1) (one tile per hidden unit)"] = image_grid_figure(
            W.numpy(), ncols=9, symmetric=True)
    elif name == "perceptron":
        W = model.W.detach().cpu()  # (C, D)
        figs["Perceptron weights w_c (one tile per class)"] = image_grid_figure(
            W.numpy(), titles=[str(c) for c in range(len(W))], ncols=10, symmetric=True)
    elif name == "rbf":
        mu = model.mu.detach().cpu()[:40]  # (K, D)
        figs["RBF centres mu_j"] = image_grid_figure(mu.numpy(), ncols=10)
    return figs


def model_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                  class_names: list[str] | None = None) -> dict[str, Figure]:
    """Every figure of a trained model on its test data, chosen by its family."""
    figs = weight_figures(model)
    if isinstance(model, Classifier):
        figs.update(classifier_figures(model, X, y, class_names))
    return figs


def sample_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int,
                  class_names: list[str] | None = None) -> Figure:
    """What ``neuralzoo sample`` shows: a classifier's predictions on ``n`` test images."""
    if not isinstance(model, Classifier):
        raise ValueError(f"sample: expected a model that predicts or generates, got "
                         f"{type(model).__name__} which has no sample figure yet")
    X, y = X[:n], y[:n]
    pred = model.predict(X).cpu()
    names = class_names or [str(c) for c in range(model.n_classes)]
    titles = [names[int(p)] + ("" if p == t else " ✗") for p, t in zip(pred, y)]
    return image_grid_figure(X.cpu().numpy(), titles=titles, ncols=8,
                             title="predicted class (✗ = wrong)")
