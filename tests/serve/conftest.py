"""Shared by the playground's tests: Starlette's TestClient over the app (it needs httpx, from
the dev extra; skipped loudly without it)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture(scope="module")
def make_client() -> Callable[..., Any]:
    """``make_client(runs=None)``: the app behind a TestClient; server errors come back as
    responses (the API's 500s)."""
    pytest.importorskip("httpx", reason="starlette's TestClient needs httpx: pip install -e .[dev]")
    with warnings.catch_warnings():  # starlette >= 1.x: "install httpx2"; httpx still works
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from neuralzoo.serve import create_app

    return lambda runs=None: TestClient(create_app(runs), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(make_client: Callable[..., Any]) -> Any:
    return make_client()


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A ``--runs`` folder: a stored Hopfield run of three digits (``hop``), a damaged run
    (``broken``: config.json not JSON) and a folder that is not a run (``notes``)."""
    from neuralzoo import datasets
    from neuralzoo.models.hopfield import Hopfield

    root = tmp_path_factory.mktemp("runs")
    X, y = datasets.load("digits", binarize="threshold")
    keep = y < 3
    Hopfield(64, rule="pseudo-inverse").fit(X[keep], y[keep], out=root / "hop", progress=False)
    (root / "broken").mkdir()
    (root / "broken" / "config.json").write_text("{not json")
    (root / "notes").mkdir()
    return root
