"""The recurrent reproductions and bench: registered, documented, their budget callbacks and
curve figures (the runs themselves are minutes long: `neuralzoo reproduce ID --quick`)."""

from __future__ import annotations

import torch

from neuralzoo import bench, reproduce
from neuralzoo.models import LSTM
from neuralzoo.report.figures_rnn import reproduce_figures
from neuralzoo.reproduce import adding, char_lm


def test_registered_with_title_and_source():
    for id_ in ("char-lm", "row-rnn", "adding"):
        m = reproduce.REGISTRY[id_]
        assert m.TITLE and m.SOURCE and "quick" in m.__doc__
    assert "rnn" in bench.REGISTRY


def test_time_budget_stops_before_an_epoch_that_would_overrun():
    cb = char_lm.TimeBudget(seconds=100.0)
    cb.t0 -= 50.0  # 50 s spent
    assert cb.on_epoch_end(None, {"seconds": 40.0}) is False  # 50 + 40 <= 100
    assert cb.on_epoch_end(None, {"seconds": 60.0}) is True  # 50 + 60 > 100


def test_adding_test_curve_records_mse():
    X, y = torch.rand(10, 6, 2), torch.rand(10)
    net = LSTM(2, 4, 1, task="regress")
    cb = adding.TestCurve(X, y, budget_s=1e6)

    class State:
        model = net

    metrics = {"seconds": 0.1}
    assert cb.on_epoch_end(State(), metrics) is False
    assert cb.mse == [round(metrics["test_mse"], 5)]


def test_curve_figures():
    result = {"rows": [{"name": "LSTM: test MSE", "mse_per_epoch": [0.2, 0.05, 0.004], "baseline": 0.1667},
                       {"name": "ElmanRNN: test MSE", "mse_per_epoch": [0.2, 0.17], "baseline": 0.1667},
                       {"name": "val", "history": [2.0, 1.6], "train_history": [2.2, 1.7]}]}
    assert len(reproduce_figures(result)) == 2


def test_char_rnn_split_layout():
    ids = torch.arange(10_001)
    X, Y, Xv, Yv = char_lm.char_rnn_split(ids, streams=4, seq_len=5, val_fraction=0.1)
    # 4 streams of 2,500 characters = 500 windows each: 450 train, 50 validation
    assert X.shape == (4 * 450, 5) and Xv.shape == (4 * 50, 5)
    assert torch.equal(Y, X + 1) and torch.equal(Yv, Xv + 1)
    assert X[0, 0] == 0 and X[1, 0] == 5 and X[450, 0] == 2_500  # stream-major windows
    assert Xv[0, 0] == 450 * 5 and Xv[50, 0] == 2_500 + 450 * 5  # each stream's last 10%
