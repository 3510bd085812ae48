"""The from-scratch convolution and pooling against oracles: the lecture's worked example,
explicit loops, PyTorch's fused kernels (values and gradients) and gradcheck."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from neuralzoo.models.cnn import ops as cnn_ops
from neuralzoo.models.cnn.ops import (
    CLASSICAL_FILTERS,
    LECTURE_IMAGE,
    LECTURE_KERNEL,
    apply_filter,
    avg_pool2d,
    conv2d,
    conv2d_naive,
    max_pool2d,
)


def test_lecture_worked_example_values_and_padding():
    x, K = LECTURE_IMAGE[None, None], LECTURE_KERNEL[None, None]  # (1, 1, 9, 9), (1, 1, 3, 3)
    y = conv2d(x, K)[0, 0]
    assert y.shape == (7, 7)
    # the slides compute these four by hand: 0, 8, 8 on the first row and 6 at the bottom right
    assert y[0, :3].tolist() == [0.0, 8.0, 8.0]
    assert y[6, 6].item() == 6.0
    torch.testing.assert_close(y, F.conv2d(x, K)[0, 0], rtol=0, atol=0)
    torch.testing.assert_close(y, conv2d_naive(x, K)[0, 0], rtol=0, atol=0)
    # "Just Padding!": a zero border of 1 keeps the 9x9 size, the inner 7x7 unchanged
    yp = conv2d(x, K, padding=1)[0, 0]
    assert yp.shape == (9, 9)
    torch.testing.assert_close(yp[1:-1, 1:-1], y, rtol=0, atol=0)
    # no kernel flip: the kernel is the slide's [[1,2,1],[0,0,0],[-1,-2,-1]] applied as printed
    assert y[0, 0].item() == (LECTURE_IMAGE[:3, :3] * LECTURE_KERNEL).sum().item()


def _fused_vs_reference(fused, ours, x: torch.Tensor, *params: torch.Tensor, **kw) -> None:
    """Same values and same gradients for every input, with an arbitrary upstream gradient."""
    a = [t.clone().requires_grad_() for t in (x, *params)]
    b = [t.clone().requires_grad_() for t in (x, *params)]
    ya, yb = fused(*a, **kw), ours(*b, **kw)
    torch.testing.assert_close(yb, ya, rtol=1e-5, atol=1e-5)
    g = torch.randn_like(ya)
    ya.backward(g)
    yb.backward(g)
    for ta, tb in zip(a, b):
        torch.testing.assert_close(tb.grad, ta.grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("stride,padding,bias", [(1, 0, True), (2, 1, True), (1, 2, False), (3, 0, True)])
def test_conv2d_equals_f_conv2d_values_and_gradients(stride, padding, bias):
    torch.manual_seed(0)
    x, K = torch.randn(3, 4, 11, 10), torch.randn(7, 4, 3, 5)  # several maps in and out
    params = (K, torch.randn(7)) if bias else (K,)
    _fused_vs_reference(F.conv2d, conv2d, x, *params, stride=stride, padding=padding)


def test_conv2d_sums_the_28_kernels_of_the_lecture_over_input_maps():
    # y_j = sum_i y_i * K_ij + w_j, map by map, with 4 input and 7 output maps
    torch.manual_seed(1)
    x, K, w = torch.randn(2, 4, 8, 8), torch.randn(7, 4, 3, 3), torch.randn(7)
    y = conv2d(x, K, w)
    for j in range(7):
        yj = sum(conv2d(x[:, i:i + 1], K[j:j + 1, i:i + 1]) for i in range(4)) + w[j]
        torch.testing.assert_close(y[:, j:j + 1], yj, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(y, conv2d_naive(x, K, w), rtol=1e-5, atol=1e-5)


def test_conv2d_gradcheck():
    torch.manual_seed(0)
    x = torch.randn(2, 2, 6, 5, dtype=torch.float64, requires_grad=True)
    K = torch.randn(3, 2, 3, 2, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, dtype=torch.float64, requires_grad=True)
    for stride, padding in [(1, 0), (2, 1)]:
        assert torch.autograd.gradcheck(lambda a, b, c, s=stride, p=padding: conv2d(a, b, c, s, p), (x, K, w))


@pytest.mark.parametrize("kernel,stride", [(2, None), (3, 2), (2, 1)])
@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pooling_equals_torch_values_and_gradients(mode, kernel, stride):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 9, 8)
    fused, ours = (F.max_pool2d, max_pool2d) if mode == "max" else (F.avg_pool2d, avg_pool2d)
    _fused_vs_reference(fused, ours, x, kernel_size=kernel, stride=stride)


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
def test_pooling_gradcheck(pool):
    torch.manual_seed(0)
    x = torch.randn(2, 2, 6, 7, dtype=torch.float64, requires_grad=True)  # distinct values: no ties
    assert torch.autograd.gradcheck(lambda a: pool(a, 2), (x,))
    assert torch.autograd.gradcheck(lambda a: pool(a, 3, 2), (x,))  # overlapping windows


def test_pooling_backward_routes_or_shares_the_error():
    # the lecture's question: max pooling sends the error to the winner, average shares it
    x = torch.tensor([[1.0, 5.0], [3.0, 2.0]]).view(1, 1, 2, 2).requires_grad_()
    max_pool2d(x).sum().mul(8.0).backward()
    assert x.grad.view(-1).tolist() == [0.0, 8.0, 0.0, 0.0]
    x.grad = None
    avg_pool2d(x).sum().mul(8.0).backward()
    assert x.grad.view(-1).tolist() == [2.0, 2.0, 2.0, 2.0]


def test_classical_filters():
    assert set(CLASSICAL_FILTERS) == {"mean", "laplacian", "sobel_x", "sobel_y"}
    ramp = torch.arange(6.0).repeat(6, 1)  # (6, 6): grows by 1 per column
    inner = (slice(1, -1), slice(1, -1))
    assert apply_filter(ramp, "laplacian")[inner].abs().max() == 0  # linear image: no edge
    assert torch.allclose(apply_filter(ramp, "mean")[inner], ramp[inner])  # smoothing keeps a ramp
    assert torch.all(apply_filter(ramp, "sobel_x")[inner] == 8.0)  # d/dx = 1, Sobel weight 8
    assert torch.all(apply_filter(ramp, "sobel_y")[inner] == 0.0)
    batch = torch.rand(2, 3, 5, 5)
    assert apply_filter(batch, "mean").shape == (2, 3, 5, 5)
    with pytest.raises(ValueError, match="unknown filter 'gabor': expected one of mean"):
        apply_filter(ramp, "gabor")


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="smaller than the kernel"):
        conv2d(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="x has 2 input maps but K expects 1"):
        conv2d(torch.zeros(1, 2, 5, 5), torch.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="smaller than the pooling window"):
        max_pool2d(torch.zeros(1, 1, 1, 3))
    with pytest.raises(ValueError, match=r"expects x \(N, C, H, W\)"):
        avg_pool2d(torch.zeros(3, 3))


def test_doctests():
    import doctest

    assert doctest.testmod(cnn_ops).failed == 0
