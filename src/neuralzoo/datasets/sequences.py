"""Sequence data: the adding problem and the copy task (generated, seeded), and the one entry
point :func:`load_sequences` for every sequence data set (these and the text corpora).

Adding problem (Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015 and Arjovsky et
al. 2016). Each example is T pairs ``(u_t, m_t)``: ``u_t ~ U[0, 1]``, and the marker ``m_t`` is
1 at exactly two steps, one drawn uniformly in the first half ``[0, T/2)`` and one in the
second ``[T/2, T)``, 0 elsewhere. The target is the sum of the two marked values. Predicting
1 always (the mean) scores ``MSE = Var(u_a + u_b) = 2/12 = 0.167``: the baseline.

Copy task (Arjovsky et al. 2016). Tokens 0 (blank), 1..8 (symbols), 9 (delimiter); a
sequence of ``T + 20`` steps: 10 symbols drawn uniformly from 1..8, then ``T - 1`` blanks, the
delimiter, and 10 blanks. The target is ``T + 10`` blanks and then the 10 symbols. A
memoryless model that outputs blanks and then uniform guesses scores the baseline
cross-entropy ``10 log 8 / (T + 20)`` nats per step.

>>> X, y = adding(2, 10, torch.Generator().manual_seed(0))
>>> X.shape, y.shape, X[..., 1].sum(1).tolist()
(torch.Size([2, 10, 2]), torch.Size([2]), [2.0, 2.0])
>>> X, y = copy_task(1, 5, torch.Generator().manual_seed(0))
>>> X.shape, bool((y[0, -10:] == X[0, :10]).all()), X[0, 14].item()
(torch.Size([1, 25]), True, 9)
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

from . import text

GENERATORS = ("adding", "copy")
DEFAULT_T = {"adding": 50, "copy": 50}
DEFAULT_N = {"train": 10_000, "test": 1_000}
ADDING_BASELINE_MSE = 1.0 / 6.0  # Var of a sum of two U[0, 1]: what predicting 1 scores
COPY_SYMBOLS, COPY_LENGTH, COPY_BLANK, COPY_DELIMITER = 8, 10, 0, 9


def copy_baseline(T: int) -> float:
    """Cross-entropy per step of the memoryless copy strategy: ``10 log 8 / (T + 20)``."""
    return COPY_LENGTH * math.log(COPY_SYMBOLS) / (T + 2 * COPY_LENGTH)


def _check_length(T: int, least: int) -> None:
    if T < least:
        raise ValueError(f"sequence length T must be at least {least}, got {T}")


def adding(n: int, T: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` adding-problem examples of length ``T``: X (n, T, 2) = (values, markers), y (n,)."""
    _check_length(T, 2)
    u = torch.rand(n, T, generator=generator)  # (n, T)
    half = T // 2
    a = torch.randint(0, half, (n,), generator=generator)  # marker in the first half
    b = torch.randint(half, T, (n,), generator=generator)  # ... and in the second
    m = torch.zeros(n, T)
    rows = torch.arange(n)
    m[rows, a] = 1.0
    m[rows, b] = 1.0
    y = u[rows, a] + u[rows, b]
    return torch.stack([u, m], dim=2), y  # (n, T, 2), (n,)


def copy_task(n: int, T: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` copy-task examples: X (n, T+20) tokens, y (n, T+20) target tokens."""
    _check_length(T, 1)
    L = COPY_LENGTH
    symbols = torch.randint(1, COPY_SYMBOLS + 1, (n, L), generator=generator)  # (n, 10)
    X = torch.full((n, T + 2 * L), COPY_BLANK, dtype=torch.long)
    X[:, :L] = symbols
    X[:, L + T - 1] = COPY_DELIMITER
    y = torch.full_like(X, COPY_BLANK)
    y[:, -L:] = symbols
    return X, y


def is_sequence(name: str) -> bool:
    """Is ``name`` sequence data (a generator, a known corpus, or a text file)?"""
    return name in GENERATORS or name in text.CORPORA or name.endswith(".txt") or \
        os.sep in name or Path(name).expanduser().is_file()


def load_sequences(name: str, split: str = "train", *, seq_len: int | None = None, seed: int = 0,
                   n: int | None = None, root: str | os.PathLike[str] | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """``(X, y, spec)`` of a sequence data set; ``spec`` (input_size, output_size, task,
    n_steps or vocab / n_tokens) is what a recurrent model's ``sizes_from_data`` reads.

    Generators draw ``n`` examples (10,000 train, 1,000 test by default) of length
    ``seq_len`` (default 50) from a generator seeded by ``seed`` (train) or ``seed + 1`` (test).
    """
    if split not in ("train", "test", "val"):
        raise ValueError(f"unknown split {split!r}: expected 'train', 'test' or 'val'")
    if seq_len is not None and seq_len < 1:
        raise ValueError(f"sequence length must be at least 1, got {seq_len}")
    if name not in GENERATORS:
        return text.load(name, split, seq_len=seq_len, root=root)
    T = seq_len or DEFAULT_T[name]
    count = n if n is not None else DEFAULT_N["train" if split == "train" else "test"]
    if count < 1:
        raise ValueError(f"the number of examples must be at least 1, got {count}")
    g = torch.Generator().manual_seed(seed + (0 if split == "train" else 1))
    if name == "adding":
        X, y = adding(count, T, g)
        return X, y, {"input_size": 2, "output_size": 1, "task": "regress", "n_steps": T}
    X, y = copy_task(count, T, g)
    return X, y, {"input_size": 10, "output_size": 10, "task": "sequence", "n_tokens": 10,
                  "baseline_loss": copy_baseline(T)}
