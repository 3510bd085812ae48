"""The LSTM page's arithmetic: the lecture's equations run on a model's own weights, in float64
from ``h_0 = s_0 = 0`` (:mod:`.lstm` serves them).

:func:`lecture_weights` names a model's parameters as the lecture does (U, W, b of each gate,
V, c); :func:`lstm_steps` and :func:`rnn_steps` run the cells (6.9.6 and 6.9.5)::

    f_t = sigmoid(b_f + U_f x_t + W_f h_{t-1}),  i_t, o_t alike,  c_t = tanh(b + U x_t + W h_{t-1})
    s_t = f_t * s_{t-1} + i_t * c_t,   h_t = o_t * tanh(s_t);     Elman: h_t = tanh(b + W h_{t-1} + U x_t)

:func:`gate_trace` gives a text's gates and memory per character; :func:`state_gradients` the
norms of ``dL_T/dh_t`` (and ``dL_T/ds_t``) by distance ``T - t`` through autograd, and
:func:`decay_per_step` the geometric rate fitted to a stretch of such a curve.
"""

from __future__ import annotations

import math
from typing import Any


def lecture_weights(net, layer: int = 0) -> dict[str, Any]:
    """The weights of layer ``layer`` of ``net`` (0: the first, which reads ``x_t``) in the
    lecture's names, float64 copies: the LSTM's ``U_f, W_f, b_f, U_in, .., U, W, b`` (torch stacks
    its blocks as ``i, f, g, o``; the two biases of a gate sum to its ``b``), the RNN's ``U, W, b``
    (``W`` (H,) for the diagonal network); both ``V, c`` of the output layer (on the top layer)."""
    from .. import LSTM
    from ..models.recurrent.lstm import from_torch_weights

    if isinstance(net, LSTM) and net.impl == "fused":
        p = from_torch_weights(dict(net.lstm.named_parameters()), net.L)[layer]
    elif isinstance(net, LSTM):  # impl "reference": the lecture's cells hold the same names
        p = dict(net.cells[layer].named_parameters())
    else:
        p = {"U": net.U[layer], "W": net.W[layer], "b": net.b[layer]}
    return {k: v.detach().double() for k, v in {**p, "V": net.V, "c": net.c}.items()}


def lstm_steps(p: dict[str, Any], x, h, s) -> dict[str, list]:
    """The LSTM cell on ``x`` (N, T, D) from ``h_0, s_0`` (N, H): per step t = 1..T the gates
    ``f, i, o``, the candidate ``c``, the memory ``s`` and the output ``h``, each (N, H)."""
    import torch

    rows: dict[str, list] = {k: [] for k in "fiocsh"}
    for t in range(x.shape[1]):
        x_t = x[:, t]  # (N, D)
        f_t = torch.sigmoid(p["b_f"] + x_t @ p["U_f"].T + h @ p["W_f"].T)
        i_t = torch.sigmoid(p["b_in"] + x_t @ p["U_in"].T + h @ p["W_in"].T)
        o_t = torch.sigmoid(p["b_o"] + x_t @ p["U_o"].T + h @ p["W_o"].T)
        c_t = torch.tanh(p["b"] + x_t @ p["U"].T + h @ p["W"].T)
        s = f_t * s + i_t * c_t
        h = o_t * torch.tanh(s)
        for k, v in zip("fiocsh", (f_t, i_t, o_t, c_t, s, h)):
            rows[k].append(v)
    return rows


def rnn_steps(p: dict[str, Any], x, h) -> list:
    """The Elman RNN on ``x`` (N, T, D) from ``h_0`` (N, H): ``h_t`` (N, H), t = 1..T (the
    diagonal network's ``W = diag(w)``, stored as ``w`` (H,), feeds each unit back to itself)."""
    import torch

    hs = []
    for t in range(x.shape[1]):
        rec = h * p["W"] if p["W"].dim() == 1 else h @ p["W"].T
        h = torch.tanh(p["b"] + rec + x[:, t] @ p["U"].T)
        hs.append(h)
    return hs


def gate_trace(net, ids) -> dict[str, Any]:
    """The LSTM's ``f_t, i_t, o_t, c_t, s_t, h_t`` (each (T, H)) of its first layer reading the
    character ids ``ids`` (T,) from ``h_0 = s_0 = 0``, in float64 (a saturated sigmoid stays
    inside (0, 1))."""
    import torch

    p = lecture_weights(net)
    x = net.encode(ids[None]).double()  # (1, T, D) one-hot
    z = torch.zeros(1, net.H, dtype=torch.float64)
    with torch.no_grad():
        rows = lstm_steps(p, x, z, z)
    return {k: torch.cat(v) for k, v in rows.items()}  # T x (1, H) -> (T, H)


def state_gradients(net, ids) -> dict[str, Any]:
    """``dL_T/dh_t`` (and for the LSTM ``dL_T/ds_t``) of the top layer, each (N, T, H) for
    t = 1..T, of the windows ``ids`` (N, T + 1): each window read from the zero state,
    ``L_T = -log z_{T, y}`` the loss of its last step alone (y its last character). The total
    derivatives through the recurrence (and the layers below), by autograd: the loss is summed
    over the windows, which do not interact, so row n is window n's own gradient."""
    import torch
    import torch.nn.functional as F

    from .. import LSTM

    layers = [lecture_weights(net, l) for l in range(net.L)]
    x, y = net.encode(ids[:, :-1]).double(), ids[:, -1]  # (N, T, D), (N,)
    with torch.enable_grad():  # whatever the calling thread's grad mode
        # h_0 requires a gradient so that every h_t, s_t is a node of the graph
        h0 = torch.zeros(len(ids), net.H, dtype=torch.float64, requires_grad=True)
        inp = x
        for p in layers:  # layer l reads the outputs h_t of layer l - 1
            if isinstance(net, LSTM):
                rows = lstm_steps(p, inp, h0, torch.zeros_like(h0))
                nodes = {"h": rows["h"], "s": rows["s"]}
            else:
                nodes = {"h": rnn_steps(p, inp, h0)}
            inp = torch.stack(nodes["h"], dim=1)  # (N, T, H)
        o_T = nodes["h"][-1] @ layers[-1]["V"].T + layers[-1]["c"]  # (N, C)
        L_T = F.cross_entropy(o_T, y, reduction="sum")
        flat = [v for vs in nodes.values() for v in vs]
        grads = torch.autograd.grad(L_T, flat)
    T = x.shape[1]
    return {k: torch.stack(grads[j * T:(j + 1) * T], dim=1) for j, k in enumerate(nodes)}


def gradient_norms(net, ids) -> dict[str, list[float]]:
    """``||dL_T/dh_t||`` (and ``||dL_T/ds_t||``) averaged over the windows, by distance
    ``T - t = 0, 1, .., T - 1`` (:func:`state_gradients`)."""
    return {k: g.norm(dim=2).mean(0).flip(0).tolist() for k, g in state_gradients(net, ids).items()}


def decay_per_step(curve: list[float], first: int, last: int) -> float:
    """``exp`` of the least-squares slope of ``log curve[d]`` over the distances
    ``first..last``: the factor by which the curve shrinks per step there."""
    d = range(first, last + 1)
    y = [math.log(max(curve[k], 1e-300)) for k in d]
    dm, ym = sum(d) / len(d), sum(y) / len(y)
    return math.exp(sum((k - dm) * (v - ym) for k, v in zip(d, y))
                    / sum((k - dm) ** 2 for k in d))
