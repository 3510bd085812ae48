"""The feedforward page in a real browser (Selenium, headless Chromium): a person chooses XOR and
a net, trains it, watches the frames arrive, stops a stream and steps on; the page's numbers are
checked against the exact best accuracy of a line on XOR and against the page module's frames."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.support.ui import Select

from neuralzoo.serve import feedforward as ff

from ..test_feedforward import best_linear_accuracy

FRAME = "#status[data-state='done']"


def choose(page, css: str, value: str) -> None:
    """Pick ``value`` in the <select> ``css`` as a person would (a change event follows)."""
    Select(page.find(css)).select_by_value(value)


def wait_done(page, model: str, epoch: int | None = None) -> dict:
    """The status's data-* once the stream of ``model`` has ended (at ``epoch``, if given)."""
    def done(d):
        s = page.find("#status")
        ok = (s.get_attribute("data-state") == "done" and s.get_attribute("data-model") == model
              and (epoch is None or s.get_attribute("data-epoch") == str(epoch)))
        return ok and {k: s.get_attribute(f"data-{k}") for k in ("epoch", "frames", "accuracy")}
    return page.wait_for(done)


def curve(page) -> dict:
    cv = page.find("#curve")
    return {k: json.loads(cv.get_attribute(f"data-{k}")) for k in ("epochs", "loss", "accuracy")}


def draws(page) -> int:
    return int(page.find("#boundary").get_attribute("data-draws"))


def shown_class(page, x1: float, x2: float) -> int:
    """The class whose colour the boundary canvas shows at (x1, x2): blue 1, orange 0."""
    r, b = page.js("""const cv = document.getElementById('boundary'), lim = arguments[2];
        const px = Math.round((arguments[0] + lim) / (2 * lim) * cv.width);
        const py = Math.round((lim - arguments[1]) / (2 * lim) * cv.height);
        const d = cv.getContext('2d').getImageData(px, py, 1, 1).data; return [d[0], d[2]];""",
                   x1, x2, ff.LIM)
    return int(b > r)


def test_the_perceptron_streams_its_epochs_and_stays_below_a_line_on_xor(page):
    page.open("/feedforward", ready="#boundary[data-draws]")
    choose(page, "#data", "xor")  # the page opens on XOR; choosing it again changes nothing
    wait_done(page, "mlp", 0)
    choose(page, "#model", "perceptron")
    wait_done(page, "perceptron", 0)
    before = draws(page)
    page.click("#train")
    st = wait_done(page, "perceptron", 12)  # never an error-free epoch: all its 12 epochs
    c = curve(page)
    assert int(st["frames"]) == 13 and c["epochs"] == list(range(13))  # a point per frame
    assert draws(page) - before == 13  # the boundary redrawn at each frame
    best = best_linear_accuracy(*ff.make_data("xor", 0))
    assert max(c["accuracy"]) <= best + 1e-6 and float(st["accuracy"]) <= best + 1e-6
    assert f"training accuracy {100 * float(st['accuracy']):.1f}%" in page.text("#status")
    assert page.find("#step").is_enabled() and not page.find("#stop").is_enabled()
    page.check_clean()


def test_the_mlp_solves_xor_and_the_boundary_is_redrawn(page):
    page.open("/feedforward", ready="#boundary[data-draws]")
    wait_done(page, "mlp", 0)
    choose(page, "#model", "perceptron")
    wait_done(page, "perceptron", 0)
    choose(page, "#model", "mlp")
    wait_done(page, "mlp", 0)
    start = page.js("return document.getElementById('boundary').toDataURL()")
    page.click("#train")
    st = wait_done(page, "mlp", 200)
    c = curve(page)
    assert int(st["frames"]) == len(c["epochs"]) == len(c["loss"])  # a point per frame
    assert c["epochs"] == list(range(0, 201, 4))  # 200 epochs in at most 50 frames after 0
    assert float(st["accuracy"]) >= 0.95 and c["loss"][-1] < 0.2 * c["loss"][0]
    assert page.js("return document.getElementById('boundary').toDataURL()") != start
    # the colours drawn in the four quadrants: XOR's classes
    assert [shown_class(page, *p) for p in [(1.35, 1.35), (-1.35, 1.35), (-1.35, -1.35),
                                            (1.35, -1.35)]] == [0, 1, 0, 1]
    page.check_clean()


def test_stop_ends_the_stream_and_a_step_goes_on_from_there(page):
    page.open("/feedforward", ready="#boundary[data-draws]")
    wait_done(page, "mlp", 0)
    page.click("#train")
    page.wait_for(lambda d: int(page.find("#status").get_attribute("data-frames") or 0) >= 3
                  and page.find("#status").get_attribute("data-state") == "streaming")
    page.click("#stop")
    page.wait_for(lambda d: page.find("#status").get_attribute("data-state") == "stopped")
    stopped = int(page.find("#status").get_attribute("data-epoch"))
    assert 0 < stopped < 200 and page.text("#status").endswith(": stopped")
    Select(page.find("#per-step")).select_by_value("5")
    page.click("#step")  # the server still answers: 5 more epochs of the same run
    wait_done(page, "mlp", stopped + 5)
    c = curve(page)
    assert c["epochs"] == sorted(set(c["epochs"])) and c["epochs"][-1] == stopped + 5
    # the page's last frame is the page module's run of that many epochs, in one go
    (want,) = list(ff.train({"data": "xor", "model": "mlp", "epochs": stopped + 5,
                             "start": stopped + 5, "grid_size": 2}))
    assert c["loss"][-1] == pytest.approx(want["loss"], rel=1e-6)
    assert c["accuracy"][-1] == pytest.approx(want["accuracy"])
    page.check_clean()


def test_an_epoch_count_past_the_limit_is_refused_with_its_message(page):
    page.open("/feedforward?model=perceptron&steps=50", ready="#message")
    assert page.wait_text("#message", bool) == "epochs: expected an integer in [0, 12], got 50"
    page.check_clean(allow_status=(422,))
