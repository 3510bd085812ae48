"""Tests of neuralzoo.report.html: content, embedding, escaping, atomic writing."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from neuralzoo.report.html import (
    format_value,
    render_run_report,
    render_tour_report,
    write_run_report,
    write_tour_report,
)
from neuralzoo.report.plots import figure_to_png, image_grid_figure

PNG = b"\x89PNG\r\n\x1a\n"
IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _tiny_png() -> bytes:
    return figure_to_png(image_grid_figure(np.zeros((1, 2, 2))))


def _run_kwargs(**over):
    kw = dict(
        title="rbm on digits",
        config={"model": "rbm", "lr": 0.05, "optim": {"name": "sgd", "momentum": 0.9},
                "note": "<script>alert(1)</script>"},
        summary={"test_acc": 0.973412, "train_seconds": 12.345678, "params": 4810},
        history=[{"epoch": 1, "loss": 0.5, "acc": 0.8}, {"epoch": 2, "loss": 0.4, "acc": 0.9}],
        figures={"samples": image_grid_figure(np.zeros((4, 3, 3))), "filters": _tiny_png()},
        notes=["trained with PCD & k=1"],
    )
    kw.update(over)
    return kw


def test_format_value():
    assert format_value(0.973412) == "0.9734"
    assert format_value(0.5) == "0.5"  # accuracies as fractions, not percent
    assert format_value(np.float32(0.25)) == "0.25"
    assert format_value(np.int64(60000)) == "60,000"
    assert format_value(123456.7) == "123,457"
    assert format_value(float("nan")) == "nan"
    assert format_value({"a": [1, 2]}) == '{"a": [1, 2]}'


def test_run_report_contents():
    page = render_run_report(**_run_kwargs())
    assert page.startswith("<!DOCTYPE html>")
    for key, value in (("test_acc", "0.9734"), ("train_seconds", "12.35"), ("params", "4,810")):
        assert f"<th>{key}</th>" in page
        assert f">{value}</td>" in page
    images = IMG.findall(page)
    assert len(images) == 3  # training curves + 2 named figures
    assert all(base64.b64decode(b).startswith(PNG) for b in images)
    assert base64.b64decode(images[2]) == _tiny_png()  # bytes are embedded as given
    assert "Training curves" in page
    assert "<figcaption>samples</figcaption>" in page
    assert "<figcaption>filters</figcaption>" in page
    assert "momentum" in page and "<li>trained with PCD &amp; k=1</li>" in page
    assert page.index("Summary") < page.index("Training curves") < page.index("samples")
    assert page.index("samples") < page.index("<h2>Config</h2>") < page.index("Notes")


def test_run_report_escapes_everything():
    page = render_run_report(**_run_kwargs(
        title="<i>t</i>", summary={"<b>": "<u>"}, notes=["<em>n</em>"],
        figures={"<s>": _tiny_png()},
    ))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for raw in ("<i>t</i>", "<b>", "<u>", "<em>n</em>", "<s>"):
        assert raw not in page
    assert "&lt;i&gt;t&lt;/i&gt;" in page


def test_run_report_without_history_or_figures():
    page = render_run_report(**_run_kwargs(history=[], figures={}, notes=None, summary={}))
    assert "Training curves" not in page
    assert IMG.findall(page) == []
    assert "No summary metrics." in page


def test_run_report_refuses_non_png_bytes_and_other_types():
    with pytest.raises(ValueError, match="expected PNG bytes for figure 'x'"):
        render_run_report(**_run_kwargs(figures={"x": b"GIF89a..."}))
    with pytest.raises(TypeError, match="expected a matplotlib Figure or PNG bytes.*got int"):
        render_run_report(**_run_kwargs(figures={"x": 3}))


def test_write_run_report_atomic_and_overwrites(tmp_path):
    run = tmp_path / "run"
    path = write_run_report(run, **_run_kwargs(title="first"))
    assert path == run / "report.html"
    assert "first" in path.read_text(encoding="utf-8")
    path = write_run_report(run, **_run_kwargs(title="second", figures={}))
    text = path.read_text(encoding="utf-8")
    assert "second" in text and "first" not in text
    assert [p.name for p in run.iterdir()] == ["report.html"]  # no temp files left


def test_write_run_report_leaves_old_report_when_rendering_fails(tmp_path):
    path = write_run_report(tmp_path, **_run_kwargs(title="old", figures={}))
    with pytest.raises(ValueError):
        write_run_report(tmp_path, **_run_kwargs(figures={"x": b"not png"}))
    assert "old" in path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def _tour_kwargs(**over):
    kw = dict(
        title="tour on digits",
        rows=[{"model": "mlp", "test_acc": 0.97, "params": 4810},
              {"model": "rbm", "log_likelihood": -21.53, "train_seconds": 3.1},
              {"model": "<evil>", "test_acc": 0.5}],
        figures={"mlp": {"confusion": _tiny_png()},
                 "rbm": {"samples": _tiny_png(), "filters": image_grid_figure(np.ones((2, 4)))}},
        notes=["digits, 8x8"],
    )
    kw.update(over)
    return kw


def test_tour_report_table_and_sections():
    page = render_tour_report(**_tour_kwargs())
    table = page[page.index('<table class="tour">'):page.index("</table>")]
    assert table.count("<tr>") == 4  # header + a row per model
    header = re.findall(r"<th>([^<]*)</th>", table)
    assert header == ["model", "test_acc", "params", "log_likelihood", "train_seconds"]
    assert table.count("<td>\u2014</td>") == 7  # missing values shown as dashes
    for anchor in ("model-mlp", "model-rbm", "model-evil"):
        assert f'href="#{anchor}"' in table
        assert f'<h2 id="{anchor}">' in page
    assert len(IMG.findall(page)) == 3
    assert page.index('id="model-mlp"') < page.index("confusion") < page.index('id="model-rbm"')
    assert "<evil>" not in page and "&lt;evil&gt;" in page


def test_tour_report_given_columns_and_duplicate_names():
    rows = [{"model": "rbm", "a": 1, "b": 2}, {"model": "rbm", "a": 3}]
    page = render_tour_report(title="t", rows=rows, figures={}, columns=["model", "b"])
    table = page[page.index('<table class="tour">'):page.index("</table>")]
    assert re.findall(r"<th>([^<]*)</th>", table) == ["model", "b"]
    assert 'id="model-rbm"' in page and 'id="model-rbm-2"' in page


def test_write_tour_report(tmp_path):
    path = write_tour_report(tmp_path / "tour" / "index.html", **_tour_kwargs())
    assert path.name == "index.html" and "tour on digits" in path.read_text(encoding="utf-8")
    assert write_tour_report(path.parent, **_tour_kwargs()) == path.parent / "report.html"
    assert sorted(p.name for p in path.parent.iterdir()) == ["index.html", "report.html"]
