"""The command line, through ``neuralzoo.cli.main(argv)``: run folders, --json, user errors.

Every user mistake must end with exit code 2, exactly one line on stderr starting with
"error:", no traceback, and nothing written. One run is trained per module and copied for
the tests that change it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from neuralzoo import cli, datasets, runs
from neuralzoo.datasets import mnist
from neuralzoo.train import checkpoint as ckpt

RUN_FILES = ("config.json", "model.safetensors", "state.pt", "metrics.jsonl", "summary.json",
             "report.html")


def assert_user_error(code: int, err: str, *fragments: str) -> str:
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``folder`` with its mtime and bytes."""
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def metric_rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Run every command inside tmp_path, so that a default output folder lands there."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """``neuralzoo train mlp --data digits --epochs 2 --out R``, run once for the module."""
    run = tmp_path_factory.mktemp("cli") / "R"
    with pytest.raises(SystemExit) as exc:
        cli.main(["train", "mlp", "--data", "digits", "--epochs", "2", "--out", str(run)])
    assert exc.value.code == 0
    return run


@pytest.fixture
def run_copy(trained, tmp_path) -> Path:
    """A private copy of the trained run, for tests that change it."""
    return Path(shutil.copytree(trained, tmp_path / "R"))


# --- train -----------------------------------------------------------------------------------


def test_train_writes_a_complete_run(trained):
    for name in RUN_FILES:
        assert (trained / name).is_file(), name
    assert [r["epoch"] for r in metric_rows(trained)] == [1, 2]
    config = json.loads((trained / "config.json").read_text())
    assert config["model"] == "mlp" and config["data"]["name"] == "digits"
    assert config["train"]["epochs"] == 2 and config["hparams"]["hidden"] == [100]
    assert (config["hparams"]["n_features"], config["hparams"]["n_classes"]) == (64, 10)
    summary = json.loads((trained / "summary.json").read_text())
    assert summary["epochs"] == 2 and 0.0 <= summary["test_acc"] <= 1.0
    assert "<html" in (trained / "report.html").read_text().lower()
    assert ckpt.load_state(trained / ckpt.STATE)["epoch"] == 2


def test_train_into_an_existing_run_is_refused_and_changes_nothing(run_cli, run_copy):
    before = snapshot(run_copy)
    code, _, err = run_cli("train", "mlp", "--data", "digits", "--epochs", "2",
                           "--out", run_copy)
    assert_user_error(code, err, "already exists", str(run_copy))
    assert snapshot(run_copy) == before


def test_train_force_overwrites(run_cli, run_copy):
    code, _, err = run_cli("train", "mlp", "--epochs", "1", "--out", run_copy, "--force",
                           "--set", "hidden=[8]")
    assert code == 0, err
    assert [r["epoch"] for r in metric_rows(run_copy)] == [1]
    assert json.loads((run_copy / "config.json").read_text())["hparams"]["hidden"] == [8]
    assert json.loads((run_copy / "summary.json").read_text())["epochs"] == 1


def test_train_resume_continues_the_run(run_cli, trained, run_copy):
    code, _, err = run_cli("train", "mlp", "--out", run_copy, "--resume", "--epochs", "3")
    assert code == 0, err
    rows = metric_rows(run_copy)
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[:2] == metric_rows(trained)  # the first two epochs are kept, not redone
    assert ckpt.load_state(run_copy / ckpt.STATE)["epoch"] == 3
    assert json.loads((run_copy / "summary.json").read_text())["epochs"] == 3
    assert json.loads((run_copy / "config.json").read_text())["train"]["epochs"] == 3


def test_train_with_a_toml_config(run_cli, tmp_path):
    config = tmp_path / "run.toml"
    config.write_text("[model]\nhidden = [12]\n[train]\nepochs = 1\nprogress = false\n")
    code, _, err = run_cli("train", "mlp", "--config", config, "--out", tmp_path / "T",
                           "--set", "train.batch_size=500")
    assert code == 0, err
    stored = json.loads((tmp_path / "T" / "config.json").read_text())
    assert stored["hparams"]["hidden"] == [12]
    assert stored["train"]["batch_size"] == 500 and stored["train"]["epochs"] == 1


# --- eval, sample, report --------------------------------------------------------------------


def test_eval_json_prints_one_object_with_the_models_accuracy(run_cli, trained):
    code, out, err = run_cli("eval", trained, "--json")
    assert code == 0, err
    assert len(out.strip().splitlines()) == 1
    result = json.loads(out)
    X, y = datasets.load("digits", "test")
    assert result["test_acc"] == pytest.approx(runs.load_run(trained).score(X, y), abs=1e-12)
    assert result["n"] == 360 and result["model"] == "mlp" and result["split"] == "test"
    assert result["test_error"] == pytest.approx(1 - result["test_acc"])


def test_sample_writes_a_png(run_cli, trained, tmp_path):
    code, _, err = run_cli("sample", trained, "--n", "8", "--out", tmp_path / "F.png")
    assert code == 0, err
    assert (tmp_path / "F.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_rewrites_report_html(run_cli, run_copy):
    (run_copy / "report.html").unlink()
    code, _, err = run_cli("report", run_copy)
    assert code == 0, err
    html = (run_copy / "report.html").read_text()
    assert "mlp" in html and "digits" in html


# --- user errors: exit 2, one line, nothing written ------------------------------------------


@pytest.mark.parametrize(("args", "fragments"), [
    (["train", "nope"], ["unknown model 'nope'", "mlp"]),
    (["train", "mlp", "--data", "nope"], ["unknown dataset 'nope'", "digits"]),
    (["train", "mlp", "--set", "nope=1"], ["unknown key 'nope'", "train.lr"]),
    (["train", "mlp", "--set", "lr=abc"], ["train.lr: expected float, got str 'abc'"]),
    (["train", "mlp", "--set", "hidden=abc"], ["model.hidden: expected list[int], got str 'abc'"]),
    (["train", "mlp", "--set", "bogus.lr=1"], ["unknown section 'bogus'"]),
    (["train", "mlp", "--set", "lr"], ["--set expects key=value"]),
    (["train", "mlp", "--set", "optimizer=rmsprop"], ["train.optimizer: expected one of"]),
    (["train", "mlp", "--epochs", "0"], ["train.epochs: expected an integer >= 1, got 0"]),
    (["train", "mlp", "--resume"], ["nothing to resume"]),
])
def test_train_user_errors(run_cli, tmp_path, args, fragments):
    code, _, err = run_cli(*args, "--out", tmp_path / "R")
    assert_user_error(code, err, *fragments)
    assert list(tmp_path.iterdir()) == []


def test_config_file_with_unknown_section(run_cli, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[trainer]\nepochs = 1\n")
    code, _, err = run_cli("train", "mlp", "--config", config, "--out", tmp_path / "R")
    assert_user_error(code, err, str(config), "unknown section(s) trainer")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_corrupt_idx_file_is_named(run_cli, tmp_path):
    root = tmp_path / "idx"
    root.mkdir()
    for stem in (*mnist.FILES["train"], *mnist.FILES["test"]):
        (root / stem).write_bytes(b"\x00\x00\x08\x03\x00\x00\xea\x60\x00\x00")  # truncated header
    before = snapshot(root)
    code, _, err = run_cli("train", "mlp", "--data", "mnist", "--set",
                           f"data.root={root}", "--out", tmp_path / "R")
    line = assert_user_error(code, err, "train-images-idx3-ubyte", "truncated")
    assert str(root.resolve()) in line or str(root) in line
    assert not (tmp_path / "R").exists()
    assert snapshot(root) == before


def test_eval_of_a_folder_that_is_not_a_run(run_cli, tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli("eval", tmp_path / "empty")
    assert_user_error(code, err, "not a run folder")
    assert list((tmp_path / "empty").iterdir()) == []


def test_eval_of_a_run_with_another_models_weights(run_cli, run_copy):
    from neuralzoo import MLP

    ckpt.save_weights(MLP(64, 10, hidden=[7]), run_copy / ckpt.WEIGHTS)
    before = snapshot(run_copy)
    code, out, err = run_cli("eval", run_copy, "--json")
    assert_user_error(code, err, "checkpoint of another model")
    assert out == ""
    assert snapshot(run_copy) == before


def test_sample_with_a_bad_n(run_cli, trained):
    code, _, err = run_cli("sample", trained, "--n", "0")
    assert_user_error(code, err, "--n must be at least 1, got 0")


def test_unknown_option_is_a_usage_error(run_cli):
    code, _, err = run_cli("train", "mlp", "--epoch", "3")
    assert_user_error(code, err, "--epoch")


# --- datasets, reproduce, tour ---------------------------------------------------------------


def test_datasets_lists_every_dataset(run_cli):
    code, out, err = run_cli("datasets")
    assert code == 0, err
    for name in ("digits", "mnist", "fashion-mnist"):
        assert name in out


def test_reproduce_lists_the_reproductions(run_cli):
    from neuralzoo import reproduce

    if not hasattr(reproduce, "REGISTRY"):
        pytest.skip("neuralzoo.reproduce has no REGISTRY yet")
    code, out, err = run_cli("reproduce")
    assert code == 0, err
    for key in reproduce.REGISTRY:
        assert key in out


def test_tour_of_the_mlp(run_cli, tmp_path):
    code, out, err = run_cli("tour", "--only", "mlp", "--out", tmp_path / "T")
    assert code == 0, err
    html = (tmp_path / "T" / "report.html").read_text()
    assert "mlp" in html.lower()
    assert (tmp_path / "T" / "mlp" / "model.safetensors").is_file()
    assert "mlp" in out


def test_tour_runs_on_the_threads_asked_and_restores_them(tmp_path, monkeypatch):
    import torch

    from neuralzoo import tour

    seen = []
    monkeypatch.setattr(tour, "_run_tour", lambda **kw: seen.append(torch.get_num_threads()) or ([], tmp_path))
    before = torch.get_num_threads()
    tour.run_tour(out=tmp_path, threads=2)
    tour.run_tour(out=tmp_path, threads=None)
    assert seen == [2, before] and torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads: expected a count >= 1"):
        tour.run_tour(out=tmp_path, threads=-1)


def test_tour_refuses_a_negative_thread_count(run_cli, tmp_path):
    code, _, err = run_cli("tour", "--only", "mlp", "--threads", "-2", "--out", tmp_path / "T")
    assert_user_error(code, err, "threads")
    assert not (tmp_path / "T").exists()


# --- one line per error, ordinary file permissions ------------------------------------------


def test_long_usage_error_stays_on_one_line(run_cli):
    code, _, err = run_cli("train", "mlp", "--epochs", "x" * 60)
    assert_user_error(code, err, "--epochs")


def test_run_files_get_ordinary_permissions(trained):
    import os

    umask = os.umask(0)
    os.umask(umask)
    for name in RUN_FILES:
        assert (trained / name).stat().st_mode & 0o777 == 0o666 & ~umask, name
