"""Annealed importance sampling (AIS) of an RBM's partition function (Salakhutdinov & Murray 2008).

AIS (Neal 2001) moves ``M`` independent runs from a model A whose ``Z_A`` is known to the
target RBM B through intermediate distributions ``p_k``, ``0 = beta_0 < ... < beta_K = 1``.
As in Salakhutdinov & Murray, ``p_k`` is the RBM whose *energy* is the mixture
``E_k = (1 - beta_k) E_A + beta_k E_B``; A is the **base-rate model** (``W = 0``, visible
biases ``b_A`` from the data marginals, hidden biases 0). Summing out the hidden units::

    log p*_k(v) = (1 - beta_k) b_A^T v + beta_k b^T v + sum_j softplus(beta_k (a_j + (v^T W)_j))
    Z_0 = Z_A = 2^H prod_i (1 + exp(b_A,i))                  (p*_0 factorises)

and ``p_k`` has tractable Gibbs transitions ``T_k``::

    p_k(h_j = 1 | v) = sigmoid(beta_k (a_j + (v^T W)_j))
    p_k(v_i = 1 | h) = sigmoid((1 - beta_k) b_A,i + beta_k (b_i + (W h)_i))

One run: ``v_0 ~ p_0`` exactly; for ``k = 1..K``: ``log w += log p*_k(v_{k-1}) - log p*_{k-1}(v_{k-1})``,
then ``v_k ~ T_k(. | v_{k-1})``. ``E[w] = Z_B / Z_A``, so::

    log Z_B_hat = log Z_A + log mean_m w_m                                (the estimate)
    [low, high] = log Z_A + log(mean w -/+ 3 std(w) / sqrt(M))          (the paper's "+-3 std")

computed stably relative to ``max_m log w_m``; ``low`` is ``-inf`` when ``mean w < 3 std/sqrt(M)``.
By Jensen's inequality ``E[log Z_B_hat] <= log Z_B``: forward AIS *underestimates* log Z on
average (a stochastic lower bound, hence an *overestimate* of log-likelihoods that is the
trap of too few betas).

The check from the other side is **reverse AIS** (bidirectional Monte Carlo, Grosse, Ancha &
Roy 2016): the same loop along the reversed schedule, started from samples of B, estimates
``Z_A / Z_B``, and ``log Z_A - log mean w_rev`` is a stochastic *upper* bound on ``log Z_B``
— when the start samples are exact. We start from long Gibbs chains (or the model's
persistent chains), so the bound is approximate: a large gap between the two means that the
schedule is too short or the chains did not mix.

Work per beta: one GEMM up (``v W``, which gives both log-weight terms and ``p(h|v)``) and
one GEMM down, the biases folded into both; the ``M`` runs are a batch. The random numbers
of 4 betas are drawn at once, in parallel streams. The elementwise softplus terms are
computed in the model's dtype; the log weights accumulate in float64.

>>> import torch
>>> W = torch.zeros(5, 3); b = torch.zeros(5); a = torch.zeros(3)
>>> r = ais_log_partition(W, b, a, betas=linear_schedule(10), n_runs=4, generator=torch.Generator().manual_seed(0))
>>> round(float(r.log_z), 4) == round(8 * 0.6931472, 4)   # W = 0: log Z = (5 + 3) log 2 exactly
True
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..train import distributed as _dist


def published_schedule(dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Salakhutdinov & Murray's 14,501 betas: 0..0.5 step 1e-3, 0.5..0.9 step 1e-4, 0.9..1 step 1e-5."""
    return torch.cat([torch.linspace(0.0, 0.5, 501, dtype=dtype)[:-1],
                      torch.linspace(0.5, 0.9, 4001, dtype=dtype)[:-1],
                      torch.linspace(0.9, 1.0, 10001, dtype=dtype)])


def linear_schedule(n: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``n`` betas evenly spaced from 0 to 1 (both included)."""
    if n < 2:
        raise ValueError(f"a schedule needs at least 2 betas (0 and 1), got {n}")
    return torch.linspace(0.0, 1.0, n, dtype=dtype)


def scaled_schedule(n: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """About ``n`` betas with the published shape (1/29 of them below 0.5, 8/29 in 0.5..0.9, the rest above)."""
    n1, n2 = max(2, round(n * 500 / 14500)), max(2, round(n * 4000 / 14500))
    n3 = max(2, n - n1 - n2 + 1)
    return torch.cat([torch.linspace(0.0, 0.5, n1 + 1, dtype=dtype)[:-1],
                      torch.linspace(0.5, 0.9, n2 + 1, dtype=dtype)[:-1],
                      torch.linspace(0.9, 1.0, n3, dtype=dtype)])


def check_schedule(betas: torch.Tensor) -> torch.Tensor:
    """A float64 (K+1,) schedule that starts at 0, ends at 1 and increases strictly; else ValueError."""
    betas = torch.as_tensor(betas, dtype=torch.float64).flatten().cpu()
    if len(betas) < 2 or float(betas[0]) != 0.0 or float(betas[-1]) != 1.0:
        raise ValueError(f"the beta schedule must run from 0 to 1: got {len(betas)} betas "
                         f"from {float(betas[0]) if len(betas) else 'none'} to "
                         f"{float(betas[-1]) if len(betas) else 'none'}")
    steps = betas[1:] - betas[:-1]
    if not bool((steps > 0).all()):
        k = int((steps <= 0).nonzero()[0])
        raise ValueError(f"the beta schedule must increase strictly: beta[{k + 1}] = {float(betas[k + 1]):g} "
                         f"<= beta[{k}] = {float(betas[k]):g}")
    return betas


@dataclass
class AISResult:
    """An AIS estimate of ``log Z`` (nats) with its +-3 std interval and the raw log weights."""

    log_z: float  # log Z_A + log mean w
    log_z_low: float  # log Z_A + log(mean w - 3 std(w)/sqrt(M))  (-inf when that is <= 0)
    log_z_high: float  # log Z_A + log(mean w + 3 std(w)/sqrt(M))
    log_z_base: float  # log Z_A of the base-rate model
    log_weights: torch.Tensor  # (M,) float64 log w of every run
    n_betas: int  # K + 1
    reverse_log_z: float | None = None  # reverse-AIS estimate (approximate upper bound), if run

    def as_dict(self) -> dict[str, float]:
        out = {"log_z": self.log_z, "log_z_low": self.log_z_low, "log_z_high": self.log_z_high,
               "log_z_base": self.log_z_base, "n_betas": self.n_betas, "n_runs": len(self.log_weights)}
        if self.reverse_log_z is not None:
            out["reverse_log_z"] = self.reverse_log_z
        return out


def base_rate_biases(X: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Visible biases ``b_A = log(p / (1 - p))`` of the data marginals ``p`` clipped to [eps, 1 - eps]."""
    p = X.double().mean(0).clamp(eps, 1 - eps)
    return torch.log(p) - torch.log1p(-p)


def interval(log_w: torch.Tensor, log_z_base: float) -> tuple[float, float, float]:
    """``(estimate, low, high)`` of ``log Z_A + log mean w`` and ``log(mean w -/+ 3 std(w)/sqrt(M))``."""
    log_w = log_w.double()
    M = len(log_w)
    top = float(log_w.max())
    r = torch.exp(log_w - top)  # w / max w, in (0, 1]
    mean = float(r.mean())
    spread = 3.0 * float(r.std()) / math.sqrt(M) if M > 1 else 0.0
    est = log_z_base + top + math.log(mean)
    low = log_z_base + top + math.log(mean - spread) if mean > spread else -math.inf
    return est, low, log_z_base + top + math.log(mean + spread)


class _Uniforms:
    """Uniform [0, 1) noise from ``STREAMS`` generators seeded by ``generator``, filled by up to
    as many threads (on the CPU one ``torch.rand`` is serial, and AIS needs M (D + H) numbers
    per beta). The numbers depend on the seed only, not on the thread count."""

    STREAMS = 8

    def __init__(self, generator: torch.Generator | None, device: torch.device) -> None:
        seeds = torch.randint(0, 2**62, (self.STREAMS,), generator=generator, device=generator.device
                              if generator is not None else "cpu").tolist()
        self.device = device
        self.gens = [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]
        n = min(self.STREAMS, torch.get_num_threads()) if device.type == "cpu" else 1
        self.pool = ThreadPoolExecutor(n) if n > 1 else None

    def __call__(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        out = torch.empty(shape, dtype=dtype, device=self.device)
        parts = out.view(-1).chunk(self.STREAMS)  # contiguous pieces, one per stream

        def fill(i: int) -> None:
            torch.rand(parts[i].shape, generator=self.gens[i], dtype=dtype, device=self.device, out=parts[i])

        if self.pool is None:
            for i in range(len(parts)):
                fill(i)
        else:
            list(self.pool.map(fill, range(len(parts))))
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def anneal_log_weights(W: torch.Tensor, b: torch.Tensor, a: torch.Tensor, b_base: torch.Tensor,
                       v: torch.Tensor, betas: torch.Tensor, generator: torch.Generator | None = None,
                       chunk: int = 4) -> torch.Tensor:
    """Run the AIS chains ``v`` (M, D) along ``betas`` (in the given order); the (M,) float64 log weights.

    Increasing betas from 0 with ``v ~ p_A`` is forward AIS; decreasing betas from 1 with
    ``v ~ p_B`` is reverse AIS. The last beta's transition is skipped (it would not change w).

    Per beta: two GEMMs and four elementwise passes. The biases ride in the GEMMs (a column
    of ones beside ``v`` and ``h``); a state ``s ~ Bernoulli(sigmoid(z))`` is drawn as
    ``s = [z > logit(u)]``, with the logistic noise ``logit(u)`` of ``chunk`` betas drawn at
    once, in parallel streams (:class:`_Uniforms`), and for the visibles shifted and scaled by
    the beta-only terms; sampling runs in the model's dtype, the log weights sum in float64.
    ``chunk = 4``: the noise of 4 betas (100 runs of a 784-500 RBM: 2 MB) stays in cache
    beside the weights, that of 32 (16 MB) did not (2-3% slower on one thread).
    """
    with torch.no_grad():
        D, H = W.shape
        M = len(v)
        dtype, device = W.dtype, W.device
        # 0. what does not depend on beta. Up: [v, 1] @ W_up = [a + v^T W, v^T (b - b_A)];
        #    down: [h, 1] @ W_down = W h + (b - b_A), and p_k(v | h) = sigmoid(b_A + beta_k (W h + b - b_A))
        db = (b - b_base).to(dtype)  # (D,)
        W_up = torch.zeros(D + 1, H + 1, dtype=dtype, device=device)  # (D+1, H+1)
        W_up[:D, :H], W_up[:D, H], W_up[D, :H] = W, db, a.to(dtype)
        W_down = torch.cat([W.T, db[None, :]], 0).contiguous()  # (H+1, D)
        b_base = b_base.to(dtype)
        betas = betas.to(torch.float64)
        K = len(betas) - 1
        pairs = torch.stack([betas[1:], betas[:-1]], 1).to(device=device, dtype=dtype)[:, :, None, None]  # (K, 2, 1, 1)
        steps = (betas[1:] - betas[:-1]).to(device)  # (K,) float64
        vv = torch.ones(M, D + 1, dtype=dtype, device=device)  # (M, D+1) [v, 1]
        vv[:, :D] = v
        hh = torch.ones(M, H + 1, dtype=dtype, device=device)  # (M, H+1) [h, 1]
        x = torch.empty(M, H + 1, dtype=dtype, device=device)  # [a + v^T W, v^T (b - b_A)]
        z = torch.empty(M, D, dtype=dtype, device=device)  # W h + b - b_A
        log_w = torch.zeros(M, dtype=torch.float64, device=device)
        uniforms = _Uniforms(generator, device)
        for k0 in range(1, K + 1, chunk):
            k1 = min(k0 + chunk, K + 1)  # this chunk: betas k0 .. k1 - 1
            c = k1 - k0
            # 1. the noise of the chunk: h_j = [beta x_j > logit(u)], v_i = [W h + b - b_A > (logit(u) - b_A) / beta]
            L_h = uniforms((c, M, H), dtype).logit_()
            L_v = uniforms((c, M, D), dtype).logit_()
            L_v.sub_(b_base).div_(pairs[k0 - 1:k1 - 1, 0])
            S = torch.empty(c, M, dtype=dtype, device=device)  # sum_j softplus(beta_k x_j) - softplus(beta_{k-1} x_j)
            XB = torch.empty(c, M, dtype=dtype, device=device)  # v^T (b - b_A)
            for j in range(c):
                k = k0 + j
                # 2. log w += log p*_k(v) - log p*_{k-1}(v): the beta-dependent terms, per beta in the
                #    model's dtype (a sum of small gaps), accumulated over the betas in float64
                torch.mm(vv, W_up, out=x)
                y = x[:, :H] * pairs[k - 1]  # (2, M, H): beta_k x, beta_{k-1} x
                sp = F.softplus(y)
                torch.sum(sp[0].sub_(sp[1]), 1, out=S[j])
                XB[j] = x[:, H]
                if k == K:
                    break
                # 3. v ~ T_k(. | v): h from p_k(h | v), then v from p_k(v | h)
                torch.gt(y[0], L_h[j], out=hh[:, :H])
                torch.gt(torch.mm(hh, W_down, out=z), L_v[j], out=vv[:, :D])
            log_w += S.double().sum(0) + (steps[k0 - 1:k1 - 1, None] * XB.double()).sum(0)
        uniforms.close()
        return log_w


def ais_log_partition(W: torch.Tensor, b: torch.Tensor, a: torch.Tensor, *,
                      b_base: torch.Tensor | None = None, betas: torch.Tensor | None = None,
                      n_runs: int = 100, reverse_from: torch.Tensor | None = None,
                      generator: torch.Generator | None = None, distributed: bool = False) -> AISResult:
    """AIS estimate of an RBM's ``log Z`` (``W`` (D, H), visible ``b`` (D,), hidden ``a`` (H,)).

    ``b_base``: visible biases of the base-rate model (:func:`base_rate_biases` of the
    training data; zeros, the uniform model, if None). ``betas``: the schedule (default
    :func:`published_schedule`, 14,501 betas). ``n_runs``: parallel runs ``M``.
    ``reverse_from``: samples of the model (M', D) to also run reverse AIS from.

    ``distributed=True`` under torchrun (every rank calls it, with the same arguments): rank
    ``r`` runs its contiguous share of the ``M`` runs (and of ``reverse_from``) from its own
    stream (:func:`~neuralzoo.train.distributed.generator_for_rank` of ``generator``), and the
    log weights of all ranks, gathered in rank order, make one estimate: the log-mean-exp of
    all ``M`` weights, as one process with the same runs. In one process it changes nothing.
    """
    D, H = W.shape
    if int(n_runs) < 1:
        raise ValueError(f"n_runs must be >= 1, got {n_runs}")
    betas = check_schedule(published_schedule() if betas is None else betas)
    W = W.detach()
    b_base = torch.zeros(D, dtype=W.dtype, device=W.device) if b_base is None else b_base.to(W.device, W.dtype)
    if b_base.shape != (D,):
        raise ValueError(f"b_base must have shape ({D},), got {tuple(b_base.shape)}")
    log_z_base = float(H * math.log(2.0) + F.softplus(b_base.double()).sum())
    ctx = _dist.context() if distributed else None
    if ctx is not None:  # this rank's share of the runs, from its own stream
        generator = _dist.generator_for_rank(generator, ctx, W.device)
        n_runs = _dist.count_share(int(n_runs), ctx)[1]
        if reverse_from is not None:
            start, count = _dist.count_share(len(reverse_from), ctx)
            reverse_from = reverse_from[start:start + count]
    # 1. exact samples of the base-rate model: independent visible units
    p0 = torch.sigmoid(b_base).expand(int(n_runs), D)
    u = torch.rand(p0.shape, generator=generator, dtype=W.dtype, device=W.device)
    v0 = (u < p0).to(W.dtype)
    # 2. anneal from beta = 0 to 1
    log_w = _dist.gather_cat(anneal_log_weights(W, b.detach(), a.detach(), b_base, v0, betas, generator), ctx)
    est, low, high = interval(log_w, log_z_base)
    result = AISResult(est, low, high, log_z_base, log_w, len(betas))
    # 3. the other side: reverse AIS from model samples estimates log(Z_A / Z_B)
    if reverse_from is not None:
        log_w_rev = anneal_log_weights(W, b.detach(), a.detach(), b_base, reverse_from.to(W.device),
                                       betas.flip(0), generator)
        log_w_rev = _dist.gather_cat(log_w_rev, ctx)
        m = float(torch.logsumexp(log_w_rev, 0)) - math.log(len(log_w_rev))
        result.reverse_log_z = log_z_base - m
    return result
