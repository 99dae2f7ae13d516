"""Report forms: an ordered list of questions, each with a type and rules.

The built-in forms are data (`forms/*.yaml`) read by the same parser as a form the office sends
as a file, so the format the README documents is exactly the one the bot itself uses. A form
file that cannot be used raises `FormFileError` with every problem found, each a code, the line
in the file and values that `messages` words (template `form_file_issue`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from storage.text import fold, strip_invisible

MAX_FILE_BYTES = 64 * 1024
MAX_QUESTIONS = 30
MIN_CHOICES, MAX_CHOICES = 2, 10
MAX_TITLE = 200
MAX_PROMPT = 1000
MAX_HELP = 1000
MAX_CHOICE = 60  # a choice is a button; phones cut longer labels off
MAX_KEY = 40
MAX_NUMBER = 1e15  # answers are floats: beyond this they stop being exact
TEXT_LIMIT = 4000  # an answer is one Telegram message (4,096 characters at most)
FILES_LIMIT = 20
DEFAULT_MAX_LENGTH = 2000
DEFAULT_MAX_FILES = 10
CUSTOM_KEY = "custom"
BUILTIN_FORM_KEYS = ("short", "participation", "review")

_KEY = re.compile(rf"[a-z0-9_]{{1,{MAX_KEY}}}")
# Plain YAML/JSON numbers only: a form file is not the place for "1.000" ambiguity.
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NULL = "tag:yaml.org,2002:null"


class QuestionType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    PERCENT = "percent"
    YESNO = "yesno"
    CHOICE = "choice"
    DATE = "date"
    FILES = "files"


@dataclass(frozen=True)
class Question:
    key: str
    prompt: str
    type: QuestionType
    required: bool = True
    max_length: int = DEFAULT_MAX_LENGTH  # text
    minimum: float | None = None  # number
    maximum: float | None = None  # number
    integer: bool = False  # number
    choices: tuple[str, ...] = ()  # choice
    max_files: int = DEFAULT_MAX_FILES  # files
    help: str | None = None  # a hint shown under the prompt
    # The same question worded for who answers: a per-unit round speaks of the unit ("Đơn
    # vị có …"), a per-person round of the person ("Bạn có …"); unset, `prompt`/`help` serve.
    prompt_unit: str | None = None
    prompt_person: str | None = None
    help_unit: str | None = None
    help_person: str | None = None

    def for_kind(self, kind: str) -> Question:
        """The question as a round of this kind ('unit' or 'person') asks it."""
        prompt = self.prompt_unit if kind == "unit" else self.prompt_person
        help_text = self.help_unit if kind == "unit" else self.help_person
        return replace(self, prompt=prompt or self.prompt, help=help_text or self.help)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["type"] = str(self.type)
        data["choices"] = list(self.choices)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        values = dict(data)
        values["type"] = QuestionType(values["type"])
        values["choices"] = tuple(values.get("choices", ()))
        return cls(**values)


@dataclass(frozen=True)
class Form:
    key: str
    title: str
    questions: tuple[Question, ...]

    def question(self, key: str) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)

    def for_kind(self, kind: str) -> Form:
        """The form as a round of this kind ('unit' or 'person') asks it."""
        return replace(self, questions=tuple(q.for_kind(kind) for q in self.questions))

    def to_json(self) -> str:
        """What a round stores for a custom form."""
        data = {
            "key": self.key,
            "title": self.title,
            "questions": [question.to_dict() for question in self.questions],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Form:
        data = json.loads(text)
        questions = tuple(Question.from_dict(item) for item in data["questions"])
        return cls(data["key"], data["title"], questions)


@dataclass(frozen=True)
class FormIssue:
    """One problem in a form file: `code` names it, `line` counts from 1 like text editors."""

    code: str
    line: int | None = None
    values: dict[str, Any] = field(default_factory=dict)


class FormFileError(Exception):
    def __init__(self, issues: list[FormIssue]) -> None:
        super().__init__(f"{len(issues)} problem(s) in the form file")
        self.issues = issues


def _aliases(table: dict[str, Iterable[str]]) -> dict[str, str]:
    return {alias: name for name, aliases in table.items() for alias in aliases}


# Names are matched after `fold`, so "Tiêu đề", "tieu_de" and "TIEU DE" are the same field.
FORM_FIELDS = _aliases(
    {
        "title": ("title", "tieude", "tenmau"),
        "key": ("key", "ma"),
        "questions": ("questions", "cauhoi", "danhsachcauhoi"),
    }
)
QUESTION_FIELDS = _aliases(
    {
        "key": ("key", "ma"),
        "prompt": ("prompt", "noidung", "hoi"),
        "type": ("type", "loai"),
        "required": ("required", "batbuoc"),
        "max_length": ("maxlength", "dodaitoida", "sokytutoida"),
        "minimum": ("minimum", "min", "toithieu", "nhonhat"),
        "maximum": ("maximum", "max", "toida", "lonnhat"),
        "integer": ("integer", "songuyen"),
        "choices": ("choices", "options", "luachon", "cacluachon"),
        "max_files": ("maxfiles", "soteptoida"),
        "help": ("help", "huongdan", "goiy", "ghichu"),
        "prompt_unit": ("promptunit", "noidungdonvi", "noidungtheodonvi"),
        "prompt_person": ("promptperson", "noidungcanhan", "noidungtheocanhan"),
        "help_unit": ("helpunit", "huongdandonvi", "huongdantheodonvi"),
        "help_person": ("helpperson", "huongdancanhan", "huongdantheocanhan"),
    }
)
# Fields that only make sense for some types: given for another type they are a mistake.
TYPE_FIELDS = {
    "max_length": (QuestionType.TEXT,),
    "minimum": (QuestionType.NUMBER,),
    "maximum": (QuestionType.NUMBER,),
    "integer": (QuestionType.NUMBER,),
    "choices": (QuestionType.CHOICE,),
    "max_files": (QuestionType.FILES,),
}
# (type, integer) by folded name; "số nguyên" is a number question that takes whole numbers.
TYPE_ALIASES: dict[str, tuple[QuestionType, bool | None]] = {
    **dict.fromkeys(("text", "vanban", "chu", "string"), (QuestionType.TEXT, None)),
    **dict.fromkeys(("number", "so", "sothapphan", "decimal"), (QuestionType.NUMBER, None)),
    **dict.fromkeys(("songuyen", "integer", "int"), (QuestionType.NUMBER, True)),
    **dict.fromkeys(("percent", "phantram", "tyle", "tile"), (QuestionType.PERCENT, None)),
    **dict.fromkeys(("yesno", "cokhong", "boolean", "bool"), (QuestionType.YESNO, None)),
    **dict.fromkeys(("choice", "luachon", "chon", "select"), (QuestionType.CHOICE, None)),
    **dict.fromkeys(("date", "ngay", "ngaythang"), (QuestionType.DATE, None)),
    **dict.fromkeys(
        ("files", "file", "tep", "teptin", "minhchung", "tailieu", "anh"),
        (QuestionType.FILES, None),
    ),
}
_TRUE = frozenset({"true", "yes", "y", "on", "1", "co", "batbuoc"})
_FALSE = frozenset({"false", "no", "n", "off", "0", "khong", "khongbatbuoc", "tuychon"})

# Syntax errors from the parsers, reduced to what an office can act on.
_YAML_REASONS = (
    ("character '\\t'", "tab"),
    ("mapping values are not allowed", "colon_in_value"),
    ("could not find expected ':'", "missing_colon"),
    ("expected <block end>", "indent"),
    ("did not find expected key", "indent"),
    ("did not find expected '-'", "indent"),
    ("expected a single document", "documents"),
    ("that cannot start any token", "reserved"),
    ("unexpected end of stream", "unclosed"),
)
_JSON_REASONS = (
    ("Expecting ',' delimiter", "comma"),
    ("Expecting ':' delimiter", "colon"),
    ("Expecting property name", "property"),
    ("Expecting value", "value"),
    ("Unterminated string", "unclosed"),
    ("Invalid control character", "control"),
    ("Invalid \\escape", "escape"),
    ("Extra data", "extra"),
)


def parse_form_file(data: bytes, filename: str = "") -> Form:
    """The office's own form, from YAML or JSON; `FormFileError` lists what is wrong."""
    text = _decode(data)
    if _is_json(text, filename):
        _check_json(text)
        # Valid JSON keeps tabs only between tokens, which YAML refuses: spaces read the same.
        text = text.replace("\t", " ")
    root = _compose(text)
    if root is None:
        raise FormFileError([FormIssue("empty_file")])
    reader = _Reader()
    form = reader.form(root)
    if reader.issues or form is None:
        raise FormFileError(sorted(reader.issues, key=lambda issue: issue.line or 0))
    return form


@cache
def builtin_form(key: str) -> Form:
    if key not in BUILTIN_FORM_KEYS:
        raise KeyError(key)
    data = (resources.files("formats") / "forms" / f"{key}.yaml").read_bytes()
    return replace(parse_form_file(data, f"{key}.yaml"), key=key)


def _decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise FormFileError([FormIssue("too_large", values={"limit_kb": MAX_FILE_BYTES // 1024})])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Notepad's "Unicode" is UTF-16
        raise FormFileError([FormIssue("not_utf8", 1)])
    if b"\0" in data[:1024]:
        raise FormFileError([FormIssue("binary")])  # a Word, Excel or PDF file sent by mistake
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormFileError([FormIssue("not_utf8", line)]) from exc
    if not text.strip():
        raise FormFileError([FormIssue("empty_file")])
    # Vietnamese typed on a Mac arrives decomposed (NFD); prompts are shown and compared as NFC.
    return unicodedata.normalize("NFC", text)


def _is_json(text: str, filename: str) -> bool:
    name = filename.lower()
    if name.endswith(".json"):
        return True
    if name.endswith((".yaml", ".yml")):
        return False
    return text.lstrip().startswith(("{", "["))


def _check_json(text: str) -> None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        reason = next((code for start, code in _JSON_REASONS if exc.msg.startswith(start)), "")
        if exc.pos >= len(text.rstrip()):  # whatever JSON expected, the file simply stops
            reason = "truncated"
        values = {"column": exc.colno, "reason": reason, "detail": exc.msg}
        raise FormFileError([FormIssue("bad_json", exc.lineno, values)]) from exc


def _compose(text: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or ""
        reason = next((code for part, code in _YAML_REASONS if part in problem), "")
        # An unclosed quote is only noticed at the end: point at where the quote opened.
        first = exc.context_mark if reason == "unclosed" else exc.problem_mark
        mark = first or exc.problem_mark or exc.context_mark
        values = {"column": mark.column + 1 if mark else None, "reason": reason, "detail": problem}
        issue = FormIssue("bad_yaml", mark.line + 1 if mark else None, values)
        raise FormFileError([issue]) from exc
    except yaml.reader.ReaderError as exc:  # a control character the file should not hold
        line = text[: exc.position].count("\n") + 1
        values = {"column": None, "reason": "control", "detail": str(exc.reason)}
        raise FormFileError([FormIssue("bad_yaml", line, values)]) from exc
    except RecursionError as exc:  # "[[[[…" thousands deep: the composer recurses per level
        values = {"column": None, "reason": "nesting", "detail": ""}
        raise FormFileError([FormIssue("bad_yaml", None, values)]) from exc


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, ScalarNode) and node.tag == _NULL)


def _scalar(node: ScalarNode) -> str:
    # PyYAML keeps a JSON "\ud83d\ude00" as two surrogates; join them into the one character.
    value = str(node.value)
    return strip_invisible(value.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))


Fields = dict[str, tuple[Node, Node]]  # canonical field name -> (key node, value node)


class _Reader:
    """Walks the composed YAML tree, reading raw scalars (so `Yes` stays text) with their lines."""

    def __init__(self) -> None:
        self.issues: list[FormIssue] = []

    def issue(self, code: str, node: Node, **values: Any) -> None:
        self.issues.append(FormIssue(code, _line(node), values))

    def form(self, root: Node) -> Form | None:
        if not isinstance(root, MappingNode):
            self.issue("not_mapping", root)
            return None
        fields = self.fields(root, FORM_FIELDS)
        title = self.text(fields, "title", MAX_TITLE)
        if title is None and not self.present(fields, "title"):
            self.issue("missing_title", root)
        key = self.key(fields) or CUSTOM_KEY
        questions = self.questions(root, fields)
        if title is None or questions is None:
            return None
        return Form(key, title, questions)

    def fields(self, node: MappingNode, names: dict[str, str]) -> Fields:
        found: Fields = {}
        for key_node, value_node in node.value:
            raw = _scalar(key_node) if isinstance(key_node, ScalarNode) else "?"
            name = names.get(fold(raw))
            if name is None:
                allowed = sorted(set(names.values()), key=list(names.values()).index)
                self.issue("unknown_field", key_node, field=raw, allowed=allowed)
            elif name in found:
                other = _line(found[name][0])
                self.issue("duplicate_field", key_node, field=raw, other_line=other)
            else:
                found[name] = (key_node, value_node)
        return found

    def present(self, fields: Fields, name: str) -> bool:
        """Given, though perhaps wrong (then its own issue says so)."""
        node = fields[name][1] if name in fields else None
        return not _is_null(node) and not (isinstance(node, ScalarNode) and not _scalar(node))

    def text(self, fields: Fields, name: str, limit: int) -> str | None:
        if name not in fields or _is_null(fields[name][1]):
            return None
        node = fields[name][1]
        if not isinstance(node, ScalarNode):
            self.issue("not_text", node, field=name)
            return None
        value = _scalar(node)
        if len(value) > limit:
            self.issue("too_long", node, field=name, limit=limit, length=len(value))
        return value or None

    def key(self, fields: Fields) -> str | None:
        value = self.text(fields, "key", MAX_KEY * 2)
        if value is not None and _KEY.fullmatch(value) is None:
            self.issue("bad_key", fields["key"][1], value=value, limit=MAX_KEY)
            return None
        return value

    def flag(self, fields: Fields, name: str, default: bool) -> bool:
        if name not in fields or _is_null(fields[name][1]):
            return default
        node = fields[name][1]
        value = fold(_scalar(node)) if isinstance(node, ScalarNode) else ""
        if value in _TRUE or value in _FALSE:
            return value in _TRUE
        self.issue("bad_bool", node, field=name)
        return default

    def number(self, fields: Fields, name: str) -> float | None:
        if name not in fields or _is_null(fields[name][1]):
            return None
        node = fields[name][1]
        raw = _scalar(node) if isinstance(node, ScalarNode) else ""
        if _NUMBER.fullmatch(raw) is None:
            self.issue("bad_number", node, field=name, value=raw)
            return None
        value = float(raw)
        if not abs(value) < MAX_NUMBER:  # also catches 1e400, which float reads as infinity
            self.issue("bad_number", node, field=name, value=raw)
            return None
        return int(value) if value.is_integer() else value

    def count(self, fields: Fields, name: str, default: int, low: int, high: int) -> int:
        value = self.number(fields, name)
        if value is None:
            return default
        if not float(value).is_integer() or not low <= value <= high:
            node = fields[name][1]
            self.issue("bad_count", node, field=name, value=value, minimum=low, maximum=high)
            return default
        return int(value)

    def qtype(self, fields: Fields) -> tuple[QuestionType, bool | None] | None:
        if "type" not in fields or _is_null(fields["type"][1]):
            return QuestionType.TEXT, None  # a plain question is answered in words
        node = fields["type"][1]
        raw = _scalar(node) if isinstance(node, ScalarNode) else ""
        found = TYPE_ALIASES.get("percent" if raw == "%" else fold(raw))
        if found is None:
            self.issue("bad_type", node, value=raw)
        return found

    def questions(self, root: MappingNode, fields: Fields) -> tuple[Question, ...] | None:
        if "questions" not in fields or _is_null(fields["questions"][1]):
            self.issue("no_questions", root)
            return None
        node = fields["questions"][1]
        if not isinstance(node, SequenceNode):
            self.issue("questions_not_list", node)
            return None
        if not node.value:
            self.issue("no_questions", node)
            return None
        if len(node.value) > MAX_QUESTIONS:
            self.issue("too_many_questions", node, count=len(node.value), limit=MAX_QUESTIONS)
            return None
        read = [(self.question(item, number), item) for number, item in enumerate(node.value, 1)]
        # Keys are checked among the readable questions too, so one file shows every problem.
        readable = [
            (question, item, number)
            for number, (question, item) in enumerate(read, 1)
            if question is not None
        ]
        questions = self.keyed(readable)
        return questions if len(readable) == len(read) else None

    def question(self, node: Node, number: int) -> Question | None:
        if not isinstance(node, MappingNode):
            self.issue("question_not_mapping", node, number=number)
            return None
        fields = self.fields(node, QUESTION_FIELDS)
        prompt = self.text(fields, "prompt", MAX_PROMPT)
        if prompt is None and not self.present(fields, "prompt"):
            self.issue("missing_prompt", node, number=number)
        # Every field is read even when the question is already refused: all problems at once.
        key = self.key(fields)
        required = self.flag(fields, "required", True)
        help_text = self.text(fields, "help", MAX_HELP)
        prompt_unit = self.text(fields, "prompt_unit", MAX_PROMPT)
        prompt_person = self.text(fields, "prompt_person", MAX_PROMPT)
        help_unit = self.text(fields, "help_unit", MAX_HELP)
        help_person = self.text(fields, "help_person", MAX_HELP)
        max_length = self.count(fields, "max_length", DEFAULT_MAX_LENGTH, 1, TEXT_LIMIT)
        max_files = self.count(fields, "max_files", DEFAULT_MAX_FILES, 1, FILES_LIMIT)
        kind = self.qtype(fields)
        if kind is None or prompt is None:
            return None
        qtype, integer = kind
        for name, types in TYPE_FIELDS.items():
            if name in fields and qtype not in types:
                self.issue("field_not_for_type", fields[name][0], field=name, type=qtype)
        question = Question(
            key=key or "",  # filled in by `keyed` once every explicit key is known
            prompt=prompt,
            type=qtype,
            required=required,
            help=help_text,
            max_length=max_length,
            max_files=max_files,
            prompt_unit=prompt_unit,
            prompt_person=prompt_person,
            help_unit=help_unit,
            help_person=help_person,
        )
        if qtype is QuestionType.NUMBER:
            question = self.number_rules(question, fields, integer)
        elif qtype is QuestionType.CHOICE:
            question = replace(question, choices=self.choices(node, fields))
        return question

    def number_rules(self, question: Question, fields: Fields, integer: bool | None) -> Question:
        minimum, maximum = self.number(fields, "minimum"), self.number(fields, "maximum")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.issue("min_above_max", fields["maximum"][1], minimum=minimum, maximum=maximum)
        if "integer" in fields:
            integer = self.flag(fields, "integer", False)
        return replace(question, minimum=minimum, maximum=maximum, integer=bool(integer))

    def choices(self, question: MappingNode, fields: Fields) -> tuple[str, ...]:
        node = fields["choices"][1] if "choices" in fields else question
        items = node.value if isinstance(node, SequenceNode) else []
        if not MIN_CHOICES <= len(items) <= MAX_CHOICES:
            self.issue(
                "choice_count", node, count=len(items), minimum=MIN_CHOICES, maximum=MAX_CHOICES
            )
            return ()
        choices: list[str] = []
        seen: dict[str, int] = {}
        for item in items:
            value = _scalar(item) if isinstance(item, ScalarNode) and not _is_null(item) else ""
            if not value:
                self.issue("empty_choice", item)
            elif len(value) > MAX_CHOICE:
                self.issue("too_long", item, field="choices", limit=MAX_CHOICE, length=len(value))
            elif fold(value) in seen and fold(value):
                self.issue("duplicate_choice", item, choice=value, other_line=seen[fold(value)])
            seen.setdefault(fold(value), _line(item))
            choices.append(value)
        return tuple(choices)

    def keyed(self, questions: list[tuple[Question, Node, int]]) -> tuple[Question, ...] | None:
        """Give unnamed questions q1, q2… by position, and refuse a key used twice."""
        taken = {question.key for question, _, _ in questions if question.key}
        seen: dict[str, int] = {}
        done = []
        for question, node, number in questions:
            key = question.key
            if not key:
                key = f"q{number}"
                while key in taken:  # the office named another question "q3"
                    key += "_"
                taken.add(key)
            elif key in seen:
                self.issue("duplicate_key", node, key=key, other_line=seen[key])
            seen.setdefault(key, _line(node))
            done.append(replace(question, key=key))
        return None if self.issues else tuple(done)
