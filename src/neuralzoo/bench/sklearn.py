"""sklearn: the drop-in replacements against scikit-learn, on scikit-learn's own settings.

1. ``BernoulliRBM.fit`` on the data of scikit-learn's example "Restricted Boltzmann Machine
   features for digit classification" (``examples/neural_networks/plot_rbm_logistic_classification.py``:
   the digits nudged by one pixel in four directions, 8,985 x 64 float32 scaled to [0, 1], the
   80% training split, ``n_components=100, learning_rate=0.06, batch_size=10, n_iter=10``;
   ``--quick``: ``n_iter=3``). Target: ours <= 1.0 x scikit-learn's time.
2. ``MLPClassifier().fit`` on the digits (1,797 x 64 float64), every default (adam, batches of
   200, up to 200 epochs, stopping on ``tol``), the same ``random_state`` on both sides — ours
   follows scikit-learn's trajectory, so both run the same epochs. Target: <= 1.0.
3. MNIST-sized (784 x 500, batch 100, one pass over 60,000 images thresholded at 0.5, float32;
   ``--quick``: 10,000; random binary data of that shape when no MNIST copy is found), the
   machine's default threads: the CD-1 and PCD-1 steps of ``BernoulliRBM.fit`` against their
   GEMM-bound time, ``10 N D H`` FLOPs (five products of N x D x H per step) at the rate
   :func:`neuralzoo.bench.rbm.gemm_rate` measures on the step's shapes, alternated with ours.
   Target: ours reaches >= 70% of the GEMM rate. Beside it, the time of scikit-learn's
   ``BernoulliRBM`` (PCD-1, same data and sizes).

scikit-learn's time is the faster of a run with its default BLAS threads and one with a single
thread (``threadpoolctl``; on a busy two-core machine the single thread is often several times
faster), alternated with ours; the median of the repeats.
"""

from __future__ import annotations

import os
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch

from .. import datasets
from .rbm import gemm_rate

NAME = "sklearn"
TITLE = "scikit-learn drop-ins (BernoulliRBM, MLPClassifier) vs scikit-learn on its own settings"


def rbm_example_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X_train, X_test, Y_train, Y_test`` of scikit-learn's RBM example: the digits and their
    copies shifted by one pixel left, right, up and down (8,985 x 64 float32), scaled column by
    column to [0, 1], split 80/20 with ``random_state=0`` — its ``nudge_dataset`` as it reads."""
    from scipy.ndimage import convolve
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import minmax_scale

    X, y = load_digits(return_X_y=True)
    X = np.asarray(X, "float32")
    directions = [[[0, 1, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [1, 0, 0], [0, 0, 0]],
                  [[0, 0, 0], [0, 0, 1], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 1, 0]]]

    def shift(x: np.ndarray, w: list) -> np.ndarray:
        return convolve(x.reshape((8, 8)), mode="constant", weights=w).ravel()

    X = np.concatenate([X] + [np.apply_along_axis(shift, 1, X, w) for w in directions])
    Y = np.concatenate([y for _ in range(5)], axis=0)
    X = minmax_scale(X, feature_range=(0, 1))
    return tuple(train_test_split(X, Y, test_size=0.2, random_state=0))


def _sklearn_best(fit: Callable[[], object]) -> float:
    """Seconds of ``fit()`` under scikit-learn's default BLAS threads and under one; the faster."""
    from threadpoolctl import threadpool_limits

    times = []
    for limit in (None, 1):
        with threadpool_limits(limits=limit), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            fit()
            times.append(time.perf_counter() - t0)
    return min(times)


def _timed(fit: Callable[[], object]) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        fit()
        return time.perf_counter() - t0


def _row(name: str, ours: list[float], base: list[float], target: str, ok: Callable[[float], bool]) -> dict:
    ratio = statistics.median(o / b for o, b in zip(ours, base))
    return {"name": name, "ours": round(statistics.median(ours), 4), "baseline": round(statistics.median(base), 4),
            "ratio": round(ratio, 3), "target": target, "met": bool(ok(ratio))}


def run(quick: bool = False) -> list[dict]:
    from sklearn import neural_network as sk
    from sklearn.datasets import load_digits

    from ..sklearn.dropins import BernoulliRBM, MLPClassifier

    repeats = 3 if quick else 5
    load = f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, {torch.get_num_threads()} threads"
    rows = []

    # 1. the RBM example
    X_train = rbm_example_data()[0]
    n_iter = 3 if quick else 10
    settings = dict(n_components=100, learning_rate=0.06, batch_size=10, n_iter=n_iter)
    BernoulliRBM(**{**settings, "n_iter": 1}).fit(X_train[:500])  # warm-up: lazy initialisation in torch
    ours, base = [], []
    for r in range(repeats):
        ours.append(_timed(lambda r=r: BernoulliRBM(**settings, random_state=r).fit(X_train)))
        base.append(_sklearn_best(lambda r=r: sk.BernoulliRBM(**settings, random_state=r).fit(X_train)))
    rows.append(_row(f"BernoulliRBM.fit on scikit-learn's RBM example, s ({X_train.shape[0]} x 64 float32 -> 100, "
                     f"batch 10, {n_iter} iterations, PCD-1; {load})", ours, base, "<= 1.0", lambda x: x <= 1.0))

    # 2. MLPClassifier, every default, on the digits
    X, y = load_digits(return_X_y=True)
    ours, base, epochs = [], [], []
    for r in range(repeats):
        clf = MLPClassifier(random_state=r)
        ours.append(_timed(lambda clf=clf: clf.fit(X, y)))
        ref = sk.MLPClassifier(random_state=r)
        base.append(_sklearn_best(lambda ref=ref: ref.fit(X, y)))
        epochs.append((clf.n_iter_, ref.n_iter_))
    rows.append(_row(f"MLPClassifier().fit on the digits, every default, s (1797 x 64 float64, 100 hidden relu, "
                     f"adam, batch 200; epochs ours/sklearn {epochs}; {load})", ours, base, "<= 1.0",
                     lambda x: x <= 1.0))

    # 3. MNIST-sized CD-1 and PCD-1 steps against the GEMM-bound time
    rows += _mnist_rows(quick, load)
    return rows


def _mnist_rows(quick: bool, load: str) -> list[dict]:
    from sklearn import neural_network as sk

    from ..sklearn.dropins import BernoulliRBM

    n = 10_000 if quick else 60_000
    if datasets.info("mnist").found:
        X = datasets.load("mnist", split="train", binarize="threshold")[0][:n].numpy()
        data = f"MNIST, {n} images"
    else:
        X = (np.random.default_rng(0).random((n, 784)) < 0.13).astype(np.float32)
        data = f"random binary data standing in for MNIST ({n} x 784)"
    N, D, H = X.shape[0], X.shape[1], 500
    repeats = 2 if quick else 3
    settings = dict(n_components=H, learning_rate=0.05, batch_size=100, n_iter=1)
    BernoulliRBM(**settings).fit(X[:1000])  # warm-up
    rows = []
    for method in ("cd", "pcd"):
        ours, rates = [], []
        for r in range(repeats):
            ours.append(_timed(lambda r=r, m=method: BernoulliRBM(**settings, method=m, random_state=r).fit(X)))
            rates.append(gemm_rate(torch.device("cpu"), D, H, repeats=max(100, 10 * N // 300)))
        rate = statistics.median(rates)
        bound = [10 * N * D * H / rate] * repeats
        share = bound[0] / statistics.median(ours)
        rows.append(_row(f"BernoulliRBM(method={method!r}).fit, one pass, vs its GEMM-bound time (10 N D H FLOPs at "
                         f"{rate / 1e9:.1f} GFLOP/s measured on the step's shapes), s ({data}, 784-500, batch 100, "
                         f"float32; {load}): ours reaches {share:.0%} of the GEMM rate",
                         ours, bound, "<= 1.43 (>= 70% of the GEMM rate)", lambda x: x <= 1 / 0.7))
    t_sk = _sklearn_best(lambda: sk.BernoulliRBM(**settings, random_state=0).fit(X))
    rows[-1]["name"] += f"; scikit-learn's BernoulliRBM (PCD-1): {t_sk:.2f} s, ours/sklearn {rows[-1]['ours'] / t_sk:.2f}"
    return rows


__all__ = ["NAME", "TITLE", "rbm_example_data", "run"]
