"""The options every ``fit`` takes, declared once, and how a family's own ``fit`` receives them.

:meth:`~neuralzoo.models.base.Trainable.fit`'s signature is the one declaration of the options of
the calling convention (``epochs, batch_size, lr, optimizer, seed, device, progress, out, resume,
overwrite, warm_start, callbacks, val_data, run_info, **train_options``). A family that trains in
its own way (the greedy stacks, the RBF network's closed form) does not repeat it: its ``fit`` is
decorated by :func:`takes_fit_options`, receives the options as one :class:`FitOptions` and
declares only its own (``pretrain_epochs``, ``finetune_epochs``); users still call it, and
``help`` still shows it, with every option by name.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from ..config import TrainConfig
from .base import Trainable

FIT_OPTIONS: dict[str, inspect.Parameter] = {
    name: p for name, p in inspect.signature(Trainable.fit).parameters.items() if p.kind is p.KEYWORD_ONLY}
"""The options every ``fit`` takes, by name: :meth:`Trainable.fit`'s signature is their one declaration."""


class FitOptions:
    """The options of :meth:`Trainable.fit` as a family's own ``fit`` receives them
    (:func:`takes_fit_options`): each under its name (``opts.seed``, ``opts.out``, ...), as given
    or its default; ``train`` holds the train options among them (``epochs``, ``batch_size``,
    ``lr``, ``optimizer``, ``seed``, ``device``, ``progress``; None: the model's default) and the
    further :class:`TrainConfig` fields given (``momentum=0.9``, ...)."""

    train: dict[str, Any]

    def __init__(self, given: dict[str, Any]) -> None:
        values = {name: p.default for name, p in FIT_OPTIONS.items()}
        values.update(given)
        self.__dict__.update({k: v for k, v in values.items() if k in FIT_OPTIONS})
        fields = TrainConfig.__dataclass_fields__
        self.train = {k: v for k, v in values.items() if k in fields or k not in FIT_OPTIONS}

    def config(self, model: Trainable, **override: Any) -> TrainConfig:
        """The resolved :class:`TrainConfig` of ``model``: its defaults, then ``train``, then ``override``."""
        return model.train_config(**{**self.train, **override})


def takes_fit_options(fit: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: a family's own ``fit`` that receives the options of :meth:`Trainable.fit` (their
    one declaration) as one :class:`FitOptions` argument after the data, and declares only its
    own options, keyword-only::

        @takes_fit_options
        def fit(self, X, y, opts: FitOptions, *, pretrain_epochs: int | None = None) -> Model:

    Callers pass every option by name, as to any fit (``fit(X, y, epochs=5, out=run,
    pretrain_epochs=2, momentum=0.9)``); ``help`` and ``inspect.signature`` list
    :meth:`Trainable.fit`'s options, then the family's own, then ``**options`` (further
    :class:`TrainConfig` fields, refused by name if unknown)."""
    sig = inspect.signature(fit)
    own = [p for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY]
    if clash := [p.name for p in own if p.name in FIT_OPTIONS]:
        raise TypeError(f"{fit.__qualname__} declares {clash} again: expected only options of its own "
                        "(the shared ones come in its FitOptions argument)")

    @functools.wraps(fit)
    def wrapper(self: Any, X: Any, y: Any = None, **options: Any) -> Any:
        mine = {p.name: options.pop(p.name) for p in own if p.name in options}
        return fit(self, X, y, FitOptions(options), **mine)

    *head, rest = inspect.signature(Trainable.fit).parameters.values()  # self, X, y, the options; **options
    wrapper.__signature__ = sig.replace(parameters=[*head, *own, rest])
    return wrapper


__all__ = ["FIT_OPTIONS", "FitOptions", "takes_fit_options"]
