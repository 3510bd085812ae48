"""DBN against oracles: the lecture's joint probability sums to one, the MLP conversion keeps
the upward pass, the label units' free-energy classifier equals brute force; stages, samples, errors."""

from __future__ import annotations

import copy
import inspect
import itertools
import json

import pytest
import torch
import torch.nn.functional as F

import neuralzoo as nz
from neuralzoo import datasets, runs
from neuralzoo.config import ConfigError, hyperparameters
from neuralzoo.models import NotFittedError
from neuralzoo.models.dbn.model import DBN
from neuralzoo.models.dbn.updown import UpDown
from neuralzoo.models.rbm.bernoulli import RBM
from neuralzoo.models.rbm.monitor import EpochMetrics
from neuralzoo.train import History, RunExistsError
from neuralzoo.train import checkpoint as ckpt
from neuralzoo.train.stages import fit_stage


def states(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def random_dbn(sizes, n_classes=0, labels=False, seed=0) -> DBN:
    torch.manual_seed(seed)
    dbn = DBN(sizes[0], n_classes, hidden=sizes[1:], labels=labels).double()
    with torch.no_grad():
        for p in dbn.parameters():
            p.normal_(0, 0.8)
    dbn.phase.fill_(1)
    dbn._fitted = True
    return dbn


@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load("digits")
    X_test, y_test = datasets.load("digits", "test")
    return X, y, X_test, y_test


@pytest.mark.parametrize("labels", [False, True])
def test_joint_probability_of_the_lecture_sums_to_one(labels):
    dbn = random_dbn([4, 3, 2, 2], n_classes=2 if labels else 0, labels=labels)
    v, h1, h2, h3 = states(4), states(3), states(2), states(2)
    grid = torch.cartesian_prod(*[torch.arange(len(s)) for s in (v, h1, h2, h3)])  # all joint states
    ys = [torch.zeros(len(grid), dtype=torch.long), torch.ones(len(grid), dtype=torch.long)] if labels else [None]
    total = torch.logsumexp(torch.cat([dbn.log_joint(v[grid[:, 0]], [h1[grid[:, 1]], h2[grid[:, 2]], h3[grid[:, 3]]], y)
                                       for y in ys]), 0)
    assert float(total.detach()) == pytest.approx(0.0, abs=1e-9)
    # the directed part is the lecture's product of Bernoullis: p(v | h1) = prod_i Ber(v_i | sigm(G h1 + g))
    p = dbn.p_down(h1[1:2], 1)[0]
    assert torch.allclose(dbn.p_down(h1[1:2], 1), torch.sigmoid(h1[1] @ dbn.gen_W[0] + dbn.gen_b[0])[None])
    assert float(p.detach().min()) > 0 and float(p.detach().max()) < 1


def test_label_logits_are_minus_the_free_energy_of_each_label():
    dbn = random_dbn([5, 4, 3], n_classes=3, labels=True)
    top, x = dbn.rbms[-1], torch.rand(6, 4, dtype=torch.float64).round()
    brute = torch.stack([-top.free_energy(torch.cat([x, F.one_hot(torch.full((6,), c), 3).double()], 1))
                         for c in range(3)], 1)
    assert torch.allclose(top.label_logits(x), brute, atol=1e-10)
    # and the softmax label units of p(v | h) sum to one
    assert torch.allclose(top.p_v_given_h(torch.rand(6, 3, dtype=torch.float64))[:, 4:].sum(1),
                          torch.ones(6, dtype=torch.float64))


def test_to_mlp_preserves_the_upward_pass_exactly(digits):
    X, y, *_ = digits
    dbn = DBN(64, 10, hidden=[32, 24, 16], finetune="none").fit(X[:300], y[:300], epochs=2, progress=False)
    mlp = dbn.to_mlp()
    for ours, theirs in zip(dbn.up(X[:50]), mlp.hidden_activations(X[:50])):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-6)
    assert mlp.sizes == [64, 32, 24, 16, 10]
    drop = DBN(64, 10, hidden=[32, 24, 16], finetune="none", finetune_dropout=0.5)
    drop.load_state_dict(dbn.state_dict())
    mlp_d = drop.to_mlp().eval()  # with dropout: the same network at test time, units dropped in training
    torch.testing.assert_close(mlp_d(X[:50]), mlp.eval()(X[:50]), rtol=0, atol=0)
    assert mlp_d.dropout == 0.5 and drop.hparams["finetune_dropout"] == 0.5
    mlp_d.train()
    assert not torch.equal(mlp_d(X[:50]), mlp_d(X[:50]))
    with pytest.raises(ValueError, match=r"dropout must lie in \[0, 1\), got 1.0"):
        DBN(64, 10, hidden=[8], finetune_dropout=1.0)


def test_backprop_fine_tuning_classifies_digits(digits):
    X, y, X_test, y_test = digits
    dbn = DBN(64, 10, hidden=[64, 64]).fit(X, y, epochs=5, batch_size=20, finetune_epochs=15, progress=False)
    assert dbn.score(X_test, y_test) > 0.9
    stages = [row["stage"] for row in dbn.history_]
    assert stages == ["rbm1"] * 5 + ["rbm2"] * 5 + ["backprop"] * 15  # stack by stack, then fine-tuning
    assert dbn.transform(X_test).shape == (len(X_test), 64)


def test_up_down_trains_with_labels_and_its_gradient_is_the_delta_rules(digits):
    X, y, X_test, y_test = digits
    dbn = DBN(64, 10, hidden=[48, 96], labels=True, finetune="updown", finetune_lr=0.01)
    dbn.fit(X, y, epochs=8, batch_size=20, finetune_epochs=3, progress=False)
    assert int(dbn.phase) == 3 and dbn.score(X_test, y_test) > 0.3  # the generative classifier works
    # the wake-phase gradient of G is -h (v - sigm(g + h^T G))^T / N: replay the wake states
    ud = UpDown(dbn, k=1)
    dbn.zero_grad()
    torch.manual_seed(5)
    v, lab = X[:16], y[:16]
    ud.loss((v, lab)).backward()
    torch.manual_seed(5)
    h = (torch.rand(16, 48) < torch.sigmoid(v @ dbn.rbms[0].W + dbn.rbms[0].a)).float()
    expect = -(h.T @ (v - dbn.p_down(h, 1))) / 16
    torch.testing.assert_close(dbn.gen_W[0].grad, expect.detach(), rtol=1e-4, atol=1e-5)


def test_samples_have_the_datas_shape_and_range(digits):
    X, y, *_ = digits
    dbn = DBN(64, 10, hidden=[32, 32], labels=True, finetune="none").fit(X[:400], y[:400], epochs=2, progress=False)
    g = torch.Generator().manual_seed(0)
    s = dbn.sample(12, steps=20, generator=g)
    assert s.shape == (12, 64) and float(s.min()) >= 0 and float(s.max()) <= 1
    c = dbn.sample(10, steps=20, labels=torch.arange(10), generator=g)
    assert c.shape == (10, 64)
    same = dbn.sample(5, steps=5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(same, dbn.sample(5, steps=5, generator=torch.Generator().manual_seed(1)))


def test_stages_are_checkpointed_and_the_run_folder_holds_the_joined_history(tmp_path, digits):
    X, y, *_ = digits
    DBN(64, 10, hidden=[16, 16]).fit(X[:200], y[:200], epochs=2, finetune_epochs=2, progress=False, out=tmp_path)
    assert sorted(p.name for p in (tmp_path / "stages").iterdir()) == ["backprop", "rbm1", "rbm2"]
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in rows] == ["rbm1", "rbm1", "rbm2", "rbm2", "backprop", "backprop"]
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert "reconstruction_error" in rows[0]


def test_resume_with_more_pretraining_epochs_retrains_the_stages_built_on_them(tmp_path, digits):
    X, y, *_ = digits
    DBN(64, 10, hidden=[16, 16]).fit(X[:200], y[:200], epochs=1, finetune_epochs=2, progress=False, out=tmp_path)
    dbn = DBN(64, 10, hidden=[16, 16]).fit(X[:200], y[:200], epochs=2, finetune_epochs=2, progress=False,
                                    out=tmp_path, resume=True)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    # rbm1 goes on for its second epoch; rbm2 and backprop were built on the old rbm1: redone
    assert [r["stage"] for r in rows] == ["rbm1", "rbm1", "rbm2", "rbm2", "backprop", "backprop"]
    assert sorted(p.name for p in (tmp_path / "stale_stages").iterdir()) == ["backprop", "rbm2"]
    # and the result is the run that had 2 epochs from the start (exact resume, stages redone)
    whole = DBN(64, 10, hidden=[16, 16]).fit(X[:200], y[:200], epochs=2, finetune_epochs=2, progress=False,
                                      out=tmp_path / "whole")
    torch.testing.assert_close(dbn.predict_proba(X[:50]), whole.predict_proba(X[:50]))


def test_from_rbms_copies_the_stack_and_refuses_sizes_that_do_not_chain():
    a, b = RBM(8, 6), RBM(6, 4)
    dbn = DBN.from_rbms([a, b], n_classes=2)
    torch.testing.assert_close(dbn.rbms[1].W, b.W)
    torch.testing.assert_close(dbn.gen_W[0], a.W.T)
    with pytest.raises(ValueError, match="layer sizes do not chain: RBM 2 has 5 visible units, expected 6"):
        DBN.from_rbms([a, RBM(5, 4)])


def test_bad_input_is_refused_with_one_clear_error(digits):
    X, y, *_ = digits
    with pytest.raises(ValueError, match="at least 2 integer layer sizes"):
        DBN(64, hidden=[])
    with pytest.raises(ValueError, match="expected labels=True"):
        DBN(64, 10, hidden=[8], finetune="updown")
    dbn = DBN(64, 10, hidden=[8, 8], finetune="none")
    with pytest.raises(NotFittedError, match="fine-tuning asked before pretraining"):
        dbn.fine_tune(X, y)
    with pytest.raises(NotFittedError, match="to_mlp asked before pretraining"):
        dbn.to_mlp()
    with pytest.raises(ValueError, match="labels given to a DBN built without label units"):
        dbn.pretrain(X[:50], y[:50])
    with pytest.raises(ValueError, match="labels given to a DBN built without label units"):
        random_dbn([64, 8, 8]).sample(3, labels=[0, 1, 2])
    with pytest.raises(ValueError, match="expected labels y for pretraining"):
        DBN(64, 10, hidden=[8, 8], labels=True).pretrain(X[:50])
    with pytest.raises(ValueError, match=r"X.size\(-1\) must equal n_features: expected 64, got 63"):
        dbn.pretrain(X[:, :63])
    dbn.pretrain(X[:50], epochs=1, progress=False)
    with pytest.raises(NotFittedError, match="no classifier yet"):
        dbn.predict(X[:3])


def test_variational_bound_lies_below_the_exact_log_likelihood():
    dbn = random_dbn([4, 3, 2])
    v, h1, h2 = states(4), states(3), states(2)
    grid = torch.cartesian_prod(torch.arange(8), torch.arange(4))
    exact = torch.stack([torch.logsumexp(dbn.log_joint(v[i].expand(32, 4), [h1[grid[:, 0]], h2[grid[:, 1]]]), 0)
                         for i in range(16)]).detach()
    assert float(torch.logsumexp(exact, 0)) == pytest.approx(0.0, abs=1e-9)  # p(v) normalises
    bound = dbn.log_likelihood_bound(v, log_z=dbn.top_log_partition(), n_samples=4000,
                                     generator=torch.Generator().manual_seed(0))
    assert bool((bound <= exact + 0.02).all()) and float((exact - bound).mean()) < 2.0
    with pytest.raises(ValueError, match="without label units"):
        random_dbn([4, 3, 2], n_classes=2, labels=True).log_likelihood_bound(v)


def test_fit_takes_the_common_train_options_val_data_and_overwrite(tmp_path, digits):
    X, y, X_test, y_test = digits
    X, y = X[:200], y[:200]
    run = tmp_path / "run"
    dbn = DBN(64, 10, hidden=[16, 16]).fit(X, y, epochs=1, batch_size=50, lr=0.05, optimizer="sgd", seed=2,
                                    device="cpu", progress=False, finetune_epochs=2, out=run,
                                    val_data=(X_test[:100], y_test[:100]))
    assert isinstance(dbn.history_, History) and len(dbn.history_.column("loss")) == 4
    assert dbn.history_.column("stage") == ["rbm1", "rbm2", "backprop", "backprop"]
    assert dbn.history_[-1]["val_acc"] == pytest.approx(dbn.score(X_test[:100], y_test[:100]))
    with pytest.raises(RunExistsError, match="already holds a run"):
        DBN(64, 10, hidden=[16, 16]).fit(X, y, epochs=1, finetune_epochs=1, progress=False, out=run)
    again = DBN(64, 10, hidden=[16, 16]).fit(X, y, epochs=1, finetune_epochs=1, progress=False, out=run, overwrite=True)
    assert again.history_.column("stage") == ["rbm1", "rbm2", "backprop"]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in rows] == ["rbm1", "rbm2", "backprop"]
    with pytest.raises(ValueError, match="val_data is the fine-tuning's: expected labels y"):
        DBN(64, hidden=[16]).fit(X, epochs=1, progress=False, val_data=(X, y))


def test_warm_start_skips_pretraining_and_goes_on_with_the_final_stage(digits, monkeypatch):
    X, y, *_ = digits
    X, y = X[:200], y[:200]
    with pytest.raises(NotFittedError, match="warm_start asked before pretraining"):
        DBN(64, 10, hidden=[16, 16]).fit(X, y, warm_start=True, progress=False)
    dbn = DBN(64, 10, hidden=[16, 16]).fit(X, y, epochs=1, finetune_epochs=1, progress=False)
    W = [r.W.detach().clone() for r in dbn.rbms]
    head = dbn.mlp.layers[-1].weight.detach().clone()
    copies = []
    monkeypatch.setattr(dbn, "to_mlp", lambda seed=0: copies.append(seed))
    dbn.fit(X, y, warm_start=True, finetune_epochs=2, progress=False)
    assert dbn.history_.column("stage") == ["backprop", "backprop"] and isinstance(dbn.history_, History)
    assert all(torch.equal(r.W, w) for r, w in zip(dbn.rbms, W))  # no pretraining
    assert copies == [] and not torch.equal(dbn.mlp.layers[-1].weight, head)  # the fine-tuned MLP went on
    # without labels the final stage is the top RBM, from its current weights; the layers below stay
    gen = DBN(64, hidden=[16, 16]).fit(X, epochs=1, progress=False)
    W0, top = gen.rbms[0].W.detach().clone(), copy.deepcopy(gen.rbms[1])
    gen.fit(X, epochs=1, warm_start=True, progress=False)
    assert gen.history_.column("stage") == ["rbm2"] and torch.equal(gen.rbms[0].W, W0)
    # the oracle: one more fit of the top RBM as it was, on the codes of the RBM below
    codes = gen.rbms[0].transform(X).cpu()
    fit_stage(top, codes, gen.train_config(epochs=1, progress=False), stage="rbm2",
              callbacks=[EpochMetrics(top, codes)])
    assert torch.equal(gen.rbms[1].W, top.W) and torch.equal(gen.rbms[1].a, top.a)


def test_up_down_fine_tuning_reports_the_generative_classifier_on_val_data(digits):
    X, y, X_test, y_test = digits
    dbn = DBN(64, 10, hidden=[16, 24], labels=True, finetune="updown", finetune_lr=0.01, updown_k=1)
    dbn.fit(X[:200], y[:200], epochs=1, finetune_epochs=1, progress=False, val_data=(X_test[:100], y_test[:100]))
    assert dbn.history_.column("stage") == ["rbm1", "rbm2", "updown"]
    assert dbn.history_[-1]["val_acc"] == pytest.approx(dbn.score(X_test[:100], y_test[:100]))


def test_dbn_dbm_and_deep_autoencoder_pretrain_through_the_one_pretrainer(digits, monkeypatch):
    import neuralzoo.models.autoencoder.deep as deep_module
    import neuralzoo.models.dbm.pretrain as dbm_pretrain
    import neuralzoo.models.dbn.model as dbn_module
    from neuralzoo.models import DBM, DeepAutoencoder
    from neuralzoo.models.rbm import stack

    calls = []

    def spy(rbms, config, **options):
        calls.append((type(rbms[0]).__name__, type(rbms[-1]).__name__, options.get("seeding", "layer"),
                      options["up"].__name__))
        return stack.pretraining_stages(rbms, config, **options)

    for module in (dbn_module, dbm_pretrain, deep_module):
        assert module.pretraining_stages is stack.pretraining_stages
        monkeypatch.setattr(module, "pretraining_stages", spy)
    X, y, *_ = digits
    X, y = X[:100], y[:100]
    DBN(64, 10, hidden=[8, 8], labels=True, finetune="none").fit(X, y, epochs=1, progress=False)
    DBM(64, hidden=[8, 6], pretrain_epochs=1, n_chains=10).fit(X.round(), epochs=1, progress=False)
    DeepAutoencoder(64, hidden=[8], code=2, pretrain_epochs=1).fit(X, epochs=1, progress=False)
    assert calls == [("RBM", "LabelRBM", "layer", "up_on_device"),
                     ("ScaledRBM", "ScaledRBM", "layer", "up_on_cpu"),
                     ("RBM", "LinearRBM", "stream", "up_in_chunks")]


# -- the constructor is the one declaration of the hyperparameters ----------------------------


def test_get_params_round_trips_and_every_hyperparameter_is_documented():
    dbn = DBN(64, 10, hidden=(16, 8), labels=True, method="pcd", k=2, finetune="updown", finetune_epochs=3,
              finetune_lr=0.05, finetune_dropout=0.2, updown_k=3, init_std=0.1)
    params = dbn.get_params()
    assert params == {"n_features": 64, "n_classes": 10, "hidden": [16, 8], "labels": True, "method": "pcd",
                      "k": 2, "finetune": "updown", "finetune_epochs": 3, "finetune_lr": 0.05,
                      "finetune_dropout": 0.2, "updown_k": 3, "init_std": 0.1} == dbn.hparams
    again = DBN(**params)
    assert again.get_params() == params and again.sizes == dbn.sizes == [64, 16, 8]
    assert {k: v.shape for k, v in again.state_dict().items()} == {k: v.shape for k, v in dbn.state_dict().items()}
    assert (again.rbms[0].method, again.rbms[1].k, again.rbms[1].init_std) == ("pcd", 2, 0.1)
    hyper = hyperparameters(DBN)
    for key, p in hyper.items():
        assert p.doc, f"DBN.{key} has no line in the Args: block"
    # the defaults of `neuralzoo train dbn` (the old Config's)
    assert {k: p.default for k, p in hyper.items()} == {
        "hidden": [100, 100, 200], "labels": False, "method": "cd", "k": 1, "finetune": "backprop",
        "finetune_epochs": 30, "finetune_lr": 0.1, "finetune_dropout": 0.0, "updown_k": 10, "init_std": 0.01}
    assert DBN(64).sizes == [64, 100, 100, 200] and DBN(64).n_classes == 0
    assert DBN.sizes_from_data(64, 10) == {"n_features": 64, "n_classes": 10}
    with pytest.raises(TypeError):
        DBN(64, 10, [16, 8])  # hyperparameters are keyword-only
    with pytest.raises(TypeError, match=r"hidden must be a list of hidden layer sizes, e.g. \[500, 500, 2000\]: got int 16"):
        DBN(64, 10, hidden=16)
    with pytest.raises(ValueError, match=r"\[n_features, \*hidden\] must list at least 2 integer layer sizes >= 1 "
                                         r"\(visible first\), got \[64, 8, 0\]"):
        DBN(64, hidden=[8, 0])


def test_train_help_lists_the_hyperparameters(run_cli):
    code, out, _ = run_cli("train", "dbn", "--help")
    assert code == 0
    for key in hyperparameters(DBN):
        assert key in out
    assert "n_features" not in hyperparameters(DBN)  # the data fixes it
    with pytest.raises(ConfigError, match="model.hidden: expected list"):
        runs.model_config("dbn", {"hidden": 16})


def test_from_rbms_takes_the_sizes_from_the_rbms():
    a, b = RBM(8, 6), RBM(6, 4)
    dbn = DBN.from_rbms([a, b], n_classes=3, finetune_epochs=2)
    assert (dbn.n_features, dbn.hidden, dbn.sizes) == (8, [6, 4], [8, 6, 4])
    assert DBN(**dbn.get_params()).get_params() == dbn.get_params()
    with pytest.raises(TypeError, match=r"from_rbms takes the layer sizes from the RBMs \(\[8, 6, 4\]\)"):
        DBN.from_rbms([a, b], hidden=[6, 4])


def test_a_run_folder_of_neuralzoo_0_1_loads(tmp_path, digits):
    """config.json of neuralzoo 0.1: no "format" key, the layer sizes in one list ``sizes``."""
    X, y, X_test, _ = digits
    old = {"sizes": [64, 16, 12], "n_classes": 10, "labels": True, "method": "cd", "k": 1, "finetune": "none",
           "finetune_epochs": 10, "finetune_lr": 0.1, "updown_k": 10, "init_std": 0.01, "finetune_dropout": 0.0}
    assert DBN.upgrade_hparams(old) == {**{k: v for k, v in old.items() if k != "sizes"},
                                        "n_features": 64, "hidden": [16, 12]}
    trained = DBN(64, 10, hidden=[16, 12], labels=True, finetune="none", finetune_epochs=10).fit(
        X[:200], y[:200], epochs=1, progress=False)  # the old run's settings (finetune_epochs 10)
    ckpt.save_weights(trained, tmp_path / ckpt.WEIGHTS)
    (tmp_path / "config.json").write_text(json.dumps({"model": "dbn", "hparams": old}))
    loaded = nz.load(tmp_path)
    assert type(loaded) is DBN and loaded.get_params() == trained.get_params()
    assert torch.equal(loaded.predict_proba(X_test), trained.predict_proba(X_test))
    assert torch.equal(loaded.transform(X_test), trained.transform(X_test))


# -- the method convention: options keyword-only, one way for randomness ---------------------


def test_methods_take_their_options_by_keyword_and_a_generator_or_an_int_seed(digits):
    X, y, *_ = digits
    dbn = DBN(64, 10, hidden=[16, 12], labels=True, finetune="none").fit(X[:200], y[:200], epochs=1,
                                                                          progress=False)
    G = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    assert inspect.signature(DBN.sample).parameters["steps"].default == 1000
    assert torch.equal(dbn.sample(4, steps=5, generator=3), dbn.sample(4, steps=5, generator=G(3)))
    labels = torch.arange(4)
    assert torch.equal(dbn.sample(4, steps=5, labels=labels, generator=3),
                       dbn.sample(4, steps=5, labels=labels, generator=G(3)))
    torch.manual_seed(1)
    a = dbn.sample(3, steps=2)  # None: the global RNG
    torch.manual_seed(1)
    assert torch.equal(a, dbn.sample(3, steps=2, generator=None))
    with pytest.raises(TypeError):
        dbn.sample(4, 5)  # steps is keyword-only
    with pytest.raises(TypeError):
        dbn.sample(4, steps=5, generator="3")
    assert torch.equal(dbn.transform(X[:5], layer=0), dbn.up(X[:5])[0])
    with pytest.raises(TypeError):
        dbn.transform(X[:5], 0)  # layer is keyword-only
    plain = random_dbn([4, 3, 2]).float()
    v = states(4).float()
    one = plain.log_likelihood_bound(v, n_samples=3, generator=5, betas=torch.linspace(0, 1, 50), n_runs=4)
    two = plain.log_likelihood_bound(v, n_samples=3, generator=G(5), betas=torch.linspace(0, 1, 50), n_runs=4)
    assert torch.equal(one, two)
