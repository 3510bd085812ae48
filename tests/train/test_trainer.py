"""The one training loop, ``neuralzoo.fit``, against oracles.

Oracles: an uninterrupted run (for exact resume), a plain PyTorch loop with the same batches
(for Adam), the clipping rules written out by hand, the step schedule's closed form, and
scripted models whose loss or validation metric is known in advance.
"""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import neuralzoo
from neuralzoo import MLP
from neuralzoo.config import ConfigError
from neuralzoo.train import RunExistsError, TrainingDiverged
from neuralzoo.train import checkpoint as ckpt

QUIET = {"progress": False}


def _weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _assert_same_weights(a: nn.Module, b: nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


def _jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


class Linear(nn.Module):
    """A least-squares linear model: the smallest thing ``fit`` can train."""

    def __init__(self, d: int = 3) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(d))

    def loss(self, batch):
        x, t = batch
        return ((x @ self.w - t) ** 2).mean()


def _linear_data(n: int = 40, d: int = 3, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    return x, x @ torch.arange(1.0, d + 1)


# --- exact resume ----------------------------------------------------------------------------

RESUME = dict(epochs=5, batch_size=64, lr=0.05, optimizer="sgd", momentum=0.9,
              lr_schedule="step", lr_step_size=2, lr_gamma=0.5, seed=3, **QUIET)


class InterruptAt:
    """Raises KeyboardInterrupt at the end of one epoch, before its checkpoint is written."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, state, metrics):
        if metrics["epoch"] == self.epoch:
            raise KeyboardInterrupt


def test_resume_after_interrupt_equals_uninterrupted_run(tmp_path, digits_train):
    X, y = digits_train[0][:400], digits_train[1][:400]
    full = MLP(64, 10, hidden=[32], dropout=0.2).fit(X, y, out=tmp_path / "A", **RESUME)

    with pytest.raises(KeyboardInterrupt):
        MLP(64, 10, hidden=[32], dropout=0.2).fit(X, y, out=tmp_path / "B", callbacks=[InterruptAt(3)],
                                           **RESUME)
    assert ckpt.load_state(tmp_path / "B" / ckpt.STATE)["epoch"] == 2
    assert len(_jsonl(tmp_path / "B" / "metrics.jsonl")) == 2

    resumed = MLP(64, 10, hidden=[32], dropout=0.2)  # a new object: everything comes from the folder
    resumed.fit(X, y, out=tmp_path / "B", resume=True, **RESUME)

    _assert_same_weights(full, resumed)
    assert resumed.history_.column("loss") == full.history_.column("loss")
    rows = _jsonl(tmp_path / "B" / "metrics.jsonl")
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4, 5]
    assert [r["loss"] for r in rows] == full.history_.column("loss")
    # step schedule, closed form: lr_e = lr * gamma^floor((e - 1) / step_size)
    assert [r["lr"] for r in rows] == pytest.approx([0.05 * 0.5 ** ((e - 1) // 2) for e in range(1, 6)])


def test_resume_after_kill_between_weights_and_state(tmp_path, digits_train, monkeypatch):
    """Killed after model.safetensors of epoch 3 was renamed but before state.pt was:
    the run still resumes exactly (the documented promise: killed at any moment)."""
    X, y = digits_train[0][:400], digits_train[1][:400]
    full = MLP(64, 10, hidden=[32], dropout=0.2).fit(X, y, out=tmp_path / "A", **RESUME)

    save_state = ckpt.save_state

    def dying_save_state(state, path):
        if state["epoch"] == 3:
            raise KeyboardInterrupt
        return save_state(state, path)

    monkeypatch.setattr(ckpt, "save_state", dying_save_state)
    with pytest.raises(KeyboardInterrupt):
        MLP(64, 10, hidden=[32], dropout=0.2).fit(X, y, out=tmp_path / "B", **RESUME)
    monkeypatch.setattr(ckpt, "save_state", save_state)

    resumed = MLP(64, 10, hidden=[32], dropout=0.2).fit(X, y, out=tmp_path / "B", resume=True, **RESUME)
    _assert_same_weights(full, resumed)
    assert resumed.history_.column("loss") == full.history_.column("loss")


def test_resume_needs_a_checkpoint(tmp_path):
    x, t = _linear_data()
    with pytest.raises(ckpt.CheckpointError, match="no training state to resume from"):
        neuralzoo.fit(Linear(), (x, t), {"epochs": 1, **QUIET}, out=tmp_path / "empty", resume=True)


# --- seeds -----------------------------------------------------------------------------------


def test_same_seed_same_model_other_seed_other_model(digits_train):
    X, y = digits_train[0][:300], digits_train[1][:300]
    opts = dict(epochs=2, batch_size=50, **QUIET)
    a = MLP(64, 10, hidden=[16], dropout=0.3)  # construction draws from the global RNG, as in torch
    before = torch.get_rng_state()
    a.fit(X, y, seed=5, **opts)
    assert torch.equal(torch.get_rng_state(), before)  # fit leaves the global RNG alone
    torch.manual_seed(1234)  # unrelated global state must not matter
    b = MLP(64, 10, hidden=[16], dropout=0.3).fit(X, y, seed=5, **opts)
    c = MLP(64, 10, hidden=[16], dropout=0.3).fit(X, y, seed=6, **opts)
    _assert_same_weights(a, b)
    assert a.history_.column("loss") == b.history_.column("loss")
    assert not torch.equal(a.layers[0].weight, c.layers[0].weight)


# --- NaN guard -------------------------------------------------------------------------------


class NaNAt(Linear):
    """Linear least squares whose loss turns NaN at one (epoch, batch), counted from 1."""

    def __init__(self, n_batches: int, epoch: int, batch: int) -> None:
        super().__init__()
        self.n_batches, self.at, self.calls = n_batches, (epoch, batch), 0

    def loss(self, batch):
        epoch, b = divmod(self.calls, self.n_batches)
        self.calls += 1
        value = super().loss(batch)
        return value * math.nan if (epoch + 1, b + 1) == self.at else value


def test_nan_guard_stops_and_keeps_last_good_checkpoint(tmp_path):
    x, t = _linear_data(n=40)
    cfg = {"epochs": 3, "batch_size": 10, "optimizer": "sgd", "lr": 0.01, **QUIET}
    with pytest.raises(TrainingDiverged, match=r"epoch 2, batch 3") as info:
        neuralzoo.fit(NaNAt(4, epoch=2, batch=3), (x, t), cfg, out=tmp_path)
    assert "epoch 1" in str(info.value)  # names the checkpoint that stays

    assert ckpt.load_state(tmp_path / ckpt.STATE)["epoch"] == 1
    assert len(_jsonl(tmp_path / "metrics.jsonl")) == 1
    # oracle for the kept weights: the same model trained for exactly one epoch
    one_epoch = Linear()
    neuralzoo.fit(one_epoch, (x, t), {**cfg, "epochs": 1})
    kept = ckpt.load_weights(Linear(), tmp_path / ckpt.WEIGHTS)
    assert torch.equal(kept.w, one_epoch.w)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_deferred_nan_guard_names_the_first_bad_batch_and_keeps_the_mean(monkeypatch):
    """With losses read back every 3 batches (as on a GPU), the NaN at batch 2 is still
    named, and on clean data the epoch's mean loss equals the one read batch by batch."""
    from neuralzoo.train import trainer

    x, t = _linear_data(n=45)  # 5 batches of 10 (the last one 5): uneven on purpose
    cfg = {"epochs": 2, "batch_size": 10, "optimizer": "sgd", "lr": 0.01, **QUIET}
    every_batch = neuralzoo.fit(Linear(), (x, t), cfg)
    monkeypatch.setattr(trainer, "SYNC_EVERY_CPU", 3)
    deferred = neuralzoo.fit(Linear(), (x, t), cfg)
    assert deferred.column("loss") == pytest.approx(every_batch.column("loss"), rel=1e-12)
    with pytest.raises(TrainingDiverged, match=r"epoch 1, batch 2"):
        neuralzoo.fit(NaNAt(4, epoch=1, batch=2), (x, t), cfg)


def test_nan_in_first_epoch_says_no_checkpoint():
    x, t = _linear_data(n=40)
    with pytest.raises(TrainingDiverged, match=r"epoch 1, batch 2.*no checkpoint written"):
        neuralzoo.fit(NaNAt(4, epoch=1, batch=2), (x, t), {"epochs": 2, "batch_size": 10, **QUIET})


def test_nan_guard_names_the_last_checkpoint_written_not_the_last_epoch(tmp_path):
    x, t = _linear_data(n=40)
    cfg = {"epochs": 3, "batch_size": 10, "checkpoint_every": 2, **QUIET}
    with pytest.raises(TrainingDiverged, match=r"epoch 2, batch 1.*no checkpoint written"):
        neuralzoo.fit(NaNAt(4, epoch=2, batch=1), (x, t), cfg, out=tmp_path)  # epoch 1: none


# --- early stopping --------------------------------------------------------------------------


class ScriptedVal(Linear):
    """Trains like Linear; its validation loss follows a script, one value per epoch."""

    def __init__(self, script: list[float]) -> None:
        super().__init__()
        self.script, self.epoch = script, 0

    def metrics(self, x, t):
        self.epoch += 1
        return {"loss": self.script[self.epoch - 1]}


def _fit_scripted(script, out=None, **config):
    """Fit a ScriptedVal on the linear data, one epoch per scripted value; the model, its
    history and the weights at the end of each epoch."""
    x, t = _linear_data()
    snapshots = {}

    class Snapshot:
        def on_epoch_end(self, state, metrics):
            snapshots[metrics["epoch"]] = state.model.w.detach().clone()

    model = ScriptedVal(script)
    hist = neuralzoo.fit(model, (x, t), {"epochs": len(script), "batch_size": 10, "lr": 0.01,
                                         "val_fraction": 0.25, **config, **QUIET},
                         out=out, callbacks=[Snapshot()])
    return model, hist, snapshots


def test_early_stopping_on_a_scripted_val_loss_restores_best_epoch(tmp_path):
    model, hist, snapshots = _fit_scripted([5.0, 3.0, 4.0, 2.5, 2.6, 2.7, 1.0, 0.5], tmp_path, patience=2)
    # best 2.5 at epoch 4; epochs 5 and 6 do not improve -> stop after epoch 6
    assert hist.column("epoch") == [1, 2, 3, 4, 5, 6]
    assert torch.equal(model.w, snapshots[4])
    assert not torch.equal(snapshots[4], snapshots[6])
    assert torch.equal(ckpt.load_weights(Linear(), tmp_path / ckpt.WEIGHTS).w, snapshots[4])


def test_early_stopping_at_the_epoch_cap_still_ends_on_the_best_epoch(tmp_path):
    # as scikit-learn's early_stopping: the cap comes before the patience runs out, the
    # model still ends with the weights of its best validation epoch (not the last one)
    model, hist, snapshots = _fit_scripted([5.0, 3.0, 4.0, 2.5, 2.6], tmp_path, patience=3)
    assert hist.column("epoch") == [1, 2, 3, 4, 5]  # never 3 epochs without improvement
    assert torch.equal(model.w, snapshots[4]) and not torch.equal(snapshots[4], snapshots[5])
    assert torch.equal(ckpt.load_weights(Linear(), tmp_path / ckpt.WEIGHTS).w, snapshots[4])
    plain, _, _ = _fit_scripted([5.0, 3.0, 4.0, 2.5, 2.6])  # without patience: the last epoch's weights
    assert torch.equal(plain.w, snapshots[5])


def test_early_stopping_on_an_overfitting_mlp(digits_train):
    X, y = digits_train
    Xv, yv = X[1000:1300], y[1000:1300]
    net = MLP(64, 10, hidden=[256]).fit(X[:150], y[:150], epochs=40, batch_size=16, lr=1e-2, seed=0,
                                 patience=2, val_data=(Xv, yv), **QUIET)
    val_losses = net.history_.column("val_loss")
    assert len(val_losses) < 40
    best = min(val_losses)
    assert val_losses.index(best) == len(val_losses) - 3  # the two after it did not improve
    net.eval()
    with torch.no_grad():
        assert net.metrics(Xv, yv)["loss"] == pytest.approx(best, rel=1e-6)


def test_early_stopping_without_validation_data_is_refused():
    x, t = _linear_data()
    with pytest.raises(ConfigError, match="train.monitor.*set val_fraction"):
        neuralzoo.fit(Linear(), (x, t), {"epochs": 2, "patience": 1, **QUIET})


# --- per-batch hooks -------------------------------------------------------------------------


class BatchLog:
    """Records what the batch hooks see: counters, batch sizes, weights and losses."""

    def __init__(self) -> None:
        self.begin, self.end, self.sizes, self.losses = [], [], [], []

    def on_batch_begin(self, state, batch):
        self.begin.append((state.epoch, state.batch, state.step, state.model.w.detach().clone()))

    def on_batch_end(self, state, batch, loss):
        self.end.append((state.epoch, state.batch, state.step, state.model.w.detach().clone()))
        self.sizes.append(len(batch[0]))
        self.losses.append(loss)


def test_batch_hooks_are_called_once_per_batch_with_the_state():
    x, t = _linear_data(n=45)  # 5 batches per epoch: 4 of 10 and one of 5
    cfg = {"epochs": 3, "batch_size": 10, "optimizer": "sgd", "lr": 0.01, **QUIET}
    log = BatchLog()
    model = Linear()
    hist = neuralzoo.fit(model, (x, t), cfg, callbacks=[log])

    assert [c[:3] for c in log.begin] == [(e, b, 5 * e + b) for e in range(3) for b in range(5)]
    assert [c[:3] for c in log.end] == [(e, b + 1, 5 * e + b + 1) for e in range(3) for b in range(5)]
    assert log.sizes == [10, 10, 10, 10, 5] * 3
    # on_batch_end comes after the optimizer step: it sees the weights the next batch starts from
    for end, begin in zip(log.end, log.begin[1:]):
        assert torch.equal(end[3], begin[3])
    for begin, end in zip(log.begin, log.end):
        assert not torch.equal(begin[3], end[3])
    assert torch.equal(log.end[-1][3], model.w)
    # the loss: a detached 0-d tensor, the one the epoch's mean loss is made of
    assert all(loss.dim() == 0 and not loss.requires_grad for loss in log.losses)
    for e in range(3):
        epoch = log.losses[5 * e:5 * e + 5]
        assert sum(float(v) * n for v, n in zip(epoch, log.sizes)) / 45 == hist[e]["loss"]


def test_batch_hooks_change_nothing_and_count_steps_across_a_resume(tmp_path):
    x, t = _linear_data(n=45)
    cfg = {"epochs": 3, "batch_size": 10, "optimizer": "sgd", "lr": 0.01, **QUIET}
    plain = Linear()
    neuralzoo.fit(plain, (x, t), cfg)
    log = BatchLog()
    neuralzoo.fit(Linear(), (x, t), {**cfg, "epochs": 2}, out=tmp_path)
    resumed = Linear()
    neuralzoo.fit(resumed, (x, t), cfg, out=tmp_path, resume=True, callbacks=[log])
    assert torch.equal(resumed.w, plain.w)
    assert [c[:3] for c in log.begin] == [(2, b, 10 + b) for b in range(5)]


# --- run folders -----------------------------------------------------------------------------


def test_existing_run_is_refused_unless_overwrite(tmp_path):
    x, t = _linear_data()
    neuralzoo.fit(Linear(), (x, t), {"epochs": 2, **QUIET}, out=tmp_path)
    before = (tmp_path / ckpt.STATE).read_bytes()
    with pytest.raises(RunExistsError, match="already holds a run"):
        neuralzoo.fit(Linear(), (x, t), {"epochs": 1, **QUIET}, out=tmp_path)
    assert (tmp_path / ckpt.STATE).read_bytes() == before

    neuralzoo.fit(Linear(), (x, t), {"epochs": 1, **QUIET}, out=tmp_path, overwrite=True)
    assert ckpt.load_state(tmp_path / ckpt.STATE)["epoch"] == 1
    assert len(_jsonl(tmp_path / "metrics.jsonl")) == 1
    assert json.loads((tmp_path / "config.json").read_text())["train"]["epochs"] == 1


def test_metrics_jsonl_rows(tmp_path, digits_train):
    X, y = digits_train[0][:300], digits_train[1][:300]
    net = MLP(64, 10, hidden=[16]).fit(X, y, epochs=2, batch_size=50, val_fraction=0.2,
                                out=tmp_path / "val", **QUIET)
    rows = _jsonl(tmp_path / "val" / "metrics.jsonl")
    assert [r["epoch"] for r in rows] == [1, 2]
    for row, hist in zip(rows, net.history_):
        assert {"epoch", "loss", "lr", "seconds", "samples_per_s", "val_loss", "val_acc"} <= set(row)
        assert row["loss"] == hist["loss"] and row["seconds"] > 0
        # 300 examples, 60 held out: samples/s counts the 240 trained on
        assert row["samples_per_s"] == pytest.approx(240 / row["seconds"])
        assert 0.0 <= row["val_acc"] <= 1.0

    MLP(64, 10, hidden=[16]).fit(X, y, epochs=1, batch_size=50, out=tmp_path / "noval", **QUIET)
    (row,) = _jsonl(tmp_path / "noval" / "metrics.jsonl")
    assert not [k for k in row if k.startswith("val_")]
    config = json.loads((tmp_path / "noval" / "config.json").read_text())
    assert config["model"] == "mlp" and config["hparams"]["hidden"] == [16]


def test_progress_bar_runs(capsys, digits_train):
    X, y = digits_train[0][:200], digits_train[1][:200]
    MLP(64, 10, hidden=[8]).fit(X, y, epochs=2, batch_size=50, progress=True)
    captured = capsys.readouterr()
    assert "MLP" in captured.err
    assert captured.out == ""


# --- gradient clipping -----------------------------------------------------------------------


class Steep(Linear):
    """Least squares on large targets: gradients of order 100."""

    def loss(self, batch):
        x, t = batch
        return ((x @ self.w - 100.0 * t) ** 2).mean()


def _one_sgd_step(model, data, **cfg):
    """Parameters before, after, and the gradient autograd gives at the start."""
    before = model.w.detach().clone()
    grad = torch.autograd.grad(model.loss(data), model.w)[0]
    neuralzoo.fit(model, data, {"epochs": 1, "batch_size": len(data[0]), "optimizer": "sgd",
                                "lr": 1.0, "momentum": 0.0, **cfg, **QUIET})
    return before, model.w.detach().clone(), grad


def test_clip_value_bounds_every_component():
    data = _linear_data(n=32, d=5)
    before, after, grad = _one_sgd_step(Steep(5), data, clip_value=1e-3)
    assert grad.abs().max() > 1.0  # clipping has work to do
    delta = after - before
    assert delta.abs().max() <= 1e-3 + 1e-9
    # the rule: w <- w - lr * clamp(g, -c, c)
    torch.testing.assert_close(delta, -grad.clamp(-1e-3, 1e-3), rtol=1e-5, atol=1e-9)


def test_clip_norm_bounds_the_global_norm():
    data = _linear_data(n=32, d=5)
    c = 0.5
    before, after, grad = _one_sgd_step(Steep(5), data, clip_norm=c)
    assert grad.norm() > 10 * c
    delta = after - before
    assert delta.norm() <= c * (1 + 1e-5)  # lr = 1
    # the rule: g <- g * c / ||g||, same direction
    torch.testing.assert_close(delta, -grad * c / grad.norm(), rtol=1e-4, atol=1e-7)


def test_without_clipping_the_step_is_the_raw_gradient():
    data = _linear_data(n=32, d=5)
    before, after, grad = _one_sgd_step(Steep(5), data)
    torch.testing.assert_close(after - before, -grad, rtol=1e-5, atol=1e-5)


# --- the loop adds nothing hidden ------------------------------------------------------------


def test_adam_fit_equals_a_plain_pytorch_loop(digits_train):
    X, y = digits_train[0][:500], digits_train[1][:500]
    epochs, bs, lr, seed = 3, 64, 1e-3, 11
    net = MLP(64, 10, hidden=[32])
    # the oracle: nn.Sequential with the same starting weights and a plain loop
    ref = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    with torch.no_grad():
        for dst, src in zip((ref[0], ref[2]), net.layers):
            dst.weight.copy_(src.weight)
            dst.bias.copy_(src.bias)
    net.fit(X, y, epochs=epochs, batch_size=bs, lr=lr, optimizer="adam", seed=seed,
            warm_start=True, **QUIET)

    opt = torch.optim.Adam(ref.parameters(), lr=lr)
    shuffle = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=shuffle)
        total = 0.0
        for i in range(0, len(X), bs):
            idx = perm[i:i + bs]
            loss = F.cross_entropy(ref(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(X))

    for mine, theirs in zip(net.layers, (ref[0], ref[2])):
        torch.testing.assert_close(mine.weight, theirs.weight, rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(mine.bias, theirs.bias, rtol=1e-6, atol=1e-7)
    assert net.history_.column("loss") == pytest.approx(losses, rel=1e-6)


def test_fit_refuses_what_it_cannot_train():
    with pytest.raises(TypeError, match="has no loss"):
        neuralzoo.fit(nn.Linear(2, 2), torch.zeros(4, 2), {"epochs": 1})
    with pytest.raises(ValueError, match="training data is empty"):
        neuralzoo.fit(Linear(), (torch.zeros(0, 3), torch.zeros(0)), {"epochs": 1})
    with pytest.raises(ValueError, match="disagree in length: expected 4, got 3"):
        neuralzoo.fit(Linear(), (torch.zeros(4, 3), torch.zeros(3)), {"epochs": 1})
    with pytest.raises(ConfigError, match="unknown key train.epoch"):
        neuralzoo.fit(Linear(), (torch.zeros(4, 3), torch.zeros(4)), {"epoch": 1})
