"""Finding, checking and downloading the MNIST / Fashion-MNIST IDX files.

Every test runs in a sandbox: HOME, XDG_CACHE_HOME and NEURALZOO_DATA point into tmp_path,
the system folders are emptied and the network is cut (``mnist._fetch`` raises). The files
are small synthetic IDX files whose SHA-256 replaces the pinned ones.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from neuralzoo import datasets
from neuralzoo.datasets import mnist
from neuralzoo.datasets.idx import DataFileError, decompressed_sha256, write_idx

N = {"train": 12, "test": 5}


def _arrays(split: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + (split == "test"))
    images = rng.integers(0, 256, size=(N[split], 28, 28), dtype=np.uint8)
    labels = (np.arange(N[split]) % 10).astype(np.uint8)
    return images, labels


def _raw(array: np.ndarray) -> bytes:
    """The IDX bytes of a uint8 array, built by hand (header, then the pixels)."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + array.tobytes()


def make_files(folder: Path, splits=("train", "test"), seed: int = 0, gz: bool = True):
    """Write synthetic IDX files; return {file stem: sha256 of the decompressed bytes}."""
    folder.mkdir(parents=True, exist_ok=True)
    shas = {}
    for split in splits:
        for stem, array in zip(mnist.FILES[split], _arrays(split, seed)):
            # Images compressed, labels raw when gz: both spellings are accepted.
            compress = gz and "images" in stem
            path = folder / (f"{stem}.gz" if compress else stem)
            write_idx(path, array, gzip=compress)
            shas[stem] = decompressed_sha256(path)
    return shas


def pin(monkeypatch, name: str, seed: int = 0) -> dict[str, str]:
    """Pin the checksums of the synthetic data of ``seed``."""
    shas = {}
    for split in ("train", "test"):
        for stem, array in zip(mnist.FILES[split], _arrays(split, seed)):
            shas[stem] = hashlib.sha256(_raw(array)).hexdigest()
    monkeypatch.setitem(mnist.SHA256, name, shas)
    return shas


def _offline(url, timeout):
    raise OSError("network disabled in tests")


@pytest.fixture(autouse=True)
def sandbox(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("NEURALZOO_DATA", raising=False)
    monkeypatch.setitem(mnist.SYSTEM_DIRS, "fashion-mnist", [])
    monkeypatch.setattr(mnist, "_fetch", _offline)
    mnist._decode.cache_clear()
    yield
    mnist._decode.cache_clear()


CACHE = "xdg/neuralzoo/mnist"


def test_synthetic_checksums_match_the_written_files(tmp_path, monkeypatch):
    written = make_files(tmp_path / "d")
    assert pin(monkeypatch, "mnist") == written


def test_root_beats_env_beats_cache(tmp_path, monkeypatch):
    pin(monkeypatch, "mnist")
    make_files(tmp_path / "root")
    make_files(tmp_path / "env" / "mnist", seed=1)  # wrong checksums: refused if read
    make_files(tmp_path / CACHE, seed=1)
    monkeypatch.setenv("NEURALZOO_DATA", str(tmp_path / "env"))
    X, y = datasets.load("mnist", root=tmp_path / "root")
    images, labels = _arrays("train")
    assert torch.equal(X, torch.from_numpy(images.reshape(-1, 784) / np.float32(255)))
    assert torch.equal(y, torch.from_numpy(labels.astype(np.int64)))
    # Without root=, $NEURALZOO_DATA comes first: its bad file is refused, not skipped.
    with pytest.raises(DataFileError, match=str(tmp_path / "env" / "mnist")):
        datasets.load("mnist")


def test_env_beats_cache(tmp_path, monkeypatch):
    pin(monkeypatch, "mnist")
    make_files(tmp_path / "env" / "mnist")
    make_files(tmp_path / CACHE, seed=1)
    monkeypatch.setenv("NEURALZOO_DATA", str(tmp_path / "env"))
    X, _ = datasets.load("mnist", "test")
    assert X.shape == (N["test"], 784)
    assert datasets.info("mnist").location == str(tmp_path / "env" / "mnist")


def test_cache_used_then_system_copy(tmp_path, monkeypatch):
    pin(monkeypatch, "fashion-mnist")
    monkeypatch.setenv("NEURALZOO_DATA", str(tmp_path / "env"))  # set, but holds nothing
    system = tmp_path / "usr-share"
    monkeypatch.setitem(mnist.SYSTEM_DIRS, "fashion-mnist", [str(system)])
    make_files(system)
    assert datasets.info("fashion-mnist").location == str(system)
    make_files(tmp_path / "xdg/neuralzoo/fashion-mnist")
    X, y = datasets.load("fashion-mnist")
    assert X.shape == (N["train"], 784) and y.shape == (N["train"],)
    assert datasets.info("fashion-mnist").location == str(tmp_path / "xdg/neuralzoo/fashion-mnist")


def test_cache_falls_back_to_home_without_xdg(tmp_path, monkeypatch):
    pin(monkeypatch, "mnist")
    monkeypatch.delenv("XDG_CACHE_HOME")
    make_files(tmp_path / "home/.cache/neuralzoo/mnist", gz=False)
    assert mnist.cache_dir("mnist") == tmp_path / "home/.cache/neuralzoo/mnist"
    X, _ = datasets.load("mnist", download=False)
    assert X.shape == (N["train"], 784)


def test_root_may_hold_a_name_folder(tmp_path, monkeypatch):
    pin(monkeypatch, "mnist")
    make_files(tmp_path / "root" / "mnist")
    X, _ = datasets.load("mnist", "test", root=str(tmp_path / "root"))
    assert X.shape == (N["test"], 784)


def test_a_folder_counts_for_a_split_only_with_both_its_files(tmp_path, monkeypatch):
    pin(monkeypatch, "mnist")
    monkeypatch.setenv("NEURALZOO_DATA", str(tmp_path / "env"))
    make_files(tmp_path / "env" / "mnist", splits=("train",))
    make_files(tmp_path / CACHE, splits=("test",))
    (tmp_path / CACHE / "t10k-labels-idx1-ubyte").unlink()
    assert datasets.load("mnist", "train")[0].shape == (N["train"], 784)
    with pytest.raises(datasets.DatasetNotFoundError):
        datasets.load("mnist", "test")
    info = datasets.info("mnist")  # info asks for all four files in one folder
    assert not info.found and info.location is None


def test_explicit_root_does_not_fall_through(tmp_path, monkeypatch):
    pin(monkeypatch, "mnist")
    calls = []
    monkeypatch.setattr(mnist, "_fetch", lambda url, timeout: calls.append(url))
    monkeypatch.setenv("NEURALZOO_DATA", str(tmp_path / "env"))
    make_files(tmp_path / "env" / "mnist")
    make_files(tmp_path / CACHE)
    root = tmp_path / "empty"
    with pytest.raises(datasets.DatasetNotFoundError, match="root=") as err:
        datasets.load("mnist", root=root)
    assert err.value.searched == [str(root), str(root / "mnist")]
    assert str(tmp_path / "env") not in str(err.value) and calls == []


def test_offline_error_names_every_place_in_order(tmp_path, monkeypatch):
    env, system = tmp_path / "env", tmp_path / "sys"
    monkeypatch.setenv("NEURALZOO_DATA", str(env))
    monkeypatch.setitem(mnist.SYSTEM_DIRS, "fashion-mnist", [str(system)])
    with pytest.raises(datasets.DatasetNotFoundError) as err:
        datasets.load("fashion-mnist", "test")
    message = str(err.value)
    places = [
        str(env / "fashion-mnist"),
        str(tmp_path / "xdg/neuralzoo/fashion-mnist"),
        str(system),
    ]
    assert err.value.searched == places
    positions = [message.index(p) for p in places]
    assert positions == sorted(positions)
    for hint in ["NEURALZOO_DATA=", "root=", "apt-get install dataset-fashion-mnist",
                 "t10k-images-idx3-ubyte", mnist.MIRRORS["fashion-mnist"][0],
                 "network disabled in tests"]:  # fmt: skip
        assert hint in message, hint
    assert "\n" not in message and isinstance(err.value, FileNotFoundError)
    assert err.value.mirrors  # the URLs tried


def test_download_false_tries_no_mirror(monkeypatch):
    calls = []
    monkeypatch.setattr(mnist, "_fetch", lambda url, timeout: calls.append(url))
    with pytest.raises(datasets.DatasetNotFoundError, match="download=False") as err:
        datasets.load("mnist", download=False)
    assert calls == [] and err.value.mirrors == []
    assert "$NEURALZOO_DATA is not set" in str(err.value)


def test_wrong_checksum_refused_with_path(tmp_path, monkeypatch):
    make_files(tmp_path / "root")  # the real pins stay: the synthetic data cannot match them
    with pytest.raises(DataFileError) as err:
        datasets.load("mnist", root=tmp_path / "root")
    message = str(err.value)
    assert str(tmp_path / "root" / "train-images-idx3-ubyte.gz") in message
    assert mnist.SHA256["mnist"]["train-images-idx3-ubyte"] in message
    got = hashlib.sha256(
        gzip.decompress((tmp_path / "root/train-images-idx3-ubyte.gz").read_bytes())
    )
    assert f"got {got.hexdigest()}" in message


def test_checksum_verified_once_per_file_version(tmp_path, monkeypatch):
    pin(monkeypatch, "mnist")
    root = tmp_path / "root"
    make_files(root)
    reads = []
    real = mnist.read_bytes
    monkeypatch.setattr(mnist, "read_bytes", lambda p: reads.append(p) or real(p))
    datasets.load("mnist", root=root)
    datasets.load("mnist", root=root)
    assert len(reads) == 2  # images and labels, once each
    # A replaced file (other size and mtime) is read and checked again.
    labels = root / "train-labels-idx1-ubyte"
    write_idx(labels, np.zeros(N["train"] + 1, dtype=np.uint8))
    os.utime(labels, ns=(1, 1))
    with pytest.raises(DataFileError, match="wrong SHA-256"):
        datasets.load("mnist", root=root)
    assert len(reads) == 3


def test_returned_tensors_do_not_alias_the_cache(tmp_path, monkeypatch):
    pin(monkeypatch, "mnist")
    make_files(tmp_path / "root")
    X, y = datasets.load("mnist", root=tmp_path / "root", flatten=False)
    assert X.shape == (N["train"], 1, 28, 28)
    expected = X.clone(), y.clone()
    X.fill_(7.0)
    y.fill_(7)
    X2, y2 = datasets.load("mnist", root=tmp_path / "root", flatten=False)
    assert torch.equal(X2, expected[0]) and torch.equal(y2, expected[1])


@pytest.mark.parametrize(
    "images, labels, match",
    [
        (np.zeros((3, 28, 28), np.uint8), np.zeros(4, np.uint8), "as many labels as images"),
        (np.zeros((3, 27, 28), np.uint8), np.zeros(3, np.uint8), r"shape \(N, 28, 28\)"),
        (np.zeros((3, 784), np.uint8), np.zeros(3, np.uint8), r"shape \(N, 28, 28\)"),
        (np.zeros((3, 28, 28), np.uint8), np.zeros((3, 1), np.uint8), r"shape \(N,\)"),
        (np.zeros((3, 28, 28), np.float32), np.zeros(3, np.uint8), "uint8 pixels"),
        (np.zeros((3, 28, 28), np.uint8), np.full(3, 10, np.uint8), r"labels 0..9, got 10"),
    ],
    ids=["count", "side", "2d-images", "2d-labels", "float-pixels", "label-range"],
)
def test_inconsistent_files_refused(tmp_path, monkeypatch, images, labels, match):
    root = tmp_path / "root"
    root.mkdir()
    write_idx(root / "train-images-idx3-ubyte", images)
    write_idx(root / "train-labels-idx1-ubyte", labels)
    monkeypatch.setitem(
        mnist.SHA256,
        "mnist",
        {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.iterdir()},
    )
    with pytest.raises(DataFileError, match=match) as err:
        datasets.load("mnist", root=root)
    assert str(root) in str(err.value)


# Downloading.


def _served(seed: int = 0) -> dict[str, bytes]:
    """What a mirror serves: file name -> .gz bytes of the synthetic data."""
    out = {}
    for split in ("train", "test"):
        for stem, array in zip(mnist.FILES[split], _arrays(split, seed)):
            out[f"{stem}.gz"] = gzip.compress(_raw(array))
    return out


def test_download_writes_checked_files_atomically(tmp_path, monkeypatch):
    pin(monkeypatch, "mnist")
    served = _served()
    calls, renames = [], []
    first, second = mnist.MIRRORS["mnist"]

    def fetch(url, timeout):
        calls.append((url, timeout))
        if url.startswith(first):
            raise OSError("HTTP Error 403: Forbidden")
        return served[url.removeprefix(second)]

    real_replace = os.replace

    def replace(src, dst):
        # At the rename the temporary file is beside the target and already complete.
        renames.append((Path(src), Path(dst), Path(dst).exists()))
        assert Path(src).read_bytes() == served[Path(dst).name]
        real_replace(src, dst)

    monkeypatch.setattr(mnist, "_fetch", fetch)
    monkeypatch.setattr(mnist.os, "replace", replace)
    X, y = datasets.load("mnist", "test")
    cache = tmp_path / CACHE
    assert X.shape == (N["test"], 784) and y.tolist() == list(range(N["test"]))
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        f"{stem}.gz" for stem in mnist.FILES["test"]
    )
    assert [dst.name for _, dst, _ in renames] == [f"{s}.gz" for s in mnist.FILES["test"]]
    assert all(src.parent == dst.parent == cache and not existed for src, dst, existed in renames)
    assert all(timeout == mnist.DOWNLOAD_TIMEOUT > 0 for _, timeout in calls)
    assert [url for url, _ in calls] == [
        base + "t10k-images-idx3-ubyte.gz" for base in (first, second)
    ] + [base + "t10k-labels-idx1-ubyte.gz" for base in (first, second)]
    # Now found on disk: no second download.
    monkeypatch.setattr(mnist, "_fetch", _offline)
    assert torch.equal(datasets.load("mnist", "test")[0], X)


def test_download_skips_a_mirror_with_wrong_data(tmp_path, monkeypatch):
    pin(monkeypatch, "mnist")
    good, bad = _served(seed=0), _served(seed=1)
    first, second = mnist.MIRRORS["mnist"]

    def fetch(url, timeout):
        name = url.rsplit("/", 1)[1]
        return bad[name] if url.startswith(first) else good[name]

    monkeypatch.setattr(mnist, "_fetch", fetch)
    X, _ = datasets.load("mnist")
    assert X.shape == (N["train"], 784)
    assert not [p for p in (tmp_path / CACHE).iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    "serve",
    [
        lambda url, timeout: _served(seed=1)[url.rsplit("/", 1)[1]],  # wrong checksum
        lambda url, timeout: _served()[url.rsplit("/", 1)[1]][:-40],  # cut-off gzip
        lambda url, timeout: b"<html>404</html>",  # an error page
    ],
    ids=["checksum", "truncated", "not-gzip"],
)
def test_failed_download_leaves_no_file(tmp_path, monkeypatch, serve):
    pin(monkeypatch, "mnist")
    monkeypatch.setattr(mnist, "_fetch", serve)
    with pytest.raises(datasets.DatasetNotFoundError) as err:
        datasets.load("mnist")
    cache = tmp_path / CACHE
    assert list(cache.iterdir()) == []
    for base in mnist.MIRRORS["mnist"]:
        assert base + "train-images-idx3-ubyte.gz" in str(err.value)


def test_interrupted_download_leaves_no_file(tmp_path, monkeypatch):
    pin(monkeypatch, "mnist")
    monkeypatch.setattr(mnist, "_fetch", lambda url, timeout: _served()[url.rsplit("/", 1)[1]])

    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(mnist, "decompressed_sha256", interrupted)
    with pytest.raises(KeyboardInterrupt):
        datasets.load("mnist")
    assert list((tmp_path / CACHE).iterdir()) == []


# The real files, when this checkout has them (../shared/data/mnist).

REAL = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.mark.skipif(not (REAL / "mnist").is_dir(), reason="no real MNIST files here")
def test_real_mnist(monkeypatch):
    monkeypatch.setenv("NEURALZOO_DATA", str(REAL))
    X, y = datasets.load("mnist", "train", download=False)
    assert X.shape == (60000, 784) and X.dtype == torch.float32
    assert X.min() == 0.0 and X.max() == 1.0
    assert torch.bincount(y).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949,
    ]  # fmt: skip
    X, y = datasets.load("mnist", "test", download=False)
    assert X.shape == (10000, 784)
    assert torch.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
