"""What every estimator of the scikit-learn face does, whatever its model: the base class and the
behaviours (predict, transform, density, generation, decoding) the families combine.

An estimator holds its parameters only (scikit-learn's rule: ``__init__`` stores, ``fit``
validates). ``fit(X, y)`` checks the data (:func:`sklearn.utils.validation.validate_data`),
reads the sizes it fixes (``n_features_in_``, ``classes_`` through label encoding, an image's
shape, a sequence's steps), builds the torch model through its ``sizes_from_data``, trains it
with its own ``fit`` and keeps it as ``module_`` with its ``history_``. Every method returns
NumPy arrays; ``predict`` returns the original labels.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import ClassifierTags, RegressorTags, check_array, check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..models.perceptron import ConvergenceWarning
from ..train import History
from ._params import TRAIN_RENAMED, plain

SEED_RANGE = 2**31 - 1  # seeds drawn for random_state=None or a RandomState
EVAL_ROWS = 256  # rows per model call at prediction: one shape for every call (see ZooEstimator._rows)


def _numpy(t: torch.Tensor) -> np.ndarray:
    """A model's output as float64 NumPy (scikit-learn's dtype for predictions and features)."""
    return t.detach().to("cpu", torch.float64).numpy()


class ZooEstimator(BaseEstimator):
    """The estimator of one model of the zoo (the generated classes of :mod:`.estimators`).

    Class attributes set by the factory: ``model_class``, ``registry_name``, ``_hparams`` (the
    model's hyperparameters it takes), ``_train`` (estimator parameter -> TrainConfig field),
    ``_train_defaults`` (the family's default of every TrainConfig field) and ``_inputs``
    (None, "unit": values in [0, 1], or "binary": 0/1 or -1/+1 values).
    """

    model_class: type
    registry_name: str
    _hparams: tuple[str, ...] = ()
    _train: dict[str, str] = {}
    _train_defaults: dict[str, Any] = {}
    _inputs: str | None = None
    _supervised = False  # fit needs y
    _online = False  # the family learns online: partial_fit

    # -- tags ---------------------------------------------------------------------------------
    def _kind(self) -> str:
        """"classifier", "regressor", "transformer" or "density": may depend on a parameter."""
        return "transformer"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        kind = self._kind()
        if kind == "classifier":
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags()
        elif kind == "regressor":
            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags()
            tags.target_tags.multi_output = self._multi_output()
        elif kind == "density":
            tags.estimator_type = "density_estimator"
        tags.target_tags.required = self._supervised
        # inputs the model checks itself (unless binarized here): never negative
        tags.input_tags.positive_only = self._input_domain() is not None and getattr(self, "binarize", None) is None
        return tags

    def _input_domain(self) -> str | None:
        """What the model takes: None (any reals), "unit" ([0, 1]) or "binary" (0/1 or -1/+1)."""
        return self._inputs

    def _multi_output(self) -> bool:
        return False

    # -- data ---------------------------------------------------------------------------------
    def _validate_X(self, X: Any, *, reset: bool) -> np.ndarray:
        """Checked rows as a fresh float32 array (binarized when asked); sets ``n_features_in_``."""
        X = validate_data(self, X, reset=reset, dtype=(np.float64, np.float32))
        return self._prepare(X)

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        if getattr(self, "binarize", None) == "threshold":
            return (X > 0.5).astype(np.float32)  # a run's data.binarize="threshold"
        if getattr(self, "binarize", None) is not None:
            raise ValueError(f"binarize: expected None or 'threshold', got {self.binarize!r}")
        return np.array(X, dtype=np.float32, order="C")  # a copy: the model never sees the caller's array

    def _targets(self, y: Any) -> tuple[torch.Tensor | None, int]:
        """The targets handed to the model and the outputs they fix (unsupervised: ignored)."""
        return None, 0

    @staticmethod
    def _tensor(X: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(X)

    # -- the model ----------------------------------------------------------------------------
    def _data_sizes(self, n_features: int, n_outputs: int) -> dict[str, Any]:
        """The model's data sizes (``DATA_SIZES`` and what else its ``sizes_from_data`` fixes)."""
        return self.model_class.sizes_from_data(n_features, n_outputs)

    def _build(self, n_features: int, n_outputs: int) -> torch.nn.Module:
        sizes = self._data_sizes(n_features, n_outputs)
        return self.model_class(**sizes, **{k: plain(getattr(self, k)) for k in self._hparams})

    def _seed(self) -> int:
        rs = self.random_state
        if isinstance(rs, (int, np.integer)) and not isinstance(rs, bool):
            return int(rs)
        return int(check_random_state(rs).randint(SEED_RANGE))

    def _fit_options(self, seed: int) -> dict[str, Any]:
        """The keyword arguments of the model's ``fit``: the seed, the progress bar, and the
        training settings that differ from the family's defaults (the model's ``fit`` fills in
        the rest exactly as the torch face does)."""
        opts: dict[str, Any] = {"seed": seed, "progress": bool(self.verbose)}
        for name, field in self._train.items():
            if field in TRAIN_RENAMED:
                continue
            value = plain(getattr(self, name))
            if value != self._train_defaults[field]:
                opts[field] = value
        return opts

    def fit(self, X: Any, y: Any = None):
        """Infer the sizes from ``(X, y)``, build the model, train it; returns ``self``."""
        if self._supervised:
            X, y = self._validate_Xy(X, y)
            X = self._prepare(X)
        else:
            X = self._validate_X(X, reset=True)
        targets, n_outputs = self._targets(y)
        seed = self._seed()
        module = self._build(X.shape[1], n_outputs)
        module.fit(self._tensor(X), targets, **self._fit_options(seed))
        self.module_, self.history_, self.seed_ = module, module.history_, seed
        return self

    def _validate_Xy(self, X: Any, y: Any, reset: bool = True) -> tuple[np.ndarray, np.ndarray]:
        return validate_data(self, X, y, reset=reset, dtype=(np.float64, np.float32))

    def _is_online(self) -> bool:
        return self._online

    @available_if(_is_online)
    def partial_fit(self, X: Any, y: Any = None, classes: Any = None):
        """One epoch over ``(X, y)``, going on from the model trained so far (the first call, or
        one before any ``fit``, builds it; a classifier's first call needs all labels in
        ``classes``). Each call starts a fresh optimizer (momentum and Adam's moments are not
        carried from call to call); ``history_`` gets one row per call."""
        first = not hasattr(self, "module_")
        if self._supervised:
            X, y = self._validate_Xy(X, y, reset=first)
            X = self._prepare(X)
        else:
            X = self._validate_X(X, reset=first)
        targets, n_outputs = self._online_targets(y, classes, first)
        if first:
            seed, history = self._seed(), []
            module = self._build(X.shape[1], n_outputs)
        else:
            module, seed, history = self.module_, self.seed_, list(self.history_)
        opts = {**self._fit_options(seed + len(history)), "epochs": 1, "warm_start": not first}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch is not meant to converge
            module.fit(self._tensor(X), targets, **opts)
        rows = [{**row, "epoch": len(history) + 1} for row in module.history_]
        self.module_, self.seed_, self.history_ = module, seed, History(history + rows)
        return self

    def _online_targets(self, y: Any, classes: Any, first: bool) -> tuple[torch.Tensor | None, int]:
        return self._targets(y)

    def _input(self, X: Any) -> torch.Tensor:
        """``X`` checked against the fitted model, as the tensor its methods take."""
        check_is_fitted(self)
        return self._tensor(self._validate_X(X, reset=False))

    def _rows(self, fn: Any, v: torch.Tensor) -> torch.Tensor:
        """``fn`` over the rows of ``v`` in blocks of ``EVAL_ROWS``, the last one padded with copies
        of its first row: every row then goes through products of one shape, and its output does
        not depend on the other rows of the call (float32 kernels round by the batch's shape)."""
        outs = []
        for i in range(0, len(v), EVAL_ROWS):
            block = v[i:i + EVAL_ROWS]
            m = len(block)
            if m < EVAL_ROWS:
                block = torch.cat([block, block[:1].expand(EVAL_ROWS - m, *block.shape[1:])])
            outs.append(fn(block)[:m])
        return torch.cat(outs)

    # -- pickling ------------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """The fitted model travels as a run folder does: its constructor arguments, its tensors
        and its fitted attributes (``history_``, ...), not as a pickled module (which would tie
        the pickle to the module's private attributes, some of them unpicklable functions)."""
        state = dict(super().__getstate__())  # a copy: object.__getstate__ gives __dict__ itself
        module = state.pop("module_", None)
        if module is not None:
            from ..train.checkpoint import state_tensors

            state["_module_state"] = {
                "hparams": module.get_params(), "tensors": state_tensors(module),
                "device": str(_device(module)),
                "fitted": {k: v for k, v in vars(module).items() if k.endswith("_") and not k.startswith("_")},
            }
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        saved = state.pop("_module_state", None)
        super().__setstate__(state)
        if saved is not None:
            module = self.model_class(**saved["hparams"])
            module.load_state_dict(saved["tensors"])  # marks it fitted (Trainable's hook)
            module._fitted = True
            vars(module).update(saved["fitted"])
            device = torch.device(saved["device"])
            if device.type == "cpu" or torch.cuda.is_available():
                module.to(device)
            self.module_ = module

    # -- run folders --------------------------------------------------------------------------
    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write a normal run folder (``config.json``, ``model.safetensors``, ``metrics.jsonl``)
        that ``neuralzoo.load``, the CLI and :func:`neuralzoo.sklearn.from_run` read; its
        ``config.json`` also holds this estimator's parameters and fitted attributes."""
        from ..train.run_folder import write_run

        check_is_fitted(self)
        cfg = self.module_.train_config(**self._fit_options(self.seed_))
        params = {k: plain(v) for k, v in self.get_params().items()}
        params["random_state"] = self.seed_  # what the model was drawn from, JSON-ready
        info: dict[str, Any] = {"estimator": type(self).__name__, "params": params,
                                "n_features_in": int(self.n_features_in_), "seed": self.seed_}
        if hasattr(self, "classes_"):
            info["classes"] = self.classes_.tolist()
        if hasattr(self, "feature_names_in_"):
            info["feature_names_in"] = self.feature_names_in_.tolist()
        return write_run(self.module_, path, cfg, list(self.history_ or []), overwrite=overwrite,
                         run_info={"sklearn": info})

    @classmethod
    def _params_from_hparams(cls, hparams: dict[str, Any]) -> dict[str, Any]:
        """The data parameters (``image_shape``, ``n_steps``, ...) of a run's model arguments."""
        return {}

    @classmethod
    def _n_features_of(cls, module: torch.nn.Module) -> int:
        """The width of an input row of a model read from a run folder."""
        return int(module.n_features)


# -- behaviours -------------------------------------------------------------------------------

class Supervised(ZooEstimator):
    """Classifier (labels of any type, through ``classes_``) or regressor (``_kind``)."""

    _supervised = True

    def _kind(self) -> str:
        return "classifier"

    def _is_classifier(self) -> bool:
        return self._kind() == "classifier"

    def _validate_Xy(self, X: Any, y: Any, reset: bool = True) -> tuple[np.ndarray, np.ndarray]:
        if self._is_classifier():
            return validate_data(self, X, y, reset=reset, dtype=(np.float64, np.float32))
        return validate_data(self, X, y, reset=reset, dtype=(np.float64, np.float32), y_numeric=True,
                             multi_output=self._multi_output())

    def _online_targets(self, y: Any, classes: Any, first: bool) -> tuple[torch.Tensor | None, int]:
        if not self._is_classifier():
            return self._targets(y)
        check_classification_targets(y)
        if _check_partial_fit_first_call(self, classes) and len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 classes: got classes={classes!r}")
        codes = np.searchsorted(self.classes_, y)
        if (codes >= len(self.classes_)).any() or (self.classes_[codes.clip(0, len(self.classes_) - 1)] != y).any():
            raise ValueError(f"y holds labels that are not in classes_ {self.classes_.tolist()}: expected "
                             "every label at the first call to partial_fit (classes=...)")
        return torch.from_numpy(codes.astype(np.int64)), len(self.classes_)

    def _targets(self, y: Any) -> tuple[torch.Tensor, int]:
        if not self._is_classifier():
            y = np.asarray(y, dtype=np.float32)
            return torch.from_numpy(np.array(y)), 1 if y.ndim == 1 else y.shape[1]
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes: the data "
                             f"hold only one class ({self.classes_[0]!r})")
        return torch.from_numpy(codes.astype(np.int64).reshape(-1)), len(self.classes_)

    def predict(self, X: Any) -> np.ndarray:
        """The class labels (N,) (``classes_``), or the predicted values of a regressor."""
        v = self._input(X)
        out = self._rows(self.module_.predict, v)
        if self._is_classifier():
            return self.classes_[out.cpu().numpy()]
        return _numpy(out)

    @available_if(_is_classifier)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (N, C), columns in the order of ``classes_``."""
        v = self._input(X)
        return _numpy(self._rows(self.module_.predict_proba, v))

    @available_if(_is_classifier)
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log class probabilities (N, C)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy (classifier) or R^2 (regressor) on ``(X, y)``."""
        metric = accuracy_score if self._is_classifier() else r2_score
        return float(metric(y, self.predict(X), sample_weight=sample_weight))


class Transforming(TransformerMixin):
    """``transform`` and the feature names of its outputs (``<estimator>0``, ``<estimator>1``, ...)."""

    def _transform_tensor(self, X: torch.Tensor) -> torch.Tensor:
        return self.module_.transform(X)

    def transform(self, X: Any) -> np.ndarray:
        """The model's features of ``X`` (N, K) (see the family's ``transform``)."""
        v = self._input(X)
        return _numpy(self._rows(self._transform_tensor, v))

    @property
    def _n_features_out(self) -> int:
        check_is_fitted(self)
        zeros = torch.zeros(1, self.n_features_in_)  # a valid row for every family's inputs
        return int(self._transform_tensor(zeros).shape[1])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``<estimator name in lower case><i>`` for each output column (scikit-learn's scheme)."""
        check_is_fitted(self)
        name = type(self).__name__.lower()
        return np.asarray([f"{name}{i}" for i in range(self._n_features_out)], dtype=object)


class Recalling(Transforming):
    """An associative memory: ``transform`` is the recall of each row from the stored patterns
    (0/1 rows give 0/1 states, -1/+1 rows -1/+1 states); ``y``, given, chooses them per class."""

    def _targets(self, y: Any) -> tuple[torch.Tensor | None, int]:
        if y is None:
            return None, 0
        _, codes = np.unique(np.asarray(y).reshape(-1), return_inverse=True)
        return torch.from_numpy(codes.astype(np.int64)), 0

    def _transform_tensor(self, X: torch.Tensor) -> torch.Tensor:
        return self.module_.recall(X, generator=self.seed_)


class Density(ZooEstimator):
    """A density model: ``score_samples`` is ``log p(x)`` in nats, ``score`` its mean.

    ``log Z`` is exact by enumeration when the enumerated layer has at most
    ``EXACT_UNITS`` units, else estimated by AIS (drawn from the fitted seed: the same
    estimate at every call)."""

    EXACT_UNITS = 20

    def _kind(self) -> str:
        return "density"

    def _exact(self) -> bool:
        from ..models.rbm.gaussian import GaussianRBM

        m = self.module_
        if callable(getattr(m, "_exact_ok", None)) and not m._exact_ok():  # the model's own limit
            return False
        units = m.n_hidden if isinstance(m, GaussianRBM) else min(m.n_visible, m.n_hidden)
        return units <= self.EXACT_UNITS

    def score_samples(self, X: Any) -> np.ndarray:
        """``log p(x)`` of each row (N,), nats (exact, or with an AIS estimate of ``log Z``)."""
        v = self._input(X)
        m = self.module_
        if not callable(getattr(m, "ais", None)):  # the general machine: exact only
            log_z = m.log_partition()
        elif self._exact():
            log_z = m.log_partition("exact")
        else:
            log_z = m.log_partition("ais", generator=self.seed_)
        return _numpy(self._rows(lambda b: m.log_likelihood(b, log_z=log_z), v))

    def score(self, X: Any, y: Any = None) -> float:
        """Mean ``log p(x)`` (nats) over the rows of ``X``."""
        return float(np.mean(self.score_samples(X)))


class Generating:
    """``sample(n_samples)``: draws from the fitted model (seeded by ``random_state``)."""

    def sample(self, n_samples: int = 1, *, seed: int | None = None) -> np.ndarray:
        """``n_samples`` rows (n_samples, D) drawn from the model (its ``sample``, its defaults);
        ``seed`` (default: the fitted one) makes the draw repeatable."""
        check_is_fitted(self)
        return _numpy(self.module_.sample(int(n_samples), generator=self.seed_ if seed is None else int(seed)))


class Decoding:
    """An autoencoder: ``inverse_transform`` decodes codes, ``score`` is minus the reconstruction error."""

    def _input_domain(self) -> str | None:
        # [0, 1] for Bernoulli outputs (cross-entropy) and for RBM pretraining; else any reals
        unit = getattr(self, "reconstruction", "cross-entropy") == "cross-entropy" or \
            getattr(self, "pretrain_epochs", 0) > 0
        return "unit" if unit else None

    def inverse_transform(self, X: Any) -> np.ndarray:
        """The decoder's reconstruction (N, D) of codes ``X`` (N, K)."""
        check_is_fitted(self)
        Z = check_array(X, dtype=np.float32)
        if Z.shape[1] != self._n_features_out:
            raise ValueError(f"codes must be (N, {self._n_features_out}): got shape {Z.shape}")
        module = self.module_
        was = module.training
        module.eval()
        try:
            with torch.no_grad():
                z = torch.from_numpy(np.array(Z)).to(_device(module))
                return _numpy(self._rows(module.decode, z))
        finally:
            module.train(was)

    def score(self, X: Any, y: Any = None) -> float:
        """Minus the mean squared reconstruction error per row (higher is better)."""
        v = self._input(X)
        r = self._rows(self.module_.reconstruct, v).to("cpu", torch.float64)
        return -float(((r - v.double()) ** 2).sum(1).mean())


def _device(module: torch.nn.Module) -> torch.device:
    from ..models.base import model_device

    return model_device(module)


__all__ = ["Decoding", "Density", "Generating", "Recalling", "Supervised", "Transforming",
           "ZooEstimator"]
