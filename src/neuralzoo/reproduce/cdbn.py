"""cdbn: MNIST classification from a 2-layer convolutional DBN's features (Lee et al., ICML 2009).

Published (Lee, Grosse, Ranganath & Ng, "Convolutional deep belief networks for scalable
unsupervised learning of hierarchical representations", ICML 2009, Table 2 of §4.3 "Handwritten
digit classification"; the same table in their "Unsupervised learning of hierarchical
representations with convolutional deep belief networks", Communications of the ACM 54(10), 2011,
p. 103), MNIST test error of the CDBN for several numbers of labelled training examples:

    1,000: 2.62% +- 0.12%    2,000: 2.13% +- 0.10%    3,000: 1.91% +- 0.09%
    5,000: 1.59% +- 0.11%    60,000: 0.82%

Source check (2026 session): the figures above were confirmed from the search tool's copy of the
CACM article's table (mags.acm.org, Communications 201110, page 103: "Labeled training samples /
CDBN / Ranzato et al. / Hinton and Salakhutdinov / Weston et al.", the CDBN column as above). The
*setup* was not found in the text the tool returned: that the classifier on top is a linear SVM on
the features of the first and second layers, and the layer sizes, are the author's recollection of
the paper and are UNCONFIRMED (the lead is to check §4.3 of the ICML paper before quoting a full
run). The targets below are the confirmed figures: match or beat each (accuracy >= 1 - error).

Our setup: MNIST pixels / 255 as the visible probabilities; a :class:`~neuralzoo.ConvDBN` with two
layers of ``FULL["n_filters"]`` groups of ``FULL["filter_size"]`` filters, pooling ratio 2, sparsity
targets ``FULL["sparsity_target"]`` (cost 1), CD-1, batch 20, lr 0.1 with momentum 0.5, trained
without labels on the 50,000 first training images, seed 0. Features: the pooled probabilities
of both layers side by side (``transform(X, layer=None)``). Classifier: scikit-learn's
linear SVM (hinge loss, ``SGDClassifier``; see :func:`svm_error`) on the first ``n`` training
images' features (standardised), its penalty chosen from ``ALPHAS`` on the validation images 50,000..59,999 (never on the test set), scored once on the 10,000
test images; the 60,000-label row trains on 50,000 labels (the other 10,000 validate).

``--quick``: the CDBN trained on the first 2,000 images with ``QUICK`` sizes, 2 epochs per layer;
labelled sets of 1,000 and 5,000; validation images 50,000..50,999; the whole test set — a smoke
test of the pipeline, not the result.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from .. import datasets
from ..models.cnn.base import image_shape
from ..models.crbm import ConvDBN
from .common import row

ID = "cdbn"
TITLE = "Convolutional DBN features + linear SVM on MNIST: 0.82% test error with 60,000 labels"
SOURCE = ("Lee, Grosse, Ranganath & Ng, 'Convolutional deep belief networks for scalable unsupervised learning "
          "of hierarchical representations', ICML 2009, Table 2 (also CACM 54(10), 2011)")
PUBLISHED_ERROR = {1000: 0.0262, 2000: 0.0213, 3000: 0.0191, 5000: 0.0159, 60000: 0.0082}
FULL = {"n_filters": [40, 40], "filter_size": [6, 6], "pool_size": 2, "sparsity_target": [0.03, 0.02]}
QUICK = {"n_filters": [16, 16], "filter_size": [6, 6], "pool_size": 2, "sparsity_target": [0.03, 0.02]}
TRAIN = {"batch_size": 20, "lr": 0.1, "momentum": 0.5}
ALPHAS = (1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)  # the SVM's L2 penalty, chosen on validation


def _features(cdbn: ConvDBN, X: torch.Tensor, chunk: int = 2000) -> np.ndarray:
    return torch.cat([cdbn.transform(c, layer=None).cpu() for c in X.split(chunk)]).numpy()


def svm_error(F_train: np.ndarray, y_train: np.ndarray, F_val: np.ndarray, y_val: np.ndarray,
              F_test: np.ndarray, y_test: np.ndarray) -> tuple[float, float, float]:
    """Test error of a standardised linear SVM (hinge loss, L2 penalty ``alpha``, fitted by 50
    passes of SGD) whose ``alpha`` (of :data:`ALPHAS`) is best on the validation set:
    ``(test error, alpha, validation error)``. scikit-learn's ``LinearSVC`` solves the same problem
    exactly but took 38-77 s per value of ``C`` on 1,000 x 2,560 quick features (liblinear, this
    CPU), hours on the full run's 50,000 rows; SGD takes seconds. Its tolerance test often
    still reports "not converged" after 50 passes: the validation choice of ``alpha`` judges the
    fit that came out, and that is what is scored. The weights are the average of the SGD
    iterates (``average=True``, averaged SGD: closer to the exact SVM's solution than the last
    iterate). The first full run (2026-12-06) searched only 1e-4 ... 1e-2 and chose 1e-4, the
    grid's edge, for every row: the grid now reaches 1e-7, and a choice at either edge is said in
    the row's note."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    best = None
    for alpha in ALPHAS:
        clf = make_pipeline(StandardScaler(), SGDClassifier(loss="hinge", alpha=alpha, max_iter=50, tol=1e-4,
                                                            average=True, random_state=0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(F_train, y_train)
        err = 1.0 - clf.score(F_val, y_val)
        if best is None or err < best[0]:
            best = (err, alpha, clf)
    err_val, alpha, clf = best
    return 1.0 - clf.score(F_test, y_test), alpha, err_val


def run(quick: bool = False, device: str = "auto", progress: bool = False) -> list[dict]:
    X, y = datasets.load("mnist", split="train")
    X_test, y_test = datasets.load("mnist", split="test")
    X_val, y_val = X[50_000:60_000], y[50_000:60_000]
    sizes, epochs, X_unlab, labelled = FULL, 10, X[:50_000], (1000, 2000, 3000, 5000, 60000)
    if quick:
        sizes, epochs, X_unlab, labelled = QUICK, 2, X[:2000], (1000, 5000)
        X_val, y_val = X_val[:1000], y_val[:1000]
    t0 = time.perf_counter()
    cdbn = ConvDBN(image_shape(X.shape[1]), **sizes)  # MNIST rows (N, 784) as 1x28x28 images
    cdbn.fit(X_unlab, epochs=epochs, seed=0, device=device, progress=progress, **TRAIN)
    cdbn.cpu()
    n_train = 50_000 if not quick else max(labelled)
    F_train, F_val, F_test = _features(cdbn, X[:n_train]), _features(cdbn, X_val), _features(cdbn, X_test)
    what = (f"CDBN {sizes['n_filters']} groups, filters {sizes['filter_size']}, on {len(X_unlab)} unlabelled "
            f"images, {epochs} epochs per layer, {F_train.shape[1]} features; {time.perf_counter() - t0:.0f} s"
            + (" (quick smoke test)" if quick else ""))
    rows = []
    for n in labelled:
        t1 = time.perf_counter()
        m = min(n, n_train)
        err, alpha, err_val = svm_error(F_train[:m], y[:m].numpy(), F_val, y_val.numpy(), F_test, y_test.numpy())
        published = 1.0 - PUBLISHED_ERROR[n]
        edge = " (the grid's edge)" if alpha in (ALPHAS[0], ALPHAS[-1]) else ""
        rows.append(row(f"{n:,} labels: CDBN features + linear SVM, test accuracy", 1.0 - err, round(published, 4),
                        round(published, 4),
                        note=f"test error {100 * err:.2f}% (published {100 * PUBLISHED_ERROR[n]:.2f}%); "
                             f"{m} labelled rows, alpha={alpha}{edge} chosen on {len(X_val)} validation images "
                             f"(validation error {100 * err_val:.2f}%); {what}; SVM {time.perf_counter() - t1:.0f} s"))
    return rows


__all__ = ["ID", "SOURCE", "TITLE", "run", "svm_error"]
