from datetime import date, datetime

import pytest

from handlers.inputs import (
    InputError,
    check_length,
    parse_date,
    parse_deadline,
    parse_period,
    parse_targets,
)
from tests.helpers import VN

NOW = datetime(2023, 9, 11, 8, 0, tzinfo=VN)


def error_of(call: object, *args: object) -> str:
    with pytest.raises(InputError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value.template


def test_dates() -> None:
    assert parse_date("25/1/2024") == date(2024, 1, 25)
    assert parse_date(" 05.09.2023 ") == date(2023, 9, 5)
    assert error_of(parse_date, "31/02/2025") == "input_impossible_date"
    assert error_of(parse_date, "29/02/2023") == "input_impossible_date"
    assert parse_date("29/02/2024") == date(2024, 2, 29)
    assert error_of(parse_date, "2024-01-25") == "input_bad_date"
    assert error_of(parse_date, "") == "input_bad_date"


def test_periods() -> None:
    assert parse_period("từ 01/09/2023 đến 31/05/2024") == (date(2023, 9, 1), date(2024, 5, 31))
    assert error_of(parse_period, "01/09/2023") == "input_bad_period"
    assert error_of(parse_period, "31/05/2024 - 01/09/2023") == "input_period_reversed"


def test_deadlines() -> None:
    assert parse_deadline("25/1/2024", VN, NOW) == datetime(2024, 1, 25, 23, 59, tzinfo=VN)
    assert parse_deadline("25/01/2024 17:00", VN, NOW) == datetime(2024, 1, 25, 17, tzinfo=VN)
    assert parse_deadline("25/01/2024 lúc 7h30", VN, NOW) == datetime(
        2024, 1, 25, 7, 30, tzinfo=VN
    )
    assert error_of(parse_deadline, "10/09/2023", VN, NOW) == "input_deadline_past"
    assert error_of(parse_deadline, "11/09/2023 08:00", VN, NOW) == "input_deadline_past"
    assert parse_deadline("11/09/2023 08:01", VN, NOW).minute == 1
    assert error_of(parse_deadline, "25/01/2024 24:00", VN, NOW) == "input_bad_time"
    assert error_of(parse_deadline, "25/01/2024 chiều", VN, NOW) == "input_bad_deadline"
    assert error_of(parse_deadline, "30/02/2024", VN, NOW) == "input_impossible_date"


def test_targets() -> None:
    targets = parse_targets(
        "1. 100% cán bộ tham gia\n\n- Trên 50,5 % đơn vị trao học bổng\n• Tổ chức 2 hội thảo"
    )
    assert [(t.text, t.value, t.value_unit) for t in targets] == [
        ("100% cán bộ tham gia", 100.0, "%"),
        ("Trên 50,5 % đơn vị trao học bổng", 50.5, "%"),
        ("Tổ chức 2 hội thảo", 2.0, None),
    ]
    assert error_of(parse_targets, "101% giáo viên") == "input_percent_range"
    assert error_of(parse_targets, " \n ") == "input_no_targets"
    assert error_of(parse_targets, "\n".join(["a"] * 21)) == "input_too_many_targets"


def test_lengths() -> None:
    assert check_length("  abc  ", 3, 5) == "abc"
    assert error_of(check_length, "ab", 3, 5) == "input_too_short"
    assert error_of(check_length, "abcdef", 3, 5) == "input_too_long"
