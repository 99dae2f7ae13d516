"""Field-level precision and recall of the plan reader over the seed plans, and its speed.

Each value the reader returns is a fact (tests/plan_expectations.py): precision is the share of
returned facts the plan states, recall the share of stated facts returned, per field and over
all fields, for each format (.txt, .docx built with python-docx, the shipped .pdf). The time is
that of `read_plan` on the file's bytes (the .docx built beforehand), the median of --runs runs
per plan, after one warm-up read that also imports python-docx and pypdf.

The expected values were written by reading the same plans the reader was developed on: the
figures say the reader does what the tests check on these plans, not how it fares on new ones.

Run: python bench/plan_reader.py [--runs 20] [--with-synthetic]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from formats.plan_reader import read_plan
from tests.plan_documents import plan_bytes
from tests.plan_expectations import EXPECTED, FIELDS, READ_ON, SEEDS, facts

FORMATS = ("txt", "docx", "pdf")


def ratio(part: int, whole: int) -> str:
    return f"{part / whole:6.1%}" if whole else "     –"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--with-synthetic", action="store_true", help="add header_dong_xoai")
    args = parser.parse_args()
    names = list(EXPECTED) if args.with_synthetic else list(SEEDS)
    print(f"plans: {', '.join(names)}\n")
    for kind in FORMATS:
        right: Counter[str] = Counter()
        returned: Counter[str] = Counter()
        stated: Counter[str] = Counter()
        times: list[float] = []
        for name in names:
            data = plan_bytes(name, kind)
            file_name = f"{name}.{kind}"
            reading = read_plan(data, file_name, READ_ON[name])  # warm-up
            got, expected = facts(reading), EXPECTED[name]
            for fact in got:
                returned[fact[0]] += 1
            for fact in expected:
                stated[fact[0]] += 1
            for fact in got & expected:
                right[fact[0]] += 1
            runs = []
            for _ in range(args.runs):
                start = time.perf_counter()
                read_plan(data, file_name, READ_ON[name])
                runs.append(time.perf_counter() - start)
            times.append(statistics.median(runs))
        print(
            f".{kind}: median read {statistics.median(times) * 1000:.1f} ms per plan "
            f"(slowest plan {max(times) * 1000:.1f} ms)"
        )
        print(
            f"  {'field':<22} {'stated':>6} {'returned':>8} {'right':>5} "
            f"{'precision':>9} {'recall':>7}"
        )
        for name in (*FIELDS, "all"):
            if name == "all":
                r, g, s = (sum(c.values()) for c in (right, returned, stated))
            else:
                r, g, s = right[name], returned[name], stated[name]
            print(f"  {name:<22} {s:>6} {g:>8} {r:>5} {ratio(r, g):>9} {ratio(r, s):>7}")
        print()


if __name__ == "__main__":
    main()
