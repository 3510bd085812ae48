"""Elman recurrent network (Elman 网络) trained by back-propagation through time (BPTT).

The lecture's Recurrent NN: a hidden layer that feeds back into itself, so that the state
``h_t`` summarises the inputs ``x_1 .. x_t``; the same weights ``U, V, W`` at every step.
:func:`bptt` writes out the lecture's BPTT by hand (the reference, proven equal to
autograd's gradients in the tests); :class:`ElmanRNN` trains by autograd on the same graph.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ...config import check_choice
from .base import RecurrentNet

RECURRENCES = ("full", "diagonal")
SELF_FEEDBACK_INIT = 1.0  # w_i of the diagonal network at initialisation: identity, as the IRNN


def bptt(x: torch.Tensor, y: torch.Tensor, U: torch.Tensor, W: torch.Tensor, b: torch.Tensor,
         V: torch.Tensor, c: torch.Tensor, h0: torch.Tensor | None = None, *,
         last_only: bool = False) -> tuple[torch.Tensor, dict[str, torch.Tensor], list[torch.Tensor]]:
    r"""Loss and gradients of a one-layer Elman network by back-propagation through time.

    Forward pass, storing every state (the lecture's equations, ``f = tanh``)::

        a_t = b + W h_{t-1} + U x_t,   h_t = tanh(a_t),   o_t = c + V h_t,   y_hat_t = softmax(o_t)
        L = (1/N) sum_n sum_t L_t,      L_t = -log y_hat_{t, y_t}   (last_only: only t = T)

    Backward pass through time, t = T .. 1, accumulating the shared weights' gradients::

        dL/do_t = (y_hat_t - onehot(y_t)) / N
        dL/dh_t = V^T dL/do_t + W^T dL/da_{t+1}          (the second term: from step t+1)
        dL/da_t = dL/dh_t * (1 - h_t^2)                   (tanh' = 1 - tanh^2)
        grad V += dL/do_t h_t^T,  grad c += dL/do_t
        grad U += dL/da_t x_t^T,  grad W += dL/da_t h_{t-1}^T,  grad b += dL/da_t

    Args:
        x: (N, T, D) inputs;  y: (N, T) targets per step, or (N,) with ``last_only``.
        U: (H, D);  W: (H, H), or (H,) for the diagonal self-feedback network (``W = diag(w)``);
        b: (H,);  V: (C, H);  c: (C,);  h0: (N, H) initial state (zeros when None).

    Returns:
        ``(L, grads, dL_dh)``: the loss, ``{"U", "W", "b", "V", "c"}`` gradients of the same
        shapes, and the list of ``dL/dh_t`` (N, H) for t = 1..T (the vanishing-gradient figure).
    """
    N, T, _ = x.shape
    diagonal = W.dim() == 1
    h_prev = torch.zeros(N, U.shape[0], dtype=x.dtype) if h0 is None else h0
    hs, ps = [h_prev], []
    # 1. forward: store h_t and y_hat_t
    for t in range(T):
        rec = h_prev * W if diagonal else h_prev @ W.T
        h_prev = torch.tanh(b + rec + x[:, t] @ U.T)  # (N, H)
        hs.append(h_prev)
        ps.append(torch.softmax(h_prev @ V.T + c, dim=1))  # (N, C)
    steps = [T - 1] if last_only else list(range(T))
    targets = {t: (y if last_only else y[:, t]) for t in steps}
    loss = -sum(torch.log(ps[t][torch.arange(N), targets[t]]).sum() for t in steps) / N
    # 2. backward through time
    g = {"U": torch.zeros_like(U), "W": torch.zeros_like(W), "b": torch.zeros_like(b),
         "V": torch.zeros_like(V), "c": torch.zeros_like(c)}
    da_next = torch.zeros(N, U.shape[0], dtype=x.dtype)
    dh_all: list[torch.Tensor] = [torch.empty(0)] * T
    for t in reversed(range(T)):
        h_t, h_before = hs[t + 1], hs[t]
        do = torch.zeros_like(ps[t])
        if t in targets:
            do = (ps[t] - F.one_hot(targets[t], ps[t].shape[1]).to(x.dtype)) / N  # (N, C)
        rec_back = da_next * W if diagonal else da_next @ W
        dh = do @ V + rec_back  # (N, H) dL/dh_t
        dh_all[t] = dh
        da = dh * (1 - h_t * h_t)  # (N, H) dL/da_t
        g["V"] += do.T @ h_t
        g["c"] += do.sum(0)
        g["U"] += da.T @ x[:, t]
        g["W"] += (da * h_before).sum(0) if diagonal else da.T @ h_before
        g["b"] += da.sum(0)
        da_next = da
    return loss, g, dh_all


class ElmanRNN(RecurrentNet):
    r"""Elman recurrent network, the lecture's Recurrent NN, trained by BPTT.

    Every layer ``l`` (``h^(0)_t = x_t``), and the output layer on the top one::

        a_t = b + W h_{t-1} + U x_t          (x_t: the layer's input at step t)
        h_t = f(a_t) = tanh(a_t)
        o_t = c + V h_t,     y_hat_t = softmax(o_t)
        L(x, y) = sum_t L(x, y_t) = -sum_t log y_hat_{t, y_t}

    ``recurrence="full"`` is the Elman network (every hidden unit feeds back to every one,
    ``W`` is H x H); ``"diagonal"`` is the lecture's diagonal self-feedback network (对角自反馈神经网络:
    "隐含层的神经元具有反馈连接，但隐含层神经元之间并不连接", the hidden units feed back, each only
    to itself, never to each other: ``W = diag(w)``, stored as the vector ``w``).

    Why it helps against vanishing gradients, and why it needs its own initialisation: the
    error reaching step ``k`` from step ``k + t`` is ``dL/dh_k ~ (f'(a) W)^t dL/dh_{k+t}`` (the
    lecture's ``(f'(s) W)^t``), which for the diagonal network is one product per unit,
    ``prod_t (1 - h_{i,t}^2) w_i``. It survives only if each factor stays "at a stable level,
    near 1" (the lecture on the LSTM's memory: "让其始终维持在一个稳定的水平（即1附近）").
    Drawn like a full ``W`` (uniform(+-1/sqrt(H)), |w_i| ~ 0.06 at H = 64) the factor is tiny
    and the gradient vanishes far faster than the full network's; so ``w_i`` starts at
    ``SELF_FEEDBACK_INIT = 1`` (each unit then carries its state forward, an identity memory,
    as the identity-initialised IRNN of Le, Jaitly & Hinton 2015 and the fixed self-connections
    near 1 of Mikolov et al.'s structurally constrained SCRN, 2015), and the factor is ``tanh'``
    alone. At initialisation, on 64 sequences of the adding problem of T = 30 (64 units, seed
    0), ``||dL/dh_k||`` 10 steps back is 6.3e-3 for the diagonal network against 1.1e-4 for
    the full one (2.8e-12 with ``w`` drawn uniform(+-1/sqrt(H)) as before);
    :func:`neuralzoo.report.figures_rnn.recurrence_gradient_norms` draws both curves. On digits
    read row by row (8 steps; 64 units, 20 epochs, Adam lr 3e-3, cosine, batch 32; seeds 0-2)
    the diagonal network's test accuracy rose from 0.72-0.76 to 0.78-0.79 with it, where the
    full network reaches 0.96-0.97: over 8 steps, the missing cross-connections cost more
    than the gradient gains.
    Tasks, inputs and carried state: :mod:`neuralzoo.models.recurrent`. The gradient is
    autograd's through the unrolled graph, which :func:`bptt` writes out by hand; the input
    projections ``b + U x_t`` of all steps are one matrix product before the loop.
    :meth:`to_torch` / :meth:`load_torch` map a full one to ``torch.nn.RNN`` (its two biases sum to ``b``).

    The data fixes ``n_features`` (D), ``n_outputs`` (C), ``task``, ``n_steps``, ``vocab``,
    ``n_tokens`` and ``baseline_loss`` (:class:`~neuralzoo.models.recurrent.base.RecurrentNet`,
    filled by its ``sizes_from_data``); the user chooses the rest.

    Args:
        hidden: hidden units H per layer.
        num_layers: stacked recurrent layers.
        recurrence: "full" (Elman) or "diagonal" (self-feedback only).
        dropout: dropout between layers and before the output layer.
        carry_state: carry the state across batches (truncated BPTT over a text read in order);
            None: exactly when the model reads a text (has a vocab); classify and regress: never.

    Attributes (per layer l, in ``ParameterList`` s):
        U[l] (H, D_l), W[l] (H, H), b[l] (H,): uniform(+-1/sqrt(H)), b = 0; diagonal: W[l] (H,)
        the self-connections w, all ``SELF_FEEDBACK_INIT`` (1).
        V (C, H): uniform(+-1/sqrt(H)),  c (C,): 0.

    Example:
        >>> import torch
        >>> net = ElmanRNN(n_features=8, n_outputs=10, hidden=16, n_steps=8)
        >>> net(torch.rand(4, 64)).shape   # four 8x8 images read row by row
        torch.Size([4, 10])

    Reference: Elman, "Finding structure in time", Cognitive Science 1990; Werbos, "Backpropagation
    through time", Proc. IEEE 1990; Goodfellow, Bengio & Courville, Deep Learning, ch. 10;
    Le, Jaitly & Hinton, "A simple way to initialize recurrent networks of rectified linear
    units", arXiv 2015; Mikolov et al., "Learning longer memory in recurrent neural
    networks", ICLR 2015 workshop.
    """

    registry_name = "rnn"
    # the tour's schedule (issue 23: batch 64, lr 2e-3, 10 epochs gave 0.925 on digits, the tour 0.958)
    train_defaults = {"epochs": 20, "batch_size": 32, "lr": 3e-3, "optimizer": "adam",
                      "lr_schedule": "cosine", "clip_norm": 5.0}

    def __init__(self, n_features: int = 1, n_outputs: int = 2, *, hidden: int = 64,
                 num_layers: int = 1, recurrence: str = "full", dropout: float = 0.0,
                 carry_state: bool | None = None, task: str = "classify", n_steps: int | None = None,
                 vocab: str | None = None, n_tokens: int | None = None,
                 baseline_loss: float | None = None) -> None:
        super().__init__()
        check_choice("recurrence", recurrence, RECURRENCES)
        self._setup(n_features, n_outputs, hidden, num_layers, task, n_steps, vocab,
                    n_tokens, dropout, carry_state, baseline_loss)
        self.recurrence = recurrence
        H = self.H
        self.U = nn.ParameterList(nn.Parameter(torch.empty(H, self.D if l == 0 else H)) for l in range(self.L))
        self.W = nn.ParameterList(nn.Parameter(torch.empty(H, H) if recurrence == "full" else torch.empty(H))
                                  for _ in range(self.L))
        self.b = nn.ParameterList(nn.Parameter(torch.empty(H)) for _ in range(self.L))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's RNN initialisation, uniform(+-1/sqrt(H)) weights, zero biases; the diagonal
        network's self-connections ``w_i = SELF_FEEDBACK_INIT`` (1, see the class docstring)."""
        bound = 1.0 / math.sqrt(self.H)
        for U, W, b in zip(self.U, self.W, self.b):
            nn.init.uniform_(U, -bound, bound)
            if self.recurrence == "diagonal":
                nn.init.constant_(W, SELF_FEEDBACK_INIT)
            else:
                nn.init.uniform_(W, -bound, bound)
            nn.init.zeros_(b)
        self._reset_output()

    def init_state(self, n: int) -> torch.Tensor:
        """``h_0 = 0``: (L, N, H)."""
        return torch.zeros(self.L, n, self.H, device=self.V.device, dtype=self.V.dtype)

    def _state_shapes(self, n: int) -> list[tuple[str, tuple[int, ...]]]:
        return [("h", (self.L, n, self.H))]

    def _layers(self, x: torch.Tensor, state: torch.Tensor | None, keep: list | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden states of the top layer (N, T, H) and the final state (L, N, H)."""
        N, T, _ = x.shape
        h0 = self.init_state(N) if state is None else state
        inp, finals = x, []
        for l in range(self.L):
            U, W, b = self.U[l], self.W[l], self.b[l]
            a_in = inp @ U.T + b  # (N, T, H): b + U x_t for all t in one product
            h, hs = h0[l], []
            for t in range(T):
                h = torch.tanh(a_in[:, t] + (h * W if self.recurrence == "diagonal" else h @ W.T))
                hs.append(h)
            if keep is not None and l == self.L - 1:
                keep.extend(hs)
            inp = torch.stack(hs, dim=1)  # (N, T, H)
            if self.dropout > 0 and self.training and l < self.L - 1:
                inp = F.dropout(inp, self.dropout)
            finals.append(h)
        return inp, torch.stack(finals)

    def hidden_states(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The top layer's ``h_t`` (N, H), t = 1..T, each a node of the unrolled graph."""
        keep: list[torch.Tensor] = []
        self._layers(self.encode(x), None, keep)
        return keep

    def bptt_gradients(self, X: Any, y: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The hand-written :func:`bptt` on this (one-layer) model's weights and a batch."""
        if self.L != 1:
            raise ValueError(f"bptt_gradients: expected a one-layer network, got num_layers={self.L}")
        if self.task == "regress":
            raise ValueError("bptt_gradients: expected a softmax output (classify or sequence), got 'regress'")
        X, y = self._fit_data(X, y)
        loss, g, _ = bptt(self.encode(X), y, self.U[0].detach(), self.W[0].detach(), self.b[0].detach(),
                          self.V.detach(), self.c.detach(), last_only=self.task == "classify")
        return loss, g

    def to_torch(self) -> nn.RNN:
        """A ``torch.nn.RNN`` (tanh, batch_first) with this network's weights: weight_ih = U,
        weight_hh = W, bias_ih = b, bias_hh = 0."""
        if self.recurrence != "full":
            raise ValueError("to_torch: torch.nn.RNN has full recurrent weights: expected "
                             f"recurrence 'full', got {self.recurrence!r}")
        rnn = nn.RNN(self.D, self.H, self.L, nonlinearity="tanh", batch_first=True)
        with torch.no_grad():
            for l in range(self.L):
                getattr(rnn, f"weight_ih_l{l}").copy_(self.U[l])
                getattr(rnn, f"weight_hh_l{l}").copy_(self.W[l])
                getattr(rnn, f"bias_ih_l{l}").copy_(self.b[l])
                getattr(rnn, f"bias_hh_l{l}").zero_()
        return rnn.to(self.V.device)

    def load_torch(self, rnn: nn.RNN) -> ElmanRNN:
        """Copy the weights of a ``torch.nn.RNN`` of the same size in (b = bias_ih + bias_hh)."""
        if (rnn.input_size, rnn.hidden_size, rnn.num_layers) != (self.D, self.H, self.L) \
                or self.recurrence != "full" or rnn.nonlinearity != "tanh":
            raise ValueError(f"load_torch: expected a tanh nn.RNN({self.D}, {self.H}, num_layers={self.L}) "
                             f"and a full recurrence, got nn.RNN({rnn.input_size}, {rnn.hidden_size}, "
                             f"num_layers={rnn.num_layers}, {rnn.nonlinearity})")
        with torch.no_grad():
            for l in range(self.L):
                self.U[l].copy_(getattr(rnn, f"weight_ih_l{l}"))
                self.W[l].copy_(getattr(rnn, f"weight_hh_l{l}"))
                self.b[l].copy_(getattr(rnn, f"bias_ih_l{l}") + getattr(rnn, f"bias_hh_l{l}"))
        return self

    def extra_repr(self) -> str:
        return f"recurrence={self.recurrence!r}, " + super().extra_repr()


