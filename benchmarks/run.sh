#!/usr/bin/env bash
# The figures of benchmarks/RESULTS.md, each printed by one command. Run from the repo root
# after `make venv`, with the MNIST files reachable (NEURALZOO_DATA or the user cache) and
# Fashion-MNIST installed (apt-get install dataset-fashion-mnist). Full runs take hours on
# 2 CPU cores (use a GPU for rbm-ais, lenet5, fashion-cnn); pass --quick for a smoke run of a few minutes. Run nothing else meanwhile:
# the speed ratios are measured side by side, but a busy machine still adds noise.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${1:-}
mkdir -p benchmarks/out
nz=.venv/bin/neuralzoo
for b in mlp hopfield rbm cnn rnn autoencoder; do
  $nz bench $b $quick --json > benchmarks/out/bench-$b.json
done
# rbm-ais full needs a GPU (CD-25 on 784-500); everything else runs on 2 CPU cores
for r in mnist-mlp fashion-mlp mnist-rbf hopfield-rules hopfield-capacity bm-encoder \
         rbm-exact rbm-ais lenet5 fashion-cnn char-lm row-rnn adding autoencoder-2006 sda; do
  $nz reproduce $r $quick --json --out benchmarks/out > benchmarks/out/$r.stdout.json
done
/usr/bin/time -f "make demo: %e s wall" make demo > benchmarks/out/demo.log 2>&1 || true
tail -n 1 benchmarks/out/demo.log
