"""The CNN reproductions and benchmark, cheap checks only: the rows of a quick run and the
training path on a few fake images (the real runs read MNIST / Fashion-MNIST and take minutes)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from neuralzoo.bench import cnn as bench_cnn
from neuralzoo.reproduce import fashion_cnn, lenet5

from .helpers import check_rows


def _fake_load(name, split="train", flatten=True, **_):
    g = torch.Generator().manual_seed(0 if split == "train" else 1)
    X = torch.rand(96 if split == "train" else 32, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (len(X),), generator=g)
    return (X.reshape(len(X), -1) if flatten else X), y


@pytest.mark.parametrize("module,published", [(lenet5, 0.9905), (fashion_cnn, 0.934)])
def test_reproduction_rows_on_fake_data(monkeypatch, module, published):
    monkeypatch.setattr(module, "datasets", SimpleNamespace(load=_fake_load))
    rows = check_rows(module.run(quick=True, device="cpu"), n=2 if module is lenet5 else 1)  # lenet5: + a variant
    for row in rows:
        assert row["published"] == published and row["target"].startswith(">= ")
        # an accuracy on 32 test images (a multiple of 1/32) of random labels: far below the target
        assert row["ours"] * 32 == pytest.approx(round(row["ours"] * 32), abs=0.01) and row["met"] is False


def test_lenet5_input_normalisation_is_the_papers():
    x = torch.tensor([0.0, 1.0])
    torch.testing.assert_close(lenet5.normalise(x), torch.tensor([-0.1, 1.175]))


def test_bench_plain_loop_trains_the_same_model_class():
    X, y = _fake_load("mnist", flatten=False)
    model = bench_cnn.plain_loop(X, y, epochs=1, seed=0)
    assert type(model).__name__ == "LeNet5" and model(X[:2]).shape == (2, 10)
