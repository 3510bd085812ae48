"""The Python API's shared checks, one rule for the whole registry (models/base.py, _checks.py).

- Before it is fitted (``fit``, ``store``, :func:`neuralzoo.fit`, a loaded ``state_dict`` or
  :func:`neuralzoo.load`), every method of ``NEEDS_FIT`` a model has raises ``NotFittedError``;
  while the loop trains it, they answer (callbacks use them).
- ``X=None`` is one clear ``TypeError``; an empty ``X`` one ``ValueError``; ``sample``'s ``n``
  and ``steps`` are counts; non-finite targets are refused.
"""

from __future__ import annotations

import inspect

import pytest
import torch

import neuralzoo as nz
from neuralzoo import models, runs
from neuralzoo.models.base import _TAKES_X, NEEDS_FIT, NotFittedError
from neuralzoo.tour import TOUR

NAMES = sorted(models.REGISTRY)
SMALL = {"rbf": {"n_centers": 20}, "dbn": {"hidden": [16, 16]}, "dbm": {"hidden": [16, 8]},
         "stacked-autoencoder": {"hidden": [16, 8]}, "deep-autoencoder": {"hidden": [16, 8]},
         "semantic-hashing": {"hidden": [16, 8]}}
X, Y = nz.datasets.load("digits", binarize="threshold")
X, Y = X[:40], Y[:40]


def build(name: str) -> torch.nn.Module:
    """A model sized for the digits, as the CLI builds it (small hyperparameters of the tour)."""
    return runs.build_for_data(name, {**TOUR.get(name, ({}, {}))[0], **SMALL.get(name, {})}, 64, 10)


def methods(model: torch.nn.Module) -> list[str]:
    return [m for m in NEEDS_FIT if callable(getattr(type(model), m, None))]


def call(model: torch.nn.Module, method: str, data) -> object:
    if method == "sample":
        return model.sample(2, **({"steps": 1} if "steps" in inspect.signature(model.sample).parameters else {}))
    if method in ("score", "evaluate"):
        return getattr(model, method)(data, Y)
    return getattr(model, method)(data)


def given_weights(model: torch.nn.Module) -> torch.nn.Module:
    """The model given a state_dict (its own initial one): fitted by the rule."""
    model.load_state_dict(model.state_dict())
    return model


@pytest.mark.parametrize("name", NAMES)
def test_every_method_that_needs_learned_parameters_refuses_before_fit(name):
    model = build(name)
    assert methods(model), f"{name} has none of {NEEDS_FIT}"
    for method in methods(model):
        with pytest.raises(NotFittedError, match=rf"this {type(model).__name__} (is not fitted yet|holds no memory)"):
            call(model, method, X)


@pytest.mark.parametrize("name", NAMES)
def test_a_model_given_a_state_dict_answers_and_x_none_is_one_clear_error(name):
    model = given_weights(build(name))
    assert getattr(model, "_fitted", False)
    for method in methods(model):
        if method in _TAKES_X:
            with pytest.raises(TypeError, match=rf"{type(model).__name__}\.{method}\(X\): expected the data as "
                                                r"a tensor, a NumPy array, .* got None"):
                getattr(model, method)(None)
    with pytest.raises(TypeError, match=r"\.fit\(X\): expected the data as a tensor, .* got None"):
        build(name).fit(None)


@pytest.mark.parametrize("name", ["rbm", "dbn", "dbm", "autoencoder", "gaussian-rbm"])
def test_a_state_dict_of_a_trained_model_makes_a_fresh_one_answer_as_it_does(name):
    trained = build(name).fit(X, Y, epochs=1, progress=False)
    fresh = build(name)
    with pytest.raises(NotFittedError):
        call(fresh, "transform" if "transform" in methods(fresh) else "evaluate", X)
    fresh.load_state_dict(trained.state_dict())
    method = "transform" if "transform" in methods(fresh) else "log_likelihood"
    torch.testing.assert_close(call(fresh, method, X), call(trained, method, X))


def test_the_one_loop_fits_the_model_and_its_methods_answer_to_callbacks_while_it_trains():
    rbm, seen = nz.RBM(64, 8), []

    class Watch:
        def on_epoch_end(self, state, metrics):
            seen.append(float(((rbm.reconstruct(X) - X) ** 2).mean()))

    nz.fit(rbm, X, {"epochs": 2, "progress": False}, callbacks=[Watch()])
    assert len(seen) == 2 and rbm.transform(X).shape == (40, 8)


def test_a_fit_that_fails_leaves_the_model_unfitted():
    net = nz.MLP(64, 10, hidden=[8])

    class Stop:
        def on_epoch_end(self, state, metrics):
            assert net.predict(X).shape == (40,)  # answers while training
            raise RuntimeError("stopped by the test")

    with pytest.raises(RuntimeError, match="stopped by the test"):
        net.fit(X, Y, epochs=3, progress=False, callbacks=[Stop()])
    with pytest.raises(NotFittedError, match="MLP is not fitted yet: call fit"):
        net.predict(X)


def test_hopfield_fits_by_storing_patterns():
    hop = nz.Hopfield(16)
    probes = torch.sign(torch.randn(3, 16))
    with pytest.raises(NotFittedError, match="store"):
        hop.recall(probes)
    assert hop.store(probes).recall(probes).shape == (3, 16)


def test_not_fitted_is_caught_as_scikit_learn_s_error_is():
    # sklearn.exceptions.NotFittedError is a ValueError and an AttributeError; 0.1's a RuntimeError
    for base in (ValueError, AttributeError, RuntimeError):
        with pytest.raises(base):
            nz.RBM(4, 2).transform(torch.ones(1, 4))
    assert hasattr(nz.RBM(4, 2), "transform")  # (attribute lookup is untouched)


@pytest.fixture(scope="module")
def samplers():
    """One fitted model of every family with sample()."""
    out = []
    for name in NAMES:
        model = build(name)
        if "sample" in methods(model):
            out.append(given_weights(model))
    assert len(out) >= 5
    return out


@pytest.mark.parametrize("n", [-1, 0, 2.5, True, "3"])
def test_sample_n_must_be_a_count(samplers, n):
    for model in samplers:
        with pytest.raises(ValueError, match=rf"{type(model).__name__}\.sample\(n\) must be an integer >= 1: "
                                             rf"got {n!r}"):
            model.sample(n)


def test_sample_steps_must_be_a_count_and_0_is_the_chains_start(samplers):
    drawers = [m for m in samplers if "steps" in inspect.signature(m.sample).parameters]
    assert {type(m).__name__ for m in drawers} >= {"RBM", "GaussianRBM", "DBN", "DBM", "BoltzmannMachine"}
    for model in drawers:
        with pytest.raises(ValueError, match=r"sample\(steps\) must be an integer >= 0: got -1"):
            model.sample(2, steps=-1)
        assert model.sample(3, steps=0, generator=0).shape[0] == 3


def test_score_on_zero_rows_is_one_clear_error():
    net = nz.MLP(64, 10, hidden=[8]).fit(X, Y, epochs=1, progress=False)
    with pytest.raises(ValueError, match="X is empty: expected at least one row of 64 features, got 0"):
        net.score(X[:0], Y[:0])
    with pytest.raises(ValueError, match="y is empty"):
        from neuralzoo._checks import check_y
        check_y([], 10, 0)


def test_non_finite_targets_are_refused_for_regression_and_classification():
    Xs, ys = torch.rand(20, 5, 2), torch.rand(20)
    bad = ys.clone()
    bad[3] = float("nan")
    lstm = nz.LSTM(2, 1, task="regress", hidden=4)
    with pytest.raises(ValueError, match="y must be finite: expected no NaN or inf, got 1 non-finite values"):
        lstm.fit(Xs, bad, epochs=1, progress=False)
    lstm.fit(Xs, ys, epochs=1, progress=False)
    with pytest.raises(ValueError, match="y must be finite"):
        lstm.score(Xs, bad)
    rbf = nz.RBFNetwork(64, 1, regression=True, n_centers=5)
    with pytest.raises(ValueError, match="y must be finite: expected no NaN or inf, got 1 non-finite values"):
        rbf.fit(X, torch.tensor([float("inf")] + [0.0] * 39), progress=False)
    with pytest.raises(ValueError, match="y must be finite"):
        nz.MLP(64, 10, hidden=[8]).fit(X, torch.full((40,), float("nan")), epochs=1, progress=False)


def test_data_that_is_no_array_is_named_in_one_line():
    net = nz.MLP(64, 10, hidden=[8]).fit(X, Y, epochs=1, progress=False)
    with pytest.raises(TypeError, match=r"X: expected a tensor, a NumPy array, a nested list, a Dataset or a "
                                        r"DataLoader, got dict"):
        net.predict({"a": 1})
    with pytest.raises(TypeError, match=r"y is required: expected 40 class labels in \[0, 9\], got None"):
        net.score(X, None)
