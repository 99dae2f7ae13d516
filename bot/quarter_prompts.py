"""Quarter-end nomination prompts: a source of scheduled messages (bot/scheduler.py).

Principals of a unit with no nomination of good examples this quarter (storage/nominations.py's
`units_without_nomination`: a withdrawn one does not count) are reminded at 07:30 ten days and
three days before the quarter's last day (`OFFSETS`), placed in their unit's sending window
like every scheduled message (quiet hours, Sundays, the days off declared for the unit or a
unit above it; the end of the quarter is the deadline it may not pass). The message says the
quarter, how many days are left and what to do, with a button into /dienhinh.

Each principal is prompted once per slot (the `sent_once` record taken with the outbox rows,
storage/quarter_prompts.py), and each unit's slot is recorded as handled whatever came of it:
prompted, nominated (nothing sent), nobody to prompt (no registered principal who is not
absent), or missed. A slot more than a day late (the bot was stopped) is dropped, not sent in
the quarter's last days; two slots due at once go as one message, the later one's. None is
sent once the quarter has ended.

The prompts are not deadline reminders and do not count against "one reminder message a
day": a principal may get both on the same morning (two mornings a quarter at most), each
saying what it is about, and neither holds the other back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.reminder_times import MORNING, SendingWindow
from bot.reminders import STALE, Calendar, Settings, outbox_message
from messages import label, render
from storage.db import Database
from storage.nominations import units_without_nomination
from storage.outgoing import OutgoingMessage
from storage.quarter_prompts import HANDLED, PROMPTED, load_prompt_state, slot_name
from storage.quarters import Quarter, days_left, quarter_of
from storage.schedule import Delivery, Mark, Plan, ScheduleState

OFFSETS = (10, 3)  # days before the quarter's last day


def prompt_payload(quarter: Quarter, unit_name: str, left: int) -> OutgoingMessage:
    text = render("quarter_prompt", quarter=quarter, unit_name=unit_name, days_left=left)
    button = (label("nomination_prompt_open", quarter=quarter), f"dh:open:{quarter.key}")
    return outbox_message(text, [[button]], title=label("outbox_title", kind="quarter_prompt"))


class QuarterPrompts:
    name = "quarter_prompts"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _slots(
        self, calendar: Calendar, quarter: Quarter
    ) -> Callable[[int], list[tuple[str, datetime]]]:
        """A unit's slots of the quarter: (name, when), placed in its sending window; worked
        out once for all the units that share a window (the same days off)."""
        timezone = self.settings.timezone
        end = quarter.ends_at(timezone)
        mornings = [
            (slot_name(quarter, days), datetime.combine(quarter.last_day - timedelta(days=days),
                                                        MORNING, tzinfo=timezone))
            for days in OFFSETS
        ]  # fmt: skip
        placed: dict[SendingWindow, list[tuple[str, datetime]]] = {}

        def of(unit_id: int) -> list[tuple[str, datetime]]:
            window = calendar.window(unit_id)
            found = placed.get(window)
            if found is None:
                found = placed[window] = [(s, window.place(m, end)) for s, m in mornings]
            return found

        return of

    async def next_moment(
        self, db: Database, state: ScheduleState, now: datetime
    ) -> datetime | None:
        current = quarter_of(now, self.settings.timezone)
        quarters = (current, current.next())
        slots = [slot_name(q, days) for q in quarters for days in OFFSETS]
        prompts = await load_prompt_state(db, quarters, slots, self.settings.today(now))
        calendar = Calendar(self.settings, state)
        moments: list[datetime] = []
        for quarter in quarters:
            slots_of = self._slots(calendar, quarter)
            moments.extend(
                moment
                for unit_id in prompts.waiting(quarter)
                for slot, moment in slots_of(unit_id)
                if (unit_id, slot) not in prompts.handled and now - moment <= STALE
            )
        return min(moments, default=None)

    async def plan(self, db: Database, state: ScheduleState, now: datetime) -> Plan:
        timezone = self.settings.timezone
        quarter = quarter_of(now, timezone)
        slots = [slot_name(quarter, days) for days in OFFSETS]
        today = self.settings.today(now)
        prompts = await load_prompt_state(db, [quarter], slots, today)
        calendar = Calendar(self.settings, state)
        slots_of = self._slots(calendar, quarter)
        due: dict[int, list[tuple[str, datetime]]] = {}
        for unit_id in prompts.units:
            for slot, moment in slots_of(unit_id):
                if moment <= now and (unit_id, slot) not in prompts.handled:
                    due.setdefault(unit_id, []).append((slot, moment))
        plan = Plan()
        if not due:
            return plan
        waiting = {u.unit_id: u for u in await units_without_nomination(db, None, quarter)}
        left = days_left(now, timezone)
        for unit_id in calendar.order.sort(list(due), lambda u: u):  # in unit-tree order
            # The latest slot due is the message (one due with it is covered by it); a slot
            # more than a day late is dropped.
            unit_slots = sorted(due[unit_id], key=lambda s: s[1], reverse=True)
            fresh = [slot for slot, moment in unit_slots if now - moment <= STALE]
            unit = waiting.get(unit_id)
            outcome = "nobody"
            if unit is not None and fresh:
                payload = prompt_payload(quarter, unit.unit_name, left)
                recipients = [
                    p for p in unit.principals
                    if p.telegram_id is not None and p.id not in prompts.absent
                ]  # fmt: skip
                for person in recipients:
                    assert person.telegram_id is not None
                    subject = f"person:{person.id}"
                    marks = tuple(Mark(PROMPTED, unit_id, subject, slot) for slot in fresh)
                    plan.deliveries.append(Delivery(person.id, person.telegram_id, payload, marks))
                outcome = f"prompted {len(recipients)}" if recipients else "nobody"
            for slot, _ in unit_slots:
                if unit is None:
                    said = "nominated"
                elif slot not in fresh:
                    said = "missed"
                else:
                    said = outcome
                plan.marks.append(Mark(HANDLED, unit_id, f"unit:{unit_id}", slot, said))
        return plan
