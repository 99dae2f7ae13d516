"""The front door (handlers/gate.py, handlers/permissions.py): one check per update for who
may use each command and button, button data parsed once with bounds, forged presses
refused without a crash or a leak, edited messages never taken for answers, groups told
once to write privately."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.app import build_application
from bot.commands import COMMANDS as MENU
from bot.config import Config
from formats.roster_file import read_roster
from handlers.basics import stale_button
from handlers.campaign_message import campaign_payload
from handlers.permissions import (
    BUTTONS,
    COMMANDS,
    MAX_ID,
    ButtonRule,
    Name,
    Number,
    Token,
    Word,
    parse_button,
)
from storage.campaigns import CampaignSpec, Round, launch_campaign
from storage.people import register_by_phone
from storage.roster import apply_import
from tests.fake_telegram import TOKEN, FakeTelegram, FakeUser
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, NOW, TWO_DISTRICTS, csv_file
from tests.test_campaign_launch import TITLE, answer, press, setup
from tests.test_reports import DEADLINE, launch, open_report, say
from tests.test_roster_chat import NEW_ROW
from tests.test_roster_chat import office as roster_office

EXPIRED = "Nút này không còn hiệu lực"
NOT_ALLOWED = "không có quyền"
EDIT_NOTE = "Bot không đọc tin nhắn đã sửa"


def answered(user: FakeUser, count: int) -> Callable[[], bool]:
    """The user's button presses have been answered `count` times."""
    return lambda: len(user.answers) >= count


# ---- the table covers every handler ----------------------------------------------------


def _all_handlers(
    handlers: list[BaseHandler[Any, Any, Any]],
) -> Iterator[BaseHandler[Any, Any, Any]]:
    for handler in handlers:
        yield handler
        if isinstance(handler, ConversationHandler):
            inner = [*handler.entry_points, *handler.fallbacks]
            inner += [h for state in handler.states.values() for h in state]
            yield from _all_handlers(inner)


def _registered() -> list[BaseHandler[Any, Any, Any]]:
    app = build_application(Config(token=TOKEN))
    return list(_all_handlers([h for group in app.handlers.values() for h in group]))


def samples(rule: ButtonRule) -> list[str]:
    """Valid data of a button kind: each field at its edges and a few values between."""
    values: list[list[str]] = []
    for field in rule.fields:
        if isinstance(field, Number):
            values.append(["0", "1", "7", "12", str(field.high)])
        elif isinstance(field, Word):
            values.append(list(field.choices))
        elif isinstance(field, Token):
            values.append(["Ab3_-x9Q"])
        else:
            assert isinstance(field, Name)
            values.append(["short", "participation", "review", "custom"])
    return [":".join((rule.prefix, *combo)) for combo in itertools.product(*values)]


def test_every_command_and_button_handler_has_a_line_in_the_table() -> None:
    handlers = _registered()
    commands = {c for h in handlers if isinstance(h, CommandHandler) for c in h.commands}
    assert commands == set(COMMANDS), "a command handler without its line, or a dead line"
    presses = [h for h in handlers if isinstance(h, CallbackQueryHandler)]
    catch_all = [h for h in presses if h.pattern is None]
    assert [h.callback for h in catch_all] == [stale_button]  # the only one without a pattern
    patterns = [h.pattern for h in presses if h.pattern is not None]
    every = [data for rule in BUTTONS.values() for data in samples(rule)]
    for pattern in patterns:
        assert isinstance(pattern, re.Pattern), pattern
        matched = [data for data in every if pattern.match(data)]
        assert matched, f"no line in handlers/permissions.py for buttons {pattern.pattern!r}"
    for rule in BUTTONS.values():
        assert all(parse_button(data) is not None for data in samples(rule))
        handled = any(
            isinstance(p, re.Pattern) and p.match(d) for p in patterns for d in samples(rule)
        )
        assert handled, f"no handler takes {rule.prefix!r} buttons"


def test_the_table_agrees_with_require_role_and_the_menus() -> None:
    for handler in _registered():
        roles = getattr(getattr(handler, "callback", None), "required_roles", None)
        if isinstance(handler, CommandHandler) and roles is not None:
            for command in handler.commands:
                assert set(roles) == set(COMMANDS[command].roles), command
    for entry in MENU:  # a menu never offers a command the gate refuses
        rule = COMMANDS[entry.name]
        assert rule.strangers or set(entry.roles) <= set(rule.roles), entry.name
    assert COMMANDS["start"].strangers and COMMANDS["help"].strangers
    assert not any(rule.strangers for rule in BUTTONS.values())


@pytest.mark.parametrize(
    "data",
    [
        None, "", "zz:1", "rv", "rv:", "rv:x", "rv:-1", "rv:+1", "rv: 1", "rv:1 ", "rv:1.0",
        "rv:1e3", "rv:٣", "rv:²", "rv:" + "9" * 21, f"rv:{MAX_ID + 1}", "rv:1:2", "rv:" + "1" * 70,
        "ev:1", "ev:1:", "ev:1:2:3", "rp:c:x", "rp:c:100", "rp:c:-1", "rp:q:1e1", "rp:yes:1",
        "rcn:1", "pd:role:admin", "pd:form:Review", "pd:form:", "pd:u:p:1000000",
        "roster:apply:" + "9" * 21, "roster:template:1", "roster:", "tb:c:" + "9" * 21,
    ],
)  # fmt: skip
def test_malformed_or_out_of_range_data_is_no_button(data: str | None) -> None:
    assert parse_button(data) is None


def test_button_data_parses_to_typed_fields() -> None:
    assert parse_button(f"rv:{MAX_ID}") is not None
    evidence = parse_button("ev:12:7")
    assert evidence is not None and evidence.kind == "ev" and evidence.values == (12, 7)
    choice = parse_button("rp:c:3")
    assert choice is not None and choice.kind == "rp:c" and choice.number(0) == 3
    yes = parse_button("rp:yes")
    assert yes is not None and yes.kind == "rp:yes" and yes.values == ()
    role = parse_button("pd:role:teacher")
    assert role is not None and role.word() == "teacher"
    upload = parse_button("roster:apply:5")
    assert upload is not None and upload.kind == "roster:apply" and upload.id == 5


# ---- forged presses, from everyone who might try ----------------------------------------

SECRET_TITLE = "Kế hoạch riêng của Phòng Đồng Xoài"
SECRET_ROUND = "Đợt kín"
SECRET_ANSWER = "Câu trả lời riêng của trường"


def malformed(rule: ButtonRule) -> list[str]:
    """Data of this kind that is no button: out of range, not a number, missing, extra."""
    huge = "9" * 21
    prefix, count = rule.prefix, len(rule.fields)
    if not count:
        return [f"{prefix}:1", f"{prefix}:{huge}"]
    return [
        ":".join([prefix, *[huge] * count]),
        ":".join([prefix, *[str(MAX_ID + 1)] * count]),
        ":".join([prefix, *["x"] * count]),
        ":".join([prefix, *["-1"] * count]),
        prefix,
        ":".join([prefix, *["1"] * (count + 1)]),
    ]


async def district_campaign(bot: RunningBot, telegram: FakeTelegram) -> tuple[int, int]:
    """A campaign of the Đồng Xoài district office for its own schools: (campaign, round)."""
    dx = await bot.db.fetchval("SELECT id FROM units WHERE code = 'PGD-DX'")
    rounds = (Round(SECRET_ROUND, "person", DEADLINE, "short"),)
    spec = CampaignSpec(
        SECRET_TITLE, "99/KH-PGDĐT", int(dx), None, None, "", (), True, (),
        ("principal", "teacher"), None, None, None, rounds,
    )  # fmt: skip
    campaign_id, _, _ = await launch_campaign(
        bot.db, spec, created_by=6001, progress_chat_id=None, progress_message_id=None,
        payload_for=lambda cid, rounds: campaign_payload(cid, spec, rounds), now=NOW,
    )  # fmt: skip
    assert bot.app is not None and bot.app.bot_data.sender is not None
    bot.app.bot_data.sender.wake()
    await telegram.user(6102).expect(SECRET_TITLE, timeout=10)
    round_id = await bot.db.fetchval("SELECT id FROM rounds WHERE name = ?", (SECRET_ROUND,))
    return int(campaign_id), int(round_id)


async def test_forged_presses_get_an_alert_no_error_report_and_no_leak(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    admin = telegram.user(ADMIN_ID)  # where error reports would go
    await launch(bot, telegram)
    await apply_import(bot.db, read_roster(csv_file(TWO_DISTRICTS)), NOW)
    for phone, uid in (("0915000001", 7001), ("0915000002", 7002), ("0915000003", 7003)):
        await register_by_phone(bot.db, phone, uid, NOW)
    campaign_id, round_id = await district_campaign(bot, telegram)
    teacher = telegram.user(6102)  # answers the district's round
    await teacher.press_data(f"rpt:{round_id}")
    await teacher.expect("Câu 1/1")
    await say(teacher, SECRET_ANSWER, "Xem lại")
    await teacher.press("📨 Gửi")
    await teacher.expect("Đã nộp báo cáo")
    submission_id = await bot.db.fetchval("SELECT id FROM submissions")
    sender = telegram.user(6001)  # the Sở's office: a roster file waiting for confirmation
    await sender.send_document("ds.csv", csv_file([*TWO_DISTRICTS, NEW_ROW]))
    preview = await sender.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: preview.has_button("✅ Áp dụng"))
    upload_id = await bot.db.fetchval("SELECT id FROM roster_uploads WHERE status = 'pending'")

    naming = [
        f"ack:{campaign_id}", f"rep:{campaign_id}", f"tb:c:{campaign_id}", f"rpt:{round_id}",
        f"rpe:{round_id}", f"rv:{round_id}", f"rc:{round_id}", f"rcy:{round_id}",
        f"ro:{round_id}", f"rn:{round_id}", f"rs:{submission_id}", f"rb:{submission_id}",
        f"ev:{submission_id}:1", f"roster:apply:{upload_id}", f"roster:drop:{upload_id}",
    ]  # fmt: skip
    forged = [data for rule in BUTTONS.values() for data in malformed(rule)]
    forged += ["zz:1", "ack:٣", "rp:c:1e3", "rv:" + "1" * 70, *naming]
    stranger = telegram.user(7999)
    await stranger.send("/start")
    await stranger.expect("Mã người dùng Telegram")
    people = [stranger]
    for uid in (7003, 7002, 7001):  # a teacher, a principal, an office of the other district
        user = telegram.user(uid)
        await user.send("/help")
        await user.expect("hướng dẫn")
        people.append(user)
    for user in people:
        for data in forged:
            await user.press_data(data)
    for user in people:
        await telegram.wait_until(answered(user, len(forged)), timeout=30)
    await admin.expect_nothing(0.5)
    assert telegram.messages_to(ADMIN_ID) == []
    opened = {f"rpt:{round_id}", f"rpe:{round_id}"}  # "not for you", as a message (below)
    for user in people:
        assert len(user.answers) == len(forged)
        for data, given in zip(forged, user.answers, strict=True):
            text = given.get("text") or ""
            assert SECRET_TITLE not in text and SECRET_ROUND not in text, (user, data, text)
            if user is not stranger and data in opened:
                continue
            assert given["show_alert"], (user, data, given)
            said = (EXPIRED, NOT_ALLOWED, "chưa đăng ký", "hoặc đã hủy")  # the last: a draft's
            assert any(words in text for words in said), (data, text)  # token that is no more
        replies = [m for m in user.messages()[user._cursor :]]
        expected = 0 if user is stranger else len(opened)
        assert len(replies) == expected, [m.text for m in replies]
        assert all("không dành cho bạn" in m.shown for m in replies)
    # Nothing changed: no round closed, no report sent back, the roster file still waits.
    assert await bot.db.fetchval("SELECT COUNT(*) FROM rounds WHERE closed = 1") == 0
    assert await bot.db.fetchval("SELECT status FROM submissions") == "submitted"
    assert await bot.db.fetchval("SELECT COUNT(*) FROM acknowledgements") == 0
    status = await bot.db.fetchval("SELECT status FROM roster_uploads WHERE id = ?", (upload_id,))
    assert status == "pending"


async def test_a_stale_flow_button_says_so(bot: RunningBot, telegram: FakeTelegram) -> None:
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    assert (await open_report(teacher)).contains("Câu 1/8")
    await say(teacher, "/huy", "Bản nháp được giữ lại")
    count = len(teacher.answers)
    await teacher.press_data("rp:skip")  # a button of the report, after /huy
    await telegram.wait_until(lambda: len(teacher.answers) > count)
    assert teacher.answers[-1]["show_alert"] and EXPIRED in teacher.answers[-1]["text"]
    await teacher.expect_nothing()


# ---- edited messages ---------------------------------------------------------------------

NUMBERS = """
title: Số liệu
questions:
  - {key: ten, prompt: Tên hoạt động, type: văn bản}
  - {key: so_lop, prompt: Số lớp tham gia, type: số}
  - {key: so_hs, prompt: Số học sinh tham gia, type: số}
  - {key: so_gv, prompt: Số giáo viên tham gia, type: số}
  - {key: ghi_chu, prompt: Ghi chú, type: văn bản}
"""


async def test_an_edited_answer_is_not_taken_for_the_open_question(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await launch(bot, telegram, form_yaml=NUMBERS)
    teacher = telegram.user(6102)
    assert (await open_report(teacher)).contains("Câu 1/5")
    await say(teacher, "Ngày hội đọc sách", "Câu 2/5")
    await say(teacher, "12", "Câu 3/5")
    second = teacher.outbox[-1]
    await say(teacher, "340", "Câu 4/5")
    await teacher.edit(second, "77")  # while question 4, also a number, is open
    note = await teacher.expect(EDIT_NOTE)
    assert "«⬅️ Quay lại»" in note.shown and "«✏️ Sửa»" in note.shown
    await teacher.expect_nothing()
    draft = await bot.db.fetchval("SELECT draft FROM submissions")
    assert '"so_lop": 12' in draft and "so_gv" not in draft and "77" not in draft
    assert await bot.db.fetchval("SELECT step FROM submissions") == 3
    await say(teacher, "25", "Câu 5/5")  # question 4 is still the one answered next
    await say(teacher, "Không", "Xem lại")
    draft = await bot.db.fetchval("SELECT draft FROM submissions")
    assert '"so_lop": 12' in draft and '"so_gv": 25' in draft


async def test_an_edited_message_changes_nothing_in_phatdong(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, _ = await setup(bot, telegram)
    await answer(office, "/phatdong", "Bước 1")
    await answer(office, TITLE, "Bước 2")
    title = office.outbox[-1]
    await answer(office, "1234/KH-SGDĐT", "Bước 3")
    await office.edit(title, "01/09/2023 - 31/05/2024")  # a valid answer to step 3
    await office.expect(EDIT_NOTE)
    await office.expect_nothing()
    await office.edit(office.outbox[-1], "Kế hoạch khác hẳn")
    await office.expect(EDIT_NOTE)
    await press(office, "⏭ Bỏ qua", "Bước 4")  # step 3 was still open
    await press(office, "⏭ Bỏ qua", "Bước 5")
    await press(office, "⏭ Bỏ qua", "Bước 6")
    await press(office, "Tất cả đơn vị", "Bước 7")
    await press(office, "Tiếp tục ➡️", "Bước 8")
    await press(office, "⏭ Bỏ qua", "Bước 9")
    await office.press("Không có đợt báo cáo")
    await office.expect("Xem trước")
    preview = await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    assert "1234/KH-SGDĐT" in preview.shown and "Kế hoạch khác hẳn" not in preview.shown
    assert "01/09/2023" not in preview.shown  # no period was given


# ---- groups ------------------------------------------------------------------------------


async def test_in_a_group_the_bot_says_once_to_write_privately(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    await register_by_phone(bot.db, "0912000002", 6102, NOW)  # Trần Văn Ân, a teacher
    teacher = telegram.user(6102)
    group = telegram.group(-1001234, "Tổ Toán THCS Tân Phú", "supergroup")
    await teacher.send("/help@thidua_test_bot", chat=group)
    note = await group.expect("tin nhắn riêng")
    assert "@thidua_test_bot" in note.shown
    for secret in ("Trần Văn Ân", "Tân Phú", "Giáo viên", "/baocao"):
        assert secret not in note.shown
    for text in ("/huy", "/help", "/baocao", "/start", "xin chào"):
        await teacher.send(text, chat=group)
    await teacher.press_data("rv:1", note)  # a press on the bot's message in the group
    await telegram.wait_until(lambda: bool(teacher.answers))
    assert teacher.answers[-1]["show_alert"] and "nhắn riêng" in teacher.answers[-1]["text"]
    await group.expect_nothing(0.5)
    await bot.restart()  # remembered
    await teacher.send("/help", chat=group)
    await group.expect_nothing(0.5)
    assert teacher.messages() == []  # nothing in the private chat either
    other = telegram.group(-42, "Nhóm phụ huynh")
    await teacher.send("/tiendo", chat=other)
    await other.expect("tin nhắn riêng")
    assert telegram.messages_to(ADMIN_ID) == []


# ---- the roster preview pressed again ----------------------------------------------------


async def test_an_expired_roster_preview_pressed_again_gets_an_alert(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    admin = telegram.user(ADMIN_ID)
    user = await roster_office(bot, telegram)
    await user.send_document("cu.csv", csv_file([*BASIC_ROWS, NEW_ROW]))
    first = await user.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: first.has_button("✅ Áp dụng"))
    apply_first, drop_first = first.button_data("✅ Áp dụng"), first.button_data("✖️ Hủy")
    await user.send_document("moi.csv", csv_file([*BASIC_ROWS, NEW_ROW]))
    second = await user.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: second.has_button("✅ Áp dụng"))
    await user.press("✅ Áp dụng", first)
    await telegram.wait_until(lambda: "không còn hiệu lực" in first.shown)
    assert first.buttons() == []
    for data in (apply_first, drop_first):  # the message already says it expired
        count = len(user.answers)
        await user.press_data(data, first)
        await telegram.wait_until(answered(user, count + 1))
        assert user.answers[-1]["show_alert"] and "không còn hiệu lực" in user.answers[-1]["text"]
    apply_second = second.button_data("✅ Áp dụng")
    await user.press("✅ Áp dụng", second)
    await telegram.wait_until(lambda: "Đã cập nhật" in second.shown)
    await user.press_data(apply_second, second)  # a second tap: the result stays
    await telegram.wait_until(
        lambda: user.answers[-1]["text"] and "hiệu lực" in user.answers[-1]["text"]
    )
    assert "Đã cập nhật" in second.shown
    await admin.expect_nothing(0.3)
    assert not [c for c in telegram.calls if c.status != 200 and c.method != "getUpdates"]
