"""The autoencoders from the command line: train, eval, sample, report figures, and bad input as
one line with exit code 2."""

from __future__ import annotations

import json

import pytest
import torch

from neuralzoo import datasets, runs
from neuralzoo.report.figures_ae import ae_figures


@pytest.mark.parametrize("model,sets,keys", [
    ("autoencoder", ["code=8"], {"test_squared_error", "test_mse"}),
    ("vae", ["latent=2"], {"test_elbo", "test_squared_error"}),
    ("semantic-hashing", ["code=8", "pretrain_epochs=1"], {"test_precision_r2", "test_recall_r2"}),
    ("stacked-autoencoder", ["hidden=[32]", "noise=[0.2]", "pretrain_epochs=1"], {"test_acc", "test_error"}),
    ("deep-autoencoder", ["hidden=[32,16]", "code=2", "pretrain_epochs=1"], {"test_squared_error"}),
])
def test_train_eval_sample(tmp_path, run_cli, model, sets, keys):
    run = tmp_path / model
    args = ["train", model, "--epochs", "2", "--out", run]
    for s in sets:
        args += ["--set", s]
    code, _, err = run_cli(*args)
    assert code == 0, err
    assert (run / "report.html").exists() and (run / "model.safetensors").exists()
    code, out, err = run_cli("eval", run, "--json")
    assert code == 0, err
    assert keys <= set(json.loads(out))
    code, _, err = run_cli("sample", run, "--n", "16", "--out", tmp_path / "s.png")
    assert code == 0, err
    assert (tmp_path / "s.png").stat().st_size > 1000


def test_stage_checkpoints_and_history_in_run_folder(tmp_path, run_cli):
    run = tmp_path / "sae"
    code, _, err = run_cli("train", "stacked-autoencoder", "--epochs", "2", "--set", "pretrain_epochs=1",
                           "--out", run)
    assert code == 0, err
    assert {p.name for p in (run / "stages").iterdir()} == {"layer1", "layer2", "finetune"}
    stages = [json.loads(line)["stage"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert stages == ["layer1", "layer2", "finetune", "finetune"]


def test_figures_of_each_family(tmp_path):
    X, y = datasets.load("digits", "test")
    from neuralzoo.models import VAE, DenoisingAutoencoder, SemanticHashing

    Xtr, _ = datasets.load("digits")
    for model, must in ((VAE(64, hidden=[16], latent=2), "Latent traversal"),
                        (DenoisingAutoencoder(64, hidden=[], code=16), "Reconstructions"),
                        (SemanticHashing(64, hidden=[16], code=8, pretrain_epochs=1), "Retrieval")):
        model.fit(Xtr[:200], epochs=1, seed=0, progress=False)
        figs = ae_figures(model, X[:100], y[:100])
        assert any(t.startswith(must) for t in figs), list(figs)
        assert any(t.startswith("Code map") for t in figs)


@pytest.mark.parametrize("sets,message", [
    (["corruption=mask", "noise=1.5"], "noise (corruption level) must lie in [0, 1): got 1.5"),
    (["code=100"], None),  # a warning, not an error: checked below
])
def test_bad_model_settings(tmp_path, run_cli, sets, message):
    args = ["train", "autoencoder", "--epochs", "1", "--out", tmp_path / "r"]
    for s in sets:
        args += ["--set", s]
    if message is None:
        with pytest.warns(UserWarning, match="larger than the input size 64"):
            code, _, err = run_cli(*args)
        assert code == 0, err
        return
    code, _, err = run_cli(*args)
    assert code == 2 and err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


def test_bad_noise_list_and_wrong_type(tmp_path, run_cli):
    code, _, err = run_cli("train", "stacked-autoencoder", "--set", "noise=[0.1]", "--out", tmp_path / "a")
    assert code == 2 and "one corruption level per layer: expected 2, got 1" in err
    code, _, err = run_cli("train", "vae", "--set", "latent=two", "--out", tmp_path / "b")
    assert code == 2 and "model.latent: expected int" in err


def test_load_run_rebuilds_the_same_model(tmp_path, run_cli):
    run = tmp_path / "ae"
    code, _, err = run_cli("train", "autoencoder", "--epochs", "1", "--set", "tied=true", "--out", run)
    assert code == 0, err
    model = runs.load_run(run)
    X, _ = datasets.load("digits", "test")
    again = runs.load_run(run)
    assert torch.equal(model.transform(X[:3]), again.transform(X[:3]))
    assert model.tied and model.decoder_weights()[0].data_ptr() == model.encoder[-1].weight.data_ptr()


def test_resume_a_greedy_run_from_its_stages(tmp_path, run_cli):
    run = tmp_path / "sae"
    args = ["train", "stacked-autoencoder", "--set", "pretrain_epochs=1", "--out", run]
    code, _, err = run_cli(*args, "--epochs", "2")
    assert code == 0, err
    layer1 = (run / "stages" / "layer1" / "model.safetensors").read_bytes()
    code, _, err = run_cli(*args, "--epochs", "3", "--resume")
    assert code == 0, err
    assert (run / "stages" / "layer1" / "model.safetensors").read_bytes() == layer1  # finished: not retrained
    stages = [json.loads(line)["stage"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert stages == ["layer1", "layer2", "finetune", "finetune", "finetune"]
