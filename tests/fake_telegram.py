"""The tests' fake Telegram server is the product's own: `fakegram` (also the sandbox's).

Kept so tests import it from where they always did. Add to `fakegram/server.py`, not here.
"""

from fakegram.server import (
    JSON,
    LONG_POLL_CAP,
    MAX_CALLBACK_ANSWER,
    MAX_CALLBACK_DATA,
    MAX_CAPTION_LENGTH,
    MAX_COMMANDS,
    MAX_DESCRIPTION,
    MAX_DOWNLOAD_SIZE,
    MAX_RAW_TEXT_BYTES,
    MAX_SHORT_DESCRIPTION,
    MAX_TEXT_LENGTH,
    NOT_MODIFIED,
    OWN,
    SENDING_METHODS,
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
    "JSON",
    "LONG_POLL_CAP",
    "MAX_CALLBACK_ANSWER",
    "MAX_CALLBACK_DATA",
    "MAX_CAPTION_LENGTH",
    "MAX_COMMANDS",
    "MAX_DESCRIPTION",
    "MAX_DOWNLOAD_SIZE",
    "MAX_RAW_TEXT_BYTES",
    "MAX_SHORT_DESCRIPTION",
    "MAX_TEXT_LENGTH",
    "NOT_MODIFIED",
    "OWN",
    "SENDING_METHODS",
    "TOKEN",
    "ApiCall",
    "ApiError",
    "ChatEvent",
    "FakeGroup",
    "FakeTelegram",
    "FakeUser",
    "SentMessage",
]
