"""``Perceptron``: scikit-learn's one-vs-rest perceptron, its example-by-example rule vectorised."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn import linear_model as _sk_linear
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.validation import _check_sample_weight, validate_data

from ._common import _MAX_INT, _dense


def _shuffle_permutation(seed: int, n: int) -> np.ndarray:
    """The permutation that scikit-learn's ``SequentialDataset.shuffle(seed)`` applies to its row
    order every epoch: a Fisher-Yates pass drawing from the xorshift generator ``our_rand_r``."""
    s, ind = int(seed) & 0xFFFFFFFF, list(range(n))
    for i in range(n - 1):
        s = s or 1
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        j = i + (s % 0x80000000) % (n - i)
        ind[i], ind[j] = ind[j], ind[i]
    return np.array(ind)


def _stopping(est: Perceptron, score: Any, best: Any, no_improvement: Any) -> tuple[Any, Any]:
    """scikit-learn's rule after an epoch: ``(best, no_improvement)`` updated with ``score`` (the
    validation accuracy with ``early_stopping``, else the objective), for one problem or an array."""
    tol = -np.inf if est.tol is None else float(est.tol)
    if est.early_stopping:
        worse, better = score < best + tol, score > best
    else:
        worse, better = score > best - tol, score < best
    return np.where(better, score, best), np.where(worse, no_improvement + 1, 0)


def _mistake_driven_epochs(est: Perceptron, X: np.ndarray, y: np.ndarray, u: np.ndarray, w: np.ndarray,
                           b: np.ndarray, is_val: np.ndarray, sw: np.ndarray, seed: int, max_iter: int,
                           intercept_decay: float) -> int:
    """One unpenalised problem of :func:`_perceptron_epochs` (the same updates), visiting only its
    mistakes: the scores of the next rows are one product with the current ``w``, the first row
    with ``y s <= 0`` is updated and the scan resumes after it. Rows scored correctly change
    nothing (their loss is 0), so the result is the example-by-example rule's."""
    N = X.shape[0]
    order, perm = np.arange(N), _shuffle_permutation(seed, N) if est.shuffle else None
    train_rows, val_rows = np.flatnonzero(~is_val), np.flatnonzero(is_val)
    best, no_improvement = (-np.inf if est.early_stopping else np.inf), 0
    eyu = float(est.eta0) * y * u  # (N,) the update of a mistake
    for epoch in range(max_iter):
        if perm is not None:
            order = order[perm]
        rows = order[~is_val[order]] if len(val_rows) else order
        objective, pos, B = 0.0, 0, 8
        while pos < len(rows):
            block = rows[pos:pos + B]
            z = (X[block] @ w + b[0]) * y[block]  # y s of the next rows, with the current w
            wrong = np.flatnonzero(z <= 0)
            if not len(wrong):
                pos, B = pos + len(block), min(2 * B, 4096)
                continue
            j = wrong[0]
            i = block[j]
            objective -= z[j]
            w += eyu[i] * X[i]
            if est.fit_intercept:
                b[0] += eyu[i] * intercept_decay
            pos, B = pos + j + 1, max(8, B // 2)
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise ValueError(f"Floating-point under-/overflow occurred at epoch #{epoch + 1}. Scaling input data "
                             "with StandardScaler or MinMaxScaler might help.")
        if est.early_stopping:
            s = X[val_rows] @ w + b[0]
            score = np.average(np.where(s > 0, 1.0, -1.0) == y[val_rows], weights=sw[val_rows])
        else:
            score = objective / len(train_rows)
        best, no_improvement = _stopping(est, score, best, no_improvement)
        if est.verbose:
            print(f"-- Epoch {epoch + 1}: {'validation score' if est.early_stopping else 'objective'} {score:.6f}")
        if no_improvement >= est.n_iter_no_change:
            break
    return epoch + 1


def _perceptron_epochs(est: Perceptron, X: np.ndarray, Y: np.ndarray, U: np.ndarray, W: np.ndarray,
                       b: np.ndarray, is_val: np.ndarray, sw: np.ndarray, seeds: np.ndarray, max_iter: int,
                       intercept_decay: float) -> int:
    r"""Rosenblatt's rule for K one-vs-rest problems at once, example by example, as scikit-learn's
    ``_plain_sgd`` runs it for each; updates ``W`` (K, D) and ``b`` (K,) in place and returns the
    epochs run (the most of any problem).

    ``Y`` (N, K) holds the targets in {-1, +1}, ``U`` (N, K) the weights of the updates (sample
    weight times class weight). For the example ``x`` a problem meets, with score ``s = w.x + b``
    (stochastic gradient descent on the loss ``max(0, -y s)`` at the constant rate ``eta0``)::

        if y s <= 0:   w += eta0 u y x,   b += eta0 u y      (a tie counts as a mistake)

    after shrinking ``w`` by ``1 - (1 - l1_ratio) eta0 alpha`` (L2; kept as a scale factor) and
    before the L1 step of the cumulative truncated gradient (Tsuruoka et al. 2009). Problem k
    visits the rows in the order that ``seeds[k]`` gives scikit-learn's dataset; rows of the
    validation set (``is_val``) are skipped. After every epoch a problem stops once its objective
    (mean loss + penalty) or, with ``early_stopping``, its validation accuracy has failed to
    improve by ``tol`` ``n_iter_no_change`` times in a row.
    """
    if est.penalty is None:
        return max(_mistake_driven_epochs(est, X, Y[:, k], U[:, k], W[k], b[k:k + 1], is_val, sw, seed,
                                          max_iter, intercept_decay) for k, seed in enumerate(seeds))
    K, D = W.shape
    N = X.shape[0]
    penalty, alpha, eta = est.penalty, float(est.alpha), float(est.eta0)
    l1_ratio = {"l2": 0.0, "l1": 1.0}.get(penalty, float(est.l1_ratio))
    l2_shrink = max(0.0, 1.0 - (1.0 - l1_ratio) * eta * alpha) if penalty in ("l2", "elasticnet") else 1.0
    l1 = penalty in ("l1", "elasticnet")
    scale, q, u = np.ones(K), np.zeros((K, D)), 0.0  # w = scale * W; the L1 step's running totals
    active, n_iter = np.ones(K, bool), np.zeros(K, int)
    best = np.full(K, -np.inf if est.early_stopping else np.inf)
    no_improvement = np.zeros(K, int)
    EY, ks = eta * Y * U, np.arange(K)  # (N, K): the update of a mistake
    order = np.tile(np.arange(N), (K, 1))  # (K, N): each problem's row order
    perms = [_shuffle_permutation(seed, N) for seed in seeds] if est.shuffle else []
    val_rows = np.flatnonzero(is_val)
    for epoch in range(max_iter):
        for k, perm in enumerate(perms):
            order[k] = order[k, perm]
        objective = np.zeros(K)
        for t in range(N):
            rows = order[:, t]  # (K,) the example each problem meets
            xs = X[rows]  # (K, D)
            z = (np.einsum("kd,kd->k", W, xs) * scale + b) * Y[rows, ks]  # (K,) y s
            learn = active & ~is_val[rows]
            if not est.early_stopping:
                objective -= np.where(learn, np.minimum(z, 0), 0.0)  # max(0, -y s)
                if penalty is not None:
                    w = W * scale[:, None]
                    objective += np.where(learn, alpha * ((1 - l1_ratio) * 0.5 * (w * w).sum(1)
                                                          + l1_ratio * np.abs(w).sum(1)), 0.0)
            if l2_shrink != 1.0:
                scale *= np.where(learn, l2_shrink, 1.0)
                small = scale < 1e-9
                if small.any():  # fold a vanishing scale into the weights
                    W[small] *= scale[small, None]
                    scale[small] = 1.0
            step = np.where(learn & (z <= 0), EY[rows, ks], 0.0)  # (K,)
            if step.any():
                W += (step / scale)[:, None] * xs
                if est.fit_intercept:
                    b += step * intercept_decay
            if l1:
                u += l1_ratio * eta * alpha
                ws, lim = W * scale[:, None], scale[:, None]
                shrunk = np.where(ws > 0, np.maximum(0.0, W - (u + q) / lim),
                                  np.where(ws < 0, np.minimum(0.0, W + (u - q) / lim), W))
                shrunk = np.where(learn[:, None], shrunk, W)
                q += lim * (shrunk - W)
                W[:] = shrunk
        n_iter[active] = epoch + 1
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ValueError(f"Floating-point under-/overflow occurred at epoch #{epoch + 1}. Scaling input data "
                             "with StandardScaler or MinMaxScaler might help.")
        if est.early_stopping:  # each problem's accuracy on the validation rows
            s = X[val_rows] @ (W * scale[:, None]).T + b
            score = np.average(np.where(s > 0, 1.0, -1.0) == Y[val_rows], weights=sw[val_rows], axis=0)
        else:
            score = objective / (N - len(val_rows))
        best, no_improvement = _stopping(est, score, best, no_improvement)
        if est.verbose:
            what = "validation score" if est.early_stopping else "objective"
            print(f"-- Epoch {epoch + 1}: {int(active.sum())}/{K} problems learning, {what} {np.round(score, 6)}")
        active &= no_improvement < est.n_iter_no_change
        if not active.any():
            break
    W *= scale[:, None]
    return int(n_iter.max())


class Perceptron(LinearClassifierMixin, SparseCoefMixin, BaseEstimator):
    r"""Rosenblatt's perceptron, scikit-learn's ``linear_model.Perceptron``.

    One-vs-rest: one weight vector per class (one for two classes), ``s_c(x) = w_c.x + b_c``; the
    prediction is the class of the largest score (the sign of ``s`` for two classes). Each problem
    learns with targets ``y_c = +1`` for its class, -1 for the rest, by the error-correction rule
    ``w_c += eta0 y_c x`` (and ``b_c += eta0 y_c``) whenever ``y_c s_c <= 0`` — stochastic gradient
    descent on ``max(0, -y s)`` with a constant rate — optionally with an L2, L1 or elastic-net
    penalty (``alpha``, ``l1_ratio``), per-class weights and early stopping, as scikit-learn's
    ``_plain_sgd`` does them (see :func:`_perceptron_epochs`).

    Every parameter keeps scikit-learn's meaning, ``random_state`` included: each problem visits
    the rows in the order scikit-learn's shuffling gives it, so a fit reproduces scikit-learn's
    weights up to rounding. ``n_jobs`` is accepted and unused: the one-vs-rest problems run
    together, as one loop over the examples vectorised across the problems, not as jobs. The rule
    is sequential (each update depends on the last), so the loop runs in NumPy on the CPU; there
    is no ``device``. ``verbose`` prints the objective (or validation score) after every epoch.

    Args:
        penalty: None, "l2", "l1" or "elasticnet".
        alpha: the penalty's strength.
        l1_ratio: the L1 share of "elasticnet".
        fit_intercept: learn the biases ``b_c`` (else 0).
        max_iter: the most epochs.
        tol: the improvement below which an epoch counts as none (None: run ``max_iter`` epochs).
        shuffle: a new row order every epoch.
        verbose: print progress after every epoch.
        eta0: the learning rate.
        n_jobs: accepted, unused (see above).
        random_state: int, ``RandomState`` or None: the row orders and the validation split.
        early_stopping: hold out ``validation_fraction`` and stop on its accuracy.
        validation_fraction: the held-out share of the rows.
        n_iter_no_change: epochs without improvement before a problem stops.
        class_weight: dict, "balanced" or None: weights of the classes' updates.
        warm_start: start ``fit`` from the last fit's weights.

    Attributes: ``coef_`` (1, D) or (C, D), ``intercept_`` (1,) or (C,), ``classes_``,
    ``n_iter_`` (the most epochs of any problem), ``t_`` (``n_iter_ * N + 1``), ``n_features_in_``.

    >>> import numpy as np
    >>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); y = np.array([0, 0, 0, 1])
    >>> Perceptron().fit(X, y).predict(X).tolist()  # AND is linearly separable
    [0, 0, 0, 1]

    Reference: Rosenblatt, Psychological Review 1958; Tsuruoka, Tsujii & Ananiadou, ACL 2009
    (the L1 step); scikit-learn's ``sklearn/linear_model/_perceptron.py`` and ``_sgd_fast.pyx``.
    """

    _parameter_constraints: dict = dict(_sk_linear.Perceptron._parameter_constraints)

    def __init__(self, *, penalty: str | None = None, alpha: float = 0.0001, l1_ratio: float = 0.15,
                 fit_intercept: bool = True, max_iter: int = 1000, tol: float | None = 1e-3,
                 shuffle: bool = True, verbose: int = 0, eta0: float = 1.0, n_jobs: int | None = None,
                 random_state: Any = 0, early_stopping: bool = False, validation_fraction: float = 0.1,
                 n_iter_no_change: int = 5, class_weight: Any = None, warm_start: bool = False) -> None:
        self.penalty, self.alpha, self.l1_ratio, self.fit_intercept = penalty, alpha, l1_ratio, fit_intercept
        self.max_iter, self.tol, self.shuffle, self.verbose, self.eta0 = max_iter, tol, shuffle, verbose, eta0
        self.n_jobs, self.random_state, self.early_stopping = n_jobs, random_state, early_stopping
        self.validation_fraction, self.n_iter_no_change = validation_fraction, n_iter_no_change
        self.class_weight, self.warm_start = class_weight, warm_start

    def fit(self, X: Any, y: Any, coef_init: Any = None, intercept_init: Any = None,
            sample_weight: Any = None) -> Perceptron:
        """Train from zero weights (or ``coef_init``/``intercept_init``, or the last fit's with
        ``warm_start``) for at most ``max_iter`` epochs."""
        self._validate_params()
        if hasattr(self, "classes_"):
            del self.classes_
        y = validate_data(self, y=y)
        if self.warm_start and hasattr(self, "coef_"):
            coef_init = self.coef_ if coef_init is None else coef_init
            intercept_init = self.intercept_ if intercept_init is None else intercept_init
        else:
            self.coef_ = self.intercept_ = None
        self.t_ = 1.0
        self._partial_fit(X, y, self.max_iter, np.unique(y), sample_weight, coef_init, intercept_init)
        if self.tol is not None and self.n_iter_ == self.max_iter:
            warnings.warn("Maximum number of iteration reached before convergence. Consider increasing "
                          "max_iter to improve the fit.", ConvergenceWarning, stacklevel=2)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> Perceptron:
        """One epoch over ``(X, y)``; ``classes`` (all labels) is required on the first call."""
        self._validate_params()
        if not hasattr(self, "classes_"):
            if self.early_stopping:
                raise ValueError("early_stopping should be False with partial_fit")
            if self.class_weight == "balanced":
                raise ValueError("class_weight 'balanced' is not supported for partial_fit. In order to use "
                                 "'balanced' weights, use compute_class_weight('balanced', classes=classes, y=y). "
                                 "In place of y you can use a large enough sample of the full training set target "
                                 "to properly estimate the class frequency distributions. Pass the resulting "
                                 "weights as the class_weight parameter.")
        return self._partial_fit(X, y, 1, classes, sample_weight, None, None)

    def _partial_fit(self, X: Any, y: Any, max_iter: int, classes: Any, sample_weight: Any,
                     coef_init: Any, intercept_init: Any) -> Perceptron:
        first_call = not hasattr(self, "classes_")
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], order="C",
                             accept_large_sparse=False, reset=first_call)
        intercept_decay = 0.01 if sp.issparse(X) else 1.0  # scikit-learn damps the intercept of sparse data
        X = _dense(X)
        n_samples, n_features = X.shape
        _check_partial_fit_first_call(self, classes)
        C = self.classes_.shape[0]
        if C < 2:
            raise ValueError(f"The number of classes has to be greater than one; got {C} class")
        weight = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                             allow_all_zero_weights=self.early_stopping)
        K = 1 if C == 2 else C
        if getattr(self, "coef_", None) is None or coef_init is not None:
            self.coef_ = (np.zeros((K, n_features), dtype=X.dtype) if coef_init is None
                          else np.array(coef_init, dtype=X.dtype).reshape(K, n_features))
            self.intercept_ = (np.zeros(K, dtype=X.dtype) if intercept_init is None
                               else np.array(intercept_init, dtype=X.dtype).reshape(K))
        elif n_features != self.coef_.shape[-1]:
            raise ValueError(f"Number of features {n_features} does not match previous data "
                             f"{self.coef_.shape[-1]}.")
        if not hasattr(self, "t_"):
            self.t_ = 1.0
        # targets (N, K) in {-1, +1}: class 1 against class 0, or each class against the rest
        if C == 2:
            Y = np.where(y == self.classes_[1], 1.0, -1.0)[:, None]
            pos, neg = weight[1:2], weight[:1]
        else:
            Y = np.where(y[:, None] == self.classes_[None, :], 1.0, -1.0)
            pos, neg = weight, np.ones(C)
        U = np.where(Y > 0, pos, neg) * sample_weight[:, None]
        is_val = self._validation_split(y, sample_weight > 0)
        # the shuffling seeds scikit-learn draws: per problem, after the seed of its dataset
        rs = check_random_state(self.random_state)
        sources = [rs] if K == 1 else [check_random_state(s) for s in rs.randint(_MAX_INT, size=K)]
        seeds = []
        for r in sources:
            r.randint(1, np.iinfo(np.int32).max)  # make_dataset's seed (its sampler, unused here)
            seeds.append(r.randint(_MAX_INT))
        W, b = np.array(self.coef_, dtype=np.float64), np.array(self.intercept_, dtype=np.float64)
        n_iter = _perceptron_epochs(self, X.astype(np.float64, copy=False), Y, U, W, b, is_val,
                                    sample_weight.astype(np.float64), np.array(seeds), max_iter, intercept_decay)
        self.coef_, self.intercept_ = W.astype(X.dtype), b.astype(X.dtype)
        self.t_ += n_iter * n_samples
        self.n_iter_ = n_iter
        return self

    def _validation_split(self, y: np.ndarray, sample_mask: np.ndarray) -> np.ndarray:
        """scikit-learn's stratified validation mask (all False without ``early_stopping``)."""
        mask = np.zeros(y.shape[0], dtype=bool)
        if not self.early_stopping:
            return mask
        cv = StratifiedShuffleSplit(test_size=self.validation_fraction, random_state=self.random_state)
        idx_train, idx_val = next(cv.split(np.zeros((y.shape[0], 1)), y))
        if not np.any(sample_mask[idx_val]):
            raise ValueError("The sample weights for validation set are all zero, consider using a different "
                             "random state.")
        if idx_train.shape[0] == 0 or idx_val.shape[0] == 0:
            raise ValueError(f"Splitting {y.shape[0]} samples into a train set and a validation set with "
                             f"validation_fraction={self.validation_fraction!r} led to an empty set "
                             f"({idx_train.shape[0]} and {idx_val.shape[0]} samples). Please either change "
                             "validation_fraction, increase number of samples, or disable early_stopping.")
        mask[idx_val] = True
        return mask

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


__all__ = ["Perceptron"]
