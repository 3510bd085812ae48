"""dbm: DBM 784-500-1000 on binarised MNIST (Salakhutdinov & Hinton, AISTATS 2009).

Published: 0.95% test error after discriminative fine-tuning with the mean-field posteriors
as extra input; the variational lower bound on the test log-probability -84.62 nats per
image, with ``log Z`` estimated by AIS (20,000 betas; log Z_hat 356.18). Targets of the
issue: <= 1.1% error, a lower bound within 2 nats.

Our setup: binary MNIST as the paper's code made it — each pixel 1 with probability
pixel / 255, drawn afresh for every batch in training (``dynamic_binarization``: Salakhutdinov's
``data > rand``; from 2026-11-28, when it gained 1.0 nat of validation log-likelihood for the
CD-25 RBM of ``rbm-ais``; before, the training images were drawn once, and the test figures
were bound -87.62 and error 1.30%; with it -86.70 and 1.21%, RESULTS.md), and the test images
drawn once with seed 0 (``binarize="sample"``, the test data of ``rbm-ais``). Thresholded digits
are easier to model and their bound is not comparable (the 2026-11-27 runs on them,
RESULTS.md). The official 60k/10k split, seed 0.

1. pretraining: RBM 784-500 with doubled input weights and RBM 500-1000 with doubled
   top-down weights, CD-1, SGD lr 0.05 momentum 0.5, batch 100, ``PRE`` epochs each;
2. joint training: mean field (at most 10 sweeps, tolerance 1e-4) for the data, 100
   persistent fantasy particles advanced 5 Gibbs sweeps per update for the model, SGD lr
   0.001 (the paper's code) momentum 0.9 decayed to 0 by a cosine schedule, weight decay
   2e-4, sparsity target 0.1 cost 0.01 (hidden layers), batch 100, ``EPOCHS`` epochs;
3. ``log Z`` by AIS (``BETAS`` betas of the published shape, 100 runs, the base model's h2
   at the fantasy particles' rates), the mean-field lower bound on the test images; every
   image's unnormalised bound ``E_q[-E] + H(q)`` is at most ``log p~(v) <= log Z``, so their
   maximum is a floor that a valid estimate of ``log Z`` cannot lie below — the row says so
   when AIS does (the runs of 2026-11-27 with h2 at fair coins at beta = 0 did, 98 nats
   short: their chains stayed in a dense-h2 state, :mod:`neuralzoo.energy.dbm_ais`, RESULTS.md);
4. fine-tuning: the 1784-500-1000-10 sigmoid network initialised from the DBM, input
   ``[v, q(h2 | v)]`` with ``v`` the grey levels (pixel / 255, read as the probabilities of
   the binary pixels), Adam lr 0.002 decayed by a cosine schedule, batch 100, ``FT`` epochs,
   dropout ``DROPOUT`` = 0.2 of the input and 0.5 of the hidden units (not in SH09: Srivastava
   et al., JMLR 2014, fine-tuned this DBM with dropout).

The joint rate and the fine-tuning were chosen on a validation split
(``benchmarks/dbm_finetune_sweep.py``: train on the first 50,000 images, score the last
10,000; RESULTS.md): joint lr 0.005 gave 4.33% validation error after fine-tuning (large,
saturating weights), 0.001 gave 1.84%; on that DBM, Adam 0.002 1.62% and, on the grey levels,
1.30%. Those choices were made on thresholded digits (the data of the runs before 4992d86).
The dropout, with 50 epochs, on a 50k validation DBM of sampled digits (2026-11-28): 1.20%
validation error against 1.38% without it (25 epochs); adopted by a rule fixed before the
figure (at most 1.23%). Training the top layer alone first, as the paper's backprop code
does for its first epochs, gave 1.37%: not adopted.

Departures for the 2-core budget (two hours on one thread; on 2026-11-28 it printed a bound
of -84.63 and an error of 1.10%, both targets met, RESULTS.md): ``EPOCHS = 150`` joint epochs
(paper: 500 with a slowly decayed rate; with the training images drawn once, 30 epochs gave a
bound of -88.66 and 60 epochs -87.62; drawn per batch, 60 epochs -86.70 and 100 epochs -86.37,
the last two with 20 pretraining epochs, RESULTS.md); ``BETAS = 20,000`` as published,
``FT = 50`` (paper: 100 epochs of conjugate gradients). ``PRE = 100`` pretraining epochs per
RBM, as the paper (20 before 2026-11-28).

``--quick``: 10,000 images, 2 pretraining and 2 joint epochs, 3 fine-tuning epochs, AIS with
1,000 betas — a smoke test of the pipeline, not the result.
"""

from __future__ import annotations

import time

import torch

from .. import datasets
from ..energy.dbm_ais import dbm_schedule
from ..models.dbm.model import DBM
from .common import row

ID = "dbm"
TITLE = "DBM 784-500-1000 on MNIST: 0.95% test error, test log p(v) >= -84.62 nats (AIS lower bound)"
SOURCE = "Salakhutdinov & Hinton, Deep Boltzmann Machines, AISTATS 2009 (Table 1, section 4)"
PUBLISHED_BOUND = -84.62
PRE, EPOCHS, FT, BETAS = 100, 150, 50, 20_000  # pretraining epochs per RBM, joint epochs, fine-tuning epochs, AIS betas
DROPOUT = (0.2, 0.5)  # fine-tuning dropout of the classifier's input and hidden units


def run(quick: bool = False, device: str = "auto", progress: bool = False) -> list[dict]:
    X_test, y_test = datasets.load("mnist", split="test", binarize="sample", seed=0)
    G, y = datasets.load("mnist", split="train")  # grey levels: binarised afresh per batch; the classifier's input
    G_test, _ = datasets.load("mnist", split="test")
    pre, epochs, ft, n_betas = PRE, EPOCHS, FT, BETAS
    if quick:
        y, G, pre, epochs, ft, n_betas = y[:10_000], G[:10_000], 2, 2, 3, 1000
    what = (f"{len(G)} images (binarised afresh per batch), {pre} pretraining + {epochs} joint epochs"
            + (" (quick smoke test)" if quick else ""))
    t0 = time.perf_counter()
    dbm = DBM(784, 10, hidden=[500, 1000], n_chains=100, k=5, mf_steps=10, mf_tol=1e-4, sparsity_target=0.1,
              sparsity_cost=0.01, pretrain_epochs=pre, finetune_epochs=ft, finetune_lr=0.002,
              finetune_dropout=DROPOUT, dynamic_binarization=True)
    dbm.fit(G, None, epochs=epochs, batch_size=100, lr=0.001, momentum=0.9, weight_decay=2e-4,
            lr_schedule="cosine", seed=0, device=device, progress=progress)
    t_train = time.perf_counter() - t0
    # the generative result: AIS log Z and the mean-field bound on the test set
    t0 = time.perf_counter()
    r = dbm.ais(betas=dbm_schedule(n_betas), n_runs=100,
                generator=torch.Generator(device=dbm.W[0].device).manual_seed(0))
    unnormalised = dbm.lower_bound(X_test, 0.0, check=False)  # (N,) E_q[-E(v, h)] + H(q) <= log p~(v) <= log Z
    bound = float(unnormalised.mean()) - r.log_z
    floor = float(unnormalised.max())  # so log Z >= floor for certain: an AIS log Z below it is wrong
    t_ais = time.perf_counter() - t0
    shaky = "" if r.log_z_low > float("-inf") else ("; the AIS interval is unbounded below: a few runs carry "
                                                     "the estimate, log Z is likely underestimated and the bound "
                                                     "optimistic")
    if r.log_z < floor:
        shaky += (f"; INVALID: log Z >= {floor:.2f} for certain (the largest unnormalised test bound), so AIS "
                  f"underestimates it by {floor - r.log_z:.2f} nats or more and the bound is not a bound")
    rows = [{"name": f"test log p(v) lower bound, nats (mean field; AIS log Z {r.log_z:.2f} "
                     f"[{r.log_z_low:.2f}, {r.log_z_high:.2f}], {r.n_betas} betas, 100 runs; {what}; "
                     f"training {t_train:.0f} s, AIS {t_ais:.0f} s{shaky})",
             "ours": round(bound, 2), "published": PUBLISHED_BOUND, "target": f"within 2 of {PUBLISHED_BOUND}",
             "met": bool(abs(bound - PUBLISHED_BOUND) <= 2.0 and r.log_z >= floor)}]
    # the discriminative result
    t0 = time.perf_counter()
    dbm.fine_tune(G, y, seed=0, batch_size=100, optimizer="adam", lr_schedule="cosine", device=device,
                  progress=progress)
    acc = dbm.score(G_test, y_test)
    rows.append(row("fine-tuned with mean-field features (grey-level v and q(h2|v) as input), test accuracy",
                    acc, 0.9905, 0.989,
                    note=f"test error {100 * (1 - acc):.2f}% (target <= 1.1%, published 0.95%); {what}; "
                         f"{ft} fine-tuning epochs, dropout {DROPOUT[0]} (input) / {DROPOUT[1]} (hidden), "
                         f"{time.perf_counter() - t0:.0f} s"))
    return rows
