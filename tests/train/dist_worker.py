"""The 2-rank side of ``test_distributed.py``: run under ``torchrun`` as ``dist_worker.py OUT``.

Every rank runs the same scenarios (as a user's script under torchrun would) and rank 0
saves what the tests compare with one process into ``OUT/results.pt``. The models and data
come from the functions below, which the test process calls too, so both sides build the
same things.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from neuralzoo import datasets
from neuralzoo.energy.ais import ais_log_partition, linear_schedule
from neuralzoo.energy.exact import rbm_log_partition
from neuralzoo.models import CNN, DBM, DBN, LSTM, MLP, RBM, Autoencoder
from neuralzoo.train import distributed

B = 63  # the global batch of the deterministic scenarios: shares of 31 and 32 rows
SGD = {"optimizer": "sgd", "momentum": 0.9, "progress": False, "seed": 0}


def digits(n: int = 316) -> tuple[torch.Tensor, torch.Tensor]:
    """316 = 5 x 63 + 1 digits: the last global batch has one row, so rank 0 gets none."""
    X, y = datasets.load("digits", "train")
    return X[:n], y[:n]


def sequences(n: int = 200, T: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    """The adding problem: (N, T, 2) inputs, (N,) targets."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, T, 2, generator=g)
    x[:, :, 1] = 0
    x[:, 0, 1] = x[:, 3, 1] = 1
    return x, (x[:, :, 0] * x[:, :, 1]).sum(1)


def binary_patterns(n: int = 600) -> torch.Tensor:
    """12-pixel data with structure: 3 prototypes, each bit flipped with p = 0.1. (N, 12)."""
    g = torch.Generator().manual_seed(0)
    protos = (torch.rand(3, 12, generator=g) < 0.5).float()
    X = protos[torch.randint(0, 3, (n,), generator=g)]
    flip = (torch.rand(n, 12, generator=g) < 0.1).float()
    return (X + flip) % 2


def deterministic() -> dict[str, dict[str, torch.Tensor]]:
    """One epoch of each deterministic family at global batch ``B`` (SGD, momentum): weights."""
    X, y = digits()
    xs, ys = sequences()
    models = {
        "mlp": (MLP(64, 10, hidden=[32]), (X, y), {"lr": 0.1}),
        "cnn": (CNN((1, 8, 8), 10, channels=[4, 8], hidden=16, dropout=0.0, dropout_conv=0.0),
                (X.reshape(-1, 1, 8, 8), y), {"lr": 0.05}),
        "lstm": (LSTM(2, 1, hidden=8, task="regress"), (xs, ys), {"lr": 0.05, "clip_norm": 5.0}),
        "autoencoder": (Autoencoder(64, hidden=[32], code=8), (X,), {"lr": 0.5}),
    }
    out = {}
    for name, (model, data, opts) in models.items():
        model.fit(*data, epochs=1, batch_size=B, **{**SGD, **opts})
        out[name] = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return out


def stochastic(seed: int) -> dict[str, float]:
    """Exact mean log-likelihood (nats) of the small energy models trained with ``seed``."""
    X = binary_patterns()
    opts = {"epochs": 10, "batch_size": 20, "lr": 0.1, "seed": seed, "progress": False}
    out = {}
    rbm = RBM(12, 6, method="cd").fit(X, **opts)
    out["rbm_cd"] = float(rbm.log_likelihood(X, method="exact").mean())
    rbm = RBM(12, 6, method="pcd", n_chains=50).fit(X, **{**opts, "lr": 0.05})
    out["rbm_pcd"] = float(rbm.log_likelihood(X, method="exact").mean())
    dbn = DBN(12, hidden=[6, 4], finetune="none")
    dbn.pretrain(X, seed=seed, **{k: v for k, v in opts.items() if k != "seed"})
    first = dbn.rbms[0]
    out["dbn_pretrain"] = float(first.log_likelihood(X, method="exact").mean())
    dbm = DBM(12, hidden=[6, 4], n_chains=20, pretrain_epochs=3).fit(X, **opts)
    out["dbm"] = float(dbm.log_likelihood(X, method="exact").mean())
    return out


def resumed(folder: Path) -> dict[str, torch.Tensor]:
    """PCD RBM: 4 epochs at once against 2 epochs then ``resume`` to 4 (weights and chains)."""
    X = binary_patterns()
    opts = {"batch_size": 20, "lr": 0.1, "seed": 3, "progress": False}
    whole = RBM(12, 6, method="pcd", n_chains=20).fit(X, epochs=4, out=folder / "whole", **opts)
    RBM(12, 6, method="pcd", n_chains=20).fit(X, epochs=2, out=folder / "part", **opts)
    part = RBM(12, 6, method="pcd", n_chains=20).fit(X, epochs=4, out=folder / "part", resume=True, **opts)
    ranks = distributed.gather_cat(torch.stack([whole.chains, part.chains])[None], distributed.context())
    return {"whole_W": whole.W.detach().clone(), "part_W": part.W.detach().clone(), "chains": ranks}


def small_rbm() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A fixed 14 x 10 RBM ``(W, b, a)`` for the evaluation scenarios."""
    g = torch.Generator().manual_seed(1)
    return torch.randn(14, 10, generator=g) * 0.5, torch.randn(14, generator=g) * 0.3, torch.randn(10, generator=g) * 0.3


def evaluation() -> dict[str, torch.Tensor]:
    """Exact log Z split by chunks of the enumerated layer, AIS split by runs."""
    W, b, a = small_rbm()
    exact = rbm_log_partition(W.double(), b.double(), a.double(), chunk_size=16, distributed=True)
    res = ais_log_partition(W, b, a, betas=linear_schedule(200), n_runs=101,
                            generator=torch.Generator().manual_seed(0), distributed=True)
    return {"exact": exact, "ais_log_z": torch.tensor(res.log_z, dtype=torch.float64), "ais_log_w": res.log_weights}


def main(out: Path) -> None:
    torch.set_num_threads(1)
    ctx = distributed.context()
    assert ctx is not None and ctx.world == 2, "run me under torchrun --nproc_per_node=2"
    results = {"deterministic": deterministic(), "stochastic": stochastic(seed=0),
               "resumed": resumed(out), "evaluation": evaluation()}
    if distributed.is_writer():
        torch.save(results, out / "results.pt")
    # leave together: a rank that tears its gloo group down while rank 0 still writes can abort
    # ("terminate called without an active exception"; seen once in a loaded full-suite run)
    torch.distributed.barrier()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
