"""DBM against oracles: conditionals from energy differences, the mean-field fixed point and its
bound below the exact log-likelihood, the learning rule, AIS against enumeration; errors."""

from __future__ import annotations

import copy
import inspect
import itertools
import json
import warnings

import pytest
import torch

import neuralzoo as nz
from neuralzoo import datasets, runs
from neuralzoo.config import ConfigError, hyperparameters
from neuralzoo.models import NotFittedError
from neuralzoo.models.dbm.finetune import classifier_data
from neuralzoo.models.dbm.model import DBM
from neuralzoo.models.rbm.bernoulli import RBM
from neuralzoo.models.rbm.scaled import ScaledRBM, doubling
from neuralzoo.train import History, RunExistsError
from neuralzoo.train import checkpoint as checkpoint_io
from neuralzoo.train.stages import fit_stage


def random_dbm(sizes, seed=0, scale=0.8, **options) -> DBM:
    torch.manual_seed(seed)
    dbm = DBM(sizes[0], hidden=sizes[1:], **options).double()
    with torch.no_grad():
        for p in [*dbm.W, *dbm.bias]:
            p.normal_(0, scale)
    dbm._fitted = True  # parameters given by hand
    return dbm


def binary(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load("digits", binarize="threshold")
    X_test, y_test = datasets.load("digits", "test", binarize="threshold")
    return X, y, X_test, y_test


def test_conditionals_are_energy_differences():
    dbm = random_dbm([5, 4, 3, 2])
    g = torch.Generator().manual_seed(0)
    xs = [(torch.rand(7, n, generator=g) < 0.5).double() for n in dbm.sizes]
    for l in range(4):
        z = dbm.layer_input(xs, l)  # (7, n_l)
        for j in range(dbm.sizes[l]):
            on, off = [x.clone() for x in xs], [x.clone() for x in xs]
            on[l][:, j], off[l][:, j] = 1.0, 0.0
            torch.testing.assert_close((dbm.energy(off) - dbm.energy(on)).detach(), z[:, j].detach())


def test_mean_field_fixed_point_satisfies_its_equations_and_bounds_the_exact_log_likelihood():
    dbm = random_dbm([6, 5, 4])
    v = binary(6)
    trace: list[float] = []
    mu = dbm.mean_field(v, steps=300, tol=1e-12, trace=trace)
    assert trace[-1] < 1e-10 and trace[0] > trace[-1]
    xs = [v, *mu]
    for l in (1, 2):
        torch.testing.assert_close(mu[l - 1], torch.sigmoid(dbm.layer_input(xs, l)).detach(), rtol=0, atol=1e-9)
    log_z = dbm.log_partition("exact")
    exact = dbm.log_likelihood(v, log_z=log_z, method="exact")
    assert float(torch.logsumexp(exact, 0)) == pytest.approx(0.0, abs=1e-9)
    bound = dbm.lower_bound(v, log_z)
    assert bool((bound <= exact + 1e-9).all())  # a lower bound, for every v
    assert float((exact - bound).mean()) < 1.0  # and not a loose one on this small model
    # the fixed point improves on the bottom-up start
    start = dbm.mean_field(v, steps=0)
    ent = sum(-(m * m.log() + (1 - m) * (1 - m).log()).sum(1) for m in start)
    assert float(bound.mean()) >= float((-dbm.energy([v, *start]) + ent - log_z).detach().mean()) - 1e-9


def test_a_log_z_below_the_data_floor_is_refused_as_a_bound_with_a_warning():
    dbm = random_dbm([6, 5, 4])
    v = binary(6)
    log_z = float(dbm.log_partition("exact"))
    unnormalised = dbm.lower_bound(v, 0.0, check=False)  # each <= log p~(v) <= log Z
    assert float(unnormalised.max()) <= log_z
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dbm.lower_bound(v, log_z)  # the true log Z: silent
    with pytest.warns(RuntimeWarning, match="which it cannot be"):
        dbm.lower_bound(v, float(unnormalised.max()) - 1.0)


def test_ais_of_a_small_dbm_is_within_0_2_nats_of_enumeration():
    dbm = random_dbm([8, 6, 5], seed=2)
    dbm.data_mean.fill_(0.3)
    exact = float(dbm.log_partition("exact"))
    r = dbm.ais(betas=torch.linspace(0, 1, 2000, dtype=torch.float64), n_runs=200,
                generator=torch.Generator().manual_seed(0))
    assert abs(r.log_z - exact) < 0.2


def test_ais_starts_h2_at_the_fantasy_particles_rates():
    # the metastable DBM of tests/energy/test_dbm_exact.py: h1, h2 all on is a trap, h2 off the mass
    dbm = DBM(20, hidden=[16, 60], n_chains=50).double()
    with torch.no_grad():
        dbm.W[0].copy_(torch.randn(20, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 0.3)
        dbm.W[1].fill_(2.0)
        dbm.bias[0].zero_(), dbm.bias[1].fill_(-30.0), dbm.bias[2].fill_(-30.0)
        dbm.data_mean.fill_(0.5)
        dbm.chains(2).zero_()  # the model's own samples: h2 off (its sparse state)
    r = dbm.ais(betas=torch.linspace(0, 1, 2000, dtype=torch.float64), n_runs=100,
                generator=torch.Generator().manual_seed(0))
    assert abs(r.log_z - float(dbm.log_partition("exact"))) < 0.2  # fair-coin h2 gives 4.6 nats too low


def test_surrogate_gradient_is_data_minus_model_statistics(monkeypatch):
    dbm = random_dbm([5, 4, 3], seed=3, n_chains=6)
    g = torch.Generator().manual_seed(1)
    v = (torch.rand(8, 5, generator=g) < 0.5).double()
    model = [(torch.rand(6, n, generator=g) < 0.5).double() for n in dbm.sizes]
    monkeypatch.setattr(dbm, "gibbs_sweep", lambda xs, steps: model)
    dbm.loss((v,)).backward()
    mu = dbm.mean_field(v)
    data = [v, *mu]
    for l in range(2):
        want = -(data[l].T @ data[l + 1] / 8 - model[l].T @ model[l + 1] / 6)
        torch.testing.assert_close(dbm.W[l].grad, want)
    torch.testing.assert_close(dbm.bias[0].grad, -(v.mean(0) - model[0].mean(0)))
    assert torch.equal(dbm.chains(2), model[2])  # the particles persist


def test_dynamic_binarization_draws_each_batch_afresh_in_joint_training_and_pretraining():
    # the DBM's and the bottom pretraining RBM's loss on grey levels x equal the plain models'
    # loss on v = [u < x] drawn from the same random numbers
    x = torch.rand(30, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    dynamic = random_dbm([6, 4, 3], dynamic_binarization=True)
    plain = random_dbm([6, 4, 3])
    rbms = [ScaledRBM(6, 4, up=2.0, dynamic_binarization=flag).double() for flag in (True, False)]
    rbms[1].load_state_dict(rbms[0].state_dict())
    for a, b in [(dynamic, plain), rbms]:
        torch.manual_seed(2)
        value = float(a.loss((x,)).detach())
        torch.manual_seed(2)
        v = (torch.rand(30, 6, dtype=torch.float64) < x).double()
        assert value == pytest.approx(float(b.loss((v,)).detach()), abs=1e-12)
    assert DBM(**dynamic.hparams).dynamic_binarization
    assert runs.build_for_data("dbm", {"dynamic_binarization": True}, 6, 0).dynamic_binarization


def test_doubled_weights_of_pretraining_and_the_paper_update():
    assert [doubling(l, 2) for l in range(2)] == [(2.0, 1.0), (1.0, 2.0)]
    assert [doubling(l, 3) for l in range(3)] == [(2.0, 1.0), (2.0, 2.0), (1.0, 2.0)]
    rbm = ScaledRBM(5, 3, up=2.0, down=1.0).double()
    v = torch.rand(4, 5, dtype=torch.float64)
    torch.testing.assert_close(rbm.p_h_given_v(v), torch.sigmoid(rbm.a + 2 * v @ rbm.W).detach())
    torch.manual_seed(0)
    rbm.loss((v,)).backward()
    torch.manual_seed(0)  # replay the CD-1 step of the loss: h ~ p(h|v), v' ~ p(v|h), p' = p(h|v')
    p0 = rbm.p_h_given_v(v).detach()
    h = (torch.rand(p0.shape, dtype=torch.float64) < p0).double()
    pv = rbm.p_v_given_h(h).detach()
    v1 = (torch.rand(pv.shape, dtype=torch.float64) < pv).double()
    p1 = rbm.p_h_given_v(v1).detach()
    torch.testing.assert_close(rbm.W.grad, -(v.T @ p0 - v1.T @ p1) / 4)


def test_fit_pretrains_trains_and_fine_tunes_on_digits(digits):
    X, y, X_test, y_test = digits
    dbm = DBM(64, 10, hidden=[48, 48], pretrain_epochs=5, finetune_epochs=15)
    dbm.fit(X, y, epochs=3, batch_size=20, progress=False)
    assert [r["stage"] for r in dbm.history_][::3] == ["rbm1", "rbm1", "rbm2", "rbm2", "dbm",
                                                      "finetune", "finetune", "finetune", "finetune", "finetune"]
    assert dbm.score(X_test, y_test) > 0.85
    out = dbm.evaluate(X_test, y_test)
    assert {"acc", "error", "reconstruction_error"} <= set(out)
    s = dbm.sample(6, steps=10, generator=torch.Generator().manual_seed(0))
    assert s.shape == (6, 64) and 0 <= float(s.min()) and float(s.max()) <= 1
    assert dbm.fantasy_particles().shape == (100, 64) and dbm.transform(X_test[:5]).shape == (5, 96)


def test_one_seed_gives_one_dbm_whatever_the_global_rng_did_before(digits, monkeypatch):
    import neuralzoo.train.stages as stages_module

    X = digits[0][:200]
    stage = stages_module.fit_stage  # what fit_stages runs every stage through
    models = []
    for extra in (1, 2):  # the fantasy particles once came from the global RNG after pretraining, whose
        def fit_stage(*args, extra=extra, **kwargs):  # state then differed from run to run
            out = stage(*args, **kwargs)
            torch.rand(extra)
            return out

        monkeypatch.setattr(stages_module, "fit_stage", fit_stage)
        dbm = DBM(64, hidden=[12, 8], n_chains=10, pretrain_epochs=1)
        dbm.pretrain(X, batch_size=20, seed=3, progress=False)
        models.append(dbm)
    a, b = models
    assert all(torch.equal(u, w) for u, w in zip(a.W, b.W))
    for l in range(3):
        assert torch.equal(a.chains(l), b.chains(l))


def test_bad_input_is_refused_with_one_clear_error(digits):
    X, y, *_ = digits
    dbm = DBM(64, 10, hidden=[8, 8])
    with pytest.raises(NotFittedError, match="fine-tuning asked before pretraining"):
        dbm.fine_tune(X, y)
    with pytest.raises(NotFittedError, match="no classifier yet"):
        dbm._fitted = True
        dbm.predict(X[:2])
    with pytest.raises(ValueError, match="labels given to a DBM built without classes"):
        DBM(64, hidden=[8, 8]).fit(X, y, epochs=1, progress=False)
    with pytest.raises(ValueError, match="layer sizes do not chain: RBM 2 has 7 visible units, expected 8"):
        DBM.from_rbms([RBM(64, 8), RBM(7, 4)])
    with pytest.raises(ValueError, match="at least 2 integer layer sizes"):
        DBM(64, hidden=[0])
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        dbm.mean_field(X[:3] * 2)


def test_three_hidden_layers_train_and_classify(digits):
    X, y, X_test, y_test = digits
    dbm = DBM(64, 10, hidden=[32, 32, 32], pretrain_epochs=8, finetune_epochs=15)
    dbm.fit(X, y, epochs=3, batch_size=20, progress=False)
    assert dbm.score(X_test, y_test) > 0.8  # (pretraining at batch 100 instead of 20 left it at chance)


def test_fine_tuning_dropout_drops_units_while_training_and_leaves_the_test_network_plain():
    import torch.nn.functional as F

    from neuralzoo.models.dbm.finetune import MeanFieldClassifier

    dbm = random_dbm([6, 5, 4], scale=0.5, n_classes=3, finetune_dropout=(0.25, 0.5))
    head = dbm.head
    head.init_from(dbm)
    z = torch.rand(4000, 6 + 4, dtype=torch.float64) + 0.5  # no zeros of its own
    seen = {}
    head.layers[0].register_forward_pre_hook(lambda m, a: seen.__setitem__("in", a[0]))
    head.layers[1].register_forward_pre_hook(lambda m, a: seen.__setitem__("h1", a[0]))
    head.train()
    out = head(z)
    kept_in, kept_h1 = seen["in"] != 0, seen["h1"] != 0
    assert abs(1 - float(kept_in.double().mean()) - 0.25) < 0.02  # dropped at the asked rates
    assert abs(1 - float(kept_h1.double().mean()) - 0.5) < 0.02
    torch.testing.assert_close(seen["in"][kept_in], (z / 0.75)[kept_in])  # kept ones scaled by 1 / (1 - p)
    assert not torch.equal(out, head(z))  # a new mask every call
    head.eval()  # the test network: the plain sigmoid network, by hand from the DBM's weights
    W1, W2 = dbm.W
    h1 = torch.sigmoid(z[:, :6] @ W1 + z[:, 6:] @ W2.T + dbm.bias[1])
    h2 = torch.sigmoid(h1 @ W2 + dbm.bias[2])
    torch.testing.assert_close(head(z), F.linear(h2, head.layers[2].weight, head.layers[2].bias))
    plain = MeanFieldClassifier([6, 5, 4], 3).double().train()  # no dropout: training = test network
    plain.load_state_dict(head.state_dict())
    torch.testing.assert_close(plain(z), head(z))
    assert DBM(6, 3, hidden=[5, 4], finetune_dropout=[0.2, 0.5]).hparams["finetune_dropout"] == [0.2, 0.5]
    for bad in [(1.0, 0.0), (0.2,), (-0.1, 0.5)]:
        with pytest.raises(ValueError, match=r"expected finetune_dropout = \(p_in, p_hidden\), each in \[0, 1\)"):
            DBM(6, 3, hidden=[5, 4], finetune_dropout=bad)


def test_fit_takes_the_common_train_options_val_data_and_overwrite(tmp_path, digits):
    X, y, X_test, y_test = digits
    X, y = X[:200], y[:200]
    run = tmp_path / "run"
    dbm = DBM(64, 10, hidden=[12, 8], n_chains=10, pretrain_epochs=1, finetune_epochs=2)
    dbm.fit(X, y, epochs=1, batch_size=50, lr=0.005, optimizer="sgd", seed=1, device="cpu", progress=False,
            out=run, val_data=(X_test[:100], y_test[:100]))
    assert isinstance(dbm.history_, History) and len(dbm.history_.column("loss")) == 5
    assert dbm.history_.column("stage") == ["rbm1", "rbm2", "dbm", "finetune", "finetune"]
    assert dbm.history_[-1]["val_acc"] == pytest.approx(dbm.score(X_test[:100], y_test[:100]))
    with pytest.raises(RunExistsError, match="already holds a run"):
        DBM(64, 10, hidden=[12, 8], n_chains=10, pretrain_epochs=1).fit(X, y, epochs=1, progress=False, out=run)
    DBM(64, hidden=[12, 8], n_chains=10, pretrain_epochs=1).fit(X, epochs=1, progress=False, out=run, overwrite=True)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in rows] == ["rbm1", "rbm2", "dbm"]
    with pytest.raises(ValueError, match="val_data is the fine-tuning's: expected labels y"):
        DBM(64, 10, hidden=[12, 8], n_chains=10).fit(X, epochs=1, progress=False, val_data=(X, y))


def test_warm_start_skips_pretraining_and_goes_on_with_the_final_stage(digits):
    X, y, *_ = digits
    X, y = X[:200], y[:200]
    dbm = DBM(64, 10, hidden=[12, 8], n_chains=10, pretrain_epochs=1, finetune_epochs=1)
    with pytest.raises(NotFittedError, match="warm_start asked before training"):
        dbm.fit(X, y, warm_start=True, progress=False)
    dbm.fit(X, y, epochs=1, batch_size=50, progress=False)
    W = [w.detach().clone() for w in dbm.W]
    head = copy.deepcopy(dbm.head)
    Z, yz = classifier_data(dbm, X, y)
    dbm.fit(X, y, warm_start=True, batch_size=50, progress=False)
    assert dbm.history_.column("stage") == ["finetune"] and isinstance(dbm.history_, History)
    assert all(torch.equal(w, w0) for w, w0 in zip(dbm.W, W))  # no pretraining, no joint training
    # the oracle: one more fit of the classifier as it was (not initialised anew from the DBM)
    fit_stage(head, (Z, yz), dbm.train_config(epochs=1, lr=dbm.finetune_lr, optimizer="sgd", momentum=0.9,
                                              lr_schedule="constant", batch_size=50, progress=False),
              stage="finetune")
    assert all(torch.equal(a, b) for a, b in zip(dbm.head.state_dict().values(), head.state_dict().values()))
    # without labels the final stage is the joint training, from the current weights and chains
    before = copy.deepcopy(dbm)
    dbm.fit(X, epochs=1, warm_start=True, progress=False)
    assert dbm.history_.column("stage") == ["dbm"]
    fit_stage(before, X, before.train_config(epochs=1, progress=False), stage="dbm")
    before.phase.fill_(2)  # the joint training ends "trained": a classifier of the old features is stale
    assert all(torch.equal(a, b) for a, b in zip(dbm.state_dict().values(), before.state_dict().values()))


# -- the constructor is the one declaration of the hyperparameters ----------------------------


def test_get_params_round_trips_and_every_hyperparameter_is_documented():
    dbm = DBM(64, 10, hidden=(12, 8), n_chains=7, k=2, mf_steps=4, mf_tol=0.0, sparsity_target=0.1,
              sparsity_cost=0.01, pretrain_epochs=2, pretrain_lr=0.01, finetune_epochs=0, finetune_lr=0.2,
              finetune_dropout=(0.2, 0.5), dynamic_binarization=True, init_std=0.1)
    params = dbm.get_params()
    assert params == {"n_features": 64, "n_classes": 10, "hidden": [12, 8], "n_chains": 7, "k": 2, "mf_steps": 4,
                      "mf_tol": 0.0, "sparsity_target": 0.1, "sparsity_cost": 0.01, "pretrain_epochs": 2,
                      "pretrain_lr": 0.01, "finetune_epochs": 0, "finetune_lr": 0.2, "finetune_dropout": [0.2, 0.5],
                      "dynamic_binarization": True, "init_std": 0.1} == dbm.hparams
    again = DBM(**params)
    assert again.get_params() == params and again.sizes == dbm.sizes == [64, 12, 8]
    assert {k: v.shape for k, v in again.state_dict().items()} == {k: v.shape for k, v in dbm.state_dict().items()}
    hyper = hyperparameters(DBM)
    for key, p in hyper.items():
        assert p.doc, f"DBM.{key} has no line in the Args: block"
    # the defaults of `neuralzoo train dbm` (the old Config's, and the old constructor's init_std)
    defaults = {k: p.default for k, p in hyper.items()}
    assert defaults.pop("finetune_dropout") == (0.0, 0.0)
    assert defaults == {"hidden": [100, 100], "n_chains": 100, "k": 5, "mf_steps": 10, "mf_tol": 1e-4,
                        "sparsity_target": None, "sparsity_cost": 0.0, "pretrain_epochs": 15, "pretrain_lr": 0.05,
                        "finetune_epochs": 30, "finetune_lr": 0.1, "dynamic_binarization": False, "init_std": 0.01}
    assert DBM(64, n_chains=2).sizes == [64, 100, 100]
    assert DBM.sizes_from_data(64, 10) == {"n_features": 64, "n_classes": 10}
    with pytest.raises(TypeError):
        DBM(64, 10, [12, 8])  # hyperparameters are keyword-only
    with pytest.raises(TypeError, match=r"hidden must be a list of hidden layer sizes, e.g. \[500, 1000\]: got int 8"):
        DBM(64, hidden=8)


def test_train_help_lists_the_hyperparameters(run_cli):
    code, out, _ = run_cli("train", "dbm", "--help")
    assert code == 0
    for key in hyperparameters(DBM):
        assert key in out
    assert runs.model_config("dbm", {"finetune_dropout": [0.2, 0.5]}) == {"finetune_dropout": [0.2, 0.5]}
    with pytest.raises(ConfigError, match="model.finetune_dropout: expected Sequence"):
        runs.model_config("dbm", {"finetune_dropout": 0.5})


def test_from_rbms_takes_the_sizes_from_the_rbms():
    dbm = DBM.from_rbms([RBM(8, 6), RBM(6, 4)], n_classes=3, n_chains=5)
    assert (dbm.n_features, dbm.hidden, dbm.sizes, int(dbm.phase)) == (8, [6, 4], [8, 6, 4], 1)
    assert DBM(**dbm.get_params()).get_params() == dbm.get_params()
    with pytest.raises(TypeError, match=r"from_rbms takes the layer sizes from the RBMs \(\[8, 6, 4\]\)"):
        DBM.from_rbms([RBM(8, 6), RBM(6, 4)], hidden=[6, 4])


def test_a_run_folder_of_neuralzoo_0_1_loads(tmp_path, digits):
    """config.json of neuralzoo 0.1: no "format" key, the layer sizes in one list ``sizes``."""
    X, y, X_test, y_test = digits
    old = {"sizes": [64, 12, 8], "n_classes": 10, "n_chains": 10, "k": 5, "mf_steps": 10, "mf_tol": 0.0001,
           "sparsity_target": None, "sparsity_cost": 0.0, "pretrain_epochs": 1, "pretrain_lr": 0.05,
           "finetune_epochs": 1, "finetune_lr": 0.1, "init_std": 0.01, "finetune_dropout": [0.0, 0.0],
           "dynamic_binarization": False}
    assert DBM.upgrade_hparams(old) == {**{k: v for k, v in old.items() if k != "sizes"},
                                        "n_features": 64, "hidden": [12, 8]}
    trained = DBM(64, 10, hidden=[12, 8], n_chains=10, pretrain_epochs=1, finetune_epochs=1)
    trained.fit(X[:200], y[:200], epochs=1, progress=False)
    checkpoint_io.save_weights(trained, tmp_path / checkpoint_io.WEIGHTS)
    (tmp_path / "config.json").write_text(json.dumps({"model": "dbm", "hparams": old}))
    loaded = nz.load(tmp_path)
    assert type(loaded) is DBM and loaded.get_params() == trained.get_params()
    assert torch.equal(loaded.predict_proba(X_test), trained.predict_proba(X_test))
    assert all(torch.equal(a, b) for a, b in zip(loaded.transform(X_test), trained.transform(X_test)))
    assert torch.equal(loaded.fantasy_particles(), trained.fantasy_particles())


# -- the method convention: options keyword-only, one way for randomness ---------------------


def test_methods_take_their_options_by_keyword_and_a_generator_or_an_int_seed():
    dbm = random_dbm([6, 5, 4], scale=0.5, n_chains=4)
    v = binary(6)
    G = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    assert inspect.signature(DBM.sample).parameters["steps"].default == 1000
    assert torch.equal(dbm.sample(5, steps=3, generator=2), dbm.sample(5, steps=3, generator=G(2)))
    torch.manual_seed(1)
    a = dbm.sample(3, steps=2)  # None: the global RNG
    torch.manual_seed(1)
    assert torch.equal(a, dbm.sample(3, steps=2, generator=None))
    xs = [x[:3] for x in dbm._start_states(3, G(0))]
    assert all(torch.equal(a, b) for a, b in zip(dbm.gibbs_sweep(xs, 2, generator=4), dbm.gibbs_sweep(xs, 2, G(4))))
    betas = torch.linspace(0, 1, 50, dtype=torch.float64)
    assert dbm.ais(betas=betas, n_runs=5, generator=7).log_z == dbm.ais(betas=betas, n_runs=5, generator=G(7)).log_z
    log_z = dbm.log_partition("exact")
    assert torch.equal(dbm.log_likelihood(v), dbm.log_likelihood(v, method="exact", log_z=log_z))
    assert torch.equal(dbm.log_likelihood(v, log_z=log_z), dbm.lower_bound(v, log_z))  # "bound" given log Z
    bound = dbm.log_likelihood(v, method="bound", betas=betas, n_runs=5, generator=7)
    assert torch.equal(bound, dbm.log_likelihood(v, method="bound", betas=betas, n_runs=5, generator=G(7)))
    with pytest.raises(TypeError):
        dbm.sample(5, 3)  # steps is keyword-only
    with pytest.raises(TypeError):
        dbm.log_likelihood(v, "exact")  # method is keyword-only
    with pytest.raises(TypeError):
        dbm.mean_field(v, 5)  # steps, tol and trace are keyword-only
    with pytest.raises(TypeError, match="generator: expected a torch.Generator, an int seed or None, got str"):
        dbm.sample(5, steps=3, generator="2")
