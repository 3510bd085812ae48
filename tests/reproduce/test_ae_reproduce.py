"""The autoencoder reproductions and bench: shapes, published figures, the PCA baseline against
scikit-learn, and the plain baseline network against the deep autoencoder's forward pass."""

from __future__ import annotations

import pytest
import torch

from neuralzoo import datasets
from neuralzoo.bench import autoencoder as bench_ae
from neuralzoo.models.autoencoder.deep import DeepAutoencoder
from neuralzoo.reproduce import autoencoder_2006, sda


@pytest.mark.parametrize("module", [autoencoder_2006, sda])
def test_module_shape(module):
    assert module.ID in ("autoencoder-2006", "sda")
    assert module.TITLE and module.SOURCE and callable(module.run)


def test_published_figures():
    assert (autoencoder_2006.PUBLISHED_AE, autoencoder_2006.PUBLISHED_PCA) == (3.00, 13.87)
    assert sda.PUBLISHED == 1.3


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
    dae = DeepAutoencoder(sizes)
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
