"""The autoencoder page in a real browser (Selenium, headless Chromium): the code map of the test
digits, a click in the code plane decoded, a traversal picked by clicking a digit; what the page
shows is checked against the page module's own answers computed here (``decode``, ``traverse``,
``codes``: the shipped VAE)."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from neuralzoo.serve import autoencoder as ae

TOL = 1 / 255 + 1e-3  # a grey value drawn as an 8-bit pixel and read back


def shown_digits(page, css: str) -> list[list[float]]:
    """The 64 grey values (1 = ink) each canvas ``css`` shows, read at its cells' centres."""
    return page.js("""return [...document.querySelectorAll(arguments[0])].map((cv) => {
        const ctx = cv.getContext('2d'), c = cv.width / 8, out = [];
        for (let k = 0; k < 64; k++) {
          const p = ctx.getImageData(Math.floor((k % 8 + 0.5) * c),
                                     Math.floor((Math.floor(k / 8) + 0.5) * c), 1, 1).data;
          out.push(1 - p[0] / 255);
        }
        return out; });""", css)


def click_map(page, z1: float, z2: float) -> None:
    """A person's click on the code map at the point (z1, z2) of the code plane."""
    el = page.find("#map")
    side = page.js("return document.getElementById('map').width")  # px, the plane's 2 EXTENT
    dx, dy = (round(v / (2 * ae.EXTENT) * side) for v in (z1, -z2))  # from the map's centre
    ActionChains(page.driver).move_to_element_with_offset(el, dx, dy).click().perform()


def decoded_z(page) -> list[float] | None:
    raw = page.find("#decoded").get_attribute("data-z")
    return json.loads(raw) if raw else None


def test_the_code_map_shows_the_test_digits_and_a_click_decodes_that_point(page):
    page.open("/autoencoder", ready="#map[data-count]")
    codes = ae.codes()
    assert int(page.find("#map").get_attribute("data-count")) == len(codes["points"]) == 360
    # the dots whose centre pixel shows their class's colour (the others lie under later dots)
    coloured = page.js("""const cv = document.getElementById('map'), ctx = cv.getContext('2d');
        const [lo, hi] = arguments[2], hex = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
        return arguments[0].filter((z, n) => {
          const x = (z[0] - lo) / (hi - lo) * cv.width, y = (hi - z[1]) / (hi - lo) * cv.height;
          const p = ctx.getImageData(Math.floor(x), Math.floor(y), 1, 1).data;
          return hex(PALETTE[arguments[1][n]]).every((v, i) => Math.abs(v - p[i]) <= 3); }).length;""",
                       codes["points"], codes["labels"], codes["extent"])
    assert coloured >= 180
    page.wait_for(lambda d: decoded_z(page) is not None)  # the page opens on digit 0's code
    click_map(page, 1.5, -2.5)  # an empty stretch of the plane, no digit's dot within reach
    page.wait_for(lambda d: decoded_z(page)[0] > 1)
    z = decoded_z(page)
    assert z == pytest.approx([1.5, -2.5], abs=0.05)  # within a couple of pixels of the click
    want = ae.decode({"z": z})["image"]  # the page module, here, at the z the page decoded
    (shown,) = shown_digits(page, "#decoded")
    assert shown == pytest.approx(want, abs=TOL)
    assert page.text("#zvalue") == f"z = ({z[0]:.2f}, {z[1]:.2f})"
    page.check_clean()


def test_a_click_on_a_digit_picks_its_traversal_and_the_frames_are_shown(page):
    page.open("/autoencoder", ready="#traversal[data-index='0']")
    codes = ae.codes()
    k = 7
    click_map(page, *codes["points"][k])
    page.wait_for(lambda d: page.find("#traversal").get_attribute("data-index") != "0")
    n = int(page.find("#index").get_attribute("value"))  # the digit whose dot was clicked
    assert sum((a - b) ** 2 for a, b in zip(codes["points"][n], codes["points"][k])) < 0.07 ** 2
    row = page.find("#traversal")
    assert (row.get_attribute("data-index"), row.get_attribute("data-dim")) == (str(n), "0")
    want = ae.traverse({"index": n, "dim": 0, "steps": 9})
    shown = shown_digits(page, "#traversal canvas")
    assert len(shown) == 9
    for s, w in zip(shown, want["images"], strict=True):
        assert s == pytest.approx(w, abs=TOL)
    assert page.text("#label").startswith(f"a {want['label']}, at")
    # the other axis, five steps: the slider moved and the select chosen as a person would
    page.js("const s = document.getElementById('steps'); s.value = '5';"
            "s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change'));")
    page.wait_for(lambda d: page.find("#traversal").get_attribute("data-steps") == "5")
    Select(page.find("#dim")).select_by_value("1")
    page.wait_for(lambda d: page.find("#traversal").get_attribute("data-dim") == "1")
    want = ae.traverse({"index": n, "dim": 1, "steps": 5})
    shown = shown_digits(page, "#traversal canvas")
    assert len(shown) == 5 and page.text("#steps-value") == "5"
    for s, w in zip(shown, want["images"], strict=True):
        assert s == pytest.approx(w, abs=TOL)
    assert page.text("#status").startswith("z2 moved by t from -3")
    page.check_clean()


def test_a_digit_number_out_of_range_is_refused_with_its_message(page):
    page.open("/autoencoder", ready="#traversal[data-index='0']")
    box = page.find("#index")
    box.clear()
    box.send_keys("99999", Keys.TAB)  # typed, then leaving the box: a change event
    assert (page.wait_text("#message", bool)
            == "index: expected an integer in [0, 359], got 99999")
    assert page.find("#traversal").get_attribute("data-index") == "0"  # the last good one stays
    page.check_clean(allow_status=(422,))
