"""The RBM page's computations: a binary RBM and a DBN with label units on the binarised 8x8
digits, shipped inside the package (``checkpoints/rbm-digits.safetensors`` and
``dbn-digits.safetensors``, written by ``benchmarks/train_playground.py`` from :func:`train_rbm`
and :func:`train_dbn`), or an RBM of a run folder under ``neuralzoo serve --runs``.

The RBM (:class:`~neuralzoo.models.RBM`, v in {0,1}^d with d = 64 visible units, h in {0,1}^m
with m = 32 hidden units, persistent CD), in the lecture's notation::

    E(v, h; theta) = -sum_ij w_ij v_i h_j - sum_i b_i v_i - sum_j a_j h_j
    p(h_j = 1 | v) = sigm(a_j + sum_i w_ij v_i),     p(v_i = 1 | h) = sigm(b_i + sum_j w_ij h_j)
    log p(v) = sum_i b_i v_i + sum_j log(1 + exp(a_j + sum_i w_ij v_i)) - log z(theta)

The hidden units are conditionally independent given v (条件独立), so the page shows p(h|v) of a
drawn digit, its mean-field reconstruction p(v | h = p(h|v)), a block-Gibbs chain
``v_0 -> h_0 ~ p(h|v_0) -> v_1 ~ p(v|h_0) -> ...`` streamed one step per frame, and the filters
(column j of W, unit j's 64 weights, as an 8x8 tile). The DBN (:class:`~neuralzoo.models.dbn.DBN`,
``[64, 64, 128]`` with 10 label units in the top RBM, greedy pretraining only) is the lecture's::

    p(v, h1, h2) = prod_i Ber(v_i | sigm(h1^T w_1i + b_0i)) * exp(-E_top([h1, y], h2)) / z

it generates digits of a class by Gibbs sampling in the top RBM with the label units y clamped,
then one down pass through the directed layer. The API is stateless apart from the cached
models: one seed gives one chain, one set of samples.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import _shipped
from ._params import BadRequest, get_bits, get_int

SIDE = 8
N_VISIBLE = SIDE * SIDE
N_HIDDEN = 32
RBM_METHOD = "pcd"
RBM_EPOCHS = 20  # PCD: ~4 s to train on one core
DBN_HIDDEN = [64, 128]
# greedy pretraining only (~10 s on one core); a nearest-class-mean classifier reads 76% of its
# digits of a class as that class (500 samples, 1000 steps), 72% after 30 epochs
DBN_EPOCHS = 60
N_CLASSES = 10
MAX_GIBBS = 200
MAX_DELAY_MS = 250  # between frames: a chain holds a server thread for at most 200 x 250 ms
MAX_SAMPLES = 16
MAX_DBN_STEPS = 2000  # 8 samples: ~0.3 s on one core, so /api/dbn/generate answers at once
SEED = 0


def _digits(split: str):
    from .. import datasets

    return datasets.load("digits", split=split, binarize="threshold")


# -- the shipped models ------------------------------------------------------------------------

def train_rbm():
    """The shipped RBM from scratch: 32 hidden units, PCD, 20 epochs on the binarised training
    digits, seed 0. Returns ``(rbm, metadata)``."""
    from ..models import RBM

    X, _ = _digits("train")
    rbm = RBM(N_VISIBLE, N_HIDDEN, method=RBM_METHOD).fit(X, epochs=RBM_EPOCHS, seed=SEED,
                                                          progress=False)
    return rbm, {"model": "rbm", "n_hidden": str(N_HIDDEN), "method": RBM_METHOD,
                 "epochs": str(RBM_EPOCHS), "seed": str(SEED),
                 "data": "digits train, binarize=threshold"}


def train_dbn():
    """The shipped DBN from scratch: ``[64, 64, 128]`` with label units, greedy pretraining
    (60 epochs a layer, seed 0), no fine-tuning. Returns ``(dbn, metadata)``."""
    import torch

    from ..models.dbn import DBN

    X, y = _digits("train")
    with torch.random.fork_rng():
        torch.manual_seed(SEED)  # the constructor draws its (unused) MLP from the global RNG
        dbn = DBN(N_VISIBLE, N_CLASSES, hidden=DBN_HIDDEN, labels=True, finetune="none")
    dbn.fit(X, y, epochs=DBN_EPOCHS, seed=SEED, progress=False)
    return dbn, {"model": "dbn", "hidden": ",".join(map(str, DBN_HIDDEN)), "labels": "true",
                 "epochs": str(DBN_EPOCHS), "seed": str(SEED),
                 "data": "digits train, binarize=threshold"}


def _build_rbm(meta: dict[str, str]):
    from ..models import RBM

    return RBM(N_VISIBLE, int(meta.get("n_hidden", N_HIDDEN)), method=meta.get("method", RBM_METHOD))


def _build_dbn(meta: dict[str, str]):
    from ..models.dbn import DBN

    hidden = [int(h) for h in meta["hidden"].split(",")] if "hidden" in meta else DBN_HIDDEN
    return DBN(N_VISIBLE, N_CLASSES, hidden=hidden, labels=True, finetune="none")


SHIPPED = {"rbm-digits": train_rbm, "dbn-digits": train_dbn}


def rbm_model():
    """The shipped RBM (trained now when the file is missing; cached per process)."""
    return _shipped.model("rbm-digits", _build_rbm, train_rbm)[0]


def dbn_model():
    """The shipped DBN with label units (trained now when the file is missing; cached)."""
    return _shipped.model("dbn-digits", _build_dbn, train_dbn)[0]


def _rbm(body: dict[str, Any], runs: Path | None):
    """The RBM a request asks for, and a line saying which: the RBM of run ``body["run"]`` (a
    binary ``rbm`` run with 64 visible units, else refused), or the shipped one."""
    from ..models import RBM

    name = body.get("run")
    if name is None:
        meta = _shipped.model("rbm-digits", _build_rbm, train_rbm)[1]
        return rbm_model(), (f"shipped rbm-digits: {meta.get('method', '?').upper()}, "
                             f"{meta.get('epochs', '?')} epochs")
    from .runs import load_model

    rbm = load_model(runs, name)
    if type(rbm) is not RBM:  # Gaussian, categorical, ... visibles are not 0/1 pixels
        raise BadRequest(f"run {name!r}: expected an rbm run (binary visible units), got "
                         f"{type(rbm).__name__}")
    if rbm.n_visible != N_VISIBLE:
        raise BadRequest(f"run {name!r}: expected an RBM of 8x8 digits ({N_VISIBLE} visible "
                         f"units), got {rbm.n_visible} visible units")
    return rbm.eval(), f"run {name}: {rbm.method.upper()}"


# -- the API -----------------------------------------------------------------------------------

def _v(body: dict[str, Any]):
    import torch

    return torch.tensor([get_bits(body, "v", N_VISIBLE)], dtype=torch.float32)  # (1, D)


def _round(t, digits: int = 4) -> list:
    return t.round(decimals=digits).tolist()


def example_digits() -> dict[str, Any]:
    """The first binarised example of each class 0..9 in the test split (digits the RBM never
    saw): ``digits`` (10, 64) of 0/1, row by row, and their ``labels``."""
    import torch

    X, y = _digits("test")
    rows = [int(torch.nonzero(y == c)[0, 0]) for c in range(N_CLASSES)]
    return {"side": SIDE, "digits": X[rows].int().tolist(), "labels": y[rows].tolist()}


def infer(body: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """``p_h`` = p(h = 1 | v) (H,) of the drawn ``v`` (64 bits), the mean-field reconstruction
    ``recon`` = p(v = 1 | h = p(h|v)) (64,), and the free energy
    F(v) = -b^T v - sum_j log(1 + exp(a_j + sum_i w_ij v_i))."""
    import torch

    rbm, source = _rbm(body, runs)
    v = _v(body)
    with torch.no_grad():
        p_h = rbm.p_h_given_v(v)  # (1, H)
        recon = rbm.p_v_given_h(p_h)  # (1, D)
        F = float(rbm.free_energy(v)[0])
    return {"side": SIDE, "p_h": _round(p_h[0]), "recon": _round(recon[0]),
            "free_energy": round(F, 4), "source": source}


def gibbs(body: dict[str, Any], runs: Path | None = None) -> Iterator[dict[str, Any]]:
    """A block-Gibbs chain of ``steps`` steps from the drawn ``v``, drawn from ``seed``, streamed
    one frame per step (``delay_ms`` apart, so that a person can watch it).

    Frame 0 is ``{t: 0, steps, seed, side, n_hidden, v: v_0}`` (the input); frame t >= 1 is
    ``{t, h: h_{t-1} ~ p(h | v_{t-1}), p_v: p(v_t = 1 | h_{t-1}), v: v_t ~ p(v | h_{t-1})}``:
    the draws of ``rbm.gibbs_step(v_0, steps, generator)``, one step at a time.
    Every parameter is checked before the first frame (bad input is a 4xx, not a broken stream).
    """
    import torch

    rbm, source = _rbm(body, runs)
    v = _v(body)
    steps = get_int(body, "steps", 20, 1, MAX_GIBBS)
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    delay = get_int(body, "delay_ms", 0, 0, MAX_DELAY_MS) / 1000

    def frames() -> Iterator[dict[str, Any]]:
        nonlocal v
        g = torch.Generator().manual_seed(seed)
        yield {"t": 0, "steps": steps, "seed": seed, "side": SIDE, "n_hidden": rbm.n_hidden,
               "source": source, "v": v[0].int().tolist()}
        for t in range(1, steps + 1):
            with torch.no_grad():
                _, h = rbm.sample_h(v, g)  # (1, H)
                p_v, v = rbm.sample_v(h, g)  # (1, D), (1, D)
            if delay:
                time.sleep(delay)
            yield {"t": t, "h": h[0].int().tolist(), "p_v": _round(p_v[0], 3),
                   "v": v[0].int().tolist()}

    return frames()


def filters(query: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """Each hidden unit's 64 weights ``W[:, j]`` as a row of ``filters`` (H, 64), its bias
    ``a_j`` in ``hidden_bias``, and the largest |w| (the page's colour scale)."""
    rbm, source = _rbm(query, runs)
    W, _, a = (t.detach() for t in rbm.ordinary_parameters())  # (D, H), (D,), (H,)
    return {"side": SIDE, "n_hidden": rbm.n_hidden, "filters": _round(W.T),
            "hidden_bias": _round(a), "max_abs": round(float(W.abs().max()), 4),
            "source": source}


def generate(body: dict[str, Any]) -> dict[str, Any]:
    """``n`` digits of class ``label`` from the shipped DBN: ``steps`` Gibbs steps in the top RBM
    with the label units clamped, one down pass (``probs`` (n, 64) = p(v | h1), as
    :meth:`DBN.sample` returns them, drawn from ``seed``), then ``images`` v ~ p(v | h1)
    (n, 64 bits) from the same generator; ``predicted``: the DBN's own class of each ``probs``
    (the top RBM's free energy). One JSON answer, not a stream: 2000 steps take ~0.3 s."""
    import torch

    label = get_int(body, "label", 0, 0, N_CLASSES - 1)
    n = get_int(body, "n", 8, 1, MAX_SAMPLES)
    steps = get_int(body, "steps", 1000, 1, MAX_DBN_STEPS)
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    dbn = dbn_model()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        probs = dbn.sample(n, steps=steps, labels=torch.full((n,), label), generator=g)  # (n, D)
        images = torch.bernoulli(probs, generator=g)  # (n, D)
        predicted = dbn.predict(probs)
    return {"side": SIDE, "label": label, "n": n, "steps": steps, "seed": seed,
            "probs": _round(probs, 3), "images": images.int().tolist(),
            "predicted": predicted.tolist()}


def routes(runs: Path | None = None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import get, post

    return [get("/api/rbm/digits", lambda query: example_digits()),
            get("/api/rbm/filters", lambda query: filters(query, runs)),
            post("/api/rbm/infer", lambda body: infer(body, runs)),
            post("/api/rbm/gibbs", lambda body: gibbs(body, runs)),
            post("/api/dbn/generate", generate)]
