"""The LSTM page (a character LSTM's samples, gates and memory; the vanishing gradient of an RNN
against an LSTM): the shipped models, the API through Starlette's TestClient, the gates checked
against ``torch.nn.LSTM``'s own ``h_t`` and ``c_t``, and the gradients against PyTorch's own
layers run from a given state, finite differences and the hand-written BPTT; character models
from run folders written by the library (``"run": name``) against the runs' own models, and the
runs that cannot serve the page refused with what was expected. The page in a browser:
``tests/serve/browser/test_lstm.py``."""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch
import torch.nn.functional as F

from neuralzoo import LSTM
from neuralzoo.datasets import text as text_data
from neuralzoo.models.recurrent.elman import ElmanRNN, bptt
from neuralzoo.serve import _shipped
from neuralzoo.serve import lstm as ls
from neuralzoo.serve import lstm_cells as cells

from .answers import frames, ok, refused

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TestClient over httpx


# -- the shipped models --------------------------------------------------------------------------
def heldout_text() -> tuple[str, str]:
    """tiny-shakespeare's held-out split (its last 5%), else the held-out start kept in the
    shipped metadata: ``(where, text)``."""
    try:
        corpus = text_data.Corpus.load(ls.CORPUS)
    except text_data.TextFileError:
        return "metadata", json.loads(ls.model("lstm")[1]["heldout"])
    return "val split", corpus.text[-len(corpus.split("val")):]


@pytest.mark.parametrize("family", ["lstm", "rnn"])
def test_the_shipped_models_load_and_predict_held_out_shakespeare(family, capsys):
    name = f"char-{family}"
    assert _shipped.path(name).is_file(), f"write it: benchmarks/train_playground.py {name}"
    assert _shipped.path(name).stat().st_size < 400_000
    state, meta = _shipped.load(name)
    net, served_meta = ls.model(family)
    assert served_meta == meta and meta["corpus"] == ls.CORPUS and meta["family"] == family
    assert all(torch.equal(v, state[k]) for k, v in net.state_dict().items())  # the file's weights
    vocab = json.loads(meta["vocab"])
    assert net.vocab == vocab == ls.vocab() and len(vocab) == 65 and "\n" in vocab
    where, heldout = heldout_text()
    loss, entropy = ls.heldout_loss(net, heldout), ls.unigram_entropy(heldout)
    with capsys.disabled():
        print(f"\n{name}: held-out loss ({where}, {len(heldout)} characters) {loss:.4f} nats per "
              f"character, unigram entropy {entropy:.4f}")
    assert loss < entropy - 1.2
    excerpt = json.loads(meta["heldout"])  # the stored loss is that of the stored excerpt
    assert len(excerpt) == ls.HELDOUT_CHARS and excerpt in heldout_text()[1]
    assert ls.heldout_loss(net, excerpt) == pytest.approx(float(meta["heldout_loss"]), abs=1e-4)
    sample = net.sample_text("ROMEO:\n", 300, temperature=0.8, generator=3)
    assert sample.startswith("ROMEO:\n") and len(sample) == 307 and set(sample) <= set(vocab)
    words = sample.split()  # trained on English verse: mostly short words, not a character soup
    assert sum(len(w) <= 8 for w in words) / len(words) > 0.9 and len(words) > 30


def test_without_shakespeare_and_files_both_train_on_the_built_in_text(monkeypatch):
    """The fallback: no corpus found, nothing shipped: the models train on ``TEXT`` (fast) and
    say so."""
    monkeypatch.setenv("NEURALZOO_DATA", "/nonexistent")
    monkeypatch.setenv("HOME", "/nonexistent")
    name, vocab, train, heldout = ls.corpus_texts()
    assert name == ls.BUILTIN and heldout == ls.TEXT and vocab == "".join(sorted(set(ls.TEXT)))
    monkeypatch.setitem(ls.TRAIN, ls.BUILTIN, {**ls.TRAIN[ls.BUILTIN], "epochs": 4})
    net, meta = ls.train_char_lstm()
    assert meta["corpus"] == ls.BUILTIN and json.loads(meta["vocab"]) == vocab
    assert isinstance(net, LSTM) and set(net.sample_text("the ", 50)) <= set(vocab)
    assert float(meta["heldout_loss"]) < ls.unigram_entropy(heldout)


# -- sampling, streamed --------------------------------------------------------------------------
def test_sampling_streams_one_frame_per_character_and_repeats(client):
    body = {"prompt": "KING HENRY:\n", "n": 120, "temperature": 0.7, "seed": 11}
    a = frames(client.post("/api/lstm/sample", json=body))
    assert a[0] == {"prompt": "KING HENRY:\n", "n": 120, "temperature": 0.7, "seed": 11,
                    "source": "shipped char-lstm"}
    chars = [f["chars"] for f in a[1:-1]]
    assert len(chars) == 120 and all(len(c) == 1 for c in chars)
    assert a[-1] == {"done": True, "text": body["prompt"] + "".join(chars)}
    lm = ls.model("lstm")[0]  # the library's sampler with the same seed draws the same text
    assert lm.sample_text(body["prompt"], 120, temperature=0.7, generator=11) == a[-1]["text"]
    assert frames(client.post("/api/lstm/sample", json=body)) == a
    other = frames(client.post("/api/lstm/sample", json={**body, "seed": 12}))
    assert other[-1]["text"] != a[-1]["text"] and set(other[-1]["text"]) <= set(ls.vocab())
    assert frames(client.post("/api/lstm/sample", json={"prompt": "a", "n": 0}))[-1]["text"] == "a"


def test_a_stream_between_frames_leaves_the_threads_grad_mode_alone():
    """The server's pool runs each next() of a stream on any of its threads: grad mode (per
    thread) must not stay switched off between frames, nor be needed by the gradients."""
    stream = ls.sample({"prompt": "a", "n": 5})
    next(stream), next(stream)  # the prompt frame, the first character
    assert torch.is_grad_enabled()
    stream.close()
    net = tiny("rnn")
    ids = torch.randint(0, 4, (2, 6), generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        g = cells.state_gradients(net, ids)["h"]
    assert g == pytest.approx(cells.state_gradients(net, ids)["h"])


def test_info_names_the_corpus_and_both_models(client):
    d = ok(client.get("/api/lstm/info"))
    assert d["corpus"] == ls.CORPUS and d["vocab"] == ls.vocab()
    m, r = d["models"]["lstm"], d["models"]["rnn"]
    assert (m["hidden"], r["hidden"]) == (ls.HIDDEN["lstm"], ls.HIDDEN["rnn"])
    assert m["params"] == sum(p.numel() for p in ls.model("lstm")[0].parameters())
    assert 0.8 < m["params"] / r["params"] < 1.25  # comparable sizes
    assert max(m["heldout_loss"], r["heldout_loss"]) < d["unigram_entropy"] - 1.0


# -- the gates -----------------------------------------------------------------------------------
def torch_states(text: str, lm=None) -> tuple[torch.Tensor, torch.Tensor]:
    """``h_t`` and ``c_t`` (each (T, H)) of the first layer of a model's ``torch.nn.LSTM`` itself
    (the served model by default), run one character at a time from its zero state, carrying
    its own ``(h, c)``."""
    lm = ls.model("lstm")[0] if lm is None else lm
    x = lm.encode(lm.encode_text(text)[None])  # (1, T, D)
    hs, cs, state = [], [], None
    with torch.no_grad():
        for t in range(x.shape[1]):
            _, state = lm.lstm(x[:, t:t + 1], state)
            hs.append(state[0][0, 0])  # layer 1, window 0
            cs.append(state[1][0, 0])
    return torch.stack(hs), torch.stack(cs)


def check_gates(d: dict, text: str, lm) -> None:
    """The gates answer of ``text`` against ``lm``'s ``torch.nn.LSTM`` (its first layer)."""
    T, H = len(text), lm.H
    assert d["chars"] == list(text) and d["hidden"] == H
    f, i, o, s, h = (torch.tensor(d[k], dtype=torch.float64) for k in "fios" + "h")
    for g in (f, i, o, s, h):
        assert g.shape == (T, H)
    for g in (f, i, o):  # sigmoids: strictly inside (0, 1)
        assert 0 < g.min() and g.max() < 1
    h_ref, c_ref = torch_states(text, lm)
    assert s == pytest.approx(c_ref.double(), abs=1e-5)  # s_t is nn.LSTM's c_t
    assert h == pytest.approx(h_ref.double(), abs=1e-5)
    assert o * torch.tanh(s) == pytest.approx(h_ref.double(), abs=1e-5)  # h_t = o_t tanh(s_t)
    # s_t = f_t s_{t-1} + i_t c_t with the candidate of the trace, which lies in [-1, 1]
    tr = cells.gate_trace(lm, lm.encode_text(text))
    prev = torch.cat([torch.zeros(1, H, dtype=torch.float64), s[:-1]])
    assert f * prev + i * tr["c"] == pytest.approx(c_ref.double(), abs=1e-5)
    assert tr["c"].abs().max() <= 1


@pytest.mark.parametrize("text", ["ROMEO:", "Good morrow, cousin.\nWhat's o'clock? 3 & $!"])
def test_the_gates_reproduce_torch_lstm(client, text):
    d = ok(client.post("/api/lstm/gates", json={"text": text}))
    assert (d["layer"], d["layers"], d["source"]) == (1, 1, "shipped char-lstm")
    check_gates(d, text, ls.model("lstm")[0])


def test_the_gates_are_not_trivial(client):
    """A trained model: its gates vary across characters and cells (not all 0.5)."""
    d = ok(client.post("/api/lstm/gates", json={"text": "First Citizen:\nBefore we proceed"}))
    for k in "fio":
        g = torch.tensor(d[k])
        assert g.std() > 0.05 and (g.max() - g.min()) > 0.5, k


# -- the gradients -------------------------------------------------------------------------------
def tiny(family: str, layers: int = 1, recurrence: str = "full"):
    """A random model over 4 characters, 6 units a layer (seed 0)."""
    torch.manual_seed(0)
    extra = {} if family == "lstm" else {"recurrence": recurrence}
    cls = LSTM if family == "lstm" else ElmanRNN
    net = cls(n_outputs=4, hidden=6, num_layers=layers, task="sequence", vocab="abcd",
              **extra).eval()
    with torch.no_grad():  # larger weights than the initialisation: saturating, varied units
        for p in net.parameters():
            p.mul_(3.0)
    return net


def torch_layers(net) -> list:
    """Each layer of ``net`` as a one-layer ``torch.nn.LSTM`` / ``nn.RNN`` (tanh, float64)
    holding its weights (PyTorch's own layers, run step by step by PyTorch)."""
    lstm = isinstance(net, LSTM)
    weights = dict((net.lstm if lstm else net.to_torch()).named_parameters())
    out = []
    for l in range(net.L):
        layer = (torch.nn.LSTM if lstm else torch.nn.RNN)(
            net.D if l == 0 else net.H, net.H, batch_first=True).double()
        with torch.no_grad():
            for k, p in layer.named_parameters():  # weight_ih_l0 <- weight_ih_l{l}, ...
                p.copy_(weights[k[:-1] + str(l)])
        out.append(layer)
    return out


def split_run(net, ids, t: int):
    """The oracle of the top layer's ``dL_T/dh_t`` and (LSTM) ``dL_T/ds_t``: PyTorch's own layers
    (float64): those below the top run whole (nothing in them depends on the top layer), the
    top one runs steps 1..t, then steps t+1..T from ``(h_t, s_t)`` given as leaves;
    ``h_t = o_t tanh(s_t)`` with ``o_t`` from torch's own output-gate rows, so that the memory's
    derivative is the total one (through s_{t+1} and through h_t). Returns the two gradients,
    ``s_t`` and ``s_t -> L_T`` for finite differences."""
    lstm = isinstance(net, LSTM)
    *below, layer = torch_layers(net)
    V, c = net.V.detach().double(), net.c.detach().double()
    x, y = net.encode(ids[:, :-1]).double(), ids[:, -1]  # (N, T, D), (N,)
    T, H = x.shape[1], net.H
    with torch.no_grad():
        for lower in below:
            x, _ = lower(x)  # (N, T, H): the top layer's inputs
        out, state = layer(x[:, :t])

    def loss(h_t, s_t=None):
        if t == T:
            h_T = h_t
        else:
            rest, _ = layer(x[:, t:], (h_t[None], s_t[None]) if lstm else h_t[None])
            h_T = rest[:, -1]
        return F.cross_entropy(h_T @ V.T + c, y, reduction="sum")

    if not lstm:
        h = state[0].clone().requires_grad_()
        return torch.autograd.grad(loss(h), h)[0], None, None, None
    h_t, s_t = state[0][0], state[1][0]
    h_prev = out[:, t - 2] if t > 1 else torch.zeros_like(h_t)
    rows = slice(3 * H, 4 * H)  # torch's blocks: (i, f, g, o)
    o_t = torch.sigmoid(x[:, t - 1] @ layer.weight_ih_l0[rows].T + h_prev @ layer.weight_hh_l0[rows].T
                        + layer.bias_ih_l0[rows] + layer.bias_hh_l0[rows]).detach()
    assert o_t * torch.tanh(s_t) == pytest.approx(h_t, abs=1e-12)
    h = h_t.clone().requires_grad_()
    dh = torch.autograd.grad(loss(h, s_t), h)[0]
    s = s_t.clone().requires_grad_()
    ds = torch.autograd.grad(loss(o_t * torch.tanh(s), s), s)[0]
    return dh, ds, s_t, lambda s_new: loss(o_t * torch.tanh(s_new), s_new)


@pytest.mark.parametrize("family, layers", [("lstm", 1), ("rnn", 1), ("lstm", 2), ("rnn", 2)])
def test_state_gradients_equal_pytorch_layers_run_from_the_state(family, layers):
    net = tiny(family, layers)
    ids = torch.randint(0, 4, (3, 9), generator=torch.Generator().manual_seed(1))  # T = 8
    g = cells.state_gradients(net, ids)
    assert set(g) == ({"h", "s"} if family == "lstm" else {"h"})
    for t in range(1, 9):
        dh, ds, _, _ = split_run(net, ids, t)
        assert g["h"][:, t - 1] == pytest.approx(dh, abs=1e-10, rel=1e-8)
        if family == "lstm":
            assert g["s"][:, t - 1] == pytest.approx(ds, abs=1e-10, rel=1e-8)
    assert g["h"][:, 0].abs().max() > 1e-4  # the error does reach the first step


@pytest.mark.parametrize("family, recurrence", [("rnn", "diagonal"), ("lstm", "full")])
def test_top_layer_gradients_equal_the_librarys_own_graph(family, recurrence):
    """Two layers, against autograd through the library's own forward pass in float64 (the
    LSTM's reference cells; the diagonal Elman network, ``W = diag(w)``, which torch lacks)."""
    net = tiny(family, 2, recurrence)
    ids = torch.randint(0, 4, (3, 8), generator=torch.Generator().manual_seed(5))  # T = 7
    twin = copy.deepcopy(net).double()
    hs = twin.hidden_states(ids[:, :-1])  # T x (N, H): the top layer's h_t, nodes of its graph
    L_T = F.cross_entropy(hs[-1] @ twin.V.T + twin.c, ids[:, -1], reduction="sum")
    want = torch.stack(torch.autograd.grad(L_T, hs), dim=1)  # (N, T, H)
    assert cells.state_gradients(net, ids)["h"] == pytest.approx(want, abs=1e-12, rel=1e-9)


def test_the_memory_gradient_equals_finite_differences():
    net = tiny("lstm")
    ids = torch.randint(0, 4, (2, 7), generator=torch.Generator().manual_seed(2))  # T = 6
    g = cells.state_gradients(net, ids)["s"]
    eps = 1e-6
    for t in (1, 3, 6):
        _, _, s_t, loss_of_s = split_run(net, ids, t)
        fd = torch.empty_like(s_t)
        for n in range(s_t.shape[0]):
            for j in range(s_t.shape[1]):
                e = torch.zeros_like(s_t)
                e[n, j] = eps
                with torch.no_grad():
                    fd[n, j] = (loss_of_s(s_t + e) - loss_of_s(s_t - e)) / (2 * eps)
        assert g[:, t - 1] == pytest.approx(fd, abs=1e-7)


def test_rnn_gradients_equal_the_hand_written_bptt():
    """``dL_T/dh_t = V^T dL/do_T`` at t = T, then ``W^T diag(1 - h_{t+1}^2) dL/dh_{t+1}``: the
    library's :func:`bptt` (its loss is the mean over the windows: times N)."""
    net = tiny("rnn")
    ids = torch.randint(0, 4, (4, 13), generator=torch.Generator().manual_seed(3))
    p = cells.lecture_weights(net)
    _, _, dh = bptt(net.encode(ids[:, :-1]).double(), ids[:, -1], p["U"], p["W"], p["b"],
                    p["V"], p["c"], last_only=True)
    g = cells.state_gradients(net, ids)["h"]
    assert g == pytest.approx(4 * torch.stack(dh, dim=1), abs=1e-12, rel=1e-9)


def test_far_back_the_rnn_gradient_vanishes_faster_than_the_lstm_memory(client, capsys):
    """On the shipped models and 64 windows of 100 held-out characters (what the page shows
    first): over the far half of the window the RNN's ``||dL_T/dh_t||`` shrinks faster per step
    than the LSTM's ``||dL_T/ds_t||`` and ends below it; close to the loss it is the other way
    round (the LSTM learned to lean on the last few characters). Every curve vanishes."""
    d = ok(client.post("/api/lstm/gradients", json={"T": 100, "windows": 64}))
    assert d["T"] == 100 and d["windows"] == 64 and d["distance"] == list(range(100))
    assert all(len(t) == 101 for t in d["texts"]) and d["corpus"] == ls.CORPUS
    ids, texts = ls.gradient_windows(100, 64)
    assert texts == d["texts"]
    for family in ("lstm", "rnn"):  # the answer is the norms of the gradients, by distance
        for k, g in cells.state_gradients(ls.model(family)[0], ids).items():
            want = g.norm(dim=2).mean(0).flip(0)
            assert torch.tensor(d["curves"][f"{family}_{k}"], dtype=torch.float64) == \
                pytest.approx(want, rel=1e-9)
    c, near, far = d["curves"], d["near"], d["far"]
    assert far["rnn_h"] == pytest.approx(cells.decay_per_step(c["rnn_h"], 50, 99))
    with capsys.disabled():
        print("\nT = 100, 64 windows, per step near (0..10) / far half (50..99), end value: " +
              ", ".join(f"{k} {near[k]:.3f} / {far[k]:.3f}, {c[k][-1]:.2e}" for k in c))
    for v in c.values():
        assert v[-1] < 1e-3 * v[0]
    assert math.log(far["rnn_h"]) < 1.5 * math.log(far["lstm_s"])  # measured 0.894 vs 0.949
    assert c["rnn_h"][-1] < 0.5 * c["lstm_s"][-1]  # measured 1.9e-6 vs 8.9e-6
    assert near["lstm_s"] < near["rnn_h"] - 0.05  # measured 0.621 vs 0.731


def test_decay_per_step_fits_a_geometric_curve():
    curve = [3.0 * 0.8 ** k for k in range(20)]
    assert cells.decay_per_step(curve, 0, 19) == pytest.approx(0.8)
    assert cells.decay_per_step(curve, 10, 12) == pytest.approx(0.8)


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, body, status, fragments", [
    ("sample", b"{not json", 400, ("malformed JSON",)),
    ("sample", b"[1]", 400, ("expected a JSON object",)),
    ("sample", b'{"prompt": "Romeo #1 @ home"}', 422, ("prompt", "unknown characters", "'#'",
                                                       "'1'", "'@'")),
    ("sample", b'{"prompt": ""}', 422, ("prompt", "1 to 200 characters", "got 0")),
    ("sample", b'{"prompt": "' + b"a" * 201 + b'"}', 422, ("prompt", "1 to 200", "got 201")),
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
    ("gradients", b'{"T": 101}', 422, ("T", "[10, 100]", "101")),
    ("gradients", b'{"T": 9}', 422, ("T", "[10, 100]", "9")),
    ("gradients", b'{"windows": 0}', 422, ("windows", "[1, 128]", "0")),
    ("gradients", b'{"windows": 129}', 422, ("windows", "[1, 128]", "129")),
    ("gradients", b'{"windows": "all"}', 422, ("windows", "'all'")),
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
    js = client.get("/static/lstm.js").text
    assert "selftest" not in js.lower()


# -- models from run folders ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    """Run folders written by the library (one epoch each, on the start of the shipped held-out
    text): a 2-layer character LSTM, an Elman character RNN, an LSTM of another vocabulary, an
    LSTM of the digits read row by row, an RNN of the copy task (tokens, no vocabulary), a
    Hopfield network and a folder whose config.json is not JSON."""
    from neuralzoo import datasets
    from neuralzoo.models.hopfield import Hopfield

    root = tmp_path_factory.mktemp("runs")
    vocab, heldout = ls.vocab(), json.loads(ls.model("lstm")[1]["heldout"])
    X, Y = text_data.windows(LSTM(n_outputs=65, vocab=vocab).encode_text(heldout[:3000]), 50)
    fit = {"epochs": 1, "batch_size": 16, "progress": False}
    torch.manual_seed(0)
    LSTM(n_outputs=65, hidden=12, num_layers=2, task="sequence", vocab=vocab).fit(
        X, Y, out=root / "lstm2", **fit)
    ElmanRNN(n_outputs=65, hidden=10, task="sequence", vocab=vocab).fit(
        X, Y, out=root / "elman", **fit)
    abc = LSTM(n_outputs=4, hidden=4, task="sequence", vocab=" abc")
    A, B = text_data.windows(abc.encode_text("abc cab bca " * 40), 20)
    abc.fit(A, B, out=root / "abc", **fit)
    D, d = datasets.load("digits", binarize="threshold")
    LSTM(n_features=8, n_outputs=10, n_steps=8, hidden=4).fit(D[:64], d[:64], out=root / "rows",
                                                              **fit)
    tokens = torch.randint(0, 10, (32, 12), generator=torch.Generator().manual_seed(0))
    ElmanRNN(n_tokens=10, n_outputs=10, hidden=4, task="sequence").fit(
        tokens, tokens, out=root / "copy", **fit)
    Hopfield(64).fit(D[:3], d[:3], out=root / "hop", progress=False)
    (root / "broken").mkdir()
    (root / "broken" / "config.json").write_text("{oops", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def run_client(runs_dir, make_client):
    return make_client(runs_dir)


def test_the_run_listing_says_which_runs_serve_the_page_and_why_not(run_client):
    runs = {r["name"]: r for r in ok(run_client.get("/api/lstm/runs"))["runs"]}
    assert set(runs) == {"lstm2", "elman", "abc", "rows", "copy", "hop", "broken"}
    assert runs["lstm2"] == {"name": "lstm2", "model": "lstm", "suitable": True, "family": "lstm",
                             "layers": 2, "hidden": 12,
                             "serves": ["sample", "gates", "gradients"]}
    assert runs["elman"]["serves"] == ["sample", "gradients"] and runs["elman"]["family"] == "rnn"
    assert runs["abc"]["suitable"] and runs["abc"]["serves"] == ["sample", "gates"]
    assert not any(runs[k]["suitable"] for k in ("rows", "copy", "hop", "broken"))
    assert runs["broken"]["reason"].startswith("unreadable config.json") and \
        "not valid JSON" in runs["broken"]["reason"]
    assert "got an lstm of task 'classify' without a vocabulary" in runs["rows"]["reason"]
    assert "got an rnn of task 'sequence' without a vocabulary" in runs["copy"]["reason"]
    assert "expected a character model (an lstm or rnn run), got a hopfield run" in \
        runs["hop"]["reason"]


def test_without_a_run_folder_no_run_is_listed(client):
    assert ok(client.get("/api/lstm/runs")) == {"runs": []}


def test_an_lstm_run_serves_samples_gates_and_the_lstm_gradients(runs_dir, run_client, client):
    from neuralzoo.runs import load_run

    lm = load_run(runs_dir / "lstm2")  # the oracle: the run's model, loaded by the library
    body = {"prompt": "ROMEO:\n", "n": 60, "temperature": 0.9, "seed": 5, "run": "lstm2"}
    a = frames(run_client.post("/api/lstm/sample", json=body))
    assert a[0]["source"] == "run lstm2: LSTM, 2 layers of 12 cells"
    assert a[-1]["text"] == lm.sample_text("ROMEO:\n", 60, temperature=0.9, generator=5)
    text = "O Romeo, Romeo!"
    d = ok(run_client.post("/api/lstm/gates", json={"text": text, "run": "lstm2"}))
    assert (d["layer"], d["layers"], d["hidden"]) == (1, 2, 12)
    check_gates(d, text, lm)  # the first layer's gates, against its torch.nn.LSTM
    g = ok(run_client.post("/api/lstm/gradients", json={"T": 10, "windows": 3, "run": "lstm2"}))
    assert g["sources"] == {"lstm": a[0]["source"], "rnn": "shipped char-rnn"}
    ids, _ = ls.gradient_windows(10, 3)
    for key, k in (("lstm_h", 0), ("lstm_s", 1)):  # torch's own layers, run from the state
        want = [float(split_run(lm, ids, t)[k].norm(dim=1).mean()) for t in range(10, 0, -1)]
        # rel 1e-6: the server adds torch's two biases of a gate in float32 (then float64)
        assert g["curves"][key] == pytest.approx(want, rel=1e-6)
    shipped = ok(client.post("/api/lstm/gradients", json={"T": 10, "windows": 3}))
    assert g["curves"]["rnn_h"] == shipped["curves"]["rnn_h"]
    assert g["curves"]["lstm_h"] != shipped["curves"]["lstm_h"]
    info = ok(run_client.get("/api/lstm/info", params={"run": "lstm2"}))
    heldout = json.loads(ls.model("lstm")[1]["heldout"])
    ids = lm.encode_text(heldout)
    with torch.no_grad():
        want = float(F.cross_entropy(lm(ids[None, :-1])[0], ids[1:]))
    r = info["run"]
    assert (r["family"], r["layers"], r["hidden"], r["gates_layer"]) == ("lstm", 2, 12, 1)
    assert r["params"] == sum(p.numel() for p in lm.parameters())
    assert r["heldout_loss"] == pytest.approx(want, abs=1e-5)
    assert r["corpus"] is None and r["test_loss"] is None  # written by fit: no data, no summary
    assert info["source"] == a[0]["source"] and info["models"]["lstm"]["hidden"] == 96


def test_an_elman_run_samples_and_is_the_rnn_side_of_the_gradients(runs_dir, run_client):
    from neuralzoo.runs import load_run

    rnn = load_run(runs_dir / "elman")
    body = {"prompt": "KING:", "n": 40, "temperature": 1.0, "seed": 2, "run": "elman"}
    a = frames(run_client.post("/api/lstm/sample", json=body))
    assert a[0]["source"] == "run elman: Elman RNN, 1 layer of 10 units"
    assert a[-1]["text"] == rnn.sample_text("KING:", 40, temperature=1.0, generator=2)
    refused(run_client.post("/api/lstm/gates", json={"text": "KING", "run": "elman"}), 422,
            "'elman'", "expected an lstm run", "got an rnn run")
    g = ok(run_client.post("/api/lstm/gradients", json={"T": 12, "windows": 4, "run": "elman"}))
    assert g["sources"] == {"lstm": "shipped char-lstm", "rnn": a[0]["source"]}
    ids, _ = ls.gradient_windows(12, 4)  # the oracle: the hand-written BPTT (its mean: times N)
    p = cells.lecture_weights(rnn)
    _, _, dh = bptt(rnn.encode(ids[:, :-1]).double(), ids[:, -1], p["U"], p["W"], p["b"],
                    p["V"], p["c"], last_only=True)
    want = (4 * torch.stack(dh, dim=1)).norm(dim=2).mean(0).flip(0)
    assert g["curves"]["rnn_h"] == pytest.approx(want.tolist(), rel=1e-9)
    assert ok(run_client.get("/api/lstm/info", params={"run": "elman"}))["run"]["serves"] == \
        ["sample", "gradients"]


def test_a_run_of_another_vocabulary_samples_its_own_characters_only(run_client):
    a = frames(run_client.post("/api/lstm/sample", json={"prompt": "ab", "n": 30, "run": "abc"}))
    assert set(a[-1]["text"]) <= set(" abc") and len(a[-1]["text"]) == 32
    refused(run_client.post("/api/lstm/sample", json={"prompt": "ROMEO", "run": "abc"}), 422,
            "prompt: expected only characters", "' abc'", "'R'")
    refused(run_client.post("/api/lstm/gradients", json={"run": "abc"}), 422,
            "run abc", "expected a model that reads the held-out text", "vocabulary without")
    assert ok(run_client.post("/api/lstm/gates", json={"text": "a cab", "run": "abc"}))["hidden"] == 4


@pytest.mark.parametrize("run, status, fragments", [
    ("hop", 422, ("'hop'", "expected a character model", "got a hopfield run")),
    ("rows", 422, ("'rows'", "task 'sequence' with a vocabulary", "got an lstm of task "
                   "'classify' without a vocabulary")),
    ("copy", 422, ("'copy'", "got an rnn of task 'sequence' without a vocabulary")),
    ("broken", 422, ("'broken'", "could not be loaded", "not valid JSON")),
    ("gone", 404, ("'gone'", "no run folder")),
    ("../x", 400, ("expected the name of a folder",)),
    (7, 400, ("expected the name of a folder", "7")),
])
def test_runs_of_the_wrong_kind_or_shape_are_refused(run_client, run, status, fragments):
    for path in ("sample", "gates", "gradients"):
        refused(run_client.post("/api/lstm/" + path, json={"run": run}), status, *fragments)
    if isinstance(run, str):
        refused(run_client.get("/api/lstm/info", params={"run": run}), status, *fragments)


def test_a_run_without_a_run_folder_is_refused(client):
    for path in ("sample", "gates", "gradients"):
        refused(client.post("/api/lstm/" + path, json={"run": "mine"}), 404, "'mine'", "--runs")
