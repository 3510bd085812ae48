"""The forms of training data ``neuralzoo.fit`` accepts, against the plain tensors as oracle.

A ``Dataset`` or ``DataLoader`` must train exactly the model that its tensors train: the
same examples, the trainer's own batches and shuffling (a loader's are not used).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset

import neuralzoo
from neuralzoo import MLP
from neuralzoo.train import as_tensors

CFG = {"epochs": 2, "batch_size": 32, "lr": 1e-2, "seed": 4, "progress": False}


class Pairs(Dataset):
    """A map-style dataset of ``(x_i, y_i)`` items, ``y_i`` a number or a 0-d tensor."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, numbers: bool = False) -> None:
        self.X, self.y, self.numbers = X, y, numbers

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i: int):
        return self.X[i], (int(self.y[i]) if self.numbers else self.y[i])


class Items(Dataset):
    """A dataset of the given items, as they are."""

    def __init__(self, items: list) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int):
        return self.items[i]


def _fit(net: MLP, data, val_data=None) -> tuple[MLP, list[dict]]:
    net = copy.deepcopy(net)
    history = neuralzoo.fit(net, data, CFG, val_data=val_data)
    return net, [{k: v for k, v in row.items() if k not in ("seconds", "samples_per_s")}
                 for row in history]


@pytest.mark.parametrize("form", ["TensorDataset", "DataLoader", "Dataset", "Dataset of numbers",
                                  "DataLoader of a Dataset", "numpy"])
def test_datasets_and_loaders_train_the_same_model_as_tensors(form, digits_train):
    X, y = digits_train[0][:300], digits_train[1][:300]
    Xv, yv = digits_train[0][300:400], digits_train[1][300:400]
    net = MLP(64, 10, hidden=[16])
    ref, ref_hist = _fit(net, (X, y), (Xv, yv))
    make = {
        "TensorDataset": lambda X, y: TensorDataset(X, y),
        # batch size and shuffling of the loader are not used: the trainer's are
        "DataLoader": lambda X, y: DataLoader(TensorDataset(X, y), batch_size=7, shuffle=True),
        "Dataset": lambda X, y: Pairs(X, y),
        "Dataset of numbers": lambda X, y: Pairs(X, y, numbers=True),
        "DataLoader of a Dataset": lambda X, y: DataLoader(Pairs(X, y), batch_size=100),
        "numpy": lambda X, y: (X.numpy(), y.numpy()),
    }[form]
    got, hist = _fit(net, make(X, y), make(Xv, yv))
    for key, value in ref.state_dict().items():
        assert torch.equal(got.state_dict()[key], value), key
    assert hist == ref_hist and "val_loss" in hist[0]


def test_dataset_items_are_stacked_field_by_field():
    x = torch.arange(12.0).reshape(4, 3)
    (tx,) = as_tensors(Items(list(x)))  # items that are tensors: one tensor
    assert torch.equal(tx, x)
    tx, ty, tz = as_tensors(Items([(row, i, 0.5 * i) for i, row in enumerate(x)]))
    assert torch.equal(tx, x)
    assert ty.dtype == torch.int64 and ty.tolist() == [0, 1, 2, 3]
    assert tz.dtype == torch.float32 and tz.tolist() == [0.0, 0.5, 1.0, 1.5]
    (ta,) = as_tensors(Items([np.ones(2), np.zeros(2)]))
    assert ta.dtype == torch.float64 and ta.shape == (2, 2)


def test_wrong_data_is_refused_by_name():
    x = torch.zeros(4, 3)
    with pytest.raises(ValueError, match="training data is empty: expected at least one example, got 0"):
        as_tensors(Items([]))
    with pytest.raises(ValueError, match="training data is empty"):
        as_tensors(DataLoader(TensorDataset(torch.zeros(0, 3))))
    with pytest.raises(ValueError, match="validation data is empty"):
        neuralzoo.fit(MLP(3, 2, hidden=[]), (x, torch.zeros(4, dtype=torch.long)), CFG,
                      val_data=Items([]))
    with pytest.raises(ValueError, match=r"ragged: expected every item shaped like item 0, "
                                         r"\[\(3,\), \(\)\], got \[\(4,\), \(\)\] at item 2"):
        as_tensors(Items([(torch.zeros(3), 0), (torch.zeros(3), 1), (torch.zeros(4), 2)]))
    with pytest.raises(ValueError, match=r"item 0, \[\(3,\), \(\)\], got \[\(3,\)\] at item 1"):
        as_tensors(Items([(torch.zeros(3), 0), (torch.zeros(3),)]))
    with pytest.raises(ValueError, match="disagree in length: expected 4, got 3"):
        as_tensors((x, torch.zeros(3)))
    with pytest.raises(ValueError, match="first dimension of examples, got a scalar 2.0"):
        as_tensors(torch.tensor(2.0))
    with pytest.raises(TypeError, match="expected dataset items that are a tensor or a tuple"):
        as_tensors(Items([{"x": x[0]}]))

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(x)

    with pytest.raises(TypeError, match="expected a map-style Dataset.*got the iterable dataset Stream"):
        as_tensors(DataLoader(Stream()))
