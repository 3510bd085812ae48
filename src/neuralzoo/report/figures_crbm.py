"""Figures of the convolutional RBM and DBN: the filters, the pooled feature maps of test images
layer by layer, reconstructions and samples (registered in :mod:`.model_figures`)."""

from __future__ import annotations

import torch
from matplotlib.figure import Figure
from torch import nn

from ..models.crbm import ConvDBN, ConvRBM
from .plots import image_grid_figure, line_figure


def filters_figure(layer: ConvRBM, n: int = 64) -> Figure:
    """The first ``n`` filters ``W^k`` of a layer (its first input channel), one tile each."""
    W = layer.W.detach().cpu()[:n, 0]  # (K, NW, NW)
    return image_grid_figure(W.numpy(), titles=[f"W^{k}" for k in range(len(W))], ncols=8, symmetric=True)


def pooled_maps_figure(maps: torch.Tensor, n: int = 16) -> Figure:
    """The pooled maps ``P(p^k = 1 | v)`` (K, NP, NP') of one image, the first ``n`` groups."""
    return image_grid_figure(maps[:n].numpy(), titles=[f"p^{k}" for k in range(min(n, len(maps)))], ncols=8)


def crbm_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                 class_names: list[str] | None = None) -> dict[str, Figure]:
    """Filters, pooled feature maps of one test image per layer, the histogram of pooled
    activations; for a single ConvRBM also reconstructions and samples."""
    layers = list(model.layers) if isinstance(model, ConvDBN) else [model]
    device = layers[0].W.device
    figs: dict[str, Figure] = {}
    single = len(layers) == 1
    L0, H, W = layers[0].input_shape
    x = X[:1].to(device)
    for l, layer in enumerate(layers):
        where = "" if single else f" (layer {l + 1})"
        if l == 0 or layer.filter_size > 1:
            figs[f"Filters W^k{where}: input channel 0, one tile per group"] = filters_figure(layer)
        feats = layer.transform(x)  # (1, K NP NP')
        maps = feats.view(*layer.pooled_shape).cpu()
        if min(layer.pooled_shape[1:]) > 1:
            figs[f"Pooled feature maps P(p^k = 1 | v) of one test image{where}"] = pooled_maps_figure(maps)
        x = feats
    acts = layers[0].transform(X[:200].to(device)).cpu().flatten()
    counts = torch.histc(acts, bins=20, min=0.0, max=1.0)
    figs["Pooled activations P(p^k = 1 | v) of layer 1 on test data"] = line_figure(
        [round(0.025 + 0.05 * i, 3) for i in range(20)], {"fraction": (counts / counts.sum()).tolist()},
        xlabel="P(p = 1 | v)", ylabel="fraction of (example, pooling unit) pairs")
    if single and L0 == 1:
        v = X[:8].to(device)
        figs["Reconstructions P(v | h = P(h | v)): data above, reconstruction below"] = image_grid_figure(
            torch.cat([v.reshape(len(v), -1), model.reconstruct(v)]).view(-1, H, W).cpu().numpy(), ncols=8)
        g = torch.Generator(device=device).manual_seed(0)
        figs["Samples: 1000 Gibbs steps from the training pixels' means"] = image_grid_figure(
            model.sample(16, steps=1000, generator=g).view(-1, H, W).cpu().numpy(), ncols=8)
    return figs


__all__ = ["crbm_figures", "filters_figure", "pooled_maps_figure"]
