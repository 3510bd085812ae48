"""The digits data set and its fixed, stratified split."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from neuralzoo import datasets
from neuralzoo.datasets import digits


def test_split_sizes():
    X_train, y_train = datasets.load("digits", "train")
    X_test, y_test = datasets.load("digits", "test")
    assert X_train.shape == (1437, 64) and y_train.shape == (1437,)
    assert X_test.shape == (360, 64) and y_test.shape == (360,)


def test_split_is_stratified():
    full = np.bincount(load_digits().target, minlength=10)
    _, y_test = datasets.load("digits", "test")
    _, y_train = datasets.load("digits", "train")
    test = np.bincount(y_test.numpy(), minlength=10)
    expected = full * 360 / full.sum()
    assert np.all(np.abs(test - expected) <= 1), (test, expected)
    np.testing.assert_array_equal(np.bincount(y_train.numpy(), minlength=10), full - test)


def test_split_is_the_documented_one():
    """Oracle: the split recomputed with the call the module docstring gives."""
    bunch = load_digits()
    train, test = train_test_split(
        np.arange(1797), test_size=360, stratify=bunch.target, random_state=0
    )
    for split, index in [("train", train), ("test", test)]:
        X, y = datasets.load("digits", split)
        np.testing.assert_array_equal(y.numpy(), bunch.target[index])
        np.testing.assert_array_equal(X.numpy(), (bunch.data[index] / 16).astype(np.float32))


def test_split_is_deterministic_and_independent_of_seed():
    first = datasets.load("digits", "test", seed=1)
    digits._split.cache_clear()
    second = datasets.load("digits", "test", seed=2)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])


def test_splits_partition_the_data():
    """Train and test together are the 1797 images, each exactly once (as a multiset)."""
    rows = []
    for split in ("train", "test"):
        X, y = datasets.load("digits", split)
        rows.append(np.column_stack([X.numpy() * 16, y.numpy()]))
    ours = np.concatenate(rows)
    bunch = load_digits()
    full = np.column_stack([bunch.data, bunch.target])
    assert len(ours) == len(full) == 1797

    def sort(a):
        return a[np.lexsort(a.T[::-1])]

    np.testing.assert_array_equal(sort(ours), sort(full))


def test_values_in_unit_interval_on_the_16_grid():
    X, _ = datasets.load("digits")
    assert X.dtype == torch.float32
    assert X.min() == 0.0 and X.max() == 1.0
    assert torch.equal(X * 16, (X * 16).round())


@pytest.mark.parametrize("split, n", [("train", 1437), ("test", 360)])
def test_unflattened_shape(split, n):
    X_img, y = datasets.load("digits", split, flatten=False)
    X_flat, _ = datasets.load("digits", split)
    assert X_img.shape == (n, 1, 8, 8) and y.dtype == torch.int64
    assert torch.equal(X_img.reshape(n, 64), X_flat)


def test_info():
    info = datasets.info("digits")
    assert info.shape == (1, 8, 8) and info.n_classes == 10
    assert info.class_names == tuple("0123456789")
    assert info.found and info.location is not None and info.location.endswith("digits.csv.gz")
