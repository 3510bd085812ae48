"""A download has an overall deadline: a server that drips a byte at a time (never silent long
enough for the per-wait timeout) is given up once the deadline passes, and the error says which
files to place by hand, and where. Against real local HTTP servers on 127.0.0.1, each bounded in
time and stopping by itself."""

from __future__ import annotations

import contextlib
import inspect
import socket
import threading
import time

import pytest

from neuralzoo import datasets
from neuralzoo.datasets import mnist


@pytest.fixture(autouse=True)
def sandbox(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("NEURALZOO_DATA", raising=False)
    monkeypatch.setitem(mnist.SYSTEM_DIRS, "fashion-mnist", [])


@contextlib.contextmanager
def server(*, interval: float | None, body: bytes = b"", lifetime: float = 8.0):
    """An HTTP server on 127.0.0.1 for at most ``lifetime`` seconds: each request gets a header
    promising 1 MB, then one byte every ``interval`` seconds (a drip), or ``body`` at once and
    the connection closed (``interval=None``). Yields (base URL, bytes sent)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(0.1)
    stop, sent = threading.Event(), []
    end = time.monotonic() + lifetime

    def serve() -> None:
        while not stop.is_set() and time.monotonic() < end:
            try:
                conn, _ = srv.accept()
            except OSError:  # timeout: look at the clock again
                continue
            with conn:
                conn.recv(65536)
                length = 1_000_000 if interval is not None else len(body)
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % length)
                if interval is None:
                    conn.sendall(body)
                    continue
                while not stop.is_set() and time.monotonic() < end:
                    try:
                        conn.sendall(b"x")
                    except OSError:  # the client gave up
                        break
                    sent.append(1)
                    stop.wait(interval)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}/", sent
    finally:
        stop.set()
        thread.join(lifetime)
        srv.close()


def test_a_dripping_server_is_given_up_at_the_deadline_with_how_to_place_the_files(monkeypatch, tmp_path):
    with server(interval=0.1) as (url, sent):
        monkeypatch.setitem(mnist.MIRRORS, "mnist", [url, url])
        start = time.monotonic()
        with pytest.raises(datasets.DatasetNotFoundError) as err:
            datasets.load("mnist", "test", download_deadline=1.0)
        took = time.monotonic() - start
    assert 1.0 <= took < 1.0 + 3.0  # the deadline, not the 30 s per-wait timeout, ended it
    assert len(sent) >= 3 and mnist.DOWNLOAD_TIMEOUT > 1.0  # bytes kept coming all along
    msg = str(err.value)
    assert "the download deadline of 1 s passed (download_deadline= sets it)" in msg
    assert err.value.mirrors == [f"{url}t10k-images-idx3-ubyte.gz"]  # no second mirror after it
    cache = tmp_path / "xdg" / "neuralzoo" / "mnist"
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        assert f"{stem}.gz" in msg
    assert f"put them in {cache}" in msg and "NEURALZOO_DATA=/path" in msg
    assert not cache.exists() or not any(cache.iterdir())  # nothing half-written left


def test_a_fast_server_is_read_whole_within_the_deadline(monkeypatch):
    # the control: the same path with a server that answers at once ends on the data (not
    # gzip, so refused by its checksum check), long before the deadline
    with server(interval=None, body=b"not gzip data") as (url, _):
        monkeypatch.setitem(mnist.MIRRORS, "mnist", [url])
        start = time.monotonic()
        with pytest.raises(datasets.DatasetNotFoundError) as err:
            datasets.load("mnist", "test", download_deadline=5.0)
    assert time.monotonic() - start < 5.0
    assert "deadline" not in str(err.value) and "t10k-images-idx3-ubyte.gz" in str(err.value)


def test_the_deadline_has_a_default_and_must_be_positive():
    assert inspect.signature(datasets.load).parameters["download_deadline"].default \
        == mnist.DOWNLOAD_DEADLINE == 120.0
    with pytest.raises(ValueError, match=r"download deadline must be > 0 seconds, got 0"):
        datasets.load("mnist", download_deadline=0)
