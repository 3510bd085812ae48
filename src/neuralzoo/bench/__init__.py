"""Speed comparisons: ours against a baseline timed in the same process on the same data.

Each module defines ``NAME``, ``TITLE`` and ``run(quick: bool) -> list[dict]`` with rows
``{"name", "ours", "baseline", "ratio", "target", "met"}`` — times in seconds, the ratio
ours / baseline (below 1 is faster), the median of several alternated repeats, because
these machines are shared and noisy and only a ratio measured side by side means anything.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

from . import autoencoder, cnn, dbm, distributed, hopfield, mlp, rbm, rnn, sklearn

REGISTRY: dict[str, ModuleType] = {m.NAME: m for m in (mlp, hopfield, rbm, cnn)}
REGISTRY[rnn.NAME] = rnn
REGISTRY[autoencoder.NAME] = autoencoder
REGISTRY[dbm.NAME] = dbm
REGISTRY[sklearn.NAME] = sklearn
REGISTRY[distributed.NAME] = distributed


def run(name: str, quick: bool = False) -> dict[str, Any]:
    """Run benchmark ``name``; returns ``{"id", "quick", "seconds", "rows"}``."""
    if name not in REGISTRY:
        raise ValueError(f"unknown benchmark {name!r}: expected one of {', '.join(sorted(REGISTRY))}")
    t0 = time.perf_counter()
    rows = REGISTRY[name].run(quick=quick)
    return {"id": name, "quick": quick, "seconds": time.perf_counter() - t0, "rows": rows}
