"""What the command line prints, where: results on stdout, whole (no header or path cut at 80
columns when no terminal sets the width), one JSON object for every ``--json``, every dataset the
README uses listed, an ETA on the progress bar, and shell completion."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neuralzoo import datasets, reproduce
from neuralzoo.train.progress import Progress

README_DATASETS = ["digits", "mnist", "fashion-mnist", "tinyshakespeare", "adding", "copy", "FILE.txt"]


def test_train_prints_its_results_whole_on_stdout(run_cli, tmp_path):
    run = tmp_path / "run"
    code, out, err = run_cli("train", "mlp", "--data", "digits", "--epochs", "1", "--set", "hidden=[8]",
                             "--out", run)
    assert code == 0, err
    summary = json.loads((run / "summary.json").read_text())
    keys = [k for k in summary if not isinstance(summary[k], (dict, list))]
    assert len(keys) >= 5
    for key in keys:  # every header whole, on stdout, none on stderr
        assert key in out, key
        assert f" {key} " not in err
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) > 80  # drawn at its own width, not cut at 80


def test_datasets_lists_every_dataset_of_the_readme_with_whole_paths(run_cli, tmp_path, monkeypatch):
    data = tmp_path / ("a-long-folder-name-" * 4) / "data"
    (data / "tinyshakespeare").mkdir(parents=True)
    (data / "tinyshakespeare" / "input.txt").write_text("First Citizen:\nBefore we proceed any further\n")
    monkeypatch.setenv("NEURALZOO_DATA", str(data))
    code, out, err = run_cli("datasets")
    assert code == 0, err
    for name in README_DATASETS:
        assert name in out
    assert str(data / "tinyshakespeare" / "input.txt") in out  # one piece: neither folded nor cut
    assert "…" not in out

    code, out, err = run_cli("datasets", "--json")
    assert code == 0, err
    listed = json.loads(out)["datasets"]
    assert [d["name"] for d in listed] == [i.name for i in datasets.available()]
    assert set(README_DATASETS) <= {d["name"] for d in listed}
    by_name = {d["name"]: d for d in listed}
    assert by_name["tinyshakespeare"]["found"] is True
    assert by_name["tinyshakespeare"]["location"] == str(data / "tinyshakespeare" / "input.txt")
    assert by_name["adding"]["shape"] == [50, 2] and by_name["copy"]["n_classes"] == 10
    for d in listed:  # every name listed is one --data takes (FILE.txt: any text file, by path)
        assert d["kind"] in ("images", "sequences", "text")
        if d["kind"] == "images":
            assert d["name"] in datasets.names()
        else:
            assert datasets.is_sequence(d["name"])
    X, y, spec = datasets.load_sequences("tinyshakespeare", seq_len=8)  # the corpus it found loads
    assert X.shape[1] == 8


def test_reproduce_json_without_an_id_prints_the_list_as_json(run_cli):
    code, out, err = run_cli("reproduce", "--json")
    assert code == 0, err
    listed = json.loads(out)["reproductions"]
    assert [r["id"] for r in listed] == list(reproduce.REGISTRY)
    assert all(r["what"] for r in listed)


def test_the_progress_bar_shows_an_eta(capsys):
    bar = Progress(enabled=True, total=20, description="test")
    with bar:
        for _ in range(5):
            time.sleep(0.06)
            bar.advance(1, epoch=1, epochs=2)
        bar._flush()
        task = bar._bar.tasks[0]
        left = task.time_remaining
        table = bar._bar.make_tasks_table([task])
    # 15 batches left at about 0.06 s each: about a second
    assert left is not None and 0.2 < left < 10
    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    console.print(table)
    text = console.export_text()
    elapsed, eta = re.findall(r"\d:\d\d:\d\d", text)  # the time spent, then the time left
    assert "5/20" in text and f"{elapsed} eta {eta}" in text


def test_shell_completion_is_enabled():
    exe = Path(sys.executable).with_name("neuralzoo")
    if not exe.exists():
        pytest.skip("the neuralzoo console script is not installed beside this Python")
    env = {**os.environ, "_NEURALZOO_COMPLETE": "complete_bash", "COMP_WORDS": "neuralzoo datasets --j",
           "COMP_CWORD": "2"}
    done = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.split() == ["--json"], done.stderr
    # the script --show-completion prints; asked for bash by name (--show-completion itself names
    # the shell from the process's ancestors, and a detached job has no shell above it)
    done = subprocess.run([str(exe)], env={**os.environ, "_NEURALZOO_COMPLETE": "source_bash"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "_NEURALZOO_COMPLETE=complete_bash" in done.stdout
