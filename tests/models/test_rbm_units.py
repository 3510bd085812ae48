"""Unit types of the RBM family against brute force: categorical (softmax) visibles, ±1 (Ising)
units, Gaussian hidden units. Each: log Z and F(v) against sums over all joint states (a
quadrature over h for Gaussian hiddens), conditionals against the joint, AIS against exact,
Gibbs sampling against the exact marginal."""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import neuralzoo as nz
from neuralzoo.models import CategoricalRBM, GaussianHiddenRBM, IsingRBM
from neuralzoo.models.rbm.categorical import sample_groups


def _randomize(rbm, std=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in (rbm.W, rbm.b, rbm.a):
            p.copy_(torch.randn(p.shape, generator=g) * std)
    rbm._fitted = True  # parameters given, as a loaded state dict would be
    return rbm.double()


def _tv(samples_idx: torch.Tensor, probs: torch.Tensor) -> float:
    emp = torch.bincount(samples_idx, minlength=len(probs)).double() / len(samples_idx)
    return 0.5 * float((emp - probs).abs().sum())


# -- categorical ----------------------------------------------------------------------------------


def _all_codes(D, K):
    return torch.tensor(list(itertools.product(range(K), repeat=D)))  # (K^D, D)


def _joint_categorical(rbm):
    D, K, H = rbm.n_features, rbm.n_categories, rbm.n_hidden
    V = F.one_hot(_all_codes(D, K), K).reshape(-1, D * K).double()  # (K^D, D K)
    Hs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=H)), dtype=torch.float64)  # (2^H, H)
    E = torch.stack([rbm.energy(v.expand(len(Hs), -1), Hs) for v in V])  # (K^D, 2^H)
    return V, Hs, -E


@pytest.mark.parametrize("D,K,H", [(2, 3, 4), (3, 3, 3)])  # visible (9 < 16) then hidden (8 < 27) enumeration
def test_categorical_log_z_free_energy_and_conditionals_match_brute_force(D, K, H):
    rbm = _randomize(CategoricalRBM(D, H, n_categories=K))
    assert rbm._enumerate_visible() == (K**D < 2**H)
    V, Hs, logw = _joint_categorical(rbm)
    assert torch.allclose(rbm.log_partition(), torch.logsumexp(logw.flatten(), 0), atol=1e-10)
    assert torch.allclose(-rbm.free_energy(V), torch.logsumexp(logw, 1), atol=1e-10)
    # p(h_j = 1 | v) and p(v_i = k | h) from the joint
    post_h = torch.softmax(logw, 1) @ Hs  # (K^D, H)
    assert torch.allclose(rbm.p_h_given_v(V), post_h, atol=1e-10)
    post_v = torch.softmax(logw, 0).T @ V  # (2^H, D K)
    assert torch.allclose(rbm.p_v_given_h(Hs), post_v, atol=1e-10)
    # codes and one-hot rows are the same data
    codes = _all_codes(D, K)
    assert torch.allclose(rbm.log_likelihood(codes), rbm.log_likelihood(V))


def test_categorical_ais_matches_exact():
    rbm = _randomize(CategoricalRBM(4, 6, n_categories=3), std=0.7)
    exact = float(rbm.log_partition())
    r = rbm.ais(betas=torch.linspace(0, 1, 3000, dtype=torch.float64), n_runs=200, generator=1)
    assert r.log_z_low <= exact + 0.05 and r.log_z_high >= exact - 0.05
    assert abs(r.log_z - exact) < 0.1


def test_categorical_gibbs_samples_follow_the_exact_marginal():
    rbm = _randomize(CategoricalRBM(2, 3, n_categories=3), std=0.8, seed=3)
    V, _, logw = _joint_categorical(rbm)
    probs = torch.softmax(torch.logsumexp(logw, 1), 0)  # (9,) exact p(v)
    s = rbm.codes(rbm.sample(20000, steps=30, generator=0))  # (N, 2)
    assert _tv(s[:, 0] * 3 + s[:, 1], probs) < 0.02


def test_categorical_group_sampler_frequencies():
    logits = torch.tensor([[0.0, 1.0, 2.0, -1.0, 0.0, 3.0]]).expand(40000, -1)  # 2 groups of 3
    v = sample_groups(logits, 3, torch.Generator().manual_seed(0))
    assert torch.equal(v.reshape(-1, 2, 3).sum(-1), torch.ones(40000, 2))
    assert torch.allclose(v.mean(0).reshape(2, 3), torch.softmax(logits[0].reshape(2, 3), -1), atol=0.01)


def test_categorical_refuses_bad_codes_in_one_line():
    rbm = CategoricalRBM(3, 2, n_categories=4)
    rbm._fitted = True
    with pytest.raises(ValueError, match=r"codes outside 0\.\.3 .*got 4\.0 at row 0, column 1"):
        rbm.free_energy(rbm._check(torch.tensor([[0, 4, 1]])))
    with pytest.raises(ValueError, match=r"integer codes \(N, 3\) or one-hot rows \(N, 12\).*got shape \(2, 5\)"):
        rbm.transform(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="one-hot groups of 4"):
        rbm.transform(torch.zeros(2, 12))


def _shakespeare():
    root = os.environ.get("NEURALZOO_DATA")
    path = Path(root or "/nonexistent") / "tinyshakespeare" / "input.txt"
    if not path.is_file():
        pytest.skip("tiny-shakespeare not found under $NEURALZOO_DATA")
    from neuralzoo.datasets.text import Corpus, windows

    corpus = Corpus.load("tinyshakespeare")
    X, _ = windows(corpus.ids[:40000], 8)  # (4999, 8) windows of 8 characters
    return corpus.vocab, X


def test_categorical_rbm_on_shakespeare_windows_beats_the_unigram_baseline():
    vocab, X = _shakespeare()
    K = len(vocab)
    train, test = X[:4000], X[4500:4800]  # per-position biases need thousands of windows
    rbm = CategoricalRBM(8, 12, n_categories=K).fit(train, epochs=5, batch_size=20, lr=0.5, seed=0,
                                                    progress=False)
    ll = float(rbm.log_likelihood(test, method="exact").mean())  # 2^12 hidden states enumerated
    freq = torch.bincount(train.flatten(), minlength=K).double().add(1) / (train.numel() + K)  # add-one
    unigram = float(torch.log(freq)[test].sum(1).mean())
    ais = float(rbm.log_partition("ais", betas=torch.linspace(0, 1, 2000, dtype=torch.float64), n_runs=100,
                                  generator=0))
    print(f"\nlog p per 8-char window: RBM (exact) {ll:.2f}, unigram {unigram:.2f} nats; "
          f"log Z exact {float(rbm.log_partition()):.3f}, AIS {ais:.3f}")
    assert ll > unigram + 0.3
    assert abs(ais - float(rbm.log_partition())) < 0.2
    text = ["".join(vocab[i] for i in row) for row in rbm.codes(rbm.sample(4, steps=200, generator=0)).tolist()]
    assert all(len(t) == 8 for t in text)


# -- Ising ----------------------------------------------------------------------------------------


def _spin_states(n):
    return torch.tensor(list(itertools.product([-1.0, 1.0], repeat=n)), dtype=torch.float64)


def test_ising_log_z_free_energy_and_conditionals_match_brute_force():
    rbm = _randomize(IsingRBM(4, 3), std=0.6)
    S, G = _spin_states(4), _spin_states(3)
    logw = torch.stack([-rbm.energy(s.expand(len(G), -1), G) for s in S])  # (16, 8)
    assert torch.allclose(rbm.log_partition(), torch.logsumexp(logw.flatten(), 0), atol=1e-10)
    assert torch.allclose(-rbm.free_energy(S), torch.logsumexp(logw, 1), atol=1e-10)
    assert torch.allclose(rbm.p_h_given_v(S), torch.softmax(logw, 1) @ (G > 0).double(), atol=1e-10)
    assert torch.allclose(rbm.p_v_given_h(G), torch.softmax(logw, 0).T @ (S > 0).double(), atol=1e-10)
    # 0/1 rows read as 2x - 1: the same likelihoods
    assert torch.allclose(rbm.log_likelihood((S + 1) / 2), rbm.log_likelihood(S))


def test_ising_ais_matches_exact():
    rbm = _randomize(IsingRBM(10, 6), std=0.3, seed=2)
    exact = float(rbm.log_partition())
    r = rbm.ais(betas=torch.linspace(0, 1, 3000, dtype=torch.float64), n_runs=100, generator=0)
    assert abs(r.log_z - exact) < 0.1 and r.log_z_low <= exact + 0.05 <= r.log_z_high + 0.1


def test_ising_gibbs_samples_follow_the_exact_marginal():
    rbm = _randomize(IsingRBM(3, 2), std=0.5, seed=1)
    S = _spin_states(3)
    probs = torch.exp(rbm.log_likelihood(S))
    s = rbm.sample(20000, steps=30, generator=0)
    assert _tv(((s > 0).long() * torch.tensor([4, 2, 1])).sum(1), probs) < 0.02


def test_ising_refuses_other_values_and_trains_on_digits():
    with pytest.raises(ValueError, match=r"±1 spins or values in \[0, 1\].*got 2\.0 at row 0, column 0"):
        IsingRBM(2, 2).fit(torch.tensor([[2.0, 1.0]]), progress=False)
    X, _ = nz.datasets.load("digits", binarize="threshold")
    rbm = IsingRBM(64, 16, method="pcd").fit(X[:1000], epochs=10, batch_size=20, seed=0, progress=False)
    ll = float(rbm.log_likelihood(X[1000:]).mean())  # exact: 2^16 hidden states
    p = X[:1000].mean(0).clamp(1e-3, 1 - 1e-3)
    independent = float((X[1000:] * p.log() + (1 - X[1000:]) * (1 - p).log()).sum(1).mean())
    assert ll > independent + 1.5  # the hidden spins model the pixels' correlations


# -- Gaussian hidden units ------------------------------------------------------------------------


def _bits(n):
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def test_gaussian_hidden_free_energy_and_log_z_match_a_quadrature_over_h():
    rbm = _randomize(GaussianHiddenRBM(3, 2), std=0.5)
    V = _bits(3)
    grid = torch.linspace(-10, 10, 801, dtype=torch.float64)
    dh = float(grid[1] - grid[0])
    Hg = torch.cartesian_prod(grid, grid)  # (801^2, 2)
    log_int, mean_h = [], []
    for v in V:
        logw = -rbm.energy(v.expand(len(Hg), -1), Hg)  # (G,)
        log_int.append(torch.logsumexp(logw, 0) + 2 * math.log(dh))
        mean_h.append(torch.softmax(logw, 0) @ Hg)
    log_int = torch.stack(log_int)  # log int exp(-E(v, h)) dh
    const = 0.5 * 2 * math.log(2 * math.pi)  # H/2 log 2 pi
    assert torch.allclose(-rbm.free_energy(V) + const, log_int, atol=1e-8)
    assert torch.allclose(rbm.log_partition() + const, torch.logsumexp(log_int, 0), atol=1e-8)
    assert torch.allclose(rbm.p_h_given_v(V), torch.stack(mean_h), atol=1e-8)
    # p(v_i = 1 | h) from the joint over v at a fixed h
    h = torch.tensor([[0.3, -1.2]], dtype=torch.float64)
    post = torch.softmax(-rbm.energy(V, h.expand(len(V), -1)), 0) @ V
    assert torch.allclose(rbm.p_v_given_h(h)[0], post, atol=1e-10)


def test_gaussian_hidden_ais_matches_exact():
    rbm = _randomize(GaussianHiddenRBM(12, 4), std=0.3, seed=1)
    exact = float(rbm.log_partition())
    r = rbm.ais(betas=torch.linspace(0, 1, 3000, dtype=torch.float64), n_runs=100, generator=0)
    assert abs(r.log_z - exact) < 0.1


def test_gaussian_hidden_gibbs_samples_follow_the_exact_marginal():
    rbm = _randomize(GaussianHiddenRBM(3, 2), std=0.5, seed=4)
    V = _bits(3)
    probs = torch.exp(rbm.log_likelihood(V))
    assert abs(float(probs.sum()) - 1) < 1e-10
    s = rbm.sample(20000, steps=30, generator=0)
    assert _tv((s.long() * torch.tensor([4, 2, 1])).sum(1), probs) < 0.02


def test_gaussian_hidden_trains_and_refuses_exact_log_z_when_too_wide():
    X, _ = nz.datasets.load("digits", binarize="threshold")
    X = X[:, 16:32]  # two rows of 8 pixels: 2^16 visible states, log Z exact
    rbm = GaussianHiddenRBM(16, 8, method="pcd").fit(X[:1000], epochs=10, batch_size=20, lr=0.03, seed=0,
                                                     progress=False)
    ll = float(rbm.log_likelihood(X[1000:]).mean())
    p = X[:1000].mean(0).clamp(1e-3, 1 - 1e-3)
    independent = float((X[1000:] * p.log() + (1 - X[1000:]) * (1 - p).log()).sum(1).mean())
    assert ll > independent + 0.3
    with pytest.raises(ValueError, match=r"2\^64 visible states: expected n_features <= 24; use AIS"):
        GaussianHiddenRBM(64, 4).log_partition()
