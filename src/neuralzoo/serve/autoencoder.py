"""The autoencoder page's computations: a variational autoencoder with a 2-D code, shipped inside
the package (trained on the embedded 8x8 digits), or an autoencoder with a 2-D code from a run
folder under ``neuralzoo serve --runs``; its code map of the test digits, decodings of any point
of the code plane, and (a VAE's) latent traversals.

The lecture's autoencoder (自编码器) encodes the input ``x`` into a code and decodes the code back,
trained to reconstruct its input, ``min sum_k ||x_k - z_k||^2`` (the lecture's ``z_k`` is the
reconstruction of ``x_k``); its extensions list the variational autoencoder (变分Autoencoder), whose
code is a distribution. The shipped model (:class:`~neuralzoo.models.VAE`,
``[64, 128] -> z in R^2 -> [128, 64]``; here ``z`` is the code and ``x_hat = sigmoid(dec(mu(x)))``
the reconstruction)::

    q(z | x) = N(mu(x), diag sigma^2(x)),   p(z) = N(0, I),   p(x | z) = Bernoulli(sigmoid(dec(z)))
    ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || p(z))

is trained by :func:`train_vae` on the training split (1437 digits) for ``EPOCHS`` epochs from
``SEED``; ``benchmarks/train_playground.py vae-digits`` writes it to
``checkpoints/vae-digits.safetensors`` (weights only), which the server loads on first use (see
:mod:`._shipped`; without the file it trains, a few seconds on one core). The page draws each
test digit at its posterior mean ``mu(x)`` (the code map, coloured by class), decodes the point
under the pointer as ``sigmoid(dec(z))`` (64 grey values in [0, 1]), and shows the traversal
``decode(mu(x) + t e_dim)``, ``t`` in ``[-SPAN, SPAN]``.

A request's ``"run": name`` (``?run=name`` on a GET) asks for the model of that run folder
instead: a ``vae`` run, or a plain, denoising, sparse, deep or hashing autoencoder run
(:class:`~neuralzoo.models.Autoencoder` and its subclasses, code ``y = h^(L)``, reconstruction
``z = decode(y)``), with 64 inputs and a code of 2 units; anything else is refused in one line
saying what it holds. A plain autoencoder's map shows its codes ``y(x)`` and decodes any ``y`` of
the plane; its plane is fitted to its codes (no prior puts them near 0). The traversal is the
VAE's: ``t`` counts standard deviations of the prior ``p(z) = N(0, I)``, which a plain
autoencoder's code does not have, so for one it is refused. Every answer says which model
answered (``source``).
"""

from __future__ import annotations

import json
import math
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import _shipped
from ._params import BadRequest, get_int

NAME = "vae-digits"  # the shipped checkpoint
D = 64  # inputs: an 8x8 digit
HIDDEN = [128]
LATENT = 2
EPOCHS = 60
LR = 3e-3
SEED = 0
SPAN = 3.0  # a traversal runs t over [-SPAN, SPAN]: three prior standard deviations
EXTENT = 4.0  # a VAE's code map spans [-EXTENT, EXTENT]^2 (the test codes lie within about 2.5)
Z_MAX = 10.0  # a VAE's decoded point lies in [-Z_MAX, Z_MAX]^2: beyond it the decoder saturates
GRID_LINES = 8  # about this many grid steps across the map
MAX_STEPS = 15

_lock = threading.Lock()
_cache: dict[str, Any] = {}


def _r4(a) -> list:
    """A tensor as nested lists of floats rounded to 4 decimals (in float64, so 0.0002 stays
    0.0002 in the JSON)."""
    return a.double().round(decimals=4).tolist()


@lru_cache(maxsize=1)
def _test_split():
    """The digits' test split ``(X (360, 64) in [0, 1], y (360,))``, loaded once."""
    from .. import datasets

    return datasets.load("digits", "test")


# -- the shipped VAE ---------------------------------------------------------------------------

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
        vae = VAE(D, hidden=HIDDEN, latent=LATENT).fit(X, epochs=EPOCHS, lr=LR, seed=SEED,
                                                       progress=False)
    meta = {"hidden": json.dumps(HIDDEN), "latent": str(LATENT), "activation": vae.activation,
            "epochs": str(EPOCHS), "lr": str(LR), "seed": str(SEED), "data": "digits train"}
    return vae, meta


def build_vae(meta: dict[str, str]):
    """An untrained VAE of the sizes ``meta`` (a checkpoint's metadata) records."""
    from ..models import VAE

    return VAE(D, hidden=json.loads(meta["hidden"]), latent=int(meta["latent"]),
               activation=meta["activation"])


SHIPPED = {NAME: train_vae}


def model() -> dict[str, Any]:
    """The shipped VAE (``"vae"``, its checkpoint's ``"meta"``), the test split (``"X"``
    (360, 64), ``"y"`` (360,)) and the VAE's held-out ``"elbo"`` and ``"squared_error"``
    (``sum_i (x_i - x_hat_i)^2`` per digit): made on the first call, the same objects after."""
    with _lock:
        if not _cache:
            vae, meta = _shipped.model(NAME, build_vae, train_vae)
            Xt, yt = _test_split()
            scores = vae.evaluate(Xt)  # the ELBO's 10 samples drawn from a seed of their own
            _cache.update(vae=vae, meta=meta, X=Xt, y=yt, elbo=scores["elbo"],
                          squared_error=scores["squared_error"])
        return _cache


# -- the model a request asks for --------------------------------------------------------------

def family() -> dict[str, type]:
    """The registered models this page can show, by registry name: the VAE and the autoencoders
    with a decoder (:class:`~neuralzoo.models.Autoencoder` and its subclasses)."""
    from .. import models
    from ..models import VAE, Autoencoder

    return {n: c for n, c in models.REGISTRY.items()
            if isinstance(c, type) and issubclass(c, VAE | Autoencoder)}


def _check_run_model(net: Any, name: str) -> str:
    """``"vae"`` or ``"autoencoder"``: the kind of the run's model, after checking that it is a
    VAE or an autoencoder of 64 inputs with a 2-unit code (else refused, saying what it holds)."""
    from ..models import VAE, Autoencoder

    if not isinstance(net, VAE | Autoencoder):
        raise BadRequest(f"run {name!r}: expected an autoencoder run with a decoder "
                         f"({', '.join(family())}), got {type(net).__name__}")
    k = net.latent if isinstance(net, VAE) else net.code
    if net.n_features != D or k != LATENT:
        raise BadRequest(f"run {name!r}: expected an autoencoder of the 8x8 digits ({D} inputs) "
                         f"with a {LATENT}-D code, got {type(net).__name__} of sizes {net.sizes} "
                         f"({net.n_features} inputs, a {k}-D code)")
    return "vae" if isinstance(net, VAE) else "autoencoder"


def _served(body: dict[str, Any], runs: Path | None) -> dict[str, Any]:
    """The model a request asks for: the model of run ``body["run"]`` (a VAE or an autoencoder of
    64 inputs with a 2-unit code, else refused), or the shipped VAE.
    ``{"net", "kind" ("vae" | "autoencoder"), "run" (None: shipped), "model" (registry name),
    "epochs", "seed", "source"}``."""
    name = body.get("run")
    if name is None:
        m = model()
        epochs, seed = int(m["meta"]["epochs"]), int(m["meta"]["seed"])
        return {"net": m["vae"], "kind": "vae", "run": None, "model": "vae", "epochs": epochs,
                "seed": seed, "source": f"shipped {NAME}: {epochs} epochs from seed {seed}"}
    from .. import runs as nz_runs
    from .runs import load_model, run_path

    net = load_model(runs, name).eval()
    kind = _check_run_model(net, name)
    train = nz_runs.read_config(run_path(runs, name)).get("train", {})
    epochs, seed = train.get("epochs"), train.get("seed")
    return {"net": net, "kind": kind, "run": name, "model": type(net).registry_name,
            "epochs": epochs, "seed": seed,
            "source": f"run {name}: {type(net).registry_name}, {epochs} epoch"
                      f"{'' if epochs == 1 else 's'} from seed {seed}"}


def _nice(x: float) -> float:
    """The grid step nearest to ``x`` (> 0) on a log scale among 1, 2 and 5 times a power of
    ten (so that the map has between about 5 and 13 grid steps, not 3)."""
    p = 10.0 ** math.floor(math.log10(x))
    return min((m * p for m in (1, 2, 5, 10)), key=lambda s: abs(math.log(s / x)))


def _plane(served: dict[str, Any], z) -> dict[str, Any]:
    """The map of codes ``z`` (N, 2): ``extent`` [lo, hi] (both axes), the ``grid`` step, and
    ``z_range`` [lo, hi], where a decoded point may lie. A VAE's plane is ``[-EXTENT, EXTENT]^2``
    (its prior keeps the codes near 0; widened if a code lies outside) and it decodes within
    ``[-Z_MAX, Z_MAX]``; a plain autoencoder's is fitted to its codes, with a tenth of their
    spread as a margin, and decodes within the map widened by its width on each side."""
    if served["kind"] == "vae":
        e = min(Z_MAX, max(EXTENT, math.ceil(1.1 * float(z.abs().max()))))
        return {"extent": [-e, e], "grid": _nice(2 * e / GRID_LINES), "z_range": [-Z_MAX, Z_MAX]}
    lo, hi = float(z.min()), float(z.max())
    pad = 0.1 * max(hi - lo, 1e-3)
    step = _nice((hi - lo + 2 * pad) / GRID_LINES)
    lo, hi = math.floor((lo - pad) / step) * step, math.ceil((hi + pad) / step) * step
    w = hi - lo
    return {"extent": [round(lo, 9), round(hi, 9)], "grid": step,
            "z_range": [round(lo - w, 9), round(hi + w, 9)]}


def _codes_of(served: dict[str, Any], X):
    """The codes of ``X`` on the map: a VAE's posterior means ``mu(x)``, an autoencoder's
    ``y(x)`` (N, 2)."""
    return served["net"].transform(X)  # (N, 2)


# -- the API -----------------------------------------------------------------------------------

def codes(query: dict[str, Any] | None = None, runs: Path | None = None) -> dict[str, Any]:
    """The test digits' codes ``points`` (360, 2) (a VAE's posterior means ``mu(x)``, an
    autoencoder's ``y(x)``) and ``labels``, the plane (``extent``, ``grid``, ``z_range``), and
    the model: its ``kind``, ``sizes``, training ``epochs`` and ``seed``, held-out ``elbo``
    (nats per digit; None for a plain autoencoder) and reconstruction ``squared_error`` (per
    digit), whether it has a ``traversal``, and the ``source`` line."""
    served = _served(query or {}, runs)
    Xt, yt = _test_split()
    z = _codes_of(served, Xt)
    if served["run"] is None:  # the shipped VAE's scores, computed once
        m = model()
        scores = {"elbo": m["elbo"], "squared_error": m["squared_error"]}
    else:
        scores = served["net"].evaluate(Xt)
    elbo = scores.get("elbo")
    return {"points": _r4(z), "labels": yt.tolist(), **_plane(served, z),
            "kind": served["kind"], "traversal": served["kind"] == "vae", "run": served["run"],
            "model": served["model"], "sizes": served["net"].sizes, "epochs": served["epochs"],
            "seed": served["seed"], "elbo": None if elbo is None else round(elbo, 3),
            "squared_error": round(scores["squared_error"], 4), "span": SPAN,
            "max_steps": MAX_STEPS, "source": served["source"]}


def _get_z(body: dict[str, Any], lo: float, hi: float) -> list[float]:
    """``body["z"]``: two finite numbers in ``[lo, hi]``."""
    v = body.get("z")
    if not isinstance(v, list) or len(v) != 2:
        got = f"a list of {len(v)} values" if isinstance(v, list) else repr(v)
        raise BadRequest(f"z: expected a list of two numbers [z1, z2], got {got}")
    for x in v:
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            raise BadRequest(f"z: expected two finite numbers, got {x!r}")
        if not lo <= x <= hi:
            raise BadRequest(f"z: expected numbers in [{lo}, {hi}], got {x}")
    return [float(x) for x in v]


def decode(body: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """The decoded digit ``image``, 64 values row by row: a VAE's ``sigmoid(dec(z))`` in [0, 1],
    an autoencoder's ``decode(y)`` (in [0, 1] when it reconstructs by cross-entropy)."""
    import torch

    served = _served(body, runs)
    if served["kind"] == "vae":
        lo, hi = -Z_MAX, Z_MAX  # no need to encode the test digits for the plane
    else:
        lo, hi = _plane(served, _codes_of(served, _test_split()[0]))["z_range"]
    z = _get_z(body, lo, hi)
    with torch.no_grad():
        x = served["net"].decode(torch.tensor([z], dtype=torch.float32))[0]  # (64,)
    return {"z": z, "image": _r4(x), "run": served["run"], "source": served["source"]}


def traverse(body: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """The traversal of test digit ``index`` along code axis ``dim``: ``steps`` decodings of
    ``mu(x) + t e_dim``, ``t`` evenly spaced in ``[-SPAN, SPAN]``, and the codes ``z`` decoded.
    A VAE's only: ``t`` counts standard deviations of its prior ``N(0, I)``."""
    import torch

    served = _served(body, runs)
    if served["kind"] != "vae":
        raise BadRequest(f"run {served['run']!r}: the traversal decode(mu(x) + t e_k), t in "
                         f"[{-SPAN}, {SPAN}], walks a VAE's code in standard deviations of its "
                         f"prior N(0, I): expected a vae run, got {type(served['net']).__name__}, "
                         "whose code has no prior")
    vae = served["net"]
    Xt, yt = _test_split()
    index = get_int(body, "index", 0, 0, len(Xt) - 1)
    dim = get_int(body, "dim", 0, 0, vae.latent - 1)
    steps = get_int(body, "steps", 9, 2, MAX_STEPS)
    x = Xt[index:index + 1]  # (1, 64)
    images = vae.traverse(x, dim=dim, steps=steps, span=SPAN)  # (steps, 64)
    mu = vae.transform(x)[0]  # (2,)
    t = torch.linspace(-SPAN, SPAN, steps)
    z = mu.repeat(steps, 1)  # (steps, 2)
    z[:, dim] += t
    return {"index": index, "label": int(yt[index]), "dim": dim, "t": _r4(t), "z": _r4(z),
            "mu": _r4(mu), "image": _r4(Xt[index]), "images": _r4(images), "run": served["run"],
            "source": served["source"]}


def page_runs(query: dict[str, Any], runs: Path | None = None) -> dict[str, Any]:
    """Each run folder under ``--runs`` (none without it) with whether the page can show it:
    ``{"name", "model", "suitable", "traversal", "reason"}``, ``reason`` (None when suitable)
    being the refusal a request naming the run would get."""
    from .runs import list_runs, load_model

    out = []
    names = family()
    for r in list_runs(runs):
        entry = {"name": r["name"], "model": r["model"], "suitable": False, "traversal": False,
                 "reason": None}
        if r["model"] not in names:
            held = f"a {r['model']} run" if r["model"] else "no model named in its config.json"
            entry["reason"] = (f"run {r['name']!r}: expected an autoencoder run with a decoder "
                               f"({', '.join(names)}), got {held}")
        else:
            try:
                kind = _check_run_model(load_model(runs, r["name"]), r["name"])
            except BadRequest as err:
                entry["reason"] = err.message
            else:
                entry.update(suitable=True, traversal=kind == "vae")
        out.append(entry)
    return {"runs": out}


def routes(runs: Path | None = None) -> list:
    """The page's API (see :mod:`._web`)."""
    from ._web import get, post

    return [get("/api/autoencoder/runs", lambda query: page_runs(query, runs)),
            get("/api/autoencoder/codes", lambda query: codes(query, runs)),
            post("/api/autoencoder/decode", lambda body: decode(body, runs)),
            post("/api/autoencoder/traverse", lambda body: traverse(body, runs))]
