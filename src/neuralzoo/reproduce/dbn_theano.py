"""dbn-theano: DBN 784-1000-1000-1000, CD-1 pretraining, MLP fine-tuning (deeplearning.net tutorial).

Published: 1.34% test error (the Theano "Deep Belief Networks" tutorial: 100 pretraining
epochs per layer with CD-1, lr 0.01, batch 10; fine-tuning by SGD lr 0.1 with early
stopping on the 50k/10k/10k split, up to 1000 epochs). Target of the issue: <= 1.3%.

Our setup: grey-level MNIST pixels / 255, the first 50,000 training images to train, the
last 10,000 as the validation set, the official 10k test set scored once; seed 0.
Pretraining CD-1, SGD lr 0.01 without momentum, batch 10, as the tutorial; fine-tuning the
sigmoid MLP 784-1000-1000-1000-10, SGD lr 0.1 without momentum, batch 10, with early stopping
on the validation accuracy as the tutorial: stop after ``PATIENCE = 30`` epochs without a
better one, at most ``FT = 120`` epochs, and keep the weights of the best epoch (the test set
plays no part in it). The tutorial's patience rule is iteration-based (it doubles the patience
at each clear improvement, up to 1000 epochs); a fixed number of epochs is our simpler stand-in.

Departures for the 2-core budget: ``PRE = 30`` pretraining epochs per layer (tutorial 100;
10 gave a best validation error of 1.45%, 30 gave 1.26%: RESULTS.md) and at most ``FT = 120``
fine-tuning epochs (tutorial 1000). About 90 minutes on one thread (pretraining 23, fine-tuning
64). From 2026-11-28 the fine-tuning drops the MLP's hidden units with probability
``DROPOUT = 0.5`` (Srivastava et al., JMLR 2014; not in the tutorial): best validation error
1.18% against 1.26% without, adopted by a rule fixed before the run. The tutorial's 100
pretraining epochs tied on validation (1.18%) and were not adopted. With a patience of 10 and at
most 100 epochs the run stopped at epoch 49 (test error 1.32%). Patience 30 and at most 120
epochs (ninth session, chosen on validation by a rule fixed before the runs, against the same
plus dropout 0.2 of the input pixels): best validation error 1.04% at epoch 107, test error
1.21% on one thread; the command with two threads printed 1.14% (RESULTS.md).

``--quick``: 5,000 images, 1 pretraining and 2 fine-tuning epochs, batch 10 — a smoke test.
"""

from __future__ import annotations

import time

from .. import datasets
from ..models.dbn.model import DBN
from .common import row

ID = "dbn-theano"
TITLE = "DBN 3x1000 on MNIST, CD-1, MLP fine-tuning (deeplearning.net tutorial: 1.34% test error)"
SOURCE = "deeplearning.net tutorial 'Deep Belief Networks' (DBN.py), LISA lab, Theano 0.x"
PRE, FT, PATIENCE = 30, 120, 30  # pretraining epochs per layer, most fine-tuning epochs, early-stopping patience
DROPOUT = 0.5  # of the MLP's hidden units in fine-tuning (the tutorial: none; chosen on validation, RESULTS.md)


def run(quick: bool = False, device: str = "auto", progress: bool = False) -> list[dict]:
    X, y = datasets.load("mnist", split="train")
    X_test, y_test = datasets.load("mnist", split="test")
    X_tr, y_tr, X_val, y_val = X[:50_000], y[:50_000], X[50_000:], y[50_000:]
    pre, ft, patience = PRE, FT, PATIENCE
    if quick:
        X_tr, y_tr, X_val, y_val, pre, ft = X_tr[:5000], y_tr[:5000], X_val[:1000], y_val[:1000], 1, 2
    t0 = time.perf_counter()
    dbn = DBN(784, 10, hidden=[1000, 1000, 1000], finetune="none", finetune_dropout=DROPOUT)
    dbn.pretrain(X_tr, epochs=pre, batch_size=10, lr=0.01, momentum=0.0, seed=0, device=device, progress=progress)
    t_pre = time.perf_counter() - t0
    t0 = time.perf_counter()
    hist = dbn.fine_tune(X_tr, y_tr, method="backprop", epochs=ft, lr=0.1, batch_size=10, momentum=0.0, seed=0,
                         device=device, progress=progress, val_data=(X_val, y_val), patience=patience,
                         monitor="val_acc")
    val_acc = hist.column("val_acc")
    best = val_acc.index(max(val_acc))  # the epoch whose weights the MLP keeps
    val_err = 100 * (1 - val_acc[best])
    acc = dbn.score(X_test, y_test)
    return [row("DBN 784-1000-1000-1000 + MLP fine-tuning, test accuracy", acc, 0.9866, 0.987,
                note=f"test error {100 * (1 - acc):.2f}% (target <= 1.3%, published 1.34%); {len(X_tr)} images, "
                     f"{pre} pretraining epochs/layer (tutorial 100), "
                     + (f"dropout {DROPOUT} of the hidden units (not in the tutorial), " if DROPOUT else "")
                     + f"fine-tuning stopped after {len(hist)} of at "
                     f"most {ft} epochs, best validation error {val_err:.2f}% at epoch {best + 1} (kept); "
                     f"pretraining {t_pre:.0f} s, "
                     f"fine-tuning {time.perf_counter() - t0:.0f} s" + (" (quick smoke test)" if quick else ""))]
