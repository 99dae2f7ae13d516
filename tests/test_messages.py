"""Every template renders; texts escape user data; numbers and dates look Vietnamese."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import jinja2
import pytest

from bot.errors import Sender
from bot.reminder_times import TimeLeft
from bot.reminders import Owed, Owing, RoundDigest
from formats.forms import FormIssue, Question, QuestionType, builtin_form
from handlers.absences import AbsenceDraft
from handlers.announce import AnnouncementDraft
from handlers.campaign_launch.draft import CampaignDraft
from handlers.nominate import NominationDraft
from messages import (
    format_date,
    format_datetime,
    format_number,
    label,
    render,
    render_text,
    template_names,
)
from storage.absences import Absence, DayOff
from storage.access import OfficeContact
from storage.campaigns import (
    Audience,
    Campaign,
    CampaignSpec,
    Received,
    Round,
    Target,
    UnitProgress,
)
from storage.dossiers import Dossier, DossierFile, DossierRound
from storage.models import Person
from storage.nominations import (
    CampaignSettings,
    Card,
    Decision,
    HistoryEntry,
    Nomination,
    NominationSpec,
    QuotaStatus,
    UnitNominations,
)
from storage.outbox import BroadcastCounts, Failure
from storage.quarters import Quarter
from storage.reports import Evidence, Receipt, RoundInfo, Submission, SubmittedEntry, Task
from storage.roster import PhoneChange, RosterChanges, SameName
from storage.roster_table import PersonSpec, RosterIssue
from storage.round_progress import Expected, State, UnitAnswers
from storage.unit_tree import UnitEntry

PERSON = Person(1, "<Lan & Hoa>", "0912000001", "principal", 1, "T1", "Trường <A>", 5, True)
COMMANDS = [{"name": "help", "description": "Hướng dẫn"}]
CHANGES = RosterChanges(
    units_added=("T1",),
    people_added=(PersonSpec("A", "0912000001", "teacher", "T1", 2),),
    people_deactivated=tuple(f"Người {i}" for i in range(12)),
    phone_changes=(
        PhoneChange(
            7,
            PersonSpec("<Lan & Hoa>", "0987000001", "teacher", "T1", 3),
            "0912000002",
            "Trường <A>",
            registered=True,
        ),
    ),
    same_names=(SameName("<Lan & Hoa>", "Trường <A>", existing=2, rows=1),),
    scope="Phòng <GD>",
)
DEADLINE = datetime(2024, 1, 25, 16, 59, tzinfo=UTC)
ROUNDS = (Round("Sơ kết", "unit", DEADLINE, "review", 1),)
SPEC = CampaignSpec(
    title="Vì người nghèo <2024>",
    plan_number="12/KH-SGDĐT",
    issuer_unit_id=1,
    period_from=date(2023, 9, 1),
    period_to=date(2024, 5, 31),
    summary="Tóm tắt & mục đích",
    targets=(Target("100% tham gia", 100.0, "%"),),
    audience_all=True,
    units=(),
    roles=("teacher",),
    document_file_id=None,
    document_name=None,
    document_path=None,
    rounds=ROUNDS,
)
UNIT = UnitProgress(1, "Trường A", 10, 9, 5, 1, 0, 0, 3)
NUMBER_QUESTION = Question("so", "Số học sinh", QuestionType.NUMBER, minimum=0, integer=True)
FORM_ISSUES = [
    FormIssue("bad_type", 7, {"value": "<Lan & Hoa>"}),
    FormIssue("bad_yaml", 3, {"column": 5, "reason": "indent", "detail": "x"}),
    FormIssue("empty_file"),
]
ROUND_INFO = RoundInfo(1, 1, "Kế hoạch <1>", "Sơ kết", "unit", DEADLINE, "review", None, False)
SUBMISSION = Submission(
    1, 1, "unit:1", 1, None, "submitted", 0, {}, None, 2, DEADLINE, False, "Thiếu <ảnh>"
)
TASK = Task(ROUND_INFO, SUBMISSION)
ENTRY = SubmittedEntry(1, 1, "Trường <A>", "<Lan & Hoa>", 1, 5, DEADLINE, True)
EVIDENCE = Evidence(1, "file-1", "<Lan & Hoa>.pdf", "application/pdf", 10, None, "document")
QUESTION = Question("q1", "Kết quả <đạt được>", QuestionType.NUMBER, minimum=0, maximum=100)
OWED = Owed(1, "Sơ kết <1>", "unit", DEADLINE, "Kế hoạch <1>", "Sở <GD>", "Trường <A>", True,
            TimeLeft(3, 70, False, DEADLINE))  # fmt: skip
OWING = Owing((PERSON, PERSON), 2, 3, 1)
ABSENCE = Absence(1, 1, "<Lan & Hoa>", 1, "Trường <A>", "other", "Học <lớp>", date(2024, 1, 2),
                  date(2024, 1, 9))  # fmt: skip
DAY_OFF = DayOff(1, 1, "Phòng <GD>", "Tết <Giáp Thìn>", date(2024, 2, 8), date(2024, 2, 14))
ABSENCE_DRAFT = AbsenceDraft(1, "<Lan & Hoa>", "Trường <A>", "other", "Học <lớp>")
OWN = (timedelta(days=5), timedelta(0))  # a round's own reminder offsets
SAMPLES: dict[str, dict[str, Any]] = {
    "deadline_ask": {"round": ROUND_INFO, "now": DEADLINE},
    "deadline_same": {"round": ROUND_INFO},
    "deadline_confirm": {"round": ROUND_INFO, "deadline": DEADLINE},
    "deadline_moved": {"round": ROUND_INFO, "old": DEADLINE, "deadline": DEADLINE},
    "remind_pick_round": {"campaign": Campaign(1, SPEC, "launched", DEADLINE, ROUNDS)},
    "remind_preview": {
        "round": ROUND_INFO,
        "owing": OWING,
        "last": DEADLINE,
        "last_by": {"unit": "Phòng <GD>", "name": "<Lan & Hoa>"},
        "now": DEADLINE,
    },
    "remind_nobody": {
        "round": ROUND_INFO,
        "owing": OWING,
        "last": DEADLINE,
        "last_by": {"unit": "Phòng <GD>"},
        "now": DEADLINE,
    },
    "remind_sent": {"round": ROUND_INFO, "people": 1240, "units": 12},
    "remind_refused": {
        "round": ROUND_INFO,
        "last": DEADLINE,
        "last_by": {"unit": "Phòng <GD>", "name": "<Lan & Hoa>"},
        "again": DEADLINE,
    },
    "absence_list": {"absences": [ABSENCE, ABSENCE], "shown": 1},
    "absence_removed": {"absence": ABSENCE},
    "absence_not_found": {"query": "<Lan & Hoa>"},
    "absence_found": {"query": "<Lan & Hoa>", "count": 12, "shown": 10},
    "absence_ask_reason": {"name": "<Lan & Hoa>", "unit": "Trường <A>"},
    "absence_ask_from": {"now": DEADLINE},
    "absence_ask_to": {"start": date(2024, 1, 2), "now": DEADLINE},
    "absence_confirm": {
        "draft": ABSENCE_DRAFT,
        "start": date(2024, 1, 2),
        "end": date(2024, 1, 9),
    },
    "absence_saved": {"draft": ABSENCE_DRAFT, "start": date(2024, 1, 2), "end": date(2024, 1, 9)},
    "absence_ask_person": {"staff": True},
    "input_range_too_long": {"limit": 366},
    "day_off_list": {"days_off": [DAY_OFF, DAY_OFF], "shown": 1},
    "day_off_ask_dates": {"now": DEADLINE},
    "day_off_ask_name": {"start": date(2024, 2, 8), "end": date(2024, 2, 14)},
    "day_off_confirm": {
        "name": "Tết <Giáp Thìn>",
        "start": date(2024, 2, 8),
        "end": date(2024, 2, 14),
    },
    "day_off_saved": {
        "name": "Tết <Giáp Thìn>",
        "start": date(2024, 2, 8),
        "end": date(2024, 2, 14),
        "unit": "Phòng <GD>",
    },
    "day_off_removed": {"day_off": DAY_OFF},
    "reminder_header": {"manual_by": {"unit": "Phòng <GD>", "name": "<Lan & Hoa>"}},
    "reminder_item": {"item": OWED},
    "reminder_more": {"count": 3},
    "overdue": {"item": OWED},
    "overdue_staff": {
        "item": OWED,
        "unit_name": "Trường <A>",
        "entries": [
            Expected(1, "Trường <A>", "<Lan & Hoa>", State.UNREGISTERED),
            Expected(1, "Trường <A>", "B", State.RETURNED),
            Expected(1, "Trường <A>", "C", State.NOT_ANSWERED),
        ],
        "shown": 2,
    },
    "digest": {
        "title": "Kế hoạch <1>",
        "issuer": "Sở <GD>",
        "rounds": [
            RoundDigest(
                "Sơ kết <1>",
                "unit",
                DEADLINE,
                True,
                40,
                30,
                2,
                1,
                12,
                (("Trường <A>", 1), ("Trường B", 1)),
                ("Trường <C>",),
                True,
            ),
            RoundDigest("Tổng kết", "person", DEADLINE, False, 400, 0, 0, 0, 0, (), ()),
        ],
        "now": DEADLINE,
        "since": date(2024, 1, 20),
        "yesterday": date(2024, 1, 24),
        "today": date(2024, 1, 25),
        "shown": 1,
    },
    "report_choose": {"tasks": [TASK, Task(ROUND_INFO)], "now": DEADLINE},
    "report_round_closed": {"round": ROUND_INFO},
    "report_returned_reason": {"submission": SUBMISSION, "round": ROUND_INFO},
    "report_intro": {"round": ROUND_INFO, "form": builtin_form("review")},
    "report_question": {
        "question": QUESTION,
        "number": 2,
        "total": 6,
        "current": "1.240",
        "intro": ROUND_INFO,
        "form": builtin_form("review"),
        "now": DEADLINE,
    },
    "answer_too_many_files": {"limit": 10},
    "answer_file_received": {"name": "anh <1>.jpg", "count": 2},
    "answer_expect": {"kind": "number"},
    "report_summary": {
        "round": ROUND_INFO,
        "lines": [(QUESTION, "1.240"), (QUESTION, None)],
        "late": True,
        "submission": SUBMISSION,
        "now": DEADLINE,
    },
    "report_sent": {
        "editing": True,
        "round": ROUND_INFO,
        "lines": [(QUESTION, "1.240"), (QUESTION, None)],
        "submission": SUBMISSION,
        "now": DEADLINE,
    },
    "report_no_rounds": {"principal_rounds": [ROUND_INFO], "campaign": True},
    "report_comeback_notice": {
        "round": ROUND_INFO,
        "person": PERSON,
        "changes": [(QUESTION, "<Lan & Hoa>", "12"), (QUESTION, "—", "x" * 500)],
        "shown": 1,
    },
    "answer_files_removed": {"count": 2},
    "review_evidence_caption": {"evidence": EVIDENCE, "round": ROUND_INFO, "entry": ENTRY},
    "review_evidence_failed": {"evidence": EVIDENCE},
    "report_missing": {"missing": ["Kết quả"]},
    "report_receipt": {"round": ROUND_INFO, "receipt": Receipt(2, DEADLINE, True, True)},
    "answer_empty": {"question": NUMBER_QUESTION, "now": DEADLINE},
    "answer_too_long": {"length": 10_000, "maximum": 2000},
    "answer_not_number": {"text": "<Lan & Hoa>", "question": NUMBER_QUESTION, "now": DEADLINE},
    "answer_not_integer": {"text": "2,5"},
    "answer_number_range": {"value": -5, "minimum": 0, "maximum": 1240},
    "answer_not_percent": {"text": "<Lan & Hoa>"},
    "answer_percent_range": {"value": 101},
    "answer_not_yesno": {"text": "<Lan & Hoa>"},
    "answer_not_choice": {"text": "x", "choices": ("<Lan & Hoa>", "Khá")},
    "answer_file_too_big": {"size_mb": 25.5, "limit_mb": 20},
    "answer_file_type": {"mime_type": "application/x-msdownload"},
    "form_file_issue": {"issue": FORM_ISSUES[0]},
    "form_file_errors": {"issues": FORM_ISSUES},
    "form_file_preview": {"form": builtin_form("review")},
    "ack_done": {"when": DEADLINE},
    "ack_already": {"when": DEADLINE},
    "announce_ask_text": {"title": "Kế hoạch"},
    "announcement": {
        "draft": AnnouncementDraft(1, "Kế hoạch", "Họp <b>thứ Hai</b>"),
        "unit": "Phòng <GD>",
        "person": "<Lan & Hoa>",
    },
    "campaign_message": {
        "spec": SPEC,
        "rounds": ROUNDS,
        "issuer": "Sở <GD>",
        "document": True,
        "detail": True,
        "listed": False,
        "targets_shown": 0,
        "cut": True,
    },
    "flow_lost": {"command": "phatdong"},
    "flow_resume": {"command": "phatdong"},
    "input_bad_date": {"text": "abc", "now": DEADLINE},
    "input_bad_deadline": {"text": "abc", "now": DEADLINE},
    "input_bad_period": {"text": "abc", "now": DEADLINE},
    "launch_ask_period": {"now": DEADLINE},
    "launch_expect_deadline": {"now": DEADLINE},
    "input_bad_time": {"text": "25:00"},
    "input_deadline_past": {"deadline": DEADLINE, "now": DEADLINE},
    "input_impossible_date": {"text": "31/02/2025"},
    "input_percent_range": {"text": "101%"},
    "input_period_reversed": {"start": date(2024, 1, 2), "end": date(2024, 1, 1)},
    "input_target_too_long": {"limit": 300},
    "input_too_long": {"maximum": 200, "length": 10_000},
    "input_too_many_targets": {"limit": 20},
    "input_too_short": {"minimum": 3},
    "launch_ask_round_deadline": {"name": "Sơ kết", "now": DEADLINE},
    "launch_ask_round_kind": {"name": "Sơ kết"},
    "launch_ask_round_more": {"rounds": ROUNDS},
    "launch_ask_units": {
        "shown": [UnitEntry(1, "T1", "Trường <1>", 1)],
        "page": 1,
        "pages": 3,
        "found": 17,
        "query": "<tân>",
        "chosen": [UnitEntry(i, f"T{i}", f"Trường <{i}>", 1) for i in range(7)],
        "added": ["Trường <1>"],
    },
    "launch_units_not_found": {"query": "<Lan & Hoa>"},
    "file_empty": {"name": "<minh chứng>.pdf"},
    "launch_bad_units": {
        "unknown": ["X"],
        "unknown_more": 312,
        "outside": ["Y"],
        "outside_more": 0,
    },
    "launch_preview_count": {
        "audience": Audience(frozenset({1}), (PERSON, PERSON)),
        "units": 1,
        "answering": 1,
        "rounds": (*ROUNDS, Round("Tổng kết <năm>", "person", DEADLINE, "short", offsets=OWN)),
    },
    "progress_campaign": {
        "campaign": Campaign(1, SPEC, "launched", DEADLINE, ROUNDS),
        "units": [UNIT],
        "shown": 30,
    },
    "progress_person": {"campaigns": [Received(1, "Kế hoạch", "12/KH", None)], "tasks": [TASK]},
    "progress_round": {
        "round": ROUNDS[0],
        "units": [
            UnitAnswers(1, "Trường <A>", 4, 3, 1, 1),
            UnitAnswers(2, "Trường B", 2, 0, 0, 1, 1, 0),
            UnitAnswers(3, "Trường C", 0, 0, 0, no_principal=True),
        ],
        "people": [
            Expected(1, "Trường <A>", "<Lan & Hoa>", State.ANSWERED, True),
            Expected(1, "Trường <A>", "B", State.UNREGISTERED),
        ],
        "shown": 30,
        "now": DEADLINE,
        "closed": True,
    },
    "progress_names": {
        "round": ROUND_INFO,
        "groups": [
            ("Trường <A>", [Expected(1, "Trường <A>", "<Lan & Hoa>", State.UNREGISTERED)]),
            ("Trường B", [Expected(2, "Trường B", "", State.NO_PRINCIPAL)]),
        ],
        "total": 5,
        "hidden": 3,
    },
    "progress_names_none": {"round": ROUND_INFO},
    "round_close_confirm": {"round": ROUND_INFO},
    "round_closed": {"round": ROUND_INFO},
    "round_reopened": {"round": ROUND_INFO},
    "round_already_closed": {"round": ROUND_INFO},
    "round_already_open": {"round": ROUND_INFO},
    "report_returned_notice": {"round": ROUND_INFO, "reason": "Thiếu <ảnh>", "office": PERSON},
    "review_ask_reason": {"entry": ENTRY},
    "review_list": {"round": ROUND_INFO, "count": 40, "shown": 30},
    "review_report": {
        "round": ROUND_INFO,
        "entry": ENTRY,
        "lines": [(QUESTION, "1.240")],
        "submission": SUBMISSION,
        "files": 41,
        "shown_files": 40,
    },
    "review_returned": {"entry": ENTRY},
    "registration_welcome": {"person": PERSON, "commands": COMMANDS},
    "registration_already": {"person": PERSON, "commands": COMMANDS},
    "registration_admin": {"person": PERSON, "commands": COMMANDS},
    "registration_not_found": {"phone": "0912000001", "user_id": 1001},
    "registration_ask_contact": {"user_id": 1001, "first_run": True},
    "not_registered": {"user_id": 1001},
    "private_only": {"username": "thidua_bot"},
    "registration_bad_phone": {"phone": "abc"},
    "registration_inactive": {
        "person": PERSON,
        "office": OfficeContact("Phòng <GD>", ("Phạm Thị Phòng", "Lê Văn Sở")),
    },
    "registration_person_taken": {"person": PERSON},
    "help": {"person": PERSON, "role": "office", "commands": COMMANDS},
    "not_allowed": {"command": "danhsach", "roles": ["office"]},
    "error_office": {"sender": Sender(5, PERSON, False), "what": "/start", "error": "boom <x>"},
    "roster_issue": {"issue": RosterIssue("bad_phone", 3, {"value": "09"})},
    "roster_errors": {"issues": [1, 2], "texts": ["a", "b"], "hidden": 0},
    "roster_changes": {"changes": CHANGES, "applied": False, "you_leave": True},
    "roster_menu": {"scope": PERSON},
    "roster_wrong_type": {"file_name": "a.jpg"},
    "roster_too_big": {"limit_mb": 20},
    "roster_checking": {"file_name": "a.csv"},
    "roster_export_caption": {"count": 1240},
    "roster_invites_caption": {"count": 5000, "pending": 12},
    "cli_config_error": {"error": "x"},
    "config_error": {
        "variable": "LOG_LEVEL",
        "problem": "level",
        "value": "<x>",
        "levels": ("INFO", "DEBUG"),
    },
    "cli_exported": {"count": 3, "path": "a.csv"},
    "cli_invites_written": {"count": 3, "pending": 1, "path": "a.csv"},
    "cli_telegram_failed": {"problem": "network", "url": "http://x/bot", "detail": "<x>"},
    "cli_read_failed": {"path": "a", "error": "x"},
    "cli_sandbox_ready": {"url": "http://127.0.0.1:8080/", "data_dir": "x", "temporary": True},
    "cli_sandbox_port_busy": {"port": 8080, "error": "Address already in use"},
    "broadcast_progress": {
        "title": "<Lan & Hoa>",
        "counts": BroadcastCounts(total=5000, pending=8, sent=4977, failed=3, blocked=12),
        "done": False,
    },
    "broadcast_done": {
        "title": "<Lan & Hoa>",
        "counts": BroadcastCounts(total=5000, sent=4985, failed=3, blocked=12),
        "groups": [
            (
                "Trường <A>",
                [
                    Failure("Trường <A>", "<Lan & Hoa>", "blocked", None),
                    Failure("Trường <A>", "Trần Văn Ân", "failed", "Chat not found"),
                ],
            )
        ],
        "hidden": 13,
    },
    # /xuat and the chart under /tiendo (handlers/exports.py, handlers/charts.py).
    "chart_caption": {
        "round": ROUNDS[0],
        "campaign": Campaign(1, SPEC, "launched", DEADLINE, ROUNDS),
        "now": DEADLINE,
        "expected": 14,
        "answered": 3,
        "late": 1,
        "not_answered": 5,
        "unregistered": 6,
        "excused": 0,
        "units": 200,
        "shown": 15,
    },
    "export_menu": {"principal": False},
    "export_progress": {"what": "<Lan & Hoa>", "percent": 40},
    "export_done": {"what": "<Lan & Hoa>"},
    "export_failed": {"what": "<Lan & Hoa>"},
    "export_caption": {
        "campaign": Campaign(1, SPEC, "launched", DEADLINE, ROUNDS),
        "rounds": 2,
        "principal": True,
    },
    "export_draft_caption": {"round": ROUND_INFO, "answered": 3, "expected": 4},
    "export_not_review": {"round": ROUND_INFO},
    "cli_export_written": {"campaigns": 1, "reports": 20000, "path": "<Lan & Hoa>.xlsx"},
    "cli_export_no_campaign": {"campaign_id": 7},
    "cli_write_failed": {"path": "<Lan & Hoa>.xlsx", "error": "No such file"},
}


# Nominations (/dienhinh, /duyet, /tiendo) and award dossiers (/hoso).
QUARTER = Quarter(2026, 3)
NOMINATION = Nomination(
    1, 1, "Trường <A>", QUARTER, "individual", None, "<Lan & Hoa>", "Giáo viên <Toán>",
    "giang_day", "Thành tích <tốt> " * 200, (1, 2), 1, "Kế hoạch <1>", 5, 5001, "<Lan & Hoa>",
    "returned", 2, 1, DEADLINE, "Thiếu <ảnh>", 6, "<Lan & Hoa>", DEADLINE,
)  # fmt: skip
HISTORY = (
    *(HistoryEntry(event, "<Lan & Hoa>", "Trường <A>", "Phòng <GD>", "Vì <lý do>", 2, DEADLINE)
      for event in ("created", "edited", "withdrawn", "returned", "approved", "rejected",
                    "published")),
    HistoryEntry("approved", None, None, None, None, None, DEADLINE),
)  # fmt: skip
CARD = Card(NOMINATION, HISTORY, (Quarter(2026, 2), Quarter(2025, 4)), ("Trường <B>",), 2,
            "Phòng <GD>", ("Phòng <GD>",), 1)  # fmt: skip
QUOTA = QuotaStatus(2, (NOMINATION, NOMINATION), 1)
DOSSIER_ROUND = DossierRound(3, 1, "Kế hoạch <1>", "Tổng kết <cuối năm>", DEADLINE, False, 1)
DOSSIER = Dossier(DOSSIER_ROUND, 1, {"to_trinh": (DossierFile(1, "to <trinh>.pdf"),)})
FULL_DOSSIER = Dossier(
    DOSSIER_ROUND, 2, {part: (DossierFile(1, "a.pdf"),) for part in ("to_trinh", "bien_ban",
                                                                     "bao_cao")}
)  # fmt: skip
SPEC_N = NominationSpec(1, QUARTER, "collective", None, "<Lan & Hoa>", "Tổ <chuyên môn>",
                        "khac", "Tóm tắt <1>")  # fmt: skip
DRAFT = NominationDraft(step="files", unit_id=1, quarter=QUARTER.key, kind="individual",
                        name="<Lan & Hoa>", position="Giáo viên <1>", area="hoc_tap",
                        summary="Tóm tắt <1>", campaigns=True, campaign_done=True)  # fmt: skip
SAMPLES.update(
    {
        "nomination_question": {
            "step": "files",
            "draft": DRAFT,
            "quarter": QUARTER,
            "unit_name": "Trường <A>",
            "field_name": "Học tập",
            "names": ["<a>.pdf"],
            "limit": 10,
        },
        "nomination_summary": {
            "draft": DRAFT,
            "quarter": QUARTER,
            "unit_name": "Trường <A>",
            "field_name": "Học tập",
            "files": ["<a>.pdf"],
            "campaign": "Kế hoạch <1>",
            "returned": NOMINATION,
        },
        "nomination_resume": {"draft": DRAFT, "field_name": "Học tập"},
        "nomination_quota_full": {
            "status": QUOTA,
            "quarter": QUARTER,
            "unit_name": "Trường <A>",
            "campaign": "Kế hoạch <1>",
            "own": ["Kế hoạch <2>"],
        },
        "nomination_not_open": {"nomination": NOMINATION},
        "nomination_resent_notice": {
            "nomination": NOMINATION,
            "spec": SPEC_N,
            "person": PERSON,
            "field_name": "Khác",
        },
        "nomination_resent": {"spec": SPEC_N},
        "nomination_sent": {
            "spec": SPEC_N,
            "replaced": NOMINATION,
            "used": 2,
            "quota": 2,
            "unit_name": "Trường <A>",
        },
        "nomination_withdraw_confirm": {"nomination": NOMINATION},
        "nomination_withdrawn": {"nomination": NOMINATION},
        "nomination_queue": {"count": 3, "quarter": QUARTER},
        "nomination_card": {
            "card": CARD,
            "n": NOMINATION,
            "history": list(HISTORY),
            "hidden": 2,
            "files": ["<a>.pdf"],
        },
        "nomination_evidence_caption": {"evidence": EVIDENCE, "n": NOMINATION},
        "nomination_outcome": {
            "decision": Decision("returned", NOMINATION, "Phòng <GD>", None, "Thiếu <ảnh>"),
            "n": NOMINATION,
            "office": PERSON,
            "field_name": "Giảng dạy",
        },
        "nomination_decided": {
            "decision": Decision("forwarded", NOMINATION, "Phòng <GD>", "Sở <GD>", None),
            "n": NOMINATION,
        },
        "nomination_ask_reason": {"n": NOMINATION, "action": "reject"},
        "nomination_publish_none": {"quarter": QUARTER},
        "nomination_publish_ask_audience": {"quarter": QUARTER},
        "nomination_publication": {
            "quarter": QUARTER,
            "examples": [NOMINATION],
            "fields": {1: "Giảng dạy"},
            "hidden": 3,
            "issuer": "Sở <GD>",
            "line": 160,
        },
        "nomination_publish_preview": {
            "audience": Audience(frozenset({1}), (PERSON, PERSON)),
            "units": 1,
            "examples": 2,
            "before": [DEADLINE],
        },
        "nomination_settings_list": {"quota": 2},
        "nomination_settings": {
            "settings": CampaignSettings(1, 3, True),
            "title": "Kế hoạch <1>",
            "default": 2,
            "changed": True,
        },
        "nomination_progress": {
            "quarter": QUARTER,
            "units": [UnitNominations(1, "Trường <A>", 1, 1, 1), UnitNominations(2, "Trường B")],
            "shown": 1,
            "dossiers": [(DOSSIER_ROUND, [("Trường <A>", DOSSIER), ("Trường B", FULL_DOSSIER)])],
        },
        "nomination_progress_unit": {
            "quarter": QUARTER,
            "nominations": [NOMINATION],
            "dossiers": [(DOSSIER_ROUND, [("Trường <A>", DOSSIER)])],
        },
        "dossier_checklist": {
            "dossier": DOSSIER,
            "info": DOSSIER_ROUND,
            "parts": ("to_trinh", "bien_ban", "bao_cao"),
        },
        "dossier_closed": {"info": DOSSIER_ROUND},
        "dossier_ask_files": {
            "part": "bien_ban",
            "files": (DossierFile(1, "<a>.pdf"),),
            "limit": 10,
        },
    }
)

# /phatdong from a plan file (handlers/campaign_launch/plan.py); every part of the report is
# rendered on every test plan by tests/test_plan_launch.py.
PLAN_DRAFT = CampaignDraft(title="Kế hoạch <Lan & Hoa>", plan_number="1/KH-<A>",
                           targets=[{"text": "100% <cán bộ>", "value": 100.0, "value_unit": "%"}],
                           document_name="<Lan & Hoa>.pdf")  # fmt: skip
PLAN_ROUND = {"name": "Tổng <kết>", "kind": "unit", "form": "review", "deadline": None,
              "issues": ["outside", "past"], "plan_kind": "final", "written": "20/5/2024",
              "timing": [2024, 5], "dossier": True, "sources": ["Trước ngày <20/5/2024>."],
              "at": DEADLINE}  # fmt: skip
PLAN_DRAFT.plan = {"file": "<Lan & Hoa>.pdf", "answered": ["title", "plan_number"],
                   "edited": ["title"], "editing": "rounds", "period": "năm học <2024>",
                   "rounds": [PLAN_ROUND]}  # fmt: skip
SAMPLES.update(
    {
        "launch_document_attached": {"name": "<Lan & Hoa>.pdf"},
        "launch_plan_reading": {"file_name": "<Lan & Hoa>.pdf"},
        "launch_plan_unreadable": {"file_name": "<Lan & Hoa>.pdf", "reason": "too_large",
                                   "detail": "pages", "limit": 100, "actual": 240,
                                   "again": False},
        "launch_plan_part": {"part": "check"},
        "launch_plan_review": {"draft": PLAN_DRAFT, "plan": PLAN_DRAFT.plan,
                               "period": (date(2024, 9, 1), date(2025, 8, 31)),
                               "rounds": [PLAN_ROUND], "missing": ["period", "targets"]},
        "launch_plan_fix": {"field": "rounds", "draft": PLAN_DRAFT, "period": None,
                            "rounds": [PLAN_ROUND], "now": DEADLINE},
        "launch_plan_round": {"round": PLAN_ROUND, "period_text": "năm học <2024>",
                              "now": DEADLINE},
    }
)  # fmt: skip


# A round's own reminders (/phatdong, handlers/campaign_launch/rounds.py).
OWN_OFFSETS = (timedelta(days=5), timedelta(hours=2), timedelta(0))
SAMPLES.update(
    {
        "launch_ask_round_offsets": {"name": "Sơ <kết>", "deadline": DEADLINE,
                                     "default": (timedelta(days=7), timedelta(days=1))},
        "launch_ask_round_more": {
            "rounds": (*ROUNDS, Round("Tổng <kết>", "person", DEADLINE, "short",
                                      offsets=OWN_OFFSETS))
        },
        "input_bad_offsets": {"text": "<Lan & Hoa>"},
        "input_too_many_offsets": {"limit": 10},
        "input_offset_too_far": {"limit": 366},
        "input_offsets_passed": {"deadline": DEADLINE, "offsets": OWN_OFFSETS},
    }
)  # fmt: skip

# The quarter-end nomination prompts (bot/quarter_prompts.py).
SAMPLES.update(
    {
        "quarter_prompt": {"quarter": QUARTER, "unit_name": "<Lan & Hoa>", "days_left": 10},
        "nomination_prompt_ended": {"quarter": QUARTER, "current": QUARTER.next()},
    }
)


@pytest.mark.parametrize("name", template_names())
def test_every_template_renders(name: str) -> None:
    text = render(name, **SAMPLES.get(name, {}))
    assert text.strip()
    assert "<Lan & Hoa>" not in text  # user data is always escaped in HTML


def test_missing_variable_fails_loudly() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("registration_welcome", commands=COMMANDS)


def test_escaping_and_plain_text() -> None:
    html = render("registration_inactive", person=PERSON, office=None)
    assert "&lt;Lan &amp; Hoa&gt;" in html
    text = render_text("registration_inactive", person=PERSON, office=None)
    assert text.startswith("⚠️ <Lan & Hoa>")


def test_long_lists_are_shortened() -> None:
    text = render_text("roster_changes", changes=CHANGES, applied=False, you_leave=False)
    assert "Người 9" in text and "Người 10" not in text and "… và 2 người khác" in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1240, "1.240"), (12.5, "12,5"), (1234567, "1.234.567"), (0.25, "0,25"), (5000.0, "5.000")],
)
def test_numbers(value: float, expected: str) -> None:
    assert format_number(value) == expected


def test_dates_in_the_bot_time_zone() -> None:
    assert format_date(date(2024, 1, 25)) == "25/01/2024"
    assert format_date(datetime(2024, 1, 24, 18, 0, tzinfo=UTC)) == "25/01/2024"  # 01:00 in VN
    assert format_datetime(datetime(2024, 1, 24, 18, 5, tzinfo=UTC)) == "01:05 25/01/2024"


def test_labels() -> None:
    assert label("share_contact") == "📱 Chia sẻ số điện thoại"
    with pytest.raises(KeyError):
        label("khong_co")


def test_deadlines_as_offices_write_them() -> None:
    from messages import format_deadline as shown

    assert shown(datetime(2026, 12, 20, 10, 0, tzinfo=UTC)) == "17 giờ 00 ngày 20/12/2026"
    assert shown(datetime(2027, 1, 15, 16, 59, tzinfo=UTC)) == "23 giờ 59 ngày 15/01/2027"
    assert shown(datetime(2026, 12, 20, 0, 30, tzinfo=UTC)) == "7 giờ 30 ngày 20/12/2026"


def test_shorten_never_cuts_a_word() -> None:
    from messages import shorten

    assert shorten("Sơ kết học kỳ I", 30) == "Sơ kết học kỳ I"
    assert shorten("Thi đua Vì người nghèo – Không để ai bị bỏ lại phía sau", 30) == (
        "Thi đua Vì người nghèo…"
    )
    assert len(shorten("x" * 50, 20)) == 20  # one word longer than the limit is cut


def test_example_dates_come_from_the_current_school_year() -> None:
    from messages import examples

    december = examples(datetime(2026, 12, 5, 3, 0, tzinfo=UTC))
    assert (december.year_start, december.year_end) == (date(2026, 9, 5), date(2027, 5, 31))
    assert december.deadline == date(2027, 1, 15) and december.day == date(2026, 12, 5)
    february = examples(datetime(2027, 2, 1, 3, 0, tzinfo=UTC))
    assert february.deadline == date(2027, 5, 31)
    july = examples(datetime(2027, 7, 1, 3, 0, tzinfo=UTC))
    assert july.year_start == date(2027, 9, 5) and july.deadline == date(2028, 1, 15)


def test_round_buttons_cut_names_at_a_word() -> None:
    title = "Phong trào thi đua Dạy tốt, học tốt năm học 2026-2027"
    info = RoundInfo(1, 1, title, "Sơ kết học kỳ I", "unit", DEADLINE, "review", None, False)
    text = label("report_task", task=Task(info), now=DEADLINE)
    assert text == "🆕 Sơ kết học kỳ I · Phong trào thi đua Dạy tốt… · hạn 25/01/2024"


def test_reminder_offsets_in_words() -> None:
    def said(*offsets: timedelta) -> str:
        return render("input_offsets_passed", deadline=DEADLINE, offsets=offsets)

    days = (timedelta(days=7), timedelta(days=3), timedelta(days=1), timedelta(0))
    assert "Mốc nhắc 7, 3, 1 ngày trước và sáng ngày hết hạn đã qua" in said(*days)
    assert "Mốc nhắc 2 ngày, 3 giờ, 90 phút trước đã" in said(
        timedelta(days=2), timedelta(hours=3), timedelta(minutes=90)
    )
    assert "Mốc nhắc sáng ngày hết hạn đã qua" in said(timedelta(0))
    assert "Mốc nhắc 14, 5 giây trước đã" in said(timedelta(seconds=14), timedelta(seconds=5))
    shown = render("progress_round", **{**SAMPLES["progress_round"],
                                        "round": Round("Sơ kết", "unit", DEADLINE, "review", 1,
                                                       offsets=OWN_OFFSETS)})  # fmt: skip
    assert "\n⏰ Nhắc nhở riêng: 5 ngày, 2 giờ trước và sáng ngày hết hạn\nĐã nộp" in shown
    assert "⏰" not in render("progress_round", **SAMPLES["progress_round"])
