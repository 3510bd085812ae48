r"""The CNN page's computations: the lecture's worked example of a convolution (卷积计算过程),
and LeNet-5 reading a digit drawn on the page, layer by layer.

**The worked example.** The lecture's 9x9 image, a 3x3 kernel sliding from the top left to the
bottom right, and the 7x7 map of weighted sums::

    r = p_{i-1,j-1} w_1 + p_{i-1,j} w_2 + ... + p_{i+1,j+1} w_9

computed by :func:`neuralzoo.models.cnn.ops.conv2d` (cross-correlation, the kernel not
flipped); with the lecture's kernel the first row starts 0, 8, 8 and the last number is 6.
The page writes the numbers one window position at a time.

**LeNet-5 on a drawn digit.** The library's :class:`~neuralzoo.models.cnn.lenet.LeNet5`, shipped
trained (``checkpoints/lenet5.safetensors``, written by ``benchmarks/train_playground.py
lenet5`` from :func:`train_lenet5`). Every layer is the lecture's
``y_j^L = f(sum_i y_i^{L-1} * K_ij + w_j)`` (激励, 加权和, 阈值) with LeCun's
``f(a) = 1.7159 tanh(2a/3)``; the subsampling layers compute ``f(c_j sum_{2x2} y_j + b_j)``::

    input  1 x 32 x 32   the 8x8 digit upscaled 3x (bilinear) and padded by 4
    C1     6 x 28 x 28   5x5 kernels
    S2     6 x 14 x 14   2x2 subsampling
    C3    16 x 10 x 10   5x5 kernels over the S2 maps of Table I
    S4    16 x 5 x 5     2x2 subsampling
    C5   120 x 1 x 1     5x5 kernels on 5x5 maps: a full layer
    F6    84             f(W h + b)
    output 10            logits o, P(class k) = softmax(o)_k = exp(o_k) / sum_j exp(o_j)

The input form. The model is built for the digits' own 8x8 images, ``LeNet5((1, 8, 8), 10)``,
and trained on the training split's raw grey levels in [0, 1] (pixel / 16): it prepares every
image itself (:meth:`~neuralzoo.models.cnn.base.ConvNet.prepare`: bilinear upscaling by 3 to
24x24, a zero border of 4 to the paper's 32x32 field, so that the digit fills the field as an
MNIST digit does), so the page and the API hand it 8x8 images and show its "input" map as C1
sees it. The page draws on a 32x32 grid and the server averages 4x4 blocks into the 8x8 image:
that is how the digits were made (UCI optdigits: 32x32 bitmaps, the set pixels of each 4x4
block counted, 0..16), so a drawn digit reads as a digit of the data set does.

**A LeNet-5 of a run folder.** Under ``neuralzoo serve --runs DIR`` the endpoints that use the
network (``/api/cnn/lenet``, ``/api/cnn/examples``) take ``"run": name`` (``?run=name`` on GET)
and answer with that run's model; ``source`` says which model answered. A run serves the page
when it holds a ``lenet5`` of the 8x8 digits: input 1x8x8 and 10 classes (a LeNet-5 of MNIST,
1x28x28, is refused, saying what was expected and what the run holds). Its options may differ
from the shipped model's (``activation``, ``subsampling``, ``c3_table``, ``activation_after_pool``,
``upscale``/``pad``): each layer's ``note`` and colour ``range`` are read from the model, so the
maps are drawn as that model computes them. The other convolutional networks of the library
(``cnn``, ``lecture-cnn``) are refused: their ``feature_maps`` exist, but their layers are not
LeNet-5's (no trainable subsampling, no Table I, no F6; ``cnn`` has "same"-padded blocks,
optional batch normalisation and a hidden layer of its own), and this page draws and explains
LeNet-5's layers by name.
``/api/cnn/runs`` lists every run with whether it serves the page, and why not.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

from ._params import BadRequest, get_int

KERNELS = ("lecture", "mean", "laplacian", "sobel_x", "sobel_y")
SIDE = 8  # the embedded digits: 8x8 grey levels in [0, 1]
CANVAS = 32  # the page's drawing grid: 4x4 blocks of it make one pixel of the 8x8 image
N_CLASSES = 10
# LeNet-5's training: the tour's setting for lenet5 on the digits, run for 15 epochs instead
# of 8 (test accuracy 0.969 against 0.964; about 15 s on one core)
LENET_FIT = {"epochs": 15, "batch_size": 32, "lr": 2e-3, "optimizer": "adam",
             "lr_schedule": "cosine", "seed": 0}
DECIMALS = 3  # of the feature maps in the answer
# f of each activation a LeNet-5 may have, as the page writes it, and the bound A of |f(a)|
F_TEXT = {"scaled_tanh": "f(a) = 1.7159 tanh(2a/3)", "tanh": "f(a) = tanh(a)",
          "sigmoid": "f(a) = sigm(a) = 1/(1 + exp(-a))", "relu": "f(a) = max(0, a)"}
F_BOUND = {"scaled_tanh": 1.7159, "tanh": 1.0, "sigmoid": 1.0}  # ReLU: none


# -- the worked example -----------------------------------------------------------------------

def lecture_example(kernel: str = "lecture") -> dict[str, Any]:
    """Image (9x9), kernel (3x3) and the valid convolution (7x7), as nested lists."""
    from ..models.cnn import ops

    if kernel not in KERNELS:
        raise BadRequest(f"kernel: expected one of {', '.join(KERNELS)}, got {kernel!r}")
    K = ops.LECTURE_KERNEL if kernel == "lecture" else ops.CLASSICAL_FILTERS[kernel]
    y = ops.conv2d(ops.LECTURE_IMAGE[None, None], K[None, None])[0, 0]
    return {"image": ops.LECTURE_IMAGE.tolist(), "kernel": K.tolist(), "output": y.tolist(),
            "kernel_name": kernel, "kernels": list(KERNELS)}


# -- LeNet-5 ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def digits(split: str):
    """The embedded digits ``(X (N, 64) in [0, 1], y (N,))`` of ``split``."""
    from .. import datasets

    return datasets.load("digits", split=split)


def build_lenet5(meta: dict[str, str] | None = None):
    """The page's LeNet-5, untrained: 8x8 grey inputs, 10 classes, the paper's layers."""
    from ..models.cnn.lenet import LeNet5

    return LeNet5((1, SIDE, SIDE), N_CLASSES)


def train_lenet5():
    """LeNet-5 trained from scratch (seed 0, :data:`LENET_FIT`) on the 1437 training digits as
    8x8 grey levels; returns ``(model, metadata)`` with its accuracy on the 360 test digits."""
    X, y = digits("train")
    net = build_lenet5().fit(X, y, progress=False, **LENET_FIT)
    Xt, yt = digits("test")
    meta = {"data": f"digits, train split ({len(X)} images 8x8)",
            "fit": ", ".join(f"{k}={v}" for k, v in LENET_FIT.items()),
            "test_accuracy": f"{net.score(Xt, yt):.4f}"}
    return net, meta


SHIPPED = {"lenet5": train_lenet5}


def lenet_model():
    """``(LeNet5, metadata)``: the shipped weights, else trained on first use; in eval mode."""
    from . import _shipped

    return _shipped.model("lenet5", build_lenet5, train_lenet5)


# -- which LeNet-5: the shipped one, or a run's -----------------------------------------------

def _describe(net) -> str:
    return f"lenet5, {net.activation}, {net.subsampling} subsampling"


def _kind_refusal(name: str, got: str) -> str:
    return (f"run {name!r}: expected a lenet5 run (LeNet-5, whose layers C1 ... F6 the page "
            f"draws), got {got}")


def _lenet(body: dict[str, Any], runs: Path | None):
    """The LeNet-5 a request asks for and a line saying which: the model of run ``body["run"]``
    (a ``lenet5`` of 1x8x8 images and 10 classes, else refused), or the shipped one."""
    from ..models.cnn.lenet import LeNet5

    name = body.get("run")
    if name is None:
        net, _ = lenet_model()
        return net, f"shipped {_describe(net)}"
    from .runs import load_model

    net = load_model(runs, name)
    if not isinstance(net, LeNet5):  # CNN, LectureCNN, an MLP, ...: not LeNet-5's layers
        kind = getattr(type(net), "registry_name", type(net).__name__)
        raise BadRequest(_kind_refusal(name, f"a {kind} run"))
    shape, classes = tuple(net.input_shape), net.n_classes
    if shape != (1, SIDE, SIDE) or classes != N_CLASSES:
        raise BadRequest(f"run {name!r}: expected a LeNet-5 of the 8x8 digits (input "
                         f"1x{SIDE}x{SIDE}, {N_CLASSES} classes), got input "
                         f"{'x'.join(map(str, shape))}, {classes} classes")
    return net.eval(), f"run {name}: {_describe(net)}"


def page_runs(runs: Path | None) -> dict[str, Any]:
    """Every run under ``--runs`` (name and model, as ``/api/runs`` lists them) with ``usable``:
    whether it serves the page, and then its ``source``; else the ``reason``, the refusal that
    the page's endpoints would answer. Only ``lenet5`` runs are loaded to decide."""
    from .runs import list_runs

    out = []
    for r in list_runs(runs):
        try:
            if r["model"] != "lenet5":
                got = f"a {r['model']} run" if r["model"] else "a run whose config names no model"
                raise BadRequest(_kind_refusal(r["name"], got))
            _, source = _lenet({"run": r["name"]}, runs)
            out.append({**r, "usable": True, "source": source})
        except BadRequest as err:
            out.append({**r, "usable": False, "reason": err.message})
    return {"runs": out}


def layer_notes(net) -> dict[str, str]:
    """What each layer of ``net`` computes, read from its options (the shipped model's:
    upscale 3, pad 4, trainable subsampling, Table I, f after every layer)."""
    after = net.activation_after_pool
    conv = "" if after else ", f"
    if net.subsampling == "trainable":  # the paper's S layer, always squashed
        sub = "f(c_j * sum of 2x2 + b_j)"
    else:
        sub = (f"2x2 {'average' if net.subsampling == 'avg' else 'max'} pooling"
               + (", then f" if after else ""))
    field = f"the {SIDE}x{SIDE} digit"
    if net.upscale > 1:
        field += f" upscaled {net.upscale}x (bilinear)"
    if net.pad:
        field += f", zero border of {net.pad}"
    s4 = net.map_shapes()[-2][1]  # (16, H, W): C5 is a full layer when its kernel covers S4
    c5 = ("5x5 kernels on 5x5 maps (a full layer), f" if s4[1:] == (5, 5)
          else f"5x5 kernels on {s4[1]}x{s4[2]} maps, f")
    c3 = "over the S2 maps of Table I" if net.c3_table else "over all 6 S2 maps"
    return {"input": field, "C1": "5x5 kernels" + conv, "S2": sub, "C3": f"5x5 kernels {c3}{conv}", "S4": sub,
            "C5": c5, "F6": "f(W h + b)", "output": "logits o; P = softmax(o)"}


def _colour_range(name: str, m, bound: float | None) -> float:
    """The page's colour scale of a layer: f's bound A when every value lies within it, else the
    layer's largest |value| (ReLU; pre-activations when f comes after the pooling; the logits)."""
    if name == "input":
        return 1.0  # grey levels
    top = float(m.abs().max())
    if name != "output" and bound is not None and top <= bound:
        return bound
    return round(top, 4) or 1.0


def read_pixels(body: dict[str, Any]):
    """``body["pixels"]``: 64 (8x8) or 1024 (32x32, the page's drawing grid) grey levels in
    [0, 1], row by row, 1 = ink; returned as the (8, 8) image the network reads (a 32x32
    drawing averaged over 4x4 blocks)."""
    import torch

    sizes = f"{SIDE * SIDE} ({SIDE}x{SIDE}) or {CANVAS * CANVAS} ({CANVAS}x{CANVAS})"
    v = body.get("pixels")
    if not isinstance(v, list):
        raise BadRequest(f"pixels: expected a list of {sizes} grey levels in [0, 1], got "
                         f"{'nothing' if v is None else type(v).__name__}")
    if len(v) not in (SIDE * SIDE, CANVAS * CANVAS):
        raise BadRequest(f"pixels: expected {sizes} values, got {len(v)}")
    for k, x in enumerate(v):
        if isinstance(x, bool) or not isinstance(x, int | float) or not 0.0 <= x <= 1.0:
            raise BadRequest(f"pixels: expected grey levels in [0, 1], got {x!r} at index {k}")
    img = torch.tensor(v, dtype=torch.float32)
    if len(v) == SIDE * SIDE:
        return img.view(SIDE, SIDE)
    b = CANVAS // SIDE
    return img.view(SIDE, b, SIDE, b).mean(dim=(1, 3))  # (32, 32) -> (8, 4, 8, 4) -> (8, 8)


def _rounded(t, decimals: int = DECIMALS) -> list:
    return t.double().round(decimals=decimals).tolist()  # float64 first: 0.123, not 0.12300000190


def lenet(body: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """LeNet-5 (the shipped one, or run ``body["run"]``'s) on the drawn ``pixels`` (see
    :func:`read_pixels`).

    Returns ``input`` (8, 8), the image the network reads; ``layers``, one per layer in forward
    order, each ``{"name", "note", "shape", "maps", "range"}`` with the activations nested as
    ``shape`` ((C, H, W) for input, C1, S2, C3, S4, C5; (84,) for F6; (10,) for output's logits
    o), rounded to 3 decimals, and ``range`` the page's colour scale (:func:`_colour_range`);
    ``probs`` = softmax(o) (10,); ``predicted`` = argmax; ``f`` the activation, ``range`` its
    bound A (None for ReLU); ``source``, which model answered.
    """
    import torch

    img = read_pixels(body)  # (8, 8)
    net, source = _lenet(body, runs)
    x = img.reshape(1, SIDE * SIDE)  # (1, D)
    maps = net.feature_maps(x)  # [(name, (C, H, W))]: input as C1 sees it, C1 ... C5
    with torch.no_grad():
        F6 = net.f(net.F6(maps[-1][1].reshape(1, -1)))  # (1, 84): y = f(W h + b)
        o = net(x)  # (1, 10): the forward pass itself
        probs = torch.softmax(o, dim=1)[0]
    maps += [("F6", F6[0]), ("output", o[0])]
    notes, bound = layer_notes(net), F_BOUND.get(net.activation)
    layers = [{"name": name, "note": notes[name], "shape": list(m.shape), "maps": _rounded(m),
               "range": _colour_range(name, m, bound)} for name, m in maps]
    return {"side": SIDE, "input": _rounded(img, 4), "layers": layers,
            "probs": _rounded(probs, 4), "predicted": int(probs.argmax()),
            "f": F_TEXT.get(net.activation, f"f = {net.activation}"), "range": bound, "source": source}


def examples(query: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """The first test digit of each class 0..9 (digits the model never saw in training):
    ``digits`` (10, 64) grey levels, ``labels``, their ``indices`` in the test split, and the
    ``test_accuracy`` of the model ``query["run"]`` names (the shipped one's from its metadata;
    a run's measured now, on the 360 test digits) with its ``source``."""
    import torch

    net, source = _lenet(query, runs)
    X, y = digits("test")
    rows = [int(torch.nonzero(y == c)[0, 0]) for c in range(N_CLASSES)]
    if query.get("run") is None:
        acc = float(lenet_model()[1].get("test_accuracy", "nan"))
    else:
        with torch.no_grad():
            acc = round(float((net(X).argmax(1) == y).float().mean()), 4)
    return {"side": SIDE, "digits": _rounded(X[rows], 4), "labels": y[rows].tolist(),
            "indices": rows, "n_test": len(X),
            "test_accuracy": None if math.isnan(acc) else acc, "source": source}


def digit(body: dict[str, Any]) -> dict[str, Any]:
    """Test digit number ``index`` (0 .. 359): its ``pixels`` (64,) and ``label``."""
    X, y = digits("test")
    k = get_int(body, "index", 0, 0, len(X) - 1)
    return {"side": SIDE, "index": k, "pixels": _rounded(X[k], 4), "label": int(y[k])}


def routes(runs: Path | None = None) -> list:
    """The page's API (see :mod:`._web`); ``runs``: the folder of ``neuralzoo serve --runs``."""
    from ._web import get, post

    return [get("/api/cnn/lecture", lambda query: lecture_example(query.get("kernel", "lecture"))),
            post("/api/cnn/lenet", lambda body: lenet(body, runs)),
            get("/api/cnn/examples", lambda query: examples(query, runs)),
            post("/api/cnn/digit", digit),
            get("/api/cnn/runs", lambda query: page_runs(runs))]
