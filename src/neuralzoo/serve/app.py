"""The playground's ASGI app: static pages (plain HTML, CSS and JavaScript from the package,
nothing fetched from another host) and a JSON API that computes with the library's models.

The server computes, the page draws. Every refusal is a JSON object ``{"error": "..."}`` with
a 4xx status (400 malformed, 404 missing, 422 invalid), never a crash of the server.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ._params import BadRequest

STATIC = Path(__file__).parent / "static"
PAGES = {"": "index.html", "hopfield": "hopfield.html", "cnn": "cnn.html",
         "feedforward": "feedforward.html", "autoencoder": "autoencoder.html",
         "boltzmann": "boltzmann.html", "rbm": "rbm.html", "lstm": "lstm.html"}
# the modules that compute for the pages, each with ``routes(runs) -> list[Route]`` (see _web)
PAGE_MODULES = ("hopfield", "cnn", "feedforward", "autoencoder", "boltzmann", "rbm", "lstm")


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


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

    async def favicon(request: Request) -> Response:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

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
        Route("/favicon.ico", favicon),
        Route("/api/runs", list_runs),
        Route("/api/runs/{name}", run_info),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        Route("/{page}", page),
    ]
    for name in PAGE_MODULES:  # each page module declares its own API
        routes[1:1] = importlib.import_module(f".{name}", __package__).routes(runs_dir)
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
