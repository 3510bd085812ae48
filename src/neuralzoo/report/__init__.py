"""Reports: matplotlib figures (:mod:`.plots`) and self-contained HTML pages (:mod:`.html`).

A run folder gets ``report.html`` (:func:`write_run_report`): summary metrics, training
curves, the model's figures and its config. A tour gets one page comparing every model
(:func:`write_tour_report`). Figures are built without ``pyplot`` and written as PNG through
Agg, so reports are made the same way on a laptop, a server or in CI.
"""

from neuralzoo.report.html import (
    render_run_report,
    render_tour_report,
    write_run_report,
    write_tour_report,
)
from neuralzoo.report.plots import (
    confusion_figure,
    decision_boundary_figure,
    figure_to_png,
    history_figure,
    image_grid_figure,
    line_figure,
    save_figure,
)

__all__ = [
    "confusion_figure",
    "decision_boundary_figure",
    "figure_to_png",
    "history_figure",
    "image_grid_figure",
    "line_figure",
    "render_run_report",
    "render_tour_report",
    "save_figure",
    "write_run_report",
    "write_tour_report",
]
