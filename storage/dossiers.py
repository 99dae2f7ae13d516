"""Award dossiers (hồ sơ đề nghị khen thưởng): for a campaign's final round, each unit files the
parts the plan names (seed 001: tờ trình, biên bản họp xét, báo cáo thành tích kèm minh
chứng), one or more files each. A dossier is complete when every part has a file."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database

PARTS = ("to_trinh", "bien_ban", "bao_cao")


@dataclass(frozen=True)
class DossierRound:
    """A campaign whose office asked for award dossiers, and its final round."""

    round_id: int
    campaign_id: int
    campaign_title: str
    round_name: str
    deadline: datetime
    closed: bool
    issuer_unit_id: int | None


@dataclass(frozen=True)
class DossierFile:
    evidence_id: int
    file_name: str


@dataclass(frozen=True)
class Dossier:
    round: DossierRound
    unit_id: int
    files: dict[str, tuple[DossierFile, ...]]  # by part

    @property
    def missing(self) -> list[str]:
        return [part for part in PARTS if not self.files.get(part)]

    @property
    def complete(self) -> bool:
        return not self.missing


_ROUND = """
    SELECT r.id, c.id, c.title, r.name, r.deadline, r.closed, c.issuer_unit_id
    FROM campaigns c
    JOIN campaign_nomination_settings s ON s.campaign_id = c.id AND s.dossier = 1
    JOIN rounds r ON r.campaign_id = c.id
    WHERE c.status = 'launched'
      AND r.position = (SELECT MAX(position) FROM rounds WHERE campaign_id = c.id)
"""


def _round(row: Any) -> DossierRound:
    return DossierRound(row[0], row[1], row[2], row[3], datetime.fromisoformat(row[4]),
                        bool(row[5]), row[6])  # fmt: skip


async def dossier_rounds(db: Database) -> list[DossierRound]:
    """Final rounds of launched campaigns that ask for award dossiers, newest campaign first
    (the caller keeps those meant for the unit or office)."""
    rows = await db.fetchall(_ROUND + " ORDER BY c.id DESC")
    return [_round(row) for row in rows]


async def dossier_round(db: Database, round_id: int) -> DossierRound | None:
    row = await db.fetchone(_ROUND + " AND r.id = ?", (round_id,))
    return None if row is None else _round(row)


def _files(conn: sqlite3.Connection, round_id: int, unit_ids: list[int]) -> dict[int, Any]:
    if not unit_ids:
        return {}
    marks = ",".join("?" * len(unit_ids))
    rows = conn.execute(
        "SELECT d.unit_id, f.part, e.id, e.file_name FROM award_dossiers d"  # noqa: S608
        " JOIN dossier_files f ON f.dossier_id = d.id"
        " JOIN evidence_files e ON e.id = f.evidence_id"
        f" WHERE d.round_id = ? AND d.unit_id IN ({marks}) ORDER BY f.added_at, e.id",
        (round_id, *unit_ids),
    ).fetchall()
    found: dict[int, dict[str, list[DossierFile]]] = {}
    for unit_id, part, evidence_id, name in rows:
        found.setdefault(unit_id, {}).setdefault(part, []).append(DossierFile(evidence_id, name))
    return found


async def dossiers_of(db: Database, info: DossierRound, unit_ids: list[int]) -> list[Dossier]:
    """The dossiers of these units for the round (an empty one where nothing is filed)."""
    found = await db.read(lambda conn: _files(conn, info.round_id, unit_ids))
    dossiers = []
    for unit_id in unit_ids:
        parts = found.get(unit_id, {})
        by_part = {part: tuple(files) for part, files in parts.items()}
        dossiers.append(Dossier(info, unit_id, by_part))
    return dossiers


async def get_dossier(db: Database, info: DossierRound, unit_id: int) -> Dossier:
    return (await dossiers_of(db, info, [unit_id]))[0]


async def add_dossier_file(
    db: Database, round_id: int, unit_id: int, part: str, evidence_id: int,
    person_id: int | None, now: datetime,
) -> None:  # fmt: skip
    if part not in PARTS:
        raise ValueError(f"unknown dossier part {part!r}")

    def work(conn: sqlite3.Connection) -> None:
        stamp = now.isoformat()
        conn.execute(
            "INSERT INTO award_dossiers (round_id, unit_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (round_id, unit_id) DO UPDATE SET"
            " updated_at = excluded.updated_at",
            (round_id, unit_id, stamp, stamp),
        )
        conn.execute(
            "INSERT OR IGNORE INTO dossier_files (dossier_id, part, evidence_id, added_by,"
            " added_at) SELECT id, ?, ?, ?, ? FROM award_dossiers WHERE round_id = ?"
            " AND unit_id = ?",
            (part, evidence_id, person_id, stamp, round_id, unit_id),
        )

    await db.transact(work)


async def clear_dossier_part(
    db: Database, round_id: int, unit_id: int, part: str, now: datetime
) -> int:
    """Remove a part's files (to send them again); returns how many were removed."""

    def work(conn: sqlite3.Connection) -> int:
        removed = conn.execute(
            "DELETE FROM dossier_files WHERE part = ? AND dossier_id IN (SELECT id FROM"
            " award_dossiers WHERE round_id = ? AND unit_id = ?)",
            (part, round_id, unit_id),
        ).rowcount
        conn.execute(
            "UPDATE award_dossiers SET updated_at = ? WHERE round_id = ? AND unit_id = ?",
            (now.isoformat(), round_id, unit_id),
        )
        return int(removed)

    return await db.transact(work)
