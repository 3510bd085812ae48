"""The checkpoints shipped inside the package: every page module's SHIPPED model has its file,
each file is small and holds tensors only, and benchmarks/train_playground.py knows them all."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

from neuralzoo.serve import _shipped
from neuralzoo.serve.app import PAGE_MODULES

ROOT = Path(__file__).resolve().parents[2]


def shipped_names() -> dict[str, str]:
    out = {}
    for mod in PAGE_MODULES:
        for name in getattr(importlib.import_module(f"neuralzoo.serve.{mod}"), "SHIPPED", {}):
            assert name not in out, f"{name} declared by {out.get(name)} and {mod}"
            out[name] = mod
    return out


def test_every_declared_model_is_shipped_small_and_weights_only():
    from safetensors import safe_open

    names = shipped_names()
    assert set(names) == {"lenet5", "rbm-digits", "dbn-digits", "vae-digits", "char-lstm",
                          "char-rnn"}
    files = {p.stem for p in _shipped.CHECKPOINTS.glob("*.safetensors")}
    assert files == set(names)  # no file without a declaration, none missing
    for name in names:
        p = _shipped.path(name)
        assert 0 < p.stat().st_size <= _shipped.MAX_BYTES, (name, p.stat().st_size)
        assert p.stat().st_mode & 0o044 == 0o044, f"{p} is not readable by every user"
        with safe_open(str(p), framework="pt") as f:  # a safetensors file: tensors and strings
            assert len(list(f.keys())) > 0


def test_the_training_script_refuses_an_unknown_name_in_one_line():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "train_playground.py"),
                           "no-such-model"], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1].startswith("expected model names among ")
    assert "no-such-model" in done.stderr and "Traceback" not in done.stderr
