"""The shared base of the convolutional networks: :class:`ConvNet` and its helpers.

The fused/reference op tables, the activations (with LeCun's :func:`scaled_tanh`), the
layer-stack geometry (:func:`image_shape`, :func:`min_size`) and :class:`ConvNet`, which
:class:`~neuralzoo.models.cnn.LectureCNN`, :class:`~neuralzoo.models.cnn.CNN` and
:class:`~neuralzoo.models.cnn.lenet.LeNet5` build on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_X, check_y
from ...config import check_choice
from ...train import as_tensor
from ..base import Classifier, Trainable, count_parameters, model_device
from . import ops as cnn_ops

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
                     "with C = 1 or 3 (build the model with input_shape=(C, H, W))")


def min_size(geometry: list[Geometry]) -> int:
    """The smallest input side for which every step of ``geometry`` leaves a map of side >= 1."""
    need = 1
    for _, _, k, s, p, _ in reversed(geometry):
        need = max(1, (need - 1) * s + k - 2 * p)
    return need


class ConvNet(Trainable, Classifier, nn.Module):
    """What the convolutional networks share: image input checks, the size check of the layer
    stack, the choice of fused or reference ops, ``feature_maps`` and the classifier loss.

    A subclass stores its own hyperparameters, calls :meth:`_setup`, builds its layers, and
    defines ``_geometry()`` (the kernels and pools, for the size check and the automatic
    ``upscale``), ``_steps()`` (named functions from maps to maps, in forward order) and
    ``_head(h)`` (flattened maps -> logits). The data fixes ``input_shape`` and ``n_classes``
    (:meth:`sizes_from_data`: a square grey or RGB image from the width D of a flat row).

    Shared arguments, each subclass documenting them in its ``Args:``: ``input_shape``,
    ``n_classes``, ``activation``, ``activation_after_pool``, ``ops``, ``upscale`` (0: auto,
    resolved by :meth:`_auto_scale`) and ``pad``.
    """

    train_defaults = {"epochs": 10, "batch_size": 64, "lr": 1e-3, "optimizer": "adam"}
    input_shape: tuple[int, int, int]
    first_conv: nn.Conv2d

    @classmethod
    def sizes_from_data(cls, n_features: int, n_classes: int, spec: dict[str, Any] | None = None) -> dict[str, Any]:
        """``input_shape`` read from the width D of a flat row (:func:`image_shape`), and ``n_classes``."""
        return {"input_shape": image_shape(n_features), "n_classes": n_classes}

    def _setup(self, input_shape: Any, n_classes: int, ops: str, activation: str,
               activation_after_pool: bool, upscale: int, pad: int) -> None:
        """Check and store the shared arguments; ``upscale``/``pad`` auto values resolved by
        :meth:`_auto_scale` (the subclass's ``_geometry`` must work already)."""
        shape = tuple(int(s) for s in input_shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(f"input_shape must be (C, H, W) with sizes >= 1, got {tuple(input_shape)}")
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes}")
        check_choice("ops", ops, tuple(OPS))
        check_choice("activation", activation, tuple(ACTIVATIONS))
        upscale, pad = self._auto_scale(shape, int(upscale), int(pad))
        if upscale < 1 or pad < 0:
            raise ValueError(f"upscale must be >= 1 (0: auto) and pad >= 0, got upscale={upscale}, pad={pad}")
        self.input_shape = shape  # type: ignore[assignment]
        self.n_features = shape[0] * shape[1] * shape[2]
        self.n_classes = int(n_classes)
        self.ops, self.activation = ops, activation
        self.activation_after_pool = bool(activation_after_pool)
        self.upscale, self.pad = upscale, pad
        self.f = ACTIVATIONS[activation]
        self.conv2d, self._max_pool, self._avg_pool = OPS[ops]

    def _auto_scale(self, shape: tuple[int, int, int], upscale: int, pad: int) -> tuple[int, int]:
        """``(upscale, pad)`` with ``upscale=0`` resolved: the smallest integer factor for which
        the padded, upscaled image is as large as every kernel and pool of the stack needs."""
        if upscale == 0 and pad >= 0:
            need = min_size(self._geometry())
            upscale = max(1, math.ceil((need - 2 * pad) / min(shape[1:])))
        return upscale, pad

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
        if X.dim() == 3:
            if C != 1:
                raise ValueError(f"{name} of shape {tuple(X.shape)} reads as (N, H, W) grey images: "
                                 f"expected {C} channels (N, {C}, {H}, {W})")
            X = X[:, None]  # (N, H, W) -> (N, 1, H, W)
        if X.dim() == 4:
            if X.shape[1] != C:
                raise ValueError(f"{name} has {X.shape[1]} channels: expected {C} "
                                 f"(input_shape {want}), got shape {tuple(X.shape)}")
            if tuple(X.shape[2:]) != (H, W):
                raise ValueError(f"{name} images are {X.shape[2]}x{X.shape[3]}: expected {H}x{W} "
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

    def pool2d(self, x: torch.Tensor, mode: str, size: int = 2) -> torch.Tensor:
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

    def _check_input(self, X: Any) -> torch.Tensor:
        """Images (N, C, H, W), (N, H, W) or flat (N, C*H*W), checked (for predict & co.)."""
        return self.check_images(X)

    def extra_repr(self) -> str:
        shapes = " -> ".join("x".join(map(str, s)) for _, s in self.map_shapes())
        return (f"maps={shapes}, activation={self.activation!r}, ops={self.ops!r}, "
                f"params={count_parameters(self):,}")


__all__ = ["ACTIVATIONS", "OPS", "ConvNet", "Geometry", "image_shape", "min_size", "scaled_tanh"]
