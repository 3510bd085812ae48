"""A modern small CNN (ReLU, max pooling, dropout) on the shared :class:`ConvNet` base.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ...config import check_choice
from .base import ConvNet, Geometry


class CNN(ConvNet):
    r"""A modern small CNN: blocks of 3x3 convolutions ("same" zero padding), optional batch
    normalisation, ReLU and 2x2 max pooling, then a hidden full layer, dropout and softmax::

        block b:  h <- pool_2x2( f( BN( sum_i h_i * K_ij + w_j ) ) )     (convs_per_block convs)
        head:     o = W_2 dropout( f(W_1 flatten(h) + b_1) ) + b_2

    Args:
        input_shape: (C, H, W) of one image (fixed by the data).
        n_classes: C, the number of classes (fixed by the data).
        channels: feature maps of each block.
        convs_per_block: k x k convolutions before each pooling.
        kernel_size: odd kernel side k ("same" padding k // 2).
        hidden: units of the full layer before the output.
        dropout: dropout before the output layer.
        dropout_conv: dropout after every pooling.
        batch_norm: batch normalisation after every convolution.
        pool: "max" or "avg" 2x2 pooling at the end of each block.
        activation: the non-linearity f: "relu", "tanh", "sigmoid" or "scaled_tanh".
        activation_after_pool: f(pool(conv)) for the last conv of each block.
        ops: "fused" (PyTorch kernels) or "reference" (cnn_ops, from scratch).
        upscale: integer factor enlarging the images bilinearly before the first block; 0: auto,
            the smallest factor the blocks accept.
        pad: zero border added on every side after the upscaling.

    Attributes:
        convs: nn.Conv2d (C_b, C_{b-1}, k, k) per convolution, Kaiming normal (fan-in), w zero.
        norms: nn.BatchNorm2d per convolution when ``batch_norm`` (else empty).
        fc: nn.Linear(C_last H W, hidden) (W_1, b_1; state_dict keys ``hidden.*``), Kaiming;
        output: nn.Linear(hidden, C) (W_2, b_2), Xavier.

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

    def __init__(self, input_shape: Sequence[int] = (1, 28, 28), n_classes: int = 10, *,
                 channels: Sequence[int] = (32, 64), convs_per_block: int = 1, kernel_size: int = 3,
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
        self.channels, self.convs_per_block, self.kernel_size = channels, int(convs_per_block), int(kernel_size)
        self.dropout, self.dropout_conv = float(dropout), float(dropout_conv)
        self.batch_norm, self.pool = bool(batch_norm), pool
        self._setup(input_shape, n_classes, ops, activation, activation_after_pool, upscale, pad)
        c_in = [self.input_shape[0]] + [c for c in channels for _ in range(self.convs_per_block)][:-1]
        c_out = [c for c in channels for _ in range(self.convs_per_block)]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, kernel_size, padding=kernel_size // 2)
                                   for a, b in zip(c_in, c_out))
        self.norms = nn.ModuleList(nn.BatchNorm2d(c) for c in c_out) if batch_norm else nn.ModuleList()
        self.first_conv = self.convs[0]
        C, H, W = self.map_shapes()[-1][1]  # also refuses inputs that are too small
        # the full layer keeps its state_dict name "hidden" (the runs of neuralzoo 0.1 load) and is
        # reached as self.fc: the attribute self.hidden is the constructor's width, which shadows
        # the child module of that name (an nn.Module looks up its children only after __dict__)
        self.add_module("hidden", nn.Linear(C * H * W, hidden))
        vars(self)["hidden"] = int(hidden)
        self.output = nn.Linear(hidden, self.n_classes)
        self.reset_parameters()

    @property
    def fc(self) -> nn.Linear:
        """The hidden full layer W_1, b_1: (C_last H W) -> ``hidden`` units."""
        return self._modules["hidden"]  # type: ignore[return-value]

    def reset_parameters(self) -> None:
        """Kaiming normal (fan-in) convolutions and hidden layer, Xavier output, zero biases."""
        for layer in [*self.convs, self.fc]:
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
                    p = self.pool2d(h, self.pool)
                    p = f(p) if self.activation_after_pool else p
                    return F.dropout(p, self.dropout_conv, self.training) if self.dropout_conv else p
                steps.append((f"pool{b + 1}", s))
        return steps

    def _head(self, h: torch.Tensor) -> torch.Tensor:
        h = self.f(self.fc(h))  # (N, hidden)
        if self.dropout:
            h = F.dropout(h, self.dropout, self.training)
        return self.output(h)  # (N, C)
