"""Gibbs sampling and annealing against the exact Boltzmann distribution."""

from __future__ import annotations

import pytest
import torch

from neuralzoo.energy import exact, gibbs


def random_machine(n: int, seed: int = 0, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    U = torch.triu(torch.randn(n, n, generator=g) * scale, 1)
    return U + U.T, torch.randn(n, generator=g) * scale


def test_long_chain_matches_boltzmann_distribution():
    W, b = random_machine(6, seed=0)
    p = exact.probabilities(lambda s: exact.bm_energy(W.double(), b.double(), s), 6)
    g = torch.Generator().manual_seed(0)
    s = torch.randint(0, 2, (8000, 6), generator=g).float()  # many parallel chains
    s = gibbs.gibbs_sample(W, b, s, 10, generator=g)  # burn-in
    counts = torch.zeros(64, dtype=torch.float64)
    for _ in range(30):
        s = gibbs.gibbs_sample(W, b, s, 1, generator=g)
        counts += torch.bincount(exact.state_index(s), minlength=64)
    tv = 0.5 * float((counts / counts.sum() - p).abs().sum())
    assert tv < 0.02


def test_clamped_units_never_change():
    W, b = random_machine(8, seed=1, scale=3.0)
    g = torch.Generator().manual_seed(1)
    s0 = torch.randint(0, 2, (50, 8), generator=g).float()
    per_row = torch.rand(50, 8, generator=g) < 0.4  # (N, n) mask
    per_unit = torch.tensor([True, False, True, False, False, True, False, False])  # (n,) mask
    for clamp in (per_row, per_unit):
        s = s0.clone()
        for _ in range(20):
            s = gibbs.gibbs_sample(W, b, s, 1, clamp=clamp, generator=g)
            assert torch.equal(s[:, clamp] if clamp.dim() == 1 else s[clamp],
                               s0[:, clamp] if clamp.dim() == 1 else s0[clamp])
        assert not torch.equal(s, s0)  # the free units did move


def test_temperature_two_is_the_machine_with_halved_field():
    W, b = random_machine(5, seed=2, scale=2.0)
    s = torch.randint(0, 2, (100, 5), generator=torch.Generator().manual_seed(0)).float()
    hot = gibbs.gibbs_sample(W, b, s, 5, temperature=2.0, generator=torch.Generator().manual_seed(3))
    half = gibbs.gibbs_sample(W / 2, b / 2, s, 5, temperature=1.0, generator=torch.Generator().manual_seed(3))
    assert torch.equal(hot, half)
    assert float(exact.bm_log_partition(W, b, 2.0)) == pytest.approx(
        float(exact.bm_log_partition(W / 2, b / 2, 1.0)), abs=1e-6)


def test_same_seed_same_chain_and_input_not_modified():
    W, b = random_machine(5, seed=3)
    s = torch.zeros(10, 5)
    a = gibbs.gibbs_sample(W, b, s, 4, generator=torch.Generator().manual_seed(7))
    c = gibbs.gibbs_sample(W, b, s, 4, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, c) and torch.equal(s, torch.zeros(10, 5))


def test_annealing_finds_the_ground_state_more_often_than_a_quench():
    W, b = random_machine(10, seed=4, scale=2.0)
    E_all = torch.cat([exact.bm_energy(W.double(), b.double(), x) for x in exact.enumerate_states(10)])
    schedule = gibbs.geometric_schedule(10.0, 0.01, 100)
    assert schedule[0] == 10.0 and schedule[-1] == 0.01 and len(schedule) == 100
    s0 = torch.randint(0, 2, (200, 10), generator=torch.Generator().manual_seed(0)).float()
    s = gibbs.anneal(W, b, s0, schedule, sweeps_per_temperature=3, generator=torch.Generator().manual_seed(1))
    quench = gibbs.gibbs_sample(W, b, s0, 300, temperature=0.01, generator=torch.Generator().manual_seed(1))

    def at_ground(x: torch.Tensor) -> float:
        return float((exact.bm_energy(W.double(), b.double(), x.double()) <= E_all.min() + 1e-6).float().mean())

    assert at_ground(s) > 0.85  # measured 0.91
    assert at_ground(s) > at_ground(quench) + 0.15  # measured 0.64 for the quench


def test_bad_arguments_are_refused():
    W, b = random_machine(4)
    s = torch.zeros(3, 4)
    with pytest.raises(ValueError, match=r"clamp must have shape \(4,\) or \(3, 4\): got \(5,\)"):
        gibbs.gibbs_sample(W, b, s, 1, clamp=torch.zeros(5, dtype=torch.bool))
    with pytest.raises(ValueError, match="temperature must be > 0, got 0"):
        gibbs.gibbs_sample(W, b, s, 1, temperature=0)
    with pytest.raises(ValueError, match="schedule must hold temperatures > 0"):
        gibbs.anneal(W, b, s, [2.0, -1.0])
