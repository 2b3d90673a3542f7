"""Bulk row loading for seeds and benchmarks: COPY on PostgreSQL, executemany elsewhere."""

import io
from collections.abc import Iterable, Sequence

from django.db import connection


def _copy_text(value: object) -> str:
    if value is None:
        return r"\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def bulk_insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[object]], *, chunk: int = 100_000) -> int:
    """Insert plain rows into `table` within the current transaction; returns the number of rows.

    No model signals, no history: for generated data only, never for user input.
    """
    total = 0
    batch: list[Sequence[object]] = []

    def flush() -> None:
        if not batch:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                buffer = io.StringIO("".join("\t".join(map(_copy_text, row)) + "\n" for row in batch))
                cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", batch)  # noqa: S608
        batch.clear()

    for row in rows:
        batch.append(row)
        total += 1
        if len(batch) >= chunk:
            flush()
    flush()
    return total
