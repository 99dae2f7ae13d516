"""/phatdong prompts: example dates from the current school year, and a sample form file to
start a custom form from."""

from __future__ import annotations

from datetime import datetime

from formats.forms import parse_form_file
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.harness import RunningBot
from tests.helpers import VN
from tests.test_campaign_launch import begin, setup, skip_to_rounds

NOVEMBER_2026 = datetime(2026, 11, 10, 9, 0, tzinfo=VN)


async def to_round_deadline(office: FakeUser, *steps: str) -> None:
    """From a skippable step to the deadline of a per-person round, skipping `steps`."""
    await skip_to_rounds(office, *steps)
    await office.press("Tổng kết")
    await office.expect("theo từng cá nhân?")
    await office.press("Theo cá nhân (mỗi người trả lời)")


async def test_prompt_examples_come_from_the_current_school_year(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, _ = await setup(bot, telegram)
    bot.clock.set(NOVEMBER_2026)
    await begin(office)
    await office.press("⏭ Bỏ qua")
    period = await office.expect("Bước 3")
    assert "ví dụ: 05/09/2026 - 31/05/2027" in period.shown
    await office.send("từ tháng 9")
    bad = await office.expect("Cần hai ngày")
    assert "ví dụ 05/09/2026 - 31/05/2027" in bad.shown
    await office.send("05/09/2026 - 31/05/2027")
    await office.expect("Bước 4")
    await to_round_deadline(office, "Bước 5", "Bước 6")
    deadline = await office.expect("Nhập hạn nộp")
    assert "ví dụ 15/01/2027 hoặc 15/01/2027 17:00" in deadline.shown
    await office.send("cuối kỳ")
    bad = await office.expect("không phải hạn nộp hợp lệ")
    assert "ví dụ 15/01/2027 17:00" in bad.shown
    await office.send_sticker()
    expected = await office.expect("Vui lòng nhập hạn nộp")
    assert "ví dụ 15/01/2027 17:00" in expected.shown
    for message in (period, deadline, bad, expected):
        assert "2024" not in message.shown and "2023" not in message.shown


async def test_the_sample_form_file_arrives_and_is_accepted(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, _ = await setup(bot, telegram)
    await begin(office)
    await office.press("⏭ Bỏ qua")
    await office.expect("Bước 3")
    await to_round_deadline(office, "Bước 4", "Bước 5", "Bước 6")
    await office.expect("Nhập hạn nộp")
    await office.send("15/07/2024")
    await office.expect("mẫu báo cáo")
    await office.press("📄 Mẫu riêng (gửi tệp YAML/JSON)")
    explained = await office.expect("Mẫu báo cáo riêng")
    assert "README" not in explained.shown
    for words in ("title", "questions", "type", "văn bản, số, phần trăm", "required: không"):
        assert words in explained.shown
    sample = await office.expect("Tệp mẫu")
    assert sample.document is not None and sample.document["file_name"] == "mau_bao_cao.yaml"
    content = telegram.file_bytes(sample.document["file_id"])
    assert "# Các loại câu hỏi:" in content.decode("utf-8")  # explained in Vietnamese
    form = parse_form_file(content, "mau_bao_cao.yaml")
    assert len(form.questions) == 8
    assert {q.type.value for q in form.questions} == {
        "text", "number", "percent", "yesno", "choice", "date", "files"
    }  # fmt: skip

    await office.send("tôi chưa có tệp")
    await office.expect("Vui lòng gửi tệp mẫu báo cáo")
    await office.send_document("mau_bao_cao.yaml", content, "application/x-yaml")
    accepted = await office.expect("có 8 câu hỏi")
    assert "Số suất học bổng đã trao" in accepted.shown
    await office.expect("Nhắc nhở")
    await office.press("✅ Giữ mặc định")
    await office.expect("Thêm đợt khác")
