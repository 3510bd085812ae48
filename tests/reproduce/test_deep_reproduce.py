"""The DBN and DBM reproductions, run end to end on the digits with small layers: their rows,
the figures against what the trained models give, and the DBM's AIS against exact log Z."""

from __future__ import annotations

import re

import pytest
import torch

from neuralzoo import reproduce
from neuralzoo.reproduce import dbm, dbn_class, dbn_theano

from .helpers import check_rows, digits_as, error_in_note


def test_dbn_class_quick_run_through_the_registry(use_digits, smaller):
    # 3,000 images (the digits cycled) upscaled to 28x28: the paper's 784 inputs, smaller layers
    use_digits(dbn_class, side=28, rows=3000)
    built = smaller(dbn_class, "DBN", hidden=[64, 64, 128])
    result = reproduce.run("dbn-class", quick=True)
    assert result["id"] == "dbn-class" and result["quick"] is True and result["seconds"] > 0
    assert result["source"] == dbn_class.SOURCE
    rows = check_rows(result["rows"], n=3)
    assert len(built) == 1  # one pretraining serves the three rows
    for r in rows:
        assert r["target"] == ">= 0.987" and r["met"] is False  # a smoke test does not reach the paper
        error_in_note(r)
        assert 0.25 < r["ours"] <= 1.0, r  # far above chance (0.1) even so
    assert "3000 images, 2 pretraining epochs/layer (quick smoke test)" in rows[0]["note"]


def test_dbn_theano_quick_run_keeps_the_best_validation_epoch(use_digits, smaller):
    # the split is positional (first 50,000 train, the rest validate): the digits cycled to 51,000
    use_digits(dbn_theano, side=28, rows=51_000)
    built = smaller(dbn_theano, "DBN", hidden=[128, 128, 128])
    (r,) = check_rows(dbn_theano.run(quick=True, device="cpu"), n=1)
    error_in_note(r)
    assert 0.5 < r["ours"] <= 1.0 and r["met"] is False
    m = re.search(r"stopped after (\d+) of at most 2 epochs, best validation error (\d+\.\d+)% at epoch (\d+)",
                  r["note"])
    assert m and 1 <= int(m[3]) <= int(m[1]) <= 2, r["note"]
    # the weights kept are those of the best epoch: they score its validation error again
    X, y = digits_as("train", side=28)
    i = torch.arange(50_000, 51_000) % len(X)  # the validation rows of the cycled digits
    X_val, y_val = X[i], y[i]
    assert 100 * (1 - built[0].score(X_val, y_val)) == pytest.approx(float(m[2]), abs=0.006)
    assert f"dropout {dbn_theano.DROPOUT} of the hidden units" in r["note"]


def test_dbm_bound_and_ais_against_the_exact_log_partition(monkeypatch, use_digits, smaller):
    use_digits(dbm)  # the 8x8 digits, 1,437 training images
    built = smaller(dbm, "DBM", 64, hidden=[16, 8])  # exact log Z: 2^16 states of h1; exact log p(v): 2^8 of h2
    for name, value in (("PRE", 2), ("EPOCHS", 2), ("FT", 3), ("BETAS", 1000)):
        monkeypatch.setattr(dbm, name, value)
    bound, accuracy = check_rows(dbm.run(device="cpu"), n=2)
    model = built[0]

    assert bound["target"] == "within 2 of -84.62" and "INVALID" not in bound["name"]
    assert "1000 betas" in bound["name"] or "1001 betas" in bound["name"]
    assert "2 pretraining + 2 joint epochs" in bound["name"]
    ais_log_z = float(re.search(r"AIS log Z (-?\d+\.\d+)", bound["name"])[1])
    log_z = float(model.log_partition("exact"))
    assert ais_log_z == pytest.approx(log_z, abs=0.1)
    # with the exact log Z the figure is a lower bound on the exact test log-likelihood (0.02: the
    # two figures are rounded to 2 decimals)
    X_test, _ = digits_as("test", binarize="sample", seed=0)
    log_p = float(model.log_likelihood(X_test, method="exact").mean())
    assert -64 * 0.7 < bound["ours"] + ais_log_z - log_z <= log_p + 0.02 < 0

    error_in_note(accuracy)
    G_test, y_test = digits_as("test")  # the classifier reads the grey levels
    assert accuracy["ours"] == pytest.approx(model.score(G_test, y_test), abs=1e-4)
    assert "3 fine-tuning epochs" in accuracy["note"]
