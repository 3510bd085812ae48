"""Exact RBM log Z (enumerating the smaller layer) against brute force over both layers."""

from __future__ import annotations

import itertools

import pytest
import torch

from neuralzoo.energy import exact


def states(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def random_rbm(D: int, H: int, seed: int = 0, scale: float = 1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(D, H, generator=g, dtype=torch.float64) * scale,
            torch.randn(D, generator=g, dtype=torch.float64), torch.randn(H, generator=g, dtype=torch.float64))


def brute_log_z(W, b, a) -> float:
    V, Hs = states(W.shape[0]), states(W.shape[1])
    neg_E = V @ W @ Hs.T + (V @ b)[:, None] + (Hs @ a)[None, :]  # every (v, h) pair
    return float(torch.logsumexp(neg_E.flatten(), 0))


@pytest.mark.parametrize("D,H", [(6, 4), (4, 6), (5, 5)])
@pytest.mark.parametrize("chunk", [1, 4, 1 << 14])
def test_log_partition_matches_brute_force_over_both_layers(D, H, chunk):
    W, b, a = random_rbm(D, H, seed=D * 10 + H, scale=1.5)
    got = exact.rbm_log_partition(W, b, a, chunk_size=chunk)
    assert got.dtype == torch.float64
    assert float(got) == pytest.approx(brute_log_z(W, b, a), abs=1e-10)


def test_float32_terms_are_close_and_marginal_normalises():
    W, b, a = random_rbm(7, 3, seed=3)
    z64 = exact.rbm_log_partition(W, b, a)
    assert float(exact.rbm_log_partition(W, b, a, dtype=torch.float32)) == pytest.approx(float(z64), abs=1e-4)
    logp = exact.rbm_log_marginal(W, b, a, states(7), log_z=z64)
    assert float(torch.logsumexp(logp, 0)) == pytest.approx(0.0, abs=1e-10)


def test_free_energy_and_energy_agree():
    W, b, a = random_rbm(5, 3, seed=4)
    V, Hs = states(5), states(3)
    E = torch.stack([exact.rbm_energy(W, b, a, V, h.expand(len(V), 3)) for h in Hs], 1)  # (32, 8)
    assert torch.allclose(exact.rbm_free_energy(W, b, a, V), -torch.logsumexp(-E, 1), atol=1e-12)


def test_too_wide_is_refused_with_sizes():
    W = torch.zeros(40, 50)
    with pytest.raises(ValueError, match=r"2\^40 states of the smaller layer \(40 units\): expected <= 30; use AIS"):
        exact.rbm_log_partition(W, torch.zeros(40), torch.zeros(50))
