"""Shared tiny fixtures: the embedded digits data and the XOR problem.

Every test is small and seeded. Torch runs on one thread here: the models under test are
tiny, and on a busy two-core machine a second thread makes them many times slower (thread
hand-offs cost more than the work) without changing what is tested.
"""

from __future__ import annotations

import os

import pytest
import torch

from neuralzoo import datasets

torch.set_num_threads(1)


def pytest_addoption(parser) -> None:
    parser.addoption("--device", default=os.environ.get("NEURALZOO_TEST_DEVICE", "cpu"),
                     help="device of the tests that take the `device` fixture: cpu (default), cuda, "
                          "cuda:1 (or env NEURALZOO_TEST_DEVICE)")


@pytest.fixture
def device(request) -> torch.device:
    """The device chosen by ``--device`` (benchmarks/device_check.sh passes cuda); a CUDA device
    without CUDA skips the test."""
    dev = torch.device(request.config.getoption("--device"))
    if dev.type == "cuda" and not torch.cuda.is_available():
        pytest.skip(f"--device {dev}: no CUDA here")
    return dev


@pytest.fixture
def digits_train() -> tuple[torch.Tensor, torch.Tensor]:
    """digits train split: X float32 (1437, 64) in [0, 1], y int64 (1437,)."""
    return datasets.load("digits", "train")


@pytest.fixture
def digits_test() -> tuple[torch.Tensor, torch.Tensor]:
    """digits test split: X float32 (360, 64), y int64 (360,)."""
    return datasets.load("digits", "test")


@pytest.fixture
def xor() -> tuple[torch.Tensor, torch.Tensor]:
    """The four XOR patterns and their labels [0, 1, 1, 0]."""
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([0, 1, 1, 0])
    return X, y


@pytest.fixture
def run_cli(capsys):
    """``run_cli(*args) -> (exit code, stdout, stderr)`` of ``neuralzoo ARGS``, in-process."""
    from neuralzoo import cli

    def run(*args) -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return exc.value.code, out, err

    return run

