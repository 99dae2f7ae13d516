"""From what the plan reader found (formats/plan_reader.py) to /phatdong's draft: the fields it
answers, the reporting rounds it names, and the rounds that still need a deadline.

Pure functions of the reading, the draft and the time: no Telegram. What the plan does not say
stays empty, to be asked as on the manual path; a value the draft cannot take as it is (a title
over 200 characters, a number left blank for the day the plan is issued, a period with no end)
is not taken either. Rounds are kept in `draft.plan["rounds"]` until each has a deadline the
office may use, then become the draft's rounds (`settle_rounds`).

`draft.plan` (JSON, saved with the draft):
- `file`: the plan file's name;
- `answered`: the steps the plan (or a correction of it) answered, passed over later
  (draft.following), and "rounds" while rounds read from it are kept;
- `edited`: the fields the office corrected; `editing`: the field being corrected now;
- `period`: the period as the plan writes it ("năm học 2024-2025"), or "";
- `rounds`: the rounds read from it (`name`, `kind`, `form`, `deadline` ISO or None, `issues`,
  `plan_kind`, `written`, `timing`, `dossier`, `sources`).
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from formats.plan_reader import (
    Period,
    PeriodKind,
    PlanReading,
    ReportingRound,
    RoundKind,
    WarningCode,
)
from formats.plan_reader import Target as PlanTarget
from handlers.campaign_launch.draft import CampaignDraft, Step
from handlers.inputs import END_OF_DAY
from messages import label, shorten
from storage.campaigns import Target

MAX_TITLE = 200  # as the title step allows
MAX_NUMBER = 60
MAX_TARGETS = 20  # as the targets step allows
SOURCE_CHARS = 400  # a round's source sentence, as kept in the draft

# Sơ kết and tổng kết are reviews; a recurring report is a short one. Each is per unit (the
# principal answers for the school) until the office says otherwise.
_REVIEWS = (RoundKind.MID_TERM, RoundKind.FINAL)

# Issues that keep a round out of the draft until the office gives a deadline.
NO_DEADLINE = "none"  # the plan names the round but gives no date ("hàng quý")
NO_YEAR = "no_year"  # "trước ngày 25/1": no year
OUTSIDE = "outside"  # the year does not fit the plan's period
PAST = "past"  # the deadline has passed


def fill(
    draft: CampaignDraft, reading: PlanReading, file_name: str, timezone: ZoneInfo, now: datetime
) -> None:
    """Fill the draft with what the plan says; `draft.plan` records what it answered."""
    answered: list[str] = []
    title = reading.title.text if reading.title else ""
    if title and len(title) <= MAX_TITLE:
        draft.title = title
        answered.append(Step.TITLE)
    number = reading.number
    if number is not None and number.number and len(number.text) <= MAX_NUMBER:
        draft.plan_number = number.text
        answered.append(Step.PLAN_NUMBER)
    period = period_dates(reading.period)
    if period is not None:
        draft.period_from, draft.period_to = period[0].isoformat(), period[1].isoformat()
        answered.append(Step.PERIOD)
    targets = [asdict(target_of(t)) for t in reading.targets[:MAX_TARGETS]]
    if targets:
        draft.targets = targets
        answered.append(Step.TARGETS)
    rounds = [round_of(r, reading, timezone, now) for r in reading.rounds]
    if rounds:
        answered.append("rounds")
    draft.plan = {
        "file": file_name,
        "answered": answered,
        "edited": [],
        "editing": "",
        "period": reading.period.text if reading.period else "",
        "rounds": rounds,
    }


def period_dates(period: Period | None) -> tuple[date, date] | None:
    """The first and last day of the plan's period: the dates it gives, else the whole of the
    phase or year it names (a school year: 1 September to 31 August). None when the plan gives
    no period, or only one end of one."""
    if period is None:
        return None
    first: date | None = None
    last: date | None = None
    if period.kind is PeriodKind.SCHOOL_YEAR:
        first, last = date(period.first_year, 9, 1), date(period.last_year, 8, 31)
    elif period.kind in (PeriodKind.PHASE, PeriodKind.YEAR):
        first, last = date(period.first_year, 1, 1), date(period.last_year, 12, 31)
    if period.starts is not None:
        first = period.starts.first_day
    if period.ends is not None:
        last = period.ends.last_day
    if first is None or last is None or last < first:
        return None
    return first, last


_COUNTED = re.compile(r"\d[\d.,]*\s+(?P<noun>.+)$")


def target_of(target: PlanTarget) -> Target:
    """The target as the draft keeps it: its text, and its first percentage or count."""
    if not target.quantities:
        return Target(target.text)
    quantity = target.quantities[0]
    if quantity.percent:
        return Target(target.text, float(quantity.value), "%")
    counted = _COUNTED.search(quantity.text)
    return Target(target.text, float(quantity.value), counted["noun"] if counted else None)


def round_of(
    found: ReportingRound, reading: PlanReading, timezone: ZoneInfo, now: datetime
) -> dict[str, Any]:
    deadline: datetime | None = None
    issues: list[str] = []
    if found.deadline is not None:
        deadline = datetime.combine(found.deadline, found.deadline_time or END_OF_DAY, timezone)
        when = (found.deadline.year, found.deadline.month, found.deadline.day)
        if any(
            w.code is WarningCode.YEAR_OUTSIDE_PERIOD
            and w.subject == "round"
            and w.round_kind is found.kind
            and (w.when.year, w.when.month, w.when.day) == when
            for w in reading.warnings
        ):
            issues.append(OUTSIDE)
        if deadline <= now:
            issues.append(PAST)
    else:
        issues.append(NO_YEAR if found.deadline_text else NO_DEADLINE)
    timing = found.timing
    return {
        "name": label("plan_round_name", kind=found.kind.value),
        "kind": "unit",
        "form": "review" if found.kind in _REVIEWS else "short",
        "deadline": deadline.isoformat() if deadline else None,
        "issues": issues,
        "plan_kind": found.kind.value,
        "written": found.deadline_text,
        "timing": [timing.year, timing.month] if timing else None,
        "dossier": found.with_dossier,
        "sources": [shorten(s, SOURCE_CHARS) for s in found.sources[:2]],
    }


def pending_round(draft: CampaignDraft) -> dict[str, Any] | None:
    """The first round read from the plan that still needs a deadline."""
    rounds = draft.plan["rounds"] if draft.plan else []
    return next((r for r in rounds if r["issues"]), None)


def settle_rounds(draft: CampaignDraft, now: datetime) -> Step:
    """Where the flow goes for the reporting rounds: a round read from the plan that needs a
    deadline (one whose deadline has passed since the plan was read too); when none does, the
    rounds read from the plan become the draft's, with the default reminders (REMINDER_OFFSETS),
    and the office may add more; without any, the rounds are asked as on the manual path."""
    rounds: list[dict[str, Any]] = draft.plan["rounds"] if draft.plan else []
    for found in rounds:
        deadline = found["deadline"]
        if deadline and not found["issues"] and datetime.fromisoformat(deadline) <= now:
            found["issues"] = [PAST]
    if any(found["issues"] for found in rounds):
        return Step.PLAN_ROUND
    for found in rounds:
        draft.rounds.append(
            {"name": found["name"], "kind": found["kind"], "deadline": found["deadline"],
             "form": found["form"], "form_json": None, "offsets": None}
        )  # fmt: skip
    if draft.plan is not None:
        draft.plan["rounds"] = []
    return Step.ROUND_MORE if draft.rounds else Step.ROUND_NAME
