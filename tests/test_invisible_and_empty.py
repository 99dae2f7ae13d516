"""Answers that look empty are empty (issue 11.7): a text of zero-width spaces and the like
is blank, and a 0-byte file is refused wherever a file is taken."""

from __future__ import annotations

import pytest

from formats.forms import parse_form_file
from formats.roster_file import read_roster
from handlers.inputs import InputError, check_length, parse_targets
from storage.roster_table import RosterFileError
from storage.text import clean, strip_invisible
from tests.fake_telegram import FakeTelegram
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, csv_file
from tests.test_campaign_launch import answer, begin, setup, skip_to_roles
from tests.test_reports import answer_up_to_files, launch, open_report

# Zero-width space, joiners, word joiner, BOM, soft hyphen, a Hangul filler, no-break space.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u3164\u00a0"


def test_what_shows_nothing_is_blank() -> None:
    assert strip_invisible(f" {INVISIBLE}\t") == ""
    assert strip_invisible(f"{INVISIBLE}Lan{INVISIBLE}") == "Lan"
    assert strip_invisible("Nguyễn\u200bLan") == "Nguyễn\u200bLan"  # only the ends go
    assert clean(f"{INVISIBLE} Trần  Văn Ân \u200b") == "Trần Văn Ân"
    with pytest.raises(InputError) as caught:
        check_length(INVISIBLE * 10, 1, 200)
    assert caught.value.template == "input_too_short"
    with pytest.raises(InputError) as caught:
        parse_targets(f"- {INVISIBLE}\n\u200b\n")
    assert caught.value.template == "input_no_targets"


def test_a_roster_name_of_zero_width_spaces_is_missing() -> None:
    rows = [
        *BASIC_ROWS,
        ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "\u200b\u200b", "gv", "0977000001"),
    ]
    with pytest.raises(RosterFileError) as caught:
        read_roster(csv_file(rows))
    [issue] = caught.value.issues
    assert (issue.code, issue.values["column"]) == ("missing_value", "full_name")


def test_a_form_prompt_of_zero_width_spaces_is_missing() -> None:
    text = f'title: {INVISIBLE}\nquestions:\n  - prompt: "{INVISIBLE}"\n'
    with pytest.raises(Exception) as caught:
        parse_form_file(text.encode(), "mau.yaml")
    codes = [issue.code for issue in getattr(caught.value, "issues", [])]
    assert codes == ["missing_title", "missing_prompt"]


async def test_a_title_of_zero_width_spaces(bot: RunningBot, telegram: FakeTelegram) -> None:
    office, _ = await setup(bot, telegram)
    await answer(office, "/phatdong", "Bước 1")
    await answer(office, "\u200b\u200b\u200b\u200b\u200b", "quá ngắn")
    await answer(office, "Vì người nghèo", "Bước 2")


async def test_an_empty_plan_document_is_refused(bot: RunningBot, telegram: FakeTelegram) -> None:
    office, _ = await setup(bot, telegram)
    await begin(office)
    await skip_to_roles(office, "Bước 3", "Bước 4", "Bước 5", "Bước 6")
    await office.press("Tiếp tục ➡️")
    await office.expect("Bước 8")
    await office.send_document("ke_hoach.pdf", b"", "application/pdf")
    refused = await office.expect("trống (0 byte)")
    assert refused.has_button("⏭ Bỏ qua")  # the step stays, nothing else is lost
    await office.send_document("ke_hoach.pdf", b"%PDF-1.4 ke hoach", "application/pdf")
    await office.expect("Bước 9")


async def test_a_report_answer_of_zero_width_spaces(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    await open_report(teacher)
    await teacher.send("\u200b\u2060\ufeff")
    await teacher.expect("chưa nhập câu trả lời")
    assert await bot.db.fetchval("SELECT answers FROM submissions") in (None, "{}")


async def test_empty_evidence_is_refused(bot: RunningBot, telegram: FakeTelegram) -> None:
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    await open_report(teacher)
    await answer_up_to_files(teacher)
    await teacher.send_document("bien_ban.pdf", b"", "application/pdf")
    await teacher.expect("«bien_ban.pdf» trống (0 byte)")
    # The same when Telegram leaves the size out: the download turns out empty.
    document = telegram.add_file(b"", "anh.jpg", "image/jpeg")
    del document["file_size"]
    await telegram._user_message(teacher, {"document": document})
    await teacher.expect("«anh.jpg» trống (0 byte)")
    assert await bot.db.fetchval("SELECT count(*) FROM evidence_files") == 0
    await teacher.send_document("bien_ban.pdf", b"%PDF-1.4 ...", "application/pdf")
    await teacher.expect("Đã nhận «bien_ban.pdf» (1 tệp)")


async def test_an_empty_roster_file(bot: RunningBot, telegram: FakeTelegram) -> None:
    office = telegram.user(ADMIN_ID)
    await office.send_document("danh_sach.xlsx", b"")
    progress = await office.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: "Tệp trống" in progress.shown)
    assert "chưa được nhập" in progress.shown
