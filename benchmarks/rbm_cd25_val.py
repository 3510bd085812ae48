"""rbm-ais, CD-25 row: the learning rate chosen on a validation split — the test set is not read.

    python benchmarks/rbm_cd25_val.py LR CACHE.pt [one]

trains the reproduction's CD-25 RBM (784-500, k raised 1 -> 25 over 100 epochs, SGD momentum
0.9, weight decay 2e-4, batch 100, seed 0) at learning rate LR on the first 50,000 sampled-binary
MNIST training images, saves it to CACHE.pt, and prints one JSON line per AIS estimate of the
mean log p(v) of the last 10,000 (100 runs, forward with its +-3 std interval and reverse):
the published 14,501 betas, then 100,001 betas unless a third argument is given.
"""
import json
import sys
import time

import torch

from neuralzoo import datasets
from neuralzoo.energy import ais
from neuralzoo.models.rbm import RBM
from neuralzoo.models.rbm_monitor import GibbsStepSchedule

lr, path = float(sys.argv[1]), sys.argv[2]
t = time.time()
X, _ = datasets.load("mnist", split="train", binarize="sample", seed=0)
X, V = X[:50_000], X[50_000:]
rbm = RBM(784, 500, method="cd", k=25)
rbm.fit(X, epochs=100, optimizer="sgd", seed=0, device="cpu", progress=False, lr=lr, momentum=0.9,
        weight_decay=2e-4, batch_size=100, callbacks=[GibbsStepSchedule(rbm, 1, 25, 100)])
torch.save(rbm, path)
print(json.dumps({"lr": lr, "train_s": round(time.time() - t)}), flush=True)
with torch.no_grad():
    F = -float(rbm.free_energy(rbm._check(V)).mean())  # mean -F(v) over the validation images
for nb in ([None, 100_000] if len(sys.argv) < 4 else [None]):
    t = time.time()
    g = torch.Generator().manual_seed(0)
    betas = None if nb is None else ais.scaled_schedule(nb)
    r = rbm.ais(betas=betas, n_runs=100, reverse=True, generator=g)
    print(json.dumps({"lr": lr, "n_betas": r.n_betas, "val_ll": F - r.log_z, "low": F - r.log_z_high,
                      "high": F - r.log_z_low, "reverse": F - r.reverse_log_z, "log_z": r.log_z,
                      "s": round(time.time() - t)}), flush=True)
