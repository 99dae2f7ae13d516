"""Replies that survive Telegram's transient errors: the retry policy, each kind of fault on the
real request path, other chats meanwhile, and what is left when the tries run out."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.retry import RetryingRequest, RetryPolicy, call_method, may_have_arrived
from bot.sender import OutboxAwareRateLimiter
from messages import render_text
from storage.campaigns import get_campaign
from tests.fake_telegram import FakeTelegram
from tests.harness import ADMIN_ID, RunningBot
from tests.test_campaign_launch import TITLE, answer, press, setup
from tests.test_reports import launch, open_report, say

FAST = RetryPolicy(first_delay=0.01, backoff=2.0)
APOLOGY = "bot vừa gặp lỗi"


def use_policy(bot: RunningBot, policy: RetryPolicy) -> None:
    """The bot's retry policy, for replies (the rate limiter) and downloads (the request)."""
    assert bot.app is not None
    limiter, request = bot.app.bot.rate_limiter, bot.app.bot.request
    assert isinstance(limiter, OutboxAwareRateLimiter) and isinstance(request, RetryingRequest)
    limiter.retry = request.retry = policy


def failure(
    cause: Exception | None = None, kind: type[NetworkError] = NetworkError
) -> NetworkError:
    """A NetworkError as PTB raises it: from an httpx error, or (no cause) from a 5xx answer."""
    error = kind("Bad Gateway" if cause is None else f"httpx.{type(cause).__name__}: {cause}")
    error.__cause__ = cause
    return error


class Timeline:
    """A clock and a sleep for RetryPolicy.run that spend no real time."""

    def __init__(self, attempt_takes: float = 0.0) -> None:
        self.now = 100.0
        self.attempt_takes = attempt_takes
        self.sleeps: list[float] = []
        self.starts: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def failing(self, *errors: Exception) -> Callable[[], Awaitable[str]]:
        """An attempt that raises `errors` in turn, then succeeds."""
        left = list(errors)

        async def attempt() -> str:
            self.starts.append(self.now)
            self.now += self.attempt_takes
            if left:
                raise left.pop(0)
            return "ok"

        return attempt


# ---- the policy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        failure(),  # a 5xx answer
        failure(httpx.RemoteProtocolError("Server disconnected without sending a response.")),
        failure(httpx.ConnectError("All connection attempts failed")),
        failure(httpx.ReadTimeout("timed out"), TimedOut),
        failure(httpx.PoolTimeout("pool"), TimedOut),
    ],
    ids=["5xx", "dropped", "refused", "read-timeout", "pool-timeout"],
)
async def test_transient_errors_are_tried_three_times(error: NetworkError) -> None:
    timeline = Timeline()
    policy = RetryPolicy(jitter=0)
    with pytest.raises(NetworkError) as raised:
        await policy.run("sendMessage", timeline.failing(error, error, error),
                         sleep=timeline.sleep, clock=timeline.clock)  # fmt: skip
    assert raised.value is error
    assert len(timeline.starts) == 3
    assert timeline.sleeps == [0.5, 1.5]

    timeline = Timeline()
    result = await policy.run("sendMessage", timeline.failing(error, error),
                              sleep=timeline.sleep, clock=timeline.clock)  # fmt: skip
    assert result == "ok" and len(timeline.starts) == 3


@pytest.mark.parametrize(
    "error",
    [
        BadRequest("Message is too long"),
        Forbidden("Forbidden: bot was blocked by the user"),
        InvalidToken("Unauthorized"),
        RetryAfter(3),  # the rate limiter has waited it out already, max_retries times
        TelegramError("Invalid server response"),
    ],
    ids=["400", "403", "401", "429", "other"],
)
async def test_other_errors_are_not_retried(error: TelegramError) -> None:
    timeline = Timeline()
    with pytest.raises(type(error)):
        await RetryPolicy().run("sendMessage", timeline.failing(error), sleep=timeline.sleep,
                                clock=timeline.clock)  # fmt: skip
    assert len(timeline.starts) == 1 and timeline.sleeps == []


async def test_the_waits_are_jittered_and_bounded() -> None:
    error = failure()
    policy = RetryPolicy()
    seen: list[list[float]] = []
    for _ in range(50):
        timeline = Timeline()
        with pytest.raises(NetworkError):
            await policy.run("x", timeline.failing(error, error, error), sleep=timeline.sleep,
                             clock=timeline.clock)  # fmt: skip
        seen.append(timeline.sleeps)
    firsts, seconds = [s[0] for s in seen], [s[1] for s in seen]
    assert all(0.375 <= f <= 0.625 for f in firsts) and all(1.125 <= s <= 1.875 for s in seconds)
    assert len(set(firsts)) > 40  # spread out, so requests that failed together come back apart
    assert max(map(sum, seen)) <= 2.5  # Telegram failing at once: the apology within ~2.5 s


async def test_no_try_starts_after_the_deadline() -> None:
    # Each try times out after PTB's 5 s: the second starts at 5.5 s, a third would at 12 s.
    timeline = Timeline(attempt_takes=5.0)
    timeout = failure(httpx.ReadTimeout("timed out"), TimedOut)
    with pytest.raises(TimedOut):
        await RetryPolicy(jitter=0).run("x", timeline.failing(timeout, timeout, timeout),
                                        sleep=timeline.sleep, clock=timeline.clock)  # fmt: skip
    assert [start - 100 for start in timeline.starts] == [0.0, 5.5]


def test_what_may_have_arrived() -> None:
    """Only a failure before the request was written proves Telegram never had it."""
    assert not may_have_arrived(failure(httpx.ConnectError("refused")))
    assert not may_have_arrived(failure(httpx.ConnectTimeout("connect"), TimedOut))
    assert not may_have_arrived(failure(httpx.PoolTimeout("pool"), TimedOut))
    assert not may_have_arrived(failure(httpx.WriteError("broken pipe")))
    assert may_have_arrived(failure(httpx.RemoteProtocolError("Server disconnected")))
    assert may_have_arrived(failure(httpx.ReadError("reset")))
    assert may_have_arrived(failure(httpx.ReadTimeout("read"), TimedOut))
    assert may_have_arrived(failure())  # a 5xx: Telegram may have acted before failing


async def test_a_repeat_telegram_recognises_counts_as_done() -> None:
    lost = failure(httpx.RemoteProtocolError("Server disconnected"))
    not_modified = BadRequest("Message is not modified: specified new message content and …")
    too_old = BadRequest("Query is too old and response timeout expired or query id is invalid")

    async def run(method: str, *errors: Exception) -> object:
        return await call_method(FAST, method, Timeline().failing(*errors))  # type: ignore[arg-type]

    assert await run("editMessageText", lost, not_modified) is True
    assert await run("editMessageReplyMarkup", lost, not_modified) is True
    assert await run("answerCallbackQuery", lost, too_old) is True
    with pytest.raises(BadRequest):  # on a first try it is the caller's mistake, not a repeat
        await run("editMessageText", not_modified)
    with pytest.raises(BadRequest):
        await run("sendMessage", lost, BadRequest("Message is too long"))


# ---- on the real request path -----------------------------------------------------------


async def test_a_reply_dropped_before_it_ran_is_sent_once(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    use_policy(bot, FAST)
    user = telegram.user(7001)
    telegram.fail_randomly(1.0, (), drop_connection="before", methods=["sendMessage"], times=2)
    await user.send("/start")
    await user.expect("Chia sẻ số điện thoại")
    await user.expect_nothing(within=0.2)
    outcomes = [(c.status, c.description) for c in telegram.calls_of("sendMessage")]
    assert outcomes == [(0, "connection dropped before the method ran")] * 2 + [(200, None)]


async def test_a_reply_whose_answer_was_lost_is_shown_twice_not_apologised_for(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    """The documented cost of retrying a send that may have arrived (bot/retry.py)."""
    use_policy(bot, FAST)
    user = telegram.user(7002)
    telegram.fail_randomly(1.0, (), drop_connection="after", methods=["sendMessage"], times=1)
    await user.send("/start")
    first = await user.expect("Chia sẻ số điện thoại")
    second = await user.expect("Chia sẻ số điện thoại")
    assert first.text == second.text
    await user.expect_nothing(within=0.2)


async def test_edits_and_answers_whose_answer_was_lost_are_done_once(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    use_policy(bot, FAST)
    assert bot.app is not None
    user = telegram.user(7003)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Bấm", callback_data="x")]])
    sent = await bot.app.bot.send_message(7003, "Trước", reply_markup=markup)
    shown = telegram.messages_to(7003)[-1]

    telegram.fail_randomly(1.0, (), drop_connection="after", methods=["editMessageText"], times=1)
    edited = await bot.app.bot.edit_message_text("Sau", 7003, sent.message_id, reply_markup=markup)
    assert edited is True  # Telegram's "not modified" on the retry: done by the lost try
    assert shown.text == "Sau" and shown.edits == ["Trước"]  # edited once

    # "x" is no button of the bot's: the gate answers it with an alert (handlers/gate.py),
    # and that answer's response is lost once.
    telegram.fail_randomly(1.0, (), drop_connection="after", methods=["answerCallbackQuery"],
                           times=1)  # fmt: skip
    await user.press("Bấm", shown)
    await telegram.wait_until(lambda: len(telegram.calls_of("answerCallbackQuery")) == 2)
    assert [a["text"] for a in user.answers] == [render_text("button_expired")]
    assert await user.expect() is shown  # the message with the button, and then
    await user.expect_nothing()  # no apology: the retry found the answer given


async def test_a_download_is_retried(bot: RunningBot, telegram: FakeTelegram) -> None:
    use_policy(bot, FAST)
    assert bot.app is not None
    document = telegram.add_file(b"%PDF ke hoach", "ke_hoach.pdf", "application/pdf")
    file = await bot.app.bot.get_file(document["file_id"])
    telegram.fail_randomly(1.0, (502,), drop_connection=False, methods=["downloadFile"], times=2)
    assert bytes(await file.download_as_bytearray()) == b"%PDF ke hoach"
    telegram.fail_randomly(1.0, (), methods=["downloadFile"], times=2)
    assert bytes(await file.download_as_bytearray()) == b"%PDF ke hoach"
    downloads = [c.status for c in telegram.calls_of("downloadFile")]
    assert downloads == [502, 502, 200, 0, 0, 200]  # 0: the connection dropped


async def test_other_chats_are_answered_while_one_waits_to_retry(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    use_policy(bot, RetryPolicy(first_delay=1.5, backoff=1.0, jitter=0))
    slow, other = telegram.user(7004), telegram.user(7005)
    telegram.inject_error("sendMessage", 502, times=2, chat_id=7004)
    await slow.send("/start")
    await telegram.wait_until(lambda: bool(telegram.calls_of("sendMessage")))
    asked = time.monotonic()
    await other.send("/start")
    await other.expect("Chia sẻ số điện thoại", timeout=1.0)
    answered = time.monotonic()
    assert slow.messages() == []  # still waiting for its second try
    await slow.expect("Chia sẻ số điện thoại", timeout=5)
    assert answered - asked < 1.0
    statuses = [c.status for c in telegram.calls_of("sendMessage") if c.params["chat_id"] == 7004]
    assert statuses == [502, 502, 200]


# ---- when the tries run out -------------------------------------------------------------


async def test_after_the_apology_the_next_answer_is_taken(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    """The draft (with its step) is saved before the reply: after the apology the flow asks
    the question it is now at, and the person goes on from there (handlers/flows.py)."""
    use_policy(bot, FAST)
    office, people = await setup(bot, telegram)
    await answer(office, "/phatdong", "Bước 1")
    await answer(office, TITLE, "Bước 2")
    telegram.inject_error("sendMessage", 502, times=3, chat_id=office.id)  # every try
    await office.send("1234/KH-SGDĐT")
    apology = await office.expect(APOLOGY)
    assert "vẫn được giữ nguyên" in apology.shown
    await office.expect("Bước 3")  # the plan number was kept; the next question again
    await answer(office, "01/09/2023 - 31/05/2024", "Bước 4")
    await press(office, "⏭ Bỏ qua", "Bước 5")
    await press(office, "⏭ Bỏ qua", "Bước 6")
    await press(office, "Tất cả đơn vị", "Bước 7")
    await office.press("Tiếp tục ➡️")
    await office.expect("Bước 8")
    await press(office, "⏭ Bỏ qua", "Bước 9")
    await press(office, "Tổng kết", "hay theo từng cá nhân")
    await press(office, "Theo cá nhân (mỗi người trả lời)", "Nhập hạn nộp")
    await answer(office, "15/07/2024", "mẫu báo cáo")
    await press(office, "Báo cáo ngắn", "Nhắc nhở")
    await press(office, "✅ Giữ mặc định", "Thêm đợt khác")
    await office.press("Tiếp tục ➡️")
    await office.expect("Xem trước")
    await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    await office.expect("Số người nhận")
    await office.press("🚀 Phát động")
    for person in people:
        await person.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    [row] = await bot.db.fetchall("SELECT id FROM campaigns")
    campaign = await get_campaign(bot.db, row[0])
    assert campaign is not None and campaign.status == "launched"
    assert (campaign.spec.title, campaign.spec.plan_number) == (TITLE, "1234/KH-SGDĐT")
    assert not any(m.contains(APOLOGY) for m in telegram.messages_to(ADMIN_ID))


async def test_after_the_apology_a_report_answer_is_not_filed_under_an_unseen_question(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    use_policy(bot, FAST)
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    await open_report(teacher)
    await say(teacher, "Kết quả tốt", "Câu 2/8")
    telegram.inject_error("sendMessage", 502, times=3, chat_id=teacher.id)  # Câu 3/8 is lost
    await teacher.send("40")
    await teacher.expect(APOLOGY)
    # Right after the apology, the question the report now stands at: the person sees that
    # their answer was kept and what comes next, so their next message answers Câu 3.
    following = await teacher.expect("Câu 3/8")
    draft = await bot.db.fetchval("SELECT draft FROM submissions")
    assert '"so_nguoi": 40' in draft and '"ty_le"' not in draft
    await teacher.send("85")
    await teacher.expect("Câu 4/8")
    draft = await bot.db.fetchval("SELECT draft FROM submissions")
    assert '"so_nguoi": 40' in draft and '"ty_le": 85' in draft
    assert following.contains("Câu 3/8")
