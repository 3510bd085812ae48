"""Each playground page in a real browser: headless Chromium loads it with ``?selftest=1``, the
page runs its own scripted interaction (corrupt a digit, click a cell, recall; step the
convolution through all 49 positions) and writes what it shows into ``<pre id="selftest">``;
the dumped DOM is read here. The server is the real ``neuralzoo serve`` on a free port."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not found: install it (Debian: apt-get install "
    "chromium) to run the playground's browser tests")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """``neuralzoo serve`` on a free 127.0.0.1 port, up to 30 s to answer, stopped at the end."""
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "neuralzoo", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as r:
                    assert r.status == 200
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    out, err = proc.communicate()
                    pytest.fail(f"neuralzoo serve did not answer on {url}: {err.decode()[-2000:]}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def selftest(url: str) -> dict:
    """Load ``url?selftest=1`` in headless Chromium and return the page's self-test JSON."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--virtual-time-budget=20000", "--dump-dom", url + "?selftest=1"]
    done = subprocess.run(cmd, capture_output=True, timeout=90, text=True)
    m = re.search(r'<pre id="selftest">(.*?)</pre>', done.stdout, re.S)
    assert m, f"no self-test result in the page {url} (chromium rc {done.returncode}): " \
              f"{done.stderr[-1500:]}"
    result = json.loads(html.unescape(m.group(1)))
    assert result["errors"] == [], result["errors"]  # no console error, no uncaught exception
    assert result["foreign_requests"] == [] and result["requests"] >= 2  # nothing left the machine
    return result
