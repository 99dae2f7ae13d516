import pytest

from storage.phones import OLD_MOBILE_PREFIXES, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0084912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("(0912) 345-678", "0912345678"),
        ("912345678", "0912345678"),  # Excel dropped the leading zero
        ("01623456789", "0323456789"),
        ("+841623456789", "0323456789"),
        ("1623456789", "0323456789"),
        ("01203456789", "0703456789"),
        ("01993456789", "0593456789"),
        ("02513812345", "02513812345"),  # landline
    ],
)
def test_accepts_the_forms_people_write(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "09123", "0912abc678", "0123456789", "012345678901", "０９１２３４５６７８", "+"]
)
def test_refuses_what_is_not_a_vietnamese_number(raw: str) -> None:
    assert normalize_phone(raw) is None


def test_every_retired_prefix_maps_to_a_valid_mobile_number() -> None:
    assert len(OLD_MOBILE_PREFIXES) == 21
    for old, new in OLD_MOBILE_PREFIXES.items():
        assert normalize_phone(old + "1234567") == new + "1234567"
