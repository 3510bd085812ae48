"""Convolutional RBM with probabilistic max-pooling (Lee, Grosse, Ranganath & Ng, ICML 2009).

An RBM whose hidden units are K groups of feature maps that share one NW x NW filter per group
across the image (the lecture's weight sharing, 权值共享), so the hidden input of every group is
one convolution of the visible layer; the detection units of a group are pooled over C x C
blocks, at most one unit of a block on, the block's softmax deciding which.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_unit_interval, check_X
from ...config import check_choice
from ...energy.sampling import as_generator, bernoulli
from ...train import as_tensor
from ..base import Trainable, count_parameters, model_device, model_dtype, seeded_reset
from ..cnn import ops as cnn_ops
from ..cnn.base import image_shape

OPS = ("fused", "reference")


def block_logits(I: torch.Tensor, C: int) -> torch.Tensor:
    """The hidden inputs ``I`` (N, K, NH, NW') as blocks (N, K, NP, NP', C*C) with the off state's
    logit 0 appended: (N, K, NP, NP', C*C + 1). A map whose side C does not divide is padded with
    ``-inf`` (units that are never on), so its last blocks are smaller."""
    N, K, H, W = I.shape
    Hp, Wp = -(-H // C), -(-W // C)
    if (Hp * C, Wp * C) != (H, W):
        I = F.pad(I, (0, Wp * C - W, 0, Hp * C - H), value=float("-inf"))
    z = I.reshape(N, K, Hp, C, Wp, C).permute(0, 1, 2, 4, 3, 5).reshape(N, K, Hp, Wp, C * C)
    return torch.cat([z, z.new_zeros(N, K, Hp, Wp, 1)], -1)  # (N, K, NP, NP', C*C + 1)


def unblock(P: torch.Tensor, C: int, H: int, W: int) -> torch.Tensor:
    """Inverse of :func:`block_logits` for the units: (N, K, NP, NP', C*C) -> (N, K, H, W)."""
    N, K, Hp, Wp, _ = P.shape
    return P.reshape(N, K, Hp, Wp, C, C).permute(0, 1, 2, 4, 3, 5).reshape(N, K, Hp * C, Wp * C)[:, :, :H, :W]


class ConvRBM(Trainable, nn.Module):
    r"""Convolutional RBM, binary visible layer, K groups of binary hidden maps, probabilistic max-pooling.

    Energy (the paper's eq. 1 and 3 in the lecture's notation: ``b`` visible, ``a`` hidden biases,
    one per channel and per group, shared over positions; ``*`` the valid cross-correlation that
    ``F.conv2d`` computes — the paper convolves with the flipped filter, the same model)::

        I(h_ij^k) = a_k + (W^k * v)_ij                      the hidden input of unit (i, j) of group k
        E(v, h) = -sum_k sum_ij h_ij^k (W^k * v)_ij - sum_k a_k sum_ij h_ij^k - sum_l b_l sum_ij v_ij^l
        subject to  sum_{(i,j) in B_alpha} h_ij^k <= 1  for every C x C block B_alpha of every group

    Given ``v``, the blocks are independent, each a softmax over its C^2 units and its off state::

        P(h_ij^k = 1 | v) = exp(I(h_ij^k)) / (1 + sum_{(i',j') in B_alpha} exp(I(h_i'j'^k)))
        P(p_alpha^k = 0 | v) = 1 / (1 + sum_{(i',j') in B_alpha} exp(I(h_i'j'^k)))

    where the pooling unit ``p_alpha^k`` is on iff a unit of its block is. Given ``h`` the visible
    units are independent: ``P(v_ij^l = 1 | h) = sigmoid(b_l + sum_k (W^k (*) h^k)_ij)`` with
    ``(*)`` the full convolution (``F.conv_transpose2d``). Summing out ``h``, block by block::

        F(v) = -sum_l b_l sum_ij v_ij^l - sum_k sum_alpha log(1 + sum_{(i,j) in B_alpha} exp(I(h_ij^k)))

    With ``C = 1`` it is an RBM whose weight matrix is the convolution unrolled (tied weights).

    Learning: CD-``k`` by the surrogate ``(mean F(v_data) - mean F(v'_model)) / (NH NW')`` (samples
    detached; divided by the number of hidden positions, as Lee's code averages, so that one
    learning rate suits any image size), whose negative gradient is
    ``<v (*) P(h|v)>_data - <v (*) P(h|v)>_model`` per filter. Sparsity (the paper's §3.5, after Lee,
    Ekanadham & Ng 2008): the hidden biases move towards a target mean activation ``q`` of each
    group's detection units, ``a_k += lr * sparsity_cost * (q - mean P(h^k = 1 | v))``, added as the
    term ``sparsity_cost * sum_k (mean P(h^k|v) - q) a_k`` (the mean detached).

    The up pass is ``F.conv2d``, the down pass ``F.conv_transpose2d`` (``ops="fused"``); with
    ``ops="reference"`` both are the lecture's im2col convolution of
    :mod:`neuralzoo.models.cnn.ops` (the down pass: the flipped, transposed filters over the hidden
    maps zero-padded by NW - 1), and a test proves the two agree.

    Args:
        input_shape: (L, NV, NV') the visible layer: L channels of NV x NV' binary units (fixed by the data).
        n_filters: K, the groups of hidden maps (one NW x NW filter per group and channel).
        filter_size: NW, the side of the filters.
        pool_size: C, the side of the pooling blocks (1: no pooling, an RBM with tied weights).
        k: Gibbs steps of the CD estimate.
        sparsity_target: q, the target mean activation of the detection units of a group.
        sparsity_cost: weight of the sparsity rule on the hidden biases (0: none).
        init_std: standard deviation of the initial filters. 0.1: at 0.01 every group sees the same
            near-uniform block softmax and receives the same gradient, and the filters collapse onto
            one (8 groups of 3x3 on the digits, 20 epochs: mean cosine between filters 0.996; 0.71 at
            0.1, where logistic regression on the pooled maps gains 0.783 -> 0.831).
        ops: "fused" (PyTorch's kernels) or "reference" (the lecture's explicit convolution).

    Attributes:
        W (K, L, NW, NW): filters, ``N(0, init_std^2)``.  a (K,): hidden biases, 0.  b (L,):
        visible biases; ``fit`` sets them to the log-odds of each channel's mean.  data_mean (D,):
        the training pixels' means, where :meth:`sample` starts its chains.

    Shapes: N batch, L visible channels, NV x NV' visible maps, D = L NV NV' a flat row, K groups,
    NH x NH' = (NV - NW + 1) x (NV' - NW + 1) hidden maps, NP x NP' = ceil(NH / C) x ceil(NH' / C)
    pooling maps.

    >>> import neuralzoo as nz
    >>> X, _ = nz.datasets.load("digits", binarize="threshold")
    >>> crbm = ConvRBM((1, 8, 8), n_filters=8, filter_size=3).fit(X, epochs=2, seed=0, progress=False)
    >>> crbm.p_h_given_v(X[:2]).shape, crbm.transform(X[:2]).shape   # 6x6 maps, 3x3 pooled
    (torch.Size([2, 8, 6, 6]), torch.Size([2, 72]))

    References: Lee, Grosse, Ranganath & Ng, "Convolutional deep belief networks for scalable
    unsupervised learning of hierarchical representations", ICML 2009; Lee, Ekanadham & Ng,
    "Sparse deep belief net model for visual area V2", NIPS 2008.
    """

    registry_name = "conv-rbm"
    data_defaults = {"binarize": "threshold"}
    train_defaults = {"epochs": 10, "batch_size": 20, "lr": 0.1, "optimizer": "sgd", "momentum": 0.5}

    def __init__(self, input_shape: tuple[int, int, int], *, n_filters: int = 16, filter_size: int = 5,
                 pool_size: int = 2, k: int = 1, sparsity_target: float = 0.05, sparsity_cost: float = 1.0,
                 init_std: float = 0.1, ops: str = "fused") -> None:
        super().__init__()
        shape = tuple(int(s) for s in input_shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(f"input_shape must be (L, NV, NV') with sizes >= 1, got {tuple(input_shape)}")
        K, NW, C = int(n_filters), int(filter_size), int(pool_size)
        if K < 1 or NW < 1 or C < 1 or int(k) < 1:
            raise ValueError(f"expected n_filters, filter_size, pool_size, k >= 1, got {n_filters}, "
                             f"{filter_size}, {pool_size}, {k}")
        if NW > min(shape[1:]):
            raise ValueError(f"filter_size {NW} is larger than the {shape[1]}x{shape[2]} visible maps: "
                             f"expected filter_size <= {min(shape[1:])}")
        if not 0 < sparsity_target < 1 or not sparsity_cost >= 0 or not init_std >= 0:
            raise ValueError(f"expected 0 < sparsity_target < 1, sparsity_cost >= 0, init_std >= 0, got "
                             f"{sparsity_target}, {sparsity_cost}, {init_std}")
        check_choice("ops", ops, OPS)
        self.input_shape = shape  # type: ignore[assignment]
        self.n_filters, self.filter_size, self.pool_size, self.k = K, NW, C, int(k)
        self.sparsity_target, self.sparsity_cost = float(sparsity_target), float(sparsity_cost)
        self.init_std, self.ops = float(init_std), ops
        L, H, Wd = shape
        self.n_features = L * H * Wd
        self.hidden_shape = (K, H - NW + 1, Wd - NW + 1)  # (K, NH, NH')
        self.pooled_shape = (K, -(-(H - NW + 1) // C), -(-(Wd - NW + 1) // C))  # (K, NP, NP')
        self.W = nn.Parameter(torch.zeros(K, L, NW, NW))  # (K, L, NW, NW)
        self.a = nn.Parameter(torch.zeros(K))  # (K,) hidden biases, one per group
        self.b = nn.Parameter(torch.zeros(L))  # (L,) visible biases, one per channel
        self.register_buffer("data_mean", torch.full((self.n_features,), 0.5))  # (D,)
        self.reset_parameters()

    @classmethod
    def sizes_from_data(cls, n_features: int, n_classes: int, spec: dict[str, Any] | None = None) -> dict[str, Any]:
        """``input_shape`` read from the width D of a flat row (a square grey or RGB image)."""
        return {"input_shape": image_shape(n_features)}

    def reset_parameters(self) -> None:
        """``W ~ N(0, init_std^2)``, zero biases."""
        with torch.no_grad():
            self.W.normal_(0.0, self.init_std)
            self.a.zero_()
            self.b.zero_()

    # -- the two convolutions ------------------------------------------------------------------

    def _up(self, v: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
        """``(W^k * v)`` (N, L, NV, NV') -> (N, K, NH, NH'), valid cross-correlation."""
        return F.conv2d(v, W) if self.ops == "fused" else cnn_ops.conv2d(v, W)

    def _down(self, h: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
        """``sum_k W^k (*) h^k`` (N, K, NH, NH') -> (N, L, NV, NV'), full convolution."""
        if self.ops == "fused":
            return F.conv_transpose2d(h, W)
        # the adjoint of the valid correlation: correlate the zero-padded maps with the flipped,
        # transposed filters (L, K, NW, NW)
        return cnn_ops.conv2d(h, W.flip(2, 3).transpose(0, 1), padding=self.filter_size - 1)

    # -- the model -----------------------------------------------------------------------------

    def images(self, X: Any, name: str = "X") -> torch.Tensor:
        """``X`` as checked images (N, L, NV, NV') in [0, 1] of the model's dtype and device: takes
        flat rows (N, D), images (N, L, NV, NV') or, for one channel, (N, NV, NV')."""
        X = as_tensor(X) if not isinstance(X, torch.Tensor) else X
        L, H, W = self.input_shape
        if X.dim() == 3 and L == 1 and tuple(X.shape[1:]) == (H, W):
            X = X.reshape(len(X), -1)
        elif X.dim() == 4:
            if tuple(X.shape[1:]) != self.input_shape:
                raise ValueError(f"{name} images are {tuple(X.shape[1:])}: expected {self.input_shape} "
                                 "(input_shape)")
            X = X.reshape(len(X), -1)
        X = check_unit_interval(check_X(X, self.n_features, name=name, device=model_device(self)), name)
        return X.to(model_dtype(self)).view(len(X), L, H, W)

    def hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        """``I(h_ij^k) = a_k + (W^k * v)_ij``: images (N, L, NV, NV') -> (N, K, NH, NH')."""
        return self._up(v, self.W) + self.a.view(1, -1, 1, 1)

    def _block_probs(self, v: torch.Tensor) -> torch.Tensor:
        """The softmax of every block over its C^2 units and the off state (N, K, NP, NP', C^2 + 1)."""
        return torch.softmax(block_logits(self.hidden_input(v), self.pool_size), -1)

    def energy(self, v: Any, h: torch.Tensor) -> torch.Tensor:
        """``E(v, h)`` (N,) of visible rows or images and hidden maps h (N, K, NH, NH'); ``h`` is
        taken as given (the constraint, one unit on per block, is the caller's)."""
        v = self.images(v, "v")
        h = h.to(v)
        return -((self._up(v, self.W) + self.a.view(1, -1, 1, 1)) * h).sum((1, 2, 3)) - v.sum((2, 3)) @ self.b

    def free_energy(self, v: Any) -> torch.Tensor:
        """``F(v) = -sum_l b_l sum v^l - sum_{k, alpha} log(1 + sum_{B_alpha} exp I)`` (N,)."""
        return self._free_energy(self.images(v, "v"))

    def _free_energy(self, v: torch.Tensor) -> torch.Tensor:
        z = block_logits(self.hidden_input(v), self.pool_size)  # (N, K, NP, NP', C^2 + 1)
        return -(v.sum((2, 3)) @ self.b) - torch.logsumexp(z, -1).sum((1, 2, 3))

    def p_h_given_v(self, v: Any) -> torch.Tensor:
        """``P(h_ij^k = 1 | v)`` (N, K, NH, NH'): each block's softmax (see the class docstring)."""
        v = self.images(v, "v")
        P = self._block_probs(v)
        return unblock(P[..., :-1], self.pool_size, *self.hidden_shape[1:])

    def p_pool_given_v(self, v: Any) -> torch.Tensor:
        """``P(p_alpha^k = 1 | v) = 1 - P(p_alpha^k = 0 | v)`` (N, K, NP, NP')."""
        return 1.0 - self._block_probs(self.images(v, "v"))[..., -1]

    def p_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        """``P(v_ij^l = 1 | h) = sigmoid(b_l + sum_k (W^k (*) h^k)_ij)``: (N, K, NH, NH') -> rows (N, D)."""
        h = h.to(self.W)
        return torch.sigmoid(self._down(h, self.W) + self.b.view(1, -1, 1, 1)).reshape(len(h), -1)

    def _sample_blocks(self, v: torch.Tensor, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Detection probabilities and one draw of every block (at most one unit on): 2 x (N, K, NH, NH')."""
        P = self._block_probs(v)  # (N, K, NP, NP', C^2 + 1)
        u = torch.rand(P.shape[:-1] + (1,), generator=generator, device=P.device, dtype=P.dtype)
        idx = (P.cumsum(-1) < u).sum(-1, keepdim=True).clamp_max(P.shape[-1] - 1)  # the state drawn
        S = torch.zeros_like(P).scatter_(-1, idx, 1.0)
        C, (_, H, W) = self.pool_size, self.hidden_shape
        return unblock(P[..., :-1], C, H, W), unblock(S[..., :-1], C, H, W)

    def sample_h(self, v: Any, generator: torch.Generator | int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(P(h = 1 | v), h)``: probabilities and a draw (N, K, NH, NH'), one unit or none per block."""
        v = self.images(v, "v")
        return self._sample_blocks(v, as_generator(generator, v.device))

    def sample_v(self, h: torch.Tensor, generator: torch.Generator | int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(P(v = 1 | h), v)``: rows (N, D)."""
        p = self.p_v_given_h(h)
        return p, bernoulli(p, as_generator(generator, p.device))

    def gibbs_step(self, v: Any, steps: int = 1, generator: torch.Generator | int | None = None) -> torch.Tensor:
        """``steps`` block-Gibbs steps ``v -> h ~ P(h|v) -> v ~ P(v|h)``; the last visible draw (N, D)."""
        x = self.images(v, "v")
        generator = as_generator(generator, x.device)
        with torch.no_grad():
            for _ in range(int(steps)):
                _, h = self._sample_blocks(x, generator)
                x = bernoulli(torch.sigmoid(self._down(h, self.W) + self.b.view(1, -1, 1, 1)), generator)
        return x.reshape(len(x), -1)

    def sample(self, n: int, *, steps: int = 1000, generator: torch.Generator | int | None = None) -> torch.Tensor:
        """``n`` visible rows (n, D) after ``steps`` Gibbs steps from draws of the training pixels' means."""
        generator = as_generator(generator, model_device(self))
        v0 = bernoulli(self.data_mean.to(model_dtype(self)).expand(int(n), -1).contiguous(), generator)
        return self.gibbs_step(v0, steps, generator)

    def transform(self, X: Any) -> torch.Tensor:
        """Pooled features ``P(p^k_alpha = 1 | v)`` flattened (N, K NP NP'): a classifier's input."""
        v = self.images(X)
        with torch.no_grad():
            return (1.0 - self._block_probs(v)[..., -1]).reshape(len(v), -1)

    def reconstruct(self, X: Any) -> torch.Tensor:
        """Mean-field reconstruction ``P(v | h = P(h|v))`` (N, D)."""
        v = self.images(X)
        with torch.no_grad():
            h = unblock(self._block_probs(v)[..., :-1], self.pool_size, *self.hidden_shape[1:])
            return self.p_v_given_h(h)

    def metrics(self, X: torch.Tensor, y: Any = None) -> dict[str, float]:
        """Validation measures during training: mean free energy, reconstruction error, sparsity."""
        return self.evaluate(X)

    def evaluate(self, X: Any, y: Any = None) -> dict[str, float]:
        """Mean ``free_energy``, ``reconstruction_error`` (squared, per pixel) and the mean detection
        activation ``mean_activation`` (the sparsity target's quantity); ``y`` is ignored."""
        v = self.images(X)
        with torch.no_grad():
            P = self._block_probs(v)
            h = unblock(P[..., :-1], self.pool_size, *self.hidden_shape[1:])
            r = self.p_v_given_h(h)
            return {"free_energy": float(self._free_energy(v).mean()),
                    "reconstruction_error": float(((r - v.reshape(len(v), -1)) ** 2).mean()),
                    "mean_activation": float(h.mean())}

    # -- learning -------------------------------------------------------------------------------

    def surrogate(self, v0: torch.Tensor, vm: torch.Tensor) -> torch.Tensor:
        """``(mean F(v0) - mean F(vm)) / (NH NH')`` for images ``v0`` (data) and ``vm`` (model samples,
        no gradient through them): its negative gradient is the CD update (class docstring)."""
        NH, NW = self.hidden_shape[1:]
        return (self._free_energy(v0).mean() - self._free_energy(vm.detach()).mean()) / (NH * NW)

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """CD-k surrogate plus the sparsity term, on a batch of rows (N, D)."""
        v0 = batch[0].to(self.W).view(-1, *self.input_shape)  # (N, L, NV, NV')
        W, b = self.W.detach(), self.b.detach().view(1, -1, 1, 1)
        with torch.no_grad():
            # 1. data phase: the blocks' probabilities and a draw of h, at most one unit per block
            P0, h = self._sample_blocks(v0, None)
            # 2. model phase: k Gibbs steps from the data, v_k the negative sample
            for step in range(self.k):
                vm = bernoulli(torch.sigmoid(self._down(h, W) + b))
                if step < self.k - 1:
                    _, h = self._sample_blocks(vm, None)
        loss = self.surrogate(v0, vm)
        if self.sparsity_cost > 0:  # 3. the hidden biases towards the target activation q
            q = P0.mean((0, 2, 3))  # (K,) mean P(h^k = 1 | v) of each group's detection units
            loss = loss + self.sparsity_cost * ((q - self.sparsity_target) * self.a).sum()
        return loss

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor]:
        return (self.images(X).reshape(-1, self.n_features).cpu(),)

    def fit(self, X: Any, y: Any = None, *, seed: int | None = None, warm_start: bool = False,
            resume: bool = False, **options: Any) -> ConvRBM:
        """Train by :func:`neuralzoo.fit` (``epochs=10, batch_size=20, lr=0.1``, SGD with momentum 0.5
        unless given) and return ``self``; ``y`` is ignored. Unless ``warm_start``/``resume``: the
        filters drawn from ``seed``, ``data_mean`` from ``X``, ``b`` each channel's log-odds."""
        (X,) = self._fit_data(X, y)
        if not (warm_start or resume):
            self.start_from_data(X, self.train_config(seed=seed).seed)
        return super().fit(X, seed=seed, warm_start=True, resume=resume, **options)

    def start_from_data(self, X: torch.Tensor, seed: int) -> None:
        """Start of training on rows ``X`` (N, D): parameters from ``seed``, ``data_mean``, ``b``."""
        with torch.no_grad():
            self.data_mean.copy_(X.mean(0).to(self.data_mean))
        seeded_reset(self, seed)
        with torch.no_grad():
            channel_mean = self.data_mean.view(self.input_shape[0], -1).mean(1)  # (L,)
            self.b.copy_(torch.logit(channel_mean, eps=1e-3))

    def extra_repr(self) -> str:
        return (f"input_shape={self.input_shape}, n_filters={self.n_filters}, filter_size={self.filter_size}, "
                f"pool_size={self.pool_size}, hidden={self.hidden_shape}, pooled={self.pooled_shape}, "
                f"k={self.k}, params={count_parameters(self):,}")


def pooled_images(layer: ConvRBM, X: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    """The pooled features of ``layer`` of rows ``X`` (N, D), in chunks, on the CPU (N, K NP NP')."""
    return torch.cat([layer.transform(c).cpu() for c in X.split(chunk)]) if len(X) else X.new_zeros(0, math.prod(layer.pooled_shape))


def per_layer(name: str, value: Any, n: int) -> list:
    """``value`` as a list of ``n`` (one per layer): a list as it is, refused if its length is not ``n``."""
    out = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value] * n
    if len(out) != n:
        raise ValueError(f"{name}: expected one value per layer ({n}), got {len(out)}: {list(out)}")
    return out


__all__ = ["OPS", "ConvRBM", "block_logits", "pooled_images", "unblock"]
