"""What every export builder shares: the result it reports, the progress it saves, the heading rows."""

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Protocol, TypeVar

from django.utils import timezone

from reports.choices import ValueType

T = TypeVar("T")


@dataclass
class BuildResult:
    """What a builder wrote: data rows (over all sheets), cells, and whether personal data is in the file."""

    rows: int = 0
    cells: int = 0
    personal_data: bool = False
    full_id_numbers: int = 0
    detail: str = ""


class Progress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, done: int) -> None: ...


class NoProgress:
    """For callers that do not track progress (direct downloads, benchmarks)."""

    def start(self, total: int) -> None:
        pass

    def advance(self, done: int) -> None:
        pass


Builder = Callable[..., BuildResult]


def exported_by(user) -> str:
    name = user.get_full_name() or user.get_username()
    return f"导出：{name}，{timezone.localtime():%Y-%m-%d %H:%M}"


def month_label(month: datetime.date) -> str:
    return f"{month.year}年{month.month}月"


def chunked(iterable: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def figure_value(value: Decimal, value_type: str) -> int | Decimal:
    """A figure as the cell holds it: a whole number as an int (integer indicators), money and decimals exact."""
    if value_type == ValueType.INTEGER and value == value.to_integral_value():
        return int(value)
    return value
