"""Data-parallel training on 2 ``gloo`` processes (``torchrun``) against one process.

One torchrun launch runs every scenario of ``dist_worker.py`` (so the file pays for one
start-up); the one-process side is computed here from the same functions. Tolerances:

- deterministic families (MLP, CNN, LSTM, autoencoder; one epoch, SGD with momentum, global
  batch 63 split 31/32, a last batch of 1 row that leaves rank 0 empty): the 2-rank weights
  differ from one process only by float32 summation order (the gradient is ``(n_0 g_0 + n_1
  g_1) / B`` instead of one sum): measured max 4e-7; ATOL = 1e-5.
- stochastic models (RBM CD and PCD, DBN pretraining, DBM; 12 visible units, exact
  log-likelihood): the 2-rank run draws other random numbers, so it is a different sample
  of the same training. Over one-process seeds 0-5 the mean exact log-likelihood had the
  standard deviations SPREAD below (nats); two independent runs differ with std sqrt(2)
  SPREAD, and the test allows 4 of those.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from neuralzoo.energy.ais import ais_log_partition, interval, linear_schedule
from neuralzoo.energy.exact import rbm_log_partition
from neuralzoo.train import distributed

sys.path.insert(0, str(Path(__file__).parent))
import dist_worker as w  # noqa: E402

ATOL = 1e-5
# std over one-process seeds 0-5 of dist_worker.stochastic (rbm_pcd: seeds 0-4), measured
SPREAD = {"rbm_cd": 0.0415, "rbm_pcd": 0.1632, "dbn_pretrain": 0.0415, "dbm": 0.1055}
WORKER = Path(__file__).parent / "dist_worker.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(*args: str, cwd: Path, timeout: int = 240) -> subprocess.CompletedProcess:
    """``torchrun --nproc_per_node=2 ARGS`` on 127.0.0.1, one thread per rank."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
           "--master_addr=127.0.0.1", f"--master_port={_free_port()}", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("two_ranks")
    proc = torchrun(str(WORKER), str(out), cwd=out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return torch.load(out / "results.pt", weights_only=True)


def test_deterministic_families_equal_one_process(two_ranks):
    one = w.deterministic()
    for family, weights in one.items():
        for key, value in weights.items():
            torch.testing.assert_close(two_ranks["deterministic"][family][key], value, rtol=0, atol=ATOL,
                                       msg=lambda m, f=family, k=key: f"{f}.{k}: {m}")
    # the tolerance tells the bug it guards against apart: ranks stepping on their own halves
    X, y = w.digits()
    halves = w.MLP(64, 10, hidden=[32]).fit(X, y, epochs=1, batch_size=w.B // 2, **{**w.SGD, "lr": 0.1})
    gap = max(float((v - one["mlp"][k]).abs().max()) for k, v in halves.state_dict().items())
    assert gap > 100 * ATOL


def test_stochastic_models_reach_one_process_quality(two_ranks):
    one = w.stochastic(seed=0)
    X = w.binary_patterns()
    p = X.double().mean(0).clamp(1e-3, 1 - 1e-3)
    independent = float((X.double() * p.log() + (1 - X.double()) * (-p).log1p()).sum(1).mean())
    for name, value in one.items():
        got = two_ranks["stochastic"][name]
        tol = 4 * math.sqrt(2) * SPREAD[name]
        assert abs(got - value) <= tol, f"{name}: 2 ranks {got:.4f}, one process {value:.4f}, tol {tol:.3f}"
        assert got > independent + 1.0, f"{name}: {got:.4f} no better than independent pixels {independent:.4f}"


def test_resumed_run_equals_uninterrupted(two_ranks):
    r = two_ranks["resumed"]
    assert torch.equal(r["whole_W"], r["part_W"])
    chains = r["chains"]  # (rank, whole/part, M, D)
    assert torch.equal(chains[:, 0], chains[:, 1])  # every rank got its own chains back
    assert not torch.equal(chains[0, 0], chains[1, 0])  # ranks sample their own streams


def test_exact_log_z_split_over_ranks_equals_one_process(two_ranks):
    W, b, a = (t.double() for t in w.small_rbm())
    one = rbm_log_partition(W, b, a, chunk_size=16)
    torch.testing.assert_close(two_ranks["evaluation"]["exact"], one, rtol=0, atol=1e-12)


def test_ais_split_over_ranks_combines_all_weights(two_ranks):
    W, b, a = w.small_rbm()
    ev = two_ranks["evaluation"]
    # one process running each rank's share of the runs from that rank's stream
    log_w, base = [], 0.0
    for rank in range(2):
        ctx = distributed.Context(rank, 2, rank)
        g = distributed.generator_for_rank(torch.Generator().manual_seed(0), ctx, W.device)
        n = distributed.count_share(101, ctx)[1]
        res = ais_log_partition(W, b, a, betas=linear_schedule(200), n_runs=n, generator=g)
        log_w.append(res.log_weights)
        base = res.log_z_base
    log_w = torch.cat(log_w)
    assert len(log_w) == 101
    torch.testing.assert_close(ev["ais_log_w"], log_w, rtol=0, atol=1e-9)
    est, _, _ = interval(log_w, base)  # the log-mean-exp of all 101 weights
    assert float(ev["ais_log_z"]) == pytest.approx(est, abs=1e-9)
    exact = float(rbm_log_partition(W.double(), b.double(), a.double()))
    assert abs(est - exact) < 0.2


def test_cli_under_torchrun_writes_one_run_folder(tmp_path):
    args = ["-m", "neuralzoo", "train", "mlp", "--out", "run", "--epochs", "1", "--set", "progress=false"]
    proc = torchrun(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no second folder, no stray files
    names = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"config.json", "metrics.jsonl", "model.safetensors", "state.pt", "summary.json"} <= names
    assert len((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()) == 1
    state = torch.load(tmp_path / "run" / "state.pt", weights_only=True)
    assert len(state["ranks"]) == 2  # both ranks' RNG states, for --resume
    # the folder guard stops every rank, not just one
    again = torchrun(*args, cwd=tmp_path)
    assert again.returncode != 0
    assert again.stderr.count("already exists and is not empty") == 2


def test_one_process_on_the_test_device_matches_cpu(device):
    """The trainer on ``--device`` (cuda in benchmarks/device_check.sh): same MLP as on the CPU
    up to float32 rounding (1e-4: another device's kernels sum in another order)."""
    X, y = w.digits()
    cpu = w.MLP(64, 10, hidden=[32]).fit(X, y, epochs=1, batch_size=w.B, **{**w.SGD, "lr": 0.1})
    dev = w.MLP(64, 10, hidden=[32]).fit(X, y, epochs=1, batch_size=w.B, device=str(device),
                                         **{**w.SGD, "lr": 0.1})
    assert next(dev.parameters()).device.type == device.type
    for (k, a), b in zip(cpu.state_dict().items(), dev.state_dict().values()):
        torch.testing.assert_close(b.cpu(), a, rtol=0, atol=1e-4, msg=lambda m, k=k: f"{k}: {m}")
