"""Figure functions registered by model class and found along the class's MRO, as methods are.

A family registers its figures once, on its class; a subclass inherits them, overrides them
by registering its own function, or adds to them by calling :meth:`ByClass.inherited` (the
``super()`` of a registration) inside its own. No figure is chosen by a model's registry name.

>>> import torch
>>> class Net(torch.nn.Module): ...
>>> class WideNet(Net): ...
>>> names = ByClass("names")
>>> @names.register(Net)
... def net_names(model):
...     return ["net"]
>>> names.lookup(WideNet) is net_names  # inherited
True
>>> @names.register(WideNet)
... def wide_names(model):
...     return names.inherited(WideNet, model)(model) + ["wide"]
>>> names.lookup(WideNet)(WideNet())
['net', 'wide']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class ByClass(Generic[F]):
    """Functions keyed by class; :meth:`lookup` returns the function of the first class of
    ``cls.__mro__`` that has one. ``what`` names the registry in error messages."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._fns: dict[type, F] = {}

    def register(self, *classes: type) -> Callable[[F], F]:
        """Decorator: register the function for each of ``classes`` (and so their subclasses);
        a class registered again gets the new function."""
        if not classes:
            raise TypeError(f"{self.what}: expected at least one class to register for, got none")
        for cls in classes:
            if not isinstance(cls, type):
                raise TypeError(f"{self.what}: expected a class to register for, got "
                                f"{type(cls).__name__} {cls!r}")

        def decorate(fn: F) -> F:
            for cls in classes:
                self._fns[cls] = fn
            return fn

        return decorate

    def lookup(self, cls: type) -> F | None:
        """The function of the nearest class of ``cls.__mro__`` that has one, else None."""
        return self._first(cls.__mro__)

    def inherited(self, cls: type, model: object) -> F | None:
        """What ``model`` would get if ``cls`` had no function of its own: the lookup along
        ``type(model).__mro__`` after ``cls`` (as ``super(cls, model)`` resolves methods)."""
        mro = type(model).__mro__
        if cls not in mro:
            raise TypeError(f"{self.what}: expected an instance of {cls.__name__}, got "
                            f"{type(model).__name__}")
        return self._first(mro[mro.index(cls) + 1:])

    def _first(self, classes: tuple[type, ...]) -> F | None:
        for c in classes:
            fn = self._fns.get(c)
            if fn is not None:
                return fn
        return None
