"""Train the small models that ``neuralzoo serve`` ships inside the package and write them to
``src/neuralzoo/serve/checkpoints/<name>.safetensors`` (weights only, each under 600 KB).

Each page module of the playground declares ``SHIPPED = {name: train_fn}``; ``train_fn()`` trains
its model from scratch with fixed seeds on the embedded digits (or tiny-shakespeare, where the
module says so) and returns ``(module, metadata)``. Without the files the server trains the same
models on first use, so this script only buys start-up time; rerun it when a page's model changes::

    NEURALZOO_DATA=../shared/data python benchmarks/train_playground.py [name ...]
"""

from __future__ import annotations

import argparse
import importlib
import os
import time


def main() -> None:
    os.environ["NEURALZOO_SERVE_TRAIN"] = "1"  # never start from an old shipped file
    from neuralzoo.serve import _shipped
    from neuralzoo.serve.app import PAGE_MODULES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these models (default: all)")
    args = parser.parse_args()
    found = {}
    for mod in PAGE_MODULES:
        for name, fn in getattr(importlib.import_module(f"neuralzoo.serve.{mod}"), "SHIPPED",
                                {}).items():
            found[name] = (mod, fn)
    unknown = sorted(set(args.names) - set(found))
    if unknown:
        raise SystemExit(f"expected model names among {', '.join(sorted(found))}, got "
                         f"{', '.join(unknown)}")
    for name, (mod, fn) in found.items():
        if args.names and name not in args.names:
            continue
        t0 = time.perf_counter()
        net, meta = fn()
        path = _shipped.save(name, net, meta)
        print(f"{name:14s} ({mod}): {path.stat().st_size / 1e3:7.1f} KB, "
              f"{time.perf_counter() - t0:6.1f} s -> {path}", flush=True)


if __name__ == "__main__":
    main()
