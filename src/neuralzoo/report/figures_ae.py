"""Figures of the autoencoder family: reconstructions beside inputs, a 2-D code map coloured by
class, VAE samples and latent traversals, retrieval examples of semantic hashing."""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from ..models import VAE, SemanticHashing, StackedAutoencoder
from .plots import DPI, image_grid_figure


def _square(d: int) -> bool:
    return math.isqrt(d) ** 2 == d


def reconstruction_figure(model: nn.Module, X: torch.Tensor, n: int = 8) -> Figure:
    """Inputs (top row) and their reconstructions (bottom row); denoising models also show
    the corrupted input in the middle."""
    x = X[:n].to(next(model.parameters()).device)
    rows, titles = [x], ["input"] * len(x)
    if getattr(model, "corruption", "none") != "none":
        noisy = model.corrupt(x, generator=0)  # a generator seeded 0 on x's device
        rows.append(noisy)
        titles += ["corrupted"] * len(x)
        rows.append(model.reconstruct(noisy))
    else:
        rows.append(model.reconstruct(x))
    titles += ["reconstruction"] * len(x)
    return image_grid_figure(torch.cat(rows).cpu().numpy(), titles=titles, ncols=len(x))


def code_map_figure(codes: torch.Tensor, y: torch.Tensor, title: str) -> Figure:
    """Codes (N, 2) as points coloured by class; wider codes by their first two principal components."""
    c = codes.detach().cpu().double()
    if c.shape[1] > 2:
        c = c - c.mean(0)
        _, _, V = torch.linalg.svd(c, full_matrices=False)
        c = c @ V[:2].T
        title += " (first two principal components of the code)"
    c, y = c.numpy(), y.cpu().numpy()
    fig = Figure(figsize=(5.5, 4.8), dpi=DPI, layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    pts = ax.scatter(c[:, 0], c[:, 1], c=y, cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
    fig.colorbar(pts, ax=ax, ticks=range(10), label="class")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2" if codes.shape[1] >= 2 else "")
    return fig


def vae_figures(model: nn.Module, X: torch.Tensor) -> dict[str, Figure]:
    """Samples from the prior and a traversal of each latent dimension (up to 4)."""
    figs: dict[str, Figure] = {}
    g = torch.Generator().manual_seed(0)
    figs["VAE samples: x ~ p(x | z), z ~ N(0, I) (Bernoulli means)"] = image_grid_figure(
        model.sample(32, generator=g).cpu().numpy(), ncols=8)
    rows = [model.traverse(X[:1], dim=k, steps=9) for k in range(min(model.latent, 4))]
    titles = [f"z{k} {t:+.1f}" for k in range(len(rows)) for t in np.linspace(-3, 3, 9)]
    figs["Latent traversal: decode(mu(x) + t e_k), t in [-3, 3]"] = image_grid_figure(
        torch.cat(rows).cpu().numpy(), titles=titles, ncols=9)
    return figs


def retrieval_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n_queries: int = 4,
                     shown: int = 7) -> Figure:
    """Each row: a query, then the nearest test items by Hamming distance of their codes."""
    from ..models.autoencoder.hashing import hamming

    codes = model.hash(X)
    d = hamming(codes[:n_queries], codes).float()  # (Q, N)
    d[torch.arange(n_queries), torch.arange(n_queries)] = float("inf")  # not the query itself
    tiles, titles = [], []
    for q in range(n_queries):
        order = torch.argsort(d[q], stable=True)[:shown]
        tiles += [X[q], *X[order]]
        titles += [f"query {int(y[q])}"] + [f"{int(y[j])} d={int(d[q, j])}" for j in order]
    return image_grid_figure(torch.stack(tiles).cpu().numpy(), titles=titles, ncols=shown + 1)


def ae_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> dict[str, Figure]:
    """Every autoencoder figure that fits the model and the data."""
    figs: dict[str, Figure] = {}
    image = _square(X.shape[1])
    if image and not isinstance(model, StackedAutoencoder):
        figs["Reconstructions: inputs above, decode(encode(x)) below"] = reconstruction_figure(model, X)
    codes = model.transform(X[:1000])
    figs["Code map of the test data, coloured by class"] = code_map_figure(
        codes, y[:1000], f"{model.registry_name}: {codes.shape[1]}-unit code")
    if isinstance(model, VAE) and image:
        figs.update(vae_figures(model, X))
    if isinstance(model, SemanticHashing) and image:
        figs["Retrieval: each query, then its nearest codes (Hamming distance d)"] = retrieval_figure(
            model, X, y)
    first = getattr(model, "encoder", None)
    if image and first is not None and len(first) and not isinstance(model, VAE):
        figs["First-layer encoder weights (one tile per hidden unit)"] = image_grid_figure(
            first[0].weight.detach().cpu()[:32].numpy(), ncols=8, symmetric=True)
    return figs


def ae_sample_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int) -> Figure:
    """``neuralzoo sample``: VAE samples, hashing retrievals, or reconstructions."""
    if not _square(X.shape[1]):
        raise ValueError(f"sample: expected square images, got {X.shape[1]} features per row")
    if isinstance(model, VAE):
        return image_grid_figure(model.sample(n, generator=torch.Generator().manual_seed(0)).cpu().numpy(),
                                 ncols=8, title="VAE samples: x ~ p(x | z), z ~ N(0, I)")
    if isinstance(model, SemanticHashing):
        return retrieval_figure(model, X, y, n_queries=max(1, min(n // 8, 8)))
    return reconstruction_figure(model, X, n=min(n, 16))
