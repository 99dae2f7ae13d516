"""The outbox sender: one background task per application drains the persistent outbox.

Pacing: one request every 1/rate seconds (BROADCAST_RATE), never a burst, with at most
`max_in_flight` rows between 'sending' and their outcome. Progress edits and summaries take slots
too, because Telegram counts them. A 429 pauses the whole sender for its retry_after and puts the
row back; a 403 marks the row 'blocked'; a 400 marks it 'failed'; timeouts and 5xx are retried with
exponential backoff, then 'failed'.

Duplicates: a row is committed 'sending' before its request and 'sent' right after, so a kill can
leave at most `max_in_flight` rows delivered but unmarked. `reset_in_flight` sends those again at
start-up: that is the bound on messages received twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

from telegram import Message
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ExtBot

from bot.clock import Clock
from bot.outgoing import NO_PREVIEW, send_outgoing
from bot.retry import RetryPolicy, call_method
from messages import fits, most_that_fit, render, render_text
from storage.db import Database
from storage.outbox import (
    BroadcastCounts,
    Failure,
    OpenBroadcast,
    OutboxItem,
    broadcast_counts,
    broadcast_pieces,
    claim_next,
    failures_by_unit,
    finish_broadcast,
    mark_blocked,
    mark_failed,
    mark_sent,
    open_broadcasts,
    release,
    reset_in_flight,
    retry_later,
    set_progress_message,
)
from storage.outgoing import Composed, OutgoingMessage, Pieces, UndecodableMessage

log = logging.getLogger(__name__)

DEFAULT_MAX_IN_FLIGHT = 8  # Telegram answers in ~100–300 ms, so a few must overlap to keep pace
# rate_limit_args that marks the sender's own requests for OutboxAwareRateLimiter.
NOT_RETRIED = -1
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Result = bool | dict[str, Any] | list[dict[str, Any]]


class _NotRetried(Exception):
    def __init__(self, error: RetryAfter) -> None:
        super().__init__(str(error))
        self.error = error


class OutboxAwareRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter, except that it never retries the outbox sender's requests.

    Interactive requests keep the limiter's behaviour: the shared overall budget and, after a
    429, a pause of every request and a retry. They are also tried again after a network error,
    a timeout or a 5xx, as `retry` says (bot/retry.py: what, how often, and why a request that
    may have arrived is retried too); each try passes the limiter afresh. The sender's requests
    share the budget and the pause too, but a 429, a 5xx or a dropped connection on one of them
    goes straight back to the sender, which pauses its own pacing or retries the row later with
    its own backoff and bookkeeping. If the limiter slept and retried them instead, the sender
    would not know: its pacer would keep starting requests that pile up behind the pause and
    burst out after it, into the next 429. Measured with bench/broadcast.py --recipients 900
    --inject-429 4 (fake limited to 30/s): plain AIORateLimiter(max_retries=3) reached 0.52 of
    the allowed rate after 25 follow-up 429s; this one 0.84 and none.
    """

    def __init__(self, *args: Any, retry: RetryPolicy | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry = retry or RetryPolicy()  # may be replaced live (tests shorten the waits)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        if rate_limit_args != NOT_RETRIED:
            limited = super().process_request
            return await call_method(
                self.retry,
                endpoint,
                lambda: limited(callback, args, kwargs, endpoint, data, rate_limit_args),
            )

        async def once(*call_args: Any, **call_kwargs: Any) -> Result:
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as exc:
                raise _NotRetried(exc) from exc  # not a RetryAfter, so the limiter won't retry

        try:
            return await super().process_request(once, args, kwargs, endpoint, data, None)
        except _NotRetried as wrapped:
            raise wrapped.error from None


def _wall_now() -> datetime:
    # Transport delays (backoff, row stamps) use real wall time: they are seconds of network
    # behaviour, not business time, and the application's injectable clock is frozen in tests.
    return datetime.now(UTC)


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after


def summary_text(title: str, counts: BroadcastCounts, failures: Sequence[Failure]) -> str:
    """The office's summary, listing as many failures (by unit) as fit in one message."""

    def values(shown: int) -> dict[str, Any]:
        groups = [
            (unit, list(people))
            for unit, people in groupby(failures[:shown], key=lambda f: f.unit_name)
        ]
        return {
            "title": title,
            "counts": counts,
            "groups": groups,
            "hidden": len(failures) - shown,
        }

    # Telegram counts the text after entity parsing: the plain text's length is what counts.
    shown = most_that_fit(
        len(failures), lambda n: fits(render_text("broadcast_done", **values(n)))
    )
    return render("broadcast_done", **values(shown))


@dataclass
class _Progress:
    last_edit: float = float("-inf")
    text: str | None = None
    busy: bool = False


class OutboxSender:
    """Drains the outbox in the background; see the module docstring."""

    def __init__(
        self,
        db: Database,
        *,
        rate: float,
        clock: Clock,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        retry_base_delay: float = 1.0,
        max_attempts: int = 5,
        progress_interval: float = 2.0,
        poll_interval: float = 0.5,
    ) -> None:
        self.db = db
        self.rate = rate  # requests a second; read at every slot, so it may be changed live
        self.clock = clock
        self.max_in_flight = max_in_flight
        self.retry_base_delay = retry_base_delay
        self.max_attempts = max_attempts
        self.progress_interval = progress_interval
        self.poll_interval = poll_interval
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._wake = asyncio.Event()
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._application: AnyApplication | None = None
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._progress: dict[int, _Progress] = {}
        self._finishing: set[int] = set()
        self._last_check = float("-inf")
        # The last broadcast's pieces (its composed rows are claimed one after another).
        self._pieces: tuple[int, Pieces] | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, application: AnyApplication) -> None:
        self._application = application
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming rows; give requests still in flight `grace` seconds to finish. A row
        cut off stays 'sending' and is sent again at the next start."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            for straggler in late:
                straggler.cancel()
            if late:
                await asyncio.wait(late)

    def wake(self) -> None:
        """Start draining now (a broadcast was just created) instead of at the next poll."""
        self._wake.set()

    @property
    def _app(self) -> AnyApplication:
        if self._application is None:
            raise RuntimeError("OutboxSender.start() has not been called")
        return self._application

    @property
    def _bot(self) -> ExtBot[Any]:
        bot: ExtBot[Any] = self._app.bot
        return bot

    def _limit_args(self) -> dict[str, Any]:
        # Only our limiter understands NOT_RETRIED (plain AIORateLimiter would misread it).
        if isinstance(self._bot.rate_limiter, OutboxAwareRateLimiter):
            return {"rate_limit_args": NOT_RETRIED}
        return {}

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> bool:
        # Through the application, so Application.stop() waits for requests in flight before
        # the bot's HTTP client is shut down (else a delivered message could go unmarked).
        if not self._app.running:  # stopping: Application.stop() would not wait for it
            coroutine.close()
            return False
        task = self._app.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    # --- the loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        resumed = False
        while True:
            try:
                if not resumed:  # nothing of ours is in flight yet: 'sending' rows are a crash's
                    reset = await reset_in_flight(self.db, _wall_now())
                    if reset:
                        log.warning(
                            "%d outbox rows were in flight at the last stop; resending", reset
                        )
                    resumed = True
                await self._step()
            except Exception:
                log.exception("outbox sender error; trying again shortly")
                await asyncio.sleep(self.poll_interval)

    async def _step(self) -> None:
        if not self._app.running:  # not started yet, or stopping: claim nothing new
            self._wake.clear()
            await self._wait_for_work()
            return
        await self._in_flight.acquire()
        held = True
        try:
            self._wake.clear()
            item = await claim_next(self.db, _wall_now())
            if item is not None:
                await self._check_broadcasts()
                await self._slot()
                if self._spawn(self._deliver(item, time.monotonic())):  # releases the slot
                    held = False
                    return
                await release(self.db, item.id, _wall_now())
            # A cancellation between claim and request leaves the row 'sending' until the next
            # start resets it; it was never requested, so it cannot arrive twice.
        finally:
            if held:
                self._in_flight.release()
        await self._check_broadcasts(force=True)
        await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation (stop()).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.poll_interval):
                await self._wake.wait()

    async def _slot(self) -> None:
        """Wait for the next send slot: evenly spaced at `rate`, never during a 429 pause."""
        slept = False
        while True:
            now = time.monotonic()
            start = max(self._next_slot, self._paused_until)
            if start <= now:
                interval = 1.0 / self.rate
                if now - start < max(interval / 4, 0.002):
                    self._next_slot = start + interval  # on time: keep the schedule, no drift
                    return
                # Late. Never catch up with a burst: the schedule starts afresh from now.
                self._next_slot = now + interval
                if not slept:  # we were busy ourselves (idle, a slow claim): go now
                    return
                # We slept and woke late: the process stalled (GC, a slow callback) and the
                # last request may have left only now, so keep one interval behind it.
            slept = True
            await asyncio.sleep(max(self._next_slot, self._paused_until) - now)

    def _leaving(self, granted: float) -> None:
        """A request leaves now. If the process stalled between its slot and now, the next one
        must keep a full interval behind it, not follow at the old schedule's shorter gap."""
        now = time.monotonic()
        interval = 1.0 / self.rate
        if now - granted > max(interval / 4, 0.002):
            self._next_slot = max(self._next_slot, now + interval)

    def _pause(self, retry_after: int | timedelta) -> None:
        # Requests in flight together may all get the same 429: the pauses overlap, not add up.
        seconds = _seconds(retry_after)
        now = time.monotonic()
        if now >= self._paused_until:
            log.warning("Telegram flood control: outbox paused for %.1f s", seconds)
        self._paused_until = max(self._paused_until, now + seconds)

    # --- one row -----------------------------------------------------------------------------

    async def _deliver(self, item: OutboxItem, granted: float) -> None:
        self._leaving(granted)
        try:
            await self._send_row(item)
        except Exception:
            log.exception("outbox row %s: could not record the outcome", item.id)
        finally:
            self._in_flight.release()
            self._wake.set()

    async def _send_row(self, item: OutboxItem) -> None:
        try:
            message = await self._send_payload(item)
        except RetryAfter as exc:
            self._pause(exc.retry_after)
            await release(self.db, item.id, _wall_now())
        except Forbidden as exc:  # blocked the bot, or deleted the account: retrying won't help
            await mark_blocked(self.db, item.id, exc.message, _wall_now())
        except BadRequest as exc:  # before NetworkError, which it subclasses: permanent
            log.warning("outbox row %s to chat %s failed: %s", item.id, item.chat_id, exc)
            await mark_failed(self.db, item.id, exc.message, _wall_now())
        except TelegramError as exc:
            # NetworkError (PTB's answer to 5xx and connection errors) and TimedOut. A read
            # timeout can follow a delivery we never heard about; retrying is still the
            # better bet than losing the recipient.
            await self._retry_or_fail(item, exc.message)
        except Exception as exc:  # e.g. the HTTP client closed under us: retried, then failed
            log.exception("outbox row %s: unexpected error", item.id)
            await self._retry_or_fail(item, type(exc).__name__)
        else:
            await mark_sent(self.db, item.id, message.message_id, _wall_now())

    async def _send_payload(self, item: OutboxItem) -> Message:
        """The row's message, decoded here and only here (an undecodable one fails the row:
        BadRequest is permanent), sent the way every preview is sent. A composed row is put
        together from its broadcast's pieces (storage/outgoing.py)."""
        try:
            indexes = Composed.read(item.payload)
            if indexes is None:
                message = OutgoingMessage.decode(item.payload)
            else:
                message = (await self._pieces_of(item.broadcast_id)).message(indexes)
        except UndecodableMessage as exc:
            raise BadRequest(f"undecodable outbox message: {exc}") from exc
        return await send_outgoing(self._bot, item.chat_id, message, **self._limit_args())

    async def _pieces_of(self, broadcast_id: int) -> Pieces:
        if self._pieces is None or self._pieces[0] != broadcast_id:
            self._pieces = (broadcast_id, await broadcast_pieces(self.db, broadcast_id))
        return self._pieces[1]

    async def _retry_or_fail(self, item: OutboxItem, error: str) -> None:
        attempts = item.attempts + 1
        if attempts >= self.max_attempts:
            log.warning("outbox row %s failed after %d attempts: %s", item.id, attempts, error)
            await mark_failed(self.db, item.id, error, _wall_now())
            return
        # 1, 2, 4, 8 s…, jittered so rows that failed together (an outage) come back spread.
        delay = self.retry_base_delay * 2 ** (attempts - 1) * random.uniform(0.8, 1.2)
        now = _wall_now()
        await retry_later(self.db, item.id, error, now + timedelta(seconds=delay), now)

    # --- progress and summary for the office -------------------------------------------------

    async def _check_broadcasts(self, force: bool = False) -> None:
        """Edit progress messages that are due; finish broadcasts that drained."""
        now = time.monotonic()
        if not force and now - self._last_check < min(0.25, self.progress_interval):
            return
        self._last_check = now
        if not self._app.running:
            return
        for broadcast in await open_broadcasts(self.db):
            if broadcast.id in self._finishing:
                continue
            counts = await broadcast_counts(self.db, broadcast.id)
            if counts.drained:
                if self._spawn(self._finish(broadcast)):
                    self._finishing.add(broadcast.id)
                continue
            if broadcast.progress_chat_id is None:
                continue
            state = self._progress.setdefault(broadcast.id, _Progress())
            if state.busy or now - state.last_edit < self.progress_interval:
                continue
            text = render("broadcast_progress", title=broadcast.title, counts=counts, done=False)
            if text != state.text:  # Telegram refuses an edit that changes nothing
                state.last_edit = now
                state.busy = self._spawn(self._show_progress(broadcast, state, text))

    async def _show_progress(self, broadcast: OpenBroadcast, state: _Progress, text: str) -> None:
        chat_id = broadcast.progress_chat_id
        assert chat_id is not None
        try:
            if broadcast.progress_message_id is None:  # the creator left it to us
                message = await self._office_call(
                    "progress", lambda: self._bot.send_message(chat_id, text, **self._limit_args())
                )
                if isinstance(message, Message):
                    await set_progress_message(self.db, broadcast.id, chat_id, message.message_id)
            else:
                await self._edit(chat_id, broadcast.progress_message_id, text)
            state.text = text
        except Exception:
            log.exception("broadcast %s: progress message failed", broadcast.id)
        finally:
            state.busy = False

    async def _finish(self, broadcast: OpenBroadcast) -> None:
        try:
            # Marked done before the summary goes out: a crash in between loses the summary
            # rather than sending it twice.
            if not await finish_broadcast(self.db, broadcast.id, self.clock.now()):
                return
            counts = await broadcast_counts(self.db, broadcast.id)
            log.info("broadcast %s done: %s", broadcast.id, counts)
            self._progress.pop(broadcast.id, None)
            chat_id = broadcast.progress_chat_id
            if chat_id is None:
                return
            if broadcast.progress_message_id is not None:
                final = render(
                    "broadcast_progress", title=broadcast.title, counts=counts, done=True
                )
                await self._edit(chat_id, broadcast.progress_message_id, final)
            failures = await failures_by_unit(self.db, broadcast.id)
            summary = summary_text(broadcast.title, counts, failures)
            await self._office_call(
                "summary", lambda: self._bot.send_message(chat_id, summary, **self._limit_args())
            )
        except Exception:
            log.exception("broadcast %s: could not finish", broadcast.id)
        finally:
            self._finishing.discard(broadcast.id)

    async def _edit(self, chat_id: int, message_id: int, text: str) -> None:
        await self._office_call(
            "progress",
            lambda: self._bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, link_preview_options=NO_PREVIEW,
                **self._limit_args(),
            ),
        )  # fmt: skip

    async def _office_call(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """A request to the office's chat: paced like the rows, waits out a 429, retries a
        transient error twice, and never raises (a failed progress message must not stop the
        broadcast)."""
        for attempt in range(3):
            await self._slot()
            try:
                return await call()
            except RetryAfter as exc:
                self._pause(exc.retry_after)
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    log.warning("broadcast %s message refused: %s", what, exc)
                return None
            except TelegramError as exc:
                log.warning("broadcast %s message, attempt %d: %s", what, attempt + 1, exc)
                await asyncio.sleep(self.retry_base_delay * 2**attempt)
        return None
