"""Elman RNN: hand-written BPTT against autograd, the torch.nn.RNN mapping, truncated BPTT,
the diagonal self-feedback variant, row-by-row digits, and bad input."""

from __future__ import annotations

import pytest
import torch

from neuralzoo.models import ElmanRNN
from neuralzoo.models.recurrent.elman import bptt


def _net(task="sequence", recurrence="full", **kw) -> ElmanRNN:
    torch.manual_seed(0)
    kw = {"input_size": 5, "hidden_size": 7, "output_size": 4, **kw}
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
    other = ElmanRNN(5, 7, 4, num_layers=2, task="sequence")
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
    net = ElmanRNN.from_config(ElmanRNN.Config(hidden=32), 64, 10)
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
        ElmanRNN(5, 7, 4, recurrence="sparse")
    with pytest.raises(ValueError, match="cannot read 65 features row by row"):
        ElmanRNN.from_config(ElmanRNN.Config(), 65, 10)
    with pytest.raises(ValueError, match="expected task 'sequence'"):
        net.tbptt_backward(torch.zeros(1, 3, 5), torch.zeros(1, dtype=torch.long), 2)
