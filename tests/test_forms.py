"""Report forms: the built-ins are data, an office's own YAML/JSON form is read or refused
with the line and the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formats.forms import (
    BUILTIN_FORM_KEYS,
    MAX_FILE_BYTES,
    Form,
    FormFileError,
    FormIssue,
    QuestionType,
    builtin_form,
    parse_form_file,
)
from messages import render_text
from storage.campaigns import FORMS

CUSTOM_YAML = """\
# Mẫu báo cáo của Phòng GD&ĐT
tiêu đề: Báo cáo phong trào "Vì người nghèo" học kỳ I
câu hỏi:
  - mã: so_hoc_bong
    prompt: Số suất học bổng đã trao
    loại: số nguyên
    tối thiểu: 0
  - prompt: Tổng số tiền đã trao (triệu đồng)
    type: số
    minimum: 0
    maximum: 10000
  - prompt: Tỷ lệ cán bộ, giáo viên tham gia
    type: phần trăm
  - prompt: Đơn vị có tổ chức ngày hội không?
    type: Có/Không
  - prompt: Mức độ hoàn thành
    type: lựa chọn
    choices: [Xuất sắc, Tốt, Khá, "Chưa đạt"]
  - prompt: Ngày tổ chức
    type: ngày
    bắt buộc: không
  - prompt: Ghi chú
    help: "Lưu ý: viết ngắn gọn"
    max_length: 500
    required: no
  - prompt: Ảnh minh chứng
    type: minh chứng
    max_files: 5
    required: false
"""


def issues_of(data: bytes | str, filename: str = "mau.yaml") -> list[FormIssue]:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(FormFileError) as caught:
        parse_form_file(raw, filename)
    issues = caught.value.issues
    # Every issue can be worded: a missing value would fail loudly here.
    assert render_text("form_file_errors", issues=issues)
    return issues


def only_issue(data: bytes | str, filename: str = "mau.yaml") -> tuple[str, int | None]:
    issues = issues_of(data, filename)
    assert len(issues) == 1, issues
    return issues[0].code, issues[0].line


def test_builtin_forms_match_the_keys_rounds_store() -> None:
    assert BUILTIN_FORM_KEYS == FORMS
    for key in FORMS:
        form = builtin_form(key)
        assert form.key == key and form.title and form.questions
        assert Form.from_json(form.to_json()) == form
    with pytest.raises(KeyError):
        builtin_form("khong_co")


def test_builtin_form_contents() -> None:
    (short,) = builtin_form("short").questions
    assert (short.prompt, short.type, short.required) == ("Nội dung báo cáo", "text", True)
    join, note = builtin_form("participation").questions
    assert join.type is QuestionType.YESNO and join.required
    # Worded for who answers: the unit in a per-unit round, the person in a per-person one.
    assert join.for_kind("unit").prompt == "Đơn vị có tham gia phong trào không?"
    assert join.for_kind("person").prompt == "Bạn có tham gia phong trào không?"
    short_help = builtin_form("short").for_kind("person").questions[0].help or ""
    assert short_help.startswith("Viết ngắn gọn những việc bạn đã làm")
    assert note.type is QuestionType.TEXT and not note.required
    review = {q.key: q for q in builtin_form("review").questions}
    assert review["so_nguoi_tham_gia"].integer and review["so_nguoi_tham_gia"].minimum == 0
    assert review["ty_le_tham_gia"].type is QuestionType.PERCENT
    assert review["minh_chung"].type is QuestionType.FILES
    assert not review["minh_chung"].required and not review["bai_hoc"].required
    assert review["ket_qua"].required and review["han_che"].required


def test_custom_yaml_with_vietnamese_names() -> None:
    form = parse_form_file(CUSTOM_YAML.encode(), "mau.yaml")
    assert form.title == 'Báo cáo phong trào "Vì người nghèo" học kỳ I'
    assert form.key == "custom"
    types = [q.type.value for q in form.questions]
    assert types == ["number", "number", "percent", "yesno", "choice", "date", "text", "files"]
    first, money, *_ = form.questions
    assert (first.key, first.integer, first.minimum) == ("so_hoc_bong", True, 0)
    assert (money.key, money.integer, money.maximum) == ("q2", False, 10000)
    assert form.questions[4].choices == ("Xuất sắc", "Tốt", "Khá", "Chưa đạt")
    assert not form.questions[5].required
    note = form.questions[6]
    assert (note.help, note.max_length, note.required) == ("Lưu ý: viết ngắn gọn", 500, False)
    assert form.questions[7].max_files == 5
    assert Form.from_json(form.to_json()) == form


def test_custom_json_with_tabs_and_escapes() -> None:
    data = {
        "title": "Xác nhận \U0001f4cb",
        "questions": [
            {"key": "co", "prompt": "Có tham gia?", "type": "yesno"},
            {"prompt": "Chọn", "type": "choice", "choices": ["Yes", "No"]},
        ],
    }
    text = json.dumps(data, indent="\t")  # ASCII escapes, tab indentation
    form = parse_form_file(text.encode(), "mau.json")
    assert form.title == "Xác nhận \U0001f4cb"
    assert [q.key for q in form.questions] == ["co", "q2"]
    assert form.questions[1].choices == ("Yes", "No")  # not read as booleans


def test_generated_keys_avoid_explicit_ones() -> None:
    form = parse_form_file(
        b"title: T\nquestions:\n  - prompt: A\n  - key: q1\n    prompt: B\n", "mau.yml"
    )
    assert [q.key for q in form.questions] == ["q1_", "q1"]


def test_bad_yaml_syntax_names_the_line() -> None:
    text = "title: T\nquestions:\n  - prompt: A\n   type: text\n"
    code, line = only_issue(text)
    assert (code, line) == ("bad_yaml", 4)
    issue = issues_of("title: T\nquestions:\n\t- prompt: A\n")[0]
    assert (issue.line, issue.values["reason"]) == (3, "tab")
    issue = issues_of('title: "T\nquestions: []\n')[0]
    assert (issue.line, issue.values["reason"]) == (1, "unclosed")


def test_bad_json_syntax_names_json_line() -> None:
    text = '{\n  "title": "T",\n  "questions": [\n    {"prompt": "A"}\n    {"prompt": "B"}\n  ]\n}'
    issue = issues_of(text, "mau.json")[0]
    assert (issue.code, issue.line, issue.values["reason"]) == ("bad_json", 5, "comma")
    assert "Dòng 5" in render_text("form_file_issue", issue=issue)
    issue = issues_of('{"title": "T", "questions": [', "mau.json")[0]
    assert issue.values["reason"] == "truncated"
    # No extension: a file that starts with "{" is JSON.
    assert only_issue('{\n"title": "T",\n}', "mau.txt") == ("bad_json", 3)


def test_unknown_type_with_the_accepted_list() -> None:
    text = "title: T\nquestions:\n  - prompt: A\n    type: số\n  - prompt: B\n    type: bảng\n"
    issue = issues_of(text)[0]
    assert (issue.code, issue.line, issue.values) == ("bad_type", 6, {"value": "bảng"})
    assert render_text("form_file_issue", issue=issue) == (
        "Dòng 6: loại câu hỏi 'bảng' không hợp lệ"
        " (chỉ nhận: văn bản, số, phần trăm, có/không, lựa chọn, ngày, tệp)."
    )


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("title: T\nquestions:\n  - prompt: A\n    type: choice\n    choices: [Có]\n",
         "choice_count", 5),
        ("title: T\nquestions:\n  - prompt: A\n    type: lựa chọn\n", "choice_count", 3),
        ("title: T\nquestions:\n  - prompt: A\n    type: choice\n    choices:\n"
         "      - Tốt\n      - tốt\n", "duplicate_choice", 7),
        ("title: T\nquestions:\n  - prompt: A\n    type: number\n    minimum: 10\n"
         "    maximum: 5\n", "min_above_max", 6),
        ("title: T\nquestions:\n  - key: a\n    prompt: A\n  - key: a\n    prompt: B\n",
         "duplicate_key", 5),
        ("title: T\nquestions: []\n", "no_questions", 2),
        ("title: T\n", "no_questions", 1),
        ("questions:\n  - prompt: A\n", "missing_title", 1),
        ("title: T\nquestions:\n  - type: text\n", "missing_prompt", 3),
        ("title: T\nquestions:\n  - prompt: A\n    requred: no\n", "unknown_field", 4),
        ("title: T\ntitle: U\nquestions:\n  - prompt: A\n", "duplicate_field", 2),
        ("title: T\nquestions:\n  - prompt: A\n    key: Số HS\n", "bad_key", 4),
        ("title: T\nquestions:\n  - prompt: A\n    required: maybe\n", "bad_bool", 4),
        ("title: T\nquestions:\n  - prompt: A\n    type: so\n    maximum: 1.000,5\n",
         "bad_number", 5),
        ("title: T\nquestions:\n  - prompt: A\n    type: so\n    minimum: 1e400\n",
         "bad_number", 5),
        ("title: T\nquestions:\n  - prompt: A\n    max_length: 100000\n", "bad_count", 4),
        ("title: T\nquestions:\n  - prompt: A\n    type: date\n    choices: [a, b]\n",
         "field_not_for_type", 5),
        ("title: T\nquestions: A\n", "questions_not_list", 2),
        ("title: T\nquestions:\n  - A\n", "question_not_mapping", 3),
        ("- prompt: A\n", "not_mapping", 1),
        ("title: [T]\nquestions:\n  - prompt: A\n", "not_text", 1),
        (f"title: {'T' * 201}\nquestions:\n  - prompt: A\n", "too_long", 1),
        ("title: T\nquestions:\n" + "  - prompt: A\n" * 31, "too_many_questions", 3),
    ],
)  # fmt: skip
def test_malformed_forms(text: str, code: str, line: int) -> None:
    assert only_issue(text) == (code, line)


def test_every_problem_is_reported_at_once() -> None:
    text = (
        "title: T\nquestions:\n"
        "  - prompt: A\n    type: sô thực\n"  # 3-4: unknown type
        "  - key: a\n    prompt: B\n    type: choice\n    choices: [X]\n"  # 5-8
        "  - key: a\n    prompt: C\n"  # 9-10: duplicate key
    )
    assert [(i.code, i.line) for i in issues_of(text)] == [
        ("bad_type", 4),
        ("choice_count", 8),
        ("duplicate_key", 9),
    ]


def test_files_that_are_not_forms() -> None:
    assert only_issue(b"") == ("empty_file", None)
    assert only_issue("  \n# chỉ có ghi chú\n") == ("empty_file", None)
    assert only_issue("title: Báo cáo\n".encode("cp1258")) == ("not_utf8", 1)
    assert only_issue(b"title: T\nquestions:\n  - prompt: B\xe1o c\xe1o\n") == ("not_utf8", 3)
    assert only_issue("title: T\n".encode("utf-16")) == ("not_utf8", 1)
    assert only_issue(b"PK\x03\x04\x00\x00binary") == ("binary", None)
    too_big = b"title: T\nquestions:\n  - prompt: A\n" + b"#" * MAX_FILE_BYTES
    assert only_issue(too_big) == ("too_large", None)
    assert only_issue("title: T\n---\ntitle: U\n") == ("bad_yaml", 2)
    assert only_issue("[" * 5000) == ("bad_yaml", None)  # too deep for the parser


def test_bom_and_decomposed_vietnamese_are_fine() -> None:
    text = (
        "\ufefftitle: Ba\u0301o ca\u0301o\n"
        "questions:\n  - prompt: A\n    type: co\u0301/kho\u0302ng\n"
    )
    form = parse_form_file(text.encode(), "mau.yaml")
    assert form.title == "Báo cáo"
    assert form.questions[0].type is QuestionType.YESNO


def test_readme_example_is_a_valid_form() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Custom report forms", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    form = parse_form_file(example.encode(), "mau.yaml")
    assert len(form.questions) == 8
    assert {q.type for q in form.questions} == set(QuestionType)


def test_a_question_may_be_worded_for_units_and_for_people() -> None:
    text = (
        "title: Tham gia\nquestions:\n  - nội dung: Có tham gia không?\n"
        "    Nội dung theo đơn vị: Đơn vị có tham gia không?\n"
        "    noi_dung_theo_ca_nhan: Bạn có tham gia không?\n"
    )
    form = parse_form_file(text.encode(), "mau.yaml")
    (question,) = form.questions
    assert question.prompt == "Có tham gia không?"  # as written, for anything else
    assert form.for_kind("unit").questions[0].prompt == "Đơn vị có tham gia không?"
    assert form.for_kind("person").questions[0].prompt == "Bạn có tham gia không?"
    assert Form.from_json(form.to_json()) == form
    # A form stored before these fields existed still loads, and is asked as written.
    old = '{"key":"custom","title":"T","questions":[{"key":"q1","prompt":"Đơn vị/bạn?",'
    old += '"type":"text","required":true,"max_length":2000,"minimum":null,"maximum":null,'
    old += '"integer":false,"choices":[],"max_files":10,"help":null}]}'
    assert Form.from_json(old).for_kind("person").questions[0].prompt == "Đơn vị/bạn?"
