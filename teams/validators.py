"""Validators for cadre personal data."""

import datetime
import re

from django.core.exceptions import ValidationError

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_PATTERN = re.compile(r"^[1-9][0-9]{16}[0-9X]$")
_PHONE_PATTERN = re.compile(r"^1[3-9][0-9]{9}$")


def id_number_check_char(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits of a resident ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def validate_id_number(value: str) -> None:
    """Accept an 18-character resident ID number with a valid birth date and check character."""
    value = normalize_id_number(value)
    if not _ID_PATTERN.match(value):
        raise ValidationError("身份证号应为18位，前17位为数字，最后一位为数字或X。", code="id_format")
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError("身份证号中的出生日期无效。", code="id_birth_date") from None
    if birth.year < 1900 or birth > datetime.date.today():
        raise ValidationError("身份证号中的出生日期无效。", code="id_birth_date")
    if id_number_check_char(value[:17]) != value[17]:
        raise ValidationError("身份证号校验位错误，请核对。", code="id_checksum")


def validate_phone(value: str) -> None:
    if value and not _PHONE_PATTERN.match(value):
        raise ValidationError("手机号码应为以1开头的11位数字。", code="phone_format")


def mask_id_number(value: str) -> str:
    """5401**********1234: the first 4 and last 4 characters stay, the rest are starred."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """138****1234."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
