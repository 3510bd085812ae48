"""The parameters of an estimator, derived from the one declaration of its model.

An estimator's constructor takes (1) the model's hyperparameters, read from the model's
signature by :func:`neuralzoo.config.hyperparameters` minus what the data fixes (the keys the
model's ``sizes_from_data`` returns), (2) the parameters that say how to read the data (an
``image_shape``, a sequence's ``n_steps``, ``binarize``), and (3) the training settings: the
fields of :class:`neuralzoo.config.TrainConfig` with the family's ``train_defaults``, ``seed``
named ``random_state`` and ``progress`` named ``verbose`` as scikit-learn names them. None of
these lists is written by hand: :func:`make_init` builds an ``__init__`` with an explicit
``__signature__`` from them, which is what scikit-learn's ``get_params`` reads.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..config import Param, TrainConfig

TRAIN_RENAMED = {"seed": "random_state", "progress": "verbose"}
"""TrainConfig fields under scikit-learn's names."""

TRAIN_SKIPPED = ("checkpoint_every",)
"""TrainConfig fields an estimator does not take: ``fit`` writes no run folder (``save`` does)."""

_TRAIN_DOCS_OVERRIDE = {
    "random_state": "seed of initialisation, shuffling, dropout and sampling: an int (the torch "
                    "face's ``seed``), or None / a RandomState to draw one at fit",
    "verbose": "show a progress bar on stderr while training (the torch face's ``progress``)",
}


def train_docs() -> dict[str, str]:
    """``{field: comment}`` of :class:`TrainConfig`, read from the comments beside its fields."""
    try:
        source = inspect.getsource(TrainConfig)
    except OSError:  # pragma: no cover - no source (frozen install)
        return {}
    return {m.group(1): m.group(2).strip()
            for m in re.finditer(r"^\s+(\w+): [^=\n]+=[^#\n]*#\s*(.*)$", source, re.MULTILINE)}


def _immutable(value: Any) -> Any:
    """Lists as tuples, recursively: scikit-learn wants immutable defaults and parameters."""
    if isinstance(value, (list, tuple)):
        return tuple(_immutable(v) for v in value)
    return value


def plain(value: Any) -> Any:
    """A parameter as the torch face and ``config.json`` take it: NumPy scalars as Python
    numbers, tuples and arrays as lists, tensors as nested lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def train_params(model_class: type, fields: tuple[str, ...] | None = None,
                 skip: tuple[str, ...] = ()) -> tuple[dict[str, Param], dict[str, str], dict[str, Any]]:
    """The training settings of an estimator of ``model_class``.

    Returns ``(params, field_of, defaults)``: the estimator parameters (``{name: Param}``), the
    TrainConfig field of each, and the family's default of every TrainConfig field
    (``TrainConfig`` defaults updated by ``model_class.train_defaults``). ``fields``: the
    fields the family's ``fit`` uses (None: all); ``seed`` and ``progress`` are always taken.
    """
    hints = typing.get_type_hints(TrainConfig)
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    defaults.update(getattr(model_class, "train_defaults", {}))
    docs = {**train_docs(), **_TRAIN_DOCS_OVERRIDE}
    params: dict[str, Param] = {}
    field_of: dict[str, str] = {}
    for f in dataclasses.fields(TrainConfig):
        keep = f.name in TRAIN_RENAMED or fields is None or f.name in fields
        if not keep or f.name in TRAIN_SKIPPED or f.name in skip:
            continue
        name = TRAIN_RENAMED.get(f.name, f.name)
        default, tp = defaults[f.name], hints[f.name]
        if name == "verbose":  # a scikit-learn estimator is quiet unless asked
            default, tp = False, bool | int
        elif name == "random_state":
            tp = int | None
        params[name] = Param(name, tp, default, docs.get(name, docs.get(f.name, "")))
        field_of[name] = f.name
    return params, field_of, defaults


def model_hparams(model_class: type) -> dict[str, Param]:
    """The model's hyperparameters an estimator takes: those of its signature
    (:func:`neuralzoo.config.hyperparameters`) but the ones its ``sizes_from_data`` fills
    from the data (a recurrent net's task, n_steps, vocab, ...), defaults made immutable."""
    from ..config import hyperparameters

    fixed = set(model_class.sizes_from_data(64, 2))  # 64 = 8 x 8: any family reads that width
    return {k: dataclasses.replace(p, default=_immutable(p.default))
            for k, p in hyperparameters(model_class).items() if k not in fixed}


def make_init(params: dict[str, Param], class_name: str) -> Callable[..., None]:
    """An ``__init__(self, *, <params>)`` that stores every parameter under its own name (and
    nothing else, validating nothing: scikit-learn's rule), with an explicit ``__signature__``
    so that ``get_params``, ``clone`` and ``set_params`` see the parameters."""
    defaults = {k: p.default for k, p in params.items()}

    def __init__(self: Any, **kwargs: Any) -> None:
        unknown = [k for k in kwargs if k not in defaults]
        if unknown:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                            f"{unknown[0]!r}: expected one of {', '.join(defaults)}")
        for name, default in defaults.items():
            setattr(self, name, kwargs.get(name, default))

    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [self_param] + [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=p.default,
                                          annotation=p.type) for k, p in params.items()])
    __init__.__qualname__ = f"{class_name}.__init__"
    return __init__


def params_doc(params: dict[str, Param]) -> str:
    """The ``Parameters`` block of an estimator's docstring, one line per parameter."""
    lines = ["Parameters", "----------"]
    for p in params.values():
        lines.append(f"{p.name} : {p.type_name}, default={p.default!r}")
        if p.doc:
            lines.append(f"    {p.doc}")
    return "\n".join(lines)


__all__ = ["TRAIN_RENAMED", "TRAIN_SKIPPED", "make_init", "model_hparams", "params_doc", "plain",
           "train_docs", "train_params"]
