"""Run folders under a careful user's hands (issue: hardening): one writer at a time, what may
change on resume, which checkpoint stays, damaged files refused by name, and every refusal one
line with exit code 2. Each item of the issue is a test here."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from torch import nn

import neuralzoo
from neuralzoo import MLP, cli, runs
from neuralzoo._io import LOCK_NAME, RunLockedError, run_lock
from neuralzoo.train import TrainingDiverged
from neuralzoo.train import checkpoint as ckpt
from neuralzoo.train.checkpoint import CheckpointError

QUIET = {"progress": False}
SRC = str(Path(neuralzoo.__file__).resolve().parents[1])


def one_line_error(code: int, err: str, *fragments: str) -> str:
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def config(run: Path) -> dict:
    return json.loads((run / "config.json").read_text())


def python(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)


def wait_for(path: Path, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """``neuralzoo train mlp --epochs 2 --out R``, once for the module."""
    run = tmp_path_factory.mktemp("runfolder") / "R"
    with pytest.raises(SystemExit) as exc:
        cli.main(["train", "mlp", "--epochs", "2", "--set", "progress=false", "--out", str(run)])
    assert exc.value.code == 0
    return run


@pytest.fixture
def run_copy(trained, tmp_path) -> Path:
    return Path(shutil.copytree(trained, tmp_path / "R"))


# --- 1. one writer per run folder ------------------------------------------------------------


class Hold:
    """Blocks the training thread at the end of its first epoch until released."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()

    def on_epoch_end(self, state, metrics):
        self.started.set()
        assert self.release.wait(60)


def test_a_second_writer_in_the_same_process_is_refused(tmp_path, run_cli, digits_train):
    X, y = digits_train[0][:200], digits_train[1][:200]
    hold, errors = Hold(), []

    def first():
        try:
            MLP(64, 10, hidden=[8]).fit(X, y, epochs=2, out=tmp_path / "X", callbacks=[hold], **QUIET)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert hold.started.wait(60)
        with pytest.raises(RunLockedError, match=r"X is in use by another neuralzoo run \(pid \d+\)"):
            MLP(64, 10, hidden=[8]).fit(X, y, epochs=1, out=tmp_path / "X", overwrite=True, **QUIET)
        code, _, err = run_cli("train", "mlp", "--epochs", "1", "--out", tmp_path / "X", "--force")
        one_line_error(code, err, "in use by another neuralzoo run")
    finally:
        hold.release.set()
        thread.join(60)
    assert not errors
    assert [r["epoch"] for r in rows(tmp_path / "X")] == [1, 2]  # the first writer's run, whole
    assert config(tmp_path / "X")["hparams"]["hidden"] == [8]
    assert not (tmp_path / "X" / LOCK_NAME).exists()  # let go at the end


def test_the_lock_nests_in_its_holder_and_frees_the_folder_it_made(tmp_path):
    with run_lock(tmp_path / "a" / "b") as folder:
        with run_lock(tmp_path / "a" / "b"):  # the CLI holds it, then the trainer takes it again
            assert (folder / LOCK_NAME).exists()
        assert (folder / LOCK_NAME).exists()  # still held by the outer block
    assert not (tmp_path / "a").exists()  # nothing was written: the folders it made are gone
    with run_lock(None) as nothing:  # a process that does not write (a torchrun rank > 0)
        assert nothing is None


def test_two_cli_processes_and_a_killed_holder(tmp_path, run_cli):
    """``neuralzoo train mlp --out X`` twice at once: the second is refused in one line; the first,
    killed with kill -9, leaves nothing stuck: the next writer takes the folder."""
    folder = tmp_path / "X"
    first = python("-m", "neuralzoo", "train", "mlp", "--epochs", "10000", "--set", "progress=false",
                   "--out", str(folder))
    try:
        wait_for(folder / "config.json", first)
        second = python("-m", "neuralzoo", "train", "mlp", "--seed", "2", "--epochs", "1", "--out", str(folder),
                        "--force")
        _, err = second.communicate(timeout=120)
        line = one_line_error(second.returncode, err, str(folder), "in use by another neuralzoo run",
                              f"pid {first.pid}")
        assert "Traceback" not in line
        assert config(folder)["train"]["seed"] == 0  # the first run's folder, untouched
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    assert (folder / LOCK_NAME).exists()  # left by the killed run, but not held by anyone
    code, _, err = run_cli("train", "mlp", "--seed", "2", "--epochs", "1", "--set", "progress=false",
                           "--out", folder, "--force")
    assert code == 0, err
    assert config(folder)["train"]["seed"] == 2 and [r["epoch"] for r in rows(folder)] == [1]
    assert not (folder / LOCK_NAME).exists()


def test_a_lock_held_by_another_process_refuses_the_python_api(tmp_path, digits_train):
    holder = python("-c", "import sys, time; from neuralzoo._io import run_lock\n"
                          f"with run_lock({str(tmp_path / 'X')!r}):\n"
                          "    print('held', flush=True); time.sleep(120)")
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLockedError, match="in use by another neuralzoo run"):
            MLP(64, 10, hidden=[8]).fit(*digits_train, epochs=1, out=tmp_path / "X", **QUIET)
    finally:
        holder.kill()
        holder.communicate()
    MLP(64, 10, hidden=[8]).fit(digits_train[0][:100], digits_train[1][:100], epochs=1, out=tmp_path / "X",
                                **QUIET)


# --- 2. what may change on resume, applied; the rest refused by name -------------------------


def test_resume_applies_a_new_learning_rate_and_records_it(run_cli, run_copy):
    code, _, err = run_cli("train", "mlp", "--out", run_copy, "--resume", "--epochs", "3", "--set", "lr=0.0123")
    assert code == 0, err
    assert [r["lr"] for r in rows(run_copy)][2] == 0.0123  # epoch 3 trained at the new rate
    state = ckpt.load_state(run_copy / ckpt.STATE)
    assert state["optimizer"]["param_groups"][0]["lr"] == 0.0123  # the optimizer's own rate
    assert config(run_copy)["train"]["lr"] == 0.0123 and config(run_copy)["train"]["epochs"] == 3


def test_resume_replays_a_new_schedule_as_if_used_from_the_start(tmp_path, digits_train):
    X, y = digits_train[0][:300], digits_train[1][:300]
    opts = dict(batch_size=100, optimizer="sgd", seed=1, **QUIET)
    MLP(64, 10, hidden=[8]).fit(X, y, epochs=2, lr=0.1, out=tmp_path / "A", **opts)
    MLP(64, 10, hidden=[8]).fit(X, y, epochs=4, lr=0.2, lr_schedule="step", lr_step_size=1, lr_gamma=0.5,
                                out=tmp_path / "A", resume=True, **opts)
    assert [r["lr"] for r in rows(tmp_path / "A")] == pytest.approx([0.1, 0.1, 0.2 * 0.5**2, 0.2 * 0.5**3])
    assert config(tmp_path / "A")["train"]["lr_schedule"] == "step"


@pytest.mark.parametrize(("sets", "name"), [
    (["--set", "batch_size=32"], "train.batch_size"),
    (["--set", "optimizer=sgd"], "train.optimizer"),
    (["--seed", "5"], "train.seed"),
    (["--set", "hidden=[8]"], "model.hidden"),
    (["--set", "data.binarize=threshold"], "data.binarize"),
])
def test_resume_refuses_any_other_change_by_name(run_cli, run_copy, sets, name):
    before = snapshot(run_copy)
    code, _, err = run_cli("train", "mlp", "--out", run_copy, "--resume", "--epochs", "3", *sets)
    one_line_error(code, err, name, "cannot change on resume")
    assert snapshot(run_copy) == before  # config.json records nothing that was not used


def test_resume_with_fewer_epochs_than_trained_is_refused(run_cli, run_copy):
    """``--resume --epochs 1`` on a finished 2-epoch run: refused, config.json left saying 2."""
    before = snapshot(run_copy)
    code, _, err = run_cli("train", "mlp", "--out", run_copy, "--resume", "--epochs", "1")
    one_line_error(code, err, "train.epochs", "already trained 2 epochs", "got 1")
    code, _, err = run_cli("train", "mlp", "--out", run_copy, "--resume", "--set", "lr=0.5")  # no epoch left
    one_line_error(code, err, "train.lr", "would not be used")
    assert snapshot(run_copy) == before


def test_resume_of_a_staged_run_refuses_fewer_epochs(tmp_path, run_cli):
    run = tmp_path / "sae"
    args = ["train", "stacked-autoencoder", "--set", "hidden=[16]", "--set", "noise=[0.2]", "--set", "pretrain_epochs=1",
            "--set", "data.limit=200", "--set", "progress=false", "--out", run]
    code, _, err = run_cli(*args, "--epochs", "2")
    assert code == 0, err
    before = snapshot(run)
    code, _, err = run_cli(*args, "--epochs", "1", "--resume")
    one_line_error(code, err, "train.epochs", "already trained 2 epochs")
    assert snapshot(run) == before


# --- 3. the NaN message names the checkpoint that exists -------------------------------------


class Linear(nn.Module):
    def __init__(self, nan_at_epoch: int, n_batches: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(3))
        self.nan_at, self.n_batches, self.calls = nan_at_epoch, n_batches, 0

    def loss(self, batch):
        x, t = batch
        epoch = self.calls // self.n_batches + 1
        self.calls += 1
        value = ((x @ self.w - t) ** 2).mean()
        return value * math.nan if epoch == self.nan_at else value


@pytest.mark.parametrize("every", [2, 3])
def test_nan_message_names_the_checkpoint_state_pt_holds(tmp_path, every):
    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
    data, cfg = (x, x.sum(1)), {"epochs": 6, "batch_size": 10, "checkpoint_every": every, **QUIET}
    with pytest.raises(TrainingDiverged) as info:
        neuralzoo.fit(Linear(nan_at_epoch=5, n_batches=4), data, cfg, out=tmp_path)
    held = ckpt.load_state(tmp_path / ckpt.STATE)["epoch"]
    assert held == 4 // every * every
    assert f"{tmp_path / ckpt.STATE} (epoch {held})" in str(info.value)
    # resumed from it, diverging again: the same checkpoint is named, not the epoch reached
    model = Linear(nan_at_epoch=2, n_batches=4)  # counted from the resumed epoch
    with pytest.raises(TrainingDiverged, match=rf"\(epoch {held}\), stays"):
        neuralzoo.fit(model, data, {**cfg, "checkpoint_every": 10}, out=tmp_path, resume=True)
    assert ckpt.load_state(tmp_path / ckpt.STATE)["epoch"] == held


# --- 4. weights that are not finite, or of another dtype -------------------------------------


@pytest.mark.parametrize(("change", "fault"), [
    (lambda t: t.index_fill_(0, torch.tensor([0]), math.nan), "non-finite"),
    (lambda t: t.index_fill_(0, torch.tensor([0]), math.inf), "non-finite"),
    (lambda t: t.double(), "expected dtype float32, got float64"),
    (lambda t: t.to(torch.int32), "expected dtype float32, got int32"),
])
def test_damaged_weights_are_refused_by_file(run_cli, run_copy, change, fault):
    path = run_copy / ckpt.WEIGHTS
    tensors = load_file(str(path))
    tensors["layers.0.weight"] = change(tensors["layers.0.weight"].clone())
    save_file(tensors, str(path))
    code, out, err = run_cli("eval", run_copy, "--json")
    one_line_error(code, err, str(path), fault)
    assert out == ""  # never NaN, never invalid JSON
    with pytest.raises(CheckpointError, match=fault):
        runs.load_run(run_copy)


# --- 6. a folder with only config.json; stale temporary files; what --force clears -----------


def test_resume_of_a_folder_holding_only_config_json_starts_anew(run_cli, run_copy):
    for p in run_copy.iterdir():
        if p.name != "config.json":
            p.unlink()
    code, _, err = run_cli("train", "mlp", "--out", run_copy, "--resume")
    assert code == 0, err
    assert [r["epoch"] for r in rows(run_copy)] == [1, 2]
    assert ckpt.load_state(run_copy / ckpt.STATE)["epoch"] == 2


def test_a_diverged_first_epoch_can_be_resumed_with_a_smaller_rate(tmp_path):
    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
    data, cfg = (x, x.sum(1)), {"epochs": 2, "batch_size": 10, **QUIET}
    with pytest.raises(TrainingDiverged, match="no checkpoint written"):
        neuralzoo.fit(Linear(nan_at_epoch=1, n_batches=4), data, cfg, out=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]
    history = neuralzoo.fit(Linear(nan_at_epoch=0, n_batches=4), data, {**cfg, "lr": 1e-4}, out=tmp_path,
                            resume=True)
    assert len(history) == 2 and config(tmp_path)["train"]["lr"] == 1e-4


def test_stale_temporary_files_go_and_a_users_files_stay(run_cli, run_copy):
    stale = [run_copy / ".state.pt.a1b2c3d4.tmp", run_copy / ".metrics.jsonl.x_y9Z0k1.tmp"]
    for p in stale:
        p.write_bytes(b"half a file")
    mine = [run_copy / "notes.tmp", run_copy / ".mine.tmp", run_copy / "notes.txt"]
    for p in mine:
        p.write_text("mine")
    code, _, err = run_cli("train", "mlp", "--out", run_copy, "--resume", "--epochs", "3")
    assert code == 0, err
    assert not any(p.exists() for p in stale)
    assert all(p.read_text() == "mine" for p in mine)


def test_force_clears_what_neuralzoo_wrote_and_nothing_else(tmp_path, run_cli):
    run = tmp_path / "D"
    code, _, err = run_cli("train", "dbn", "--epochs", "1", "--set", "hidden=[16]", "--set", "data.limit=100",
                           "--set", "progress=false", "--out", run)
    assert code == 0, err
    assert (run / "stages").is_dir() and (run / "stage_order.json").exists()
    (run / "README.txt").write_text("my notes")
    (run / "mine").mkdir()
    code, _, err = run_cli("train", "mlp", "--epochs", "1", "--set", "progress=false", "--out", run, "--force")
    assert code == 0, err
    names = {p.name for p in run.iterdir()}
    assert not {"stages", "stage_order.json"} & names  # the DBN's stages went with it
    assert {"README.txt", "mine", "config.json", ckpt.STATE, ckpt.WEIGHTS} <= names
    assert config(run)["model"] == "mlp" and (run / "README.txt").read_text() == "my notes"


# --- tracebacks where one line and exit 2 were promised --------------------------------------


def _save_state(run: Path, change) -> None:
    state = torch.load(run / ckpt.STATE, weights_only=True)
    torch.save(change(state), run / ckpt.STATE)


class Evil:
    def __reduce__(self):
        return (os.mkdir, ("code-ran",))


STATE_FAULTS = {
    "dict without the rest": (lambda s: {"epoch": 1}, "not a training state: no 'optimizer'"),
    "a list": (lambda s: [1, 2], "expected a training state (a dict), got list"),
    "bad optimizer state": (lambda s: {**s, "optimizer": {"state": {}, "param_groups": []}},
                            "optimizer does not fit this run"),
    "optimizer of other shapes": (
        lambda s: {**s, "optimizer": {**s["optimizer"], "state": {
            k: {**v, "exp_avg": torch.zeros(3)} for k, v in s["optimizer"]["state"].items()}}},
        "optimizer exp_avg has shape (3,)"),
    "wrong-size RNG state": (lambda s: {**s, "torch_rng": torch.zeros(5, dtype=torch.uint8)},
                             "torch_rng does not fit this run"),
    "tampered epoch": (lambda s: {**s, "epoch": 1}, "epoch 1 does not match its history of 2 epochs"),
    "epoch of another type": (lambda s: {**s, "epoch": "2"}, "epoch: expected int, got str"),
}


@pytest.mark.parametrize("fault", sorted(STATE_FAULTS))
def test_a_state_pt_of_another_structure_is_one_line(run_cli, run_copy, fault):
    change, message = STATE_FAULTS[fault]
    _save_state(run_copy, change)
    code, _, err = run_cli("train", "mlp", "--out", run_copy, "--resume", "--epochs", "3")
    one_line_error(code, err, str(run_copy / ckpt.STATE), message)


def test_an_empty_or_malicious_state_pt_is_one_line(run_cli, run_copy):
    (run_copy / ckpt.STATE).write_bytes(b"")
    code, _, err = run_cli("train", "mlp", "--out", run_copy, "--resume", "--epochs", "3")
    one_line_error(code, err, str(run_copy / ckpt.STATE), "empty")
    torch.save({"epoch": 1, "payload": Evil()}, run_copy / ckpt.STATE)
    code, _, err = run_cli("train", "mlp", "--out", run_copy, "--resume", "--epochs", "3")
    line = one_line_error(code, err, str(run_copy / ckpt.STATE), "refused")
    assert "weights_only" not in line and "mkdir" in line
    assert not Path("code-ran").exists()


def test_a_stage_state_without_history_is_one_line(tmp_path, run_cli):
    run = tmp_path / "sae"
    args = ["train", "stacked-autoencoder", "--set", "hidden=[16]", "--set", "noise=[0.2]", "--set", "pretrain_epochs=1",
            "--set", "data.limit=200", "--set", "progress=false", "--epochs", "1", "--out", run]
    code, _, err = run_cli(*args)
    assert code == 0, err
    stage = run / "stages" / "layer1"
    _save_state(stage, lambda s: {k: v for k, v in s.items() if k != "history"})
    code, _, err = run_cli(*args, "--resume")
    one_line_error(code, err, str(stage / ckpt.STATE), "no 'history'")


def test_damaged_config_and_metrics_files_are_named(run_cli, run_copy, tmp_path):
    metrics = run_copy / "metrics.jsonl"
    for text, fault in (('{"epoch": 1}\n[1, 2]\n', "line 2: expected a JSON object"),
                        ("{bad\n", "line 1: not valid JSON"), ("\udcff", "not UTF-8")):
        metrics.write_bytes(text.encode("utf-8", "surrogateescape"))
        code, out, err = run_cli("eval", run_copy, "--json")  # eval does not need the log
        assert code == 0, err
        assert json.loads(out)["test_acc"] > 0
        code, _, err = run_cli("report", run_copy)
        one_line_error(code, err, str(metrics), fault)
    cfg = run_copy / "config.json"
    good = cfg.read_text()
    for text, fault in (("[1, 2]", "expected a JSON object, got list"), (b"\xff\xfe", "not UTF-8"),
                        (good.replace('"hparams": {', '"hparams": {"bogus": 1, '), "'bogus'")):
        cfg.write_bytes(text if isinstance(text, bytes) else text.encode())
        for args in (("eval", run_copy), ("train", "mlp", "--out", run_copy, "--resume", "--epochs", "3")):
            code, _, err = run_cli(*args)
            one_line_error(code, err, str(cfg), fault)
    toml = tmp_path / "bad.toml"
    toml.write_bytes(b"[train]\nepochs = 1\n\xff")
    code, _, err = run_cli("train", "mlp", "--config", toml, "--out", tmp_path / "T")
    one_line_error(code, err, str(toml), "not UTF-8")


def test_bad_paths_and_sizes_are_one_line(run_cli, tmp_path):
    code, _, err = run_cli("train", "mlp", "--config", tmp_path, "--out", tmp_path / "T")
    one_line_error(code, err, str(tmp_path), "got a folder")
    (tmp_path / "file").write_text("mine")
    code, _, err = run_cli("train", "mlp", "--out", tmp_path / "file")
    one_line_error(code, err, "file", "expected a run folder, got an existing file")
    code, _, err = run_cli("train", "mlp", "--set", "hidden=[1000000000000]", "--out", tmp_path / "T")
    one_line_error(code, err, "do not fit in memory", "hidden")
    assert not (tmp_path / "T").exists()
    assert (tmp_path / "file").read_text() == "mine"


def test_a_schedule_that_overflows_the_rate_is_one_line(run_cli, tmp_path):
    code, _, err = run_cli("train", "rbm", "--epochs", "40", "--set", "lr_schedule=exponential",
                           "--set", "lr_gamma=1e10", "--set", "data.limit=100", "--set", "progress=false",
                           "--out", tmp_path / "T")
    line = one_line_error(code, err, "learning rate became", "lr_gamma")
    held = ckpt.load_state(tmp_path / "T" / ckpt.STATE)["epoch"]
    assert f"(epoch {held})" in line
