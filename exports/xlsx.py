"""Writing workbooks that are safe to open, for every export.

Formula injection. A cell holding text that starts with = + - @ a tab or a carriage return could be taken for a
formula: by openpyxl itself (it writes any "=…" string as a formula), by a spreadsheet when someone edits the cell,
or by a program that re-reads the values. Every text cell is written as an inline string (`data_type` "s": stored
as text, never evaluated), and those starting with a trigger also carry Excel's quote-prefix style — what typing
an apostrophe in front does — so the text shows exactly as entered and stays text when the cell is edited. We
chose the quote-prefix style over a literal apostrophe in the value: the value people read, sort and copy stays
the original. Numbers stay numbers (with number formats); only text goes through here.

Characters XML cannot hold (other control characters) are dropped rather than failing the whole export; a carriage
return is kept but, as everywhere in XML, reads back as a line feed.
"""

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from urllib.parse import quote

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from reports.choices import ValueType

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0"
DATE_FORMAT = "yyyy-mm-dd"

TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)

MIN_WIDTH = 6
MAX_WIDTH = 48


def number_format_for(value_type: str) -> str:
    if value_type == ValueType.MONEY:
        return MONEY_FORMAT
    if value_type == ValueType.DECIMAL:
        return DECIMAL_FORMAT
    return INTEGER_FORMAT


def clean_text(value: object) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def needs_quote_prefix(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def make_text_inert(cell) -> None:
    """Turn a cell whose value was just set to text into an inert string cell (see the module docstring)."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if needs_quote_prefix(cell.value):
            cell.quotePrefix = True


def safe_value(worksheet, value: object):
    """A value ready for a write-only worksheet's `append`: text becomes inert (a styled cell when it starts with a
    trigger, the plain string otherwise, which openpyxl writes as an inline string), numbers and dates pass."""
    if value is None or isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, str):
        text = clean_text(value)
        if needs_quote_prefix(text):
            cell = WriteOnlyCell(worksheet, text)
            make_text_inert(cell)
            return cell
        return text
    return value


def put(worksheet, row: int, column: int, value: object, *, number_format: str | None = None, **style):
    """Set one cell of a normal worksheet safely; style keywords (font, fill, alignment, border) are applied."""
    cell = worksheet.cell(row=row, column=column)
    cell.value = clean_text(value) if isinstance(value, str) else value
    make_text_inert(cell)
    if number_format and not isinstance(value, str):
        cell.number_format = number_format
    for name, setting in style.items():
        if setting is not None:
            setattr(cell, name, setting)
    return cell


def styled(worksheet, value: object, **style) -> WriteOnlyCell:
    """A styled write-only cell (headers, titles, formatted numbers), text made inert."""
    cell = WriteOnlyCell(worksheet, clean_text(value) if isinstance(value, str) else value)
    make_text_inert(cell)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def take_prepared_cells(worksheet) -> None:
    """Let a write-only sheet take prepared (styled) cells without openpyxl's detour. openpyxl 3.1 accepts a cell
    in a row only after trying to store it as a value and formatting the failure's message (the cell's repr), for
    every cell: a quarter of a large export's time. This replaces the sheet's row converter with one that takes a
    prepared cell as it is and every other value as openpyxl does; a sheet without that converter is left alone."""
    if not callable(getattr(worksheet, "_values_to_row", None)):
        return

    def values_to_row(values, row_index):
        cell = WriteOnlyCell(worksheet)
        for column, value in enumerate(values, 1):
            if value is None:
                continue
            if isinstance(value, Cell):
                value.column, value.row = column, row_index
                yield value
                continue
            cell.value = value
            cell.column, cell.row = column, row_index
            yield cell

    worksheet._values_to_row = values_to_row


def display_width(text: object) -> int:
    """Columns a text needs: CJK (wide) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in str(text))


def fit_width(texts: Iterable[object], *, minimum: int = MIN_WIDTH, maximum: int = MAX_WIDTH) -> float:
    widest = max((display_width(text) for text in texts if text is not None), default=0)
    return float(min(maximum, max(minimum, widest + 2)))


def set_widths(worksheet, widths: Iterable[float]) -> None:
    """Column widths (write-only sheets need them before the first row)."""
    for index, width in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width


# -- file names ---------------------------------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_ASCII_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(name: str, *, max_length: int = 120) -> str:
    """A file name any system accepts: no path separators, quotes, control or reserved characters, no leading dot."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip(" ._") or "export"
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and len(suffix) <= 5:
        return f"{stem[: max_length - len(suffix) - 1]}.{suffix}"
    return cleaned[:max_length]


def ascii_file_name(name: str) -> str:
    """The ASCII fallback for old clients: letters, digits, dot, dash and underscore only."""
    slug = _ASCII_SLUG.sub("-", name).strip("-.") or "export"
    return slug[:120]


def content_disposition(file_name: str, ascii_fallback: str) -> str:
    """`attachment` with an ASCII `filename` and the real (Chinese) name as RFC 5987 / 6266 `filename*`."""
    real = safe_file_name(file_name)
    fallback = ascii_file_name(ascii_fallback)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(real, safe='')}"


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
