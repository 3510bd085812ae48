"""Matplotlib figures for runs, tours, reproductions and benchmarks.

Every function here returns a :class:`matplotlib.figure.Figure` built directly, never through
``pyplot``: nothing global is touched, no screen is needed (PNG output goes through Agg), and
a figure is freed as soon as the last reference to it goes.

- :func:`history_figure` -- training curves of a run, one dict of metrics per epoch.
- :func:`confusion_figure` -- a classifier's confusion matrix, coloured by row.
- :func:`image_grid_figure` -- samples, reconstructions, recalled patterns, weight filters.
- :func:`decision_boundary_figure` -- the regions a 2-D classifier draws (XOR, toy demos).
- :func:`line_figure` -- generic curves with labelled reference lines (reproduce, bench).
- :func:`figure_to_png` / :func:`save_figure` -- PNG bytes, or an atomically written PNG file.

>>> import numpy as np
>>> fig = image_grid_figure(np.zeros((4, 3, 3)))
>>> len(fig.axes)
4
>>> figure_to_png(fig)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io
import math
import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from neuralzoo._io import atomic_write_bytes

DPI = 96  # small PNGs: a report embeds many of them
MAX_IMAGES = 100  # image_grid_figure shows at most this many
# History keys that are bookkeeping rather than metrics: not drawn by history_figure.
HISTORY_SKIP = frozenset({"epoch", "lr", "seconds", "samples_per_s", "stage", "step"})


def _to_numpy(x: Any) -> np.ndarray:
    """An array-like (NumPy, nested lists, torch tensor on any device) as a NumPy array."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch.Tensor without importing torch
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _as_float(v: Any) -> float:
    """A metric value as a float; NaN for None, strings and anything not a real number."""
    if hasattr(v, "item") and getattr(v, "shape", None) == ():  # NumPy/torch scalars
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return math.nan
    return float(v)


def _labelled(ax: Any, xlabel: str, ylabel: str, title: str | None) -> Figure:
    """The axes' labels and, when given, its title; returns the figure the axes belong to."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax.figure


def _message_figure(text: str, title: str | None = None) -> Figure:
    """A small figure that only says ``text`` (empty inputs)."""
    fig = Figure(figsize=(4.0, 2.0), dpi=DPI)
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, color="0.35")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


# ----------------------------------------------------------------------------- history


def history_figure(history: Iterable[Mapping[str, Any]], title: str | None = None) -> Figure:
    """Training curves: losses in one panel, the other per-epoch metrics in a second.

    ``history`` holds one mapping per epoch (a list of dicts or a ``History``), e.g.
    ``{"epoch": 1, "loss": .5, "val_loss": .6, "acc": .9, "lr": 1e-3, "seconds": 1.2}``.
    The x axis is ``epoch`` when every row has one and it increases; otherwise (no epochs,
    or a greedy stack whose epochs restart per stage) it is the row number, 1-based.
    Panel 1 holds every key containing ``"loss"``; panel 2 every other numeric key except
    bookkeeping (``epoch, lr, seconds, samples_per_s, stage, step``). Keys whose values are
    all missing, None or NaN are left out; a panel with nothing to draw is left out. Stage
    changes (a ``"stage"`` name per row) are marked by dotted vertical lines. Epochs are
    counted: the x ticks are whole numbers.
    """
    rows = [dict(r) for r in history]
    if not rows:
        return _message_figure("no epochs recorded", title)

    # 1. The x axis: recorded epochs if usable, else the row number.
    epochs = [_as_float(r.get("epoch")) for r in rows]
    if all(math.isfinite(e) for e in epochs) and all(b > a for a, b in zip(epochs, epochs[1:])):
        x, xlabel = np.array(epochs), "epoch"
    else:
        x = np.arange(1, len(rows) + 1, dtype=float)
        xlabel = "epoch (all stages)" if any("stage" in r for r in rows) else "epoch"

    # 2. Every metric key in first-seen order, with NaN where a row lacks it.
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys and k not in HISTORY_SKIP)
    series = {k: np.array([_as_float(r.get(k)) for r in rows]) for k in keys}
    series = {k: v for k, v in series.items() if np.isfinite(v).any()}
    losses = [k for k in series if "loss" in k]
    others = [k for k in series if "loss" not in k]
    panels = [(p, name) for p, name in ((losses, "loss"), (others, "metric")) if p]
    if not panels:
        return _message_figure("no metrics recorded", title)

    # 3. One panel per group; markers while the points are few enough to count.
    fig = Figure(figsize=(4.4 * len(panels), 3.2), dpi=DPI, layout="constrained")
    marker = "o" if len(rows) <= 30 else None
    markersize = 6 if len(rows) == 1 else 3
    stages = [r.get("stage") for r in rows]
    for i, (group, ylabel) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for k in group:
            ax.plot(x, series[k], label=k, marker=marker, markersize=markersize, linewidth=1.4)
        for j in range(1, len(rows)):
            if isinstance(stages[j], str) and stages[j] != stages[j - 1]:
                ax.axvline((x[j - 1] + x[j]) / 2, color="0.6", linestyle=":", linewidth=1)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 2.5
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        if len(rows) == 1:
            ax.set_xlim(x[0] - 1, x[0] + 1)
    if title:
        fig.suptitle(title)
    return fig


# ----------------------------------------------------------------------------- confusion


def confusion_figure(
    cm: Any, class_names: Sequence[str] | None = None, title: str = "Confusion matrix"
) -> Figure:
    """A confusion matrix: rows are the true class, columns the predicted one.

    ``cm`` is a (C, C) array-like of counts. The colour is the row-normalised fraction
    (recall per class), so rare classes are as visible as frequent ones; the counts are
    written in the cells when C <= 12.
    """
    m = _to_numpy(cm).astype(float)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"expected a square (C, C) confusion matrix, got shape {m.shape}")
    if not np.isfinite(m).all() or (m < 0).any():
        raise ValueError("expected finite non-negative counts in the confusion matrix")
    C = m.shape[0]
    if class_names is None:
        names = [str(i) for i in range(C)]
    else:
        names = [str(n) for n in class_names]
        if len(names) != C:
            raise ValueError(f"expected {C} class names for a {C}x{C} matrix, got {len(names)}")

    row_sums = m.sum(axis=1, keepdims=True)
    frac = np.divide(m, row_sums, out=np.zeros_like(m), where=row_sums > 0)  # (C, C)

    side = min(2.6 + 0.3 * C, 7.0)
    fig = Figure(figsize=(side + 1.0, side), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(frac, cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, label="fraction of true class")
    if C <= 30:
        long = max(map(len, names)) > 2  # slant long names so they do not overlap
        ax.set_xticks(range(C), names, rotation=45 if long else 0, ha="right" if long else "center")
        ax.set_yticks(range(C), names)
    if C <= 12:
        integral = bool(np.all(m == np.round(m)))
        for i in range(C):
            for j in range(C):
                text = f"{int(m[i, j])}" if integral else f"{m[i, j]:.2g}"
                color = "white" if frac[i, j] > 0.5 else "black"
                ax.text(j, i, text, ha="center", va="center", color=color, fontsize=8)
    return _labelled(ax, "predicted", "true", title)


# ----------------------------------------------------------------------------- image grid


def image_grid_figure(
    images: Any,
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    cmap: str | None = None,
    title: str | None = None,
    symmetric: bool = False,
    colorbar: bool | None = None,
) -> Figure:
    """A grid of images: samples, reconstructions, recalled patterns or weight filters.

    ``images`` is (N, H, W), or (N, D) with D a perfect square (each row reshaped to
    sqrt(D) x sqrt(D), as MNIST rows are). At most the first 100 are shown, one axes each.
    All images share one colour scale so they can be compared: their min..max, or with
    ``symmetric=True`` -max|x|..+max|x| on a diverging map (weight filters: red positive,
    blue negative, white zero). ``cmap`` defaults to ``"gray"``, or ``"RdBu_r"`` when
    symmetric. ``colorbar`` draws that shared scale beside the grid (one more axes, the
    last); by default it is drawn for symmetric grids, whose values are weights rather than
    pixel intensities. Titles are written at 10 pt, the tiles made tall enough to hold them.
    """
    a = _to_numpy(images).astype(float)
    if a.ndim == 2 and a.shape[1] > 0 and math.isqrt(a.shape[1]) ** 2 == a.shape[1]:
        side = math.isqrt(a.shape[1])
        a = a.reshape(a.shape[0], side, side)  # (N, D) -> (N, H, W)
    elif a.ndim != 3:
        raise ValueError(
            f"expected (N,H,W) or (N,D) with D a perfect square, got shape {tuple(a.shape)}"
        )
    n_all = a.shape[0]
    if titles is not None and len(titles) != n_all:
        raise ValueError(f"expected one title per image ({n_all}), got {len(titles)}")
    a = a[:MAX_IMAGES]
    n = a.shape[0]
    if n == 0:
        return _message_figure("no images", title)
    if ncols is not None and (not isinstance(ncols, numbers.Integral) or ncols < 1):
        raise ValueError(f"expected ncols to be a positive integer, got {ncols!r}")
    cols = min(int(ncols), n) if ncols is not None else math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    colorbar = symmetric if colorbar is None else bool(colorbar)

    finite = a[np.isfinite(a)]
    if symmetric:
        vmax = float(np.abs(finite).max()) if finite.size else 1.0
        vmax = vmax if vmax > 0 else 1.0
        vmin, cmap = -vmax, cmap or "RdBu_r"
    else:
        vmin = float(finite.min()) if finite.size else 0.0
        vmax = float(finite.max()) if finite.size else 1.0
        if vmax <= vmin:
            vmin, vmax = vmin - 0.5, vmax + 0.5
        cmap = cmap or "gray"

    # 1. Tile size: at most 1.1 in, the grid at most ~9 in wide; titled tiles at least
    #    0.75 in, so that a 10 pt title ("3→8") is as wide as its tile, not wider.
    cell = min(1.1, 9.0 / cols)
    if titles is not None:
        cell = max(cell, 0.75)
    lines = max((str(t).count("\n") + 1 for t in titles[:n]), default=0) if titles else 0
    title_h = 0.05 + 0.18 * lines if lines else 0.0  # inches of title above each tile
    bar_w = 0.9 if colorbar else 0.0
    height = rows * (cell + title_h) + (0.4 if title else 0.0)
    fig = Figure(figsize=(cols * cell + bar_w, max(height, 1.2 if colorbar else 0.0)), dpi=DPI,
                 layout="constrained")
    axes = []
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        im = ax.imshow(a[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=10)
        axes.append(ax)
    if colorbar:
        # 2. One bar for the whole grid: every tile shares the scale vmin..vmax.
        fig.colorbar(im, ax=axes, shrink=0.9 if rows <= 2 else 0.6, aspect=15,
                     pad=0.02).ax.tick_params(labelsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


# ----------------------------------------------------------------------------- decision boundary


def decision_boundary_figure(
    predict: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    title: str | None = None,
    resolution: int = 200,
) -> Figure:
    """The regions a classifier of 2-D points assigns to each class, with the data on top.

    ``predict`` maps a float32 (M, 2) NumPy array to (M,) integer labels (a NumPy array or
    tensor). The plane is covered by a ``resolution`` x ``resolution`` grid spanning the
    data with a 10% margin; each cell is shaded by its predicted class and the points of
    ``X`` (N, 2) are drawn in the colour of their label ``y`` (N,).
    """
    Xn = _to_numpy(X).astype(float)
    yn = _to_numpy(y).reshape(-1)
    if Xn.ndim != 2 or Xn.shape[1] != 2 or Xn.shape[0] == 0:
        raise ValueError(f"expected X of shape (N, 2), got shape {tuple(Xn.shape)}")
    if yn.shape[0] != Xn.shape[0]:
        raise ValueError(f"expected y of shape ({Xn.shape[0]},), got shape {tuple(yn.shape)}")
    if not isinstance(resolution, numbers.Integral) or resolution < 2:
        raise ValueError(f"expected resolution to be an integer >= 2, got {resolution!r}")

    # 1. A grid over the data's bounding box plus a margin.
    lo, hi = Xn.min(axis=0), Xn.max(axis=0)
    pad = np.where(hi > lo, 0.1 * (hi - lo), 0.5)
    lo, hi = lo - pad, hi + pad
    gx = np.linspace(lo[0], hi[0], resolution)
    gy = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(gx, gy)  # (R, R) each, rows follow y
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)  # (R*R, 2)

    # 2. Predict every grid point; labels must come back one per point.
    z = _to_numpy(predict(grid))
    if z.size != grid.shape[0]:
        raise ValueError(
            f"expected predict to return ({grid.shape[0]},) labels, got shape {tuple(z.shape)}"
        )
    z = z.reshape(resolution, resolution)  # (R, R)

    # 3. One colour per class seen in y or in the predictions.
    classes = np.unique(np.concatenate([yn.ravel(), z.ravel()]))
    index = {c: i for i, c in enumerate(classes.tolist())}
    palette = [f"C{i % 10}" for i in range(len(classes))]
    cmap = ListedColormap(palette)
    zi = np.vectorize(index.__getitem__, otypes=[float])(z)
    yi = np.array([index[c] for c in yn.tolist()], dtype=float)

    fig = Figure(figsize=(4.2, 3.8), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    kw = {"cmap": cmap, "vmin": -0.5, "vmax": len(classes) - 0.5}
    ax.imshow(zi, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), aspect="auto",
              alpha=0.3, interpolation="nearest", **kw)
    ax.scatter(Xn[:, 0], Xn[:, 1], c=yi, edgecolors="black", linewidths=0.6, s=28, **kw)
    if len(classes) <= 10:
        for c, i in index.items():
            ax.scatter([], [], color=palette[i], edgecolors="black", linewidths=0.6, label=str(c))
        ax.legend(title="class", fontsize=8, title_fontsize=8, loc="best")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    return _labelled(ax, "$x_1$", "$x_2$", title)


# ----------------------------------------------------------------------------- lines


def line_figure(
    x: Sequence[Any],
    series: Mapping[str, Sequence[float]],
    xlabel: str,
    ylabel: str,
    title: str | None = None,
    logy: bool = False,
    hlines: Mapping[str, float] | None = None,
    vlines: Mapping[str, float] | None = None,
) -> Figure:
    """Curves against a shared x, with labelled horizontal and vertical reference lines.

    ``series`` maps a label to one y value per x (None for a gap). ``hlines`` maps a label
    to a y value drawn dashed across the plot, e.g. a published figure to compare with;
    ``vlines`` likewise marks x values (e.g. a critical capacity), dotted.
    """
    xs = list(x)
    fig = Figure(figsize=(5.0, 3.4), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    marker = "o" if len(xs) <= 30 else None
    for label, ys in series.items():
        yv = [_as_float(v) for v in ys]
        if len(yv) != len(xs):
            raise ValueError(f"expected {len(xs)} values in series {label!r}, got {len(yv)}")
        ax.plot(xs, yv, label=str(label), marker=marker, markersize=3, linewidth=1.4)
    for i, (label, value) in enumerate((hlines or {}).items()):
        ax.axhline(_as_float(value), color=f"C{(len(series) + i) % 10}", linestyle="--",
                   linewidth=1.1, label=str(label))
    n_lines = len(series) + len(hlines or {})
    for i, (label, value) in enumerate((vlines or {}).items()):
        ax.axvline(_as_float(value), color=f"C{(n_lines + i) % 10}", linestyle=":",
                   linewidth=1.3, label=str(label))
    if logy:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    if series or hlines:
        ax.legend(fontsize=8)
    return _labelled(ax, xlabel, ylabel, title)


# ----------------------------------------------------------------------------- output


def figure_to_png(fig: Figure) -> bytes:
    """The figure rendered as PNG bytes (Agg, the figure's dpi)."""
    if not isinstance(fig, Figure):
        raise TypeError(f"expected a matplotlib Figure, got {type(fig).__name__}")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, facecolor="white")
    return buf.getvalue()


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Write the figure as a PNG file at ``path`` atomically; return the path."""
    return atomic_write_bytes(path, figure_to_png(fig))
