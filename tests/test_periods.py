"""Period maths: pure functions, no database."""

import datetime

import pytest
from django.test import override_settings

from reports.periods import (
    add_months,
    batch_to_date_period,
    due_date_for,
    half_year_period,
    month_period,
    month_start,
    quarter_period,
    year_period,
)

D = datetime.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2026, 11, 1), 2, D(2027, 1, 1)),
        (D(2026, 1, 15), -1, D(2025, 12, 15)),
        (D(2026, 4, 1), -7, D(2025, 9, 1)),
        (D(2026, 12, 1), 12, D(2027, 12, 1)),
    ],
)
def test_it_adds_months_across_years_and_short_months(day, months, expected):
    assert add_months(day, months) == expected


def test_it_dates_a_report_due_on_the_fifth_of_the_next_month():
    assert due_date_for(D(2026, 12, 17)) == D(2027, 1, 5)
    assert due_date_for(D(2026, 1, 1), due_day=10) == D(2026, 2, 10)


@override_settings(REPORT_DUE_DAY=8)
def test_it_takes_the_due_day_from_the_settings():
    assert due_date_for(D(2026, 3, 1)) == D(2026, 4, 8)


def test_it_bounds_month_quarter_half_year_and_year():
    assert month_start(D(2026, 5, 31)) == D(2026, 5, 1)
    assert month_period(D(2026, 5, 31)).months() == [D(2026, 5, 1)]
    assert quarter_period(D(2026, 5, 31)).months() == [D(2026, 4, 1), D(2026, 5, 1), D(2026, 6, 1)]
    assert quarter_period(D(2026, 12, 1)).label == "2026年第四季度"
    first_half = half_year_period(D(2026, 6, 30))
    assert (first_half.first, first_half.last, first_half.label) == (D(2026, 1, 1), D(2026, 6, 1), "2026年上半年")
    assert half_year_period(D(2026, 7, 1)).label == "2026年下半年"
    assert len(year_period(D(2026, 7, 1)).months()) == 12


def test_it_stops_batch_to_date_at_today_or_the_batch_end():
    running = batch_to_date_period(batch_start=D(2026, 4, 1), batch_end=D(2027, 3, 31), today=D(2026, 11, 29))
    assert (running.first, running.last) == (D(2026, 4, 1), D(2026, 11, 1))
    finished = batch_to_date_period(batch_start=D(2025, 4, 1), batch_end=D(2026, 3, 31), today=D(2026, 11, 29))
    assert finished.months()[-1] == D(2026, 3, 1) and len(finished.months()) == 12
