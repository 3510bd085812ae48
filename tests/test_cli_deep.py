"""DBN and DBM through the command line: train (stages in the run folder), eval, sample, errors."""

from __future__ import annotations

import json


def test_dbn_train_eval_sample(tmp_path, run_cli):
    run = tmp_path / "dbn"
    code, _, err = run_cli("train", "dbn", "--epochs", "2", "--set", "hidden=[16,16]", "--set", "labels=true",
                           "--set", "finetune_epochs=2", "--out", run)
    assert code == 0, err
    assert (run / "stages" / "rbm2").is_dir() and (run / "stages" / "backprop").is_dir()
    code, out, err = run_cli("eval", run, "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["model"] == "dbn" and 0 <= r["test_acc"] <= 1 and r["test_reconstruction_error"] > 0
    code, _, err = run_cli("sample", run, "--n", "10", "--out", tmp_path / "s.png")
    assert code == 0, err
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_dbm_train_eval_sample(tmp_path, run_cli):
    run = tmp_path / "dbm"
    code, _, err = run_cli("train", "dbm", "--epochs", "1", "--set", "hidden=[12,8]", "--set", "pretrain_epochs=1",
                           "--set", "finetune_epochs=2", "--out", run)
    assert code == 0, err
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in rows] == ["rbm1", "rbm2", "dbm", "finetune", "finetune"]
    code, out, err = run_cli("eval", run, "--json")
    assert code == 0, err
    r = json.loads(out)
    # 8 units in h2: the exact log-likelihood and its mean-field bound below it
    assert r["test_lower_bound"] <= r["test_log_likelihood"] < 0 and 0 <= r["test_acc"] <= 1
    code, _, err = run_cli("sample", run, "--n", "8", "--out", tmp_path / "s.png")
    assert code == 0, err


def test_deep_model_errors_are_one_line(tmp_path, run_cli):
    code, _, err = run_cli("train", "dbn", "--epochs", "1", "--set", "finetune=updown", "--out", tmp_path / "x")
    assert code == 2 and err.startswith("error: ") and "expected labels=True" in err and "Traceback" not in err
    code, _, err = run_cli("train", "dbm", "--epochs", "1", "--set", "hidden=[8,0]", "--out", tmp_path / "y")
    assert code == 2 and "at least 2 integer layer sizes" in err
