"""Thi đua bot: application assembly, configuration, entry point."""

import os

# Opt in now to python-telegram-bot's future API (durations such as RetryAfter.retry_after as
# timedelta); without it every 429 raises a deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")
