"""The two orders every list follows: units in the order of the unit tree, people by given name.

Offices read lists the way their own documents are laid out: the Sở first, then each Phòng
followed by its schools, and within a unit people by given name (the last word of the full
name), then by the whole name, in Vietnamese alphabet order. Siblings in the tree keep the
order the office gave them in its roster file (the order units were first imported), which is
the official order of its own lists.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import TypeVar

from storage.db import Database
from storage.text import name_order_key

T = TypeVar("T")

__all__ = ["UnitOrder", "load_unit_order", "name_order_key", "read_unit_order", "sort_people"]


class UnitOrder:
    """Each unit's position in a depth-first walk of the tree (every unit, active or not)."""

    def __init__(self, parents: Iterable[tuple[int, int | None]]) -> None:
        pairs = list(parents)
        known = {unit_id for unit_id, _ in pairs}
        children: dict[int | None, list[int]] = {}
        for unit_id, parent_id in sorted(pairs):
            # A unit whose parent is unknown is a root (a tree cut by a partial roster).
            children.setdefault(parent_id if parent_id in known else None, []).append(unit_id)
        self._rank: dict[int, int] = {}
        stack = list(reversed(children.get(None, [])))
        while stack:
            unit_id = stack.pop()
            if unit_id in self._rank:
                continue  # a cycle cannot be imported, but never loop on one
            self._rank[unit_id] = len(self._rank)
            stack.extend(reversed(children.get(unit_id, [])))
        for unit_id in sorted(known - self._rank.keys()):  # only units inside a cycle
            self._rank[unit_id] = len(self._rank)

    def rank(self, unit_id: int) -> int:
        """Position in the tree; units the order does not know come last."""
        return self._rank.get(unit_id, len(self._rank) + unit_id)

    def sort(self, items: Iterable[T], unit_id: Callable[[T], int]) -> list[T]:
        return sorted(items, key=lambda item: self.rank(unit_id(item)))

    def sort_people(
        self, items: Iterable[T], unit_id: Callable[[T], int], full_name: Callable[[T], str]
    ) -> list[T]:
        """By unit in tree order, then by given name within the unit."""
        return sorted(
            items, key=lambda item: (self.rank(unit_id(item)), name_order_key(full_name(item)))
        )


def read_unit_order(conn: sqlite3.Connection) -> UnitOrder:
    """The tree order, inside a caller's one-hop read or transaction."""
    return UnitOrder((row[0], row[1]) for row in conn.execute("SELECT id, parent_id FROM units"))


async def load_unit_order(db: Database) -> UnitOrder:
    return await db.read(read_unit_order)


def sort_people(items: Iterable[T], full_name: Callable[[T], str]) -> list[T]:
    """People of one list by given name, then by whole name (Vietnamese alphabet)."""
    return sorted(items, key=lambda item: name_order_key(full_name(item)))
