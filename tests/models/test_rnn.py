"""Elman RNN: hand-written BPTT against autograd, the torch.nn.RNN mapping, truncated BPTT,
the diagonal self-feedback variant, row-by-row digits, bad input; and, for both recurrent
families, the hyperparameters declared once (get_params, sizes_from_data, 0.1 run folders)."""

from __future__ import annotations

import math

import pytest
import torch

from neuralzoo.config import hyperparameters, model_params
from neuralzoo.models import LSTM, ElmanRNN
from neuralzoo.models.recurrent.elman import bptt


def _net(task="sequence", recurrence="full", **kw) -> ElmanRNN:
    torch.manual_seed(0)
    kw = {"n_features": 5, "n_outputs": 4, "hidden": 7, **kw}
    net = ElmanRNN(task=task, recurrence=recurrence, **kw).double()
    net._fitted = True
    return net


def _autograd(net: ElmanRNN, x, y) -> tuple[float, dict[str, torch.Tensor]]:
    net.zero_grad()
    o, _ = net.run(x)
    loss = net._task_loss(o, y, reduction="sum") / len(x)  # L = (1/N) sum_n sum_t L_t
    loss.backward()
    return float(loss.detach()), {"U": net.U[0].grad, "W": net.W[0].grad, "b": net.b[0].grad,
                         "V": net.V.grad, "c": net.c.grad}


@pytest.mark.parametrize("recurrence", ["full", "diagonal"])
@pytest.mark.parametrize("task", ["sequence", "classify"])
def test_hand_bptt_equals_autograd(task, recurrence):
    net = _net(task, recurrence)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 9, 5, generator=g, dtype=torch.float64)
    y = torch.randint(0, 4, (3, 9) if task == "sequence" else (3,), generator=g)
    loss, hand = net.bptt_gradients(x, y)
    ref_loss, auto = _autograd(net, x, y)
    assert float(loss) == pytest.approx(ref_loss, rel=1e-12)
    for k in "UWbVc":
        assert hand[k].shape == auto[k].shape
        torch.testing.assert_close(hand[k], auto[k], rtol=1e-10, atol=1e-12)
    if recurrence == "diagonal":
        assert net.W[0].shape == (7,)  # W = diag(w): each unit feeds back only to itself


def test_bptt_with_initial_state_and_dl_dh():
    g = torch.Generator().manual_seed(2)
    H, D, C, N, T = 4, 3, 2, 2, 5
    U, W = torch.randn(H, D, generator=g, dtype=torch.float64), torch.randn(H, H, generator=g, dtype=torch.float64)
    b, V, c = torch.randn(H, generator=g, dtype=torch.float64), torch.randn(C, H, generator=g, dtype=torch.float64), \
        torch.randn(C, generator=g, dtype=torch.float64)
    x, y = torch.randn(N, T, D, generator=g, dtype=torch.float64), torch.randint(0, C, (N,), generator=g)
    h0 = torch.randn(N, H, generator=g, dtype=torch.float64, requires_grad=True)
    _, _, dh = bptt(x, y, U, W, b, V, c, h0, last_only=True)
    # autograd oracle for dL/dh_t through the recurrence
    hs, h = [], h0
    for t in range(T):
        h = torch.tanh(b + h @ W.T + x[:, t] @ U.T)
        hs.append(h)
    loss = torch.nn.functional.cross_entropy(hs[-1] @ V.T + c, y, reduction="sum") / N
    auto = torch.autograd.grad(loss, hs)
    for a, m in zip(auto, dh):
        torch.testing.assert_close(a, m)


def test_torch_rnn_mapping_both_ways():
    net = _net(num_layers=2).float()
    x = torch.randn(4, 6, 5)
    rnn = net.to_torch()
    out, h = rnn(x)
    h_ours, state = net._layers(x, None)
    torch.testing.assert_close(h_ours, out)
    torch.testing.assert_close(state, h)
    other = ElmanRNN(5, 4, hidden=7, num_layers=2, task="sequence")
    torch.testing.assert_close(other.load_torch(rnn)._layers(x, None)[0], h_ours)
    with pytest.raises(ValueError, match="recurrence 'full'"):
        _net(recurrence="diagonal").to_torch()


def test_truncated_bptt_one_window_equals_full_and_short_windows_differ():
    net = _net()
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 12, 5, generator=g, dtype=torch.float64)
    y = torch.randint(0, 4, (2, 12), generator=g)
    full_loss, full = _autograd(net, x, y)
    full = {k: v.clone() for k, v in full.items()}
    net.zero_grad()
    loss = net.tbptt_backward(x, y, window=12)
    assert loss == pytest.approx(full_loss, rel=1e-12)
    torch.testing.assert_close(net.W[0].grad, full["W"])
    torch.testing.assert_close(net.U[0].grad, full["U"])
    net.zero_grad()
    loss4 = net.tbptt_backward(x, y, window=4)
    assert loss4 == pytest.approx(full_loss, rel=1e-12)  # the same forward pass
    assert not torch.allclose(net.W[0].grad, full["W"])  # the cut history is missing
    torch.testing.assert_close(net.V.grad, full["V"])  # V, c do not reach back in time


def test_rows_of_digits_learn(digits_train, digits_test):
    X, y = digits_train
    net = ElmanRNN(**ElmanRNN.sizes_from_data(64, 10), hidden=32)
    assert (net.D, net.n_steps) == (8, 8)  # 8 steps of 8 pixels
    net.fit(X, y, epochs=4, batch_size=32, lr=5e-3, progress=False, seed=0)
    assert net.score(*digits_test) > 0.75
    norms = net.hidden_gradient_norms(*digits_test)
    assert norms.shape == (8,) and bool((norms > 0).all())


def test_bad_input():
    net = _net(task="classify", n_steps=None)
    with pytest.raises(ValueError, match="sequence length must be at least 1"):
        net._check_input(torch.zeros(2, 0, 5))
    with pytest.raises(ValueError, match="flat rows must hold T steps of 5 inputs"):
        net._check_input(torch.zeros(2, 7))
    with pytest.raises(ValueError, match="state h must have shape"):
        net.run(torch.zeros(2, 3, 5, dtype=torch.float64), torch.zeros(1, 2, 9, dtype=torch.float64))
    with pytest.raises(ValueError, match="recurrence"):
        ElmanRNN(5, 4, hidden=7, recurrence="sparse")
    with pytest.raises(ValueError, match="cannot read 65 features row by row"):
        ElmanRNN.sizes_from_data(65, 10)
    with pytest.raises(ValueError, match="expected task 'sequence'"):
        net.tbptt_backward(torch.zeros(1, 3, 5), torch.zeros(1, dtype=torch.long), 2)


# -- hyperparameters declared once (both recurrent families) ------------------------------------

def _text_spec() -> dict:
    return {"input_size": 4, "output_size": 4, "task": "sequence", "vocab": "abc\n"}


@pytest.mark.parametrize("cls", [ElmanRNN, LSTM])
@pytest.mark.parametrize("sizes", [
    ElmanRNN.sizes_from_data(64, 10),  # 8x8 digits, row by row
    ElmanRNN.sizes_from_data(0, 0, _text_spec()),  # characters
    {"n_outputs": 5, "task": "sequence", "n_tokens": 5, "baseline_loss": 0.8},  # copy-like tokens
    {"n_features": 2, "n_outputs": 1, "task": "regress", "n_steps": 50},  # adding
])
def test_get_params_round_trip(cls, sizes):
    net = cls(**sizes, hidden=6, num_layers=2, dropout=0.1)
    params = net.get_params()
    assert set(params) == set(model_params(cls))
    again = cls(**params)
    assert again.get_params() == params == net.hparams
    assert again.state_dict().keys() == net.state_dict().keys()
    again.load_state_dict(net.state_dict())
    x = torch.randint(0, net.n_tokens, (3, 7)) if net.n_tokens else torch.rand(3, net.n_steps or 7, net.D)
    net.eval(), again.eval()
    torch.testing.assert_close(again(x), net(x))


@pytest.mark.parametrize("cls", [ElmanRNN, LSTM])
def test_every_hyperparameter_is_documented_and_listed_by_train_help(cls, run_cli):
    hyper = hyperparameters(cls)
    assert {"hidden", "num_layers", "dropout", "carry_state", "task", "vocab"} <= set(hyper)
    assert not set(hyper) & {"n_features", "n_outputs"}  # the data's sizes
    for name, p in hyper.items():
        assert p.doc != "", name
    code, out, _ = run_cli("train", cls.registry_name, "--help")
    assert code == 0
    for name in hyper:
        assert name in out, name


@pytest.mark.parametrize("cls", [ElmanRNN, LSTM])
def test_sizes_from_data_build_what_from_config_built(cls):
    from neuralzoo.datasets import load_sequences

    rows = cls(**cls.sizes_from_data(784, 10))  # MNIST: 28 steps of 28 pixels
    assert (rows.D, rows.n_steps, rows.C, rows.task, rows.carry_state) == (28, 28, 10, "classify", False)
    default_h = {ElmanRNN: 64, LSTM: 64}[cls]  # the old Config's (LSTM: 128 before issue 23)
    assert rows.H == rows.hidden == default_h
    _, _, spec = load_sequences("adding", "test", seq_len=12, n=1)
    add = cls(**cls.sizes_from_data(0, 0, spec))
    assert (add.D, add.C, add.task, add.n_steps, add.carry_state) == (2, 1, "regress", 12, False)
    _, _, spec = load_sequences("copy", "test", seq_len=5, n=1)
    copy = cls(**cls.sizes_from_data(0, 0, spec))
    assert (copy.D, copy.n_tokens, copy.task, copy.carry_state) == (10, 10, "sequence", False)
    assert copy.baseline_loss == pytest.approx(10 * math.log(8) / 25)
    text = cls(**cls.sizes_from_data(0, 0, _text_spec()))
    assert (text.D, text.n_tokens, text.C, text.vocab, text.carry_state) == (4, 4, 4, "abc\n", True)
    assert cls(**cls.sizes_from_data(0, 0, _text_spec()), carry_state=False).carry_state is False
    # an old [model] carry_state = true (the old Config's default) on independent sequences
    assert cls(**cls.sizes_from_data(64, 10), carry_state=True).carry_state is False
    assert cls(**cls.sizes_from_data(0, 0, spec), carry_state=True).carry_state is True  # asked for


def test_what_the_data_fixes_is_refused_by_name():
    from neuralzoo import runs
    from neuralzoo.config import ConfigError

    with pytest.raises(ConfigError, match=r"model.task is fixed by the data \('classify' here\)"):
        runs.build_for_data("rnn", {"task": "regress"}, 64, 10)
    with pytest.raises(ConfigError, match="model.vocab is fixed by the data"):
        runs.build_for_data("lstm", {"vocab": "xyz"}, 0, 0, _text_spec())
    assert runs.build_for_data("lstm", {"hidden": 5}, 64, 10).hparams["hidden"] == 5


@pytest.mark.parametrize("cls", [ElmanRNN, LSTM])
def test_a_run_written_by_neuralzoo_0_1_loads(cls, tmp_path):
    import json

    import neuralzoo as nz
    from neuralzoo.train import checkpoint as ckpt

    torch.manual_seed(0)
    net = cls(**cls.sizes_from_data(64, 10), hidden=9)
    old = {"input_size": 8, "hidden_size": 9, "output_size": 10, "num_layers": 1, "task": "classify",
           "n_steps": 8, "vocab": None, "n_tokens": None, "dropout": 0.0, "carry_state": False,
           "baseline_loss": None,
           **({"recurrence": "full"} if cls is ElmanRNN else {"forget_bias": 1.0, "impl": "fused"})}
    (tmp_path / "config.json").write_text(json.dumps({"model": cls.registry_name, "hparams": old}))
    ckpt.save_weights(net, tmp_path / ckpt.WEIGHTS)
    loaded = nz.load(tmp_path)
    assert type(loaded) is cls and loaded.get_params() == net.get_params()
    X = torch.rand(5, 64)
    net._fitted = True
    torch.testing.assert_close(loaded.predict_proba(X), net.predict_proba(X))
