"""The CNN page in a real browser (Selenium, headless Chromium): the lecture's worked example
stepped through with the step button, an example test digit classified with every layer's maps
drawn, a digit drawn with the mouse, and a bad test-digit number refused on the page. What the
page shows is checked against the server's own answers."""

from __future__ import annotations

import json

LAYERS = {"input": 1, "C1": 6, "S2": 6, "C3": 16, "S4": 16, "C5": 1, "F6": 1, "output": 1}


def shown_output(page) -> list[list[str]]:
    return page.js("return [...document.querySelectorAll('#output tr')]"
                   ".map((tr) => [...tr.cells].map((td) => td.textContent))")


def answered(page) -> int:
    """How many LeNet answers the page has drawn."""
    return int(page.find("#result").get_attribute("data-version") or 0)


def opened(page) -> None:
    """The page open, with its first answer (the first test 3, loaded on opening) drawn."""
    page.open("/cnn", ready="#examples button")
    page.wait_for(lambda d: answered(page) == 1)
    assert page.find("#predicted").get_attribute("data-class") == "3"


def test_the_lecture_example_shows_each_number_as_the_kernel_steps(page):
    want = page.api("/api/cnn/lecture")["output"]  # 7x7
    page.open("/cnn", ready="#output td")
    assert all(t == "" for row in shown_output(page) for t in row)  # nothing before a step
    for k in range(49):
        page.click("#step")
        if k < 3 or k % 8 == 0 or k == 48:  # the k + 1 numbers so far, and no more
            shown = [t for row in shown_output(page) for t in row]
            assert all(t != "" for t in shown[:k + 1]) and all(t == "" for t in shown[k + 1:]), k
            assert [float(t) for t in shown[:k + 1]] == [v for row in want for v in row][:k + 1]
        if k == 2:
            assert shown[:3] == ["0", "8", "8"]  # the lecture's first row: 0, 8, 8
    numbers = [[float(t) for t in row] for row in shown_output(page)]
    assert numbers == want and numbers[-1][-1] == 6
    assert page.text("#pos") == "position 49 of 49" and page.text("#calc").endswith("= 6")
    page.click("#step")  # past the end: nothing changes
    assert page.text("#pos") == "position 49 of 49"
    page.check_clean()


def test_an_example_test_digit_is_classified_and_every_layer_drawn(page):
    opened(page)
    examples = page.api("/api/cnn/examples")
    for n, label in enumerate((8, 5)):
        page.click(f"#examples button[data-label='{label}']")
        page.wait_for(lambda d, n=n: answered(page) == 2 + n)
        pred = page.find("#predicted")
        assert pred.get_attribute("data-class") == str(label)
        assert f"predicted: {label}" in pred.text and f"\u2713 label {label}" in pred.text
        k = examples["labels"].index(label)
        want = page.api("/api/cnn/lenet", {"pixels": examples["digits"][k]})
        assert json.loads(page.find("#probs").get_attribute("data-probs")) == want["probs"]
        assert json.loads(page.find("#seen").get_attribute("data-input")) == want["input"]
        layers = page.js("return [...document.querySelectorAll('#maps .layer')].map((el) => "
                         "[el.dataset.layer, Number(el.dataset.maps), el.dataset.shape, "
                         "el.querySelectorAll('canvas').length])")
        assert [name for name, *_ in layers] == list(LAYERS)
        for (name, maps, shape, canvases), layer in zip(layers, want["layers"]):
            assert maps == canvases == LAYERS[name], name
            assert shape == "x".join(map(str, layer["shape"])), name
        # every map drawn: each canvas has a pixel that is not white
        blank = page.js("return [...document.querySelectorAll('#maps canvas')].filter((c) => {"
                        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                        " for (let i = 0; i < d.length; i += 4)"
                        "   if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) return false;"
                        " return true; }).length")
        assert blank == 0
    page.check_clean()


def test_a_digit_drawn_with_the_mouse_is_sent_and_classified(page):
    opened(page)
    page.click("#clear")
    assert page.find("#pad").get_attribute("data-ink") == "0"
    assert page.find("#probs").get_attribute("data-probs") is None and page.text("#predicted") == ""
    page.draw("#pad", [(0.5, 0.1), (0.5, 0.3), (0.5, 0.5), (0.5, 0.7), (0.5, 0.9)])  # a "1"
    ink = int(page.find("#pad").get_attribute("data-ink"))
    assert ink > 50
    # the answer drawn last is the one for the whole stroke
    page.wait_for(lambda d: page.find("#result").get_attribute("data-ink") == str(ink))
    seen = json.loads(page.find("#seen").get_attribute("data-input"))  # the 8x8 the server read
    cols = [sum(row[j] for row in seen) for j in range(8)]
    assert cols[3] > 0 and cols[4] > 0 and cols[0] == cols[1] == cols[6] == cols[7] == 0
    assert all(seen[i][3] + seen[i][4] > 0 for i in range(1, 7))  # from top to bottom
    probs = json.loads(page.find("#probs").get_attribute("data-probs"))
    assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-3
    assert len(page.driver.find_elements("css selector", "#probs .prob")) == 10
    predicted = int(page.find("#predicted").get_attribute("data-class"))
    assert predicted == max(range(10), key=probs.__getitem__) == 1
    want = page.api("/api/cnn/lenet", {"pixels": [v for row in seen for v in row]})
    assert want["probs"] == probs and want["predicted"] == predicted
    page.check_clean()


def test_a_bad_test_digit_number_is_refused_on_the_page(page):
    opened(page)
    field = page.find("#index")
    field.clear()
    field.send_keys("400")
    page.click("#load")
    msg = page.wait_text("#message", lambda t: t != "")
    assert msg == "index: expected an integer in [0, 359], got 400"
    assert answered(page) == 1 and page.find("#predicted").get_attribute("data-class") == "3"
    field.clear()
    field.send_keys("17")
    page.click("#load")
    page.wait_for(lambda d: answered(page) == 2)
    label = page.api("/api/cnn/digit", {"index": 17})["label"]
    assert page.text("#message") == "" and page.text("#truth") == f"test digit #17, label {label}"
    page.check_clean(allow_status=(422,))
