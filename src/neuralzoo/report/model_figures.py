"""The figures of a trained model, chosen by its class: what people would rather look at.

Each family registers its figures once, on its class: :func:`figures_for` over a function
``fn(model, X, y, class_names) -> {title: Figure}``, and :func:`sample_figure_for` over what
``neuralzoo sample`` draws. :func:`model_figures` calls the function of the nearest class of
the model's MRO, as Python resolves a method, so a subclass gets its parent's figures (a
``GaussianRBM`` is an ``RBM``). A subclass overrides them by registering a function of its
own, and adds to them by calling :func:`inherited_figures` (the ``super()`` of figures) in it::

    class MyRBM(RBM): ...

    @figures_for(MyRBM)
    def my_rbm_figures(model, X, y, class_names=None):
        figs = inherited_figures(MyRBM, model, X, y, class_names)  # the RBM's figures
        figs["My figure"] = my_figure(model)
        return figs

Kept in the report layer so that model files never import matplotlib.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from matplotlib.figure import Figure
from torch import nn

from ..models import (
    CNN,
    DBM,
    DBN,
    LSTM,
    MLP,
    RBM,
    VAE,
    Autoencoder,
    BoltzmannMachine,
    Classifier,
    ContinuousHopfield,
    ConvDBN,
    ConvRBM,
    ElmanRNN,
    GaussianRBM,
    Hopfield,
    LectureCNN,
    LeNet5,
    LinearRBM,
    ModernHopfield,
    Perceptron,
    RBFNetwork,
    StackedAutoencoder,
)
from .figures_ae import ae_figures, ae_sample_figure
from .figures_crbm import crbm_figures
from .figures_deep import deep_figures, deep_sample_figure
from .figures_rnn import rnn_figures
from .figures_rnn import sample_figure as rnn_sample_figure
from .plots import confusion_figure, image_grid_figure, line_figure
from .registry import ByClass

FigureFn = Callable[[nn.Module, torch.Tensor, torch.Tensor, list[str] | None], dict[str, Figure]]
SampleFigureFn = Callable[[nn.Module, torch.Tensor, torch.Tensor, int, list[str] | None], Figure]

FIGURES: ByClass[FigureFn] = ByClass("figures_for")
SAMPLE_FIGURES: ByClass[SampleFigureFn] = ByClass("sample_figure_for")


def figures_for(*classes: type) -> Callable[[FigureFn], FigureFn]:
    """Decorator: ``fn(model, X, y, class_names) -> {title: Figure}`` draws the figures of
    each of ``classes`` and of their subclasses (those that register none of their own)."""
    return FIGURES.register(*classes)


def sample_figure_for(*classes: type) -> Callable[[SampleFigureFn], SampleFigureFn]:
    """Decorator: ``fn(model, X, y, n, class_names) -> Figure`` draws what ``neuralzoo
    sample`` shows for each of ``classes`` and of their subclasses."""
    return SAMPLE_FIGURES.register(*classes)


def inherited_figures(cls: type, model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                      class_names: list[str] | None = None) -> dict[str, Figure]:
    """The figures ``model`` would get if ``cls`` (a class of its MRO) registered none: what
    a subclass's figure function calls to add to its parent's figures."""
    fn = FIGURES.inherited(cls, model)
    return {} if fn is None else fn(model, X, y, class_names)


def model_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                  class_names: list[str] | None = None) -> dict[str, Figure]:
    """Every figure of a trained model on its test data: those of the nearest class of its
    MRO that registered figures (none: no figures)."""
    fn = FIGURES.lookup(type(model))
    return {} if fn is None else fn(model, X, y, class_names)


def sample_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int,
                  class_names: list[str] | None = None) -> Figure:
    """What ``neuralzoo sample`` shows: a classifier's predictions on ``n`` test images, a
    memory's recall of its stored patterns from 30% flipped bits, a generative model's samples."""
    fn = SAMPLE_FIGURES.lookup(type(model))
    if fn is None:
        raise _no_sample_figure(model)
    return fn(model, X, y, n, class_names)


def _no_sample_figure(model: nn.Module) -> ValueError:
    return ValueError(f"sample: expected a model that predicts or generates, got "
                      f"{type(model).__name__} which has no sample figure yet")


def _square(d: int) -> bool:
    return int(math.isqrt(d)) ** 2 == d


# -- classifiers ----------------------------------------------------------------------------------


@figures_for(Classifier)
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
        # short names on one line ("3 → 8"), long ones ("T-shirt/top") on two
        sep = " → " if max(map(len, names)) <= 3 else "\n→ "
        titles = [f"{names[int(y[i])]}{sep}{names[int(pred[i])]}" for i in wrong]
        figs["Misclassified (true→predicted)"] = image_grid_figure(
            X[wrong].cpu().numpy(), titles=titles, ncols=8)
    return figs


@sample_figure_for(Classifier)
def predictions_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int,
                       class_names: list[str] | None = None) -> Figure:
    """A classifier's predictions on the first ``n`` test images, the wrong ones marked."""
    X, y = X[:n], y[:n]
    pred = model.predict(X).cpu()
    names = class_names or [str(c) for c in range(model.n_classes)]
    titles = [names[int(p)] + ("" if p == t else " ✗") for p, t in zip(pred, y)]
    return image_grid_figure(X.cpu().numpy(), titles=titles, ncols=8,
                             title="predicted class (✗ = wrong)")


@figures_for(Perceptron)
def perceptron_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                       class_names: list[str] | None = None) -> dict[str, Figure]:
    """The weights of each class as an image (square inputs), then the classifier's figures."""
    figs: dict[str, Figure] = {}
    if _square(model.n_features):
        W = model.W.detach().cpu()  # (C, D)
        figs["Perceptron weights w_c (one tile per class)"] = image_grid_figure(
            W.numpy(), titles=[str(c) for c in range(len(W))], ncols=10, symmetric=True)
    return {**figs, **classifier_figures(model, X, y, class_names)}


@figures_for(MLP)
def mlp_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                class_names: list[str] | None = None) -> dict[str, Figure]:
    """The first layer's weights as images (square inputs), then the classifier's figures."""
    figs: dict[str, Figure] = {}
    if _square(model.n_features):
        W = model.layers[0].weight.detach().cpu()[:36]  # (H_1, D)
        figs["First-layer weights W^(1) (one tile per hidden unit)"] = image_grid_figure(
            W.numpy(), ncols=9, symmetric=True)
    return {**figs, **classifier_figures(model, X, y, class_names)}


@figures_for(RBFNetwork)
def rbf_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                class_names: list[str] | None = None) -> dict[str, Figure]:
    """The centres as images (square inputs), then the classifier's figures."""
    figs: dict[str, Figure] = {}
    mu = model.mu.detach().cpu()[:40]  # (K, D)
    if _square(mu.shape[1]):
        figs["RBF centres mu_j"] = image_grid_figure(mu.numpy(), ncols=10)
    return {**figs, **classifier_figures(model, X, y, class_names)}


# -- associative memories -------------------------------------------------------------------------


def _recall_frames(model: nn.Module, probes: torch.Tensor, originals: torch.Tensor,
                   max_frames: int = 6) -> Figure:
    """One row per probe: the probe, the states after each sweep, then the stored pattern."""
    res = model.recall(probes, generator=0, return_trace=True)
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


@figures_for(Hopfield, ContinuousHopfield, ModernHopfield)
def hopfield_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                     class_names: list[str] | None = None) -> dict[str, Figure]:
    """Recall from 30% flipped bits and from a half mask; for the discrete network the
    energy descent and a spurious state."""
    from ..models.hopfield import find_spurious_state, flip, mask

    figs: dict[str, Figure] = {}
    if not _square(model.n_units) or model.n_stored == 0:
        return figs
    xi = model.patterns[:4]  # (B, N) +-1
    g = torch.Generator().manual_seed(0)
    noisy = flip(xi, 0.3, g)
    figs["Recall from 30% flipped bits (frames of the dynamics)"] = _recall_frames(model, noisy, xi)
    figs["Recall from the top half (bottom half masked)"] = _recall_frames(model, mask(xi, 0.5), xi)
    if isinstance(model, Hopfield):  # asynchronous sign updates: an energy that never rises
        res = model.recall(flip(model.patterns, 0.3, g), generator=0, return_trace=True)
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


@sample_figure_for(Hopfield, ContinuousHopfield, ModernHopfield)
def recall_sample_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int,
                         class_names: list[str] | None = None) -> Figure:
    """The recall of the first ``n`` stored patterns from 30% flipped bits."""
    from ..models.hopfield import flip

    if not _square(model.n_units):
        raise _no_sample_figure(model)
    xi = model.patterns[:n]
    return _recall_frames(model, flip(xi, 0.3, torch.Generator().manual_seed(0)), xi)


# -- Boltzmann machines ---------------------------------------------------------------------------


def _visible_samples(model: nn.Module, n: int, steps: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` visible states (n, D) after ``steps`` Gibbs steps from random states. Gaussian
    visible units show the mean ``b + W h`` of the last step instead of its sample: the
    sample adds noise of variance sigma_i^2 (the data's own variance, once standardised) to
    every pixel and would hide the digit."""
    if not isinstance(model, GaussianRBM):
        return model.sample(n, steps=steps, generator=generator)
    v = model.sample(n, steps=steps - 1, generator=generator)  # (n, D) data units
    with torch.no_grad():
        _, h = model.sample_h((v - model.x_mean) / model.x_std, generator)  # (n, H)
        return model.p_v_given_h(h) * model.x_std + model.x_mean  # (n, D) data units


@figures_for(BoltzmannMachine)
def boltzmann_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                      class_names: list[str] | None = None) -> dict[str, Figure]:
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


@figures_for(RBM)
def rbm_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                class_names: list[str] | None = None) -> dict[str, Figure]:
    """Filters, samples from long chains, reconstructions, hidden activations of an RBM (of
    its Gaussian-visible variant: the samples' means; of the linear-hidden one: its code)."""
    figs: dict[str, Figure] = {}
    D = model.n_visible
    if _square(D):
        W = model.W.detach().cpu().T  # (H, D): one filter per hidden unit
        figs["Filters: the weights of each hidden unit (W^T as tiles)"] = image_grid_figure(
            W[:64].numpy(), ncols=8, symmetric=True)
        g = torch.Generator().manual_seed(0)
        title = ("Samples: 1000 Gibbs steps from random states" if not isinstance(model, GaussianRBM)
                 else "Samples: 1000 Gibbs steps from random states, the last one's mean b + W h shown")
        figs[title] = image_grid_figure(_visible_samples(model, 32, 1000, g).cpu().numpy(), ncols=8)
        v = X[:8].to(model.W.device)
        figs["Reconstructions p(v | h ~ p(h | v)): data above, reconstruction below"] = image_grid_figure(
            torch.cat([v, model.reconstruct(v)]).detach().cpu().numpy(), ncols=8)
    h = model.transform(X.to(model.W.device)).detach().cpu().flatten()  # (N H,)
    if isinstance(model, LinearRBM):  # linear hidden units: a real-valued code, not probabilities
        lo, hi = float(h.min()), float(h.max())
        hi = max(hi, lo + 1e-6)
        counts = torch.histc(h, bins=20, min=lo, max=hi)
        centres = [round(lo + (hi - lo) * (i + 0.5) / 20, 3) for i in range(20)]
        figs["Hidden code E[h_j | v] = a_j + sum_i w_ij v_i on test data"] = line_figure(
            centres, {"fraction": (counts / counts.sum()).tolist()},
            xlabel="E[h_j | v]", ylabel="fraction of (example, unit) pairs")
        return figs
    counts = torch.histc(h, bins=20, min=0.0, max=1.0)
    figs["Hidden activations p(h_j = 1 | v) on test data"] = line_figure(
        [round(0.025 + 0.05 * i, 3) for i in range(20)], {"fraction": (counts / counts.sum()).tolist()},
        xlabel="p(h_j = 1 | v)", ylabel="fraction of (example, unit) pairs")
    return figs


@sample_figure_for(BoltzmannMachine, RBM)
def gibbs_sample_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int,
                        class_names: list[str] | None = None) -> Figure:
    """``n`` samples of the free-running machine after 200 Gibbs sweeps."""
    if not _square(model.n_visible):
        raise _no_sample_figure(model)
    g = torch.Generator().manual_seed(0)
    title = ("samples after 200 Gibbs sweeps" if not isinstance(model, GaussianRBM)
             else "samples after 200 Gibbs sweeps (the last one's mean b + W h)")
    return image_grid_figure(_visible_samples(model, n, 200, g).cpu().numpy(), ncols=8, title=title)


@figures_for(DBN, DBM)
def dbn_dbm_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                    class_names: list[str] | None = None) -> dict[str, Figure]:
    """The classifier's figures, then samples and the filters of every layer."""
    return {**classifier_figures(model, X, y, class_names), **deep_figures(model, X)}


@sample_figure_for(DBN, DBM)
def dbn_dbm_sample_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int,
                          class_names: list[str] | None = None) -> Figure:
    """``n`` samples (class-conditional for a DBN with label units)."""
    return deep_sample_figure(model, n)


# -- convolutional and recurrent networks ---------------------------------------------------------


@figures_for(CNN, LeNet5, LectureCNN)
def cnn_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                class_names: list[str] | None = None) -> dict[str, Figure]:
    """The classifier's figures, first-layer kernels, the feature maps of one input through
    every layer, and (for the lecture's network) the lecture's classical filters applied to
    the same image."""
    from ..models.cnn.ops import CLASSICAL_FILTERS, apply_filter

    figs = classifier_figures(model, X, y, class_names)
    K = model.first_layer_filters  # (C_out, C_in, k, k)
    figs["First-layer kernels (input channel 0)"] = image_grid_figure(
        K[:, 0].numpy(), titles=[f"K{j}" for j in range(len(K))][:64], ncols=8, symmetric=True)
    for name, maps in model.feature_maps(X[:1]):  # (C, H, W) per layer
        if maps.dim() == 3 and min(maps.shape[1:]) > 1:
            figs[f"Feature maps of one test image: {name}"] = image_grid_figure(
                maps[:8].numpy(), titles=[f"{name}[{c}]" for c in range(min(8, len(maps)))], ncols=8)
    if isinstance(model, LectureCNN):
        side = int(math.isqrt(X.shape[1])) if X.dim() == 2 else X.shape[-1]
        img = X[0].reshape(side, side).cpu()
        names = list(CLASSICAL_FILTERS)
        tiles = [img] + [apply_filter(img, n) for n in names]
        tiles = [(t - t.min()) / (t.max() - t.min()).clamp_min(1e-12) for t in tiles]  # own scale each
        figs["The lecture's classical filters on one image (zero padding 1)"] = image_grid_figure(
            torch.stack(tiles).numpy(), titles=["image", *names], ncols=len(tiles))
    return figs


figures_for(ElmanRNN, LSTM)(rnn_figures)

figures_for(ConvRBM, ConvDBN)(crbm_figures)


@sample_figure_for(ElmanRNN, LSTM)
def recurrent_sample_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int,
                            class_names: list[str] | None = None) -> Figure:
    """A classifying network's predictions; text, sums or copies of the others."""
    if model.task == "classify":
        return predictions_figure(model, X, y, n, class_names)
    return rnn_sample_figure(model, X, y, n)


# -- autoencoders ---------------------------------------------------------------------------------


@figures_for(Autoencoder, VAE)
def autoencoder_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                        class_names: list[str] | None = None) -> dict[str, Figure]:
    """Reconstructions, the code map, and each variant's own figures."""
    return ae_figures(model, X, y)


@figures_for(StackedAutoencoder)
def stacked_autoencoder_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                                class_names: list[str] | None = None) -> dict[str, Figure]:
    """The classifier's figures, then the code map of its top layer."""
    return {**classifier_figures(model, X, y, class_names), **ae_figures(model, X, y)}


@sample_figure_for(Autoencoder, VAE)
def autoencoder_sample_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int,
                              class_names: list[str] | None = None) -> Figure:
    """VAE samples, hashing retrievals, or reconstructions."""
    return ae_sample_figure(model, X, y, n)


def capacity_figure(curve: dict) -> Figure:
    """The hopfield-capacity curves against alpha = P/N, alpha_c and N/(2 ln N) marked."""
    series = {k: curve[k] for k in ("fixed_fraction", "overlap", "bit_error", "bit_error_theory")
              if k in curve}
    return line_figure(curve["alpha"], series, xlabel="alpha = P / N", ylabel="fraction",
                       title=f"Hebbian Hopfield network, N = {curve.get('n')}",
                       vlines=curve.get("marks"))
