"""Retrying the bot's own requests through Telegram's transient failures.

A reply, an edit, the answer to a button press, a document, a `getFile` — every request the bot
makes in answer to someone — is tried again when Telegram fails in passing: a dropped or refused
connection, a timeout, a 5xx (PTB turns all of these into `NetworkError`; its `BadRequest`
subclasses `NetworkError` and is never retried). A 429 is not handled here: the rate limiter
waits out its `retry_after` inside each try. The outbox sender's requests skip this (they are
marked NOT_RETRIED): the sender retries its rows itself, with its own pacing and bookkeeping.

The policy: three tries, about 0.5 s and 1.5 s apart (±25 %, so requests that failed together
do not come back together), and no new try once `deadline` (10 s) has passed since the first
began. When Telegram answers an error at once, the person gets the reply or the apology within
about two seconds; a try that times out takes PTB's own timeout (5 s), so a timeout is tried
once more, not twice. The sleeping happens in the coroutine of the update being handled: that
chat waits (its updates run in order, see bot/updates.py), every other chat goes on.

A request that may have arrived is retried anyway. A read timeout, or a connection dropped after
the request was written, or a 5xx, can follow a request Telegram carried out, and a retry then
does it twice. We retry all the same, because not retrying is worse for the person: they see the
apology, but also, when the lost answer was in fact delivered, the next question, while the
conversation did not move on (the handler raised, so its state stayed) — what they type next is
then taken as the answer to the question before. Where a repeat can be recognised it is harmless:
an edit repeated after a lost answer gets "message is not modified", a second answer to a button
press "query is too old", a second delete "message to delete not found", and on a retry each of
these means "done already" and counts as success. The one visible cost is a send (a reply or a
document) that arrived twice in the person's own chat: the same question or receipt shown twice,
which needs no action from anyone, and happens only when Telegram lost an answer and then failed
again or recovered within seconds. Retrying only what surely did not arrive (refused
connections, pool and write timeouts) would avoid it, but would leave most real failures — the
dropped keep-alive connection, the 502 — to the apology. Each such repeat is logged.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from telegram.error import BadRequest, NetworkError
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)
T = TypeVar("T")
Result = bool | dict[str, Any] | list[dict[str, Any]]

# A failure of these kinds happened before Telegram had the whole request: it cannot have acted.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.LocalProtocolError,
    httpx.UnsupportedProtocol,
)
# What Telegram answers when a retry repeats something the lost try already did.
_ALREADY_DONE: dict[str, tuple[str, ...]] = {
    "editMessageText": ("message is not modified",),
    "editMessageCaption": ("message is not modified",),
    "editMessageReplyMarkup": ("message is not modified",),
    "editMessageMedia": ("message is not modified",),
    "answerCallbackQuery": ("query is too old", "query id is invalid"),
    "deleteMessage": ("message to delete not found",),
}
_NOT_SENDS = frozenset({"sendChatAction"})


def is_transient(error: BaseException) -> bool:
    """Worth another try: a network error, a timeout or a 5xx (never a 400)."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


def may_have_arrived(error: BaseException) -> bool:
    """Whether Telegram may have carried out the request whose answer failed like this."""
    return not isinstance(error.__cause__, _NOT_SENT)


def creates_message(method: str) -> bool:
    """A method whose repeat shows the person a second message."""
    return (
        method.startswith(("send", "copyMessage", "forwardMessage")) and method not in _NOT_SENDS
    )


def already_done(method: str, error: BadRequest) -> bool:
    """On a retry: Telegram says the earlier, unanswered try did what was asked."""
    text = error.message.lower()
    return any(phrase in text for phrase in _ALREADY_DONE.get(method, ()))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a transient failure is tried again (see the module docstring)."""

    tries: int = 3
    first_delay: float = 0.5  # seconds before the second try
    backoff: float = 3.0  # each further wait is this many times longer
    jitter: float = 0.25  # each wait is drawn within ± this fraction
    deadline: float = 10.0  # no try starts later than this after the first

    def delay(self, failed: int) -> float:
        """The wait after the `failed`-th failed try (1 for the first)."""
        base = self.first_delay * self.backoff ** (failed - 1)
        return base * random.uniform(1 - self.jitter, 1 + self.jitter)

    async def run(
        self,
        what: str,
        attempt: Callable[[], Awaitable[T]],
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> T:
        """`attempt()` until it succeeds, fails for good, or the tries or the time run out
        (then its last error is raised)."""
        started = clock()
        failed = 0
        while True:
            try:
                return await attempt()
            except NetworkError as error:
                failed += 1
                if not is_transient(error) or failed >= self.tries:
                    raise
                wait = self.delay(failed)
                if clock() - started + wait > self.deadline:
                    raise
                log.warning(
                    "%s failed (%s); try %d of %d in %.2f s",
                    what, error, failed + 1, self.tries, wait,
                )  # fmt: skip
                await sleep(wait)


async def call_method(
    policy: RetryPolicy, method: str, call: Callable[[], Awaitable[Result]]
) -> Result:
    """One Bot API call, retried by `policy`; a repeat Telegram recognises counts as done."""
    tries = 0

    async def attempt() -> Result:
        nonlocal tries
        tries += 1
        try:
            return await call()
        except BadRequest as error:
            if tries > 1 and already_done(method, error):
                log.info("%s: done by an earlier try whose answer was lost (%s)", method, error)
                return True
            raise
        except NetworkError as error:
            if is_transient(error) and creates_message(method) and may_have_arrived(error):
                log.warning(
                    "%s may have gone through (%s): if it did, the retry shows it twice",
                    method, error,
                )  # fmt: skip
            raise

    return await policy.run(method, attempt)


class _ServerError(NetworkError):
    """A 5xx answer to a download, raised so that the policy retries it."""

    def __init__(self, code: int, payload: bytes) -> None:
        super().__init__(f"HTTP {code}")
        self.code, self.payload = code, payload


class RetryingRequest(HTTPXRequest):
    """PTB's HTTP client, retrying file downloads (`File.download_*`, plain GETs that bypass
    the rate limiter) like replies: a download is read-only, so it is always safe to repeat.
    Bot API calls (POST) are retried in the rate limiter instead, which knows which of them
    the outbox sender retries itself."""

    def __init__(self, *args: Any, retry: RetryPolicy | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry = retry or RetryPolicy()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        parent = super().do_request

        async def once() -> tuple[int, bytes]:
            code, payload = await parent(
                url, method, request_data, read_timeout, write_timeout, connect_timeout,
                pool_timeout,
            )  # fmt: skip
            if method == "GET" and code >= 500:
                raise _ServerError(code, payload)
            return code, payload

        if method != "GET":
            return await once()
        try:
            # Never name the URL: it carries the bot token.
            return await self.retry.run("file download", once)
        except _ServerError as error:  # out of tries: PTB turns the answer into its error
            return error.code, error.payload
