"""Perceptron: the hand rule, Novikoff's bound, XOR, the pocket, digits against scikit-learn."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

from neuralzoo.models.base import NotFittedError
from neuralzoo.models.perceptron import ConvergenceWarning, Perceptron
from neuralzoo.train import load_weights


@pytest.fixture(scope="module")
def digits():
    """neuralzoo's digits split: pixels / 16, 1437 train and 360 test images."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = (d.data / 16).astype(np.float32)
    return train_test_split(X, d.target, test_size=360, stratify=d.target, random_state=0)


def separable_2d(n: int, gamma: float, seed: int):
    """Points in [-1, 1]^2 labelled by a line, those within ``gamma`` of it dropped."""
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0, 2 * np.pi)
    w, b = np.array([np.cos(theta), np.sin(theta)]), rng.uniform(-0.3, 0.3)
    X = rng.uniform(-1, 1, (4 * n, 2))
    m = X @ w + b
    keep = np.abs(m) >= gamma
    return X[keep][:n].astype(np.float32), (m[keep][:n] > 0).astype(np.int64), np.append(w, b)


def test_one_mistake_is_the_hand_rule():
    x = torch.tensor([[1.0, 2.0]])
    net = Perceptron(2, 3)
    with pytest.warns(ConvergenceWarning, match="1 mistakes in the last one"):
        net.fit(x, torch.tensor([2]), epochs=1, progress=False)
    # all scores tie at 0: a mistake against p = argmax_{c != 2} = 0
    assert torch.equal(net.W[2].detach(), x[0]) and torch.equal(net.W[0].detach(), -x[0])
    assert torch.equal(net.W[1].detach(), torch.zeros(2))
    assert net.b.tolist() == [-1.0, 0.0, 1.0]
    assert net.mistakes_total_ == 1


def test_two_examples_by_hand():
    # x' = (x, 1): (1,0,1) -> 1 and (-1,0,1) -> 0. In either order both are mistakes (ties),
    # and the two updates sum to w_1 = (2, 0), b_1 = 0 = -w_0; the second epoch is clean.
    X, y = torch.tensor([[1.0, 0.0], [-1.0, 0.0]]), torch.tensor([1, 0])
    for seed in (0, 1):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            net = Perceptron(2, 2).fit(X, y, seed=seed, progress=False)
        assert net.W.tolist() == [[-2.0, 0.0], [2.0, 0.0]] and net.b.tolist() == [0.0, 0.0]
        assert net.history_.column("mistakes") == [2, 0]
        assert net.mistakes_total_ == 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_converges_within_novikoff_bound(seed):
    X, y, u = separable_2d(200, gamma=0.1, seed=seed)
    Xa = np.hstack([X, np.ones((len(X), 1))]).astype(np.float64)  # bias as a constant feature
    s = 2 * y - 1
    u = u / np.linalg.norm(u)  # unit-norm separator in the augmented space
    gamma = float((s * (Xa @ u)).min())
    R = float(np.linalg.norm(Xa, axis=1).max())
    assert gamma > 0
    net = Perceptron(2, 2).fit(X, y, epochs=1000, seed=seed, progress=False)
    assert net.history_.column("mistakes")[-1] == 0
    assert net.score(X, y) == 1.0
    assert 0 < net.mistakes_total_ <= (R / gamma) ** 2


def test_xor_does_not_converge():
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([0, 1, 1, 0])
    with pytest.warns(ConvergenceWarning, match="did not converge in 25 epochs"):
        net = Perceptron(2, 2).fit(X, y, epochs=25, progress=False)
    assert len(net.history_) == 25
    assert net.history_.column("mistakes")[-1] > 0
    assert net.score(X, y) < 1.0


def test_pocket_keeps_the_best_weights(tmp_path):
    X, y, _ = separable_2d(200, gamma=0.05, seed=3)
    rng = np.random.default_rng(3)
    flip = rng.random(len(y)) < 0.1
    y = np.where(flip, 1 - y, y)  # 10% label noise: not separable
    with pytest.warns(ConvergenceWarning):
        plain = Perceptron(2, 2).fit(X, y, epochs=20, seed=0, progress=False)
    with pytest.warns(ConvergenceWarning, match="pocket holds weights"):
        pocket = Perceptron(2, 2, pocket=True).fit(X, y, epochs=20, seed=0, out=tmp_path, progress=False)
    errors = int((pocket.predict(X) != torch.from_numpy(y)).sum())
    assert errors == int(pocket.pocket_errors) == min(pocket.history_.column("train_errors"))
    assert pocket.score(X, y) >= plain.score(X, y)
    # the run folder holds the pocket weights and rebuilds the model
    config = json.loads((tmp_path / "config.json").read_text())
    rebuilt = load_weights(Perceptron(**config["hparams"]), tmp_path / "model.safetensors")
    rebuilt._fitted = True
    assert torch.equal(rebuilt.predict(X), pocket.predict(X))


def test_digits_against_sklearn(digits):
    from sklearn.linear_model import Perceptron as SkPerceptron

    Xtr, Xte, ytr, yte = digits
    # The final weights of a perceptron that has not converged swing from epoch to epoch
    # (0.90-0.95 here); the pocket's weights are the stable figure to compare.
    with pytest.warns(ConvergenceWarning):
        net = Perceptron(64, 10, pocket=True).fit(Xtr, ytr, epochs=10, seed=0, progress=False)
    ours = net.score(Xte, yte)
    ref = SkPerceptron(max_iter=10, tol=None, random_state=0).fit(Xtr, ytr).score(Xte, yte)
    assert ours >= 0.90
    assert abs(ours - ref) <= 0.03, (ours, ref)


def test_config_and_hparams():
    net = Perceptron(**Perceptron.sizes_from_data(64, 10), pocket=True)
    assert net.hparams == net.get_params() == {"n_features": 64, "n_classes": 10, "pocket": True}
    assert type(net)(**net.get_params()).hparams == net.hparams
    assert "pocket_W" in net.state_dict()
    assert "n_features=64" in repr(net) and "params=650" in repr(net)


def test_bad_inputs():
    net = Perceptron(3, 2)
    X, y = torch.zeros(4, 3), torch.tensor([0, 1, 0, 1])
    with pytest.raises(NotFittedError, match="not fitted"):
        net.predict(X)
    with pytest.raises(ValueError, match="expected 3, got 2"):
        net.fit(torch.zeros(4, 2), y, progress=False)
    bad = X.clone()
    bad[1, 2] = float("nan")
    with pytest.raises(ValueError, match="must be finite"):
        net.fit(bad, y, progress=False)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]: got values in \[0, 2\]"):
        net.fit(X, torch.tensor([0, 1, 2, 0]), progress=False)
    with pytest.raises(ValueError, match="needs labels"):
        net.fit(X, progress=False)
    with pytest.raises(ValueError, match="n_classes must be >= 2, got 1"):
        Perceptron(3, 1)
