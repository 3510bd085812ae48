"""The lecture's diagonal self-feedback RNN (对角自反馈神经网络) is initialised as the idea requires:
self-connections w_i = 1 (identity, as the IRNN), so that its gradient survives further back in
time than the full Elman network's; the full network's initialisation is unchanged."""

from __future__ import annotations

import math

import torch

from neuralzoo.datasets.sequences import adding
from neuralzoo.models import ElmanRNN
from neuralzoo.models.recurrent.elman import SELF_FEEDBACK_INIT
from neuralzoo.report.figures_rnn import recurrence_gradient_norms, rnn_figures


def _adding_net(recurrence: str = "full", T: int = 30) -> ElmanRNN:
    return ElmanRNN(n_features=2, n_outputs=1, hidden=64, task="regress", n_steps=T, recurrence=recurrence)


def test_diagonal_self_connections_start_at_one_and_full_init_is_unchanged():
    torch.manual_seed(3)
    diag = ElmanRNN(5, 4, hidden=16, num_layers=2, recurrence="diagonal")
    for w in diag.W:
        assert w.shape == (16,) and torch.equal(w.detach(), torch.full((16,), SELF_FEEDBACK_INIT))
    assert SELF_FEEDBACK_INIT == 1.0
    # oracle for the full network: PyTorch's RNN initialisation drawn in the same order as before
    torch.manual_seed(3)
    full = ElmanRNN(5, 4, hidden=16, recurrence="full")
    torch.manual_seed(3)
    bound = 1 / math.sqrt(16)
    U = torch.empty(16, 5).uniform_(-bound, bound)
    W = torch.empty(16, 16).uniform_(-bound, bound)
    V = torch.empty(4, 16).uniform_(-bound, bound)
    assert torch.equal(full.U[0].detach(), U) and torch.equal(full.W[0].detach(), W)
    assert torch.equal(full.V.detach(), V) and not full.b[0].any()


def test_diagonal_gradient_survives_longer_than_the_full_networks():
    X, y = adding(64, 30, torch.Generator().manual_seed(0))
    template = _adding_net()
    state = torch.random.get_rng_state()
    norms = recurrence_gradient_norms(template, X, y)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global RNG is left alone
    full, diag = norms["full"].flip(0), norms["diagonal"].flip(0)  # index = distance T - k
    assert full.shape == diag.shape == (30,)
    # at the loss both receive about the same error; 10 steps back the full one has lost
    # two orders of magnitude more (measured: 6.3e-3 against 1.1e-4)
    assert 0.5 < float(diag[0] / full[0]) < 2
    assert float(diag[10]) > 20 * float(full[10])
    assert float(diag[10] / diag[0]) > 0.1 and float(full[10] / full[0]) < 0.02
    # the diagonal network's gradient decays by tanh' alone: every step back loses < 30 %
    assert bool((diag[1:] / diag[:-1] > 0.7).all())
    # the old initialisation (w drawn as a full W, |w_i| ~ 1/sqrt(H)) vanished faster than the
    # full network: the reason for the change
    net = _adding_net("diagonal")
    net._fitted = True
    with torch.no_grad():
        net.W[0].uniform_(-1 / 8, 1 / 8, generator=torch.Generator().manual_seed(0))  # H = 64
    old = net.double().hidden_gradient_norms(X.double(), y.double()).flip(0)
    assert float(old[10]) < 1e-3 * float(full[10])


def test_the_vanishing_gradient_figure_shows_both_recurrences(digits_train, digits_test):
    X, y = digits_train
    net = ElmanRNN(**ElmanRNN.sizes_from_data(64, 10), hidden=16)
    net.fit(X[:200], y[:200], epochs=1, batch_size=50, seed=0, progress=False)
    Xt, yt = digits_test
    figs = rnn_figures(net, Xt[:50], yt[:50], [str(i) for i in range(10)])
    fig = figs["Vanishing gradient: ||dL/dh_k|| against the distance to the loss"]
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels[:3] == ["this full Elman RNN, trained", "full W, untrained (seed 0)",
                          "diagonal w_i = 1, untrained (seed 0)"]
    curves = {line.get_label(): line.get_ydata() for line in fig.axes[0].get_lines()}
    full, diag = curves["full W, untrained (seed 0)"], curves["diagonal w_i = 1, untrained (seed 0)"]
    assert diag[-1] / diag[0] > full[-1] / full[0]  # 7 steps back on digits, too
