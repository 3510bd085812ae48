"""The golden record of a refactor: what `tour`, every `reproduce ID --quick` and every
`bench ID --quick` print, gathered into one JSON file, and two such files compared.

Record (one thread, fixed seeds; ~25 minutes on 2 CPU cores), from the repo root:

    OMP_NUM_THREADS=1 NEURALZOO_DATA=../shared/data .venv/bin/python benchmarks/golden.py record OUT_DIR

runs the commands into OUT_DIR and writes OUT_DIR/golden.json. `gather OUT_DIR` rebuilds
golden.json from a folder the commands already wrote (`tour-run/<model>/summary.json`,
`rep-<id>.json`, `bench-<id>.json`). Compare:

    .venv/bin/python benchmarks/golden.py compare BEFORE.json AFTER.json

prints one line per figure that differs (accuracies and likelihoods: must be equal, to the
last digit where the arithmetic is unchanged) and, for the speed rows, both ratios and whether
each meets its target (ratios are noisy: they must stay within their targets, not equal).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TIMING = ("seconds", "train_seconds", "samples_per_s")  # not figures: wall-clock times


def run(cmd: list[str], out: Path, name: str) -> None:
    with open(out / f"{name}.json", "w") as stdout, open(out / f"{name}.err", "w") as stderr:
        subprocess.run(cmd, stdout=stdout, stderr=stderr, check=False)


def record(out: Path) -> None:
    """Run the tour, every quick reproduction and every quick bench into ``out``."""
    from neuralzoo import bench, reproduce

    out.mkdir(parents=True, exist_ok=True)
    nz = [sys.executable, "-m", "neuralzoo"]
    subprocess.run([*nz, "tour", "--data", "digits", "--out", str(out / "tour-run"), "--force"],
                   stdout=open(out / "tour.stdout", "w"), stderr=open(out / "tour.stderr", "w"), check=False)
    for id_ in sorted(reproduce.REGISTRY):
        run([*nz, "reproduce", id_, "--quick", "--json", "--out", str(out / f"rep-{id_}")], out, f"rep-{id_}")
    for name in sorted(bench.REGISTRY):
        run([*nz, "bench", name, "--quick", "--json"], out, f"bench-{name}")
    gather(out)


def gather(folder: Path) -> dict:
    """``{"tour": {model: metrics}, "reproduce": {id: rows}, "bench": {id: rows}}`` from ``folder``."""
    record: dict = {"tour": {}, "reproduce": {}, "bench": {}}
    for summary in sorted((folder / "tour-run").glob("*/summary.json")):
        data = json.loads(summary.read_text())
        record["tour"][summary.parent.name] = {k: v for k, v in data.items() if k not in TIMING}
    for kind, prefix in (("reproduce", "rep-"), ("bench", "bench-")):
        for path in sorted(folder.glob(f"{prefix}*.json")):
            text = path.read_text().strip()
            if not text:
                record[kind][path.stem[len(prefix):]] = {"error": (folder / f"{path.stem}.err").read_text()[-500:]}
                continue
            rows = json.loads(text.splitlines()[-1])["rows"]
            keep = ("ours", "published", "ratio", "target", "met") if kind == "bench" else ("ours", "published", "target", "met")
            record[kind][path.stem[len(prefix):]] = [{k: r.get(k) for k in keep if k in r} for r in rows]
    (folder / "golden.json").write_text(json.dumps(record, indent=1, sort_keys=True))
    return record


def compare(before: dict, after: dict) -> int:
    """Print every difference; return the number of figures that changed (speed rows excluded)."""
    changed = 0
    for kind in ("tour", "reproduce"):
        for key in sorted(set(before[kind]) | set(after[kind])):
            b, a = before[kind].get(key), after[kind].get(key)
            if b != a:
                changed += 1
                print(f"{kind} {key}: before {b}\n{' ' * len(kind)} {' ' * len(key)}  after  {a}")
    print(f"tour and reproduce: {len(before['tour'])} tour models, {len(before['reproduce'])} reproductions; "
          f"{changed} differ")
    for key in sorted(set(before["bench"]) | set(after["bench"])):
        for i, (b, a) in enumerate(zip(before["bench"].get(key, []), after["bench"].get(key, []))):
            print(f"bench {key} row {i}: ratio before {b.get('ratio')} (met {b.get('met')}), "
                  f"after {a.get('ratio')} (met {a.get('met')}), target {a.get('target')}")
    return changed


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cmd, *args = sys.argv[1:] or ["help"]
    if cmd == "record":
        record(Path(args[0]))
    elif cmd == "gather":
        gather(Path(args[0]))
    elif cmd == "compare":
        sys.exit(1 if compare(*(json.loads(Path(p).read_text()) for p in args)) else 0)
    else:
        print(__doc__)
