"""RBF network: exact interpolation against SciPy, least squares against NumPy, digits."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import neuralzoo
from neuralzoo.config import hyperparameters
from neuralzoo.models.base import NotFittedError
from neuralzoo.models.rbf import RBFNetwork
from neuralzoo.train import checkpoint as ckpt


@pytest.fixture(scope="module")
def digits():
    """neuralzoo's digits split: pixels / 16, 1437 train and 360 test images."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = (d.data / 16).astype(np.float32)
    return train_test_split(X, d.target, test_size=360, stratify=d.target, random_state=0)


def points(n: int, seed: int) -> np.ndarray:
    """Points in [-1, 1]^2, float64 values exactly representable in float32 (what check_X keeps)."""
    return np.random.default_rng(seed).uniform(-1, 1, (n, 2)).astype(np.float32).astype(np.float64)


def f(p: np.ndarray) -> np.ndarray:
    return np.sin(3 * p[:, 0]) * np.cos(2 * p[:, 1])


def test_exact_interpolation_matches_scipy():
    from scipy.interpolate import RBFInterpolator

    P, Q = points(40, 0), points(200, 1)
    net = RBFNetwork(2, 1, n_centers=None, centers="all", width="max-distance", ridge=0.0, bias=False,
                     regression=True).double()
    net.fit(P, f(P), progress=False)
    assert net.n_centers == net.get_params()["n_centers"] == 40
    assert np.abs(net.predict(P).numpy() - f(P)).max() < 1e-6  # interpolates the targets
    # scipy's gaussian kernel is exp(-(eps r)^2) = exp(-r^2 / (2 sigma^2)) for eps = 1/(sqrt 2 sigma);
    # degree=-1 drops its polynomial tail, as bias=False drops ours
    sigma = float(net.sigma.detach()[0])
    ref = RBFInterpolator(P, f(P), kernel="gaussian", epsilon=1 / (np.sqrt(2) * sigma), degree=-1)(Q)
    ours = net.predict(Q).numpy()
    assert np.abs(ours - ref).max() <= 1e-6 * np.abs(ref).max()


def test_output_weights_are_least_squares():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = rng.integers(0, 3, 60)
    T = np.eye(3)[y]  # one-hot targets
    for ridge in (0.0, 0.1):
        net = RBFNetwork(3, 3, n_centers=12, centers="random", width="nearest", ridge=ridge).double()
        net.fit(X, y, seed=0, progress=False)
        A = np.hstack([net.phi(torch.from_numpy(X).double()).detach().numpy(), np.ones((60, 1))])
        if ridge == 0:
            theta = np.linalg.lstsq(A, T, rcond=None)[0]
        else:  # normal equations, the bias column not penalised
            D = np.diag([1.0] * 12 + [0.0])
            theta = np.linalg.solve(A.T @ A + ridge * D, A.T @ T)
        np.testing.assert_allclose(net.W.detach().numpy(), theta[:12].T, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(net.b.detach().numpy(), theta[12], rtol=1e-7, atol=1e-9)


def test_width_heuristics():
    from scipy.spatial.distance import cdist

    X = points(30, 2)
    net = RBFNetwork(2, 2, n_centers=None, centers="all", width="max-distance")
    net.place_centers(X).choose_widths()
    d = cdist(X, X)
    np.testing.assert_allclose(net.sigma.detach().numpy(), d.max() / np.sqrt(2 * 30), rtol=1e-5)
    net = RBFNetwork(2, 2, n_centers=None, centers="all", width="nearest", n_neighbors=3, width_scale=2.0)
    net.place_centers(X).choose_widths()
    np.fill_diagonal(d, np.inf)
    expected = 2.0 * np.sort(d, axis=1)[:, :3].mean(1)
    np.testing.assert_allclose(net.sigma.detach().numpy(), expected, rtol=1e-5)


def test_digits_kmeans(digits):
    Xtr, Xte, ytr, yte = digits
    # K = 100 keeps the test quick (0.983); K = 300 with width_scale=1 reaches 0.992
    net = RBFNetwork(64, 10, n_centers=100, centers="kmeans", width="nearest", width_scale=1.5)
    net.fit(Xtr, ytr, seed=0, progress=False)
    assert net.score(Xte, yte) >= 0.95
    assert net.history_[0]["stage"] == "closed_form" and len(net.history_) == 1


def test_finetuning_lowers_the_training_loss(digits):
    Xtr, _, ytr, _ = digits
    X, y = torch.from_numpy(Xtr), torch.from_numpy(ytr)
    start = RBFNetwork(64, 10, n_centers=40, centers="random").fit(X, y, seed=0, progress=False)
    net = RBFNetwork(64, 10, n_centers=40, centers="random", finetune_epochs=3)
    net.fit(X, y, seed=0, lr=0.01, progress=False)
    with torch.no_grad():
        before, after = float(F.cross_entropy(start(X), y)), float(F.cross_entropy(net(X), y))
    assert net.history_[0]["loss"] == pytest.approx(before)
    assert [row["stage"] for row in net.history_] == ["closed_form"] + ["finetune"] * 3
    assert after < 0.5 * before
    for name in ("mu", "log_sigma", "W", "b"):  # every parameter moved
        assert not torch.allclose(getattr(net, name), getattr(start, name)), name


def test_rebuild_from_hparams():
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([0, 1, 1, 0])
    net = RBFNetwork(2, 2, n_centers=None, centers="all", width=0.5).fit(X, y, progress=False)
    hparams = json.loads(json.dumps(net.hparams))
    rebuilt = RBFNetwork(**hparams)
    rebuilt.load_state_dict(net.state_dict())
    rebuilt._fitted = True
    assert torch.equal(rebuilt.predict_proba(X), net.predict_proba(X))
    assert hparams["n_centers"] == 4  # K = N, set by fit


def test_get_params_round_trips_and_every_hyperparameter_is_documented():
    net = RBFNetwork(64, 10, n_centers=10, width=1.5, bias=False, regression=True)
    params = net.get_params()
    assert params == {"n_features": 64, "n_classes": 10, "n_centers": 10, "centers": "kmeans",
                      "width": 1.5, "width_scale": 1.0, "n_neighbors": 2, "ridge": 1e-6,
                      "bias": False, "finetune_epochs": 0, "regression": True} == net.hparams
    assert type(net)(**params).get_params() == params
    assert RBFNetwork.sizes_from_data(64, 10) == {"n_features": 64, "n_classes": 10}
    hyper = hyperparameters(RBFNetwork)
    assert "n_features" not in hyper and "n_classes" not in hyper
    for key, p in hyper.items():
        assert p.doc != "", f"RBFNetwork.{key} has no line in the Args: block"
        assert not p.required, f"RBFNetwork.{key} has no default"
    assert hyper["n_centers"].default == 300  # `neuralzoo train rbf`'s K, as before
    with pytest.raises(TypeError):
        RBFNetwork(64, 10, 10)  # n_centers is keyword-only


def test_train_help_lists_the_hyperparameters(run_cli):
    code, out, _ = run_cli("train", "rbf", "--help")
    assert code == 0
    for key in hyperparameters(RBFNetwork):
        assert key in out


def test_a_run_folder_of_neuralzoo_0_1_loads(tmp_path):
    """config.json of neuralzoo 0.1 (no "format" key): the same names, n_centers was positional."""
    X, y = torch.rand(40, 3), torch.arange(40) % 3
    net = RBFNetwork(3, 3, n_centers=6, centers="random").fit(X, y, seed=0, progress=False)
    old = {"n_features": 3, "n_centers": 6, "n_classes": 3, "centers": "random", "width": "nearest",
           "width_scale": 1.0, "n_neighbors": 2, "ridge": 1e-06, "bias": True,
           "finetune_epochs": 0, "regression": False}
    ckpt.save_weights(net, tmp_path / ckpt.WEIGHTS)
    (tmp_path / "config.json").write_text(json.dumps({"model": "rbf", "hparams": old}))
    again = neuralzoo.load(tmp_path)
    assert type(again) is RBFNetwork and again.get_params() == net.get_params()
    assert torch.equal(again.predict_proba(X), net.predict_proba(X))


def test_bad_inputs():
    X, y = torch.rand(20, 3), torch.arange(20) % 2
    net = RBFNetwork(3, 2, n_centers=5)
    with pytest.raises(NotFittedError, match="not fitted"):
        net.predict(X)
    with pytest.raises(ValueError, match="expected 3, got 4"):
        net.fit(torch.rand(20, 4), y, progress=False)
    bad = X.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="must be finite"):
        net.fit(bad, y, progress=False)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]: got values in \[0, 3\]"):
        net.fit(X, torch.arange(20) % 4, progress=False)
    with pytest.raises(ValueError, match="expected >= 30, got 20"):
        RBFNetwork(3, 2, n_centers=30).fit(X, y, progress=False)
    with pytest.raises(ValueError, match="or a positive float, got -1"):
        RBFNetwork(3, 2, n_centers=5, width=-1.0)
    with pytest.raises(ValueError, match="centers: expected one of"):
        RBFNetwork(3, 2, n_centers=5, centers="grid")
    with pytest.raises(ValueError, match="unless centers='all'"):
        RBFNetwork(3, 2, n_centers=None)
    reg = RBFNetwork(3, 2, n_centers=5, regression=True)
    with pytest.raises(ValueError, match=r"expected \(20, 2\), got \(20,\)"):
        reg.fit(X, torch.rand(20), progress=False)
    reg.fit(X, torch.rand(20, 2), progress=False)
    with pytest.raises(ValueError, match="predict_proba needs a classifier"):
        reg.predict_proba(X)
