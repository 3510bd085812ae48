"""The top RBM of a DBN with softmax label units (Hinton, Osindero & Teh 2006).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ...energy.sampling import bernoulli
from .bernoulli import RBM


class LabelRBM(RBM):
    r"""The top RBM of a DBN with ``C`` softmax label units beside its ``P`` penultimate units.

    Its visible vector is ``[x, y]``: ``x`` (N, P) binary, ``y`` (N, C) one-hot. Energy and
    free energy are the RBM's; only the conditional of the labels differs, a softmax::

        p(y = c | h) = exp(b_{P+c} + (W h)_{P+c}) / sum_c' exp(b_{P+c'} + (W h)_{P+c'})
        p(y = c | x) ∝ exp(-F([x, e_c]))   (the hidden units summed out: the generative classifier)

    Its data are the pairs ``(x, y)``: ``n_features`` is P, the width of ``x``, not the
    ``P + C`` visible units of the energy (``n_visible``). The keyword-only hyperparameters
    (``method``, ``k``, ``init_std``, ...) are the :class:`RBM`'s.

    Args:
        n_features: P, the penultimate units beside the labels (the width of x; fixed by the data).
        n_classes: C, the softmax label units (fixed by the data).
        n_hidden: hidden units H.
    """

    registry_name = "label-rbm"  # a building block of the DBN, not in the registry

    def __init__(self, n_features: int, n_classes: int, n_hidden: int = 100, **options: Any) -> None:
        P, C = int(n_features), int(n_classes)
        if P < 1 or C < 2:
            raise ValueError(f"expected n_features >= 1 and n_classes >= 2, got {n_features} and {n_classes}")
        super().__init__(P + C, n_hidden, **options)  # visible units [x, y]: P + C
        self.n_features, self.n_classes = P, C
        self.n_pen, self.n_labels = P, C  # the names the methods (and the DBN) use

    def p_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        """``[p(x = 1 | h), p(y | h)]`` (N, P + C): sigmoids, then the label softmax."""
        z = torch.addmm(self.b, h, self.W.T)  # (N, P + C)
        return torch.cat([torch.sigmoid(z[:, :self.n_pen]), torch.softmax(z[:, self.n_pen:], 1)], 1)

    def _down(self, h: torch.Tensor, W: torch.Tensor, b: torch.Tensor,
              generator: torch.Generator | None = None) -> torch.Tensor:
        z = torch.addmm(b, h, W.T)  # (N, P + C)
        x = bernoulli(torch.sigmoid(z[:, :self.n_pen]), generator)
        c = torch.multinomial(torch.softmax(z[:, self.n_pen:], 1), 1, generator=generator)  # (N, 1)
        return torch.cat([x, F.one_hot(c[:, 0], self.n_labels).to(x)], 1)

    def sample_v(self, h: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.p_v_given_h(h), self._down(h, self.W, self.b, generator)

    def label_logits(self, x: torch.Tensor) -> torch.Tensor:
        """``-F([x, e_c])`` for every class c (N, C): ``log p(y = c | x)`` up to a constant."""
        P = self.n_pen
        base = torch.addmm(self.a, x, self.W[:P])  # (N, H)
        cols = [F.softplus(base + self.W[P + c]).sum(1) for c in range(self.n_labels)]
        return torch.stack(cols, 1) + self.b[P:] + (x @ self.b[:P])[:, None]
