"""What the recurrent networks share: inputs, the output layer ``o_t = c + V h_t``, the three
tasks and carried state (character sampling: :mod:`.text`).

:class:`~neuralzoo.models.recurrent.elman.ElmanRNN` and :class:`~neuralzoo.models.recurrent.lstm.LSTM` differ only
in their hidden layers (``_layers(x, state) -> (h, state)``); everything a user sees of a
sequence model is here.

Shape alphabet: N batch, T time steps, D inputs per step, H hidden units, C outputs, L layers.

Inputs, per model:

- dense: float ``(N, T, D)``, or flat rows ``(N, T*D)`` viewed as ``T`` steps of ``D``
  (an 8x8 digit is 8 steps of 8 pixels, an MNIST image 28 steps of 28, row by row);
- tokens: int64 ``(N, T)`` in ``[0, n_tokens)``, fed as one-hot vectors ``x_t`` (char-rnn);
  a model with a ``vocab`` (characters) reads and writes text.

Tasks (the loss of the lecture's output layer ``o_t = c + V h_t``):

- ``"classify"``: one class per sequence from the last step, ``y_hat = softmax(o_T)``,
  ``L = -log y_hat_y`` (row-by-row images);
- ``"regress"``: one real number per sequence, ``y_hat = o_T`` (C = 1), squared error (adding);
- ``"sequence"``: a class per step, ``L = -sum_t log y_hat_{t, y_t}`` (language model,
  copy); the trainer minimises its mean over steps, so the loss reads in nats per step.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_y
from ...config import TrainConfig, check_choice
from ...train import as_tensor
from ..base import Classifier, Trainable, count_parameters, model_device
from .text import TextSampling

TASKS = ("classify", "regress", "sequence")
EVAL_STREAMS = 32  # default: evaluate a carried-state model on this many contiguous streams

State = Any  # a tensor (N,L... ) or a tuple of tensors; each family says which


class StateReset:
    """Callback: forget the carried state at the start of training and of every epoch."""

    def __init__(self, model: RecurrentNet) -> None:
        self.model = model

    def on_train_begin(self, state: Any) -> None:
        self.model.reset_state()

    def on_epoch_end(self, state: Any, metrics: dict[str, Any]) -> None:
        self.model.reset_state()


def stream_order(n: int, batch_size: int) -> torch.Tensor:
    """Row order that makes consecutive batches continue each other (char-rnn's layout).

    ``n`` consecutive windows are cut into ``B = batch_size`` contiguous streams of ``M = n // B``
    windows; batch ``m`` holds window ``m`` of every stream, so the state left by row ``j`` of
    batch ``m`` is the right start for row ``j`` of batch ``m + 1``. The ``n - B*M`` last
    windows are dropped.

    >>> stream_order(6, 2).tolist()   # streams [0,1,2] and [3,4,5]
    [0, 3, 1, 4, 2, 5]
    """
    B = min(batch_size, n)
    M = n // B
    return torch.arange(B * M).reshape(B, M).T.reshape(-1)  # (M*B,) window m of stream j at m*B+j


class RecurrentNet(TextSampling, Trainable, Classifier, nn.Module):
    """Base of the recurrent families: see the module docstring. Subclasses create their
    hidden layers, call :meth:`_setup`, and define ``_layers``, ``init_state`` and
    ``_state_shapes``.

    The constructor parameters every family shares, filled from the data by
    :meth:`sizes_from_data` (the hyperparameters a user chooses are in each family's own
    ``Args:``):

    Args:
        n_features: D, inputs per time step (fixed by the data; with tokens: the number of tokens).
        n_outputs: C, outputs per step: classes, 1 for regress, the vocabulary (fixed by the data).
        task: "classify" (the last step), "regress" (one number) or "sequence" (a class per step)
            (fixed by the data).
        n_steps: T, the fixed sequence length (row-by-row images, adding), or None for any
            length (fixed by the data).
        vocab: the characters of a text, one per token (fixed by the data; None: no text).
        n_tokens: integer tokens in [0, n_tokens) fed as one-hot vectors (fixed by the data;
            None: dense inputs; a vocab gives its length).
        baseline_loss: the loss of the task's trivial strategy, reported beside the model's
            (fixed by the data; None: none).
    """

    sequence_model = True  # runs.py feeds sequence data (text, adding, copy) only to these
    eval_streams = EVAL_STREAMS  # contiguous streams a carried-state evaluation cuts the rows in
    train_defaults = {"epochs": 10, "batch_size": 64, "lr": 2e-3, "optimizer": "adam",
                      "clip_norm": 5.0}
    renamed_hparams = {"input_size": "n_features", "hidden_size": "hidden", "output_size": "n_outputs"}  # 0.1's
    data_defaults: dict[str, Any] = {}

    @classmethod
    def sizes_from_data(cls, n_features: int, n_classes: int,
                        spec: dict[str, Any] | None = None) -> dict[str, Any]:
        """The constructor's data-fixed arguments: sequence data's ``spec`` (from
        :func:`neuralzoo.datasets.load_sequences`: input size, outputs, task, n_steps, vocab or
        n_tokens, baseline loss) or, without one, flat square images read row by row
        (:func:`rows_task`).

        >>> sizes = RecurrentNet.sizes_from_data(64, 10)   # 8x8 digits: 8 steps of 8 pixels
        >>> sizes["n_features"], sizes["n_steps"], sizes["n_outputs"], sizes["task"]
        (8, 8, 10, 'classify')
        """
        spec = dict(spec if spec is not None else rows_task(n_features, n_classes))
        sizes = {"n_features": spec.pop("input_size"), "n_outputs": spec.pop("output_size")}
        return {**sizes, "task": spec.pop("task"), "n_steps": spec.pop("n_steps", None),
                "vocab": spec.pop("vocab", None), "n_tokens": spec.pop("n_tokens", None),
                "baseline_loss": spec.pop("baseline_loss", None), **spec}

    def _setup(self, n_features: int, n_outputs: int, hidden: int, num_layers: int,
               task: str, n_steps: int | None, vocab: str | None, n_tokens: int | None,
               dropout: float, carry_state: bool | None, baseline_loss: float | None = None) -> None:
        check_choice("task", task, TASKS)
        if vocab is not None:
            if len(vocab) < 2 or len(set(vocab)) != len(vocab):
                raise ValueError(f"vocab must hold at least 2 distinct characters, got {len(vocab)} "
                                 f"characters with {len(set(vocab))} distinct")
            n_tokens = len(vocab)
        if n_tokens is not None:
            n_features = int(n_tokens)  # tokens are fed one-hot: D = the number of tokens
        for name, v in (("n_features", n_features), ("hidden", hidden),
                        ("n_outputs", n_outputs), ("num_layers", num_layers)):
            if int(v) < 1:
                raise ValueError(f"{name} must be at least 1, got {v}")
        if n_steps is not None and int(n_steps) < 1:
            raise ValueError(f"n_steps must be at least 1 (or None), got {n_steps}")
        if task == "regress" and n_outputs != 1:
            raise ValueError(f"task 'regress' predicts one number: expected n_outputs 1, got {n_outputs}")
        if task != "regress" and n_outputs < 2:
            raise ValueError(f"task {task!r} needs at least 2 classes, got n_outputs {n_outputs}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        self.D, self.H, self.C, self.L = int(n_features), int(hidden), int(n_outputs), int(num_layers)
        # the constructor's arguments under their own names (get_params reads them back)
        self.n_features, self.n_outputs, self.hidden, self.num_layers = self.D, self.C, self.H, self.L
        self.task, self.vocab, self.dropout = task, vocab, float(dropout)
        self.n_tokens = None if n_tokens is None else int(n_tokens)
        self.n_steps = None if n_steps is None else int(n_steps)
        # None: carry the state across batches exactly when the model reads a text (a vocab);
        # classify and regress sequences are independent of each other: nothing to carry
        self.carry_state = (vocab is not None if carry_state is None
                            else bool(carry_state) and task == "sequence")
        # the loss of the task's trivial strategy (copy: 10 log 8 / (T + 20)), reported beside ours
        self.baseline_loss = None if baseline_loss is None else float(baseline_loss)
        self.n_classes = self.C  # Classifier's name
        # the output layer o_t = c + V h_t
        self.V = nn.Parameter(torch.empty(self.C, self.H))  # (C, H)
        self.c = nn.Parameter(torch.empty(self.C))  # (C,)
        self._state: State | None = None  # carried across batches when carry_state

    def _reset_output(self) -> None:
        bound = 1.0 / math.sqrt(self.H)
        nn.init.uniform_(self.V, -bound, bound)
        nn.init.zeros_(self.c)

    # -- state ----------------------------------------------------------------------------
    def init_state(self, n: int) -> State:  # pragma: no cover - every family overrides
        raise NotImplementedError

    def _state_shapes(self, n: int) -> list[tuple[str, tuple[int, ...]]]:  # pragma: no cover
        raise NotImplementedError

    def check_state(self, state: State, n: int) -> State:
        """Refuse a state of another model size (or batch), naming the expected shape."""
        parts = state if isinstance(state, (tuple, list)) else (state,)
        shapes = self._state_shapes(n)
        if len(parts) != len(shapes):
            raise ValueError(f"state must be {len(shapes)} tensor(s) ({', '.join(s for s, _ in shapes)}), "
                             f"got {len(parts)}")
        for part, (name, shape) in zip(parts, shapes):
            if not isinstance(part, torch.Tensor) or tuple(part.shape) != shape:
                got = tuple(part.shape) if isinstance(part, torch.Tensor) else type(part).__name__
                raise ValueError(f"state {name} must have shape (L, N, H) = {shape} for this model: "
                                 f"got {got} (a state from a model of another size?)")
        return state

    def reset_state(self) -> None:
        """Forget the state carried across batches."""
        self._state = None

    @staticmethod
    def detach_state(state: State) -> State:
        if isinstance(state, (tuple, list)):
            return tuple(s.detach() for s in state)
        return state.detach()

    # -- inputs ---------------------------------------------------------------------------
    def _check_input(self, X: Any) -> torch.Tensor:
        """Tokens (N, T) int64, or dense (N, T, D) float; flat (N, T*D) rows are viewed as steps."""
        X = as_tensor(X)
        if X.dim() == 0 or len(X) == 0:
            raise ValueError("X is empty: expected at least one sequence, got 0")
        if self.n_tokens is not None:
            if X.is_floating_point() and not torch.equal(X, X.round()):
                raise ValueError("X must hold integer tokens for this model: got non-integer values")
            X = X.long()
            if X.dim() == 1:
                X = X[None]  # one sequence -> (1, T)
            if X.dim() != 2:
                raise ValueError(f"X must be (N, T) tokens: got shape {tuple(X.shape)}")
            if X.shape[1] == 0:
                raise ValueError("sequence length must be at least 1: got sequences of length 0")
            lo, hi = int(X.min()), int(X.max())
            if lo < 0 or hi >= self.n_tokens:
                raise ValueError(f"tokens must lie in [0, {self.n_tokens - 1}]: got values in [{lo}, {hi}]")
            return X
        X = X.to(self.V.dtype)
        if X.dim() == 2:
            if X.shape[1] == 0 or X.shape[1] % self.D:
                raise ValueError(f"flat rows must hold T steps of {self.D} inputs: got {X.shape[1]} "
                                 f"features (sequence length {X.shape[1] / self.D:g})")
            X = X.reshape(len(X), -1, self.D)  # (N, T*D) -> (N, T, D)
        if X.dim() != 3 or X.shape[2] != self.D:
            raise ValueError(f"X must be (N, T, {self.D}) or flat (N, T*{self.D}): got shape {tuple(X.shape)}")
        if X.shape[1] == 0:
            raise ValueError("sequence length must be at least 1: got sequences of length 0")
        if self.n_steps is not None and X.shape[1] != self.n_steps:
            raise ValueError(f"sequence length must equal n_steps: expected {self.n_steps}, got {X.shape[1]}")
        if not torch.isfinite(X).all():
            raise ValueError("X must be finite: expected no NaN or inf")
        return X

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        """The input vectors ``x_t``: (N, T, D) floats (tokens become one-hot vectors)."""
        if self.n_tokens is not None and not X.is_floating_point():
            return F.one_hot(X, self.n_tokens).to(self.V.dtype)  # (N, T) -> (N, T, D)
        return X.reshape(len(X), -1, self.D) if X.dim() == 2 else X  # flat (N, T*D) -> (N, T, D)

    # -- forward --------------------------------------------------------------------------
    def _layers(self, x: torch.Tensor, state: State | None) -> tuple[torch.Tensor, State]:
        raise NotImplementedError  # pragma: no cover

    def run(self, X: torch.Tensor, state: State | None = None, last_only: bool = False
            ) -> tuple[torch.Tensor, State]:
        """Outputs ``o_t = c + V h_t`` of every step, (N, T, C) (``last_only``: of the last
        step, (N, 1, C)), and the final state."""
        x = self.encode(X)
        if state is not None:
            self.check_state(state, len(x))
        h, state = self._layers(x, state)  # (N, T, H)
        if last_only:
            h = h[:, -1:]  # (N, 1, H): classify and regress read the last step only
        if self.dropout > 0 and self.training:
            h = F.dropout(h, self.dropout)
        return h @ self.V.T + self.c, state  # (N, T, C)

    def forward(self, X: torch.Tensor, state: State | None = None) -> torch.Tensor:
        """Logits of the last step (N, C) for classify/regress; of every step (N, T, C) for sequence."""
        o, _ = self.run(X, state, last_only=self.task != "sequence")
        return o if self.task == "sequence" else o[:, -1]

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Cross-entropy (classify: last step; sequence: mean over steps) or squared error."""
        x, y = batch
        state = None
        if self.carry_state and self.training and self._state is not None:
            state = self._state if self._batch_of(self._state) == len(x) else None
        o, new_state = self.run(x, state, last_only=self.task != "sequence")
        if self.carry_state and self.training:
            # truncated BPTT across batches: the state goes on, its history is cut (kept here, not
            # in a batch hook: it is this forward's input and output; StateReset forgets it)
            self._state = self.detach_state(new_state)
        return self._task_loss(o, y)

    def _batch_of(self, state: State) -> int:
        return int((state[0] if isinstance(state, (tuple, list)) else state).shape[1])

    def _task_loss(self, o: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        if self.task == "classify":
            return F.cross_entropy(o[:, -1], y, reduction=reduction)
        if self.task == "regress":
            return F.mse_loss(o[:, -1, 0], y, reduction=reduction)
        return F.cross_entropy(o.reshape(-1, self.C), y.reshape(-1), reduction=reduction)

    # -- data checks ----------------------------------------------------------------------
    def _check_target(self, y: Any, X: torch.Tensor) -> torch.Tensor:
        if y is None:
            raise ValueError(f"{type(self).__name__}.fit needs targets: expected fit(X, y), got y=None")
        if self.task == "classify":
            return check_y(y, self.C, len(X))
        y = as_tensor(y)
        if self.task == "regress":
            y = y.float().reshape(len(y), -1) if y.dim() > 1 else y.float()
            if y.dim() != 1 or len(y) != len(X):
                raise ValueError(f"y must hold one number per sequence: expected shape ({len(X)},), "
                                 f"got {tuple(y.shape)}")
            return y
        if tuple(y.shape) != tuple(X.shape[:2]):
            raise ValueError(f"y must hold one class per step: expected shape {tuple(X.shape[:2])}, "
                             f"got {tuple(y.shape)}")
        y = y.long()
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= self.C:
            raise ValueError(f"targets must lie in [0, {self.C - 1}]: got values in [{lo}, {hi}]")
        return y

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
        X = self._check_input(X)
        return X, self._check_target(y, X)

    def fit(self, X: Any, y: Any = None, **options: Any):
        """Train by :func:`neuralzoo.fit` (see :meth:`Trainable.fit`) and return ``self``.

        With ``carry_state`` and the sequence task, the rows of ``X`` must be consecutive
        windows of one stream (as :func:`neuralzoo.datasets.text.windows` cuts them): they
        are laid out in ``batch_size`` streams (:func:`stream_order`), batches go in order,
        and the state of each stream is carried from batch to batch (truncated BPTT). A
        ``val_fraction`` then holds out the *last* windows (a random draw would cut the streams).
        """
        if self.carry_state and self.task == "sequence":
            X, y = self._fit_data(X, y)
            fields = set(TrainConfig.__dataclass_fields__)
            cfg = self.train_config(**{k: v for k, v in options.items() if k in fields})
            if cfg.val_fraction > 0 and options.get("val_data") is None:
                n_val = max(1, int(round(cfg.val_fraction * len(X))))
                if n_val >= len(X):
                    raise ValueError(f"train.val_fraction={cfg.val_fraction} leaves no training data "
                                     f"({len(X)} windows)")
                options["val_data"] = (X[-n_val:], y[-n_val:])
                X, y = X[:-n_val], y[:-n_val]
            options["val_fraction"] = 0.0
            order = stream_order(len(X), cfg.batch_size)
            X, y = X[order], y[order]
            options.setdefault("shuffle", False)
            options["callbacks"] = [*options.get("callbacks", ()), StateReset(self)]
        return super().fit(X, y, **options)

    # -- prediction and metrics -------------------------------------------------------------
    def _outputs(self, X: torch.Tensor) -> torch.Tensor:
        """Outputs of every step (N, T, C) of checked inputs (classify/regress: of the last
        step, (N, 1, C)), in eval mode, no gradient.

        A carried-state sequence model reads the rows as consecutive windows and carries
        its state through them (in ``EVAL_STREAMS`` contiguous streams)."""
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                if self.carry_state and self.task == "sequence" and len(X) > 1:
                    S = min(self.eval_streams, len(X))
                    M = len(X) // S
                    order = stream_order(len(X), S)  # (S*M,)
                    out = torch.empty(len(X), X.shape[1], self.C, device=X.device)
                    state = None
                    for m in range(M):
                        rows = order[m * S:(m + 1) * S]
                        out[rows], state = self.run(X[rows], state)
                    rest = torch.arange(S * M, len(X))
                    if len(rest):
                        out[rest] = self.run(X[rest])[0]
                    return out
                last = self.task != "sequence"
                return torch.cat([self.run(X[i:i + self.eval_batch_size], last_only=last)[0]
                                  for i in range(0, len(X), self.eval_batch_size)])
        finally:
            self.train(was_training)

    def _logits(self, X: Any) -> torch.Tensor:
        self._check_fitted()
        o = self._outputs(self._check_input(X).to(model_device(self)))
        return o if self.task == "sequence" else o[:, -1]

    def predict_proba(self, X: Any) -> torch.Tensor:
        """``softmax(o)`` over the classes: (N, C) or, for the sequence task, (N, T, C)."""
        if self.task == "regress":
            raise ValueError("predict_proba: expected a classifying model, got task 'regress'")
        return torch.softmax(self._logits(X), dim=-1)

    def predict(self, X: Any) -> torch.Tensor:
        """Classes (N,) or (N, T), or the predicted numbers (N,) for the regress task."""
        o = self._logits(X)
        return o[:, 0] if self.task == "regress" else o.argmax(-1)

    def score(self, X: Any, y: Any) -> float:
        """Accuracy (per sequence, or per step for the sequence task); R^2 for regress."""
        m = self.evaluate(X, y)
        return m["r2"] if self.task == "regress" else m["acc"]

    def evaluate(self, X: Any, y: Any) -> dict[str, float]:
        """Held-out metrics: accuracy and cross-entropy; per step also bits (loss / ln 2);
        mean squared error, R^2 and the predict-1 baseline for regress."""
        self._check_fitted()
        X, y = self._fit_data(X, y)
        device = model_device(self)
        return self._metrics_of(self._outputs(X.to(device)), y.to(device))

    def metrics(self, X: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """The metrics of :meth:`evaluate` on validation data during training."""
        return self._metrics_of(self._outputs(X), y)

    def _metrics_of(self, o: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        loss = float(self._task_loss(o, y))
        if self.task == "regress":
            var = float(((y - y.mean()) ** 2).mean())
            return {"loss": loss, "mse": loss, "r2": 1.0 - loss / var if var > 0 else float("nan"),
                    "baseline_mse": float(((y - 1.0) ** 2).mean())}
        pred = (o if self.task == "sequence" else o[:, -1]).argmax(-1)
        acc = float((pred == y).float().mean())
        out = {"loss": loss, "acc": acc, "error": 1.0 - acc}
        if self.task == "sequence":
            out["bits"] = loss / math.log(2)
        if self.baseline_loss is not None:
            out["baseline_loss"] = self.baseline_loss
        return out

    # -- gradients through time -------------------------------------------------------------
    def tbptt_backward(self, X: Any, y: Any, window: int) -> float:
        """Truncated BPTT over a long sequence: cut it into windows of ``window`` steps, run
        them in order carrying the state, and back-propagate each window's loss only to its
        own start (the state is detached between windows). Gradients accumulate in ``.grad``;
        returns ``L = (1/N) sum_n sum_t L_t``. One window spanning all T steps is full BPTT."""
        if self.task != "sequence":
            raise ValueError(f"truncated BPTT needs a loss at every step: expected task 'sequence', "
                             f"got {self.task!r}")
        if window < 1:
            raise ValueError(f"window must be at least 1 step, got {window}")
        X, y = self._fit_data(X, y)
        state, total = None, 0.0
        for start in range(0, X.shape[1], window):
            o, state = self.run(X[:, start:start + window], state)
            loss = self._task_loss(o, y[:, start:start + window], reduction="sum") / len(X)
            loss.backward()
            total += float(loss.detach())
            state = self.detach_state(state)
        return total

    def hidden_gradient_norms(self, X: Any, y: Any) -> torch.Tensor:
        """``||dL/dh_k||`` (mean over the batch) for k = 1..T, the top layer's total derivative
        through the recurrence: with a last-step loss it shows how the error reaching step k
        shrinks with the distance ``T - k`` (the lecture's ``(f'(s) W)^t``)."""
        X, y = self._fit_data(X, y)
        hs = self.hidden_states(X)  # T x (N, H)
        o = torch.stack(hs, dim=1) @ self.V.T + self.c  # (N, T, C)
        grads = torch.autograd.grad(self._task_loss(o, y), hs)
        return torch.stack([g.norm(dim=1).mean() for g in grads]).detach()

    def hidden_states(self, x: torch.Tensor) -> list[torch.Tensor]:  # pragma: no cover
        raise NotImplementedError

    def extra_repr(self) -> str:
        inp = f"vocab={len(self.vocab)} chars" if self.vocab else (
            f"tokens={self.n_tokens}" if self.n_tokens else f"D={self.D}")
        return (f"{inp}, H={self.H}, L={self.L}, C={self.C}, task={self.task!r}, "
                f"params={count_parameters(self):,}")



def rows_task(n_features: int, n_classes: int) -> dict[str, Any]:
    """How a recurrent model reads flat square images: row by row, ``sqrt(D)`` steps of
    ``sqrt(D)`` pixels (8x8 digits: 8 steps of 8; MNIST: 28 of 28)."""
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ValueError(f"cannot read {n_features} features row by row: expected a square image "
                         "(H*H pixels), or sequence data (--data tinyshakespeare|adding|copy|FILE.txt)")
    return {"input_size": side, "output_size": n_classes, "task": "classify", "n_steps": side}


