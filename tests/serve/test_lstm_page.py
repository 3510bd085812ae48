"""The LSTM page (a character LSTM's samples, gates and memory): its API through Starlette's
TestClient, the gates checked against ``torch.nn.LSTM``'s own ``h_t`` and ``c_t``, and the page
itself in headless Chromium."""

from __future__ import annotations

import pytest
import torch

from neuralzoo.serve import lstm as ls  # noqa: E402

from .test_browser import CHROMIUM, selftest, server  # noqa: E402, F401 (server: a fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx



def ok(r) -> dict:
    assert r.status_code == 200, r.text
    return r.json()


def torch_states(text: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``h_t`` and ``c_t`` (each (T, H)) of the served model's ``torch.nn.LSTM`` itself, run one
    character at a time from its zero state, carrying its own ``(h, c)``."""
    lm = ls.model()["lm"]
    x = lm.encode(lm.encode_text(text)[None])  # (1, T, D)
    hs, cs, state = [], [], None
    with torch.no_grad():
        for t in range(x.shape[1]):
            _, state = lm.lstm(x[:, t:t + 1], state)
            hs.append(state[0][0, 0])
            cs.append(state[1][0, 0])
    return torch.stack(hs), torch.stack(cs)


@pytest.mark.parametrize("text", ["the gates", "a network learns. the memory keeps, a-b,c"])
def test_the_gates_reproduce_torch_lstm(client, text):
    d = ok(client.post("/api/lstm/gates", json={"text": text}))
    T, H = len(text), ls.HIDDEN
    assert d["chars"] == list(text) and d["hidden"] == H
    f, i, o, s, h = (torch.tensor(d[k], dtype=torch.float64) for k in "fios" + "h")
    for g in (f, i, o, s, h):
        assert g.shape == (T, H)
    for g in (f, i, o):  # sigmoids: strictly inside (0, 1)
        assert 0 < g.min() and g.max() < 1
    h_ref, c_ref = torch_states(text)
    assert s == pytest.approx(c_ref.double(), abs=1e-5)  # s_t is nn.LSTM's c_t
    assert h == pytest.approx(h_ref.double(), abs=1e-5)
    assert o * torch.tanh(s) == pytest.approx(h_ref.double(), abs=1e-5)  # h_t = o_t tanh(s_t)
    # s_t = f_t s_{t-1} + i_t c~_t: the candidate recovered from the shown values lies in [-1, 1]
    # and equals the one the reference trace computed
    tr = ls.gate_trace(ls.model()["lm"], ls.model()["lm"].encode_text(text))
    prev = torch.cat([torch.zeros(1, H, dtype=torch.float64), s[:-1]])
    assert f * prev + i * tr["c"].double() == pytest.approx(c_ref.double(), abs=1e-5)
    assert tr["c"].abs().max() <= 1


def test_the_gates_are_not_trivial(client):
    """A trained model: its gates vary across characters and cells (not all 0.5)."""
    d = ok(client.post("/api/lstm/gates", json={"text": "the hopfield network remembers"}))
    for k in "fio":
        g = torch.tensor(d[k])
        assert g.std() > 0.05 and (g.max() - g.min()) > 0.3, k


def test_sampling_is_repeatable_and_starts_with_the_prompt(client):
    body = {"prompt": "the network ", "n": 150, "temperature": 0.7, "seed": 11}
    a = ok(client.post("/api/lstm/sample", json=body))
    b = ok(client.post("/api/lstm/sample", json=body))
    assert a["text"] == b["text"] and len(a["text"]) == len("the network ") + 150
    assert a["text"].startswith("the network ") and set(a["text"]) <= set(ls.model()["vocab"])
    c = ok(client.post("/api/lstm/sample", json={**body, "seed": 12}))
    assert c["text"] != a["text"]
    # the library's sampler with the same seed gives the same text
    lm = ls.model()["lm"]
    assert lm.sample_text("the network ", 150, temperature=0.7, generator=11) == a["text"]
    # trained on the text: at a low temperature most sampled words are words of the text
    words = set(ls.TEXT.replace(".", " ").replace(",", " ").split())
    low = ok(client.post("/api/lstm/sample", json={**body, "temperature": 0.3, "n": 300}))
    got = low["text"].replace(".", " ").replace(",", " ").split()[2:-1]
    assert sum(w in words for w in got) / len(got) > 0.6, low["text"]
    assert ok(client.post("/api/lstm/sample", json={"prompt": "a", "n": 0}))["text"] == "a"
    info = ok(client.get("/api/lstm/info"))
    assert info["hidden"] == ls.HIDDEN and info["loss"] < 1.0 and info["vocab"] == ls.model()["vocab"]


def refused(r, status: int, *fragments: str) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    msg = r.json()["error"]
    assert "\n" not in msg and "Traceback" not in msg
    for f in fragments:
        assert f in msg, (f, msg)


@pytest.mark.parametrize("path, body, status, fragments", [
    ("sample", b"{not json", 400, ("malformed JSON",)),
    ("sample", b"[1]", 400, ("expected a JSON object",)),
    ("sample", b'{"prompt": "The Net!"}', 422, ("prompt", "unknown characters", "'!'", "'N'",
                                                 "'T'")),
    ("sample", b'{"prompt": ""}', 422, ("prompt", "1 to 200 characters", "got 0")),
    ("sample", b'{"prompt": 3}', 422, ("prompt: expected a string", "3")),
    ("sample", b'{"n": 401}', 422, ("n", "[0, 400]", "401")),
    ("sample", b'{"n": -1}', 422, ("n", "[0, 400]", "-1")),
    ("sample", b'{"temperature": 0}', 422, ("temperature", "(0, 2]", "0")),
    ("sample", b'{"temperature": 2.5}', 422, ("temperature", "2.5")),
    ("sample", b'{"temperature": "hot"}', 422, ("temperature", "'hot'")),
    ("sample", b'{"seed": 1.5}', 422, ("seed", "1.5")),
    ("gates", b'{"text": "caf\\u00e9"}', 422, ("text", "unknown characters", "'\u00e9'")),
    ("gates", b'{"text": "' + b"a" * 81 + b'"}', 422, ("text", "1 to 80 characters", "81")),
    ("gates", b'{"text": null}', 422, ("text: expected a string", "None")),
])
def test_bad_requests_are_refused(client, path, body, status, fragments):
    refused(client.post("/api/lstm/" + path, content=body), status, *fragments)
    assert client.post("/api/lstm/gates", json={"text": "ok"}).status_code == 200


def test_the_page_is_served_and_linked_from_every_page(client):
    from neuralzoo.serve.app import PAGES

    assert PAGES["lstm"] == "lstm.html"
    for page in PAGES:
        html = client.get("/" + page).text
        assert '<a href="/lstm">LSTM</a>' in html or \
            '<a class="here" href="/lstm">LSTM</a>' in html, page


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not found: install it (Debian: "
                    "apt-get install chromium) to run the playground's browser tests")
def test_lstm_page_samples_and_draws_the_gates(server, client):  # noqa: F811
    r = selftest(server + "/lstm")
    assert r["prompt"] == "the network " and r["text"].startswith("the network ")
    assert len(r["text"]) == len("the network ") + 120 and r["repeat_equal"]
    assert r["shown"] == r["text"] and r["other_seed_text"] != r["text"]
    assert r["chars"] == list("the network ") and r["hidden"] == ls.HIDDEN
    assert all(w > 0 for w in r["widths"])
    assert r["mismatches"] == {"f": 0, "i": 0, "o": 0, "s": 0}  # every cell shows its value
    # the page shows the server's gates: the same as computed here
    want = ok(client.post("/api/lstm/gates", json={"text": "the network "}))
    for k in "fio":
        assert torch.tensor(r["gates"][k]) == pytest.approx(torch.tensor(want[k]), abs=1e-5)
    assert r["unknown_refused"] == 422 and r["message"].startswith("prompt: expected only")
    assert "'!'" in r["message"]
