"""Numbered SQL scripts (NNN_name.sql), applied in order and recorded in PRAGMA user_version."""

from __future__ import annotations

import re
import sqlite3
from importlib import resources


def migration_scripts() -> list[tuple[int, str]]:
    scripts = []
    for entry in (resources.files("storage") / "sql").iterdir():
        match = re.fullmatch(r"(\d{3})_\w+\.sql", entry.name)
        if match:
            scripts.append((int(match[1]), entry.read_text(encoding="utf-8")))
    scripts.sort()
    numbers = [number for number, _ in scripts]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 001, 002, … without gaps: {numbers}")
    return scripts


def apply_migrations(conn: sqlite3.Connection) -> int:
    """Apply the scripts newer than the database; the caller holds the transaction."""
    row = conn.execute("PRAGMA user_version").fetchone()
    current = int(row[0]) if row else 0
    scripts = migration_scripts()
    if current > len(scripts):
        raise RuntimeError(
            f"database schema version {current} is newer than this code ({len(scripts)})"
        )
    for number, sql in scripts[current:]:
        for statement in _split_statements(sql):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {int(number)}")
    return len(scripts)


def _split_statements(sql: str) -> list[str]:
    # executescript would COMMIT our transaction, so statements run one by one. Comment
    # lines go first (they may hold semicolons); scripts keep ';' out of string literals.
    code = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [part.strip() for part in code.split(";") if part.strip()]
