"""Data-parallel training and evaluation over ``torch.distributed``, launched by ``torchrun``.

``torchrun --nproc_per_node=N -m neuralzoo train ...`` starts N processes with ``WORLD_SIZE``,
``RANK`` and ``LOCAL_RANK`` in their environment. :func:`context` reads them and joins the
process group once (``gloo`` on the CPU, ``nccl`` for CUDA tensors); without them (or with
``WORLD_SIZE=1``) it returns None and every caller runs exactly as in one process.

What a run over ``P`` ranks does (the trainer calls :func:`train_step` for its batch step):

1. **One order, one share each.** Every rank draws the same shuffled order from the shared
   seed (the trainer's shuffle generator) and takes a contiguous share of every global batch
   of ``B`` rows: rank ``r`` takes rows ``[r B // P, (r + 1) B // P)`` (:func:`share`), so when
   ``P`` does not divide ``B`` the shares differ by one row, and a batch smaller than ``P``
   (the last one of an epoch) leaves some ranks without rows: they add nothing.
2. **The update of the global batch.** With ``n_r`` rows on rank ``r`` and ``g_r`` the
   gradient of its loss (a mean over its rows, plus terms that do not depend on the batch),
   :func:`average_gradients` all-reduces ``sum_r n_r g_r`` and divides by ``B = sum_r n_r``::

       g = sum_r (n_r / B) g_r = grad (1/B) sum_{n in batch} l_n        (the one-process gradient)

   This is DDP's averaging made exact for unequal shares, done after ``loss.backward()`` on
   the parameters themselves, so it is the same for a loss through ``forward`` and for a
   surrogate loss that bypasses it (RBM CD/PCD/PT, DBM): their gradient is also a mean over
   the batch rows minus a mean over the chains. The loss is reduced in the same message
   (``sum_r n_r loss_r / B``), so the NaN guard, the progress and ``metrics.jsonl`` see the
   global batch, and every rank stops together. Learning rate and batch size therefore mean
   what they mean in one process. Not averaged: what a loss changes in place (BatchNorm
   running statistics, centering offsets): each rank keeps its own and rank 0's are saved.
3. **Randomness per rank.** Sampling inside a loss (Bernoulli states, dropout) draws from the
   global RNG seeded with :func:`rank_seed` ``(seed, rank)`` (rank 0 keeps ``seed``), so
   ranks draw independent streams while the batch order stays shared. Persistent chains
   (PCD, PT, DBM fantasy particles) are buffers of each rank's model: a run holds ``P x
   n_chains`` chains in all, each rank's negative phase averaging its own ``n_chains``.
4. **One writer.** Only rank 0 writes the run folder (:func:`is_writer`); decisions that
   read the folder are taken there and shared (:func:`on_writer`); a checkpoint gathers every
   rank's RNG state and buffers (:func:`gather_rank_states`), and ``--resume`` gives each rank
   back its own (:func:`restore_rank_state`): a resumed run equals an uninterrupted one when
   it has the same number of ranks (ranks beyond the saved ones keep their fresh stream and
   rank 0's buffers). Resuming reads the run folder on every rank: on several machines it
   must be on a shared file system.

Evaluation split over ranks (opt-in with ``distributed=True``, since every rank must call it):
AIS runs (:func:`neuralzoo.energy.ais.ais_log_partition`) and the exact RBM ``log Z``
(:func:`neuralzoo.energy.exact.rbm_log_partition`); :func:`gather_cat` and
:func:`logsumexp_all` combine them.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

T = TypeVar("T")
SEED_STRIDE = 1_000_003  # rank r samples with seed + r * SEED_STRIDE (a prime: no two ranks collide)


@dataclass(frozen=True)
class Context:
    """This process's place in the group: ``rank`` of ``world``, ``local_rank`` on its machine."""

    rank: int
    world: int
    local_rank: int


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}: expected an integer (set by torchrun), got {value!r}") from None


def context() -> Context | None:
    """The process group of this process, joined on first use; None when there is one process.

    Joins from ``torchrun``'s environment (``WORLD_SIZE > 1``, ``RANK``, ``LOCAL_RANK``,
    ``MASTER_ADDR``, ``MASTER_PORT``) with backend ``gloo`` (and ``nccl`` for CUDA tensors when
    CUDA is available, each local rank on its own GPU), or uses a group already initialised.
    """
    if not dist.is_available():
        return None
    if not dist.is_initialized():
        if _env_int("WORLD_SIZE", 1) <= 1:
            return None
        local_rank = _env_int("LOCAL_RANK", 0)
        backend = "gloo"
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank % torch.cuda.device_count())
            backend = "cpu:gloo,cuda:nccl"
        dist.init_process_group(backend=backend)
        atexit.register(_leave)
    world = dist.get_world_size()
    if world <= 1:
        return None
    return Context(dist.get_rank(), world, _env_int("LOCAL_RANK", dist.get_rank()))


def _leave() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def is_writer() -> bool:
    """True on the process that writes files: rank 0, or the only process."""
    ctx = context()
    return ctx is None or ctx.rank == 0


def local_device(device: str) -> str:
    """``"auto"``/``"cuda"`` under torchrun with CUDA: this rank's GPU ``cuda:LOCAL_RANK``."""
    ctx = context()
    if ctx is None or not torch.cuda.is_available() or device not in ("auto", "cuda"):
        return device
    return f"cuda:{ctx.local_rank % torch.cuda.device_count()}"


def rank_seed(seed: int, rank: int) -> int:
    """The seed of rank ``rank``'s sampling stream: ``seed`` for rank 0, then apart by a prime."""
    return (int(seed) + int(rank) * SEED_STRIDE) % (1 << 63)


def share(rows: torch.Tensor, ctx: Context) -> torch.Tensor:
    """This rank's contiguous share of a global batch: ``rows[r B // P : (r + 1) B // P]``.

    >>> [share(torch.arange(5), Context(r, 2, r)).tolist() for r in range(2)]
    [[0, 1], [2, 3, 4]]
    """
    B = len(rows)
    return rows[ctx.rank * B // ctx.world:(ctx.rank + 1) * B // ctx.world]


def count_share(n: int, ctx: Context | None) -> tuple[int, int]:
    """``(start, count)`` of this rank's part of ``n`` items split as :func:`share` splits."""
    if ctx is None:
        return 0, n
    start = ctx.rank * n // ctx.world
    return start, (ctx.rank + 1) * n // ctx.world - start


def broadcast_parameters(model: nn.Module, ctx: Context) -> None:
    """Give every rank rank 0's parameters (a model built without a seed still starts equal).

    Buffers are not sent: persistent chains are each rank's own."""
    with torch.no_grad():
        for p in model.parameters():
            dist.broadcast(p.data, src=0)


def average_gradients(params: list[torch.Tensor], loss: torch.Tensor | None, rows: int,
                      ctx: Context) -> torch.Tensor:
    """All-reduce ``sum_r n_r g_r / sum_r n_r`` into every ``p.grad``; return the global loss.

    ``loss`` is this rank's (detached) mean loss over its ``rows`` rows (None with no rows).
    One message carries the weighted gradients, ``n_r loss_r``, ``n_r`` and, per parameter,
    whether any rank has its gradient (one that none has stays ``None``, as in one process).
    Returns ``sum_r n_r loss_r / sum_r n_r`` as a float64 scalar on the parameters' device.
    """
    ref = params[0]
    parts = []
    for p in params:
        g = p.grad if p.grad is not None else torch.zeros_like(p)
        parts.append(g.reshape(-1).to(ref.dtype) * rows)
    value = loss.to(ref.dtype) * rows if loss is not None else torch.zeros((), dtype=ref.dtype,
                                                                           device=ref.device)
    head = torch.stack([value, torch.tensor(float(rows), dtype=ref.dtype, device=ref.device)])
    has = torch.tensor([p.grad is not None for p in params], dtype=ref.dtype, device=ref.device)
    flat = torch.cat([*parts, head, has])  # (sum of parameter sizes + 2 + len(params),)
    dist.all_reduce(flat)
    total = flat[-len(params) - 1]
    offset = 0
    for p, any_grad in zip(params, flat[-len(params):].tolist()):
        k = p.numel()
        if any_grad > 0:
            g = flat[offset:offset + k].view_as(p).div_(total)
            if p.grad is None:
                p.grad = g.to(p.dtype).clone()
            else:
                p.grad.copy_(g)
        offset += k
    return (flat[-len(params) - 2] / total).double()


def train_step(trainer: Any, b: int, batch: tuple[torch.Tensor, ...], ctx: Context) -> None:
    """:meth:`Trainer.train_step <neuralzoo.train.trainer.Trainer.train_step>` on this rank's
    share ``batch`` of global batch ``b``: local loss and gradient, the all-reduce, then the
    NaN guard on the global loss, clipping and the step, identical on every rank."""
    rows = len(batch[0])
    if rows:
        for hook in trainer.on_batch_begin:
            hook(trainer.state, batch)
    trainer.optimizer.zero_grad(set_to_none=True)
    loss = None
    if rows:  # a rank without rows (a last batch smaller than the group) adds nothing
        loss = trainer.model.loss(batch)
        loss.backward()
    params = [p for group in trainer.optimizer.param_groups for p in group["params"]]
    trainer.losses[b] = detached = average_gradients(
        params, None if loss is None else loss.detach(), rows, ctx)
    trainer._check_losses(b)
    cfg = trainer.cfg
    if cfg.clip_value is not None:
        torch.nn.utils.clip_grad_value_(trainer.model.parameters(), cfg.clip_value)
    if cfg.clip_norm is not None:
        torch.nn.utils.clip_grad_norm_(trainer.model.parameters(), cfg.clip_norm)
    trainer.optimizer.step()
    trainer.state.batch, trainer.state.step = b + 1, trainer.state.step + 1
    if rows:
        for hook in trainer.on_batch_end:
            hook(trainer.state, batch, detached)


def broadcast(obj: T, ctx: Context | None) -> T:
    """Rank 0's ``obj`` on every rank (pickled); ``obj`` itself in one process."""
    if ctx is None:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def on_writer(fn: Callable[[], T]) -> T | None:
    """Run ``fn`` on the writer only and share its outcome: if it raised there, every rank
    raises the same exception (so no rank waits forever on one that stopped); its return
    value comes back on rank 0, None elsewhere. In one process: ``fn()``."""
    ctx = context()
    if ctx is None:
        return fn()
    result, error = None, None
    if ctx.rank == 0:
        try:
            result = fn()
        except Exception as e:  # shared with the other ranks, then raised here as well
            error = e
    error = broadcast(error, ctx)
    if error is not None:
        raise error
    return result


def gather_rank_states(model: nn.Module, device: torch.device, ctx: Context) -> list[dict[str, Any]]:
    """Every rank's RNG states and buffers (its chains), in rank order, on every rank."""
    state: dict[str, Any] = {"torch_rng": torch.get_rng_state(),
                             "buffers": {k: v.detach().cpu() for k, v in model.named_buffers()}}
    if device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    states: list[Any] = [None] * ctx.world
    dist.all_gather_object(states, state)
    return states


def restore_rank_state(model: nn.Module, states: list[dict[str, Any]], device: torch.device,
                       ctx: Context) -> None:
    """Give this rank back its own RNG states and buffers from a checkpoint's ``ranks`` list."""
    if ctx.rank >= len(states):
        return  # a rank the checkpoint did not have: fresh stream, rank 0's buffers
    mine = states[ctx.rank]
    torch.set_rng_state(mine["torch_rng"])
    if device.type == "cuda" and "cuda_rng" in mine:
        torch.cuda.set_rng_state(mine["cuda_rng"], device)
    buffers = dict(model.named_buffers())
    with torch.no_grad():
        for name, value in mine["buffers"].items():
            if name in buffers:
                buffers[name].copy_(value)


def gather_cat(t: torch.Tensor, ctx: Context | None) -> torch.Tensor:
    """The rows of ``t`` from every rank, concatenated in rank order (shares may differ)."""
    if ctx is None:
        return t
    parts: list[Any] = [None] * ctx.world
    dist.all_gather_object(parts, t.detach().cpu())
    return torch.cat(parts).to(t.device)


def logsumexp_all(x: torch.Tensor, ctx: Context | None) -> torch.Tensor:
    """``log sum_r exp(x_r)`` of a scalar over the ranks (float64), ``x`` in one process."""
    if ctx is None:
        return x
    return torch.logsumexp(gather_cat(x.double().reshape(1), ctx), 0)


def generator_for_rank(generator: torch.Generator | None, ctx: Context | None,
                       device: torch.device) -> torch.Generator | None:
    """A generator for this rank's share of a sampling job: one seed drawn from ``generator``
    (the same on every rank), then :func:`rank_seed`; ``generator`` itself in one process."""
    if ctx is None:
        return generator
    seed = int(torch.randint(0, 1 << 62, (1,), generator=generator,
                             device=generator.device if generator is not None else "cpu"))
    return torch.Generator(device=device).manual_seed(rank_seed(seed, ctx.rank))
