"""The sandbox's demo: a small roster, and a campaign made from a real plan with two rounds.

Everything goes in through the code the bot uses with Telegram: the roster through the roster
import (`read_roster`, `apply_import`), the campaign through `launch_campaign` with the message
/phatdong would send (`campaign_payload`), its fields read from the plan by the plan reader.
People register by sharing their contact in the chat (sandbox/__init__.py), like anyone else.

The data lives in sandbox/data/: `roster.csv` (a Sở, two Phòng, four schools), `campaign.yaml`
(what an office would type that the plan does not say), `form.yaml` (the per-person round's
form) and the plan itself, `ke_hoach_vi_nguoi_ngheo.pdf` (Sở GD&ĐT Bình Phước's plan for "Vì
người nghèo – Không để ai bị bỏ lại phía sau", the first of tests/data/plans).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from formats.forms import builtin_form, parse_form_file
from formats.plan_reader import PlanReading, read_plan
from formats.roster_file import read_roster
from handlers.campaign_message import campaign_payload
from storage.campaigns import CampaignSpec, Round, Target, all_unit_ids, launch_campaign
from storage.db import Database
from storage.models import Person
from storage.ordering import load_unit_order
from storage.people import people_in_units
from storage.roster import apply_import
from storage.unit_tree import unit_name

PLAN_FILE = "ke_hoach_vi_nguoi_ngheo.pdf"
FIRST_MORNING = time(8, 0)
DEADLINE_TIME = time(17, 0)


def data(name: str) -> bytes:
    return (resources.files("sandbox") / "data" / name).read_bytes()


def first_morning(today: date, timezone: ZoneInfo) -> datetime:
    """Where the sandbox's clock starts: 08:00 on the coming Monday (today, if a Monday), so
    the demo's week runs from Monday to the first deadline on Friday."""
    monday = today + timedelta(days=(7 - today.weekday()) % 7)
    return datetime.combine(monday, FIRST_MORNING, tzinfo=timezone)


async def import_roster(db: Database, now: datetime) -> None:
    await apply_import(db, read_roster(data("roster.csv"), "roster.csv"), now)


async def roster_people(db: Database) -> list[Person]:
    """Everyone active on the roster: units in tree order, people by given name."""
    people = await people_in_units(db, sorted(await all_unit_ids(db)))
    order = await load_unit_order(db)
    return order.sort_people(people, lambda p: p.unit_id, lambda p: p.full_name)


@dataclass(frozen=True)
class PlanDocument:
    """The plan as the office would attach it: a Telegram file id, its name, a kept copy."""

    file_id: str
    name: str
    path: str | None


def plan_bytes() -> bytes:
    return data(PLAN_FILE)


def demo_spec(
    reading: PlanReading,
    settings: dict[str, Any],
    issuer_unit_id: int,
    start: datetime,
    document: PlanDocument | None,
) -> CampaignSpec:
    """The campaign an office would make from the plan: its name, number, period and targets
    as read, and the rounds of campaign.yaml, their deadlines counted from `start`."""
    title = (
        reading.campaign_name.name
        if reading.campaign_name is not None
        else reading.title.text
        if reading.title is not None
        else "Phong trào thi đua"
    )
    number = reading.number
    plan_number = (
        number.text if number is not None and number.number else str(settings["plan_number"])
    )
    period_from = period_to = None
    if reading.period is not None and reading.period.last_year >= start.year:
        period_from = date(reading.period.first_year, 1, 1)
        period_to = date(reading.period.last_year, 12, 31)
    targets = tuple(
        Target(_sentence(target.text)) for target in reading.targets if target.text.strip()
    )
    rounds = []
    for item in settings["rounds"]:
        day = start.date() + timedelta(days=int(item["days"]))
        deadline = datetime.combine(day, DEADLINE_TIME, tzinfo=start.tzinfo)
        form = str(item["form"])
        if form.endswith(".yaml"):
            custom = parse_form_file(data(form), form)
            rounds.append(
                Round(item["name"], item["kind"], deadline, "custom", form_json=custom.to_json())
            )
        else:
            builtin_form(form)  # a built-in form's key, or KeyError
            rounds.append(Round(item["name"], item["kind"], deadline, form))
    return CampaignSpec(
        title=title,
        plan_number=plan_number,
        issuer_unit_id=issuer_unit_id,
        period_from=period_from,
        period_to=period_to,
        summary=" ".join(str(settings["summary"]).split()),
        targets=targets,
        audience_all=True,
        units=(),
        roles=("principal", "teacher"),
        document_file_id=document.file_id if document else None,
        document_name=document.name if document else None,
        document_path=document.path if document else None,
        rounds=tuple(rounds),
    )


def _sentence(text: str) -> str:
    """A target as an office would type it: one line, without the closing stop."""
    return re.sub(r"\s+", " ", text).strip().rstrip(".;")


async def launch_demo_campaign(
    db: Database,
    *,
    office: Person,
    start: datetime,
    now: datetime,
    document: PlanDocument | None,
) -> int:
    """Launch the demo campaign from the Sở, as its office person `office`: one broadcast to
    everyone registered in the audience, its progress and summary posted to `office`'s chat
    (as the outbox sender does for /phatdong). Returns the campaign's id."""
    reading = read_plan(plan_bytes(), PLAN_FILE, start.date())
    settings = yaml.safe_load(data("campaign.yaml").decode("utf-8"))
    spec = demo_spec(reading, settings, office.unit_id, start, document)
    issuer = await unit_name(db, office.unit_id)
    assert office.telegram_id is not None
    campaign_id, _, _ = await launch_campaign(
        db,
        spec,
        created_by=office.telegram_id,
        payload_for=lambda cid, rounds: campaign_payload(cid, spec, rounds, issuer),
        progress_chat_id=office.telegram_id,
        progress_message_id=None,
        now=now,
    )
    return campaign_id


def keep_plan_copy(files_dir: Path, unique_id: str) -> str:
    """A copy of the plan under FILES_DIR/plans, as /phatdong keeps one."""
    target = files_dir / "plans" / f"{unique_id}_{PLAN_FILE}"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(plan_bytes())
    return str(target)
