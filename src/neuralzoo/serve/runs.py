"""Run folders under ``neuralzoo serve --runs DIR``: listed, and loaded by name (safely: the
weights come from ``model.safetensors``, nothing is unpickled)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ._params import BadRequest


def list_runs(runs: Path | None) -> list[dict[str, Any]]:
    """Each run folder directly under ``runs``: its name and model (from ``config.json``)."""
    if runs is None:
        return []
    out = []
    for d in sorted(p for p in runs.iterdir() if (p / "config.json").is_file()):
        try:
            model = json.loads((d / "config.json").read_text(encoding="utf-8")).get("model")
        except (OSError, ValueError, AttributeError):
            model = None  # a damaged config: listed, refused when loaded
        out.append({"name": d.name, "model": model if isinstance(model, str) else None})
    return out


def run_path(runs: Path | None, name: Any) -> Path:
    """The folder of run ``name`` under ``runs``; a name that is not a plain folder name, or no
    such run, is refused."""
    if runs is None:
        raise BadRequest(f"run {name!r}: no run folder was given (start with neuralzoo serve "
                         "--runs DIR)", 404)
    if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\\" in name:
        raise BadRequest(f"run: expected the name of a folder in {runs}, got {name!r}", 400)
    path = runs / name
    if not (path / "config.json").is_file():
        raise BadRequest(f"run {name!r}: no run folder {path} (expected {path / 'config.json'})",
                         404)
    return path


def load_model(runs: Path | None, name: Any):
    """The model of run ``name`` (``neuralzoo.runs.load_run``); a damaged run is refused."""
    from .. import runs as nz_runs

    path = run_path(runs, name)
    try:
        return nz_runs.load_run(path, device="cpu", history=False)
    except Exception as err:  # a damaged or foreign folder: one line, the server stays up
        raise BadRequest(f"run {name!r} could not be loaded: {err}", 422) from None
