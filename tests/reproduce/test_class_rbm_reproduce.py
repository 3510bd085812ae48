"""The class-rbm reproduction's quick path on the digits with small layers: its rows, the kept
epoch against the validation error it reports, and the two baselines beside it."""

from __future__ import annotations

import re

import pytest

from neuralzoo import reproduce
from neuralzoo.reproduce import class_rbm

from .helpers import check_rows, digits_as, error_in_note


def test_class_rbm_quick_run_through_the_registry(use_digits, smaller, monkeypatch):
    # the split is positional (first 50,000 train, then validation): the 8x8 digits cycled to 51,000
    use_digits(class_rbm, rows=51_000)
    built = smaller(class_rbm, "ClassificationRBM", 64, 10, 16)
    rbms = smaller(class_rbm, "RBM", 64, 8)
    monkeypatch.setattr(class_rbm, "BATCH", 50)  # 500 steps per model instead of 2,500: seconds
    result = reproduce.run("class-rbm", quick=True)
    assert result["id"] == "class-rbm" and result["quick"] is True and result["source"] == class_rbm.SOURCE
    rows = result["rows"]
    drbm, hdrbm = check_rows(rows, n=4)  # two judged rows, two baselines without a target
    assert [m.objective for m in built] == ["discriminative", "hybrid"] and len(rbms) == 1
    assert drbm["target"] == ">= 0.9819" and hdrbm["target"] == ">= 0.9872"
    X_val, y_val = digits_as("train", rows=51_000)
    X_val, y_val = X_val[50_000:51_000], y_val[50_000:51_000]
    for r, model in zip((drbm, hdrbm), built):
        error_in_note(r)
        assert r["met"] is False and 0.3 < r["ours"] <= 1.0  # a smoke test, far above chance
        m = re.search(r"best validation error (\d+\.\d+)% at epoch (\d+) \(kept\)", r["note"])
        assert m and 1 <= int(m[2]) <= 5, r["note"]
        assert 100 * (1 - model.score(X_val, y_val)) == pytest.approx(float(m[1]), abs=0.006)
    X_test, y_test = digits_as("test")
    assert drbm["ours"] == pytest.approx(built[0].score(X_test, y_test), abs=1e-4)
    pixels, features = rows[2:]
    assert "pixels" in pixels["name"] and "RBM's features" in features["name"]
    for r in (pixels, features):
        assert "target" not in r and 0.5 < r["ours"] <= 1.0
    assert rbms[0].n_hidden == 8
