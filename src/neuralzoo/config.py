"""Typed configurations: constructor signatures, dataclasses, TOML files and ``--set`` overrides.

A run is described by three sections:

- ``[model]`` — the hyperparameters of the chosen model, declared once: by its constructor's
  signature (names, types from the annotations, defaults) and one line of doc per parameter
  in the class docstring's ``Args:`` block (:func:`model_params`, read the way scikit-learn's
  ``get_params`` reads ``__init__``);
- ``[train]`` — :class:`TrainConfig`, the options of the one training loop,
- ``[data]``  — :class:`DataConfig`, which dataset and how it is prepared.

Values are checked against the declared types: an unknown key or a value of the wrong type
is refused with a :class:`ConfigError` that names the valid keys or the expected type.

>>> cfg = from_dict(TrainConfig, {"epochs": 3, "lr": "0.1"})
Traceback (most recent call last):
...
neuralzoo.config.ConfigError: train.lr: expected float, got str '0.1'
>>> from_dict(TrainConfig, {"epochs": 3, "lr": 0.1}).epochs
3
"""

from __future__ import annotations

import ast
import collections.abc
import dataclasses
import inspect
import json
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration key or value that cannot be used (message names what was expected)."""


@dataclass
class TrainConfig:
    """Options of :func:`neuralzoo.fit`, the one training loop.

    On resume ``epochs`` (more), ``lr``, ``lr_schedule``, ``lr_step_size``, ``lr_gamma``,
    ``clip_norm``, ``clip_value``, ``checkpoint_every``, ``device`` and ``progress`` may change
    (and are applied); any other field must stay as the run had it
    (:data:`neuralzoo.train.checkpoint.RESUMABLE`).
    """

    epochs: int = 10  # passes over the training data
    batch_size: int = 64  # examples per gradient step
    lr: float = 1e-3  # learning rate (initial value when a schedule is used)
    optimizer: str = "adam"  # "adam" or "sgd"
    momentum: float = 0.9  # SGD momentum (ignored by Adam)
    weight_decay: float = 0.0  # L2 penalty added by the optimizer
    clip_norm: float | None = None  # clip the global gradient norm to this value
    clip_value: float | None = None  # clip every gradient component to [-v, v]
    lr_schedule: str = "constant"  # "constant", "step", "exponential" or "cosine"
    lr_step_size: int = 10  # epochs between decays for the "step" schedule
    lr_gamma: float = 0.5  # decay factor for "step" and "exponential"
    val_fraction: float = 0.0  # fraction of the training data held out for validation
    patience: int | None = None  # early stopping: epochs without improvement of `monitor`; ends on the best epoch
    monitor: str = "val_loss"  # metric watched by early stopping (minimised if it ends in "loss")
    seed: int = 0  # seeds initialisation, shuffling, dropout and validation split
    device: str = "auto"  # "auto", "cpu", "cuda" or "cuda:N"
    progress: bool = True  # show a progress bar on stderr
    checkpoint_every: int = 1  # write a checkpoint every N epochs (and at the end)
    shuffle: bool = True  # new order of the examples every epoch (False: in order, e.g. carried RNN state)

    def __post_init__(self) -> None:
        check_choice("train.optimizer", self.optimizer, ("adam", "sgd"))
        check_choice(
            "train.lr_schedule", self.lr_schedule, ("constant", "step", "exponential", "cosine")
        )
        for name in ("epochs", "batch_size", "checkpoint_every", "lr_step_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"train.{name}: expected an integer >= 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ConfigError(f"train.lr: expected a positive learning rate, got {self.lr}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ConfigError(f"train.val_fraction: expected a value in [0, 1), got {self.val_fraction}")
        for name in ("clip_norm", "clip_value"):  # 0 would silently stop all learning
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ConfigError(f"train.{name}: expected a positive value or None, got {value}")
        for name in ("momentum", "weight_decay"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"train.{name}: expected a value >= 0, got {getattr(self, name)}")
        if not self.lr_gamma > 0:
            raise ConfigError(f"train.lr_gamma: expected a positive factor, got {self.lr_gamma}")
        if self.patience is not None and self.patience < 1:
            raise ConfigError(f"train.patience: expected an integer >= 1 or None, got {self.patience}")
        if not (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")):
            raise ConfigError(
                f"train.device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', got {self.device!r}"
            )


@dataclass
class DataConfig:
    """Which dataset a run uses and how it is prepared."""

    name: str = "digits"  # "digits" (embedded), "mnist" or "fashion-mnist"
    binarize: str | None = None  # None, "threshold" (x > 0.5) or "sample" (Bernoulli, seeded)
    seed: int = 0  # seed of the "sample" binarisation
    root: str | None = None  # folder holding the IDX files (else the usual places)
    download: bool = True  # download MNIST / Fashion-MNIST when no copy is found
    limit: int | None = None  # use only the first N training examples (quick runs)
    seq_len: int | None = None  # sequence data: window of a text, length T of adding/copy

    def __post_init__(self) -> None:
        for name in ("limit", "seq_len"):  # -5 would drop the last 5 rows, 0 would leave none
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"data.{name}: expected an integer >= 1 or None, got {value}")


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    """Raise a ConfigError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ConfigError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {value!r}")


def _type_ok(value: Any, tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if origin in (list, tuple, collections.abc.Sequence):
        args = typing.get_args(tp)
        inner = args[0] if args else Any
        return isinstance(value, (list, tuple)) and all(_type_ok(v, inner) for v in value)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, tp)


def _type_name(tp: Any) -> str:
    if typing.get_origin(tp) is not None:  # list[int] has __name__ "list": say "list[int]"
        return str(tp).replace("typing.", "").replace("collections.abc.", "")
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


DATA_SIZES = ("n_features", "input_shape", "n_classes", "n_outputs")
"""The sizes the data fixes, named one way across the zoo: the builder fills them from the data;
every other constructor parameter is a hyperparameter."""


@dataclass(frozen=True)
class Param:
    """One constructor parameter of a model: its declaration, read from the signature."""

    name: str
    type: Any  # the resolved annotation (Any where there is none)
    default: Any  # inspect.Parameter.empty when the parameter has none
    doc: str  # its line in the class docstring's ``Args:`` block

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty

    @property
    def type_name(self) -> str:
        return _type_name(self.type)


_ARGS_HEAD = re.compile(r"^(\s*)(Args|Arguments|Parameters):\s*$")


def param_docs(cls: type) -> dict[str, str]:
    """``{name: doc}`` from the ``Args:`` blocks of ``cls`` and its bases (a subclass's line wins).

    A block is a line ``Args:`` followed by lines ``name: text`` one indent deeper;
    continuation lines are indented further still.
    """
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        lines = (klass.__dict__.get("__doc__") or "").splitlines()
        i = 0
        while i < len(lines):
            head = _ARGS_HEAD.match(lines[i])
            i += 1
            if not head:
                continue
            indent = None
            name = None
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > len(head.group(1))):
                line = lines[i]
                i += 1
                if not line.strip():
                    break
                depth = len(line) - len(line.lstrip())
                indent = depth if indent is None else indent
                m = re.match(r"\s*(\w+)\s*(?:\(.*?\))?:\s*(.*)$", line)
                if depth == indent and m:
                    name = m.group(1)
                    docs[name] = m.group(2).strip()
                elif name is not None:
                    docs[name] = (docs[name] + " " + line.strip()).strip()
    return docs


def model_params(cls: type) -> dict[str, Param]:
    """The constructor parameters of model class ``cls``, in signature order: the one declaration
    of its hyperparameters. ``**kwargs`` passed on to a base class are followed into its signature."""
    out: dict[str, Param] = {}
    docs = param_docs(cls)
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        hints = typing.get_type_hints(init)
        more = False
        for p in list(inspect.signature(init).parameters.values())[1:]:
            if p.kind is p.VAR_KEYWORD:
                more = True
            elif p.kind is not p.VAR_POSITIONAL and p.name not in out:
                out[p.name] = Param(p.name, hints.get(p.name, Any), p.default, docs.get(p.name, ""))
        if not more:
            break
    return out


def hyperparameters(cls: type) -> dict[str, Param]:
    """The parameters a user chooses: every constructor parameter but the data's sizes."""
    return {k: p for k, p in model_params(cls).items() if k not in DATA_SIZES}


def check_params(cls: type, values: dict[str, Any], section: str = "model",
                 params: dict[str, Param] | None = None) -> dict[str, Any]:
    """``values`` checked against the declaration of ``cls``: unknown keys and wrong types refused
    by name (lists for tuples, as JSON and TOML write them)."""
    params = hyperparameters(cls) if params is None else params
    for key, value in values.items():
        if key not in params:
            raise ConfigError(f"unknown key {section}.{key}: expected one of {', '.join(params)}")
        if not _type_ok(value, params[key].type):
            raise ConfigError(f"{section}.{key}: expected {params[key].type_name}, "
                              f"got {type(value).__name__} {value!r}")
    return dict(values)


def from_dict(cls: type[T], values: dict[str, Any], section: str | None = None) -> T:
    """Build dataclass ``cls`` from ``values``, refusing unknown keys and wrong types."""
    section = section or {"TrainConfig": "train", "DataConfig": "data"}.get(cls.__name__, "model")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for key, value in values.items():
        if key not in hints:
            raise ConfigError(
                f"unknown key {section}.{key}: expected one of {', '.join(names)}"
            )
        if not _type_ok(value, hints[key]):
            raise ConfigError(
                f"{section}.{key}: expected {_type_name(hints[key])}, "
                f"got {type(value).__name__} {value!r}"
            )
    kwargs = {k: (list(v) if isinstance(v, tuple) else v) for k, v in values.items()}
    return cls(**kwargs)


def to_dict(cfg: Any) -> dict[str, Any]:
    """A JSON-ready dict of a config dataclass."""
    return dataclasses.asdict(cfg)


def parse_value(text: str) -> Any:
    """Read a ``--set`` value: JSON or Python literal (numbers, lists, true/none), else a string."""
    lowered = text.strip().lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(text)
        except (ValueError, SyntaxError):
            continue
    return text


def section_keys(spec: Any) -> list[str]:
    """The keys of a section: a dataclass's fields, or the names of a ``{name: Param}`` dict."""
    return list(spec) if isinstance(spec, dict) else [f.name for f in dataclasses.fields(spec)]


def parse_overrides(items: list[str], sections: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Parse ``["train.lr=0.1", "hidden=[100]"]`` into ``{"train": {"lr": 0.1}, ...}``.

    ``sections`` maps a section name to its dataclass or to its ``{name: Param}`` declaration.
    A key without a section goes to the one section that has a key of that name.
    """
    out: dict[str, dict[str, Any]] = {name: {} for name in sections}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        key, text = item.split("=", 1)
        key = key.strip()
        if "." in key:
            section, key = key.split(".", 1)
            if section not in sections:
                raise ConfigError(
                    f"unknown section {section!r} in --set {item!r}: expected one of "
                    f"{', '.join(sections)}"
                )
        else:
            owners = [s for s, spec in sections.items() if key in section_keys(spec)]
            if not owners:
                valid = ", ".join(f"{s}.{k}" for s, spec in sections.items() for k in section_keys(spec))
                raise ConfigError(f"unknown key {key!r} in --set {item!r}: expected one of {valid}")
            if len(owners) > 1:
                raise ConfigError(
                    f"ambiguous key {key!r} in --set {item!r}: expected one of "
                    f"{', '.join(f'{s}.{key}' for s in owners)}"
                )
            section = owners[0]
        out[section][key] = parse_value(text)
    return out


def read_text(path: str | Path, what: str = "file") -> str:
    """The UTF-8 text of ``path``; a folder, a missing file or other bytes are refused by name."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: expected a {what}, got a folder") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text (byte {err.object[err.start]:#04x} at offset "
                          f"{err.start}): expected a {what}") from None


def read_json_object(path: str | Path) -> dict[str, Any]:
    """A JSON file holding one object (``config.json``, ``summary.json``), refused by name when
    it is not UTF-8, not JSON, or another JSON value."""
    path = Path(path)
    try:
        value = json.loads(read_text(path, "JSON file"))
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: expected a JSON object, got {type(value).__name__} {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def load_toml(path: str | Path, sections: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Read a TOML config file with the given ``[section]`` tables."""
    path = Path(path)
    try:
        data = tomllib.loads(read_text(path, "config file"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    unknown = [k for k in data if k not in sections]
    if unknown:
        raise ConfigError(
            f"{path}: unknown section(s) {', '.join(unknown)}: expected {', '.join(sections)}"
        )
    for name, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{name}] must be a table, got {type(table).__name__}")
    return {name: dict(data.get(name, {})) for name in sections}


__all__ = [
    "DATA_SIZES",
    "ConfigError",
    "Param",
    "check_params",
    "hyperparameters",
    "model_params",
    "param_docs",
    "section_keys",
    "DataConfig",
    "TrainConfig",
    "check_choice",
    "field",
    "from_dict",
    "load_toml",
    "parse_overrides",
    "parse_value",
    "read_json_object",
    "read_text",
    "to_dict",
]
