"""Run folders and estimators, both ways: :func:`from_run` rebuilds a fitted estimator from any run
folder (written by ``est.save(path)``, by ``neuralzoo train`` or by a model's ``fit(out=...)``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..runs import load_run, read_config
from ._params import _immutable
from .base import ZooEstimator
from .estimators import ESTIMATORS


def params_from_config(cls: type[ZooEstimator], config: dict[str, Any]) -> dict[str, Any]:
    """An estimator's parameters from a run's ``config.json``: the model's arguments, the train
    config (``seed`` as ``random_state``, ``progress`` as ``verbose``), the data's binarization."""
    sk = config.get("sklearn") or {}
    if "params" in sk:
        return dict(sk["params"])
    hparams, train = config.get("hparams", {}), config.get("train", {})
    params = {k: hparams[k] for k in cls._hparams if k in hparams}
    params.update(cls._params_from_hparams(hparams))
    params.update({name: train[field] for name, field in cls._train.items() if field in train})
    if "binarize" in cls._get_param_names():
        params["binarize"] = (config.get("data") or {}).get("binarize", None)
    return params


def from_run(path: str | Path, device: str | None = None) -> ZooEstimator:
    """The fitted estimator of a run folder: its parameters from ``config.json``, its model from
    :func:`neuralzoo.load` (kept as ``module_``, with ``history_``); ``device`` moves the model.

    A run written by the CLI on a dataset gets ``classes_ = 0 .. C-1``; one written by
    ``est.save`` gets the estimator's own labels and feature names back."""
    config = read_config(path)
    name = config.get("model")
    if name not in ESTIMATORS:
        raise ValueError(f"{path}: model {name!r} has no estimator: expected one of {', '.join(ESTIMATORS)}")
    cls = ESTIMATORS[name]
    known = set(cls._get_param_names())
    params = {k: _immutable(v) for k, v in params_from_config(cls, config).items() if k in known}
    est = cls(**params)
    module = load_run(path, device=device)
    sk = config.get("sklearn") or {}
    est.module_ = module
    est.history_ = getattr(module, "history_", [])
    est.n_features_in_ = int(sk.get("n_features_in", cls._n_features_of(module)))
    est.seed_ = int(sk.get("seed", (config.get("train") or {}).get("seed", 0)))
    if est._kind() == "classifier":
        est.classes_ = np.asarray(sk["classes"]) if "classes" in sk else np.arange(int(module.n_classes))
    if "feature_names_in" in sk:
        est.feature_names_in_ = np.asarray(sk["feature_names_in"], dtype=object)
    return est


__all__ = ["from_run", "params_from_config"]
