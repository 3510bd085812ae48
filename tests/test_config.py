"""Typed configs: unknown keys and wrong types refused by name, TOML files, --set overrides."""

from __future__ import annotations

import pytest

from neuralzoo.config import (
    ConfigError,
    DataConfig,
    TrainConfig,
    check_params,
    from_dict,
    hyperparameters,
    load_toml,
    parse_overrides,
    parse_value,
    to_dict,
)
from neuralzoo.models import MLP

SECTIONS = {"model": hyperparameters(MLP), "train": TrainConfig, "data": DataConfig}


# --- from_dict: keys and types ---------------------------------------------------------------


def test_unknown_key_names_the_valid_keys():
    with pytest.raises(ConfigError, match=r"unknown key train\.epoch: expected one of epochs, "
                                          r"batch_size, lr, .*checkpoint_every"):
        from_dict(TrainConfig, {"epoch": 3})
    with pytest.raises(ConfigError, match=r"unknown key model\.hiden: expected one of hidden, "
                                          r"activation, dropout, init"):
        check_params(MLP, {"hiden": [10]})


@pytest.mark.parametrize(("key", "value", "message"), [
    ("lr", "0.1", r"train\.lr: expected float, got str '0\.1'"),
    ("epochs", True, r"train\.epochs: expected int, got bool True"),
    ("epochs", 2.0, r"train\.epochs: expected int, got float 2\.0"),
    ("lr", True, r"train\.lr: expected float, got bool True"),
    ("progress", 1, r"train\.progress: expected bool, got int 1"),
    ("optimizer", 3, r"train\.optimizer: expected str, got int 3"),
    ("clip_norm", "1", r"train\.clip_norm: expected float \| None, got str '1'"),
    ("patience", 2.5, r"train\.patience: expected int \| None, got float 2\.5"),
])
def test_wrong_type_is_refused(key, value, message):
    with pytest.raises(ConfigError, match=message):
        from_dict(TrainConfig, {key: value})


def test_int_is_accepted_for_float_and_none_for_optional():
    cfg = from_dict(TrainConfig, {"lr": 1, "clip_norm": None, "patience": None, "clip_value": 2})
    assert cfg.lr == 1.0 and cfg.clip_norm is None and cfg.patience is None and cfg.clip_value == 2
    data = from_dict(DataConfig, {"root": None, "limit": None, "binarize": None})
    assert data.root is None and data.limit is None and data.binarize is None
    assert from_dict(DataConfig, {"limit": 100, "root": "/data"}).limit == 100


def test_list_of_int_fields():
    assert check_params(MLP, {"hidden": [100, 50]})["hidden"] == [100, 50]
    assert MLP(4, 2, **check_params(MLP, {"hidden": (30,)})).hidden == [30]  # a tuple becomes a list
    assert check_params(MLP, {"hidden": []})["hidden"] == []
    for bad in ([100, "a"], [1.5], "100", 100, [True]):
        with pytest.raises(ConfigError, match=r"model\.hidden: expected list\[int\]"):
            check_params(MLP, {"hidden": bad})


def test_to_dict_round_trips():
    cfg = TrainConfig(epochs=3, lr=0.5, clip_norm=1.0, lr_schedule="cosine")
    assert from_dict(TrainConfig, to_dict(cfg)) == cfg
    assert MLP(4, 2, hidden=(7,)).hparams["hidden"] == [7]


# --- TrainConfig validation ------------------------------------------------------------------


@pytest.mark.parametrize(("values", "message"), [
    ({"optimizer": "rmsprop"}, r"train\.optimizer: expected one of 'adam', 'sgd', got 'rmsprop'"),
    ({"lr_schedule": "linear"}, r"train\.lr_schedule: expected one of 'constant', .*got 'linear'"),
    ({"epochs": 0}, r"train\.epochs: expected an integer >= 1, got 0"),
    ({"batch_size": -1}, r"train\.batch_size: expected an integer >= 1, got -1"),
    ({"checkpoint_every": 0}, r"train\.checkpoint_every: expected an integer >= 1"),
    ({"lr": 0.0}, r"train\.lr: expected a positive learning rate, got 0\.0"),
    ({"lr": -0.1}, r"train\.lr: expected a positive learning rate"),
    ({"lr": float("nan")}, r"train\.lr: expected a positive learning rate, got nan"),
    ({"val_fraction": 1.0}, r"train\.val_fraction: expected a value in \[0, 1\), got 1\.0"),
    ({"val_fraction": -0.1}, r"train\.val_fraction: expected a value in \[0, 1\)"),
    ({"patience": 0}, r"train\.patience: expected an integer >= 1 or None, got 0"),
    ({"device": "tpu"}, r"train\.device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', got 'tpu'"),
    ({"clip_norm": 0.0}, r"train\.clip_norm: expected a positive value or None, got 0\.0"),
    ({"clip_value": -1.0}, r"train\.clip_value: expected a positive value or None, got -1\.0"),
    ({"momentum": -0.5}, r"train\.momentum: expected a value >= 0, got -0\.5"),
    ({"weight_decay": -1e-4}, r"train\.weight_decay: expected a value >= 0, got -0\.0001"),
    ({"lr_gamma": 0.0}, r"train\.lr_gamma: expected a positive factor, got 0\.0"),
])
def test_train_config_values_are_checked(values, message):
    with pytest.raises(ConfigError, match=message):
        from_dict(TrainConfig, values)


def test_train_config_accepts_the_documented_values():
    for device in ("auto", "cpu", "cuda", "cuda:1"):
        assert TrainConfig(device=device).device == device
    for schedule in ("constant", "step", "exponential", "cosine"):
        assert TrainConfig(lr_schedule=schedule).lr_schedule == schedule
    cfg = TrainConfig(optimizer="sgd", val_fraction=0.0, patience=1, momentum=0.0, clip_norm=1e-3)
    assert (cfg.optimizer, cfg.patience, cfg.clip_norm) == ("sgd", 1, 1e-3)


# --- --set values and overrides --------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("3", 3), ("-2", -2), ("0.5", 0.5), ("1e-3", 1e-3), ("[100, 50]", [100, 50]), ("[]", []),
    ("none", None), ("None", None), ("null", None), ("true", True), ("True", True),
    ("false", False), ("relu", "relu"), ("'relu'", "relu"), ('"relu"', "relu"),
    ("cuda:0", "cuda:0"), ("fashion-mnist", "fashion-mnist"), ("/data/mnist", "/data/mnist"),
])
def test_parse_value(text, value):
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_parse_overrides_resolves_sections():
    out = parse_overrides(["lr=0.1", "hidden=[10, 20]", "name=mnist", "train.epochs=3",
                           "data.seed=5", "activation=tanh", "clip_norm=none"], SECTIONS)
    assert out == {"model": {"hidden": [10, 20], "activation": "tanh"},
                   "train": {"lr": 0.1, "epochs": 3, "clip_norm": None},
                   "data": {"name": "mnist", "seed": 5}}
    assert parse_overrides([], SECTIONS) == {"model": {}, "train": {}, "data": {}}
    # a value may itself hold "=": only the first one splits
    assert parse_overrides(["data.root=/a=b"], SECTIONS)["data"] == {"root": "/a=b"}


def test_parse_overrides_refuses_bad_items():
    with pytest.raises(ConfigError, match=r"unknown section 'trian' in --set 'trian\.lr=1': "
                                          r"expected one of model, train, data"):
        parse_overrides(["trian.lr=1"], SECTIONS)
    with pytest.raises(ConfigError, match=r"--set expects key=value, got 'lr'"):
        parse_overrides(["lr"], SECTIONS)
    with pytest.raises(ConfigError, match=r"unknown key 'hiddn' in --set 'hiddn=3': expected one "
                                          r"of model\.hidden, .*train\.lr, .*data\.root"):
        parse_overrides(["hiddn=3"], SECTIONS)


# --- TOML files ------------------------------------------------------------------------------


def test_load_toml(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[model]\nhidden = [32, 16]\n\n[train]\nlr = 0.01\nepochs = 4\n')
    assert load_toml(path, tuple(SECTIONS)) == {
        "model": {"hidden": [32, 16]}, "train": {"lr": 0.01, "epochs": 4}, "data": {}}


def test_load_toml_refuses_bad_files(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[train]\nlr = 0.1\n[trainer]\nepochs = 2\n")
    with pytest.raises(ConfigError, match=rf"{path}: unknown section\(s\) trainer: "
                                          r"expected model, train, data"):
        load_toml(path, tuple(SECTIONS))
    path.write_text("[train\nlr = \n")
    with pytest.raises(ConfigError, match=rf"{path}: invalid TOML"):
        load_toml(path, tuple(SECTIONS))
    path.write_text("train = 3\n")
    with pytest.raises(ConfigError, match=rf"{path}: \[train\] must be a table, got int"):
        load_toml(path, tuple(SECTIONS))
    with pytest.raises(ConfigError, match=r"config file not found: .*absent\.toml"):
        load_toml(tmp_path / "absent.toml", tuple(SECTIONS))


def test_parse_overrides_refuses_a_key_two_sections_share():
    from neuralzoo.config import ConfigError, DataConfig, TrainConfig, parse_overrides

    with pytest.raises(ConfigError, match=r"ambiguous key 'seed'.*train\.seed, data\.seed"):
        parse_overrides(["seed=3"], {"train": TrainConfig, "data": DataConfig})
    assert parse_overrides(["data.seed=3"], {"train": TrainConfig, "data": DataConfig})["data"] == {"seed": 3}
