"""The figures of a trained model, chosen by its family: what people would rather look at.

Kept in the report layer so that model files never import matplotlib.
"""

from __future__ import annotations

import math

import torch
from matplotlib.figure import Figure
from torch import nn

from ..models.base import Classifier
from .figures_ae import ae_figures, ae_sample_figure, is_autoencoder
from .plots import confusion_figure, image_grid_figure, line_figure


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


def _recall_frames(model: nn.Module, probes: torch.Tensor, originals: torch.Tensor,
                   max_frames: int = 6) -> Figure:
    """One row per probe: the probe, the states after each sweep, then the stored pattern."""
    res = model.recall(probes, seed=0, return_trace=True)
    frames = res.frames  # (S+1, B, N)
    steps = list(range(frames.shape[0]))
    if len(steps) > max_frames:  # keep the first, the last and evenly spaced ones between
        steps = sorted({round(i * (len(steps) - 1) / (max_frames - 1)) for i in range(max_frames)})
    tiles, titles = [], []
    for b in range(len(probes)):
        for j, s in enumerate(steps):
            tiles.append(frames[s, b])
            titles.append("probe" if j == 0 else f"sweep {s}")
        tiles.append(originals[b])
        titles.append("stored")
    return image_grid_figure(torch.stack(tiles).cpu().numpy(), titles=titles, ncols=len(steps) + 1)


def hopfield_figures(model: nn.Module) -> dict[str, Figure]:
    """Recall from 30% flipped bits and from a half mask, energy descent, a spurious state."""
    from ..models.hopfield import find_spurious_state, flip, mask

    figs: dict[str, Figure] = {}
    if not _square(model.n_units) or model.n_stored == 0:
        return figs
    xi = model.patterns[:4]  # (B, N) +-1
    g = torch.Generator().manual_seed(0)
    noisy = flip(xi, 0.3, g)
    figs["Recall from 30% flipped bits (frames of the dynamics)"] = _recall_frames(model, noisy, xi)
    figs["Recall from the top half (bottom half masked)"] = _recall_frames(model, mask(xi, 0.5), xi)
    if hasattr(model, "recall") and getattr(model, "registry_name", "") == "hopfield":
        res = model.recall(flip(model.patterns, 0.3, g), seed=0, return_trace=True)
        E = res.energies.cpu()  # (B, S+1)
        figs["Energy E(x) = -1/2 x^T W x + theta^T x after every sweep"] = line_figure(
            list(range(E.shape[1])), {f"probe {b}": E[b].tolist() for b in range(min(len(E), 8))},
            xlabel="sweep", ylabel="energy", title="asynchronous updates never raise the energy")
        if model.n_stored >= 3:
            sp = find_spurious_state(model, 3, seed=0)
            tiles = [model.patterns[i] for i in sp.mixture] + [sp.state]
            titles = [f"stored {i}" for i in sp.mixture] + [
                "spurious fixed point" if sp.spurious else
                ("fixed point (a stored one)" if sp.fixed_point else "no fixed point")]
            figs["A mixture state: sign(xi^a + xi^b + xi^c), relaxed"] = image_grid_figure(
                torch.stack(tiles).cpu().numpy(), titles=titles, ncols=4)
    return figs


def boltzmann_figures(model: nn.Module, X: torch.Tensor) -> dict[str, Figure]:
    """Samples of the free-running machine, completions of half-images, the weights."""
    figs: dict[str, Figure] = {}
    D = model.n_visible
    if not _square(D):
        return figs
    g = torch.Generator().manual_seed(0)
    figs["Samples: 200 Gibbs sweeps from random states"] = image_grid_figure(
        model.sample(32, steps=200, generator=g).cpu().numpy(), ncols=8)
    X = X[:8].to(model.b.device)
    known = torch.arange(D, device=X.device) < D // 2  # the top half is given
    done = model.complete(X, known)
    shown = X.clone()
    shown[:, ~known] = 0.5  # grey: unknown
    tiles = torch.cat([shown, done, X]).cpu().numpy()
    titles = ["given"] * len(X) + ["completed"] * len(X) + ["true"] * len(X)
    figs["Completion: bottom half given the top half (clamped Gibbs)"] = image_grid_figure(
        tiles, titles=titles, ncols=len(X))
    W = model.W.detach().cpu()[D:, :D]  # (H, D) visible-to-hidden weights
    if len(W):
        figs["Weights from each hidden unit to the visible units"] = image_grid_figure(
            W[:32].numpy(), ncols=8, symmetric=True)
    return figs


def rbm_figures(model: nn.Module, X: torch.Tensor) -> dict[str, Figure]:
    """Filters, samples from long chains, reconstructions, hidden activations of an RBM."""
    from .plots import line_figure as _line

    figs: dict[str, Figure] = {}
    D = model.n_visible
    if _square(D):
        W = model.W.detach().cpu().T  # (H, D): one filter per hidden unit
        figs["Filters: the weights of each hidden unit (W^T as tiles)"] = image_grid_figure(
            W[:64].numpy(), ncols=8, symmetric=True)
        g = torch.Generator().manual_seed(0)
        figs["Samples: 1000 Gibbs steps from random states"] = image_grid_figure(
            model.sample(32, steps=1000, generator=g).cpu().numpy(), ncols=8)
        v = X[:8].to(model.W.device)
        figs["Reconstructions p(v | h ~ p(h | v)): data above, reconstruction below"] = image_grid_figure(
            torch.cat([v, model.reconstruct(v)]).detach().cpu().numpy(), ncols=8)
    h = model.transform(X.to(model.W.device)).detach().cpu().flatten()
    counts = torch.histc(h, bins=20, min=0.0, max=1.0)
    figs["Hidden activations p(h_j = 1 | v) on test data"] = _line(
        [round(0.025 + 0.05 * i, 3) for i in range(20)], {"fraction": (counts / counts.sum()).tolist()},
        xlabel="p(h_j = 1 | v)", ylabel="fraction of (example, unit) pairs")
    return figs


def cnn_figures(model: nn.Module, X: torch.Tensor) -> dict[str, Figure]:
    """First-layer kernels, the feature maps of one input through every layer, and (for the
    lecture's network) the classical filters of the lecture applied to the same image."""
    from ..models.cnn.ops import CLASSICAL_FILTERS, apply_filter

    figs: dict[str, Figure] = {}
    K = model.first_layer_filters  # (C_out, C_in, k, k)
    figs["First-layer kernels (input channel 0)"] = image_grid_figure(
        K[:, 0].numpy(), titles=[f"K{j}" for j in range(len(K))][:64], ncols=8, symmetric=True)
    for name, maps in model.feature_maps(X[:1]):  # (C, H, W) per layer
        if maps.dim() == 3 and min(maps.shape[1:]) > 1:
            figs[f"Feature maps of one test image: {name}"] = image_grid_figure(
                maps[:8].numpy(), titles=[f"{name}[{c}]" for c in range(min(8, len(maps)))], ncols=8)
    if getattr(model, "registry_name", "") == "lecture-cnn":
        side = int(math.isqrt(X.shape[1])) if X.dim() == 2 else X.shape[-1]
        img = X[0].reshape(side, side).cpu()
        names = list(CLASSICAL_FILTERS)
        tiles = [img] + [apply_filter(img, n) for n in names]
        tiles = [(t - t.min()) / (t.max() - t.min()).clamp_min(1e-12) for t in tiles]  # own scale each
        figs["The lecture's classical filters on one image (zero padding 1)"] = image_grid_figure(
            torch.stack(tiles).numpy(), titles=["image", *names], ncols=len(tiles))
    return figs


def capacity_figure(curve: dict) -> Figure:
    """The hopfield-capacity curves against alpha = P/N, alpha_c and N/(2 ln N) marked."""
    series = {k: curve[k] for k in ("fixed_fraction", "overlap", "bit_error", "bit_error_theory")
              if k in curve}
    return line_figure(curve["alpha"], series, xlabel="alpha = P / N", ylabel="fraction",
                       title=f"Hebbian Hopfield network, N = {curve.get('n')}",
                       vlines=curve.get("marks"))


def model_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                  class_names: list[str] | None = None) -> dict[str, Figure]:
    """Every figure of a trained model on its test data, chosen by its family."""
    if getattr(model, "sequence_model", False):  # RNN, LSTM: their own figures
        from .figures_rnn import rnn_figures
        return rnn_figures(model, X, y, class_names)
    figs = weight_figures(model)
    if isinstance(model, Classifier):
        figs.update(classifier_figures(model, X, y, class_names))
    name = getattr(model, "registry_name", "")
    if name.endswith("hopfield"):
        figs.update(hopfield_figures(model))
    elif name == "boltzmann":
        figs.update(boltzmann_figures(model, X))
    elif name == "rbm":
        figs.update(rbm_figures(model, X))
    elif name in ("dbn", "dbm"):
        from .figures_deep import deep_figures

        figs.update(deep_figures(model, X))
    elif name in ("cnn", "lenet5", "lecture-cnn"):
        figs.update(cnn_figures(model, X))
    elif is_autoencoder(model):
        figs.update(ae_figures(model, X, y))
    return figs


def sample_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int,
                  class_names: list[str] | None = None) -> Figure:
    """What ``neuralzoo sample`` shows: a classifier's predictions on ``n`` test images, or a
    memory's recall of its stored patterns from 30% flipped bits."""
    if getattr(model, "sequence_model", False) and model.task != "classify":
        from .figures_rnn import sample_figure as rnn_sample_figure
        return rnn_sample_figure(model, X, y, n)
    if getattr(model, "registry_name", "").endswith("hopfield") and _square(model.n_units):
        from ..models.hopfield import flip

        xi = model.patterns[:n]
        return _recall_frames(model, flip(xi, 0.3, torch.Generator().manual_seed(0)), xi)
    if getattr(model, "registry_name", "") in ("boltzmann", "rbm") and _square(model.n_visible):
        g = torch.Generator().manual_seed(0)
        return image_grid_figure(model.sample(n, steps=200, generator=g).cpu().numpy(), ncols=8,
                                 title="samples after 200 Gibbs sweeps")
    if getattr(model, "registry_name", "") in ("dbn", "dbm"):
        from .figures_deep import deep_sample_figure

        return deep_sample_figure(model, n)
    if is_autoencoder(model) and not isinstance(model, Classifier):
        return ae_sample_figure(model, X, y, n)
    if not isinstance(model, Classifier):
        raise ValueError(f"sample: expected a model that predicts or generates, got "
                         f"{type(model).__name__} which has no sample figure yet")
    X, y = X[:n], y[:n]
    pred = model.predict(X).cpu()
    names = class_names or [str(c) for c in range(model.n_classes)]
    titles = [names[int(p)] + ("" if p == t else " ✗") for p, t in zip(pred, y)]
    return image_grid_figure(X.cpu().numpy(), titles=titles, ncols=8,
                             title="predicted class (✗ = wrong)")
