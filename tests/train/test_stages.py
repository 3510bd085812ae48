"""Greedy stages: each stage its own checkpoint; resume skips finished stages; fit_stages runs a
list of stages, each on the input made from the one before, as one run."""

import json

import pytest
import torch
from torch import nn

from neuralzoo.train import History, RunExistsError
from neuralzoo.train.stages import Stage, fit_stage, fit_stages, stage_dir, write_stages_run


class Lin(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Linear(3, 1)
        self.calls = 0

    def loss(self, batch):
        self.calls += 1
        x, y = batch
        return ((self.w(x).squeeze(1) - y) ** 2).mean()


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(40, 3, generator=g)
    return X, X @ torch.tensor([1.0, -2.0, 0.5])


CFG = {"epochs": 3, "batch_size": 10, "lr": 0.05, "progress": False, "val_fraction": 0.0}


def test_stage_rows_carry_the_stage_name(data):
    h = fit_stage(Lin(), data, CFG, stage="layer-1")
    assert [r["stage"] for r in h] == ["layer-1"] * 3


def test_resume_loads_a_finished_stage_instead_of_training_it(tmp_path, data):
    torch.manual_seed(0)
    first = Lin()
    h1 = fit_stage(first, data, CFG, stage="s1", out=tmp_path)
    assert (stage_dir(tmp_path, "s1") / "state.pt").exists()
    again = Lin()
    h2 = fit_stage(again, data, CFG, stage="s1", out=tmp_path, resume=True)
    assert again.calls == 0, "a finished stage must not be retrained"
    assert h2 == h1
    torch.testing.assert_close(again.w.weight, first.w.weight)


def test_resume_continues_an_unfinished_stage(tmp_path, data):
    fit_stage(Lin(), data, {**CFG, "epochs": 2}, stage="s1", out=tmp_path)
    m = Lin()
    h = fit_stage(m, data, CFG, stage="s1", out=tmp_path, resume=True)
    assert len(h) == 3 and m.calls == 4  # one more epoch of 4 batches


def test_a_stage_folder_is_not_overwritten_silently(tmp_path, data):
    fit_stage(Lin(), data, CFG, stage="s1", out=tmp_path)
    with pytest.raises(RunExistsError):
        fit_stage(Lin(), data, CFG, stage="s1", out=tmp_path)


def test_joined_history_numbers_steps_across_stages(tmp_path, data):
    m = Lin()
    h1 = fit_stage(m, data, CFG, stage="a")
    h2 = fit_stage(m, data, CFG, stage="b")
    from neuralzoo.config import TrainConfig

    joined = write_stages_run(m, tmp_path, TrainConfig(), [h1, h2])
    assert [r["step"] for r in joined] == list(range(1, 7))
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in rows] == ["a"] * 3 + ["b"] * 3
    assert (tmp_path / "model.safetensors").exists()


def test_retraining_an_earlier_stage_sets_the_later_ones_aside(tmp_path, data):
    # a resumed run that gives stage s1 more epochs changes what s2 was trained on: s2 is
    # moved to stale_stages/ (kept) and trained anew, not loaded as finished
    fit_stage(Lin(), data, {**CFG, "epochs": 2}, stage="s1", out=tmp_path)
    fit_stage(Lin(), data, CFG, stage="s2", out=tmp_path)
    s1 = Lin()
    fit_stage(s1, data, CFG, stage="s1", out=tmp_path, resume=True)
    assert s1.calls == 4  # one more epoch for s1
    s2 = Lin()
    h = fit_stage(s2, data, CFG, stage="s2", out=tmp_path, resume=True)
    assert s2.calls == 12 and len(h) == 3, "s2 must be retrained from scratch on the new s1"
    assert (tmp_path / "stale_stages" / "s2" / "state.pt").exists()
    # with nothing changed, a second resume loads both stages
    a, b = Lin(), Lin()
    fit_stage(a, data, CFG, stage="s1", out=tmp_path, resume=True)
    fit_stage(b, data, CFG, stage="s2", out=tmp_path, resume=True)
    assert a.calls == b.calls == 0


def test_a_crash_in_a_later_stage_keeps_the_earlier_ones(tmp_path, data):
    fit_stage(Lin(), data, CFG, stage="s1", out=tmp_path)
    fit_stage(Lin(), data, {**CFG, "epochs": 1}, stage="s2", out=tmp_path)  # "crashed" after 1 epoch
    a, b = Lin(), Lin()
    fit_stage(a, data, CFG, stage="s1", out=tmp_path, resume=True)
    fit_stage(b, data, CFG, stage="s2", out=tmp_path, resume=True)
    assert a.calls == 0 and b.calls == 8  # s1 loaded, s2 goes on for its two missing epochs
    assert not (tmp_path / "stale_stages").exists()


# -- fit_stages: the one runner of greedy fits ------------------------------------------------------


def seeded(seed: int) -> Lin:
    torch.manual_seed(seed)
    return Lin()


def test_each_stage_trains_on_the_input_made_from_the_stage_before(data):
    X, y = data
    events = []
    stages = [Stage("a", seeded(0), CFG, start=lambda x: events.append(("start a", x is data))),
              Stage("b", seeded(1), CFG, make_input=lambda prev: (2 * prev[0], prev[1]),
                    start=lambda x: events.append(("start b", bool(torch.equal(x[0], 2 * X)))),
                    end=lambda: events.append(("end b", True)))]
    h = fit_stages(stages, data)
    assert events == [("start a", True), ("start b", True), ("end b", True)]
    # the oracle: stage b is one fit on (2X, y) from the same start
    alone = seeded(1)
    fit_stage(alone, (2 * X, y), CFG, stage="b")
    assert torch.equal(stages[1].module.w.weight, alone.w.weight)
    assert isinstance(h, History) and h.column("stage") == ["a"] * 3 + ["b"] * 3
    assert h.column("step") == [1, 2, 3, 4, 5, 6] and h.column("loss")[3:] == stages[1].history.column("loss")


def test_callbacks_and_validation_data_may_be_made_from_the_stage_input(data):
    X, y = data
    seen = []

    class Watch:
        def __init__(self, x):
            self.x = x

        def on_epoch_end(self, state, metrics):
            seen.append(self.x is data)

    class Scored(Lin):
        def metrics(self, x, y):
            return {"loss": float(((self.w(x).squeeze(1) - y) ** 2).mean())}

    h = fit_stages([Stage("a", Scored(), CFG, callbacks=lambda x: [Watch(x)], val_data=lambda: (X[:10], y[:10]))],
                   data)
    assert seen == [True] * 3 and all("val_loss" in row for row in h)


def test_a_whole_run_is_refused_on_a_run_folder_unless_resumed_or_overwritten(tmp_path, data):
    from neuralzoo.config import TrainConfig

    def run(**options):
        m = Lin()
        fit_stages([Stage("a", m, CFG)], data, model=m, config=TrainConfig(), out=tmp_path, **options)
        return m

    run()
    assert (tmp_path / "model.safetensors").exists() and (tmp_path / "stages" / "a").is_dir()
    m = Lin()
    with pytest.raises(RunExistsError, match="already holds a run"):
        fit_stages([Stage("a", m, CFG)], data, model=m, config=TrainConfig(), out=tmp_path)
    assert m.calls == 0, "refused before any training"
    assert run(overwrite=True).calls == 12  # trained anew
    assert run(resume=True).calls == 0  # the finished stage is loaded
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]


def test_a_resumed_staged_run_equals_an_uninterrupted_one(tmp_path, data):
    from neuralzoo.config import TrainConfig

    def run(out, epochs_b, resume=False):
        a, b = seeded(0), seeded(1)
        stages = [Stage("a", a, CFG), Stage("b", b, {**CFG, "epochs": epochs_b},
                                            make_input=lambda prev: (prev[0] + 1, prev[1]))]
        h = fit_stages(stages, data, model=nn.ModuleList([a, b]), config=TrainConfig(), out=out, resume=resume)
        return a, b, h

    run(tmp_path / "cut", epochs_b=1)  # "crashed" after the first epoch of stage b
    a, b, h = run(tmp_path / "cut", epochs_b=3, resume=True)
    a0, b0, h0 = run(tmp_path / "whole", epochs_b=3)
    assert a.calls == 0 and b.calls == 8  # a loaded, b goes on for its two missing epochs
    assert torch.equal(a.w.weight, a0.w.weight) and torch.equal(b.w.weight, b0.w.weight)
    assert h.column("loss") == h0.column("loss") and h.column("step") == list(range(1, 7))
