"""The drop-in replacements against scikit-learn's own classes, the oracle.

scikit-learn's conventions (``check_estimator``), its parameters, defaults and tags; the MLPs and
the perceptron reproduce scikit-learn's fitted weights for the same ``random_state``; the RBM's
update is the gradient of :meth:`neuralzoo.models.RBM.loss`, its likelihood is normalised, and
scikit-learn's documented RBM example gives the same accuracy with the one import changed.
"""

from __future__ import annotations

import copy
import itertools
import warnings

import numpy as np
import pytest
import torch
from sklearn import linear_model as sk_linear
from sklearn import neural_network as sk_nn
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import check_estimator

from neuralzoo.bench.sklearn import rbm_example_data
from neuralzoo.models import RBM
from neuralzoo.sklearn.dropins import (
    EXPECTED_FAILED_CHECKS,
    BernoulliRBM,
    MLPClassifier,
    MLPRegressor,
    Perceptron,
)
from neuralzoo.sklearn.dropins.rbm import _cd_train

PAIRS = [(BernoulliRBM, sk_nn.BernoulliRBM), (MLPClassifier, sk_nn.MLPClassifier),
         (MLPRegressor, sk_nn.MLPRegressor), (Perceptron, sk_linear.Perceptron)]
EXTRAS = {BernoulliRBM: {"method", "k", "device"}, MLPClassifier: {"device"}, MLPRegressor: {"device"},
          Perceptron: set()}


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    return load_digits(return_X_y=True)


def _max_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b))


# -- scikit-learn's conventions ----------------------------------------------------------------


@pytest.mark.filterwarnings("ignore")  # the checks provoke warnings (ConvergenceWarning, ...) on purpose
@pytest.mark.parametrize("estimator", [
    BernoulliRBM(n_iter=5, batch_size=10), BernoulliRBM(n_iter=5, method="cd", k=2),
    MLPClassifier(max_iter=100), MLPRegressor(max_iter=100), Perceptron(max_iter=5),
], ids=lambda e: f"{type(e).__name__}-{getattr(e, 'method', '')}")
def test_check_estimator(estimator):
    # scikit-learn's own test suite runs its classes with these settings (instance_generator.py)
    declared = EXPECTED_FAILED_CHECKS[type(estimator).__name__]
    results = check_estimator(estimator, on_skip=None, on_fail=None, expected_failed_checks=declared)
    failed = {r["check_name"]: str(r["exception"])[:300] for r in results if r["status"] == "failed"}
    assert not failed
    xfailed = {r["check_name"] for r in results if r["status"] == "xfail"}
    assert xfailed == set(declared)  # every declared failure is real


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=lambda c: c.__module__.split(".")[0])
def test_parameters_defaults_and_tags_are_scikit_learns(ours, theirs):
    mine, ref = ours().get_params(), theirs().get_params()
    assert set(mine) - set(ref) == EXTRAS[ours]
    assert {k: mine[k] for k in ref} == ref
    assert get_tags(ours()) == get_tags(theirs())


def test_invalid_parameters_are_refused_as_scikit_learn_refuses_them():
    with pytest.raises(ValueError, match="learning_rate"):
        BernoulliRBM(learning_rate=-1).fit(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="'method' parameter"):
        BernoulliRBM(method="gibbs").fit(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="solver"):
        MLPClassifier(solver="newton").fit(np.zeros((4, 3)), [0, 1, 0, 1])
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'"):  # as scikit-learn's
        MLPClassifier(solver="lbfgs").partial_fit  # noqa: B018 - the attribute itself is refused


# -- MLPClassifier, MLPRegressor: scikit-learn's trajectory ------------------------------------


@pytest.mark.parametrize("params", [
    dict(max_iter=4),
    dict(max_iter=4, solver="sgd"),
    dict(max_iter=4, solver="sgd", nesterovs_momentum=False, learning_rate="invscaling", activation="logistic"),
    dict(max_iter=15, solver="lbfgs", activation="tanh"),
    dict(max_iter=6, early_stopping=True, hidden_layer_sizes=(20, 10)),
    dict(max_iter=4, batch_size=64, shuffle=False, alpha=0.1, activation="identity"),
])
def test_mlp_classifier_follows_scikit_learns_trajectory(digits, params):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning, raised by both
        ref = sk_nn.MLPClassifier(random_state=0, **params).fit(X, y)
        ours = MLPClassifier(random_state=0, **params).fit(X, y)
    assert _max_diff(ours.coefs_, ref.coefs_) < 1e-9 and _max_diff(ours.intercepts_, ref.intercepts_) < 1e-9
    assert ours.n_iter_ == ref.n_iter_ and ours.loss_ == pytest.approx(ref.loss_, rel=1e-9)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-9)
    assert (ours.predict(X) == ref.predict(X)).all()
    if ref.solver != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-9)
    if params.get("early_stopping"):
        np.testing.assert_allclose(ours.validation_scores_, ref.validation_scores_)


def test_mlp_adam_without_pytorchs_fused_kernel(digits, monkeypatch):
    def unavailable(*args, **kwargs):
        raise RuntimeError("no fused Adam on this PyTorch")

    monkeypatch.setattr(torch, "_fused_adam_", unavailable, raising=False)
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, ours = sk_nn.MLPClassifier(random_state=0, max_iter=3).fit(X, y), MLPClassifier(random_state=0, max_iter=3).fit(X, y)
    assert not ours._optimizer.fused and _max_diff(ours.coefs_, ref.coefs_) < 1e-9


@pytest.mark.parametrize("target", ["binary", "multilabel", "strings"])
def test_mlp_classifier_targets_sample_weights_and_partial_fit(digits, target):
    X, y = digits[0][:600], digits[1][:600]
    Y = {"binary": y > 4, "multilabel": np.c_[y > 4, y % 2 == 0],
         "strings": np.array(["abcdefghij"[i] for i in y])}[target]
    sw = np.random.default_rng(0).random(len(X))
    for fit in ("fit", "partial_fit"):
        ref, ours = sk_nn.MLPClassifier(random_state=0, max_iter=3), MLPClassifier(random_state=0, max_iter=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for est in (ref, ours):
                if fit == "fit":
                    est.fit(X, Y, sample_weight=sw)
                else:
                    classes = [0, 1] if target == "multilabel" else np.unique(Y)  # label indices
                    est.partial_fit(X, Y, classes=classes).partial_fit(X, Y)
        assert _max_diff(ours.coefs_, ref.coefs_) < 1e-9
        assert (ours.predict(X) == ref.predict(X)).all() and (ours.classes_ == ref.classes_).all()


@pytest.mark.parametrize("params", [dict(max_iter=5), dict(max_iter=5, loss="poisson"),
                                    dict(max_iter=20, solver="lbfgs"), dict(max_iter=5, warm_start=True)])
def test_mlp_regressor_follows_scikit_learns_trajectory(digits, params):
    X, y = digits[0] / 16, np.c_[digits[1], digits[1] % 3].astype(float)
    ref, ours = sk_nn.MLPRegressor(random_state=0, **params), MLPRegressor(random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2 if params.get("warm_start") else 1):
            ref.fit(X, y)
            ours.fit(X, y)
    assert _max_diff(ours.coefs_, ref.coefs_) < 1e-9
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), atol=1e-9)


def test_mlp_float32_input_trains_in_float32(digits):
    X, y = digits[0].astype(np.float32) / 16, digits[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = MLPClassifier(random_state=0, max_iter=3).fit(X, y)
        ref = sk_nn.MLPClassifier(random_state=0, max_iter=3).fit(X, y)
    assert ours.coefs_[0].dtype == np.float32 and _max_diff(ours.coefs_, ref.coefs_) < 1e-4


# -- Perceptron: scikit-learn's weights, shuffles included -------------------------------------


@pytest.mark.parametrize("params", [
    dict(), dict(shuffle=False), dict(early_stopping=True), dict(class_weight="balanced", random_state=3),
    dict(penalty="l2", alpha=1e-3, max_iter=4), dict(penalty="elasticnet", alpha=1e-4, max_iter=3),
    dict(penalty="l1", alpha=1e-4, max_iter=3, fit_intercept=False),
])
def test_perceptron_reproduces_scikit_learns_weights(digits, params):
    X, y = digits
    if "penalty" in params:  # the penalised rule steps example by example in Python: fewer examples
        X, y = X[:500], y[:500]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, ours = sk_linear.Perceptron(**params).fit(X, y), Perceptron(**params).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-9)
    assert ours.n_iter_ == ref.n_iter_ and ours.t_ == ref.t_


def test_perceptron_binary_weights_and_partial_fit(digits):
    X, y = digits[0], digits[1] > 4
    sw = np.random.default_rng(0).random(len(X))
    ref, ours = sk_linear.Perceptron().fit(X, y, sample_weight=sw), Perceptron().fit(X, y, sample_weight=sw)
    assert ours.coef_.shape == (1, 64) and np.allclose(ours.coef_, ref.coef_)
    ref = sk_linear.Perceptron().partial_fit(X, y, classes=[False, True]).partial_fit(X, y)
    ours = Perceptron().partial_fit(X, y, classes=[False, True]).partial_fit(X, y)
    assert np.allclose(ours.coef_, ref.coef_) and ours.t_ == ref.t_
    with pytest.raises(ValueError, match="early_stopping should be False with partial_fit"):
        Perceptron(early_stopping=True).partial_fit(X, y, classes=[False, True])


# -- BernoulliRBM ------------------------------------------------------------------------------


def test_rbm_starts_as_scikit_learn_and_scores_as_it(digits):
    X = (digits[0][:200] > 7).astype(float)
    ref = sk_nn.BernoulliRBM(n_components=16, n_iter=0, random_state=3).fit(X)
    ours = BernoulliRBM(n_components=16, n_iter=0, random_state=3).fit(X)
    np.testing.assert_array_equal(ours.components_, ref.components_)
    assert not ours.intercept_hidden_.any() and not ours.intercept_visible_.any()
    ref.fit(X)  # trained weights, copied into ours: the same pseudo-likelihood and features
    ours.components_, ours.intercept_hidden_, ours.intercept_visible_ = (
        ref.components_, ref.intercept_hidden_, ref.intercept_visible_)
    np.testing.assert_allclose(ours.score_samples(X), ref.score_samples(X), rtol=1e-12)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=1e-12)


def test_rbm_pcd_steps_are_scikit_learns_given_the_same_uniforms():
    # scikit-learn's _fit draws its uniforms from rng.uniform in the order ours draws them from the
    # torch generator (visible states, then the chains' hidden states): replay ours into it
    rng = np.random.default_rng(0)
    X = (rng.random((10, 6)) < 0.4).astype(np.float64)
    ref = sk_nn.BernoulliRBM(n_components=4, batch_size=5, learning_rate=0.1, random_state=0).fit(X)
    ref.h_samples_ = (rng.random((5, 4)) < 0.5).astype(np.float64)
    ours = BernoulliRBM(n_components=4, batch_size=5, learning_rate=0.1, n_iter=0).fit(X)
    ours.components_, ours.intercept_hidden_, ours.intercept_visible_, ours.h_samples_ = (
        ref.components_, ref.intercept_hidden_, ref.intercept_visible_, ref.h_samples_)
    ours._rng = torch.Generator().manual_seed(5).get_state()
    ours._train(X, [slice(0, 5), slice(5, 10)], 1)  # two PCD-1 steps

    class Replay:  # scikit-learn's rng, answering with our draws
        g = torch.Generator().manual_seed(5)

        def uniform(self, size):
            return torch.rand(size, generator=self.g, dtype=torch.float64).numpy()

    replay = Replay()
    ref._fit(X[:5], replay)
    ref._fit(X[5:], replay)
    np.testing.assert_allclose(ours.components_, ref.components_, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_hidden_, ref.intercept_hidden_, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_visible_, ref.intercept_visible_, atol=1e-12)
    np.testing.assert_array_equal(ours.h_samples_, ref.h_samples_)


@pytest.mark.parametrize("k", [1, 3])
def test_rbm_cd_update_is_an_sgd_step_on_the_rbm_loss(k):
    # the oracle: autograd through RBM.loss, one plain SGD step, the same random numbers
    torch.manual_seed(0)
    rbm = RBM(12, 7, method="cd", k=k)
    with torch.no_grad():
        rbm.W.normal_(0, 0.3)
        rbm.b.normal_(0, 0.3)
        rbm.a.normal_(0, 0.3)
    v0 = (torch.rand(9, 12) < 0.4).float()
    lean, lr = copy.deepcopy(rbm), 0.1
    torch.manual_seed(7)
    rbm.loss((v0,)).backward()
    with torch.no_grad():
        expected = [p - lr * p.grad for p in (rbm.W, rbm.b, rbm.a)]
    _cd_train(lean, torch.zeros(9, 7), v0, [slice(0, 9)], 1, lr, True, torch.Generator().manual_seed(7))
    for got, want in zip((lean.W, lean.b, lean.a), expected):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-6)


def test_rbm_pcd_keeps_scikit_learns_chain_state():
    X = (np.random.default_rng(0).random((50, 6)) < 0.5).astype(np.float64)
    rbm = BernoulliRBM(n_components=4, batch_size=5, n_iter=2, random_state=0).fit(X)
    assert rbm.h_samples_.shape == (5, 4) and set(np.unique(rbm.h_samples_)) <= {0.0, 1.0}
    assert rbm.rbm_.chains.shape == (5, 6)  # the visible states of the same chains
    again = BernoulliRBM(n_components=4, batch_size=5, n_iter=2, random_state=0).fit(X)
    np.testing.assert_array_equal(rbm.components_, again.components_)  # one seed, one model
    before = rbm.components_.copy()
    assert rbm.partial_fit(X[:5]) is rbm and not np.array_equal(rbm.components_, before)
    assert rbm.gibbs(X[:3]).dtype == bool and rbm.gibbs(X[:3]).shape == (3, 6)


def test_rbm_log_likelihood_is_normalised():
    X = (np.random.default_rng(1).random((40, 5)) < 0.3).astype(np.float32)
    rbm = BernoulliRBM(n_components=3, n_iter=20, learning_rate=0.1, random_state=0).fit(X)
    every_state = np.array(list(itertools.product([0.0, 1.0], repeat=5)))  # all 2^5 visible vectors
    p = np.exp(rbm.log_likelihood(every_state))
    assert p.sum() == pytest.approx(1.0, abs=1e-5)
    assert rbm.transform(X).dtype == np.float32 and rbm.transform(X.astype(np.float64)).dtype == np.float64


def test_rbm_ais_agrees_with_the_exact_likelihood(digits):
    X = (digits[0][:300] > 7).astype(np.float64)
    rbm = BernoulliRBM(n_components=12, n_iter=5, learning_rate=0.05, random_state=0).fit(X)
    exact = rbm.log_likelihood(X).mean()
    ais = rbm.log_likelihood(X, method="ais", n_runs=50, generator=0,
                             betas=torch.linspace(0, 1, 2000, dtype=torch.float64)).mean()
    assert ais == pytest.approx(exact, abs=0.1)


def test_rbm_parallel_tempering_trains_through_the_zoo():
    X = (np.random.default_rng(2).random((60, 8)) < 0.3).astype(np.float64)
    rbm = BernoulliRBM(n_components=5, n_iter=3, batch_size=10, method="pt", random_state=0).fit(X)
    assert rbm.rbm_.method == "pt" and np.isfinite(rbm.components_).all()
    assert rbm.components_.dtype == np.float64 and rbm.h_samples_.shape == (10, 5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        BernoulliRBM(n_components=5, method="pt").fit(X * 2)


def test_scikit_learns_rbm_example_with_one_import_changed(capsys):
    """scikit-learn's example "Restricted Boltzmann Machine features for digit classification"
    (examples/neural_networks/plot_rbm_logistic_classification.py): BernoulliRBM(n_components=100,
    learning_rate=0.06, n_iter=10, random_state=0) + LogisticRegression(solver="newton-cg", C=6000)
    in a Pipeline, run with scikit-learn's class and with ours. The example's tol=1 stops
    newton-cg at its first iteration in scikit-learn 1.9 (the objective became a mean instead of
    a sum; both pipelines then score 0.097, chance), so the solver runs to its default tol=1e-4,
    about the example's old tol rescaled (1 / 7188)."""
    X_train, X_test, Y_train, Y_test = rbm_example_data()
    scores = {}
    for name, cls in (("scikit-learn", sk_nn.BernoulliRBM), ("neuralzoo", BernoulliRBM)):
        rbm = cls(random_state=0)
        logistic = LogisticRegression(solver="newton-cg")
        pipeline = Pipeline(steps=[("rbm", rbm), ("logistic", logistic)])
        rbm.learning_rate, rbm.n_iter, rbm.n_components, logistic.C = 0.06, 10, 100, 6000
        pipeline.fit(X_train, Y_train)
        scores[name] = pipeline.score(X_test, Y_test)
    with capsys.disabled():
        print(f"\nRBM example, test accuracy: scikit-learn {scores['scikit-learn']:.4f}, "
              f"neuralzoo {scores['neuralzoo']:.4f}")
    assert scores["scikit-learn"] > 0.9
    assert abs(scores["neuralzoo"] - scores["scikit-learn"]) <= 0.01


def test_clone_keeps_the_extras():
    rbm = BernoulliRBM(method="cd", k=2, device="cpu")
    assert clone(rbm).get_params()["k"] == 2 and "rbm_" not in vars(clone(rbm))
