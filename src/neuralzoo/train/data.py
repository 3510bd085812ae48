"""Training data: what :func:`neuralzoo.fit` accepts, as the tensors its batches are cut from.

Tensors, NumPy arrays, tuples of them, ``Dataset`` and ``DataLoader`` objects all become one
tuple of tensors of one length ``N`` (:func:`as_tensors`), held in memory: the trainer then
indexes mini-batches itself, which is fast and keeps the order of batches in its own seeded
generator (exact resume).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset

from ..config import TrainConfig


def as_tensor(x: Any, dtype: torch.dtype | None = None) -> torch.Tensor:
    """A tensor from a tensor, a NumPy array or a nested list (no copy when possible)."""
    if isinstance(x, torch.Tensor):
        return x if dtype is None else x.to(dtype)
    if isinstance(x, np.ndarray):
        t = torch.from_numpy(np.ascontiguousarray(x))
        return t if dtype is None else t.to(dtype)
    return torch.as_tensor(x, dtype=dtype)


def as_tensors(data: Any, what: str = "training data") -> tuple[torch.Tensor, ...]:
    """The data tensors that :func:`fit` cuts its batches from, all of one length ``N``.

    Accepted: a tensor or NumPy array ``X``; a tuple or list ``(X, y, ...)`` of them (None
    entries are dropped); a ``TensorDataset`` (its ``.tensors``); any other map-style
    ``Dataset``, read once, its items (a tensor, or a tuple of tensors/numbers) stacked; a
    ``DataLoader``, read through its ``.dataset``. A loader's batch size, sampler and
    shuffling are not used: ``fit`` cuts and shuffles the batches itself, from
    ``batch_size``, ``shuffle`` and its own seeded generator, which is what makes a resumed
    run exact. Since a dataset is read once, a random transform in its ``__getitem__`` is
    drawn once, not every epoch. ``what`` names the data in error messages.

    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(torch.zeros(5, 3), torch.ones(5))
    >>> [tuple(t.shape) for t in as_tensors(DataLoader(ds, batch_size=2))]
    [(5, 3), (5,)]
    """
    if isinstance(data, DataLoader):
        data = data.dataset
    if isinstance(data, TensorDataset):
        tensors = tuple(data.tensors)
    elif isinstance(data, IterableDataset):
        raise TypeError(f"{what}: expected a map-style Dataset (items by index), "
                        f"got the iterable dataset {type(data).__name__}")
    elif isinstance(data, Dataset):
        tensors = _stack_items(data, what)
    elif isinstance(data, (tuple, list)):
        tensors = tuple(as_tensor(t) for t in data if t is not None)
    else:
        tensors = (as_tensor(data),)
    for t in tensors:
        if t.dim() == 0:
            raise ValueError(f"{what}: expected tensors with a first dimension of examples, "
                             f"got a scalar {t.item()!r}")
    if not tensors or len(tensors[0]) == 0:
        raise ValueError(f"{what} is empty: expected at least one example, got 0")
    n = len(tensors[0])
    for t in tensors[1:]:
        if len(t) != n:
            raise ValueError(f"{what}: tensors disagree in length: expected {n}, got {len(t)}")
    return tensors


def _stack_items(dataset: Dataset, what: str) -> tuple[torch.Tensor, ...]:
    """Read a map-style dataset item by item; stack each field of the items, ``(N, ...)``."""
    if not hasattr(dataset, "__len__"):
        raise TypeError(f"{what}: expected a Dataset with a length, "
                        f"got {type(dataset).__name__} without __len__")
    columns: list[list[torch.Tensor]] = []
    shapes: list[tuple[int, ...]] = []
    for i in range(len(dataset)):
        item = dataset[i]
        if isinstance(item, dict):
            raise TypeError(f"{what}: expected dataset items that are a tensor or a tuple of "
                            f"tensors/numbers, got a dict with keys {sorted(item)}")
        fields = [as_tensor(f) for f in (item if isinstance(item, (tuple, list)) else (item,))]
        item_shapes = [tuple(f.shape) for f in fields]
        if i == 0:
            columns, shapes = [[] for _ in fields], item_shapes
        elif item_shapes != shapes:
            raise ValueError(f"{what}: dataset items are ragged: expected every item shaped like "
                             f"item 0, {shapes}, got {item_shapes} at item {i}")
        for column, f in zip(columns, fields):
            column.append(f)
    return tuple(torch.stack(column) for column in columns)


def split_validation(
    tensors: tuple[torch.Tensor, ...], cfg: TrainConfig
) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...] | None]:
    """Hold out ``cfg.val_fraction`` of the examples, by a permutation seeded from the seed."""
    n = len(tensors[0])
    n_val = int(round(cfg.val_fraction * n))
    if n_val == 0:
        return tensors, None
    if n_val >= n:
        raise ValueError(f"train.val_fraction={cfg.val_fraction} leaves no training data ({n} examples)")
    g = torch.Generator().manual_seed(cfg.seed + 7919)
    perm = torch.randperm(n, generator=g)
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    return tuple(t[train_idx] for t in tensors), tuple(t[val_idx] for t in tensors)
