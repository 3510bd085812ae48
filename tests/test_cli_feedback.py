"""The command line with the feedback networks: Hopfield (closed-form storage) and the
Boltzmann machine (binarised data by default, non-classifier metrics, sample figures)."""

from __future__ import annotations

import json

import pytest

from neuralzoo import runs


def test_hopfield_train_eval_sample(tmp_path, run_cli):
    run = tmp_path / "hop"
    code, _, err = run_cli("train", "hopfield", "--set", "rule=pseudo-inverse", "--out", run)
    assert code == 0, err
    config = json.loads((run / "config.json").read_text())
    assert config["data"]["binarize"] == "threshold"  # the family's data default
    assert config["hparams"]["rule"] == "pseudo-inverse" and config["hparams"]["n_stored"] == 10
    summary = json.loads((run / "summary.json").read_text())
    assert summary["test_fixed_fraction"] == 1.0  # the projection rule stores every pattern
    code, out, err = run_cli("eval", run, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["test_fixed_fraction"] == 1.0
    assert result["test_overlap"] == pytest.approx(runs.load_run(run).evaluate()["overlap"])
    code, _, err = run_cli("sample", run, "--n", "3", "--out", tmp_path / "recall.png")
    assert code == 0, err
    assert (tmp_path / "recall.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Recall from 30% flipped bits" in (run / "report.html").read_text()


def test_hopfield_bad_rule_is_one_line_and_writes_nothing(tmp_path, run_cli):
    code, _, err = run_cli("train", "hopfield", "--set", "rule=bogus", "--out", tmp_path / "r")
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "hebbian" in err and not (tmp_path / "r").exists()


def test_boltzmann_train_eval_sample(tmp_path, run_cli):
    run = tmp_path / "bm"
    code, _, err = run_cli("train", "boltzmann", "--epochs", "2", "--set", "n_hidden=8",
                           "--set", "n_chains=20", "--out", run)
    assert code == 0, err
    summary = json.loads((run / "summary.json").read_text())
    assert 0.0 <= summary["test_completion_error"] <= 1.0
    assert summary["params"] > 0
    code, out, err = run_cli("eval", run, "--json")
    assert code == 0, err
    assert json.loads(out)["test_completion_error"] == pytest.approx(summary["test_completion_error"])
    code, _, err = run_cli("sample", run, "--n", "8", "--out", tmp_path / "s.png")
    assert code == 0, err
    assert (tmp_path / "s.png").stat().st_size > 0


def test_reproduce_lists_the_feedback_reproductions(run_cli):
    code, out, _ = run_cli("reproduce")
    assert code == 0
    for rid in ("hopfield-capacity", "hopfield-rules", "bm-encoder"):
        assert rid in out
