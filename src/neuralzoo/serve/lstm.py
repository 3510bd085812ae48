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
here from their weights in the lecture's names (:mod:`.lstm_cells`), in float64, from
``h_0 = s_0 = 0``. Without tiny-shakespeare and without the shipped files, both models are
trained on first use on the short built-in ``TEXT`` instead, and the page says so.

A run folder under ``neuralzoo serve --runs DIR`` may stand in for a shipped model: every
endpoint takes ``"run": name`` (``?run=`` on GET), a character model of the library (an ``lstm``
or ``rnn`` run with task ``"sequence"`` and a vocabulary, e.g. ``neuralzoo train lstm --data
tinyshakespeare``; the vocabulary is the ``vocab`` of its ``config.json`` hparams). An LSTM run
samples, shows its gates and is the LSTM side of the gradient plot; an Elman run (full or
diagonal recurrence) samples and is the RNN side (the gates are refused: it has none). Of a
multi-layer LSTM the page shows the gates of the first layer, the one that reads the characters
``x_t`` (the answer says ``layer`` 1 of ``layers``); its gradients are those of the top layer's
``h_t`` and ``s_t``, the total derivatives through the whole stack. The gradient plot reads the
shipped models' held-out text: a run whose vocabulary lacks one of its characters is refused
there. :func:`char_runs` lists the runs that can serve the page and why the others cannot.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._params import BadRequest, get_float, get_int
from .lstm_cells import (
    decay_per_step,
    gate_trace,
    gradient_norms,
)

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
_curves: dict[tuple, dict[str, list[float]]] = {}  # (model key, T, windows) -> gradient_norms
_run_losses: dict[tuple, float | None] = {}  # a run's loss on the held-out text


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


def gradient_windows(T: int, n: int):
    """The first ``n`` consecutive windows of ``T + 1`` characters of the held-out text (fewer
    when the text is shorter): their ids (n, T + 1) and their texts."""
    text = json.loads(model("lstm")[1]["heldout"])
    n = min(n, (len(text) - 1) // (T + 1))
    ids = model("lstm")[0].encode_text(text[: n * (T + 1)])
    return ids.reshape(n, T + 1), [text[k * (T + 1):(k + 1) * (T + 1)] for k in range(n)]


# -- run folders -------------------------------------------------------------------------------
def run_problem(kind: str | None, task: Any, vocab: Any) -> str | None:
    """Why a model (its registry name ``kind``, ``task`` and ``vocab``) cannot serve the page, as
    "expected ..., got ..."; None when it can: an ``lstm`` or ``rnn`` of task ``"sequence"`` with
    a vocabulary (a character language model)."""
    if kind not in HIDDEN:
        return ("expected a character model (an lstm or rnn run), got "
                + (f"a {kind} run" if kind else "a run without a model name"))
    has_vocab = isinstance(vocab, str) and len(vocab) > 0
    if task != "sequence" or not has_vocab:
        return (f"expected a character model (task 'sequence' with a vocabulary), got an {kind} "
                f"of task {task!r}" + ("" if has_vocab else " without a vocabulary"))
    return None


def char_runs(runs: Path | None) -> dict[str, Any]:
    """Each run folder under ``runs``: ``suitable`` ones with their ``family``, ``layers``,
    ``hidden`` and what they ``serve``; the others with the ``reason``. Decided from
    ``config.json`` (the weights are read, and checked, when a request names the run)."""
    from .. import runs as nz_runs
    from .runs import list_runs

    out = []
    for r in list_runs(runs):
        entry: dict[str, Any] = {"name": r["name"], "model": r["model"]}
        try:
            hp = nz_runs.read_config(runs / r["name"]).get("hparams", {})
        except (OSError, ValueError) as err:
            out.append({**entry, "suitable": False, "reason": f"unreadable config.json: {err}"})
            continue
        reason = run_problem(r["model"], hp.get("task", "classify"), hp.get("vocab"))
        if reason is not None:
            out.append({**entry, "suitable": False, "reason": reason})
            continue
        out.append({**entry, "suitable": True, "family": r["model"],
                    "layers": hp.get("num_layers", 1), "hidden": hp.get("hidden"),
                    "serves": _serves(r["model"], hp["vocab"])})
    return {"runs": out}


def _serves(family: str, vocab: str) -> list[str]:
    """The endpoints a character model serves: the gates are an LSTM's; the gradient plot
    needs a vocabulary that reads the held-out text of the shipped models."""
    heldout = json.loads(model("lstm")[1]["heldout"])
    return ["sample"] + ["gates"] * (family == "lstm") + ["gradients"] * (set(heldout) <= set(vocab))


def _model(body: dict[str, Any], runs: Path | None, family: str | None = None):
    """The model a request asks for and a line saying which: the model of run ``body["run"]``
    (a character model, else refused; an LSTM where ``family`` is "lstm"), or the shipped
    ``family`` (default "lstm")."""
    from .. import LSTM

    name = body.get("run")
    if name is None:
        return model(family or "lstm")[0], f"shipped char-{family or 'lstm'}"
    from .runs import load_model

    net = load_model(runs, name)
    kind = getattr(type(net), "registry_name", type(net).__name__)
    reason = run_problem(kind, getattr(net, "task", None), getattr(net, "vocab", None))
    if reason is not None:
        raise BadRequest(f"run {name!r}: {reason}")
    lstm = isinstance(net, LSTM)
    if family == "lstm" and not lstm:
        raise BadRequest(f"run {name!r}: the gates f, i, o and the memory s are an LSTM's: "
                         f"expected an lstm run, got an rnn run (an Elman network has no gates)")
    what = "LSTM" if lstm else "Elman RNN" if net.recurrence == "full" else "diagonal RNN"
    return net.eval(), (f"run {name}: {what}, {net.L} layer{'s' if net.L > 1 else ''} of "
                        f"{net.H} {'cells' if lstm else 'units'}")


def _family(net) -> str:
    from .. import LSTM

    return "lstm" if isinstance(net, LSTM) else "rnn"


def _run_key(runs: Path | None, name: str) -> tuple:
    """What names a run's weights in a cache: its name and its weight file's time and size (a
    run trained again is computed again)."""
    from .runs import run_path

    st = (run_path(runs, name) / "model.safetensors").stat()
    return ("run", name, st.st_mtime_ns, st.st_size)


def run_details(net, name: str, runs: Path | None) -> dict[str, Any]:
    """What the page says of run ``name``'s model: family, layers, cells, parameters, the corpus
    of its ``config.json`` (None: not recorded), the test loss of its ``summary.json`` (None:
    none), its loss on the shipped models' held-out text (None when its vocabulary lacks one of
    its characters; held out for a run of ``neuralzoo train --data tinyshakespeare``, which
    trains on the first 95%) and what it serves."""
    from .. import runs as nz_runs
    from ..config import read_json_object
    from ..models.base import count_parameters
    from .runs import run_path

    path = run_path(runs, name)
    corpus = nz_runs.read_config(path).get("data", {}).get("name")
    try:
        test_loss = read_json_object(path / "summary.json").get("test_loss")
    except (OSError, ValueError):  # no summary (a run written by fit), or a damaged one
        test_loss = None
    heldout = json.loads(model("lstm")[1]["heldout"])
    with _lock:
        key = (_run_key(runs, name), "heldout")
        if key not in _run_losses:
            covered = set(heldout) <= set(net.vocab)
            _run_losses[key] = heldout_loss(net, heldout) if covered else None
    family = _family(net)
    return {"name": name, "family": family, "layers": net.L, "hidden": net.H,
            "recurrence": getattr(net, "recurrence", None), "params": count_parameters(net),
            "vocab_size": len(net.vocab), "corpus": corpus,
            "test_loss": test_loss if isinstance(test_loss, int | float) else None,
            "heldout_loss": _run_losses[key], "gates_layer": 1 if family == "lstm" else None,
            "serves": _serves(family, net.vocab)}


# -- the API -----------------------------------------------------------------------------------
def _get_text(body: dict[str, Any], key: str, default: str, longest: int, known: str) -> str:
    """``body[key]``: a string of 1..``longest`` characters, each in the vocabulary ``known``
    (one line naming the others)."""
    v = body.get(key, default)
    if not isinstance(v, str):
        raise BadRequest(f"{key}: expected a string of 1 to {longest} characters, got {v!r}")
    if not 1 <= len(v) <= longest:
        raise BadRequest(f"{key}: expected a string of 1 to {longest} characters, got {len(v)} "
                         "characters")
    unknown = sorted(set(v) - set(known))
    if unknown:
        raise BadRequest(f"{key}: expected only characters the model has seen "
                         f"({known!r}), got unknown characters "
                         f"{', '.join(repr(c) for c in unknown)}")
    return v


def info(query: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """Both shipped models (family, corpus, size, recipe, held-out loss), the held-out text's
    unigram entropy, the limits of the API and, with ``run``, that run's model
    (:func:`run_details`); ``vocab``: the characters the chosen model reads; ``source``."""
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
    out = {"vocab": vocab(), "corpus": models["lstm"]["corpus"], "models": models,
           "heldout_chars": len(heldout), "unigram_entropy": unigram_entropy(heldout),
           "max_sample": MAX_SAMPLE, "max_gates": MAX_GATES, "max_prompt": MAX_PROMPT,
           "min_T": MIN_T, "max_T": MAX_T, "max_windows": MAX_WINDOWS,
           "run": None, "source": "shipped char-lstm and char-rnn"}
    if query.get("run") is None:
        return out
    net, source = _model(query, runs)
    return {**out, "vocab": net.vocab, "source": source,
            "run": run_details(net, query["run"], runs)}


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


def sample(body: dict[str, Any], runs: Path | None = None) -> Iterator[dict[str, Any]]:
    """A stream from the shipped LSTM or the ``run``'s model (LSTM or RNN): ``{prompt, n,
    temperature, seed, source}``, then one frame ``{"chars": ...}`` per sampled character, then
    ``{"done": true, "text": ...}``. Checked before the first frame."""
    net, source = _model(body, runs)
    prompt = _get_text(body, "prompt", "ROMEO:\n", MAX_PROMPT, net.vocab)
    n = get_int(body, "n", 200, 0, MAX_SAMPLE)
    temperature = get_float(body, "temperature", 0.8, 0.0, 2.0)
    if temperature <= 0:
        raise BadRequest(f"temperature: expected a number in (0, 2], got {temperature}")
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)

    def frames() -> Iterator[dict[str, Any]]:
        yield {"prompt": prompt, "n": n, "temperature": temperature, "seed": seed,
               "source": source}
        out = []
        for ch in sample_chars(net, prompt, n, temperature, seed):
            out.append(ch)
            yield {"chars": ch}
        yield {"done": True, "text": prompt + "".join(out)}

    return frames()


def gates(body: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """Per character of ``text`` (rows = characters t = 1..T, columns = cells): the gates
    ``f``, ``i``, ``o`` in (0, 1), the memory ``s`` and the output ``h``, each (T, H), of the
    first layer (``layer`` 1 of ``layers``) of the shipped LSTM or of the ``run``'s LSTM."""
    net, source = _model(body, runs, "lstm")
    text = _get_text(body, "text", "ROMEO:", MAX_GATES, net.vocab)
    tr = gate_trace(net, net.encode_text(text))
    return {"text": text, "chars": list(text), "hidden": net.H, "layer": 1, "layers": net.L,
            "source": source, **{k: _f64(tr[k]) for k in ("f", "i", "o", "s", "h")}}


def gradients(body: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """``||dL_T/dh_t||`` of the RNN and ``||dL_T/dh_t||``, ``||dL_T/ds_t||`` of the LSTM by
    distance ``T - t``, averaged over ``windows`` windows of ``T`` characters of the held-out
    text (:func:`gradient_norms`); a ``run`` stands in for the shipped model of its family
    (``sources`` says which answered). Per curve, ``ratio``: its value at the far end (distance
    T - 1) over its value at distance 0; ``near`` and ``far``: its decay per step
    (:func:`decay_per_step`) close to the loss (distances 0..NEAR) and over the far half of the
    window (distances T/2..T-1)."""
    T = get_int(body, "T", 100, MIN_T, MAX_T)
    n = get_int(body, "windows", 64, 1, MAX_WINDOWS)
    sides = {f: (model(f)[0], f"shipped char-{f}", ("shipped", f)) for f in HIDDEN}
    if body.get("run") is not None:
        net, source = _model(body, runs)
        sides[_family(net)] = (net, source, _run_key(runs, body["run"]))
    _, texts = gradient_windows(T, n)
    corpus = model("lstm")[1]["corpus"]
    for net, source, _ in sides.values():
        lacking = sorted(set("".join(texts)) - set(net.vocab))
        if lacking:
            raise BadRequest(f"{source}: expected a model that reads the held-out text of "
                             f"{corpus}, got a vocabulary without "
                             f"{', '.join(repr(c) for c in lacking)}")
    curves = {}
    with _lock:
        for family, (net, _, key) in sides.items():
            if (key, T, len(texts)) not in _curves:
                ids = net.encode_text("".join(texts)).reshape(len(texts), T + 1)
                _curves[(key, T, len(texts))] = gradient_norms(net, ids)
            curves.update({f"{family}_{k}": v for k, v in _curves[(key, T, len(texts))].items()})
    return {"T": T, "windows": len(texts), "texts": texts, "corpus": corpus,
            "sources": {f: side[1] for f, side in sides.items()},
            "distance": list(range(T)), "curves": curves,
            "ratio": {k: v[-1] / v[0] for k, v in curves.items()},
            "near": {k: decay_per_step(v, 0, min(NEAR, T - 1)) for k, v in curves.items()},
            "far": {k: decay_per_step(v, T // 2, T - 1) for k, v in curves.items()}}


def routes(runs: Path | None = None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import get, post

    return [get("/api/lstm/info", lambda query: info(query, runs)),
            get("/api/lstm/runs", lambda query: char_runs(runs)),
            post("/api/lstm/sample", lambda body: sample(body, runs)),
            post("/api/lstm/gates", lambda body: gates(body, runs)),
            post("/api/lstm/gradients", lambda body: gradients(body, runs))]
