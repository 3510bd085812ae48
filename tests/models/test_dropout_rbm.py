"""Dropout RBM (Srivastava et al. 2014, §8) against brute force over masks and hidden states."""

from __future__ import annotations

import itertools

import pytest
import torch

import neuralzoo as nz
from neuralzoo.energy.exact import rbm_energy
from neuralzoo.models import RBM, DropoutRBM


def _model(D=4, H=3, p=0.3, seed=0):
    rbm = DropoutRBM(D, H, retention=p)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for t in (rbm.W, rbm.b, rbm.a):
            t.copy_(torch.randn(t.shape, generator=g))
    rbm._fitted = True  # parameters given, as a loaded state dict would be
    return rbm.double()


def _bits(n):
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def test_thinned_free_energy_and_conditional_match_the_constrained_sum_over_h():
    # P(h, v | r) ∝ exp(-E(v, h)) prod_j g(h_j, r_j): h_j = 0 wherever r_j = 0
    rbm = _model()
    V, Hs = _bits(4), _bits(3)
    for r in _bits(3):
        allowed = (Hs <= r).all(1)  # (2^H,) states with h_j = 0 where r_j = 0
        logw = torch.stack([-rbm_energy(rbm.W, rbm.b, rbm.a, v.expand(len(Hs), -1), Hs) for v in V])[:, allowed]  # (2^D, allowed)
        F_r = rbm.thinned_free_energy(V, r.expand(len(V), -1))
        assert torch.allclose(-F_r, torch.logsumexp(logw, 1), atol=1e-10)
        post = torch.softmax(logw, 1) @ Hs[allowed]  # P(h_j = 1 | r, v)
        x = torch.sigmoid(torch.addmm(rbm.a, V, rbm.W))
        assert torch.allclose(post, r * x, atol=1e-10)  # the paper's 1(r_j = 1) sigmoid(...)


def test_expectations_over_all_masks_are_the_stated_identities():
    p = 0.3
    rbm = _model(p=p)
    V, masks = _bits(4), _bits(3)
    P_r = (p ** masks * (1 - p) ** (1 - masks)).prod(1)  # (2^H,)
    assert abs(float(P_r.sum()) - 1) < 1e-12
    EF = sum(w * rbm.thinned_free_energy(V, r.expand(len(V), -1)) for w, r in zip(P_r, masks))
    assert torch.allclose(EF, rbm.expected_free_energy(V), atol=1e-10)
    Eh = sum(w * r * torch.sigmoid(torch.addmm(rbm.a, V, rbm.W)) for w, r in zip(P_r, masks))
    assert torch.allclose(Eh, p * torch.sigmoid(torch.addmm(rbm.a, V, rbm.W)), atol=1e-10)
    # weight scaling at inference: the mask average of the visible input given h is the
    # inference model's (p W) visible input, for every h
    Hs = _bits(3)
    E_in = sum(w * torch.addmm(rbm.b, Hs * r, rbm.W.T) for w, r in zip(P_r, masks))
    Wp, b, _ = rbm.ordinary_parameters()
    assert torch.allclose(E_in, torch.addmm(b, Hs, Wp.T), atol=1e-10)
    assert torch.allclose(torch.logit(rbm.p_v_given_h(Hs)), E_in, atol=1e-8)


def test_the_inference_model_is_the_rbm_with_scaled_weights():
    rbm = _model(D=6, H=4, p=0.4)
    plain = RBM(6, 4).double()
    plain._fitted = True
    with torch.no_grad():
        plain.W.copy_(0.4 * rbm.W)
        plain.b.copy_(rbm.b)
        plain.a.copy_(rbm.a)
    V = _bits(6)
    assert torch.allclose(rbm.log_partition(), plain.log_partition(), atol=1e-12)
    assert torch.allclose(rbm.log_likelihood(V), plain.log_likelihood(V), atol=1e-12)
    assert torch.allclose(rbm.transform(V), plain.transform(V))


def test_dropped_units_get_no_gradient_and_retention_one_is_plain_cd(digits_train):
    rbm = DropoutRBM(64, 32, retention=0.5)
    torch.manual_seed(0)
    v = (digits_train[0][:1] > 0.5).float()
    rbm.loss((v,)).backward()
    zero = rbm.a.grad == 0  # one case, one mask: the dropped units' biases get nothing
    assert 8 <= int(zero.sum()) <= 24 and bool((rbm.W.grad[:, zero] == 0).all())
    X, _ = nz.datasets.load("digits", binarize="threshold")
    a = DropoutRBM(64, 16, retention=1.0).fit(X[:500], epochs=2, batch_size=50, seed=0, progress=False)
    b = RBM(64, 16).fit(X[:500], epochs=2, batch_size=50, seed=0, progress=False)
    assert torch.allclose(a.W, b.W, atol=1e-5) and torch.allclose(a.a, b.a, atol=1e-5)


def test_dropout_rbm_learns_digits_and_refuses_bad_retention():
    with pytest.raises(ValueError, match=r"retention must lie in \(0, 1\], got 0"):
        DropoutRBM(4, 2, retention=0)
    X, _ = nz.datasets.load("digits", binarize="threshold")
    rbm = DropoutRBM(64, 16, retention=0.8).fit(X[:1000], epochs=10, batch_size=20, seed=0, progress=False)
    ll = float(rbm.log_likelihood(X[1000:]).mean())  # the scaled model, exact (2^16 hidden states)
    p = X[:1000].mean(0).clamp(1e-3, 1 - 1e-3)
    independent = float((X[1000:] * p.log() + (1 - X[1000:]) * (1 - p).log()).sum(1).mean())
    assert ll > independent + 1
