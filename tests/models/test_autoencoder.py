"""Autoencoders: tied weights, losses against hand computations, corruption, sparsity, bad
input, and a trained autoencoder against PCA of the same code size."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F

from neuralzoo.models import Autoencoder, DenoisingAutoencoder, NotFittedError, SparseAutoencoder
from neuralzoo.models.autoencoder.basic import corrupt, kl_sparsity


def test_tied_weights_share_storage_and_gradient():
    ae = Autoencoder([10, 6, 3], tied=True)
    Vs = ae.decoder_weights()
    for V, layer in zip(Vs, reversed(ae.encoder)):
        assert V.data_ptr() == layer.weight.data_ptr()  # one tensor, seen transposed
        assert V.shape == layer.weight.T.shape
    assert not hasattr(ae, "decoder")
    n_untied = sum(p.numel() for p in Autoencoder([10, 6, 3]).parameters())
    n_tied = sum(p.numel() for p in ae.parameters())
    assert n_untied - n_tied == 10 * 6 + 6 * 3  # the decoder weight matrices are not duplicated
    # the gradient of W collects both uses: with the encoder path cut, only the decoder's remains
    x = torch.rand(5, 10)
    ae.loss((x,)).backward()
    assert ae.encoder[0].weight.grad is not None and ae.encoder[0].weight.grad.abs().sum() > 0
    with torch.no_grad():
        ae.encoder[0].weight.add_(1.0)
    assert torch.equal(ae.decoder_weights()[-1], ae.encoder[0].weight.T)  # an edit shows in both


def test_losses_match_hand_computation():
    torch.manual_seed(0)
    x = torch.rand(7, 12)
    sq = Autoencoder([12, 5], loss="squared", code_activation="linear")
    z = sq(x)
    assert torch.allclose(sq.loss((x,)), ((x - z) ** 2).sum(1).mean(), atol=1e-5)  # min sum ||x - z||^2
    ce = Autoencoder([12, 5], loss="cross-entropy")
    z = ce(x)
    hand = -(x * torch.log(z) + (1 - x) * torch.log(1 - z)).sum(1).mean()
    assert torch.allclose(ce.loss((x,)), hand, atol=1e-4)
    # forward by hand: sigmoid(V sigmoid(W x + b) + c)
    W, b = ce.encoder[0].weight, ce.encoder[0].bias
    V, c = ce.decoder[0].weight, ce.decoder[0].bias
    assert torch.allclose(z, torch.sigmoid(torch.sigmoid(x @ W.T + b) @ V.T + c), atol=1e-6)


def test_corruption_levels_and_seeds():
    x = torch.ones(200, 50)
    g = torch.Generator().manual_seed(0)
    m = corrupt(x, "mask", 0.3, g)
    assert abs(float((m == 0).float().mean()) - 0.3) < 0.02
    g2 = torch.Generator().manual_seed(0)
    assert torch.equal(m, corrupt(x, "mask", 0.3, g2))
    n = corrupt(x, "gaussian", 0.2, torch.Generator().manual_seed(1))
    assert abs(float((n - x).std()) - 0.2) < 0.01
    assert torch.equal(corrupt(x, "none", 0.0), x)


def test_kl_sparsity_matches_bernoulli_kl():
    h = torch.rand(30, 8)
    rho = 0.05
    ours = kl_sparsity(h, rho)
    ref = torch.distributions.kl_divergence(torch.distributions.Bernoulli(torch.full((8,), rho)),
                                            torch.distributions.Bernoulli(h.mean(0))).sum()
    assert torch.allclose(ours, ref, atol=1e-5)
    sp = SparseAutoencoder([12, 6], sparsity_target=rho, sparsity_cost=2.0)
    x = torch.rand(9, 12)
    y = sp.encode(x)
    plain = sp.reconstruction_loss(x, sp.decode_logits(y))
    assert torch.allclose(sp.loss((x,)), plain + 2.0 * kl_sparsity(y, rho), atol=1e-5)
    l1 = Autoencoder([12, 6], sparsity="l1", sparsity_cost=0.5)
    y = l1.encode(x)
    assert torch.allclose(l1.penalty(y), 0.5 * y.abs().sum(1).mean(), atol=1e-6)


def test_sparse_penalty_lowers_mean_activation(digits_train):
    X, _ = digits_train
    kw = dict(epochs=15, seed=0, progress=False, lr=3e-3)
    plain = Autoencoder([64, 32]).fit(X, **kw)
    sparse = SparseAutoencoder([64, 32], sparsity_target=0.05, sparsity_cost=3.0).fit(X, **kw)
    assert float(sparse.transform(X).mean()) < 0.5 * float(plain.transform(X).mean())


def test_denoising_reconstructs_clean_input(digits_train, digits_test):
    X, _ = digits_train
    Xt, _ = digits_test
    dae = DenoisingAutoencoder([64, 48], noise=0.3).fit(X, epochs=20, seed=0, progress=False, lr=3e-3)
    noisy = corrupt(Xt, "mask", 0.3, torch.Generator().manual_seed(0))
    err_noisy = float(((dae.reconstruct(noisy) - Xt) ** 2).sum(1).mean())
    assert err_noisy < float(((noisy - Xt) ** 2).sum(1).mean())  # it removes part of the noise


def test_trained_autoencoder_beats_pca_of_same_code_size(digits_train, digits_test):
    X, _ = digits_train
    Xt, _ = digits_test
    K = 4
    ae = Autoencoder([64, 64, K], code_activation="linear").fit(X, epochs=60, lr=3e-3, batch_size=32,
                                                                seed=0, progress=False)
    mean = X.mean(0)
    _, _, V = torch.linalg.svd(X - mean, full_matrices=False)
    P = V[:K].T  # (D, K): the best rank-K linear code
    pca = float((((Xt - mean) @ P @ P.T + mean - Xt) ** 2).sum(1).mean())
    ours = ae.evaluate(Xt)["squared_error"]
    assert ours < 0.8 * pca, (ours, pca)


def test_fit_is_seeded_and_transform_shapes(digits_train):
    X, _ = digits_train
    a = Autoencoder([64, 16, 8]).fit(X[:200], epochs=2, seed=3, progress=False)
    b = Autoencoder([64, 16, 8]).fit(X[:200], epochs=2, seed=3, progress=False)
    assert torch.equal(a.transform(X[:5]), b.transform(X[:5]))
    assert a.transform(X[:5]).shape == (5, 8) and a.reconstruct(X[:5]).shape == (5, 64)
    assert len(a.history_) == 2 and a.history_[-1]["loss"] < a.history_[0]["loss"] * 1.01


def test_bad_input_messages():
    with pytest.warns(UserWarning, match="code size 20 is larger than the input size 10: an undercomplete"):
        Autoencoder([10, 20])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overcomplete with corruption or sparsity is legitimate: no warning
        DenoisingAutoencoder([10, 20])
        SparseAutoencoder([10, 20])
    for bad in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match=r"must lie in \[0, 1\): got"):
            Autoencoder([10, 5], corruption="mask", noise=bad)
    with pytest.raises(ValueError, match=r"tied weights need the decoder to mirror the encoder: expected "
                                         r"decoder sizes \[3, 6, 10\], got \[3, 7, 10\]"):
        Autoencoder([10, 6, 3], tied=True, decoder_sizes=[3, 7, 10])
    with pytest.raises(ValueError, match="expected one of"):
        Autoencoder([10, 5], corruption="salt")
    with pytest.raises(ValueError, match="needs inputs in \\[0, 1\\]"):
        Autoencoder([3, 2]).fit(torch.tensor([[0.0, 2.0, 0.5]]), epochs=1, progress=False)
    with pytest.raises(ValueError, match="n_features: expected 10, got 9"):
        Autoencoder([10, 5]).fit(torch.rand(4, 9), epochs=1, progress=False)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Autoencoder([10, 5]).transform(torch.rand(2, 10))


def test_untied_decoder_sizes_may_differ():
    ae = Autoencoder([10, 4], decoder_sizes=[4, 8, 10])
    assert ae(torch.rand(3, 10)).shape == (3, 10)
    assert F.mse_loss(ae(torch.zeros(1, 10)), ae(torch.zeros(1, 10))) == 0
