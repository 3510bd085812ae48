"""dbm, fine-tuning row: settings chosen on a validation split — the test set is not read.

    python benchmarks/dbm_finetune_sweep.py CACHE.pt "LR EPOCHS BATCH WEIGHT_DECAY [OPTIMIZER]" ["..." ...]

trains the DBM of `neuralzoo reproduce dbm` (784-500-1000, the same pretraining and
joint-training options) on the first 50,000 training images once — saved to CACHE.pt and
loaded from there on later calls; the environment sets the data and joint training:
BINARIZE (threshold by default, "sample" for the reproduction's pixels drawn with seed 0),
JOINT_LR (0.005 by default; the reproduction's 0.001) and JOINT_EPOCHS (30 by default; the
reproduction's 60) — then fine-tunes a copy of the mean-field
classifier (SGD with momentum 0.9 unless OPTIMIZER says "adam"; cosine schedule, seed 0) for
each setting and prints one JSON line per setting with the error on the last 10,000 images.
FT_DATA=grey in the environment
fine-tunes and scores on the grey levels (pixel / 255) instead of the binary images. BOUND=K
first prints the validation lower bound on log p(v) (mean field, log Z by ``DBM.ais`` with K
betas of the published shape and 100 runs, seed 0), as `neuralzoo reproduce dbm` scores the
test set.
"""
import copy
import json
import os
import sys
import time

import torch

from neuralzoo import datasets
from neuralzoo.energy.dbm_ais import dbm_schedule
from neuralzoo.models.dbm import DBM

cache, settings = sys.argv[1], sys.argv[2:]
binarize = os.environ.get("BINARIZE", "threshold")
X, y = datasets.load("mnist", split="train", binarize=binarize, **({"seed": 0} if binarize == "sample" else {}))
X_val, y_val, X, y = X[50_000:], y[50_000:], X[:50_000], y[:50_000]
if os.path.exists(cache):
    dbm = torch.load(cache, weights_only=False)
else:
    t = time.perf_counter()
    dbm = DBM(784, 10, hidden=[500, 1000], n_chains=100, k=5, mf_steps=10, mf_tol=1e-4, sparsity_target=0.1,
              sparsity_cost=0.01, pretrain_epochs=20, finetune_epochs=25, finetune_lr=0.1)
    dbm.fit(X, None, epochs=int(os.environ.get("JOINT_EPOCHS", "30")), batch_size=100,
            lr=float(os.environ.get("JOINT_LR", "0.005")), momentum=0.9, weight_decay=2e-4,
            lr_schedule="cosine", seed=0, progress=False)
    torch.save(dbm, cache + ".tmp")
    os.replace(cache + ".tmp", cache)
    print(json.dumps({"dbm_training_seconds": round(time.perf_counter() - t)}), flush=True)
if os.environ.get("BOUND"):
    t = time.perf_counter()
    r = dbm.ais(betas=dbm_schedule(int(os.environ["BOUND"])), n_runs=100,
                generator=torch.Generator().manual_seed(0))
    unnormalised = dbm.lower_bound(X_val, 0.0, check=False)
    print(json.dumps({"val_bound": round(float(unnormalised.mean()) - r.log_z, 2), "log_z": round(r.log_z, 2),
                      "log_z_interval": [round(r.log_z_low, 2), round(r.log_z_high, 2)],
                      "floor": round(float(unnormalised.max()), 2), "n_betas": r.n_betas,
                      "seconds": round(time.perf_counter() - t)}), flush=True)
if os.environ.get("FT_DATA") == "grey":
    X, _ = datasets.load("mnist", split="train")
    X_val, X = X[50_000:], X[:50_000]
for setting in settings:
    lr, epochs, bs, wd, opt = (setting.split() + ["sgd"])[:5]
    net, t = copy.deepcopy(dbm), time.perf_counter()
    net.fine_tune(X, y, epochs=int(epochs), lr=float(lr), batch_size=int(bs), weight_decay=float(wd),
                  seed=0, lr_schedule="cosine", progress=False, optimizer=opt)
    err = 100 * (1 - net.score(X_val, y_val))
    print(json.dumps({"ft_data": os.environ.get("FT_DATA", binarize), "optimizer": opt, "lr": float(lr),
                      "epochs": int(epochs), "batch_size": int(bs), "weight_decay": float(wd),
                      "val_error_pct": round(err, 2), "seconds": round(time.perf_counter() - t)}), flush=True)
