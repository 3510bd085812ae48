#!/usr/bin/env bash
# The figures of benchmarks/RESULTS.md, each printed by one command. Run from the repo root
# after `make venv`, with the MNIST files reachable (NEURALZOO_DATA or the user cache) and
# Fashion-MNIST installed (apt-get install dataset-fashion-mnist). Full runs take ~30 min on
# 2 CPU cores; pass --quick for a smoke run of a few minutes. Run nothing else meanwhile:
# the speed ratios are measured side by side, but a busy machine still adds noise.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${1:-}
mkdir -p benchmarks/out
nz=.venv/bin/neuralzoo
$nz bench mlp $quick --json > benchmarks/out/bench-mlp.json
$nz reproduce mnist-mlp $quick --json > benchmarks/out/mnist-mlp.json
$nz reproduce fashion-mlp $quick --json > benchmarks/out/fashion-mlp.json
/usr/bin/time -f "make demo: %e s wall" make demo > benchmarks/out/demo.log 2>&1 || true
tail -n 1 benchmarks/out/demo.log
