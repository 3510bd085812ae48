"""The LSTM page's computations: two small character models shipped inside the package, a
one-layer LSTM (``char-lstm``) and an Elman RNN of comparable size (``char-rnn``), trained by
:data:`SHIPPED`'s functions on tiny-shakespeare; text sampled from the LSTM and streamed, the
gates and memory of its cells character by character, and how far back the error reaches in
each network (the vanishing gradient).

The lecture's LSTM cell (6.9.6), with ``x_t`` the one-hot character at step t::

    f_t = sigmoid(b_f  + U_f  x_t + W_f  h_{t-1})      forget gate
    i_t = sigmoid(b_in + U_in x_t + W_in h_{t-1})      input gate
    o_t = sigmoid(b_o  + U_o  x_t + W_o  h_{t-1})      output gate
    c_t = tanh(b + U x_t + W h_{t-1})                  candidate memory
    s_t = f_t * s_{t-1} + i_t * c_t                    memory
    h_t = o_t * tanh(s_t)                              output
    z_t = softmax(V h_t + c)                           the next character's distribution

and the Elman RNN (6.9.5): ``h_t = tanh(b + W h_{t-1} + U x_t)``, ``y_hat_t = softmax(c + V h_t)``.

The vanishing gradient (:func:`gradient_norms`): with ``L_T`` the loss of the last step alone,
the error reaching step t is, in the RNN, a product of one Jacobian per step::

    dL_T/dh_t = W^T diag(1 - h_{t+1}^2) dL_T/dh_{t+1} = (prod_k W^T diag(f'(a_k))) dL_T/dh_T

the lecture's ``dL/ds_k ~ (f'(s) W)^t dL/ds_{k+t}``, which shrinks geometrically with the
distance ``T - t`` when the factors are below 1; in the LSTM the memory carries it,
``ds_{t+1}/ds_t = diag(f_{t+1})`` (plus the paths through the gates): the constant error
carousel, kept "near 1" (维持在一个稳定的水平（即1附近）) by forget gates near 1. The shipped
models show both sides of the lecture's "只是有所缓和" (eased, not solved): close to the loss the
LSTM's gradient falls faster than the RNN's, over the far half of a window slower, and averaged
over 64 windows of 100 characters it ends above it (``tests/serve/test_lstm_page.py`` prints the
measured rates).

The models run on the library's :class:`~neuralzoo.LSTM` (``torch.nn.LSTM`` inside) and
:class:`~neuralzoo.models.recurrent.elman.ElmanRNN`; the gates and the gradients are computed
here from their weights in the lecture's names (:func:`lecture_weights`), in float64, from
``h_0 = s_0 = 0``. Without tiny-shakespeare and without the shipped files, both models are
trained on first use on the short built-in ``TEXT`` instead, and the page says so.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
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
CORPUS = "tinyshakespeare"
BUILTIN = "built-in text"  # the corpus's name when tiny-shakespeare is not found
# the models: H cells of the LSTM (69k parameters), H units of the RNN (66k parameters)
HIDDEN = {"lstm": 96, "rnn": 200}
# training: truncated BPTT over windows of seq_len characters, Adam, cosine schedule, clipping
TRAIN = {CORPUS: {"seq_len": 64, "batch_size": 64, "epochs": 6, "lr": 4e-3},
         BUILTIN: {"seq_len": 25, "batch_size": 8, "epochs": 30, "lr": 1e-2}}
BUILTIN_REPEATS = 6  # the built-in training text: TEXT six times (about 3,500 characters)
SEED = 0
HELDOUT_CHARS = 16384  # the start of the held-out split, kept in the metadata for the gradients
MAX_SAMPLE = 400  # characters sampled at most
MAX_GATES = 80  # characters of a text whose gates are shown at most
MAX_PROMPT = 200
MIN_T, MAX_T, MAX_WINDOWS = 10, 100, 128  # the gradient windows: length, number at most
NEAR = 10  # distances 0..NEAR: "close to the loss"

_lock = threading.Lock()
_gradients: dict[tuple[int, int], dict[str, Any]] = {}


def _f64(a) -> list:
    """A tensor as nested lists of float64 values, unrounded (a gate of 1 - 1e-7 stays below 1)."""
    return a.double().tolist()


# -- the shipped models ------------------------------------------------------------------------
def corpus_texts() -> tuple[str, str, str, str]:
    """``(name, vocab, train_text, heldout_text)``: tiny-shakespeare (its first 95% and the
    start of its last 5%) when it is found (``NEURALZOO_DATA``), else the built-in text (then
    the held-out text is ``TEXT`` itself, which the model has seen)."""
    from ..datasets import text

    try:
        path = text.locate(CORPUS)
    except text.TextFileError:
        return BUILTIN, "".join(sorted(set(TEXT))), TEXT * BUILTIN_REPEATS, TEXT
    corpus = text.Corpus.load(str(path))
    n_val = len(corpus.split("val"))
    train, val = corpus.text[:-n_val], corpus.text[-n_val:]
    return CORPUS, corpus.vocab, train, val[:HELDOUT_CHARS]


def _build(family: str, meta: dict[str, str]):
    """An untrained model of ``family`` ("lstm", "rnn") of the sizes in ``meta``."""
    from .. import LSTM
    from ..models.recurrent.elman import ElmanRNN

    vocab = json.loads(meta["vocab"])
    cls = LSTM if family == "lstm" else ElmanRNN
    return cls(n_outputs=len(vocab), hidden=int(meta["hidden"]), task="sequence", vocab=vocab,
               carry_state=True)


def _train(family: str):
    """Train ``family`` from scratch (seed ``SEED``) on :func:`corpus_texts`; the metadata holds
    the vocabulary (JSON text), the corpus, the recipe, the held-out text and its loss."""
    import warnings

    import torch

    from ..datasets import text

    name, vocab, train_text, heldout = corpus_texts()
    recipe = TRAIN[name]
    index = {ch: k for k, ch in enumerate(vocab)}
    ids = torch.tensor([index[ch] for ch in train_text])
    X, Y = text.windows(ids, recipe["seq_len"])  # (N, S) consecutive windows
    meta = {"family": family, "vocab": json.dumps(vocab), "hidden": str(HIDDEN[family]),
            "corpus": name, "heldout": json.dumps(heldout), "seed": str(SEED),
            "train_chars": str(len(train_text)), **{k: str(v) for k, v in recipe.items()}}
    torch.manual_seed(SEED)
    net = _build(family, meta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net.fit(X, Y, epochs=recipe["epochs"], batch_size=recipe["batch_size"], lr=recipe["lr"],
                optimizer="adam", lr_schedule="cosine", clip_norm=5.0, seed=SEED, progress=False)
    net.eval()
    meta["heldout_loss"] = f"{heldout_loss(net, heldout):.4f}"
    return net, meta


def train_char_lstm():
    """``char-lstm``: the LSTM of ``HIDDEN["lstm"]`` cells (see :data:`TRAIN`)."""
    return _train("lstm")


def train_char_rnn():
    """``char-rnn``: the Elman RNN of ``HIDDEN["rnn"]`` units (see :data:`TRAIN`)."""
    return _train("rnn")


SHIPPED = {"char-lstm": train_char_lstm, "char-rnn": train_char_rnn}


def model(family: str = "lstm"):
    """``(net, meta)`` of the shipped ``family`` ("lstm" or "rnn"), loaded (or trained) once."""
    from . import _shipped

    return _shipped.model(f"char-{family}", lambda meta: _build(family, meta),
                          SHIPPED[f"char-{family}"])


def vocab() -> str:
    """The characters the models read (the LSTM's; the RNN was trained on the same corpus)."""
    return json.loads(model("lstm")[1]["vocab"])


def heldout_loss(net, heldout: str) -> float:
    """Mean ``-log z_{t, x_{t+1}}`` (nats per character) of ``net`` reading ``heldout`` in one
    stream from the zero state."""
    import torch
    import torch.nn.functional as F

    ids = net.encode_text(heldout)
    with torch.no_grad():
        o, _ = net.run(ids[None, :-1])  # (1, T, C)
    return float(F.cross_entropy(o[0], ids[1:]))


def unigram_entropy(text: str) -> float:
    """``-sum_c p_c log p_c`` (nats) of the characters of ``text``: the loss of the best
    predictor that ignores the context, on that text."""
    from collections import Counter

    n = len(text)
    return -sum(k / n * math.log(k / n) for k in Counter(text).values())


# -- the lecture's equations on the models' weights --------------------------------------------
def lecture_weights(net) -> dict[str, Any]:
    """The weights of a one-layer ``net`` in the lecture's names, float64 copies: the LSTM's
    ``U_f, W_f, b_f, U_in, .., U, W, b`` (torch stacks its blocks as ``i, f, g, o``; the two
    biases of a gate sum to its ``b``), the RNN's ``U, W, b``; both ``V, c``."""
    from .. import LSTM
    from ..models.recurrent.lstm import from_torch_weights

    if isinstance(net, LSTM):
        p = from_torch_weights(dict(net.lstm.named_parameters()), 1)[0]
    else:
        p = {"U": net.U[0], "W": net.W[0], "b": net.b[0]}
    return {k: v.detach().double() for k, v in {**p, "V": net.V, "c": net.c}.items()}


def lstm_steps(p: dict[str, Any], x, h, s) -> dict[str, list]:
    """The LSTM cell on ``x`` (N, T, D) from ``h_0, s_0`` (N, H): per step t = 1..T the gates
    ``f, i, o``, the candidate ``c``, the memory ``s`` and the output ``h``, each (N, H)."""
    import torch

    rows: dict[str, list] = {k: [] for k in "fiocsh"}
    for t in range(x.shape[1]):
        x_t = x[:, t]  # (N, D)
        f_t = torch.sigmoid(p["b_f"] + x_t @ p["U_f"].T + h @ p["W_f"].T)
        i_t = torch.sigmoid(p["b_in"] + x_t @ p["U_in"].T + h @ p["W_in"].T)
        o_t = torch.sigmoid(p["b_o"] + x_t @ p["U_o"].T + h @ p["W_o"].T)
        c_t = torch.tanh(p["b"] + x_t @ p["U"].T + h @ p["W"].T)
        s = f_t * s + i_t * c_t
        h = o_t * torch.tanh(s)
        for k, v in zip("fiocsh", (f_t, i_t, o_t, c_t, s, h)):
            rows[k].append(v)
    return rows


def rnn_steps(p: dict[str, Any], x, h) -> list:
    """The Elman RNN on ``x`` (N, T, D) from ``h_0`` (N, H): ``h_t`` (N, H), t = 1..T."""
    import torch

    hs = []
    for t in range(x.shape[1]):
        h = torch.tanh(p["b"] + h @ p["W"].T + x[:, t] @ p["U"].T)
        hs.append(h)
    return hs


def gate_trace(net, ids) -> dict[str, Any]:
    """The LSTM's ``f_t, i_t, o_t, c_t, s_t, h_t`` (each (T, H)) reading the character ids
    ``ids`` (T,) from ``h_0 = s_0 = 0``, in float64 (a saturated sigmoid stays inside (0, 1))."""
    import torch

    p = lecture_weights(net)
    x = net.encode(ids[None]).double()  # (1, T, D) one-hot
    z = torch.zeros(1, net.H, dtype=torch.float64)
    with torch.no_grad():
        rows = lstm_steps(p, x, z, z)
    return {k: torch.cat(v) for k, v in rows.items()}  # T x (1, H) -> (T, H)


def state_gradients(net, ids) -> dict[str, Any]:
    """``dL_T/dh_t`` (and for the LSTM ``dL_T/ds_t``), each (N, T, H) for t = 1..T, of the
    windows ``ids`` (N, T + 1): each window read from the zero state, ``L_T = -log z_{T, y}``
    the loss of its last step alone (y its last character). The total derivatives through the
    recurrence, by autograd: the loss is summed over the windows, which do not interact, so
    row n is window n's own gradient."""
    import torch
    import torch.nn.functional as F

    from .. import LSTM

    p = lecture_weights(net)
    x, y = net.encode(ids[:, :-1]).double(), ids[:, -1]  # (N, T, D), (N,)
    with torch.enable_grad():  # whatever the calling thread's grad mode
        # h_0 requires a gradient so that every h_t, s_t is a node of the graph
        h0 = torch.zeros(len(ids), net.H, dtype=torch.float64, requires_grad=True)
        if isinstance(net, LSTM):
            rows = lstm_steps(p, x, h0, torch.zeros_like(h0))
            nodes = {"h": rows["h"], "s": rows["s"]}
        else:
            nodes = {"h": rnn_steps(p, x, h0)}
        o_T = nodes["h"][-1] @ p["V"].T + p["c"]  # (N, C)
        L_T = F.cross_entropy(o_T, y, reduction="sum")
        flat = [v for vs in nodes.values() for v in vs]
        grads = torch.autograd.grad(L_T, flat)
    T = x.shape[1]
    return {k: torch.stack(grads[j * T:(j + 1) * T], dim=1) for j, k in enumerate(nodes)}


def gradient_windows(T: int, n: int):
    """The first ``n`` consecutive windows of ``T + 1`` characters of the held-out text (fewer
    when the text is shorter): their ids (n, T + 1) and their texts."""
    text = json.loads(model("lstm")[1]["heldout"])
    n = min(n, (len(text) - 1) // (T + 1))
    ids = model("lstm")[0].encode_text(text[: n * (T + 1)])
    return ids.reshape(n, T + 1), [text[k * (T + 1):(k + 1) * (T + 1)] for k in range(n)]


def gradient_norms(net, ids) -> dict[str, list[float]]:
    """``||dL_T/dh_t||`` (and ``||dL_T/ds_t||``) averaged over the windows, by distance
    ``T - t = 0, 1, .., T - 1`` (:func:`state_gradients`)."""
    return {k: g.norm(dim=2).mean(0).flip(0).tolist() for k, g in state_gradients(net, ids).items()}


def decay_per_step(curve: list[float], first: int, last: int) -> float:
    """``exp`` of the least-squares slope of ``log curve[d]`` over the distances
    ``first..last``: the factor by which the curve shrinks per step there."""
    d = range(first, last + 1)
    y = [math.log(max(curve[k], 1e-300)) for k in d]
    dm, ym = sum(d) / len(d), sum(y) / len(y)
    return math.exp(sum((k - dm) * (v - ym) for k, v in zip(d, y))
                    / sum((k - dm) ** 2 for k in d))


# -- the API -----------------------------------------------------------------------------------
def _get_text(body: dict[str, Any], key: str, default: str, longest: int) -> str:
    """``body[key]``: a string of 1..``longest`` characters, each in the model's vocabulary
    (one line naming the others)."""
    v = body.get(key, default)
    if not isinstance(v, str):
        raise BadRequest(f"{key}: expected a string of 1 to {longest} characters, got {v!r}")
    if not 1 <= len(v) <= longest:
        raise BadRequest(f"{key}: expected a string of 1 to {longest} characters, got {len(v)} "
                         "characters")
    known = vocab()
    unknown = sorted(set(v) - set(known))
    if unknown:
        raise BadRequest(f"{key}: expected only characters the model has seen "
                         f"({known!r}), got unknown characters "
                         f"{', '.join(repr(c) for c in unknown)}")
    return v


def info() -> dict[str, Any]:
    """Both models (family, corpus, size, recipe, held-out loss), the held-out text's unigram
    entropy, the vocabulary and the limits of the API."""
    from ..models.base import count_parameters

    models = {}
    for family in HIDDEN:
        net, meta = model(family)
        models[family] = {"hidden": int(meta["hidden"]), "params": count_parameters(net),
                          "corpus": meta["corpus"], "heldout_loss": float(meta["heldout_loss"]),
                          **{k: float(meta[k]) if k == "lr" else int(meta[k])
                             for k in ("epochs", "seq_len", "batch_size", "lr", "seed",
                                       "train_chars")}}
    heldout = json.loads(model("lstm")[1]["heldout"])
    return {"vocab": vocab(), "corpus": models["lstm"]["corpus"], "models": models,
            "heldout_chars": len(heldout), "unigram_entropy": unigram_entropy(heldout),
            "max_sample": MAX_SAMPLE, "max_gates": MAX_GATES, "max_prompt": MAX_PROMPT,
            "min_T": MIN_T, "max_T": MAX_T, "max_windows": MAX_WINDOWS}


def sample_chars(net, prompt: str, n: int, temperature: float, seed: int) -> Iterator[str]:
    """The ``n`` characters after ``prompt``, one at a time: each drawn from
    ``softmax(o_t / temperature)`` and fed back as the next input (the draws of
    :meth:`~neuralzoo.models.recurrent.text.TextSampling.sample_text` with the same seed)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    chars = net.vocab
    # no_grad around each step, never across a yield: a stream's next() runs on any thread of
    # the server's pool, and grad mode is per thread (held across a yield, it would leak into
    # whatever that thread computes next)
    with torch.no_grad():
        o, state = net.run(net.encode_text(prompt)[None])  # (1, T0, C)
    for _ in range(n):
        with torch.no_grad():
            p = torch.softmax(o[0, -1].double() / temperature, dim=0)
            k = torch.multinomial(p, 1, generator=gen)  # (1,)
            o, state = net.run(k[None], state)
        yield chars[int(k)]


def sample(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A stream: ``{prompt, n, temperature, seed}``, then one frame ``{"chars": ...}`` per
    sampled character, then ``{"done": true, "text": ...}``. Checked before the first frame."""
    prompt = _get_text(body, "prompt", "ROMEO:\n", MAX_PROMPT)
    n = get_int(body, "n", 200, 0, MAX_SAMPLE)
    temperature = get_float(body, "temperature", 0.8, 0.0, 2.0)
    if temperature <= 0:
        raise BadRequest(f"temperature: expected a number in (0, 2], got {temperature}")
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    net = model("lstm")[0]

    def frames() -> Iterator[dict[str, Any]]:
        yield {"prompt": prompt, "n": n, "temperature": temperature, "seed": seed}
        out = []
        for ch in sample_chars(net, prompt, n, temperature, seed):
            out.append(ch)
            yield {"chars": ch}
        yield {"done": True, "text": prompt + "".join(out)}

    return frames()


def gates(body: dict[str, Any]) -> dict[str, Any]:
    """Per character of ``text`` (rows = characters t = 1..T, columns = cells): the gates
    ``f``, ``i``, ``o`` in (0, 1), the memory ``s`` and the output ``h``, each (T, H)."""
    text = _get_text(body, "text", "ROMEO:", MAX_GATES)
    net = model("lstm")[0]
    tr = gate_trace(net, net.encode_text(text))
    return {"text": text, "chars": list(text), "hidden": net.H,
            **{k: _f64(tr[k]) for k in ("f", "i", "o", "s", "h")}}


def gradients(body: dict[str, Any]) -> dict[str, Any]:
    """``||dL_T/dh_t||`` of the RNN and ``||dL_T/dh_t||``, ``||dL_T/ds_t||`` of the LSTM by
    distance ``T - t``, averaged over ``windows`` windows of ``T`` characters of the held-out
    text (:func:`gradient_norms`). Per curve, ``ratio``: its value at the far end (distance
    T - 1) over its value at distance 0; ``near`` and ``far``: its decay per step
    (:func:`decay_per_step`) close to the loss (distances 0..NEAR) and over the far half of the
    window (distances T/2..T-1)."""
    T = get_int(body, "T", 100, MIN_T, MAX_T)
    n = get_int(body, "windows", 64, 1, MAX_WINDOWS)
    with _lock:
        if (T, n) not in _gradients:
            ids, texts = gradient_windows(T, n)
            curves = {f"{family}_{k}": v for family in HIDDEN
                      for k, v in gradient_norms(model(family)[0], ids).items()}
            _gradients[(T, n)] = {
                "T": T, "windows": len(ids), "texts": texts, "corpus": model("lstm")[1]["corpus"],
                "distance": list(range(T)), "curves": curves,
                "ratio": {k: v[-1] / v[0] for k, v in curves.items()},
                "near": {k: decay_per_step(v, 0, min(NEAR, T - 1)) for k, v in curves.items()},
                "far": {k: decay_per_step(v, T // 2, T - 1) for k, v in curves.items()}}
        return _gradients[(T, n)]


def routes(runs: Any = None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import get, post

    return [get("/api/lstm/info", lambda query: info()),
            post("/api/lstm/sample", sample),
            post("/api/lstm/gates", gates),
            post("/api/lstm/gradients", gradients)]
