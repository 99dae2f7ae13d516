from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.config import Config, ConfigError

TOKEN = "123456789:TEST-token_abcdefghijklmnopqrstuv"


def test_defaults() -> None:
    config = Config.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None)
    assert config.api_url == "https://api.telegram.org/bot"
    assert config.database_path == Path("data/thidua.sqlite3")
    assert str(config.timezone) == "Asia/Ho_Chi_Minh"
    assert config.reminder_offsets == (
        timedelta(days=7), timedelta(days=3), timedelta(days=1), timedelta(0)
    )  # fmt: skip
    assert config.quiet_hours == (time(21, 0), time(7, 0))
    assert config.office_admin_ids == frozenset()
    assert config.quiet_sunday and config.digest_time == time(16, 30)
    assert config.nomination_quota == 2


def test_values_are_parsed() -> None:
    config = Config.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "OFFICE_ADMIN_IDS": "12, 34",
            "REMINDER_OFFSETS": "2h,1d,30m",
            "QUIET_HOURS": "",
            "LOG_LEVEL": "debug",
            "QUIET_SUNDAY": "0",
            "DIGEST_TIME": "17:05",
            "NOMINATION_QUOTA": "3",
        },
        env_file=None,
    )
    assert config.office_admin_ids == frozenset({12, 34})
    assert config.reminder_offsets == (
        timedelta(days=1), timedelta(hours=2), timedelta(minutes=30)
    )  # fmt: skip
    assert config.quiet_hours is None
    assert config.log_level == "DEBUG"
    assert not config.quiet_sunday and config.digest_time == time(17, 5)
    assert config.nomination_quota == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("BOT_TIMEZONE", "Mars/Olympus"),
        ("OFFICE_ADMIN_IDS", "12,abc"),
        ("REMINDER_OFFSETS", "7 days"),
        ("QUIET_HOURS", "21-7"),
        ("QUIET_HOURS", "25:00-07:00"),
        ("LOG_LEVEL", "LOUD"),
        ("BROADCAST_RATE", "fast"),
        ("BROADCAST_RATE", "0"),
        ("QUIET_SUNDAY", "maybe"),
        ("DIGEST_TIME", "4pm"),
        ("DIGEST_TIME", "24:30"),
        ("NOMINATION_QUOTA", "0"),
        ("NOMINATION_QUOTA", "two"),
    ],
)
def test_malformed_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Config.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, name: value}, env_file=None)


def test_missing_token() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        Config.from_env({}, env_file=None)
    assert Config.from_env({}, env_file=None, require_token=False).token == ""


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f'# comment\nTELEGRAM_BOT_TOKEN="{TOKEN}"\nexport LOG_LEVEL=WARNING\nDATABASE_PATH=a.db\n'
    )
    config = Config.from_env({"DATABASE_PATH": "b.db"}, env_file=env_file)
    assert config.token == TOKEN and config.log_level == "WARNING"
    assert config.database_path == Path("b.db")
