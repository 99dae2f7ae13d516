"""A report never stays a step behind (issue 11.8): /baocao inside it shows the current
question again, and what a message or a press means follows the step saved with the answers,
also after a reply that failed or whose answer was lost."""

from __future__ import annotations

import json

from bot.retry import RetryPolicy
from storage.reports import return_for_additions
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.harness import RunningBot
from tests.test_reports import answer_up_to_files, launch, open_report, say


async def _answers(bot: RunningBot) -> dict[str, object]:
    return dict(json.loads(await bot.db.fetchval("SELECT draft FROM submissions")))


def _replies_fail(telegram: FakeTelegram, teacher: FakeUser) -> None:
    """The next reply to the teacher never arrives: Telegram answers 502 to every try of it
    (bot/retry.py makes RetryPolicy.tries); the apology after it goes through."""
    telegram.inject_error("sendMessage", 502, chat_id=teacher.id, times=RetryPolicy.tries)


async def _reply_fails(telegram: FakeTelegram, teacher: FakeUser, text: str, then: str) -> None:
    """`text` is taken, but the reply to it never arrives: the apology does, then the
    question the report now stands at (`then`)."""
    _replies_fail(telegram, teacher)
    await teacher.send(text)
    await teacher.expect("Xin lỗi", timeout=15)
    await teacher.expect(then)


async def _at_last_question(bot: RunningBot, telegram: FakeTelegram) -> FakeUser:
    """A teacher's report at its files question, one photo sent."""
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    await open_report(teacher)
    await answer_up_to_files(teacher)
    await teacher.send_photo(b"\xff\xd8 anh")
    await teacher.expect("1 tệp")
    return teacher


async def test_baocao_shows_the_question_that_never_arrived(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    await open_report(teacher)
    await say(teacher, "Kết quả", "Câu 2/8")
    await say(teacher, "10", "Câu 3/8")
    await _reply_fails(telegram, teacher, "50", "Câu 4/8")  # question 4 arrives only after
    await teacher.send("/baocao")
    await teacher.expect("Bạn đang làm dở /baocao")
    again = await teacher.expect("Câu 4/8")
    assert again.buttons()[0] == ["✅ Có", "❌ Không"]
    await teacher.press("✅ Có", again)
    await teacher.expect("Câu 5/8")
    answers = await _answers(bot)
    assert (answers["ty_le"], answers["hoc_bong"]) == (50, True)


async def test_a_summary_lost_on_the_way(bot: RunningBot, telegram: FakeTelegram) -> None:
    teacher = await _at_last_question(bot, telegram)
    _replies_fail(telegram, teacher)
    await teacher.press("✔️ Xong")
    await teacher.expect("Xin lỗi", timeout=15)
    await teacher.expect("Xem lại")  # the summary, asked again after the apology
    await teacher.send("Một câu trả lời nữa")  # the summary takes buttons, not answers
    await teacher.expect("chọn bằng các nút")
    # The summary was delivered but the answer to it lost: «Gửi» under it still sends.
    await teacher.press_data("rp:submit")
    await teacher.expect("Đã nộp báo cáo")
    assert await bot.db.fetchval("SELECT status FROM submissions") == "submitted"


async def test_baocao_shows_the_summary_again(bot: RunningBot, telegram: FakeTelegram) -> None:
    teacher = await _at_last_question(bot, telegram)
    _replies_fail(telegram, teacher)
    await teacher.press("✔️ Xong")
    await teacher.expect("Xin lỗi", timeout=15)
    await teacher.expect("Xem lại")
    await teacher.send("/baocao")
    await teacher.expect("Bạn đang làm dở /baocao")
    summary = await teacher.expect("Xem lại")
    await teacher.press("📨 Gửi", summary)
    await teacher.expect("Đã nộp báo cáo")


async def test_a_question_picked_to_correct_that_never_arrived(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    teacher = await _at_last_question(bot, telegram)
    await teacher.press("✔️ Xong")
    await teacher.expect("Xem lại")
    await teacher.press("✏️ Sửa")
    await teacher.expect("Chọn câu cần sửa")
    _replies_fail(telegram, teacher)
    await teacher.press("2. Số cán bộ, giáo viên tham gia")
    await teacher.expect("Xin lỗi", timeout=15)
    # The question was asked (the conversation may still think it is at the list): the
    # number typed is its answer, and the summary follows.
    await say(teacher, "25", "Xem lại")
    assert (await _answers(bot))["so_nguoi"] == 25
    await teacher.send("/baocao")
    await teacher.expect("Bạn đang làm dở /baocao")
    await teacher.expect("Xem lại")


async def test_a_returned_report_opened_at_its_summary(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    """Opened again, a report sent back shows its summary while its saved step is the first
    question: what is typed there is not taken as an answer to that question."""
    teacher = await _at_last_question(bot, telegram)
    round_id = await bot.db.fetchval("SELECT id FROM rounds")
    await teacher.press("✔️ Xong")
    await teacher.expect("Xem lại")
    await teacher.press("📨 Gửi")
    await teacher.expect("Đã nộp báo cáo")
    submission_id = await bot.db.fetchval("SELECT id FROM submissions")
    await return_for_additions(bot.db, submission_id, "Thiếu ảnh", bot.clock.now(), None)
    await teacher.press_data(f"rpt:{round_id}")
    await teacher.expect("yêu cầu bổ sung")
    await teacher.expect("Xem lại")
    await say(teacher, "Kết quả mới", "chọn bằng các nút")
    assert (await _answers(bot))["ket_qua"] == "Kết quả"
    await teacher.send("/baocao")
    await teacher.expect("Bạn đang làm dở /baocao")
    await teacher.expect("Xem lại")
