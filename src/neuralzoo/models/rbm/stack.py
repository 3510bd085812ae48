"""Stacks of RBMs: what the DBN, the DBM and the deep autoencoder build on.

Greedy layer-wise pretraining (Hinton, Osindero & Teh 2006) trains RBM ``l`` on the codes
``p(h_{l-1} | below)`` of the RBMs under it, one stage ``rbm<l>`` each.
:func:`pretraining_stages` is the one pretrainer of the three models: it returns the stages
for :func:`~neuralzoo.train.stages.fit_stages`, and what differs between the models is a
parameter, not a copy of the loop:

- ``config``: one train config for every RBM (DBN, DBM) or one per RBM (the deep
  autoencoder's linear code RBM has its own learning rate and its RBMs their own seeds);
- ``seeding``: how each RBM's start is drawn: ``"layer"``, RBM ``l`` from ``seed + l``
  (:meth:`RBM.start_from_data`); ``"stream"``, every RBM in turn from one stream seeded once
  with ``seed`` (the deep autoencoder, as Hinton & Salakhutdinov's code); None, no new start
  (a warm start goes on from the current weights);
- ``up``: how the next RBM's data is computed: :func:`up_on_device` (the DBN),
  :func:`up_on_cpu` (the DBM) or :func:`up_in_chunks` (the deep autoencoder). They give the
  same numbers on a CPU; on an accelerator the arithmetic differs, so each model keeps its own;
- ``labels``: one-hot columns joined to the top RBM's data (the DBN's label units);
- ``epoch_metrics``: :class:`~neuralzoo.models.rbm.monitor.EpochMetrics` on every stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import torch

from ...config import TrainConfig
from ...train.stages import Stage
from ..base import model_device
from .bernoulli import RBM
from .monitor import EpochMetrics

SEEDINGS = ("layer", "stream")
M = TypeVar("M")


def check_chain(rbms: Sequence[RBM]) -> list[int]:
    """The sizes ``[D, H_1, ...]`` of a stack of RBMs; refuses layers that do not chain."""
    if not rbms:
        raise ValueError("expected at least one RBM to stack, got none")
    sizes = [rbms[0].n_visible]
    for i, r in enumerate(rbms):
        if r.n_visible != sizes[-1]:
            raise ValueError(f"layer sizes do not chain: RBM {i + 1} has {r.n_visible} visible units, "
                             f"expected {sizes[-1]} (the hidden units of RBM {i})")
        sizes.append(r.n_hidden)
    return sizes


def sized_by_stack(cls: type[M], rbms: Sequence[RBM], n_classes: int, options: dict[str, Any]) -> M:
    """``cls(D, n_classes, hidden=[H_1, ...], **options)``, the layer sizes those of a stack of RBMs
    (they must chain): the model a ``from_rbms`` copies the RBMs into; ``hidden`` is refused."""
    sizes = check_chain(rbms)
    if "hidden" in options:
        raise TypeError(f"from_rbms takes the layer sizes from the RBMs ({sizes}): expected no hidden, "
                        f"got hidden={options['hidden']!r}")
    return cls(sizes[0], n_classes, hidden=sizes[1:], **options)


def up_on_device(rbm: RBM, x: torch.Tensor) -> torch.Tensor:
    """``p(h | x)`` (N, H) computed where the RBM trained, returned on the CPU (the DBN)."""
    return rbm.transform(x).cpu()


def up_on_cpu(rbm: RBM, x: torch.Tensor) -> torch.Tensor:
    """The trained RBM moved to the CPU, then ``p(h | x)`` (N, H) there (the DBM)."""
    return rbm.cpu().transform(x)


def up_in_chunks(rbm: RBM, x: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """``p(h | x)`` (N, H) in chunks of ``chunk`` rows on the RBM's device, unchecked (the deep
    autoencoder: the codes of its linear top RBM are no probabilities), returned on the CPU."""
    with torch.no_grad():
        return torch.cat([rbm.p_h_given_v(c.to(model_device(rbm))).cpu() for c in x.split(chunk)])


class _Stream:
    """One random stream that the RBMs draw their starts from in turn: the global RNG seeded once
    with ``seed``, saved between draws (so that training in between, which forks the RNG, and the
    caller's RNG play no part)."""

    def __init__(self, seed: int) -> None:
        self.seed, self.state = int(seed), None

    def reset(self, module: torch.nn.Module) -> None:
        with torch.random.fork_rng(devices=[]):
            if self.state is None:
                torch.manual_seed(self.seed)
            else:
                torch.set_rng_state(self.state)
            module.reset_parameters()
            self.state = torch.get_rng_state()


def pretraining_stages(
    rbms: Sequence[RBM],
    config: TrainConfig | dict | Sequence[TrainConfig | dict],
    *,
    seed: int,
    seeding: str | None = "layer",
    up: Callable[[RBM, torch.Tensor], torch.Tensor] = up_on_device,
    labels: torch.Tensor | None = None,
    epoch_metrics: bool = True,
    callbacks: Sequence[Any] = (),
    first: int = 0,
    then: Callable[[], None] | None = None,
) -> list[Stage]:
    """The stages ``rbm<first+1> .. rbm<L>`` of greedy pretraining of the stack ``rbms``, for
    :func:`~neuralzoo.train.stages.fit_stages` on the data ``x`` (N, D) of the bottom RBM.

    Stage ``l`` (0-based):

    1. its data: ``up(rbms[l - 1], x_{l-1})``, the codes of the RBM below (for ``l = first``
       ``x`` is passed up through ``rbms[:first]``, which are not trained), with the one-hot
       ``labels`` (N, C) joined on for the top RBM;
    2. its start (``seeding``, see the module docstring): ``data_mean`` from the data, the
       parameters drawn, the visible biases the data's log-odds;
    3. training by :func:`~neuralzoo.train.fit` with ``config`` (or ``config[l]``), the
       callbacks ``[EpochMetrics(rbm, x_l)]`` (with ``epoch_metrics``) and ``callbacks``.

    ``then()`` runs once the top RBM is trained: the model built from the stack.
    """
    if seeding is not None and seeding not in SEEDINGS:
        raise ValueError(f"seeding: expected one of {SEEDINGS} or None, got {seeding!r}")
    L = len(rbms)
    if not 0 <= first < L:
        raise ValueError(f"first: expected an RBM index in [0, {L - 1}], got {first}")
    configs = list(config) if isinstance(config, (list, tuple)) else [config] * L
    if len(configs) != L:
        raise ValueError(f"expected one train config per RBM ({L}), got {len(configs)}")
    stream = _Stream(seed) if seeding == "stream" else None

    def make_input(l: int) -> Callable[[torch.Tensor], torch.Tensor]:
        def make(x: torch.Tensor) -> torch.Tensor:
            for below in range(0 if l == first else l - 1, l):
                x = up(rbms[below], x)  # (N, H_below)
            if l == L - 1 and labels is not None:
                x = torch.cat([x, labels.to(x)], 1)  # (N, H_{L-1} + C): the label units' data
            return x
        return make

    def start(l: int) -> Callable[[torch.Tensor], None] | None:
        rbm = rbms[l]
        if seeding == "layer":
            return lambda x: rbm.start_from_data(x, seed + l)
        if seeding == "stream":
            def draw(x: torch.Tensor) -> None:
                with torch.no_grad():
                    rbm.data_mean.copy_(x.mean(0).to(rbm.data_mean))
                stream.reset(rbm)
                rbm._init_visible_biases()
            return draw
        return None

    def stage_callbacks(l: int) -> Callable[[torch.Tensor], list[Any]]:
        rbm = rbms[l]
        return lambda x: [EpochMetrics(rbm, x), *callbacks] if epoch_metrics else list(callbacks)

    def done(l: int) -> Callable[[], None]:
        def end() -> None:
            rbms[l]._fitted = True
            if l == L - 1 and then is not None:
                then()
        return end

    return [Stage(f"rbm{l + 1}", rbms[l], configs[l], make_input=make_input(l), start=start(l), end=done(l),
                  callbacks=stage_callbacks(l))
            for l in range(first, L)]


__all__ = ["check_chain", "pretraining_stages", "sized_by_stack", "up_in_chunks", "up_on_cpu", "up_on_device"]
