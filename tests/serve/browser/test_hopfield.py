"""The Hopfield page in a real browser (Selenium, headless Chromium): a person corrupts a stored
digit by clicking cells and by the noise slider, presses recall and watches the flips arrive
one by one beside a falling energy; the continuous and the modern network beside it recall the
same digit; ten digits under the Hebbian rule collapse; a pattern count past the slider is
refused on the page; a person draws patterns of their own, stores them, corrupts one and
recalls it; a corrupted letter of the built-in alphabet is recalled."""

from __future__ import annotations

import json

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

SIDE = 8


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


def thumbs(page) -> list[list[int]]:
    """The stored patterns shown in step 1 (their data-bits)."""
    return [json.loads(c.get_attribute("data-bits"))
            for c in page.driver.find_elements(By.CSS_SELECTOR, "#patterns .pattern canvas")]


def grid(cells) -> list[int]:
    """An 8x8 pattern (64 values 0/1, row by row) inked at the (row, col) ``cells``."""
    bits = [0] * SIDE * SIDE
    for r, c in cells:
        bits[SIDE * r + c] = 1
    return bits


def centre(row: float, col: float) -> tuple[float, float]:
    """The fraction (x, y) of the drawing grid at the middle of cell (row, col)."""
    return (col + 0.5) / SIDE, (row + 0.5) / SIDE


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
    page.wait_for(lambda _: page.data("#probe", "bits") == stored)
    cells = [(0, 0), (3, 4), (7, 6)]
    for row, col in cells:
        click_cell(page, row, col)
    assert differing(page.data("#probe", "bits"), stored) == [r * SIDE + c for r, c in cells]
    assert page.text("#probe-info") == "3 of 64 bits differ from digit 0."

    # 2. the noise slider at 20%: a fresh probe with round(0.2 * 64) = 13 bits flipped, one more by hand
    slide(page, "#noise", 20)
    page.wait_for(lambda _: page.data("#probe", "diff") == 13)
    assert page.text("#noise-value") == "20%"
    before = page.data("#probe", "bits")
    click_cell(page, 2, 2)
    assert differing(page.data("#probe", "bits"), before) == [2 * SIDE + 2]

    # 3. recall: the frames arrive one by one (the server paces them 80 ms apart)
    seen = recall_and_watch(page)
    frames = page.data("#state", "frames")
    energies = page.data("#energy", "energies")
    arrivals = page.data("#state", "arrivals")
    assert frames >= 10 and len(energies) == frames + 1 and len(arrivals) == frames
    assert any(0 < n < frames for n in seen), seen  # a partial recall was on the page
    assert arrivals[-1] - arrivals[0] >= 0.9 * 80 * (frames - 1)  # streamed, not one block
    assert page.data("#state", "bits") == stored and page.data("#state", "match") == 0
    assert page.data("#state", "server") == stored
    assert nonincreasing(energies) and energies[-1] < energies[0]
    assert page.text("#status").startswith("recalled the stored digit 0 (pattern 1)")

    # 4. beside it: the continuous and the modern network recall the same digit from that probe
    page.wait_for(lambda _: page.data("#cont-state", "match") == 0)
    assert page.data("#cont-state", "bits") == stored
    E = page.data("#cont-energy", "energies")
    assert len(E) > 10 and nonincreasing(E) and E[-1] < E[0]
    assert len(page.driver.find_elements(By.CSS_SELECTOR, "#film .pattern")) == 8
    page.wait_for(lambda _: page.data("#modern-state", "match") == 0)
    assert page.data("#modern-state", "bits") == stored
    p = page.data("#attention", "attention")
    assert len(p) == 3 and abs(sum(p) - 1) < 1e-6 and max(p) == p[0]
    page.check_clean()


def test_ten_digits_collapse_under_hebb_and_attention_still_recalls(page):
    page.open("/hopfield", ready="#probe[data-bits]")
    stored = page.data("#patterns .pattern canvas", "bits")
    Select(page.find("#rule")).select_by_value("hebbian")
    slide(page, "#npat", 10, "input", "change")
    page.wait_text("#capacity-note", lambda t: t.startswith("Capacity collapse"))
    assert page.find("#capacity-note").get_attribute("data-stored") == "10"
    assert len(page.driver.find_elements(By.CSS_SELECTOR, "#patterns .fp.no")) == 10
    assert page.text("#npat-value") == "10"

    Select(page.find("#speed")).select_by_value("15")
    recall_and_watch(page)
    energies = page.data("#energy", "energies")
    assert page.data("#state", "match") is None and nonincreasing(energies)
    assert "spurious state" in page.text("#status")
    # the modern network with the same ten digits and probe: one step of attention recalls
    page.wait_for(lambda _: page.data("#modern-state", "match") == 0)
    assert page.data("#modern-state", "bits") == stored
    assert page.data("#hebb-state", "match") is None
    assert "Hebbian network with the same 10 digits ends in a spurious state" in page.text("#modern-status")

    # beta down to 0.00316: the attention spreads over all ten, the step gives a mixture
    slide(page, "#beta", -50)
    page.wait_text("#modern-status", lambda t: "retrieves no stored digit" in t)
    p = page.data("#attention", "attention")
    assert len(p) == 10 and max(p) - min(p) < 0.05 and page.text("#beta-value") == "0.00316"

    # past the slider's limit: the server's refusal on the page, a 422
    page.js("document.querySelector('#npat').max = '500'")
    slide(page, "#npat", 500, "input", "change")
    page.wait_text("#message", lambda t: t.startswith("n_patterns: expected an integer in [1, 20], got 500"))
    assert page.find("#message").get_attribute("data-status") == "422"
    page.check_clean(allow_status=(422,))


def test_my_drawings_are_stored_corrupted_and_recalled(page):
    page.open("/hopfield", ready="#probe[data-bits]")
    Select(page.find("#source")).select_by_value("drawn")
    page.wait_text("#capacity-note", lambda t: t.startswith("No drawing in memory yet"))
    assert thumbs(page) == [] and not page.find("#recall").is_enabled()
    assert page.find("#npat-row").is_displayed() is False and page.find("#draw").is_displayed()
    assert not page.find("#add").is_enabled()  # a blank grid is nothing to add

    # 1. three strokes of the mouse, each added to memory: the grid clears for the next one
    strokes = [([centre(0, 3), centre(7, 3)], grid((r, 3) for r in range(SIDE))),   # vertical
               ([centre(4, 0), centre(4, 7)], grid((4, c) for c in range(SIDE))),   # horizontal
               ([centre(0, 0), centre(7, 7)], grid((k, k) for k in range(SIDE)))]   # diagonal
    for n, (points, expected) in enumerate(strokes, start=1):
        page.draw("#draw", points)
        assert page.data("#draw", "bits") == expected
        page.click("#add")
        page.wait_for(lambda _, n=n: len(thumbs(page)) == n and not any(page.data("#draw", "bits")))
    drawn = [bits for _, bits in strokes]
    assert thumbs(page) == drawn
    page.wait_text("#capacity-note", lambda t: t == "All 3 stored drawings are fixed points of the "
                   "pseudo-inverse network.")
    assert page.data("#capacity", "fixed")["pseudo-inverse"] == [1, 2, 3]
    assert "drawing 3" in page.text("#patterns .pattern.chosen")  # the newest is corrupted

    # 2. the same vertical bar again: the server refuses a copy, the memory stays as it was
    page.draw("#draw", strokes[0][0])
    page.click("#add")
    page.wait_text("#message", lambda t: t.startswith("patterns[3]: expected distinct patterns, "
                                                      "got a copy of patterns[0]"))
    assert page.find("#message").get_attribute("data-status") == "422" and thumbs(page) == drawn
    page.click("#clear-draw")
    assert not any(page.data("#draw", "bits"))

    # 3. the horizontal bar, no noise, then three cells clicked by hand
    page.driver.find_elements(By.CSS_SELECTOR, "#patterns .pattern canvas")[1].click()
    page.wait_for(lambda _: "drawing 2" in page.text("#patterns .pattern.chosen"))
    slide(page, "#noise", 0)
    page.wait_for(lambda _: page.data("#probe", "bits") == drawn[1])
    cells = [(0, 0), (2, 6), (7, 1)]
    for row, col in cells:
        click_cell(page, row, col)
    assert differing(page.data("#probe", "bits"), drawn[1]) == [r * SIDE + c for r, c in cells]
    assert page.text("#probe-info") == "3 of 64 bits differ from drawing 2."

    # 4. recall: the drawing comes back, the energy never rose
    Select(page.find("#speed")).select_by_value("15")
    recall_and_watch(page)
    energies = page.data("#energy", "energies")
    assert page.data("#state", "bits") == drawn[1] and page.data("#state", "match") == 1
    assert len(energies) == 4 and nonincreasing(energies) and energies[-1] < energies[0]
    assert page.text("#status").startswith("recalled the stored drawing 2: 3 flips")
    page.wait_for(lambda _: page.data("#modern-state", "match") == 1)
    assert len(page.data("#attention", "attention")) == 3

    # 5. remove the vertical bar: the horizontal one (now drawing 1) keeps its probe
    page.driver.find_elements(By.CSS_SELECTOR, "#patterns .pattern button.remove")[0].click()
    page.wait_for(lambda _: thumbs(page) == drawn[1:])
    assert "drawing 1" in page.text("#patterns .pattern.chosen")
    assert page.data("#probe", "diff") == 3
    # ... and with the last one removed, the memory is empty: nothing to recall
    for n in (1, 0):
        page.driver.find_elements(By.CSS_SELECTOR, "#patterns .pattern button.remove")[0].click()
        page.wait_for(lambda _, n=n: len(thumbs(page)) == n)
    page.wait_text("#capacity-note", lambda t: t.startswith("No drawing in memory yet"))
    assert not page.find("#recall").is_enabled()
    page.check_clean(allow_status=(422,))


def test_a_corrupted_letter_is_recalled(page):
    page.open("/hopfield", ready="#probe[data-bits]")
    Select(page.find("#source")).select_by_value("letters")
    page.wait_for(lambda _: "letter A" in page.text("#patterns .pattern.chosen"))
    letters = thumbs(page)
    assert len(letters) == 3 and page.find("#npat").get_attribute("max") == "10"
    assert page.text("#npat-row").startswith("stored letters")
    page.wait_text("#capacity-tail", lambda t: t == "Correlated letters overwhelm the Hebbian "
                   "rule from P = 3 on.")
    assert page.data("#capacity", "fixed")["pseudo-inverse"] == list(range(1, 11))

    # the noise slider at 10%: round(6.4) = 6 cells of the A flipped
    slide(page, "#noise", 10)
    page.wait_for(lambda _: page.data("#probe", "diff") == 6)
    assert page.text("#probe-info") == "6 of 64 bits differ from letter A."
    Select(page.find("#speed")).select_by_value("15")
    recall_and_watch(page)
    energies = page.data("#energy", "energies")
    assert page.data("#state", "bits") == letters[0] and page.data("#state", "match") == 0
    assert nonincreasing(energies) and energies[-1] < energies[0]
    assert page.text("#status").startswith("recalled the stored letter A (pattern 1)")
    page.wait_for(lambda _: page.data("#cont-state", "match") is not None)
    page.check_clean()
