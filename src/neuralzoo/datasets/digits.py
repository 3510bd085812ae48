"""``digits``: scikit-learn's bundled 8x8 handwritten digits, the embedded default dataset.

The data is ``sklearn.datasets.load_digits()``: 1797 images of 8x8 pixels, each pixel an
integer 0..16 (a count of set pixels in a 4x4 block of the original 32x32 bitmap), labels
0..9 (UCI "Optical Recognition of Handwritten Digits", test part). It ships inside
scikit-learn, so it needs no network and no files of ours. :func:`neuralzoo.datasets.load`
divides the pixels by 16 into [0, 1].

The split. The data set has no official train/test split, so neuralzoo fixes one::

    train_test_split(np.arange(1797), test_size=360, stratify=y, random_state=0)

-> 1437 train and 360 test images, the test set holding each class in proportion
(35 to 37 per class), the same on every machine and every call: it does not depend on the
``seed`` given to ``load`` (that seed only drives ``binarize="sample"``).

>>> images, labels = load_split("train")
>>> images.shape, int(images.max()), labels.shape
((1437, 8, 8), 16, (1437,))
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np

__all__ = ["CLASS_NAMES", "MAX_VALUE", "N_TEST", "SEED", "load_split", "location"]

N_TEST = 360  # images in the test split; the other 1437 are train
SEED = 0  # random_state of the split
MAX_VALUE = 16  # pixels are integers 0..MAX_VALUE
CLASS_NAMES: tuple[str, ...] = tuple(str(d) for d in range(10))


@functools.lru_cache(maxsize=1)
def _split() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = bunch.images.astype(np.uint8)  # (N, 8, 8), exact: values are integers 0..16
    labels = bunch.target.astype(np.int64)  # (N,)
    train, test = train_test_split(
        np.arange(len(labels)), test_size=N_TEST, stratify=labels, random_state=SEED
    )
    out = {"train": (images[train], labels[train]), "test": (images[test], labels[test])}
    for arrays in out.values():
        for a in arrays:
            a.flags.writeable = False  # cached: callers get copies, never these
    return out


def load_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, 8, 8)`` uint8 in 0..16 and labels ``(N,)`` int64 of ``split``.

    The arrays are shared and read-only; ``split`` is "train" or "test" (checked by the caller).
    """
    return _split()[split]


def location() -> str:
    """Where scikit-learn keeps the bundled data file."""
    return str(resources.files("sklearn.datasets") / "data" / "digits.csv.gz")
