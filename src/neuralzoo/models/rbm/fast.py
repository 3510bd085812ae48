"""The fused CD-k/PCD-k route of :meth:`RBM.loss <neuralzoo.models.rbm.RBM.loss>`.

Holds the Bernoulli sampler :func:`bernoulli`, the surrogate with its analytic gradient
(:class:`_CDSurrogate`) and :func:`fused_loss`, which computes the plain RBM's CD/PCD loss
from the sampling pass's own products (same samples, value and gradient as the autograd route).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from ...energy.sampling import bernoulli

if TYPE_CHECKING:
    from .bernoulli import RBM






class _CDSurrogate(torch.autograd.Function):
    r"""The CD surrogate and its gradient from the products the sampling pass already computed.

    Rows ``n`` of ``V`` are the data ``v_0`` (N of them) then the model samples ``v'`` (M),
    with weights ``c_n = -1/N`` (data) and ``+1/M`` (model). With ``x_n = a + v_n^T W`` and
    ``p_n = sigmoid(x_n)`` given, the surrogate of :meth:`RBM.loss` and its gradient are::

        loss = mean_n F(v_0n) - mean_m F(v'_m) = sum_n c_n (b^T v_n + sum_j softplus(x_nj))
        dW = sum_n c_n v_n p_n^T = V^T (c * P),   da = sum_n c_n p_n,   db = sum_n c_n v_n

    ``CP`` holds the rows ``c_n p_n`` (scaled once, in the forward pass), so ``dW`` is one GEMM
    of depth N+M and ``da`` its column sums: no autograd graph, no product recomputed.
    """

    @staticmethod
    def forward(ctx: Any, W: torch.Tensor, b: torch.Tensor, a: torch.Tensor, V: torch.Tensor,
                X: torch.Tensor, CP: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        dv = torch.mv(V.T, c)  # (D,) sum_n c_n v_n = mean v' - mean v_0: db, and the visible term
        ctx.save_for_backward(V, CP, dv)
        return c @ F.softplus(X).sum(1) + dv @ b

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        V, CP, dv = ctx.saved_tensors
        dW = db = da = None
        scale = g.device.type != "cpu" or float(g) != 1.0  # the trainer's g is 1 (free to read on the CPU)
        if ctx.needs_input_grad[0]:
            dW = torch.mm(V.T, CP)  # (D, H), one GEMM of depth N+M
            if scale:
                dW.mul_(g)
        if ctx.needs_input_grad[2]:
            da = CP.sum(0)  # (H,)
            if scale:
                da.mul_(g)
        if ctx.needs_input_grad[1]:
            db = dv * g
        return dW, db, da, None, None, None, None


def fused_loss(rbm: RBM, v0: torch.Tensor) -> torch.Tensor:
    """:meth:`RBM.loss` for CD-k/PCD-k of the plain RBM: the same samples (the same random
    numbers), value and gradient, from the sampling's own products: CD-1 costs five GEMMs
    (up, down, up, and one of twice the depth for ``dW``)."""
    W, b, a = rbm.W, rbm.b, rbm.a
    N, D = v0.shape
    cd = rbm.method == "cd"
    M = N if cd else rbm.n_chains
    with torch.no_grad():
        Wd, bd, ad = W.detach(), b.detach(), a.detach()
        V = v0.new_empty(N + M, D)  # (N+M, D): data rows, then model rows (contiguous, for dW)
        X = v0.new_empty(N + M, rbm.n_hidden)  # (N+M, H): a + v^T W
        CP = torch.empty_like(X)  # (N+M, H): p(h = 1 | v), then c_n p(h = 1 | v_n)
        V[:N] = v0
        vm, xm, pm = V[N:], X[N:], CP[N:]  # (M, D), (M, H), (M, H)
        # 1. data phase: x_0 = a + v_0^T W, p(h | v_0)
        torch.sigmoid(torch.addmm(ad, v0, Wd, out=X[:N]), out=CP[:N])
        # 2. model phase, as RBM._negative_samples: k Gibbs steps from h_0 ~ p(h | v_0) (CD) or
        #    from the chains (PCD); the last visible sample lands in V
        h, v = (bernoulli(CP[:N]), v0) if cd else (None, rbm.chains)
        for step in range(rbm.k):
            if h is None:
                h = bernoulli(torch.addmm(ad, v, Wd, out=xm).sigmoid_())
            v = bernoulli(torch.addmm(bd, h, Wd.T).sigmoid_(), out=vm if step == rbm.k - 1 else None)
            h = None
        if not cd:
            rbm.chains.copy_(vm)
        # 3. x' = a + v'^T W, p(h | v'); then the rows weighted by c (-1/N data, +1/M model)
        torch.sigmoid(torch.addmm(ad, vm, Wd, out=xm), out=pm)
        CP[:N].mul_(-1.0 / N)
        pm.mul_(1.0 / M)
        c = torch.cat([v0.new_full((N,), -1.0 / N), v0.new_full((M,), 1.0 / M)])  # (N+M,)
    # 4. the surrogate's value and analytic gradient (see _CDSurrogate)
    return _CDSurrogate.apply(W, b, a, V, X, CP, c)


__all__ = ["fused_loss"]
