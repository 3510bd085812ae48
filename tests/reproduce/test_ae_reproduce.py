"""The autoencoder reproductions run small on the digits (their rows and figures against the
trained models), the PCA baseline against scikit-learn, and the bench's plain baseline network
against the deep autoencoder's forward pass."""

from __future__ import annotations

import pytest
import torch

from neuralzoo import DeepAutoencoder, datasets
from neuralzoo.bench import autoencoder as bench_ae
from neuralzoo.reproduce import autoencoder_2006, sda

from .helpers import check_rows, digits_as


def test_autoencoder_2006_quick_rows_on_digits(use_digits, smaller):
    use_digits(autoencoder_2006, rows=3000)  # the digits cycled to 3,000 training images
    built = smaller(autoencoder_2006, "DeepAutoencoder", 64, hidden=[64, 32])  # the paper's 30-unit code
    ae, pca = check_rows(autoencoder_2006.run(quick=True, device="cpu"), n=2)
    assert "3000 train images, 2 CD-1 epochs per RBM, 5 Adam fine-tuning epochs" in ae["name"]
    X, _ = digits_as("train", rows=3000)
    X_test, _ = digits_as("test")
    assert ae["ours"] == pytest.approx(built[0].reconstruction_error(X_test), abs=1e-3)
    # it learned more than the mean: reconstructing every test image by the mean training image
    mean_only = float(((X_test - X.mean(0)) ** 2).sum(1).mean())
    assert 0 < ae["ours"] < 0.8 * mean_only
    assert pca["ours"] == pytest.approx(autoencoder_2006.pca_error(X, X_test, 30), abs=1e-3)
    assert pca["target"] == f"> 2 x deep AE ({2 * ae['ours']:.2f})"


def test_sda_quick_rows_on_digits(use_digits, smaller):
    use_digits(sda)  # the 8x8 digits, 1,437 training images
    built = smaller(sda, "StackedAutoencoder", 64, hidden=[32, 32, 32])
    (r,) = check_rows(sda.run(quick=True, device="cpu"), n=1)
    assert "1437 train images, 2 pretraining epochs per layer, 5 fine-tuning epochs" in r["name"]
    X_test, y_test = digits_as("test")
    assert r["ours"] == pytest.approx(100 * (1 - built[0].score(X_test, y_test)), abs=0.006)
    assert 0 <= r["ours"] < 85 and r["met"] is False  # a percentage of errors, better than chance (90)


def test_pca_error_matches_sklearn():
    from sklearn.decomposition import PCA

    X, _ = datasets.load("digits")
    Xt, _ = datasets.load("digits", "test")
    ours = autoencoder_2006.pca_error(X, Xt, 10)
    p = PCA(n_components=10, svd_solver="full").fit(X.numpy())
    R = p.inverse_transform(p.transform(Xt.numpy()))
    ref = float(((R - Xt.numpy()) ** 2).sum(1).mean())
    assert ours == pytest.approx(ref, rel=1e-4)
    # more components never reconstruct worse
    assert autoencoder_2006.pca_error(X, Xt, 20) < ours


def test_bench_plain_network_equals_deep_autoencoder_forward():
    sizes = [12, 10, 8, 6, 3]
    dae = DeepAutoencoder(12, hidden=[10, 8, 6], code=3)
    net = bench_ae.plain_network(sizes)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    layers = list(dae.encoder) + list(dae.decoder)
    with torch.no_grad():
        for a, b in zip(linears, layers):
            a.weight.copy_(b.weight)
            a.bias.copy_(b.bias)
    x = torch.rand(5, 12)
    assert torch.allclose(torch.sigmoid(net(x)), dae(x), atol=1e-6)
    trained = bench_ae.plain_loop(torch.rand(50, 12), sizes, 1, seed=0, batch_size=10)
    assert isinstance(trained, torch.nn.Sequential)
    assert bench_ae.NAME == "autoencoder"
