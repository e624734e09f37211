"""Identity document numbers of the people in the registry: the 18-character resident identity
number of GB 11643-1999 (structure, birth date, sex and MOD 11-2 check digit), simpler format
rules for the other kinds of ID document, masking of ID numbers and phone numbers for display,
and the keyed digest that lets the registry find a person by exact ID number without keeping a
plain index of the numbers.

Pure functions: no models, no database. Errors are Django ``ValidationError`` with a ``code``
per kind of problem so forms and the API can tell them apart.
"""

from __future__ import annotations

import hashlib
import hmac
import operator
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# GB 11643-1999 / ISO 7064 MOD 11-2: weight of each of the first 17 digits, and the check
# character for each remainder of the weighted sum modulo 11.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ZERO_WEIGHTS = ord("0") * sum(_WEIGHTS)

# First two digits of the GB/T 2260 address code: provinces, autonomous regions and
# municipalities; 71 Taiwan, 81 Hong Kong, 82 Macao. 83 is on the residence permits of Taiwan
# residents (830000); 91 ("abroad") is not a GB/T 2260 province but is accepted, as in most
# published validators, rather than refuse a number the public-security system may have issued.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83", "91",
    }
)  # fmt: skip

EARLIEST_BIRTH_DATE = date(1890, 1, 1)

# Chinese input methods often type full-width digits and letters (U+FF01–U+FF5E); they mean
# the same characters as ASCII "!"–"~".
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}

_RESIDENT_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")
_HK_MACAO = re.compile(r"[HM](?:[0-9]{8}|[0-9]{10})")
_TAIWAN = re.compile(r"[0-9]{8}|[0-9]{10}")
# 2004 card: ISO 3166 alpha-3 nationality + 12 digits; 2023 card: 18 characters shaped like a
# resident ID number, starting with 9.
_FOREIGN_PERMANENT = re.compile(r"[A-Z]{3}[0-9]{12}|9[0-9]{16}[0-9X]")
_OTHER_MAX_LENGTH = 30

_MOBILE = re.compile(r"(?:\+?86|0086)?(1[0-9]{10})")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")


class IdType(TextChoices):
    """Kinds of identity document a person in the registry can be recorded with."""

    RESIDENT = "resident", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO = "hk_macao", _("Mainland travel permit for Hong Kong and Macao residents")
    TAIWAN = "taiwan", _("Mainland travel permit for Taiwan residents")
    FOREIGN_PERMANENT = "foreign_permanent", _("Foreign permanent resident ID card")
    OTHER = "other", _("Other ID document")


@dataclass(frozen=True, repr=False)
class ResidentId:
    """A valid resident identity number and what it says about its holder.

    ``sex`` is the GB/T 2261.1 code: "1" male (odd 17th digit), "2" female (even).
    """

    number: str
    region_code: str
    birth_date: date
    sex: str
    check_digit: str

    def __repr__(self) -> str:
        # Reprs end up in logs and tracebacks; keep the full number out of them.
        return f"ResidentId({mask_id_number(self.number)!r})"


def normalize_id_number(value: str) -> str:
    """The ID number as it is stored and compared: trimmed, half-width, upper-case."""
    value = value.strip()
    if not value.isascii():  # no full-width character to translate (and a quick test)
        value = value.translate(_FULL_WIDTH)
    return value.upper()


def check_digit(first17: str) -> str:
    """The GB 11643 check character ("0"–"9" or "X") for the first 17 digits of a number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit() needs exactly 17 ASCII digits")
    # The digits' bytes, each 48 ("0") more than its value: one pass in C, the 48s taken off.
    total = sum(map(operator.mul, first17.encode(), _WEIGHTS)) - _ZERO_WEIGHTS
    return _CHECK_CHARS[total % 11]


def make_resident_id(region: str, birth: date, sequence: int) -> str:
    """Build a resident ID number with a correct check digit.

    ``region`` is any 6-digit address code (it is not checked against the province list, so tests
    can build numbers that fail only on the region); ``sequence`` 0–999 is the order code, whose
    parity gives the sex (odd = male).
    """
    if len(region) != 6 or not region.isascii() or not region.isdigit():
        raise ValueError("region must be a 6-digit address code")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be between 0 and 999")
    first17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return first17 + check_digit(first17)


def validate_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Check a resident identity number (GB 11643-1999) and return what it encodes.

    ``today`` (default: the current date in the project's time zone) bounds the birth date; it
    is a parameter so tests need not depend on the clock.
    """
    number = normalize_id_number(value)
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(n)s."),
            code="length",
            params={"n": len(number)},
        )
    if not _RESIDENT_SHAPE.fullmatch(number):
        raise ValidationError(
            _("The first 17 characters of an ID number are digits; the last is a digit or X."),
            code="characters",
        )
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("An ID number cannot start with %(prefix)s: that is not a province code."),
            code="region",
            params={"prefix": number[:2]},
        )
    birth = _birth_date(number[6:14], today or timezone.localdate())
    if number[17] != check_digit(number[:17]):
        # The message does not offer the expected character: a wrong check digit usually means
        # a mistyped digit elsewhere, and "correcting" the last one would store the typo.
        raise ValidationError(
            _("The check digit does not match the rest of the ID number; check every digit."),
            code="check_digit",
        )
    return ResidentId(
        number=number,
        region_code=number[:6],
        birth_date=birth,
        sex="1" if int(number[16]) % 2 else "2",
        check_digit=number[17],
    )


def _birth_date(digits: str, today: date) -> date:
    """The birth date written as YYYYMMDD in an ID number, refused if impossible."""
    try:
        birth = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise ValidationError(
            _("The birth date in the ID number, %(digits)s, is not a real date."),
            code="birth_date",
            params={"digits": digits},
        ) from None
    if birth > today:
        raise ValidationError(
            _("The birth date in the ID number, %(date)s, is in the future."),
            code="birth_date",
            params={"date": birth.isoformat()},
        )
    if birth < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            _("The birth date in the ID number, %(date)s, is before 1890."),
            code="birth_date",
            params={"date": birth.isoformat()},
        )
    return birth


_FORMATS = {
    IdType.PASSPORT: (
        _PASSPORT,
        _("A passport number has 5 to 20 letters or digits."),
    ),
    IdType.HK_MACAO: (
        _HK_MACAO,
        _("A Hong Kong or Macao travel permit number is H or M followed by 8 or 10 digits."),
    ),
    IdType.TAIWAN: (
        _TAIWAN,
        _("A Taiwan travel permit number has 8 or 10 digits."),
    ),
    IdType.FOREIGN_PERMANENT: (
        _FOREIGN_PERMANENT,
        _(
            "A foreign permanent resident ID number is 3 letters followed by 12 digits, "
            "or 18 characters starting with 9."
        ),
    ),
}


def validate_id(id_type: IdType | str, value: str, *, today: date | None = None) -> str:
    """Check an ID number of the given kind and return it normalised for storage.

    Resident ID numbers get the full GB 11643 check (see ``validate_resident_id``); the other
    kinds only a format rule. An unknown ``id_type`` is a programming error (``ValueError``):
    forms and serializers check the choice before the number.
    """
    kind = IdType(id_type)
    if kind == IdType.RESIDENT:
        return validate_resident_id(value, today=today).number
    number = normalize_id_number(value)
    if kind == IdType.OTHER:
        if not 1 <= len(number) <= _OTHER_MAX_LENGTH:
            raise ValidationError(
                _("An ID number has 1 to %(max)s characters; this one has %(n)s."),
                code="length",
                params={"max": _OTHER_MAX_LENGTH, "n": len(number)},
            )
        return number
    pattern, message = _FORMATS[kind]
    if not pattern.fullmatch(number):
        raise ValidationError(message, code="format")
    return number


def mask_id_number(value: str) -> str:
    """The ID number for display: 18-character numbers keep the 6-digit region code and the last
    4 characters ("440112********1234"); others keep at most 2 characters at each end and never
    more than half of the number."""
    number = normalize_id_number(value or "")
    if not number:
        return ""
    if len(number) == 18:
        return number[:6] + "*" * 8 + number[-4:]
    keep = min(2, len(number) // 4)
    hidden = len(number) - 2 * keep
    return number[:keep] + "*" * hidden + number[len(number) - keep :]


def mask_phone(value: str) -> str:
    """The phone number for display: a mainland mobile keeps its first 3 and last 4 digits
    ("138****5678"); any other number keeps only its last 4 digits (fewer if it has fewer than
    8), with its separators left in place."""
    phone = (value or "").strip()
    if not phone:
        return ""
    phone = phone.translate(_FULL_WIDTH)
    mobile = _MOBILE.fullmatch(_PHONE_SEPARATORS.sub("", phone))
    if mobile:
        digits = mobile.group(1)
        return digits[:3] + "****" + digits[-4:]
    digit_count = sum(char.isdigit() for char in phone)
    to_hide = digit_count - min(4, digit_count // 2)
    masked = []
    for char in phone:
        if char.isdigit() and to_hide > 0:
            masked.append("*")
            to_hide -= 1
        else:
            masked.append(char)
    return "".join(masked)


def id_number_digest(value: str, *, key: bytes) -> str:
    """HMAC-SHA256 (hex) of the normalised ID number, for exact-match lookups.

    Keyed, not a plain hash: resident ID numbers are few enough (region × date × 1000) to hash
    them all, so without the key the digest would give the number away.
    """
    if not key:
        raise ValueError("id_number_digest() needs a non-empty key")
    hasher = _keyed_sha256(key).copy()  # the key's padding hashed once, not for every number
    hasher.update(normalize_id_number(value).encode())
    return hasher.hexdigest()


@lru_cache(maxsize=4)
def _keyed_sha256(key: bytes) -> hmac.HMAC:
    return hmac.new(key, digestmod=hashlib.sha256)
