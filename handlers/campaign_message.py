"""What a campaign's recipients receive: the text, the plan document and the buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from messages import label, render, render_text
from storage.campaigns import CampaignSpec, Round

CAPTION_LIMIT = 1000  # Telegram allows 1,024 characters in a caption; keep a margin
TEXT_LIMIT = 4000  # and 4,096 in a message


def campaign_payload(
    campaign_id: int, spec: CampaignSpec, rounds: Sequence[Round], issuer: str | None = None
) -> dict[str, Any]:
    """The broadcast payload (see storage/sql/002_campaigns.sql for its shape). `issuer` is
    the name of the unit that launches the campaign (None: the office, generically).

    `buttons` has «📝 Báo cáo» when there are rounds; `keyboards` tells apart those who have
    something to answer from those who only read (storage.campaigns.recipient_payload)."""
    limit = CAPTION_LIMIT if spec.document_file_id else TEXT_LIMIT
    values = {"spec": spec, "rounds": rounds, "issuer": issuer}
    text = render("campaign_message", **values)
    if len(render_text("campaign_message", **values)) > limit:
        text = render("campaign_message_short", **values)
    read = [[{"text": label("campaign_ack"), "callback_data": f"ack:{campaign_id}"}]]
    payload: dict[str, Any] = {
        "text": text,
        "buttons": read,
        "document": spec.document_file_id,
        "title": spec.title,
    }
    if rounds:
        report = {"text": label("campaign_report"), "callback_data": f"rep:{campaign_id}"}
        answer = [[*read[0], report]]
        payload["buttons"] = answer
        payload["keyboards"] = {"answer": answer, "read": read}
    return payload
