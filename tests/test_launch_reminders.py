"""/phatdong, a round's reminders: after its form, the default (REMINDER_OFFSETS) kept with a
button or the round's own offsets typed in the same grammar; stored with the launch, shown in
the preview and /tiendo, followed by the schedule, which is set again right after the launch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.reminder_offsets import parse_offsets
from bot.scheduler import Scheduler
from storage.campaigns import get_campaign
from storage.schedule import load_state
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.test_campaign_launch import answer, press, setup, walk_to_rounds
from tests.test_plan_launch import SEED_001, draft_of, send_plan
from tests.test_plan_launch import walk_to_rounds as walk_plan_to_rounds
from tests.test_reminders import expect_reminder

DEFAULT_SAID = "⏰ Nhắc nhở: mặc định (7, 3, 1 ngày trước và sáng ngày hết hạn)."
KEEP = "✅ Giữ mặc định"


async def to_offsets(
    office: FakeUser, name: str = "Tổng kết", deadline: str = "15/07/2024", first: bool = True
) -> SentMessage:
    """To the reminders question of a per-person round on the short form (the first round:
    from the document step; another: from «➕ Thêm đợt báo cáo»)."""
    if first:
        await walk_to_rounds(office)
        await press(office, "⏭ Bỏ qua", "Bước 9")
    else:
        await press(office, "➕ Thêm đợt báo cáo", "Bước 9")
    if name in ("Sơ kết", "Tổng kết"):
        await press(office, name, "hay theo từng cá nhân")
    else:
        await answer(office, name, "hay theo từng cá nhân")
    await press(office, "Theo cá nhân (mỗi người trả lời)", "Nhập hạn nộp")
    await answer(office, deadline, "mẫu báo cáo")
    return await press(office, "Báo cáo ngắn", "Nhắc nhở")


async def launch(office: FakeUser, people: list[FakeUser]) -> SentMessage:
    """From the rounds' list: preview, launch, delivered; returns the count under the preview."""
    await office.press("Tiếp tục ➡️")
    await office.expect("Xem trước")
    await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    count = await office.expect("Số người nhận")
    await office.press("🚀 Phát động")
    for person in people:
        await person.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    await office.expect("Đang chuẩn bị gửi")
    await office.expect("Đã gửi xong", timeout=10)
    return count


async def stored_offsets(bot: RunningBot) -> dict[str, str | None]:
    rows = await bot.db.fetchall("SELECT name, reminder_offsets FROM rounds ORDER BY position")
    return {row[0]: row[1] for row in rows}


def scheduler(bot: RunningBot) -> Scheduler:
    assert bot.app is not None and bot.app.bot_data.scheduler is not None
    return bot.app.bot_data.scheduler


async def test_the_default_kept_with_its_button(bot: RunningBot, telegram: FakeTelegram) -> None:
    office, people = await setup(bot, telegram)
    question = await to_offsets(office)
    assert question.shown.startswith(DEFAULT_SAID)
    assert "Đợt «Tổng kết», hạn nộp 23 giờ 59 ngày 15/07/2024" in question.shown
    assert "5d,1d" in question.shown and "5, 1 ngày" in question.shown  # examples
    assert question.buttons() == [[KEEP]]
    more = await press(office, KEEP, "Thêm đợt khác")
    assert "1. Tổng kết (theo cá nhân) — hạn nộp 23 giờ 59 ngày 15/07/2024\n" in more.shown
    assert "⏰" not in more.shown
    count = await launch(office, people)
    assert "⏰" not in count.shown  # nothing but the default: nothing to say
    assert await stored_offsets(bot) == {"Tổng kết": None}
    await office.send("/tiendo")
    await office.expect("Đã gửi 5 / 5")
    shown = await office.expect("Tổng kết")
    assert "Nhắc nhở" not in shown.shown


async def test_own_offsets_typed_stored_and_shown(bot: RunningBot, telegram: FakeTelegram) -> None:
    office, people = await setup(bot, telegram)
    await to_offsets(office)
    more = await answer(office, "5, 1 ngày", "Thêm đợt khác")
    assert "1. Tổng kết (theo cá nhân) — hạn nộp 23 giờ 59 ngày 15/07/2024 · ⏰ nhắc 5, 1 ngày" \
        " trước" in more.shown  # fmt: skip
    # The default typed out is the default: it follows REMINDER_OFFSETS.
    await to_offsets(office, "Sơ kết", "25/01/2024", first=False)
    await answer(office, "0d, 1d, 3D; 7 ngày", "Thêm đợt khác")
    await to_offsets(office, "Họp chi bộ", "20/09/2023 17:00", first=False)
    more = await answer(office, "2 giờ và 30 phút trước", "Thêm đợt khác")
    assert "3. Họp chi bộ (theo cá nhân) — hạn nộp 17 giờ 00 ngày 20/09/2023 · ⏰ nhắc 2 giờ," \
        " 30 phút trước" in more.shown  # fmt: skip

    count = await launch(office, people)
    assert "⏰ Nhắc nhở người chưa nộp:\n• Tổng kết: 5, 1 ngày trước\n• Sơ kết: mặc định\n" \
        "• Họp chi bộ: 2 giờ, 30 phút trước" in count.shown  # fmt: skip
    assert await stored_offsets(bot) == {
        "Tổng kết": "432000,86400", "Sơ kết": None, "Họp chi bộ": "7200,1800"
    }  # fmt: skip
    [campaign_id] = [row[0] for row in await bot.db.fetchall("SELECT id FROM campaigns")]
    campaign = await get_campaign(bot.db, campaign_id)
    assert campaign is not None
    assert [r.offsets for r in campaign.rounds] == [
        (timedelta(days=5), timedelta(days=1)), None, (timedelta(hours=2), timedelta(minutes=30))
    ]  # fmt: skip
    state = await load_state(bot.db, bot.clock.now().date())  # what the schedule reads
    assert {r.name: r.offsets for r in state.rounds} == {
        r.name: r.offsets for r in campaign.rounds
    }

    # Its own offsets decide: nothing at the default's 7 days before, then 5 days before.
    teacher, zone = people[-1], bot.config.timezone
    bot.clock.set(datetime(2024, 7, 8, 7, 30, tzinfo=zone))  # 7d: Monday
    await scheduler(bot).run_due()
    await teacher.expect_nothing()
    bot.clock.set(datetime(2024, 7, 10, 7, 30, tzinfo=zone))  # 5d
    await scheduler(bot).run_due()
    await expect_reminder(teacher, "Tổng kết", "còn 5 ngày")

    await office.send("/tiendo")
    await office.expect("Đã gửi 5 / 5")
    rounds = [await office.expect() for _ in campaign.rounds]
    assert "\n⏰ Nhắc nhở riêng: 5, 1 ngày trước\n" in rounds[0].shown
    assert "Nhắc nhở" not in rounds[1].shown
    assert "\n⏰ Nhắc nhở riêng: 2 giờ, 30 phút trước\n" in rounds[2].shown


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("5 tuần", "«5 tuần» không phải mốc nhắc hợp lệ"),
        ("5d, 1", "«1» không phải mốc nhắc hợp lệ"),  # a number with no unit after it
        ("năm ngày", "«năm ngày» không phải mốc nhắc hợp lệ"),
        ("1.5d", "«1.5d» không phải mốc nhắc hợp lệ"),
        (",".join(f"{n}h" for n in range(1, 12)), "tối đa 10 mốc nhắc"),
        ("400d", "Mốc nhắc xa nhất là 366 ngày trước hạn"),
        # 15/07/2024 is 308 days away: 320 days before it is already past.
        ("320d", "Mốc nhắc 320 ngày trước đã qua (hạn nộp 23 giờ 59 ngày 15/07/2024)"),
    ],
)
async def test_bad_offsets_are_refused_and_the_step_kept(
    bot: RunningBot, telegram: FakeTelegram, typed: str, said: str
) -> None:
    office, _ = await setup(bot, telegram)
    await to_offsets(office)
    refused = await answer(office, typed, said)
    assert refused.buttons() == [[KEEP]]
    await office.send_sticker()
    await office.expect("Vui lòng bấm «✅ Giữ mặc định» hoặc gõ các mốc nhắc")
    more = await answer(office, "3d", "Thêm đợt khác")  # still the same question
    assert "⏰ nhắc 3 ngày trước" in more.shown
    assert (await draft_of(bot))["rounds"][0]["offsets"] == [3 * 86400]


@pytest.mark.parametrize("typed", ["tắt", "Không nhắc", "0", "off"])
async def test_reminders_cannot_be_turned_off_for_a_round(
    bot: RunningBot, telegram: FakeTelegram, typed: str
) -> None:
    """The schedule takes a round without offsets as one on the default (bot/reminders.py), so
    «off» is not offered: the office is told, and pointed at the fewest reminders there are."""
    office, _ = await setup(bot, telegram)
    await to_offsets(office)
    refused = await answer(office, typed, "Chưa tắt được nhắc nhở cho riêng một đợt")
    assert "gõ 0d (chỉ nhắc một lần, sáng ngày hết hạn)" in refused.shown
    assert refused.buttons() == [[KEEP]]
    assert (await draft_of(bot))["rounds"][0]["offsets"] is None
    more = await answer(office, "0d", "Thêm đợt khác")
    assert "⏰ nhắc sáng ngày hết hạn" in more.shown


async def test_a_restart_at_the_reminders_step_resumes(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, people = await setup(bot, telegram)
    question = await to_offsets(office)
    await bot.restart()
    await office.send("/phatdong")  # the question again
    await office.expect("đang làm dở /phatdong")
    again = await office.expect("Nhắc nhở")
    assert again.shown == question.shown and again.buttons() == [[KEEP]]
    await bot.restart()
    more = await answer(office, "10d,2d", "Thêm đợt khác")  # taken as the answer it asked for
    assert "⏰ nhắc 10, 2 ngày trước" in more.shown
    await launch(office, people)
    assert await stored_offsets(bot) == {"Tổng kết": "864000,172800"}


async def test_a_draft_from_before_the_reminders_step_still_launches(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    """Rounds saved without `offsets` (a draft written by the previous version) are on the
    default: the draft is not lost."""
    office, people = await setup(bot, telegram)
    await to_offsets(office)
    await office.press(KEEP)
    await office.expect("Thêm đợt khác")
    data = await bot.db.fetchval("SELECT data FROM drafts WHERE flow = 'phatdong'")
    await bot.db.write(
        "UPDATE drafts SET data = ? WHERE flow = 'phatdong'",
        (data.replace(', "offsets": null', ""),),
    )
    assert "offsets" not in (await draft_of(bot))["rounds"][0]
    await launch(office, people)
    assert await stored_offsets(bot) == {"Tổng kết": None}


async def test_rounds_read_from_the_plan_keep_the_default(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    """The plan's rounds go straight to the list, on the default reminders; a round the office
    adds after them is asked its reminders as usual."""
    office, people = await setup(bot, telegram)
    await office.send("/phatdong")
    await office.expect("Bước 1")
    await send_plan(office, SEED_001, "txt")
    await walk_plan_to_rounds(office, "Bước 2", "Bước 4")
    more = await office.expect("Các đợt báo cáo")
    assert "1. Sơ kết (theo đơn vị) — hạn nộp 23 giờ 59 ngày 25/01/2024\n" in more.shown
    assert "⏰" not in more.shown
    await to_offsets(office, "Khảo sát đầu năm", "30/09/2023", first=False)
    more = await answer(office, "3d,0d", "Thêm đợt khác")
    assert "3. Khảo sát đầu năm (theo cá nhân) — hạn nộp 23 giờ 59 ngày 30/09/2023 · ⏰ nhắc 3" \
        " ngày trước và sáng ngày hết hạn" in more.shown  # fmt: skip
    await launch(office, people)
    assert await stored_offsets(bot) == {
        "Sơ kết": None, "Tổng kết": None, "Khảo sát đầu năm": "259200,0"
    }  # fmt: skip


# ---- the schedule is set again at the launch ---------------------------------------------

SECONDS = "3600s,600s"  # REMINDER_OFFSETS in seconds: an hour and ten minutes before


@pytest.fixture
async def quick_bot(telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    running = RunningBot(telegram, tmp_path, reminder_offsets=parse_offsets(SECONDS))
    await running.start()
    yield running
    await running.stop()


@pytest.mark.parametrize(("typed", "first"), [(None, (11, 0)), ("30m", (11, 30))])
async def test_the_launch_sets_the_schedule_for_the_new_round_at_once(
    quick_bot: RunningBot, telegram: FakeTelegram, typed: str | None, first: tuple[int, int]
) -> None:
    """Launched at 08:00 with a deadline at 12:00 the same day: the scheduler's next moment
    right after the launch is the round's first reminder (not five minutes later, when the
    safety check would have found it), and at that moment the reminder goes out."""
    bot = quick_bot
    office, people = await setup(bot, telegram)
    assert scheduler(bot).next_wake is None  # nothing to schedule yet
    question = await to_offsets(office, deadline="11/09/2023 12:00")
    assert question.shown.startswith("⏰ Nhắc nhở: mặc định (1 giờ, 10 phút trước).")
    if typed is None:
        await press(office, KEEP, "Thêm đợt khác")
    else:
        await answer(office, typed, "Thêm đợt khác")
    await launch(office, people)
    zone = bot.config.timezone
    reminder_at = datetime(2023, 9, 11, *first, tzinfo=zone)
    await telegram.wait_until(lambda: scheduler(bot).next_wake is not None)
    assert scheduler(bot).next_wake == reminder_at
    assert bot.app is not None and bot.app.job_queue is not None
    [job] = bot.app.job_queue.get_jobs_by_name("due-check")
    assert job.next_t is not None
    bot.clock.set(reminder_at - timedelta(seconds=1))
    assert await scheduler(bot).run_due() == 0
    bot.clock.set(reminder_at)
    assert await scheduler(bot).run_due() == len(people)
    for person in people:
        await expect_reminder(person, "Tổng kết", "hạn chót hôm nay 12 giờ 00")
