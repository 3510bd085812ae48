"""lenet5: LeNet-5 on MNIST (LeCun, Bottou, Bengio & Haffner 1998).

Published: 0.95% test error without distortions (0.8% with distortions), LeNet-5 trained
20 epochs by stochastic diagonal Levenberg-Marquardt (paper, Section III-C, Fig. 14).

Our setup: the paper's network (:class:`~neuralzoo.models.cnn.lenet.LeNet5`: 28x28 digits
padded to 32x32, scaled tanh ``1.7159 tanh(2a/3)``, trainable subsampling, the C3
connections of Table I) with two departures, both said here: a softmax cross-entropy output
layer instead of the RBF units, and SGD instead of stochastic diagonal Levenberg-Marquardt —
momentum 0.9, small batches of 16 (the paper updates after every pattern), lr 0.02 decayed to
0 by a cosine schedule over 30 epochs, weight decay 1e-4, seed 0. These settings were
chosen on a validation split, not on the test set: ``benchmarks/lenet5_sweep.py`` trains on
the first 50,000 training images and scores the last 10,000 (the table is in RESULTS.md;
Adam with batch 64, our first setting, had 1.37% validation error, SGD with batch 16 0.95%).
Pixels as the paper normalises them: background -0.1, foreground 1.175 (``1.275 x - 0.1``
for x in [0, 1]; the zero padding of the model is close to that background). The official
60k/10k split; the test set is only scored at the end. Target: error <= 0.95% (accuracy
>= 0.9905).

Beside it, a variant labelled as such (not the paper's network): the same layer sizes with
max pooling and ReLU, Adam lr 2e-3 + cosine, batch 64, 20 epochs.

``quick``: the first 10,000 training images and 2 epochs — a smoke test, not the result.
"""

from __future__ import annotations

from .. import datasets
from ..models.cnn.lenet import LeNet5
from .common import row, train_test

ID = "lenet5"
TITLE = "LeNet-5 on MNIST (LeCun et al. 1998: 0.95% test error without distortions)"
SOURCE = "LeCun, Bottou, Bengio & Haffner, Proc. IEEE 86(11), 1998, Section III-C and Fig. 14"


def normalise(X):
    """The paper's input scaling: background (0) -> -0.1, foreground (1) -> 1.175."""
    return X * 1.275 - 0.1


# the paper's network: chosen on the validation split (benchmarks/lenet5_sweep.py)
PAPER = {"optimizer": "sgd", "lr": 0.02, "batch_size": 16, "weight_decay": 1e-4, "epochs": 30}
# the modern variant (max pooling + ReLU)
VARIANT = {"optimizer": "adam", "lr": 2e-3, "batch_size": 64, "weight_decay": 0.0, "epochs": 20}


def run(quick: bool = False, device: str = "auto", progress: bool = False) -> list[dict]:
    X, y, X_test, y_test = train_test(datasets.load, "mnist", quick=quick, flatten=False)  # (N, 1, 28, 28)
    rows = []
    for name, options, train in (("LeNet-5 (the paper's network)", {}, PAPER),
                                 ("LeNet-5 variant: max pooling + ReLU", {"subsampling": "max",
                                                                          "activation": "relu"}, VARIANT)):
        train = {**train, "epochs": 2} if quick else train
        net = LeNet5((1, 28, 28), 10, **options)
        net.fit(normalise(X), y, momentum=0.9, lr_schedule="cosine", seed=0, device=device,
                progress=progress, **train)
        acc = net.score(normalise(X_test), y_test)
        how = (f"{train['epochs']} epochs, {train['optimizer'].upper()} lr {train['lr']} + cosine, "
               f"batch {train['batch_size']}, weight decay {train['weight_decay']}, softmax output")
        rows.append(row(f"{name} test accuracy (error <= 0.95%)", acc, 0.9905, 0.9905,
                        note=f"test error {100 * (1 - acc):.2f}%; published 0.95% error; {how}"))
    return rows
