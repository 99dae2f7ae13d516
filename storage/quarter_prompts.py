"""What the quarter-end nomination prompts read and record (bot/quarter_prompts.py sends them).

Two kinds of `sent_once` records, taken in the transaction that queues the messages
(storage/schedule.py):
- `PROMPTED`: a principal was prompted (ref: the unit, subject 'person:12', slot
  '2026-Q4:10d'); the message's own identity, so it goes once per principal and slot.
- `HANDLED`: a unit's slot was dealt with, whatever came of it (ref and subject the unit, the
  same slot; data: prompted, nominated, missed, nobody), so the schedule does not wake for it
  again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from storage.absences import absent_on
from storage.db import Database
from storage.quarters import Quarter

PROMPTED = "quarter_prompt"
HANDLED = "quarter_prompt_unit"


def slot_name(quarter: Quarter, days: int) -> str:
    """'2026-Q4:10d': the prompt `days` days before the quarter's last day."""
    return f"{quarter.year}-Q{quarter.number}:{days}d"


@dataclass(frozen=True)
class PromptState:
    """The units that may be prompted (active, with an active principal), those of them that
    have a nomination in each quarter asked about (a withdrawn one does not count), the slots
    already handled, and who is absent today."""

    units: frozenset[int]
    nominated: dict[Quarter, frozenset[int]]
    handled: frozenset[tuple[int, str]]  # (unit, slot)
    absent: frozenset[int]

    def waiting(self, quarter: Quarter) -> frozenset[int]:
        """The units with no nomination in the quarter."""
        return self.units - self.nominated.get(quarter, frozenset())


def read_prompt_state(
    conn: sqlite3.Connection, quarters: Sequence[Quarter], slots: Sequence[str], today: date
) -> PromptState:
    units = frozenset(
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT u.id FROM units u JOIN people p ON p.unit_id = u.id"
            " WHERE u.active = 1 AND p.active = 1 AND p.role = 'principal'"
        )
    )
    nominated = {
        quarter: frozenset(
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT unit_id FROM nominations WHERE year = ? AND quarter = ?"
                " AND status != 'withdrawn'",
                (quarter.year, quarter.number),
            )
        )
        for quarter in quarters
    }
    handled: set[tuple[int, str]] = set()
    for slot in slots:
        handled.update(
            (row[0], slot)
            for row in conn.execute(
                "SELECT ref FROM sent_once WHERE kind = ? AND slot = ?", (HANDLED, slot)
            )
        )
    return PromptState(units, nominated, frozenset(handled), frozenset(absent_on(conn, [today])))


async def load_prompt_state(
    db: Database, quarters: Sequence[Quarter], slots: Sequence[str], today: date
) -> PromptState:
    return await db.read(lambda conn: read_prompt_state(conn, quarters, slots, today))
