"""Bars-and-stripes and encoder patterns: counts, uniqueness, shapes."""

from __future__ import annotations

import pytest
import torch

from neuralzoo.datasets.patterns import bars_and_stripes, encoder_patterns


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_bars_and_stripes_are_all_distinct_patterns(n):
    X = bars_and_stripes(n)
    assert X.shape == (2 ** (n + 1) - 2, n * n) and X.dtype == torch.float32
    assert len({tuple(r.tolist()) for r in X}) == len(X)  # unique
    imgs = X.reshape(-1, n, n)
    rows_equal = (imgs == imgs[:, :1, :]).all(dim=(1, 2))  # every row the same: bars
    cols_equal = (imgs == imgs[:, :, :1]).all(dim=(1, 2))  # every column the same: stripes
    assert bool((rows_equal | cols_equal).all())
    assert int(rows_equal.sum()) == 2**n and int(cols_equal.sum()) == 2**n  # both contain 0...0 and 1...1


def test_bars_and_stripes_3x3_has_14():
    assert len(bars_and_stripes(3)) == 14
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        bars_and_stripes(0)


@pytest.mark.parametrize("n_in", [2, 4, 8])
def test_encoder_patterns_copy_the_one_hot_input_to_the_output(n_in):
    X = encoder_patterns(n_in)
    assert X.shape == (n_in, 2 * n_in)
    assert torch.equal(X[:, :n_in], torch.eye(n_in)) and torch.equal(X[:, n_in:], X[:, :n_in])
    with pytest.raises(ValueError, match="n_in must be >= 2, got 1"):
        encoder_patterns(1)
