"""Checkpoints: safetensors weights and a ``weights_only`` training state, written atomically."""

from __future__ import annotations

import os

import pytest
import torch
from torch import nn

from neuralzoo import MLP
from neuralzoo.train import checkpoint as ckpt
from neuralzoo.train.checkpoint import CheckpointError


def _no_tmp_files(folder) -> bool:
    return not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_weights_round_trip(tmp_path):
    net = MLP(6, 3, hidden=[5])
    path = ckpt.save_weights(net, tmp_path / "w.safetensors")
    other = MLP(6, 3, hidden=[5])
    assert not torch.equal(other.layers[0].weight, net.layers[0].weight)
    ckpt.load_weights(other, path)
    for key, value in net.state_dict().items():
        assert torch.equal(other.state_dict()[key], value), key
    assert _no_tmp_files(tmp_path)


def test_buffers_and_shared_tensors_round_trip(tmp_path):
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.Linear(4, 3, bias=False)
            self.dec = nn.Linear(3, 4, bias=False)
            self.dec.weight = nn.Parameter(torch.randn(4, 3))
            self.register_buffer("chains", torch.rand(2, 4))
            self.alias = self.enc  # the same parameters under two names

    a, b = Tied(), Tied()
    ckpt.load_weights(b, ckpt.save_weights(a, tmp_path / "tied.safetensors"))
    for key, value in a.state_dict().items():
        assert torch.equal(b.state_dict()[key], value), key


def test_weights_of_another_model_are_refused(tmp_path):
    path = ckpt.save_weights(MLP(6, 3, hidden=[5]), tmp_path / "w.safetensors")
    with pytest.raises(CheckpointError, match=r"checkpoint of another model: layers\.0\.\w+ "
                                              r"expected shape \(7(, 6)?,?\), got \(5(, 6)?,?\)"):
        ckpt.load_weights(MLP(6, 3, hidden=[7]), path)
    with pytest.raises(CheckpointError, match="checkpoint of another model.*missing"):
        ckpt.load_weights(MLP(6, 3, hidden=[5, 5]), path)


def test_corrupt_or_missing_weights_are_refused(tmp_path):
    net = MLP(6, 3, hidden=[5])
    path = ckpt.save_weights(net, tmp_path / "w.safetensors")
    path.write_bytes(path.read_bytes()[:40])  # truncated
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        ckpt.load_weights(net, path)
    path.write_bytes(b"this is not a tensor file")
    with pytest.raises(CheckpointError, match=f"{path.name}: not a readable safetensors file"):
        ckpt.load_weights(net, path)
    with pytest.raises(CheckpointError, match="no weights file"):
        ckpt.load_weights(net, tmp_path / "absent.safetensors")


def test_state_round_trip(tmp_path):
    state = {"epoch": 3, "rng": torch.get_rng_state(), "history": '[{"loss": 0.5}]',
             "best": None, "opt": {"state": {0: {"step": torch.tensor(4.0)}}, "lr": [0.1, 0.01]}}
    back = ckpt.load_state(ckpt.save_state(state, tmp_path / "state.pt"))
    assert back["epoch"] == 3 and back["best"] is None and back["history"] == state["history"]
    assert torch.equal(back["rng"], state["rng"])
    assert torch.equal(back["opt"]["state"][0]["step"], torch.tensor(4.0))
    assert back["opt"]["lr"] == [0.1, 0.01]
    assert _no_tmp_files(tmp_path)


class Payload:
    """An object whose unpickling runs code: it would create the folder ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_state_with_arbitrary_pickled_object_is_refused(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "state.pt"
    torch.save({"epoch": 1, "payload": Payload(str(marker))}, path)
    with pytest.raises(CheckpointError, match="unreadable training state"):
        ckpt.load_state(path)
    assert not marker.exists()


def test_corrupt_or_missing_state_is_refused(tmp_path):
    path = tmp_path / "state.pt"
    path.write_bytes(b"not a torch file")
    with pytest.raises(CheckpointError, match="state.pt: unreadable training state"):
        ckpt.load_state(path)
    with pytest.raises(CheckpointError, match="no training state to resume from"):
        ckpt.load_state(tmp_path / "absent.pt")


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = ckpt.save_state({"epoch": 1}, tmp_path / "state.pt")
    old = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"half")
        raise KeyboardInterrupt  # killed while writing

    monkeypatch.setattr(ckpt.torch, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        ckpt.save_state({"epoch": 2}, path)
    assert path.read_bytes() == old
    assert _no_tmp_files(tmp_path)


def test_weights_and_state_go_through_the_one_atomic_write(tmp_path, monkeypatch):
    """Both files are flushed to disk (fsync) before the rename, as every file neuralzoo writes."""
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real(fd))
    ckpt.save_weights(MLP(6, 3, hidden=[5]), tmp_path / "w.safetensors")
    ckpt.save_state({"epoch": 1}, tmp_path / "state.pt")
    assert len(synced) == 2 and _no_tmp_files(tmp_path)


def test_checkpoint_files_get_ordinary_permissions(tmp_path):
    """Not mkstemp's 0600: files are created as any file is, 0666 minus the umask."""
    old = os.umask(0o022)
    try:
        w = ckpt.save_weights(MLP(6, 3, hidden=[5]), tmp_path / "w.safetensors")
        s = ckpt.save_state({"epoch": 1}, tmp_path / "state.pt")
    finally:
        os.umask(old)
    assert w.stat().st_mode & 0o777 == 0o644
    assert s.stat().st_mode & 0o777 == 0o644
