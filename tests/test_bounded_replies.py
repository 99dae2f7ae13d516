"""Every reply built from what people type or send stays within Telegram's 4,096 characters
(issue 11.5): lists are capped with a count, echoed input is shortened."""

from __future__ import annotations

from formats.forms import Form, FormIssue, Question, QuestionType, builtin_form
from messages import render
from storage.roster import RosterChanges, SameName
from tests.fake_telegram import FakeTelegram
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, csv_file
from tests.test_reports import launch, open_report
from tests.test_unit_picker import office_at_units

LIMIT = 4096
APOLOGY = "Xin lỗi"
SCHOOLS = "Trường Tiểu học Nguyễn Văn Trỗi, Trường THCS Lê Quý Đôn, Trường THPT Chu Văn An, "


async def test_a_pasted_page_of_school_names_at_the_units_step(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office = await office_at_units(bot, telegram, "0911000001")
    await office.expect("Chọn đơn vị nhận kế hoạch")
    pasted = ("THCS-NT, " + SCHOOLS * 60)[:4000]  # one real code among 500 other words
    await office.send(pasted)
    refusal = await office.expect("Không có đơn vị mã")
    assert len(refusal.shown) <= LIMIT
    assert (
        "Không có đơn vị mã: Trường, Tiểu, học, Nguyễn, Văn, Trỗi, THCS, Lê, Quý, Đôn"
        " … và 3 mã khác." in refusal.shown  # each word once: THPT, Chu, An
    )
    await office.expect_nothing()  # no apology after it


async def test_a_long_bad_date_is_quoted_short(bot: RunningBot, telegram: FakeTelegram) -> None:
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    await open_report(teacher)
    for answer in ("Đã tổ chức 3 hoạt động.", "12", "85", "có", "Tốt"):
        await teacher.send(answer) if answer != "Tốt" else await teacher.press("Tốt")
        await teacher.expect("Câu")
    await teacher.send("ngày " * 800)  # a date question answered with 4,000 characters
    refusal = await teacher.expect("không phải ngày hợp lệ")
    assert len(refusal.shown) < 300
    assert not any(APOLOGY in m.shown for m in teacher.messages())


async def test_a_long_answer_shown_again_is_clipped(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    long_form = """
title: Báo cáo dài
questions:
  - prompt: Kết quả đạt được
    help: Viết đầy đủ các hoạt động.
    max_length: 4000
  - prompt: Tồn tại, hạn chế
    max_length: 4000
"""
    await launch(bot, telegram, form_yaml=long_form)
    teacher = telegram.user(6102)
    await open_report(teacher)
    answer = "Tổ chức quyên góp ủng hộ học sinh nghèo vượt khó.\n" * 78  # 3,978 characters
    await teacher.send(answer)
    await teacher.expect("Câu 2/2")
    await teacher.send(answer)
    summary = await teacher.expect("Xem lại")
    assert len(summary.shown) <= LIMIT and summary.shown.count("…") == 2
    assert summary.shown.count("Tổ chức quyên góp ủng hộ học sinh nghèo vượt khó.\n") > 10
    await teacher.press("✏️ Sửa")
    await teacher.expect("Chọn câu")
    await teacher.press("1. Kết quả đạt được")
    again = await teacher.expect("Câu 1/2")
    assert "Câu trả lời trước" in again.shown and len(again.shown) < 1000
    assert not any(APOLOGY in m.shown for m in teacher.messages())


async def test_roster_errors_fill_one_message(bot: RunningBot, telegram: FakeTelegram) -> None:
    office = telegram.user(ADMIN_ID)
    code = "TRUONG-TIEU-HOC-NGUYEN-VAN-TROI-XA-TAN-PHU-{:02d}"  # 45 characters, two rows each
    rows = [
        (code.format(i // 2), f"Trường Tiểu học Nguyễn Văn Trỗi xã Tân Phú cơ sở {i} " * 2,
         "", f"Người {i}", "gv", f"09120{i:05d}")
        for i in range(40)
    ]  # fmt: skip
    await office.send_document("ds.csv", csv_file([*BASIC_ROWS, *rows]))
    progress = await office.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: "chưa được nhập" in progress.shown)
    assert len(progress.shown) <= LIMIT
    assert "lỗi khác" in progress.shown


def test_form_texts_fill_one_message() -> None:
    long = "Nội dung rất dài của câu hỏi " * 40
    questions = tuple(
        Question(f"q{i}", long, QuestionType.CHOICE, choices=tuple(long[:60] for _ in range(10)),
                 help=long, prompt_unit=long, prompt_person=long)
        for i in range(30)
    )  # fmt: skip
    preview = render("form_file_preview", form=Form("custom", long[:200], questions))
    assert len(preview) <= LIMIT and "câu hỏi khác" in preview
    issues = [FormIssue("unknown_field", i, {"field": long, "allowed": ["title"] * 15})
              for i in range(30)]  # fmt: skip
    errors = render("form_file_errors", issues=issues)
    assert len(errors) <= LIMIT and "lỗi khác" in errors
    review = builtin_form("review")
    lines = [(q, "Câu trả lời dài. " * 250) for q in questions]
    for template in ("report_summary", "report_sent"):
        assert len(render_report(template, lines)) <= LIMIT
    assert len(render_report("report_summary", [(q, "x") for q in review.questions])) < 1000
    missing = render("report_missing", missing=[long] * 30)
    assert len(missing) < 1000 and "và 25 câu khác" in missing


def render_report(template: str, lines: list[tuple[Question, str]]) -> str:
    from tests.test_messages import SAMPLES

    values = dict(SAMPLES[template])
    values["lines"] = lines
    return render(template, **values)


def test_roster_changes_fill_one_message() -> None:
    name = "Nguyễn Thị Rất Dài " * 10
    same = tuple(SameName(name, name, 2, 1) for _ in range(50))
    changes = RosterChanges(same_names=same, people_deactivated=(name,) * 50, scope=name)
    text = render("roster_changes", changes=changes, applied=False, you_leave=True)
    assert len(text) <= LIMIT and "47 trường hợp cùng tên khác" in text
