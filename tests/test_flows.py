"""One business action, one transaction; flows that cannot be resurrected, lost, or left one
step behind.

"The bot dies" here means either that the conversation state is never written (the state
write after the action is lost), or that the handler stops right after the storage call
(nothing after the commit runs), each followed by a restart.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

import handlers.campaign_launch.preview
import handlers.registration
import handlers.report_review
import handlers.reports
from formats.roster_file import read_roster
from handlers.campaign_message import campaign_payload
from storage.campaigns import CampaignSpec, Round, launch_campaign
from storage.people import person_by_phone
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, NOW, TWO_DISTRICTS, VN, csv_file
from tests.test_campaign_launch import TITLE, begin, registered, setup
from tests.test_launch_recipients import UNIT_ROUND, walk_to_preview
from tests.test_report_review import submit_as
from tests.test_reports import fill_all, open_report
from tests.test_reports import launch as launch_with_round

GONE = "đã được phát động hoặc đã hủy"
ANNOUNCEMENT_GONE = "đã được gửi hoặc đã hủy"
UNKNOWN = "chưa hiểu"


def lose_state_writes(bot: RunningBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on until the restart, no conversation state reaches the database."""
    assert bot.app is not None and bot.app.persistence is not None

    async def lost(*args: Any, **kwargs: Any) -> None:
        return None

    monkeypatch.setattr(bot.app.persistence, "update_conversation", lost)


def dies_after(monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str) -> None:
    """The handler stops right after this storage call has committed."""
    real: Callable[..., Awaitable[Any]] = getattr(module, name)

    async def then_dies(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)
        raise RuntimeError("the bot died right after the commit")

    monkeypatch.setattr(module, name, then_dies)


async def alert(telegram: FakeTelegram, user: FakeUser, answered: int) -> str:
    """The text of the next answer to a button press (after `answered` earlier ones)."""
    await telegram.wait_until(lambda: len(user.answers) > answered)
    answer = user.answers[answered]
    assert answer["show_alert"], answer
    return str(answer["text"])


async def count(bot: RunningBot, sql: str) -> int:
    return int(await bot.db.fetchval(sql))


async def at_preview(office: FakeUser, *rounds: tuple[str, str]) -> SentMessage:
    await walk_to_preview(office, *rounds)
    await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    return await office.expect("Số người nhận")


# ---- /phatdong: launched once, and old buttons say so ------------------------------------


async def test_an_old_launch_button_after_the_launch_does_nothing_but_say_so(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, people = await setup(bot, telegram)
    preview = await at_preview(office)
    launch = preview.button_data("🚀 Phát động")
    assert launch.startswith("pd:launch:") and len(launch.encode()) <= 64
    await office.press("🚀 Phát động", preview)
    await office.expect()  # the progress message
    await office.expect("Đã gửi xong", timeout=10)
    assert preview.buttons() == []  # the launched preview's buttons are gone…
    answered = len(office.answers)
    await office.press_data(launch, preview)  # …but an old client may still press them
    assert GONE in await alert(telegram, office, answered)
    cancel = f"pd:cancel:{launch.removeprefix('pd:launch:')}"
    await office.press_data(cancel, preview)
    assert GONE in await alert(telegram, office, answered + 1)
    await office.expect_nothing(within=0.3)
    assert await count(bot, "SELECT COUNT(*) FROM campaigns") == 1
    for person in people:
        await person.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
        await person.expect_nothing(within=0.1)


async def test_a_launch_whose_state_write_is_lost_is_not_launched_again(
    bot: RunningBot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    office, people = await setup(bot, telegram)
    preview = await at_preview(office, UNIT_ROUND)
    launch = preview.button_data("🚀 Phát động")
    lose_state_writes(bot, monkeypatch)
    await office.press("🚀 Phát động", preview)
    for person in people:
        await person.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    await office.expect()  # the progress message
    await office.expect("Đã gửi xong", timeout=10)
    await bot.restart()

    # The launch ended the draft and the conversation in its own transaction.
    assert await count(bot, "SELECT COUNT(*) FROM conversations WHERE name = 'phatdong'") == 0
    assert await count(bot, "SELECT COUNT(*) FROM drafts") == 0
    answered = len(office.answers)
    await office.press_data(launch, preview)
    assert GONE in await alert(telegram, office, answered)
    await office.send("Tên phong trào mới")  # no flow left to take it
    await office.expect(UNKNOWN)
    assert await count(bot, "SELECT COUNT(*) FROM campaigns") == 1
    assert await count(bot, "SELECT COUNT(*) FROM outbox") == len(people)
    for person in people:
        await person.expect_nothing(within=0.1)


async def test_a_launch_that_dies_right_after_its_commit_is_launched_once(
    bot: RunningBot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    office, people = await setup(bot, telegram)
    preview = await at_preview(office)
    launch = preview.button_data("🚀 Phát động")
    dies_after(monkeypatch, handlers.campaign_launch.preview, "launch_campaign")
    await office.press("🚀 Phát động", preview)
    await office.expect()  # the progress message, sent before the launch
    await office.expect("bot vừa gặp lỗi")
    monkeypatch.undo()
    await bot.restart()
    for person in people:  # the broadcast committed with the campaign goes out
        await person.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    await office.expect("Đã gửi xong", timeout=10)

    answered = len(office.answers)
    await office.press_data(launch, preview)
    assert GONE in await alert(telegram, office, answered)
    assert await count(bot, "SELECT COUNT(*) FROM campaigns") == 1
    assert await count(bot, "SELECT COUNT(*) FROM conversations WHERE name = 'phatdong'") == 0
    for person in people:
        await person.expect_nothing(within=0.1)


async def test_the_preview_of_a_cancelled_draft_cannot_launch_a_newer_one(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, _ = await setup(bot, telegram)
    old = await at_preview(office)
    await office.send("/huy")
    await office.expect("Đã hủy")
    await office.send("/phatdong")
    await office.expect("Bước 1")  # a new draft, at its first question
    answered = len(office.answers)
    await office.press("🚀 Phát động", old)
    assert GONE in await alert(telegram, office, answered)
    await office.press("✖️ Hủy", old)  # nor cancel it
    assert GONE in await alert(telegram, office, answered + 1)
    await office.send(TITLE)
    await office.expect("Bước 2")  # the new draft went on undisturbed
    assert await count(bot, "SELECT COUNT(*) FROM campaigns") == 0


# ---- drafts that cannot be read ------------------------------------------------------------


async def old_version(bot: RunningBot, flow: str) -> None:
    """The draft as an older version of the bot wrote it: other fields."""
    data = json.loads(await bot.db.fetchval("SELECT data FROM drafts WHERE flow = ?", (flow,)))
    for newer in ("step", "token"):
        data.pop(newer)
    await bot.db.write("UPDATE drafts SET data = ? WHERE flow = ?", (json.dumps(data), flow))


async def test_a_draft_from_an_older_version_is_lost_not_filled_with_defaults(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, _ = await setup(bot, telegram)
    await begin(office)
    await old_version(bot, "phatdong")
    await office.send("1234/KH-SGDĐT")
    lost = await office.expect("Bản nháp")
    assert "không còn" in lost.shown and "/phatdong" in lost.shown
    await office.send("01/09/2023 - 31/05/2024")  # the flow is over
    await office.expect(UNKNOWN)
    assert await count(bot, "SELECT COUNT(*) FROM drafts") == 0
    await office.send("/phatdong")  # and starts afresh
    await office.expect("Bước 1")


async def test_a_preview_whose_draft_is_unreadable_launches_nothing(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, people = await setup(bot, telegram)
    preview = await at_preview(office)
    await old_version(bot, "phatdong")
    answered = len(office.answers)
    await office.press("🚀 Phát động", preview)
    assert GONE in await alert(telegram, office, answered)
    await office.press_data("pd:launch", preview)  # a preview's button from before tokens
    assert "không còn hiệu lực" in await alert(telegram, office, answered + 1)
    assert await count(bot, "SELECT COUNT(*) FROM campaigns") == 0
    for person in people:
        await person.expect_nothing(within=0.1)


# ---- the current question, asked again ------------------------------------------------------


async def test_phatdong_inside_the_flow_asks_the_current_question_again(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, _ = await setup(bot, telegram)
    await begin(office)
    await office.press("⏭ Bỏ qua")
    await office.expect("Bước 3")
    await office.send("/phatdong")
    note = await office.expect("đang làm dở /phatdong")
    assert "/huy" in note.shown
    again = await office.expect("Bước 3")
    assert again.buttons() == [["⏭ Bỏ qua"]]
    await office.send("01/09/2023 - 31/05/2024")
    await office.expect("Bước 4")
    draft = json.loads(await bot.db.fetchval("SELECT data FROM drafts"))
    assert draft["title"] == TITLE and draft["period_from"] == "2023-09-01"


async def test_the_preview_asked_again_launches_once(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, _ = await setup(bot, telegram)
    first = await at_preview(office)
    await office.send("/phatdong")
    await office.expect("đang làm dở")
    await office.expect("Xem trước")
    await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    second = await office.expect("Số người nhận")
    assert second.button_data("🚀 Phát động") == first.button_data("🚀 Phát động")
    await office.press("🚀 Phát động", second)
    await office.expect()
    await office.expect("Đã gửi xong", timeout=10)
    answered = len(office.answers)
    await office.press("🚀 Phát động", first)
    assert GONE in await alert(telegram, office, answered)
    assert await count(bot, "SELECT COUNT(*) FROM campaigns") == 1


async def test_thongbao_inside_the_flow_asks_the_current_question_again(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, _ = await setup(bot, telegram)
    await office.send("/thongbao")
    await office.expect("Gửi cho ai")
    await office.press("Tất cả mọi người")
    await office.expect("nội dung thông báo")
    await office.send("/thongbao")
    await office.expect("đang làm dở /thongbao")
    await office.expect("nội dung thông báo")
    await office.send("Họp giao ban thứ Hai.")
    await office.expect("Xem trước")


# ---- a reply that fails after the draft was saved -------------------------------------------


async def test_a_failed_question_does_not_leave_the_flow_one_step_behind(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, _ = await setup(bot, telegram)
    telegram.user(ADMIN_ID)
    await office.send("/phatdong")
    await office.expect("Bước 1")
    # The next question («Bước 2») fails to send, after the title was saved.
    telegram.inject_error("sendMessage", 400, "Bad Request: injected", chat_id=office.id)
    await office.send(TITLE)
    await office.expect("bot vừa gặp lỗi")
    await office.expect("Bước 2")  # asked again after the apology
    # Whoever saw «Bước 2» (Telegram may have delivered it the first time) answers it: it is
    # taken as the plan number, not as a new title.
    await office.send("1234/KH-SGDĐT")
    await office.expect("Bước 3")
    draft = json.loads(await bot.db.fetchval("SELECT data FROM drafts"))
    assert (draft["title"], draft["plan_number"]) == (TITLE, "1234/KH-SGDĐT")

    # Whoever saw neither asks for it again.
    telegram.inject_error("sendMessage", 400, "Bad Request: injected", chat_id=office.id,
                          times=3)  # the question, the apology, the question again  # fmt: skip
    await office.send("01/09/2023 - 31/05/2024")
    await telegram.wait_until(lambda: sum(c.status == 400 for c in telegram.calls_of(
        "sendMessage") if c.params["chat_id"] == office.id) == 1 + 3)  # fmt: skip
    await office.send("/phatdong")
    await office.expect("đang làm dở")
    again = await office.expect("Bước 4")
    assert again.buttons() == [["⏭ Bỏ qua"]]


async def test_a_failed_button_answer_moves_on_too(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, _ = await setup(bot, telegram)
    await office.send("/thongbao")
    await office.expect("Gửi cho ai")
    telegram.inject_error("sendMessage", 400, "Bad Request: injected", chat_id=office.id)
    await office.press("Tất cả mọi người")
    await office.expect("bot vừa gặp lỗi")
    await office.expect("nội dung thông báo")  # asked again after the apology
    await office.send("Họp giao ban thứ Hai.")
    await office.expect("Xem trước")


async def test_the_state_follows_the_draft_after_a_crash_between_them(
    bot: RunningBot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    office, _ = await setup(bot, telegram)
    await office.send("/phatdong")
    await office.expect("Bước 1")
    lose_state_writes(bot, monkeypatch)  # the draft moves to «Bước 2», the state does not
    await office.send(TITLE)
    await office.expect("Bước 2")
    await bot.restart()
    await office.send("1234/KH-SGDĐT")  # meant for «Bước 2»: not taken as a title
    again = await office.expect("Bước 2")  # asked again instead
    assert again.buttons() == [["⏭ Bỏ qua"]]
    await office.send("1234/KH-SGDĐT")
    await office.expect("Bước 3")
    draft = json.loads(await bot.db.fetchval("SELECT data FROM drafts"))
    assert (draft["title"], draft["plan_number"]) == (TITLE, "1234/KH-SGDĐT")


# ---- /thongbao -------------------------------------------------------------------------------


async def announcement_preview(office: FakeUser) -> SentMessage:
    await office.send("/thongbao")
    await office.expect("Gửi cho ai")
    await office.press("Tất cả mọi người")
    await office.expect("nội dung thông báo")
    await office.send("Họp giao ban thứ Hai lúc 8:00.")
    await office.expect("Xem trước")
    await office.expect("THÔNG BÁO")
    return await office.expect("Số người nhận")


async def test_an_old_send_button_sends_nothing_twice(
    bot: RunningBot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    office, people = await setup(bot, telegram)
    preview = await announcement_preview(office)
    send = preview.button_data("📨 Gửi")
    assert send.startswith("tb:send:")
    lose_state_writes(bot, monkeypatch)
    await office.press("📨 Gửi", preview)
    for person in people:
        await person.expect("THÔNG BÁO", timeout=10)
    await bot.restart()
    assert await count(bot, "SELECT COUNT(*) FROM conversations WHERE name = 'thongbao'") == 0
    answered = len(office.answers)
    await office.press_data(send, preview)
    assert ANNOUNCEMENT_GONE in await alert(telegram, office, answered)
    assert await count(bot, "SELECT COUNT(*) FROM broadcasts") == 1
    for person in people:
        await person.expect_nothing(within=0.1)


async def test_a_forged_campaign_button_does_not_reveal_its_title(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await apply_import(bot.db, read_roster(csv_file(TWO_DISTRICTS)), NOW)
    bu_dang = await person_by_phone(bot.db, "0915000001")
    assert bu_dang is not None
    secret = "Phong trào riêng của Bù Đăng"
    spec = CampaignSpec(secret, "", bu_dang.unit_id, None, None, "", (), True, (),
                        ("principal", "teacher"), None, None, None, ())  # fmt: skip
    campaign_id, _, _ = await launch_campaign(
        bot.db, spec, created_by=1, progress_chat_id=None, progress_message_id=None,
        payload_for=lambda cid, rounds: campaign_payload(cid, spec, rounds), now=NOW,
    )  # fmt: skip
    admin = telegram.user(ADMIN_ID)
    district = await registered(telegram, "0911000002", 5002)  # Đồng Xoài's office
    await district.send("/thongbao")
    ask = await district.expect("Gửi cho ai")
    assert secret not in json.dumps(ask.buttons(), ensure_ascii=False)
    for forged, said in ((f"tb:c:{campaign_id}", "không có quyền"),
                         ("tb:c:" + "9" * 21, "không còn hiệu lực")):  # fmt: skip
        answered = len(district.answers)
        await district.press_data(forged, ask)
        assert said in await alert(telegram, district, answered)
    await district.expect_nothing(within=0.3)
    assert not any(secret in m.shown for m in telegram.messages_to(district.id))
    await admin.expect_nothing(within=0.1)  # no error report either
    await district.press("Tất cả mọi người", ask)  # still at the same question
    await district.expect("nội dung thông báo")


# ---- send-back, report, registration -------------------------------------------------------


async def to_reason(telegram: FakeTelegram) -> FakeUser:
    office = telegram.user(6001)
    await office.send("/tiendo")
    await office.expect("Phát động")
    round_message = await office.expect("Đã nộp 1 / 5")
    await office.press("📋 Xem, yêu cầu bổ sung", round_message)
    listing = await office.expect("1 báo cáo đã nộp")
    await office.press(listing.buttons()[0][0], listing)
    await office.expect("Người nộp: Trần Văn Ân")
    await office.press("↩️ Yêu cầu bổ sung")
    await office.expect("lý do")
    return office


async def test_a_send_back_that_dies_after_its_commit_keeps_its_notice(
    bot: RunningBot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    await launch_with_round(bot, telegram)
    await submit_as(telegram, 6102)
    office = await to_reason(telegram)
    dies_after(monkeypatch, handlers.report_review, "return_for_additions")
    await office.send("Bổ sung ảnh buổi sơ kết")
    await office.expect("bot vừa gặp lỗi")
    monkeypatch.undo()
    await bot.restart()
    assert await bot.db.fetchval("SELECT status FROM submissions") == "returned"
    notice = await telegram.user(6102).expect("yêu cầu bổ sung", timeout=10)
    assert "Bổ sung ảnh buổi sơ kết" in notice.shown
    assert await count(bot, "SELECT COUNT(*) FROM conversations WHERE name = 'trabosung'") == 0
    await office.send("Một lý do nữa")  # not taken as another send-back
    await office.expect(UNKNOWN)


async def test_a_lost_send_back_draft_is_said_so(bot: RunningBot, telegram: FakeTelegram) -> None:
    await launch_with_round(bot, telegram)
    await submit_as(telegram, 6102)
    office = await to_reason(telegram)
    await bot.db.write("UPDATE drafts SET data = '{}' WHERE flow = 'trabosung'")
    await office.send("Bổ sung ảnh buổi sơ kết")
    await office.expect("Không còn yêu cầu bổ sung nào đang soạn dở")
    assert await bot.db.fetchval("SELECT status FROM submissions") == "submitted"


async def test_a_report_that_dies_after_its_submission_ends_its_flow(
    bot: RunningBot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    await launch_with_round(bot, telegram)
    dies_after(monkeypatch, handlers.reports, "submit")
    teacher = telegram.user(6102)
    await open_report(teacher)
    await fill_all(teacher)
    await teacher.press("📨 Gửi")
    await teacher.expect("bot vừa gặp lỗi")  # the receipt never comes
    monkeypatch.undo()
    await bot.restart()
    assert await count(bot, "SELECT COUNT(*) FROM conversations WHERE name = 'baocao'") == 0
    assert await count(bot, "SELECT COUNT(*) FROM drafts") == 0
    row = await bot.db.fetchone("SELECT status, version FROM submissions")
    assert row is not None and tuple(row) == ("submitted", 1)


async def launched_before_registration(bot: RunningBot, telegram: FakeTelegram) -> None:
    office, _ = await setup(bot, telegram)
    await at_preview(office)
    await office.press("🚀 Phát động")
    await office.expect()
    await office.expect("Đã gửi xong", timeout=10)
    rows = [*BASIC_ROWS, ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Lý Thị Mới", "gv",
                          "0988000001")]  # fmt: skip
    await apply_import(bot.db, read_roster(csv_file(rows)), NOW)


async def test_a_newcomer_whose_welcome_fails_still_gets_the_campaigns(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await launched_before_registration(bot, telegram)
    newcomer = telegram.user(5200)
    # The welcome fails (not the campaign, which the outbox may send first).
    telegram.inject_error(
        "sendMessage", 400, "Bad Request: injected", chat_id=5200, text_contains="Đăng ký"
    )
    await newcomer.share_contact("0988000001")
    plan = await newcomer.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    assert plan.buttons() == [["✅ Đã nhận"]]
    await telegram.wait_until(lambda: any("bot vừa gặp lỗi" in m.shown
                                          for m in newcomer.messages()))  # fmt: skip


async def test_a_registration_that_dies_after_its_commit_still_delivers(
    bot: RunningBot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    await launched_before_registration(bot, telegram)
    dies_after(monkeypatch, handlers.registration, "register_by_phone")
    newcomer = telegram.user(5200)
    await newcomer.share_contact("0988000001")
    await newcomer.expect("bot vừa gặp lỗi")
    monkeypatch.undo()
    await bot.restart()
    await newcomer.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    await newcomer.send("/start")
    await newcomer.expect("Bạn đã đăng ký rồi")
    await newcomer.expect_nothing(within=0.3)  # delivered once


async def test_a_campaign_launched_before_versions_were_kept_reaches_newcomers(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    """A database from before this version: the campaign's payload is the old dict, with
    the two keyboards in it, and no campaign_messages rows."""
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    deadline = NOW + timedelta(days=30)
    spec = CampaignSpec("Thi đua cũ", "", None, None, None, "", (), True, (),
                        ("principal", "teacher"), None, None, None,
                        (Round("Sơ kết", "unit", deadline, "short"),))  # fmt: skip
    campaign_id, _, _ = await launch_campaign(
        bot.db, spec, created_by=1, progress_chat_id=None, progress_message_id=None,
        payload_for=lambda cid, rounds: campaign_payload(cid, spec, rounds), now=NOW,
    )  # fmt: skip
    ack = {"text": "✅ Đã nhận", "callback_data": f"ack:{campaign_id}"}
    report = {"text": "📝 Báo cáo", "callback_data": f"rep:{campaign_id}"}
    legacy = {"text": "📢 <b>PHÁT ĐỘNG PHONG TRÀO THI ĐUA</b> cũ", "buttons": [[ack]],
              "document": None, "title": "Thi đua cũ",
              "keyboards": {"answer": [[ack, report]], "read": [[ack]]}}  # fmt: skip
    await bot.db.write("DELETE FROM campaign_messages")
    await bot.db.write("UPDATE broadcasts SET payload = ?", (json.dumps(legacy),))
    teacher = await registered(telegram, "0912000002", 5102)
    got = await teacher.expect("PHÁT ĐỘNG PHONG TRÀO THI ĐUA cũ", timeout=10)
    assert got.buttons() == [["✅ Đã nhận"]]
    principal = await registered(telegram, "0912000001", 5101)
    got = await principal.expect("PHÁT ĐỘNG PHONG TRÀO THI ĐUA cũ", timeout=10)
    assert got.buttons() == [["✅ Đã nhận", "📝 Báo cáo"]]


async def test_the_preview_of_a_plan_with_twelve_monthly_rounds_fits_and_launches(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, people = await setup(bot, telegram)
    plan = telegram.add_file(b"%PDF-1.4 ke hoach", "ke_hoach.pdf", "application/pdf")
    await office.send("/phatdong")
    await office.expect("Bước 1")
    draft = json.loads(await bot.db.fetchval("SELECT data FROM drafts"))
    first = datetime(2023, 10, 31, 17, 0, tzinfo=VN)
    draft.update(
        title=TITLE, plan_number="1234/KH-SGDĐT", summary="Tóm tắt kế hoạch. " * 40,
        document_file_id=plan["file_id"], document_name="ke_hoach.pdf", step="preview",
        rounds=[{"name": f"Báo cáo tháng {(9 + k) % 12 + 1}", "kind": "unit",
                 "deadline": (first + timedelta(days=30 * k)).isoformat(), "form": "short",
                 "form_json": None} for k in range(12)],
    )  # fmt: skip
    await bot.db.write("UPDATE drafts SET data = ?", (json.dumps(draft, ensure_ascii=False),))
    await office.send("/phatdong")  # the draft's current question: the preview
    await office.expect("đang làm dở")
    await office.expect("Xem trước")
    preview = await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    assert preview.document is not None and "12 đợt" in preview.shown
    await office.expect("Số người nhận")
    await office.press("🚀 Phát động")
    for person in people:
        got = await person.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
        assert got.shown == preview.shown  # exactly what the preview showed
        assert got.document is not None
