r"""Convolutional neural networks (卷积神经网络): the lecture's example network and a modern
small CNN, on the shared base :class:`ConvNet` (LeNet-5 lives in :mod:`.cnn_lenet`).

A convolution layer replaces the full connection of an MLP by **local connection** (each
unit sees a k x k window, 局部连接) and **weight sharing** (every window of a map uses the
same kernel, 权值共享); pooling then aggregates each 2x2 region of a map (max or mean)::

    y_j^L = f( sum_i (y_i^{L-1} * K_ij) + w_j )          convolution, then the non-linearity
    s_j   = pool_2x2(y_j^L)                               down-sampling of every map

The lecture allows the non-linearity after pooling as well (特别指出：也可以在pooling之后求
激励): ``activation_after_pool=True`` computes ``f(pool(sum_i y_i * K_ij + w_j))``. With max
pooling and a monotone ``f`` the two orders give the same maps; with average pooling they
differ. The whole network is trained by back-propagation (autograd); how the error passes
through pooling is explained in :mod:`.cnn_ops`.

Glossary (N batch, C maps, H x W map size, k kernel size, C_out classes):
    x: (N, C, H, W) images (flat (N, C H W) rows and (N, H, W) grey images are accepted);
    K: (C_out, C_in, k, k) kernels of a layer;  w: (C_out,) thresholds;  o: (N, C) logits.

``ops="fused"`` (default) runs PyTorch's kernels; ``ops="reference"`` runs the from-scratch
im2col convolution and pooling of :mod:`.cnn_ops` (same results, slower).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..config import check_choice
from ..train import as_tensor
from . import cnn_ops
from .base import Classifier, Trainable, check_X, check_y, count_parameters, model_device

OPS: dict[str, tuple[Callable, Callable, Callable]] = {  # (conv2d, max_pool2d, avg_pool2d)
    "fused": (F.conv2d, F.max_pool2d, F.avg_pool2d),
    "reference": (cnn_ops.conv2d, cnn_ops.max_pool2d, cnn_ops.avg_pool2d),
}


def scaled_tanh(a: torch.Tensor) -> torch.Tensor:
    """LeCun's squashing function ``1.7159 tanh(2a/3)`` (f(+-1) = +-1, LeCun et al. 1998, App. A)."""
    return 1.7159 * torch.tanh(a * (2.0 / 3.0))


ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "scaled_tanh": scaled_tanh,
}

# one step of the layer stack, for the size check: (name, what, kernel, stride, padding, maps)
Geometry = tuple[str, str, int, int, int, int]


def image_shape(n_features: int) -> tuple[int, int, int]:
    """The (C, H, W) of flat rows of ``n_features``: a square grey image, else a square RGB one.

    >>> image_shape(64), image_shape(784), image_shape(3072)
    ((1, 8, 8), (1, 28, 28), (3, 32, 32))
    """
    for c in (1, 3):
        side = math.isqrt(n_features // c)
        if n_features % c == 0 and side * side * c == n_features and side > 0:
            return (c, side, side)
    raise ValueError(f"cannot infer an image shape from {n_features} features: expected C x H x H "
                     "with C = 1 or 3 (set input_shape in the model config)")


def min_size(geometry: list[Geometry]) -> int:
    """The smallest input side for which every step of ``geometry`` leaves a map of side >= 1."""
    need = 1
    for _, _, k, s, p, _ in reversed(geometry):
        need = max(1, (need - 1) * s + k - 2 * p)
    return need


class ConvNet(Trainable, Classifier, nn.Module):
    """What the convolutional networks share: image input checks, the size check of the layer
    stack, the choice of fused or reference ops, ``feature_maps`` and the classifier loss.

    A subclass builds its layers, calls :meth:`_setup`, and defines ``_geometry()`` (the
    kernels and pools, for the size check), ``_steps()`` (named functions from maps to maps,
    in forward order) and ``_head(h)`` (flattened maps -> logits).
    """

    train_defaults = {"epochs": 10, "batch_size": 64, "lr": 1e-3, "optimizer": "adam"}
    input_shape: tuple[int, int, int]
    first_conv: nn.Conv2d

    def _setup(self, input_shape: Any, n_classes: int, ops: str, activation: str,
               activation_after_pool: bool, upscale: int, pad: int) -> None:
        shape = tuple(int(s) for s in input_shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(f"input_shape must be (C, H, W) with sizes >= 1, got {tuple(input_shape)}")
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes}")
        check_choice("ops", ops, tuple(OPS))
        check_choice("activation", activation, tuple(ACTIVATIONS))
        if upscale < 1 or pad < 0:
            raise ValueError(f"upscale must be >= 1 and pad >= 0, got upscale={upscale}, pad={pad}")
        self.input_shape = shape  # type: ignore[assignment]
        self.n_features = shape[0] * shape[1] * shape[2]
        self.n_classes = int(n_classes)
        self.ops, self.activation = ops, activation
        self.activation_after_pool = bool(activation_after_pool)
        self.upscale, self.pad = int(upscale), int(pad)
        self.f = ACTIVATIONS[activation]
        self.conv2d, self._max_pool, self._avg_pool = OPS[ops]

    # -- geometry -------------------------------------------------------------------------
    def _geometry(self) -> list[Geometry]:
        raise NotImplementedError

    def _prepared_size(self) -> tuple[int, int]:
        _, H, W = self.input_shape
        return H * self.upscale + 2 * self.pad, W * self.upscale + 2 * self.pad

    def map_shapes(self) -> list[tuple[str, tuple[int, int, int]]]:
        """``(name, (C, H, W))`` of the input (after upscale/pad) and of every layer's maps.

        Raises ValueError naming the layer where a map would shrink to nothing.
        """
        C = self.input_shape[0]
        H, W = self._prepared_size()
        shapes = [("input", (C, H, W))]
        for name, what, k, s, p, maps in self._geometry():
            H2, W2 = cnn_ops.output_size(H, k, s, p), cnn_ops.output_size(W, k, s, p)
            if H2 < 1 or W2 < 1:
                need = min_size(self._geometry())
                raw = max(1, math.ceil((need - 2 * self.pad) / self.upscale))
                c0, h0, w0 = self.input_shape
                how = "" if (self.upscale, self.pad) == (1, 0) else \
                    f" (after upscale {self.upscale} and pad {self.pad})"
                raise ValueError(
                    f"input {c0}x{h0}x{w0} is too small for {type(self).__name__}: {name} ({what}) "
                    f"would produce a {max(H2, 0)}x{max(W2, 0)} map; expected at least "
                    f"{raw}x{raw}{how}")
            H, W = H2, W2
            if maps:
                C = maps
            shapes.append((name, (C, H, W)))
        return shapes

    # -- input ----------------------------------------------------------------------------
    def check_images(self, X: Any, *, name: str = "X") -> torch.Tensor:
        """``X`` as float32 (N, C, H, W) images of ``input_shape``: accepts (N, C, H, W),
        (N, H, W) for one channel, or flat (N, C H W) rows; refuses anything else by name."""
        X = as_tensor(X)
        C, H, W = self.input_shape
        want = f"{C}x{H}x{W}"
        if X.dim() == 4:
            if X.shape[1] != C:
                raise ValueError(f"{name} has {X.shape[1]} channels: expected {C} "
                                 f"(input_shape {want}), got shape {tuple(X.shape)}")
            if tuple(X.shape[2:]) != (H, W):
                raise ValueError(f"{name} images are {X.shape[2]}x{X.shape[3]}: expected {H}x{W} "
                                 f"(input_shape {want})")
        elif X.dim() == 3:
            if C != 1:
                raise ValueError(f"{name} of shape {tuple(X.shape)} reads as (N, H, W) grey images: "
                                 f"expected {C} channels (N, {C}, {H}, {W})")
            if tuple(X.shape[1:]) != (H, W):
                raise ValueError(f"{name} images are {X.shape[1]}x{X.shape[2]}: expected {H}x{W} "
                                 f"(input_shape {want})")
        elif X.dim() == 2:
            if X.shape[1] != self.n_features:
                raise ValueError(f"{name} rows have {X.shape[1]} values: expected {self.n_features} "
                                 f"= {want} (input_shape), or images (N, {C}, {H}, {W})")
        else:
            raise ValueError(f"{name} must be images (N, {C}, {H}, {W}), (N, {H}, {W}) or rows "
                             f"(N, {self.n_features}): got shape {tuple(X.shape)}")
        X = check_X(X.reshape(len(X), -1), self.n_features, name=name)  # float32, finite, non-empty
        return X.view(len(X), C, H, W)  # (N, C, H, W)

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """Images as the first layer sees them: (N, D) rows reshaped, upscaled, zero-padded."""
        if x.dim() == 2:
            x = x.view(len(x), *self.input_shape)  # (N, D) -> (N, C, H, W)
        if self.upscale > 1:
            x = F.interpolate(x, scale_factor=self.upscale, mode="bilinear", align_corners=False)
        if self.pad:
            x = F.pad(x, (self.pad,) * 4)  # zero border on every side
        return x

    # -- the network ----------------------------------------------------------------------
    def _steps(self) -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]]:
        raise NotImplementedError

    def _head(self, h: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def pool(self, x: torch.Tensor, mode: str, size: int = 2) -> torch.Tensor:
        """Max or average pooling over size x size windows (stride = size), with the model's ops."""
        return (self._max_pool if mode == "max" else self._avg_pool)(x, size, size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``o`` (N, C) for images (N, C, H, W) or flat rows (N, C H W)."""
        h = self.prepare(x)
        for _, step in self._steps():
            h = step(h)
        return self._head(h.flatten(1))  # (N, C maps x H x W) -> (N, C)

    def feature_maps(self, x: Any) -> list[tuple[str, torch.Tensor]]:
        """Every layer's maps for one image: ``[(name, (C, H, W) tensor on the CPU), ...]``,
        starting with the input as the first layer sees it (for the report's figures)."""
        x = self.check_images(as_tensor(x).reshape(1, -1) if as_tensor(x).dim() < 4 else x)
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                h = self.prepare(x[:1].to(model_device(self)))
                maps = [("input", h[0].cpu())]
                for name, step in self._steps():
                    h = step(h)
                    maps.append((name, h[0].cpu()))
        finally:
            self.train(was_training)
        return maps

    @property
    def first_layer_filters(self) -> torch.Tensor:
        """The learned kernels of the first convolution, (C_out, C_in, k, k), on the CPU."""
        return self.first_conv.weight.detach().cpu().clone()

    # -- training and prediction ----------------------------------------------------------
    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Mean softmax cross-entropy ``log sum_j exp(o_j) - o_y`` over the batch."""
        x, y = batch
        return F.cross_entropy(self(x), y)

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if y is None:
            raise ValueError(f"{type(self).__name__}.fit needs labels: expected fit(X, y), got y=None")
        X = self.check_images(X)
        return X, check_y(y, self.n_classes, len(X))

    def _logits(self, X: Any) -> torch.Tensor:
        self._check_fitted()
        X = self.check_images(X).to(model_device(self))
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                return torch.cat([self(X[i:i + self.eval_batch_size])
                                  for i in range(0, len(X), self.eval_batch_size)])
        finally:
            self.train(was_training)

    def extra_repr(self) -> str:
        shapes = " -> ".join("x".join(map(str, s)) for _, s in self.map_shapes())
        return (f"maps={shapes}, activation={self.activation!r}, ops={self.ops!r}, "
                f"params={count_parameters(self):,}")


class LectureCNN(ConvNet):
    r"""The lecture's example network (网络结构描述（举例）), with a classifier head.

    ============  ===================================  ==========================
    layer         operation                            maps
    ============  ===================================  ==========================
    input         200 x 200 image                      1 @ 200x200
    C1            4 filters 5x5, f                     4 @ 196x196
    S1            2x2 pooling                          4 @ 98x98
    C2            7 filters 3x3x4 (28 kernels K_ij)    7 @ 96x96
    S2            2x2 pooling                          7 @ 48x48
    output        full connection to C classes         C logits, softmax
    ============  ===================================  ==========================

    ``y_j^L = f(sum_i y_i^{L-1} * K_ij + w_j)``: from 4 maps to 7 there are 28 kernels
    ``K_ij``, or 7 three-dimensional 3x3x4 filters on the volume of 4 maps.
    :meth:`weight_counts` gives the lecture's comparison of full connection, local
    connection and local connection with shared weights.

    Attributes:
        convs: the convolutions, C1 with K (4, 1, 5, 5) and C2 with K (7, 4, 3, 3), Kaiming
            (relu) or Xavier (sigmoid, tanh) initialised, thresholds w zero.
        output: nn.Linear(7 * 48 * 48, n_classes), Xavier, bias zero.

    Example:
        >>> net = LectureCNN()
        >>> [s for _, s in net.map_shapes()]
        [(1, 200, 200), (4, 196, 196), (4, 98, 98), (7, 96, 96), (7, 48, 48)]
        >>> net.weight_counts()["C2"]["shared"]  # 9 x 4 x 7
        252

    Reference: the lecture, 6.9.3; LeCun et al. 1998.
    """

    registry_name = "lecture-cnn"

    @dataclass
    class Config:
        """Hyperparameters of ``neuralzoo train lecture-cnn`` (input shape from the data)."""

        maps: list[int] = field(default_factory=lambda: [4, 7])  # feature maps of C1, C2, ...
        kernels: list[int] = field(default_factory=lambda: [5, 3])  # kernel side of each conv
        pool: str = "max"  # "max" or "avg" 2x2 pooling after each convolution
        activation: str = "relu"  # "relu", "tanh", "sigmoid" or "scaled_tanh"
        activation_after_pool: bool = False  # f(pool(conv)) instead of pool(f(conv))
        ops: str = "fused"  # "fused" (PyTorch kernels) or "reference" (cnn_ops, from scratch)
        upscale: int = 0  # 0: auto, enlarge inputs too small for the kernels (8x8 -> 16x16)
        input_shape: list[int] | None = None  # (C, H, W); None: from the number of features

    @classmethod
    def from_config(cls, cfg: LectureCNN.Config, n_features: int, n_classes: int) -> LectureCNN:
        shape = tuple(cfg.input_shape) if cfg.input_shape else image_shape(n_features)
        upscale = cfg.upscale
        if upscale == 0:  # the smallest integer factor that the stack of kernels accepts
            geometry = [g for k in cfg.kernels for g in (("", "", k, 1, 0, 0), ("", "", 2, 2, 0, 0))]
            upscale = max(1, math.ceil(min_size(geometry) / min(shape[1:])))
        return cls(shape, n_classes, maps=cfg.maps, kernels=cfg.kernels, pool=cfg.pool,
                   activation=cfg.activation, activation_after_pool=cfg.activation_after_pool,
                   ops=cfg.ops, upscale=upscale)

    def __init__(self, input_shape: Any = (1, 200, 200), n_classes: int = 10, *,
                 maps: Any = (4, 7), kernels: Any = (5, 3), pool: str = "max",
                 activation: str = "relu", activation_after_pool: bool = False,
                 ops: str = "fused", upscale: int = 1, pad: int = 0) -> None:
        super().__init__()
        maps, kernels = [int(m) for m in maps], [int(k) for k in kernels]
        if not maps or len(maps) != len(kernels) or min(maps + kernels) < 1:
            raise ValueError(f"maps and kernels must be equally long lists of sizes >= 1, got "
                             f"maps={maps}, kernels={kernels}")
        check_choice("pool", pool, ("max", "avg"))
        self._setup(input_shape, n_classes, ops, activation, activation_after_pool, upscale, pad)
        self.maps, self.kernels, self.pool_mode = maps, kernels, pool
        self.hparams = {"input_shape": list(self.input_shape), "n_classes": self.n_classes,
                        "maps": maps, "kernels": kernels, "pool": pool, "activation": activation,
                        "activation_after_pool": self.activation_after_pool, "ops": ops,
                        "upscale": self.upscale, "pad": self.pad}
        # K of layer l: (maps[l], maps[l-1], k, k), w: (maps[l],)
        c_in = [self.input_shape[0], *maps[:-1]]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, k) for a, b, k in zip(c_in, maps, kernels))
        self.first_conv = self.convs[0]
        C, H, W = self.map_shapes()[-1][1]  # also refuses inputs that are too small
        self.output = nn.Linear(C * H * W, self.n_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming (relu) or Xavier (saturating f) kernels and output weights; zero thresholds."""
        for conv in self.convs:
            if self.activation == "relu":
                nn.init.kaiming_uniform_(conv.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(conv.weight)
            nn.init.zeros_(conv.bias)
        nn.init.xavier_uniform_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def _geometry(self) -> list[Geometry]:
        g: list[Geometry] = []
        for i, (m, k) in enumerate(zip(self.maps, self.kernels), start=1):
            g += [(f"C{i}", f"{k}x{k} kernel", k, 1, 0, m), (f"S{i}", "2x2 pooling", 2, 2, 0, 0)]
        return g

    def _steps(self) -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]]:
        f, after = self.f, self.activation_after_pool
        steps: list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]] = []
        for i, conv in enumerate(self.convs, start=1):
            def c(h, conv=conv):  # sum_i y_i * K_ij + w_j, then f unless it comes after pooling
                a = self.conv2d(h, conv.weight, conv.bias)
                return a if after else f(a)

            def s(h):
                p = self.pool(h, self.pool_mode)
                return f(p) if after else p
            steps += [(f"C{i}", c), (f"S{i}", s)]
        return steps

    def _head(self, h: torch.Tensor) -> torch.Tensor:
        return self.output(h)  # (N, C)

    def weight_counts(self) -> dict[str, dict[str, int]]:
        """Weights from each layer to the next under three schemes (thresholds not counted).

        ``full``: every unit of the layer below to every unit of the maps;
        ``local``: every unit sees only its k x k (x C_in) window, its own weights;
        ``shared``: local connection + weight sharing: one kernel per pair of maps, k k C_in C_out.
        ``lecture`` lists the figures as the slides print them for this network's sizes.
        """
        shapes = dict(self.map_shapes())
        counts: dict[str, dict[str, int]] = {}
        below = "input"
        for i, (m, k) in enumerate(zip(self.maps, self.kernels), start=1):
            c0, h0, w0 = shapes[below]
            _, h1, w1 = shapes[f"C{i}"]
            units_below, units = c0 * h0 * w0, m * h1 * w1
            counts[f"C{i}"] = {"full": units_below * units, "local": k * k * c0 * units,
                               "shared": k * k * c0 * m}
            below = f"S{i}"
        c0, h0, w0 = shapes["input"]
        _, h1, w1 = shapes["C1"]
        k1, (c1, h2, w2) = self.kernels[0], shapes["S1"]
        lecture = {
            "input to 1000 hidden units, full": h0 * w0 * 1000,  # 4 thousand x 10^4 = 4e7
            "input to 4000 hidden units, full": h0 * w0 * 4000,  # 1.6e8 (1亿6千万)
            "C1 one filter, full": h0 * w0 * h1 * w1,  # 200x200x196x196
            "C1 one filter, local": k1 * k1 * h1 * w1,  # 25x196x196
            "C1 one filter, shared": k1 * k1,  # 一共25个权重
        }
        if len(self.maps) > 1:
            _, h3, w3 = shapes["C2"]
            k2 = self.kernels[1]
            # the slide writes (4x98x98) x (4x96x96): 4 output maps where the network has 7
            lecture["C2 full, as the slide writes it"] = (c1 * h2 * w2) * (c1 * h3 * w3)
            lecture["C2 shared"] = k2 * k2 * c1 * self.maps[1]  # 9x4x7
        counts["lecture"] = lecture
        return counts

    def weight_table(self) -> str:
        """:meth:`weight_counts` as a printable table."""
        lines = [f"{'layer':<8}{'full':>18}{'local':>14}{'shared':>10}"]
        counts = self.weight_counts()
        for name, c in counts.items():
            if name != "lecture":
                lines.append(f"{name:<8}{c['full']:>18,}{c['local']:>14,}{c['shared']:>10,}")
        lines.append("as in the lecture:")
        lines += [f"  {k}: {v:,}" for k, v in counts["lecture"].items()]
        return "\n".join(lines)


class CNN(ConvNet):
    r"""A modern small CNN: blocks of 3x3 convolutions ("same" zero padding), optional batch
    normalisation, ReLU and 2x2 max pooling, then a hidden full layer, dropout and softmax::

        block b:  h <- pool_2x2( f( BN( sum_i h_i * K_ij + w_j ) ) )     (convs_per_block convs)
        head:     o = W_2 dropout( f(W_1 flatten(h) + b_1) ) + b_2

    Attributes:
        convs: nn.Conv2d (C_b, C_{b-1}, k, k) per convolution, Kaiming normal (fan-in), w zero.
        norms: nn.BatchNorm2d per convolution when ``batch_norm`` (else empty).
        hidden: nn.Linear(C_last H W, hidden), Kaiming;  output: nn.Linear(hidden, C), Xavier.

    Example:
        >>> net = CNN((1, 28, 28), 10, channels=[8, 16])
        >>> [s for _, s in net.map_shapes()][-1]
        (16, 7, 7)
        >>> net(torch.zeros(2, 784)).shape
        torch.Size([2, 10])

    Reference: Krizhevsky et al. 2012 (ReLU, max pooling, dropout); Ioffe & Szegedy 2015 (batch
    normalisation); Simonyan & Zisserman 2015 (stacks of 3x3 convolutions).
    """

    registry_name = "cnn"
    train_defaults = {"epochs": 15, "batch_size": 128, "lr": 1e-3, "optimizer": "adam"}

    @dataclass
    class Config:
        """Hyperparameters of ``neuralzoo train cnn`` (input shape from the data)."""

        channels: list[int] = field(default_factory=lambda: [32, 64])  # maps of each block
        convs_per_block: int = 1  # 3x3 convolutions before each pooling
        kernel_size: int = 3  # odd kernel side ("same" padding k // 2)
        hidden: int = 128  # units of the full layer before the output
        dropout: float = 0.5  # dropout before the output layer
        dropout_conv: float = 0.25  # dropout after every pooling
        batch_norm: bool = False  # batch normalisation after every convolution
        pool: str = "max"  # "max" or "avg"
        activation: str = "relu"  # "relu", "tanh", "sigmoid" or "scaled_tanh"
        activation_after_pool: bool = False  # f(pool(conv)) for the last conv of each block
        ops: str = "fused"  # "fused" (PyTorch kernels) or "reference" (cnn_ops, from scratch)
        input_shape: list[int] | None = None  # (C, H, W); None: from the number of features

    @classmethod
    def from_config(cls, cfg: CNN.Config, n_features: int, n_classes: int) -> CNN:
        shape = tuple(cfg.input_shape) if cfg.input_shape else image_shape(n_features)
        return cls(shape, n_classes, channels=cfg.channels, convs_per_block=cfg.convs_per_block,
                   kernel_size=cfg.kernel_size, hidden=cfg.hidden, dropout=cfg.dropout,
                   dropout_conv=cfg.dropout_conv, batch_norm=cfg.batch_norm, pool=cfg.pool,
                   activation=cfg.activation, activation_after_pool=cfg.activation_after_pool,
                   ops=cfg.ops)

    def __init__(self, input_shape: Any = (1, 28, 28), n_classes: int = 10, *,
                 channels: Any = (32, 64), convs_per_block: int = 1, kernel_size: int = 3,
                 hidden: int = 128, dropout: float = 0.5, dropout_conv: float = 0.25,
                 batch_norm: bool = False, pool: str = "max", activation: str = "relu",
                 activation_after_pool: bool = False, ops: str = "fused",
                 upscale: int = 1, pad: int = 0) -> None:
        super().__init__()
        channels = [int(c) for c in channels]
        if not channels or min(channels) < 1 or convs_per_block < 1 or hidden < 1:
            raise ValueError(f"channels must be a non-empty list of sizes >= 1 and convs_per_block, "
                             f"hidden >= 1: got {channels}, {convs_per_block}, {hidden}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (for 'same' padding), got {kernel_size}")
        for name, p in (("dropout", dropout), ("dropout_conv", dropout_conv)):
            if not 0.0 <= p < 1.0:
                raise ValueError(f"{name} must lie in [0, 1), got {p}")
        check_choice("pool", pool, ("max", "avg"))
        self._setup(input_shape, n_classes, ops, activation, activation_after_pool, upscale, pad)
        self.channels, self.convs_per_block, self.kernel_size = channels, int(convs_per_block), kernel_size
        self.dropout, self.dropout_conv, self.batch_norm, self.pool_mode = dropout, dropout_conv, batch_norm, pool
        self.hparams = {"input_shape": list(self.input_shape), "n_classes": self.n_classes,
                        "channels": channels, "convs_per_block": self.convs_per_block,
                        "kernel_size": kernel_size, "hidden": hidden, "dropout": dropout,
                        "dropout_conv": dropout_conv, "batch_norm": batch_norm, "pool": pool,
                        "activation": activation, "activation_after_pool": self.activation_after_pool,
                        "ops": ops, "upscale": self.upscale, "pad": self.pad}
        c_in = [self.input_shape[0]] + [c for c in channels for _ in range(self.convs_per_block)][:-1]
        c_out = [c for c in channels for _ in range(self.convs_per_block)]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, kernel_size, padding=kernel_size // 2)
                                   for a, b in zip(c_in, c_out))
        self.norms = nn.ModuleList(nn.BatchNorm2d(c) for c in c_out) if batch_norm else nn.ModuleList()
        self.first_conv = self.convs[0]
        C, H, W = self.map_shapes()[-1][1]  # also refuses inputs that are too small
        self.hidden = nn.Linear(C * H * W, hidden)
        self.output = nn.Linear(hidden, self.n_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming normal (fan-in) convolutions and hidden layer, Xavier output, zero biases."""
        for layer in [*self.convs, self.hidden]:
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
        nn.init.xavier_uniform_(self.output.weight)
        nn.init.zeros_(self.output.bias)
        for norm in self.norms:
            norm.reset_parameters()

    def _geometry(self) -> list[Geometry]:
        k, g = self.kernel_size, []
        for b, c in enumerate(self.channels, start=1):
            g += [(f"conv{b}_{j}", f"{k}x{k} kernel, padding {k // 2}", k, 1, k // 2, c)
                  for j in range(1, self.convs_per_block + 1)]
            g.append((f"pool{b}", "2x2 pooling", 2, 2, 0, 0))
        return g

    def _steps(self) -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]]:
        f, steps = self.f, []
        for i, conv in enumerate(self.convs):
            b, j = divmod(i, self.convs_per_block)
            last = j == self.convs_per_block - 1
            norm = self.norms[i] if self.batch_norm else None

            def c(h, conv=conv, norm=norm, last=last):
                a = self.conv2d(h, conv.weight, conv.bias, 1, conv.padding)
                if norm is not None:
                    a = norm(a)
                return a if (last and self.activation_after_pool) else f(a)
            steps.append((f"conv{b + 1}_{j + 1}", c))
            if last:
                def s(h):
                    p = self.pool(h, self.pool_mode)
                    p = f(p) if self.activation_after_pool else p
                    return F.dropout(p, self.dropout_conv, self.training) if self.dropout_conv else p
                steps.append((f"pool{b + 1}", s))
        return steps

    def _head(self, h: torch.Tensor) -> torch.Tensor:
        h = self.f(self.hidden(h))  # (N, hidden)
        if self.dropout:
            h = F.dropout(h, self.dropout, self.training)
        return self.output(h)  # (N, C)


__all__ = ["ACTIVATIONS", "CNN", "ConvNet", "LectureCNN", "image_shape", "min_size", "scaled_tanh"]
