"""dbn-class, back-propagation row: fine-tuning settings chosen on a validation split — the
test set is not read.

    python benchmarks/dbn_finetune_sweep.py "LR EPOCHS BATCH WEIGHT_DECAY" ["..." ...]

pretrains the DBN of `neuralzoo reproduce dbn-class` (784-500-500-2000, labels in the top RBM,
30 CD-1 epochs per layer, the same options) on the first 50,000 MNIST training images once,
then fine-tunes a copy by back-propagation (SGD, momentum 0.9, cosine schedule, seed 0) for
each setting and prints one JSON line per setting with the error on the last 10,000 images.
"""
import copy
import json
import sys
import time

from neuralzoo import datasets
from neuralzoo.models.dbn import DBN

X, y = datasets.load("mnist", split="train")
X_val, y_val, X, y = X[50_000:], y[50_000:], X[:50_000], y[:50_000]
t = time.perf_counter()
dbn = DBN(784, 10, hidden=[500, 500, 2000], labels=True, finetune="none")
dbn.pretrain(X, y, epochs=30, batch_size=100, lr=0.05, momentum=0.9, weight_decay=2e-4, seed=0, progress=False)
print(json.dumps({"pretraining_seconds": round(time.perf_counter() - t)}), flush=True)
for setting in sys.argv[1:]:
    lr, epochs, bs, wd = setting.split()
    net, t = copy.deepcopy(dbn), time.perf_counter()
    net.fine_tune(X, y, method="backprop", epochs=int(epochs), lr=float(lr), batch_size=int(bs),
                  weight_decay=float(wd), seed=0, lr_schedule="cosine", progress=False)
    err = 100 * (1 - net.score(X_val, y_val))
    print(json.dumps({"lr": float(lr), "epochs": int(epochs), "batch_size": int(bs), "weight_decay": float(wd),
                      "val_error_pct": round(err, 2), "seconds": round(time.perf_counter() - t)}), flush=True)
