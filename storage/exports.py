"""What the office's results are made of: the workbook's data (formats/workbook.py), the
compiled report draft's (formats/report_docx.py) and the progress chart's (formats/charts.py).

Reading and shaping are split so the bot's event loop and its database thread each do only
the cheap part. `read_*` (async) fetch raw rows through the bot's one connection, one snapshot
each, with no JSON parsing or sorting of thousands of names inside the database thread; the
matching `assemble_*` (plain functions of that raw data) parse, sort and type everything, and
run in the same worker thread as the file's builder. Counts come from
storage/round_progress.py, the very counts /tiendo shows.

Why not a short-lived sqlite3 connection of the worker's own: the counts must be /tiendo's,
and round_progress and the audience are async functions of the bot's Database, so they are
read there anyway (each round's counts in its own snapshot, the reports, delivery and files in
one more: a report sent in between can show in its sheet a moment before the overview counts
it). The raw read costs the database thread ~0.1 s for 20,000 reports; the expensive part
(JSON, sorting 20,000 names, typing 300,000 cells) is what moves off the event loop, and it
hands the GIL back often (formats/workbook.py, share_cpu).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, TypeVar

from formats.charts import ChartData, ChartUnit
from formats.forms import Form, builtin_form
from formats.report_docx import ReviewAnswer, ReviewReport
from formats.workbook import (
    AnswerRow,
    Column,
    DeliveryRow,
    ExportData,
    NominationRow,
    RoundExport,
    UnitStatus,
    share_cpu,
)
from storage.campaigns import Audience, Campaign, Round, campaign_audience, get_campaign
from storage.db import Database
from storage.models import Person
from storage.ordering import UnitOrder, read_unit_order
from storage.quarters import Quarter
from storage.round_progress import RoundProgress, UnitAnswers, round_progress
from storage.text import name_order_key

REVIEW_FORM = "review"
T = TypeVar("T")


def round_form(item: Round) -> Form:
    """The form a round asks, worded for its kind (as the report flow asks it)."""
    form = Form.from_json(item.form_json) if item.form_json else builtin_form(item.form)
    return form.for_kind(item.kind)


def is_review(item: Round) -> bool:
    """Does the round use the built-in mid-term/final review form (a compiled draft exists)?"""
    return item.form == REVIEW_FORM and not item.form_json


# --- raw data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundSource:
    campaign: Campaign
    round: Round
    progress: RoundProgress
    # (unit id, unit name, author, status, answers JSON, submitted at, late, return reason)
    answers: list[tuple[Any, ...]]


@dataclass(frozen=True)
class CampaignSource:
    campaign: Campaign
    audience: Audience
    # person id -> (status, error) of the campaign message, the best outcome of its copies
    outbox: dict[int, tuple[str, str]]
    acknowledged: dict[int, str]  # person id -> when, ISO
    others: list[Person]  # recipients no longer in the audience (moved, left the roster)


@dataclass(frozen=True)
class ExportSource:
    scope: set[int] | None
    rounds: list[RoundSource]
    campaigns: list[CampaignSource]
    evidence_names: dict[int, str]
    order: UnitOrder
    # (id, unit id, unit, year, quarter, kind, nominee, position, field, summary, evidence
    # JSON, campaign, nominator, filed at, status, waiting at, reason)
    nominations: list[tuple[Any, ...]] = field(default_factory=list)
    # nomination id -> (event, who, at which unit, reason, when): the last decision
    decisions: dict[int, tuple[Any, ...]] = field(default_factory=dict)


_DELIVERY_RANK = {"sent": 0, "sending": 1, "pending": 1, "failed": 2, "blocked": 3}


def _marks(values: Sequence[int]) -> str:
    return ",".join("?" * len(values))


def _read_answers(conn: sqlite3.Connection, round_ids: list[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {round_id: [] for round_id in round_ids}
    if not round_ids:
        return found
    rows = conn.execute(
        "SELECT s.round_id, s.unit_id, u.name, p.full_name, s.status, s.answers,"  # noqa: S608
        " s.submitted_at, s.late, s.return_reason"
        " FROM submissions s JOIN units u ON u.id = s.unit_id"
        " JOIN people p ON p.id = s.author_id"
        f" WHERE s.round_id IN ({_marks(round_ids)}) AND s.version > 0",
        round_ids,
    )
    for row in rows:
        found[row[0]].append(tuple(row[1:]))
    return found


def _read_delivery(
    conn: sqlite3.Connection, campaign_id: int
) -> tuple[dict[int, tuple[str, str]], dict[int, str]]:
    outbox: dict[int, tuple[str, str]] = {}
    for person_id, status, error in conn.execute(
        "SELECT o.person_id, o.status, o.error FROM outbox o"
        " JOIN broadcasts b ON b.id = o.broadcast_id"
        " WHERE b.campaign_id = ? AND b.kind = 'campaign' ORDER BY o.id",
        (campaign_id,),
    ):
        known = outbox.get(person_id)
        if known is None or _DELIVERY_RANK.get(status, 9) < _DELIVERY_RANK.get(known[0], 9):
            outbox[person_id] = (status, error or "")
    acknowledged = {
        row[0]: row[1]
        for row in conn.execute(
            "SELECT person_id, acknowledged_at FROM acknowledgements WHERE campaign_id = ?",
            (campaign_id,),
        )
    }
    return outbox, acknowledged


def _read_nominations(
    conn: sqlite3.Connection, campaign_ids: list[int]
) -> tuple[list[tuple[Any, ...]], dict[int, tuple[Any, ...]]]:
    """The nominations of these campaigns and those filed under none (withdrawn ones left
    out), and the last decision on each."""
    rows = [
        tuple(row)
        for row in conn.execute(
            "SELECT n.id, n.unit_id, u.name, n.year, n.quarter, n.kind,"  # noqa: S608
            " n.nominee_name, n.position, n.field, n.summary, n.evidence, c.title,"
            " p.full_name, n.created_at, n.status, ru.name, n.reason"
            " FROM nominations n JOIN units u ON u.id = n.unit_id"
            " JOIN units ru ON ru.id = n.review_unit_id"
            " LEFT JOIN campaigns c ON c.id = n.campaign_id"
            " LEFT JOIN people p ON p.id = n.nominated_by"
            " WHERE n.status != 'withdrawn' AND (n.campaign_id IS NULL"
            f" OR n.campaign_id IN ({_marks(campaign_ids)}))",
            campaign_ids,
        )
    ]
    decisions = {}
    for row in conn.execute(
        "SELECT h.nomination_id, h.event, hp.full_name, hu.name, h.reason, h.at"
        " FROM nomination_history h LEFT JOIN people hp ON hp.id = h.person_id"
        " LEFT JOIN units hu ON hu.id = h.unit_id"
        " WHERE h.event IN ('approved', 'rejected', 'returned') ORDER BY h.id"
    ):
        decisions[row[0]] = tuple(row[1:])
    return rows, decisions


def _read_people(conn: sqlite3.Connection, ids: list[int]) -> list[Person]:
    people: list[Person] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in conn.execute(
            "SELECT p.id, p.full_name, p.phone, p.role, p.unit_id, u.code,"  # noqa: S608
            " u.name, p.telegram_id, p.active FROM people p JOIN units u ON u.id = p.unit_id"
            f" WHERE p.id IN ({_marks(chunk)})",
            chunk,
        ):
            people.append(
                Person(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                       active=bool(row[8]))
            )  # fmt: skip
    return people


async def read_export(
    db: Database, campaign_ids: Sequence[int], scope: set[int] | None
) -> ExportSource:
    """Everything the workbook shows for these campaigns, within the scope (None: every
    unit). Reports, delivery and evidence come from one snapshot; each round's counts from
    `round_progress`, as /tiendo reads them."""
    campaigns: list[tuple[Campaign, Audience]] = []
    for campaign_id in campaign_ids:
        campaign = await get_campaign(db, campaign_id)
        if campaign is not None:
            campaigns.append((campaign, await campaign_audience(db, campaign.spec)))
    progress: dict[int, RoundProgress] = {}
    for campaign, audience in campaigns:
        for item in campaign.rounds:
            if item.id is not None:
                progress[item.id] = await round_progress(db, item.id, item.kind, audience, scope)

    chosen = [campaign.id for campaign, _ in campaigns]

    def work(conn: sqlite3.Connection) -> ExportSource:
        answers = _read_answers(conn, list(progress))
        sources = []
        for campaign, audience in campaigns:
            outbox, acknowledged = _read_delivery(conn, campaign.id)
            members = {person.id for person in audience.people}
            others = _read_people(conn, sorted(set(outbox) - members))
            sources.append(CampaignSource(campaign, audience, outbox, acknowledged, others))
        files = conn.execute("SELECT id, file_name FROM evidence_files")
        names = {row[0]: row[1] for row in files}
        nominations, decisions = _read_nominations(conn, chosen)
        rounds = [
            RoundSource(campaign, item, progress[item.id], answers[item.id])
            for campaign, _ in campaigns
            for item in campaign.rounds
            if item.id is not None
        ]
        return ExportSource(
            scope, rounds, sources, names, read_unit_order(conn), nominations, decisions
        )

    return await db.read(work)


# --- shaping (run in the worker thread) ------------------------------------------------------


def _in(scope: set[int] | None, unit_id: int) -> bool:
    return scope is None or unit_id in scope


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def unit_statuses(units: Sequence[UnitAnswers]) -> tuple[UnitStatus, ...]:
    return tuple(
        UnitStatus(
            unit.unit_name, unit.expected, unit.answered, unit.late, unit.not_answered,
            unit.unregistered, unit.excused, unit.no_principal,
        )
        for unit in units
    )  # fmt: skip


def columns(form: Form) -> tuple[Column, ...]:
    return tuple(Column(q.key, q.prompt, str(q.type), q.integer) for q in form.questions)


def _paced(items: Iterable[T]) -> Iterator[T]:
    """The items, letting the bot's event loop run now and then (see share_cpu)."""
    for item in items:
        share_cpu()
        yield item


class _Order:
    """Units in unit-tree order, then people by given name, each name's key computed once
    (an export sorts the same 20,000 names for every sheet)."""

    def __init__(self, order: UnitOrder) -> None:
        self._order = order
        self._names: dict[str, tuple[object, ...]] = {}

    def key(self, unit_id: int, full_name: str) -> tuple[int, tuple[object, ...]]:
        name = self._names.get(full_name)
        if name is None:
            name = self._names[full_name] = name_order_key(full_name)
        return self._order.rank(unit_id), name

    def sort(self, items: Iterable[T], unit_id: Callable[[T], int],
             full_name: Callable[[T], str]) -> list[T]:  # fmt: skip
        keyed = [
            (self.key(unit_id(item), full_name(item)), index, item)
            for index, item in enumerate(_paced(items))
        ]
        keyed.sort(key=lambda entry: (entry[0], entry[1]))
        return [item for _, _, item in keyed]


def _answer_rows(source: ExportSource, item: RoundSource, order: _Order) -> list[AnswerRow]:
    rows = [row for row in item.answers if _in(source.scope, row[0])]
    rows = order.sort(rows, lambda row: row[0], lambda row: row[2])
    return [
        AnswerRow(
            unit_name=row[1], person=row[2], submitted_at=_moment(row[5]), late=bool(row[6]),
            returned=row[3] == "returned", return_reason=row[7] or "",
            answers=json.loads(row[4]),
        )
        for row in _paced(rows)
    ]  # fmt: skip


def _delivery_rows(source: ExportSource, item: CampaignSource, order: _Order) -> list[DeliveryRow]:
    people = [p for p in (*item.audience.people, *item.others) if _in(source.scope, p.unit_id)]
    people = order.sort(people, lambda p: p.unit_id, lambda p: p.full_name)
    rows = []
    for person in _paced(people):
        status, error = item.outbox.get(person.id, ("", ""))
        if status in ("pending", "sending"):
            status = "pending"
        elif not status:
            status = "not_sent" if person.telegram_id is not None else "unregistered"
        rows.append(
            DeliveryRow(
                item.campaign.spec.title, person.unit_name, person.full_name, person.role,
                status, _moment(item.acknowledged.get(person.id)), error,
            )
        )  # fmt: skip
    return rows


@dataclass(frozen=True)
class ExportWords:
    """How offices word what storage keeps as keys (labels.j2): each nomination field, and who
    decided when no roster person did (an OFFICE_ADMIN_IDS admin); the key itself when
    missing."""

    fields: Mapping[str, str] = field(default_factory=dict)
    admin: str = ""


def _nomination_rows(
    source: ExportSource, order: _Order, words: ExportWords
) -> list[NominationRow]:
    rows = [row for row in source.nominations if _in(source.scope, row[1])]
    rows = order.sort(rows, lambda row: row[1], lambda row: row[6])
    rows.sort(key=lambda row: (row[3], row[4]))  # by quarter; stable: tree order within
    shaped = []
    for row in _paced(rows):
        event, who, where, why, at = source.decisions.get(row[0], ("", "", "", "", None))
        decided_by = ""
        if event:
            decided_by = (who or words.admin) + (f" ({where})" if where else "")
        shaped.append(
            NominationRow(
                quarter=Quarter(row[3], row[4]).label, unit_name=row[2],
                nominee=row[6], kind=row[5], position=row[7],
                field=words.fields.get(row[8], row[8]), summary=row[9],
                evidence=tuple(int(i) for i in json.loads(row[10] or "[]")),
                campaign_title=row[11] or "", nominator=row[12] or "",
                filed_at=datetime.fromisoformat(row[13]), status=row[14], waiting_at=row[15],
                decision=event or "", decided_by=decided_by, decided_at=_moment(at),
                reason=(why if event else None) or row[16] or "",
            )
        )  # fmt: skip
    return shaped


def assemble_export(
    source: ExportSource, now: datetime, timezone: tzinfo,
    words: ExportWords | None = None,
) -> ExportData:  # fmt: skip
    """The workbook's data, typed and in order (run in the worker thread)."""
    order = _Order(source.order)
    rounds = tuple(
        RoundExport(
            campaign_title=item.campaign.spec.title,
            name=item.round.name,
            kind=item.round.kind,
            deadline=item.round.deadline,
            closed=item.round.closed,
            columns=columns(round_form(item.round)),
            units=unit_statuses(item.progress.by_unit()),
            rows=_answer_rows(source, item, order),
        )
        for item in source.rounds
    )
    delivery = [row for item in source.campaigns for row in _delivery_rows(source, item, order)]
    nominations = _nomination_rows(source, order, words or ExportWords())
    return ExportData(now, timezone, rounds, delivery, source.evidence_names, nominations)


# --- the compiled report draft ---------------------------------------------------------------


@dataclass(frozen=True)
class ReviewSource:
    campaign: Campaign
    round: Round
    issuer_name: str
    progress: RoundProgress
    answers: list[tuple[Any, ...]]  # as RoundSource.answers, submitted ones only
    staff: dict[int, int]  # unit id -> teachers and principals on the roster (rate weights)
    order: UnitOrder


async def read_review(
    db: Database, campaign_id: int, round_id: int, scope: set[int] | None
) -> ReviewSource | None:
    """What the compiled draft of a review round needs (None: no such round)."""
    campaign = await get_campaign(db, campaign_id)
    item = next((r for r in campaign.rounds if r.id == round_id), None) if campaign else None
    if campaign is None or item is None:
        return None
    audience = await campaign_audience(db, campaign.spec)
    progress = await round_progress(db, round_id, item.kind, audience, scope)

    def work(
        conn: sqlite3.Connection,
    ) -> tuple[list[Any], dict[int, int], str, UnitOrder]:
        answers = [
            row for row in _read_answers(conn, [round_id])[round_id] if row[3] == "submitted"
        ]
        staff = {
            row[0]: row[1]
            for row in conn.execute(
                "SELECT unit_id, COUNT(*) FROM people WHERE active = 1"
                " AND role IN ('principal', 'teacher') GROUP BY unit_id"
            )
        }
        issuer = conn.execute(
            "SELECT name FROM units WHERE id = ?", (campaign.spec.issuer_unit_id,)
        ).fetchone()
        return answers, staff, issuer[0] if issuer else "", read_unit_order(conn)

    answers, staff, issuer, order = await db.read(work)
    answers = [row for row in answers if _in(scope, row[0])]
    return ReviewSource(campaign, item, issuer, progress, answers, staff, order)


def assemble_review(source: ReviewSource, timezone: tzinfo, now: datetime) -> ReviewReport:
    rows = sorted(
        source.answers, key=lambda row: (source.order.rank(row[0]), name_order_key(row[2]))
    )
    units = source.progress.by_unit()
    spec = source.campaign.spec
    missing = tuple(
        unit.unit_name for unit in units if unit.expected and unit.answered < unit.expected
    )
    return ReviewReport(
        issuer_name=source.issuer_name,
        plan_number=spec.plan_number,
        campaign_title=spec.title,
        period_from=spec.period_from,
        period_to=spec.period_to,
        summary=spec.summary,
        targets=tuple(target.text for target in spec.targets),
        round_name=source.round.name,
        kind=source.round.kind,
        deadline=source.round.deadline,
        columns=columns(round_form(source.round)),
        answers=tuple(
            ReviewAnswer(
                unit_name=row[1],
                author=row[2],
                late=bool(row[6]),
                answers=json.loads(row[4]),
                weight=source.staff.get(row[0], 0),
            )
            for row in rows
        ),
        expected=sum(unit.expected for unit in units),
        answered=sum(unit.answered for unit in units),
        late=sum(unit.late for unit in units),
        missing_units=missing,
        timezone=timezone,
        created_at=now,
    )


# --- the progress chart ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChartSource:
    campaign: Campaign
    round: Round
    progress: RoundProgress
    answered_at: list[datetime]  # when each counted report was first sent, oldest first
    start: datetime | None  # the campaign's launch


async def read_chart(
    db: Database, campaign: Campaign, item: Round, scope: set[int] | None
) -> ChartSource:
    """A round's progress (as /tiendo counts it) and when each of its answered reports was
    first sent."""
    assert item.id is not None
    round_id = item.id
    audience = await campaign_audience(db, campaign.spec)
    progress = await round_progress(db, round_id, item.kind, audience, scope)
    if item.kind == "unit":
        answered_units = {unit.unit_id for unit in progress.by_unit() if unit.answered}
        counted = {f"unit:{unit_id}" for unit_id in answered_units}
    else:
        counted = {f"person:{p.id}" for p in audience.people if _in(scope, p.unit_id)}

    def work(conn: sqlite3.Connection) -> list[tuple[str, str]]:
        return conn.execute(
            "SELECT s.subject, MIN(h.submitted_at) FROM submissions s"
            " JOIN submission_history h ON h.submission_id = s.id"
            " WHERE s.round_id = ? AND s.status = 'submitted' GROUP BY s.id",
            (round_id,),
        ).fetchall()

    rows = await db.read(work)
    times = sorted(datetime.fromisoformat(first) for subject, first in rows if subject in counted)
    return ChartSource(campaign, item, progress, times, campaign.launched_at)


def assemble_chart(source: ChartSource, now: datetime, timezone: tzinfo) -> ChartData:
    units = tuple(
        ChartUnit(unit.unit_name, unit.answered, unit.expected)
        for unit in source.progress.by_unit()
        if unit.expected
    )
    return ChartData(
        campaign_title=source.campaign.spec.title,
        round_name=source.round.name,
        kind=source.round.kind,
        deadline=source.round.deadline,
        start=source.start,
        now=now,
        units=units,
        answered_at=tuple(source.answered_at),
        timezone=timezone,
    )
