"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's multi-layer perceptrons computed in PyTorch."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.optimize
import torch
from sklearn import neural_network as _sk_nn
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d, gen_batches, shuffle
from sklearn.utils.fixes import _get_additional_lbfgs_options_dict
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ...train import resolve_device
from ._backprop import _SGD, _Adam, _forward, _Net
from ._common import _DEVICE, _dense, _numpy, _tensor, _threads_for, _torch_dtype


def _keep_arguments(estimator: Any, arguments: dict[str, Any]) -> None:
    """Store every constructor argument under its own name, as scikit-learn's ``get_params``
    reads them back (``arguments``: the constructor's ``locals()``, ``self`` left out)."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)

class _BaseMLP(BaseEstimator):
    """What :class:`MLPClassifier` and :class:`MLPRegressor` share: scikit-learn's
    ``BaseMultilayerPerceptron`` with the forward pass, back-propagation and optimizers in PyTorch."""

    def _check_solver(self) -> bool:
        if self.solver not in ("sgd", "adam"):
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. {self.solver} "
                                 "is not stochastic.")
        return True

    def _device(self) -> torch.device:
        return resolve_device(self.device)

    def _fit(self, X: Any, y: Any, sample_weight: Any = None, incremental: bool = False) -> _BaseMLP:
        hidden = self.hidden_layer_sizes
        hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
        if np.any(np.array(hidden) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden}.")
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        X = _dense(X)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        self.n_outputs_ = y.shape[1]
        layer_units = [X.shape[1]] + hidden + [self.n_outputs_]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y, layer_units, X.dtype)
        elif [c.shape for c in self.coefs_] != list(zip(layer_units[:-1], layer_units[1:])):
            raise ValueError(f"warm_start and partial_fit need the layer shapes of the fitted model: expected "
                             f"{[c.shape for c in self.coefs_]}, got {list(zip(layer_units[:-1], layer_units[1:]))}")
        y = y.astype(X.dtype)
        if self.solver in ("sgd", "adam"):
            self._fit_stochastic(X, y, sample_weight, incremental)
        else:
            self._fit_lbfgs(X, y, sample_weight)
        if not all(np.isfinite(w).all() for w in self.coefs_ + self.intercepts_):
            raise ValueError("Solver produced non-finite parameter weights. The input data may contain large "
                             "values and need to be preprocessed.")
        return self

    def _initialize(self, y: np.ndarray, layer_units: list[int], dtype: np.dtype) -> None:
        """scikit-learn's start: Glorot-uniform weights and biases, ``U(-s, s)`` with ``s = sqrt(f /
        (fan_in + fan_out))``, f = 2 for logistic units, else 6, drawn in its order."""
        self.n_iter_, self.t_ = 0, 0
        self.n_outputs_, self.n_layers_ = y.shape[1], len(layer_units)
        self.out_activation_ = self._out_activation()
        self.coefs_, self.intercepts_ = [], []
        factor = 2.0 if self.activation == "logistic" else 6.0
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            self.coefs_.append(self._random_state.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype, copy=False))
            self.intercepts_.append(self._random_state.uniform(-bound, bound, fan_out).astype(dtype, copy=False))
        if self.solver in ("sgd", "adam"):
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_, self.best_validation_score_, self.best_loss_ = [], -np.inf, None
            else:
                self.best_loss_, self.validation_scores_, self.best_validation_score_ = np.inf, None, None

    def _fit_lbfgs(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> None:
        device = self._device()
        net = _Net(self, device)
        x, t = _tensor(X, device), _tensor(y, device)
        sw = None if sample_weight is None else _tensor(sample_weight, device, x.dtype)

        def loss_grad(packed: np.ndarray) -> tuple[float, np.ndarray]:
            net.theta.copy_(torch.from_numpy(packed))
            loss = net.backprop(x, t, sw)
            return float(loss), _numpy(net.grad).astype(np.float64)

        iprint = 1 if self.verbose is True or self.verbose >= 1 else -1
        with _threads_for(device, X.shape[0] * max(a * b for a, b in zip(net.units[:-1], net.units[1:]))):
            res = scipy.optimize.minimize(
                loss_grad, _numpy(net.theta).astype(np.float64), method="L-BFGS-B", jac=True,
                options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol,
                         **_get_additional_lbfgs_options_dict("iprint", iprint)})
        self.n_iter_ = _check_optimize_result("lbfgs", res, self.max_iter)
        self.loss_ = res.fun
        net.theta.copy_(torch.from_numpy(res.x))
        net.store(self)

    def _fit_stochastic(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None,
                        incremental: bool) -> None:
        device = self._device()
        net = _Net(self, device)
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = (_SGD if self.solver == "sgd" else _Adam)(net.theta, self)
        opt = self._optimizer
        for name in ("velocity", "m", "v", "denom", "step"):  # a pickled optimizer may come back elsewhere
            if hasattr(opt, name):
                setattr(opt, name, getattr(opt, name).to(net.theta))
        early_stopping = self.early_stopping
        if early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        X_val = y_val = sw_val = None
        if early_stopping:  # scikit-learn's split, drawn from the same random state
            stratify = y if is_classifier(self) and self.n_outputs_ == 1 else None
            arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
            split = train_test_split(*arrays, random_state=self._random_state,
                                     test_size=self.validation_fraction, stratify=stratify)
            X, X_val, y, y_val = split[:4]
            if sample_weight is not None:
                sample_weight, sw_val = split[4:]
            if X_val.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size "
                                 "of your dataset.")
            if is_classifier(self):
                y_val = self._label_binarizer.inverse_transform(y_val)
        n_samples = X.shape[0]
        sample_idx = np.arange(n_samples, dtype=int)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be "
                              "clipped", stacklevel=3)
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        x, t = _tensor(X, device), _tensor(y, device)
        sw = None if sample_weight is None else _tensor(sample_weight, device, x.dtype)
        x_val = None if X_val is None else _tensor(X_val, device)
        best = net.theta.clone() if early_stopping else None
        batches = list(gen_batches(n_samples, batch_size))
        work = batch_size * max(a * b for a, b in zip(net.units[:-1], net.units[1:]))
        with _threads_for(device, work):
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                xe, te, se = x, t, sw
                if self.shuffle:  # scikit-learn's shuffle: one permutation of the rows per epoch
                    sample_idx = shuffle(sample_idx, random_state=self._random_state)
                    idx = torch.from_numpy(sample_idx).to(device)
                    xe, te = x.index_select(0, idx), t.index_select(0, idx)
                    se = None if sw is None else sw.index_select(0, idx)
                total = torch.zeros((), dtype=x.dtype, device=device)
                for s in batches:
                    loss = net.backprop(xe[s], te[s], None if se is None else se[s])
                    total.add_(loss, alpha=s.stop - s.start)
                    opt.update(net.theta, net.grad)
                self.n_iter_ += 1
                self.loss_ = float(total) / n_samples
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                if self._update_no_improvement_count(net, x_val, y_val, sw_val) and early_stopping:
                    best.copy_(net.theta)
                opt.iteration_ends(self.t_)
                if self._no_improvement_count > self.n_iter_no_change:
                    what = "Validation score" if early_stopping else "Training loss"
                    msg = (f"{what} did not improve more than tol={self.tol:f} for "
                           f"{self.n_iter_no_change} consecutive epochs.")
                    if opt.trigger_stopping(msg, self.verbose):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                                  "optimization hasn't converged yet.", ConvergenceWarning, stacklevel=3)
        if early_stopping:
            net.theta.copy_(best)
        net.store(self)

    def _update_no_improvement_count(self, net: _Net, x_val: torch.Tensor | None, y_val: Any,
                                     sw_val: Any) -> bool:
        """scikit-learn's stopping rule; True when the validation score is a new best."""
        if x_val is not None:
            score = self._score_output(_numpy(net.predict(x_val)), y_val, sw_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            self._no_improvement_count = (self._no_improvement_count + 1
                                          if score < self.best_validation_score_ + self.tol else 0)
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                return True
            return False
        self._no_improvement_count = (self._no_improvement_count + 1
                                      if self.loss_curve_[-1] > self.best_loss_ - self.tol else 0)
        self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])
        return False

    def _output(self, X: Any) -> np.ndarray:
        """The network's output (N, n_outputs) for ``X``, from ``coefs_`` and ``intercepts_`` as they are."""
        X = _dense(validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                                 dtype=(np.float64, np.float32)))
        device = self._device()
        dtype = _torch_dtype(np.result_type(X.dtype, self.coefs_[0].dtype))
        Ws = [_tensor(W, device, dtype) for W in self.coefs_]
        bs = [_tensor(b, device, dtype) for b in self.intercepts_]
        with torch.no_grad():
            return _numpy(_forward(Ws, bs, _tensor(X, device, dtype), self.activation, self.out_activation_)[-1])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


_MLP_DOC = """
    Forward pass for layer sizes ``[D, H_1, ..., H_{L-1}, K]`` (``coefs_[l-1]`` = W^(l) (H_{l-1}, H_l),
    ``intercepts_[l-1]`` = b^(l))::

        h^(0) = x,   h^(l) = f(h^(l-1) W^(l) + b^(l))   (l < L),   y_hat = g(h^(L-1) W^(L) + b^(L))

    ``f`` the ``activation`` ("identity", "logistic", "tanh", "relu"), ``g`` the output's
    (``out_activation_``). The loss ``L(y, y_hat) + alpha/2 sum_l ||W^(l)||^2 / n`` is minimised by
    back-propagation (written out, as scikit-learn's ``_backprop``: ``delta = y_hat - y`` at the
    output, ``delta^(l-1) = delta^(l) W^(l)T * f'``) with ``solver`` "adam", "sgd" (momentum,
    Nesterov, the ``learning_rate`` schedules) or "lbfgs" (SciPy's L-BFGS-B on the same loss and
    gradient). Every parameter of scikit-learn's class keeps its meaning: the batches, shuffles,
    stopping rule (``tol``, ``n_iter_no_change``, ``early_stopping``, ``validation_fraction``),
    ``warm_start``, ``verbose`` output, warnings and ``max_fun``. With the same ``random_state`` the
    initial weights, shuffles and validation split are scikit-learn's draws, so the fit follows its
    trajectory up to rounding. Extra: ``device`` ("cpu", "cuda", "auto": where the arithmetic
    runs; the attributes stay NumPy arrays). Input of ``fit`` in float32 trains in float32, as
    scikit-learn; sparse input is densified.

    Args:
        hidden_layer_sizes: widths H_1 .. H_{L-1} of the hidden layers (an int for one).
        activation: f of the hidden layers: "identity", "logistic", "tanh" or "relu".
        solver: "adam", "sgd" or "lbfgs".
        alpha: L2 strength; the term is divided by the number of rows (their weight sum).
        batch_size: rows per step of "sgd"/"adam"; "auto" = min(200, N).
        learning_rate: "sgd"'s schedule: "constant", "invscaling" or "adaptive".
        learning_rate_init: the step size of "sgd" and "adam".
        power_t: the exponent of "invscaling".
        max_iter: epochs ("sgd", "adam") or iterations ("lbfgs").
        shuffle: a new row order every epoch.
        random_state: int, ``RandomState`` or None: initial weights, shuffles, validation split.
        tol: the improvement below which an epoch (iteration) counts as none.
        verbose: print the loss after every epoch.
        warm_start: start ``fit`` from the last fit's weights.
        momentum: "sgd"'s momentum.
        nesterovs_momentum: Nesterov's form of it.
        early_stopping: hold out ``validation_fraction`` and stop on its score.
        validation_fraction: the held-out share of the rows.
        beta_1, beta_2, epsilon: Adam's.
        n_iter_no_change: epochs without improvement before stopping.
        max_fun: the most loss evaluations of "lbfgs".
        device: "cpu", "cuda" or "auto" (extra).

    Reference: Rumelhart, Hinton & Williams, Nature 1986; Kingma & Ba, "Adam", ICLR 2015;
    scikit-learn's ``sklearn/neural_network/_multilayer_perceptron.py``.
"""


class MLPClassifier(ClassifierMixin, _BaseMLP):
    __doc__ = """Multi-layer perceptron classifier, scikit-learn's ``MLPClassifier`` computed in PyTorch.

    The output is a softmax over the classes (``loss`` log-loss), or one logistic unit per label
    for two classes and for multilabel targets (binary log-loss).
    """ + _MLP_DOC + """
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(random_state=0).fit(X[:1200], y[:1200])
    >>> clf.score(X[1200:], y[1200:]) > 0.9, clf.n_iter_ < clf.max_iter, clf.predict_proba(X[:2]).shape
    (True, True, (2, 10))
    """

    _parameter_constraints: dict = {**_sk_nn.MLPClassifier._parameter_constraints, "device": _DEVICE}
    loss = "log_loss"  # scikit-learn's attribute, fixed (not a parameter of the classifier)

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *, solver: str = "adam",
                 alpha: float = 0.0001, batch_size: Any = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4, verbose: bool = False,
                 warm_start: bool = False, momentum: float = 0.9, nesterovs_momentum: bool = True,
                 early_stopping: bool = False, validation_fraction: float = 0.1, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8, n_iter_no_change: int = 10,
                 max_fun: int = 15000, device: str = "cpu") -> None:
        _keep_arguments(self, locals())

    def _out_activation(self) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple[Any, np.ndarray]:
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError("warm_start can only be used where `y` has the same classes as in the "
                                     f"previous call to fit. Previously got {self.classes_}, `y` has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                                 f"'y' has {classes}.")
        return X, self._label_binarizer.transform(y).astype(bool)

    def _score_output(self, y_hat: np.ndarray, y: Any, sample_weight: Any) -> float:
        return accuracy_score(y, self._labels(y_hat), sample_weight=sample_weight)

    def _labels(self, y_hat: np.ndarray) -> np.ndarray:
        return self._label_binarizer.inverse_transform(y_hat.ravel() if self.n_outputs_ == 1 else y_hat)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Train on ``X`` (N, D) and labels ``y`` (N,) of any type, or a label indicator matrix (N, K)."""
        self._validate_params()
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None) -> MLPClassifier:
        """One epoch over ``(X, y)``; ``classes`` (all labels) is required on the first call."""
        self._validate_params()
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y if type_of_target(y).startswith("multilabel") else classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """The predicted labels (N,), or indicator rows (N, K) for multilabel targets."""
        check_is_fitted(self)
        return self._labels(self._output(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (N, C), columns in the order of ``classes_``."""
        check_is_fitted(self)
        y_hat = self._output(X)
        return np.hstack([1 - y_hat, y_hat]) if self.n_outputs_ == 1 else y_hat

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``."""
        p = self.predict_proba(X)
        return np.log(p, out=p)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    __doc__ = """Multi-layer perceptron regressor, scikit-learn's ``MLPRegressor`` computed in PyTorch.

    The output is linear with ``loss="squared_error"`` (half the mean squared error) and
    exponential with ``loss="poisson"`` (half the Poisson deviance); ``loss`` is the first
    positional parameter, as in scikit-learn.
    """ + _MLP_DOC + """
    >>> import numpy as np
    >>> X = np.linspace(-1, 1, 200)[:, None]
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), activation="tanh", solver="lbfgs", random_state=0)
    >>> reg.fit(X, np.sin(3 * X).ravel()).score(X, np.sin(3 * X).ravel()) > 0.99
    True
    """

    _parameter_constraints: dict = {**_sk_nn.MLPRegressor._parameter_constraints, "device": _DEVICE}

    def __init__(self, loss: str = "squared_error", hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: Any = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001, power_t: float = 0.5,
                 max_iter: int = 200, shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False, validation_fraction: float = 0.1,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8, n_iter_no_change: int = 10,
                 max_fun: int = 15000, device: str = "cpu") -> None:
        _keep_arguments(self, locals())

    def _out_activation(self) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple[Any, np.ndarray]:
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True, y_numeric=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _score_output(self, y_hat: np.ndarray, y: Any, sample_weight: Any) -> float:
        return r2_score(y, y_hat.ravel() if y_hat.shape[1] == 1 else y_hat, sample_weight=sample_weight)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Train on ``X`` (N, D) and targets ``y`` (N,) or (N, K)."""
        self._validate_params()
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over ``(X, y)``."""
        self._validate_params()
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """The predictions (N,), or (N, K) for K targets."""
        check_is_fitted(self)
        y_hat = self._output(X)
        return y_hat.ravel() if y_hat.shape[1] == 1 else y_hat


__all__ = ["MLPClassifier", "MLPRegressor"]
