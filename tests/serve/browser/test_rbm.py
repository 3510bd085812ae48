"""The RBM/DBN page in a real browser (Selenium, headless Chromium): a digit drawn with the
mouse, its hidden units and reconstruction (against ``neuralzoo.serve.rbm`` computing the same
in this process from the same shipped checkpoint), the streamed Gibbs chain, the filters, the
DBN's digits of a chosen class, and a refusal."""

from __future__ import annotations

import json
import time

import pytest
import torch
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from neuralzoo.serve import rbm

READY = "main[data-ready]"
# the centre pixel (R, G, B, A) of each of the side x side cells of a canvas
CELL_PIXELS = """
const cv = document.querySelector(arguments[0]), side = arguments[1];
const ctx = cv.getContext("2d"), c = cv.width / side, out = [];
for (let k = 0; k < side * side; k++)
  out.push(Array.from(ctx.getImageData(Math.floor((k % side + 0.5) * c),
                                       Math.floor((Math.floor(k / side) + 0.5) * c), 1, 1).data));
return out;
"""


def draw_seven(page) -> list[int]:
    """Clear the canvas and draw a 7 in two mouse strokes; the bits the page shows."""
    page.click("#clear")
    page.wait_for(lambda d: page.data("#draw", "bits") == [0] * 64)
    page.draw("#draw", [(0.15, 0.15), (0.5, 0.15), (0.85, 0.15)])  # the bar: row 1
    page.draw("#draw", [(0.8, 0.3), (0.6, 0.6), (0.45, 0.92)])  # the stem, down to the left
    return page.data("#draw", "bits")


def test_a_drawn_digit_shows_its_hidden_units_and_reconstruction(page):
    page.open("/rbm", ready=READY)
    bits = draw_seven(page)
    on = {k for k in range(64) if bits[k]}
    assert {9, 10, 11, 12, 13, 14} <= on  # the bar, row 1, cols 1..6, without gaps
    assert 22 in on and 59 in on and 10 < len(on) < 20  # the stem from (2, 6) to (7, 3)
    assert all(k // 8 >= 1 for k in on)
    shown = page.js(CELL_PIXELS, "#draw", 8)  # the canvas shows those bits
    assert [int(p[0] < 128) for p in shown] == bits
    expected = rbm.infer({"v": bits})  # the shipped RBM, computed here
    page.wait_for(lambda d: page.data("#hidden", "p-h") == pytest.approx(expected["p_h"], abs=1e-6))
    x = torch.tensor([bits], dtype=torch.float32)
    assert expected["p_h"] == pytest.approx(rbm.rbm_model().p_h_given_v(x)[0].tolist(), abs=1e-4)
    recon = page.data("#recon", "recon")
    assert recon == pytest.approx(expected["recon"], abs=1e-6)
    grey = [p[0] for p in page.js(CELL_PIXELS, "#recon", 8)]  # drawn: dark where p(v_i = 1) is high
    assert grey == pytest.approx([round(238 - p * (238 - 29)) for p in recon], abs=1)
    assert page.text("#infer-status").endswith("(shipped rbm-digits: PCD, 20 epochs)")
    page.check_clean()


def test_the_gibbs_chain_streams_its_frames_as_they_come(page):
    page.open("/rbm", ready=READY)
    v0 = page.data("#draw", "bits")  # the test digit 3 the page starts with
    steps = page.find("#steps")
    steps.clear()
    steps.send_keys("200")
    Select(page.find("#speed")).select_by_visible_text("fast")  # 5 ms between frames
    page.click("#chain")
    seen, deadline = [], time.monotonic() + 30
    while (n := int(page.find("#film").get_attribute("data-count"))) < 201:
        seen.append(n)
        assert time.monotonic() < deadline, seen[-5:]
        time.sleep(0.02)
    partial = sorted({k for k in seen if 0 < k < 201})
    assert len(partial) >= 3, partial  # frames were drawn while later ones were still on the way
    page.wait_text("#status", lambda t: t.startswith("v200 of 200"))
    assert page.find("#frame").get_attribute("data-t") == "200"
    seed = int(page.find("#frame").get_attribute("data-seed"))
    frames = list(rbm.gibbs({"v": v0, "steps": 200, "seed": seed}))  # the same chain, here
    assert page.data("#frame", "bits") == frames[-1]["v"]
    film = page.driver.find_elements(By.CSS_SELECTOR, "#film .pattern")
    ts = [int(el.get_attribute("data-t")) for el in film]
    assert ts == [*range(0, 200, 14), 200]
    assert all(json.loads(el.get_attribute("data-bits")) == frames[t]["v"]
               for el, t in zip(film, ts, strict=True))
    assert page.find("#chain").is_enabled()
    page.check_clean()


def test_the_filters_are_32_tiles_of_the_weights(page):
    page.open("/rbm", ready=READY)
    tiles = page.driver.find_elements(By.CSS_SELECTOR, "#filters canvas")
    assert len(tiles) == 32 == rbm.N_HIDDEN
    W = rbm.rbm_model().W.detach()  # (64, 32)
    side, px = page.js("""const c = document.querySelectorAll('#filters canvas')[arguments[0]];
        return [c.width, Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.width).data)];""",
                       5)  # tile 5: its width and RGBA bytes
    cell = side // 8

    def rgb(k: int) -> list[int]:  # the centre pixel of weight k's cell
        y, x = (k // 8) * cell + cell // 2, (k % 8) * cell + cell // 2
        return px[4 * (y * side + x):4 * (y * side + x) + 3]

    hi, lo = int(W[:, 5].argmax()), int(W[:, 5].argmin())
    assert rgb(hi)[0] > rgb(hi)[2] and rgb(lo)[2] > rgb(lo)[0]  # red > 0, blue < 0
    assert "32 units" in page.text("#wmax")
    page.check_clean()


def test_the_dbn_generates_digits_of_the_chosen_class(page):
    page.open("/rbm", ready=READY)
    Select(page.find("#label")).select_by_value("6")  # the page generates on change
    page.wait_text("#dbn-status", lambda t: t.startswith("8 samples of class 6"))
    box = page.find("#samples")
    label, steps, seed = (int(box.get_attribute(f"data-{k}")) for k in ("label", "steps", "seed"))
    assert (label, steps) == (6, 1000)
    images = [json.loads(el.get_attribute("data-bits"))
              for el in page.driver.find_elements(By.CSS_SELECTOR, "#samples-bits .pattern")]
    assert len(images) == 8 and all(len(x) == 64 and set(x) <= {0, 1} for x in images)
    probs = [json.loads(el.get_attribute("data-probs"))
             for el in page.driver.find_elements(By.CSS_SELECTOR, "#samples .pattern")]
    expected = rbm.dbn_model().sample(8, steps=steps, labels=torch.full((8,), 6),
                                      generator=torch.Generator().manual_seed(seed))
    assert torch.tensor(probs) == pytest.approx(expected, abs=1e-3)  # the DBN clamped to 6
    page.click("#again")  # new samples: the next seed
    page.wait_for(lambda d: box.get_attribute("data-seed") == str(seed + 1))
    page.check_clean()


@pytest.mark.parametrize("field, button, typed, message", [
    ("#steps", "#chain", "500", "steps: expected an integer in [1, 200], got 500"),
    ("#dbn-steps", "#generate", "5000", "steps: expected an integer in [1, 2000], got 5000"),
])
def test_a_value_beyond_the_limit_is_refused_with_a_message(page, field, button, typed, message):
    page.open("/rbm", ready=READY)
    el = page.find(field)
    el.clear()
    el.send_keys(typed)
    page.click(button)
    page.wait_text("#message", lambda t: t == message)
    assert page.find("#message").get_attribute("data-status") == "422"
    assert page.find(button).is_enabled()
    page.check_clean(allow_status=(422,))
