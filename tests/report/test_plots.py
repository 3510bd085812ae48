"""Tests of neuralzoo.report.plots: structure of each figure, PNG output, input checks."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from neuralzoo.report.plots import (
    confusion_figure,
    decision_boundary_figure,
    figure_to_png,
    history_figure,
    image_grid_figure,
    line_figure,
    save_figure,
)

PNG = b"\x89PNG\r\n\x1a\n"


def _labels(ax) -> list[str]:
    return [line.get_label() for line in ax.get_lines()]


def _texts(fig: Figure) -> str:
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts)


# ----------------------------------------------------------------------------- history


def test_history_losses_in_panel_1_other_metrics_in_panel_2():
    history = [
        {"epoch": e, "loss": 1 / e, "val_loss": 1.2 / e, "acc": 0.5 + e / 10, "lr": 1e-3,
         "seconds": 1.0, "samples_per_s": 5000.0, "stage": "rbm1"}
        for e in (1, 2, 3)
    ]
    fig = history_figure(history, title="run")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    assert _labels(fig.axes[0]) == ["loss", "val_loss"]
    assert _labels(fig.axes[1]) == ["acc"]  # lr, seconds, samples_per_s, stage left out
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_xdata(), [1, 2, 3])
    assert figure_to_png(fig).startswith(PNG)


def test_history_skips_all_missing_keys_and_uses_row_number_without_epoch():
    history = [{"loss": 0.5, "ll": None, "kl": math.nan}, {"loss": 0.4, "ll": None}]
    fig = history_figure(history)
    assert len(fig.axes) == 1  # ll and kl have no value: no second panel
    assert _labels(fig.axes[0]) == ["loss"]
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_xdata(), [1, 2])


def test_history_restarting_epochs_per_stage_are_laid_end_to_end():
    history = [{"epoch": e, "stage": s, "loss": 1.0} for s in ("rbm1", "rbm2") for e in (1, 2)]
    fig = history_figure(history)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [1, 2, 3, 4])
    assert "all stages" in ax.get_xlabel()
    assert len(ax.get_lines()) == 2  # the curve and one stage boundary


def test_history_single_epoch_has_markers():
    fig = history_figure([{"epoch": 1, "loss": 0.3, "acc": 0.9}])
    line = fig.axes[0].get_lines()[0]
    assert line.get_marker() == "o"
    assert figure_to_png(fig).startswith(PNG)


def test_history_empty_says_no_epochs():
    fig = history_figure([])
    assert "no epochs recorded" in _texts(fig)
    assert figure_to_png(fig).startswith(PNG)


# ----------------------------------------------------------------------------- confusion


def test_confusion_figure_annotates_counts_and_normalises_rows():
    cm = [[5, 0, 1], [2, 8, 0], [0, 0, 0]]
    fig = confusion_figure(cm, class_names=["a", "b", "c"])
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # matrix + colour bar
    assert len(ax.images) == 1
    np.testing.assert_allclose(ax.images[0].get_array()[0], [5 / 6, 0, 1 / 6])
    np.testing.assert_allclose(ax.images[0].get_array()[2], [0, 0, 0])  # empty row: no NaN
    assert len(ax.texts) == 9 and "8" in _texts(fig)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]


def test_confusion_large_has_no_annotations():
    fig = confusion_figure(np.eye(20, dtype=int) * 3)
    assert len(fig.axes[0].texts) == 0


def test_confusion_non_square_names_the_shape():
    with pytest.raises(ValueError, match=r"square.*got shape \(3, 4\)"):
        confusion_figure(np.zeros((3, 4)))


def test_confusion_wrong_number_of_names():
    with pytest.raises(ValueError, match="expected 2 class names"):
        confusion_figure(np.eye(2), class_names=["a", "b", "c"])


# ----------------------------------------------------------------------------- image grid


def test_image_grid_one_axes_per_image():
    fig = image_grid_figure(np.random.default_rng(0).random((10, 5, 5)), title="samples")
    assert len(fig.axes) == 10
    assert all(len(ax.images) == 1 for ax in fig.axes)
    assert figure_to_png(fig).startswith(PNG)


def test_image_grid_reshapes_square_rows_and_takes_titles():
    fig = image_grid_figure(np.zeros((3, 16)), titles=["x", "y", "z"], ncols=2)
    assert fig.axes[0].images[0].get_array().shape == (4, 4)
    assert [ax.get_title() for ax in fig.axes] == ["x", "y", "z"]
    assert fig.axes[2].get_subplotspec().colspan.start == 0  # third image starts row 2


def test_image_grid_caps_at_100():
    fig = image_grid_figure(np.zeros((150, 2, 2)))
    assert len(fig.axes) == 100


def test_image_grid_symmetric_limits_and_diverging_map():
    x = np.array([[[0.5, -2.0], [1.0, 0.0]]])
    im = image_grid_figure(x, symmetric=True).axes[0].images[0]
    assert im.get_clim() == (-2.0, 2.0)
    assert im.get_cmap().name == "RdBu_r"
    im = image_grid_figure(x).axes[0].images[0]
    assert im.get_clim() == (-2.0, 1.0)
    assert im.get_cmap().name == "gray"


def test_image_grid_non_square_rows_refused():
    with pytest.raises(
        ValueError,
        match=r"^expected \(N,H,W\) or \(N,D\) with D a perfect square, got shape \(4, 10\)$",
    ):
        image_grid_figure(np.zeros((4, 10)))


def test_image_grid_accepts_torch_tensor():
    torch = pytest.importorskip("torch")
    fig = image_grid_figure(torch.zeros(2, 9, requires_grad=True))
    assert len(fig.axes) == 2


# ----------------------------------------------------------------------------- decision boundary


def test_decision_boundary_xor():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    seen = {}

    def predict(P):
        seen["dtype"], seen["shape"] = P.dtype, P.shape
        return ((P[:, 0] > 0.5) ^ (P[:, 1] > 0.5)).astype(int)

    fig = decision_boundary_figure(predict, X, y, title="XOR", resolution=50)
    ax = fig.axes[0]
    assert len(fig.axes) == 1
    assert seen == {"dtype": np.float32, "shape": (2500, 2)}
    assert len(ax.images) == 1  # shaded regions
    regions = ax.images[0].get_array()
    assert regions[0, 0] == 0 and regions[0, -1] == 1  # bottom-left class 0, bottom-right 1
    assert ax.collections[0].get_offsets().shape == (4, 2)  # the data points


def test_decision_boundary_bad_predict_output():
    X, y = np.zeros((3, 2)), np.zeros(3)
    with pytest.raises(ValueError, match=r"expected predict to return \(100,\) labels"):
        decision_boundary_figure(lambda P: np.zeros((len(P), 2)), X, y, resolution=10)
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 2\), got shape \(3, 3\)"):
        decision_boundary_figure(lambda P: np.zeros(len(P)), np.zeros((3, 3)), y)


# ----------------------------------------------------------------------------- lines


def test_line_figure_series_and_reference_lines():
    fig = line_figure([1, 2, 4], {"ours": [0.5, 0.3, 0.2], "baseline": [0.6, 0.4, None]},
                      xlabel="epochs", ylabel="error", logy=True, hlines={"published": 0.25})
    ax = fig.axes[0]
    assert _labels(ax) == ["ours", "baseline", "published"]
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epochs"
    assert figure_to_png(fig).startswith(PNG)


def test_line_figure_length_mismatch():
    with pytest.raises(ValueError, match="expected 2 values in series 'a', got 3"):
        line_figure([1, 2], {"a": [1, 2, 3]}, xlabel="x", ylabel="y")


# ----------------------------------------------------------------------------- output


def test_figure_to_png_refuses_non_figures():
    with pytest.raises(TypeError, match="expected a matplotlib Figure, got str"):
        figure_to_png("not a figure")


def test_save_figure_writes_png_atomically(tmp_path):
    path = save_figure(history_figure([{"loss": 1.0}]), tmp_path / "sub" / "h.png")
    assert path == tmp_path / "sub" / "h.png"
    assert path.read_bytes().startswith(PNG)
    assert [p.name for p in path.parent.iterdir()] == ["h.png"]


def test_no_pyplot_needed():
    # The figures are built without pyplot, so no GUI backend or global state is involved.
    # (Another test module may have imported pyplot; then this says nothing, harmlessly.)
    if "matplotlib.pyplot" not in sys.modules:
        history_figure([{"loss": 1.0}])
        assert "matplotlib.pyplot" not in sys.modules
