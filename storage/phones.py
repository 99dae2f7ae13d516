"""Vietnamese phone numbers in one canonical form: ten digits starting with 0 (0912345678)."""

from __future__ import annotations

import re

# Mobile prefixes retired in 2018 (11 digits) and their 10-digit replacements.
OLD_MOBILE_PREFIXES: dict[str, str] = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
    "0167": "037", "0168": "038", "0169": "039",
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}  # fmt: skip

_SEPARATORS = re.compile(r"[\s.\-()/]")
_CANONICAL_MOBILE = re.compile(r"0[35789]\d{8}")


def normalize_phone(raw: str) -> str | None:
    """The canonical form of `raw`, or None when it is not a Vietnamese number.

    Accepts 0912…, +84912…, 84912…, 0084912…, separators, a number that lost its leading zero
    in Excel (912…), and the retired 11-digit mobile prefixes (0162… → 032…). Landlines
    (02xx + 7 digits) are kept as 11 digits.
    """
    if _CANONICAL_MOBILE.fullmatch(raw):
        return raw  # the common case, already canonical
    digits = _SEPARATORS.sub("", raw.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    if not digits.isdigit() or not digits.isascii():
        return None
    if digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif not digits.startswith("0") and len(digits) in (9, 10):
        digits = "0" + digits
    if len(digits) == 11 and digits[:4] in OLD_MOBILE_PREFIXES:
        digits = OLD_MOBILE_PREFIXES[digits[:4]] + digits[4:]
    if _CANONICAL_MOBILE.fullmatch(digits) or re.fullmatch(r"02\d{9}", digits):
        return digits
    return None
