"""The RBM page's computations: a binary RBM and a DBN with label units, trained once (fixed
seeds) on the embedded binarised 8x8 digits on first use and kept in memory.

The RBM (:class:`~neuralzoo.models.RBM`, D = 64 visible, H = 32 hidden units, PCD)::

    E(v, h) = -v^T W h - b^T v - a^T h
    p(h_j = 1 | v) = sigmoid(a_j + sum_i w_ij v_i),   p(v_i = 1 | h) = sigmoid(b_i + sum_j w_ij h_j)

The page shows p(h|v) of a drawn digit, its mean-field reconstruction p(v | h = p(h|v)), a
block-Gibbs chain ``v_0 -> h_0 ~ p(h|v_0) -> v_1 ~ p(v|h_0) -> ...`` from it, and the filters
(column j of W, unit j's 64 weights, as an 8x8 tile). The DBN
(:class:`~neuralzoo.models.dbn.DBN`, ``[64, 64, 128]``, ``labels=True``) generates digits of a
class: Gibbs sampling in its top RBM with the label units clamped to the class, then one down
pass through the generative weights. The API is stateless apart from the two cached models:
one seed gives one chain, one set of samples.
"""

from __future__ import annotations

import threading
from typing import Any

from ._params import get_bits, get_int

SIDE = 8
N_VISIBLE = SIDE * SIDE
N_HIDDEN = 32
RBM_EPOCHS = 20  # PCD, ~0.7 s on one core
DBN_HIDDEN = [64, 128]
DBN_EPOCHS = 30  # greedy pretraining of both RBMs, no fine-tuning: ~3 s on one core
MAX_GIBBS = 200
MAX_SAMPLES = 16
MAX_DBN_STEPS = 2000
SEED = 0

_lock = threading.Lock()
_cache: dict[str, Any] = {}


def _digits(split: str):
    from .. import datasets

    return datasets.load("digits", split=split, binarize="threshold")


def rbm_model():
    """The page's RBM, trained on first use (PCD, seed 0) and cached."""
    with _lock:
        if "rbm" not in _cache:
            import torch

            from ..models import RBM

            X, _ = _digits("train")
            with torch.random.fork_rng():  # the global RNG of the server is left as it was
                _cache["rbm"] = RBM(N_VISIBLE, N_HIDDEN, method="pcd").fit(
                    X, epochs=RBM_EPOCHS, seed=SEED, progress=False).eval()
        return _cache["rbm"]


def dbn_model():
    """The page's DBN with label units, pretrained on first use (seed 0) and cached."""
    with _lock:
        if "dbn" not in _cache:
            import torch

            from ..models.dbn import DBN

            X, y = _digits("train")
            with torch.random.fork_rng():
                _cache["dbn"] = DBN(N_VISIBLE, 10, hidden=DBN_HIDDEN, labels=True,
                                    finetune="none").fit(X, y, epochs=DBN_EPOCHS, seed=SEED,
                                                         progress=False).eval()
        return _cache["dbn"]


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
    rows = [int(torch.nonzero(y == c)[0, 0]) for c in range(10)]
    return {"side": SIDE, "digits": X[rows].int().tolist(), "labels": y[rows].tolist()}


def infer(body: dict[str, Any]) -> dict[str, Any]:
    """``p_h`` = p(h = 1 | v) (H,) of the drawn ``v`` (64 bits), the mean-field reconstruction
    ``recon`` = p(v = 1 | h = p(h|v)) (64,), and the free energy F(v)."""
    import torch

    rbm = rbm_model()
    v = _v(body)
    with torch.no_grad():
        p_h = rbm.p_h_given_v(v)  # (1, H)
        recon = rbm.p_v_given_h(p_h)  # (1, D)
        F = float(rbm.free_energy(v)[0])
    return {"side": SIDE, "p_h": _round(p_h[0]), "recon": _round(recon[0]),
            "free_energy": round(F, 4)}


def gibbs(body: dict[str, Any]) -> dict[str, Any]:
    """A block-Gibbs chain of ``steps`` steps from the drawn ``v`` (drawn from ``seed``):
    ``frames`` v_0 (the input), v_1, ..., v_steps, each 64 bits, and ``means`` p(v_t = 1 |
    h_{t-1}) of the frames after the first."""
    import torch

    rbm = rbm_model()
    v = _v(body)
    steps = get_int(body, "steps", 20, 1, MAX_GIBBS)
    seed = get_int(body, "seed", 0, 0, 2**31 - 1)
    g = torch.Generator().manual_seed(seed)
    frames, means = [v[0].int().tolist()], []
    with torch.no_grad():
        for _ in range(steps):  # the draws of rbm.gibbs_step(v, steps, g), one step at a time
            _, h = rbm.sample_h(v, g)
            p_v, v = rbm.sample_v(h, g)
            frames.append(v[0].int().tolist())
            means.append(_round(p_v[0], 3))
    return {"side": SIDE, "steps": steps, "seed": seed, "frames": frames, "means": means}


def filters() -> dict[str, Any]:
    """Each hidden unit's 64 weights ``W[:, j]`` as a row of ``filters`` (H, 64), its bias
    ``a_j`` in ``hidden_bias``, and the largest |w| (the page's colour scale)."""
    rbm = rbm_model()
    W = rbm.W.detach()  # (D, H)
    return {"side": SIDE, "n_hidden": N_HIDDEN, "filters": _round(W.T), "hidden_bias":
            _round(rbm.a.detach()), "max_abs": round(float(W.abs().max()), 4),
            "method": rbm.method, "epochs": RBM_EPOCHS}


def generate(body: dict[str, Any]) -> dict[str, Any]:
    """``n`` digits of class ``label`` from the DBN: ``steps`` Gibbs steps in the top RBM with
    the label units clamped, one down pass (``probs`` (n, 64), as :meth:`DBN.sample` returns
    them, drawn from ``seed``), then ``images`` v ~ p(v | h_1) (n, 64 bits) from the same
    generator; ``predicted``: the DBN's own class of each ``probs`` (the top RBM's free energy)."""
    import torch

    label = get_int(body, "label", 0, 0, 9)
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


def routes(runs: Any = None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import get, post

    return [get("/api/rbm/digits", lambda query: example_digits()),
            get("/api/rbm/filters", lambda query: filters()),
            post("/api/rbm/infer", infer),
            post("/api/rbm/gibbs", gibbs),
            post("/api/dbn/generate", generate)]
