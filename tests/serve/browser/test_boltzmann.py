"""The Boltzmann machine page in a real browser (Selenium, headless Chromium): move the
temperature slider, run the machine and watch the visited states' frequencies approach the exact
distribution the server enumerates, anneal into the ground state, learn, and refuse T = 0."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request

import pytest

READY = "body[data-ready='1']"


def type_into(page, css: str, text: str) -> None:
    el = page.find(css)
    el.clear()
    el.send_keys(text)


def test_run_converges_to_the_exact_boltzmann_distribution(page):
    page.open("/boltzmann", ready=READY)
    # move the temperature slider as a person would
    page.js("const s = document.getElementById('T-slider'); s.value = arguments[0];"
            "s.dispatchEvent(new Event('input', {bubbles: true}));", "1.5")
    page.wait_for(lambda d: page.find("#bars").get_attribute("data-t") == "1.5")
    assert page.js("return document.getElementById('T').value") == "1.5"
    exact = page.api("/api/boltzmann/machine", {"n": 5, "seed": 0, "T": 1.5})
    assert page.data("#bars", "exact") == exact["p"]  # the bars are the server's exact P(α)

    page.click("#run")
    page.wait_for(lambda d: page.find("#status").get_attribute("data-phase") == "done")
    tv = page.data("#tv-curve", "tv")
    assert len(tv) == 100  # every streamed frame was drawn
    assert tv[-1] < 0.05 and tv[-1] < tv[0] / 3  # 0.033 and 0.30 for this seed
    assert max(tv[50:]) < 0.06
    freq = page.data("#bars", "freq")
    assert sum(freq) == pytest.approx(1.0)
    shown = 0.5 * sum(abs(f - p) for f, p in zip(freq, exact["p"]))
    assert math.isclose(shown, tv[-1], abs_tol=1e-9)
    assert f"TV = {tv[-1]:.4f}" in page.text("#status")
    # the page shows the server's chain: the same frames from the same seeds
    frames = page.api("/api/boltzmann/gibbs", {"n": 5, "seed": 0, "T": 1.5, "steps": 4000,
                                                "chain_seed": 0})
    assert freq == frames[-1]["freq"] and page.data("#graph", "state") == frames[-1]["state"]
    page.check_clean()


def test_anneal_ends_at_the_ground_state_energy(page):
    page.open("/boltzmann", ready=READY)
    page.click("#anneal")
    st = "#anneal-status"
    page.wait_for(lambda d: page.find(st).get_attribute("data-phase") == "done")
    ground = page.api("/api/boltzmann/machine", {"n": 5, "seed": 0, "T": 1})["ground"]
    assert float(page.find(st).get_attribute("data-final-energy")) == ground["energy"]
    assert float(page.find(st).get_attribute("data-ground-energy")) == ground["energy"]
    assert page.find(st).get_attribute("data-final") == "".join(map(str, ground["state"]))
    energies, temps = page.data("#anneal-curve", "energies"), page.data("#anneal-curve", "temps")
    assert len(energies) == len(temps) == 300 and temps[0] == 10 and temps[-1] == 0.05
    assert energies[-1] == min(energies) == ground["energy"]
    assert "reached" in page.text(st)
    page.check_clean()


def test_a_temperature_of_zero_is_refused_with_a_message(page):
    page.open("/boltzmann", ready=READY)
    type_into(page, "#T", "0")
    page.click("#run")
    msg = page.wait_text("#message", lambda t: "got 0" in t)
    assert msg.startswith("T: expected a temperature in [0.01, 100]")
    assert page.find("#message").get_attribute("data-status") == "422"
    assert page.find("#status").get_attribute("data-phase") == "failed"
    try:  # the server's own answer to that request
        page.api("/api/boltzmann/gibbs", {"n": 5, "seed": 0, "T": 0})
        raise AssertionError("T = 0 was accepted")
    except urllib.error.HTTPError as err:
        assert err.code == 422 and json.loads(err.read())["error"] == msg
    # a good value again: the message goes, the bars follow it
    type_into(page, "#T", "2")
    page.wait_for(lambda d: page.find("#bars").get_attribute("data-t") == "2")
    assert page.text("#message") == ""
    page.check_clean(allow_status=(422,))


def test_learning_brings_the_machine_to_the_data(page):
    from selenium.webdriver.support.ui import Select

    page.open("/boltzmann", ready=READY)
    page.click("#learn")
    st = "#learn-status"
    page.wait_for(lambda d: page.find(st).get_attribute("data-phase") == "done")
    p_data, p_model = page.data("#learn-bars", "p-data"), page.data("#learn-bars", "p-model")
    frames = page.api("/api/boltzmann/learn", {"data": "patterns"})
    assert p_data == frames[0]["p_data"] and p_model == frames[-1]["p_model"]
    assert [k for k, p in enumerate(p_data) if p] == [7, 42, 56]  # 000111, 101010, 111000
    assert sum(p_model[k] for k in (7, 42, 56)) > 0.9
    kl = page.data("#kl-curve", "kl")
    assert kl == [f["kl"] for f in frames] and kl[-1] < 0.06 < 1.0 < kl[0]
    assert f"KL = {kl[-1]:.4f}" in page.text(st)
    assert len(page.find("#learn-table").find_elements("css selector", "tr")) == 5
    # run the learned machine above: its 6 + 2 units, 256 joint states
    Select(page.find("#source")).select_by_value("learned")
    page.wait_for(lambda d: len(page.data("#bars", "exact")) == 256)
    assert "the learned machine (6 visible + 2 hidden units)" in page.text("#state-line")
    page.check_clean()
