"""Fixtures of the reproduction tests: the digits in place of a reproduction's data set, and
smaller models where a reproduction fixes the paper's layer sizes.

The reproductions run here on a tiny budget (their ``quick`` setting on a few hundred digits,
with layers of a few dozen units), so their figures are far from the published ones: the
tests check the pipeline and its rows, not the result.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
import torch

from .helpers import digits_as


@pytest.fixture
def use_digits(monkeypatch) -> Callable[..., None]:
    """``use_digits(module, side=8, n_train=None, n_test=None, rows=None)``: ``module.datasets.load``
    (any data set name) returns the digits as :func:`digits_as` makes them; only ``module`` sees it."""

    def install(module: ModuleType, *, side: int = 8, n_train: int | None = None, n_test: int | None = None,
                rows: int | None = None) -> None:
        def load(name: str, split: str = "train", **options: Any) -> tuple[torch.Tensor, torch.Tensor]:
            n = n_train if split == "train" else n_test
            return digits_as(split, side=side, n=n, rows=rows if split == "train" else None, **options)

        monkeypatch.setattr(module, "datasets", SimpleNamespace(load=load))

    return install


@pytest.fixture
def smaller(monkeypatch) -> Callable[..., list]:
    """``smaller(module, "DBN", hidden=[32, 32, 64])`` or ``smaller(module, "RBM", 64, 12)``: the
    class ``module.<name>`` built with these leading positional arguments and these keyword
    arguments instead of the reproduction's (the paper's layer sizes); the other arguments pass
    through (none given: the model as the reproduction builds it). Returns the list of the
    models built, for the test to inspect."""

    def install(module: ModuleType, name: str, *args: Any, **overrides: Any) -> list:
        real, built = getattr(module, name), []

        def build(*given: Any, **options: Any) -> Any:
            model = real(*args, *given[len(args):], **{**options, **overrides})
            built.append(model)
            return model

        monkeypatch.setattr(module, name, build)
        return built

    return install
