"""Time and peak memory of reading a roster XLSX: a normal 20,000-person roster and each hostile
or careless file of issue 11.4 (tests/roster_files.py builds them).

Each read runs in a fresh process (so its peak RSS is its own), under a memory cap and a time
limit so that a reader that blows up is stopped rather than taking the machine down. Peak is
the process's peak resident memory minus what it held before the read (interpreter, imports).

    PYTHONPATH=. python bench/roster_read.py                 # the reader in this tree
    PYTHONPATH=. python bench/roster_read.py --before main   # and the reader of a git revision

`--before REV` copies that revision's reader (storage/roster_file.py or formats/roster_file.py)
into a temporary directory for the run; nothing of it is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import roster_files  # noqa: E402

CHILD = r"""
import importlib.util, json, sys, time
sys.setrecursionlimit(10000)
path, data_path, name = sys.argv[1], sys.argv[2], sys.argv[3]
spec = importlib.util.spec_from_file_location("reader_under_test", path)
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module  # dataclasses look their module up there
spec.loader.exec_module(module)
data = open(data_path, "rb").read()

def status_mb(key):  # VmHWM: the peak; ru_maxrss would count the parent's, forked
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0

base = status_mb("VmRSS:")
start = time.perf_counter()
try:
    table = module.read_roster(data, name)
    outcome = f"read {len(table.people):,} people"
except MemoryError:
    outcome = "MemoryError"
except Exception as exc:
    issues = getattr(exc, "issues", None)
    outcome = f"refused: {issues[0].code}" if issues else f"{type(exc).__name__}: {exc}"[:80]
elapsed = time.perf_counter() - start
peak = status_mb("VmHWM:")
print(json.dumps({"seconds": elapsed, "peak_mb": peak - base, "outcome": outcome}))
"""

FILES = {"normal_20000": lambda: roster_files.roster_xlsx(20_000), **roster_files.HOSTILE}


def old_reader(revision: str, target: Path) -> Path:
    for candidate in ("formats/roster_file.py", "storage/roster_file.py"):
        shown = subprocess.run(
            ["git", "show", f"{revision}:{candidate}"], cwd=ROOT, capture_output=True
        )
        if shown.returncode == 0:
            target.write_bytes(shown.stdout)
            return target
    sys.exit(f"no roster reader at {revision}")


def measure(reader: Path, data: Path, limit_mb: int, timeout: float) -> dict[str, object]:
    cap = limit_mb * 1024 * 1024
    command = [sys.executable, "-c", CHILD, str(reader), str(data), "roster.xlsx"]

    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, preexec_fn=limit, env=env
        )
    except subprocess.TimeoutExpired:
        return {"seconds": timeout, "peak_mb": None, "outcome": f"stopped after {timeout:.0f} s"}
    if done.returncode != 0 or not done.stdout.strip():
        tail = (done.stderr.strip().splitlines() or ["?"])[-1][:80]
        return {"seconds": time.perf_counter() - start, "peak_mb": None, "outcome": tail}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", metavar="REV", help="also measure the reader of REV")
    parser.add_argument("--memory-cap", type=int, default=4096, help="MB of address space")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per read")
    parser.add_argument("--only", nargs="*", help="file names to measure", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        readers = {"after": ROOT / "formats" / "roster_file.py"}
        if args.before:
            readers = {"before": old_reader(args.before, Path(tmp) / "old_reader.py"), **readers}
        print(f"{'file':<22}{'size':>9}  " + "".join(f"{name:<52}" for name in readers))
        for name, make in FILES.items():
            if args.only and name not in args.only:
                continue
            data = make()
            path = Path(tmp) / f"{name}.xlsx"
            path.write_bytes(data)
            cells = []
            for reader in readers.values():
                result = measure(reader, path, args.memory_cap, args.timeout)
                peak = result["peak_mb"]
                shown = f"{peak:7.0f} MB" if isinstance(peak, int | float) else "      ? MB"
                seconds = float(str(result["seconds"]))
                cells.append(f"{seconds:7.2f} s {shown}  {result['outcome']}"[:50].ljust(52))
            size = f"{len(data) / 1e6:.2f} MB"
            print(f"{name:<22}{size:>9}  " + "".join(cells), flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
