"""Classification RBM (Larochelle & Bengio, ICML 2008): an RBM over ``(x, y)`` that is its own classifier.

The label is a softmax group of C units beside the D visible units; summing out the hidden
units gives ``p(y | x)`` exactly, C free energies per row, so the model is trained for
classification directly: generatively (CD on the joint), discriminatively (the exact gradient
of ``-log p(y|x)``) or by the hybrid of the two.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_unit_interval, check_X, check_y
from ...config import check_choice
from ...energy.sampling import as_generator, bernoulli
from ..base import Classifier, Trainable, count_parameters, model_device, model_dtype

OBJECTIVES = ("discriminative", "generative", "hybrid")


class ClassificationRBM(Classifier, Trainable, nn.Module):
    r"""Classification RBM: binary visible units ``x`` (D), a softmax label ``y`` (C), hidden ``h`` (H).

    Energy, with ``y`` one-hot (the lecture's notation; ``b`` visible, ``a`` hidden, ``d`` label
    biases; the paper writes ``c`` for ``a``)::

        E(x, y, h) = -x^T W h - y^T U h - b^T x - a^T h - d^T y
        p(h_j = 1 | x, y) = sigmoid(a_j + U_yj + sum_i w_ij x_i)
        p(x_i = 1 | h) = sigmoid(b_i + sum_j w_ij h_j),   p(y | h) = softmax_y(d_y + sum_j U_yj h_j)
        F(x, y) = -log sum_h exp(-E) = -b^T x - d_y - sum_j softplus(a_j + U_yj + (x^T W)_j)

    The classifier, exact (the sum over h is closed-form, the sum over y has C terms)::

        p(y | x) = exp(-F(x, e_y)) / sum_y' exp(-F(x, e_y'))
                 = softmax_y(d_y + sum_j softplus(a_j + U_yj + (x^T W)_j))      (b^T x cancels)

    Objectives (``objective``), per example, averaged over a batch:

    - ``"discriminative"``: ``L_disc = -log p(y | x)``; its gradient is exact (autograd of the
      C free energies: ``-dL/dU_yj = sigmoid(o_yj)(1[y] - p(y|x))`` with ``o_yj = a_j + U_yj +
      (x^T W)_j``, and likewise for ``W, a, d``). No sampling.
    - ``"generative"``: ``L_gen = -log p(x, y)``, trained by CD-``k`` on the joint: the surrogate
      ``mean F(x, y) - mean F(x', y')`` with ``(x', y')`` after ``k`` block-Gibbs steps
      ``h ~ p(h|x,y)``, ``x' ~ p(x|h)``, ``y' ~ p(y|h)`` from the data (samples detached), whose
      gradient is the CD estimate of ``-d log p(x,y)/d theta``.
    - ``"hybrid"``: ``L_disc + alpha * L_gen`` (the paper's HDRBM).

    Against :class:`~neuralzoo.models.rbm.label.LabelRBM` (the DBN's top RBM): the same
    distribution — its visible vector ``[x, y]`` with ``W_label = [W; U^T]`` and ``b_label = [b;
    d]`` — and the same ``p(y|x)`` (``label_logits``); the LabelRBM is trained only
    generatively as one block of a DBN, while this class is a classifier of the zoo (``fit(X,
    y)``, ``predict``, the discriminative and hybrid objectives, sampling ``x`` given ``y``).

    Args:
        n_features: D, the visible units (the width of a data row; fixed by the data).
        n_classes: C, the softmax label units (fixed by the data).
        n_hidden: hidden units H.
        objective: "discriminative", "generative" or "hybrid" (discriminative + alpha * generative).
        alpha: weight of the generative term in the hybrid objective.
        k: Gibbs steps of the CD estimate of the generative term.
        init_std: standard deviation of the initial weights W and U.

    Attributes:
        W (D, H), U (C, H): weights, ``N(0, init_std^2)``.  b (D,), a (H,), d (C,): biases, 0.
        data_mean (D,): the training pixels' means, where :meth:`sample` starts its chains.

    Shapes: N batch, D visible, C classes, H hidden.

    >>> import torch, neuralzoo as nz
    >>> X, y = nz.datasets.load("digits", binarize="threshold")
    >>> crbm = ClassificationRBM(64, 10, 32).fit(X, y, epochs=3, seed=0, progress=False)
    >>> crbm.predict_proba(X[:2]).shape, bool(crbm.score(X, y) > 0.8)
    (torch.Size([2, 10]), True)

    References: Larochelle & Bengio, "Classification using discriminative restricted Boltzmann
    machines", ICML 2008; Larochelle, Mandel, Pascanu & Bengio, JMLR 13, 2012.
    """

    registry_name = "class-rbm"
    data_defaults = {"binarize": "threshold"}
    # plain SGD on the batch mean: lr 0.5 at batch 20 is 0.025 per example, the order of the paper's
    # online rates (0.05)
    train_defaults = {"epochs": 20, "batch_size": 20, "lr": 0.5, "optimizer": "sgd", "momentum": 0.0}
    eval_batch_size = 1000  # forward holds an (N, C, H) tensor

    def __init__(self, n_features: int, n_classes: int, n_hidden: int = 100, *,
                 objective: str = "hybrid", alpha: float = 0.01, k: int = 1, init_std: float = 0.05) -> None:
        super().__init__()
        D, C, H = int(n_features), int(n_classes), int(n_hidden)
        if D < 1 or C < 2 or H < 1:
            raise ValueError(f"expected n_features >= 1, n_classes >= 2, n_hidden >= 1, "
                             f"got {n_features}, {n_classes}, {n_hidden}")
        check_choice("objective", objective, OBJECTIVES)
        if not alpha >= 0 or int(k) < 1 or not init_std >= 0:
            raise ValueError(f"expected alpha >= 0, k >= 1, init_std >= 0, got {alpha}, {k}, {init_std}")
        self.n_features, self.n_classes, self.n_hidden = D, C, H
        self.objective, self.alpha, self.k, self.init_std = objective, float(alpha), int(k), float(init_std)
        self.W = nn.Parameter(torch.zeros(D, H))  # (D, H)
        self.U = nn.Parameter(torch.zeros(C, H))  # (C, H)
        self.b = nn.Parameter(torch.zeros(D))  # (D,) visible biases
        self.a = nn.Parameter(torch.zeros(H))  # (H,) hidden biases (the paper's c)
        self.d = nn.Parameter(torch.zeros(C))  # (C,) label biases
        self.register_buffer("data_mean", torch.full((D,), 0.5))  # (D,)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``W, U ~ N(0, init_std^2)``, zero biases."""
        with torch.no_grad():
            self.W.normal_(0.0, self.init_std)
            self.U.normal_(0.0, self.init_std)
            for p in (self.b, self.a, self.d):
                p.zero_()

    # -- the model -----------------------------------------------------------------------------

    def energy(self, x: torch.Tensor, y: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """``E(x, y, h)`` of paired rows: x (N, D), labels y (N,), h (N, H) -> (N,)."""
        hU = h @ self.U.T  # (N, C)
        return -(((x @ self.W) * h).sum(1) + hU.gather(1, y[:, None])[:, 0]
                 + x @ self.b + h @ self.a + self.d[y])

    def free_energy(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``F(x, y) = -b^T x - d_y - sum_j softplus(a_j + U_yj + (x^T W)_j)``: x (N, D), y (N,) -> (N,)."""
        return -(x @ self.b) - self.d[y] - F.softplus(torch.addmm(self.a, x, self.W) + self.U[y]).sum(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logits ``-F(x, e_y) - b^T x`` (N, C): ``log p(y | x)`` up to a constant per row."""
        z = torch.addmm(self.a, x, self.W)  # (N, H)
        return self.d + F.softplus(z[:, None, :] + self.U).sum(2)  # (N, C, H) -> (N, C)

    def p_y_given_x(self, x: torch.Tensor) -> torch.Tensor:
        """``p(y | x)`` (N, D) -> (N, C), exact (no input checks: :meth:`predict_proba` has them)."""
        return torch.softmax(self(x), 1)

    def p_h_given_xy(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``p(h_j = 1 | x, y) = sigmoid(a_j + U_yj + (x^T W)_j)``: (N, D), (N,) -> (N, H)."""
        return torch.sigmoid(torch.addmm(self.a, x, self.W) + self.U[y])

    def p_x_given_h(self, h: torch.Tensor) -> torch.Tensor:
        """``p(x_i = 1 | h) = sigmoid(b_i + (W h)_i)`` (N, H) -> (N, D)."""
        return torch.sigmoid(torch.addmm(self.b, h, self.W.T))

    def p_y_given_h(self, h: torch.Tensor) -> torch.Tensor:
        """``p(y | h) = softmax(d + U h)`` (N, H) -> (N, C)."""
        return torch.softmax(torch.addmm(self.d, h, self.U.T), 1)

    def gibbs_step(self, x: torch.Tensor, y: torch.Tensor, steps: int = 1, *, clamp_y: bool = False,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``steps`` block-Gibbs steps ``(x, y) -> h ~ p(h|x,y) -> x ~ p(x|h), y ~ p(y|h)``; the
        new ``(x, y)``. ``clamp_y`` keeps the labels: a chain of ``p(x | y)``."""
        for _ in range(steps):
            h = bernoulli(self.p_h_given_xy(x, y), generator)
            x = bernoulli(self.p_x_given_h(h), generator)
            if not clamp_y:
                y = torch.multinomial(self.p_y_given_h(h), 1, generator=generator)[:, 0]
        return x, y

    def sample(self, n: int, *, steps: int = 1000, generator: torch.Generator | int | None = None,
               y: Any = None) -> torch.Tensor:
        """``n`` samples of ``x`` (n, D) after ``steps`` Gibbs steps from the training pixels'
        means. ``y``: a label or (n,) labels to draw ``x ~ p(x | y)`` (the label clamped);
        None: the joint chain. ``generator``: a ``torch.Generator``, an int seed or None."""
        device = model_device(self)
        generator = as_generator(generator, device)
        x = bernoulli(self.data_mean.expand(n, -1).to(model_dtype(self)), generator)  # (n, D)
        if y is None:
            labels = torch.randint(self.n_classes, (n,), generator=generator, device=device)
        else:
            labels = torch.as_tensor(y, device=device).long()
            labels = check_y(labels.expand(n) if labels.dim() == 0 else labels, self.n_classes, n, device=device)
        with torch.no_grad():
            return self.gibbs_step(x, labels, steps, clamp_y=y is not None, generator=generator)[0]

    def transform(self, X: Any) -> torch.Tensor:
        """``E[h | x] = sum_y p(y|x) p(h = 1 | x, y)`` (N, D) -> (N, H), exact."""
        self._check_fitted()
        x = self._check(X)
        with torch.no_grad():
            z = torch.addmm(self.a, x, self.W)[:, None, :] + self.U  # (N, C, H)
            p = torch.softmax(self.d + F.softplus(z).sum(2), 1)  # (N, C)
            return (p[:, :, None] * torch.sigmoid(z)).sum(1)

    # -- learning -------------------------------------------------------------------------------

    def _check(self, X: Any, name: str = "X") -> torch.Tensor:
        X = check_unit_interval(check_X(X, self.n_features, name=name, device=model_device(self)), name)
        return X.to(model_dtype(self))

    def _check_input(self, X: Any) -> torch.Tensor:
        return check_unit_interval(check_X(X, self.n_features))

    def generative_loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The CD-k surrogate ``mean F(x, y) - mean F(x', y')`` (x', y' detached; see the class docstring)."""
        with torch.no_grad():
            xm, ym = self.gibbs_step(x, y, self.k)  # k steps from the data: (N, D), (N,)
        return self.free_energy(x, y).mean() - self.free_energy(xm, ym).mean()

    def discriminative_loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``mean -log p(y | x)``: cross-entropy of the exact conditional."""
        return F.cross_entropy(self(x), y)

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The objective's value on ``(x, y)``: ``L_disc``, the CD surrogate of ``L_gen``, or ``L_disc + alpha L_gen``."""
        x, y = batch[0], batch[1]
        if self.objective == "discriminative":
            return self.discriminative_loss(x, y)
        if self.objective == "generative":
            return self.generative_loss(x, y)
        return self.discriminative_loss(x, y) + self.alpha * self.generative_loss(x, y)

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if y is None:
            raise ValueError("ClassificationRBM.fit needs labels: expected fit(X, y), got y=None")
        X = check_unit_interval(check_X(X, self.n_features))
        return X, check_y(y, self.n_classes, len(X))

    def fit(self, X: Any, y: Any = None, **options: Any) -> ClassificationRBM:
        """Train by :func:`neuralzoo.fit` (``epochs=20, batch_size=20, lr=0.5``, plain SGD unless
        given; ``val_data``, ``patience`` and ``monitor="val_acc"`` for early stopping) and return
        ``self``; ``data_mean`` (where :meth:`sample` starts) is taken from ``X``."""
        X, y = self._fit_data(X, y)
        with torch.no_grad():
            self.data_mean.copy_(X.mean(0).to(self.data_mean))
        return super().fit(X, y, **options)

    def extra_repr(self) -> str:
        extra = f", alpha={self.alpha}" if self.objective == "hybrid" else ""
        return (f"n_features={self.n_features}, n_classes={self.n_classes}, n_hidden={self.n_hidden}, "
                f"objective={self.objective!r}{extra}, k={self.k}, params={count_parameters(self):,}")


__all__ = ["OBJECTIVES", "ClassificationRBM"]
