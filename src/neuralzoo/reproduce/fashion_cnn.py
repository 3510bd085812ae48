"""fashion-cnn: a small CNN on Fashion-MNIST (zalandoresearch/fashion-mnist README benchmark).

Published (test accuracy, no augmentation): networks of two or three convolutions with
pooling score 0.916-0.934 in the README's benchmark table ("2 Conv+pooling+BN": 0.934,
"2 Conv <100K parameters": 0.925, "3 Conv+2FC": 0.907 ...).

Our setup: :class:`~neuralzoo.models.cnn.CNN` with two blocks of two 3x3 convolutions (32 and
64 maps, "same" padding), batch normalisation, ReLU, 2x2 max pooling and dropout 0.25 after
each block, a hidden layer of 256 units with dropout 0.5, softmax output; pixels / 255; Adam,
lr 1e-3 decayed to 0 by a cosine schedule over 15 epochs, batch 128, seed 0, no augmentation,
the official 60k/10k split, the test set only scored at the end. Target: >= 0.925.

On a CPU a full run takes about an hour (a GPU: about a minute); ``quick``: the first 10,000
training images and 2 epochs — a smoke test, not the result.
"""

from __future__ import annotations

from .. import datasets
from ..models.cnn.modern import CNN
from .common import row, train_test

ID = "fashion-cnn"
TITLE = "Small CNN on Fashion-MNIST (fashion-mnist README benchmark: 0.916-0.934)"
SOURCE = "zalandoresearch/fashion-mnist README, benchmark table (CNN entries, no augmentation)"


def run(quick: bool = False, device: str = "auto", progress: bool = False) -> list[dict]:
    X, y, X_test, y_test = train_test(datasets.load, "fashion-mnist", quick=quick, flatten=False)  # (N, 1, 28, 28)
    epochs = 2 if quick else 15
    net = CNN((1, 28, 28), 10, channels=[32, 64], convs_per_block=2, batch_norm=True,
              hidden=256, dropout=0.5, dropout_conv=0.25)
    net.fit(X, y, epochs=epochs, batch_size=128, lr=1e-3, optimizer="adam",
            lr_schedule="cosine", seed=0, device=device, progress=progress)
    acc = net.score(X_test, y_test)
    return [row("CNN 2x(2 conv 3x3 + BN + max pool) test accuracy", acc, 0.934, 0.925,
                note=f"published range 0.916-0.934; {epochs} epochs, Adam + cosine")]
