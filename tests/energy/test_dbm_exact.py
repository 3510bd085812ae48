"""DBM enumeration and AIS against brute force over every joint state."""

from __future__ import annotations

import itertools

import pytest
import torch

from neuralzoo.energy.dbm_ais import dbm_ais_log_partition, dbm_schedule
from neuralzoo.energy.dbm_exact import (
    check_layers,
    dbm_energy,
    dbm_log_likelihood,
    dbm_log_partition,
    dbm_log_unnormalized,
)
from neuralzoo.energy.exact import rbm_log_partition


def random_dbm(sizes, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    Ws = [torch.randn(a, b, generator=g, dtype=torch.float64) * scale for a, b in zip(sizes[:-1], sizes[1:])]
    cs = [torch.randn(n, generator=g, dtype=torch.float64) * 0.5 for n in sizes]
    return Ws, cs


def all_states(sizes):
    s = torch.tensor(list(itertools.product([0.0, 1.0], repeat=sum(sizes))), dtype=torch.float64)
    return list(s.split(sizes, 1))


@pytest.mark.parametrize("sizes", [[5, 4], [5, 4, 3], [4, 3, 3, 4], [3, 6, 2]])
def test_log_partition_and_marginals_equal_brute_force(sizes):
    Ws, cs = random_dbm(sizes)
    xs = all_states(sizes)
    neg_e = -dbm_energy(Ws, cs, xs)  # (2^n,)
    assert float(dbm_log_partition(Ws, cs)) == pytest.approx(float(torch.logsumexp(neg_e, 0)), abs=1e-9)
    # log sum_h exp(-E(v, h)) for every v, by brute force: group the joint states by v
    D = sizes[0]
    idx = (xs[0] @ 2 ** torch.arange(D - 1, -1, -1, dtype=torch.float64)).long()  # (2^n,) the index of v
    brute = torch.stack([torch.logsumexp(neg_e[idx == k], 0) for k in range(2**D)])
    v = torch.tensor(list(itertools.product([0.0, 1.0], repeat=D)), dtype=torch.float64)
    torch.testing.assert_close(dbm_log_unnormalized(Ws, cs, v), brute, rtol=0, atol=1e-9)
    assert float(torch.logsumexp(dbm_log_likelihood(Ws, cs, v), 0)) == pytest.approx(0.0, abs=1e-9)


def test_one_hidden_layer_is_an_rbm():
    Ws, cs = random_dbm([6, 5])
    assert float(dbm_log_partition(Ws, cs)) == pytest.approx(float(rbm_log_partition(Ws[0], cs[0], cs[1])), abs=1e-9)


@pytest.mark.parametrize("sizes", [[8, 6, 5], [6, 5, 4, 5]])
def test_ais_is_within_0_2_nats_of_the_exact_log_partition(sizes):
    Ws, cs = random_dbm(sizes, seed=1)
    exact = float(dbm_log_partition(Ws, cs))
    r = dbm_ais_log_partition(Ws, cs, b_base=cs[0], betas=dbm_schedule(2000), n_runs=200,
                              generator=torch.Generator().manual_seed(0))
    assert abs(r.log_z - exact) < 0.2
    assert r.log_z_low <= r.log_z <= r.log_z_high and r.n_betas == len(dbm_schedule(2000))


@pytest.mark.parametrize("sizes", [[8, 6, 5], [6, 5, 4, 5]])
def test_ais_with_base_biases_on_the_even_hidden_layers_is_still_exact(sizes):
    Ws, cs = random_dbm(sizes, seed=1)
    h_base = [torch.linspace(-3, 1, sizes[l], dtype=torch.float64) for l in range(2, len(sizes), 2)]
    r = dbm_ais_log_partition(Ws, cs, b_base=cs[0], h_base=h_base, betas=dbm_schedule(2000), n_runs=200,
                              generator=torch.Generator().manual_seed(0))
    assert abs(r.log_z - float(dbm_log_partition(Ws, cs))) < 0.2


def metastable_dbm():
    """h1 and h2 all on reinforce each other (W_2 = 2 everywhere) but lose to the sparse state by far
    (log p~ 1920 - 1800 - 480 < 0): a DBM whose h2 is sparse, with a dense trap beside it."""
    g = torch.Generator().manual_seed(0)
    Ws = [torch.randn(20, 16, generator=g, dtype=torch.float64) * 0.3, torch.full((16, 60), 2.0, dtype=torch.float64)]
    cs = [torch.zeros(20, dtype=torch.float64), torch.full((16,), -30.0, dtype=torch.float64),
          torch.full((60,), -30.0, dtype=torch.float64)]
    return Ws, cs


def test_ais_from_uniform_h2_falls_into_the_dense_trap_and_a_sparse_base_does_not():
    Ws, cs = metastable_dbm()
    exact = float(dbm_log_partition(Ws, cs))
    run = dict(betas=dbm_schedule(2000), n_runs=100, generator=torch.Generator().manual_seed(0))
    uniform = dbm_ais_log_partition(Ws, cs, **run).log_z  # half of h2 on at beta = 0
    sparse = dbm_ais_log_partition(Ws, cs, h_base=[torch.full((60,), -4.0, dtype=torch.float64)], **run).log_z
    assert uniform < exact - 2.0  # observed: 9.29 against 13.86
    assert abs(sparse - exact) < 0.2
    with pytest.raises(ValueError, match=r"h_base: expected one vector per even hidden layer, shapes \[\(60,\)\]"):
        dbm_ais_log_partition(Ws, cs, h_base=[torch.zeros(16, dtype=torch.float64)], **run)


def test_layers_that_do_not_chain_are_refused():
    Ws, cs = random_dbm([5, 4, 3])
    with pytest.raises(ValueError, match=r"W_2 must have shape \(4, 3\) to chain layers 1 and 2, got \(4, 2\)"):
        check_layers([Ws[0], torch.zeros(4, 2)], cs)
    with pytest.raises(ValueError, match="needs 3 bias vectors, got 2"):
        dbm_log_partition(Ws, cs[:2])
    with pytest.raises(ValueError, match="beta schedule must run from 0 to 1"):
        dbm_ais_log_partition(Ws, cs, betas=torch.tensor([0.0, 0.5]))
