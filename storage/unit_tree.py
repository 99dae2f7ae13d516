"""The unit tree as offices read it: active units in tree order, each with its depth."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from storage.db import Database
from storage.ordering import UnitOrder

# The unit and its ancestors.
_PATH_UP = """
    WITH RECURSIVE up(id, depth) AS (
        SELECT id, 0 FROM units WHERE id = ?
        UNION ALL
        SELECT u.parent_id, up.depth + 1 FROM units u JOIN up ON u.id = up.id
        WHERE u.parent_id IS NOT NULL AND up.depth < 50
    )
    SELECT id FROM up
"""


def read_path_up(conn: sqlite3.Connection, unit_id: int) -> set[int]:
    """The unit and every unit above it, inside a caller's read or transaction."""
    return {row[0] for row in conn.execute(_PATH_UP, (unit_id,))}


async def path_up(db: Database, unit_id: int) -> set[int]:
    """The unit and every unit above it (a school, its Phòng, the Sở)."""
    return await db.read(lambda conn: read_path_up(conn, unit_id))


@dataclass(frozen=True)
class UnitEntry:
    id: int
    code: str
    name: str
    depth: int  # 0 for a top unit, 1 for its children, …


def _read_tree(conn: sqlite3.Connection) -> list[UnitEntry]:
    rows = conn.execute("SELECT id, parent_id, code, name, active FROM units").fetchall()
    parent_of = {row[0]: row[1] for row in rows}

    def depth(unit_id: int) -> int:
        seen = {unit_id}
        level, parent = 0, parent_of.get(unit_id)
        while parent is not None and parent in parent_of and parent not in seen:
            seen.add(parent)
            level, parent = level + 1, parent_of[parent]
        return level

    order = UnitOrder((row[0], row[1]) for row in rows)  # the tree order, from this read
    active = [row for row in rows if row[4]]
    return [
        UnitEntry(row[0], row[2], row[3], depth(row[0]))
        for row in order.sort(active, lambda row: row[0])
    ]


async def unit_tree(db: Database) -> list[UnitEntry]:
    """Every active unit in unit-tree order (the Sở, then each Phòng followed by its schools)."""
    return await db.read(_read_tree)


async def unit_name(db: Database, unit_id: int | None) -> str | None:
    """The name of a unit (None for no unit or an unknown one)."""
    if unit_id is None:
        return None
    name = await db.fetchval("SELECT name FROM units WHERE id = ?", (unit_id,))
    return None if name is None else str(name)
