"""How long `python -m bot sandbox` takes to a usable page, on a new data folder each time.

Timed from starting the process to the page answering with the roster (`/` and `/api/state`
with its people: a trainer can pick someone and talk), then to the demo in place (people
registered, the campaign launched and delivered: `ready`). Goal: a usable page in under 5 s.
Run: python bench/sandbox_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.sandbox_process import sandbox_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    usable, ready = [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            with sandbox_process(Path(folder) / "data") as sandbox:
                usable.append(sandbox.started_in)
                sandbox.wait_ready()
                ready.append(time.perf_counter() - started)
        print(f"run {run + 1}: usable page {usable[-1]:.2f} s, demo ready {ready[-1]:.2f} s")
    print(
        f"usable page: median {statistics.median(usable):.2f} s, worst {max(usable):.2f} s "
        f"(goal < 5 s); demo ready: median {statistics.median(ready):.2f} s, "
        f"worst {max(ready):.2f} s"
    )


if __name__ == "__main__":
    main()
