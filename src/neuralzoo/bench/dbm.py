"""dbm: one epoch of DBM 784-500-1000 training against its GEMM-bound time, in one process.

One epoch (MNIST, batch N = 100, M = 100 fantasy particles, S = 10 mean-field sweeps with no
early stop, k = 5 Gibbs sweeps) does these matrix products per batch (D = 784, H1 = 500,
H2 = 1000)::

    mean field  2 N D H1 (bottom-up, once) + 2 N H1 H2 (start of h2) + S * 4 N H1 H2
    particles   k * 4 M (D H1 + H1 H2)        (odd layers: two products, even layers: two)
    surrogate   4 (N + M) (D H1 + H1 H2)      (energies forward, weight gradients backward)

The bound is those FLOPs over the float32 GEMM rate measured here on the same shapes (a block
of ``(100, 784) @ (784, 500)``, ``(100, 1000) @ (1000, 500)``, ``(100, 500) @ (500, 1000)``
and the gradient shapes, back to back), alternated with our epoch; the median of the repeats.
The rest of an epoch — sigmoids, random numbers for 100 x 2284 units per sweep, the
optimizer — is what the ratio exposes. ``--quick``: 10,000 images.
"""

from __future__ import annotations

import os
import statistics

import torch

from ..models.dbm.model import DBM
from ..train import fit
from .common import binary_images, timed

NAME = "dbm"
TITLE = "DBM 784-500-1000: one training epoch (mean field + persistent chains) vs its GEMM-bound time"


def flops_per_batch(N: int, M: int, D: int, H1: int, H2: int, S: int, k: int) -> int:
    """The matrix-product FLOPs of one update (module docstring)."""
    return (2 * N * D * H1 + 2 * N * H1 * H2 + S * 4 * N * H1 * H2 + k * 4 * M * (D * H1 + H1 * H2)
            + 4 * (N + M) * (D * H1 + H1 * H2))


def gemm_rate(device: torch.device, N: int, D: int, H1: int, H2: int, repeats: int) -> float:
    """FLOP/s of the epoch's GEMM shapes, ``repeats`` rounds back to back after a warm-up."""
    g = torch.Generator(device=device).manual_seed(0)
    v, h1, h2 = (torch.rand(N, n, generator=g, device=device) for n in (D, H1, H2))
    W1, W2 = torch.rand(D, H1, generator=g, device=device), torch.rand(H1, H2, generator=g, device=device)
    ops = [(lambda: v @ W1, 2 * N * D * H1), (lambda: h2 @ W2.T, 2 * N * H1 * H2), (lambda: h1 @ W2, 2 * N * H1 * H2),
           (lambda: h1 @ W1.T, 2 * N * D * H1), (lambda: v.T @ h1, 2 * N * D * H1), (lambda: h1.T @ h2, 2 * N * H1 * H2)]
    for f, _ in ops:
        f()

    def block() -> None:
        for _ in range(repeats):
            for f, _ in ops:
                f()

    return repeats * sum(n for _, n in ops) / timed(block, device)


def run(quick: bool = False) -> list[dict]:
    name, X, device = binary_images(quick)
    n, D = X.shape
    H1, H2, N, M, S, k = 500, 1000, 100, 100, 10, 5
    batches = -(-n // N)
    flops = batches * flops_per_batch(N, M, D, H1, H2, S, k)
    cfg = {"epochs": 1, "batch_size": N, "lr": 0.001, "optimizer": "sgd", "momentum": 0.9, "progress": False,
           "device": str(device)}

    def epoch() -> float:
        dbm = DBM(D, hidden=[H1, H2], n_chains=M, k=k, mf_steps=S, mf_tol=0.0)  # tol 0: always S sweeps
        return timed(lambda: fit(dbm, X, cfg), device)

    fit(DBM(D, hidden=[H1, H2], n_chains=M, k=k, mf_steps=S, mf_tol=0.0), X[:500], cfg)  # warm-up
    ours, rates = [], []
    for _ in range(2 if quick else 3):
        ours.append(epoch())
        rates.append(gemm_rate(device, N, D, H1, H2, repeats=max(50, batches * (S + 3))))
    t, rate = statistics.median(ours), statistics.median(rates)
    bound = flops / rate
    load = f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, {torch.get_num_threads()} threads"
    data = f"{name}, {n} images" if name == "mnist" else f"{name} stands in for MNIST ({n} images, D={D})"
    return [{"name": f"DBM {D}-{H1}-{H2} epoch, s ({data}; batch {N}, {M} particles, {S} mean-field + {k} Gibbs "
                     f"sweeps; {flops / 1e12:.2f} TFLOP at {rate / 1e9:.1f} GFLOP/s; {load}, {device}): ours "
                     f"reaches {bound / t:.0%} of the GEMM rate",
             "ours": round(t, 3), "baseline": round(bound, 3), "ratio": round(t / bound, 3),
             "target": "<= 2 (>= 50% of the GEMM rate)", "met": t / bound <= 2.0}]


__all__ = ["NAME", "TITLE", "flops_per_batch", "gemm_rate", "run"]
