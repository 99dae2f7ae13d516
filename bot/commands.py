"""The bot's commands and which roles see them; descriptions live in messages/labels.j2.

Only commands whose flows exist are listed, so the menu never offers a dead end.
"""

from __future__ import annotations

from dataclasses import dataclass

from messages import label
from storage.models import ROLES, Role


@dataclass(frozen=True)
class Command:
    name: str
    roles: tuple[Role, ...]

    @property
    def description(self) -> str:
        return label(f"command_{self.name}")


COMMANDS: tuple[Command, ...] = (
    Command("start", ROLES),
    Command("help", ROLES),
    Command("baocao", ("principal", "teacher")),
    Command("dienhinh", ("principal", "office")),
    Command("hoso", ("principal",)),
    Command("tiendo", ROLES),
    Command("phatdong", ("office",)),
    Command("thongbao", ("office",)),
    Command("duyet", ("office",)),
    Command("danhsach", ("office",)),
    Command("nhacnho", ("office",)),
    Command("vangmat", ("office", "principal")),
    Command("ngaynghi", ("office",)),
    Command("xuat", ("office", "principal")),
    Command("huy", ROLES),
)


def commands_for(role: Role | None) -> list[Command]:
    if role is None:
        return [command for command in COMMANDS if command.name in ("start", "help")]
    return [command for command in COMMANDS if role in command.roles]
