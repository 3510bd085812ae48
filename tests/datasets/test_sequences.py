"""Adding and copy generators: the distributions REFERENCES.md states, seeds, baselines."""

from __future__ import annotations

import math

import pytest
import torch

from neuralzoo import datasets
from neuralzoo.datasets import sequences as seq


def test_adding_problem_distribution():
    X, y = seq.adding(20_000, 40, torch.Generator().manual_seed(0))
    u, m = X[..., 0], X[..., 1]
    assert X.shape == (20_000, 40, 2) and y.shape == (20_000,)
    assert bool(((u >= 0) & (u < 1)).all())
    assert torch.equal(m[:, :20].sum(1), torch.ones(20_000))  # one marker in each half
    assert torch.equal(m[:, 20:].sum(1), torch.ones(20_000))
    torch.testing.assert_close(y, (u * m).sum(1))
    assert float(u.mean()) == pytest.approx(0.5, abs=0.005)
    # predicting 1 scores Var(u_a + u_b) = 1/6
    assert float(((y - 1) ** 2).mean()) == pytest.approx(seq.ADDING_BASELINE_MSE, abs=0.005)
    first = m[:, :20].argmax(1)
    assert torch.bincount(first, minlength=20).min() > 800  # uniform over the first half


def test_copy_task_layout_and_baseline():
    T = 30
    X, y = seq.copy_task(5_000, T, torch.Generator().manual_seed(1))
    assert X.shape == y.shape == (5_000, T + 20)
    assert bool(((X[:, :10] >= 1) & (X[:, :10] <= 8)).all())
    assert bool((X[:, 10:T + 9] == 0).all()) and bool((X[:, T + 9] == 9).all())
    assert bool((X[:, T + 10:] == 0).all())
    assert bool((y[:, :T + 10] == 0).all()) and torch.equal(y[:, -10:], X[:, :10])
    counts = torch.bincount(X[:, :10].flatten(), minlength=9)[1:]
    assert counts.min() > 0.9 * 5_000 * 10 / 8  # uniform over the 8 symbols
    # the memoryless strategy: blanks with certainty, then uniform over the 8 symbols
    logp = torch.full((T + 20, 10), -1e9)
    logp[: T + 10, 0] = 0.0
    logp[T + 10:, 1:9] = -math.log(8)
    ce = -logp.gather(1, y[0][:, None]).mean()
    assert float(ce) == pytest.approx(seq.copy_baseline(T))
    assert seq.copy_baseline(100) == pytest.approx(10 * math.log(8) / 120)


def test_load_sequences_seeds_splits_and_errors():
    a, ya, spec = datasets.load_sequences("adding", "train", seq_len=12, n=50, seed=3)
    b, yb, _ = datasets.load_sequences("adding", "train", seq_len=12, n=50, seed=3)
    c, _, _ = datasets.load_sequences("adding", "test", seq_len=12, n=50, seed=3)
    assert torch.equal(a, b) and torch.equal(ya, yb) and not torch.equal(a, c)
    assert spec == {"input_size": 2, "output_size": 1, "task": "regress", "n_steps": 12}
    assert datasets.is_sequence("copy") and datasets.is_sequence("tinyshakespeare")
    assert not datasets.is_sequence("mnist")
    with pytest.raises(ValueError, match="sequence length must be at least 1, got 0"):
        datasets.load_sequences("adding", seq_len=0)
    with pytest.raises(ValueError, match="sequence length T must be at least 2"):
        seq.adding(3, 1)
