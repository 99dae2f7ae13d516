"""A roster as a file gives it, checked row by row: what `storage.roster` imports.

`formats.roster_file` reads a CSV or XLSX file into a `RosterTable`; the importer compares it
with the database. Problems found by either are `RosterIssue`s, raised together in a
`RosterFileError`, each a code plus values that `messages` words (template `roster_issue`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RosterIssue:
    """One problem: `code` names it, `line` is the row as the spreadsheet numbers it."""

    code: str
    line: int | None = None
    values: Mapping[str, Any] = field(default_factory=dict)


class RosterFileError(Exception):
    def __init__(self, issues: list[RosterIssue]) -> None:
        super().__init__(f"{len(issues)} problem(s) in the roster file")
        self.issues = issues


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    parent_code: str | None
    line: int


@dataclass(frozen=True)
class PersonSpec:
    full_name: str
    phone: str
    role: str
    unit_code: str
    line: int


@dataclass(frozen=True)
class RosterTable:
    units: dict[str, UnitSpec]
    people: list[PersonSpec]
