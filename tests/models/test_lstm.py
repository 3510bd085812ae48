"""LSTM: the lecture's reference cell against torch.nn.LSTM (both mapping directions, values
and gradients), forget bias, carried state, sampling, and bad input."""

from __future__ import annotations

import pytest
import torch

from neuralzoo.models import LSTM, ElmanRNN
from neuralzoo.models.recurrent.base import StateReset, stream_order
from neuralzoo.models.recurrent.lstm import LSTMCellRef, from_torch_weights, to_torch_weights


def test_reference_cell_equals_torch_lstm_after_mapping():
    torch.manual_seed(0)
    cells = [LSTMCellRef(3, 5), LSTMCellRef(5, 5)]
    for cell in cells:
        for p in cell.parameters():
            torch.nn.init.normal_(p, std=0.5)
    lstm = torch.nn.LSTM(3, 5, 2, batch_first=True)
    lstm.load_state_dict(to_torch_weights(cells))
    x = torch.randn(4, 7, 3)
    out, (h, s) = lstm(x)
    z = torch.zeros(4, 5)
    h1, (hT1, sT1) = cells[0](x, z, z)
    h2, (hT2, sT2) = cells[1](h1, z, z)
    torch.testing.assert_close(h2, out)
    torch.testing.assert_close(torch.stack([hT1, hT2]), h)
    torch.testing.assert_close(torch.stack([sT1, sT2]), s)
    # and back: the two PyTorch biases of a gate sum to the lecture's b
    back = from_torch_weights(dict(lstm.named_parameters()), 2)
    for cell, p in zip(cells, back):
        for k, v in p.items():
            torch.testing.assert_close(v, getattr(cell, k))


@pytest.mark.parametrize("start", ["fused", "reference"])
def test_fused_and_reference_models_equal_outputs_and_gradients(start):
    torch.manual_seed(1)
    net = LSTM(4, 3, hidden=6, num_layers=2, task="sequence", impl=start).double()
    with torch.no_grad():  # non-zero biases in both PyTorch slots, when fused
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    other = net.to_impl("reference" if start == "fused" else "fused")
    x = torch.randn(3, 8, 4, dtype=torch.float64)
    y = torch.randint(0, 3, (3, 8))
    for m in (net, other):
        m.zero_grad()
        m._task_loss(m.run(x)[0], y).backward()
    torch.testing.assert_close(net.run(x)[0], other.run(x)[0])
    fused, ref = (net, other) if start == "fused" else (other, net)
    grads = from_torch_weights({k: p.grad for k, p in fused.lstm.named_parameters()}, 2)
    for cell, g in zip(ref.cells, grads):
        for k, v in g.items():
            if k.startswith("b"):  # fused: dL/db = dL/dbias_ih = dL/dbias_hh, summed by the mapping
                v = v / 2
            torch.testing.assert_close(v, getattr(cell, k).grad)
    torch.testing.assert_close(fused.V.grad, ref.V.grad)


def test_forget_bias_initialisation():
    for impl in ("fused", "reference"):
        net = LSTM(2, 1, hidden=4, task="regress", forget_bias=1.0, impl=impl)
        ref = net if impl == "reference" else net.to_impl("reference")
        assert torch.equal(ref.cells[0].b_f.detach(), torch.ones(4))
        assert torch.equal(ref.cells[0].b_in.detach(), torch.zeros(4))


def test_stream_order_and_carried_state():
    order = stream_order(10, 3)  # 3 streams of 3 windows, the last window dropped
    assert order.tolist() == [0, 3, 6, 1, 4, 7, 2, 5, 8]
    torch.manual_seed(0)
    net = LSTM(n_outputs=5, hidden=8, task="sequence", n_tokens=5, carry_state=True)
    x, y = torch.randint(0, 5, (2, 6)), torch.randint(0, 5, (2, 6))
    net.train()
    a = float(net.loss((x, y)).detach())
    assert net._state is not None and not net._state[0].requires_grad
    b = float(net.loss((x, y)).detach())  # the same batch, now starting from a carried state
    assert a != b
    StateReset(net).on_epoch_end(None, {})
    assert net._state is None
    assert float(net.loss((x, y)).detach()) == pytest.approx(a)


def test_carried_state_fit_and_stream_evaluation():
    text = "abcdefgh" * 40
    vocab = "abcdefgh"
    ids = torch.tensor([vocab.index(ch) for ch in text])
    X, Y = ids[:-1][:312].reshape(-1, 8), ids[1:][:312].reshape(-1, 8)
    net = LSTM(n_outputs=8, hidden=16, task="sequence", vocab=vocab, carry_state=True)
    net.fit(X, Y, epochs=6, batch_size=4, lr=2e-2, lr_schedule="constant", progress=False, seed=0)
    m = net.evaluate(X, Y)
    assert m["acc"] > 0.95 and m["bits"] == pytest.approx(m["loss"] / 0.6931471805599453)
    assert net.sample_text("ab", 6, temperature=0.5, generator=0).startswith("ab")
    net.fit(X, Y, epochs=1, batch_size=4, lr=2e-2, progress=False, seed=0, val_fraction=0.1)
    assert "val_loss" in net.history_[-1]  # the last 4 windows, the streams left whole


def test_sampling_repeats_with_one_seed_and_refuses_unseen_characters():
    net = LSTM(n_outputs=4, hidden=8, task="sequence", vocab="abc\n", carry_state=False)
    net._fitted = True
    t1 = net.sample_text("ab", 50, temperature=1.0, generator=3)
    assert t1 == net.sample_text("ab", 50, temperature=1.0, generator=3)
    assert t1 != net.sample_text("ab", 50, temperature=1.0, generator=4)
    assert len(t1) == 52 and set(t1) <= set("abc\n")
    with pytest.raises(ValueError, match=r"never seen: 'Z' at position 1"):
        net.sample_text("aZ", 5)
    with pytest.raises(ValueError, match="temperature must be positive"):
        net.sample_text("a", 5, temperature=0)


@pytest.mark.parametrize("cls", [LSTM, ElmanRNN])
def test_sampling_takes_a_keyword_only_generator_int_or_generator(cls):
    net = cls(n_outputs=4, hidden=8, task="sequence", vocab="abc\n")
    net._fitted = True
    G = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    assert net.sample_text("ab", 30, generator=5) == net.sample_text("ab", 30, generator=G(5))
    assert net.sample_text("ab", 30) == net.sample_text("ab", 30, generator=0)  # the old seed=0 default
    prompt = net.encode_text("ab")
    assert torch.equal(net.sample_tokens(prompt, 20, generator=2), net.sample_tokens(prompt, 20, generator=G(2)))
    torch.manual_seed(1)
    a = net.sample_text("a", 20, generator=None)  # None: the global RNG
    torch.manual_seed(1)
    assert a == net.sample_text("a", 20, generator=None)
    with pytest.raises(TypeError):
        net.sample_text("ab", 5, seed=0)  # seed= seeds training only
    with pytest.raises(TypeError):
        net.sample_text("ab", 5, 1.0)  # temperature is keyword-only
    with pytest.raises(TypeError):
        net.sample_tokens(prompt, 5, 1.0)
    with pytest.raises(TypeError, match="generator: expected a torch.Generator, an int seed or None, got str"):
        net.sample_text("ab", 5, generator="0")


def test_bad_input():
    net = LSTM(2, 1, hidden=8, task="regress")
    with pytest.raises(ValueError, match=r"state h must have shape \(L, N, H\) = \(1, 3, 8\)"):
        net.run(torch.zeros(3, 5, 2), (torch.zeros(1, 3, 16), torch.zeros(1, 3, 16)))
    with pytest.raises(ValueError, match="sequence length must be at least 1"):
        net.run(net._check_input(torch.zeros(3, 0, 2)))
    with pytest.raises(ValueError, match="one number per sequence"):
        net.fit(torch.zeros(3, 5, 2), torch.zeros(4), epochs=1, progress=False)
    with pytest.raises(ValueError, match="impl"):
        LSTM(2, 1, hidden=8, impl="cudnn")
    tok = LSTM(n_outputs=3, hidden=4, task="sequence", n_tokens=3)
    with pytest.raises(ValueError, match=r"tokens must lie in \[0, 2\]"):
        tok._check_input(torch.tensor([[0, 1, 3]]))
