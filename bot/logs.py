"""Logging set-up: the bot token never reaches a log line, a traceback or an error message."""

from __future__ import annotations

import logging
from typing import TextIO

REDACTED = "<TOKEN>"


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
        return redact(super().format(record), self._token)


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
