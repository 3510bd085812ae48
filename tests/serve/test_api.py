"""The playground's JSON API through Starlette's TestClient: what each page is given, checked
against the library's models (the oracle), and every bad request answered with a 4xx and one
clear message while the server keeps answering."""

from __future__ import annotations

import re
import socket

import pytest
import torch
import torch.nn.functional as F

from neuralzoo import cli  # noqa: E402
from neuralzoo.models.cnn import ops  # noqa: E402
from neuralzoo.serve.app import STATIC  # noqa: E402

from .answers import refused

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx


# --- pages -----------------------------------------------------------------------------------

def test_pages_and_static_files_are_served(client):
    index = client.get("/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert 'href="/hopfield"' in index.text and 'href="/cnn"' in index.text
    for page in ("/hopfield", "/cnn"):
        r = client.get(page)
        assert r.status_code == 200 and ("<canvas" in r.text or "<table" in r.text)
        for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text):
            assert client.get(src).status_code == 200, src
    refused(client.get("/nosuchpage"), 404, "no page 'nosuchpage'")


def test_static_files_load_nothing_from_another_host():
    for f in STATIC.iterdir():
        # an SVG's namespace name is an identifier (xmlns, createElementNS), never fetched
        text = f.read_text(encoding="utf-8").replace("http://www.w3.org/2000/svg", "")
        # a URL with a scheme or a protocol-relative one would leave the machine
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), f.name
        assert "@import" not in text and "url(" not in text, f.name


# --- CNN -------------------------------------------------------------------------------------

def test_cnn_lecture_example_numbers(client):
    data = client.get("/api/cnn/lecture").json()
    out = torch.tensor(data["output"])
    expected = F.conv2d(ops.LECTURE_IMAGE[None, None], ops.LECTURE_KERNEL[None, None])[0, 0]
    assert torch.equal(out, expected)  # PyTorch's kernel is the oracle
    assert data["output"][0][:3] == [0, 8, 8] and data["output"][6][6] == 6
    sob = client.get("/api/cnn/lecture?kernel=sobel_x").json()
    K = ops.CLASSICAL_FILTERS["sobel_x"]
    assert torch.equal(torch.tensor(sob["output"]), F.conv2d(ops.LECTURE_IMAGE[None, None], K[None, None])[0, 0])
    refused(client.get("/api/cnn/lecture?kernel=gabor"), 422, "expected one of", "'gabor'")


# --- run folders -----------------------------------------------------------------------------


def test_runs_are_listed_and_refused_clearly(runs_dir, make_client):
    # loading a run and its refusals through a page: tests/serve/test_hopfield_page.py
    c = make_client(runs_dir)
    assert c.get("/api/runs").json()["runs"] == [{"name": "broken", "model": None},
                                                 {"name": "hop", "model": "hopfield"}]
    refused(c.get("/api/runs/notes"), 404, "'notes'")
    assert c.get("/api/runs/hop").json() == {"name": "hop", "model": "hopfield"}


# --- command line ----------------------------------------------------------------------------

def test_serve_refuses_a_missing_runs_folder_and_a_taken_port(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["serve", "--runs", str(tmp_path / "nope")])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and err.startswith("error: --runs") and "\n" not in err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(SystemExit) as exc:
            cli.main(["serve", "--port", str(port)])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and f"cannot listen on 127.0.0.1:{port}" in err and "\n" not in err
