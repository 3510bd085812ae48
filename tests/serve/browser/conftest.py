"""The playground's pages in a real browser: Selenium drives Debian's headless Chromium through
chromedriver against the real ``neuralzoo serve`` on a free 127.0.0.1 port. A test loads a page,
clicks and draws as a person would, and reads what the page shows; every test ends by checking
that the page logged no console error and asked no other host for anything.

Without chromium, chromedriver or selenium the tests skip with the reason (``.ci/run`` installs
them: ``apt-get install chromium chromium-driver``, selenium from the dev extra).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)
CHROMEDRIVER = shutil.which("chromedriver")
try:
    import selenium  # noqa: F401
    HAVE_SELENIUM = True
except ImportError:
    HAVE_SELENIUM = False

MISSING = [what for what, ok in (("chromium (apt-get install chromium)", CHROMIUM),
                                 ("chromedriver (apt-get install chromium-driver)", CHROMEDRIVER),
                                 ("selenium (pip install -e .[dev])", HAVE_SELENIUM)) if not ok]
pytestmark = pytest.mark.skipif(bool(MISSING), reason="the playground's browser tests need "
                                + ", ".join(MISSING))
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """``neuralzoo serve`` on a free port (its base URL), up to 30 s to answer, stopped at the
    end of the session."""
    if MISSING:
        pytest.skip("the playground's browser tests need " + ", ".join(MISSING))
    port = _free_port()
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
                    _, err = proc.communicate()
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


@pytest.fixture(scope="session")
def driver() -> Iterator[Any]:
    """One headless Chromium for the session, with its console and network logs on; every host
    but this machine resolves to nothing, so a request elsewhere cannot leave."""
    if MISSING:
        pytest.skip("the playground's browser tests need " + ", ".join(MISSING))
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="nz-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--window-size=1280,1000",
                 f"--user-data-dir={profile}",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    drv.set_script_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Page:
    """One page in the browser: ``open``, find, click, draw, wait, and ``check_clean`` at the
    end (no console error, no uncaught exception, no request to another host)."""

    def __init__(self, driver: Any, base: str) -> None:
        self.driver, self.base = driver, base

    def open(self, path: str, ready: str = "main") -> Page:
        self.driver.get_log("browser")  # drop what earlier pages logged
        self.driver.get_log("performance")
        self.driver.get(self.base + path)
        self.wait_for(lambda d: d.execute_script("return document.readyState") == "complete")
        self.find(ready)
        return self

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.wait_for(lambda d: d.find_element(By.CSS_SELECTOR, css))

    def text(self, css: str) -> str:
        return self.find(css).text

    def click(self, css: str) -> None:
        self.find(css).click()

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def wait_for(self, condition: Any, timeout: float = 60) -> Any:
        """``condition(driver)`` once truthy (exceptions mean "not yet"); fails after timeout."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout, poll_frequency=0.05,
                             ignored_exceptions=(WebDriverException, AssertionError, KeyError,
                                                 IndexError, TypeError)).until(condition)

    def wait_text(self, css: str, predicate: Any, timeout: float = 60) -> str:
        """The text of ``css`` once ``predicate(text)`` holds."""
        return self.wait_for(lambda d: (t := self.text(css)) is not None and predicate(t) and t,
                             timeout)

    def draw(self, css: str, points: list[tuple[float, float]]) -> None:
        """Drag the mouse through ``points`` on the element ``css``, each a fraction (x, y) of
        its width and height from its top-left corner: a stroke of a person's drawing."""
        from selenium.webdriver.common.action_chains import ActionChains

        el = self.find(css)
        w, h = el.size["width"], el.size["height"]

        def offset(p: tuple[float, float]) -> tuple[int, int]:  # from the element's centre
            return int(p[0] * w - w / 2), int(p[1] * h - h / 2)

        chain = ActionChains(self.driver, duration=10)
        chain.move_to_element_with_offset(el, *offset(points[0])).click_and_hold()
        for p in points[1:]:
            chain.move_to_element_with_offset(el, *offset(p))
        chain.release().perform()

    def data(self, css: str, key: str) -> Any:
        """The JSON in the ``data-<key>`` attribute of ``css`` (None when absent): what a page
        puts beside a drawing for the tests to read."""
        import json

        raw = self.find(css).get_attribute("data-" + key)
        return None if raw is None else json.loads(raw)

    def api(self, path: str, body: dict | None = None) -> Any:
        """The server's own answer to ``path`` (GET without a body, POST with one), asked
        directly: the oracle for what the page shows. A stream is its list of frames."""
        import json

        raw = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=raw,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read().decode()
            if r.headers["Content-Type"].startswith("application/x-ndjson"):
                return [json.loads(line) for line in text.splitlines() if line.strip()]
            return json.loads(text)

    def requests(self) -> list[str]:
        """Every URL the page asked for since it was opened (Chromium's network log)."""
        import json

        urls = []
        for entry in self.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                urls.append(msg["params"]["request"]["url"])
        return urls

    def check_clean(self, allow_status: tuple[int, ...] = ()) -> None:
        """No console error (but the 'Failed to load resource' line of an answer in
        ``allow_status``, which a test of bad input provokes), no uncaught exception caught by
        the page, and every request to this server."""
        severe = [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        allowed = tuple(f"status of {s}" for s in allow_status)
        severe = [m for m in severe if not (allowed and any(a in m for a in allowed))]
        page_errors = self.js("return (window.NZ && NZ.errors) || []")
        assert severe == [] and page_errors == [], (severe, page_errors)
        foreign = [u for u in self.requests()
                   if urllib.parse.urlsplit(u).scheme not in ("data", "blob")
                   and urllib.parse.urlsplit(u).hostname not in LOCAL_HOSTS]
        assert foreign == [], foreign


@pytest.fixture
def page(driver: Any, server: str) -> Page:
    return Page(driver, server)
