"""``neuralzoo tour``: every model of the lecture on one dataset, at small sizes.

Each model is trained as an ordinary run (``<out>/<model>/``, with its own report), then
one page (``<out>/report.html``) sets them side by side: a table of test accuracy, time and
size, and each model's figures. On the embedded ``digits`` data the whole tour takes well
under five minutes on two CPU cores.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import torch
from matplotlib.figure import Figure

from . import datasets, models, runs
from .report import decision_boundary_figure, write_tour_report
from .report.model_figures import model_figures
from .train.run_folder import RunExistsError

# model name -> (model config, train config) of the tour: small, fast, and still good.
TOUR: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "perceptron": ({"pocket": True}, {"epochs": 10}),
    "mlp": ({"hidden": [256], "activation": "relu", "dropout": 0.2},
            {"epochs": 40, "batch_size": 32, "lr": 3e-3, "lr_schedule": "cosine"}),
    "rbf": ({"n_centers": 300}, {}),
    "hopfield": ({"rule": "pseudo-inverse"}, {}),
    "modern-hopfield": ({"beta": 8.0}, {}),
    "boltzmann": ({"n_hidden": 32}, {"epochs": 30}),
    "rbm": ({"n_hidden": 16, "method": "pcd"}, {"epochs": 20, "batch_size": 20}),
    "class-rbm": ({"n_hidden": 100, "objective": "hybrid", "alpha": 0.01}, {"epochs": 20}),
    "ising-rbm": ({"n_hidden": 16}, {"epochs": 10, "batch_size": 20}),
    "gaussian-hidden-rbm": ({"n_hidden": 16, "method": "pcd"}, {"epochs": 10, "batch_size": 20, "lr": 0.02}),
    "dropout-rbm": ({"n_hidden": 16, "retention": 0.8}, {"epochs": 10, "batch_size": 20}),
    # the binarised digits as 64 variables of K = 2 values (its text demo is in the README)
    "categorical-rbm": ({"n_hidden": 16}, {"epochs": 10, "batch_size": 20}),
    "conv-rbm": ({"n_filters": 8, "filter_size": 3}, {"epochs": 10, "batch_size": 20}),
    "dbn": ({"hidden": [100, 100, 200], "finetune_epochs": 30}, {"epochs": 15, "batch_size": 20}),
    "dbm": ({"hidden": [100, 100], "pretrain_epochs": 15, "finetune_epochs": 30},
            {"epochs": 15, "batch_size": 20}),
    "cnn": ({}, {"epochs": 8, "batch_size": 32, "lr": 2e-3, "lr_schedule": "cosine"}),
    "lenet5": ({}, {"epochs": 8, "batch_size": 32, "lr": 2e-3, "lr_schedule": "cosine"}),
    "lecture-cnn": ({}, {"epochs": 10, "batch_size": 32, "lr": 3e-3, "lr_schedule": "cosine"}),
    "autoencoder": ({"hidden": [64], "code": 8, "code_activation": "linear"}, {"epochs": 25, "lr": 3e-3}),
    "denoising-autoencoder": ({"hidden": [64], "code": 16}, {"epochs": 15, "lr": 3e-3}),
    "sparse-autoencoder": ({"hidden": [], "code": 100}, {"epochs": 15, "lr": 3e-3}),
    "stacked-autoencoder": ({"hidden": [128, 64], "pretrain_epochs": 5, "pretrain_lr": 3e-3},
                            {"epochs": 20, "lr": 3e-3}),
    "deep-autoencoder": ({"hidden": [128, 64], "code": 2, "pretrain_epochs": 5}, {"epochs": 30, "lr": 3e-3}),
    "vae": ({"hidden": [128], "latent": 2}, {"epochs": 30, "lr": 3e-3}),
    "semantic-hashing": ({"hidden": [128, 64], "code": 16, "code_noise": 2.0, "pretrain_epochs": 10},
                         {"epochs": 40, "lr": 3e-3}),
    "rnn": ({"hidden": 64}, {"epochs": 20, "batch_size": 32, "lr": 3e-3, "lr_schedule": "cosine"}),
    "lstm": ({"hidden": 64}, {"epochs": 25, "batch_size": 32, "lr": 5e-3, "lr_schedule": "cosine"}),
}

XOR_X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = torch.tensor([0, 1, 1, 0])


def xor_figures() -> dict[str, Figure]:
    """The lecture's classic contrast: a perceptron cannot draw XOR, a 2-4-2 MLP can."""
    import warnings

    figs: dict[str, Figure] = {}
    X, y = XOR_X, XOR_Y
    if "perceptron" in models.REGISTRY:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # non-convergence on XOR is the point
            p = models.get("perceptron")(2, 2, pocket=False).fit(X, y, epochs=20, progress=False)
        figs["XOR: the perceptron cannot separate it"] = decision_boundary_figure(
            lambda Z: p.predict(torch.from_numpy(Z)).cpu().numpy(), X.numpy(), y.numpy(),
            title=f"perceptron on XOR: accuracy {p.score(X, y):.2f}")
    net = models.get("mlp")(2, 2, hidden=[4], activation="tanh").fit(
        X, y, epochs=300, batch_size=4, lr=0.05, progress=False)
    figs["XOR: an MLP with 4 hidden units solves it"] = decision_boundary_figure(
        lambda Z: net.predict(torch.from_numpy(Z)).cpu().numpy(), X.numpy(), y.numpy(),
        title=f"MLP 2-4-2 on XOR: accuracy {net.score(X, y):.2f}")
    return figs


def tour_figures(model: torch.nn.Module) -> dict[str, Figure]:
    """The tour's own figures beside a model's: the XOR contrast beside the MLP, a short
    text sampled from a character LSTM beside the LSTM."""
    if isinstance(model, models.MLP):
        return xor_figures()
    if isinstance(model, models.LSTM):
        from .report.figures_rnn import tour_text_figures

        return tour_text_figures()
    return {}


def tour_row(name: str, summary: dict[str, Any]) -> dict[str, Any]:
    """The tour table's row of one run: its test metrics (not ``test_error``, which is
    1 - ``test_acc``), time, size and its report, a path relative to the tour's page
    (``<out>/report.html`` links to ``<out>/<name>/report.html``)."""
    return {"model": name,
            **{k: v for k, v in summary.items() if k.startswith("test_") and k != "test_error"},
            "train_seconds": summary["train_seconds"], "params": summary["params"],
            "report": f"{name}/report.html"}


def run_tour(*, data: str = "digits", out: str | Path = "runs/tour", force: bool = False,
             only: list[str] | None = None, progress: bool = True,
             threads: int | None = 1) -> tuple[list[dict], Path]:
    """Train every tour model on ``data``; return the table rows and the report path.

    ``threads``: torch threads for the tour (None: torch's default). The tour's models are
    tiny, so a second thread buys little, and where another job holds a core, torch's
    threads wait on each other: on this project's two-core machine the tour MLP trained at
    3,042 samples/s with two threads beside one busy core, against 43,972 with one.
    """
    if threads is None:
        return _run_tour(data=data, out=out, force=force, only=only, progress=progress)
    if threads < 1:
        raise ValueError(f"threads: expected a count >= 1 (or None for torch's default), got {threads}")
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _run_tour(data=data, out=out, force=force, only=only, progress=progress)
    finally:
        torch.set_num_threads(before)


def _run_tour(*, data: str, out: str | Path, force: bool, only: list[str] | None,
              progress: bool) -> tuple[list[dict], Path]:
    out = Path(out)
    names = [n for n in TOUR if n in models.REGISTRY]
    if only:
        unknown = [n for n in only if n not in names]
        if unknown:
            raise ValueError(f"unknown tour model(s) {', '.join(unknown)}: expected some of {', '.join(names)}")
        names = [n for n in names if n in only]
    if out.exists() and any(out.iterdir()):
        if not force:
            raise RunExistsError(f"{out} already exists and is not empty: expected a new folder "
                                 "(pass --force to overwrite the tour)")
        shutil.rmtree(out)
    info = datasets.info(data)
    rows: list[dict[str, Any]] = []
    figures: dict[str, dict[str, Figure]] = {}
    t_all = time.perf_counter()
    for name in names:
        model_values, train_values = TOUR[name]
        summary = runs.train_run(name, model_values=dict(model_values),
                                 train_values={**train_values, "progress": progress},
                                 data_values={"name": data}, out=out / name)
        runs.make_report(out / name)
        model = runs.load_run(out / name)
        X_test, y_test = runs.load_data(runs.run_data_config(out / name), "test")
        X_test = X_test.reshape(len(X_test), -1)
        rows.append(tour_row(name, summary))
        figures[name] = {**model_figures(model, X_test, y_test, list(info.class_names)),
                         **tour_figures(model)}
    report = write_tour_report(out / "report.html", title=f"neuralzoo tour on {data}", rows=rows,
                               figures=figures,
                               notes=[f"Whole tour: {time.perf_counter() - t_all:.1f} s on this machine.",
                                      f"Data: {info.description}"])
    return rows, report
