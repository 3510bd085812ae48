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
    """

    def __init__(self, n_pen: int, n_labels: int, n_hidden: int, **options: Any) -> None:
        super().__init__(int(n_pen) + int(n_labels), n_hidden, **options)
        self.n_pen, self.n_labels = int(n_pen), int(n_labels)

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
