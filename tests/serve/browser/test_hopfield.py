"""The Hopfield page in a real browser (Selenium, headless Chromium): a person corrupts a stored
digit by clicking cells and by the noise slider, presses recall and watches the flips arrive
one by one beside a falling energy; the continuous and the modern network beside it recall the
same digit; ten digits under the Hebbian rule collapse; a pattern count past the slider is
refused on the page."""

from __future__ import annotations

import json
from typing import Any

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

SIDE = 8


def data(page, css: str, key: str) -> Any:
    """The JSON in the ``data-<key>`` attribute of ``css`` (None when absent)."""
    raw = page.find(css).get_attribute("data-" + key)
    return None if raw is None else json.loads(raw)


def slide(page, css: str, value: int, *events: str) -> None:
    """Move a range input to ``value`` as a drag would: set it, then fire its events."""
    page.js("const el = document.querySelector(arguments[0]); el.value = arguments[1];"
            "for (const e of arguments[2]) el.dispatchEvent(new Event(e, {bubbles: true}));",
            css, str(value), list(events or ("input",)))


def click_cell(page, row: int, col: int) -> None:
    """A mouse click on cell (row, col) of the probe canvas."""
    el = page.find("#probe")
    w, h = el.size["width"], el.size["height"]
    x, y = (col + 0.5) * w / SIDE - w / 2, (row + 0.5) * h / SIDE - h / 2  # from the centre
    ActionChains(page.driver).move_to_element_with_offset(el, int(x), int(y)).click().perform()


def differing(a: list[int], b: list[int]) -> list[int]:
    return [k for k, (u, v) in enumerate(zip(a, b)) if u != v]


def nonincreasing(E: list[float]) -> bool:
    return all(b <= a for a, b in zip(E, E[1:]))


def recall_and_watch(page) -> list[int]:
    """Press recall and wait for the stream's end; the counts of drawn frames seen meanwhile."""
    seen: list[int] = []

    def done(_):
        seen.append(int(page.find("#state").get_attribute("data-frames") or 0))
        return page.find("#state").get_attribute("data-done") == "1"

    page.click("#recall")
    page.wait_for(done, timeout=30)
    return seen


def test_a_corrupted_digit_is_recalled_while_the_flips_stream_in(page):
    page.open("/hopfield", ready="#probe[data-bits]")
    thumbs = page.driver.find_elements(By.CSS_SELECTOR, "#patterns .pattern canvas")
    assert len(thumbs) == 3 and "digit 0" in page.text("#patterns .pattern.chosen")
    stored = json.loads(thumbs[0].get_attribute("data-bits"))

    # 1. no noise, then three cells clicked by hand: exactly those bits flip
    slide(page, "#noise", 0)
    page.wait_for(lambda _: data(page, "#probe", "bits") == stored)
    cells = [(0, 0), (3, 4), (7, 6)]
    for row, col in cells:
        click_cell(page, row, col)
    assert differing(data(page, "#probe", "bits"), stored) == [r * SIDE + c for r, c in cells]
    assert page.text("#probe-info") == "3 of 64 bits differ from digit 0."

    # 2. the noise slider at 20%: a fresh probe with round(0.2 * 64) = 13 bits flipped, one more by hand
    slide(page, "#noise", 20)
    page.wait_for(lambda _: data(page, "#probe", "diff") == 13)
    assert page.text("#noise-value") == "20%"
    before = data(page, "#probe", "bits")
    click_cell(page, 2, 2)
    assert differing(data(page, "#probe", "bits"), before) == [2 * SIDE + 2]

    # 3. recall: the frames arrive one by one (the server paces them 80 ms apart)
    seen = recall_and_watch(page)
    frames = data(page, "#state", "frames")
    energies = data(page, "#energy", "energies")
    arrivals = data(page, "#state", "arrivals")
    assert frames >= 10 and len(energies) == frames + 1 and len(arrivals) == frames
    assert any(0 < n < frames for n in seen), seen  # a partial recall was on the page
    assert arrivals[-1] - arrivals[0] >= 0.9 * 80 * (frames - 1)  # streamed, not one block
    assert data(page, "#state", "bits") == stored and data(page, "#state", "match") == 0
    assert data(page, "#state", "server") == stored
    assert nonincreasing(energies) and energies[-1] < energies[0]
    assert page.text("#status").startswith("recalled the stored digit 0 (pattern 1)")

    # 4. beside it: the continuous and the modern network recall the same digit from that probe
    page.wait_for(lambda _: data(page, "#cont-state", "match") == 0)
    assert data(page, "#cont-state", "bits") == stored
    E = data(page, "#cont-energy", "energies")
    assert len(E) > 10 and nonincreasing(E) and E[-1] < E[0]
    assert len(page.driver.find_elements(By.CSS_SELECTOR, "#film .pattern")) == 8
    page.wait_for(lambda _: data(page, "#modern-state", "match") == 0)
    assert data(page, "#modern-state", "bits") == stored
    p = data(page, "#attention", "attention")
    assert len(p) == 3 and abs(sum(p) - 1) < 1e-6 and max(p) == p[0]
    page.check_clean()


def test_ten_digits_collapse_under_hebb_and_attention_still_recalls(page):
    page.open("/hopfield", ready="#probe[data-bits]")
    stored = data(page, "#patterns .pattern canvas", "bits")
    Select(page.find("#rule")).select_by_value("hebbian")
    slide(page, "#npat", 10, "input", "change")
    page.wait_text("#capacity-note", lambda t: t.startswith("Capacity collapse"))
    assert page.find("#capacity-note").get_attribute("data-stored") == "10"
    assert len(page.driver.find_elements(By.CSS_SELECTOR, "#patterns .fp.no")) == 10
    assert page.text("#npat-value") == "10"

    Select(page.find("#speed")).select_by_value("15")
    recall_and_watch(page)
    energies = data(page, "#energy", "energies")
    assert data(page, "#state", "match") is None and nonincreasing(energies)
    assert "spurious state" in page.text("#status")
    # the modern network with the same ten digits and probe: one step of attention recalls
    page.wait_for(lambda _: data(page, "#modern-state", "match") == 0)
    assert data(page, "#modern-state", "bits") == stored
    assert data(page, "#hebb-state", "match") is None
    assert "Hebbian network with the same 10 digits ends in a spurious state" in page.text("#modern-status")

    # beta down to 0.00316: the attention spreads over all ten, the step gives a mixture
    slide(page, "#beta", -50)
    page.wait_text("#modern-status", lambda t: "retrieves no stored digit" in t)
    p = data(page, "#attention", "attention")
    assert len(p) == 10 and max(p) - min(p) < 0.05 and page.text("#beta-value") == "0.00316"

    # past the slider's limit: the server's refusal on the page, a 422
    page.js("document.querySelector('#npat').max = '500'")
    slide(page, "#npat", 500, "input", "change")
    page.wait_text("#message", lambda t: t.startswith("n_patterns: expected an integer in [1, 20], got 500"))
    assert page.find("#message").get_attribute("data-status") == "422"
    page.check_clean(allow_status=(422,))
