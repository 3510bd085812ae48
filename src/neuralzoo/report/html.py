"""Static HTML reports: one page per run, one page per tour.

A report is a single self-contained file: every image is embedded as a base64 PNG and the
style sheet is inline, so it opens offline, can be mailed or attached, and needs no
JavaScript. Every piece of text that comes from outside (model names, config values,
metric names, notes) is HTML-escaped.

- :func:`render_run_report` / :func:`write_run_report` -- one training run: summary
  metrics, training curves, the run's figures, its config, notes.
- :func:`render_tour_report` / :func:`write_tour_report` -- many models on one dataset: a
  table with a row per model, then a section per model with its figures.

Figures may be given as matplotlib Figures or as PNG bytes (used as they are). A Figure is
released once rendered: one managed by ``pyplot`` is closed, so that a long tour does not
accumulate open figures.

>>> page = render_run_report(title="demo", config={"lr": "<b>"}, summary={"acc": 0.5},
...                          history=[], figures={})
>>> "&lt;b&gt;" in page and "<b>" not in page
True
"""

from __future__ import annotations

import base64
import html
import json
import math
import numbers
import os
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from neuralzoo._io import atomic_write_text
from neuralzoo.report.plots import figure_to_png, history_figure

__all__ = [
    "FigureLike",
    "format_value",
    "render_run_report",
    "render_tour_report",
    "write_run_report",
    "write_tour_report",
]

FigureLike = Figure | bytes  # a figure, or PNG bytes used as they are
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MISSING = "\u2014"  # an em dash in a table cell that has no value

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #222; background: #fff; max-width: 1040px; margin: 2em auto; padding: 0 1.2em;
       line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.1em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #e3e3e3; padding-bottom: .2em; }
h3 { font-size: 1.05em; }
.meta { color: #777; font-size: 0.9em; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.7em; text-align: left; vertical-align: top; }
th { background: #f5f6f8; font-weight: 600; }
tr:nth-child(even) td { background: #fbfbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table table { margin: 0; font-size: 1em; }
figure { display: inline-block; margin: 0.6em 1.2em 0.8em 0; vertical-align: top; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; margin-top: 0.2em; }
pre { background: #f7f7f9; border: 1px solid #e5e5e5; padding: 0.8em; overflow-x: auto;
      font-size: 0.85em; }
a { color: #1a5fb4; text-decoration: none; }
a:hover { text-decoration: underline; }
.empty { color: #888; font-style: italic; }
.top { font-size: 0.85em; }
"""


# ----------------------------------------------------------------------------- pieces


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _scalar(v: Any) -> Any:
    """NumPy / torch scalars as plain Python numbers; anything else unchanged."""
    if hasattr(v, "item") and getattr(v, "shape", None) == ():
        return v.item()
    return v


def format_value(v: Any) -> str:
    """A metric or config value as short text for a table cell (not yet escaped).

    Floats keep 4 significant digits (accuracies stay fractions, 0.9734), large ones are
    written in full with thousands separators; integers get separators too; None is a dash.

    >>> [format_value(v) for v in (0.973412, 12345.6, 4810, 3e-05, None, True, "adam")]
    ['0.9734', '12,346', '4,810', '3e-05', '—', 'True', 'adam']
    """
    v = _scalar(v)
    if v is None:
        return MISSING
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, numbers.Integral):
        return f"{int(v):,}"
    if isinstance(v, numbers.Real):
        f = float(v)
        if not math.isfinite(f):
            return str(f)
        if 1e4 <= abs(f) < 1e15:
            return f"{f:,.0f}"
        return f"{f:.4g}"
    if isinstance(v, (Mapping, list, tuple)):
        return json.dumps(v, default=str)
    return str(v)


def _cell(v: Any) -> str:
    """A <td> for a value: right-aligned when it is a number."""
    v = _scalar(v)
    num = isinstance(v, numbers.Real) and not isinstance(v, bool)
    text = _esc(format_value(v))
    return f'<td class="num">{text}</td>' if num else f"<td>{text}</td>"


def _release(fig: Figure) -> None:
    """Free a rendered figure: close it in pyplot if pyplot manages it (else GC frees it)."""
    if getattr(fig.canvas, "manager", None) is not None and "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(fig)


def _png(fig: FigureLike, name: str) -> bytes:
    """PNG bytes of a Figure (released afterwards) or of bytes that already are a PNG."""
    if isinstance(fig, (bytes, bytearray, memoryview)):
        data = bytes(fig)
        if not data.startswith(PNG_SIGNATURE):
            raise ValueError(f"expected PNG bytes for figure {name!r}, got {data[:8]!r}...")
        return data
    if isinstance(fig, Figure):
        data = figure_to_png(fig)
        _release(fig)
        return data
    raise TypeError(f"expected a matplotlib Figure or PNG bytes for figure {name!r}, "
                    f"got {type(fig).__name__}")


def _figure_html(name: str, fig: FigureLike) -> str:
    b64 = base64.b64encode(_png(fig, name)).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{b64}" alt="{_esc(name)}">'
            f"<figcaption>{_esc(name)}</figcaption></figure>")


def _figures_html(figures: Mapping[str, FigureLike]) -> str:
    return "\n".join(_figure_html(str(name), fig) for name, fig in figures.items())


def _config_table(obj: Any) -> str:
    """A nested mapping as nested tables; leaves (and lists) as formatted text."""
    if isinstance(obj, Mapping):
        if not obj:
            return '<span class="empty">(empty)</span>'
        rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_config_table(v)}</td></tr>"
                       for k, v in obj.items())
        return f"<table>{rows}</table>"
    return _esc(format_value(obj))


def _notes_html(notes: Sequence[str] | None) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{_esc(n)}</li>" for n in notes)
    return f"<h2>Notes</h2>\n<ul>{items}</ul>"


def _page(title: str, body: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<h1 id="top">{_esc(title)}</h1>\n'
        f'<p class="meta">Generated {stamp} by neuralzoo</p>\n{body}\n</body>\n</html>\n'
    )


def _check_mapping(name: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected {name} to be a mapping, got {type(value).__name__}")


# ----------------------------------------------------------------------------- run report


def render_run_report(
    *,
    title: str,
    config: Mapping[str, Any],
    summary: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    figures: Mapping[str, FigureLike],
    notes: Sequence[str] | None = None,
) -> str:
    """The HTML page of one run.

    Sections in order: title and time of generation; the summary metrics as a table;
    "Training curves" (:func:`history_figure`) when ``history`` has epochs; each of
    ``figures`` with its name as caption; the config as nested tables and as JSON; notes.
    """
    _check_mapping("config", config)
    _check_mapping("summary", summary)
    _check_mapping("figures", figures)
    history = list(history)
    parts = ["<h2>Summary</h2>"]
    if summary:
        rows = "".join(f"<tr><th>{_esc(k)}</th>{_cell(v)}</tr>" for k, v in summary.items())
        parts.append(f'<table class="summary">{rows}</table>')
    else:
        parts.append('<p class="empty">No summary metrics.</p>')
    if history:
        parts.append("<h2>Training curves</h2>")
        parts.append(_figure_html("Training curves", history_figure(history)))
    if figures:
        parts.append("<h2>Figures</h2>")
        parts.append(_figures_html(figures))
    parts.append("<h2>Config</h2>")
    parts.append(_config_table(config))
    config_json = json.dumps(config, indent=2, default=str)
    parts.append(f"<details><summary>JSON</summary><pre>{_esc(config_json)}</pre></details>")
    parts.append(_notes_html(notes))
    return _page(title, "\n".join(p for p in parts if p))


def write_run_report(run_dir: str | os.PathLike, **report: Any) -> Path:
    """Write :func:`render_run_report` (``report``: its keyword arguments, ``title``, ``config``,
    ...) to ``run_dir/report.html`` atomically; return the path."""
    return atomic_write_text(Path(run_dir) / "report.html", render_run_report(**report))


# ----------------------------------------------------------------------------- tour report


def _anchors(names: Sequence[str]) -> list[str]:
    """A unique, valid HTML id per model name ("model-rbm", "model-rbm-2", ...)."""
    out: list[str] = []
    for name in names:
        base = "model-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "x")
        anchor, k = base, 2
        while anchor in out:
            anchor, k = f"{base}-{k}", k + 1
        out.append(anchor)
    return out


def render_tour_report(
    *,
    title: str,
    rows: Sequence[Mapping[str, Any]],
    figures: Mapping[str, Mapping[str, FigureLike]],
    notes: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
) -> str:
    """The HTML page of a tour: one table of models, then a section per model.

    ``rows`` holds one mapping per model, named by its ``"model"`` key (else ``"name"``,
    else its position). The table's columns are ``columns``, or else the union of the rows'
    keys in first-seen order; a missing value shows as a dash. Each model name links to its
    section, which shows ``figures[name]`` (figure name -> Figure or PNG bytes). Figures of
    models that have no row get a section too, after the others.
    """
    _check_mapping("figures", figures)
    rows = [dict(r) for r in rows]
    names = [str(r.get("model", r.get("name", f"model {i + 1}"))) for i, r in enumerate(rows)]
    extra = [str(k) for k in figures if str(k) not in names]
    anchors = _anchors(names + extra)
    if columns is None:
        cols: list[str] = []
        for r in rows:
            cols.extend(k for k in r if k not in cols)
    else:
        cols = [str(c) for c in columns]

    parts = ["<h2>Models</h2>"]
    if rows:
        head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
        body = []
        for r, name, anchor in zip(rows, names, anchors):
            cells = []
            for c in cols:
                if c in ("model", "name") and c in r and str(r[c]) == name:
                    cells.append(f'<td><a href="#{anchor}">{_esc(name)}</a></td>')
                else:
                    cells.append(_cell(r[c]) if c in r else f"<td>{MISSING}</td>")
            body.append(f"<tr>{''.join(cells)}</tr>")
        parts.append(f'<table class="tour"><tr>{head}</tr>{"".join(body)}</table>')
    else:
        parts.append('<p class="empty">No models.</p>')

    for name, anchor in zip(names + extra, anchors):
        parts.append(f'<h2 id="{anchor}">{_esc(name)}</h2>')
        figs = figures.get(name, {})
        _check_mapping(f"figures[{name!r}]", figs)
        if figs:
            parts.append(_figures_html(figs))
        else:
            parts.append('<p class="empty">No figures.</p>')
        parts.append('<p class="top"><a href="#top">back to the table</a></p>')
    parts.append(_notes_html(notes))
    return _page(title, "\n".join(p for p in parts if p))


def write_tour_report(path: str | os.PathLike, **report: Any) -> Path:
    """Write :func:`render_tour_report` (``report``: its keyword arguments, ``title``, ``rows``,
    ...) to ``path`` atomically; return the path.

    When ``path`` is an existing folder, the page is written as ``report.html`` inside it.
    """
    target = Path(path)
    if target.is_dir():
        target = target / "report.html"
    return atomic_write_text(target, render_tour_report(**report))
