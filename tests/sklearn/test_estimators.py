"""The scikit-learn face: parameters from the models' declarations, sizes from the data, the same
model as the torch face, run folders both ways, and scikit-learn's tools (Pipeline, GridSearchCV,
cross_val_score, clone, set_params, pickle)."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline

import neuralzoo as nz
from neuralzoo.config import TrainConfig, hyperparameters
from neuralzoo.sklearn import (
    DBNEstimator,
    HopfieldEstimator,
    LeNet5Estimator,
    LSTMEstimator,
    MLPEstimator,
    RBFNetworkEstimator,
    RBMEstimator,
    VAEEstimator,
    from_run,
)


@pytest.fixture(scope="module")
def digits():
    """digits scaled to [0, 1]: X float64 (1797, 64), y int (1797,)."""
    X, y = nz.datasets.load("digits")
    return X.double().numpy(), y.numpy()


# -- parameters: one declaration --------------------------------------------------------------

def test_parameters_are_the_models_hyperparameters_and_the_training_settings():
    params = MLPEstimator().get_params()
    model = {k: p.default for k, p in hyperparameters(nz.MLP).items()}
    assert {k: params[k] for k in model} == {**model, "hidden": (100,)}  # lists as tuples
    for field, default in {**TrainConfig().__dict__, **nz.MLP.train_defaults}.items():
        name = {"seed": "random_state", "progress": "verbose"}.get(field, field)
        if field not in ("checkpoint_every", "progress"):
            assert params[name] == default, field
    assert params["verbose"] is False and "checkpoint_every" not in params
    sig = inspect.signature(MLPEstimator.__init__)
    assert all(p.kind is p.KEYWORD_ONLY for n, p in sig.parameters.items() if n != "self")
    # a family's own defaults: the RBM's training and data defaults
    rbm = RBMEstimator().get_params()
    assert (rbm["lr"], rbm["optimizer"], rbm["momentum"], rbm["binarize"]) == (0.05, "sgd", 0.5, "threshold")
    # what the data fix is not a parameter: the LSTM takes n_steps and task, not vocab
    lstm = LSTMEstimator().get_params()
    assert {"n_steps", "task"} <= set(lstm) and not {"vocab", "n_tokens", "n_features"} & set(lstm)
    with pytest.raises(TypeError, match="unexpected keyword argument 'n_iter'"):
        MLPEstimator(n_iter=10)  # silently ignored by nn.Module: refused here


def test_same_model_as_the_torch_face_for_the_same_seed(digits):
    X, y = digits
    est = MLPEstimator(hidden=(16,), epochs=2, random_state=3).fit(X[:300], y[:300])
    net = nz.MLP(64, 10, hidden=[16]).fit(torch.from_numpy(X[:300]).float(), torch.from_numpy(y[:300]),
                                          epochs=2, seed=3, progress=False)
    for a, b in zip(est.module_.state_dict().values(), net.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert [r["loss"] for r in est.history_] == [r["loss"] for r in net.history_]


# -- sizes and labels from the data -------------------------------------------------------------

def test_labels_of_any_type_come_back(digits):
    X, y = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    est = MLPEstimator(hidden=(32,), epochs=5, lr=0.01, batch_size=50).fit(X[:500], names[y[:500]])
    assert est.classes_.tolist() == sorted(names.tolist()) and est.n_features_in_ == 64
    pred = est.predict(X[500:600])
    assert pred.dtype == names.dtype and np.mean(pred == names[y[500:600]]) > 0.8
    proba = est.predict_proba(X[500:600])
    assert proba.shape == (100, 10) and proba.dtype == np.float64
    assert (est.classes_[proba.argmax(1)] == pred).all()
    shifted = MLPEstimator(hidden=(8,), epochs=2).fit(X[:200], y[:200] + 1)  # labels 1..10
    assert set(shifted.predict(X[:50])) <= set(range(1, 11))


def test_images_and_sequences_read_their_shape_from_the_data(digits):
    X, y = digits
    lenet = LeNet5Estimator(epochs=1).fit(X[:200], y[:200])
    assert lenet.module_.input_shape == (1, 8, 8)  # a square grey image, as the models infer
    assert LeNet5Estimator(epochs=1, image_shape=(1, -1, 8)).fit(X[:64], y[:64]).module_.input_shape == (1, 8, 8)
    with pytest.raises(ValueError, match="image_shape .* holds 48 values: expected 64"):
        LeNet5Estimator(image_shape=(3, 4, 4)).fit(X[:64], y[:64])
    lstm = LSTMEstimator(hidden=8, epochs=1).fit(X[:100], y[:100])
    assert (lstm.module_.n_steps, lstm.module_.n_features) == (8, 8)  # 8 rows of 8 pixels
    lstm = LSTMEstimator(hidden=8, epochs=1, n_steps=16).fit(X[:100], y[:100])
    assert (lstm.module_.n_steps, lstm.module_.n_features) == (16, 4)
    with pytest.raises(ValueError, match="n_steps must divide the 64 features"):
        LSTMEstimator(n_steps=5).fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="cannot read 63 features as a sequence"):
        LSTMEstimator().fit(X[:100, :63], y[:100])


def test_kind_follows_the_family_and_its_parameters():
    assert is_classifier(RBFNetworkEstimator()) and is_regressor(RBFNetworkEstimator(regression=True))
    assert is_classifier(LSTMEstimator()) and is_regressor(LSTMEstimator(task="regress"))
    assert not hasattr(LSTMEstimator(task="regress"), "predict_proba")
    assert RBMEstimator().__sklearn_tags__().estimator_type == "density_estimator"
    assert hasattr(RBMEstimator(), "transform") and hasattr(DBNEstimator(), "transform")


def test_regressors_return_floats():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2
    est = RBFNetworkEstimator(regression=True, n_centers=20).fit(X, y)
    assert est.predict(X).dtype == np.float64 and est.score(X, y) > 0.8
    Y = np.stack([y, -y], 1)  # several outputs at once
    assert RBFNetworkEstimator(regression=True, n_centers=20).fit(X, Y).predict(X).shape == (200, 2)


def test_density_transform_and_generation(digits):
    X, _ = digits
    rbm = RBMEstimator(n_hidden=8, epochs=2).fit(X[:300])
    v = torch.from_numpy((X[:20] > 0.5).astype(np.float32))
    np.testing.assert_allclose(rbm.score_samples(X[:20]), rbm.module_.log_likelihood(v, method="exact").numpy())
    assert rbm.score(X[:20]) == pytest.approx(rbm.score_samples(X[:20]).mean())
    assert rbm.transform(X[:5]).shape == (5, 8) and rbm.get_feature_names_out()[0] == "rbmestimator0"
    assert rbm.sample(3).shape == (3, 64)
    np.testing.assert_array_equal(rbm.sample(3, seed=1), rbm.sample(3, seed=1))
    vae = VAEEstimator(latent=2, epochs=1, binarize="threshold").fit(X[:200])
    codes = vae.transform(X[:4])
    assert codes.shape == (4, 2) and vae.inverse_transform(codes).shape == (4, 64)
    hop = HopfieldEstimator(patterns_per_class=1).fit(X[:100] > 0.5, np.arange(100) % 3)
    assert hop.module_.n_stored == 3 and set(np.unique(hop.transform(X[:5]))) <= {0.0, 1.0}


# -- run folders -------------------------------------------------------------------------------

def test_save_writes_a_run_folder_that_from_run_and_nz_load_read(tmp_path, digits):
    X, y = digits
    labels = np.array(list("abcdefghij"))[y]
    est = MLPEstimator(hidden=(16,), epochs=2, random_state=5).fit(X[:300], labels[:300])
    est.save(tmp_path / "run")
    assert {"config.json", "model.safetensors", "metrics.jsonl"} <= {p.name for p in (tmp_path / "run").iterdir()}
    back = from_run(tmp_path / "run")
    assert type(back) is MLPEstimator and back.get_params() == est.get_params()
    np.testing.assert_array_equal(back.predict(X[300:400]), est.predict(X[300:400]))
    np.testing.assert_allclose(back.predict_proba(X[300:400]), est.predict_proba(X[300:400]))
    assert back.classes_.tolist() == list("abcdefghij") and len(back.history_) == 2
    model = nz.load(tmp_path / "run")  # the torch face reads it too
    assert type(model) is nz.MLP and model.hidden == [16]


def test_from_run_reads_a_run_of_the_torch_face(tmp_path, digits):
    X, y = digits
    Xt, yt = torch.from_numpy(X[:300]).float(), torch.from_numpy(y[:300])
    nz.DBN(64, 10, hidden=[16], finetune_epochs=1).fit(Xt, yt, epochs=1, progress=False, out=tmp_path / "dbn")
    est = from_run(tmp_path / "dbn")
    assert type(est) is DBNEstimator and est.hidden == (16,) and est.finetune_epochs == 1
    assert est.classes_.tolist() == list(range(10)) and est.n_features_in_ == 64
    assert est.predict(X[:10]).shape == (10,) and est.transform(X[:10]).shape == (10, 16)
    refit = clone(est).fit(X[:300], y[:300])  # the parameters rebuild the same kind of model
    assert refit.module_.sizes == est.module_.sizes


# -- scikit-learn's tools ----------------------------------------------------------------------

def test_pipeline_rbm_features_into_logistic_regression(digits):
    X, y = digits
    # scikit-learn's example "RBM features for digit classification", grey levels as they are
    rbm = RBMEstimator(n_hidden=64, epochs=10, batch_size=10, lr=0.06, momentum=0.0, binarize=None)
    pipe = Pipeline([("rbm", rbm), ("logistic", LogisticRegression(max_iter=1000))])
    pipe.fit(X[:1000], y[:1000])
    assert pipe.score(X[1000:], y[1000:]) > 0.7
    pipe.set_params(rbm__n_hidden=16)
    assert pipe.fit(X[:300], y[:300])[0].module_.n_hidden == 16


def test_grid_search_over_the_layer_sizes_of_a_dbn(digits):
    X, y = digits
    dbn = DBNEstimator(epochs=3, finetune_epochs=10, batch_size=20)
    search = GridSearchCV(dbn, {"hidden": [(16,), (32, 16)]}, cv=2).fit(X[:400], y[:400])
    assert search.best_params_["hidden"] in [(16,), (32, 16)]
    assert search.best_estimator_.module_.hidden == list(search.best_params_["hidden"])
    assert search.best_score_ > 0.7


def test_cross_val_score_of_an_lstm_over_row_sequences(digits):
    X, y = digits
    lstm = LSTMEstimator(hidden=32, epochs=10, batch_size=16, lr=0.01)  # 8 steps of 8 pixels, row by row
    scores = cross_val_score(lstm, X[:600], y[:600], cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8


def test_clone_and_set_params():
    est = DBNEstimator(hidden=(8, 4), epochs=3)
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()
    assert est.set_params(hidden=(16,), lr=0.1, random_state=7) is est
    assert (est.hidden, est.lr, est.random_state) == ((16,), 0.1, 7)
    with pytest.raises(ValueError, match="Invalid parameter 'n_iter'"):
        est.set_params(n_iter=3)


def test_a_fitted_estimator_pickles(digits):
    X, y = digits
    for est in (LeNet5Estimator(epochs=1), DBNEstimator(hidden=(16,), epochs=1, finetune_epochs=1)):
        est.fit(X[:200], y[:200])
        back = pickle.loads(pickle.dumps(est))
        np.testing.assert_array_equal(back.predict(X[200:260]), est.predict(X[200:260]))
        np.testing.assert_allclose(back.predict_proba(X[200:260]), est.predict_proba(X[200:260]))
        assert back.history_ == est.history_ and back.module_ is not est.module_


def test_set_output_pandas(digits):
    pd = pytest.importorskip("pandas", reason="pandas is not installed: set_output(transform='pandas') "
                                              "is scikit-learn's own wrapping of transform, tested where pandas is")
    X, _ = digits
    frame = pd.DataFrame(X[:50], columns=[f"pixel{j}" for j in range(X.shape[1])])
    rbm = RBMEstimator(n_hidden=4, epochs=1).set_output(transform="pandas")
    out = rbm.fit_transform(frame)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == [f"rbmestimator{i}" for i in range(4)]
    assert list(rbm.feature_names_in_) == list(frame.columns)
    # the drop-in names its columns as scikit-learn's BernoulliRBM does, also inside a Pipeline
    from sklearn.neural_network import BernoulliRBM as SkRBM
    from sklearn.pipeline import make_pipeline

    from neuralzoo.sklearn import BernoulliRBM
    ours = make_pipeline(BernoulliRBM(n_components=3, n_iter=1, random_state=0)).set_output(transform="pandas")
    theirs = make_pipeline(SkRBM(n_components=3, n_iter=1, random_state=0)).set_output(transform="pandas")
    assert list(ours.fit_transform(frame).columns) == list(theirs.fit_transform(frame).columns)


def test_partial_fit_learns_online(digits):
    X, y = digits
    est = MLPEstimator(hidden=(32,), lr=0.01, batch_size=20)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        est.partial_fit(X[:100], y[:100])
    for i in range(0, 1000, 100):
        est.partial_fit(X[i:i + 100], y[i:i + 100], classes=np.arange(10))
    assert [r["epoch"] for r in est.history_] == list(range(1, 11)) and est.score(X[1000:], y[1000:]) > 0.7
    rbm = RBMEstimator(n_hidden=8).partial_fit(X[:100]).partial_fit(X[100:200])
    assert len(rbm.history_) == 2 and rbm.transform(X[:3]).shape == (3, 8)
    assert not hasattr(DBNEstimator(), "partial_fit")  # greedy stages: no online learning
