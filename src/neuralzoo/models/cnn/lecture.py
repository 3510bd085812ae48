r"""Convolutional neural networks (卷积神经网络): the lecture's example network, on the shared
base :class:`ConvNet` (in :mod:`.base`; LeNet-5 in :mod:`.lenet`, a modern small CNN in :mod:`.modern`).

A convolution layer replaces the full connection of an MLP by **local connection** (each
unit sees a k x k window, 局部连接) and **weight sharing** (every window of a map uses the
same kernel, 权值共享); pooling then aggregates each 2x2 region of a map (max or mean)::

    y_j^L = f( sum_i (y_i^{L-1} * K_ij) + w_j )          convolution, then the non-linearity
    s_j   = pool_2x2(y_j^L)                               down-sampling of every map

The lecture allows the non-linearity after pooling as well (特别指出：也可以在pooling之后求
激励): ``activation_after_pool=True`` computes ``f(pool(sum_i y_i * K_ij + w_j))``. With max
pooling and a monotone ``f`` the two orders give the same maps; with average pooling they
differ. The whole network is trained by back-propagation (autograd); how the error passes
through pooling is explained in :mod:`.ops`.

Glossary (N batch, C maps, H x W map size, k kernel size, C_out classes):
    x: (N, C, H, W) images (flat (N, C H W) rows and (N, H, W) grey images are accepted);
    K: (C_out, C_in, k, k) kernels of a layer;  w: (C_out,) thresholds;  o: (N, C) logits.

``ops="fused"`` (default) runs PyTorch's kernels; ``ops="reference"`` runs the from-scratch
im2col convolution and pooling of :mod:`.ops` (same results, slower).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ...config import check_choice
from .base import ConvNet, Geometry


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

    Args:
        input_shape: (C, H, W) of one image (fixed by the data; the lecture's 1 x 200 x 200).
        n_classes: C, the number of classes (fixed by the data).
        maps: feature maps of C1, C2, ... (one per convolution).
        kernels: kernel side k of each convolution.
        pool: "max" or "avg" 2x2 pooling after each convolution.
        activation: the non-linearity f: "relu", "tanh", "sigmoid" or "scaled_tanh".
        activation_after_pool: f(pool(conv)) instead of pool(f(conv)).
        ops: "fused" (PyTorch kernels) or "reference" (cnn_ops, from scratch).
        upscale: integer factor enlarging the images bilinearly before C1; 0: auto, the
            smallest factor the kernels accept (8x8 digits -> 16x16).
        pad: zero border added on every side after the upscaling.

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
        >>> LectureCNN((1, 8, 8)).upscale  # auto: 8x8 is too small for the kernels, 16x16 is not
        2

    Reference: the lecture, 6.9.3; LeCun et al. 1998.
    """

    registry_name = "lecture-cnn"
    # the tour's schedule: 10 epochs of Adam 1e-3 at batch 64 left 0.667 on digits
    train_defaults = {"epochs": 10, "batch_size": 32, "lr": 3e-3, "optimizer": "adam", "lr_schedule": "cosine"}

    def __init__(self, input_shape: Sequence[int] = (1, 200, 200), n_classes: int = 10, *,
                 maps: Sequence[int] = (4, 7), kernels: Sequence[int] = (5, 3), pool: str = "max",
                 activation: str = "relu", activation_after_pool: bool = False,
                 ops: str = "fused", upscale: int = 0, pad: int = 0) -> None:
        super().__init__()
        maps, kernels = [int(m) for m in maps], [int(k) for k in kernels]
        if not maps or len(maps) != len(kernels) or min(maps + kernels) < 1:
            raise ValueError(f"maps and kernels must be equally long lists of sizes >= 1, got "
                             f"maps={maps}, kernels={kernels}")
        check_choice("pool", pool, ("max", "avg"))
        self.maps, self.kernels, self.pool = maps, kernels, pool
        self._setup(input_shape, n_classes, ops, activation, activation_after_pool, upscale, pad)
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
                p = self.pool2d(h, self.pool)
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


__all__ = ["LectureCNN"]
