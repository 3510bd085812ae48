"""Figures of the recurrent networks: the unrolled computation graph, the vanishing gradient,
text sampled from a language model, predictions on the adding problem.

Kept in the report layer so that the model files never import matplotlib.
"""

from __future__ import annotations

import textwrap

import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from torch import nn

from ..models import LSTM, ElmanRNN
from .plots import DPI, line_figure

EPOCHS = 6
TOUR_TEXT_CHARS = 60_000  # the tour's text: this many characters of tiny-shakespeare


def text_figure(text: str, title: str, width: int = 80, max_lines: int = 24) -> Figure:
    """A block of monospace text (sampled characters) as a figure."""
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        lines.extend(textwrap.wrap(para, width) or [""])
    lines = lines[:max_lines]
    fig = Figure(figsize=(7.5, 0.3 + 0.19 * max(len(lines), 1)), dpi=DPI)
    ax = fig.add_axes((0.01, 0.0, 0.98, 1.0))
    ax.set_axis_off()
    ax.text(0.0, 1.0, "\n".join(lines), family="monospace", fontsize=8.5, va="top", ha="left",
            transform=ax.transAxes)
    fig.suptitle(title, fontsize=9, y=0.995, x=0.01, ha="left")
    return fig


def unrolled_graph_figure(steps: int = 3, lstm: bool = False) -> Figure:
    """The lecture's unfolded graph: ``x_t -U-> h_t -V-> o_t -> L_t``, ``h_{t-1} -W-> h_t``,
    the same ``U, V, W`` at every step (权值共享)."""
    fig = Figure(figsize=(1.9 * steps + 1.2, 3.4), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.6, steps + 0.2)
    ax.set_ylim(-0.3, 3.6)
    ax.set_axis_off()
    cell = "LSTM\ncell" if lstm else "h"

    def node(x: float, y: float, label: str, color: str) -> None:
        ax.text(x, y, label, ha="center", va="center", fontsize=10,
                bbox={"boxstyle": "round,pad=0.35", "fc": color, "ec": "0.3"})

    shrink = 30 if lstm else 14  # points: the LSTM's boxes are larger

    def arrow(x0: float, y0: float, x1: float, y1: float, label: str) -> None:
        # shrink: stop at the box's edge (the cells, at y = 1.5, are the larger boxes)
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=12, color="0.25",
                                     shrinkA=shrink if y0 == 1.5 else 14, shrinkB=shrink if y1 == 1.5 else 14))
        ax.text((x0 + x1) / 2 + 0.07, (y0 + y1) / 2 + 0.08, label, fontsize=9, color="C3")

    node(-0.35, 1.5, "h_0, s_0" if lstm else "h_0", "0.92")
    for t in range(steps):
        x = t + 0.5
        node(x, 0.3, f"x_{t + 1}", "#dbe9f6")
        node(x, 1.5, f"{cell}_{t + 1}" if not lstm else f"{cell}\nh_{t + 1}, s_{t + 1}", "#fde2c8")
        node(x, 2.55, f"o_{t + 1}", "#d9f0d3")
        node(x, 3.35, f"L_{t + 1}", "0.95")
        arrow(x, 0.3, x, 1.5, "U")
        arrow(x, 1.5, x, 2.55, "V")
        arrow(x, 2.55, x, 3.35, "")
        arrow(x - 1 if t else -0.35, 1.5, x, 1.5, "W")
    ax.text(steps + 0.05, 0.05, "the same U, V, W at every step", ha="right", fontsize=8, color="0.35")
    return fig


def gradient_figure(norms: dict[str, torch.Tensor], title: str) -> Figure:
    """``||dL/dh_k||`` against the distance ``T - k`` to the loss, log scale, one curve per model."""
    T = len(next(iter(norms.values())))
    return line_figure(list(range(T)), {k: [float(v) for v in reversed(n.tolist())] for k, n in norms.items()},
                       xlabel="distance T - k (steps back from the loss)", ylabel="||dL/dh_k||",
                       title=title, logy=True)


def gradient_norms_of(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The model's ``||dL/dh_k||`` on (up to 64 of) its inputs, computed on the CPU side."""
    X, y = X[:64], y[:64]
    device = next(model.parameters()).device
    return model.hidden_gradient_norms(X.to(device), y.to(device)).cpu()


def recurrence_gradient_norms(model: ElmanRNN, X: torch.Tensor, y: torch.Tensor,
                              seed: int = 0) -> dict[str, torch.Tensor]:
    """``||dL/dh_k||`` (T,) of two untrained twins of ``model`` (its sizes and task), one with a
    full ``W`` and one diagonal (self-feedback ``w_i = 1``), on (up to 64 of) the same inputs.

    Both are initialised under ``seed`` (the global RNG is left as it was) and run in float64,
    so that a gradient that vanishes shows as a small number rather than an underflow to 0.
    The diagonal network's factor per step back is ``(1 - h_t^2) w_i`` with ``w_i = 1``; the
    full one's is ``diag(1 - h_t^2) W`` with ``W`` uniform(+-1/sqrt(H)), whose norm is below 1:
    the diagonal twin's curve falls more slowly (:class:`~neuralzoo.models.ElmanRNN`).
    """
    X, y = X[:64].cpu(), y[:64].cpu()
    params = {k: v for k, v in model.get_params().items() if k not in ("recurrence", "dropout")}
    out = {}
    for recurrence in ("full", "diagonal"):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            twin = ElmanRNN(**params, recurrence=recurrence).double()
        twin._fitted = True  # untrained on purpose: the initialisation is what is compared
        Xd = X.double() if X.is_floating_point() else X
        yd = y.double() if y.is_floating_point() else y
        out[recurrence] = twin.hidden_gradient_norms(Xd, yd).float()
    return out


def rnn_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                class_names: list[str] | None = None) -> dict[str, Figure]:
    """The figures of a trained recurrent model on its test data."""
    from .model_figures import classifier_figures

    figs: dict[str, Figure] = {}
    figs["The network unfolded in time (shared U, V, W)"] = unrolled_graph_figure(
        3, lstm=isinstance(model, LSTM))
    if model.task == "classify":
        figs.update(classifier_figures(model, X, y, class_names))
    if model.task != "sequence" or model.vocab is None:
        norms = {type(model).__name__: gradient_norms_of(model, X, y)}
        if isinstance(model, ElmanRNN):  # beside it: full W against diagonal self-feedback, untrained
            norms = {f"this {model.recurrence} Elman RNN, trained": norms["ElmanRNN"],
                     **{f"{k} {'W' if k == 'full' else 'w_i = 1'}, untrained (seed 0)": v
                        for k, v in recurrence_gradient_norms(model, X, y).items()}}
        figs["Vanishing gradient: ||dL/dh_k|| against the distance to the loss"] = gradient_figure(
            norms, title="how much error reaches step k (test inputs)")
    figs.update(sample_figures(model, X, y))
    return figs


def sample_figures(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int = 64) -> dict[str, Figure]:
    """Text sampled from a language model, or predictions of the adding/copy models."""
    if model.vocab is not None:
        text = model.sample_text(None, 400, temperature=0.8, generator=0)
        return {"Sampled text (temperature 0.8, seed 0)": text_figure(text, "sampled text, T = 0.8")}
    if model.task == "regress":
        pred = model.predict(X[:n]).cpu()
        order = torch.argsort(y[:n].cpu())
        return {"Predictions on test sequences (sorted by target)": line_figure(
            list(range(len(order))), {"target": y[:n].cpu()[order].tolist(), "predicted": pred[order].tolist()},
            xlabel="test sequence (sorted by target)", ylabel="sum of the marked values")}
    if model.task == "sequence":
        pred = model.predict(X[:n]).cpu()
        acc = (pred == y[:n].cpu()).float().mean(0)  # (T,)
        return {"Accuracy at each step (test)": line_figure(
            list(range(1, len(acc) + 1)), {"accuracy": acc.tolist()}, xlabel="step t", ylabel="accuracy")}
    return {}


def sample_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int) -> Figure:
    """What ``neuralzoo sample`` draws for a non-classifying recurrent model."""
    figs = sample_figures(model, X, y, n)
    if not figs:
        raise ValueError(f"sample: no figure for a {type(model).__name__} with task {model.task!r}")
    return next(iter(figs.values()))


def tour_text_figures(progress: bool = False) -> dict[str, Figure]:
    """The tour's short text: a small LSTM trained for a few seconds on the first 60,000
    characters of tiny-shakespeare (or, when it is not found, on the Zen of Python), sampled."""
    import codecs
    import contextlib
    import io

    from ..datasets import text as textdata

    try:
        source = textdata.read_text(textdata.locate("tinyshakespeare"))[:TOUR_TEXT_CHARS]
        name = f"the first {TOUR_TEXT_CHARS:,} characters of tiny-shakespeare"
    except textdata.TextFileError:
        with contextlib.redirect_stdout(io.StringIO()):  # importing `this` prints the Zen
            import this  # the Zen of Python, rot13-encoded in this.s
        source = codecs.decode(this.s, "rot13") * 8
        name = "the Zen of Python (tiny-shakespeare not found)"
    corpus = textdata.Corpus.from_text(source)
    X, Y = textdata.windows(corpus.ids, 50)
    net = LSTM(n_outputs=len(corpus.vocab), hidden=128, task="sequence", vocab=corpus.vocab,
               carry_state=True)
    net.fit(X, Y, epochs=EPOCHS, batch_size=32, lr=1e-2, seed=0, progress=progress)
    loss = net.history_[-1]["loss"]
    text = net.sample_text(None, 300, temperature=0.8, generator=0)
    return {f"A short text: an LSTM (128 cells) trained {EPOCHS} epochs on " + name: text_figure(
        text, f"sampled at temperature 0.8; training loss {loss:.2f} nats/char")}


def reproduce_figures(result: dict) -> list[Figure]:
    """The curves of the recurrent reproductions: test MSE per epoch of every model of
    ``adding`` (one figure, the 0.167 baseline dashed), validation loss per epoch of ``char-lm``."""
    rows = result.get("rows", [])
    figs = []
    mse = {r["name"].split(":")[0]: r["mse_per_epoch"] for r in rows if r.get("mse_per_epoch")}
    if mse:
        n = max(len(v) for v in mse.values())
        figs.append(line_figure(list(range(1, n + 1)), {k: v + [None] * (n - len(v)) for k, v in mse.items()},
                                xlabel="epoch", ylabel="test MSE", logy=True,
                                title="adding problem: test MSE per epoch",
                                hlines={"baseline (predict 1)": rows[0].get("baseline", 1 / 6)}))
    grads = {r["name"].split(":")[0]: r["grad_norm_by_distance"] for r in rows if r.get("grad_norm_by_distance")}
    if grads:
        n = min(len(v) for v in grads.values())
        figs.append(line_figure(list(range(n)), {k: v[:n] for k, v in grads.items()},
                                xlabel="distance T - k", ylabel="||dL/dh_k||", logy=True,
                                title="error reaching step k of the trained models (test)"))
    for r in rows:
        if r.get("history"):
            n = len(r["history"])
            figs.append(line_figure(list(range(1, n + 1)), {"validation": r["history"],
                                                            "training": r.get("train_history", [None] * n)},
                                    xlabel="epoch", ylabel="nats / char", title=r["name"],
                                    hlines={"target": 1.5}))
    return figs
