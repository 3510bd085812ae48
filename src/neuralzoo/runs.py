"""Run folders: train a registered model on a dataset, evaluate it, rebuild it from disk.

A run folder holds ``config.json`` (model name, constructor arguments, train and data
config), ``model.safetensors``, ``state.pt``, ``metrics.jsonl``, ``summary.json`` and
``report.html``. This module is what the CLI, the tour and the reproductions share.

One writer at a time: :func:`train_run` holds the folder (:func:`neuralzoo._io.run_lock`, an
OS lock that a killed holder does not leave behind) from its first check to its last file.
Every file read back is checked, and a fault is one error naming the file.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import datasets, models
from ._io import LOCK_NAME, atomic_write_json, run_lock
from .config import (
    ConfigError,
    DataConfig,
    TrainConfig,
    check_params,
    from_dict,
    hyperparameters,
    read_json_object,
    read_text,
    to_dict,
)
from .train import checkpoint as ckpt
from .train import distributed
from .train.run_folder import RunExistsError


def load_data(cfg: DataConfig, split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """The (X, y) of a data config's split, flattened to (N, D) (sequence data: see
    :func:`neuralzoo.datasets.load_sequences`)."""
    if datasets.is_sequence(cfg.name):
        X, y, _ = datasets.load_sequences(cfg.name, split, seq_len=cfg.seq_len, seed=cfg.seed,
                                          n=cfg.limit if split == "train" else None, root=cfg.root)
        return (X[: cfg.limit], y[: cfg.limit]) if split == "train" and cfg.limit else (X, y)
    X, y = datasets.load(cfg.name, split=split, binarize=cfg.binarize, seed=cfg.seed,
                         root=cfg.root, download=cfg.download)
    if split == "train" and cfg.limit is not None:
        X, y = X[: cfg.limit], y[: cfg.limit]
    return X, y


def model_config(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """The model's hyperparameters from a dict, checked against its constructor's declaration
    (unknown keys and wrong types refused by name)."""
    return check_params(models.get(name), values)


def model_sections(name: str) -> dict[str, Any]:
    """The ``[model]``, ``[train]`` and ``[data]`` declarations of ``neuralzoo train NAME``."""
    return {"model": hyperparameters(models.get(name)), "train": TrainConfig, "data": DataConfig}


def build_for_data(name: str, values: dict[str, Any], n_features: int, n_classes: int,
                   spec: dict[str, Any] | None = None) -> nn.Module:
    """Model ``name`` with hyperparameters ``values`` and the sizes the data fixes (its
    ``sizes_from_data``: columns, classes, an image's shape, what sequence data says of itself)."""
    cls = models.get(name)
    sizes = cls.sizes_from_data(n_features, n_classes, spec)
    for key in values:
        if key in sizes:  # e.g. a recurrent net's task or vocab: the data says what they are
            raise ConfigError(f"model.{key} is fixed by the data ({sizes[key]!r} here): "
                              f"expected no value, got {values[key]!r}")
    return _construct(cls, name, {**sizes, **values}, values)


def _construct(cls: type, name: str, args: dict[str, Any], shown: dict[str, Any]) -> nn.Module:
    """``cls(**args)``; parameters too large for memory are refused naming the values (``shown``)."""
    try:
        return cls(**args)
    except (RuntimeError, MemoryError) as err:
        text = str(err)
        if not isinstance(err, MemoryError) and not re.search(r"allocat|out of memory|overflow", text, re.I):
            raise
        asked = re.search(r"allocate (\d+) bytes", text)
        size = f"{int(asked.group(1)) / 2**30:,.0f} GiB asked" if asked else text.splitlines()[0][:120]
        raise ConfigError(f"model {name}: its parameters do not fit in memory ({size}): expected "
                          f"smaller sizes, got {shown}") from None


def data_config(model_name: str, values: dict[str, Any] | None = None) -> DataConfig:
    """The data config of a run: the model family's ``data_defaults`` (e.g. binarised data
    for the energy models), then the user's ``values``."""
    defaults = dict(getattr(models.get(model_name), "data_defaults", {}))
    return from_dict(DataConfig, {**defaults, **(values or {})}, section="data")


def sequence_model(name: str, values: dict[str, Any], cfg: DataConfig) -> nn.Module:
    """A recurrent model built for sequence data (its input size, task and vocabulary)."""
    cls = models.get(name)
    if not getattr(cls, "sequence_model", False):
        raise ValueError(f"data {cfg.name!r} is sequence data: expected a recurrent model "
                         f"(rnn, lstm), got {getattr(cls, 'registry_name', cls.__name__)!r}")
    _, _, spec = datasets.load_sequences(cfg.name, "test", seq_len=cfg.seq_len, seed=cfg.seed, n=1,
                                         root=cfg.root)
    return build_for_data(name, values, spec["input_size"], spec["output_size"], spec)


def class_names(name: str) -> list[str]:
    """The class names of a data set (none for sequence data)."""
    return [] if datasets.is_sequence(name) else list(datasets.info(name).class_names)


def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor, prefix: str = "test_") -> dict[str, float]:
    """Held-out metrics of any model, from its ``evaluate(X, y)``, prefixed (``test_``)."""
    return {f"{prefix}{k}": float(v) for k, v in model.evaluate(X, y).items()}


def log_likelihoods(model: nn.Module, X: torch.Tensor, *, exact: bool, ais: bool,
                    n_betas: int | None = None, n_runs: int = 100, prefix: str = "test_") -> dict[str, Any]:
    """Mean log p(v) in nats of an energy model: exact by enumeration and/or by AIS, the
    latter with the +-3 std interval of its log Z (lower log Z means higher log p)."""
    if not callable(getattr(model, "log_likelihood", None)):
        raise ValueError(f"--ais/--exact: expected an energy model with a log-likelihood, got "
                         f"{type(model).__name__}")
    out: dict[str, Any] = {}
    if exact:
        out[f"{prefix}log_likelihood_exact"] = float(model.log_likelihood(X, method="exact").mean())
    if ais:
        if not callable(getattr(model, "ais", None)):
            raise ValueError(f"--ais: expected a model with AIS, got {type(model).__name__}")
        from .energy.ais import scaled_schedule

        betas = None if n_betas is None else scaled_schedule(n_betas)
        res = model.ais(betas=betas, n_runs=n_runs, generator=torch.Generator().manual_seed(0))
        ll = model.log_likelihood(X, log_z=res.log_z)
        mean = float(ll.mean())
        out.update({f"{prefix}log_likelihood_ais": mean,
                    f"{prefix}log_likelihood_ais_low": mean - (res.log_z_high - res.log_z),
                    f"{prefix}log_likelihood_ais_high": mean + (res.log_z - res.log_z_low),
                    "ais_log_z": res.log_z, "ais_betas": res.n_betas, "ais_runs": n_runs})
    return out


def prepare_out(out: Path, *, resume: bool, force: bool) -> bool:
    """Refuse to write into an existing run unless resuming or forced; return whether to resume.

    ``resume`` of a folder that holds only ``config.json`` (a run stopped before its first
    checkpoint) starts it anew: False. ``force`` clears what neuralzoo wrote there
    (:data:`~neuralzoo.train.checkpoint.RUN_FILES`, ``stages/`` of a greedy run included) and
    nothing else: a user's own files stay. Called by the folder's writer (it holds the lock).
    """
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out}: expected a run folder, got an existing file")
    if resume:
        if (out / ckpt.STATE).exists() or (out / "stages").is_dir():  # greedy runs: per stage
            return True
        if (out / "config.json").is_file() and not (out / ckpt.WEIGHTS).exists():
            ckpt.clear_run(out)  # stopped before its first checkpoint: nothing to go on from
            return False
        raise FileNotFoundError(f"{out}: nothing to resume: expected {ckpt.STATE} (or stages/) in the run folder")
    if force:
        ckpt.clear_run(out)
    elif out.exists() and any(p.name != LOCK_NAME for p in out.iterdir()):
        raise RunExistsError(
            f"{out} already exists and is not empty: expected a new run folder "
            "(pass --resume to continue it or --force to overwrite it)"
        )
    return False


def check_resume(out: Path, *, model: nn.Module | None = None, data_cfg: DataConfig | None = None,
                 train: dict[str, Any] | None = None) -> None:
    """Refuse, by name, a resume whose model (its constructor arguments), data or train options
    (those given) differ from the run's in what may not change on resume (see
    :data:`~neuralzoo.train.checkpoint.RESUMABLE`; the data's ``root`` and ``download`` may)."""
    if not (out / "config.json").exists():
        return
    stored = read_config(out)
    for section, old, new, free in (
            ("model", stored.get("hparams"), None if model is None else getattr(model, "hparams", {}), ()),
            ("data", stored.get("data"), None if data_cfg is None else to_dict(data_cfg), ("root", "download"))):
        if not old or new is None:
            continue
        old, new = json.loads(json.dumps(old, default=str)), json.loads(json.dumps(new, default=str))
        unknown = sorted(set(old) - set(new))
        if unknown:
            raise ConfigError(f"{out / 'config.json'}: {'hparams' if section == 'model' else section}: unknown "
                              f"key {unknown[0]!r}: expected only keys of {', '.join(new)}")
        for key in new:
            if key in old and key not in free and old[key] != new[key]:
                raise ConfigError(f"{section}.{key}: {out} was trained with {old[key]!r}: it cannot change "
                                  f"on resume (got {new[key]!r}); start anew with --force")
    if train:
        ckpt.resume_changes(stored.get("train"), train, where=str(out), done=None)


def train_run(
    model_name: str,
    *,
    model_values: dict[str, Any] | None = None,
    train_values: dict[str, Any] | None = None,
    data_values: dict[str, Any] | None = None,
    out: str | Path,
    resume: bool = False,
    force: bool = False,
) -> dict[str, Any]:
    """Train ``model_name`` on its data, evaluate on the test split, write the run folder.

    Returns the summary (also written to ``summary.json``). ``resume``: the epochs, the learning
    rate and its schedule and clipping may change (and are applied); any other change of the
    run's options is refused by name. The writer holds ``out`` throughout (:func:`run_lock`).
    """
    out = Path(out)
    with run_lock(out if distributed.is_writer() else None):
        return _train_run(model_name, model_values=model_values, train_values=train_values,
                          data_values=data_values, out=out, resume=resume, force=force)


def _train_run(model_name: str, *, model_values: dict[str, Any] | None, train_values: dict[str, Any] | None,
               data_values: dict[str, Any] | None, out: Path, resume: bool, force: bool) -> dict[str, Any]:
    values = model_config(model_name, model_values or {})
    data_cfg = data_config(model_name, data_values)
    train_values = dict(train_values or {})
    resume = bool(distributed.broadcast(  # torchrun: rank 0 decides
        distributed.on_writer(lambda: prepare_out(out, resume=resume, force=force)), distributed.context()))
    if resume:  # before any data is loaded
        distributed.on_writer(lambda: check_resume(out, data_cfg=data_cfg, train=train_values))
    X, y = load_data(data_cfg, "train")
    X_test, y_test = load_data(data_cfg, "test")
    if datasets.is_sequence(data_cfg.name):  # text, adding, copy: the data says how to read it
        model = sequence_model(model_name, values, data_cfg)
    else:
        X, X_test = X.reshape(len(X), -1), X_test.reshape(len(X_test), -1)
        model = build_for_data(model_name, values, X.shape[1], datasets.info(data_cfg.name).n_classes)
    model.train_config(**train_values)  # refuse bad train keys before any work
    if resume:
        distributed.on_writer(lambda: check_resume(out, model=model))
    t0 = time.perf_counter()
    # only the values the user gave: each family's fit fills in its own defaults
    model.fit(X, y, out=out, resume=resume, overwrite=force,
              run_info={"model_config": values, "data": to_dict(data_cfg)},
              **train_values)
    seconds = time.perf_counter() - t0
    summary: dict[str, Any] = {"model": model_name, "data": data_cfg.name,
                               "epochs": len(model.history_), "train_seconds": seconds}
    if isinstance(model, models.Classifier) and getattr(model, "task", "classify") != "regress":
        summary["train_acc"] = model.score(X, y)
    summary.update(evaluate(model, X_test, y_test))
    summary["params"] = models.count_parameters(model)
    if distributed.is_writer():  # under torchrun only rank 0 writes the run folder
        atomic_write_json(out / "summary.json", summary)
    return summary


def read_config(run: str | Path) -> dict[str, Any]:
    """The ``config.json`` of a run folder."""
    path = Path(run) / "config.json"
    if not path.exists():
        raise FileNotFoundError(f"{run}: not a run folder: expected {path}")
    config = read_json_object(path)  # UTF-8, JSON, an object: else refused naming the file
    if "model" in config and not isinstance(config["model"], str):
        raise ConfigError(f"{path}: model: expected a model name, got {type(config['model']).__name__}")
    for key in ("hparams", "model_config", "train", "data"):
        if key in config and not isinstance(config[key], dict):
            raise ConfigError(f"{path}: {key}: expected an object, got {type(config[key]).__name__}")
    return config


def read_metrics(run: str | Path) -> list[dict[str, Any]]:
    """The rows of ``metrics.jsonl`` (one JSON object per epoch); a line that is not one is
    refused naming the file and the line."""
    path = Path(run) / "metrics.jsonl"
    rows = []
    for i, line in enumerate(read_text(path, "metrics file").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}: line {i}: not valid JSON ({err.msg})") from None
        if not isinstance(row, dict):
            raise ConfigError(f"{path}: line {i}: expected a JSON object (one epoch's metrics), "
                              f"got {type(row).__name__}")
        rows.append(row)
    return rows


def load_run(run: str | Path, device: str | None = None, *, history: bool = True) -> nn.Module:
    """Rebuild the model of a run folder from ``config.json`` and ``model.safetensors``
    (weights of another shape or dtype, or holding NaN/inf, are refused naming the file).

    ``history``: also read ``metrics.jsonl`` into ``history_`` (evaluation does not need it, so
    that a damaged log does not stop it)."""
    config = read_config(run)
    if "model" not in config or "hparams" not in config:
        raise ConfigError(f"{run}/config.json: expected keys 'model' and 'hparams'")
    hparams = config["hparams"]
    if "format" not in config:  # written by neuralzoo 0.1: its constructor arguments, renamed since
        cls = models.get(config["model"])
        try:
            hparams = cls.upgrade_hparams(hparams) if hasattr(cls, "upgrade_hparams") else hparams
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError(f"{run}/config.json was written by neuralzoo 0.1 and cannot be read by "
                              f"{__version__()}: {err}; retrain the run, or load it with neuralzoo 0.1") from None
    cls = models.get(config["model"])
    try:
        model = _construct(cls, config["model"], hparams, hparams)
    except ConfigError:
        raise
    except (TypeError, ValueError) as err:  # an unknown key, a value the constructor refuses
        raise ConfigError(f"{Path(run) / 'config.json'}: hparams do not build a {config['model']}: {err}") from None
    ckpt.load_weights(model, Path(run) / ckpt.WEIGHTS)
    model._fitted = True
    if history and (Path(run) / "metrics.jsonl").exists():
        from .train import History

        model.history_ = History(read_metrics(run))
    if device is not None:
        from .train import resolve_device

        model.to(resolve_device(device))
    return model


def __version__() -> str:
    from . import __version__ as version

    return f"neuralzoo {version}"


load = load_run  # the public name: nz.load(run_dir)


def run_data_config(run: str | Path) -> DataConfig:
    """The data config a run was trained with."""
    return from_dict(DataConfig, read_config(run).get("data", {}), section="data")


def run_train_config(run: str | Path) -> TrainConfig:
    """The train config a run was trained with."""
    return from_dict(TrainConfig, read_config(run).get("train", {}), section="train")


def make_report(run: str | Path) -> Path:
    """(Re)write ``report.html`` of a run: summary, curves, confusion matrix, model figures."""
    from .report import write_run_report
    from .report.model_figures import model_figures

    run = Path(run)
    config = read_config(run)
    model = load_run(run)
    summary_path = run / "summary.json"
    summary = read_json_object(summary_path) if summary_path.exists() else {}
    data_cfg = run_data_config(run)
    X_test, y_test = load_data(data_cfg, "test")
    figures = model_figures(model, X_test.reshape(len(X_test), -1), y_test, class_names(data_cfg.name))
    return write_run_report(run, title=f"neuralzoo run: {config['model']} on {data_cfg.name}",
                            config=config, summary=summary, history=list(model.history_ or []),
                            figures=figures)
