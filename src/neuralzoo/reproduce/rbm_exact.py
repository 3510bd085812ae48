"""rbm-exact: RBM 784-25 on binarised MNIST, exact test log-likelihood, CD-1 against PCD.

Published: about -143 nats per test image for CD-1 with 25 hidden units (Salakhutdinov &
Murray, ICML 2008, Table 1; log Z exact by enumerating the 2^25 hidden states), and PCD does
better (Tieleman, ICML 2008). Data as in Salakhutdinov & Murray: each pixel set to 1 with
probability pixel / 255 (``binarize="sample"``, drawn once with seed 0). Thresholded digits
are easier to model (the same CD-1 setup reached -151.59 on them) and grey levels are not
comparable (the AIS trap in REFERENCES).

Our setup (chosen, not the papers' exact schedule): 60k training images, batch 100, SGD
with momentum 0.9, no weight decay, visible biases from the data marginals, seed 0; CD-1 with
lr 0.05 for 100 epochs, and PCD-1 for 50 epochs with 100 persistent chains, lr 0.01 decayed to 0 by a cosine
schedule (Tieleman decays the rate to zero too: the persistent chains must keep up with the
model, and with lr 0.05 PCD ended at -209 nats against CD's -152 in our first full run).
CD-1's settings were searched on a validation split (``benchmarks/rbm_exact_sweep.py``,
RESULTS.md): learning rate, momentum, schedule and weight decay moved it by 4 nats at most,
and the mean-field reconstruction of Hinton's ``rbm.m`` lost 16; training longer helped up to
100 epochs (validation -159.72 after 50, -153.62 after 100, -153.61 after 200). The CD-1 row
trains the *centered* RBM (Melchior, Fischer & Wiskott, JMLR 2016: the energy written in
``v - mu`` and ``h - lam``, offsets following the data and hidden means; the same CD-1 samples,
a better-conditioned gradient): chosen by a rule fixed before the run (adopt it if it beats
-153.62 on validation by more than 1 nat); it reached -146.30 (RESULTS.md, "Centered CD-1").
``log Z`` exact (2^25 states, float32 terms summed in float64: minutes).

``--quick``: the first 10,000 images, 5 epochs and 20 hidden units (2^20 states, seconds) —
a smoke test of the pipeline, not the published setting.
"""

from __future__ import annotations

from typing import Any

import torch

from .. import datasets
from ..models.rbm.bernoulli import RBM

ID = "rbm-exact"
TITLE = "RBM 784-25 on binarised MNIST: exact test log-likelihood, CD-1 (about -143) and PCD (better)"
SOURCE = "Salakhutdinov & Murray, ICML 2008 (Table 1); Tieleman, ICML 2008"
PUBLISHED_CD1 = -143.0


def held_out_log_likelihood(X: torch.Tensor, X_test: torch.Tensor, *, n_hidden: int, method: str,
                        epochs: int, lr: float = 0.05, momentum: float = 0.9, batch_size: int = 100,
                        seed: int = 0, device: str = "auto", init_std: float = 0.01,
                        centering: bool = False, **train: Any) -> tuple[float, float]:
    """Train an RBM and return ``(mean exact test log p(v), log Z)`` in nats."""
    rbm = RBM(X.shape[1], n_hidden, method=method, init_std=init_std, centering=centering)
    rbm.fit(X, epochs=epochs, lr=lr, momentum=momentum, batch_size=batch_size, optimizer="sgd",
            seed=seed, device=device, progress=False, **train)
    log_z = rbm.log_partition("exact")
    return float(rbm.log_likelihood(X_test, log_z=log_z).mean()), float(log_z)


def run(quick: bool = False, device: str = "auto") -> list[dict]:
    X, _ = datasets.load("mnist", split="train", binarize="sample", seed=0)
    X_test, _ = datasets.load("mnist", split="test", binarize="sample", seed=0)
    H, cd_epochs, pcd_epochs = 25, 100, 50
    if quick:
        X, H, cd_epochs, pcd_epochs = X[:10_000], 20, 5, 5
    where = f"on {len(X)} images" + (" (quick smoke test)" if quick else "")
    cd, cd_z = held_out_log_likelihood(X, X_test, n_hidden=H, method="cd", epochs=cd_epochs, device=device,
                                       centering=True)
    pcd, pcd_z = held_out_log_likelihood(X, X_test, n_hidden=H, method="pcd", epochs=pcd_epochs, device=device,
                                         lr=0.01, lr_schedule="cosine")
    return [
        {"name": f"CD-1 (centered) test log p(v), nats (784-{H}, {cd_epochs} epochs {where}; log Z {cd_z:.2f})",
         "ours": round(cd, 2), "published": PUBLISHED_CD1, "target": ">= -146 (about -143)", "met": bool(cd >= -146.0)},
        {"name": f"PCD-1 test log p(v), nats (784-{H}, {pcd_epochs} epochs {where}; log Z {pcd_z:.2f})",
         "ours": round(pcd, 2),
         "published": "better than CD-1", "target": f"> CD-1 ({cd:.2f})", "met": bool(pcd > cd)},
    ]
