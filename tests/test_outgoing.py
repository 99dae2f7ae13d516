"""The outbox message: one encoding, old rows still read; and a campaign's text that always
fits in what Telegram accepts."""

from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta

import pytest

from handlers.campaign_message import CAPTION_LIMIT, TEXT_LIMIT, campaign_payload
from storage.campaigns import CampaignSpec, Round, Target
from storage.outgoing import Button, OutgoingMessage, UndecodableMessage, legacy_keyboards
from tests.helpers import NOW


def test_a_message_comes_back_as_it_went() -> None:
    message = OutgoingMessage(
        text="📣 <b>Thông báo</b> & mời họp",
        buttons=(
            (Button("✅ Đã nhận", callback_data="ack:1"), Button("📝 Báo cáo", "rep:1")),
            (Button("🌐 Cổng thông tin", url="https://example.edu.vn/ke-hoach"),),
        ),
        document="file-1",
        title="Vì người nghèo",
        link_preview=True,
    )
    encoded = message.encode()
    assert json.loads(encoded)["v"] == 1
    assert OutgoingMessage.decode(encoded) == message
    photo = OutgoingMessage("Ảnh", photo="photo-1")
    assert OutgoingMessage.decode(photo.encode()) == photo


def test_rows_written_before_the_version_still_decode() -> None:
    old = {
        "text": "Kế hoạch",
        "buttons": [[{"text": "✅ Đã nhận", "callback_data": "ack:3"}]],
        "document": None,
        "title": "Kế hoạch",
        "keyboards": {"answer": [[{"text": "📝 Báo cáo", "callback_data": "rep:3"}]],
                      "read": []},
    }  # fmt: skip
    message = OutgoingMessage.decode(json.dumps(old))
    assert message == OutgoingMessage(
        "Kế hoạch", ((Button("✅ Đã nhận", "ack:3"),),), None, None, "Kế hoạch"
    )
    assert legacy_keyboards(json.dumps(old)) == {
        "answer": ((Button("📝 Báo cáo", "rep:3"),),),
        "read": (),
    }
    assert legacy_keyboards(message.encode()) == {}


@pytest.mark.parametrize(
    "raw",
    ['{"v": 2, "text": "x"}', "[1, 2]", "not json", '{"text": "x", "buttons": [[{"x": 1}]]}'],
)
def test_anything_else_is_refused(raw: str) -> None:
    with pytest.raises(UndecodableMessage):
        OutgoingMessage.decode(raw)


def test_a_button_has_data_or_a_link() -> None:
    with pytest.raises(ValueError):
        Button("x")
    with pytest.raises(ValueError):
        Button("x", callback_data="a", url="https://example.edu.vn")


def spec(document: str | None, rounds: int, targets: int = 0) -> CampaignSpec:
    return CampaignSpec(
        title="Phong trào thi đua «Dạy tốt – Học tốt» năm học 2026–2027 " * 3,
        plan_number="123/KH-SGDĐT",
        issuer_unit_id=None,
        period_from=date(2026, 9, 5),
        period_to=date(2027, 8, 31),
        summary="Nội dung chi tiết của kế hoạch, mục đích và yêu cầu. " * 28,
        targets=tuple(Target(f"Chỉ tiêu {i}: " + "x" * 280) for i in range(targets)),
        audience_all=True,
        units=(),
        roles=("principal",),
        document_file_id=document,
        document_name=None,
        document_path=None,
        rounds=tuple(
            Round(f"Báo cáo tháng {k + 1} " + "y" * 70, "unit", NOW + timedelta(days=k), "short")
            for k in range(rounds)
        ),
    )


def _strip(html_text: str) -> str:
    """The text as Telegram counts it: tags parsed away, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", html_text))


@pytest.mark.parametrize("rounds", [0, 1, 12, 40])
def test_a_caption_always_fits(rounds: int) -> None:
    campaign = spec("plan-file", rounds, targets=20)
    messages = campaign_payload(1, campaign, campaign.rounds, "Sở GD&ĐT " + "Bình Phước " * 17)
    for message in (messages.answer, messages.read):
        assert len(_strip(message.text)) <= CAPTION_LIMIT
        assert message.document == "plan-file"
        assert "PHÁT ĐỘNG PHONG TRÀO THI ĐUA" in message.text
    if rounds > 2:
        assert f"{rounds} đợt, hạn nộp từ" in _strip(messages.answer.text)


@pytest.mark.parametrize(("rounds", "targets"), [(12, 20), (40, 20), (3, 2)])
def test_a_text_always_fits(rounds: int, targets: int) -> None:
    campaign = spec(None, rounds, targets)
    text = _strip(campaign_payload(1, campaign, campaign.rounds).answer.text)
    assert len(text) <= TEXT_LIMIT
    assert "Nội dung chi tiết" in text  # without a document, the summary always stays
    if targets == 20:
        assert "chỉ tiêu khác" in text
        assert "xem tệp kế hoạch" not in text  # there is none to look at


def test_the_two_versions_differ_only_by_the_report_button() -> None:
    campaign = spec(None, 2)
    messages = campaign_payload(7, campaign, campaign.rounds)
    assert messages.read.buttons == ((Button("✅ Đã nhận", "ack:7"),),)
    assert messages.answer.buttons == (
        (Button("✅ Đã nhận", "ack:7"), Button("📝 Báo cáo", "rep:7")),
    )
    assert messages.answer.text == messages.read.text
    none = campaign_payload(7, spec(None, 0), ())
    assert none.answer == none.read
