"""Gaussian RBM with a feature constant in the training data (digits: pixels 0, 24, 32, 39).

Standardisation used to floor such a feature's std at 1e-6, making the model a spike at the
training value (digits' test log-density: -1.1e7). Now a constant feature is scaled by the
data's typical spread (``feature_scales``); the density stays normalised (exact oracle)."""

from __future__ import annotations

import math

import pytest
import torch

from neuralzoo.models import GaussianRBM
from neuralzoo.models.rbm.gaussian import feature_scales


def test_constant_features_get_the_typical_spread():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(500, 4, generator=g) * torch.tensor([1.0, 3.0, 1.0, 1.0])
    X[:, 2] = 0.1  # constant; float32 0.1 leaves a std of rounding size, not 0
    X[:, 3] = -7.0
    s = feature_scales(X)
    std = X.std(0)
    assert torch.equal(s[:2], std[:2])  # the others keep their own std
    torch.testing.assert_close(s[2:], std[:2].mean().expand(2))
    assert torch.equal(feature_scales(torch.full((3, 2), 5.0)), torch.ones(2))  # all constant: 1


def test_digits_test_log_density_is_sane(digits_train, digits_test):
    X, _ = digits_train
    Xt, _ = digits_test
    assert float(X[:, 24].abs().max()) == 0 and int((Xt[:, 24] != 0).sum()) == 2  # the case of the issue
    rbm = GaussianRBM(64, 8).fit(X, epochs=2, seed=0, progress=False)
    assert float(rbm.x_std[24]) == pytest.approx(float(X.std(0)[X.std(0) > 0].mean()))
    train, test = rbm.log_likelihood(X), rbm.log_likelihood(Xt)
    assert torch.isfinite(test).all()
    assert -10 < float(test.mean() - train.mean()) < 5  # measured: test 26.14, train 28.34
    # a test row off the constant by one grey level (1/16) pays under a nat for it (0.038; the 1e-6 floor: 2.0e9)
    off = torch.nonzero(Xt[:, 24] != 0)[:, 0]
    on = Xt[off].clone()
    on[:, 24] = 0.0
    cost = rbm.log_likelihood(on) - rbm.log_likelihood(Xt[off])
    assert bool(((cost > 0) & (cost < 1.0)).all()), cost.tolist()
    with torch.no_grad():
        rbm.x_std[24] = 1e-6  # what the old floor did: the same rows become absurd
    assert float((rbm.log_likelihood(on) - rbm.log_likelihood(Xt[off])).min()) > 1e8


def test_exact_log_likelihood_with_a_constant_feature_is_a_normalised_density():
    # D = 2 (feature 1 constant in training), H = 3: integrate p(x) over a grid in data units
    g = torch.Generator().manual_seed(1)
    X = torch.stack([torch.randn(400, generator=g) * 2.0 + 1.0, torch.full((400,), 3.0)], dim=1)
    rbm = GaussianRBM(2, 3, learn_sigma=True, init_std=0.5).fit(X, epochs=3, lr=0.05, seed=0,
                                                                 progress=False)
    assert float(rbm.x_std[1]) == pytest.approx(float(X[:, 0].std()))
    with torch.no_grad():  # a model that couples the two features, so the check is not trivial
        rbm.W.copy_(torch.tensor([[0.8, -0.5, 0.3], [-0.4, 0.9, 0.6]]))
        rbm.a.copy_(torch.tensor([0.2, -0.3, 0.1]))
        rbm.b.copy_(torch.tensor([0.1, -0.2]))
        rbm.log_var.copy_(torch.tensor([0.3, -0.5]))  # sigma_i <= 1.2: the grid holds > 10 sigma
    # 1. log Z by enumeration against log Z by quadrature of exp(-F(v)) in model space
    n, half = 801, 14.0
    t = torch.linspace(-half, half, n, dtype=torch.float64)
    dv = float(t[1] - t[0])
    V = torch.cartesian_prod(t, t)  # (n^2, 2)
    with torch.no_grad():
        F = rbm.double().free_energy(V)
    log_z_grid = float(torch.logsumexp(-F, 0)) + 2 * math.log(dv)
    assert float(rbm.log_partition()) == pytest.approx(log_z_grid, abs=1e-8)
    # 2. the density of the data units integrates to 1 (the Jacobian -sum log x_std included)
    x = V * rbm.x_std + rbm.x_mean  # the same grid in data units
    dx = dv * float(rbm.x_std[0]) * dv * float(rbm.x_std[1])
    mass = float(torch.logsumexp(rbm.log_likelihood(x), 0).exp()) * dx
    assert mass == pytest.approx(1.0, abs=1e-8)
