"""bm-encoder: one seed of the 4-2-4 encoder learns all codes and completes the output group;
the encoder's fast exact sums agree with plain enumeration; a small quick run gives consistent
rows."""

from __future__ import annotations

import math
import re

import pytest
import torch

from neuralzoo.datasets.patterns import encoder_patterns
from neuralzoo.energy import exact
from neuralzoo.models.boltzmann import BoltzmannMachine, encoder_mask
from neuralzoo.reproduce import bm_encoder

from .helpers import check_rows


def test_424_encoder_learns_four_distinct_codes_and_completes():
    r = bm_encoder.train_encoder(4, 2, seed=0, epochs=400)
    assert r["all_codes"] and r["distinct_codes"] == 4
    assert sorted(map(tuple, r["codes"])) == [(0, 0), (0, 1), (1, 0), (1, 1)]  # the corners
    assert r["completion_accuracy"] == 1.0
    # noisy clamping: the model learns the noisy data, so a sampled output group is clean
    # only about 2/3 of the time (it would be ~0.85^1 * 0.95^3 = 0.73 for the noisy data)
    assert r["p_output_right"] > 0.5
    bm = r["model"]
    W = bm.W
    assert torch.equal(W[:4, 4:8], torch.zeros(4, 4))  # input and output meet only through H


@pytest.mark.parametrize("n_in,H,lateral", [(4, 2, False), (4, 3, True), (3, 2, False)])
def test_encoder_sums_match_enumeration(n_in, H, lateral):
    torch.manual_seed(1)
    bm = BoltzmannMachine(2 * n_in, H, mask=encoder_mask(n_in, H, hidden_lateral=lateral), init_std=1.5)
    with torch.no_grad():
        bm.b.normal_()
    W, b = bm.W.detach().double(), bm.b.detach().double()
    assert float(bm_encoder.encoder_log_partition(W, b, n_in)) == pytest.approx(
        float(exact.bm_log_partition(W, b)), abs=1e-10)
    v = torch.cat(list(exact.enumerate_states(2 * n_in)))  # (2^(2 n_in), 2 n_in), V1 bits first
    table = bm_encoder.encoder_log_unnormalized_table(W, b, n_in)
    assert torch.allclose(table.reshape(-1), exact.bm_log_unnormalized(W, b, v), atol=1e-10)


def test_noisy_clamping_table():
    q = bm_encoder.noisy_clamping_table(4, (0.15, 0.05))
    assert q.shape == (16, 16) and float(q.sum()) == pytest.approx(1.0, abs=1e-12)
    clean = bm_encoder.noisy_clamping_table(4, (0.0, 0.0))
    i = exact.state_index(torch.eye(4))  # one-hot group states
    assert torch.allclose(clean[i[:, None], i[None, :]], torch.eye(4, dtype=torch.float64) / 4)
    assert float(clean.sum()) == pytest.approx(1.0)


def test_clean_objective_gradient_is_the_exact_rule():
    """With noise (0, 0) the encoder objective is -mean log p(v) of the patterns, gradient too."""
    n_in, H = 4, 2
    torch.manual_seed(0)
    bm = BoltzmannMachine(2 * n_in, H, method="exact", mask=encoder_mask(n_in, H), init_std=0.7)
    X = encoder_patterns(n_in)
    q = bm_encoder.noisy_clamping_table(n_in, (0.0, 0.0))
    fast = (-(q * bm_encoder.encoder_log_unnormalized_table(bm.W, bm.b, n_in)).sum()
            + bm_encoder.encoder_log_partition(bm.W, bm.b, n_in))
    g_fast = torch.autograd.grad(fast, [bm.A, bm.b])
    plain = bm.loss((X,))
    g_plain = torch.autograd.grad(plain, [bm.A, bm.b])
    assert float(fast.detach()) == pytest.approx(float(plain.detach()), abs=1e-6)
    for a, b in zip(g_fast, g_plain):
        assert torch.allclose(a, b, atol=1e-5)


def test_restarts_keep_the_lowest_training_loss():
    r = bm_encoder.train_encoder(4, 2, seed=3, epochs=60, restarts=3, probe_epochs=30)
    assert len(r["restart_losses"]) == 3
    assert r["restart_losses"][r["restart_chosen"]] == min(r["restart_losses"])


def test_quick_run_rows_with_restarts(monkeypatch):
    # one problem, 4-2-4: 2 seeds, each the best of 2 runs of 30 steps continued to 60 steps
    monkeypatch.setattr(bm_encoder, "ENCODERS", {(4, 2): {False: None, True: (60, 2, 2)}})
    monkeypatch.setattr(bm_encoder, "PROBE_EPOCHS", 30)
    # bars and stripes: 30 exact steps instead of the quick run's 300 (its note still says 300)
    real_kl = bm_encoder.bars_and_stripes_kl
    monkeypatch.setattr(bm_encoder, "bars_and_stripes_kl", lambda H, *, epochs: real_kl(H, epochs=30))
    learned, fraction, completion, bars = check_rows(bm_encoder.run(quick=True), n=4)
    assert learned["ours"] in (0.0, 1.0) and fraction["ours"] in (0.0, 0.5, 1.0)
    assert learned["ours"] == float(fraction["ours"] > 0)  # the best seed learned them iff any did
    assert completion["ours"] in (0.0, 0.25, 0.5, 0.75, 1.0)  # four patterns
    assert "best of 2 runs of 30 steps by training loss, continued to 60" in fraction["note"]
    assert re.search(r"single runs: [0-4]/4 have all 4 codes after 30 steps", fraction["note"])
    # KL(data || model) is never negative, and 30 steps leave the uniform 9-bit model behind
    assert "9 visible + 6 hidden" in bars["name"]
    assert 0 < bars["ours"] < math.log(512 / 14)
