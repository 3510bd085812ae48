"""What a careful user hit (issue: hardening), each fixed item a test."""

from __future__ import annotations

import pytest

import neuralzoo as nz
from neuralzoo.config import ConfigError, DataConfig


def test_version(run_cli):
    code, out, _ = run_cli("--version")
    assert code == 0 and out.startswith(f"neuralzoo {nz.__version__} (torch ")


@pytest.mark.parametrize("limit", [-5, 0])
def test_data_limit_below_one_is_refused(run_cli, tmp_path, limit):
    with pytest.raises(ConfigError, match=rf"data.limit: expected an integer >= 1 or None, got {limit}"):
        DataConfig(limit=limit)
    code, _, err = run_cli("train", "mlp", "--set", f"data.limit={limit}", "--out", tmp_path / "run")
    assert code == 2 and "data.limit" in err
    assert not (tmp_path / "run").exists()  # refused before any work


def test_train_help_names_the_config_tables_and_every_option(run_cli):
    code, out, _ = run_cli("train", "--help")
    assert code == 0
    assert "[model], [train], [data]" in out  # not swallowed as rich markup
    assert "passes over the training data" in out and "seeds initialisation" in out
