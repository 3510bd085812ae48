"""Long short-term memory (LSTM): the recurrent network whose cells carry a gated memory.

The lecture's LSTM cell (6.9.6): the Elman unit's hidden layer becomes a layer of cells,
each with a memory ``s_t`` and three gates (forget, input, output) computed from the current
input and the previous output. :class:`LSTMCellRef` follows the lecture's matrix form line by
line with its names; :class:`LSTM` runs on PyTorch's fused ``torch.nn.LSTM`` kernel by
default, with an exact weight mapping between the two (:func:`to_torch_weights`,
:func:`from_torch_weights`) that the tests prove gives equal outputs and gradients.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ...config import check_choice
from .base import RecurrentNet

IMPLS = ("fused", "reference")
# nn.LSTM stacks its four row blocks as (input gate, forget gate, cell candidate, output gate)
TORCH_ORDER = ("in", "f", "", "o")  # suffix of U_*, W_*, b_* ("" is the candidate's U, W, b)


class LSTMCellRef(nn.Module):
    r"""One LSTM layer exactly as the lecture writes it (the reference; slow, one step at a time).

    Gates (forget, input, output), candidate memory, memory and output, at every step t::

        f_t = sigmoid(b_f  + U_f  x_t + W_f  h_{t-1})
        i_t = sigmoid(b_in + U_in x_t + W_in h_{t-1})
        o_t = sigmoid(b_o  + U_o  x_t + W_o  h_{t-1})
        c_t = tanh(b + U x_t + W h_{t-1})
        s_t = f_t * s_{t-1} + i_t * c_t
        h_t = o_t * tanh(s_t)

    Attributes: ``U_f, U_in, U_o, U`` (H, D); ``W_f, W_in, W_o, W`` (H, H); ``b_f, b_in, b_o, b`` (H,).
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        D, H = input_size, hidden_size
        for g in ("f", "in", "o", ""):
            sfx = f"_{g}" if g else ""
            setattr(self, f"U{sfx}", nn.Parameter(torch.empty(H, D)))
            setattr(self, f"W{sfx}", nn.Parameter(torch.empty(H, H)))
            setattr(self, f"b{sfx}", nn.Parameter(torch.zeros(H)))
        self.input_size, self.hidden_size = D, H

    def forward(self, x: torch.Tensor, h: torch.Tensor, s: torch.Tensor, keep: list | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """``x`` (N, T, D), ``h, s`` (N, H) -> outputs h_t (N, T, H) and the last ``(h_T, s_T)``."""
        hs = []
        for t in range(x.shape[1]):
            x_t = x[:, t]  # (N, D)
            f_t = torch.sigmoid(self.b_f + x_t @ self.U_f.T + h @ self.W_f.T)
            i_t = torch.sigmoid(self.b_in + x_t @ self.U_in.T + h @ self.W_in.T)
            o_t = torch.sigmoid(self.b_o + x_t @ self.U_o.T + h @ self.W_o.T)
            c_t = torch.tanh(self.b + x_t @ self.U.T + h @ self.W.T)
            s = f_t * s + i_t * c_t
            h = o_t * torch.tanh(s)
            hs.append(h)
        if keep is not None:
            keep.extend(hs)
        return torch.stack(hs, dim=1), (h, s)


def to_torch_weights(cells: list[LSTMCellRef]) -> dict[str, torch.Tensor]:
    """The state dict of a ``torch.nn.LSTM`` equal to the reference layers ``cells``:
    ``weight_ih = [U_in; U_f; U; U_o]``, ``weight_hh = [W_in; W_f; W; W_o]``,
    ``bias_ih = [b_in; b_f; b; b_o]``, ``bias_hh = 0``."""
    out = {}
    for l, cell in enumerate(cells):
        for torch_name, name in (("weight_ih", "U"), ("weight_hh", "W"), ("bias_ih", "b")):
            out[f"{torch_name}_l{l}"] = torch.cat(
                [getattr(cell, f"{name}_{g}" if g else name).detach() for g in TORCH_ORDER])
        out[f"bias_hh_l{l}"] = torch.zeros_like(out[f"bias_ih_l{l}"])
    return out


def from_torch_weights(state: dict[str, torch.Tensor], num_layers: int) -> list[dict[str, torch.Tensor]]:
    """The lecture's ``U_*, W_*, b_*`` of every layer from an ``nn.LSTM`` state dict; the two
    PyTorch biases of a gate sum to its ``b`` (they only ever appear added)."""
    layers = []
    for l in range(num_layers):
        Us = state[f"weight_ih_l{l}"].chunk(4)
        Ws = state[f"weight_hh_l{l}"].chunk(4)
        bs = (state[f"bias_ih_l{l}"] + state[f"bias_hh_l{l}"]).chunk(4)
        p = {}
        for g, U, W, b in zip(TORCH_ORDER, Us, Ws, bs):
            sfx = f"_{g}" if g else ""
            p[f"U{sfx}"], p[f"W{sfx}"], p[f"b{sfx}"] = U, W, b
        layers.append(p)
    return layers


class LSTM(RecurrentNet):
    r"""Long short-term memory network, the lecture's LSTM, on ``torch.nn.LSTM``.

    Each layer is a layer of cells (:class:`LSTMCellRef`: the gates ``f_t, i_t, o_t`` from
    ``U_f, W_f, b_f`` etc., the candidate ``c_t``, the memory ``s_t = f_t * s_{t-1} + i_t * c_t``,
    the output ``h_t = o_t * tanh(s_t)``), and on the top layer::

        z_t = softmax(V h_t + c)

    Why it learns long dependencies: in a plain RNN ``dL/ds_k ≈ (f'(s) W)^t dL/ds_{k+t}``
    shrinks (or grows) geometrically with the distance t; through the memory,
    ``ds_t/ds_{t-1} = f_t`` (plus terms through the gates), which a forget gate near 1 keeps
    near 1, so the error flows back across many steps. The forget biases start at
    ``forget_bias`` (1: Gers et al. 2000, Jozefowicz et al. 2015) so that the cells remember
    from the start.

    ``impl="fused"`` stores the weights in ``torch.nn.LSTM`` (``self.lstm``) and runs its
    kernel; ``impl="reference"`` runs :class:`LSTMCellRef` layers (``self.cells``) step by
    step; :meth:`to_impl` converts a model to the other with the same function. Dropout
    (probability ``dropout``) acts between layers and before the output layer. Tasks,
    inputs, carried state and sampling: :mod:`neuralzoo.models.recurrent`.

    The data fixes ``n_features`` (D), ``n_outputs`` (C), ``task``, ``n_steps``, ``vocab``,
    ``n_tokens`` and ``baseline_loss`` (:class:`~neuralzoo.models.recurrent.base.RecurrentNet`,
    filled by its ``sizes_from_data``); the user chooses the rest.

    Args:
        hidden: cells H per layer.
        num_layers: stacked LSTM layers.
        dropout: dropout between layers and before the output layer.
        forget_bias: initial forget-gate bias b_f.
        impl: "fused" (torch.nn.LSTM) or "reference" (the lecture's cell).
        carry_state: carry the state across batches (truncated BPTT over a text read in order);
            None: exactly when the model reads a text (has a vocab); classify and regress: never.

    Attributes:
        lstm (fused) or cells (reference): per layer ``U_*`` (H, D_l), ``W_*`` (H, H),
        ``b_*`` (H,); weights uniform(+-1/sqrt(H)), biases 0 except ``b_f = forget_bias``.
        V (C, H): uniform(+-1/sqrt(H)),  c (C,): 0.

    Example:
        >>> import torch
        >>> net = LSTM(n_features=2, n_outputs=1, hidden=8, task="regress")
        >>> net(torch.rand(3, 50, 2)).shape
        torch.Size([3, 1])

    Reference: Hochreiter & Schmidhuber, "Long short-term memory", Neural Computation 1997;
    Gers, Schmidhuber & Cummins 2000 (forget gate); Graves 2013; Karpathy's char-rnn (2015).
    """

    registry_name = "lstm"
    # the tour's schedule (issue 23: hidden 128, batch 64, lr 2e-3, 10 epochs gave 0.878 on digits,
    # the tour 0.972)
    train_defaults = {"epochs": 25, "batch_size": 32, "lr": 5e-3, "optimizer": "adam",
                      "lr_schedule": "cosine", "clip_norm": 5.0}

    def __init__(self, n_features: int = 1, n_outputs: int = 2, *, hidden: int = 64,
                 num_layers: int = 1, dropout: float = 0.0, forget_bias: float = 1.0,
                 impl: str = "fused", carry_state: bool | None = None, task: str = "classify",
                 n_steps: int | None = None, vocab: str | None = None, n_tokens: int | None = None,
                 baseline_loss: float | None = None) -> None:
        super().__init__()
        check_choice("impl", impl, IMPLS)
        self._setup(n_features, n_outputs, hidden, num_layers, task, n_steps, vocab,
                    n_tokens, dropout, carry_state, baseline_loss)
        self.impl, self.forget_bias = impl, float(forget_bias)
        if impl == "fused":
            self.lstm = nn.LSTM(self.D, self.H, self.L, batch_first=True,
                                dropout=self.dropout if self.L > 1 else 0.0)
        else:
            self.cells = nn.ModuleList(LSTMCellRef(self.D if l == 0 else self.H, self.H)
                                       for l in range(self.L))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """uniform(+-1/sqrt(H)) weights, zero biases, forget-gate biases ``forget_bias``."""
        bound = 1.0 / math.sqrt(self.H)
        H = self.H
        with torch.no_grad():
            if self.impl == "fused":
                for name, p in self.lstm.named_parameters():
                    if name.startswith("weight"):
                        nn.init.uniform_(p, -bound, bound)
                    else:
                        p.zero_()
                        if name.startswith("bias_ih"):
                            p[H:2 * H] = self.forget_bias  # rows of the forget gate
            else:
                for cell in self.cells:
                    for name, p in cell.named_parameters():
                        if name.startswith("b"):
                            p.fill_(self.forget_bias if name == "b_f" else 0.0)
                        else:
                            nn.init.uniform_(p, -bound, bound)
        self._reset_output()

    def init_state(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(h_0, s_0) = (0, 0)``, each (L, N, H)."""
        z = torch.zeros(self.L, n, self.H, device=self.V.device, dtype=self.V.dtype)
        return z, z.clone()

    def _state_shapes(self, n: int) -> list[tuple[str, tuple[int, ...]]]:
        return [("h", (self.L, n, self.H)), ("s", (self.L, n, self.H))]

    def _layers(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None,
                keep: list | None = None) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Outputs of the top layer (N, T, H) and the final ``(h, s)``, each (L, N, H)."""
        if self.impl == "fused" and keep is None:
            return self.lstm(x, state)
        cells = self.cells if self.impl == "reference" else self._reference_cells()
        h0, s0 = self.init_state(len(x)) if state is None else state
        inp, hs, ss = x, [], []
        for l, cell in enumerate(cells):
            inp, (h, s) = cell(inp, h0[l], s0[l], keep if l == self.L - 1 else None)
            if self.dropout > 0 and self.training and l < self.L - 1:
                inp = F.dropout(inp, self.dropout)
            hs.append(h)
            ss.append(s)
        return inp, (torch.stack(hs), torch.stack(ss))

    def _reference_cells(self) -> list[LSTMCellRef]:
        """Reference layers holding (copies of) the fused weights."""
        cells = []
        for l, p in enumerate(from_torch_weights(dict(self.lstm.named_parameters()), self.L)):
            cell = LSTMCellRef(self.D if l == 0 else self.H, self.H).to(self.V.device, self.V.dtype)
            with torch.no_grad():
                for k, v in p.items():
                    getattr(cell, k).copy_(v)
            cells.append(cell)
        return cells

    def hidden_states(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The top layer's ``h_t`` (N, H), t = 1..T, each a node of the unrolled graph
        (through the reference cell, so that ``dL/dh_k`` is the total derivative)."""
        keep: list[torch.Tensor] = []
        self._layers(self.encode(x), None, keep)
        return keep

    def to_impl(self, impl: str) -> LSTM:
        """A new LSTM computing the same function on the other implementation."""
        check_choice("impl", impl, IMPLS)
        other = LSTM(**{**self.get_params(), "impl": impl}).to(self.V.device, self.V.dtype)
        with torch.no_grad():
            other.V.copy_(self.V)
            other.c.copy_(self.c)
            if impl == self.impl:
                other.load_state_dict(self.state_dict())
            elif impl == "fused":
                other.lstm.load_state_dict(to_torch_weights(list(self.cells)))
            else:
                for cell, p in zip(other.cells, from_torch_weights(dict(self.lstm.named_parameters()), self.L)):
                    for k, v in p.items():
                        getattr(cell, k).copy_(v)
        other._fitted = getattr(self, "_fitted", False)
        return other

    def extra_repr(self) -> str:
        return f"impl={self.impl!r}, " + super().extra_repr()
