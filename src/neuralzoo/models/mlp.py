"""Multilayer perceptron (多层感知器), trained by error back-propagation.

The lecture's feed-forward network: layers of units, each computing a weighted sum of the
layer below and a non-linearity, a softmax output and the cross-entropy (softmax) loss.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_widths, check_X, check_y
from ..config import check_choice
from .base import Classifier, Trainable, count_parameters

ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu}


class MLP(Trainable, Classifier, nn.Module):
    r"""Multilayer perceptron classifier.

    Forward pass for layer sizes ``[D, H_1, ..., H_{L-1}, C]``::

        h^(0) = x
        h^(l) = f(W^(l) h^(l-1) + b^(l))          l = 1 .. L-1   (f: sigmoid, tanh or relu)
        o     = W^(L) h^(L-1) + b^(L)             logits, one per class
        y_hat = softmax(o),   y_hat_k = exp(o_k) / sum_j exp(o_j)

    Loss, the lecture's softmax loss (negative log-likelihood of the true class ``y``)::

        l(x, y) = -log [softmax(o)]_y = log sum_j exp(o_j) - o_y

    averaged over a mini-batch and minimised by back-propagation of the error through the
    layers (autograd) with SGD+momentum or Adam.

    Args:
        n_features: D, the width of an input row (fixed by the data).
        n_classes: C, the number of classes (fixed by the data).
        hidden: hidden layer widths H_1 .. H_{L-1} ([] for none: softmax regression).
        activation: f of the hidden layers: "sigmoid", "tanh" or "relu".
        dropout: dropout probability after every hidden layer.
        init: "auto" (He for relu, Xavier otherwise), "xavier" or "he".

    Glossary (N batch, D inputs, H hidden, C classes):
        x: (N, D) inputs;  h^(l): (N, H_l) activations;  o: (N, C) logits;
        W^(l): (H_l, H_{l-1}) weights;  b^(l): (H_l,) biases.

    Attributes:
        layers: L ``nn.Linear`` layers, ``layers[l-1]`` holding W^(l) and b^(l) (init below).
        sizes: the layer sizes ``[D, *hidden, C]``.

    Initialisation: Xavier/Glorot uniform for sigmoid and tanh (keeps the variance of the
    pre-activations near 1 in both directions; hidden tanh layers use PyTorch's gain 5/3),
    He/Kaiming for ReLU; the output layer Xavier with gain 1; biases zero.

    Example:
        >>> import torch
        >>> X = torch.tensor([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); y = torch.tensor([0, 1, 1, 0])
        >>> net = MLP(2, 2, hidden=[4], activation="tanh").fit(X, y, epochs=300, batch_size=4, lr=0.05,
        ...                                                   progress=False)
        >>> net.predict(X).tolist()
        [0, 1, 1, 0]

    Reference: Rumelhart, Hinton & Williams, "Learning representations by back-propagating
    errors", Nature 1986; Glorot & Bengio 2010; He et al. 2015.
    """

    registry_name = "mlp"
    sizes_hparams = ("n_features", "hidden", "n_classes")  # a 0.1 run's sizes=[D, *H, C]
    # scikit-learn MLPClassifier's max_iter=200, batch_size=200 (20 epochs of 100 stopped at 0.944 on digits)
    train_defaults = {"epochs": 200, "batch_size": 200, "lr": 1e-3, "optimizer": "adam"}

    def __init__(self, n_features: int, n_classes: int, *,
                 hidden: list[int] = [100],  # noqa: B006 (read, never mutated)
                 activation: str = "relu", dropout: float = 0.0, init: str = "auto") -> None:
        super().__init__()
        sizes = check_widths(n_features, hidden, "n_classes", n_classes, "[100]")
        hidden = sizes[1:-1]  # a copy
        check_choice("activation", activation, tuple(ACTIVATIONS))
        check_choice("init", init, ("auto", "xavier", "he"))
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        self.n_features, self.n_classes, self.hidden = sizes[0], sizes[-1], hidden
        self.activation, self.dropout, self.init = activation, dropout, init
        self.sizes = sizes  # [D, H_1, ..., H_{L-1}, C]
        # W^(l), b^(l) for l = 1..L
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier (sigmoid/tanh) or He (relu) weights, zero biases."""
        he = self.init == "he" or (self.init == "auto" and self.activation == "relu")
        for i, layer in enumerate(self.layers):
            last = i == len(self.layers) - 1
            if he and not last:
                nn.init.kaiming_uniform_(layer.weight, a=0.0, nonlinearity="relu")
            else:
                gain = nn.init.calculate_gain("tanh") if self.activation == "tanh" and not last else 1.0
                nn.init.xavier_uniform_(layer.weight, gain=gain)
            nn.init.zeros_(layer.bias)

    def hidden_activations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every hidden layer's activations ``h^(1) .. h^(L-1)`` for inputs ``x`` (N, D)."""
        f = ACTIVATIONS[self.activation]
        *hidden, _ = self.layers  # (slicing a ModuleList builds a new module: avoid it)
        hs = []
        h = x
        for layer in hidden:
            h = f(layer(h))  # (N, H_l)
            hs.append(h)
        return hs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``o`` (N, C) for inputs ``x`` (N, D)."""
        f = ACTIVATIONS[self.activation]
        h = x
        drop = self.dropout > 0 and self.training
        *hidden, output = self.layers  # (slicing a ModuleList builds a new module: avoid it)
        for layer in hidden:
            h = f(layer(h))  # (N, H_l)
            if drop:
                h = F.dropout(h, self.dropout)
        return output(h)  # (N, C)

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Mean softmax cross-entropy ``log sum_j exp(o_j) - o_y`` over the batch."""
        x, y = batch
        return F.cross_entropy(self(x), y)

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if y is None:
            raise ValueError("MLP.fit needs labels: expected fit(X, y), got y=None")
        X = check_X(X, self.n_features)
        return X, check_y(y, self.n_classes, len(X))

    def extra_repr(self) -> str:
        return (f"sizes={self.sizes}, activation={self.activation!r}, dropout={self.dropout}, "
                f"params={count_parameters(self):,}")

    @property
    def depth(self) -> int:
        """Number of weight layers L."""
        return len(self.layers)
