"""adding: the adding problem at T = 200, where the LSTM learns and the Elman RNN does not.

Published (Hochreiter & Schmidhuber 1997; Le et al. 2015; Arjovsky et al. 2016): an LSTM
solves the adding problem far beyond the baseline up to T = 400, while a tanh RNN stays at
the baseline MSE 0.167 (always predicting 1) for long sequences. Targets: LSTM test MSE
< 0.01 at T = 200; the RNN is reported beside it with its curve (expected near 0.167).

Our setup (:func:`neuralzoo.datasets.sequences.adding`): 20,000 training and 1,000 test
sequences of T = 200 pairs, seeded; one layer of 64 units with a linear output on the last
step, squared error; Adam lr 3e-3, batch 50, global gradient norm clipped at 1, seed 0;
LSTM forget bias 1. Each model trains for at most 30 epochs (12,000 steps) or its time budget
on two CPU cores (LSTM 9 minutes, RNN 5), and the test MSE after every epoch is the curve. (With lr 1e-3 the LSTM
took about twice as many steps to leave the baseline at T = 50.)

``quick``: T = 50, 10,000 training sequences, 8 epochs each: the LSTM solves it there too.
"""

from __future__ import annotations

import time
from typing import Any

from ..datasets.sequences import ADDING_BASELINE_MSE, load_sequences
from ..models.recurrent.elman import ElmanRNN
from ..models.recurrent.lstm import LSTM

ID = "adding"
TITLE = "Adding problem, T = 200: LSTM MSE < 0.01, Elman RNN near the 0.167 baseline"
SOURCE = "Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015; Arjovsky, Shah & Bengio 2016"
TARGET = 0.01


class TestCurve:
    """Callback: the test MSE after every epoch (the curve), and a wall-clock budget."""

    def __init__(self, X, y, budget_s: float) -> None:
        self.X, self.y, self.budget_s = X, y, budget_s
        self.mse: list[float] = []
        self.t0 = time.perf_counter()

    def on_epoch_end(self, state: Any, metrics: dict[str, Any]) -> bool:
        m = state.model.metrics(self.X.to(state.model.V.device), self.y.to(state.model.V.device))
        self.mse.append(round(m["mse"], 5))
        metrics["test_mse"] = m["mse"]
        return time.perf_counter() - self.t0 + float(metrics["seconds"]) > self.budget_s


def run(quick: bool = False, device: str = "auto", progress: bool = False) -> list[dict]:
    T, n, epochs = (50, 10_000, 8) if quick else (200, 20_000, 30)
    X, y, _ = load_sequences("adding", "train", seq_len=T, n=n, seed=0)
    X_test, y_test, _ = load_sequences("adding", "test", seq_len=T, seed=0)
    rows = []
    for cls in (LSTM, ElmanRNN):
        net = cls(n_features=2, n_outputs=1, hidden=64, task="regress", n_steps=T)
        curve = TestCurve(X_test, y_test, 300.0 if quick or cls is ElmanRNN else 540.0)
        net.fit(X, y, epochs=epochs, batch_size=50, lr=3e-3, optimizer="adam", clip_norm=1.0, lr_schedule="constant",
                seed=0, device=device, progress=progress, callbacks=[curve])
        mse = net.evaluate(X_test, y_test)["mse"]
        name = f"{cls.__name__} 64 units, T = {T}: test MSE"
        # the vanishing-gradient figure: ||dL/dh_k|| of the trained model against T - k
        norms = net.hidden_gradient_norms(X_test[:100].to(net.V.device), y_test[:100].to(net.V.device))
        r = {"name": name, "ours": round(mse, 5), "baseline": round(ADDING_BASELINE_MSE, 4),
             "mse_per_epoch": curve.mse, "note": f"{len(curve.mse)} epochs of {n} sequences",
             "grad_norm_by_distance": [float(f"{v:.4g}") for v in norms.flip(0).tolist()]}
        if cls is LSTM:
            r.update({"published": "well below the baseline", "target": f"< {TARGET}",
                      "met": bool(mse < TARGET)})
        else:
            r.update({"published": "near the baseline 0.167"})
        rows.append(r)
    return rows
