"""The one grammar of reminder offsets: REMINDER_OFFSETS and a round's own, typed in /phatdong."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Config, ConfigError
from bot.reminder_offsets import OffsetsError, parse_offsets
from tests.test_config import TOKEN

D, H, M, S = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1), timedelta(seconds=1)


@pytest.mark.parametrize(
    ("text", "offsets"),
    [
        ("7d,3d,1d,0d", (7 * D, 3 * D, D, 0 * D)),
        ("2h,1d,30m", (D, 2 * H, 30 * M)),  # longest first
        ("14s, 5s", (14 * S, 5 * S)),
        ("1d,1d,24h", (D,)),  # each once
        ("5 ngày, 1 ngày", (5 * D, D)),
        ("5, 3, 1 ngày", (5 * D, 3 * D, D)),  # a unit shared by the numbers before it
        ("7, 3, 1 ngày trước", (7 * D, 3 * D, D)),
        ("2 ngày và 3 giờ", (2 * D, 3 * H)),
        ("2 NGAY; 3 Gio; 15 phut", (2 * D, 3 * H, 15 * M)),
        ("1 tiếng, 30 p", (H, 30 * M)),
        ("5d,,1d,", (5 * D, D)),
        ("5 nga\u0300y", (5 * D,)),  # decomposed tone marks, as some keyboards send them
    ],
)
def test_offsets_as_people_write_them(text: str, offsets: tuple[timedelta, ...]) -> None:
    assert parse_offsets(text) == offsets


@pytest.mark.parametrize(
    ("text", "part"),
    [("7 days", "7 days"), ("5, 1", "1"), ("5d 1d", "5d 1d"), ("ngày 5", "ngày 5"),
     ("1.5d", "1.5d"), ("", ""), (" , ", ","), ("-1d", "-1d")],
)  # fmt: skip
def test_what_does_not_read_is_named(text: str, part: str) -> None:
    with pytest.raises(OffsetsError) as raised:
        parse_offsets(text)
    assert raised.value.part == part


def test_reminder_offsets_setting_uses_the_same_grammar() -> None:
    config = Config.from_env(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "REMINDER_OFFSETS": "5, 1 ngày"}, env_file=None
    )
    assert config.reminder_offsets == (5 * D, D)
    with pytest.raises(ConfigError, match="REMINDER_OFFSETS") as raised:
        Config.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "REMINDER_OFFSETS": "7d,3 tuần"},
                        env_file=None)  # fmt: skip
    assert "«3 tuần» không đúng dạng" in str(raised.value)
