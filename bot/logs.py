"""Logging set-up: the bot token never reaches a log line, a traceback or an error message,
and neither does a phone number (a roster is personal data)."""

from __future__ import annotations

import logging
import re
from typing import TextIO

REDACTED = "<TOKEN>"
PHONE_MASK = "<SĐT>"
# A Vietnamese phone as people type it: 0 or (+)84 then 9-10 digits, maybe grouped by spaces,
# dots or dashes. Telegram ids never start with 0 and are not 11 digits starting with 84.
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[ .\-]?\d){9,10}(?!\d)")


def mask_phones(text: str) -> str:
    """`text` with every phone number replaced by a mark."""
    return _PHONE.sub(PHONE_MASK, text)


def redact(text: str, token: str) -> str:
    if not token:
        return text
    text = text.replace(token, REDACTED)
    # httpx and PTB sometimes show only the secret half (after the colon).
    secret = token.partition(":")[2]
    return text.replace(secret, REDACTED) if len(secret) >= 20 else text


class RedactingFormatter(logging.Formatter):
    def __init__(self, token: str, fmt: str) -> None:
        super().__init__(fmt)
        self._token = token

    def format(self, record: logging.LogRecord) -> str:
        # Phones are kept out of log calls at the source; this is the last line of defence
        # (PTB logs whole updates, shared contacts included, at DEBUG).
        return mask_phones(redact(super().format(record), self._token))


def configure_logging(level: str, token: str, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        RedactingFormatter(token, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Telegram URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
