"""What a campaign's recipients receive: the text (or the plan document with the text as its
caption) and the buttons, in the version for those who have a round to answer and the
version for those who only read it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from messages import label, render, render_text
from storage.campaigns import CampaignMessages, CampaignSpec, Round
from storage.outgoing import Button, OutgoingMessage

# Telegram allows 1,024 characters in a caption and 4,096 in a message, counted after the
# HTML is parsed; keep a margin.
CAPTION_LIMIT = 1000
TEXT_LIMIT = 4000


def campaign_payload(
    campaign_id: int, spec: CampaignSpec, rounds: Sequence[Round], issuer: str | None = None
) -> CampaignMessages:
    """The campaign's message (campaign id 0: the office's preview). `issuer` is the name of
    the unit that launches it (None: the office, generically). «📝 Báo cáo» is only in the
    version for those with a round to answer."""
    ack = Button(label("campaign_ack"), callback_data=f"ack:{campaign_id}")
    read = OutgoingMessage(
        text=campaign_text(spec, rounds, issuer),
        buttons=((ack,),),
        document=spec.document_file_id,
        title=spec.title,
    )
    if not rounds:
        return CampaignMessages(answer=read, read=read)
    report = Button(label("campaign_report"), callback_data=f"rep:{campaign_id}")
    return CampaignMessages(answer=read.with_buttons([[ack, report]]), read=read)


def campaign_text(spec: CampaignSpec, rounds: Sequence[Round], issuer: str | None) -> str:
    """The longest form of the text that fits: with a plan document it is the document's
    caption, so the summary and targets are left to the document and then the rounds are
    summed up; without one, the rounds are summed up first, then targets left out."""
    document = spec.document_file_id is not None
    limit = CAPTION_LIMIT if document else TEXT_LIMIT
    values: dict[str, Any] = {"spec": spec, "rounds": rounds, "issuer": issuer,
                              "document": document}  # fmt: skip
    for form in _forms(len(spec.targets), document):
        if len(render_text("campaign_message", **values, **form)) <= limit:
            return render("campaign_message", **values, **form)
    last = {"detail": False, "listed": False, "targets_shown": 0, "cut": True}
    return render("campaign_message", **values, **last)


def _forms(targets: int, document: bool) -> Iterator[dict[str, Any]]:
    yield {"detail": True, "listed": True, "targets_shown": targets, "cut": False}
    if document:
        yield {"detail": False, "listed": True, "targets_shown": 0, "cut": False}
        yield {"detail": False, "listed": False, "targets_shown": 0, "cut": False}
        return
    for shown in range(targets, -1, -1):
        yield {"detail": True, "listed": False, "targets_shown": shown, "cut": False}
