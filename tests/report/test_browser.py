"""The report pages as a reader sees them: rendered by headless Chromium at a laptop's width.

Each page is screenshot at 1280 x 900 (the screenshot must exist and show something), and
its layout width is measured in the browser: a copy of the page gets a script that writes
``document.documentElement.scrollWidth`` into the DOM once the page has loaded, and
Chromium's ``--dump-dom`` prints it. A page wider than the window would need a horizontal
scroll bar. The measurement itself is checked on a page made too wide on purpose.

Without Chromium these tests skip with a reason (``apt-get install chromium``); they never
pass silently. Set ``NEURALZOO_SCREENSHOTS=DIR`` to keep the screenshots for a look.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from neuralzoo import runs, tour
from neuralzoo.report import html as report_html
from neuralzoo.report.html import provenance, write_tour_report
from neuralzoo.report.model_figures import model_figures
from neuralzoo.report.plots import history_figure, image_grid_figure

WIDTH, HEIGHT = 1280, 900
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = ("Chromium not found (looked for 'chromium' and 'chromium-browser' on PATH): the "
               "report pages cannot be checked in a browser; install it with "
               "`apt-get install chromium` (Debian/Ubuntu) to run these tests")
if CHROMIUM is None:  # said in the warnings summary too, which pytest prints without -rs
    warnings.warn(NO_CHROMIUM, stacklevel=1)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
# the test metrics of the real tour's 21 models (16 kinds): a column each made it 2,744 px wide
METRICS = ["test_acc", "test_loss", "test_squared_error", "test_mse", "test_reconstruction_error",
           "test_fixed_fraction", "test_overlap", "test_recall_exact", "test_completion_error",
           "test_completion_error_zeros", "test_pseudo_log_likelihood", "test_log_likelihood",
           "test_precision_r2", "test_recall_r2", "test_retrieved_r2", "test_elbo"]
MEASURE = ("<script>addEventListener('load', () => document.body.setAttribute("
           "'data-scroll-width', document.documentElement.scrollWidth));</script>")


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"  # no shared profile lock
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done


def screenshot(page: Path, tmp: Path) -> Path:
    """A 1280 x 900 PNG of the top of ``page``, checked to show something."""
    from PIL import Image

    out = tmp / (page.parent.name + "-" + page.stem + ".png")
    _chromium(tmp, f"--screenshot={out}", page.resolve().as_uri())
    assert out.exists(), f"chromium wrote no screenshot of {page}"
    keep = os.environ.get("NEURALZOO_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(keep) / out.name)
    img = np.asarray(Image.open(out).convert("L"), dtype=float)  # (H, W) grey levels
    assert img.shape == (HEIGHT, WIDTH)
    dark = (img < 200).mean()  # text, table rules, figures
    assert dark > 0.005, f"the screenshot of {page} is blank ({dark:.2%} of it is not white)"
    return out


def layout_width(page: Path, tmp: Path) -> int:
    """``document.documentElement.scrollWidth`` of ``page`` in a 1280 px wide window."""
    copy = page.with_name(page.stem + ".measure.html")  # beside it: relative links still work
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"),
                    encoding="utf-8")
    try:
        dom = _chromium(tmp, "--virtual-time-budget=5000", "--dump-dom", copy.resolve().as_uri())
    finally:
        copy.unlink()
    found = re.search(r'data-scroll-width="(\d+)"', dom.stdout)
    assert found, f"no width measured in the DOM of {page}: {dom.stdout[:500]!r}"
    return int(found.group(1))


# --------------------------------------------------------------------------- the pages


@pytest.fixture(scope="module")
def tour_folder(tmp_path_factory) -> Path:
    """A tour page over one real run (an MLP, 1 epoch on digits, with its own report) and
    twenty rows shaped like the real tour's: each family with its own metrics."""
    out = tmp_path_factory.mktemp("tour")
    summary = runs.train_run("mlp", model_values={"hidden": [32]},
                             train_values={"epochs": 1, "progress": False},
                             data_values={"name": "digits"}, out=out / "mlp")
    runs.make_report(out / "mlp")
    model = runs.load_run(out / "mlp")
    X, y = runs.load_data(runs.run_data_config(out / "mlp"), "test")
    rows = [tour.tour_row("mlp", summary)]
    rng = np.random.default_rng(0)
    for i, name in enumerate(n for n in tour.TOUR if n != "mlp"):
        keys = METRICS[:2] if i % 2 else [METRICS[2 + i % 14], METRICS[2 + (i + 5) % 14]]
        rows.append({"model": name, **{k: float(rng.normal()) for k in keys},
                     "train_seconds": float(rng.uniform(1, 30)), "params": int(rng.integers(1e5)),
                     "report": f"{name}/report.html"})
    write_tour_report(out / "report.html", title="neuralzoo tour on digits", rows=rows,
                      figures={"mlp": model_figures(model, X.reshape(len(X), -1), y)},
                      notes=["a test tour: one real run, the other rows made up"])
    return out


@needs_chromium
def test_tour_page_fits_a_laptop_screen_and_links_the_reports(tour_folder, tmp_path):
    page = tour_folder / "report.html"
    text = page.read_text(encoding="utf-8")
    width = layout_width(page, tmp_path)
    assert width <= WIDTH, f"the tour page is {width} px wide: more than a {WIDTH} px window"
    screenshot(page, tmp_path)
    # the run's report is a relative link that resolves to the file written beside it
    hrefs = re.findall(r'<a href="([^"#][^"]*)"', text)
    assert "mlp/report.html" in hrefs
    assert (page.parent / "mlp/report.html").is_file()
    header = re.findall(r"<th>([^<]*)</th>", text[text.index('<table class="tour">'):])
    assert "other metrics" in header and "test_elbo" not in header
    assert provenance()["neuralzoo"] in text and provenance()["torch"] in text


@needs_chromium
def test_run_report_fits_a_laptop_screen(tour_folder, tmp_path):
    page = tour_folder / "mlp" / "report.html"
    width = layout_width(page, tmp_path)
    assert width <= WIDTH, f"the run report is {width} px wide: more than a {WIDTH} px window"
    screenshot(page, tmp_path)
    text = page.read_text(encoding="utf-8")
    assert f"Python {provenance()['python']}" in text


@needs_chromium
def test_the_measurement_sees_a_page_too_wide(tour_folder, tmp_path):
    """The oracle for the two tests above: the old layout, a column per metric, is wider
    than the window, and the browser says so."""
    rows = [{"model": f"m{i}", **{k: 0.5 for k in METRICS}} for i in range(3)]
    page = write_tour_report(tmp_path / "wide.html", title="wide", rows=rows, figures={},
                             columns=["model", *METRICS])
    assert layout_width(page, tmp_path) > WIDTH


# --------------------------------------------------------------------------- without a browser


def test_provenance_names_the_versions_and_a_commit_only_from_a_checkout(tmp_path, monkeypatch):
    import platform

    import torch

    import neuralzoo

    info = provenance()
    assert info["neuralzoo"] == neuralzoo.__version__
    assert info["torch"] == torch.__version__
    assert info["python"] == platform.python_version()
    pkg = Path(report_html.__file__).parent
    in_checkout = any((d / ".git").exists() for d in (pkg, *pkg.parents))
    if in_checkout and shutil.which("git"):
        assert re.fullmatch(r"[0-9a-f]{4,64}", info.get("commit", "")), info
    assert report_html._git_commit(tmp_path) is None  # no .git above a temporary folder
    (tmp_path / "site-packages" / "neuralzoo").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    assert report_html._git_commit(tmp_path / "site-packages" / "neuralzoo") is None
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))  # no git at all: omitted, no crash
    assert report_html._git_commit(pkg) is None


def test_history_ticks_are_whole_epochs():
    fig = history_figure([{"epoch": e, "loss": 1.0 / e, "acc": e / 4} for e in (1, 2, 3)])
    FigureCanvasAgg(fig).draw()
    for ax in fig.axes:
        lo, hi = ax.get_xlim()
        shown = [t for t in ax.get_xticks() if lo <= t <= hi]
        assert len(shown) >= 2 and all(float(t).is_integer() for t in shown), shown
    fig = history_figure([{"epoch": 1, "loss": 0.5}])  # one epoch: still no fractions
    FigureCanvasAgg(fig).draw()
    assert all(float(t).is_integer() for t in fig.axes[0].get_xticks())


def test_weight_tiles_carry_their_scale():
    w = np.array([[[0.5, -2.0], [1.0, 0.0]], [[0.1, 0.2], [0.3, 0.4]]])
    fig = image_grid_figure(w, symmetric=True)
    assert len(fig.axes) == 3  # two tiles and the colour bar
    bar = fig.axes[-1]
    assert bar.get_ylim() == pytest.approx((-2.0, 2.0))
    assert len(image_grid_figure(w).axes) == 2  # pixel grids: no bar unless asked
    assert len(image_grid_figure(w, colorbar=True).axes) == 3


@pytest.mark.parametrize("names, pattern", [
    (None, r"\d → \d"), (["T-shirt/top", "Trouser", "Pullover"], r"[\w/-]+\n→ [\w/-]+")])
def test_misclassified_titles_are_readable(names, pattern):
    import torch

    from neuralzoo import models

    X = torch.eye(16)[:12]  # (12, 16): images of 4 x 4
    y = torch.arange(12) % 3  # no line through them all: some stay wrong
    net = models.get("perceptron")(16, 3).fit(X, y, epochs=1, progress=False)
    fig = model_figures(net, X, y, names)["Misclassified (true→predicted)"]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    tiles = [ax for ax in fig.axes if ax.get_title()]
    assert tiles, "no misclassified image drawn"
    for ax in tiles:
        assert re.fullmatch(pattern, ax.get_title()), ax.get_title()
        assert ax.title.get_fontsize() >= 10
        # each title no wider than its tile and its gap: neighbours do not overlap
        assert ax.title.get_window_extent(renderer).width <= 1.15 * ax.get_window_extent(renderer).width
