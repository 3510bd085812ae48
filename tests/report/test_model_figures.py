"""Figures chosen by class along the MRO: a subclass gets its parent's figures, a newly
registered class its own, and every model of the zoo the figures (same titles, same order) it
got when figures were chosen by registry name. The expected titles below were listed by the
name-based code on the same small models."""

from __future__ import annotations

import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from neuralzoo import datasets, models, runs
from neuralzoo.models import MLP, RBM, GaussianRBM, LinearRBM
from neuralzoo.report.model_figures import (
    _visible_samples,
    figures_for,
    inherited_figures,
    model_figures,
    sample_figure,
    sample_figure_for,
)

RBM_TITLES = ["Filters: the weights of each hidden unit (W^T as tiles)",
              "Samples: 1000 Gibbs steps from random states",
              "Reconstructions p(v | h ~ p(h | v)): data above, reconstruction below",
              "Hidden activations p(h_j = 1 | v) on test data"]
GAUSSIAN_SAMPLES = "Samples: 1000 Gibbs steps from random states, the last one's mean b + W h shown"
LINEAR_CODE = "Hidden code E[h_j | v] = a_j + sum_i w_ij v_i on test data"


@pytest.fixture(scope="module")
def digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """300 training rows and 60 test rows of digits, grey levels in [0, 1]."""
    X, y = datasets.load("digits", "train")
    Xt, yt = datasets.load("digits", "test")
    return X[:300], y[:300], Xt[:60], yt[:60]


def titles(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> list[str]:
    figs = model_figures(model, X, y)
    assert all(isinstance(f, Figure) for f in figs.values())
    return list(figs)


# -- subclasses get their parent's figures ---------------------------------------------------------


def test_gaussian_rbm_gets_the_rbm_figures(digits):
    X, _, Xt, yt = digits
    g = GaussianRBM(64, 8).fit(X, epochs=1, seed=0, progress=False)
    assert titles(g, Xt, yt) == [RBM_TITLES[0], GAUSSIAN_SAMPLES, *RBM_TITLES[2:]]
    fig = sample_figure(g, Xt, yt, 8)  # the name-based code had none: "no sample figure yet"
    assert fig.get_suptitle() == "samples after 200 Gibbs sweeps (the last one's mean b + W h)"


def test_gaussian_rbm_figures_of_data_outside_the_unit_interval(digits):
    X, _, Xt, yt = digits
    Z = (X - X.mean(0)) / X.std(0).clamp_min(0.1)  # standardised: values in about [-3, 15]
    assert Z.min() < 0 and Z.max() > 1
    g = GaussianRBM(64, 8, standardize=False).fit(Z, epochs=1, seed=0, progress=False)
    assert titles(g, (Xt - X.mean(0)) / X.std(0).clamp_min(0.1), yt) == [
        RBM_TITLES[0], GAUSSIAN_SAMPLES, *RBM_TITLES[2:]]


def test_gaussian_rbm_samples_are_shown_as_the_mean_of_the_last_step():
    # W = 0: p(v | h) = N(b, sigma^2) whatever h, so the mean shown is b in data units exactly,
    # while a sample of the chain is b plus unit-variance noise
    # given as a loaded state_dict: a loaded model counts as fitted (models.base.NEEDS_FIT)
    g = GaussianRBM(4, 3)
    state = g.state_dict()
    g.load_state_dict({**state, "W": torch.zeros_like(state["W"]), "b": torch.full_like(state["b"], 0.5),
                       "x_mean": torch.full_like(state["x_mean"], 0.3),
                       "x_std": torch.full_like(state["x_std"], 2.0)})
    shown = _visible_samples(g, 50, 10, torch.Generator().manual_seed(0))
    torch.testing.assert_close(shown, torch.full((50, 4), 0.3 + 0.5 * 2.0))
    noisy = g.sample(50, steps=10, generator=torch.Generator().manual_seed(0))
    assert float(noisy.std()) > 1.0  # sigma = 1 in model units, 2 in data units


def test_a_subclass_defined_here_gets_the_rbm_figures_and_may_add_to_them(digits):
    X, _, Xt, yt = digits
    Xb = (X > 0.5).float()

    class PlainRBM(RBM):
        pass

    class SpectrumRBM(RBM):
        pass

    @figures_for(SpectrumRBM)
    def spectrum_figures(model, X, y, class_names=None):
        figs = inherited_figures(SpectrumRBM, model, X, y, class_names)  # the RBM's
        figs["Singular values of W"] = Figure()
        return figs

    for cls, expected in ((PlainRBM, RBM_TITLES), (SpectrumRBM, [*RBM_TITLES, "Singular values of W"])):
        rbm = cls(64, 8).fit(Xb, epochs=1, seed=0, progress=False)
        assert titles(rbm, (Xt > 0.5).float(), yt) == expected
        assert sample_figure(rbm, Xt, yt, 8).get_suptitle() == "samples after 200 Gibbs sweeps"


def test_linear_rbm_shows_its_real_valued_code_not_probabilities(digits):
    X, _, Xt, yt = digits
    # 20 hidden units: at most 16 the RBM monitor asks a LinearRBM for an exact log Z it has not
    lin = LinearRBM(64, 20).fit((X > 0.5).float(), epochs=1, seed=0, progress=False)
    figs = model_figures(lin, (Xt > 0.5).float(), yt)
    assert list(figs) == [*RBM_TITLES[:3], LINEAR_CODE]
    h = lin.transform((Xt > 0.5).float())
    assert h.min() < 0  # outside [0, 1], where p(h_j = 1 | v) would have been binned
    line = figs[LINEAR_CODE].axes[0].lines[0]
    assert abs(sum(line.get_ydata()) - 1.0) < 1e-5  # every (example, unit) pair is counted
    assert min(line.get_xdata()) < 0 < max(line.get_xdata())


# -- registration -----------------------------------------------------------------------------------


class Toy(nn.Module):
    pass


class ToyChild(Toy):
    pass


class ToyOwn(Toy):
    pass


@figures_for(Toy)
def toy_figures(model, X, y, class_names=None):
    return {"toy": Figure()}


@figures_for(ToyOwn)
def toy_own_figures(model, X, y, class_names=None):
    return {**inherited_figures(ToyOwn, model, X, y, class_names), "own": Figure()}


@sample_figure_for(Toy)
def toy_sample(model, X, y, n, class_names=None):
    return Figure()


def test_a_newly_registered_class_is_picked_up_inherited_and_extended():
    X, y = torch.zeros(2, 4), torch.zeros(2, dtype=torch.long)
    assert list(model_figures(Toy(), X, y)) == ["toy"]
    assert list(model_figures(ToyChild(), X, y)) == ["toy"]  # inherited
    assert list(model_figures(ToyOwn(), X, y)) == ["toy", "own"]  # its own added to its parent's
    assert model_figures(nn.Linear(4, 2), X, y) == {}  # nothing registered along the MRO
    assert isinstance(sample_figure(ToyChild(), X, y, 4), Figure)
    with pytest.raises(ValueError, match="got Linear which has no sample figure yet"):
        sample_figure(nn.Linear(4, 2), X, y, 4)


def test_registration_refuses_what_is_not_a_class():
    with pytest.raises(TypeError, match="figures_for: expected at least one class"):
        figures_for()
    with pytest.raises(TypeError, match="figures_for: expected a class to register for, got str 'rbm'"):
        figures_for("rbm")
    with pytest.raises(TypeError, match="expected an instance of ToyOwn, got Toy"):
        inherited_figures(ToyOwn, Toy(), torch.zeros(1, 4), torch.zeros(1))


def test_the_tour_adds_its_figures_by_class_not_by_name(monkeypatch):
    from neuralzoo import tour
    from neuralzoo.report import figures_rnn

    monkeypatch.setattr(tour, "xor_figures", lambda: {"xor": Figure()})
    monkeypatch.setattr(figures_rnn, "tour_text_figures", lambda: {"text": Figure()})

    class WideMLP(MLP):
        registry_name = "wide-mlp"

    assert list(tour.tour_figures(MLP(4, 2, hidden=[3]))) == ["xor"]
    assert list(tour.tour_figures(WideMLP(4, 2, hidden=[3]))) == ["xor"]
    assert list(tour.tour_figures(models.LSTM(4, 2, hidden=3))) == ["text"]
    assert tour.tour_figures(models.ElmanRNN(4, 2, hidden=3)) == {}


# -- every model of the zoo: the figures it had ------------------------------------------------------

CLASSIFIER = ["Confusion matrix (test)", "Misclassified (true→predicted)"]
PREDICTED = "predicted class (✗ = wrong)"
RECALL = ["Recall from 30% flipped bits (frames of the dynamics)", "Recall from the top half (bottom half masked)"]
FILTERS_1_2 = ["Filters of hidden layer 1: weights W_1 as tiles",
               "Filters of hidden layer 2: W_1 ... W_2 (product) as tiles"]
DBN_SAMPLES = "Samples: 1000 Gibbs steps in the top RBM, one down pass"
RNN = ["The network unfolded in time (shared U, V, W)",
       "Vanishing gradient: ||dL/dh_k|| against the distance to the loss"]
RECON = "Reconstructions: inputs above, decode(encode(x)) below"
CODE_MAP = "Code map of the test data, coloured by class"
ENCODER = "First-layer encoder weights (one tile per hidden unit)"


def maps(*layers: str) -> list[str]:
    return ["First-layer kernels (input channel 0)",
            *(f"Feature maps of one test image: {name}" for name in ("input", *layers))]


E1 = {"epochs": 1}
# case -> (model, model config, train config, data, the figure titles, the sample figure's title)
ZOO = {
    "perceptron": ("perceptron", {"pocket": True}, E1, "digits",
                   ["Perceptron weights w_c (one tile per class)", *CLASSIFIER], PREDICTED),
    "mlp": ("mlp", {"hidden": [16]}, E1, "digits",
            ["First-layer weights W^(1) (one tile per hidden unit)", *CLASSIFIER], PREDICTED),
    "rbf": ("rbf", {"n_centers": 20}, {}, "digits", ["RBF centres mu_j", *CLASSIFIER], PREDICTED),
    "hopfield": ("hopfield", {"rule": "pseudo-inverse"}, {}, "digits",
                 [*RECALL, "Energy E(x) = -1/2 x^T W x + theta^T x after every sweep",
                  "A mixture state: sign(xi^a + xi^b + xi^c), relaxed"], ""),
    "continuous-hopfield": ("continuous-hopfield", {}, {}, "digits", RECALL, ""),
    "modern-hopfield": ("modern-hopfield", {"beta": 8.0}, {}, "digits", RECALL, ""),
    "boltzmann": ("boltzmann", {"n_hidden": 8}, E1, "digits",
                  ["Samples: 200 Gibbs sweeps from random states",
                   "Completion: bottom half given the top half (clamped Gibbs)",
                   "Weights from each hidden unit to the visible units"], "samples after 200 Gibbs sweeps"),
    "rbm": ("rbm", {"n_hidden": 16, "method": "pcd"}, {"epochs": 1, "batch_size": 20}, "digits",
            RBM_TITLES, "samples after 200 Gibbs sweeps"),
    "dbn": ("dbn", {"hidden": [16, 16], "finetune_epochs": 1}, E1, "digits",
            [*CLASSIFIER, *FILTERS_1_2, DBN_SAMPLES], "samples: 1000 steps (top RBM, one down pass)"),
    "dbn-labels": ("dbn", {"hidden": [16, 16], "labels": True, "finetune": "none"}, E1, "digits",
                   [*CLASSIFIER, *FILTERS_1_2, DBN_SAMPLES,
                    "Class-conditional samples: label units clamped (two per class)"],
                   "DBN samples, label units clamped (1000 Gibbs steps in the top RBM)"),
    "dbm": ("dbm", {"hidden": [16, 16], "pretrain_epochs": 1, "finetune_epochs": 1}, E1, "digits",
            [*CLASSIFIER, *FILTERS_1_2, "Fantasy particles p(v | h_1) of the persistent chains",
             "Samples: 1000 Gibbs sweeps from the data marginals",
             "Mean-field convergence: largest change of mu per sweep"],
            "samples: 1000 steps (Gibbs sweeps of the DBM)"),
    "cnn": ("cnn", {}, E1, "digits", [*CLASSIFIER, *maps("conv1_1", "pool1", "conv2_1", "pool2")], PREDICTED),
    "lenet5": ("lenet5", {}, E1, "digits", [*CLASSIFIER, *maps("C1", "S2", "C3", "S4")], PREDICTED),
    "lecture-cnn": ("lecture-cnn", {}, E1, "digits",
                    [*CLASSIFIER, *maps("C1", "S1", "C2", "S2"),
                     "The lecture's classical filters on one image (zero padding 1)"], PREDICTED),
    "rnn": ("rnn", {"hidden": 8}, E1, "digits", [RNN[0], *CLASSIFIER, RNN[1]], PREDICTED),
    "lstm": ("lstm", {"hidden": 8}, E1, "digits", [RNN[0], *CLASSIFIER, RNN[1]], PREDICTED),
    "rnn-adding": ("rnn", {"hidden": 8}, E1, "adding",
                   [*RNN, "Predictions on test sequences (sorted by target)"], ""),
    "lstm-copy": ("lstm", {"hidden": 8}, E1, "copy", [*RNN, "Accuracy at each step (test)"], ""),
    "autoencoder": ("autoencoder", {"hidden": [16], "code": 8, "code_activation": "linear"}, E1, "digits",
                    [RECON, CODE_MAP, ENCODER], ""),
    "denoising-autoencoder": ("denoising-autoencoder", {"hidden": [16], "code": 8}, E1, "digits",
                              [RECON, CODE_MAP, ENCODER], ""),
    "sparse-autoencoder": ("sparse-autoencoder", {"hidden": [], "code": 20}, E1, "digits",
                           [RECON, CODE_MAP, ENCODER], ""),
    "stacked-autoencoder": ("stacked-autoencoder", {"hidden": [16, 8], "pretrain_epochs": 1}, E1, "digits",
                            [*CLASSIFIER, CODE_MAP], PREDICTED),
    "deep-autoencoder": ("deep-autoencoder", {"hidden": [16, 8], "code": 2, "pretrain_epochs": 1}, E1,
                         "digits", [RECON, CODE_MAP, ENCODER], ""),
    "vae": ("vae", {"hidden": [16], "latent": 2}, E1, "digits",
            [RECON, CODE_MAP, "VAE samples: x ~ p(x | z), z ~ N(0, I) (Bernoulli means)",
             "Latent traversal: decode(mu(x) + t e_k), t in [-3, 3]"], "VAE samples: x ~ p(x | z), z ~ N(0, I)"),
    "semantic-hashing": ("semantic-hashing", {"hidden": [16], "code": 8, "pretrain_epochs": 1}, E1, "digits",
                         [RECON, CODE_MAP, "Retrieval: each query, then its nearest codes (Hamming distance d)",
                          ENCODER], ""),
    # the models registered after the name-based code: the figures they get now (a sample title
    # None: `sample` has no figure for the model yet and says so)
    "class-rbm": ("class-rbm", {"n_hidden": 16}, E1, "digits", CLASSIFIER, PREDICTED),
    "ising-rbm": ("ising-rbm", {"n_hidden": 16}, {"epochs": 1, "batch_size": 20}, "digits",
                  RBM_TITLES, "samples after 200 Gibbs sweeps"),
    "gaussian-hidden-rbm": ("gaussian-hidden-rbm", {"n_hidden": 16}, {"epochs": 1, "batch_size": 20}, "digits",
                            [*RBM_TITLES[:3], LINEAR_CODE], "samples after 200 Gibbs sweeps"),
    "dropout-rbm": ("dropout-rbm", {"n_hidden": 16}, {"epochs": 1, "batch_size": 20}, "digits",
                    RBM_TITLES, "samples after 200 Gibbs sweeps"),
    # only the hidden activations: no filters, samples or reconstructions of the K-valued units yet
    "categorical-rbm": ("categorical-rbm", {"n_hidden": 16}, {"epochs": 1, "batch_size": 20}, "digits",
                        [RBM_TITLES[3]], None),
    "conv-rbm": ("conv-rbm", {"n_filters": 4, "filter_size": 3}, {"epochs": 1, "batch_size": 20}, "digits",
                 ["Filters W^k: input channel 0, one tile per group",
                  "Pooled feature maps P(p^k = 1 | v) of one test image",
                  "Pooled activations P(p^k = 1 | v) of layer 1 on test data",
                  "Reconstructions P(v | h = P(h | v)): data above, reconstruction below",
                  "Samples: 1000 Gibbs steps from the training pixels' means"], None),
    "conv-dbn": ("conv-dbn", {}, {"epochs": 1, "batch_size": 20}, "digits",
                 ["Filters W^k (layer 1): input channel 0, one tile per group",
                  "Pooled feature maps P(p^k = 1 | v) of one test image (layer 1)",
                  "Filters W^k (layer 2): input channel 0, one tile per group",
                  "Pooled activations P(p^k = 1 | v) of layer 1 on test data"], None),
}


def test_the_zoo_table_covers_every_registered_model():
    # gaussian-rbm: tested above (the name-based code gave it no figures)
    assert {case[0] for case in ZOO.values()} | {"gaussian-rbm"} == set(models.REGISTRY)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::neuralzoo.models.ConvergenceWarning")  # 1 epoch: the point
@pytest.mark.parametrize("case", list(ZOO))
def test_every_model_keeps_the_figures_it_had(case, tmp_path):
    name, model_values, train_values, data, expected, sample_title = ZOO[case]
    # trained and reloaded as a run, as `neuralzoo report`, `sample` and the tour see it
    runs.train_run(name, model_values=model_values, train_values={**train_values, "progress": False, "seed": 0},
                   data_values={"name": data, "limit": 200}, out=tmp_path / case)
    model = runs.load_run(tmp_path / case)
    X, y = runs.load_data(runs.run_data_config(tmp_path / case), "test")
    X, y = X[:100].reshape(100, -1), y[:100]  # (N, D) as the run report and `sample` see it
    names = runs.class_names(data)
    assert list(model_figures(model, X, y, names)) == expected
    if sample_title is None:
        with pytest.raises(ValueError, match="has no sample figure yet"):
            sample_figure(model, X, y, 16, names)
    else:
        assert sample_figure(model, X, y, 16, names).get_suptitle() == sample_title
