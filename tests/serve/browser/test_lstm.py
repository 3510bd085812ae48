"""The LSTM page in a real browser (Selenium, headless Chromium): a typed prompt's text streams
in and grows, its gates are drawn one column per character with the server's values, the
gradient plot draws the RNN's and the LSTM's curves as the server computed them, and a prompt
the model cannot read is refused on the page with a 4xx."""

from __future__ import annotations

import json

from selenium.webdriver.support.ui import Select

PROMPT = "KING RICHARD:"


def open_lstm(page):
    """The page, once its first sample, gates and gradient plot are shown."""
    page.open("/lstm", ready="#grad-plot polyline")
    page.wait_for(lambda d: page.find("#sampled").get_attribute("data-done") == "1"
                  and page.find("#maps-card").get_attribute("data-text"))
    return page


def set_range(page, css: str, value: str) -> None:
    """Move a slider as a person would end up: its value set, its 'input' event fired."""
    page.js("const e = document.querySelector(arguments[0]); e.value = arguments[1]; "
            "e.dispatchEvent(new Event('input'))", css, value)


def shown_text(page) -> str:
    return page.js("return document.getElementById('sampled').textContent")


def test_a_typed_prompt_streams_growing_text_and_its_gates_are_drawn(page):
    open_lstm(page)
    box = page.find("#prompt")
    box.clear()
    box.send_keys(PROMPT)
    set_range(page, "#n", "300")
    seed = page.find("#seed")
    seed.clear()
    seed.send_keys("4")
    # every length the text takes on the page, as it changes
    page.js("window.lens = []; const el = document.getElementById('sampled'); new MutationObserver("
            "() => lens.push(el.textContent.length)).observe(el, {childList: true, "
            "characterData: true, subtree: true});")
    page.click("#sample")
    page.wait_for(lambda d: shown_text(page).startswith(PROMPT)
                  and page.find("#sampled").get_attribute("data-done") == "1")
    text = shown_text(page)
    want = page.api("/api/lstm/sample", {"prompt": PROMPT, "n": 300, "temperature": 0.7,
                                          "seed": 4})
    assert text == want[-1]["text"] and len(text) == len(PROMPT) + 300
    assert page.text("#sampled b") == PROMPT
    lens = page.js("return lens")
    assert lens[0] == len(PROMPT) and lens[-1] == len(text)  # the prompt first, then growing
    assert all(a <= b for a, b in zip(lens, lens[1:])) and len(set(lens)) > 20, lens

    # the gates of the text's first characters: one column per character, the server's values
    analysed = text[:80]
    page.wait_for(lambda d: page.find("#maps-card").get_attribute("data-text") == analysed)
    gates = page.api("/api/lstm/gates", {"text": analysed})
    for key in "fios":
        cv = page.find(f"#map-{key}")
        columns, rows = int(cv.get_attribute("data-columns")), int(cv.get_attribute("data-rows"))
        assert (columns, rows) == (len(analysed), gates["hidden"])
        assert int(cv.get_attribute("width")) == columns * int(cv.get_attribute("data-cell-width"))
        values = json.loads(cv.get_attribute("data-values"))
        assert values == gates[key]
        if key != "s":
            assert all(0 <= v <= 1 for row in values for v in row)
    # the drawing shows them: the cell of the largest forget gate is bluer than the smallest's
    f = gates["f"]
    flat = [(v, t, u) for t, row in enumerate(f) for u, v in enumerate(row)]
    red = page.js("""const cv = document.getElementById('map-f'), cw = +cv.dataset.cellWidth;
        return arguments[0].map(([t, u]) => cv.getContext('2d')
          .getImageData(t * cw + 1, u * 3 + 1, 1, 1).data[0]);""",
                  [[t, u] for _, t, u in (max(flat), min(flat))])
    assert red[0] < red[1] - 100, red
    page.check_clean()


def test_the_gradient_plot_draws_the_server_curves_rnn_below_lstm_at_the_far_end(page):
    open_lstm(page)
    set_range(page, "#T", "100")
    Select(page.find("#windows")).select_by_visible_text("128")
    page.click("#gradients")
    page.wait_text("#grad-status", lambda t: t.startswith("128 windows of 100 characters"))
    want = page.api("/api/lstm/gradients", {"T": 100, "windows": 128})
    lines = page.driver.find_elements("css selector", "#grad-plot polyline.curve")
    shown = {el.get_attribute("data-key"): el for el in lines}
    assert {"rnn_h", "lstm_s"} <= set(shown) and len(lines) >= 2
    for key, el in shown.items():
        assert json.loads(el.get_attribute("data-values")) == want["curves"][key]

    def last_y(key: str) -> float:  # SVG y grows downwards
        return float(shown[key].get_attribute("points").split()[-1].split(",")[1])

    # the server says the RNN's gradient ends below the LSTM memory's; the plot shows it so
    assert want["curves"]["rnn_h"][-1] < want["curves"]["lstm_s"][-1]
    assert last_y("rnn_h") > last_y("lstm_s") + 5
    axes = page.text("#grad-plot")
    assert "distance T" in axes and "log scale" in axes and "1e0" in axes
    assert f"RNN \u00d7{want['far']['rnn_h']:.2f}" in page.text("#grad-status")
    page.check_clean()


def test_a_prompt_the_model_cannot_read_is_refused_on_the_page(page):
    open_lstm(page)
    box = page.find("#prompt")
    box.clear()
    box.send_keys("Romeo #1")
    page.click("#sample")
    msg = page.wait_text("#message", lambda t: "unknown characters" in t)
    assert msg.startswith("prompt: expected only characters") and "'#'" in msg and "'1'" in msg
    status = page.wait_for(lambda d: page.js(
        "return performance.getEntriesByType('resource').filter((e) => "
        "e.name.endsWith('/api/lstm/sample')).map((e) => e.responseStatus)")[-1])
    assert status == 422
    assert not page.find("#sample").get_attribute("disabled")  # the page is usable again
    page.click("#gradients")  # a good request clears the message
    page.wait_for(lambda d: page.text("#message") == "")
    page.check_clean(allow_status=(422,))
