"""The DBN and DBM figures: filters of every layer, samples, fantasy particles, mean-field convergence."""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from neuralzoo import datasets
from neuralzoo.models.dbm import DBM
from neuralzoo.models.dbn import DBN
from neuralzoo.report.figures_deep import deep_figures, deep_sample_figure, layer_filters


def test_layer_filters_are_products_of_the_weights_below():
    W1, W2 = torch.randn(16, 5), torch.randn(5, 3)
    f1, f2 = layer_filters([W1, W2])
    torch.testing.assert_close(f1, W1.T)
    torch.testing.assert_close(f2, (W1 @ W2).T)


def test_dbn_and_dbm_figures():
    X, y = datasets.load("digits", binarize="threshold")
    dbn = DBN(64, 10, hidden=[16, 16], labels=True, finetune="none").fit(X[:200], y[:200], epochs=1, progress=False)
    figs = deep_figures(dbn, X[:50])
    assert any("Class-conditional" in k for k in figs) and any("hidden layer 2" in k for k in figs)
    assert isinstance(deep_sample_figure(dbn, 10), Figure)
    dbm = DBM(64, hidden=[12, 8], pretrain_epochs=1).fit(X[:200], epochs=1, progress=False)
    figs = deep_figures(dbm, X[:50])
    assert any("Fantasy particles" in k for k in figs) and any("Mean-field convergence" in k for k in figs)
    assert all(isinstance(f, Figure) for f in figs.values())
