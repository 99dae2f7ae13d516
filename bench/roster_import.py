"""Time `python -m bot roster import` on a 20,000-person roster against the floor.

The floor is the least any importer must do: the same process start, the same CSV parsed,
the same rows inserted into a bare SQLite table with executemany. Both run as fresh processes,
so the ratio compares like with like. Run: python bench/roster_import.py [--people 20000]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = r"""
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[2])
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("CREATE TABLE roster (unit_code, unit_name, parent_code, full_name, role, phone)")
with open(sys.argv[1], encoding="utf-8-sig", newline="") as handle:
    rows = list(csv.reader(handle))[1:]
with conn:
    conn.executemany("INSERT INTO roster VALUES (?, ?, ?, ?, ?, ?)", rows)
conn.close()
"""
GIVEN = ["An", "Bình", "Chi", "Dũng", "Đức", "Hà", "Hương", "Lan", "Minh", "Nam", "Oanh", "Phúc"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Ngô", "Dương"]


def write_roster(path: Path, people: int) -> int:
    """A Sở, 10 Phòng, 400 schools; every school has a principal, the rest are teachers."""
    rows = [("SGD", "Sở GD&ĐT", "", "Văn Phòng Sở", "văn phòng", "0900000000")]
    schools = [(f"PGD{d:02d}", f"T{d:02d}{s:02d}") for d in range(10) for s in range(40)]
    rows += [(f"PGD{d:02d}", f"Phòng GD&ĐT số {d}", "SGD", "", "", "") for d in range(10)]
    for index in range(people - 1):
        district, school = schools[index % len(schools)]
        name = f"{FAMILY[index % 10]} Văn {GIVEN[(index // 10) % 12]} {index}"
        role = "hiệu trưởng" if index < len(schools) else "giáo viên"
        rows.append((school, f"Trường {school}", district, name, role, f"09{index + 1:08d}"))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("ma_don_vi", "ten_don_vi", "ma_don_vi_cap_tren", "ho_ten", "vai_tro",
                         "so_dien_thoai"))  # fmt: skip
        writer.writerows(rows)
    return sum(1 for row in rows if row[3])


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs each")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "roster.csv"
        count = write_roster(roster, args.people)
        env = {**os.environ, "PYTHONPATH": str(root)}
        floors, firsts, seconds = [], [], []
        for run in range(args.repeat):
            floor_db = Path(tmp) / f"floor{run}.sqlite3"
            floors.append(timed([sys.executable, "-c", FLOOR, str(roster), str(floor_db)], env))
            env["DATABASE_PATH"] = str(Path(tmp) / f"bot{run}.sqlite3")
            command = [sys.executable, "-m", "bot", "roster", "import", str(roster)]
            firsts.append(timed(command, env))
            seconds.append(timed(command, env))
        floor, first, second = min(floors), min(firsts), min(seconds)
        print(f"roster: {count:,} people, 411 units (best of {args.repeat})")
        print(f"floor (csv + executemany, bare table): {floor:.3f} s")
        print(f"roster import, first:                  {first:.3f} s  ratio {first / floor:.2f}")
        print(f"roster import, again (no change):      {second:.3f} s  ratio {second / floor:.2f}")
        print(f"second / first: {second / first:.2f}")


if __name__ == "__main__":
    main()
