#!/usr/bin/env bash
# The checks of a lent GPU machine, in one run of under ten minutes (issue 22):
#   1. the test suite with the device fixture on cuda (tests/conftest.py: --device),
#   2. every `neuralzoo bench ID` (--quick, --json) on cuda (the benches pick "auto"),
#   3. `neuralzoo reproduce fashion-cnn` (--quick unless FULL=1).
# Outputs land in $OUT (default benchmarks/out/device): one .log/.json per step, and
# summary.txt with each step's exit code, seconds, the card and its fp32 GEMM rate (the
# reference of the RBM targets of issue 22). A failing step is recorded, not fatal.
# Usage: OUT=/some/dir benchmarks/device_check.sh [--dry-run]   (run from anywhere)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-benchmarks/out/device}
mkdir -p "$OUT"
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
export NEURALZOO_DATA=${NEURALZOO_DATA:-/work/shared/data}
export NEURALZOO_TEST_DEVICE=cuda
dry=${1:-}
summary="$OUT/summary.txt"
: > "$summary"

step() {  # step NAME SECONDS CMD...: run CMD with a time limit, log it, record rc and seconds
  local name=$1 limit=$2; shift 2
  if [ "$dry" = "--dry-run" ]; then echo "would run ($limit s): $*" | tee -a "$summary"; return 0; fi
  local t0=$SECONDS
  timeout "$limit" "$@" > "$OUT/$name.out" 2> "$OUT/$name.log"
  local rc=$?
  echo "$name rc=$rc seconds=$((SECONDS - t0))" | tee -a "$summary"
}

if [ "$dry" != "--dry-run" ]; then
  "$PY" - >> "$summary" 2>&1 <<'PYEOF'
import time, torch
ok = torch.cuda.is_available()
print("card:", torch.cuda.get_device_name(0) if ok else "no CUDA", "| torch", torch.__version__)
if ok:
    a = torch.randn(4096, 4096, device="cuda"); b = torch.randn(4096, 4096, device="cuda")
    for _ in range(3): a @ b
    torch.cuda.synchronize(); t0 = time.perf_counter(); n = 20
    for _ in range(n): a @ b
    torch.cuda.synchronize(); s = time.perf_counter() - t0
    print(f"fp32 GEMM 4096^3: {2 * 4096**3 * n / s / 1e12:.1f} TFLOP/s (TF32 {'on' if torch.backends.cuda.matmul.allow_tf32 else 'off'})")
PYEOF
fi

# 1. the suite, the device fixture on cuda (the 2-rank gloo tests stay on the CPU)
step tests 240 "$PY" -m pytest -q -x -p no:cacheprovider tests --device cuda
# 2. every bench on cuda, quick (not `distributed`: 2 gloo ranks against 2 CPU threads)
for b in $("$PY" -c "from neuralzoo.bench import REGISTRY; print(' '.join(k for k in REGISTRY if k != 'distributed'))"); do
  step "bench-$b" 30 "$PY" -m neuralzoo bench "$b" --quick --json
done
# 3. one reproduction on the GPU
quick=--quick; [ "${FULL:-0}" = 1 ] && quick=
step reproduce-fashion-cnn 100 "$PY" -m neuralzoo reproduce fashion-cnn $quick --json --out "$OUT/reproduce"
# caps: 240 + 8 x 30 + 100 = 580 s, plus the GEMM probe: under ten minutes
