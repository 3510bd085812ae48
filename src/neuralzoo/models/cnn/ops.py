r"""The operations of a convolutional network, from scratch: convolution and pooling with
explicit forward and backward passes, as the lecture computes them.

The networks in :mod:`neuralzoo.models.cnn` call PyTorch's fused kernels (``F.conv2d``,
``F.max_pool2d``, ``F.avg_pool2d``) by default; with ``ops="reference"`` they call the
functions below instead, and the tests prove the two agree (values and gradients) and check
every backward pass with ``torch.autograd.gradcheck``.

**Convolution as the lecture computes it** (卷积计算过程). A 3x3 kernel ``w_1 .. w_9`` slides
over the image from the top left to the bottom right; at each position the output is the
linear weighted sum of the pixels under it (对信号的线性加权求和)::

    r = p_{i-1,j-1} w_1 + p_{i-1,j} w_2 + p_{i-1,j+1} w_3
      + p_{i,j-1}   w_4 + p_{i,j}   w_5 + p_{i,j+1}   w_6
      + p_{i+1,j-1} w_7 + p_{i+1,j} w_8 + p_{i+1,j+1} w_9

The kernel is **not flipped**: this is cross-correlation, what the lecture (and every deep
learning library) calls convolution; a flipped kernel would only relabel learned weights.
An H x W image and a k x k kernel give an (H - k + 1) x (W - k + 1) map (9x9 -> 7x7 in the
lecture's worked example); zero padding p on every side ("Just Padding!") gives
(H + 2p - k + 1); stride s keeps every s-th position: ``floor((H + 2p - k) / s) + 1``.

**Several maps** (第二个隐含层的设计). Layer L has maps ``y_j^L``, each the sum over the input
maps ``y_i^{L-1}`` of their convolution with one kernel ``K_ij``, plus a threshold ``w_j``,
through the non-linearity ``f`` (applied by the network, not here)::

    y_j^L = f( sum_i (y_i^{L-1} * K_ij) + w_j )

With 4 input maps and 7 output maps there are 28 kernels ``K_ij``; stacking the 4 maps into
a volume, the same sum is one 3-D filter ``K_j`` of shape (4, 3, 3) per output map, 7 in all
(三维滤波器对立体数据进行卷积). Both views are the one tensor ``K`` of shape (C_out, C_in, k, k).

**im2col.** ``unfold`` copies every k x k x C_in window into a column, ``cols`` (N, C_in k k,
L) with L output positions; then the convolution is one matrix product ``K_flat @ cols``
with ``K_flat`` (C_out, C_in k k). Its gradients, for the upstream gradient ``dY`` (N, C_out, L):

    dK = sum_n dY_n cols_n^T          (C_out, C_in k k)
    dw = sum over n and positions of dY          (C_out,)
    dX = fold(K_flat^T dY)            fold, the adjoint of unfold, adds each column's
                                      entries back to the pixels they were copied from

**Pooling and back-propagation** (the lecture's 思考题: how must BP change because of
pooling?). Pooling has no weights, so nothing is learned there; only the error must be routed
back through it. Max pooling takes the largest value of each window: its output depends on
that one input alone (the arg-max), with derivative 1, so the error of a pooled unit goes
entirely to the unit that won and the other units of the window get 0. Average pooling is
the mean of the k x k window, a linear map with every weight 1/k^2: the error is shared
equally, each unit of the window getting 1/k^2 of it. Overlapping windows add their shares.
The error then continues through the convolution layer below as usual (dX above).

Glossary (N batch, C channels/maps, H x W map size, k kernel size, L output positions):
    x: (N, C_in, H, W) input maps;  K: (C_out, C_in, k, k) kernels;  w: (C_out,) thresholds.

Reference: Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied to
document recognition", Proc. IEEE 86(11), 1998; K. Chellapilla, S. Puri, P. Simard, "High
performance convolutional neural networks for document processing", 2006 (im2col).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# The lecture's worked example (卷积计算过程): the 9x9 image and the 3x3 kernel are printed
# as text in the lecture; the first row of the 7x7 result starts 0, 8, 8, and out[6, 6] = 6.
LECTURE_IMAGE = torch.tensor([
    [0, 2, 3, 3, 5, 6, 1, 2, 3],
    [0, 1, 4, 3, 5, 1, 1, 0, 5],
    [3, 2, 0, 1, 4, 5, 2, 1, 6],
    [4, 1, 1, 2, 0, 1, 3, 0, 3],
    [0, 1, 3, 2, 1, 1, 1, 2, 2],
    [1, 0, 2, 0, 2, 2, 0, 2, 0],
    [1, 2, 0, 5, 0, 2, 1, 4, 0],
    [0, 3, 2, 4, 1, 0, 4, 3, 0],
    [1, 1, 1, 2, 3, 0, 3, 0, 0],
], dtype=torch.float32)
LECTURE_KERNEL = torch.tensor([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=torch.float32)

# The lecture's hand-designed filters (图像卷积操作举例) and Sobel, the classic edge pair.
CLASSICAL_FILTERS: dict[str, torch.Tensor] = {
    "mean": torch.full((3, 3), 1.0 / 9.0),  # 1/9 x ones: 平均平滑 (smoothing)
    "laplacian": torch.tensor([[1.0, 1, 1], [1, -8, 1], [1, 1, 1]]),  # 拉普拉斯边缘检测
    "sobel_x": torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]),  # vertical edges (d/dx)
    "sobel_y": torch.tensor([[-1.0, -2, -1], [0, 0, 0], [1, 2, 1]]),  # horizontal edges (d/dy)
}


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Side of the map after a kernel: ``floor((size + 2 padding - kernel) / stride) + 1``.

    >>> output_size(200, 5), output_size(9, 3), output_size(9, 3, padding=1), output_size(196, 2, 2)
    (196, 7, 9, 98)
    """
    return (size + 2 * padding - kernel) // stride + 1


class Conv2dFunction(torch.autograd.Function):
    """``y = K * x + w`` by im2col, with the gradients written out (see the module docstring)."""

    @staticmethod
    def forward(ctx, x, K, w, stride, padding):  # type: ignore[override]
        N, _, H, W = x.shape
        C_out, _, kh, kw = K.shape
        Ho = output_size(H, kh, stride[0], padding[0])
        Wo = output_size(W, kw, stride[1], padding[1])
        # 1. every k x k x C_in window as a column: (N, C_in kh kw, L), L = Ho Wo
        cols = F.unfold(x, (kh, kw), padding=padding, stride=stride)
        # 2. weighted sum of each window with each filter K_j: (C_out, C_in kh kw) @ cols
        y = K.reshape(C_out, -1) @ cols  # (N, C_out, L)
        if w is not None:
            y = y + w.view(1, C_out, 1)  # 3. the threshold w_j of every output map
        ctx.save_for_backward(cols, K)
        ctx.conf = (H, W, stride, padding, w is not None)
        return y.view(N, C_out, Ho, Wo)

    @staticmethod
    def backward(ctx, dY):  # type: ignore[override]
        cols, K = ctx.saved_tensors
        H, W, stride, padding, has_w = ctx.conf
        N, C_out = dY.shape[:2]
        dY = dY.reshape(N, C_out, -1)  # (N, C_out, L)
        dx = dK = dw = None
        if ctx.needs_input_grad[0]:
            dcols = K.reshape(C_out, -1).t() @ dY  # (N, C_in kh kw, L)
            # fold adds every column entry back to the pixel it came from (overlaps add up)
            dx = F.fold(dcols, (H, W), K.shape[2:], padding=padding, stride=stride)
        if ctx.needs_input_grad[1]:
            dK = (dY @ cols.transpose(1, 2)).sum(0).view_as(K)  # sum_n dY_n cols_n^T
        if has_w and ctx.needs_input_grad[2]:
            dw = dY.sum((0, 2))  # (C_out,)
        return dx, dK, dw, None, None


def conv2d(x: torch.Tensor, K: torch.Tensor, w: torch.Tensor | None = None,
           stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0) -> torch.Tensor:
    """Convolution (cross-correlation, no kernel flip) ``y_j = sum_i x_i * K_ij + w_j``.

    Same arguments and result as ``F.conv2d(x, K, w, stride, padding)``: ``x`` (N, C_in, H,
    W), ``K`` (C_out, C_in, kh, kw), ``w`` (C_out,) or None -> (N, C_out, Ho, Wo).

    The lecture's worked example, its first row and, with padding 1, the 9x9 map:

    >>> y = conv2d(LECTURE_IMAGE[None, None], LECTURE_KERNEL[None, None])
    >>> y.shape[-2:], y[0, 0, 0, :3].tolist(), y[0, 0, 6, 6].item()
    (torch.Size([7, 7]), [0.0, 8.0, 8.0], 6.0)
    >>> conv2d(LECTURE_IMAGE[None, None], LECTURE_KERNEL[None, None], padding=1).shape
    torch.Size([1, 1, 9, 9])
    """
    if x.dim() != 4 or K.dim() != 4:
        raise ValueError(f"conv2d expects x (N, C, H, W) and K (C_out, C_in, kh, kw): got "
                         f"x {tuple(x.shape)}, K {tuple(K.shape)}")
    if x.shape[1] != K.shape[1]:
        raise ValueError(f"x has {x.shape[1]} input maps but K expects {K.shape[1]}")
    stride, padding = _pair(stride), _pair(padding)
    for d in (0, 1):
        if output_size(x.shape[2 + d], K.shape[2 + d], stride[d], padding[d]) < 1:
            raise ValueError(f"input {x.shape[2]}x{x.shape[3]} is smaller than the kernel "
                             f"{K.shape[2]}x{K.shape[3]} (padding {padding[0]}): no output")
    return Conv2dFunction.apply(x, K, w, stride, padding)


def conv2d_naive(x: torch.Tensor, K: torch.Tensor, w: torch.Tensor | None = None,
                 padding: int = 0) -> torch.Tensor:
    """The lecture's sum ``r = sum_{a,b} p_{i+a, j+b} w_{a,b}`` with explicit loops over the
    output positions (stride 1): slow, only an oracle for small tests. Shapes as :func:`conv2d`.
    """
    x = F.pad(x, (padding,) * 4)
    N, C_in, H, W = x.shape
    C_out, _, kh, kw = K.shape
    y = x.new_zeros(N, C_out, H - kh + 1, W - kw + 1)
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            window = x[:, :, i:i + kh, j:j + kw]  # (N, C_in, kh, kw)
            # for each output map j: the weighted sum over every input map and kernel entry
            y[:, :, i, j] = torch.einsum("nchw,ochw->no", window, K)
    return y if w is None else y + w.view(1, -1, 1, 1)


class _Pool2dFunction(torch.autograd.Function):
    """Max or average pooling over k x k windows, backward routed as the module docstring says."""

    @staticmethod
    def forward(ctx, x, mode, kernel, stride):  # type: ignore[override]
        N, C, H, W = x.shape
        Ho, Wo = output_size(H, kernel[0], stride[0]), output_size(W, kernel[1], stride[1])
        # every window of every map as a column: (N C, kh kw, L)
        cols = F.unfold(x.reshape(N * C, 1, H, W), kernel, stride=stride)
        if mode == "max":
            y, arg = cols.max(dim=1)  # (N C, L): the value and the index of the winner
            ctx.save_for_backward(arg)
        else:
            y = cols.mean(dim=1)  # (N C, L)
        ctx.conf = (mode, N, C, H, W, kernel, stride)
        return y.view(N, C, Ho, Wo)

    @staticmethod
    def backward(ctx, dY):  # type: ignore[override]
        mode, N, C, H, W, kernel, stride = ctx.conf
        k2 = kernel[0] * kernel[1]
        dY = dY.reshape(N * C, 1, -1)  # (N C, 1, L)
        if mode == "max":
            (arg,) = ctx.saved_tensors
            # the whole error of a pooled unit goes to the unit that won, the others get 0
            dcols = dY.new_zeros(N * C, k2, dY.shape[-1]).scatter_(1, arg.unsqueeze(1), dY)
        else:
            # the average is linear with weights 1/k^2: each unit gets an equal share
            dcols = (dY / k2).expand(N * C, k2, dY.shape[-1]).contiguous()
        dx = F.fold(dcols, (H, W), kernel, stride=stride)  # overlapping windows add up
        return dx.view(N, C, H, W), None, None, None


def _pool(x: torch.Tensor, mode: str, kernel_size, stride) -> torch.Tensor:
    if x.dim() != 4:
        raise ValueError(f"{mode} pooling expects x (N, C, H, W): got {tuple(x.shape)}")
    kernel = _pair(kernel_size)
    stride = kernel if stride is None else _pair(stride)
    if x.shape[2] < kernel[0] or x.shape[3] < kernel[1]:
        raise ValueError(f"input {x.shape[2]}x{x.shape[3]} is smaller than the pooling window "
                         f"{kernel[0]}x{kernel[1]}")
    return _Pool2dFunction.apply(x, mode, kernel, stride)


def max_pool2d(x: torch.Tensor, kernel_size: int | tuple[int, int] = 2,
               stride: int | tuple[int, int] | None = None) -> torch.Tensor:
    """Max pooling (区域内取最大值) over k x k windows, stride k unless given; as
    ``F.max_pool2d(x, kernel_size, stride)``. Backward: the error goes to the arg-max.

    >>> max_pool2d(torch.arange(16.).view(1, 1, 4, 4)).view(-1).tolist()
    [5.0, 7.0, 13.0, 15.0]
    """
    return _pool(x, "max", kernel_size, stride)


def avg_pool2d(x: torch.Tensor, kernel_size: int | tuple[int, int] = 2,
               stride: int | tuple[int, int] | None = None) -> torch.Tensor:
    """Average pooling (区域内取平均) over k x k windows, as ``F.avg_pool2d(x, kernel_size,
    stride)``. Backward: each unit of a window gets 1/k^2 of the window's error.

    >>> avg_pool2d(torch.arange(16.).view(1, 1, 4, 4)).view(-1).tolist()
    [2.5, 4.5, 10.5, 12.5]
    """
    return _pool(x, "avg", kernel_size, stride)


def apply_filter(image: torch.Tensor, name: str, padding: int = 1) -> torch.Tensor:
    """Convolve an image with one of :data:`CLASSICAL_FILTERS` (zero padding 1 keeps its size).

    ``image`` is (H, W), (C, H, W) or (N, C, H, W); every map is filtered on its own and the
    result has the same number of dimensions.

    >>> apply_filter(LECTURE_IMAGE, "laplacian").shape
    torch.Size([9, 9])
    >>> apply_filter(torch.ones(5, 5), "mean")[2, 2].item()  # the mean of a constant image
    1.0
    """
    if name not in CLASSICAL_FILTERS:
        raise ValueError(f"unknown filter {name!r}: expected one of {', '.join(CLASSICAL_FILTERS)}")
    if not 2 <= image.dim() <= 4:
        raise ValueError(f"image must be (H, W), (C, H, W) or (N, C, H, W): got {tuple(image.shape)}")
    x = image.float()
    shape = x.shape
    x = x.reshape(-1, 1, *shape[-2:])  # (N C, 1, H, W): each map filtered on its own
    K = CLASSICAL_FILTERS[name].to(x.device)[None, None]  # (1, 1, 3, 3)
    y = F.conv2d(x, K, padding=padding)
    return y.reshape(*shape[:-2], *y.shape[-2:])


__all__ = [
    "CLASSICAL_FILTERS",
    "LECTURE_IMAGE",
    "LECTURE_KERNEL",
    "Conv2dFunction",
    "apply_filter",
    "avg_pool2d",
    "conv2d",
    "conv2d_naive",
    "max_pool2d",
    "output_size",
]
