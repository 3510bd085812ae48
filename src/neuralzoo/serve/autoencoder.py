"""The autoencoder page's computations: a variational autoencoder with a 2-D code, shipped inside
the package (trained on the embedded 8x8 digits), its code map of the test digits, decodings of
any point of the code plane, and latent traversals.

The lecture's autoencoder (自编码器) encodes the input ``x`` into a code and decodes the code back,
trained to reconstruct its input, ``min sum_k ||x_k - z_k||^2`` (the lecture's ``z_k`` is the
reconstruction of ``x_k``); its extensions list the variational autoencoder (变分Autoencoder), whose
code is a distribution. The model (:class:`~neuralzoo.models.VAE`, ``[64, 128] -> z in R^2 ->
[128, 64]``; here ``z`` is the code and ``x_hat = sigmoid(dec(mu(x)))`` the reconstruction)::

    q(z | x) = N(mu(x), diag sigma^2(x)),   p(z) = N(0, I),   p(x | z) = Bernoulli(sigmoid(dec(z)))
    ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || p(z))

is trained by :func:`train_vae` on the training split (1437 digits) for ``EPOCHS`` epochs from
``SEED``; ``benchmarks/train_playground.py vae-digits`` writes it to
``checkpoints/vae-digits.safetensors`` (weights only), which the server loads on first use (see
:mod:`._shipped`; without the file it trains, a few seconds on one core). The page draws each
test digit at its posterior mean ``mu(x)`` (the code map, coloured by class), decodes the point
under the pointer as ``sigmoid(dec(z))`` (64 grey values in [0, 1]), and shows the traversal
``decode(mu(x) + t e_dim)``, ``t`` in ``[-SPAN, SPAN]``.
"""

from __future__ import annotations

import json
import math
import threading
from typing import Any

from . import _shipped
from ._params import BadRequest, get_int

NAME = "vae-digits"  # the shipped checkpoint
HIDDEN = [128]
LATENT = 2
EPOCHS = 60
LR = 3e-3
SEED = 0
SPAN = 3.0  # a traversal runs t over [-SPAN, SPAN]: three prior standard deviations
EXTENT = 4.0  # the code map spans [-EXTENT, EXTENT]^2 (the test codes lie within about 2.5)
Z_MAX = 10.0  # a decoded point lies in [-Z_MAX, Z_MAX]^2: beyond it the decoder only saturates
MAX_STEPS = 15

_lock = threading.Lock()
_cache: dict[str, Any] = {}


def _r4(a) -> list:
    """A tensor as nested lists of floats rounded to 4 decimals (in float64, so 0.0002 stays
    0.0002 in the JSON)."""
    return a.double().round(decimals=4).tolist()


def train_vae():
    """The page's VAE trained from scratch: ``HIDDEN``, ``LATENT``, ``EPOCHS`` epochs of Adam at
    ``LR`` from ``SEED`` on the digits' training split; ``(vae, metadata)``, the metadata
    (``str -> str``) holding what :func:`build_vae` needs and how it was trained."""
    import warnings

    from .. import datasets
    from ..models import VAE

    X, _ = datasets.load("digits", "train")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vae = VAE(64, hidden=HIDDEN, latent=LATENT).fit(X, epochs=EPOCHS, lr=LR, seed=SEED,
                                                        progress=False)
    meta = {"hidden": json.dumps(HIDDEN), "latent": str(LATENT), "activation": vae.activation,
            "epochs": str(EPOCHS), "lr": str(LR), "seed": str(SEED), "data": "digits train"}
    return vae, meta


def build_vae(meta: dict[str, str]):
    """An untrained VAE of the sizes ``meta`` (a checkpoint's metadata) records."""
    from ..models import VAE

    return VAE(64, hidden=json.loads(meta["hidden"]), latent=int(meta["latent"]),
               activation=meta["activation"])


SHIPPED = {NAME: train_vae}


def model() -> dict[str, Any]:
    """The shipped VAE (``"vae"``, its checkpoint's ``"meta"``), the test split (``"X"``
    (360, 64), ``"y"`` (360,)) and the VAE's held-out ``"elbo"`` and ``"squared_error"``
    (``sum_i (x_i - x_hat_i)^2`` per digit): made on the first call, the same objects after."""
    with _lock:
        if not _cache:
            from .. import datasets

            vae, meta = _shipped.model(NAME, build_vae, train_vae)
            Xt, yt = datasets.load("digits", "test")
            scores = vae.evaluate(Xt)  # the ELBO's 10 samples drawn from a seed of their own
            _cache.update(vae=vae, meta=meta, X=Xt, y=yt, elbo=scores["elbo"],
                          squared_error=scores["squared_error"])
        return _cache


def codes() -> dict[str, Any]:
    """The test digits' posterior means ``points`` (360, 2) and ``labels``, the plane's
    ``extent``, and the model: its ``sizes``, training ``epochs`` and ``seed``, held-out ``elbo``
    (nats per digit) and reconstruction ``squared_error`` (per digit)."""
    m = model()
    z = m["vae"].transform(m["X"])  # (N, 2)
    return {"points": _r4(z), "labels": m["y"].tolist(),
            "extent": [-EXTENT, EXTENT], "sizes": m["vae"].sizes, "epochs": int(m["meta"]["epochs"]),
            "seed": int(m["meta"]["seed"]), "elbo": round(m["elbo"], 3),
            "squared_error": round(m["squared_error"], 4), "span": SPAN, "max_steps": MAX_STEPS}


def _get_z(body: dict[str, Any]) -> list[float]:
    """``body["z"]``: two finite numbers in ``[-Z_MAX, Z_MAX]``."""
    v = body.get("z")
    if not isinstance(v, list) or len(v) != 2:
        got = f"a list of {len(v)} values" if isinstance(v, list) else repr(v)
        raise BadRequest(f"z: expected a list of two numbers [z1, z2], got {got}")
    for x in v:
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            raise BadRequest(f"z: expected two finite numbers, got {x!r}")
        if abs(x) > Z_MAX:
            raise BadRequest(f"z: expected numbers in [{-Z_MAX}, {Z_MAX}], got {x}")
    return [float(x) for x in v]


def decode(body: dict[str, Any]) -> dict[str, Any]:
    """The decoded digit ``image`` = ``sigmoid(dec(z))``, 64 grey values in [0, 1], row by row."""
    import torch

    z = _get_z(body)
    vae = model()["vae"]
    with torch.no_grad():
        x = vae.decode(torch.tensor([z], dtype=torch.float32))[0]  # (64,)
    return {"z": z, "image": _r4(x)}


def traverse(body: dict[str, Any]) -> dict[str, Any]:
    """The traversal of test digit ``index`` along code axis ``dim``: ``steps`` decodings of
    ``mu(x) + t e_dim``, ``t`` evenly spaced in ``[-SPAN, SPAN]``, and the codes ``z`` decoded."""
    import torch

    m = model()
    n = len(m["X"])
    index = get_int(body, "index", 0, 0, n - 1)
    dim = get_int(body, "dim", 0, 0, m["vae"].latent - 1)
    steps = get_int(body, "steps", 9, 2, MAX_STEPS)
    x = m["X"][index:index + 1]  # (1, 64)
    images = m["vae"].traverse(x, dim=dim, steps=steps, span=SPAN)  # (steps, 64)
    mu = m["vae"].transform(x)[0]  # (2,)
    t = torch.linspace(-SPAN, SPAN, steps)
    z = mu.repeat(steps, 1)  # (steps, 2)
    z[:, dim] += t
    return {"index": index, "label": int(m["y"][index]), "dim": dim, "t": _r4(t), "z": _r4(z),
            "mu": _r4(mu), "image": _r4(m["X"][index]), "images": _r4(images)}


def routes(runs: Any = None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import get, post

    return [get("/api/autoencoder/codes", lambda query: codes()),
            post("/api/autoencoder/decode", decode),
            post("/api/autoencoder/traverse", traverse)]
