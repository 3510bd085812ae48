"""cnn: LeNet-5 through ``neuralzoo.fit`` against a plain PyTorch loop; the from-scratch ops
against PyTorch's fused kernels.

1. ``LeNet5`` (the paper's options) trained on MNIST by ``neuralzoo.fit`` against the loop a
   PyTorch user writes by hand over the same model class, data (already on the device, shaped
   (N, 1, 28, 28)), shuffling, batch 64 and Adam, in the same process, alternated, median of
   the repeats. Target: ours <= 1.05x the plain loop per epoch.
2. ``LeNet5(ops="reference")`` (im2col convolution and pooling with hand-written backward,
   :mod:`neuralzoo.models.cnn.ops`) against ``LeNet5(ops="fused")`` (``F.conv2d`` and
   friends): time per training step on the same batches. Informational: how much the
   readable implementation costs; no target to meet.

MNIST is used when a copy is found; otherwise the embedded digits stand in (upscaled to 24x24
and padded to 32x32 as ``LeNet5``'s automatic ``upscale`` and ``pad`` do), and the rows say so.
"""

from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F

from .. import datasets
from ..models.cnn.lenet import LeNet5
from ..train import resolve_device
from .common import data_name, sync

NAME = "cnn"
TITLE = "LeNet-5: neuralzoo.fit vs a plain PyTorch loop; reference ops vs F.conv2d"


def _data():
    name = data_name()
    X, y = datasets.load(name, split="train", flatten=False)  # (N, 1, H, W)
    return name, X, y


def _model(X: torch.Tensor, **options) -> LeNet5:
    H = X.shape[-1]
    kw = {"upscale": 1, "pad": 2} if H == 28 else {"upscale": 3, "pad": 4}  # 8x8 digits -> 32x32
    return LeNet5(tuple(X.shape[1:]), 10, **kw, **options)


def plain_loop(X: torch.Tensor, y: torch.Tensor, epochs: int, seed: int) -> LeNet5:
    """The baseline: the loop a PyTorch user writes by hand (on the device of ``X``)."""
    torch.manual_seed(seed)
    model = _model(X).to(X.device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=g).to(X.device)
        for i in range(0, len(X), 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model


def _step_time(model: LeNet5, batches: list[tuple[torch.Tensor, torch.Tensor]], device) -> float:
    """Seconds per training step (forward, backward, Adam) over ``batches``."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sync(device)
    t0 = time.perf_counter()
    for xb, yb in batches:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    sync(device)
    return (time.perf_counter() - t0) / len(batches)


def run(quick: bool = False, device: str = "auto") -> list[dict]:
    name, X, y = _data()
    dev = resolve_device(device)  # both sides on the same device, data already there
    X, y = X.to(dev), y.to(dev)
    if quick:
        X, y = X[:10_000], y[:10_000]
    epochs, repeats = 1, (3 if quick else 5)
    # warm-up: the first calls pay for lazy initialisation inside torch; time neither
    _model(X).fit(X[:512], y[:512], epochs=1, batch_size=64, device=str(dev), progress=False)
    plain_loop(X[:512], y[:512], 1, seed=0)
    ours_t, plain_t = [], []
    for r in range(repeats):  # alternate, so that machine noise hits both alike
        sync(dev)
        t0 = time.perf_counter()
        _model(X).fit(X, y, epochs=epochs, batch_size=64, lr=1e-3, seed=r, device=str(dev),
                      progress=False)
        sync(dev)
        ours_t.append((time.perf_counter() - t0) / epochs)
        t0 = time.perf_counter()
        plain_loop(X, y, epochs, seed=r)
        sync(dev)
        plain_t.append((time.perf_counter() - t0) / epochs)
    ratios = [o / p for o, p in zip(ours_t, plain_t)]
    data = f"{name}, {len(X)} images" if name == "mnist" else f"{name} stands in for MNIST"
    rows = [{
        "name": f"LeNet-5 fit() vs plain PyTorch loop, s/epoch ({data}, Adam batch 64, {dev})",
        "ours": round(statistics.median(ours_t), 4), "baseline": round(statistics.median(plain_t), 4),
        "ratio": round(statistics.median(ratios), 3), "target": "<= 1.05",
        "met": statistics.median(ratios) <= 1.05,
    }]

    # the from-scratch ops against the fused kernels, same weights, same batches
    g = torch.Generator().manual_seed(0)
    n_steps = 10 if quick else 30
    idx = torch.randperm(len(X), generator=g)[:64 * n_steps].to(dev)
    batches = [(X[idx[i:i + 64]], y[idx[i:i + 64]]) for i in range(0, len(idx), 64)]
    ref_t, fused_t = [], []
    for r in range(repeats):
        torch.manual_seed(r)
        fused = _model(X, ops="fused").to(dev)
        ref = _model(X, ops="reference").to(dev)
        ref.load_state_dict(fused.state_dict())
        if r == 0:  # warm-up of both code paths
            _step_time(ref, batches[:2], dev), _step_time(fused, batches[:2], dev)
        ref_t.append(_step_time(ref, batches, dev))
        fused_t.append(_step_time(fused, batches, dev))
    ratio = statistics.median(r / f for r, f in zip(ref_t, fused_t))
    rows.append({
        "name": f"LeNet-5 ops='reference' (im2col, hand-written backward) vs ops='fused' "
                f"(F.conv2d), s/step (batch 64, {dev})",
        "ours": round(statistics.median(ref_t), 5), "baseline": round(statistics.median(fused_t), 5),
        "ratio": round(ratio, 3), "target": "informational", "met": True,
    })
    return rows
