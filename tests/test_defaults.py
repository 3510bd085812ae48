"""Issue 23, "defaults that fail a first run": ``neuralzoo train MODEL --data digits`` with no other
option lands within 2 points of what ``neuralzoo tour`` reaches for that model.

Each case trains a registry model with its defaults through the CLI's code path
(:func:`neuralzoo.runs.train_run`, as ``neuralzoo train MODEL --data digits`` calls it) and compares
the family's own held-out metric with the tour's figure. The tour figures are those printed by
``OMP_NUM_THREADS=1 neuralzoo tour --data digits --out /tmp/h2tour --force`` (each model's
``summary.json``; the RBM variants and conv-rbm, which joined the tour later, by the same command
with ``--only`` each of them); models outside the tour carry a stated floor instead. "2 points" is 0.02 on a
metric in [0, 1] (accuracy, overlap, reconstruction mean squared error) and, for the RBM's
pseudo-log-likelihood per unit, 0.02 nats.

The long defaults (tens of seconds each on one thread) are marked ``slow``; the whole file runs in
a few minutes on one thread.
"""

from __future__ import annotations

import warnings

import pytest
import torch

from neuralzoo import models, runs

# model -> (metric, the tour's figure or a stated floor, higher is better)
TOUR = {
    "perceptron": ("test_acc", 0.9528, True),
    "mlp": ("test_acc", 0.9806, True),
    "rbf": ("test_acc", 0.9917, True),
    "hopfield": ("test_overlap", 0.8031, True),
    # not in the tour: the discrete network's figure with the same rule and patterns
    "continuous-hopfield": ("test_overlap", 0.8031, True),
    "modern-hopfield": ("test_overlap", 0.9000, True),
    "boltzmann": ("test_completion_error", 0.1750, False),
    "rbm": ("test_pseudo_log_likelihood", -0.2709, True),
    "class-rbm": ("test_acc", 0.9194, True),
    "ising-rbm": ("test_pseudo_log_likelihood", -0.2526, True),
    "gaussian-hidden-rbm": ("test_pseudo_log_likelihood", -0.2772, True),
    "dropout-rbm": ("test_pseudo_log_likelihood", -0.3161, True),
    "categorical-rbm": ("test_pseudo_log_likelihood", -0.2762, True),
    # free energies are not comparable across sizes (no partition function): the reconstruction
    "conv-rbm": ("test_reconstruction_error", 0.1153, False),
    # not in the tour: its first layer is a conv RBM, held to conv-rbm's figure
    "conv-dbn": ("test_reconstruction_error", 0.1153, False),
    # not in the tour: a floor halfway between the data's variance (1.0, standardised) and the
    # 0.558 measured with batch 20 (0.748 at the old batch of 100)
    "gaussian-rbm": ("test_reconstruction_error", 0.5800, False),
    "dbn": ("test_acc", 0.9583, True),
    "dbm": ("test_acc", 0.9250, True),
    "lecture-cnn": ("test_acc", 0.8389, True),
    "lenet5": ("test_acc", 0.9639, True),
    "cnn": ("test_acc", 0.9556, True),
    "rnn": ("test_acc", 0.9583, True),
    "lstm": ("test_acc", 0.9722, True),
    "autoencoder": ("test_mse", 0.0266, False),
    "denoising-autoencoder": ("test_mse", 0.0503, False),
    "sparse-autoencoder": ("test_mse", 0.0461, False),
    "stacked-autoencoder": ("test_acc", 0.9583, True),
    "deep-autoencoder": ("test_mse", 0.0408, False),
    "vae": ("test_squared_error", 2.8686, False),
    "semantic-hashing": ("test_mse", 0.0345, False),
}
TOLERANCE = {"vae": 0.02 * 64}  # a summed squared error over 64 pixels: 2 points of each pixel's

FAST = {"mlp", "rbf", "hopfield", "continuous-hopfield", "modern-hopfield", "rbm", "gaussian-rbm", "lecture-cnn"}
# defaults measured below the tour and not fixed yet (issue 23): kept visible, strict so a fix shows
NOT_YET = {  # the paper's 1000-500-250-30 network by default (a deliberate choice, tested in
           # tests/models/test_autoencoder.py); the tour's 30 epochs at lr 3e-3 on it: mse 0.0746
           "deep-autoencoder": "mse 0.0743 against 0.0408"}


def _cases():
    for name in TOUR:
        marks = [] if name in FAST else [pytest.mark.slow]
        if name in NOT_YET:
            marks.append(pytest.mark.xfail(strict=True, reason=f"issue 23: default {NOT_YET[name]}"))
        yield pytest.param(name, marks=marks, id=name)


def test_every_registry_model_has_a_figure():
    assert set(TOUR) == set(models.REGISTRY)


@pytest.mark.parametrize("name", list(_cases()))
def test_default_training_reaches_the_tour(name, tmp_path):
    metric, figure, higher = TOUR[name]
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the perceptron's non-convergence warning on digits
            summary = runs.train_run(name, train_values={"progress": False},
                                     data_values={"name": "digits"}, out=tmp_path / name)
    finally:
        torch.set_num_threads(before)
    got = summary[metric]
    tol = TOLERANCE.get(name, 0.02)
    if higher:
        assert got >= figure - tol, f"{name}: {metric} {got:.4f}, expected >= {figure} - {tol}"
    else:
        assert got <= figure + tol, f"{name}: {metric} {got:.4f}, expected <= {figure} + {tol}"
