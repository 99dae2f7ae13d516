"""Reminders before a round's deadline, overdue notices after it, and the office's digests: the
sources of scheduled messages that bot/scheduler.py runs.

Who owes what is storage/round_progress.py's rule (`owed_people`, `expected_reports`), the same
that /tiendo shows. When things fall due is bot/reminder_times.py's (offsets, quiet hours,
Sundays, days off), worked out per unit, since days off belong to an office's subtree.

Reminders (`RoundSchedule`). Each open round has moments: one per reminder offset (the round's
own, else REMINDER_OFFSETS), placed in the sending window of the recipient's unit, kept only if
they fall after the launch and before the deadline; and, for after the deadline, the overdue
moment (the deadline, placed). `rounds.reminded_through` says up to when the round was handled.
A due-check handles every round with a moment in (reminded_through, now]:
- before the deadline, each person who owes it and whose latest due offset lies in that span is
  reminded: once per offset and deadline (slots missed while the bot was down collapse into the
  latest one), and in one message a day that lists every open round they owe, each with its
  button. Someone already reminded today is not sent a second message: the first one listed
  everything they owed then.
- after the deadline (sent only within a day of its moment, so a long stop does not wake people
  up with stale notices), each person still owing gets an overdue notice and each principal
  the list of their staff still missing for a per-person round.
Moving a deadline starts the round afresh: records name the deadline, so nothing sent for the
old one is repeated and the new one's reminders are all new.

Digests (`OfficeDigests`). The office of the unit that launched a campaign (the top unit's for
an admin's campaign) gets, per campaign with open rounds: at DIGEST_TIME each of its working
days, a digest when something changed since the last; and once just after each deadline, one
anyway, listing the units still missing (the office part of the overdue escalation).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.reminder_times import SendingWindow, TimeLeft, reminder_moment, time_left
from messages import label, render
from storage.absences import days_off_by_unit
from storage.db import Database
from storage.models import Person
from storage.ordering import UnitOrder
from storage.outgoing import (
    PIECE_SEPARATOR,
    Button,
    Composed,
    Keyboard,
    OutgoingMessage,
    keyboard,
)
from storage.reports import RoundInfo
from storage.round_progress import Expected, State, expected_reports, owed_people
from storage.schedule import (
    MANUAL,
    CampaignRow,
    Delivery,
    Mark,
    OpenRound,
    Plan,
    Reports,
    RoundReports,
    ScheduleState,
    audience_units,
    day_slot,
    load_reports,
    set_reminded_through,
)
from storage.text import name_order_key

# The message of a reminder that cannot go out (see RoundSchedule._messages): never sent.
_COVERED = OutgoingMessage("")
STALE = timedelta(days=1)  # an overdue notice or digest this late is not sent any more
SHOWN_ROUNDS = 10  # rounds listed, each with its button, in one reminder
MAX_MESSAGE_LENGTH = 4096  # Telegram's limit, in UTF-16 code units of the parsed text


def outbox_message(
    text: str, buttons: Sequence[Sequence[tuple[str, str]]] = (), title: str = ""
) -> OutgoingMessage:
    """What the outbox sends (storage/outgoing.py). Every scheduled message is built here."""
    return OutgoingMessage(
        text,
        keyboard(
            [Button(label_text, callback_data=data) for label_text, data in row] for row in buttons
        ),
        title=title,
    )


@dataclass(frozen=True)
class Settings:
    timezone: ZoneInfo
    offsets: tuple[timedelta, ...]
    quiet_hours: tuple[time, time] | None
    quiet_sunday: bool
    digest_time: time

    @classmethod
    def from_config(cls, config: Config) -> Settings:
        return cls(
            config.timezone,
            config.reminder_offsets,
            config.quiet_hours,
            config.quiet_sunday,
            config.digest_time,
        )

    def window(self, days_off: frozenset[date] = frozenset()) -> SendingWindow:
        return SendingWindow(self.timezone, self.quiet_hours, self.quiet_sunday, days_off)

    def today(self, now: datetime) -> date:
        return now.astimezone(self.timezone).date()


def slot_key(offset: timedelta, deadline: datetime) -> str:
    return f"{int(offset.total_seconds())}s@{deadline.isoformat()}"


def overdue_key(deadline: datetime) -> str:
    return f"overdue@{deadline.isoformat()}"


@dataclass(frozen=True)
class Timing:
    """A round's moments in one sending window."""

    slots: tuple[tuple[timedelta, datetime], ...]  # (offset, when), after launch, before deadline
    overdue: datetime  # when the overdue notices go

    def due_slot(self, after: datetime, now: datetime) -> timedelta | None:
        """The offset whose moment is the latest in (after, now]."""
        due = [(moment, offset) for offset, moment in self.slots if after < moment <= now]
        return max(due)[1] if due else None

    def next_after(self, after: datetime) -> datetime | None:
        later = [m for _, m in self.slots if m > after]
        if self.overdue > after:
            later.append(self.overdue)
        return min(later, default=None)


class Calendar:
    """Sending windows per unit (days off), audiences and each round's moments: for one check."""

    def __init__(self, settings: Settings, state: ScheduleState) -> None:
        self.settings = settings
        self.state = state
        self._days = days_off_by_unit(state.days_off, state.tree.parents)
        self._windows: dict[frozenset[date], SendingWindow] = {}
        self._audiences: dict[int, frozenset[int]] = {}
        self._timings: dict[tuple[int, SendingWindow], Timing] = {}
        self.order = UnitOrder(state.tree.parents.items())

    def window(self, unit_id: int) -> SendingWindow:
        days = self._days.get(unit_id, frozenset())
        found = self._windows.get(days)
        if found is None:
            found = self._windows[days] = self.settings.window(days)
        return found

    def audience(self, campaign: CampaignRow) -> frozenset[int]:
        found = self._audiences.get(campaign.id)
        if found is None:
            units = frozenset(audience_units(campaign, self.state.tree))
            found = self._audiences[campaign.id] = units
        return found

    def windows_of(self, campaign: CampaignRow) -> list[SendingWindow]:
        windows = {self.window(unit_id) for unit_id in self.audience(campaign)}
        return list(windows) or [self.settings.window()]

    def timing(self, item: OpenRound, window: SendingWindow) -> Timing:
        key = (item.id, window)
        found = self._timings.get(key)
        if found is None:
            campaign = self.state.campaigns[item.campaign_id]
            slots = []
            for offset in item.offsets or self.settings.offsets:
                moment = reminder_moment(item.deadline, offset, self.settings.timezone)
                placed = window.place(moment, item.deadline)
                if campaign.launched_at < placed < item.deadline:
                    slots.append((offset, placed))
            found = Timing(tuple(slots), window.place(item.deadline))
            self._timings[key] = found
        return found

    def watermark(self, item: OpenRound) -> datetime:
        campaign = self.state.campaigns[item.campaign_id]
        return item.reminded_through or campaign.launched_at

    def next_moment(self, item: OpenRound) -> datetime | None:
        campaign = self.state.campaigns.get(item.campaign_id)
        if campaign is None:
            return None
        after = self.watermark(item)
        moments = [self.timing(item, w).next_after(after) for w in self.windows_of(campaign)]
        return min((m for m in moments if m is not None), default=None)

    def issuer_name(self, campaign: CampaignRow) -> str | None:
        if campaign.issuer_unit_id is None:  # an admin's campaign: no unit to name
            return None
        return self.state.tree.names.get(campaign.issuer_unit_id)


class Book:
    """People, audiences, reports and absences as one due-check reads them."""

    def __init__(self, state: ScheduleState, calendar: Calendar, reports: Reports, today: date):
        self.state = state
        self.calendar = calendar
        self.reports = reports
        self.today = today
        self.people = {p.id: p for p in reports.people}
        self.by_unit: dict[int, list[Person]] = {}
        for person in reports.people:
            self.by_unit.setdefault(person.unit_id, []).append(person)
        # Campaigns of one office to the same units and roles share their audience: ten
        # campaigns to everyone hold one list of 20,000 people, not ten.
        self._audiences: dict[
            tuple[frozenset[int], frozenset[str]], tuple[list[Person], set[int], list[Person]]
        ] = {}

    def _audience(self, campaign: CampaignRow) -> tuple[list[Person], set[int], list[Person]]:
        """The campaign's audience, its registered people's ids, and its principals."""
        units = self.calendar.audience(campaign)
        key = (units, campaign.roles)
        found = self._audiences.get(key)
        if found is None:
            people = [
                p for unit_id in units for p in self.by_unit.get(unit_id, ())
                if p.role in campaign.roles
            ]  # fmt: skip
            registered = {p.id for p in people if p.telegram_id is not None}
            found = (people, registered, [p for p in people if p.role == "principal"])
            self._audiences[key] = found
        return found

    def audience(self, campaign: CampaignRow) -> list[Person]:
        """Everyone active on the roster in the campaign's audience (campaign_audience's rule)."""
        return self._audience(campaign)[0]

    def absent_today(self) -> set[int]:
        return self.reports.absent.get(self.today, set())

    def excused(self, item: OpenRound) -> set[int]:
        absent = self.reports.absent
        return absent.get(item.deadline.date(), set()) | self.absent_today()

    def reports_of(self, item: OpenRound) -> RoundReports:
        return self.reports.rounds.get(item.id) or RoundReports()

    def owed(self, item: OpenRound) -> set[int]:
        """Who owes the round now. Worked out afresh at each call, not kept: a set per open
        round for 20,000 people would be most of a busy check's memory."""
        campaign = self.state.campaigns[item.campaign_id]
        people, registered, principals = self._audience(campaign)
        return owed_people(
            item.kind, principals if item.kind == "unit" else people,
            self.reports_of(item).submitted, self.excused(item), registered,
        )  # fmt: skip

    def expected(self, item: OpenRound) -> list[Expected]:
        campaign = self.state.campaigns[item.campaign_id]
        return expected_reports(
            item.kind, self.audience(campaign), self.reports_of(item).as_submissions(item.kind),
            self.excused(item),
        )  # fmt: skip

    def returned(self, item: OpenRound, person: Person) -> bool:
        subject = person.unit_id if item.kind == "unit" else person.id
        return subject in self.reports_of(item).returned


@dataclass(frozen=True)
class Owed:
    """One round in a reminder or an overdue notice, as the texts show it."""

    round_id: int
    name: str
    kind: str
    deadline: datetime
    campaign_title: str
    issuer: str | None
    unit_name: str | None  # per-unit rounds: the unit the principal answers for
    returned: bool  # sent back for additions, not sent again yet
    left: TimeLeft


def owed_item(
    item: OpenRound, campaign: CampaignRow, issuer: str | None, person: Person, returned: bool,
    now: datetime, timezone: ZoneInfo,
) -> Owed:  # fmt: skip
    return Owed(
        item.id, item.name, item.kind, item.deadline, campaign.title, issuer,
        person.unit_name if item.kind == "unit" else None, returned,
        time_left(now, item.deadline, timezone),
    )  # fmt: skip


def _length(text: str) -> int:
    """In UTF-16 code units, as Telegram counts; the HTML's length bounds the parsed text's
    (tags and entities only get shorter)."""
    return len(text.encode("utf-16-le")) // 2


def _fits(text: str) -> bool:
    return _length(text) <= MAX_MESSAGE_LENGTH


def _most_that_fit(total: int, text_for: Callable[[int], str]) -> str:
    """The text listing as many of `total` items as fit in one message."""
    text = text_for(total)
    if _fits(text):
        return str(text)
    low, high = 0, total
    while low < high - 1:
        middle = (low + high) // 2
        low, high = (middle, high) if _fits(text_for(middle)) else (low, middle)
    return str(text_for(low))


class ReminderTexts:
    """Reminders put together from pieces rendered once (storage/outgoing.py's `Composed`):
    the header, each round's paragraph with its button (per unit for a per-unit round, and
    whether it was sent back), the count of rounds not listed, the footer. Every person owes
    a different set of rounds, so a due-check that renders one whole text per person spends
    seconds and hundreds of megabytes on 20,000 people, and stores kilobytes for each; the
    outbox stores these pieces once per broadcast and each person's numbers of them
    (bench/reminders.py)."""

    def __init__(self, manual_by: dict[str, str] | None = None) -> None:
        self.parts: list[OutgoingMessage] = []
        self._lengths: list[int] = []  # each part's length as Telegram counts it
        self._numbers: dict[tuple[Any, ...], int] = {}
        self.header = self._part(
            ("header",), lambda: render("reminder_header", manual_by=manual_by)
        )
        self.footer = self._part(("footer",), lambda: render("reminder_footer"))

    def _part(self, key: tuple[Any, ...], text: Callable[[], str], buttons: Keyboard = ()) -> int:
        number = self._numbers.get(key)
        if number is None:
            part = OutgoingMessage(text(), buttons)
            number = self._numbers[key] = len(self.parts)
            self.parts.append(part)
            self._lengths.append(_length(part.text))
        return number

    def item(self, item: Owed) -> int:
        """The round's paragraph, with its button straight into the report."""
        return self._part(
            ("item", item.round_id, item.unit_name, item.returned),
            lambda: render("reminder_item", item=item),
            ((Button(label("reminder_open", item=item), callback_data=f"rpt:{item.round_id}"),),),
        )

    def more(self, count: int) -> int:
        return self._part(("more", count), lambda: render("reminder_more", count=count))

    def composed(self, items: Sequence[Owed], more: int = 0) -> Composed:
        """A reminder listing these rounds (soonest deadline first), as many as fit, each with
        a button that opens the report (the /baocao entry for that round, resuming a draft);
        `more` rounds owed besides are counted, not listed."""
        return self.of([self.item(item) for item in items], more)

    def of(self, paragraphs: Sequence[int], more: int = 0) -> Composed:
        """`composed`, of the rounds' paragraphs by their numbers (`item`)."""
        shown = min(len(paragraphs), SHOWN_ROUNDS)
        while True:
            hidden = len(paragraphs) - shown + more
            chosen = [self.header, *paragraphs[:shown], *([self.more(hidden)] if hidden else [])]
            chosen.append(self.footer)
            length = sum(map(self._lengths.__getitem__, chosen))
            length += len(PIECE_SEPARATOR) * (len(chosen) - 1)
            if shown == 0 or length <= MAX_MESSAGE_LENGTH:
                break
            shown -= 1
        return Composed(self.parts, tuple(chosen), title=label("outbox_title", kind="reminder"))

    def payload(self, items: Sequence[Owed], more: int = 0) -> OutgoingMessage:
        """The same reminder as one message of its own."""
        return self.composed(items, more).message()


def reminder_payload(
    items: Sequence[Owed], manual_by: dict[str, str] | None = None
) -> OutgoingMessage:
    """One reminder on its own (see ReminderTexts)."""
    return ReminderTexts(manual_by).payload(items)


def overdue_payload(item: Owed) -> OutgoingMessage:
    text = render("overdue", item=item)
    return outbox_message(text, [[(label("reminder_open", item=item), f"rpt:{item.round_id}")]])


def staff_payload(item: Owed, unit_name: str, entries: Sequence[Expected]) -> OutgoingMessage:
    text = _most_that_fit(
        len(entries),
        lambda n: render(
            "overdue_staff", item=item, unit_name=unit_name, entries=entries, shown=n
        ),
    )
    return outbox_message(text, title=label("outbox_title", kind="overdue"))


# ---- reminders and overdue notices ----------------------------------------------------


class RoundSchedule:
    """Reminders before each deadline and overdue notices after it (see the module's doc)."""

    name = "rounds"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def next_moment(
        self, db: Database, state: ScheduleState, now: datetime
    ) -> datetime | None:
        calendar = Calendar(self.settings, state)
        moments = [calendar.next_moment(item) for item in state.rounds]
        return min((m for m in moments if m is not None), default=None)

    async def plan(self, db: Database, state: ScheduleState, now: datetime) -> Plan:
        calendar = Calendar(self.settings, state)
        due = [
            item
            for item in state.rounds
            if item.campaign_id in state.campaigns
            and (moment := calendar.next_moment(item)) is not None
            and moment <= now
        ]
        if not due:
            return Plan()
        today = self.settings.today(now)
        open_rounds = [item for item in state.rounds if item.campaign_id in state.campaigns]
        days = {today} | {item.deadline.date() for item in open_rounds}
        reports = await load_reports(db, [item.id for item in open_rounds], days, today)
        book = Book(state, calendar, reports, today)
        plan = Plan()
        triggered: dict[int, list[tuple[OpenRound, str]]] = {}  # person → (round, slot)
        for item in due:
            after = calendar.watermark(item)
            if now < item.deadline:
                # By unit: its days off place the moments. One (round, slot) for all its
                # people, not a tuple each.
                slots: dict[int, tuple[OpenRound, str] | None] = {}
                for person_id in book.owed(item):
                    unit_id = book.people[person_id].unit_id
                    if unit_id not in slots:
                        timing = calendar.timing(item, calendar.window(unit_id))
                        offset = timing.due_slot(after, now)
                        slots[unit_id] = (
                            None if offset is None else (item, slot_key(offset, item.deadline))
                        )
                    found = slots[unit_id]
                    if found is not None:
                        triggered.setdefault(person_id, []).append(found)
            else:
                plan.extend(self._overdue(book, item, after, now))
        plan.extend(self._reminders(book, open_rounds, triggered, now))
        handled = [item.id for item in due]
        plan.finish = lambda conn: set_reminded_through(conn, handled, now)
        return plan

    def _reminders(
        self, book: Book, open_rounds: Sequence[OpenRound],
        triggered: dict[int, list[tuple[OpenRound, str]]], now: datetime,
    ) -> Plan:  # fmt: skip
        """One message per person reminded, listing every open round they owe, made as the
        outbox takes them (Plan.streams)."""
        plan = Plan()
        if triggered:
            plan.streams.append(self._messages(book, open_rounds, triggered, now))
        return plan

    def _messages(
        self, book: Book, open_rounds: Sequence[OpenRound],
        triggered: dict[int, list[tuple[OpenRound, str]]], now: datetime,
    ) -> Iterator[Delivery]:  # fmt: skip
        reminded = book.reports.reminded_today
        texts = ReminderTexts()
        # What each person is reminded of: the paragraphs (as pieces of `texts`) of the first
        # SHOWN_ROUNDS rounds they owe, soonest deadline first, and how many more they owe
        # (counted, not listed). A round's paragraph is the same for everyone owing it but
        # for a per-unit round's unit and a report sent back: worked out once for each.
        owes: dict[int, list[int]] = {p: [] for p in triggered if p not in reminded}
        more: Counter[int] = Counter()
        for item in open_rounds:
            owing = book.owed(item).intersection(owes)
            if not owing:
                continue
            # A per-person round none of whose reports was sent back reads the same for
            # everyone; otherwise each unit (per-unit round) and a sent-back one differ.
            same = item.kind == "person" and not book.reports_of(item).returned
            paragraphs: dict[tuple[str | None, bool], int] = {}
            number = -1
            for person_id in owing:
                numbers = owes[person_id]
                if len(numbers) == SHOWN_ROUNDS:
                    more[person_id] += 1
                    continue
                if number < 0 or not same:
                    person = book.people[person_id]
                    number = self._paragraph(texts, paragraphs, book, item, person, now)
                numbers.append(number)
        slot = day_slot(book.today)
        for person_id in sorted(triggered):
            person = book.people[person_id]
            if person.telegram_id is None:
                continue
            subject = f"person:{person_id}"
            marks = (
                Mark("reminder_day", 0, subject, slot),
                *(Mark("reminder", r.id, subject, at) for r, at in triggered[person_id]),
            )
            if person_id in reminded:
                # Already reminded today: the day's mark is taken (marks are never removed),
                # so this records the offsets as covered and sends nothing; no text needed.
                yield Delivery(person_id, person.telegram_id, _COVERED, marks)
                continue
            message = texts.of(owes[person_id], more[person_id])
            yield Delivery(person_id, person.telegram_id, message, marks)

    def _paragraph(
        self, texts: ReminderTexts, paragraphs: dict[tuple[str | None, bool], int], book: Book,
        item: OpenRound, person: Person, now: datetime,
    ) -> int:  # fmt: skip
        """The round's paragraph for this person, as a piece of `texts`; `paragraphs` keeps
        the round's ones made so far."""
        sent_back = book.reports_of(item).returned
        key: tuple[str | None, bool]
        if item.kind == "unit":
            key = (person.unit_name, person.unit_id in sent_back)
        else:
            key = (None, person.id in sent_back)
        number = paragraphs.get(key)
        if number is None:
            number = paragraphs[key] = texts.item(self._owed(book, item, person, now))
        return number

    def _owed(self, book: Book, item: OpenRound, person: Person, now: datetime) -> Owed:
        campaign = book.state.campaigns[item.campaign_id]
        return owed_item(
            item, campaign, book.calendar.issuer_name(campaign), person,
            book.returned(item, person), now, self.settings.timezone,
        )  # fmt: skip

    def _fresh(self, book: Book, item: OpenRound, unit_id: int, after: datetime,
               now: datetime) -> bool:  # fmt: skip
        """Is the overdue moment for this unit newly due, and not stale?"""
        moment = book.calendar.timing(item, book.calendar.window(unit_id)).overdue
        return after < moment <= now and now - moment <= STALE

    def _overdue(self, book: Book, item: OpenRound, after: datetime, now: datetime) -> Plan:
        plan = Plan()
        slot = overdue_key(item.deadline)
        cache: dict[tuple[Any, ...], OutgoingMessage] = {}
        for person_id in sorted(book.owed(item)):
            person = book.people[person_id]
            if person.telegram_id is None or not self._fresh(book, item, person.unit_id, after,
                                                              now):  # fmt: skip
                continue
            returned = book.returned(item, person)
            key = (person.unit_name if item.kind == "unit" else None, returned)
            payload = cache.get(key)
            if payload is None:
                payload = cache[key] = overdue_payload(self._owed(book, item, person, now))
            mark = Mark("overdue", item.id, f"person:{person_id}", slot)
            plan.deliveries.append(Delivery(person_id, person.telegram_id, payload, (mark,)))
        if item.kind == "person":
            plan.extend(self._staff_lists(book, item, after, now))
        return plan

    def _staff_lists(self, book: Book, item: OpenRound, after: datetime, now: datetime) -> Plan:
        """Each principal: their staff still missing a per-person round, by given name."""
        plan = Plan()
        missing: dict[int, list[Expected]] = {}
        for entry in book.expected(item):
            if entry.missing:
                missing.setdefault(entry.unit_id, []).append(entry)
        absent = book.absent_today() | book.excused(item)
        for unit_id, entries in missing.items():
            principals = [
                p for p in book.by_unit.get(unit_id, ())
                if p.role == "principal" and p.telegram_id is not None and p.id not in absent
            ]  # fmt: skip
            if not principals or not self._fresh(book, item, unit_id, after, now):
                continue
            for principal in principals:
                others = sorted(
                    (e for e in entries if e.person_ids != (principal.id,)),
                    key=lambda e: name_order_key(e.full_name),
                )
                if not others:
                    continue
                owed = self._owed(book, item, principal, now)
                payload = staff_payload(owed, principal.unit_name, others)
                assert principal.telegram_id is not None
                mark = Mark("overdue_staff", item.id, f"person:{principal.id}",
                            overdue_key(item.deadline))  # fmt: skip
                plan.deliveries.append(
                    Delivery(principal.id, principal.telegram_id, payload, (mark,))
                )
        return plan


# ---- the office's digests -------------------------------------------------------------


@dataclass(frozen=True)
class RoundDigest:
    """One round as a digest shows it."""

    name: str
    kind: str
    deadline: datetime
    overdue: bool
    expected: int
    answered: int
    late: int
    excused: int
    change: int  # answered since the last digest
    missing: tuple[tuple[str, int], ...]  # units still missing (and how many people there)
    late_units: tuple[str, ...]  # per-unit rounds: units that answered late
    just_closed: bool = False  # its deadline just passed: this digest is the escalation
    no_principal: int = 0  # per-unit rounds: units that cannot answer (no principal)


@dataclass(frozen=True)
class _Due:
    """A digest not handled yet: of a campaign, to the office of a unit, for a slot (a day,
    or a round's deadline), at a moment."""

    campaign: CampaignRow
    unit_id: int
    slot: str
    moment: datetime
    closing: frozenset[int]  # the rounds whose deadline it follows (none: a day's digest)


class OfficeDigests:
    """The digest of each campaign with open rounds, to the office that launched it."""

    name = "digests"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _offices(self, state: ScheduleState, campaign: CampaignRow) -> list[int]:
        if campaign.issuer_unit_id is not None:
            return [campaign.issuer_unit_id]
        return sorted(state.tree.tops())

    def _open(self, state: ScheduleState) -> dict[int, list[OpenRound]]:
        rounds: dict[int, list[OpenRound]] = {}
        for item in state.rounds:
            if item.campaign_id in state.campaigns:
                rounds.setdefault(item.campaign_id, []).append(item)
        return rounds

    def _daily(self, window: SendingWindow, day: date) -> datetime | None:
        """When the digest of `day` goes, or None on a day off or a Sunday."""
        if day in window.days_off or (window.quiet_sunday and day.isoweekday() == 7):
            return None
        moment = datetime.combine(day, self.settings.digest_time, tzinfo=self.settings.timezone)
        return window.place(moment)

    def _candidates(self, state: ScheduleState, calendar: Calendar, now: datetime) -> list[_Due]:
        """Every digest of yesterday, today and tomorrow and after each deadline, not yet
        handled."""
        today = self.settings.today(now)
        found: list[_Due] = []
        for campaign_id, rounds in self._open(state).items():
            campaign = state.campaigns[campaign_id]
            for unit_id in self._offices(state, campaign):
                window = calendar.window(unit_id)
                subject = f"unit:{unit_id}"
                for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
                    moment = self._daily(window, day)
                    slot = day_slot(day)
                    if (
                        moment is not None
                        and moment > campaign.launched_at
                        and (campaign_id, subject, slot) not in state.digests
                    ):
                        found.append(_Due(campaign, unit_id, slot, moment, frozenset()))
                # Once after each deadline: rounds sharing it share the digest.
                deadlines: dict[datetime, set[int]] = {}
                for item in rounds:
                    deadlines.setdefault(item.deadline, set()).add(item.id)
                for deadline, ids in deadlines.items():
                    slot = f"deadline:{deadline.isoformat()}"
                    if (campaign_id, subject, slot) not in state.digests:
                        moment = window.place(deadline)
                        found.append(_Due(campaign, unit_id, slot, moment, frozenset(ids)))
        return found

    async def next_moment(
        self, db: Database, state: ScheduleState, now: datetime
    ) -> datetime | None:
        calendar = Calendar(self.settings, state)
        moments = [c.moment for c in self._candidates(state, calendar, now)]
        return min((m for m in moments if m > now - STALE), default=None)

    async def plan(self, db: Database, state: ScheduleState, now: datetime) -> Plan:
        calendar = Calendar(self.settings, state)
        today = self.settings.today(now)
        plan = Plan()
        fresh = []
        for item in self._candidates(state, calendar, now):
            if item.moment > now:
                continue
            # Missed while the bot was down: a day's digest on another day, or the one after
            # a deadline more than a day late, is not worth sending any more (nor reading
            # every report for).
            if item.closing:
                stale = now - item.moment > STALE
            else:
                stale = self.settings.today(item.moment) != today
            if stale:
                subject = f"unit:{item.unit_id}"
                plan.marks.append(Mark("digest_eval", item.campaign.id, subject, item.slot))
            else:
                fresh.append(item)
        if not fresh:
            return plan
        open_rounds = self._open(state)
        round_ids = [item.id for rounds in open_rounds.values() for item in rounds]
        days = {today} | {item.deadline.date() for item in state.rounds}
        reports = await load_reports(db, round_ids, days, today)
        book = Book(state, calendar, reports, today)
        for item in fresh:
            plan.extend(self._digest(book, item, open_rounds.get(item.campaign.id, []), now))
        return plan

    def _previous(
        self, state: ScheduleState, campaign_id: int, subject: str
    ) -> dict[str, Any] | None:
        """The last digest sent for this campaign and office."""
        sent = []
        for (ref, who, _), data in state.digests.items():
            if ref == campaign_id and who == subject and data:
                record = json.loads(data)
                if record.get("sent"):
                    sent.append(record)
        return max(sent, key=lambda r: datetime.fromisoformat(str(r["at"])), default=None)

    def _digest(
        self, book: Book, due: _Due, open_rounds: Sequence[OpenRound], now: datetime
    ) -> Plan:
        plan = Plan()
        campaign, unit_id, slot = due.campaign, due.unit_id, due.slot
        subject = f"unit:{unit_id}"
        previous = self._previous(book.state, campaign.id, subject)
        before: dict[str, int] = previous["answered"] if previous else {}
        rounds = [
            _round_digest(book, item, before.get(str(item.id), 0), due.closing, now)
            for item in open_rounds
        ]
        answered_now = {
            str(item.id): r.answered for item, r in zip(open_rounds, rounds, strict=True)
        }
        changed = any(r.change for r in rounds) if previous else any(r.answered for r in rounds)
        send = bool(due.closing) or changed
        record = {"at": now.isoformat(), "answered": answered_now, "sent": send}
        plan.marks.append(Mark("digest_eval", campaign.id, subject, slot, json.dumps(record)))
        if not send:
            return plan
        since = self.settings.today(datetime.fromisoformat(previous["at"])) if previous else None
        payload = digest_payload(
            campaign, book.calendar.issuer_name(campaign), rounds, now, since,
            book.today, book.calendar.settings.timezone,
        )  # fmt: skip
        absent = book.absent_today()
        for person in book.by_unit.get(unit_id, ()):
            if person.role != "office" or person.telegram_id is None or person.id in absent:
                continue
            mark = Mark("digest", campaign.id, f"person:{person.id}", slot)
            plan.deliveries.append(Delivery(person.id, person.telegram_id, payload, (mark,)))
        return plan


def _round_digest(
    book: Book, item: OpenRound, before: int, closing: frozenset[int], now: datetime
) -> RoundDigest:
    """A round as the digest shows it: `before`, how many had answered at the last digest."""
    every = book.expected(item)
    entries = [e for e in every if e.state is not State.NO_PRINCIPAL]
    answered = [e for e in entries if e.answered]
    missing: dict[int, int] = {}
    for entry in entries:
        if entry.missing:
            missing[entry.unit_id] = missing.get(entry.unit_id, 0) + 1
    late_units = {e.unit_id for e in answered if e.late} if item.kind == "unit" else set()
    order, names = book.calendar.order, book.state.tree.names
    return RoundDigest(
        name=item.name,
        kind=item.kind,
        deadline=item.deadline,
        overdue=now >= item.deadline,
        expected=len(entries),
        answered=len(answered),
        late=sum(1 for e in answered if e.late),
        excused=sum(1 for e in entries if e.state is State.EXCUSED),
        change=len(answered) - before,
        missing=tuple((names.get(u, ""), missing[u]) for u in order.sort(missing, lambda u: u)),
        late_units=tuple(names.get(u, "") for u in order.sort(late_units, lambda u: u)),
        just_closed=item.id in closing,
        no_principal=len(every) - len(entries),
    )


def digest_payload(
    campaign: CampaignRow, issuer: str | None, rounds: Sequence[RoundDigest], now: datetime,
    since: date | None, today: date, timezone: ZoneInfo,
) -> OutgoingMessage:  # fmt: skip
    """The digest, listing as many missing units per round as fit in one message."""
    local_since = since
    yesterday = today - timedelta(days=1)
    most = max((len(r.missing) for r in rounds), default=0)

    def text(shown: int) -> str:
        return render(
            "digest", title=campaign.title, issuer=issuer, rounds=rounds, now=now,
            since=local_since, yesterday=yesterday, today=today, shown=shown,
        )  # fmt: skip

    return outbox_message(_most_that_fit(most, text), title=label("outbox_title", kind="digest"))


def default_sources(config: Config) -> list[Any]:
    """The scheduled messages the bot sends; another feature adds its own source to this list
    (bot/app.py), see bot/scheduler.py's DueSource."""
    from bot.quarter_prompts import QuarterPrompts  # it builds on this module's Calendar

    settings = Settings.from_config(config)
    return [RoundSchedule(settings), OfficeDigests(settings), QuarterPrompts(settings)]


# ---- /nhacnho: a reminder now, from the office ----------------------------------------

MANUAL_INTERVAL = timedelta(hours=1)  # one manual reminder of a round an hour


@dataclass(frozen=True)
class Owing:
    """Who still owes a round within an office's scope, as /tiendo counts them."""

    recipients: tuple[Person, ...]  # registered, owing, not absent: who a reminder reaches
    units: int  # units with someone (or, per unit, the unit) still owing
    unregistered: int  # owing, but nobody who could answer has registered
    excused: int  # absent
    returned: frozenset[int] = frozenset()  # recipients whose report was sent back


def owing_of(entries: Iterable[Expected], people: Iterable[Person]) -> Owing:
    """From a round's progress (storage.round_progress.round_progress) and its audience."""
    entries = list(entries)
    by_id = {p.id: p for p in people}
    ids = sorted({pid for e in entries if e.owed for pid in e.person_ids})
    recipients = tuple(by_id[pid] for pid in ids if pid in by_id)
    return Owing(
        recipients=recipients,
        units=len({e.unit_id for e in entries if e.missing and e.state is not State.NO_PRINCIPAL}),
        unregistered=sum(1 for e in entries if e.state is State.UNREGISTERED),
        excused=sum(1 for e in entries if e.state is State.EXCUSED),
        returned=frozenset(
            pid for e in entries if e.owed and e.state is State.RETURNED for pid in e.person_ids
        ),
    )


def manual_plan(
    item: RoundInfo, issuer: str | None, owing: Owing, by: dict[str, str], telegram_id: int,
    now: datetime, timezone: ZoneInfo,
) -> Plan:  # fmt: skip
    """The same reminder as the scheduled one, for one round, naming the office that sent it;
    recorded so a second one within the hour is refused (storage.schedule.commit_manual)."""
    plan = Plan()
    stamp = now.isoformat()
    cache: dict[tuple[str | None, bool], OutgoingMessage] = {}
    for person in owing.recipients:
        if person.telegram_id is None:
            continue
        unit_name = person.unit_name if item.kind == "unit" else None
        returned = person.id in owing.returned
        key = (unit_name, returned)
        payload = cache.get(key)
        if payload is None:
            owed = Owed(
                item.id, item.name, item.kind, item.deadline, item.campaign_title, issuer,
                unit_name, returned, time_left(now, item.deadline, timezone),
            )  # fmt: skip
            payload = cache[key] = reminder_payload([owed], manual_by=by)
        mark = Mark("manual", item.id, f"person:{person.id}", stamp)
        plan.deliveries.append(Delivery(person.id, person.telegram_id, payload, (mark,)))
    data = json.dumps({**by, "people": len(plan.deliveries), "units": owing.units})
    plan.marks.append(Mark(MANUAL, item.id, f"by:{telegram_id}", stamp, data))
    return plan
