"""autoencoder: fine-tuning the deep autoencoder 784-1000-500-250-30 through ``neuralzoo.fit``
against a plain PyTorch loop, in the same process.

Both sides: the same 8 layers (sigmoid, linear 30-unit code, logistic output), the
cross-entropy summed over pixels and averaged over the batch, Adam lr 1e-3, batch 100, the
same shuffling; ours is ``DeepAutoencoder.fit(pretrain_epochs=0)`` (one ``finetune`` stage:
input checks, NaN guard, history, progress off). Alternated, median of the repeats, time per
epoch. Target: ours <= 1.05x. MNIST when a copy is found, else digits stand in (and the row
says so); ``--quick`` uses the first 5,000 images.
"""

from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from .. import datasets
from ..models.autoencoder.deep import PAPER_SIZES, DeepAutoencoder
from ..train import resolve_device
from .common import data_name

NAME = "autoencoder"
TITLE = "Deep autoencoder 784-1000-500-250-30 fine-tuning: neuralzoo.fit vs a plain PyTorch loop"


def plain_network(sizes: list[int]) -> nn.Sequential:
    """The unrolled network as a user writes it: sigmoid layers, a linear code, logits out."""
    layers: list[nn.Module] = []
    enc = list(zip(sizes[:-1], sizes[1:]))
    for i, (a, b) in enumerate(enc):
        layers.append(nn.Linear(a, b))
        if i < len(enc) - 1:
            layers.append(nn.Sigmoid())
    dec = list(zip(sizes[::-1][:-1], sizes[::-1][1:]))
    for i, (a, b) in enumerate(dec):
        layers.append(nn.Linear(a, b))
        if i < len(dec) - 1:
            layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def plain_loop(X: torch.Tensor, sizes: list[int], epochs: int, seed: int, batch_size: int = 100) -> nn.Module:
    """The baseline loop (on the device of ``X``)."""
    torch.manual_seed(seed)
    net = plain_network(sizes).to(X.device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=g).to(X.device)
        for i in range(0, len(X), batch_size):
            x = X[perm[i:i + batch_size]]
            loss = F.binary_cross_entropy_with_logits(net(x), x, reduction="sum") / len(x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return net


def run(quick: bool = False) -> list[dict]:
    name = data_name()
    X, _ = datasets.load(name, split="train")
    X = X.reshape(len(X), -1)
    sizes = [X.shape[1], *PAPER_SIZES[1:]]
    if quick:
        X = X[:5000]
    device = resolve_device("auto")
    X = X.to(device)
    repeats = 3 if quick else 5
    # warm-up: the first calls pay for lazy initialisation; time neither
    D, *H, K = sizes
    DeepAutoencoder(D, hidden=H, code=K).fit(X[:500], epochs=1, pretrain_epochs=0, progress=False,
                                             device=str(device))
    plain_loop(X[:500], sizes, 1, seed=0)
    ours_t, plain_t = [], []
    for r in range(repeats):  # alternate, so that machine noise hits both alike
        t0 = time.perf_counter()
        DeepAutoencoder(D, hidden=H, code=K).fit(X, epochs=1, pretrain_epochs=0, batch_size=100, lr=1e-3,
                                                 seed=r, progress=False, device=str(device))
        ours_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        plain_loop(X, sizes, 1, seed=r)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        plain_t.append(time.perf_counter() - t0)
    ratio = statistics.median(o / p for o, p in zip(ours_t, plain_t))
    data = name if name == "mnist" else f"{name} stands in for MNIST"
    return [{
        "name": f"fine-tuning {'-'.join(map(str, sizes))}, s/epoch ({data}, {len(X)} images, Adam batch 100, "
                f"{device}, median of {repeats})",
        "ours": round(statistics.median(ours_t), 4), "baseline": round(statistics.median(plain_t), 4),
        "ratio": round(ratio, 3), "target": "<= 1.05", "met": ratio <= 1.05,
    }]
