"""The public face of neuralzoo.datasets: load's options, names, info, available."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
import torch

from neuralzoo import datasets
from neuralzoo.datasets import mnist
from neuralzoo.datasets.idx import write_idx


@pytest.fixture(autouse=True)
def sandbox(tmp_path, monkeypatch):
    """No user cache, no $NEURALZOO_DATA, no system copy, no network."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("NEURALZOO_DATA", raising=False)
    monkeypatch.setitem(mnist.SYSTEM_DIRS, "fashion-mnist", [])
    fetched: list[str] = []

    def fetch(url, timeout):
        fetched.append(url)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(mnist, "_fetch", fetch)
    return fetched


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"name": "mnsit"},
            "unknown dataset 'mnsit': expected one of digits, fashion-mnist, mnist",
        ),
        ({"name": "digits", "split": "val"}, "unknown split 'val': expected one of train, test"),
        (
            {"name": "digits", "binarize": "bernoulli"},
            "unknown binarize 'bernoulli': expected one of None, 'threshold', 'sample'",
        ),
        ({"name": "mnist", "split": "validation"}, "unknown split 'validation'"),
    ],
)
def test_unknown_values_name_the_choices(kwargs, match, sandbox):
    with pytest.raises(ValueError, match=match):
        datasets.load(**kwargs)
    assert sandbox == []  # checked before any search or download


def test_info_refuses_unknown_names():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        datasets.info("cifar")


def test_threshold_gives_zero_one_at_one_half():
    X, _ = datasets.load("digits")
    B, _ = datasets.load("digits", binarize="threshold")
    assert B.dtype == torch.float32 and set(B.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(B, (X > 0.5).float())
    assert torch.all(B[X == 0.5] == 0) and torch.all(B[X == 9 / 16] == 1)


def test_sample_is_seeded_bernoulli():
    X, _ = datasets.load("digits")
    a, _ = datasets.load("digits", binarize="sample", seed=3)
    b, _ = datasets.load("digits", binarize="sample", seed=3)
    c, _ = datasets.load("digits", binarize="sample", seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert set(a.unique().tolist()) == {0.0, 1.0}
    # Pixels with x = 0 or 1 are certain; the mean matches E[x] (92k pixels: sd 0.0016).
    assert torch.all(a[X == 0] == 0) and torch.all(a[X == 1] == 1)
    assert abs(a.mean().item() - X.mean().item()) < 0.01
    assert abs(c.mean().item() - X.mean().item()) < 0.01


def test_sample_uses_the_given_generator_seed():
    """Oracle: torch.bernoulli with a generator seeded as documented."""
    X, _ = datasets.load("digits", "test", flatten=False)
    expected = torch.bernoulli(X.reshape(360, 8, 8), generator=torch.Generator().manual_seed(7))
    ours, _ = datasets.load("digits", "test", binarize="sample", seed=7, flatten=False)
    assert torch.equal(ours, expected.reshape(360, 1, 8, 8))


def test_default_call_types():
    X, y = datasets.load("digits")
    assert X.dtype == torch.float32 and y.dtype == torch.int64
    assert X.ndim == 2 and y.ndim == 1 and len(X) == len(y)
    assert 0.0 <= X.min() and X.max() <= 1.0


def test_returned_tensors_are_new_each_call():
    X, y = datasets.load("digits")
    X.zero_()
    y.fill_(-1)
    X2, y2 = datasets.load("digits")
    assert X2.max() == 1.0 and y2.min() == 0


def test_names():
    assert datasets.names() == ["digits", "fashion-mnist", "mnist"]


def test_available_lists_all_without_downloading(tmp_path, monkeypatch, sandbox):
    found = {i.name: i for i in datasets.available()}
    assert list(found) == ["digits", "fashion-mnist", "mnist", "adding", "copy", "tinyshakespeare", "FILE.txt"]
    assert found["adding"].found and found["tinyshakespeare"].found is False  # (no corpus in the sandbox)
    assert found["digits"].found and not found["mnist"].found and not found["fashion-mnist"].found
    assert found["mnist"].location is None
    assert found["mnist"].searched == [str(tmp_path / "xdg/neuralzoo/mnist")]
    assert sandbox == []  # no download tried
    assert not (tmp_path / "xdg").exists()  # and nothing created

    # A copy in $NEURALZOO_DATA is reported, without being read.
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    for stem in [s for split in ("train", "test") for s in mnist.FILES[split]]:
        write_idx(folder / f"{stem}.gz", np.zeros(1, np.uint8), gzip=True)
    monkeypatch.setenv("NEURALZOO_DATA", str(tmp_path / "data"))
    info = datasets.info("mnist")
    assert info.found and info.location == str(folder)
    assert info.searched == [str(folder)]
    assert sandbox == []


def test_info_fields():
    info = datasets.info("fashion-mnist")
    assert [f.name for f in dataclasses.fields(info)] == [
        "name", "description", "shape", "n_classes", "class_names", "found", "location", "searched", "kind",
    ]  # fmt: skip
    assert info.shape == (1, 28, 28) and info.n_classes == 10
    assert info.class_names[0] == "T-shirt/top" and info.class_names[9] == "Ankle boot"
    assert len(info.class_names) == 10
    assert datasets.info("mnist").class_names == tuple("0123456789")


def test_errors_are_the_documented_types():
    assert issubclass(datasets.DatasetNotFoundError, FileNotFoundError)
    assert issubclass(datasets.DataFileError, ValueError)
    err = pickle.loads(pickle.dumps(datasets.DatasetNotFoundError("m", ["/a"], ["https://x"])))
    assert (str(err), err.searched, err.mirrors) == ("m", ["/a"], ["https://x"])
