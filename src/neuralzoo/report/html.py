"""Static HTML reports: one page per run, one page per tour.

A report is a single self-contained file: every image is embedded as a base64 PNG and the
style sheet is inline, so it opens offline, can be mailed or attached, and needs no
JavaScript. Every piece of text that comes from outside (model names, config values,
metric names, notes) is HTML-escaped.

- :func:`render_run_report` / :func:`write_run_report` -- one training run: summary
  metrics, training curves, the run's figures, its config, notes.
- :func:`render_tour_report` / :func:`write_tour_report` -- many models on one dataset: a
  table with a row per model, then a section per model with its figures.

Every page says what made it (:func:`provenance`: the neuralzoo, torch and Python versions,
and the git commit when the package sits in a git checkout). Pages fit a laptop screen: the
body is at most 1040 px wide, long cells wrap, and a tour table with many sparse metric
columns keeps a column only for what most models share (see :func:`render_tour_report`).

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
import functools
import html
import json
import math
import numbers
import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from matplotlib.figure import Figure

from neuralzoo._io import atomic_write_text
from neuralzoo.report.plots import figure_to_png, history_figure

__all__ = [
    "FigureLike",
    "format_value",
    "provenance",
    "render_run_report",
    "render_tour_report",
    "write_run_report",
    "write_tour_report",
]

FigureLike = Figure | bytes  # a figure, or PNG bytes used as they are
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MISSING = "\u2014"  # an em dash in a table cell that has no value
# A tour table with more columns than this keeps only the shared ones (render_tour_report).
MAX_TOUR_COLUMNS = 8
LINK_KEYS = frozenset({"report"})  # row keys whose values are relative paths to link to

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
td { overflow-wrap: anywhere; }
th { background: #f5f6f8; font-weight: 600; }
tr:nth-child(even) td { background: #fbfbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table table { margin: 0; font-size: 1em; }
figure { display: inline-block; margin: 0.6em 1.2em 0.8em 0; vertical-align: top;
         max-width: 100%; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; margin-top: 0.2em; }
pre { background: #f7f7f9; border: 1px solid #e5e5e5; padding: 0.8em; overflow-x: auto;
      font-size: 0.85em; }
a { color: #1a5fb4; text-decoration: none; }
a:hover { text-decoration: underline; }
.empty { color: #888; font-style: italic; }
.top { font-size: 0.85em; }
td.metrics { font-size: 0.9em; }
td.metrics span { white-space: nowrap; }
td.metrics span.k { color: #555; }
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


def _git_commit(where: Path) -> str | None:
    """The commit checked out in the git work tree that holds ``where``, or None.

    None when no folder from ``where`` up holds a ``.git`` (an installed package, an
    unpacked sdist), when ``where`` lies in an installed environment (``site-packages``:
    a checkout around a virtualenv says nothing about the package), or when git is missing
    or fails. Read-only: no optional locks are taken on the repository.
    """
    where = Path(where).resolve()
    if {"site-packages", "dist-packages"} & set(where.parts):
        return None
    root = next((d for d in (where, *where.parents) if (d / ".git").exists()), None)
    if root is None:
        return None
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=5,
                              env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    except (OSError, subprocess.SubprocessError):  # no git, or it hung
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and re.fullmatch(r"[0-9a-f]{4,64}", commit) else None


@functools.lru_cache(maxsize=1)
def provenance() -> dict[str, str]:
    """What makes the pages of this process: ``neuralzoo``, ``torch`` and ``python``
    versions, and ``commit`` (short hash) when the package sits in a git checkout.

    >>> {"neuralzoo", "torch", "python"} <= set(provenance())
    True
    """
    import torch

    from neuralzoo import __version__

    info = {"neuralzoo": __version__, "torch": str(torch.__version__)}
    info["python"] = platform.python_version()
    commit = _git_commit(Path(__file__).parent)
    if commit is not None:
        info["commit"] = commit
    return info


def _provenance_text() -> str:
    info = provenance()
    names = {"neuralzoo": "neuralzoo", "torch": "torch", "python": "Python", "commit": "commit"}
    return " \u00b7 ".join(f"{names.get(k, k)} {v}" for k, v in info.items())


def _page(title: str, body: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<h1 id="top">{_esc(title)}</h1>\n'
        f'<p class="meta">Generated {stamp} by <span class="versions">'
        f"{_esc(_provenance_text())}</span></p>\n{body}\n</body>\n</html>\n"
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


def _relative_link(value: Any) -> str | None:
    """An <a> to ``value`` when it is a relative path (a run's ``report.html`` beside the
    page), so that the link works when the folder is opened from disk; else None.

    >>> _relative_link("mlp/report.html")
    '<a href="mlp/report.html">mlp/report.html</a>'
    >>> [_relative_link(v) for v in ("javascript:alert(1)", "/etc/passwd", "", 3)]
    [None, None, None, None]
    """
    if not isinstance(value, (str, os.PathLike)):
        return None
    text = Path(value).as_posix() if isinstance(value, os.PathLike) else str(value)
    split = urlsplit(text)
    if not text or split.scheme or split.netloc or text.startswith(("/", "\\")):
        return None  # only relative paths: no javascript:, http: or absolute file links
    return f'<a href="{_esc(quote(text))}">{_esc(text)}</a>'


def _tour_layout(rows: Sequence[Mapping[str, Any]],
                 columns: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """The table's own columns and the keys folded into its "other metrics" column.

    Given ``columns``: those, nothing folded. Else the union of the rows' keys in first-seen
    order, all as columns while there are at most ``MAX_TOUR_COLUMNS``; past that only the
    name, the links and the keys that at least half of the rows have keep a column (what
    the models share: accuracy, time, size), and the others are folded, so that a tour of
    twenty families with their own metrics does not make a table wider than the screen.
    """
    if columns is not None:
        return [str(c) for c in columns], []
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    if len(keys) <= MAX_TOUR_COLUMNS:
        return keys, []
    shared = {k for k in keys if 2 * sum(k in r for r in rows) >= len(rows)}
    own = [k for k in keys if k in ("model", "name") or k in LINK_KEYS or k in shared]
    return own, [k for k in keys if k not in own]


def _metrics_cell(row: Mapping[str, Any], keys: Sequence[str]) -> str:
    """One cell listing ``name value`` for each of ``keys`` that the row has."""
    items = [f'<span><span class="k">{_esc(k)}</span> {_esc(format_value(row[k]))}</span>'
             for k in keys if k in row]
    return f'<td class="metrics">{"<br>".join(items) or MISSING}</td>'


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
    keys in first-seen order; a missing value shows as a dash. When that union has more
    than ``MAX_TOUR_COLUMNS`` keys, only the keys at least half of the rows share keep a
    column, and each row lists its other values in one "other metrics" cell (a tour's
    families report different metrics: a column each would be mostly dashes and wider
    than a laptop screen). Each model name links to its section, which shows
    ``figures[name]`` (figure name -> Figure or PNG bytes). A ``"report"`` value that is a
    relative path (``"mlp/report.html"``) is a link, in the table and in the section.
    Figures of models that have no row get a section too, after the others.
    """
    _check_mapping("figures", figures)
    rows = [dict(r) for r in rows]
    names = [str(r.get("model", r.get("name", f"model {i + 1}"))) for i, r in enumerate(rows)]
    extra = [str(k) for k in figures if str(k) not in names]
    anchors = _anchors(names + extra)
    cols, folded = _tour_layout(rows, columns)
    # the folded keys' cell stands where the first of them would have stood
    at = len(cols)
    if folded:
        keys = list(dict.fromkeys(k for r in rows for k in r))
        at = sum(1 for c in cols if keys.index(c) < keys.index(folded[0]))

    parts = ["<h2>Models</h2>"]
    if rows:
        heads = [f"<th>{_esc(c)}</th>" for c in cols]
        if folded:
            heads.insert(at, "<th>other metrics</th>")
        body = []
        for r, name, anchor in zip(rows, names, anchors):
            cells = []
            for c in cols:
                if c in ("model", "name") and c in r and str(r[c]) == name:
                    cells.append(f'<td><a href="#{anchor}">{_esc(name)}</a></td>')
                elif c in LINK_KEYS and c in r and _relative_link(r[c]) is not None:
                    cells.append(f"<td>{_relative_link(r[c])}</td>")
                else:
                    cells.append(_cell(r[c]) if c in r else f"<td>{MISSING}</td>")
            if folded:
                cells.insert(at, _metrics_cell(r, folded))
            body.append(f"<tr>{''.join(cells)}</tr>")
        parts.append(f'<table class="tour"><tr>{"".join(heads)}</tr>{"".join(body)}</table>')
        if folded:
            parts.append('<p class="meta">Metrics that fewer than half of the models report '
                         "are listed under <em>other metrics</em>.</p>")
    else:
        parts.append('<p class="empty">No models.</p>')

    reports = {name: r.get("report") for name, r in zip(names, rows)}
    for name, anchor in zip(names + extra, anchors):
        parts.append(f'<h2 id="{anchor}">{_esc(name)}</h2>')
        figs = figures.get(name, {})
        _check_mapping(f"figures[{name!r}]", figs)
        if figs:
            parts.append(_figures_html(figs))
        else:
            parts.append('<p class="empty">No figures.</p>')
        link = _relative_link(reports.get(name))
        run = f"{link} (the run's own report) \u00b7 " if link else ""
        parts.append(f'<p class="top">{run}<a href="#top">back to the table</a></p>')
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
