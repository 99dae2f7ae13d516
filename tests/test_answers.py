"""Typed answers to report questions: accepted the way Vietnamese write them, refused with a
message that says what is expected."""

from __future__ import annotations

from datetime import date

import pytest

from formats.forms import Question, QuestionType
from handlers.answers import check_file, format_answer, parse_answer, parse_number
from handlers.inputs import InputError
from messages import render_text

TEXT = Question("t", "Kết quả", QuestionType.TEXT)
NUMBER = Question("n", "Kinh phí", QuestionType.NUMBER)
COUNT = Question("c", "Số người", QuestionType.NUMBER, integer=True, minimum=0, maximum=5000)
PERCENT = Question("p", "Tỷ lệ", QuestionType.PERCENT)
YESNO = Question("y", "Có tham gia?", QuestionType.YESNO)
CHOICE = Question("k", "Xếp loại", QuestionType.CHOICE, choices=("Xuất sắc", "Tốt", "Khá"))
DATE = Question("d", "Ngày", QuestionType.DATE)
FILES = Question("f", "Minh chứng", QuestionType.FILES, required=False, max_files=3)
MB = 1024 * 1024


def refusal(question: Question, text: str) -> tuple[str, str]:
    """The template and the message a person would read."""
    with pytest.raises(InputError) as caught:
        parse_answer(question, text)
    error = caught.value
    return error.template, render_text(error.template, **error.values)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1234", 1234),
        ("1.234", 1234),
        ("1.234.567", 1234567),
        ("12,5", 12.5),
        ("1.234,5", 1234.5),
        ("1 234", 1234),
        ("1\u00a0234,75", 1234.75),
        ("12.5", 12.5),
        ("0.250", 0.25),
        ("-3", -3),
        ("+7,25", 7.25),
        ("1,234,567", 1234567),
        ("1,234.5", 1234.5),
    ],
)
def test_numbers_as_written(text: str, value: float) -> None:
    parsed = parse_answer(NUMBER, text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("text", ["abc", "12 người", "1.23.4", "1..2", "1,2,3", ",5", "1e5", "-"])
def test_not_numbers(text: str) -> None:
    assert parse_number(text) is None
    template, message = refusal(NUMBER, text)
    assert template == "answer_not_number"
    assert "không phải là một số" in message and "1.240 hoặc 12,5" in message


def test_integer_questions_and_limits() -> None:
    assert parse_answer(COUNT, "1.240") == 1240
    assert parse_answer(COUNT, "25,0") == 25
    template, message = refusal(COUNT, "2,5")
    assert template == "answer_not_integer" and "«2,5»" in message
    template, message = refusal(COUNT, "-1")
    assert template == "answer_number_range" and "từ 0 đến 5.000" in message
    template, message = refusal(COUNT, "12.345")
    assert template == "answer_number_range" and "12.345 nằm ngoài" in message
    low = Question("m", "Điểm", QuestionType.NUMBER, minimum=0.5)
    assert "từ 0,5 trở lên" in refusal(low, "0,25")[1]
    assert refusal(COUNT, "một trăm")[0] == "answer_not_number"


@pytest.mark.parametrize(
    ("text", "value"),
    [("85", 85), ("85%", 85), ("85,5 %", 85.5), ("0", 0), ("100 phần trăm", 100)],
)
def test_percent(text: str, value: float) -> None:
    assert parse_answer(PERCENT, text) == value


def test_percent_refused() -> None:
    template, message = refusal(PERCENT, "101%")
    assert template == "answer_percent_range" and "101% không hợp lệ" in message
    assert refusal(PERCENT, "-5")[0] == "answer_percent_range"
    assert refusal(PERCENT, "nhiều")[0] == "answer_not_percent"


@pytest.mark.parametrize("text", ["có", "Co", "yes", "C", "ừ", "Đúng", "✅ Có"])
def test_yes(text: str) -> None:
    assert parse_answer(YESNO, text) is True


@pytest.mark.parametrize("text", ["không", "khong", "No", "k", "ko", "KHÔNG"])
def test_no(text: str) -> None:
    assert parse_answer(YESNO, text) is False


def test_yesno_refused() -> None:
    template, message = refusal(YESNO, "có lẽ")
    assert template == "answer_not_yesno" and "«Có» hoặc «Không»" in message


def test_choice_by_text_or_number() -> None:
    assert parse_answer(CHOICE, "tot") == "Tốt"
    assert parse_answer(CHOICE, "  XUẤT SẮC ") == "Xuất sắc"
    assert parse_answer(CHOICE, "3") == "Khá"
    assert parse_answer(CHOICE, "2.") == "Tốt"
    numbers = Question("s", "Số buổi", QuestionType.CHOICE, choices=("2", "1"))
    assert parse_answer(numbers, "1") == "1"  # a choice's own text wins over its position
    template, message = refusal(CHOICE, "4")
    assert template == "answer_not_choice" and "1. Xuất sắc" in message and "3. Khá" in message
    assert refusal(CHOICE, "Trung bình")[0] == "answer_not_choice"


def test_text() -> None:
    assert parse_answer(TEXT, "  Đã tổ chức 3 buổi  ") == "Đã tổ chức 3 buổi"
    template, message = refusal(TEXT, "a" * 10_000)
    assert template == "answer_too_long"
    assert "dài 10.000 ký tự, tối đa 2.000" in message
    assert parse_answer(TEXT, "a" * 2000) == "a" * 2000


@pytest.mark.parametrize("question", [TEXT, NUMBER, PERCENT, YESNO, CHOICE, DATE])
def test_an_empty_message_says_what_is_expected(question: Question) -> None:
    template, message = refusal(question, " \n ")
    assert template == "answer_empty" and message.startswith("⚠️ Bạn chưa nhập câu trả lời.")
    assert "Hãy" in message


def test_empty_optional_answer_mentions_skip() -> None:
    optional = Question("g", "Ghi chú", QuestionType.TEXT, required=False)
    assert "«Bỏ qua»" in refusal(optional, "")[1]


def test_dates() -> None:
    assert parse_answer(DATE, "25/1/2024") == date(2024, 1, 25)
    template, message = refusal(DATE, "31/02/2025")
    assert template == "input_impossible_date" and "31/02/2025 không tồn tại" in message
    assert refusal(DATE, "mai")[0] == "input_bad_date"


def test_text_for_a_files_question() -> None:
    assert refusal(FILES, "ảnh đây")[0] == "answer_expect_files"


def test_check_file() -> None:
    check_file(FILES, 5 * MB, "image/jpeg")
    check_file(FILES, None, None)  # Telegram may not say
    check_file(FILES, 20 * MB, "video/mp4")
    with pytest.raises(InputError) as caught:
        check_file(FILES, 25 * MB + 1, "application/pdf")
    assert caught.value.template == "answer_file_too_big"
    assert "25 MB" in render_text(caught.value.template, **caught.value.values)
    assert "tối đa 20 MB" in render_text(caught.value.template, **caught.value.values)
    with pytest.raises(InputError) as caught:
        check_file(FILES, 1000, "application/x-msdownload")
    assert caught.value.template == "answer_file_type"
    with pytest.raises(InputError) as caught:
        check_file(FILES, 1000, "image/png", count=3)
    assert caught.value.template == "answer_too_many_files"
    with pytest.raises(ValueError):
        check_file(TEXT, 1000, "image/png")


def test_format_answer() -> None:
    assert format_answer(NUMBER, 1240) == "1.240"
    assert format_answer(NUMBER, 12.5) == "12,5"
    assert format_answer(NUMBER, 1234.125) == "1.234,125"
    assert format_answer(PERCENT, 85.5) == "85,5%"
    assert format_answer(YESNO, True) == "Có"
    assert format_answer(YESNO, False) == "Không"
    assert format_answer(DATE, date(2024, 1, 5)) == "05/01/2024"
    assert format_answer(DATE, "2024-01-05") == "05/01/2024"  # as stored in JSON
    assert format_answer(CHOICE, "Tốt") == "Tốt"
    assert format_answer(TEXT, "<b>") == "<b>"  # plain text; templates escape it
    assert format_answer(FILES, [1, 2]) == "2 tệp"
    assert format_answer(FILES, None) == "— (bỏ qua)"
