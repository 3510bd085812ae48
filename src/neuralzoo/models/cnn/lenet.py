r"""LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998), the network of the lecture's 1998 entry
("Yann LeCun设计了一个处理图像的卷积神经网络，并用于文本识别").

The architecture of the paper (Section II-B, Fig. 2), on 32x32 inputs (28x28 MNIST digits
centred in a 32x32 field by a zero border of 2)::

    C1  6 maps 28x28     5x5 convolution                         156 parameters
    S2  6 maps 14x14     2x2 sum x trainable coefficient + bias   12
    C3  16 maps 10x10    5x5 convolution, Table I connections     1,516
    S4  16 maps 5x5      as S2                                    32
    C5  120 maps 1x1     5x5 convolution (a full layer on 5x5)    48,120
    F6  84 units         full                                     10,164
    out 10 classes       softmax cross-entropy (the paper: Euclidean RBF units)

Every unit up to F6 computes ``x_i = f(a_i)`` with LeCun's squashing function
``f(a) = A tanh(S a)``, ``A = 1.7159``, ``S = 2/3`` (Appendix A): f(1) = 1, f(-1) = -1.
A subsampling unit adds the four inputs of its 2x2 window, multiplies the sum by a
trainable coefficient, adds a trainable bias and squashes: ``s_j = f(c_j sum_2x2 y_j + b_j)``.
C3's map ``j`` only sees the S2 maps that Table I lists (3, 4 or all 6 maps), to break the
symmetry between maps and to keep the connections "within reasonable bounds".

Departures from the paper, each an option: the output layer is a full layer with softmax
cross-entropy instead of the RBF units with bitmap codes of 7x12 (``loss`` is the lecture's
softmax loss); ``subsampling="avg"|"max"`` replaces the trainable subsampling; ``c3_table=False``
connects C3 to every S2 map; ``activation`` may be plain tanh or ReLU; weights are drawn, as
the paper does, uniformly in +-2.4 / F_i (F_i the fan-in) for squashing activations.

Inputs other than 32x32: ``pad`` zero-pads every side (2 for 28x28 MNIST, the paper's
setting) and ``upscale`` first enlarges small images bilinearly by an integer factor. By
default both are chosen from the image size (``upscale=0``, ``pad=-1``): upscale 1 and pad 2
for MNIST; for the 8x8 digits upscale 3 and pad 4 (8 -> 24 -> 32), so that the digit fills
the field as an MNIST digit does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ...config import check_choice
from .base import ConvNet, Geometry

# Table I of LeCun et al. 1998: the S2 maps that each of the 16 C3 maps takes as input
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


class Subsampling(nn.Module):
    """LeNet's S layer: ``s_j = c_j * sum_{2x2} y_j + b_j`` (squashed by the network).

    Attributes:
        coef: (C,) trainable coefficients;  bias: (C,) trainable biases.
    """

    def __init__(self, maps: int) -> None:
        super().__init__()
        self.coef = nn.Parameter(torch.empty(maps))
        self.bias = nn.Parameter(torch.empty(maps))

    def forward(self, x: torch.Tensor, avg_pool: Callable) -> torch.Tensor:
        window_sum = 4.0 * avg_pool(x, 2, 2)  # (N, C, H/2, W/2): the sum of the four inputs
        return self.coef.view(1, -1, 1, 1) * window_sum + self.bias.view(1, -1, 1, 1)


class LeNet5(ConvNet):
    r"""LeNet-5 as LeCun et al. 1998 describe it (see the module docstring for the layers).

    Args:
        input_shape: (C, H, W) of one image (fixed by the data; the paper's 1 x 28 x 28).
        n_classes: C, the number of classes (fixed by the data).
        activation: "scaled_tanh" (1.7159 tanh(2a/3), the paper), "tanh" or "relu".
        subsampling: "trainable" (the paper's S2/S4), "avg" or "max" pooling.
        c3_table: C3 connections of Table I (False: every S2 map).
        activation_after_pool: no f after C1/C3: f only after the pooling.
        dropout: dropout before the output layer (not in the paper).
        ops: "fused" (PyTorch kernels) or "reference" (cnn_ops, from scratch).
        upscale: integer factor enlarging the images bilinearly; 0: auto, max(1, 28 // side)
            (8x8 -> 24x24).
        pad: zero border on every side after the upscaling; -1: auto, up to 32x32 (2 for MNIST).

    Glossary (N batch): x (N, 1, 32, 32) after padding; C1 K (6, 1, 5, 5); C3 K (16, 6, 5, 5)
    times the Table I mask (16, 6, 1, 1); C5 K (120, 16, 5, 5); F6 W (84, 120); output W
    (C, 84); S2/S4 coefficient and bias (6,) / (16,).

    Example:
        >>> net = LeNet5()  # 28x28 inputs, padded by 2
        >>> [f"{n}:{c}@{h}x{w}" for n, (c, h, w) in net.map_shapes()]
        ['input:1@32x32', 'C1:6@28x28', 'S2:6@14x14', 'C3:16@10x10', 'S4:16@5x5', 'C5:120@1x1']
        >>> digits = LeNet5((1, 8, 8))  # the 8x8 digits: upscaled 3 times, then padded by 4
        >>> digits.upscale, digits.pad
        (3, 4)
        >>> net.layer_parameters()["C3"], sum(net.layer_parameters().values())
        (1516, 60850)

    Reference: Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied to
    document recognition", Proc. IEEE 86(11):2278-2324, 1998.
    """

    registry_name = "lenet5"
    train_defaults = {"epochs": 20, "batch_size": 64, "lr": 1e-3, "optimizer": "adam"}

    def __init__(self, input_shape: Sequence[int] = (1, 28, 28), n_classes: int = 10, *,
                 activation: str = "scaled_tanh", subsampling: str = "trainable",
                 c3_table: bool = True, activation_after_pool: bool = False,
                 dropout: float = 0.0, ops: str = "fused", upscale: int = 0, pad: int = -1) -> None:
        super().__init__()
        check_choice("subsampling", subsampling, ("trainable", "avg", "max"))
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        if pad < -1:
            raise ValueError(f"pad must be >= 0 (or -1: auto), got {pad}")
        self._setup(input_shape, n_classes, ops, activation, activation_after_pool, upscale, pad)
        self.subsampling, self.c3_table, self.dropout = subsampling, bool(c3_table), float(dropout)
        C = self.input_shape[0]
        self.C1 = nn.Conv2d(C, 6, 5)
        self.C3 = nn.Conv2d(6, 16, 5)
        self.C5 = nn.Conv2d(16, 120, 5)
        self.S2 = Subsampling(6) if subsampling == "trainable" else None
        self.S4 = Subsampling(16) if subsampling == "trainable" else None
        mask = torch.ones(16, 6, 1, 1)  # (16, 6, 1, 1): 1 where C3 map j sees S2 map i
        if self.c3_table:
            mask.zero_()
            for j, inputs in enumerate(C3_TABLE):
                mask[j, list(inputs)] = 1.0
        self.register_buffer("c3_mask", mask)
        self.first_conv = self.C1
        c, h, w = self.map_shapes()[-1][1]  # also refuses inputs that are too small
        self.F6 = nn.Linear(c * h * w, 84)
        self.output = nn.Linear(84, self.n_classes)
        self.reset_parameters()

    def _auto_scale(self, shape: tuple[int, int, int], upscale: int, pad: int) -> tuple[int, int]:
        """``upscale=0``: ``max(1, 28 // side)``, so that a small image fills the field as an MNIST
        digit does (8x8 -> 24x24); ``pad=-1``: the zero border that brings it to the paper's 32x32."""
        side = max(shape[1:])
        upscale = upscale or max(1, 28 // side)
        pad = max(0, (32 - side * upscale) // 2) if pad == -1 else pad
        return upscale, pad

    def reset_parameters(self) -> None:
        """The paper's uniform(-2.4/F_i, 2.4/F_i) (Kaiming for ReLU); zero biases.

        The subsampling coefficients start at 1/4 (the window's mean), their biases at 0.
        """
        layers = [self.C1, self.C3, self.C5, self.F6, self.output]
        for layer in layers:
            w = layer.weight
            if self.activation == "relu" and layer is not self.output:
                nn.init.kaiming_uniform_(w, nonlinearity="relu")
            else:
                fan_in = w[0].numel()
                if layer is self.C3:  # the fan-in of a C3 unit counts only its connected maps
                    fan_in = int(self.c3_mask[:, :, 0, 0].sum(1).mean()) * 25
                bound = 2.4 / fan_in
                nn.init.uniform_(w, -bound, bound)
            nn.init.zeros_(layer.bias)
        for s in (self.S2, self.S4):
            if s is not None:
                nn.init.constant_(s.coef, 0.25)
                nn.init.zeros_(s.bias)

    def _geometry(self) -> list[Geometry]:
        return [("C1", "5x5 kernel", 5, 1, 0, 6), ("S2", "2x2 subsampling", 2, 2, 0, 0),
                ("C3", "5x5 kernel", 5, 1, 0, 16), ("S4", "2x2 subsampling", 2, 2, 0, 0),
                ("C5", "5x5 kernel", 5, 1, 0, 120)]

    def _steps(self) -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]]:
        f, after = self.f, self.activation_after_pool

        def conv(layer: nn.Conv2d, mask: torch.Tensor | None = None, squash_before_pool=True):
            def c(h):
                K = layer.weight if mask is None else layer.weight * mask  # Table I: absent links are 0
                a = self.conv2d(h, K, layer.bias)
                return f(a) if squash_before_pool else a
            return c

        def sub(layer: Subsampling | None):
            def s(h):
                if layer is not None:  # the paper: f(c * sum + b), always squashed
                    return f(layer(h, self._avg_pool))
                p = self.pool2d(h, self.subsampling)
                return f(p) if after else p
            return s

        return [("C1", conv(self.C1, squash_before_pool=not after)), ("S2", sub(self.S2)),
                ("C3", conv(self.C3, self.c3_mask, squash_before_pool=not after)),
                ("S4", sub(self.S4)), ("C5", conv(self.C5))]

    def _head(self, h: torch.Tensor) -> torch.Tensor:
        h = self.f(self.F6(h))  # (N, 84)
        if self.dropout:
            h = nn.functional.dropout(h, self.dropout, self.training)
        return self.output(h)  # (N, C)

    def layer_parameters(self) -> dict[str, int]:
        """Free parameters per layer as the paper counts them (C3: only Table I's links)."""
        c3_links = int(self.c3_mask.sum()) * 25
        counts = {"C1": self.C1.weight.numel() + 6, "S2": 12 if self.S2 is not None else 0,
                  "C3": c3_links + 16, "S4": 32 if self.S4 is not None else 0,
                  "C5": self.C5.weight.numel() + 120, "F6": self.F6.weight.numel() + 84,
                  "output": self.output.weight.numel() + self.n_classes}
        return counts


__all__ = ["C3_TABLE", "LeNet5", "Subsampling"]
