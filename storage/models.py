"""Plain records returned by storage queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["office", "principal", "teacher"]
ROLES: tuple[Role, ...] = ("office", "principal", "teacher")


@dataclass(frozen=True)
class Person:
    id: int
    full_name: str
    phone: str
    role: Role
    unit_id: int
    unit_code: str
    unit_name: str
    telegram_id: int | None
    active: bool


@dataclass(frozen=True)
class Actor:
    """Whoever sent an update: a roster person, an OFFICE_ADMIN_IDS admin, or both."""

    telegram_id: int
    person: Person | None
    is_admin: bool = False

    @property
    def role(self) -> Role | None:
        if self.is_admin:
            return "office"
        return self.person.role if self.person is not None and self.person.active else None

    @property
    def registered(self) -> bool:
        return self.role is not None
