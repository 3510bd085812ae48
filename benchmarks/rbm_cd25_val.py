"""rbm-ais, CD-25 row: the learning rate chosen on a validation split — the test set is not read.

    [EPOCHS=100] [DYNAMIC=0|1] python benchmarks/rbm_cd25_val.py LR CACHE.pt [one]

trains the reproduction's CD-25 RBM (``rbm_ais.train_cd`` with ``CD25``: 784-500, k raised
1 -> 25 over EPOCHS epochs (default 100), SGD momentum 0.9, weight decay 2e-4, batch 100,
seed 0) at learning rate LR on the first 50,000 MNIST training images — the grey levels
binarised afresh for every batch with DYNAMIC=1 (the default, ``rbm_ais.DYNAMIC``), the
sampled-binary images drawn once (seed 0) with DYNAMIC=0 — saves it to CACHE.pt, and prints
one JSON line per AIS estimate (``rbm_ais.ais_log_likelihood``) of the mean log p(v) of the
last 10,000 sampled-binary images, drawn once with seed 0 (100 runs, forward with its +-3 std
interval and reverse): the published 14,501 betas, then 100,001 betas unless a third argument
is given.
"""
import json
import os
import sys
import time

import torch

from neuralzoo import datasets
from neuralzoo.energy import ais
from neuralzoo.reproduce.rbm_ais import CD25, DYNAMIC, ais_log_likelihood, train_cd

lr, path = float(sys.argv[1]), sys.argv[2]
epochs = int(os.environ.get("EPOCHS", "100"))
t = time.time()
dynamic = os.environ.get("DYNAMIC", str(int(DYNAMIC))) == "1"
X, _ = datasets.load("mnist", split="train", binarize="sample", seed=0)
V = X[50_000:]  # validation: the sampled-binary images, drawn once
X = (datasets.load("mnist", split="train")[0] if dynamic else X)[:50_000]
rbm = train_cd(X, k=25, epochs=epochs, device="cpu", **{**CD25, "lr": lr, "dynamic": dynamic})
torch.save(rbm, path)
print(json.dumps({"lr": lr, "epochs": epochs, "dynamic": dynamic, "train_s": round(time.time() - t)}), flush=True)
for nb in ([None, 100_000] if len(sys.argv) < 4 else [None]):
    t = time.time()
    r = ais_log_likelihood(rbm, V, betas=None if nb is None else ais.scaled_schedule(nb))
    print(json.dumps({"lr": lr, "epochs": epochs, "dynamic": dynamic, "n_betas": r["n_betas"],
                      "val_ll": r["log_likelihood"], "low": r["low"], "high": r["high"],
                      "reverse": r["reverse"], "log_z": r["log_z"], "s": round(time.time() - t)}), flush=True)
