"""Figures of the deep generative models: DBN and DBM samples, filters of each layer, the
DBM's fantasy particles and the convergence of its mean field."""

from __future__ import annotations

import math

import torch
from matplotlib.figure import Figure
from torch import nn

from ..models import DBN
from .plots import image_grid_figure, line_figure


def _square(d: int) -> bool:
    return int(math.isqrt(d)) ** 2 == d


def layer_filters(weights: list[torch.Tensor], n: int = 32) -> list[torch.Tensor]:
    """Each layer's filters in pixel space (H_l, D): layer 1 its weights, higher layers the
    product of the weights below (a linear view of what a unit responds to)."""
    out, M = [], None
    for W in weights:  # W (n_{l-1}, n_l)
        M = W if M is None else M @ W  # (D, n_l)
        out.append(M.T[:n])
    return out


def deep_figures(model: nn.Module, X: torch.Tensor) -> dict[str, Figure]:
    """Samples, filters of each layer, and for the DBM the fantasy particles and mean-field convergence."""
    figs: dict[str, Figure] = {}
    D = model.n_features
    dbn = isinstance(model, DBN)  # else a DBM
    g = torch.Generator().manual_seed(0)
    weights = ([r.W.detach()[:model.sizes[l]].cpu() for l, r in enumerate(model.rbms)] if dbn
               else [W.detach().cpu() for W in model.W])
    if _square(D):
        for l, F in enumerate(layer_filters(weights)):
            what = "weights W_1" if l == 0 else f"W_1 ... W_{l + 1} (product)"
            figs[f"Filters of hidden layer {l + 1}: {what} as tiles"] = image_grid_figure(
                F.numpy(), ncols=8, symmetric=True)
        if dbn:
            figs["Samples: 1000 Gibbs steps in the top RBM, one down pass"] = image_grid_figure(
                model.sample(32, steps=1000, generator=g).cpu().numpy(), ncols=8)
            if model.labels:
                labels = torch.arange(model.n_classes).repeat(2)
                figs["Class-conditional samples: label units clamped (two per class)"] = image_grid_figure(
                    model.sample(len(labels), steps=1000, labels=labels, generator=g).cpu().numpy(),
                    titles=[str(int(c)) for c in labels], ncols=model.n_classes)
        else:
            figs["Fantasy particles p(v | h_1) of the persistent chains"] = image_grid_figure(
                model.fantasy_particles()[:32].cpu().numpy(), ncols=8)
            figs["Samples: 1000 Gibbs sweeps from the data marginals"] = image_grid_figure(
                model.sample(32, steps=1000, generator=g).cpu().numpy(), ncols=8)
    if not dbn:
        trace: list[float] = []
        model.mean_field(X[:500].to(model.W[0].device), steps=30, tol=0.0, trace=trace)
        figs["Mean-field convergence: largest change of mu per sweep"] = line_figure(
            list(range(1, len(trace) + 1)), {"max |Delta mu|": [max(t, 1e-12) for t in trace]},
            xlabel="sweep", ylabel="largest change (log scale)", title="mean field on 500 test images",
            logy=True)
    return figs


def deep_sample_figure(model: nn.Module, n: int) -> Figure:
    """What ``neuralzoo sample`` shows for a DBN (class-conditional with label units) or a DBM."""
    g = torch.Generator().manual_seed(0)
    if isinstance(model, DBN) and model.labels:
        labels = torch.arange(n) % model.n_classes
        return image_grid_figure(model.sample(n, steps=1000, labels=labels, generator=g).cpu().numpy(),
                                 titles=[str(int(c)) for c in labels], ncols=min(n, model.n_classes),
                                 title="DBN samples, label units clamped (1000 Gibbs steps in the top RBM)")
    what = "top RBM, one down pass" if isinstance(model, DBN) else "Gibbs sweeps of the DBM"
    return image_grid_figure(model.sample(n, steps=1000, generator=g).cpu().numpy(), ncols=8,
                             title=f"samples: 1000 steps ({what})")


__all__ = ["deep_figures", "deep_sample_figure", "layer_filters"]
