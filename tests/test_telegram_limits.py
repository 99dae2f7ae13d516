"""What the bot sends stays within Telegram's limits, as the fake server enforces them.

Found while making the fake as strict as Telegram (issue 9).
"""

from __future__ import annotations

from datetime import date, timedelta

from handlers.campaign_message import campaign_payload
from storage.campaigns import CampaignSpec, Round
from tests.fake_telegram import FakeTelegram
from tests.harness import RunningBot
from tests.helpers import NOW
from tests.test_outbox import broadcast, registered_recipients, wait_for_status


async def test_campaign_with_a_plan_and_twelve_monthly_rounds_reaches_recipients(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    recipients = await registered_recipients(bot.db, telegram, 1)
    plan = telegram.add_file(b"%PDF-1.4 ke hoach", "ke_hoach.pdf", "application/pdf")
    rounds = tuple(
        Round(
            name=f"Báo cáo tháng {(8 + k) % 12 + 1}",
            kind="unit",
            deadline=NOW + timedelta(days=30 * (k + 1)),
            form="default",
        )
        for k in range(12)
    )
    spec = CampaignSpec(
        title="Phong trào thi đua «Dạy tốt – Học tốt» năm học 2026–2027",
        plan_number="123/KH-SGDĐT",
        issuer_unit_id=None,
        period_from=date(2026, 9, 5),
        period_to=date(2027, 8, 31),
        summary="Nội dung chi tiết trong kế hoạch.",
        targets=(),
        audience_all=True,
        units=(),
        roles=("principal",),
        document_file_id=plan["file_id"],
        document_name="ke_hoach.pdf",
        document_path=None,
        rounds=rounds,
    )
    messages = campaign_payload(1, spec, rounds)
    broadcast_id = await broadcast(bot, recipients, payload=messages.answer)
    await wait_for_status(bot, broadcast_id, "done")

    row = await bot.db.fetchone(
        "SELECT status, error FROM outbox WHERE broadcast_id = ?", (broadcast_id,)
    )
    assert row is not None and tuple(row) == ("sent", None)
    message = telegram.messages_to(recipients[0][1])[-1]
    assert message.document is not None
    assert "PHÁT ĐỘNG PHONG TRÀO THI ĐUA" in message.shown
