"""RBM and GaussianRBM against oracles: brute-force sums, the analytic CD rule, scikit-learn."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch

import neuralzoo as nz
from neuralzoo import datasets, runs
from neuralzoo.config import ConfigError, hyperparameters
from neuralzoo.models.rbm import LabelRBM, LinearRBM, ScaledRBM
from neuralzoo.models.rbm.bernoulli import RBM
from neuralzoo.models.rbm.gaussian import GaussianRBM
from neuralzoo.train import checkpoint


def states(n: int, dtype=torch.float32) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=dtype)


@pytest.fixture(scope="module")
def digits():
    X, _ = datasets.load("digits", binarize="threshold")
    X_test, _ = datasets.load("digits", "test", binarize="threshold")
    return X, X_test


def random_model(D=6, H=4, seed=0, **kw) -> RBM:
    torch.manual_seed(seed)
    rbm = RBM(D, H, **kw)
    with torch.no_grad():
        rbm.W.normal_(0, 1.0)
        rbm.b.normal_()
        rbm.a.normal_()
        if rbm.centering:
            rbm.mu.uniform_(0.2, 0.8)
            rbm.lam.uniform_(0.2, 0.8)
    rbm._fitted = True  # parameters given by hand
    return rbm.double()


def test_conditionals_and_free_energy_follow_from_the_energy():
    rbm = random_model()
    V, Hs = states(6, torch.float64), states(4, torch.float64)
    E = torch.stack([rbm.energy(V, h.expand(64, 4)) for h in Hs], 1)  # (64, 16)
    assert torch.allclose(rbm.free_energy(V), -torch.logsumexp(-E, 1), atol=1e-10)
    post = torch.softmax(-E, 1)  # p(h | v)
    assert torch.allclose(rbm.p_h_given_v(V), post @ Hs, atol=1e-10)
    cond_v = torch.softmax(-E.T, 1)  # p(v | h)
    assert torch.allclose(rbm.p_v_given_h(Hs), cond_v @ V, atol=1e-10)
    # log p(v) normalises; log Z from enumeration matches brute force
    assert float(torch.logsumexp(rbm.log_likelihood(V), 0)) == pytest.approx(0.0, abs=1e-10)
    assert float(rbm.log_partition()) == pytest.approx(float(torch.logsumexp(-E.detach().flatten(), 0)), abs=1e-10)


def test_centered_energy_is_the_ordinary_one_plus_a_constant():
    rbm = random_model(centering=True)
    W, b2, a2 = rbm.ordinary_parameters()
    V, Hs = states(6, torch.float64), states(4, torch.float64)
    Vv, Hh = V.repeat_interleave(16, 0), Hs.repeat(64, 1)
    diff = (rbm.energy(Vv, Hh) - (-((Vv @ W) * Hh).sum(1) - Vv @ b2 - Hh @ a2)).detach()
    assert float(diff.max() - diff.min()) < 1e-10
    const = float((rbm.b @ rbm.mu + rbm.a @ rbm.lam - rbm.mu @ rbm.W @ rbm.lam).detach())
    assert float(diff[0]) == pytest.approx(const, abs=1e-10)
    # moving the offsets re-sets b, a: the distribution (the ordinary parameters) is unchanged
    before = [t.detach().clone() for t in rbm.ordinary_parameters()]
    rbm._update_offsets(V[:10])
    assert all(torch.allclose(x, y, atol=1e-12) for x, y in zip(before, rbm.ordinary_parameters()))
    assert float(torch.logsumexp(rbm.log_likelihood(V), 0)) == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize("centering", [False, True])
def test_surrogate_gradient_is_the_cd_rule(monkeypatch, centering):
    rbm = random_model(centering=centering, method="pcd")
    rbm.offset_rate = 0.0  # keep the offsets fixed for the comparison
    g = torch.Generator().manual_seed(1)
    v0 = (torch.rand(8, 6, generator=g) < 0.5).double()
    vm = (torch.rand(5, 6, generator=g) < 0.5).double()
    monkeypatch.setattr(rbm, "_negative_samples", lambda *args: vm)
    monkeypatch.setattr(rbm, "_fused", lambda: False)  # the autograd route; the fused one is compared below
    rbm.loss((v0,)).backward()
    mu, lam = rbm.mu, rbm.lam
    p0, pm = rbm.p_h_given_v(v0).detach(), rbm.p_h_given_v(vm).detach()
    dW = (v0 - mu).T @ (p0 - lam) / 8 - (vm - mu).T @ (pm - lam) / 5  # Melchior et al.; mu = lam = 0: plain CD
    assert torch.allclose(-rbm.W.grad, dW, atol=1e-10)
    assert torch.allclose(-rbm.b.grad, v0.mean(0) - vm.mean(0), atol=1e-10)
    assert torch.allclose(-rbm.a.grad, p0.mean(0) - pm.mean(0), atol=1e-10)


@pytest.mark.parametrize("method,k", [("cd", 1), ("cd", 3), ("pcd", 1), ("pcd", 2)])
def test_fused_route_equals_the_autograd_surrogate(monkeypatch, method, k):
    # the fused CD/PCD loss against the generic one (autograd through mean F(v) - mean F(v')):
    # the same random numbers give the same samples, value, gradients and chains
    fused = random_model(D=7, H=5, method=method, k=k, n_chains=6)
    generic = random_model(D=7, H=5, method=method, k=k, n_chains=6)
    assert fused._fused()
    monkeypatch.setattr(generic, "_fused", lambda: False)
    v0 = (torch.rand(4, 7, generator=torch.Generator().manual_seed(1)) < 0.5).double()
    for rbm in (fused, generic):
        torch.manual_seed(2)
        rbm.loss((v0,)).backward()
        rbm.value = float(rbm.loss((v0,)).detach())  # a second update: the PCD chains have moved on
    assert fused.value == pytest.approx(generic.value, abs=1e-12)
    for p, q in zip(fused.parameters(), generic.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-12)
    assert torch.equal(fused.chains, generic.chains)
    # the gradient scales with the incoming one (g != 1), and is computed only where asked
    rbm = random_model(D=7, H=5, method="cd", k=k)
    rbm.b.requires_grad_(False)
    grads = []
    for scale in (1.0, 2.5):
        rbm.zero_grad(set_to_none=True)
        torch.manual_seed(3)
        (scale * rbm.loss((v0,))).backward()
        assert rbm.b.grad is None
        grads.append((rbm.W.grad, rbm.a.grad))
    assert torch.allclose(grads[1][0], 2.5 * grads[0][0], atol=1e-12)
    assert torch.allclose(grads[1][1], 2.5 * grads[0][1], atol=1e-12)


@pytest.mark.parametrize("fused", [True, False])
def test_dynamic_binarization_draws_each_batch_afresh_from_the_grey_levels(monkeypatch, fused):
    # the loss on grey levels x equals the plain model's loss on v ~ Bernoulli(x) drawn from the
    # same random numbers (one uniform per pixel, v = [u < x]); each call draws a new v
    dynamic = random_model(D=7, H=5, dynamic_binarization=True)
    plain = random_model(D=7, H=5)
    if not fused:
        for rbm in (dynamic, plain):
            monkeypatch.setattr(rbm, "_fused", lambda: False)
    x = torch.rand(40, 7, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    torch.manual_seed(2)
    value = float(dynamic.loss((x,)).detach())
    torch.manual_seed(2)
    v = (torch.rand(40, 7, dtype=torch.float64) < x).double()
    assert value == pytest.approx(float(plain.loss((v,)).detach()), abs=1e-12)
    assert float(dynamic.loss((x,)).detach()) != pytest.approx(value, abs=1e-6)  # a new draw, a new value
    # the flag is a hyperparameter: in hparams (hence checkpoints), the config and the repr
    assert RBM(**dynamic.hparams).dynamic_binarization and "dynamic binarization" in repr(dynamic)
    assert runs.build_for_data("rbm", {"dynamic_binarization": True}, 7, 0).dynamic_binarization


def test_fused_route_is_taken_only_for_plain_cd_and_pcd():
    assert RBM(6, 4)._fused() and RBM(6, 4, method="pcd")._fused()
    assert not RBM(6, 4, method="pt")._fused() and not RBM(6, 4, centering=True)._fused()
    assert not RBM(6, 4, sparsity_target=0.1, sparsity_cost=1.0)._fused()
    assert not GaussianRBM(6, 4)._fused()


def test_trained_rbm_beats_the_base_rate_model(digits):
    X, X_test = digits
    rbm = RBM(64, 16, method="pcd").fit(X, epochs=10, batch_size=20, lr=0.1, seed=0, progress=False)
    p = X.mean(0).clamp(1e-3, 1 - 1e-3)
    base = float((X_test * p.log() + (1 - X_test) * (1 - p).log()).sum(1).mean())
    ll = float(rbm.log_likelihood(X_test).mean())
    assert ll > base + 3.0
    h = rbm.history_
    assert {"reconstruction_error", "nll"} <= set(h.last)
    assert h.column("nll")[-1] < h.column("nll")[0]
    ev = rbm.evaluate(X_test)
    assert set(ev) == {"pseudo_log_likelihood", "reconstruction_error", "log_likelihood"}
    assert ev["log_likelihood"] == pytest.approx(ll, abs=1e-6)
    assert -math.log(2) < ev["pseudo_log_likelihood"] < 0  # per feature: better than a coin


def test_pseudo_likelihood_is_per_feature_and_matches_its_definition():
    rbm = random_model(D=5, H=3)
    V = states(5, torch.float64)
    logp = rbm.log_likelihood(V)
    full = rbm.pseudo_likelihood(V, full=True)
    for n in (0, 7, 19):  # log p(v_i | v_-i) from the exact joint, averaged over i
        terms = []
        for i in range(5):
            w = V[n].clone()
            w[i] = 1 - w[i]
            j = int((w * 2 ** torch.arange(4, -1, -1)).sum())
            terms.append(float(logp[n] - torch.logaddexp(logp[n], logp[j])))
        assert float(full[n]) == pytest.approx(sum(terms) / 5, abs=1e-10)
    one = rbm.pseudo_likelihood(V.repeat(200, 1), generator=torch.Generator().manual_seed(0))
    assert float(one.mean()) == pytest.approx(float(full.mean()), abs=0.02)


def test_pcd_chains_persist_and_survive_checkpoint_resume(tmp_path, digits):
    X, _ = digits
    X = X[:400]
    rbm = RBM(64, 8, method="pcd", n_chains=20)
    rbm.fit(X, epochs=1, batch_size=100, seed=0, progress=False)
    after_one = rbm.chains.clone()
    rbm.fit(X, epochs=1, batch_size=100, seed=0, progress=False, warm_start=True)
    assert not torch.equal(rbm.chains, after_one)  # the chains continue across batches and fits
    # stop after 1 epoch, resume to 3, compare with 3 epochs straight
    straight = RBM(64, 8, method="pcd", n_chains=20).fit(X, epochs=3, seed=0, progress=False)
    part = RBM(64, 8, method="pcd", n_chains=20).fit(X, epochs=1, seed=0, progress=False, out=tmp_path)
    back = RBM(64, 8, method="pcd", n_chains=20)
    checkpoint.load_weights(back, tmp_path / checkpoint.WEIGHTS)
    assert torch.equal(back.chains, part.chains) and torch.equal(back.mu, part.mu)
    resumed = RBM(64, 8, method="pcd", n_chains=20).fit(X, epochs=3, seed=0, progress=False,
                                                        out=tmp_path, resume=True)
    assert torch.equal(resumed.chains, straight.chains)
    assert torch.allclose(resumed.W, straight.W)


def test_gibbs_step_schedule_raises_k_per_epoch_and_after_resume(tmp_path, digits):
    from neuralzoo.models.rbm.monitor import GibbsStepSchedule

    X = digits[0][:200]
    rbm = RBM(64, 8, k=1)
    rbm.fit(X, epochs=5, seed=0, progress=False, callbacks=[GibbsStepSchedule(rbm, 1, 9, 5)], out=tmp_path / "a")
    lines = (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()
    ks = [json.loads(line)["k"] for line in lines]
    assert ks == [1, 3, 5, 7, 9]
    part = RBM(64, 8, k=1)
    part.fit(X, epochs=2, seed=0, progress=False, callbacks=[GibbsStepSchedule(part, 1, 9, 5)], out=tmp_path / "b")
    resumed = RBM(64, 8, k=1)
    resumed.fit(X, epochs=5, seed=0, progress=False, callbacks=[GibbsStepSchedule(resumed, 1, 9, 5)],
                out=tmp_path / "b", resume=True)
    assert torch.allclose(resumed.W, rbm.W)  # the resumed run picked up k = 5 at its third epoch
    with pytest.raises(ValueError, match="1 <= start <= end"):
        GibbsStepSchedule(rbm, 5, 2, 10)


def test_parallel_tempering_trains(digits):
    X, X_test = digits
    rbm = RBM(64, 12, method="pt", n_temperatures=4, n_chains=20).fit(X, epochs=8, batch_size=20, lr=0.1,
                                                                          seed=0, progress=False)
    assert rbm.chains.shape == (4, 20, 64)
    assert torch.allclose(rbm.betas, torch.tensor([1.0, 2 / 3, 1 / 3, 0.0]))
    base = RBM(64, 12).fit(X, epochs=1, lr=1e-9, seed=0, progress=False)  # ~ the base-rate model
    assert float(rbm.log_likelihood(X_test).mean()) > float(base.log_likelihood(X_test).mean()) + 3.0


def test_at_least_as_good_as_sklearn_bernoulli_rbm(digits):
    from sklearn.neural_network import BernoulliRBM

    X, X_test = digits
    epochs, lr, bs, H = 10, 0.05, 10, 32
    sk = BernoulliRBM(n_components=H, learning_rate=lr, batch_size=bs, n_iter=epochs, random_state=0)
    sk.fit(X.numpy())
    ours = RBM(64, H, method="pcd").fit(X, epochs=epochs, lr=lr, batch_size=bs, momentum=0.0, seed=0,
                                        progress=False)
    twin = RBM(64, H)  # sklearn's weights in our model: the same (full) pseudo-likelihood for both
    with torch.no_grad():
        twin.W.copy_(torch.as_tensor(sk.components_.T))
        twin.b.copy_(torch.as_tensor(sk.intercept_visible_))
        twin.a.copy_(torch.as_tensor(sk.intercept_hidden_))
    ours_pl = float(ours.pseudo_likelihood(X_test, full=True).mean())
    sk_pl = float(twin.pseudo_likelihood(X_test, full=True).mean())
    assert ours_pl >= sk_pl - 0.002, (ours_pl, sk_pl)
    # sklearn's score_samples is the one-bit estimate times n_features: ours is per feature
    assert float(sk.score_samples(X_test.numpy()).mean()) / 64 == pytest.approx(sk_pl, abs=0.05)


def test_sampling_is_seeded_and_transform_shapes(digits):
    X, _ = digits
    rbm = RBM(64, 10).fit(X[:200], epochs=1, seed=0, progress=False)
    s1 = rbm.sample(5, steps=20, generator=torch.Generator().manual_seed(3))
    s2 = rbm.sample(5, steps=20, generator=torch.Generator().manual_seed(3))
    assert torch.equal(s1, s2) and s1.shape == (5, 64)
    assert rbm.sample(3, steps=2, from_data=X[:2]).shape == (3, 64)
    assert rbm.transform(X[:4]).shape == (4, 10) and rbm.reconstruct(X[:4]).shape == (4, 64)
    assert isinstance(rbm.free_energy_gap(X[:100], X[100:200]), float)
    rebuilt = RBM(**rbm.hparams)
    rebuilt.load_state_dict(rbm.state_dict())
    assert torch.equal(rebuilt.transform(X[:4]), rbm.transform(X[:4]))
    built = runs.build_for_data("rbm", {"n_hidden": 7, "method": "pcd"}, 64, 10)  # as the CLI builds it
    assert built.hparams["n_hidden"] == 7 and built.n_features == built.n_visible == 64


def test_sparsity_lowers_the_mean_activation(digits):
    X, _ = digits
    plain = RBM(64, 16).fit(X, epochs=5, seed=0, progress=False)
    sparse = RBM(64, 16, sparsity_target=0.05, sparsity_cost=1.0).fit(X, epochs=5, seed=0, progress=False)
    assert float(sparse.transform(X).mean()) < float(plain.transform(X).mean()) - 0.05


def test_validation_history_has_free_energy_gap(digits):
    X, X_test = digits
    rbm = RBM(64, 30).fit(X, epochs=2, seed=0, progress=False, val_data=(X_test, None))
    assert {"val_free_energy", "free_energy_gap", "reconstruction_error"} <= set(rbm.history_.last)


def _random_rbm(cls, D: int, H: int, seed: int = 0):
    torch.manual_seed(seed)
    rbm = cls(D, H)
    with torch.no_grad():
        rbm.W.normal_(0, 0.3)
        rbm.b.normal_(0, 0.5)
        rbm.a.normal_(0, 0.5)
    rbm._fitted = True  # parameters given by hand
    return rbm


@pytest.mark.parametrize("cls", [RBM, GaussianRBM])
def test_sample_and_log_likelihood_take_their_options_by_keyword(cls):
    rbm = _random_rbm(cls, 6, 4)
    G = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    assert torch.equal(rbm.sample(5, steps=7, generator=3), rbm.sample(5, steps=7, generator=G(3)))
    assert torch.equal(rbm.sample(4, generator=2), rbm.sample(4, steps=1000, generator=G(2)))  # default 1000
    rows = torch.tensor([[1.0, 0, 1, 0, 0, 1], [0, 0, 1, 1, 0, 0]])
    assert torch.equal(rbm.sample(3, steps=2, generator=1, from_data=rows),
                       rbm.sample(3, steps=2, generator=G(1), from_data=rows))
    assert torch.equal(rbm.log_likelihood(rows, method="exact"), rbm.log_likelihood(rows))
    assert torch.equal(rbm.log_likelihood(rows, log_z=rbm.log_partition("exact")), rbm.log_likelihood(rows))
    with pytest.raises(TypeError):
        rbm.sample(5, 7)  # steps is keyword-only
    with pytest.raises(TypeError):
        rbm.sample(5, steps=7, seed=0)
    with pytest.raises(TypeError):
        rbm.log_likelihood(rows, "exact")  # method is keyword-only
    with pytest.raises(TypeError, match="generator: expected a torch.Generator, an int seed or None, got str"):
        rbm.sample(2, steps=1, generator="3")


def test_the_methods_that_draw_take_an_int_seed_as_its_generator():
    rbm = _random_rbm(RBM, 120, 5)  # D > 100: evaluate draws one flipped bit per row
    X = (torch.rand(30, 120, generator=torch.Generator().manual_seed(0)) < 0.4).float()
    G = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    assert torch.equal(rbm.pseudo_likelihood(X, generator=4), rbm.pseudo_likelihood(X, generator=G(4)))
    assert torch.equal(rbm.pseudo_likelihood(X), rbm.pseudo_likelihood(X, generator=0))  # default seed 0
    assert rbm.evaluate(X) == rbm.evaluate(X, generator=0) == rbm.evaluate(X, generator=G(0))
    assert rbm.evaluate(X, generator=5) == rbm.evaluate(X, generator=G(5))
    with pytest.raises(TypeError):
        rbm.evaluate(X, None, 0)
    small = _random_rbm(RBM, 8, 4)
    run = {"betas": torch.linspace(0, 1, 20, dtype=torch.float64), "n_runs": 3, "reverse": True, "reverse_steps": 5}
    assert small.ais(**run, generator=6).log_z == small.ais(**run, generator=G(6)).log_z
    ll = small.log_likelihood(X[:4, :8], method="ais", generator=6, **run)
    assert torch.equal(ll, small.log_likelihood(X[:4, :8], method="ais", generator=G(6), **run))


def test_bad_input_is_refused():
    rbm = RBM(20, 5)
    X = torch.rand(6, 20)
    X[3, 17] = 12.0
    X[4, 2] = -1.0
    with pytest.raises(ValueError, match=r"X must lie in \[0, 1\] for Bernoulli visible units: got 2 values "
                                         r"outside, first at row 3, column 17"):
        rbm.fit(X, epochs=1, progress=False)
    rbm._fitted = True  # (its methods check their input once it is fitted)
    with pytest.raises(ValueError, match="expected 20, got 21"):
        rbm.transform(torch.rand(3, 21))
    X = torch.rand(3, 20)
    X[1, 1] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        rbm.log_likelihood(X)
    with pytest.raises(ValueError, match="method"):
        RBM(20, 5, method="bogus")
    with pytest.raises(ValueError, match=r"2\^40 states"):
        RBM(40, 50).log_partition("exact")


@pytest.mark.parametrize("value,where", [(1.0 + 1e-6, (0, 3)), (-1e-6, (4, 19)), (float("inf"), (2, 0))])
def test_fit_refuses_any_value_outside_the_unit_interval(value, where):
    # fit checks [0, 1] by one min/max pass and names the values only when it fails: the edges
    # 0 and 1 are accepted, anything past them is refused with its position (inf as non-finite)
    X = torch.rand(5, 20)
    X[0, 0], X[1, 1] = 0.0, 1.0
    RBM(20, 3).fit(X, epochs=1, progress=False)
    X[where] = value
    match = "finite" if value == float("inf") else rf"got 1 values outside, first at row {where[0]}, column {where[1]}"
    with pytest.raises(ValueError, match=match):
        RBM(20, 3).fit(X, epochs=1, progress=False)


def test_gaussian_rbm_recovers_the_data_variance():
    g = torch.Generator().manual_seed(0)
    s = torch.tensor([0.5, 1.0, 2.0, 0.7])
    X = torch.randn(3000, 4, generator=g) * s + torch.tensor([1.0, -1.0, 0.0, 3.0])
    rbm = GaussianRBM(4, 2, learn_sigma=True, standardize=False).fit(X, epochs=20, lr=0.05, batch_size=100, seed=0, progress=False)
    assert torch.allclose(rbm.sigma2.detach(), s**2, rtol=0.12)
    # exact log-likelihood of independent Gaussians: -sum(log(2 pi e s^2)) / 2
    true_ll = -0.5 * float(torch.log(2 * math.pi * math.e * s**2).sum())
    assert float(rbm.log_likelihood(X).mean()) == pytest.approx(true_ll, abs=0.05)
    std = GaussianRBM(4, 2, learn_sigma=True).fit(X, epochs=5, lr=0.05, batch_size=100, seed=0, progress=False)
    samples = std.sample(2000, steps=50, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(samples.var(0), s**2, rtol=0.15)
    with pytest.raises(ValueError, match="binary visible"):
        std.pseudo_likelihood(X)


# -- the constructor is the one declaration of the hyperparameters ----------------------------


@pytest.mark.parametrize("cls,sizes", [(RBM, (6, 4)), (GaussianRBM, (6, 4)), (LinearRBM, (6, 4)),
                                       (LabelRBM, (6, 3, 4)), (ScaledRBM, (6, 4))])
def test_get_params_round_trips_and_every_hyperparameter_is_documented(cls, sizes):
    options = {"up": 2.0} if cls is ScaledRBM else {"init_std": 0.1} if cls is GaussianRBM else {"k": 3}
    m = cls(*sizes, **options)
    params = m.get_params()
    assert type(m)(**params).get_params() == params == m.hparams
    assert all(params[k] == v for k, v in options.items())
    docs = {k: p.doc for k, p in hyperparameters(cls).items()}
    assert "n_hidden" in docs and all(docs.values()), docs
    shapes = {k: v.shape for k, v in m.state_dict().items()}
    assert {k: v.shape for k, v in type(m)(**params).state_dict().items()} == shapes


def test_signature_data_size_first_n_hidden_positional_with_the_old_config_default():
    assert RBM(64).n_hidden == GaussianRBM(64).n_hidden == 100  # the old Config default
    assert RBM(64, 16).get_params() == RBM(n_features=64, n_hidden=16).get_params()
    assert RBM.sizes_from_data(64, 10) == {"n_features": 64}
    assert LabelRBM.sizes_from_data(64, 10) == {"n_features": 64, "n_classes": 10}
    top = LabelRBM(5, 3, 4)  # P = 5 features beside C = 3 labels: 8 visible units
    assert (top.n_features, top.n_classes, top.n_visible, top.W.shape) == (5, 3, 8, (8, 4))
    assert (top.n_pen, top.n_labels) == (5, 3)
    with pytest.raises(TypeError):
        RBM(64, 16, "pcd")  # hyperparameters are keyword-only
    with pytest.raises(ValueError, match="expected n_features >= 1 and n_hidden >= 1, got 0 and 4"):
        RBM(0, 4)
    with pytest.raises(ValueError, match="expected n_features >= 1 and n_classes >= 2, got 5 and 1"):
        LabelRBM(5, 1, 4)


def test_fit_overrides_of_method_and_k_are_what_get_params_reports(digits):
    rbm = RBM(64, 8).fit(digits[0][:100], epochs=1, method="pcd", k=2, seed=0, progress=False)
    assert rbm.get_params()["method"] == "pcd" and rbm.get_params()["k"] == 2


def test_cli_keys_and_types_come_from_the_signature(run_cli):
    for name, cls in (("rbm", RBM), ("gaussian-rbm", GaussianRBM)):
        code, out, _ = run_cli("train", name, "--help")
        assert code == 0
        for key in hyperparameters(cls):
            assert key in out, (name, key)
    assert "n_features" not in hyperparameters(RBM)  # the data fixes it
    given = {"n_hidden": 16, "sparsity_target": 0.1}
    assert runs.model_config("rbm", given) == given
    with pytest.raises(ConfigError, match="model.n_hidden: expected int, got str '16'"):
        runs.model_config("rbm", {"n_hidden": "16"})
    with pytest.raises(ConfigError, match="unknown key model.n_temperatures: expected one of n_hidden, "):
        runs.model_config("gaussian-rbm", {"n_temperatures": 4})


@pytest.mark.parametrize("name", ["rbm", "gaussian-rbm"])
def test_a_run_folder_of_neuralzoo_0_1_loads(tmp_path, digits, name):
    # config.json as 0.1 wrote it: no "format", the old argument name n_visible
    X = digits[0][:200]
    cls = RBM if name == "rbm" else GaussianRBM
    old = {"n_visible": 64, "n_hidden": 8, "method": "pcd", "k": 1, "n_chains": 100, "init_std": 0.01}
    if name == "rbm":
        old.update(n_temperatures=10, sparsity_target=None, sparsity_cost=0.0, centering=False,
                   dynamic_binarization=False)
    else:
        old.update(learn_sigma=True, standardize=True)
    trained = cls(64, 8, **{k: v for k, v in old.items() if k not in ("n_visible", "n_hidden")})
    trained.fit(X, epochs=1, seed=0, progress=False)
    checkpoint.save_weights(trained, tmp_path / checkpoint.WEIGHTS)
    (tmp_path / "config.json").write_text(json.dumps({"model": name, "hparams": old}))
    loaded = nz.load(tmp_path)
    assert type(loaded) is cls and loaded.get_params() == trained.get_params()
    assert torch.equal(loaded.transform(X), trained.transform(X))
    assert torch.equal(loaded.free_energy(X), trained.free_energy(X))


def test_small_linear_rbm_trains_without_asking_for_log_z(digits):
    # linear hidden units have no log Z: the per-epoch metrics skip the exact nll even when H <= 16
    lin = LinearRBM(64, 10).fit(digits[0][:100], epochs=1, seed=0, progress=False)
    assert "nll" not in lin.history_.last and "reconstruction_error" in lin.history_.last
