"""``neuralzoo eval RUN --exact --ais`` on an RBM run: log-likelihoods in nats, AIS with an
error bar that brackets the exact value (the oracle: enumeration of the 2^16 hidden states)."""

from __future__ import annotations

import json


def test_rbm_eval_exact_and_ais(tmp_path, run_cli):
    run = tmp_path / "rbm"
    code, _, err = run_cli("train", "rbm", "--epochs", "3", "--set", "n_hidden=16",
                           "--set", "method=pcd", "--out", run)
    assert code == 0, err
    code, out, err = run_cli("eval", run, "--exact", "--ais", "--betas", "1500", "--json")
    assert code == 0, err
    r = json.loads(out)
    exact = r["test_log_likelihood_exact"]
    assert exact < 0 and r["ais_betas"] >= 1500 and r["ais_runs"] == 100
    assert r["test_log_likelihood_ais_low"] <= r["test_log_likelihood_ais"] <= r["test_log_likelihood_ais_high"]
    assert abs(r["test_log_likelihood_ais"] - exact) < 0.2


def test_eval_ais_of_a_classifier_is_refused(tmp_path, run_cli):
    run = tmp_path / "mlp"
    code, _, err = run_cli("train", "mlp", "--epochs", "1", "--out", run)
    assert code == 0, err
    code, _, err = run_cli("eval", run, "--ais")
    assert code == 2 and err.startswith("error: ") and "energy model" in err
