"""What every neuralzoo model shares: its hyperparameters read from its signature, ``fit``
through the one loop, and the classifier methods ``predict / predict_proba / score``.

A model family subclasses ``nn.Module`` and :class:`Trainable` (and :class:`Classifier` for
classifiers) and implements ``loss(batch)``. Its constructor is the one declaration of its
hyperparameters: every parameter annotated, documented on one line of the class docstring's
``Args:`` block and kept as an attribute of the same name, so that :meth:`Trainable.get_params`
(and ``hparams``, ``config.json``, the CLI's ``--set`` keys) read it back as scikit-learn's
``get_params`` reads ``__init__``. Its ``fit`` is the one below unless the family trains
differently (closed-form rules, greedy stages), in which case it still calls :func:`neuralzoo.fit`
for every gradient step it takes, and takes the options of :meth:`Trainable.fit` through
:func:`~neuralzoo.models.fit_options.takes_fit_options` rather than declaring them again.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from .._checks import check_count, check_finite_targets, check_given, check_X, check_y
from ..config import DATA_SIZES, TrainConfig, from_dict, model_params
from ..train import as_tensors
from ..train import fit as train_fit

PROTOCOL = ("fit", "predict", "predict_proba", "score", "transform", "reconstruct", "sample", "recall",
            "energy", "free_energy", "log_likelihood", "evaluate")
"""The methods of the one calling convention (models/__init__.py); a family has those that fit it."""

NEEDS_FIT = ("predict", "predict_proba", "score", "evaluate", "transform", "reconstruct", "sample",
             "recall", "log_likelihood")
"""The methods of :data:`PROTOCOL` that answer from learned parameters: the one rule of the zoo is
that, on every registered model, they raise :class:`NotFittedError` until the model is fitted —
by ``fit``, a closed-form rule (``store``), :func:`neuralzoo.fit` (the one loop), a loaded
``state_dict`` or :func:`neuralzoo.load` — and answer while the loop trains it (callbacks use
them). ``energy`` and ``free_energy`` are the model's equations, defined for any parameters (the
training loss is made of them): they always answer."""

_TAKES_X = frozenset(NEEDS_FIT) - {"sample", "evaluate"}  # X first and required (evaluate's may be None)


class NotFittedError(RuntimeError, ValueError, AttributeError):
    """The model was used before it was fitted (or loaded).

    A ``RuntimeError`` as in neuralzoo 0.1, and a ``ValueError`` and ``AttributeError`` as
    scikit-learn's ``sklearn.exceptions.NotFittedError`` is, so that code written for
    scikit-learn's error catches this one too (without importing scikit-learn here)."""


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU when it has none)."""
    for t in list(model.parameters()) + list(model.buffers()):
        return t.device
    return torch.device("cpu")


def model_dtype(model: nn.Module) -> torch.dtype:
    """The dtype of the model's first floating parameter or buffer (float32 when it has none):
    the dtype its inputs are cast to, so that ``model.double()`` computes in float64."""
    for t in list(model.parameters()) + list(model.buffers()):
        if t.is_floating_point():
            return t.dtype
    return torch.float32


def _json_ready(value: Any) -> Any:
    """Tuples as lists (as JSON and TOML write them), recursively; everything else as it is."""
    if isinstance(value, (tuple, list)):
        return [_json_ready(v) for v in value]
    return value


def unpack_data(X: Any, y: Any = None) -> tuple[Any, Any]:
    """``(X, y)`` from a ``Dataset`` or ``DataLoader`` given as ``X`` (its first field the inputs,
    its second, if any and ``y`` is None, the targets); anything else passes through unchanged."""
    if isinstance(X, (Dataset, DataLoader)):
        tensors = as_tensors(X)
        if y is None and len(tensors) > 1:
            y = tensors[1]
        X = tensors[0]
    return X, y


def _accepting_datasets(fit: Any) -> Any:
    """Wrap a family's ``fit`` so that it takes a ``Dataset`` or ``DataLoader`` (as ``X`` or
    ``val_data``) like tensors and arrays: one rule for every ``fit`` of the zoo."""
    @functools.wraps(fit)
    def wrapper(self: Any, X: Any, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        X, y = unpack_data(X, y)
        check_given(X, f"{type(self).__name__}.fit(X)")
        check_finite_targets(y)  # NaN/inf targets, of regressors above all, refused for every family
        if isinstance(kwargs.get("val_data"), (Dataset, DataLoader)):
            kwargs["val_data"] = unpack_data(kwargs["val_data"])
        self._fitting = getattr(self, "_fitting", 0) + 1  # its methods answer while it trains
        try:
            out = fit(self, X, y, *args, **kwargs)
        finally:
            self._fitting -= 1
        self._fitted = True
        return out

    wrapper.__accepts_datasets__ = True
    return wrapper


def _needs_fit(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` (a method of :data:`NEEDS_FIT` called ``name``) behind the one rule: the model
    must be fitted; and the arguments every family takes alike are checked here, once — ``X`` given
    (not None), targets finite, ``sample``'s ``n >= 1`` and ``steps >= 0``."""
    def before(self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._check_fitted()
        where = f"{type(self).__name__}.{name}"
        if name == "sample":
            check_count(args[0] if args else kwargs.get("n"), f"{where}(n)", minimum=1)
            if kwargs.get("steps") is not None:
                check_count(kwargs["steps"], f"{where}(steps)", minimum=0)
            return
        if name in _TAKES_X:
            check_given(args[0] if args else kwargs.get("X", kwargs.get("v", kwargs.get("probes"))),
                        f"{where}(X)")
        if name in ("score", "evaluate"):
            check_finite_targets(args[1] if len(args) > 1 else kwargs.get("y"))

    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        before(self, args, kwargs)
        return method(self, *args, **kwargs)

    # built over the globals of ``method``'s own module (``guarded`` reads none), so that doctest
    # still finds the method's examples in that module
    out = types.FunctionType(guarded.__code__, method.__globals__, name, None, guarded.__closure__)
    out = functools.wraps(method)(out)
    out.__needs_fit__ = True
    return out


def _mark_fitted(module: nn.Module, incompatible_keys: Any) -> None:
    module._fitted = True  # a loaded state dict is a trained model (as for any torch module)


def seeded_reset(module: nn.Module, seed: int) -> None:
    """``module.reset_parameters()`` drawn from ``seed`` (one seed, one model), the global RNG untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module.reset_parameters()


class Trainable:
    """``fit`` through :func:`neuralzoo.fit` for a model with ``loss(batch)``.

    Subclasses set ``train_defaults`` (a dict of :class:`TrainConfig` fields) and
    implement ``_fit_data(X, y) -> tuple`` that checks the data and returns the tensors the
    batches are cut from.
    """

    train_defaults: dict[str, Any] = {}
    registry_name: str = ""
    history_: list[dict[str, Any]]
    # neuralzoo 0.1's constructor arguments renamed since (read by upgrade_hparams): old name -> this
    # version's; the names its sizes=[D, *H] or [D, *H, last] split into, e.g. ("n_features",
    # "hidden") or ("n_features", "hidden", "n_classes"), () where it had no sizes
    renamed_hparams: dict[str, str] = {}
    sizes_hparams: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fit = cls.__dict__.get("fit")
        if fit is not None and not getattr(fit, "__accepts_datasets__", False):
            cls.fit = _accepting_datasets(fit)
        for name in NEEDS_FIT:  # the one rule, for the class's own methods and those it inherits
            method = getattr(cls, name, None)
            if isinstance(method, types.FunctionType) and not getattr(method, "__needs_fit__", False):
                setattr(cls, name, _needs_fit(name, method))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # a fresh model given a trained state_dict predicts, as any torch module would
        self.register_load_state_dict_post_hook(_mark_fitted)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)  # nn.Module's: parameters, buffers, submodules
        except AttributeError:
            if name in PROTOCOL:  # a method of the protocol this family does not have: say which it has
                has = [m for m in PROTOCOL if callable(getattr(type(self), m, None))]
                raise AttributeError(f"{type(self).__name__} has no {name}(): it supports "
                                     f"{', '.join(m + '()' for m in has)}") from None
            raise

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments, read back from the attributes of the same names (as
        scikit-learn's ``get_params``): ``type(self)(**self.get_params())`` rebuilds the model."""
        out = {}
        for name in model_params(type(self)):
            if not hasattr(self, name):
                raise AttributeError(f"{type(self).__name__} keeps no attribute {name!r}: every constructor "
                                     "parameter must be stored under its own name (see models/base.py)")
            out[name] = _json_ready(getattr(self, name))
        return out

    @property
    def hparams(self) -> dict[str, Any]:
        """:meth:`get_params`, JSON-ready: what ``config.json`` stores to rebuild the model."""
        return self.get_params()

    @classmethod
    def upgrade_hparams(cls, old: dict[str, Any]) -> dict[str, Any]:
        """The constructor arguments of a run written by neuralzoo 0.1 (``config.json`` without
        ``"format"``), renamed to this version's: the keys of ``renamed_hparams`` take their new
        names, and the list ``sizes`` is split into the arguments ``sizes_hparams`` names."""
        new = {cls.renamed_hparams.get(k, k): v for k, v in old.items()
               if not (k == "sizes" and cls.sizes_hparams)}
        if cls.sizes_hparams and "sizes" in old:  # [D, *H] or [D, *H, last]
            D, *H = old["sizes"]
            new.update(zip(cls.sizes_hparams, [D, H] if len(cls.sizes_hparams) == 2 else [D, H[:-1], H[-1]]))
        return new

    @classmethod
    def sizes_from_data(cls, n_features: int, n_classes: int, spec: dict[str, Any] | None = None) -> dict[str, Any]:
        """The constructor's data sizes (those of ``DATA_SIZES`` it has) for data of ``n_features``
        columns and ``n_classes`` classes; image and sequence models override it (``spec``:
        what sequence data says of itself)."""
        params = model_params(cls)
        given = {"n_features": n_features, "n_classes": n_classes, "n_outputs": n_classes}
        return {k: v for k, v in given.items() if k in params and k in DATA_SIZES}

    def train_config(self, **options: Any) -> TrainConfig:
        """The resolved :class:`TrainConfig`: model defaults, then ``options``."""
        values = {**self.train_defaults, **{k: v for k, v in options.items() if v is not None}}
        return from_dict(TrainConfig, values)

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor, ...]:
        raise NotImplementedError

    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        epochs: int | None = None,
        batch_size: int | None = None,
        lr: float | None = None,
        optimizer: str | None = None,
        seed: int | None = None,
        device: str | None = None,
        progress: bool | None = None,
        out: str | Path | None = None,
        resume: bool = False,
        overwrite: bool = False,
        warm_start: bool = False,
        callbacks: Sequence[Any] = (),
        val_data: tuple[Any, Any] | None = None,
        run_info: dict[str, Any] | None = None,
        **options: Any,
    ):
        """Train by :func:`neuralzoo.fit` and return ``self``; metrics land in ``history_``.

        ``options`` are further :class:`TrainConfig` fields (``momentum``,
        ``weight_decay``, ``clip_norm``, ``lr_schedule``, ``val_fraction``, ``patience``,
        ...). Unless ``warm_start``, the parameters are re-initialised from ``seed`` first,
        so one seed gives one model.
        """
        cfg = self.train_config(epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer,
                                seed=seed, device=device, progress=progress, **options)
        data = self._fit_data(X, y)
        if val_data is not None:
            val_data = self._fit_data(*val_data)
        if not (warm_start or resume):
            seeded_reset(self, cfg.seed)
        self.history_ = train_fit(self, data, cfg, val_data=val_data, out=out, resume=resume,
                                  overwrite=overwrite, callbacks=callbacks, run_info=run_info)
        self._fitted = True
        return self

    def reset_parameters(self) -> None:  # pragma: no cover - every model overrides
        raise NotImplementedError

    def _check_fitted(self) -> None:
        """Raise :class:`NotFittedError` unless the model is fitted or being fitted (see
        :data:`NEEDS_FIT`); a family that fits otherwise (``store``) may say so in its own."""
        if getattr(self, "_fitted", False) or getattr(self, "_fitting", 0):
            return
        raise NotFittedError(
            f"this {type(self).__name__} is not fitted yet: call fit(X, y) first "
            "(or load a trained run, or a trained state_dict)"
        )


Trainable.fit = _accepting_datasets(Trainable.fit)  # the families' own fits are wrapped as they are defined


class Classifier:
    """``predict_proba / predict / score / metrics`` from ``forward(X) -> logits (N, C)``.

    Subclasses define ``n_features`` and ``n_classes`` and a ``forward`` returning logits
    ``o``; probabilities are ``softmax(o)`` and the loss is the lecture's cross-entropy
    ``l(x, y) = -log [softmax(o)]_y = log sum_j exp(o_j) - o_y``.
    """

    n_features: int
    n_classes: int
    eval_batch_size: int = 4096

    def _check_input(self, X: Any) -> torch.Tensor:
        """The checked input of ``forward``: (N, D) features here; image models override it."""
        return check_X(X, self.n_features)

    def _logits(self, X: Any) -> torch.Tensor:
        self._check_fitted()
        X = self._check_input(X).to(device=model_device(self), dtype=model_dtype(self))
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                return torch.cat([self(X[i:i + self.eval_batch_size])
                                  for i in range(0, len(X), self.eval_batch_size)])
        finally:
            self.train(was_training)

    def predict_proba(self, X: Any) -> torch.Tensor:
        """Class probabilities ``softmax(o)``, shape (N, C)."""
        return torch.softmax(self._logits(X), dim=1)

    def predict(self, X: Any) -> torch.Tensor:
        """The most probable class of each row, shape (N,)."""
        return self._logits(X).argmax(dim=1)

    def score(self, X: Any, y: Any) -> float:
        """Accuracy on ``(X, y)``."""
        pred = self.predict(X)  # checks X first: an empty X is refused as such
        y = check_y(y, self.n_classes, len(pred))
        return float((pred.cpu() == y.cpu()).float().mean())

    def evaluate(self, X: Any, y: Any) -> dict[str, float]:
        """Held-out metrics: accuracy, error rate and cross-entropy on ``(X, y)``."""
        logits = self._logits(X)
        y = check_y(y, self.n_classes, len(logits)).to(logits.device)
        acc = float((logits.argmax(1) == y).float().mean())
        return {"acc": acc, "error": 1.0 - acc, "loss": float(F.cross_entropy(logits, y))}

    def metrics(self, X: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """Cross-entropy and accuracy on ``(X, y)``, for validation during training."""
        with torch.no_grad():
            logits = torch.cat([self(X[i:i + self.eval_batch_size])
                                for i in range(0, len(X), self.eval_batch_size)])
        return {"loss": float(F.cross_entropy(logits, y)),
                "acc": float((logits.argmax(1) == y).float().mean())}


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
