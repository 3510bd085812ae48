"""The LSTM page's computations: a small character LSTM (one layer of ``HIDDEN`` cells), trained
once on a short built-in English text (``TEXT``) on first use and kept in memory, behind a lock;
text sampled from it, and the gates and memory of its cells, character by character.

The lecture's LSTM cell (6.9.6), with ``x_t`` the one-hot character at step t::

    f_t = sigmoid(b_f  + U_f  x_t + W_f  h_{t-1})      forget gate
    i_t = sigmoid(b_in + U_in x_t + W_in h_{t-1})      input gate
    o_t = sigmoid(b_o  + U_o  x_t + W_o  h_{t-1})      output gate
    c_t = tanh(b + U x_t + W h_{t-1})                  candidate memory
    s_t = f_t * s_{t-1} + i_t * c_t                    memory
    h_t = o_t * tanh(s_t)                              output

and ``z_t = softmax(V h_t + c)``, the next character's distribution. The model runs on
``torch.nn.LSTM``; :func:`gates` reads its layer-0 weights in the lecture's names
(:func:`~neuralzoo.models.recurrent.lstm.from_torch_weights`: torch stacks the blocks as
``i, f, g, o``) and runs the equations above from ``h_0 = s_0 = 0``. Sampling draws each next
character from ``softmax(o_t / temperature)`` and feeds it back (char-rnn); one seed gives one
text.
"""

from __future__ import annotations

import threading
from typing import Any

from ._params import BadRequest, get_float, get_int

TEXT = (
    "a neural network is a web of simple units. each unit adds up its weighted inputs and "
    "passes the sum through a squashing function. a network learns by changing its weights "
    "so that its outputs come closer to the targets. the perceptron draws a line, the "
    "hopfield network remembers patterns, and the boltzmann machine dreams of its data. a "
    "recurrent network reads a text one letter at a time and keeps a memory of what it has "
    "seen. the long short-term memory keeps that memory in cells, and three gates decide "
    "what to forget, what to write and what to show. "
)
REPEATS = 6  # the training text: TEXT six times (about 3,500 characters)
HIDDEN = 32
SEQ_LEN = 25
EPOCHS = 30
BATCH = 8
LR = 2e-2
SEED = 0
MAX_SAMPLE = 400  # characters sampled at most
MAX_GATES = 80  # characters of a text whose gates are shown at most
MAX_PROMPT = 200

_lock = threading.Lock()
_cache: dict[str, Any] = {}


def _f64(a) -> list:
    """A tensor as nested lists of float64 values, unrounded (a gate of 1 - 1e-7 stays below 1)."""
    return a.double().tolist()


def model() -> dict[str, Any]:
    """The trained character LSTM (``"lm"``, ``torch.nn.LSTM`` inside) and its ``"vocab"``,
    trained on the first call (a few seconds on one core), then the same objects on every call."""
    with _lock:
        if not _cache:
            import warnings

            from .. import LSTM
            from ..datasets import text

            corpus = text.Corpus.from_text(TEXT * REPEATS)
            X, Y = text.windows(corpus.ids, SEQ_LEN)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lm = LSTM(n_outputs=len(corpus.vocab), hidden=HIDDEN, task="sequence",
                          vocab=corpus.vocab, carry_state=True)
                lm.fit(X, Y, epochs=EPOCHS, batch_size=BATCH, lr=LR, seed=SEED, progress=False)
            lm.eval()
            _cache.update(lm=lm, vocab=corpus.vocab, loss=float(lm.evaluate(X, Y)["loss"]))
        return _cache


def _get_text(body: dict[str, Any], key: str, default: str, longest: int) -> str:
    """``body[key]``: a string of 1..``longest`` characters, each in the model's vocabulary
    (one line naming the others)."""
    v = body.get(key, default)
    if not isinstance(v, str):
        raise BadRequest(f"{key}: expected a string of 1 to {longest} characters, got {v!r}")
    if not 1 <= len(v) <= longest:
        raise BadRequest(f"{key}: expected a string of 1 to {longest} characters, got {len(v)} "
                         "characters")
    vocab = model()["vocab"]
    unknown = sorted(set(v) - set(vocab))
    if unknown:
        raise BadRequest(f"{key}: expected only characters the model has seen "
                         f"({vocab!r}), got unknown characters "
                         f"{', '.join(repr(c) for c in unknown)}")
    return v


def info() -> dict[str, Any]:
    """The model: ``vocab``, ``hidden``, ``epochs``, ``seed``, its training ``loss`` (nats per
    character), the training ``text`` and the limits of the API."""
    m = model()
    return {"vocab": m["vocab"], "hidden": HIDDEN, "epochs": EPOCHS, "seed": SEED,
            "loss": round(m["loss"], 4), "text": TEXT, "repeats": REPEATS,
            "max_sample": MAX_SAMPLE, "max_gates": MAX_GATES}


def sample(body: dict[str, Any]) -> dict[str, Any]:
    """``prompt`` followed by ``n`` characters drawn from ``softmax(o_t / temperature)``, each
    fed back as the next input; one ``seed`` gives one text."""
    prompt = _get_text(body, "prompt", "the ", MAX_PROMPT)
    n = get_int(body, "n", 200, 0, MAX_SAMPLE)
    temperature = get_float(body, "temperature", 0.8, 0.0, 2.0)
    if temperature <= 0:
        raise BadRequest(f"temperature: expected a number in (0, 2], got {temperature}")
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    lm = model()["lm"]
    with _lock:  # the model is shared: one sampler at a time
        out = lm.sample_text(prompt, n, temperature=temperature, generator=seed)
    return {"prompt": prompt, "n": n, "temperature": temperature, "seed": seed, "text": out}


def gate_trace(lm, ids) -> dict[str, Any]:
    """The lecture's ``f_t, i_t, o_t, c_t, s_t, h_t`` (each (T, H)) of layer 0 of the fused
    ``lm`` reading the character ids ``ids`` (T,) from ``h_0 = s_0 = 0``, in float64."""
    import torch

    from ..models.recurrent.lstm import from_torch_weights

    # in float64, so that a saturated sigmoid stays inside (0, 1)
    p = {k: v.detach().double() for k, v in
         from_torch_weights(dict(lm.lstm.named_parameters()), 1)[0].items()}
    x = lm.encode(ids[None])[0].double()  # (T, D) one-hot
    H = lm.H
    h, s = torch.zeros(H, dtype=x.dtype), torch.zeros(H, dtype=x.dtype)
    rows: dict[str, list] = {k: [] for k in ("f", "i", "o", "c", "s", "h")}
    with torch.no_grad():
        for x_t in x:
            f_t = torch.sigmoid(p["b_f"] + p["U_f"] @ x_t + p["W_f"] @ h)
            i_t = torch.sigmoid(p["b_in"] + p["U_in"] @ x_t + p["W_in"] @ h)
            o_t = torch.sigmoid(p["b_o"] + p["U_o"] @ x_t + p["W_o"] @ h)
            c_t = torch.tanh(p["b"] + p["U"] @ x_t + p["W"] @ h)
            s = f_t * s + i_t * c_t
            h = o_t * torch.tanh(s)
            for k, v in zip("fiocsh", (f_t, i_t, o_t, c_t, s, h)):
                rows[k].append(v)
    return {k: torch.stack(v) for k, v in rows.items()}


def gates(body: dict[str, Any]) -> dict[str, Any]:
    """Per character of ``text`` (rows = characters t = 1..T, columns = cells): the gates
    ``f``, ``i``, ``o`` in (0, 1), the memory ``s`` and the output ``h``, each (T, H)."""
    text = _get_text(body, "text", "the gates", MAX_GATES)
    m = model()
    lm = m["lm"]
    tr = gate_trace(lm, lm.encode_text(text))
    return {"text": text, "chars": list(text), "hidden": HIDDEN,
            **{k: _f64(tr[k]) for k in ("f", "i", "o", "s", "h")}}


def routes(runs: Any = None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import get, post

    return [get("/api/lstm/info", lambda query: info()),
            post("/api/lstm/sample", sample),
            post("/api/lstm/gates", gates)]
