"""Evidence files, shared by every flow that takes them (reports, nominations, award
dossiers): what a message carries, kept once per distinct file under FILES_DIR, and sent
back to whoever may open it."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from telegram import Message
from telegram.error import BadRequest, TelegramError

from handlers.common import BotContext
from handlers.inputs import InputError
from messages import render
from storage.reports import Evidence, evidence_by_unique_id, store_evidence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingFile:
    """A document or photo someone sent, as Telegram describes it."""

    file_id: str
    unique_id: str
    name: str
    mime_type: str | None
    size: int | None
    kind: str  # 'document' or 'photo': how it can be sent back


def incoming_file(message: Message) -> IncomingFile | None:
    """The document or (largest) photo of a message; None when it carries neither."""
    document = message.document
    if document is not None:
        return IncomingFile(document.file_id, document.file_unique_id,
                            document.file_name or "tep", document.mime_type,
                            document.file_size, "document")  # fmt: skip
    if message.photo:
        photo = message.photo[-1]
        return IncomingFile(photo.file_id, photo.file_unique_id,
                            f"anh_{photo.file_unique_id}.jpg", "image/jpeg", photo.file_size,
                            "photo")  # fmt: skip
    return None


async def keep_evidence(
    context: BotContext, file_id: str, unique_id: str, name: str, mime: str | None,
    size: int | None, kind: str,
) -> int:  # fmt: skip
    """Download once per distinct file (Telegram's file_unique_id) into FILES_DIR. A file
    that turns out empty (Telegram did not say its size) raises InputError("file_empty")."""
    known = await evidence_by_unique_id(context.db, unique_id)
    if known is not None:
        return known.id
    safe = re.sub(r"[^\w.\-]+", "_", name)[-120:]
    target = Path(context.config.files_dir) / "evidence" / f"{unique_id}_{safe}"
    path: str | None = str(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        telegram_file = await context.bot.get_file(file_id)
        await telegram_file.download_to_drive(target)
        if target.stat().st_size == 0:  # Telegram did not say its size: it had none
            target.unlink()
            raise InputError("file_empty", {"name": name})
    except (TelegramError, OSError) as exc:
        # The file id still reaches the file through Telegram; the copy can be made later.
        log.warning("could not download evidence %s: %s", name, exc)
        path = None
    return await store_evidence(
        context.db, file_unique_id=unique_id, file_id=file_id, file_name=name, mime_type=mime,
        size=size, path=path, now=context.clock.now(), kind=kind,
    )  # fmt: skip


async def keep_file(context: BotContext, file: IncomingFile) -> int:
    return await keep_evidence(context, file.file_id, file.unique_id, file.name,
                               file.mime_type, file.size, file.kind)  # fmt: skip


async def send_evidence_file(
    context: BotContext, chat_id: int, evidence: Evidence, caption: str
) -> None:
    """The file itself, by its Telegram file id, else from the copy on disk; if neither
    works, a message saying so."""
    try:
        if evidence.kind == "photo":
            await context.bot.send_photo(chat_id, evidence.file_id, caption=caption)
        else:
            await context.bot.send_document(chat_id, evidence.file_id, caption=caption)
        return
    except BadRequest as exc:  # the file id no longer works: the copy on disk still does
        log.warning("evidence %s not sent by file id: %s", evidence.id, exc)
    path = Path(evidence.path) if evidence.path else None
    try:
        if path is None or not path.is_file():
            raise FileNotFoundError(evidence.path)
        with path.open("rb") as handle:
            await context.bot.send_document(
                chat_id, handle, filename=evidence.file_name, caption=caption
            )
    except (OSError, TelegramError) as exc:
        log.warning("evidence %s not sent from disk: %s", evidence.id, exc)
        await context.bot.send_message(
            chat_id, render("review_evidence_failed", evidence=evidence)
        )
