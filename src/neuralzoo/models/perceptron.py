"""Single-layer perceptron (单层感知器): Rosenblatt's error-correction rule, with the pocket.

The lecture's first network: one layer of threshold units over the inputs, trained by
correcting the weights on every mistake. It converges in finitely many steps on linearly
separable data (Novikoff) and never settles on data that is not (XOR); the pocket algorithm
keeps the best weights seen in that case.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .._checks import check_X, check_y
from .base import Classifier, Trainable, count_parameters


class ConvergenceWarning(UserWarning):
    """Training ended after ``epochs`` passes with mistakes left (data not separated)."""


class _MistakeCounter:
    """Callback: logs the epoch's mistakes, keeps the pocket, stops at an epoch without mistakes."""

    def __init__(self, model: Perceptron, X: torch.Tensor, y: torch.Tensor) -> None:
        self.model, self.X, self.y = model, X, y

    def on_train_begin(self, state: Any) -> None:
        self.model._mistakes = 0
        device = self.model.W.device
        self.X, self.y = self.X.to(device), self.y.to(device)

    def on_epoch_end(self, state: Any, metrics: dict[str, Any]) -> bool:
        model = self.model
        mistakes, model._mistakes = model._mistakes, 0
        metrics["mistakes"] = mistakes
        if model.pocket:
            with torch.no_grad():
                errors = int((model(self.X).argmax(1) != self.y).sum())  # errors of w(t) on all data
                if int(model.pocket_errors) < 0 or errors < int(model.pocket_errors):
                    model.pocket_W.copy_(model.W)
                    model.pocket_b.copy_(model.b)
                    model.pocket_errors.fill_(errors)
                metrics["train_errors"] = errors
                metrics["pocket_errors"] = int(model.pocket_errors)
                if metrics["epoch"] >= state.config.epochs:
                    model.use_pocket()  # before the trainer writes the last checkpoint
        return mistakes == 0

    def on_train_end(self, state: Any) -> None:
        if self.model.pocket:
            self.model.use_pocket()


class Perceptron(Trainable, Classifier, nn.Module):
    r"""Single-layer perceptron classifier trained by Rosenblatt's rule (multiclass form).

    One weight vector and bias per class; the score of class ``c`` and the prediction::

        s_c(x) = w_c . x + b_c                    c = 0 .. C-1
        y_hat  = argmax_c s_c(x)

    Learning rule, example by example (``eta`` the learning rate): when the true class ``y``
    does not score strictly above every other class, i.e. ``s_y <= s_p`` for the strongest
    competitor ``p = argmax_{c != y} s_c`` (a tie counts as a mistake, so that training can
    start from all-zero weights)::

        w_y <- w_y + eta x,   b_y <- b_y + eta
        w_p <- w_p - eta x,   b_p <- b_p - eta

    and nothing changes otherwise. With two classes this is the classic rule
    ``w <- w + eta (y - y_hat) x`` with ``y, y_hat`` in {0, 1}, for ``w = w_1 = -w_0`` (the
    two vectors start at zero and move in opposite directions, so ``s_1 - s_0 = 2 (w.x + b)``)
    and the threshold ``b`` learned as the weight of a constant input 1; only a score of
    exactly 0 differs: it counts as a mistake here whatever the label.

    The rule as a gradient step. The perceptron criterion of one example is::

        L(x, y) = [s_y <= s_p] (s_p - s_y)        >= 0, zero when x is classified correctly

    Its gradient is ``dL/dw_p = x``, ``dL/dw_y = -x``, ``dL/db_p = 1``, ``dL/db_y = -1`` on a
    mistake and zero otherwise, so one SGD step ``w <- w - eta dL/dw`` (batch size 1, no
    momentum, no weight decay) is exactly the update above. ``fit`` therefore trains by
    :func:`neuralzoo.fit` with ``train_defaults``; a larger batch gives the batch perceptron
    (the mean of the updates of the batch's mistakes).

    Convergence (two classes, labels ``t_n = 2 y_n - 1`` in {-1, +1}). The weights start at
    zero. If a unit vector ``u`` in the augmented space of ``x' = (x, 1)`` separates the data
    with margin ``gamma = min_n t_n u.x'_n > 0``, and ``R = max_n ||x'_n||``, the number of
    mistakes is at most ``(R / gamma)^2`` whatever ``eta`` (Novikoff 1962). ``fit`` stops
    after the first epoch without a mistake; after ``epochs`` passes with mistakes left it
    warns with a :class:`ConvergenceWarning`. With ``pocket=True`` (Gallant 1990) the weights with
    the fewest training errors seen at an epoch end are kept and used at the end, which is
    what one wants on data that is not separable. The pocket is on by default, with 10 epochs: on
    the digits (not separable) the last epoch's weights swing between 0.90 and 0.95 test accuracy
    and 100 epochs of single-row updates took minutes; the pocket after 10 reaches 0.953.
    ``pocket=False`` is the lecture's rule alone (it changes nothing on separable data).

    Args:
        n_features: D, the width of an input row (fixed by the data).
        n_classes: C, the number of classes (fixed by the data).
        pocket: keep the weights with the fewest training errors seen at an epoch end (Gallant).

    Glossary (N batch, D inputs, C classes):
        x: (N, D) inputs;  s: (N, C) scores (the logits);  W: (C, D) weights, row c = w_c;
        b: (C,) biases;  eta: learning rate (``lr``).

    Attributes:
        W: (C, D) weights, zero at initialisation.
        b: (C,) biases, zero at initialisation.
        pocket_W, pocket_b, pocket_errors: (buffers, ``pocket=True`` only) the best weights
            so far and their number of training errors (-1 before the first epoch).
        mistakes_total_: mistakes made during the last ``fit`` (updates taken, batch size 1).
        history_: per-epoch metrics, with ``mistakes`` (and ``train_errors``,
            ``pocket_errors`` for the pocket).

    ``predict_proba`` is ``softmax(s)``: a monotone map of the scores, not a calibrated
    probability (the perceptron criterion does not fit one).

    Example:
        >>> import torch
        >>> X = torch.tensor([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); y = torch.tensor([0, 0, 0, 1])
        >>> net = Perceptron(2, 2).fit(X, y, epochs=100, progress=False)  # AND: separable, stops early
        >>> net.predict(X).tolist()
        [0, 0, 0, 1]
        >>> net.history_.column("mistakes")[-1]
        0

    Reference: Rosenblatt, "The perceptron: a probabilistic model for information storage
    and organization in the brain", Psychological Review 1958; Novikoff, "On convergence
    proofs on perceptrons", 1962; Gallant, "Perceptron-based learning algorithms", IEEE
    Trans. Neural Networks 1990; Duda, Hart & Stork, Pattern Classification, ch. 5.
    """

    registry_name = "perceptron"
    train_defaults = {"epochs": 10, "batch_size": 1, "lr": 1.0, "optimizer": "sgd", "momentum": 0.0}

    def __init__(self, n_features: int, n_classes: int = 2, *, pocket: bool = True) -> None:
        super().__init__()
        n_features, n_classes = int(n_features), int(n_classes)
        if n_features < 1:
            raise ValueError(f"n_features must be >= 1, got {n_features}")
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes}")
        if not isinstance(pocket, bool):
            raise TypeError(f"pocket must be a bool, got {type(pocket).__name__} {pocket!r}")
        self.n_features, self.n_classes, self.pocket = n_features, n_classes, pocket
        self.W = nn.Parameter(torch.zeros(n_classes, n_features))  # (C, D)
        self.b = nn.Parameter(torch.zeros(n_classes))  # (C,)
        if pocket:
            self.register_buffer("pocket_W", torch.zeros(n_classes, n_features))  # (C, D)
            self.register_buffer("pocket_b", torch.zeros(n_classes))  # (C,)
            self.register_buffer("pocket_errors", torch.tensor(-1, dtype=torch.int64))
        self._mistakes = 0  # mistakes of the running epoch, counted by loss()
        self.mistakes_total_ = 0
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """All weights and biases zero (the classic start; Novikoff's bound assumes it)."""
        with torch.no_grad():
            self.W.zero_()
            self.b.zero_()
            if self.pocket:
                self.pocket_W.zero_()
                self.pocket_b.zero_()
                self.pocket_errors.fill_(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores ``s = x W^T + b``, shape (N, C); the prediction is their argmax."""
        return x @ self.W.T + self.b  # (N, C)

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Mean perceptron criterion ``[s_y <= s_p] (s_p - s_y)`` over the batch.

        Also counts the batch's mistakes into the running epoch's tally (``fit`` logs it).
        """
        x, y = batch
        s = self(x)  # (N, C)
        s_y = s.gather(1, y[:, None])[:, 0]  # (N,)
        others = s.masked_fill(nn.functional.one_hot(y, self.n_classes).bool(), float("-inf"))
        s_p = others.max(dim=1).values  # (N,) strongest competitor
        mistake = s_y <= s_p  # (N,) a tie is a mistake
        self._mistakes += int(mistake.sum())
        return (mistake * (s_p - s_y)).mean()

    def use_pocket(self) -> None:
        """Copy the pocket weights into ``W, b`` (no-op before the first epoch end)."""
        if not self.pocket:
            raise ValueError("use_pocket needs a pocket: expected Perceptron(..., pocket=True), "
                             "got pocket=False")
        if int(self.pocket_errors) >= 0:
            with torch.no_grad():
                self.W.copy_(self.pocket_W)
                self.b.copy_(self.pocket_b)

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if y is None:
            raise ValueError("Perceptron.fit needs labels: expected fit(X, y), got y=None")
        X = check_X(X, self.n_features)
        return X, check_y(y, self.n_classes, len(X))

    def fit(self, X: Any, y: Any = None, *, callbacks: Sequence[Any] = (), **options: Any) -> Perceptron:
        """Rosenblatt's rule through :func:`neuralzoo.fit`; returns ``self``.

        Takes the options of :meth:`Trainable.fit` (``epochs=100``, ``lr=1.0``,
        ``batch_size=1``, ``seed``, ``progress``, ...). Stops after the first epoch without
        a mistake; warns with :class:`ConvergenceWarning` when ``epochs`` run out first.
        """
        X, y = self._fit_data(X, y)
        super().fit(X, y, callbacks=[_MistakeCounter(self, X, y), *callbacks], **options)
        mistakes = [int(m) for m in self.history_.column("mistakes") if m is not None]
        self.mistakes_total_ = sum(mistakes)
        if mistakes and mistakes[-1] > 0:
            best = (f"; the pocket holds weights with {int(self.pocket_errors)} training errors"
                    if self.pocket else "")
            warnings.warn(
                ConvergenceWarning(
                    f"the perceptron did not converge in {len(mistakes)} epochs: expected an epoch "
                    f"without mistakes, got {mistakes[-1]} mistakes in the last one (the data may "
                    f"not be linearly separable{'' if self.pocket else '; try pocket=True'}){best}"
                ),
                stacklevel=2,
            )
        return self

    def extra_repr(self) -> str:
        return (f"n_features={self.n_features}, n_classes={self.n_classes}, pocket={self.pocket}, "
                f"params={count_parameters(self):,}")
