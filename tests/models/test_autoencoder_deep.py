"""Stacked, RBM-pretrained deep, variational and hashing autoencoders: greedy stages, unrolling,
the linear RBM's free energy, the ELBO against Monte Carlo, retrieval against brute force."""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch

from neuralzoo.models import VAE, DeepAutoencoder, LinearRBM, SemanticHashing, StackedAutoencoder
from neuralzoo.models.autoencoder.hashing import hamming
from neuralzoo.train import History, RunExistsError
from neuralzoo.train.stages import fit_stage, stage_dir


def test_greedy_stacking_leaves_earlier_layers_unchanged(digits_train):
    X, _ = digits_train
    sae = StackedAutoencoder(64, 10, hidden=[32, 16], noise=[0.1, 0.2])
    cfg = {"epochs": 2, "batch_size": 64, "lr": 3e-3, "progress": False}
    sae.pretrain_layer(0, X, cfg)
    first = {k: v.clone() for k, v in sae.layers[0].state_dict().items()}
    second = {k: v.clone() for k, v in sae.layers[1].state_dict().items()}
    sae.pretrain_layer(1, X, cfg)
    for k, v in sae.layers[0].state_dict().items():
        assert torch.equal(v, first[k]), k  # frozen while layer 2 trains
    assert any(not torch.equal(v, second[k]) for k, v in sae.layers[1].state_dict().items())


def test_stacked_fit_stages_checkpoints_and_accuracy(digits_train, digits_test, tmp_path):
    X, y = digits_train
    Xt, yt = digits_test
    sae = StackedAutoencoder(64, 10, hidden=[48, 32], noise=[0.1, 0.2], pretrain_epochs=3, pretrain_lr=3e-3)
    sae.fit(X, y, epochs=15, lr=3e-3, seed=0, progress=False, out=tmp_path / "run")
    stages = [r["stage"] for r in sae.history_]
    assert stages == ["layer1"] * 3 + ["layer2"] * 3 + ["finetune"] * 15
    for s in ("layer1", "layer2", "finetune"):
        assert (stage_dir(tmp_path / "run", s) / "state.pt").exists()
    assert sae.score(Xt, yt) > 0.9
    assert sae.transform(Xt[:4]).shape == (4, 32)
    # resume: every stage is finished, so nothing retrains and the weights stay
    before = sae.head.weight.clone()
    sae.fit(X, y, epochs=15, lr=3e-3, seed=0, progress=False, out=tmp_path / "run", resume=True)
    assert torch.equal(sae.head.weight, before)


def test_stacked_bad_noise_list():
    with pytest.raises(ValueError, match="one corruption level per layer: expected 2, got 3"):
        StackedAutoencoder(64, 10, hidden=[32, 16], noise=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"noise\[1\] \(corruption level\) must lie in \[0, 1\): got 1.2"):
        StackedAutoencoder(64, 10, hidden=[32, 16], noise=[0.1, 1.2])


def test_unrolled_encoder_equals_rbm_upward_pass(digits_train):
    X, _ = digits_train
    dae = DeepAutoencoder(64, hidden=[32, 16], code=4)
    rbms, histories = dae.pretrain(X[:300], epochs=2)
    assert isinstance(rbms[-1], LinearRBM) and [h[0]["stage"] for h in histories] == ["rbm1", "rbm2", "rbm3"]
    x = X[:20]
    with torch.no_grad():
        up = x
        for rbm in rbms:
            up = rbm.p_h_given_v(up)  # sigmoid(a + W^T v), the top one linear: a + W^T v
        assert torch.allclose(dae.encode(x), up, atol=1e-5)
        down = up
        for rbm in reversed(rbms):
            down = rbm.p_v_given_h(down)  # sigmoid(b + W h)
        assert torch.allclose(dae.decode(dae.encode(x)), down, atol=1e-5)
    # the unrolled decoder starts as the transposes, as separate tensors
    for l, rbm in enumerate(rbms):
        V = dae.decoder[len(rbms) - 1 - l].weight
        assert torch.equal(V, rbm.W) and V.data_ptr() != dae.encoder[l].weight.data_ptr()


def test_linear_rbm_free_energy_matches_numerical_integral():
    torch.manual_seed(0)
    rbm = LinearRBM(3, 1, init_std=0.5)
    with torch.no_grad():
        rbm.a.fill_(0.3)
        rbm.b.copy_(torch.tensor([0.1, -0.2, 0.4]))
    vs = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    h = torch.linspace(-15, 15, 20001)  # F(v) = -log int exp(-E(v, h)) dh, E = -v'Wh - b'v - ah + h^2/2
    dh = float(h[1] - h[0])
    F_num = []
    for v in vs.detach():
        with torch.no_grad():
            E = -(v @ rbm.W)[0] * h - v @ rbm.b - rbm.a[0] * h + h ** 2 / 2
        F_num.append(-math.log(float(torch.exp(-E).sum()) * dh))
    F_num = torch.tensor(F_num)
    F_ours = rbm.free_energy(vs).detach()
    const = float(F_num[0] - F_ours[0])  # F is defined up to the constant -log sqrt(2 pi)
    assert abs(const + 0.5 * math.log(2 * math.pi)) < 1e-3
    assert torch.allclose(F_ours + const, F_num, atol=1e-3)
    with pytest.raises(ValueError, match="linear"):
        rbm.log_partition()


def test_deep_autoencoder_fit_and_two_d_code(digits_train, digits_test):
    X, _ = digits_train
    Xt, _ = digits_test
    dae = DeepAutoencoder(64, hidden=[64, 32], code=2, pretrain_epochs=5).fit(X, epochs=20, lr=3e-3, seed=0,
                                                                              progress=False)
    codes = dae.transform(Xt)
    assert codes.shape == (len(Xt), 2)
    mean_err = float(((Xt - X.mean(0)) ** 2).sum(1).mean())
    assert dae.evaluate(Xt)["squared_error"] < 0.85 * mean_err  # the 2-D code carries information


def test_vae_elbo_matches_monte_carlo():
    torch.manual_seed(0)
    vae = VAE(6, hidden=[8], latent=2)
    x = torch.rand(3, 6)
    with torch.no_grad():
        mu, logvar = vae.encode(x)
        std = (0.5 * logvar).exp()
        q = torch.distributions.Normal(mu, std)
        p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(std))
        # the closed-form KL against torch.distributions
        kl_ours = 0.5 * (mu ** 2 + logvar.exp() - logvar - 1).sum(1)
        assert torch.allclose(kl_ours, torch.distributions.kl_divergence(q, p).sum(1), atol=1e-5)
        # Monte Carlo: mean over z ~ q (grey x: the Bernoulli log-probability extended to [0, 1]) of log p(x|z) + log p(z) - log q(z|x)
        z = q.sample((20000,))  # (S, N, K)
        lik = torch.distributions.Bernoulli(logits=vae.decode_logits(z), validate_args=False).log_prob(x).sum(-1)
        mc = (lik + p.log_prob(z).sum(-1) - q.log_prob(z).sum(-1)).mean(0)
        ours = vae.elbo(x, n_samples=2000, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(ours, mc, atol=0.05), (ours, mc)


def test_vae_trains_samples_and_traverses(digits_train, digits_test):
    X, _ = digits_train
    Xt, _ = digits_test
    vae = VAE(64, hidden=[64], latent=2)
    with torch.no_grad():
        before = float(vae.elbo(Xt).mean())
    vae.fit(X, epochs=10, lr=3e-3, seed=0, progress=False)
    after = vae.evaluate(Xt)["elbo"]
    assert after > before + 5
    g = torch.Generator().manual_seed(0)
    s1 = vae.sample(5, generator=g)
    assert s1.shape == (5, 64) and torch.equal(s1, vae.sample(5, generator=torch.Generator().manual_seed(0)))
    t = vae.traverse(Xt[:1], dim=1, steps=7)
    assert t.shape == (7, 64) and not torch.allclose(t[0], t[-1])
    with pytest.raises(ValueError, match=r"dim must lie in \[0, 1\], got 2"):
        vae.traverse(Xt[:1], dim=2)


def test_hamming_and_retrieval_against_brute_force(digits_train):
    A = (torch.rand(7, 5) < 0.5).to(torch.uint8)
    B = (torch.rand(4, 5) < 0.5).to(torch.uint8)
    brute = torch.tensor([[int((a != b).sum()) for b in B] for a in A])
    assert torch.equal(hamming(A, B), brute)
    X, y = digits_train
    X, y = X[:300], y[:300]
    sh = SemanticHashing(64, hidden=[32], code=8, pretrain_epochs=2).fit(X, epochs=5, seed=0, progress=False)
    codes = sh.hash(X)
    assert set(codes.unique().tolist()) <= {0, 1}
    r = 1
    precisions, recalls, counts = [], [], []
    for i in range(len(X)):
        ret = [j for j in range(len(X)) if j != i and int((codes[i] != codes[j]).sum()) <= r]
        rel = [j for j in range(len(X)) if j != i and y[j] == y[i]]
        good = [j for j in ret if y[j] == y[i]]
        counts.append(len(ret))
        if ret:
            precisions.append(len(good) / len(ret))
        recalls.append(len(good) / max(len(rel), 1))
    m = sh.retrieval_metrics(X, y, radius=r)
    assert m["precision"] == pytest.approx(sum(precisions) / len(precisions), abs=1e-5)
    assert m["recall"] == pytest.approx(sum(recalls) / len(recalls), abs=1e-5)
    assert m["retrieved"] == pytest.approx(sum(counts) / len(counts), abs=1e-4)
    assert all(int((codes[0] != codes[j]).sum()) <= r for j in sh.retrieve(X[:1], X, radius=r)[0])


def test_greedy_autoencoders_take_the_common_train_options_val_data_and_overwrite(digits_train, digits_test,
                                                                                  tmp_path):
    X, y = digits_train[0][:300], digits_train[1][:300]
    Xt, yt = digits_test[0][:100], digits_test[1][:100]
    opts = dict(epochs=2, batch_size=50, lr=3e-3, optimizer="adam", seed=1, device="cpu", progress=False)
    dae = DeepAutoencoder(64, hidden=[16], code=4, pretrain_epochs=1).fit(X, out=tmp_path / "dae",
                                                                          val_data=(Xt, None), **opts)
    assert isinstance(dae.history_, History) and len(dae.history_.column("loss")) == 4
    assert dae.history_.column("stage") == ["rbm1", "rbm2", "finetune", "finetune"]
    assert dae.history_[-1]["val_squared_error"] == pytest.approx(dae.evaluate(Xt)["squared_error"], rel=1e-5)
    sae = StackedAutoencoder(64, 10, hidden=[16, 8], noise=0.0, pretrain_epochs=1).fit(
        X, y, out=tmp_path / "sae", val_data=(Xt, yt), **opts)
    assert isinstance(sae.history_, History) and len(sae.history_.column("loss")) == 4
    assert sae.history_[-1]["val_acc"] == pytest.approx(sae.score(Xt, yt))
    with pytest.raises(ValueError, match="val_data is the fine-tuning's: expected labels y"):
        StackedAutoencoder(64, 10, hidden=[16, 8], noise=0.0).fit(X, val_data=(Xt, yt), **opts)
    for model, run, labels in ((DeepAutoencoder(64, hidden=[16], code=4, pretrain_epochs=1), "dae", None),
                               (StackedAutoencoder(64, 10, hidden=[16, 8], noise=0.0, pretrain_epochs=1), "sae", y)):
        with pytest.raises(RunExistsError, match="already holds a run"):
            model.fit(X, labels, out=tmp_path / run, **opts)
        model.fit(X, labels, out=tmp_path / run, overwrite=True, **{**opts, "epochs": 1})
        rows = [json.loads(line) for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]
        assert [r["step"] for r in rows] == [1, 2, 3]


def test_greedy_autoencoders_warm_start_goes_on_with_the_final_stage(digits_train):
    X, y = digits_train[0][:300], digits_train[1][:300]
    opts = dict(epochs=1, batch_size=50, progress=False)
    dae = DeepAutoencoder(64, hidden=[16], code=4, pretrain_epochs=1).fit(X, **opts)
    before = copy.deepcopy(dae)
    dae.make_rbms = None  # no RBM stack is built: no pretraining
    dae.fit(X, warm_start=True, **opts)
    assert dae.history_.column("stage") == ["finetune"] and isinstance(dae.history_, History)
    fit_stage(before, X, before.train_config(**opts), stage="finetune")  # the oracle: one more fine-tuning
    assert all(torch.equal(a, b) for a, b in zip(dae.state_dict().values(), before.state_dict().values()))
    sae = StackedAutoencoder(64, 10, hidden=[16, 8], noise=0.0, pretrain_epochs=1).fit(X, y, **opts)
    before = copy.deepcopy(sae)
    sae.fit(X, y, warm_start=True, **opts)
    assert sae.history_.column("stage") == ["finetune"]
    fit_stage(before, (X, y), before.train_config(**opts), stage="finetune")
    assert all(torch.equal(a, b) for a, b in zip(sae.state_dict().values(), before.state_dict().values()))
    # without labels the final stage is the top layer's autoencoder; the layers below stay
    first = copy.deepcopy(sae.layers[0].state_dict())
    sae.fit(X, warm_start=True, **opts)
    assert sae.history_.column("stage") == ["layer2"]
    assert all(torch.equal(v, sae.layers[0].state_dict()[k]) for k, v in first.items())


def test_semantic_hashing_loss_is_the_autoencoders_through_a_noisy_logistic_code():
    torch.manual_seed(0)
    x = torch.rand(5, 12)
    sh = SemanticHashing(12, hidden=[8], code=4, code_noise=2.0, sparsity="l1", sparsity_cost=0.5)
    torch.manual_seed(1)
    ours = sh.loss((x,))
    torch.manual_seed(1)
    pre = sh._code_pre(x)
    y = torch.sigmoid(pre + 2.0 * torch.randn_like(pre))  # y = sigmoid(W^T h + a + s eps)
    z = torch.sigmoid(sh.decode_logits(y))
    hand = -(x * torch.log(z) + (1 - x) * torch.log(1 - z)).sum(1).mean() + 0.5 * y.abs().sum(1).mean()
    assert torch.allclose(ours, hand, atol=1e-4)
    # a corrupted input draws its mask first, from the same stream
    dsh = SemanticHashing(12, hidden=[8], code=4, corruption="mask", noise=0.5)
    torch.manual_seed(2)
    ours = dsh.loss((x,))
    torch.manual_seed(2)
    xc = dsh.corrupt(x)
    pre = dsh._code_pre(xc)
    y = torch.sigmoid(pre + 4.0 * torch.randn_like(pre))
    assert torch.allclose(ours, dsh.reconstruction_loss(x, dsh.decode_logits(y)), atol=1e-6)
