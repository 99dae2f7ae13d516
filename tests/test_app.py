"""The application is assembled in one written-down order."""

from __future__ import annotations

from telegram.ext import CommandHandler, ConversationHandler, MessageHandler

from bot.app import HANDLER_ORDER, build_application
from bot.commands import COMMANDS
from bot.config import Config
from tests.fake_telegram import TOKEN


def test_handlers_follow_the_written_order() -> None:
    app = build_application(Config(token=TOKEN))
    registered = app.handlers[0]
    expected = [type(h) for _, factory in HANDLER_ORDER for h in factory()]
    assert [type(h) for h in registered] == expected
    names = [name for name, _ in HANDLER_ORDER]
    assert names[-1] == "fallback"
    assert names.index("registration") < names.index("basics")
    # The catch-all is last, so it can never swallow a command a flow owns.
    assert isinstance(registered[-1], MessageHandler)


def test_every_menu_command_has_a_handler() -> None:
    app = build_application(Config(token=TOKEN))
    tops = list(app.handlers[0])
    entries = [e for h in tops if isinstance(h, ConversationHandler) for e in h.entry_points]
    handled = {
        command
        for handler in tops + entries
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    assert {command.name for command in COMMANDS} <= handled
