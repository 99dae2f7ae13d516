"""Reports: which rounds a person owes, drafts written answer by answer, submission with
history, sending back for additions, evidence files, and progress per unit."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.db import Database
from storage.drafts import FlowEnd, end_flow, read_draft
from storage.models import Person
from storage.ordering import UnitOrder, read_unit_order
from storage.outbox import enqueue_to_person
from storage.outgoing import OutgoingMessage


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
    returned_by: int | None = None  # the office person who sent it back
    returned_by_name: str | None = None
    returned_by_unit: str | None = None

    @property
    def working(self) -> dict[str, Any]:
        """What the person is editing: the draft, else the last submitted answers."""
        return self.draft if self.draft is not None else dict(self.answers)

    @property
    def changed(self) -> bool:
        """A sent report (submitted or returned) whose working copy differs from what was
        sent; a report never sent counts as changed (it has something to send)."""
        if self.version == 0 or self.status == "draft":
            return True
        return self.draft is not None and self.draft != self.answers


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
           submitted_at, late, return_reason, returned_by,
           (SELECT p.full_name FROM people p WHERE p.id = submissions.returned_by),
           (SELECT u.name FROM people p JOIN units u ON u.id = p.unit_id
            WHERE p.id = submissions.returned_by)
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
        returned_by=row[13],
        returned_by_name=row[14],
        returned_by_unit=row[15],
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


def _open_rounds_received(
    conn: sqlite3.Connection, person: Person, campaign_id: int | None
) -> list[RoundInfo]:
    rows = conn.execute(
        _ROUND_SELECT  # noqa: S608 (constant SQL; the values are bound)
        + " WHERE r.closed = 0 AND c.status = 'launched' AND r.campaign_id IN"
        " (SELECT b.campaign_id FROM broadcasts b JOIN outbox o ON o.broadcast_id = b.id"
        "  WHERE b.kind = 'campaign' AND o.person_id = ?)"
        " AND (? IS NULL OR r.campaign_id = ?)"
        " ORDER BY r.deadline, r.id",
        (person.id, campaign_id, campaign_id),
    ).fetchall()
    return [_round(row) for row in rows]


async def tasks_for(db: Database, person: Person, campaign_id: int | None = None) -> list[Task]:
    """Open rounds this person must answer (of one campaign, or of all), soonest deadline
    first."""

    def work(conn: sqlite3.Connection) -> list[Task]:
        return [
            Task(info, _select_submission_of(conn, info.id, subject_of(info.kind, person)))
            for info in _open_rounds_received(conn, person, campaign_id)
            if info.kind != "unit" or person.role == "principal"
        ]

    return await db.read(work)


async def answered_by_principal(
    db: Database, person: Person, campaign_id: int | None = None
) -> list[RoundInfo]:
    """Open per-unit rounds of campaigns this person received that their principal answers
    for the unit (none for a principal): why a teacher has nothing to answer."""
    if person.role == "principal":
        return []

    def work(conn: sqlite3.Connection) -> list[RoundInfo]:
        rounds = _open_rounds_received(conn, person, campaign_id)
        return [info for info in rounds if info.kind == "unit"]

    return await db.read(work)


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
    unchanged: bool = False  # sent again as it was: no new version, status kept


@dataclass(frozen=True)
class Notice:
    """A message a business action causes, queued through the outbox in the action's own
    transaction; `created_by` the Telegram id behind it."""

    message: OutgoingMessage
    created_by: int | None


async def submit(
    db: Database, submission_id: int, author_id: int, deadline: datetime, now: datetime,
    flow_end: FlowEnd | None = None, comeback: Notice | None = None,
) -> Receipt:  # fmt: skip
    """The draft becomes the submitted version; the previous one stays in the history.

    Answers identical to the version already sent make no new version and keep its time and
    its on-time or late mark (a report resent unchanged after the deadline stays on time).
    `flow_end`: the conversation's draft and state, which end with it.
    `comeback`: for a report the office sent back, the notice to the office person who did,
    queued in this transaction."""
    late_now = now > deadline

    def work(conn: sqlite3.Connection) -> Receipt:
        row = conn.execute(
            "SELECT s.answers, s.draft, s.version, s.status, s.submitted_at, s.late,"
            " s.returned_by, r.campaign_id FROM submissions s JOIN rounds r ON r.id = s.round_id"
            " WHERE s.id = ?",
            (submission_id,),
        ).fetchone()
        assert row is not None
        sent, draft, version, status, submitted_at, late, returned_by, campaign_id = row
        answers = draft if draft is not None else sent
        unchanged = version > 0 and status != "draft" and json.loads(answers) == json.loads(sent)
        if unchanged:
            conn.execute(
                "UPDATE submissions SET draft = NULL, status = 'submitted', step = 0,"
                " updated_at = ? WHERE id = ?",
                (now.isoformat(), submission_id),
            )
            receipt = Receipt(version, datetime.fromisoformat(submitted_at), bool(late),
                              correction=False, unchanged=True)  # fmt: skip
        else:
            version += 1
            conn.execute(
                "UPDATE submissions SET answers = ?, draft = NULL, status = 'submitted',"
                " step = 0, version = ?, submitted_at = ?, late = ?, author_id = ?,"
                " updated_at = ? WHERE id = ?",
                (answers, version, now.isoformat(), int(late_now), author_id, now.isoformat(),
                 submission_id),
            )  # fmt: skip
            conn.execute(
                "INSERT INTO submission_history (submission_id, version, author_id, answers,"
                " submitted_at, late) VALUES (?, ?, ?, ?, ?, ?)",
                (submission_id, version, author_id, answers, now.isoformat(), int(late_now)),
            )
            receipt = Receipt(version, now, late_now, correction=version > 1)
        if status == "returned" and comeback is not None:
            enqueue_to_person(conn, returned_by, comeback.message,
                              created_by=comeback.created_by, campaign_id=campaign_id,
                              now=now)  # fmt: skip
        if flow_end is not None:
            end_flow(conn, flow_end)
        return receipt

    return await db.transact(work)


async def discard_draft(db: Database, submission_id: int) -> None:
    """Drop a working copy of an already submitted report (the submitted version stays)."""
    await db.write(
        "UPDATE submissions SET draft = NULL, step = 0 WHERE id = ? AND status != 'draft'",
        (submission_id,),
    )


async def return_for_additions(
    db: Database, submission_id: int, reason: str, now: datetime, returned_by: int | None,
    notice: Notice | None = None, flow_end: FlowEnd | None = None,
) -> bool:  # fmt: skip
    """The office sends a submitted report back; it counts as not answered until resent.
    `returned_by`: the office person (None: an admin not on the roster). `notice` goes to
    the report's author, and the office's flow (`flow_end`) ends, in the same transaction.
    False if it was not submitted (the flow ends all the same)."""

    def work(conn: sqlite3.Connection) -> bool:
        if flow_end is not None:
            end_flow(conn, flow_end)
        changed = conn.execute(
            "UPDATE submissions SET status = 'returned', return_reason = ?, returned_at = ?,"
            " returned_by = ?, updated_at = ? WHERE id = ? AND status = 'submitted'",
            (reason, now.isoformat(), returned_by, now.isoformat(), submission_id),
        ).rowcount
        if changed != 1:
            return False
        if notice is not None:
            row = conn.execute(
                "SELECT s.author_id, r.campaign_id FROM submissions s"
                " JOIN rounds r ON r.id = s.round_id WHERE s.id = ?",
                (submission_id,),
            ).fetchone()
            enqueue_to_person(conn, row[0], notice.message, created_by=notice.created_by,
                              campaign_id=row[1], now=now)  # fmt: skip
        return True

    return await db.transact(work)


@dataclass(frozen=True)
class Evidence:
    id: int
    file_id: str
    file_name: str
    mime_type: str | None
    size: int | None
    path: str | None
    kind: str  # 'document' or 'photo': how Telegram holds it, so how it can be sent back


_EVIDENCE_SELECT = "SELECT id, file_id, file_name, mime_type, size, path, kind FROM evidence_files"


async def evidence_by_unique_id(db: Database, file_unique_id: str) -> Evidence | None:
    row = await db.fetchone(_EVIDENCE_SELECT + " WHERE file_unique_id = ?", (file_unique_id,))
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
    kind: str = "document",
) -> int:
    """Kept once per distinct file: the same photo sent twice is one row and one copy."""

    def work(conn: sqlite3.Connection) -> int:
        conn.execute(
            "INSERT OR IGNORE INTO evidence_files (file_unique_id, file_id, file_name,"
            " mime_type, size, path, created_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (file_unique_id, file_id, file_name, mime_type, size, path, now.isoformat(), kind),
        )
        row = conn.execute(
            "SELECT id FROM evidence_files WHERE file_unique_id = ?", (file_unique_id,)
        ).fetchone()
        assert row is not None
        return int(row[0])

    return await db.transact(work)


async def evidence_list(db: Database, ids: list[int]) -> list[Evidence]:
    """The evidence files with these ids, in the order given (unknown ids left out)."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await db.fetchall(_EVIDENCE_SELECT + f" WHERE id IN ({marks})", tuple(ids))
    found = {row[0]: Evidence(*row) for row in rows}
    return [found[i] for i in ids if i in found]


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
