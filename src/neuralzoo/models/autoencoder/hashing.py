"""Semantic hashing (对 code 进行 Hash 快速查询): a deep autoencoder whose code is binary, so
that similar inputs land at nearby addresses and retrieval is a walk over a Hamming ball."""

from __future__ import annotations

from typing import Any

import torch

from ..._checks import check_y
from .deep import DeepAutoencoder


def hamming(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Hamming distances between binary codes A (M, K) and B (N, K) -> (M, N) int64."""
    A, B = A.float(), B.float()
    return (A @ (1 - B).T + (1 - A) @ B.T).round().long()


class SemanticHashing(DeepAutoencoder):
    r"""Deep autoencoder with a logistic code made binary (Salakhutdinov & Hinton 2009).

    The code units are sigmoid; during fine-tuning noise is added to their input,
    ``y = sigmoid(W_L^T y^(L-1) + a_L + s eps)``, ``eps ~ N(0, I)``, which the network can
    only resist by driving the inputs far from 0, i.e. the code towards 0 or 1. The hash
    of ``x`` is then ``c(x) = [y(x) > 1/2]`` (K bits); retrieval returns the database items
    within Hamming distance ``r`` of the query's code::

        R(q) = { n : sum_k [c_k(q) != c_k(x_n)] <= r }
        precision = |R(q) ∩ same class| / |R(q)|,   recall = |R(q) ∩ same class| / |same class|

    Pretraining is the deep autoencoder's, with a binary top RBM.

    Args:
        n_features: D, the width of an input row (fixed by the data).
        hidden: widths H_1 .. H_{L-1} of the hidden layers.
        code: K, the number of bits of the hash.
        code_activation: f of the code units: "sigmoid" only (the hash thresholds a logistic code).
        code_noise: std s of the noise at the code units' input during fine-tuning.
        radius: Hamming radius r of the retrieval in :meth:`evaluate`.
        pretrain_epochs: CD-1 epochs per RBM; 0 skips pretraining.

    The other hyperparameters are the :class:`DeepAutoencoder`'s (``pretrain_lr``, ...) and
    the :class:`Autoencoder`'s.

    >>> import neuralzoo as nz
    >>> X, y = nz.datasets.load("digits")
    >>> sh = SemanticHashing(64, hidden=[32], code=8).fit(X, epochs=1, pretrain_epochs=1, seed=0, progress=False)
    >>> sh.hash(X[:2]).shape, sh.hash(X[:2]).dtype
    (torch.Size([2, 8]), torch.uint8)

    Reference: R. Salakhutdinov and G. Hinton, "Semantic hashing", Int. J. Approx. Reasoning
    50:969-978, 2009.
    """

    registry_name = "semantic-hashing"
    # the tour's epochs and rate (issue 23: the deep autoencoder's 20 epochs at lr 1e-3 gave test
    # mse 0.0561 on digits, the tour 0.0345; these gave 0.0477)
    train_defaults = {"epochs": 40, "batch_size": 100, "lr": 3e-3, "optimizer": "adam"}

    def __init__(self, n_features: int, *,
                 hidden: list[int] = [64, 32],  # noqa: B006 (read, never mutated)
                 code: int = 16, code_activation: str = "sigmoid", code_noise: float = 4.0, radius: int = 2,
                 pretrain_epochs: int = 5, **kw: Any) -> None:
        if code_activation != "sigmoid":
            raise ValueError("SemanticHashing hashes a logistic code: expected code_activation='sigmoid', "
                             f"got {code_activation!r}")
        super().__init__(n_features, hidden=hidden, code=code, code_activation="sigmoid",
                         pretrain_epochs=pretrain_epochs, **kw)
        if not code_noise >= 0 or int(radius) < 0:
            raise ValueError(f"expected code_noise >= 0 and radius >= 0, got {code_noise} and {radius}")
        self.code_noise, self.radius = float(code_noise), int(radius)

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The :class:`Autoencoder`'s loss (reconstruction of the clean ``x``, plus the sparsity
        term), through a noisy logistic code."""
        x = batch[0]
        pre = self._code_pre(self.corrupt(x))  # (N, K); 1. the (corrupted) input's code layer input
        y = torch.sigmoid(pre + self.code_noise * torch.randn_like(pre))  # 2. + noise s eps, logistic
        return self.reconstruction_loss(x, self.decode_logits(y)) + self.penalty(y)  # 3. + 4.

    def hash(self, X: Any) -> torch.Tensor:
        """Binary codes ``[y(x) > 1/2]`` (N, K) uint8."""
        return (self.transform(X) > 0.5).to(torch.uint8)

    def retrieve(self, query: Any, database: Any, *, radius: int | None = None) -> list[torch.Tensor]:
        """For each query row, the indices of the database rows within Hamming ``radius``."""
        r = self.radius if radius is None else int(radius)
        d = hamming(self.hash(query), self.hash(database))  # (M, N)
        return [row.nonzero().flatten() for row in d <= r]

    def retrieval_metrics(self, X: Any, y: Any, *, radius: int | None = None) -> dict[str, float]:
        """Leave-one-out retrieval on ``(X, y)``: every row queries all others. Mean precision
        (over queries that retrieve anything), mean recall, and the mean number retrieved."""
        r = self.radius if radius is None else int(radius)
        codes = self.hash(X)
        y = check_y(y, int(torch.as_tensor(y).max()) + 1, len(codes)).to(codes.device)
        d = hamming(codes, codes)  # (N, N)
        hit = d <= r
        hit.fill_diagonal_(False)  # a query does not retrieve itself
        same = y[:, None] == y[None, :]
        same.fill_diagonal_(False)
        n_ret = hit.sum(1).float()
        n_rel = (hit & same).sum(1).float()
        got = n_ret > 0
        precision = float((n_rel[got] / n_ret[got]).mean()) if bool(got.any()) else 0.0
        recall = float((n_rel / same.sum(1).clamp_min(1).float()).mean())
        return {"precision": precision, "recall": recall, "retrieved": float(n_ret.mean())}

    def evaluate(self, X: Any, y: Any = None) -> dict[str, float]:
        """Squared error per image; with labels, leave-one-out retrieval within ``radius``."""
        out = super().evaluate(X, y)
        if y is not None:
            out.update({f"{k}_r{self.radius}": v for k, v in self.retrieval_metrics(X, y).items()})
        return out
