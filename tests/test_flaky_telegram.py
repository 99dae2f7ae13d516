"""Whole flows against a Telegram that fails 5 % of all requests, of every method and file
download: 500s, 502s, and connections dropped before the method ran or after it (done, but the
answer lost). Registration, /phatdong and /baocao complete with no apology; the faults are
seeded, so a run replays."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from bot.retry import creates_message
from formats.roster_file import read_roster
from handlers.campaign_message import campaign_payload
from storage.campaigns import CampaignSpec, Round, get_campaign, launch_campaign
from storage.people import invites_for_roster, person_by_phone
from storage.roster import apply_import
from tests.fake_telegram import ApiCall, FakeTelegram, FakeUser, SentMessage
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, NOW, csv_file
from tests.test_campaign_launch import LAUNCH_DAY, SEED, TITLE
from tests.test_campaign_launch import setup as registered_roster
from tests.test_reports import DEADLINE, START, launch
from tests.test_retry import APOLOGY, FAST, use_policy

RATE = 0.05
LOST = "connection dropped after the method ran"
AUDIENCE = ("0912000001", "0912000002", "0912000003", "0913000001", "0323000002")
REPLIES = frozenset(
    {"sendMessage", "sendDocument", "editMessageText", "editMessageReplyMarkup",
     "answerCallbackQuery", "setMyCommands", "getFile", "downloadFile"}
)  # fmt: skip


def flaky(bot: RunningBot, telegram: FakeTelegram, seed: int) -> None:
    """Faults from now on; short waits: the bot's retries, and the outbox sender's own."""
    use_policy(bot, FAST)
    assert bot.app is not None and bot.app.bot_data.sender is not None
    bot.app.bot_data.sender.retry_base_delay = 0.05
    bot.app.bot_data.sender.progress_interval = 0.1
    telegram.user(ADMIN_ID)  # so that an error report to the admin would arrive
    telegram.fail_randomly(RATE, (500, 502), drop_connection=True, seed=seed)


def _same(a: SentMessage, b: SentMessage) -> bool:
    return (a.text, a.reply_markup, a.document) == (b.text, b.reply_markup, b.document)


async def expect(user: FakeUser, fragment: str, timeout: float = 10) -> SentMessage:
    """The next message containing `fragment`. Before it may come only repeats of messages
    already shown: a send whose answer was lost is sent again (bot/retry.py)."""
    while True:
        message = await user.expect(timeout=timeout)
        if message.contains(fragment):
            return message
        earlier = [m for m in user.messages() if m.message_id < message.message_id]
        assert any(_same(m, message) for m in earlier), (
            f"waiting for {fragment!r}, {user!r} got:\n{message.text}"
        )


async def answer(user: FakeUser, text: str, fragment: str) -> SentMessage:
    await user.send(text)
    return await expect(user, fragment)


async def press(user: FakeUser, button: str, fragment: str) -> SentMessage:
    await user.press(button)
    return await expect(user, fragment)


def assert_no_apology(telegram: FakeTelegram) -> None:
    """Nobody was apologised to, the admin got no error report, and a message was shown twice
    only where Telegram had sent it and lost the answer (the cost bot/retry.py accepts)."""
    apologies = [m.text for m in telegram.sent if m.contains(APOLOGY)]
    reports = [m.text for m in telegram.messages_to(ADMIN_ID) if m.contains("Lỗi trong bot")]
    assert apologies == [] and reports == []
    for chat in {m.chat_id for m in telegram.sent}:
        shown = telegram.messages_to(chat)
        repeats = sum(_same(a, b) for a, b in pairwise(shown))
        lost = [c for c in telegram.faults if c.params.get("chat_id") == chat
                and creates_message(c.method) and c.description == LOST]  # fmt: skip
        assert repeats <= len(lost), (chat, [m.text for m in shown])


def hit_replies_to(telegram: FakeTelegram, *chats: int) -> list[ApiCall]:
    """The faults that fell on the bot's answers to these chats (so the test did test them)."""
    return [
        call for call in telegram.faults
        if call.method in REPLIES and call.params.get("chat_id", chats[0]) in chats
    ]  # fmt: skip


async def welcome_and_missed(user: FakeUser) -> None:
    """The welcome and the campaign they had missed, in either order: the campaign is queued
    with the registration, in its transaction, and may go out while the welcome is retried."""
    wanted = {"Đăng ký thành công", "PHÁT ĐỘNG PHONG TRÀO"}
    while wanted:
        message = await user.expect(timeout=10)
        found = {fragment for fragment in wanted if message.contains(fragment)}
        earlier = [m for m in user.messages() if m.message_id < message.message_id]
        assert found or any(_same(m, message) for m in earlier), message.text
        wanted -= found


# Seeds whose faults fall on the bot's answers in this flow: 500, 502, and drops before and
# after the method ran (a seed that misses them all would make the test vacuous).
@pytest.mark.parametrize("seed", [8, 10])
async def test_registration_with_missed_campaigns(
    bot: RunningBot, telegram: FakeTelegram, seed: int
) -> None:
    bot.clock.set(START)
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    spec = CampaignSpec(
        "Thi đua năm học 2023-2024", "1234/KH-SGDĐT", None, None, None, "", (), True, (),
        ("principal", "teacher"), None, None, None,
        (Round("Sơ kết", "person", DEADLINE, "short"),),
    )  # fmt: skip
    # Launched before anyone joined: nobody has received it.
    await launch_campaign(
        bot.db, spec, created_by=ADMIN_ID, progress_chat_id=None, progress_message_id=None,
        payload_for=lambda cid, rounds: campaign_payload(cid, spec, rounds), now=START,
    )  # fmt: skip
    codes = {i.person.phone: i.code for i in await invites_for_roster(bot.db, NOW)}
    flaky(bot, telegram, seed)
    joined: dict[str, FakeUser] = {}
    for index, phone in enumerate(AUDIENCE):
        user = telegram.user(8100 + index)
        if index % 2:
            await user.send(f"/start {codes[phone]}")
        else:
            await answer(user, "/start", "Chia sẻ số điện thoại")
            await user.share_contact(phone)
        await welcome_and_missed(user)
        joined[phone] = user
    for phone, user in joined.items():
        await answer(user, "/help", "Các lệnh bạn dùng được")
        assert telegram.commands_for(user.id)  # their menu
        person = await person_by_phone(bot.db, phone)
        assert person is not None and person.telegram_id == user.id
    assert_no_apology(telegram)
    assert hit_replies_to(telegram, *(u.id for u in joined.values()))


@pytest.mark.parametrize("seed", [2, 12])
async def test_launch_a_campaign(bot: RunningBot, telegram: FakeTelegram, seed: int) -> None:
    office, people = await registered_roster(bot, telegram)
    bot.clock.set(LAUNCH_DAY)
    flaky(bot, telegram, seed)
    await answer(office, "/phatdong", "Bước 1")
    await answer(office, TITLE, "Bước 2")
    await answer(office, "1234/KH-SGDĐT", "Bước 3")
    await answer(office, "31/05/2024 - 01/09/2023", "đứng trước ngày bắt đầu")
    await answer(office, "01/09/2023 - 31/05/2024", "Bước 4")
    summary = SEED.read_text(encoding="utf-8").split("1. Mục đích")[1][:600].strip()
    await answer(office, summary, "Bước 5")
    await answer(office, "- 100% cán bộ, giáo viên tham gia\n- Trên 50% đơn vị trao học bổng",
                 "Bước 6")  # fmt: skip
    roles = await press(office, "Tất cả đơn vị", "Bước 7")
    await office.press("✅ Hiệu trưởng", roles)  # off, and on again: edits of the keyboard
    await telegram.wait_until(lambda: roles.has_button("⬜ Hiệu trưởng"))
    await office.press("⬜ Hiệu trưởng", roles)
    await telegram.wait_until(lambda: roles.has_button("✅ Hiệu trưởng"))
    await press(office, "Tiếp tục ➡️", "Bước 8")
    plan = b"%PDF-1.4 ke hoach thi dua 2023-2024"
    await office.send_document("KH_thi_dua_2023-2024.pdf", plan, "application/pdf")
    await expect(office, "Bước 9")
    await press(office, "Sơ kết", "theo đơn vị (hiệu trưởng trả lời thay trường) hay")
    await press(office, "Theo đơn vị (hiệu trưởng trả lời)", "Nhập hạn nộp")
    await answer(office, "25/1/2024 25:00", "không hợp lệ")
    await answer(office, "25/1/2024", "mẫu báo cáo")
    await press(office, "Báo cáo sơ kết / tổng kết", "Nhắc nhở")
    await press(office, "✅ Giữ mặc định", "Thêm đợt khác")
    await press(office, "Tiếp tục ➡️", "Xem trước")
    await expect(office, "PHÁT ĐỘNG PHONG TRÀO")
    count = await expect(office, "Số người nhận")
    assert "5 người đã đăng ký" in count.shown
    await press(office, "🚀 Phát động", "Đang chuẩn bị gửi")
    done = await expect(office, "Đã gửi xong")
    assert "Đã gửi 5 / 5 · lỗi 0 · chặn bot 0" in done.shown

    for person in people:
        received = await expect(person, "PHÁT ĐỘNG PHONG TRÀO")
        assert received.document is not None
        assert telegram.file_bytes(received.document["file_id"]) == plan
    [row] = await bot.db.fetchall("SELECT id FROM campaigns")
    campaign = await get_campaign(bot.db, row[0])
    assert campaign is not None and campaign.status == "launched"
    assert campaign.spec.plan_number == "1234/KH-SGDĐT"
    assert [r.name for r in campaign.rounds] == ["Sơ kết"]
    assert campaign.spec.document_path is not None
    assert Path(campaign.spec.document_path).read_bytes() == plan
    assert_no_apology(telegram)
    assert hit_replies_to(telegram, office.id)


@pytest.mark.parametrize("seed", [1, 8])
async def test_answer_a_report(bot: RunningBot, telegram: FakeTelegram, seed: int) -> None:
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    flaky(bot, telegram, seed)
    await answer(teacher, "/baocao", "Các đợt báo cáo của bạn")
    await press(teacher, teacher.messages()[-1].buttons()[0][0], "Câu 1/8")
    await answer(teacher, "   ", "chưa nhập câu trả lời")
    await answer(teacher, "Đã tổ chức 3 hoạt động ủng hộ, quyên góp 12,5 triệu đồng.", "Câu 2/8")
    await answer(teacher, "2,5", "nguyên")
    await answer(teacher, "1.234", "Câu 3/8")
    await answer(teacher, "85,5%", "Câu 4/8")
    await press(teacher, "✅ Có", "Câu 5/8")
    await press(teacher, "Tốt", "Câu 6/8")
    await answer(teacher, "15/01/2024", "Câu 7/8")
    await press(teacher, "⬅️ Quay lại", "Câu 6/8")
    await press(teacher, "↪️ Giữ nguyên", "Câu 7/8")
    await press(teacher, "⏭ Bỏ qua", "Câu 8/8")
    photo = b"\xff\xd8\xff anh hoat dong"
    await teacher.send_photo(photo)
    await expect(teacher, "1 tệp")
    await teacher.send_document("bien_ban.pdf", b"%PDF bien ban", "application/pdf")
    await expect(teacher, "2 tệp")
    summary = await press(teacher, "✔️ Xong", "Xem lại")
    for shown in ("1.234", "85,5%", "Có", "Tốt", "15/01/2024", "bien_ban.pdf"):
        assert shown in summary.shown
    await press(teacher, "📨 Gửi", "Đã nộp báo cáo")

    row = await bot.db.fetchone("SELECT status, answers, version FROM submissions")
    assert row is not None and row[0] == "submitted" and row[2] == 1
    assert '"so_nguoi": 1234' in row[1] and '"ty_le": 85.5' in row[1]
    files = await bot.db.fetchall("SELECT path FROM evidence_files ORDER BY id")
    assert [Path(path).read_bytes() for (path,) in files] == [photo, b"%PDF bien ban"]
    assert_no_apology(telegram)
    assert hit_replies_to(telegram, teacher.id)
