"""Validation of monthly report values: pure functions over indicators, values and the team's history.

Errors block submission; warnings need the leader's note (ReportValue.note) before submission. Messages
are Chinese, keyed by indicator code, so pages show them next to the field and the API returns them per
field.
"""

import statistics
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from reports.choices import TimeAggregation, ValueType
from reports.models import VALUE_DECIMAL_PLACES, VALUE_MAX_DIGITS, Indicator

MAX_VALUE = Decimal(10) ** (VALUE_MAX_DIGITS - VALUE_DECIMAL_PLACES) - Decimal("0.01")
LATEST_CHANGE_LIMIT = Decimal("0.5")  # a stock changing by more than 50% from last month
MEDIAN_FACTOR = 10  # a value over 10x the team's median of earlier months
MEDIAN_MIN_MONTHS = 3  # fewer earlier months say too little about "usual"


def parse_value(indicator: Indicator, raw: object) -> Decimal | None:
    """Turn user input into a value of the indicator's type; blank is None (not filled in)."""
    if raw is None:
        return None
    text = str(raw).strip().replace(",", "").replace("，", "")
    if text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError("请输入数字。", code="not_a_number") from None
    if not value.is_finite():
        raise ValidationError("请输入数字。", code="not_a_number")
    if value < 0:
        raise ValidationError("不能为负数。", code="negative")
    if value > MAX_VALUE:
        raise ValidationError("数值过大，请核对。", code="too_large")
    if indicator.value_type == ValueType.INTEGER and value != value.to_integral_value():
        raise ValidationError(f"“{indicator.name}”须为整数。", code="not_integer")
    if value.as_tuple().exponent < -VALUE_DECIMAL_PLACES and value != value.quantize(Decimal("0.01")):
        raise ValidationError("最多保留两位小数。", code="too_many_decimals")
    return value.quantize(Decimal("0.01"))


@dataclass
class Check:
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    def error(self, code: str, message: str) -> None:
        self.errors.setdefault(code, []).append(message)

    def warn(self, code: str, message: str) -> None:
        self.warnings.setdefault(code, []).append(message)


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def check_values(
    *,
    indicators: list[Indicator],
    values: dict[int, Decimal | None],
    history: dict[int, list[Decimal]],
    last_month: dict[int, Decimal],
) -> Check:
    """Rules between indicators and against the team's own history.

    `values` maps indicator id → this month's value; `history` maps indicator id → the team's values of
    earlier months (approved or submitted); `last_month` maps indicator id → last month's value.
    """
    check = Check()
    by_id = {indicator.pk: indicator for indicator in indicators}
    for indicator in indicators:
        value = values.get(indicator.pk)
        if value is None:
            continue
        total_indicator = by_id.get(indicator.part_of_id) if indicator.part_of_id else None
        if total_indicator is not None:
            total = values.get(total_indicator.pk)
            if total is not None and value > total:
                check.error(indicator.code, f"不能超过“{total_indicator.name}”（{_number(total)}）。")
        previous = last_month.get(indicator.pk)
        changed_much = previous and abs(value - previous) > LATEST_CHANGE_LIMIT * previous
        if indicator.time_aggregation == TimeAggregation.LATEST and changed_much:
            check.warn(indicator.code, f"较上月（{_number(previous)}）变化超过50%，请填写说明。")
        earlier = history.get(indicator.pk, [])
        if len(earlier) >= MEDIAN_MIN_MONTHS:
            median = Decimal(statistics.median(earlier))
            if median > 0 and value > MEDIAN_FACTOR * median:
                check.warn(indicator.code, f"超过本队以往月份中位数（{_number(median)}）的10倍，请填写说明。")
    return check


def submission_errors(*, check: Check, notes: dict[str, str]) -> dict[str, list[str]]:
    """What blocks a submission: every error, and every warning without a note."""
    errors = {code: list(messages) for code, messages in check.errors.items()}
    for code in check.warnings:
        if not notes.get(code, "").strip():
            errors.setdefault(code, []).append("该数值需要填写说明后才能提交。")
    return errors
