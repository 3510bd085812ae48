"""The recurrent reproductions and bench: each quick run on small data (a short text, digits
read row by row, a few hundred adding sequences) and its rows, the budget callbacks and the
curve figures (the real runs are minutes long: `neuralzoo reproduce ID --quick`)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from neuralzoo import LSTM
from neuralzoo.report.figures_rnn import reproduce_figures
from neuralzoo.reproduce import adding, char_lm, row_rnn

from .helpers import check_rows, digits_as

VERSE = ("ROMEO:\nBut, soft! what light through yonder window breaks?\n"
         "It is the east, and Juliet is the sun.\n\n")


def test_char_lm_quick_run_on_a_short_text(monkeypatch):
    # 10,000 characters: 50 streams of 4 windows of 50, 3 to train and 1 to validate per stream
    text = (VERSE * (10_000 // len(VERSE) + 1))[:10_000]
    corpus = char_lm.textdata.Corpus.from_text(text)
    monkeypatch.setattr(char_lm, "textdata", SimpleNamespace(Corpus=SimpleNamespace(load=lambda name: corpus)))
    rows = char_lm.run(quick=True, device="cpu", budget_s=1e6)
    (loss,) = check_rows(rows, n=4)  # the other three rows carry no target
    bits, curve, sample = rows[1:]
    assert loss["target"] == "<= 1.5" and loss["met"] is False
    assert 0 < loss["ours"] < math.log(len(corpus.vocab))  # below the uniform guess after 2 epochs
    assert bits["ours"] == pytest.approx(loss["ours"] / math.log(2), abs=1e-3)
    assert len(curve["history"]) == len(curve["train_history"]) == 2  # quick: 2 epochs
    assert min(curve["history"]) == loss["ours"] and curve["ours"] == curve["history"][-1]
    assert sample["ours"].startswith("ROMEO:") and len(sample["ours"]) == len("ROMEO:") + 200
    assert set(sample["ours"]) <= set(corpus.vocab)


def test_row_rnn_quick_run_on_digit_rows(use_digits, smaller):
    use_digits(row_rnn, side=28, n_train=256)  # 28 rows of 28 pixels; the digits for both data sets
    lstms = smaller(row_rnn, "LSTM")  # the reproduction's own LSTM, kept to score it again
    rows = row_rnn.run(quick=True, device="cpu")
    mnist, fashion = check_rows(rows, n=3)  # the Elman RNN's row carries no target
    elman = rows[2]
    assert (mnist["target"], fashion["target"]) == (">= 0.985", ">= 0.89")
    assert all(r["note"].startswith("2 epochs") for r in rows)
    X_test, y_test = digits_as("test", side=28)
    assert mnist["ours"] == pytest.approx(lstms[0].score(X_test, y_test), abs=1e-4)
    assert fashion["ours"] == mnist["ours"]  # the same data and seed train the same network
    assert 0 <= elman["ours"] <= 1 and elman["published"] is None


def test_adding_quick_run_on_few_sequences(monkeypatch):
    real = adding.load_sequences
    monkeypatch.setattr(adding, "load_sequences", lambda *a, **kw: real(*a, **{**kw, "n": 200}))
    rows = adding.run(quick=True, device="cpu")
    (lstm,) = check_rows(rows, n=2)  # the Elman RNN's row carries no target
    for r in rows:
        assert len(r["mse_per_epoch"]) == 8  # quick: 8 epochs, far within the time budget
        assert r["ours"] == pytest.approx(r["mse_per_epoch"][-1], abs=1e-5)  # the last epoch's test MSE
        # trained 8 x 4 steps: below always guessing 0 (E[y^2] = 7/6), above a solved problem
        assert 0.01 < r["ours"] < 7 / 6
        norms = r["grad_norm_by_distance"]
        assert len(norms) == 50 and all(math.isfinite(g) and g >= 0 for g in norms)  # one per step, T = 50
    assert lstm["target"] == "< 0.01" and lstm["met"] is False


def test_time_budget_stops_before_an_epoch_that_would_overrun():
    cb = char_lm.TimeBudget(seconds=100.0)
    cb.t0 -= 50.0  # 50 s spent
    assert cb.on_epoch_end(None, {"seconds": 40.0}) is False  # 50 + 40 <= 100
    assert cb.on_epoch_end(None, {"seconds": 60.0}) is True  # 50 + 60 > 100


def test_adding_test_curve_records_mse():
    X, y = torch.rand(10, 6, 2), torch.rand(10)
    net = LSTM(2, 1, hidden=4, task="regress")
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
