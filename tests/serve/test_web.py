"""The playground's plumbing: a page module's function answered as JSON or as a stream of
NDJSON frames, its refusals as 4xx, the favicon, and the shipped-checkpoint store."""

from __future__ import annotations

import json
import warnings

import pytest

from neuralzoo.serve._params import BadRequest, get_int


def _client(routes):
    pytest.importorskip("httpx", reason="starlette's TestClient needs httpx: pip install -e .[dev]")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse

    async def bad(request, exc):
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    return TestClient(Starlette(routes=routes, exception_handlers={BadRequest: bad}))


def frames(body):
    n = get_int(body, "n", 3, 1, 10)  # checked before the first frame

    def gen():
        for k in range(n):
            yield {"k": k}
        if body.get("fail"):
            raise RuntimeError("boom")
    return gen()


def test_a_function_returning_frames_streams_ndjson_and_refuses_before_the_first():
    from neuralzoo.serve._web import get, post

    c = _client([post("/f", frames), get("/g", lambda q: {"q": q})])
    r = c.post("/f", json={"n": 4})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in r.text.splitlines()] == [{"k": k} for k in range(4)]
    bad = c.post("/f", json={"n": 99})
    assert bad.status_code == 422 and bad.json()["error"].startswith("n: expected an integer")
    late = c.post("/f", json={"n": 2, "fail": True})  # the status is sent: the error is a frame
    assert [json.loads(line) for line in late.text.splitlines()][-1] == {
        "error": "internal error: RuntimeError: boom"}
    assert c.get("/g?a=1").json() == {"q": {"a": "1"}}
    assert c.post("/f", content=b"[1").status_code == 400
    assert c.post("/f", content=b" " * (1 << 20) + b"{}").status_code == 413


def test_the_favicon_is_served(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg")


def test_shipped_models_load_without_code_and_are_small(tmp_path, monkeypatch):
    import torch

    from neuralzoo.serve import _shipped

    monkeypatch.setattr(_shipped, "CHECKPOINTS", tmp_path)
    monkeypatch.setattr(_shipped, "_cache", {})
    net = torch.nn.Linear(3, 2)
    _shipped.save("lin", net, {"note": "x"})
    state, meta = _shipped.load("lin")
    assert meta == {"note": "x"} and torch.equal(state["weight"], net.weight)
    calls = []

    def train():
        calls.append(1)
        return torch.nn.Linear(3, 2), {}

    got, meta = _shipped.model("lin", lambda m: torch.nn.Linear(3, 2), train)
    assert calls == [] and torch.equal(got.weight, net.weight) and not got.training
    assert _shipped.model("lin", None, None)[0] is got  # made once per process
    monkeypatch.setattr(_shipped, "MAX_BYTES", 10)
    with pytest.raises(ValueError, match="expected at most 10 bytes"):
        _shipped.save("big", net)
    assert not list(tmp_path.glob(".*.tmp")) and not (tmp_path / "big.safetensors").exists()
    monkeypatch.setenv("NEURALZOO_SERVE_TRAIN", "1")
    assert _shipped.load("lin") is None


def test_a_frame_computed_under_no_grad_leaves_the_threads_grad_mode_as_it_was():
    import torch

    from neuralzoo.serve._web import _lines

    def frames():
        with torch.no_grad():  # the mistake _lines guards against: a yield inside the block
            yield {"k": 0}
            yield {"k": 1}

    lines = _lines(frames())
    assert torch.is_grad_enabled()
    assert next(lines) == '{"k":0}\n'
    assert torch.is_grad_enabled()  # a pool thread would now run the next request with grads on
    assert list(lines) == ['{"k":1}\n']
    assert torch.is_grad_enabled()
