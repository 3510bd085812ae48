"""The small models shipped inside the package, so that ``neuralzoo serve`` works offline on a
fresh install and answers its first request without training.

Each is one ``checkpoints/<name>.safetensors`` file (weights only: safetensors holds tensors and a
``str -> str`` metadata table, no code, so loading one runs nothing), written by
``benchmarks/train_playground.py`` from the page module's own training function. A page module
declares ``SHIPPED = {"name": train_fn}`` where ``train_fn() -> (module, metadata)`` trains the
model from scratch with fixed seeds on the embedded digits (or tiny-shakespeare), and builds its
model through :func:`model`: the shipped weights when the file is there, else ``train_fn`` (a
checkout without the files, or ``NEURALZOO_SERVE_TRAIN=1``), so nothing depends on the files
but the start-up time.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHECKPOINTS = Path(__file__).parent / "checkpoints"
MAX_BYTES = 600_000  # "a few hundred KB" each

_lock = threading.RLock()
_cache: dict[str, tuple[Any, dict[str, str]]] = {}


def path(name: str) -> Path:
    return CHECKPOINTS / f"{name}.safetensors"


def load(name: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The shipped state dict and metadata of ``name``, or None when it is not shipped (or
    ``NEURALZOO_SERVE_TRAIN=1`` asks to train instead)."""
    from safetensors import safe_open

    p = path(name)
    if os.environ.get("NEURALZOO_SERVE_TRAIN") == "1" or not p.is_file():
        return None
    with safe_open(str(p), framework="pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata() or {})


def save(name: str, module: Any, metadata: dict[str, str] | None = None) -> Path:
    """Write ``module``'s state dict (contiguous copies, shared tensors split) to
    ``checkpoints/<name>.safetensors`` atomically; refuse a file over :data:`MAX_BYTES`."""
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}
    CHECKPOINTS.mkdir(parents=True, exist_ok=True)
    p = path(name)
    tmp = p.with_name(f".{p.name}.tmp")
    save_file(state, str(tmp), metadata={k: str(v) for k, v in (metadata or {}).items()})
    size = tmp.stat().st_size
    if size > MAX_BYTES:
        tmp.unlink()
        raise ValueError(f"shipped model {name!r}: expected at most {MAX_BYTES} bytes, got {size}")
    os.chmod(tmp, 0o644)  # a package file, readable by every user (not the writer's 0600)
    os.replace(tmp, p)
    return p


def model(name: str, build: Callable[[dict[str, str]], Any],
          train: Callable[[], tuple[Any, dict[str, str]]]) -> tuple[Any, dict[str, str]]:
    """The page's model ``name`` and its metadata, made once per process: ``build(metadata)``
    loaded with the shipped weights (``strict``), else ``train()``; in eval mode either way.
    Training leaves the server's global RNG as it was."""
    with _lock:
        if name not in _cache:
            import torch

            shipped = load(name)
            if shipped is not None:
                state, meta = shipped
                net = build(meta)
                net.load_state_dict(state, strict=True)
            else:
                with torch.random.fork_rng():
                    net, meta = train()
            _cache[name] = (net.eval(), meta)
        return _cache[name]
