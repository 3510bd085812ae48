"""The RBM reproductions run small on the embedded digits (no MNIST in tests): their rows, and
the AIS figures against exact enumeration."""

from __future__ import annotations

import math
import re

import pytest
import torch

from neuralzoo import datasets
from neuralzoo.bench import rbm as bench_rbm
from neuralzoo.energy import ais
from neuralzoo.reproduce import rbm_ais, rbm_exact

from .helpers import check_rows, digits_as

UNIFORM = -64 * math.log(2)  # log p(v) of 64 fair coins


def test_rbm_exact_quick_rows_on_digits(use_digits, smaller):
    use_digits(rbm_exact)  # the 8x8 digits, binarised as asked
    built = smaller(rbm_exact, "RBM", 64, 12)  # 12 hidden units: exact log Z over 2^12 states, not 2^20
    cd, pcd = check_rows(rbm_exact.run(quick=True, device="cpu"), n=2)
    assert "784-20, 5 epochs on 1437 images (quick smoke test)" in cd["name"]
    # CD-1 trains the centered RBM (chosen on validation), PCD the plain one
    assert [m.centering for m in built] == [True, False] and "CD-1 (centered)" in cd["name"]
    # on 64 pixels CD-1 is far above the MNIST threshold: met, and said so
    assert cd["target"] == ">= -146 (about -143)" and cd["met"] is True
    assert pcd["target"] == f"> CD-1 ({cd['ours']:.2f})" and pcd["published"] == "better than CD-1"
    for r in (cd, pcd):
        assert UNIFORM < r["ours"] < 0  # exact log-likelihoods, better than fair coins
        assert float(re.search(r"log Z (-?\d+\.\d+)", r["name"])[1]) > 0  # Z > 1: the all-zero state alone


def test_rbm_ais_quick_row_against_the_exact_log_likelihood(use_digits, smaller):
    use_digits(rbm_ais)  # grey levels for training (each batch drawn afresh), the test set sampled once
    built = smaller(rbm_ais, "RBM", 64, 12)  # 12 hidden units: log Z by enumerating 2^12 states
    (r,) = check_rows(rbm_ais.run(quick=True, device="cpu"), n=1)
    assert r["target"] == "within 1.5 of -125.53" and r["met"] is False
    assert "CD-1, 2 epochs on 1437 images, 1001 betas" in r["name"]
    rbm = built[0]
    log_z = float(rbm.log_partition("exact"))
    X_test, _ = digits_as("test", binarize="sample", seed=0)
    exact = float(rbm.log_likelihood(X_test, log_z=log_z).mean())
    figures = re.search(r"\[(-?[\d.]+), (-?[\d.]+)\], reverse AIS (-?[\d.]+), log Z (-?[\d.]+)", r["name"])
    low, high, reverse, ais_log_z = map(float, figures.groups())
    assert ais_log_z == pytest.approx(log_z, abs=0.1)
    assert r["ours"] == pytest.approx(exact, abs=0.1) and reverse == pytest.approx(exact, abs=0.2)
    assert low <= r["ours"] <= high and UNIFORM < r["ours"] < 0


def test_pipelines_run_on_digits():
    X, _ = datasets.load("digits", binarize="threshold")
    X_test, _ = datasets.load("digits", "test", binarize="threshold")
    ll, log_z = rbm_exact.held_out_log_likelihood(X, X_test, n_hidden=8, method="pcd", epochs=2, device="cpu")
    assert -64 * 0.7 < ll < 0 and log_z > 0
    r = rbm_ais.ais_test_log_likelihood(X, X_test, k=1, n_hidden=8, epochs=2, betas=ais.linear_schedule(300),
                                        n_runs=20, device="cpu")
    assert r["low"] <= r["log_likelihood"] <= r["high"]
    assert abs(r["log_likelihood"] - r["reverse"]) < 0.5  # forward and reverse AIS agree on a small model


def test_bench_plain_loop_and_gemm_rate():
    X = (torch.rand(300, 20) < 0.3).float()
    W = bench_rbm.plain_cd1(X, 10, batch_size=100)
    assert W.shape == (20, 10) and torch.isfinite(W).all()
    assert bench_rbm.gemm_rate(torch.device("cpu"), repeats=2) > 0
    assert bench_rbm.NAME == "rbm"
