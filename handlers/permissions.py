"""Who may use what: every command and every kind of button, with the roles allowed, in one
table that the gate (handlers/gate.py) consults once per update; and the one parser of button
data, with bounds, that the gate and the handlers share.

A button's data is a prefix naming its kind and `:`-separated fields (`rv:12`, `ev:3:41`,
`rp:c:2`, `pd:role:teacher`). Data whose prefix is not in the table, with a field missing,
extra, malformed or out of range, is no button at all: the gate answers "no longer valid".
So a new command or button (/dienhinh, /duyet, /xuat…) is refused until it has its
line here, and tests/test_gate.py fails until every handler's command and pattern has one.

Whether the presser may see the campaign, round, report or file a button names is asked by
the handler, through storage/visibility.py: the table knows roles, not objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.absences import REASONS
from storage.models import ROLES, Actor, Role

MAX_ID = 2**63 - 1  # SQLite's INTEGER is a signed 64-bit number: a bigger id cannot exist
SMALL = 99  # a position in a short list (a choice, a question): forms allow 10 and 30
MAX_DATA_BYTES = 64  # Telegram's limit for callback_data
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: int() also reads "²", "٣"…
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,32}")

OFFICE: tuple[Role, ...] = ("office",)
OFFICE_PRINCIPAL: tuple[Role, ...] = ("office", "principal")
PRINCIPAL: tuple[Role, ...] = ("principal",)


@dataclass(frozen=True)
class Number:
    """A whole number from 0 to `high`, written in ASCII digits."""

    high: int

    def read(self, text: str) -> int | None:
        if _DIGITS.fullmatch(text) is None:
            return None
        value = int(text)
        return value if value <= self.high else None


@dataclass(frozen=True)
class Word:
    """One of a few fixed words."""

    choices: tuple[str, ...]

    def read(self, text: str) -> str | None:
        return text if text in self.choices else None


@dataclass(frozen=True)
class Name:
    """A short lowercase identifier (a form's key), checked further by its handler."""

    def read(self, text: str) -> str | None:
        return text if _NAME.fullmatch(text) else None


@dataclass(frozen=True)
class Token:
    """A draft's token (handlers/flows.py new_token): URL-safe base64, short."""

    def read(self, text: str) -> str | None:
        return text if _TOKEN.fullmatch(text) else None


Field = Number | Word | Name | Token
ID = Number(MAX_ID)
INDEX = Number(SMALL)
PAGE = Number(999_999)
QUARTER = Number(99_994)  # year * 10 + quarter (storage/quarters.py)


@dataclass(frozen=True, kw_only=True)
class Rule:
    roles: tuple[Role, ...]
    strangers: bool = False  # someone not (or no longer) on the roster may use it too

    def permits(self, actor: Actor | None) -> bool:
        if self.strangers:
            return True
        return actor is not None and actor.role is not None and actor.role in self.roles


@dataclass(frozen=True, kw_only=True)
class CommandRule(Rule):
    name: str


@dataclass(frozen=True, kw_only=True)
class ButtonRule(Rule):
    prefix: str
    fields: tuple[Field, ...] = ()


def command(name: str, roles: tuple[Role, ...] = ROLES, strangers: bool = False) -> CommandRule:
    return CommandRule(name=name, roles=roles, strangers=strangers)


def button(prefix: str, roles: tuple[Role, ...], *fields: Field) -> ButtonRule:
    return ButtonRule(prefix=prefix, roles=roles, fields=fields)


# The one table. Commands first, then buttons by the module that handles them.
RULES: tuple[CommandRule | ButtonRule, ...] = (
    # /start and /help answer someone not on the roster with how to register; sharing a
    # contact is not a command and always reaches registration.
    command("start", strangers=True),
    command("help", strangers=True),
    command("huy"),
    command("baocao"),
    command("tiendo"),
    command("phatdong", OFFICE),
    command("thongbao", OFFICE),
    command("danhsach", OFFICE),
    command("dienhinh", OFFICE_PRINCIPAL),
    command("duyet", OFFICE),
    command("hoso", PRINCIPAL),
    command("nhacnho", OFFICE),
    command("vangmat", OFFICE_PRINCIPAL),
    command("ngaynghi", OFFICE),
    command("xuat", OFFICE_PRINCIPAL),
    # Under a campaign message (handlers/campaign_buttons.py, handlers/reports.py).
    button("ack", ROLES, ID),  # 0: the office's preview
    button("rep", ROLES, ID),
    # /baocao (handlers/reports.py).
    button("rpt", ROLES, ID),
    button("rpe", ROLES, ID),
    *(
        button(f"rp:{action}", ROLES)
        for action in ("yes", "no", "skip", "back", "keep", "done", "rmfiles", "submit", "edit")
    ),
    button("rp:c", ROLES, INDEX),
    button("rp:q", ROLES, INDEX),
    # Reviewing reports (handlers/report_review.py).
    button("rv", OFFICE, ID),
    button("rs", OFFICE, ID),
    button("rb", OFFICE, ID),
    button("ev", OFFICE, ID, ID),
    # Closing a round (handlers/round_close.py), who is missing (handlers/progress.py).
    button("rc", OFFICE, ID),
    button("rcy", OFFICE, ID),
    button("ro", OFFICE, ID),
    button("rcn", OFFICE),
    button("rn", OFFICE_PRINCIPAL, ID),
    # Moving a round's deadline (handlers/round_deadline.py).
    button("rd", OFFICE, ID),
    button("rdy", OFFICE),
    button("rdn", OFFICE),
    # /nhacnho (handlers/reminders.py); the reminders' own buttons are `rpt`.
    button("nn:c", OFFICE, ID),
    button("nn:r", OFFICE, ID),
    button("nn:s", OFFICE, ID),
    button("nn:x", OFFICE),
    # /vangmat, /ngaynghi (handlers/absences.py).
    *(button(f"vm:{action}", OFFICE_PRINCIPAL) for action in ("add", "ok", "no")),
    button("vm:p", OFFICE_PRINCIPAL, ID),
    button("vm:r", OFFICE_PRINCIPAL, Word(REASONS)),
    button("vm:x", OFFICE_PRINCIPAL, ID),
    *(button(f"dn:{action}", OFFICE) for action in ("add", "ok", "no")),
    button("dn:x", OFFICE, ID),
    # Results: workbook and report draft (handlers/exports.py), chart (handlers/charts.py).
    button("xx", OFFICE_PRINCIPAL, ID),
    button("xd", OFFICE, ID),
    button("ch", OFFICE, ID),
    # The roster in the chat (handlers/roster.py).
    button("roster:template", OFFICE),
    button("roster:export", OFFICE),
    button("roster:invites", OFFICE),
    button("roster:apply", OFFICE, ID),
    button("roster:drop", OFFICE, ID),
    # /thongbao (handlers/announce.py).
    button("tb:all", OFFICE),
    button("tb:c", OFFICE, ID),
    button("tb:send", OFFICE, Token()),
    button("tb:cancel", OFFICE, Token()),
    # /phatdong (handlers/campaign_launch.py, handlers/unit_picker.py).
    button("pd:skip", OFFICE),
    button("pd:aud", OFFICE, Word(("all", "pick"))),
    button("pd:u:t", OFFICE, ID),
    button("pd:u:p", OFFICE, Number(999_999)),
    button("pd:u:all", OFFICE),
    button("pd:u:done", OFFICE),
    button("pd:children", OFFICE, Word(("0", "1"))),
    button("pd:role", OFFICE, Word(ROLES)),
    button("pd:roles:done", OFFICE),
    button("pd:rname", OFFICE, Word(("mid", "final"))),
    button("pd:rounds", OFFICE, Word(("none", "more", "done"))),
    button("pd:kind", OFFICE, Word(("unit", "person"))),
    button("pd:form", OFFICE, Name()),
    button("pd:rem", OFFICE, Word(("default",))),
    # /phatdong from the plan file (handlers/campaign_launch/plan.py).
    button("pd:fix", OFFICE, Word(("title", "number", "period", "targets", "rounds"))),
    button("pd:plan", OFFICE, Word(("ok", "back", "clear", "drop"))),
    button("pd:rk", OFFICE, INDEX),
    button("pd:rd", OFFICE, INDEX),
    button("pd:doc", OFFICE, Word(("keep",))),
    button("pd:launch", OFFICE, Token()),
    button("pd:cancel", OFFICE, Token()),
    # /dienhinh (handlers/nominate.py): inside the conversation, then from anywhere.
    *(button(f"dh:{kind}", OFFICE_PRINCIPAL, ID) for kind in ("u", "r", "p", "c")),
    *(button(f"dh:{kind}", OFFICE_PRINCIPAL, PAGE) for kind in ("up", "pp")),
    button("dh:q", OFFICE_PRINCIPAL, QUARTER),
    button("dh:k", OFFICE_PRINCIPAL, Word(("i", "c"))),
    button("dh:f", OFFICE_PRINCIPAL, INDEX),
    button("dh:ed", OFFICE_PRINCIPAL, INDEX),
    *(
        button(f"dh:{action}", OFFICE_PRINCIPAL)
        for action in ("done", "rm", "back", "keep", "edit", "go", "new")
    ),
    button("dh:send", OFFICE_PRINCIPAL, Token()),
    *(button(f"dh:{kind}", OFFICE_PRINCIPAL, ID) for kind in ("fix", "w", "wy")),
    button("dh:open", OFFICE_PRINCIPAL, QUARTER),  # under a quarter-end prompt
    # /duyet (handlers/nomination_review.py): cards, publishing, a campaign's settings.
    *(button(f"dy:{kind}", OFFICE, ID) for kind in ("o", "a", "r", "b", "f", "n")),
    *(button(f"dy:{action}", OFFICE) for action in ("pub", "cfg")),
    button("dy:ps", OFFICE, Token()),
    button("dy:px", OFFICE, Token()),
    button("dy:pq", OFFICE, QUARTER),
    button("dy:pa", OFFICE, ID),  # 0: everyone in the office's scope
    button("dy:cs", OFFICE, ID),
    button("dy:cd", OFFICE, ID),
    button("dy:cq", OFFICE, ID, Number(100)),  # 0: back to NOMINATION_QUOTA
    # /hoso (handlers/dossiers.py).
    button("hs:c", PRINCIPAL, ID),
    button("hs:p", PRINCIPAL, ID, INDEX),
    button("hs:done", PRINCIPAL),
    button("hs:rm", PRINCIPAL),
)

COMMANDS: dict[str, CommandRule] = {r.name: r for r in RULES if isinstance(r, CommandRule)}
BUTTONS: dict[str, ButtonRule] = {r.prefix: r for r in RULES if isinstance(r, ButtonRule)}


@dataclass(frozen=True)
class Button:
    """A press, parsed: its kind (the table's prefix) and its fields, typed and in range."""

    kind: str
    values: tuple[int | str, ...] = ()

    @property
    def rule(self) -> ButtonRule:
        return BUTTONS[self.kind]

    @property
    def id(self) -> int:
        """The first field, for the many buttons that carry one id."""
        return self.number(0)

    def number(self, index: int) -> int:
        value = self.values[index]
        if not isinstance(value, int):
            raise TypeError(f"field {index} of {self.kind} is not a number")
        return value

    def word(self, index: int = 0) -> str:
        value = self.values[index]
        if not isinstance(value, str):
            raise TypeError(f"field {index} of {self.kind} is not a word")
        return value


def parse_button(data: str | None) -> Button | None:
    """The button this data names, or None when it is no button of ours (unknown kind, a
    field missing or extra, malformed, or out of range)."""
    if not data or len(data.encode("utf-8", "surrogatepass")) > MAX_DATA_BYTES:
        return None
    parts = data.split(":")
    for end in range(len(parts), 0, -1):
        rule = BUTTONS.get(":".join(parts[:end]))
        if rule is not None:
            break
    else:
        return None
    texts = parts[end:]
    if len(texts) != len(rule.fields):
        return None
    values: list[int | str] = []
    for field, text in zip(rule.fields, texts, strict=True):
        value = field.read(text)
        if value is None:
            return None
        values.append(value)
    return Button(rule.prefix, tuple(values))


def command_rule(name: str) -> CommandRule | None:
    return COMMANDS.get(name.lower())
