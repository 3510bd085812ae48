"""Autoencoders: tied weights, losses against hand computations, corruption, sparsity, bad
input, and a trained autoencoder against PCA of the same code size; for the whole family, the
hyperparameters declared once (get_params, --help, the old Config's defaults, old run folders)
and the method convention (options keyword-only, an int generator a seeded generator)."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
import torch.nn.functional as F

import neuralzoo
from neuralzoo import models
from neuralzoo.config import hyperparameters
from neuralzoo.models import (
    VAE,
    Autoencoder,
    DeepAutoencoder,
    DenoisingAutoencoder,
    NotFittedError,
    SemanticHashing,
    SparseAutoencoder,
    StackedAutoencoder,
)
from neuralzoo.models.autoencoder.basic import corrupt, kl_sparsity
from neuralzoo.train import checkpoint as ckpt


def test_tied_weights_share_storage_and_gradient():
    ae = Autoencoder(10, hidden=[6], code=3, tied=True)
    Vs = ae.decoder_weights()
    for V, layer in zip(Vs, reversed(ae.encoder)):
        assert V.data_ptr() == layer.weight.data_ptr()  # one tensor, seen transposed
        assert V.shape == layer.weight.T.shape
    assert not hasattr(ae, "decoder")
    n_untied = sum(p.numel() for p in Autoencoder(10, hidden=[6], code=3).parameters())
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
    sq = Autoencoder(12, hidden=[], code=5, reconstruction="squared", code_activation="linear")
    z = sq(x)
    assert torch.allclose(sq.loss((x,)), ((x - z) ** 2).sum(1).mean(), atol=1e-5)  # min sum ||x - z||^2
    ce = Autoencoder(12, hidden=[], code=5, reconstruction="cross-entropy", code_activation="sigmoid")
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
    sp = SparseAutoencoder(12, hidden=[], code=6, sparsity_target=rho, sparsity_cost=2.0)
    x = torch.rand(9, 12)
    y = sp.encode(x)
    plain = sp.reconstruction_loss(x, sp.decode_logits(y))
    assert torch.allclose(sp.loss((x,)), plain + 2.0 * kl_sparsity(y, rho), atol=1e-5)
    l1 = Autoencoder(12, hidden=[], code=6, sparsity="l1", sparsity_cost=0.5)
    y = l1.encode(x)
    assert torch.allclose(l1.penalty(y), 0.5 * y.abs().sum(1).mean(), atol=1e-6)


def test_sparse_penalty_lowers_mean_activation(digits_train):
    X, _ = digits_train
    kw = dict(epochs=15, seed=0, progress=False, lr=3e-3)
    plain = Autoencoder(64, hidden=[], code=32, code_activation="sigmoid").fit(X, **kw)
    sparse = SparseAutoencoder(64, hidden=[], code=32, sparsity_target=0.05, sparsity_cost=3.0).fit(X, **kw)
    assert float(sparse.transform(X).mean()) < 0.5 * float(plain.transform(X).mean())


def test_denoising_reconstructs_clean_input(digits_train, digits_test):
    X, _ = digits_train
    Xt, _ = digits_test
    dae = DenoisingAutoencoder(64, hidden=[], code=48, noise=0.3).fit(X, epochs=20, seed=0, progress=False,
                                                                      lr=3e-3)
    noisy = corrupt(Xt, "mask", 0.3, torch.Generator().manual_seed(0))
    err_noisy = float(((dae.reconstruct(noisy) - Xt) ** 2).sum(1).mean())
    assert err_noisy < float(((noisy - Xt) ** 2).sum(1).mean())  # it removes part of the noise


def test_trained_autoencoder_beats_pca_of_same_code_size(digits_train, digits_test):
    X, _ = digits_train
    Xt, _ = digits_test
    K = 4
    ae = Autoencoder(64, hidden=[64], code=K, code_activation="linear").fit(X, epochs=60, lr=3e-3,
                                                                            batch_size=32, seed=0, progress=False)
    mean = X.mean(0)
    _, _, V = torch.linalg.svd(X - mean, full_matrices=False)
    P = V[:K].T  # (D, K): the best rank-K linear code
    pca = float((((Xt - mean) @ P @ P.T + mean - Xt) ** 2).sum(1).mean())
    ours = ae.evaluate(Xt)["squared_error"]
    assert ours < 0.8 * pca, (ours, pca)


def test_fit_is_seeded_and_transform_shapes(digits_train):
    X, _ = digits_train
    a = Autoencoder(64, hidden=[16], code=8).fit(X[:200], epochs=2, seed=3, progress=False)
    b = Autoencoder(64, hidden=[16], code=8).fit(X[:200], epochs=2, seed=3, progress=False)
    assert torch.equal(a.transform(X[:5]), b.transform(X[:5]))
    assert a.transform(X[:5]).shape == (5, 8) and a.reconstruct(X[:5]).shape == (5, 64)
    assert len(a.history_) == 2 and a.history_[-1]["loss"] < a.history_[0]["loss"] * 1.01


def test_bad_input_messages():
    with pytest.warns(UserWarning, match="code size 20 is larger than the input size 10: an undercomplete"):
        Autoencoder(10, hidden=[], code=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overcomplete with corruption or sparsity is legitimate: no warning
        DenoisingAutoencoder(10, hidden=[], code=20)
        SparseAutoencoder(10, hidden=[], code=20)
    for bad in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match=r"must lie in \[0, 1\): got"):
            Autoencoder(10, hidden=[], code=5, corruption="mask", noise=bad)
    with pytest.raises(ValueError, match=r"tied weights need the decoder to mirror the encoder: expected "
                                         r"decoder sizes \[3, 6, 10\], got \[3, 7, 10\]"):
        Autoencoder(10, hidden=[6], code=3, tied=True, decoder_sizes=[3, 7, 10])
    with pytest.raises(ValueError, match="expected one of"):
        Autoencoder(10, hidden=[], code=5, corruption="salt")
    with pytest.raises(ValueError, match="reconstruction='cross-entropy' needs inputs in \\[0, 1\\]"):
        Autoencoder(3, hidden=[], code=2).fit(torch.tensor([[0.0, 2.0, 0.5]]), epochs=1, progress=False)
    with pytest.raises(ValueError, match="n_features: expected 10, got 9"):
        Autoencoder(10, hidden=[], code=5).fit(torch.rand(4, 9), epochs=1, progress=False)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Autoencoder(10, hidden=[], code=5).transform(torch.rand(2, 10))


def test_untied_decoder_sizes_may_differ():
    ae = Autoencoder(10, hidden=[], code=4, decoder_sizes=[4, 8, 10])
    assert ae(torch.rand(3, 10)).shape == (3, 10)
    assert F.mse_loss(ae(torch.zeros(1, 10)), ae(torch.zeros(1, 10))) == 0


# -- the hyperparameters declared once, and the method convention, for the seven classes ---------

SMALL = {  # a small model of each class, every hyperparameter off its default where it can be
    Autoencoder: dict(n_features=64, hidden=[16], code=8, activation="tanh", code_activation="linear",
                      reconstruction="squared", tied=True, corruption="gaussian", noise=0.1),
    DenoisingAutoencoder: dict(n_features=64, hidden=[], code=16, noise=0.2, decoder_sizes=[16, 24, 64]),
    SparseAutoencoder: dict(n_features=64, hidden=[12], code=10, sparsity_target=0.1, sparsity_cost=0.5),
    StackedAutoencoder: dict(n_features=64, n_classes=10, hidden=[16, 8], noise=[0.1, 0.0], tied=False,
                             pretrain_epochs=1, pretrain_lr=3e-3, pretrain_batch_size=32),
    DeepAutoencoder: dict(n_features=64, hidden=[16, 8], code=2, pretrain_epochs=1, pretrain_lr=0.05),
    VAE: dict(n_features=64, hidden=[16, 8], latent=3, activation="tanh"),
    SemanticHashing: dict(n_features=64, hidden=[16], code=6, code_noise=2.0, radius=1, pretrain_epochs=1),
}
CLASSES = list(SMALL)

# the defaults of `neuralzoo train NAME` before the signature declared them (the old Config's), but
# for the sizes issue 23 changed to the tour's (the old ones stayed at the mean image on digits)
CONFIG_DEFAULTS = {
    Autoencoder: {"hidden": [64], "code": 8, "activation": "sigmoid", "code_activation": "linear",
                  "reconstruction": "cross-entropy", "tied": False, "corruption": "none", "noise": 0.0,
                  "sparsity": "none", "sparsity_target": 0.05, "sparsity_cost": 0.0},
    StackedAutoencoder: {"hidden": [128, 64], "activation": "sigmoid", "noise": [0.1, 0.2], "corruption": "mask",
                         "tied": True, "reconstruction": "cross-entropy", "pretrain_epochs": 5,
                         "pretrain_lr": 3e-3, "pretrain_batch_size": 64},
    DeepAutoencoder: {"hidden": [1000, 500, 250], "code": 30, "code_activation": "linear", "pretrain_epochs": 10,
                      "pretrain_lr": 0.1, "pretrain_lr_code": 0.001, "pretrain_batch_size": 100},
    VAE: {"hidden": [128], "latent": 2, "activation": "relu"},
    SemanticHashing: {"hidden": [64, 32], "code": 16, "code_noise": 4.0, "pretrain_epochs": 5, "pretrain_lr": 0.1,
                      "radius": 2},
}
CONFIG_DEFAULTS[DenoisingAutoencoder] = {**CONFIG_DEFAULTS[Autoencoder], "hidden": [64], "code": 16,
                                         "code_activation": "sigmoid", "corruption": "mask", "noise": 0.3}
CONFIG_DEFAULTS[SparseAutoencoder] = {**CONFIG_DEFAULTS[Autoencoder], "hidden": [], "code": 100,
                                      "code_activation": "sigmoid", "sparsity": "kl", "sparsity_cost": 1.0}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_get_params_round_trips_and_every_hyperparameter_is_documented(cls):
    model = cls(**SMALL[cls])
    params = model.get_params()
    assert params == {**params, **SMALL[cls]} == model.hparams  # what was given comes back
    assert type(model)(**params).get_params() == params
    assert json.loads(json.dumps(params)) == params  # config.json holds it
    hyper = hyperparameters(cls)
    assert set(params) - set(hyper) == {"n_features", "n_classes"} & set(params)
    for key, p in hyper.items():
        assert p.doc != "", f"{cls.__name__}.{key} has no line in the Args: block"
        assert "**" not in p.doc and not p.required, key
    defaults = {k: p.default for k, p in hyper.items()}
    assert defaults == {**defaults, **CONFIG_DEFAULTS[cls]}
    with pytest.raises(TypeError):
        cls(64, [16])  # the hyperparameters are keyword-only (StackedAutoencoder: [16] is no n_classes)


@pytest.mark.parametrize("name", ["autoencoder", "denoising-autoencoder", "sparse-autoencoder", "stacked-autoencoder",
                                  "deep-autoencoder", "vae", "semantic-hashing"])
def test_train_help_lists_the_hyperparameters(name, run_cli):
    code, out, _ = run_cli("train", name, "--help")
    assert code == 0
    for key in hyperparameters(models.get(name)):
        assert key in out


def test_sizes_are_checked_and_named():
    with pytest.raises(TypeError, match=r"hidden must be a list of hidden layer widths, e.g. \[32\] \(\[\] for none\): "
                                        "got int 16"):
        Autoencoder(64, hidden=16)
    with pytest.raises(ValueError, match=r"expected sizes >= 1, got n_features=64, hidden=\[0\], code=8"):
        Autoencoder(64, hidden=[0], code=8)
    with pytest.raises(ValueError, match=r"expected sizes >= 1, got n_features=64, hidden=\[\], latent=0"):
        VAE(64, hidden=[], latent=0)
    with pytest.raises(ValueError, match=r"at least one layer in hidden.*got n_features=64, hidden=\[\], n_classes=10"):
        StackedAutoencoder(64, 10, hidden=[], noise=[])
    with pytest.raises(ValueError, match="noise needs one corruption level per layer: expected 3, got 2"):
        StackedAutoencoder(64, 10, hidden=[32, 16, 8])  # the default noise is the 2-layer [0.1, 0.2]
    assert StackedAutoencoder(64, 10, hidden=[32, 16, 8], noise=0.1).noise == [0.1, 0.1, 0.1]
    with pytest.raises(ValueError, match="SemanticHashing hashes a logistic code: expected code_activation='sigmoid', "
                                         "got 'linear'"):
        SemanticHashing(64, code_activation="linear")
    assert DeepAutoencoder().sizes == [784, 1000, 500, 250, 30]  # the paper's network by default
    ae = Autoencoder(64, hidden=[16], code=4)
    assert (ae.sizes, ae.decoder_sizes, ae.code) == ([64, 16, 4], [4, 16, 64], 4)
    assert "reconstruction='cross-entropy'" in repr(ae)


# config.json "hparams" of neuralzoo 0.1 runs (no "format" key), as `neuralzoo tour` wrote them
OLD_HPARAMS = {
    Autoencoder: {"sizes": [64, 16, 8], "activation": "sigmoid", "code_activation": "linear", "loss": "cross-entropy",
                  "tied": False, "decoder_sizes": [8, 16, 64], "corruption": "none", "noise": 0.0, "sparsity": "none",
                  "sparsity_target": 0.05, "sparsity_cost": 0.0},
    DenoisingAutoencoder: {"sizes": [64, 16, 16], "activation": "sigmoid", "code_activation": "sigmoid",
                           "loss": "cross-entropy", "tied": False, "decoder_sizes": [16, 16, 64], "corruption": "mask",
                           "noise": 0.3, "sparsity": "none", "sparsity_target": 0.05, "sparsity_cost": 0.0},
    SparseAutoencoder: {"sizes": [64, 20], "activation": "sigmoid", "code_activation": "sigmoid", "loss": "squared",
                        "tied": True, "decoder_sizes": [20, 64], "corruption": "none", "noise": 0.0, "sparsity": "kl",
                        "sparsity_target": 0.05, "sparsity_cost": 1.0},
    StackedAutoencoder: {"sizes": [64, 16, 8], "n_classes": 10, "activation": "sigmoid", "noise": [0.1, 0.2],
                         "corruption": "mask", "tied": True, "loss": "cross-entropy", "pretrain_epochs": 5,
                         "pretrain_lr": 0.003, "pretrain_batch_size": 64},
    DeepAutoencoder: {"sizes": [64, 16, 8, 2], "activation": "sigmoid", "code_activation": "linear",
                      "loss": "cross-entropy", "tied": False, "decoder_sizes": [2, 8, 16, 64], "corruption": "none",
                      "noise": 0.0, "sparsity": "none", "sparsity_target": 0.05, "sparsity_cost": 0.0,
                      "pretrain_epochs": 5, "pretrain_lr": 0.1, "pretrain_lr_code": 0.001, "pretrain_batch_size": 100},
    VAE: {"sizes": [64, 16, 2], "activation": "relu"},
    SemanticHashing: {"sizes": [64, 16, 8, 6], "activation": "sigmoid", "loss": "cross-entropy", "tied": False,
                      "decoder_sizes": [6, 8, 16, 64], "corruption": "none", "noise": 0.0, "sparsity": "none",
                      "sparsity_target": 0.05, "sparsity_cost": 0.0, "pretrain_epochs": 10, "pretrain_lr": 0.1,
                      "pretrain_lr_code": 0.001, "pretrain_batch_size": 100, "code_noise": 2.0, "radius": 2},
}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_a_run_folder_of_neuralzoo_0_1_loads(cls, tmp_path, digits_test):
    old = OLD_HPARAMS[cls]
    new = cls.upgrade_hparams(old)
    assert "sizes" not in new and "loss" not in new
    D, *H = old["sizes"]
    assert new["n_features"] == D
    if cls is StackedAutoencoder:
        assert new["hidden"] == H and new["reconstruction"] == old["loss"]
    elif cls is VAE:
        assert (new["hidden"], new["latent"]) == (H[:-1], H[-1])
    else:
        assert (new["hidden"], new["code"], new["reconstruction"]) == (H[:-1], H[-1], old["loss"])
    torch.manual_seed(0)
    model = cls(**new)
    model._fitted = True
    ckpt.save_weights(model, tmp_path / ckpt.WEIGHTS)
    (tmp_path / "config.json").write_text(json.dumps({"model": cls.registry_name, "hparams": old}))
    again = neuralzoo.load(tmp_path)
    assert type(again) is cls and again.get_params() == model.get_params()
    X = digits_test[0][:50]
    assert torch.equal(again.transform(X), model.transform(X))
    if cls is StackedAutoencoder:
        assert torch.equal(again.predict_proba(X), model.predict_proba(X))
    else:
        assert torch.equal(again.reconstruct(X), model.reconstruct(X))
        assert again.evaluate(X) == model.evaluate(X)


def test_methods_take_their_options_by_keyword_only(digits_test):
    X, y = digits_test[0][:40], digits_test[1][:40]
    vae = VAE(64, hidden=[8], latent=2)
    vae._fitted = True
    with pytest.raises(TypeError):
        vae.sample(4, torch.Generator().manual_seed(0))
    with pytest.raises(TypeError):
        vae.traverse(X[:1], 1)
    with pytest.raises(TypeError):
        vae.evaluate(X, None, 0)
    with pytest.raises(TypeError):
        vae.elbo(X, 2)
    ae = DenoisingAutoencoder(64, hidden=[], code=8)
    with pytest.raises(TypeError):
        ae.corrupt(X, torch.Generator().manual_seed(0))
    sh = SemanticHashing(64, hidden=[8], code=4)
    sh._fitted = True
    with pytest.raises(TypeError):
        sh.retrieve(X[:1], X, 1)
    with pytest.raises(TypeError):
        sh.retrieval_metrics(X, y, 1)
    sae = StackedAutoencoder(64, 10, hidden=[8], noise=0.0)
    sae._fitted = True
    with pytest.raises(ValueError, match=r"scores the classifier: expected evaluate\(X, y\), got y=None"):
        sae.evaluate(X)
    assert set(sae.evaluate(X, y)) == {"acc", "error", "loss"}


def test_an_int_generator_is_a_generator_seeded_with_it(digits_test):
    X = digits_test[0][:40]
    torch.manual_seed(0)
    vae = VAE(64, hidden=[8], latent=2)
    vae._fitted = True
    assert torch.equal(vae.sample(5, generator=3), vae.sample(5, generator=torch.Generator().manual_seed(3)))
    assert not torch.equal(vae.sample(5, generator=3), vae.sample(5, generator=4))
    with torch.no_grad():
        assert torch.equal(vae.elbo(X, n_samples=3, generator=7),
                           vae.elbo(X, n_samples=3, generator=torch.Generator().manual_seed(7)))
        mu, logvar = vae.encode(X)
        assert torch.equal(vae.reparameterize(mu, logvar, generator=1),
                           vae.reparameterize(mu, logvar, generator=torch.Generator().manual_seed(1)))
    # evaluate's ELBO: 10 samples from a generator seeded 0 unless told otherwise
    assert vae.evaluate(X) == vae.evaluate(X, generator=0) == vae.evaluate(X, generator=torch.Generator().manual_seed(0))
    assert vae.evaluate(X, generator=1)["elbo"] != vae.evaluate(X)["elbo"]
    ae = DenoisingAutoencoder(64, hidden=[], code=8)
    assert torch.equal(ae.corrupt(X, generator=5), ae.corrupt(X, generator=torch.Generator().manual_seed(5)))
    assert torch.equal(ae.corrupt(X, generator=5), corrupt(X, "mask", 0.3, torch.Generator().manual_seed(5)))
    with pytest.raises(TypeError, match="generator: expected a torch.Generator, an int seed or None, got float 0.5"):
        vae.sample(2, generator=0.5)
