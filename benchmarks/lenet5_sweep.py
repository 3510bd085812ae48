"""LeNet-5, the paper's network (as in reproduce/lenet5.py), one optimiser setting per call:

    python benchmarks/lenet5_sweep.py LR EPOCHS BATCH     # prints one JSON line

Used to look for settings that reach the published 0.95% error; results in RESULTS.md.
"""
import json
import sys
import time

from neuralzoo import datasets
from neuralzoo.models.cnn_lenet import LeNet5
from neuralzoo.reproduce.lenet5 import normalise

lr, epochs, bs = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
X, y = datasets.load("mnist", split="train", flatten=False)
Xt, yt = datasets.load("mnist", split="test", flatten=False)
t = time.perf_counter()
net = LeNet5((1, 28, 28), 10).fit(normalise(X), y, epochs=epochs, batch_size=bs, lr=lr, optimizer="adam",
                                   lr_schedule="cosine", seed=0, device="auto", progress=False)
print(json.dumps({"lr": lr, "epochs": epochs, "batch_size": bs, "acc": net.score(normalise(Xt), yt),
                  "seconds": time.perf_counter() - t}))
