"""Runs every benchmark in bench/ as its own process and prints its figures.

`make bench` runs them in full; `make test` sets GLASSROOM_BENCH_SHORT=1 so each runs
its short smoke mode. A benchmark that fails makes the whole run fail. Modules whose
name starts with "_" hold what the benchmarks share and are not run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    scripts = sorted(p for p in here.glob("*.py")
                     if p.name != Path(__file__).name and not p.name.startswith("_"))
    only = set(sys.argv[1:])
    failed = []
    mode = "short" if os.environ.get("GLASSROOM_BENCH_SHORT") else "full"
    for script in scripts:
        if only and script.stem not in only:
            continue
        print(f"== bench/{script.name} ({mode})", flush=True)
        t0 = time.monotonic()
        rc = subprocess.call([sys.executable, str(script)])
        print(f"== bench/{script.name}: exit {rc} after {time.monotonic() - t0:.1f} s", flush=True)
        if rc != 0:
            failed.append(script.name)
    if failed:
        print("benchmarks failed: " + ", ".join(failed), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
