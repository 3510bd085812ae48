"""Published results, reproduced: one module per result (setup, published figure, our run).

Each module defines ``ID``, ``TITLE``, ``SOURCE`` and ``run(quick: bool) -> list[dict]``,
returning one row per published figure: ``{"name", "ours", "published", "target", "met"}``.
:func:`run` wraps the rows in the shape shared with ``neuralzoo bench``::

    {"id": ..., "quick": bool, "seconds": ..., "rows": [...]}
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

from . import (
    adding,
    autoencoder_2006,
    bm_encoder,
    cdbn,
    char_lm,
    class_rbm,
    dbm,
    dbn_class,
    dbn_theano,
    fashion_cnn,
    fashion_mlp,
    hopfield_capacity,
    hopfield_rules,
    lenet5,
    mnist_mlp,
    mnist_rbf,
    rbm_ais,
    rbm_exact,
    row_rnn,
    sda,
)

REGISTRY: dict[str, ModuleType] = {m.ID: m for m in (mnist_mlp, fashion_mlp, mnist_rbf, hopfield_capacity, hopfield_rules, bm_encoder, rbm_exact, rbm_ais, lenet5, fashion_cnn, autoencoder_2006, sda)}

REGISTRY.update({m.ID: m for m in (char_lm, row_rnn, adding)})

REGISTRY.update({m.ID: m for m in (dbn_class, dbn_theano, dbm)})

REGISTRY.update({m.ID: m for m in (class_rbm,)})

REGISTRY.update({m.ID: m for m in (cdbn,)})


def run(id_: str, quick: bool = False) -> dict[str, Any]:
    """Run reproduction ``id_``; returns ``{"id", "quick", "seconds", "source", "rows"}``."""
    if id_ not in REGISTRY:
        raise ValueError(f"unknown reproduction {id_!r}: expected one of {', '.join(sorted(REGISTRY))}")
    module = REGISTRY[id_]
    t0 = time.perf_counter()
    rows = module.run(quick=quick)
    return {"id": id_, "quick": quick, "seconds": time.perf_counter() - t0,
            "source": module.SOURCE, "rows": rows}
