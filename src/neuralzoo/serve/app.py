"""The playground's ASGI app: static pages (plain HTML, CSS and JavaScript from the package,
nothing fetched from another host) and a JSON API that computes with the library's models.

The server computes, the page draws. Every refusal is a JSON object ``{"error": "..."}`` with
a 4xx status (400 malformed, 404 missing, 422 invalid), never a crash of the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ._params import BadRequest, parse_json

STATIC = Path(__file__).parent / "static"
PAGES = {"": "index.html", "hopfield": "hopfield.html", "cnn": "cnn.html",
         "feedforward": "feedforward.html", "autoencoder": "autoencoder.html",
         "rbm": "rbm.html", "lstm": "lstm.html"}
MAX_BODY = 1 << 20  # bytes: a drawing is a few hundred


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest(f"request body too large: expected at most {MAX_BODY} bytes, got "
                         f"{len(raw)}", 413)
    return parse_json(raw)


def create_app(runs: str | Path | None = None) -> Starlette:
    """The playground app; ``runs``: a folder of run folders whose models the pages may load
    (None: small models are built on the fly)."""
    runs_dir = None if runs is None else Path(runs)
    if runs_dir is not None and not runs_dir.is_dir():
        raise FileNotFoundError(f"--runs: expected a folder of run folders, got {runs_dir} "
                                "(no such folder)")

    async def page(request: Request) -> Response:
        name = request.path_params.get("page", "")
        if name not in PAGES:
            raise HTTPException(404, f"no page {name!r}: expected one of "
                                f"{', '.join('/' + p for p in PAGES)}")
        return FileResponse(STATIC / PAGES[name], headers={"Cache-Control": "no-cache"})

    async def hopfield_store(request: Request) -> Response:
        from . import hopfield

        return JSONResponse(hopfield.store(await _body(request), runs_dir))

    async def hopfield_corrupt(request: Request) -> Response:
        from . import hopfield

        return JSONResponse(hopfield.corrupt(await _body(request)))

    async def hopfield_recall(request: Request) -> Response:
        from . import hopfield

        return JSONResponse(hopfield.recall(await _body(request), runs_dir))

    async def cnn_lecture(request: Request) -> Response:
        from . import cnn

        return JSONResponse(cnn.lecture_example(request.query_params.get("kernel", "lecture")))

    async def feedforward_train(request: Request) -> Response:
        from . import feedforward

        return JSONResponse(feedforward.train(await _body(request)))

    async def autoencoder_codes(request: Request) -> Response:
        from . import autoencoder

        return JSONResponse(autoencoder.codes())

    async def autoencoder_decode(request: Request) -> Response:
        from . import autoencoder

        return JSONResponse(autoencoder.decode(await _body(request)))

    async def autoencoder_traverse(request: Request) -> Response:
        from . import autoencoder

        return JSONResponse(autoencoder.traverse(await _body(request)))

    async def rbm_api(request: Request) -> Response:
        from . import rbm

        name = request.url.path.rsplit("/", 1)[-1]
        if request.method == "GET":
            return JSONResponse(rbm.filters() if name == "filters" else rbm.example_digits())
        fn = {"infer": rbm.infer, "gibbs": rbm.gibbs, "generate": rbm.generate}[name]
        return JSONResponse(fn(await _body(request)))

    async def lstm_api(request: Request) -> Response:
        from . import lstm

        name = request.url.path.rsplit("/", 1)[-1]
        if request.method == "GET":
            return JSONResponse(lstm.info())
        fn = {"sample": lstm.sample, "gates": lstm.gates}[name]
        return JSONResponse(fn(await _body(request)))

    async def list_runs(request: Request) -> Response:
        from .runs import list_runs

        return JSONResponse({"runs": list_runs(runs_dir)})

    async def run_info(request: Request) -> Response:
        from .runs import list_runs, run_path

        path = run_path(runs_dir, request.path_params["name"])
        return JSONResponse(next(r for r in list_runs(runs_dir) if r["name"] == path.name))

    async def bad_request(request: Request, exc: Exception) -> Response:  # registered for BadRequest
        return _error(getattr(exc, "message", str(exc)), getattr(exc, "status", 400))

    async def http_error(request: Request, exc: Exception) -> Response:  # registered for HTTPException
        return _error(str(getattr(exc, "detail", exc)), getattr(exc, "status_code", 500))

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error(f"internal error: {type(exc).__name__}: {exc}", 500)

    routes = [
        Route("/", page),
        Route("/api/hopfield/store", hopfield_store, methods=["POST"]),
        Route("/api/hopfield/corrupt", hopfield_corrupt, methods=["POST"]),
        Route("/api/hopfield/recall", hopfield_recall, methods=["POST"]),
        Route("/api/cnn/lecture", cnn_lecture),
        Route("/api/feedforward/train", feedforward_train, methods=["POST"]),
        Route("/api/autoencoder/codes", autoencoder_codes),
        Route("/api/autoencoder/decode", autoencoder_decode, methods=["POST"]),
        Route("/api/autoencoder/traverse", autoencoder_traverse, methods=["POST"]),
        Route("/api/rbm/digits", rbm_api),
        Route("/api/rbm/filters", rbm_api),
        Route("/api/rbm/infer", rbm_api, methods=["POST"]),
        Route("/api/rbm/gibbs", rbm_api, methods=["POST"]),
        Route("/api/dbn/generate", rbm_api, methods=["POST"]),
        Route("/api/lstm/info", lstm_api),
        Route("/api/lstm/sample", lstm_api, methods=["POST"]),
        Route("/api/lstm/gates", lstm_api, methods=["POST"]),
        Route("/api/runs", list_runs),
        Route("/api/runs/{name}", run_info),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        Route("/{page}", page),
    ]
    return Starlette(routes=routes, exception_handlers={
        BadRequest: bad_request, HTTPException: http_error, Exception: server_error})



def run_server(host: str = "127.0.0.1", port: int = 8000, runs: str | Path | None = None) -> None:
    """``neuralzoo serve``: the app under uvicorn, after checking that ``host:port`` is free (a
    taken port is one line, not uvicorn's traceback)."""
    import socket
    import sys

    import uvicorn

    application = create_app(runs)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise ValueError(f"--host: expected an address of this machine, got {host!r} "
                         f"({err.strerror})") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as err:
            raise ValueError(f"--port: cannot listen on {host}:{port} ({err.strerror}); expected "
                             "a free port (try --port 8001)") from None
    shown = f"[{host}]" if ":" in host else host
    print(f"neuralzoo playground: http://{shown}:{port}/  (Ctrl+C to stop)", file=sys.stderr,
          flush=True)
    uvicorn.run(application, host=host, port=port, log_level="warning")
