"""rbm-exact: CD-1 training settings chosen on a validation split — the test set is not read.

    python benchmarks/rbm_exact_sweep.py "METHOD LR MOMENTUM EPOCHS SCHEDULE WEIGHT_DECAY" ["..." ...]

trains the 784-25 RBM of `neuralzoo reproduce rbm-exact` (MNIST binarised by sampling, seed 0,
as Salakhutdinov & Murray did; BINARIZE=threshold in the environment for the other convention;
batch 100 or BATCH from the environment, initial weight std 0.01 or INIT_STD, CENTERING=1 for the
centered RBM of Melchior et al. 2016, SGD, seed 0) on
the first 50,000 training images for each setting and prints one JSON line with the exact mean
log p(v) of the last 10,000 (log Z by enumerating the 2^25 hidden states).
"""
import json
import os
import sys
import time

from neuralzoo import datasets
from neuralzoo.reproduce.rbm_exact import held_out_log_likelihood

X, _ = datasets.load("mnist", split="train", binarize=os.environ.get("BINARIZE", "sample"))
X_val, X = X[50_000:], X[:50_000]
batch_size, init_std = int(os.environ.get("BATCH", 100)), float(os.environ.get("INIT_STD", 0.01))
centering = os.environ.get("CENTERING", "0") == "1"
for setting in sys.argv[1:]:
    method, lr, momentum, epochs, schedule, wd = setting.split()
    t = time.perf_counter()
    ll, log_z = held_out_log_likelihood(X, X_val, n_hidden=25, method=method, epochs=int(epochs), lr=float(lr),
                                        momentum=float(momentum), lr_schedule=schedule, weight_decay=float(wd),
                                        batch_size=batch_size, init_std=init_std, centering=centering)
    print(json.dumps({"method": method, "lr": float(lr), "momentum": float(momentum), "epochs": int(epochs),
                      "schedule": schedule, "weight_decay": float(wd),
                      "batch_size": batch_size, "init_std": init_std, "centering": centering,
                      "val_log_p": round(ll, 2),
                      "log_z": round(log_z, 2), "seconds": round(time.perf_counter() - t)}), flush=True)
