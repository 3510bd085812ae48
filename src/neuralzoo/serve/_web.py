"""How a page module declares its API: :func:`get` and :func:`post` turn a plain function of the
request's JSON body into a Starlette route, and a function that returns an iterator of frames
is answered as a stream.

A page module (``hopfield``, ``rbm``, ...) defines ``routes(runs) -> list[Route]``; the app
collects them. The functions stay free of the web: they take a ``dict`` and return a ``dict``
(one JSON answer) or an iterator of ``dict`` frames (``application/x-ndjson``, one JSON object
per line, sent as each frame is computed). Validate before the first frame: a function that
streams checks its parameters eagerly and returns a generator, so that bad input is still a 4xx
answer, not a broken stream. An error after the first frame (none is expected) ends the stream
with a last frame ``{"error": "..."}``.

The computation runs in Starlette's thread pool, so a long recall does not stall other requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

MAX_BODY = 1 << 20  # bytes: a drawing is a few hundred
NDJSON = "application/x-ndjson"


def _lines(frames: Iterator[dict[str, Any]]) -> Iterator[str]:
    """One JSON line per frame. Each frame is computed on whichever thread of the pool Starlette
    picks, so the thread's autograd mode is put back after each (a frame function that yields
    inside ``torch.no_grad()`` would otherwise leave grads off on that thread for the next
    request's work)."""
    import torch

    try:
        while True:
            grad = torch.is_grad_enabled()
            try:
                frame = next(frames)
            except StopIteration:
                return
            finally:
                torch.set_grad_enabled(grad)
            yield json.dumps(frame, separators=(",", ":")) + "\n"
    except Exception as err:  # after the first frame the status is sent: say it in the stream
        yield json.dumps({"error": f"internal error: {type(err).__name__}: {err}"}) + "\n"


def _answer(result: Any):
    from starlette.responses import JSONResponse, StreamingResponse

    if isinstance(result, dict):
        return JSONResponse(result)
    return StreamingResponse(_lines(iter(result)), media_type=NDJSON,
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def read_body(request: Any) -> dict[str, Any]:
    """The request's JSON object (an empty body is ``{}``); too large or malformed is a 4xx."""
    from ._params import BadRequest, parse_json

    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest(f"request body too large: expected at most {MAX_BODY} bytes, got "
                         f"{len(raw)}", 413)
    return parse_json(raw)


def post(path: str, fn: Callable[[dict[str, Any]], Any]):
    """``POST path``: ``fn(body)`` -> JSON answer, or a stream of frames."""
    from starlette.concurrency import run_in_threadpool
    from starlette.routing import Route

    async def endpoint(request: Any):
        body = await read_body(request)
        return _answer(await run_in_threadpool(fn, body))

    return Route(path, endpoint, methods=["POST"])


def get(path: str, fn: Callable[[dict[str, Any]], Any]):
    """``GET path``: ``fn(query)`` with the query string as a ``dict`` of strings."""
    from starlette.concurrency import run_in_threadpool
    from starlette.routing import Route

    async def endpoint(request: Any):
        return _answer(await run_in_threadpool(fn, dict(request.query_params)))

    return Route(path, endpoint, methods=["GET"])
