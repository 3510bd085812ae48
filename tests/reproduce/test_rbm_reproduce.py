"""The RBM reproductions' shape and their pipelines on the embedded digits (no MNIST in tests)."""

from __future__ import annotations

import pytest
import torch

from neuralzoo import datasets
from neuralzoo.bench import rbm as bench_rbm
from neuralzoo.energy import ais
from neuralzoo.reproduce import rbm_ais, rbm_exact


@pytest.mark.parametrize("module", [rbm_exact, rbm_ais])
def test_module_shape(module):
    assert module.ID in ("rbm-exact", "rbm-ais")
    assert module.TITLE and module.SOURCE and callable(module.run)


def test_published_figures():
    assert rbm_ais.PUBLISHED == {25: -86.34, 3: -105.50, 1: -125.53}
    assert rbm_exact.PUBLISHED_CD1 == -143.0


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
