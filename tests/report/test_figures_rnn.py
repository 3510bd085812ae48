"""Figures of the recurrent networks: the unfolded graph, the vanishing gradient (the RNN's
error fades with distance faster than the LSTM's), text, and a run's figures."""

from __future__ import annotations

import torch

from neuralzoo.datasets.sequences import adding
from neuralzoo.models import LSTM, ElmanRNN
from neuralzoo.report.figures_rnn import (
    gradient_figure,
    rnn_figures,
    text_figure,
    unrolled_graph_figure,
)
from neuralzoo.report.plots import figure_to_png


def test_static_figures_render():
    for fig in (unrolled_graph_figure(3), unrolled_graph_figure(2, lstm=True),
                text_figure("ROMEO:\nwhat light through yonder window breaks", "sample")):
        assert figure_to_png(fig)[:4] == b"\x89PNG"


def test_vanishing_gradient_rnn_against_lstm():
    X, y = adding(32, 60, torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    rnn = ElmanRNN(2, 1, hidden=32, task="regress")
    lstm = LSTM(2, 1, hidden=32, task="regress")
    n_rnn, n_lstm = rnn.hidden_gradient_norms(X, y), lstm.hidden_gradient_norms(X, y)
    assert n_rnn.shape == n_lstm.shape == (60,)
    # the error reaching the first step, relative to the last, at initialisation: the tanh
    # RNN's fades like (f'(a) W)^t, the LSTM's (forget gates ~0.73) orders of magnitude slower
    r_rnn, r_lstm = float(n_rnn[0] / n_rnn[-1]), float(n_lstm[0] / n_lstm[-1])
    assert r_rnn < 1e-8 and r_lstm > 1e4 * r_rnn
    fig = gradient_figure({"RNN": n_rnn, "LSTM": n_lstm}, "adding, T = 60")
    assert figure_to_png(fig)[:4] == b"\x89PNG"


def test_run_figures_of_a_rows_classifier(digits_test):
    X, y = digits_test
    net = ElmanRNN(**ElmanRNN.sizes_from_data(64, 10), hidden=8)
    net._fitted = True
    figs = rnn_figures(net, X[:50], y[:50], [str(i) for i in range(10)])
    assert any("Confusion" in k for k in figs) and any("Vanishing" in k for k in figs)
