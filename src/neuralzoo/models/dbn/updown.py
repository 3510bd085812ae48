"""The up-down algorithm (contrastive wake-sleep) that fine-tunes a DBN with label units.

Hinton, Osindero & Teh (2006), appendix B. After greedy pretraining the weights of the
directed layers are untied: the RBMs' ``W_l, a_l`` become *recognition* weights (bottom-up),
``G_l, g_l`` the *generative* ones (top-down). One mini-batch ``(v, y)``:

1. **up (wake) pass**: ``h_l ~ Ber(sigm(a_l + h_{l-1}^T W_l))`` for the directed layers, up to
   the penultimate ``h_{L-1}``;
2. **top RBM**: CD-k on ``[h_{L-1}, y]`` (label units free in the negative phase, softmax);
3. **down (sleep) pass**: from the top's negative sample, ``s_{l-1} ~ Ber(sigm(g_l + s_l^T G_l))``;
4. updates, each the delta rule of predicting one layer from the other::

       Delta G_l = eps  h_l (h_{l-1} - sigm(g_l + h_l^T G_l))^T       (wake states)
       Delta W_l = eps  s_{l-1} (s_l - sigm(a_l + s_{l-1}^T W_l))^T   (sleep states)
       Delta W_top = eps (<x h^T>_data - <x h^T>_CD-k)

The surrogate handed to :func:`neuralzoo.fit` is the sum of the cross-entropies
``BCE(sigm(g_l + h_l^T G_l), h_{l-1})`` (wake) and ``BCE(sigm(a_l + s_{l-1}^T W_l), s_l)``
(sleep), summed over units and averaged over the batch, plus the top RBM's
``mean F(data) - mean F(CD-k sample)``: with all states detached its negative gradient is
exactly the three updates above (the gradient of a Bernoulli cross-entropy in its logits is
``prediction - target``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from ...energy.sampling import bernoulli

if TYPE_CHECKING:
    from .model import DBN


class UpDown(nn.Module):
    """A DBN seen by the up-down algorithm: ``loss((v, y))`` as in the module docstring."""

    def __init__(self, dbn: DBN, k: int = 10) -> None:
        super().__init__()
        self.dbn, self.k = dbn, int(k)

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        v, y = batch
        d = self.dbn
        L, top = d.depth, d.rbms[-1]
        with torch.no_grad():
            # 1. wake: sampled states up the directed layers
            wake = [v]
            for r in d.rbms[:-1]:
                wake.append(bernoulli(torch.sigmoid(torch.addmm(r.a, wake[-1], r.W))))
            x0 = torch.cat([wake[-1], F.one_hot(y, d.n_classes).to(v)], 1)  # (N, P + C)
            # 2. CD-k in the top RBM, labels free
            x = x0
            for _ in range(self.k):
                h = bernoulli(top.p_h_given_v(x))
                x = top._down(h, top.W, top.b)
            # 3. sleep: a sampled down pass from the top's negative sample
            sleep = [x[:, :d.sizes[-2]]]
            for l in range(L - 1, 0, -1):
                sleep.append(bernoulli(d.p_down(sleep[-1], l)))
            sleep.reverse()  # sleep[l] is layer l, like wake
        # 4. the surrogate whose negative gradient is the three delta rules
        N = len(v)
        loss = top.free_energy(x0).mean() - top.free_energy(x).mean()
        for l in range(1, L):
            r = d.rbms[l - 1]
            gen = torch.addmm(d.gen_b[l - 1], wake[l], d.gen_W[l - 1])  # predicts wake[l-1]
            rec = torch.addmm(r.a, sleep[l - 1], r.W)  # predicts sleep[l]
            loss = loss + (F.binary_cross_entropy_with_logits(gen, wake[l - 1], reduction="sum")
                           + F.binary_cross_entropy_with_logits(rec, sleep[l], reduction="sum")) / N
        return loss

    def metrics(self, X: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """Validation: cross-entropy and accuracy of the DBN's generative classifier (label units)."""
        return self.dbn.metrics(X, y)


__all__ = ["UpDown"]
