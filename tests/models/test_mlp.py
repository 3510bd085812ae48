"""The multilayer perceptron against oracles: nn.Sequential with copied weights, the softmax
loss written out by hand, the Xavier/He variances, XOR, and the digits benchmark."""

from __future__ import annotations

import doctest
import json
import math

import pytest
import torch
from torch import nn

import neuralzoo
from neuralzoo import MLP
from neuralzoo.config import hyperparameters
from neuralzoo.models import NotFittedError
from neuralzoo.models import mlp as mlp_module
from neuralzoo.train import checkpoint as ckpt

QUIET = {"progress": False}
TORCH_ACT = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def _oracle(net: MLP) -> nn.Sequential:
    """nn.Linear + activation layers holding copies of the MLP's weights."""
    mods: list[nn.Module] = []
    for i, layer in enumerate(net.layers):
        lin = nn.Linear(layer.in_features, layer.out_features)
        with torch.no_grad():
            lin.weight.copy_(layer.weight)
            lin.bias.copy_(layer.bias)
        mods.append(lin)
        if i < len(net.layers) - 1:
            mods.append(TORCH_ACT[net.activation]())
    return nn.Sequential(*mods)


def test_solves_xor_with_four_tanh_units(xor):
    X, y = xor
    net = MLP(2, 2, hidden=[4], activation="tanh").fit(X, y, epochs=300, batch_size=4, lr=0.05, **QUIET)
    assert net.predict(X).tolist() == [0, 1, 1, 0]
    assert net.history_[-1]["loss"] < 0.1


def test_digits_test_accuracy(digits_train, digits_test):
    net = MLP(64, 10, hidden=[256], activation="relu", dropout=0.2).fit(
        *digits_train, epochs=40, batch_size=32, lr=3e-3, lr_schedule="cosine", seed=0, **QUIET)
    assert net.score(*digits_test) >= 0.97


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_forward_and_gradients_equal_nn_sequential(activation):
    torch.manual_seed(0)
    net = MLP(6, 3, hidden=[5, 4], activation=activation)
    ref = _oracle(net)
    x = torch.randn(8, 6)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    o, o_ref = net(x1), ref(x2)
    torch.testing.assert_close(o, o_ref, rtol=0, atol=0)

    w = torch.randn_like(o)  # an arbitrary scalar function of the logits
    (o * w).sum().backward()
    (o_ref * w).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad)
    refs = [m for m in ref if isinstance(m, nn.Linear)]
    for layer, lin in zip(net.layers, refs):
        torch.testing.assert_close(layer.weight.grad, lin.weight.grad)
        torch.testing.assert_close(layer.bias.grad, lin.bias.grad)


def test_loss_is_minus_log_softmax_of_the_true_class():
    torch.manual_seed(1)
    net = MLP(5, 4, hidden=[7], activation="tanh")
    x, y = torch.randn(9, 5), torch.tensor([0, 1, 2, 3, 0, 1, 2, 3, 3])
    o = net(x).detach().double()
    # by hand: l = log sum_j exp(o_j) - o_y, averaged over the batch
    by_hand = sum(math.log(sum(math.exp(v) for v in row)) - row[t]
                  for row, t in zip(o.tolist(), y.tolist())) / len(y)
    assert net.loss((x, y)).item() == pytest.approx(by_hand, rel=1e-5)


@pytest.mark.parametrize(("activation", "init", "expected_std"), [
    # Glorot & Bengio: Var W = 2 / (fan_in + fan_out); uniform on [-a, a] with a = sqrt(3) std
    ("sigmoid", "auto", math.sqrt(2 / 1024)),
    # tanh uses PyTorch's recommended gain 5/3 on top of Glorot
    ("tanh", "auto", 5 / 3 * math.sqrt(2 / 1024)),
    # He et al.: Var W = 2 / fan_in
    ("relu", "auto", math.sqrt(2 / 512)),
    ("tanh", "he", math.sqrt(2 / 512)),
    ("relu", "xavier", math.sqrt(2 / 1024)),
])
def test_initialisation_statistics(activation, init, expected_std):
    torch.manual_seed(0)
    net = MLP(512, 10, hidden=[512, 512], activation=activation, init=init)
    for layer in net.layers[:2]:  # the hidden 512 x 512 layers
        W = layer.weight.detach()
        assert W.std().item() == pytest.approx(expected_std, rel=0.1)
        assert W.abs().max().item() <= math.sqrt(3) * expected_std * 1.0001  # uniform bound
        assert abs(W.mean().item()) < 0.01 * expected_std * 10
        assert torch.count_nonzero(layer.bias) == 0
    # the output layer is Glorot with gain 1 whatever the activation
    assert net.layers[2].weight.std().item() == pytest.approx(math.sqrt(2 / 522), rel=0.1)


def test_dropout_only_in_train_mode():
    torch.manual_seed(0)
    net = MLP(10, 3, hidden=[200], activation="relu", dropout=0.5)
    ref = _oracle(net)  # no dropout at all
    x = torch.rand(16, 10)
    net.train()
    a, b = net(x), net(x)
    assert not torch.equal(a, b)
    # train mode is inverted dropout after the hidden layer: same seed, same mask
    torch.manual_seed(7)
    o = net(x)
    torch.manual_seed(7)
    h = torch.relu(net.layers[0](x))
    torch.manual_seed(7)
    o_ref = net.layers[1](torch.nn.functional.dropout(h, 0.5, training=True))
    torch.testing.assert_close(o, o_ref)
    assert not torch.allclose(o, ref(x))
    net.eval()
    torch.testing.assert_close(net(x), ref(x))
    torch.testing.assert_close(net(x), net(x), rtol=0, atol=0)

    # predict / predict_proba evaluate in eval mode and restore the mode afterwards
    net._fitted = True
    net.train()
    p1, p2 = net.predict_proba(x), net.predict_proba(x)
    assert torch.equal(p1, p2) and net.training
    torch.testing.assert_close(p1, torch.softmax(ref(x), dim=1))


@pytest.fixture
def fitted(digits_train) -> MLP:
    X, y = digits_train
    return MLP(64, 10, hidden=[16]).fit(X[:300], y[:300], epochs=2, batch_size=50, **QUIET)


def test_predict_proba_rows_sum_to_one(fitted, digits_test):
    X, y = digits_test
    p = fitted.predict_proba(X)
    assert p.shape == (360, 10) and bool((p >= 0).all())
    torch.testing.assert_close(p.sum(dim=1), torch.ones(360))
    assert torch.equal(fitted.predict(X), p.argmax(dim=1))
    assert fitted.score(X, y) == pytest.approx((p.argmax(1) == y).float().mean().item())
    # NumPy input gives the same answer
    assert torch.equal(fitted.predict(X.numpy()), fitted.predict(X))


def test_not_fitted_model_says_so(digits_test):
    with pytest.raises(NotFittedError, match="not fitted yet: call fit"):
        MLP(64, 10, hidden=[]).predict(digits_test[0])


def test_bad_inputs_are_refused(fitted, digits_train):
    X, y = digits_train[0][:50], digits_train[1][:50]
    with pytest.raises(ValueError, match="expected 64, got 65"):
        fitted.predict(torch.zeros(3, 65))
    with pytest.raises(ValueError, match="expected 64, got 65"):
        MLP(64, 10, hidden=[]).fit(torch.zeros(3, 65), torch.zeros(3, dtype=torch.long), **QUIET)
    bad = X.clone()
    bad[2, 5] = float("nan")
    with pytest.raises(ValueError, match="must be finite.*got 1 non-finite"):
        MLP(64, 10, hidden=[]).fit(bad, y, **QUIET)
    with pytest.raises(ValueError, match="must be finite"):
        fitted.predict(bad)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 9\]: got values in \[0, 10\]"):
        MLP(64, 10, hidden=[]).fit(X, torch.where(y == 3, 10, y), **QUIET)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 9\]: got values in \[-1, "):
        MLP(64, 10, hidden=[]).fit(X, torch.where(y == 3, -1, y), **QUIET)
    with pytest.raises(ValueError, match="X is empty"):
        MLP(64, 10, hidden=[]).fit(torch.zeros(0, 64), torch.zeros(0, dtype=torch.long), **QUIET)
    with pytest.raises(ValueError, match="needs labels.*got y=None"):
        MLP(64, 10, hidden=[]).fit(X, None, **QUIET)
    with pytest.raises(ValueError, match="one label per row of X: expected 50, got 49"):
        MLP(64, 10, hidden=[]).fit(X, y[:49], **QUIET)
    with pytest.raises(ValueError, match="integer class labels"):
        MLP(64, 10, hidden=[]).fit(X, y.float() + 0.5, **QUIET)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="activation: expected one of 'sigmoid', 'tanh', 'relu'"):
        MLP(4, 2, hidden=[], activation="gelu")
    with pytest.raises(ValueError, match=r"dropout must lie in \[0, 1\), got 1.0"):
        MLP(4, 2, hidden=[], dropout=1.0)
    with pytest.raises(ValueError, match=r"must be >= 1: expected sizes >= 1, got n_features=4, hidden=\[0\]"):
        MLP(4, 2, hidden=[0])
    with pytest.raises(ValueError, match="must be >= 1.*n_classes=0"):
        MLP(4, 0)
    with pytest.raises(TypeError):
        MLP(4, 2, [8])  # the hyperparameters are keyword-only


def test_hidden_is_a_list_and_sizes_is_derived():
    assert MLP(4, 3).sizes == [4, 100, 3]  # the default hidden=[100]
    with pytest.raises(TypeError, match=r"hidden must be a list of hidden layer widths, e.g. \[100\]: got int 8"):
        MLP(4, 3, hidden=8)
    net = MLP(4, 3, hidden=(8, 5))
    assert (net.hidden, net.sizes, net.depth) == ([8, 5], [4, 8, 5, 3], 3)
    assert MLP(4, 3, hidden=[]).sizes == [4, 3]  # softmax regression
    assert "sizes=[4, 8, 5, 3]" in repr(net)


def test_get_params_round_trips_and_every_hyperparameter_is_documented():
    net = MLP(64, 10, hidden=[32, 16], activation="tanh", dropout=0.1, init="he")
    params = net.get_params()
    assert params == {"n_features": 64, "n_classes": 10, "hidden": [32, 16], "activation": "tanh",
                      "dropout": 0.1, "init": "he"} == net.hparams
    assert type(net)(**params).get_params() == params
    assert MLP.sizes_from_data(64, 10) == {"n_features": 64, "n_classes": 10}
    hyper = hyperparameters(MLP)
    assert list(hyper) == ["hidden", "activation", "dropout", "init"]
    for key, p in hyper.items():
        assert p.doc != "", f"MLP.{key} has no line in the Args: block"
        assert not p.required, f"MLP.{key} has no default"
    # the defaults of `neuralzoo train mlp` (the old Config's)
    assert {k: p.default for k, p in hyper.items()} == {"hidden": [100], "activation": "relu",
                                                        "dropout": 0.0, "init": "auto"}


def test_train_help_lists_the_hyperparameters(run_cli):
    code, out, _ = run_cli("train", "mlp", "--help")
    assert code == 0
    for key in hyperparameters(MLP):
        assert key in out


def test_a_run_folder_of_neuralzoo_0_1_loads(digits_test, tmp_path):
    """config.json of neuralzoo 0.1: no "format" key, the layer sizes in one list ``sizes``."""
    old = {"sizes": [64, 12, 10], "activation": "tanh", "dropout": 0.2, "init": "auto"}
    assert MLP.upgrade_hparams(old) == {"n_features": 64, "hidden": [12], "n_classes": 10,
                                        "activation": "tanh", "dropout": 0.2, "init": "auto"}
    torch.manual_seed(0)
    net = MLP(64, 10, hidden=[12], activation="tanh", dropout=0.2)
    ckpt.save_weights(net, tmp_path / ckpt.WEIGHTS)
    (tmp_path / "config.json").write_text(json.dumps({"model": "mlp", "hparams": old}))
    again = neuralzoo.load(tmp_path)
    assert type(again) is MLP and again.sizes == [64, 12, 10]
    assert again.get_params() == MLP.upgrade_hparams(old) | {"n_features": 64, "n_classes": 10}
    net._fitted = True
    assert torch.equal(again.predict_proba(digits_test[0]), net.predict_proba(digits_test[0]))


def test_the_docstring_example_runs():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [t for t in finder.find(mlp_module.MLP, "MLP", globs={"MLP": MLP}) if t.examples]
    assert tests
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0 and result.attempted >= 3
