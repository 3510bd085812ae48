"""One protocol across the zoo: every registered model follows the calling convention of
``neuralzoo.models`` (its docstring), checked the same way for each.

Each model is built from the digits data's sizes by ``sizes_from_data`` (the way the CLI and
the run folder build it), with the small hyperparameters of the tour where the defaults are
large, and trained for one short epoch where a check needs a trained model.
"""

from __future__ import annotations

import inspect
import json

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import neuralzoo as nz
from neuralzoo import config, models, runs
from neuralzoo.models.base import PROTOCOL, Trainable
from neuralzoo.models.fit_options import FIT_OPTIONS, FitOptions, takes_fit_options
from neuralzoo.tour import TOUR

NAMES = sorted(models.REGISTRY)
SMALL = {"rbf": {"n_centers": 20}, "dbn": {"hidden": [16, 16]}, "dbm": {"hidden": [16, 8], "pretrain_epochs": 1, "finetune_epochs": 1},
         "stacked-autoencoder": {"hidden": [16, 8], "pretrain_epochs": 1},
         "deep-autoencoder": {"hidden": [16, 8], "pretrain_epochs": 1},
         "semantic-hashing": {"hidden": [16, 8], "pretrain_epochs": 1}}


def build(name: str) -> torch.nn.Module:
    values = {**TOUR.get(name, ({}, {}))[0], **SMALL.get(name, {})}
    return runs.build_for_data(name, values, 64, 10)


@pytest.mark.parametrize("name", NAMES)
def test_hyperparameters_are_declared_once_by_the_signature(name):
    cls = models.get(name)
    assert not hasattr(cls, "Config") and not hasattr(cls, "from_config"), "a second declaration"
    params = config.model_params(cls)
    sig = inspect.signature(cls.__init__).parameters
    for key, p in config.hyperparameters(cls).items():
        assert p.doc, f"{cls.__name__}.{key} has no Args: line"
        assert not p.required, f"{cls.__name__}.{key}: a hyperparameter needs a default"
        assert p.type is not inspect.Parameter.empty
        if key in sig:  # (those of a base class reached through **kwargs are that class's)
            assert sig[key].kind is inspect.Parameter.KEYWORD_ONLY or key == "n_hidden", \
                f"{cls.__name__}.{key}: hyperparameters are keyword-only"
    sizes = [k for k, p in params.items() if p.required]
    assert set(sizes) <= set(config.DATA_SIZES), f"sizes named off the scheme: {sizes}"


OWN_FITS = {"dbn": ["finetune_epochs"], "dbm": [], "deep-autoencoder": ["pretrain_epochs"],
            "semantic-hashing": ["pretrain_epochs"], "stacked-autoencoder": ["pretrain_epochs"], "rbf": []}


@pytest.mark.parametrize("name", sorted(OWN_FITS))
def test_a_family_fit_lists_the_options_declared_once_then_its_own(name):
    # Trainable.fit's signature declares the fit options; a family's own fit takes them through
    # takes_fit_options and still shows every one by name, its own after them
    params = inspect.signature(models.get(name).fit).parameters
    assert list(params) == ["self", "X", "y", *FIT_OPTIONS, *OWN_FITS[name], "options"]
    for key in FIT_OPTIONS:
        assert params[key] == inspect.signature(Trainable.fit).parameters[key]


def test_fit_options_are_declared_once():
    opts = FitOptions({"epochs": 3, "out": "run", "momentum": 0.5})
    assert (opts.epochs, opts.seed, opts.out, opts.warm_start, opts.callbacks) == (3, None, "run", False, ())
    assert opts.train == {"epochs": 3, "batch_size": None, "lr": None, "optimizer": None, "seed": None,
                          "device": None, "progress": None, "momentum": 0.5}
    with pytest.raises(TypeError, match=r"fit declares \['epochs'\] again"):
        @takes_fit_options
        def fit(self, X, y, opts, *, epochs=None):
            return self


@pytest.mark.parametrize("name", NAMES)
def test_get_params_rebuild_the_model(name):
    model = build(name)
    params = model.get_params()
    assert list(params) == list(config.model_params(type(model)))
    json.dumps(params)  # config.json can hold it
    again = type(model)(**params)
    assert again.get_params() == params
    assert {k: tuple(v.shape) for k, v in again.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.parametrize("name", NAMES)
def test_train_help_lists_every_hyperparameter(run_cli, name):
    code, out, _ = run_cli("train", name, "--help")
    assert code == 0
    for key in config.hyperparameters(models.get(name)):
        assert key in out
    code, _, err = run_cli("train", name, "--set", "no_such_key=1", "--out", "/nonexistent/x")
    assert code == 2 and "unknown key" in err


@pytest.mark.parametrize("name", NAMES)
def test_a_missing_method_names_the_ones_there_are(name):
    model = build(name)
    missing = [m for m in PROTOCOL if not callable(getattr(type(model), m, None))]
    for m in missing[:1]:
        with pytest.raises(AttributeError, match=rf"has no {m}\(\): it supports .*fit\(\)"):
            getattr(model, m)


CLASSIFIERS = [n for n in NAMES if issubclass(models.get(n), models.Classifier)
               and n not in ("rnn", "lstm", "dbm", "stacked-autoencoder")]


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_a_fresh_model_given_a_state_dict_predicts_in_its_dtype(name, digits_train):
    X, y = digits_train
    X, y = X[:200], y[:200]
    model = build(name).fit(X, y, epochs=1, progress=False)
    fresh = build(name)
    fresh.load_state_dict(model.state_dict())
    assert torch.equal(fresh.predict(X), model.predict(X))
    assert fresh.double().predict_proba(X).dtype == torch.float64


def test_every_fit_takes_a_dataloader(digits_train):
    X, y = digits_train
    X, y = X[:200], y[:200]
    a = nz.MLP(64, 10, hidden=[16]).fit(X, y, epochs=2, progress=False)
    b = nz.MLP(64, 10, hidden=[16]).fit(DataLoader(TensorDataset(X, y), batch_size=7), epochs=2,
                                        progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    r = nz.RBM(64, 8).fit(TensorDataset((X > 0.5).float()), epochs=1, progress=False)
    assert isinstance(r.history_, nz.History)


def test_nz_load_rebuilds_a_run(tmp_path, digits_train):
    X, y = digits_train
    net = nz.MLP(64, 10, hidden=[8]).fit(X[:100], y[:100], epochs=1, out=tmp_path / "run", progress=False)
    back = nz.load(tmp_path / "run")
    assert back.get_params() == net.get_params()
    assert torch.equal(back.predict(X), net.predict(X))


@pytest.mark.parametrize("name", NAMES)
def test_the_models_dtype_decides_the_inputs(name):
    """After ``model.double()`` every method of the protocol takes float32 data and computes in float64."""
    X, y = nz.datasets.load("digits", binarize="threshold")
    X, y = X[:120], y[:120]
    model = build(name).fit(X, y, epochs=1, progress=False).double()
    for method in ("predict", "predict_proba", "transform", "reconstruct"):
        if callable(getattr(type(model), method, None)):
            out = getattr(model, method)(X)
            if out.is_floating_point():
                assert out.dtype == torch.float64, method
    assert isinstance(model.evaluate(X, y), dict)
