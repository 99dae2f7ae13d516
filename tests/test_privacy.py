"""What the office and the logs learn about a person: their name, role and unit in error
notices, never their phone number."""

from __future__ import annotations

import logging
import re

import pytest

from bot.logs import RedactingFormatter
from formats.roster_file import read_roster
from storage.roster import apply_import
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, NOW, csv_file
from tests.test_newcomer import REMOVED, WITHOUT_AN
from tests.test_reports import launch

# ---- what the office and the logs learn about a person ------------------------------------

ROSTER_PHONES = [row[5] for row in BASIC_ROWS] + ["0987654321"]


def digits(phone: str) -> str:
    """The part of a phone every written form shares (without 0, 84 or the old prefix)."""
    return re.sub(r"\D", "", phone)[-9:]


def leaked(text: str) -> list[str]:
    squeezed = re.sub(r"[\s.+\-]", "", text)
    return [phone for phone in ROSTER_PHONES if digits(phone) in squeezed]


async def test_error_notice_names_the_person_and_unit(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    admin = telegram.user(ADMIN_ID)
    an = telegram.user(6401)
    await an.share_contact("0912000002")
    await an.expect("Đăng ký thành công")
    telegram.inject_error("sendMessage", 400, "Bad Request: something went wrong", chat_id=6401)
    await an.send("/help")
    await an.expect("bot vừa gặp lỗi")
    notice = await admin.expect("Lỗi trong bot")
    assert "Trần Văn Ân — Giáo viên, Trường THCS Tân Phú (mã Telegram 6401)" in notice.shown
    assert not leaked(notice.shown)

    stranger = telegram.user(6402)
    telegram.inject_error("sendMessage", 400, "Bad Request: something went wrong", chat_id=6402)
    await stranger.send("Số của tôi là 0987 654 321, cho tôi vào với")
    await stranger.expect("bot vừa gặp lỗi")
    notice = await admin.expect("Lỗi trong bot")
    assert "người chưa đăng ký (mã Telegram 6402)" in notice.shown
    assert "Số của tôi là" in notice.shown and not leaked(notice.shown), notice.shown


async def test_info_logs_carry_no_phone_numbers(
    bot: RunningBot, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await launch(bot, telegram)  # a campaign broadcast to the registered people
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    # Registration by contact, in every form Telegram or people write a phone.
    binh = telegram.user(6501)
    await binh.share_contact("+84 912 000 003")
    await binh.expect("Đăng ký thành công")
    stranger = telegram.user(6502)
    await stranger.share_contact("0987654321")
    await stranger.expect("không có trong danh sách")
    await stranger.share_contact("0912000001", user_id=6101)
    await stranger.expect("chính bạn")
    await stranger.send("0987654321")
    await stranger.expect("chưa đăng ký")
    # Someone who blocked the bot types their number; an error with a phone in the message.
    blocked = telegram.user(6503)
    telegram.blocked.add(6503)
    await blocked.send("0987.654.321")
    await telegram.wait_until(
        lambda: any(c.status == 403 for c in telegram.calls_of("sendMessage"))
    )
    telegram.inject_error("sendMessage", 400, "Bad Request: something went wrong", chat_id=6502)
    await stranger.send("số tôi: 84987654321")
    await stranger.expect("bot vừa gặp lỗi")
    # Someone removed from the roster, and a few everyday commands.
    await apply_import(bot.db, read_roster(csv_file(WITHOUT_AN)), NOW)
    an = telegram.user(6102)
    await an.send("/help")
    await an.expect(REMOVED)
    lan = telegram.user(6101)
    await lan.send("/help")
    await lan.expect("hướng dẫn")
    await lan.send("/tiendo")
    await lan.expect()  # its progress, whatever it shows
    await bot.stop()

    logged = caplog.text  # every record at INFO and above, tracebacks included
    assert "error while handling an update" in logged  # the log was really captured
    assert not leaked(logged), [line for line in logged.splitlines() if leaked(line)]


def test_log_output_masks_phones_as_a_last_defence() -> None:
    formatter = RedactingFormatter(TOKEN, "%(message)s")
    record = logging.LogRecord(
        "x", logging.DEBUG, __file__, 1, "update %s by %s", ("0912 000 003", 6101), None
    )
    assert formatter.format(record) == "update <SĐT> by 6101"
