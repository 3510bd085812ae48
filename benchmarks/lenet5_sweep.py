"""LeNet-5, the paper's network (as in reproduce/lenet5.py): one optimiser setting per call,
chosen on a validation split — the test set is not read.

    python benchmarks/lenet5_sweep.py OPTIMIZER LR EPOCHS BATCH [WEIGHT_DECAY]

trains on the first 50,000 MNIST training images and prints one JSON line with the error
on the last 10,000 (the validation images). The setting with the lowest validation error
is the one `neuralzoo reproduce lenet5` uses on all 60,000; results in RESULTS.md.
"""
import json
import sys
import time

from neuralzoo import datasets
from neuralzoo.models.cnn.lenet import LeNet5
from neuralzoo.reproduce.lenet5 import normalise

opt, lr, epochs, bs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
wd = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
X, y = datasets.load("mnist", split="train", flatten=False)
X_val, y_val = normalise(X[50_000:]), y[50_000:]
X, y = normalise(X[:50_000]), y[:50_000]
t = time.perf_counter()
net = LeNet5((1, 28, 28), 10).fit(X, y, epochs=epochs, batch_size=bs, lr=lr, optimizer=opt, weight_decay=wd,
                                   momentum=0.9, lr_schedule="cosine", seed=0, device="auto", progress=False)
err = 100 * (1 - net.score(X_val, y_val))
print(json.dumps({"optimizer": opt, "lr": lr, "epochs": epochs, "batch_size": bs, "weight_decay": wd,
                  "val_error_pct": round(err, 2), "seconds": round(time.perf_counter() - t)}), flush=True)
