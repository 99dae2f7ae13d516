"""A stand-in for the Telegram Bot API, strict by Telegram's rules (see `fakegram.server`)."""

from fakegram.server import (
    NOT_MODIFIED,
    OWN,
    TOKEN,
    ApiCall,
    ApiError,
    ChatEvent,
    FakeGroup,
    FakeTelegram,
    FakeUser,
    SentMessage,
)

__all__ = [
    "NOT_MODIFIED",
    "OWN",
    "TOKEN",
    "ApiCall",
    "ApiError",
    "ChatEvent",
    "FakeGroup",
    "FakeTelegram",
    "FakeUser",
    "SentMessage",
]
