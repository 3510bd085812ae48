"""The recurrent networks through the command line: text, adding, digit rows; sample with a
prompt; and the user errors of sequence data (one line, exit 2)."""

from __future__ import annotations

import json
import math

import pytest

TEXT = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n" * 12


def _one_error_line(code: int, err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    for f in fragments:
        assert f in lines[0], (f, lines[0])


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    from neuralzoo import cli

    folder = tmp_path_factory.mktemp("cli_rnn")
    corpus = folder / "hamlet.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    run = folder / "R"
    with pytest.raises(SystemExit) as exc:
        cli.main(["train", "lstm", "--data", str(corpus), "--epochs", "2", "--set", "hidden=16",
                  "--set", "data.seq_len=16", "--out", str(run)])
    assert exc.value.code == 0
    return run


def test_text_run_eval_and_sample(text_run, run_cli):
    config = json.loads((text_run / "config.json").read_text())
    assert config["hparams"]["task"] == "sequence" and config["hparams"]["carry_state"] is True
    assert config["train"]["shuffle"] is False  # batches in order: the state is carried
    code, out, _ = run_cli("eval", text_run, "--json")
    result = json.loads(out)
    assert code == 0 and result["test_bits"] == pytest.approx(result["test_loss"] / 0.6931471805599453)
    code, out, _ = run_cli("sample", text_run, "--prompt", "To be", "--temperature", "0.8",
                           "--length", "40", "--seed", "1")
    assert code == 0 and out.startswith("To be") and len(out) == 5 + 40 + 1  # + print's newline
    code2, out2, _ = run_cli("sample", text_run, "--prompt", "To be", "--temperature", "0.8",
                             "--length", "40", "--seed", "1")
    assert out2 == out  # one seed, one text
    code, _, err = run_cli("sample", text_run, "--prompt", "ROMEO: Z")
    _one_error_line(code, err, "never seen", "'R' at position 0")


def test_digit_rows_and_adding(run_cli, tmp_path):
    code, _, err = run_cli("train", "rnn", "--data", "digits", "--epochs", "1", "--set", "hidden=16",
                           "--out", tmp_path / "rows")
    assert code == 0, err
    code, out, _ = run_cli("eval", tmp_path / "rows", "--json")
    assert code == 0 and 0 <= json.loads(out)["test_acc"] <= 1
    code, _, err = run_cli("train", "lstm", "--data", "adding", "--epochs", "1", "--set", "hidden=8",
                           "--set", "data.seq_len=10", "--set", "limit=100", "--out", tmp_path / "add")
    assert code == 0, err
    code, out, _ = run_cli("eval", tmp_path / "add", "--json")
    result = json.loads(out)
    assert code == 0 and result["test_baseline_mse"] == pytest.approx(1 / 6, abs=0.03)
    code, _, err = run_cli("sample", tmp_path / "add", "--n", "16", "--out", tmp_path / "add.png")
    assert code == 0 and (tmp_path / "add.png").stat().st_size > 0
    code, _, err = run_cli("train", "rnn", "--data", "copy", "--epochs", "1", "--set", "hidden=8",
                           "--set", "data.seq_len=5", "--set", "limit=64", "--out", tmp_path / "copy")
    assert code == 0, err
    hparams = json.loads((tmp_path / "copy" / "config.json").read_text())["hparams"]
    assert hparams["n_tokens"] == 10 and hparams["carry_state"] is False  # independent sequences
    code, out, _ = run_cli("eval", tmp_path / "copy", "--json")
    result = json.loads(out)  # the memoryless baseline 10 log 8 / (T + 20) beside ours
    assert code == 0 and result["test_baseline_loss"] == pytest.approx(10 * math.log(8) / 25)


def test_sequence_data_user_errors(run_cli, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code, _, err = run_cli("train", "lstm", "--data", empty, "--epochs", "1")
    _one_error_line(code, err, "the text file is empty")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"abc\xff\xfedef")
    code, _, err = run_cli("train", "lstm", "--data", bad, "--epochs", "1")
    _one_error_line(code, err, "not UTF-8", "byte offset 3")
    code, _, err = run_cli("train", "mlp", "--data", "adding", "--epochs", "1")
    _one_error_line(code, err, "sequence data: expected a recurrent model")
    code, _, err = run_cli("train", "rnn", "--data", "copy", "--set", "data.seq_len=0", "--epochs", "1")
    _one_error_line(code, err, "data.seq_len: expected an integer >= 1 or None, got 0")  # refused with the config
