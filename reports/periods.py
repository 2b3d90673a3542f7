"""Period maths: months, quarters, half-years, years and batch-to-date, as pure functions.

A period is a half-open range of month starts [first, last] inclusive, both first days of a month.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day-of-month `months` later (or earlier), clamped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = datetime.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last_day))


def due_date_for(month: datetime.date, *, due_day: int | None = None) -> datetime.date:
    """A month's report is due on REPORT_DUE_DAY (default the 5th) of the following month."""
    return add_months(month_start(month), 1).replace(day=due_day or settings.REPORT_DUE_DAY)


@dataclass(frozen=True)
class Period:
    first: datetime.date
    last: datetime.date
    label: str

    def months(self) -> list[datetime.date]:
        result, month = [], self.first
        while month <= self.last:
            result.append(month)
            month = add_months(month, 1)
        return result


def month_period(day: datetime.date) -> Period:
    start = month_start(day)
    return Period(start, start, f"{start.year}年{start.month}月")


def quarter_period(day: datetime.date) -> Period:
    quarter = (day.month - 1) // 3
    first = datetime.date(day.year, quarter * 3 + 1, 1)
    return Period(first, add_months(first, 2), f"{day.year}年第{'一二三四'[quarter]}季度")


def half_year_period(day: datetime.date) -> Period:
    first_half = day.month <= 6
    first = datetime.date(day.year, 1 if first_half else 7, 1)
    return Period(first, add_months(first, 5), f"{day.year}年{'上' if first_half else '下'}半年")


def year_period(day: datetime.date) -> Period:
    return Period(datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 1), f"{day.year}年")


def batch_to_date_period(*, batch_start: datetime.date, batch_end: datetime.date, today: datetime.date) -> Period:
    """From the batch's first month to the earlier of today's month and the batch's last month."""
    last = min(month_start(today), month_start(batch_end))
    return Period(month_start(batch_start), last, "本批次累计")
