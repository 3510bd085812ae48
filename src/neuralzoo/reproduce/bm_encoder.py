"""bm-encoder: the encoder problems of Ackley, Hinton & Sejnowski (1985), and bars-and-stripes.

Published: a Boltzmann machine with two visible groups ``V1`` (input) and ``V2`` (output) of
``n_in`` units each, joined only through ``H`` hidden units (4-2-4, 4-3-4, 8-3-8), learns
to give each of the ``n_in`` one-hot patterns its own hidden code, so that the output group,
given the input group, reproduces it ("learns all 4 codes"; the 4-2-4 code is the four
corners of {0,1}^2). The paper trained by the sampled rule with annealing and reported
occasional failures (local minima); the figure set here is the learning of all codes.

Our setup: ``BoltzmannMachine(2 n_in, H, mask=encoder_mask(n_in, H))`` — each visible group
connected internally and to every hidden unit, no ``V1``–``V2`` and no hidden–hidden
connection (our reading of the paper's architecture) — trained by the *exact* rule
(``method="exact"``: 10, 11 and 19 units, all ``2^n`` states enumerated), full batch of the
``n_in`` patterns, Adam, ``lr=0.1``, weights N(0, 0.5^2) to break the symmetry of the
hidden units. Measured per seed, exactly:

- codes: the most probable hidden state ``argmax_h p(h | v)`` of each pattern; "all codes
  learned" when the ``n_in`` codes are distinct;
- completion accuracy: the output group filled in from the input group (each output unit
  set to 1 where its exact conditional ``p(v_out,i = 1 | v_in) > 0.5``); the fraction of
  patterns whose output group is then exactly right. The note gives ``p(v_out = target |
  v_in)``, the probability that a sample of the output group is right.

Several seeds are run because the problem has local minima; the rows give the fraction of
seeds that learn all codes, and the completion accuracy of the best seed.

Bars and stripes 3x3 (14 patterns; MacKay 2003): a fully connected machine with 9 visible
and 8 hidden units (17 units), exact training; ``KL(data || model) = -log 14 - mean log
p(v)`` computed exactly. Target ``<= 0.5`` nats: a model putting mass only on the 14
patterns has KL 0; 0.5 nats means the data patterns keep ``exp(-0.5) = 61%`` of the mass
(on average, geometrically), far from the 9-bit uniform model's ``log(512/14) = 3.6``.

``--quick``: fewer seeds and epochs, no 8-3-8 (under a minute); full: under ten minutes.
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch

from ..datasets.patterns import bars_and_stripes, encoder_patterns
from ..energy import exact
from ..models.boltzmann import BoltzmannMachine, encoder_mask
from .common import row

ID = "bm-encoder"
TITLE = "Boltzmann machine encoders 4-2-4, 4-3-4, 8-3-8 and bars-and-stripes (Ackley et al. 1985)"
SOURCE = ("Ackley, Hinton & Sejnowski, 'A learning algorithm for Boltzmann machines', Cognitive "
          "Science 9:147-169, 1985 (encoder problems); MacKay 2003 (bars and stripes)")

# (n_in, n_hidden) -> (epochs, seeds) for (full, quick); quick=None skips the problem
ENCODERS: dict[tuple[int, int], dict[bool, tuple[int, int] | None]] = {
    (4, 2): {False: (600, 10), True: (400, 4)},
    (4, 3): {False: (600, 10), True: (400, 3)},
    (8, 3): {False: (800, 3), True: None},
}


def hidden_codes(bm: BoltzmannMachine, v: torch.Tensor) -> torch.Tensor:
    """The most probable hidden state ``argmax_h p(h | v)`` of each row of ``v``, (N, H) of 0/1."""
    with torch.no_grad():
        H = bm.n_hidden
        h = torch.cat(list(exact.enumerate_states(H)))  # (2^H, H)
        logits = exact.bm_neg_energy_grid(bm.W.double(), bm.b.double(), v.double(), h)  # (N, 2^H)
        return h[logits.argmax(1)]


def train_encoder(n_in: int, n_hidden: int, seed: int, *, epochs: int = 600, lr: float = 0.1,
                  init_std: float = 0.5) -> dict[str, Any]:
    """Train one n_in-H-n_in encoder by the exact rule; its codes and completion, measured exactly."""
    X = encoder_patterns(n_in)  # (n_in, 2 n_in)
    bm = BoltzmannMachine(2 * n_in, n_hidden, method="exact", mask=encoder_mask(n_in, n_hidden),
                          init_std=init_std)
    bm.fit(X, epochs=epochs, batch_size=n_in, lr=lr, seed=seed, progress=False)
    codes = hidden_codes(bm, X)
    distinct = len({tuple(c.tolist()) for c in codes})
    known = torch.arange(2 * n_in) < n_in  # the input group
    filled = bm.complete(X, known, method="exact")
    accuracy = float((filled[:, n_in:] == X[:, n_in:]).all(1).float().mean())
    with torch.no_grad():  # p(v_out = target | v_in) = sum_h p(v, h) / sum_{v_out, h} p(v_in, ., .)
        W, b = bm.W.double(), bm.b.double()
        p_right = (exact.bm_log_unnormalized(W, b, X.double())
                   - exact.bm_log_unnormalized(W, b, X[:, :n_in].double())).exp()
    return {"seed": seed, "codes": codes.int().tolist(), "distinct_codes": distinct,
            "all_codes": distinct == n_in, "completion_accuracy": accuracy,
            "p_output_right": float(p_right.mean()), "nll": -float(bm.log_likelihood(X).mean()),
            "model": bm}


def bars_and_stripes_kl(n_hidden: int = 8, *, epochs: int = 1000, lr: float = 0.05,
                        seed: int = 0) -> dict[str, Any]:
    """Train a 9-visible machine on the 14 bars-and-stripes 3x3 patterns; exact KL(data || model)."""
    X = bars_and_stripes(3)  # (14, 9)
    bm = BoltzmannMachine(9, n_hidden, method="exact", init_std=0.1)
    bm.fit(X, epochs=epochs, batch_size=len(X), lr=lr, seed=seed, progress=False)
    kl = -math.log(len(X)) - float(bm.log_likelihood(X).mean())
    return {"kl": kl, "model": bm}


def run(quick: bool = False) -> list[dict]:
    rows: list[dict] = []
    for (n_in, H), plan in ENCODERS.items():
        if plan[quick] is None:
            continue
        epochs, n_seeds = plan[quick]
        t0 = time.perf_counter()
        results = [train_encoder(n_in, H, seed, epochs=epochs) for seed in range(n_seeds)]
        seconds = time.perf_counter() - t0
        name = f"{n_in}-{H}-{n_in}"
        learned = [r for r in results if r["all_codes"]]
        best = max(results, key=lambda r: (r["all_codes"], r["completion_accuracy"], r["p_output_right"]))
        frac = len(learned) / len(results)
        note = (f"exact rule, {epochs} full-batch Adam steps, lr 0.1; {len(learned)}/{len(results)} "
                f"seeds; {seconds:.1f} s")
        rows.append(row(f"{name}: all {n_in} codes learned (best of {n_seeds} seeds)",
                        float(best["all_codes"]), 1.0, 1.0, note=f"codes {best['codes']}"))
        rows.append(row(f"{name}: fraction of seeds that learn all {n_in} codes", frac, None, 0.5,
                        note=note))
        rows.append(row(f"{name}: completion accuracy of the output group given the input group "
                        "(best seed)", best["completion_accuracy"], 1.0, 0.95,
                        note=f"p(output right | input) = {best['p_output_right']:.3f}"))
    t0 = time.perf_counter()
    H, epochs = (6, 300) if quick else (8, 1000)
    kl = bars_and_stripes_kl(H, epochs=epochs)["kl"]
    rows.append({"name": f"bars-and-stripes 3x3, 9 visible + {H} hidden, exact KL(data || model) (nats)",
                 "ours": round(kl, 4), "published": None, "target": "<= 0.5", "met": bool(kl <= 0.5),
                 "note": f"exact rule, {epochs} full-batch Adam steps, lr 0.05; {time.perf_counter() - t0:.1f} s"})
    return rows
