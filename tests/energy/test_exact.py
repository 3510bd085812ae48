"""Exact enumeration against brute force over itertools.product."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from neuralzoo.energy import exact


def brute_states(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def random_machine(n: int, seed: int = 0, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(n, n, generator=g, dtype=torch.float64) * scale
    U = torch.triu(A, 1)
    return U + U.T, torch.randn(n, generator=g, dtype=torch.float64) * scale


@pytest.mark.parametrize("chunk", [1, 7, 13, 64, 1000])
def test_enumeration_covers_every_state_once_in_order(chunk):
    states = torch.cat(list(exact.enumerate_states(6, chunk)))
    assert torch.equal(states, brute_states(6))
    assert torch.equal(exact.state_index(states), torch.arange(64))


@pytest.mark.parametrize("chunk", [3, 10, 64, 5000])
@pytest.mark.parametrize("T", [1.0, 2.5])
def test_log_partition_matches_brute_force(chunk, T):
    W, b = random_machine(7, seed=1, scale=2.0)
    s = brute_states(7)
    E = -0.5 * torch.einsum("si,ij,sj->s", s, W, s) - s @ b
    expected = float(torch.log(torch.exp(-E / T).sum()))
    got = exact.log_partition(lambda x: exact.bm_energy(W, b, x) / T, 7, chunk)
    assert got.dtype == torch.float64
    assert float(got) == pytest.approx(expected, abs=1e-10)
    assert float(exact.bm_log_partition(W, b, T, chunk_size=chunk)) == pytest.approx(expected, abs=1e-10)


def test_log_partition_does_not_overflow():
    # energies of order -1e4 would overflow exp in float64: the chunked logsumexp does not
    n = 5
    got = exact.log_partition(lambda x: -1e4 * x.sum(1), n, chunk_size=3)
    assert float(got) == pytest.approx(5e4, rel=1e-12)


def test_marginal_sums_to_one_and_matches_brute_force():
    W, b = random_machine(6, seed=2)
    V = brute_states(4)  # every visible vector, 2 hidden units summed out
    logp = exact.bm_log_marginal(W, b, V, chunk_size=3)
    assert float(torch.logsumexp(logp, 0)) == pytest.approx(0.0, abs=1e-10)
    p_joint = exact.probabilities(lambda x: exact.bm_energy(W, b, x), 6).reshape(16, 4)
    assert torch.allclose(logp.exp(), p_joint.sum(1), atol=1e-12)


def test_statistics_match_brute_force():
    W, b = random_machine(5, seed=3)
    s = brute_states(5)
    p = exact.probabilities(lambda x: exact.bm_energy(W, b, x), 5)
    ss, s1 = exact.bm_free_statistics(W, b, chunk_size=7)
    assert torch.allclose(ss, (s * p[:, None]).T @ s, atol=1e-12)
    assert torch.allclose(s1, p @ s, atol=1e-12)
    # clamped: visible = first 3 units fixed to each data row, hidden from p(h | v)
    v = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], dtype=torch.float64)
    expected_ss = torch.zeros(5, 5, dtype=torch.float64)
    for row in v:
        match = (s[:, :3] == row).all(1)
        q = p * match
        q = q / q.sum()
        expected_ss += (s * q[:, None]).T @ s / len(v)
    ss_c, s1_c = exact.bm_clamped_statistics(W, b, v, chunk_size=5)
    assert torch.allclose(ss_c, expected_ss, atol=1e-12)
    assert torch.allclose(s1_c, expected_ss.diagonal(), atol=1e-12)


def test_conditional_marginals_match_brute_force():
    W, b = random_machine(6, seed=4)
    s_all = brute_states(6)
    p = exact.probabilities(lambda x: exact.bm_energy(W, b, x), 6)
    s = torch.tensor([[1.0, 0.0, 0, 0, 0, 0], [0.0, 1.0, 1, 0, 0, 0]], dtype=torch.float64)
    known = torch.tensor([[True, True, False, False, False, False],
                          [True, True, True, False, False, False]])
    got = exact.bm_conditional_marginals(W, b, s, known, chunk_size=9)
    for n in range(2):
        match = (s_all[:, known[n]] == s[n, known[n]]).all(1)
        q = p * match
        expected = (q / q.sum()) @ s_all
        assert torch.allclose(got[n], expected, atol=1e-12)


def test_too_many_units_is_refused_with_sizes_and_advice():
    with pytest.raises(ValueError, match=r"exact enumeration of 2\^30 states is too large: "
                                         r"expected n <= 24 units; use Gibbs sampling \(method='gibbs'\)"):
        next(exact.enumerate_states(30))
    with pytest.raises(ValueError, match=r"2\^25 states is too large"):
        exact.bm_log_partition(torch.zeros(25, 25), torch.zeros(25))


def test_empty_hidden_layer_is_one_state():
    assert next(exact.enumerate_states(0)).shape == (1, 0)
    W, b = random_machine(3, seed=5)
    v = brute_states(3)
    assert float(torch.logsumexp(exact.bm_log_marginal(W, b, v), 0)) == pytest.approx(0.0, abs=1e-12)
    assert math.isfinite(float(exact.bm_log_partition(W, b)))


def test_independent_units_are_summed_out_exactly():
    # an RBM-like structure (3 visible, 4 hidden, no hidden-hidden weights) and the encoder mask
    from neuralzoo.models.boltzmann import encoder_mask

    W, b = random_machine(7, seed=6, scale=1.5)
    rbm_mask = torch.ones(7, 7, dtype=torch.float64)
    rbm_mask[3:, 3:] = 0
    rbm_mask[:3, :3] = 0
    for M in (rbm_mask, encoder_mask(2, 3).double()):
        Wm = W * M
        assert len(exact.independent_units(Wm)) >= 3
        s = brute_states(7)
        E = -0.5 * torch.einsum("si,ij,sj->s", s, Wm, s) - s @ b
        assert float(exact.bm_log_partition(Wm, b, 1.3, chunk_size=5)) == pytest.approx(
            float(torch.logsumexp(-E / 1.3, 0)), abs=1e-10)
