"""AIS of an RBM's log Z against exact enumeration; schedules; parallel-tempering swaps."""

from __future__ import annotations

import math

import pytest
import torch

from neuralzoo.energy import ais, exact, tempering


def test_published_schedule_shape():
    betas = ais.published_schedule()
    assert len(betas) == 14501
    assert float(betas[0]) == 0.0 and float(betas[-1]) == 1.0
    assert bool((betas[1:] > betas[:-1]).all())
    assert len(ais.scaled_schedule(2000)) == pytest.approx(2000, abs=3)


@pytest.mark.parametrize("betas,match", [([0.1, 0.5, 1.0], "from 0 to 1"), ([0.0, 0.5, 0.9], "from 0 to 1"),
                                         ([0.0, 0.6, 0.5, 1.0], "increase strictly"), ([0.0], "from 0 to 1")])
def test_bad_schedule_is_refused(betas, match):
    with pytest.raises(ValueError, match=match):
        ais.check_schedule(torch.tensor(betas))


def rbm_784_20(seed: int = 0):
    """A 784-20 RBM with the structure of a trained one: pixel-like biases, weights that matter."""
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(784, 20, generator=g) * 0.08
    b = torch.randn(784, generator=g) * 1.5 - 2.0
    a = torch.randn(20, generator=g) * 0.5 - 1.0
    return W, b, a


def test_ais_is_within_a_tenth_of_a_nat_of_exact_on_784_20():
    W, b, a = rbm_784_20()
    log_z = float(exact.rbm_log_partition(W, b, a, dtype=torch.float32))
    # base rates near (not equal to) the model's own marginals, as with real data
    g = torch.Generator().manual_seed(1)
    b_base = b + 0.3 * torch.randn(784, generator=g)
    r = ais.ais_log_partition(W, b, a, b_base=b_base, betas=ais.scaled_schedule(2000), n_runs=100, generator=g)
    assert abs(r.log_z - log_z) < 0.1
    assert r.log_z_low <= r.log_z <= r.log_z_high
    assert r.log_z_high - r.log_z < 0.2  # the +-3 std interval is informative
    assert len(r.log_weights) == 100 and r.n_betas == len(ais.scaled_schedule(2000))


def test_reverse_ais_from_exact_samples_agrees_on_a_small_model():
    g = torch.Generator().manual_seed(2)
    W, b, a = torch.randn(10, 6, generator=g), torch.randn(10, generator=g), torch.randn(6, generator=g)
    log_z = float(exact.rbm_log_partition(W.double(), b.double(), a.double()))
    # exact samples of p(v): enumerate all 2^10 visible states
    V = next(exact.enumerate_states(10, 1024)).float()
    p = exact.rbm_log_marginal(W, b, a, V).exp()
    start = V[torch.multinomial(p.float(), 200, replacement=True, generator=g)]
    r = ais.ais_log_partition(W, b, a, betas=ais.linear_schedule(1000), n_runs=200, reverse_from=start, generator=g)
    assert abs(r.log_z - log_z) < 0.05 and abs(r.reverse_log_z - log_z) < 0.05


def test_zero_weights_is_exact_and_seeded():
    W, b, a = torch.zeros(5, 3), torch.randn(5), torch.zeros(3)
    run = lambda: ais.ais_log_partition(W, b, a, b_base=b, betas=ais.linear_schedule(5), n_runs=4,  # noqa: E731
                                        generator=torch.Generator().manual_seed(0))
    r = run()
    expected = 3 * math.log(2) + float(torch.nn.functional.softplus(b.double()).sum())
    assert r.log_z == pytest.approx(expected, abs=1e-5)
    assert torch.equal(r.log_weights, run().log_weights)


def test_swaps_permute_states_within_chains_and_flat_accepts_all():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(5, 7, 3, generator=g)
    betas = tempering.linear_ladder(5)
    log_p = lambda s, bt: -bt[:, None] * (s**2).sum(-1)  # noqa: E731  tempered Gaussian
    new, acc = tempering.swap_neighbours(x, log_p, betas, parity=1, generator=g)
    assert acc.shape == (2, 7)
    for m in range(7):  # each chain index holds the same states, reordered along the ladder
        assert sorted(new[:, m, 0].tolist()) == sorted(x[:, m, 0].tolist())
    assert torch.equal(new[0], x[0])  # parity 1 leaves rung 0 alone
    flat = lambda s, bt: torch.zeros(s.shape[:2])  # noqa: E731
    new, acc = tempering.swap_neighbours(x, flat, betas, parity=0, generator=g)
    assert bool(acc.all()) and torch.equal(new[0], x[1]) and torch.equal(new[1], x[0])


def test_swap_rule_satisfies_detailed_balance_on_two_states():
    # two rungs, one binary "state" each: the swap chain's stationary law is p_0(x) p_1(y)
    betas = torch.tensor([1.0, 0.3])
    log_p = lambda s, bt: bt[:, None] * 2.0 * s[..., 0]  # noqa: E731  E(x) = -2x
    g = torch.Generator().manual_seed(0)
    x = torch.tensor([[[0.0]], [[1.0]]]).expand(2, 20000, 1).contiguous()
    for _ in range(20):
        x, _ = tempering.swap_neighbours(x, log_p, betas, 0, g)
    # starting from (0, 1): P(swapped) -> p0(1) p1(0) / (p0(1) p1(0) + p0(0) p1(1))
    r = math.exp(2.0 * 1.0) / (math.exp(2.0 * 1.0) + math.exp(2.0 * 0.3))
    assert float(x[0, :, 0].mean()) == pytest.approx(r, abs=0.015)


def test_noise_streams_do_not_depend_on_the_thread_count():
    # the uniforms come from fixed streams seeded by the generator: 1 or 2 filling threads, one answer
    W, b, a = rbm_784_20()
    threads = torch.get_num_threads()
    out = []
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            r = ais.ais_log_partition(W[:50], b[:50], a, betas=ais.linear_schedule(40), n_runs=7,
                                      generator=torch.Generator().manual_seed(5))
            out.append(r.log_weights)
    finally:
        torch.set_num_threads(threads)
    # the uniforms are the same; the GEMMs of the annealing may sum in another order with two
    # threads (float32 products: ~1e-7 relative here), while another noise stream moves the
    # log-weights by whole nats
    torch.testing.assert_close(out[0], out[1], rtol=0, atol=1e-4)
