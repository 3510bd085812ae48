"""The CNN page's worked example (卷积计算过程): the lecture's 9x9 image, a 3x3 kernel sliding
from the top left to the bottom right, and the 7x7 map of weighted sums::

    r = p_{i-1,j-1} w_1 + p_{i-1,j} w_2 + ... + p_{i+1,j+1} w_9

computed by :func:`neuralzoo.models.cnn.ops.conv2d` (cross-correlation, the kernel not
flipped); with the lecture's kernel the first row starts 0, 8, 8 and the last number is 6.
"""

from __future__ import annotations

from typing import Any

from ._params import BadRequest

KERNELS = ("lecture", "mean", "laplacian", "sobel_x", "sobel_y")


def lecture_example(kernel: str = "lecture") -> dict[str, Any]:
    """Image (9x9), kernel (3x3) and the valid convolution (7x7), as nested lists."""
    from ..models.cnn import ops

    if kernel not in KERNELS:
        raise BadRequest(f"kernel: expected one of {', '.join(KERNELS)}, got {kernel!r}")
    K = ops.LECTURE_KERNEL if kernel == "lecture" else ops.CLASSICAL_FILTERS[kernel]
    y = ops.conv2d(ops.LECTURE_IMAGE[None, None], K[None, None])[0, 0]
    return {"image": ops.LECTURE_IMAGE.tolist(), "kernel": K.tolist(), "output": y.tolist(),
            "kernel_name": kernel, "kernels": list(KERNELS)}


def routes(runs: Any = None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import get

    return [get("/api/cnn/lecture", lambda query: lecture_example(query.get("kernel", "lecture")))]
