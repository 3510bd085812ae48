"""distributed: 2 ranks x 1 thread (torchrun, gloo) against 1 process x 2 threads.

The same epochs of the same global batch, on the same cores: an MLP 784-100-10 (Adam, batch
100) and an RBM 784-500 CD-1 (batch 100) on MNIST (the first ``QUICK_IMAGES`` with
``--quick``; the embedded digits stand in when MNIST is absent). Each side runs in a fresh
process (``python -m neuralzoo.bench.distributed MODEL EPOCHS N`` under ``torchrun``, or
alone with 2 threads), which times its epochs (rank 0's clock, after a barrier) and prints
seconds per epoch; the sides alternate and the median of the repeats is kept. Ratio:
distributed / one process (below 1: the 2 ranks are faster). On a 2-core machine two ranks
pay an all-reduce per batch for no more cores, so no gain is the expected, honest outcome.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time

import torch

from .. import datasets
from .common import QUICK_IMAGES, data_name

NAME = "distributed"
TITLE = "2 ranks x 1 thread (torchrun, gloo) vs 1 process x 2 threads: MLP and RBM epochs"
TARGET = "<= 1.0"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _side(model: str, epochs: int, n: int, ranks: int) -> float:
    """Seconds per epoch printed by one fresh run of :func:`main` (``ranks`` processes)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    args = ["-m", "neuralzoo.bench.distributed", model, str(epochs), str(n)]
    if ranks > 1:
        env["OMP_NUM_THREADS"] = "1"
        cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={ranks}",
               "--master_addr=127.0.0.1", f"--master_port={_free_port()}", *args]
    else:
        env["OMP_NUM_THREADS"] = "2"
        cmd = [sys.executable, *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"bench distributed: {' '.join(cmd)} failed: {proc.stderr[-2000:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    return float(json.loads(lines[-1])["seconds_per_epoch"])


def run(quick: bool = False) -> list[dict]:
    name = data_name()
    n = QUICK_IMAGES if quick else 60_000
    epochs, repeats = (1, 2) if quick else (2, 3)
    data = name if name == "mnist" else f"{name} stands in for MNIST"
    rows = []
    for model, what in (("mlp", "MLP 784-100-10 Adam batch 100"), ("rbm", "RBM 784-500 CD-1 batch 100")):
        dist_t, one_t = [], []
        for _ in range(repeats):  # alternate, so that machine noise hits both alike
            dist_t.append(_side(model, epochs, n, ranks=2))
            one_t.append(_side(model, epochs, n, ranks=1))
        ratio = statistics.median(d / o for d, o in zip(dist_t, one_t))
        rows.append({
            "name": f"{what}, s/epoch: 2 ranks x 1 thread vs 1 process x 2 threads ({data}, "
                    f"{min(n, 60_000)} images, cpu)",
            "ours": round(statistics.median(dist_t), 4), "baseline": round(statistics.median(one_t), 4),
            "ratio": round(ratio, 3), "target": TARGET, "met": ratio <= 1.0,
        })
    return rows


def main(model: str, epochs: int, n: int) -> None:
    """One side: train ``model`` for ``epochs`` on ``n`` images; print seconds per epoch (rank 0)."""
    from ..models import MLP, RBM
    from ..train import distributed

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    binarize = "threshold" if model == "rbm" else None
    X, y = datasets.load(data_name(), split="train", **({"binarize": binarize} if binarize else {}))
    X, y = X[:n].reshape(min(n, len(X)), -1), y[:n]
    ctx = distributed.context()
    if ctx is not None:
        torch.distributed.barrier()
    t0 = time.perf_counter()
    if model == "mlp":
        MLP(X.shape[1], 10, hidden=[100]).fit(X, y, epochs=epochs, batch_size=100, lr=1e-3,
                                             optimizer="adam", seed=0, progress=False)
    else:
        RBM(X.shape[1], 500, method="cd").fit(X, epochs=epochs, batch_size=100, lr=0.05, seed=0,
                                              progress=False)
    seconds = (time.perf_counter() - t0) / epochs
    if distributed.is_writer():
        print(json.dumps({"model": model, "seconds_per_epoch": seconds}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
