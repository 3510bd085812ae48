"""scikit-learn's ``check_estimator`` on every estimator of the zoo, with small settings.

The checks an estimator cannot meet are the ones declared in ``EXPECTED_FAILED_CHECKS``; any
other failing check fails the test, naming the check. The settings are chosen through each
estimator's own parameters: few epochs, small hidden layers, and the data parameters that let
rows of any width through (``image_shape=(-1, 1, 1)``: a row is the channels of a 1x1 image;
``n_steps=1``: a row is one step; ``binarize="threshold"`` for models whose inputs must lie in
[0, 1]).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from sklearn.utils.estimator_checks import check_estimator

import neuralzoo.sklearn as nzs
from neuralzoo.models import REGISTRY

SETTINGS: dict[str, dict[str, Any]] = {
    "PerceptronEstimator": dict(epochs=5, batch_size=16),
    "MLPEstimator": dict(hidden=(16,), epochs=20, lr=0.01),
    "RBFNetworkEstimator": dict(n_centers=10),
    # the checks' data hold more patterns than units and repeated ones (3 classes in 2 features,
    # one feature): the default pseudo-inverse refuses them by name (it stores at most N
    # linearly independent patterns); the lecture's Hebbian rule stores any set
    "HopfieldEstimator": dict(rule="hebbian"),
    "ContinuousHopfieldEstimator": dict(rule="hebbian", max_steps=50),
    "ModernHopfieldEstimator": dict(),
    "BoltzmannMachineEstimator": dict(n_hidden=2, epochs=3, n_chains=20),
    "RBMEstimator": dict(n_hidden=4, epochs=3),
    "GaussianRBMEstimator": dict(n_hidden=4, epochs=3),
    "ClassificationRBMEstimator": dict(n_hidden=16, epochs=40, batch_size=16, optimizer="adam", lr=0.02,
                                      binarize="threshold"),
    "CategoricalRBMEstimator": dict(n_hidden=4, epochs=3, binarize="threshold"),
    "IsingRBMEstimator": dict(n_hidden=4, epochs=3, binarize="threshold"),
    "GaussianHiddenRBMEstimator": dict(n_hidden=4, epochs=3, binarize="threshold"),
    "DropoutRBMEstimator": dict(n_hidden=4, epochs=3, binarize="threshold"),
    "DBNEstimator": dict(hidden=(8,), epochs=2, finetune_epochs=5, batch_size=32, binarize="threshold"),
    "DBMEstimator": dict(hidden=(8, 8), n_chains=10, epochs=1, pretrain_epochs=1, finetune_epochs=3,
                         batch_size=32, binarize="threshold"),
    "LectureCNNEstimator": dict(image_shape=(-1, 1, 1), epochs=8, batch_size=32, lr=0.02),
    "LeNet5Estimator": dict(image_shape=(-1, 1, 1), epochs=3, batch_size=64, lr=0.01),
    "ConvRBMEstimator": dict(image_shape=(-1, 1, 1), n_filters=4, filter_size=1, pool_size=1, epochs=3,
                             binarize="threshold"),
    "ConvDBNEstimator": dict(image_shape=(-1, 1, 1), n_filters=(4, 4), filter_size=1, pool_size=1, epochs=2,
                             binarize="threshold"),
    "CNNEstimator": dict(image_shape=(-1, 1, 1), upscale=0, channels=(4, 8), hidden=16, epochs=20, lr=0.01),
    "ElmanRNNEstimator": dict(n_steps=1, hidden=8, epochs=10, lr=0.02),
    "LSTMEstimator": dict(n_steps=1, hidden=8, epochs=10, lr=0.02),
    "AutoencoderEstimator": dict(hidden=(4,), code=2, reconstruction="squared", epochs=3),
    "DenoisingAutoencoderEstimator": dict(hidden=(4,), code=2, reconstruction="squared", epochs=3),
    "SparseAutoencoderEstimator": dict(hidden=(4,), code=2, reconstruction="squared", epochs=3),
    "StackedAutoencoderEstimator": dict(hidden=(8, 4), pretrain_epochs=1, epochs=20, lr=0.01),
    "DeepAutoencoderEstimator": dict(hidden=(4,), code=2, pretrain_epochs=1, epochs=2, binarize="threshold"),
    "VAEEstimator": dict(hidden=(4,), latent=2, epochs=2, binarize="threshold"),
    "SemanticHashingEstimator": dict(hidden=(4,), code=2, pretrain_epochs=1, epochs=2, binarize="threshold"),
}
"""Estimator name -> the parameters of its check run."""

VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("RBFNetworkEstimator", dict(regression=True)),
    ("ElmanRNNEstimator", dict(task="regress")),
    ("LSTMEstimator", dict(task="regress")),
]
"""Second runs of estimators whose kind is a parameter: the regressors."""

RUNS = [(name, kw) for name, kw in SETTINGS.items()] + [(name, {**SETTINGS[name], **kw}) for name, kw in VARIANTS]


def _id(run: tuple[str, dict]) -> str:
    name, kw = run
    kind = {k: v for k, v in kw.items() if k in ("regression", "task")}
    return name + "".join(f"-{k}={v}" for k, v in kind.items())


@pytest.mark.parametrize("run", RUNS, ids=[_id(r) for r in RUNS])
def test_check_estimator(run):
    name, kw = run
    est = getattr(nzs, name)(**kw)
    failed = []

    def record(**result):
        if result["status"] == "failed":
            failed.append(f"{result['check_name']}: {result['exception']!r}"[:500])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the checks' skip notes, the models' convergence warnings
        check_estimator(est, on_fail=None, callback=record,
                        expected_failed_checks=nzs.EXPECTED_FAILED_CHECKS.get(name, {}))
    assert not failed, f"{name} fails {len(failed)} check(s):\n" + "\n".join(failed)


def test_every_registered_model_has_an_estimator_and_check_settings():
    assert set(nzs.ESTIMATORS) == set(REGISTRY)
    names = {cls.__name__ for cls in nzs.ESTIMATORS.values()}
    assert names == set(SETTINGS)
    assert {f"{cls.__name__}Estimator" for cls in REGISTRY.values()} == names


def test_expected_failures_are_few_real_checks_with_reasons():
    from sklearn.utils.estimator_checks import _yield_all_checks

    zoo = {name: checks for name, checks in nzs.EXPECTED_FAILED_CHECKS.items()
           if name in {cls.__name__ for cls in nzs.ESTIMATORS.values()}}
    assert zoo  # the zoo's own declarations are part of the one table
    for name, checks in zoo.items():
        est = getattr(nzs, name)(**SETTINGS[name])
        known = {getattr(c, "func", c).__name__ for c in _yield_all_checks(est, legacy=True)}
        assert len(checks) <= 3, name
        for check, reason in checks.items():
            assert check in known, f"{name}: {check} is not a check of this estimator"
            assert len(reason.split()) >= 12 and reason.endswith("."), (name, check)
