"""rnn: the fused LSTM against the lecture's reference cell; row-by-row training through
``neuralzoo.fit`` against a plain PyTorch loop; characters per second of char-LM training.

1. One forward + backward pass of a 1-layer LSTM (128 cells) over the same batch (28 steps
   of 28 inputs, batch 128), fused ``torch.nn.LSTM`` against :class:`LSTMCellRef` with the
   same weights; the ratio both ways.
2. Row-by-row LSTM 128 on 20,000 MNIST images (digits when MNIST is not found): an epoch through
   ``LSTM.fit`` against the loop a PyTorch user writes (``nn.LSTM`` + ``nn.Linear``, Adam,
   the same batches and gradient clipping). Target: ours <= 1.05x.
3. Char-LM training (2x128 LSTM, windows of 50, batch 50, carried state; 150,000 characters of
   tiny-shakespeare) through ``fit``:
   training characters per second, beside the plain loop's.

Times are medians of 3 alternated repeats in one process; only the ratios mean much on a
shared machine. ``quick``: 2,000 images and 30,000 characters.
"""

from __future__ import annotations

import statistics

import torch
import torch.nn.functional as F
from torch import nn

from .. import datasets
from ..models.recurrent.lstm import LSTM
from ..train import resolve_device
from .common import data_name, timed

NAME = "rnn"
TITLE = "LSTM: fused vs reference cell; fit() vs a plain loop (rows, char-LM chars/s)"


def _median_pair(fa, fb, repeats: int, device: torch.device) -> tuple[float, float, float]:
    """Medians of the times of ``fa`` and ``fb`` (alternated, after one untimed warm-up call
    of each: first calls pay for lazy initialisation inside torch) and the median ratio a/b."""
    fa()
    fb()
    ta, tb = [], []
    for _ in range(repeats):
        for f, out in ((fa, ta), (fb, tb)):
            out.append(timed(f, device))
    return statistics.median(ta), statistics.median(tb), statistics.median(a / b for a, b in zip(ta, tb))


def plain_rows_loop(X: torch.Tensor, y: torch.Tensor, epochs: int, seed: int, H: int = 128) -> nn.Module:
    """The baseline: nn.LSTM + nn.Linear on the last step, Adam, clip 5, shuffled batches of 128."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(28, H, batch_first=True).to(X.device)
    head = nn.Linear(H, 10).to(X.device)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=2e-3)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=g).to(X.device)
        for i in range(0, len(X), 128):
            idx = perm[i:i + 128]
            out, _ = lstm(X[idx].reshape(-1, 28, 28))
            loss = F.cross_entropy(head(out[:, -1]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
    return lstm


def plain_char_loop(X: torch.Tensor, Y: torch.Tensor, V: int, seed: int) -> None:
    """The baseline char-LM epoch: 2x128 nn.LSTM, one-hot inputs, state carried, clip 5."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(V, 128, 2, batch_first=True).to(X.device)
    head = nn.Linear(128, V).to(X.device)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=2e-3)
    B, M = 50, len(X) // 50
    order = torch.arange(B * M).reshape(B, M).T.reshape(-1).to(X.device)
    state = None
    for m in range(M):
        idx = order[m * B:(m + 1) * B]
        out, state = lstm(F.one_hot(X[idx], V).float(), state)
        state = tuple(s.detach() for s in state)
        loss = F.cross_entropy(head(out).reshape(-1, V), Y[idx].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()


def run(quick: bool = False) -> list[dict]:
    device = resolve_device("auto")
    repeats = 3
    rows = []

    # 1. fused vs reference, forward + backward on one batch
    torch.manual_seed(0)
    fused = LSTM(28, 10, hidden=128, n_steps=28).to(device)
    ref = fused.to_impl("reference")
    x = torch.rand(128, 28, 28, device=device)
    yb = torch.randint(0, 10, (128,), device=device)

    def step(m: LSTM):
        return lambda: m.loss((x, yb)).backward()

    tf, tr, ratio = _median_pair(step(fused), step(ref), repeats, device)
    rows.append({"name": f"fused nn.LSTM vs reference cell, fwd+bwd, batch 128 x 28 steps ({device})",
                 "ours": round(tf, 5), "baseline": round(tr, 5), "ratio": round(ratio, 4),
                 "reference_over_fused": round(1 / ratio, 2), "target": "< 1", "met": ratio < 1})

    # 2. row-by-row training: fit() vs plain loop
    name = data_name()
    X, y = datasets.load(name, split="train")
    if name == "digits":  # 8x8: pad each row to 28 inputs would change the task; upsample instead
        X = F.interpolate(X.reshape(-1, 1, 8, 8), size=(28, 28), mode="nearest").reshape(len(X), -1)
    X, y = X[:2_000 if quick else 20_000], y[:2_000 if quick else 20_000]
    X, y = X.to(device), y.to(device)

    def ours_rows():
        LSTM(28, 10, hidden=128, n_steps=28).fit(X, y, epochs=1, batch_size=128, lr=2e-3, clip_norm=5.0,
                                                 seed=0, device=str(device), progress=False)

    def plain_rows():
        plain_rows_loop(X, y, 1, seed=0)

    to, tp, ratio = _median_pair(ours_rows, plain_rows, repeats, device)
    rows.append({"name": f"LSTM 128 row-by-row, fit() vs plain loop, s/epoch ({name}, {len(X)} images, {device})",
                 "ours": round(to, 3), "baseline": round(tp, 3), "ratio": round(ratio, 3),
                 "target": "<= 1.05", "met": ratio <= 1.05})

    # 3. char-LM: training characters per second
    from ..datasets import text as textdata

    try:
        corpus = textdata.Corpus.load("tinyshakespeare")
        src = "tiny-shakespeare"
    except textdata.TextFileError:
        corpus = textdata.Corpus.from_text("the quick brown fox jumps over the lazy dog. " * 3000)
        src = "a synthetic text (tiny-shakespeare not found)"
    n_chars = 30_000 if quick else 150_000
    Xc, Yc = textdata.windows(corpus.ids[: n_chars + 1], 50)
    Xc, Yc = Xc.to(device), Yc.to(device)
    V = len(corpus.vocab)

    def ours_char():
        LSTM(n_outputs=V, hidden=128, num_layers=2, task="sequence", vocab=corpus.vocab,
             carry_state=True).fit(Xc, Yc, epochs=1, batch_size=50, lr=2e-3, clip_norm=5.0, seed=0,
                                   device=str(device), progress=False)

    def plain_char():
        plain_char_loop(Xc, Yc, V, seed=0)

    to, tp, ratio = _median_pair(ours_char, plain_char, repeats, device)
    chars = (len(Xc) // 50) * 50 * 50
    rows.append({"name": f"char-LM 2x128 training chars/s, fit() vs plain loop ({src}, {device})",
                 "ours": round(chars / to), "baseline": round(chars / tp), "ratio": round(ratio, 3),
                 "target": "time ratio <= 1.05", "met": ratio <= 1.05})
    return rows
