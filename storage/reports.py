"""Reports: which rounds a person owes, drafts written answer by answer, submission with
history, sending back for additions, evidence files, and progress per unit."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.db import Database
from storage.drafts import read_draft, remove_draft
from storage.models import Person
from storage.ordering import UnitOrder, read_unit_order


@dataclass(frozen=True)
class RoundInfo:
    id: int
    campaign_id: int
    campaign_title: str
    name: str
    kind: str  # 'unit' or 'person'
    deadline: datetime
    form: str
    form_json: str | None
    closed: bool


@dataclass(frozen=True)
class Submission:
    id: int
    round_id: int
    subject: str
    unit_id: int
    person_id: int | None
    status: str  # 'draft', 'submitted', 'returned'
    step: int
    answers: dict[str, Any]
    draft: dict[str, Any] | None
    version: int
    submitted_at: datetime | None
    late: bool
    return_reason: str | None

    @property
    def working(self) -> dict[str, Any]:
        """What the person is editing: the draft, else the last submitted answers."""
        return self.draft if self.draft is not None else dict(self.answers)


@dataclass(frozen=True)
class Task:
    """A round someone must answer, and where their report stands."""

    round: RoundInfo
    submission: Submission | None = field(default=None)


_ROUND_SELECT = """
    SELECT r.id, r.campaign_id, c.title, r.name, r.kind, r.deadline, r.form, r.form_json,
           r.closed
    FROM rounds r JOIN campaigns c ON c.id = r.campaign_id
"""
_SUBMISSION_SELECT = """
    SELECT id, round_id, subject, unit_id, person_id, status, step, answers, draft, version,
           submitted_at, late, return_reason
    FROM submissions
"""


def _round(row: Any) -> RoundInfo:
    return RoundInfo(
        row[0], row[1], row[2], row[3], row[4], datetime.fromisoformat(row[5]), row[6], row[7],
        bool(row[8]),
    )  # fmt: skip


def _submission(row: Any) -> Submission:
    return Submission(
        id=row[0],
        round_id=row[1],
        subject=row[2],
        unit_id=row[3],
        person_id=row[4],
        status=row[5],
        step=row[6],
        answers=json.loads(row[7]),
        draft=json.loads(row[8]) if row[8] is not None else None,
        version=row[9],
        submitted_at=datetime.fromisoformat(row[10]) if row[10] else None,
        late=bool(row[11]),
        return_reason=row[12],
    )


def subject_of(kind: str, person: Person) -> str:
    """Per-unit rounds are answered once for the unit; per-person rounds once per person."""
    return f"unit:{person.unit_id}" if kind == "unit" else f"person:{person.id}"


# Each function below is one call into the database thread (Database.read / transact): an
# answer in a report costs two, the position read and the answer's write.


def _select_round(conn: sqlite3.Connection, round_id: int) -> RoundInfo | None:
    row = conn.execute(_ROUND_SELECT + " WHERE r.id = ?", (round_id,)).fetchone()
    return None if row is None else _round(row)


def _select_submission(conn: sqlite3.Connection, submission_id: int) -> Submission | None:
    row = conn.execute(_SUBMISSION_SELECT + " WHERE id = ?", (submission_id,)).fetchone()
    return None if row is None else _submission(row)


def _select_submission_of(
    conn: sqlite3.Connection, round_id: int, subject: str
) -> Submission | None:
    row = conn.execute(
        _SUBMISSION_SELECT + " WHERE round_id = ? AND subject = ?", (round_id, subject)
    ).fetchone()
    return None if row is None else _submission(row)


def _may_answer(conn: sqlite3.Connection, person: Person, info: RoundInfo) -> bool:
    if info.kind == "unit" and person.role != "principal":
        return False
    received = conn.execute(
        "SELECT 1 FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id"
        " WHERE b.campaign_id = ? AND b.kind = 'campaign' AND o.person_id = ? LIMIT 1",
        (info.campaign_id, person.id),
    ).fetchone()
    return received is not None


async def get_round(db: Database, round_id: int) -> RoundInfo | None:
    return await db.read(lambda conn: _select_round(conn, round_id))


async def may_answer(db: Database, person: Person, info: RoundInfo) -> bool:
    """A person answers per-person rounds of campaigns they received; a principal also
    answers the per-unit rounds of campaigns their unit received."""
    return await db.read(lambda conn: _may_answer(conn, person, info))


async def answerable_round(db: Database, person: Person, round_id: int) -> RoundInfo | None:
    """The round, if it exists and this person may answer it (see may_answer)."""

    def work(conn: sqlite3.Connection) -> RoundInfo | None:
        info = _select_round(conn, round_id)
        return info if info is not None and _may_answer(conn, person, info) else None

    return await db.read(work)


async def tasks_for(db: Database, person: Person) -> list[Task]:
    """Open rounds this person must answer, soonest deadline first."""

    def work(conn: sqlite3.Connection) -> list[Task]:
        rows = conn.execute(
            _ROUND_SELECT  # noqa: S608 (constant SQL; the value is bound)
            + " WHERE r.closed = 0 AND c.status = 'launched' AND r.campaign_id IN"
            " (SELECT b.campaign_id FROM broadcasts b JOIN outbox o ON o.broadcast_id = b.id"
            "  WHERE b.kind = 'campaign' AND o.person_id = ?)"
            " ORDER BY r.deadline, r.id",
            (person.id,),
        ).fetchall()
        rounds = [_round(row) for row in rows]
        return [
            Task(info, _select_submission_of(conn, info.id, subject_of(info.kind, person)))
            for info in rounds
            if info.kind != "unit" or person.role == "principal"
        ]

    return await db.read(work)


async def find_submission(db: Database, round_id: int, subject: str) -> Submission | None:
    return await db.read(lambda conn: _select_submission_of(conn, round_id, subject))


async def get_submission(db: Database, submission_id: int) -> Submission | None:
    return await db.read(lambda conn: _select_submission(conn, submission_id))


@dataclass(frozen=True)
class InProgress:
    """Where a report conversation stands: the flow's draft (which names the submission
    as `submission_id`), the submission and its round."""

    flow: dict[str, Any]
    submission: Submission | None
    round: RoundInfo | None


async def report_in_progress(db: Database, telegram_id: int, flow: str) -> InProgress:
    def work(conn: sqlite3.Connection) -> InProgress:
        draft = read_draft(conn, telegram_id, flow) or {}
        submission = _select_submission(conn, int(draft.get("submission_id") or 0))
        info = _select_round(conn, submission.round_id) if submission is not None else None
        return InProgress(draft, submission, info)

    return await db.read(work)


async def open_submission(
    db: Database, info: RoundInfo, person: Person, now: datetime
) -> Submission:
    """The person's report for the round, created as a draft the first time; a submitted or
    returned report gets a working copy of its answers."""
    subject = subject_of(info.kind, person)

    def work(conn: sqlite3.Connection) -> Submission:
        conn.execute(
            "INSERT OR IGNORE INTO submissions (round_id, subject, unit_id, person_id,"
            " author_id, status, draft, updated_at) VALUES (?, ?, ?, ?, ?, 'draft', '{}', ?)",
            (
                info.id,
                subject,
                person.unit_id,
                None if info.kind == "unit" else person.id,
                person.id,
                now.isoformat(),
            ),
        )
        conn.execute(
            "UPDATE submissions SET draft = answers, step = 0 WHERE round_id = ? AND subject = ?"
            " AND draft IS NULL",
            (info.id, subject),
        )
        found = _select_submission_of(conn, info.id, subject)
        assert found is not None
        return found

    return await db.transact(work)


async def save_answer(
    db: Database, submission_id: int, key: str, value: Any, step: int, now: datetime
) -> Submission:
    """Write one answer (None removes it: a skipped question) and move the draft's step;
    returns the submission as it now is."""

    def work(conn: sqlite3.Connection) -> Submission:
        row = conn.execute(
            "SELECT COALESCE(draft, answers) FROM submissions WHERE id = ?", (submission_id,)
        ).fetchone()
        draft = json.loads(row[0]) if row else {}
        if value is None:
            draft.pop(key, None)
        else:
            draft[key] = value
        conn.execute(
            "UPDATE submissions SET draft = ?, step = ?, updated_at = ? WHERE id = ?",
            (json.dumps(draft, ensure_ascii=False), step, now.isoformat(), submission_id),
        )
        return _fresh(conn, submission_id)

    return await db.transact(work)


async def set_step(db: Database, submission_id: int, step: int) -> Submission:
    """Move the draft to a question; returns the submission as it now is."""

    def work(conn: sqlite3.Connection) -> Submission:
        conn.execute("UPDATE submissions SET step = ? WHERE id = ?", (step, submission_id))
        return _fresh(conn, submission_id)

    return await db.transact(work)


def _fresh(conn: sqlite3.Connection, submission_id: int) -> Submission:
    submission = _select_submission(conn, submission_id)
    if submission is None:
        raise LookupError(f"submission {submission_id} vanished inside its own transaction")
    return submission


async def set_round_closed(db: Database, round_id: int, closed: bool) -> bool:
    """Close a round (no report is accepted or corrected any more) or reopen it; False if it
    already was so."""
    changed = await db.transact(
        lambda conn: (
            conn.execute(
                "UPDATE rounds SET closed = ? WHERE id = ? AND closed != ?",
                (int(closed), round_id, int(closed)),
            ).rowcount
        )
    )
    return changed == 1


@dataclass(frozen=True)
class Receipt:
    version: int
    submitted_at: datetime
    late: bool
    correction: bool


async def submit(
    db: Database, submission_id: int, author_id: int, deadline: datetime, now: datetime,
    flow_draft: tuple[int, str] | None = None,
) -> Receipt:  # fmt: skip
    """The draft becomes the submitted version; the previous one stays in the history.
    `flow_draft` (telegram id, flow): the conversation's draft, which ends with it."""
    late = now > deadline

    def work(conn: sqlite3.Connection) -> Receipt:
        row = conn.execute(
            "SELECT COALESCE(draft, answers), version FROM submissions WHERE id = ?",
            (submission_id,),
        ).fetchone()
        assert row is not None
        answers, version = row[0], row[1] + 1
        conn.execute(
            "UPDATE submissions SET answers = ?, draft = NULL, status = 'submitted', step = 0,"
            " version = ?, submitted_at = ?, late = ?, author_id = ?, updated_at = ?"
            " WHERE id = ?",
            (answers, version, now.isoformat(), int(late), author_id, now.isoformat(),
             submission_id),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO submission_history (submission_id, version, author_id, answers,"
            " submitted_at, late) VALUES (?, ?, ?, ?, ?, ?)",
            (submission_id, version, author_id, answers, now.isoformat(), int(late)),
        )
        if flow_draft is not None:
            remove_draft(conn, *flow_draft)
        return Receipt(version, now, late, correction=version > 1)

    return await db.transact(work)


async def discard_draft(db: Database, submission_id: int) -> None:
    """Drop a working copy of an already submitted report (the submitted version stays)."""
    await db.write(
        "UPDATE submissions SET draft = NULL, step = 0 WHERE id = ? AND status != 'draft'",
        (submission_id,),
    )


async def return_for_additions(
    db: Database, submission_id: int, reason: str, now: datetime
) -> bool:
    """The office sends a submitted report back; it counts as not answered until resent."""
    changed = await db.transact(
        lambda conn: (
            conn.execute(
                "UPDATE submissions SET status = 'returned', return_reason = ?, returned_at = ?,"
                " updated_at = ? WHERE id = ? AND status = 'submitted'",
                (reason, now.isoformat(), now.isoformat(), submission_id),
            ).rowcount
        )
    )
    return changed == 1


async def history_count(db: Database, submission_id: int) -> int:
    return int(
        await db.fetchval(
            "SELECT COUNT(*) FROM submission_history WHERE submission_id = ?", (submission_id,)
        )
    )


@dataclass(frozen=True)
class Evidence:
    id: int
    file_id: str
    file_name: str
    mime_type: str | None
    size: int | None
    path: str | None


async def evidence_by_unique_id(db: Database, file_unique_id: str) -> Evidence | None:
    row = await db.fetchone(
        "SELECT id, file_id, file_name, mime_type, size, path FROM evidence_files"
        " WHERE file_unique_id = ?",
        (file_unique_id,),
    )
    return None if row is None else Evidence(*row)


async def store_evidence(
    db: Database,
    *,
    file_unique_id: str,
    file_id: str,
    file_name: str,
    mime_type: str | None,
    size: int | None,
    path: str | None,
    now: datetime,
) -> int:
    """Kept once per distinct file: the same photo sent twice is one row and one copy."""

    def work(conn: sqlite3.Connection) -> int:
        conn.execute(
            "INSERT OR IGNORE INTO evidence_files (file_unique_id, file_id, file_name,"
            " mime_type, size, path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (file_unique_id, file_id, file_name, mime_type, size, path, now.isoformat()),
        )
        row = conn.execute(
            "SELECT id FROM evidence_files WHERE file_unique_id = ?", (file_unique_id,)
        ).fetchone()
        assert row is not None
        return int(row[0])

    return await db.transact(work)


async def evidence_names(db: Database, ids: list[int]) -> list[str]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await db.fetchall(
        f"SELECT id, file_name FROM evidence_files WHERE id IN ({marks})",  # noqa: S608
        tuple(ids),
    )
    names = {row[0]: row[1] for row in rows}
    return [names[i] for i in ids if i in names]


@dataclass(frozen=True)
class SubmittedEntry:
    id: int
    unit_id: int
    unit_name: str
    author: str
    author_id: int
    author_telegram_id: int | None
    submitted_at: datetime
    late: bool


async def submitted_for_round(
    db: Database, round_id: int, scope: set[int] | None
) -> list[SubmittedEntry]:
    """Submitted reports of a round within the scope (None: all): units in unit-tree order,
    then by the author's given name (late ones carry their mark, in their place)."""

    def work(conn: sqlite3.Connection) -> tuple[list[Any], UnitOrder]:
        rows = conn.execute(
            "SELECT s.id, s.unit_id, u.name, p.full_name, p.id, p.telegram_id, s.submitted_at,"
            " s.late FROM submissions s JOIN units u ON u.id = s.unit_id"
            " JOIN people p ON p.id = s.author_id"
            " WHERE s.round_id = ? AND s.status = 'submitted'",
            (round_id,),
        ).fetchall()
        return rows, read_unit_order(conn)

    rows, order = await db.read(work)
    entries = [
        SubmittedEntry(r[0], r[1], r[2], r[3], r[4], r[5], datetime.fromisoformat(r[6]),
                       bool(r[7]))
        for r in rows
        if scope is None or r[1] in scope
    ]  # fmt: skip
    return order.sort_people(entries, lambda e: e.unit_id, lambda e: e.author)


async def author_of(db: Database, submission_id: int) -> SubmittedEntry | None:
    row = await db.fetchone(
        "SELECT s.id, s.unit_id, u.name, p.full_name, p.id, p.telegram_id,"
        " COALESCE(s.submitted_at, s.updated_at), s.late, s.round_id FROM submissions s"
        " JOIN units u ON u.id = s.unit_id JOIN people p ON p.id = s.author_id WHERE s.id = ?",
        (submission_id,),
    )
    if row is None:
        return None
    return SubmittedEntry(row[0], row[1], row[2], row[3], row[4], row[5],
                          datetime.fromisoformat(row[6]), bool(row[7]))  # fmt: skip
