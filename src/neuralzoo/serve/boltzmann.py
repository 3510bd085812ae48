"""The Boltzmann machine page's computations (being built)."""

from __future__ import annotations

from typing import Any


def routes(runs: Any = None) -> list:
    """The page's API (see :mod:`._web`)."""
    return []
