"""Autoencoders (自编码器): networks trained to give back their input.

The lecture (6.9.4): the input goes through an *encoder* (编码器) to a *code*, the hidden
layer's output (表达/特征); a *decoder* (解码器) maps the code back; training makes the
reconstruction ``z`` as close as possible to the input ``x``::

    min sum_k || x_k - z_k ||^2

so that, like the principal components of PCA, the code must capture the most important
factors of the data. This file holds the single autoencoder and its regularised variants
(denoising, sparse); the greedy stack is in ``stacked.py``, the RBM-pretrained deep
autoencoder in ``deep.py``, semantic hashing in ``hashing.py``, the VAE in ``vae.py``.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_widths, check_X
from ...config import check_choice
from ...energy.sampling import as_generator
from ..base import Trainable, count_parameters, model_device, model_dtype

ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu, "linear": lambda t: t}
RECONSTRUCTIONS = ("squared", "cross-entropy")
CORRUPTIONS = ("none", "mask", "gaussian")
SPARSITY = ("none", "kl", "l1")


def linear_on_top(x: torch.Tensor, layers: nn.ModuleList, f: Any) -> torch.Tensor:
    """``x`` (N, D) through ``layers``: ``h = f(layer(h))`` for all but the last, which stays linear."""
    *hidden, last = layers  # (slicing a ModuleList builds a new module: avoid it)
    h = x
    for layer in hidden:
        h = f(layer(h))  # (N, H_l)
    return last(h)


def check_noise(noise: float, name: str = "noise") -> float:
    """A corruption level in [0, 1): the masked fraction, or the std of the Gaussian noise."""
    noise = float(noise)
    if not 0.0 <= noise < 1.0:
        raise ValueError(f"{name} (corruption level) must lie in [0, 1): got {noise}")
    return noise


def corrupt(x: torch.Tensor, kind: str, noise: float,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """The corrupted input ``x~`` of a denoising autoencoder (Vincent et al. 2008, 2010).

    ``"mask"``: each component set to 0 with probability ``noise`` (masking noise);
    ``"gaussian"``: ``x + noise * eps``, ``eps ~ N(0, 1)`` (additive isotropic noise).
    """
    if kind == "none" or noise == 0.0:
        return x
    if kind == "mask":
        keep = torch.rand(x.shape, generator=generator, device=x.device) >= noise
        return x * keep
    return x + noise * torch.randn(x.shape, generator=generator, device=x.device)


def kl_sparsity(h: torch.Tensor, rho: float) -> torch.Tensor:
    """``sum_j KL(rho || rho_hat_j)``, ``rho_hat_j = mean_n h_nj`` (Ng's sparse autoencoder)."""
    rho_hat = h.mean(0).clamp(1e-6, 1 - 1e-6)  # (H,)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


class Autoencoder(Trainable, nn.Module):
    r"""Autoencoder with encoder sizes ``[D, H_1, ..., K]`` and a mirrored decoder.

    Encoder, code and decoder (the lecture's 编码 / code / 解码)::

        h^(0) = x~ = corrupt(x)                       (identity unless denoising)
        h^(l) = f(W^(l) h^(l-1) + b^(l))              l = 1 .. L,  code y = h^(L) (K units)
        g^(L) = y,  g^(l-1) = f(V^(l) g^(l) + c^(l))  l = L .. 1,  z = g^(0) = f_out(...)

    Reconstruction loss per example, averaged over a batch (``reconstruction="squared"`` is
    the lecture's ``min sum_k ||x_k - z_k||^2``; ``"cross-entropy"`` treats ``x`` in [0, 1] as
    Bernoulli means, ``z = sigmoid(.)``)::

        L_sq(x, z) = sum_i (x_i - z_i)^2
        L_ce(x, z) = -sum_i [x_i log z_i + (1 - x_i) log(1 - z_i)]

    Tied weights (``tied=True``): ``V^(l) = W^(l)^T``, the decoder *is* the encoder's
    weight matrix transposed (one tensor, one gradient), as in Hinton & Salakhutdinov's
    symmetric network; then the decoder must mirror the encoder.

    Regularisers: ``corruption`` ("mask" or "gaussian", level ``noise`` in [0, 1)) trains a
    denoising autoencoder, reconstructing the clean ``x`` from ``x~``; ``sparsity="kl"`` adds
    ``beta sum_j KL(rho || rho_hat_j)`` with ``rho_hat_j = mean_n y_nj`` (sigmoid code),
    ``sparsity="l1"`` adds ``beta mean_n sum_j |y_nj|``.

    Args:
        n_features: D, the width of an input row (fixed by the data).
        hidden: encoder hidden widths H_1 .. H_{L-1} ([] for none: one layer D -> K).
        code: K, the code size (the units of the code layer y).
        activation: f of the hidden layers: "sigmoid", "tanh", "relu" or "linear".
        code_activation: f of the code layer ("linear": a real-valued code).
        reconstruction: the reconstruction loss L: "squared" (the lecture's) or "cross-entropy"
            (x in [0, 1] as Bernoulli means, sigmoid outputs).
        tied: the decoder weights are the encoder's transposed, V^(l) = W^(l)^T.
        decoder_sizes: the decoder's widths from K to D (None: the encoder mirrored).
        corruption: "none", "mask" or "gaussian" (denoising).
        noise: corruption level in [0, 1): the masked fraction or the Gaussian std.
        sparsity: "none", "kl" or "l1" penalty on the code.
        sparsity_target: rho, the target mean activation of the KL penalty.
        sparsity_cost: beta, the weight of the sparsity penalty.

    Glossary (N batch, D input, H_l hidden, K code): x, z (N, D); h^(l) (N, H_l);
    y (N, K); W^(l) (H_l, H_{l-1}), b^(l) (H_l,) in ``encoder[l-1]``; V^(l) (H_{l-1}, H_l),
    c^(l) (H_{l-1},) in ``decoder`` (only the biases when tied).

    Attributes: ``encoder`` (ModuleList of Linear, Xavier-uniform weights, zero biases);
    ``decoder`` (ModuleList of Linear, untied) or ``decoder_bias`` (ParameterList, tied);
    ``sizes`` the encoder's sizes ``[D, *hidden, K]``.

    >>> import neuralzoo as nz
    >>> X, _ = nz.datasets.load("digits")
    >>> ae = Autoencoder(64, hidden=[32], code=8).fit(X, epochs=2, seed=0, progress=False)
    >>> ae.transform(X[:3]).shape, ae.reconstruct(X[:3]).shape
    (torch.Size([3, 8]), torch.Size([3, 64]))

    References: Rumelhart, Hinton & Williams 1986; Bourlard & Kamp 1988; Hinton &
    Salakhutdinov, Science 313:504, 2006; Vincent et al., JMLR 11:3371, 2010 (denoising);
    Ng, CS294A notes, 2011 (sparse).
    """

    registry_name = "autoencoder"
    # the tour's settings (issue 23: [32], a sigmoid code of 16, 20 epochs at lr 1e-3 stayed at the
    # mean image on digits, test mse 0.0741 against the tour's 0.0266)
    train_defaults = {"epochs": 25, "batch_size": 64, "lr": 3e-3, "optimizer": "adam"}
    # a 0.1 run's sizes=[D, *H, K]; its loss (a name the loss(batch) method holds now)
    sizes_hparams, renamed_hparams = ("n_features", "hidden", "code"), {"loss": "reconstruction"}
    undercomplete = True  # warn when the code is wider than the input and nothing regularises

    def __init__(self, n_features: int, *,
                 hidden: list[int] = [64],  # noqa: B006 (read, never mutated)
                 code: int = 8, activation: str = "sigmoid", code_activation: str = "linear",
                 reconstruction: str = "cross-entropy", tied: bool = False,
                 decoder_sizes: list[int] | None = None, corruption: str = "none", noise: float = 0.0,
                 sparsity: str = "none", sparsity_target: float = 0.05, sparsity_cost: float = 0.0) -> None:
        super().__init__()
        sizes = check_widths(n_features, hidden, "code", code, "[32] ([] for none)")
        hidden = sizes[1:-1]  # a copy
        mirror = sizes[::-1]
        dec = mirror if decoder_sizes is None else [int(s) for s in decoder_sizes]
        if tied and dec != mirror:
            raise ValueError(f"tied weights need the decoder to mirror the encoder: expected decoder "
                             f"sizes {mirror}, got {dec}")
        if dec[0] != sizes[-1] or dec[-1] != sizes[0] or min(dec) < 1:
            raise ValueError(f"decoder sizes must run from the code size {sizes[-1]} to the input size "
                             f"{sizes[0]}: got {dec}")
        for name, value, choices in (("activation", activation, tuple(ACTIVATIONS)),
                                     ("code_activation", code_activation, tuple(ACTIVATIONS)),
                                     ("reconstruction", reconstruction, RECONSTRUCTIONS),
                                     ("corruption", corruption, CORRUPTIONS), ("sparsity", sparsity, SPARSITY)):
            check_choice(name, value, choices)
        noise = check_noise(noise)
        if corruption != "none" and noise == 0.0:
            raise ValueError(f"corruption={corruption!r} needs a noise level in (0, 1): got 0.0")
        if sparsity == "kl" and (code_activation != "sigmoid" or not 0 < sparsity_target < 1):
            raise ValueError(f"sparsity='kl' needs a sigmoid code and 0 < sparsity_target < 1: got "
                             f"code_activation={code_activation!r}, sparsity_target={sparsity_target}")
        if sparsity_cost < 0:
            raise ValueError(f"sparsity_cost must be >= 0, got {sparsity_cost}")
        if (self.undercomplete and sizes[-1] > sizes[0] and corruption == "none"
                and (sparsity == "none" or sparsity_cost == 0)):
            warnings.warn(f"code size {sizes[-1]} is larger than the input size {sizes[0]}: an "
                          "undercomplete autoencoder with a wider code can learn the identity and "
                          "need not find useful features (add corruption or a sparsity penalty, or "
                          "shrink the code)", UserWarning, stacklevel=2)
        self.n_features, self.hidden, self.code = sizes[0], hidden, sizes[-1]
        self.n_visible = self.n_features  # the energy models' name for D
        self.sizes, self.decoder_sizes = sizes, dec  # [D, *hidden, K] and [K, ..., D]
        self.activation, self.code_activation = activation, code_activation
        self.reconstruction, self.tied = reconstruction, bool(tied)
        self.corruption, self.noise = corruption, noise
        self.sparsity, self.sparsity_target, self.sparsity_cost = sparsity, float(sparsity_target), float(sparsity_cost)
        # W^(l), b^(l): encoder[l-1] maps H_{l-1} -> H_l
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        if self.tied:  # V^(l) = W^(l)^T: only the decoder biases c^(l) are new parameters
            self.decoder_bias = nn.ParameterList(nn.Parameter(torch.zeros(s)) for s in dec[1:])
        else:
            self.decoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dec[:-1], dec[1:]))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform weights, zero biases."""
        layers = list(self.encoder) + ([] if self.tied else list(self.decoder))
        for layer in layers:
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
        if self.tied:
            for c in self.decoder_bias:
                nn.init.zeros_(c)

    # -- the model -----------------------------------------------------------------------------

    def decoder_weights(self) -> list[torch.Tensor]:
        """``V^(L), ..., V^(1)`` in decoding order, each (H_{l-1}, H_l); tied: ``W^(l)^T`` views."""
        if self.tied:
            return [layer.weight.T for layer in reversed(self.encoder)]
        return [layer.weight for layer in self.decoder]

    def _code_pre(self, x: torch.Tensor) -> torch.Tensor:
        """The code layer's input ``W^(L) h^(L-1) + b^(L)`` (N, K)."""
        return linear_on_top(x, self.encoder, ACTIVATIONS[self.activation])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code ``y = h^(L)`` (N, K) of inputs ``x`` (N, D) (differentiable, no checks)."""
        return ACTIVATIONS[self.code_activation](self._code_pre(x))

    def decode_logits(self, y: torch.Tensor) -> torch.Tensor:
        """The output layer's input (N, D): ``z = sigmoid`` of it for cross-entropy, itself for squared."""
        f = ACTIVATIONS[self.activation]
        Vs = self.decoder_weights()
        cs = list(self.decoder_bias) if self.tied else [layer.bias for layer in self.decoder]
        g = y
        for i, (V, c) in enumerate(zip(Vs, cs)):
            g = F.linear(g, V, c)  # (N, H_{l-1})
            if i < len(Vs) - 1:
                g = f(g)
        return g

    def decode(self, y: torch.Tensor) -> torch.Tensor:
        """The reconstruction ``z`` (N, D) of codes ``y`` (N, K)."""
        out = self.decode_logits(y)
        return torch.sigmoid(out) if self.reconstruction == "cross-entropy" else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``z = decode(encode(x))`` (N, D), no corruption."""
        return self.decode(self.encode(x))

    def corrupt(self, x: torch.Tensor, *, generator: torch.Generator | int | None = None) -> torch.Tensor:
        """``x~``: the input with this model's corruption (see :func:`corrupt`); ``generator``: a
        ``torch.Generator``, an int seed or None (torch's global RNG)."""
        return corrupt(x, self.corruption, self.noise, as_generator(generator, x.device))

    def reconstruction_loss(self, x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """``mean_n L(x_n, z_n)``, summed over the D components (see the class docstring)."""
        if self.reconstruction == "cross-entropy":
            return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
        return ((logits - x) ** 2).sum() / len(x)

    def penalty(self, y: torch.Tensor) -> torch.Tensor:
        """The sparsity term of the loss on codes ``y`` (N, K) (0 without sparsity)."""
        if self.sparsity == "kl" and self.sparsity_cost > 0:
            return self.sparsity_cost * kl_sparsity(y, self.sparsity_target)
        if self.sparsity == "l1" and self.sparsity_cost > 0:
            return self.sparsity_cost * y.abs().sum() / len(y)
        return y.new_zeros(())

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Reconstruction of the clean ``x`` from ``encode(corrupt(x))``, plus the sparsity term."""
        x = batch[0]
        y = self.encode(self.corrupt(x))  # 1. code of the (corrupted) input
        return self.reconstruction_loss(x, self.decode_logits(y)) + self.penalty(y)  # 2. + 3.

    # -- use ----------------------------------------------------------------------------------------

    def _check(self, X: Any, name: str = "X") -> torch.Tensor:
        return check_X(X, self.n_features, name=name, device=model_device(self), dtype=model_dtype(self))

    def _batched(self, fn, X: torch.Tensor, size: int = 4096) -> torch.Tensor:
        was = self.training
        self.eval()
        try:
            with torch.no_grad():
                return torch.cat([fn(X[i:i + size]) for i in range(0, len(X), size)])
        finally:
            self.train(was)

    def transform(self, X: Any) -> torch.Tensor:
        """The code ``y`` (N, K): the encoder alone as a feature extractor (the lecture's 只应用编码器)."""
        self._check_fitted()
        return self._batched(self.encode, self._check(X))

    def reconstruct(self, X: Any) -> torch.Tensor:
        """``z = decode(encode(x))`` (N, D)."""
        self._check_fitted()
        return self._batched(self.forward, self._check(X))

    def reconstruction_error(self, X: Any) -> float:
        """Mean over images of ``sum_i (x_i - z_i)^2`` (Hinton & Salakhutdinov's figure)."""
        X = self._check(X)
        return float(((self.reconstruct(X) - X) ** 2).sum(1).mean())

    def metrics(self, X: torch.Tensor, y: Any = None) -> dict[str, float]:
        """Validation: the training loss and the squared error per image."""
        with torch.no_grad():
            loss = float(self.loss((X,))) if self.corruption == "none" else float(
                self.reconstruction_loss(X, self.decode_logits(self.encode(X))))
            return {"loss": loss, "squared_error": float(((self(X) - X) ** 2).sum(1).mean())}

    def evaluate(self, X: Any, y: Any = None) -> dict[str, float]:
        """Held-out ``squared_error`` per image (sum over the D pixels) and ``mse`` per pixel."""
        err = self.reconstruction_error(X)
        return {"squared_error": err, "mse": err / self.n_features}

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor]:
        X = check_X(X, self.n_features)
        lo, hi = (float(v) for v in torch.aminmax(X))  # one pass over X
        if self.reconstruction == "cross-entropy" and (lo < 0 or hi > 1):
            raise ValueError("reconstruction='cross-entropy' needs inputs in [0, 1] (Bernoulli means): got "
                             f"values in [{lo:.3g}, {hi:.3g}] (use reconstruction='squared')")
        return (X,)

    def extra_repr(self) -> str:
        extra = f", {self.corruption} noise {self.noise}" if self.corruption != "none" else ""
        extra += f", {self.sparsity} sparsity" if self.sparsity != "none" else ""
        return (f"sizes={self.sizes}, tied={self.tied}, reconstruction={self.reconstruction!r}{extra}, "
                f"params={count_parameters(self):,}")


class DenoisingAutoencoder(Autoencoder):
    """Denoising autoencoder (Vincent et al. 2008): :class:`Autoencoder` with masking noise
    0.3 by default; it reconstructs the clean ``x`` from a corrupted ``x~``. Its other
    hyperparameters (``activation``, ``reconstruction``, ...) are the :class:`Autoencoder`'s.

    Args:
        hidden: encoder hidden widths H_1 .. H_{L-1} ([] for none: one layer D -> K).
        code: K, the code size (the units of the code layer y).
        code_activation: f of the code layer ("linear": a real-valued code).
        corruption: "mask" or "gaussian" (or "none": a plain autoencoder).
        noise: corruption level in [0, 1): the masked fraction or the Gaussian std.
    """

    registry_name = "denoising-autoencoder"
    # the tour's settings (issue 23: 20 epochs at lr 1e-3 gave test mse 0.0741, the tour 0.0503)
    train_defaults = {"epochs": 15, "batch_size": 64, "lr": 3e-3, "optimizer": "adam"}

    def __init__(self, n_features: int, *,
                 hidden: list[int] = [64],  # noqa: B006 (read, never mutated)
                 code: int = 16, code_activation: str = "sigmoid", corruption: str = "mask",
                 noise: float = 0.3, **kw: Any) -> None:
        super().__init__(n_features, hidden=hidden, code=code, code_activation=code_activation,
                         corruption=corruption, noise=noise, **kw)


class SparseAutoencoder(Autoencoder):
    """Sparse autoencoder: :class:`Autoencoder` with the KL penalty
    ``beta sum_j KL(rho || rho_hat_j)`` on a sigmoid code (rho 0.05, beta 1 by default): by
    default one layer ``D -> K = 100``, an overcomplete code kept sparse by the penalty. Its
    other hyperparameters (``activation``, ``reconstruction``, ...) are the :class:`Autoencoder`'s.

    Args:
        hidden: encoder hidden widths H_1 .. H_{L-1} ([] for none: one layer D -> K).
        code: K, the code size (the units of the code layer y).
        code_activation: f of the code layer (the KL penalty needs "sigmoid").
        sparsity: "kl" or "l1" penalty on the code (or "none": a plain autoencoder).
        sparsity_cost: beta, the weight of the sparsity penalty.
    """

    registry_name = "sparse-autoencoder"
    # the tour's settings (issue 23: [32] -> 16 for 20 epochs at lr 1e-3 gave test mse 0.0741,
    # the tour 0.0461)
    train_defaults = {"epochs": 15, "batch_size": 64, "lr": 3e-3, "optimizer": "adam"}

    def __init__(self, n_features: int, *,
                 hidden: list[int] = [],  # noqa: B006 (read, never mutated)
                 code: int = 100, code_activation: str = "sigmoid", sparsity: str = "kl",
                 sparsity_cost: float = 1.0, **kw: Any) -> None:
        super().__init__(n_features, hidden=hidden, code=code, code_activation=code_activation,
                         sparsity=sparsity, sparsity_cost=sparsity_cost, **kw)
