"""dbn-class: DBN 784-500-500-2000 on MNIST, classification (Hinton, Osindero & Teh 2006).

Published: 1.25% test error with 10 softmax label units in the top RBM and up-down
fine-tuning (Hinton, Osindero & Teh, Neural Comp. 2006: 30 pretraining sweeps per layer,
then 300 epochs of up-down); 1.2% when the same stack is fine-tuned by back-propagation
(Hinton & Salakhutdinov, Science 2006). Target of the issue: <= 1.3% test error.

Our setup (one pretraining serves all three rows): pixels / 255 as probabilities (grey
levels), the official 60k/10k split, seed 0. Greedy CD-1 pretraining, batch 100, SGD lr
0.05 momentum 0.9, weight decay 2e-4, ``PRE`` epochs per layer, the labels joined to the
top RBM (labels=True). Then, each from a copy of the pretrained stack:

1. the generative classifier right after pretraining: ``argmin_c F([h_pen, e_c])`` of the top RBM;
2. back-propagation: the recognition pass as a sigmoid MLP 784-500-500-2000-10 (weights copied,
   new softmax layer), SGD lr 0.1 momentum 0.9 decayed to 0 by a cosine schedule, batch 100,
   ``BP`` epochs, weight decay 1e-5;
3. up-down (contrastive wake-sleep), lr 0.01, batch 100, with the paper's schedule of Gibbs
   steps in the top RBM scaled down: ``UD`` epochs each of CD-3, CD-6 and CD-10 (the paper:
   100 epochs each).

``PRE = 30`` sweeps per layer as in the paper (a first full run used 20 and reached 1.31%
with back-propagation; RESULTS.md keeps both). Departures, for the 2-core budget (about 40
minutes): ``UD = 10`` (30 up-down epochs in all against the paper's 300 — the up-down row is not
expected to reach 1.25%); the paper's back-propagation used conjugate gradients. ``BP = 80``
epochs (lr 0.1, batch 100, weight decay 1e-5) was chosen on a validation split, not on the
test set: ``benchmarks/dbn_finetune_sweep.py`` pretrains on the first 50,000 training images
and scores the last 10,000 (40 epochs 1.36%, 80 epochs 1.33%, lr 0.05 1.50%, weight decay 1e-4
1.47%, batch 50 with lr 0.05 1.37%). The test set is scored once per row at the end.

``--quick``: the first 10,000 images, 2 pretraining epochs, 3 of back-propagation and 1 of
up-down per CD schedule step — a smoke test of the pipeline, not the result.
"""

from __future__ import annotations

import copy
import time

from .. import datasets
from ..models.dbn.model import DBN
from .common import row, train_test

ID = "dbn-class"
TITLE = "DBN 784-500-500-2000 on MNIST: 1.25% (up-down) / 1.2% (backprop) test error"
SOURCE = ("Hinton, Osindero & Teh, Neural Computation 18, 2006 (1.25%); "
          "Hinton & Salakhutdinov, Science 313, 2006 (1.2%, backprop)")


def run(quick: bool = False, device: str = "auto", progress: bool = False) -> list[dict]:
    X, y, X_test, y_test = train_test(datasets.load, "mnist", quick=quick)
    pre, bp, ud = (2, 3, 1) if quick else (30, 80, 10)
    what = f"{len(X)} images, {pre} pretraining epochs/layer" + (" (quick smoke test)" if quick else "")
    t0 = time.perf_counter()
    dbn = DBN(784, 10, hidden=[500, 500, 2000], labels=True, finetune="none")
    dbn.pretrain(X, y, epochs=pre, batch_size=100, lr=0.05, momentum=0.9, weight_decay=2e-4, seed=0,
                 device=device, progress=progress)
    t_pre = time.perf_counter() - t0
    rows = []
    acc = dbn.score(X_test, y_test)
    rows.append(row("generative classifier after pretraining (top RBM free energy), test accuracy", acc,
                    0.9875, 0.987, note=f"test error {100 * (1 - acc):.2f}%; {what}; no fine-tuning "
                                        f"(the paper's 1.25% is after up-down); pretraining {t_pre:.0f} s"))
    bp_net = copy.deepcopy(dbn)
    t0 = time.perf_counter()
    bp_net.fine_tune(X, y, method="backprop", epochs=bp, lr=0.1, batch_size=100, weight_decay=1e-5, seed=0,
                     lr_schedule="cosine", device=device, progress=progress)
    acc = bp_net.score(X_test, y_test)
    rows.append(row("backprop fine-tuning (sigmoid MLP from the DBN), test accuracy", acc, 0.988, 0.987,
                    note=f"test error {100 * (1 - acc):.2f}% (target <= 1.3%, published 1.2%); {what}; "
                         f"{bp} epochs SGD lr 0.1 m 0.9 cosine; {time.perf_counter() - t0:.0f} s"))
    del bp_net
    t0 = time.perf_counter()
    for step, k in enumerate((3, 6, 10)):  # the paper's CD-3, CD-6, CD-10 in the top RBM
        dbn.updown_k = k
        dbn.fine_tune(X, y, method="updown", epochs=ud, lr=0.01, batch_size=100, seed=step, device=device,
                      progress=progress)
    acc = dbn.score(X_test, y_test)
    rows.append(row("up-down fine-tuning with label units, test accuracy", acc, 0.9875, 0.987,
                    note=f"test error {100 * (1 - acc):.2f}% (target <= 1.3%, published 1.25% after 300 "
                         f"epochs); {what}; {3 * ud} up-down epochs ({ud} each of CD-3, CD-6, CD-10 in the "
                         f"top RBM); {time.perf_counter() - t0:.0f} s"))
    return rows


__all__ = ["ID", "SOURCE", "TITLE", "run"]
