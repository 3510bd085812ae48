"""Time from ``neuralzoo serve`` starting to its first page answered (the playground issue's
target: under 3 s on the CI-class machine), beside the time a bare ``python -c "import torch"``
takes on the same machine in the same minutes (what the server cannot go below: its models
need torch). Median of ``--repeats`` alternated runs::

    python benchmarks/serve_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
import urllib.request


def first_page_seconds() -> float:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "neuralzoo", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    r.read()
                return time.perf_counter() - t0
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit("neuralzoo serve exited before answering") from None
                time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait()


def import_torch_seconds() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    n = ap.parse_args().repeats
    serve, torch_ = [], []
    for _ in range(n):
        serve.append(first_page_seconds())
        torch_.append(import_torch_seconds())
    s, t = statistics.median(serve), statistics.median(torch_)
    print(f"neuralzoo serve, start to first page: median {s:.2f} s of {n} (min {min(serve):.2f}, "
          f"max {max(serve):.2f}); python -c 'import torch': median {t:.2f} s; "
          f"target < 3 s: {'met' if s < 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
