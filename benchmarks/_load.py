"""Database plumbing of the data generator: COPY streams, explicit ids, dropping and rebuilding indexes and
foreign keys around a bulk load, creating and sizing databases. PostgreSQL gets the fast path; SQLite (the
smoke test) gets plain executemany through the same calls.
"""

import datetime
import io
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

# Rows per COPY chunk handed to the server; big enough to keep the socket busy, small enough to stream.
CHUNK_BYTES = 1 << 20


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _copy_text(value: object) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value)


class _TextStream(io.RawIOBase):
    """A file object over an iterator of text chunks, for psycopg2's copy_expert: the server parses one chunk
    while Python makes the next."""

    def __init__(self, chunks: Iterator[str]):
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        parts, length = [self._buffer], len(self._buffer)
        while size < 0 or length < size:
            try:
                chunk = next(self._chunks).encode()
            except StopIteration:
                break
            parts.append(chunk)
            length += len(chunk)
        data = b"".join(parts)
        if size < 0:
            size = len(data)
        self._buffer = data[size:]
        return data[:size]


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass
class Loader:
    """Writes rows into tables of the current connection and counts them.

    `freeze`: tables truncated by `prepare_fast_load` take COPY … FREEZE (rows are written frozen, so no
    later VACUUM rewrites the 33 million values to set hint bits).
    """

    counts: dict[str, int] = field(default_factory=dict)
    freeze_tables: set[str] = field(default_factory=set)

    def rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
        """Insert tuples (None → NULL); returns how many."""
        if is_postgresql():

            def chunks() -> Iterator[str]:
                lines: list[str] = []
                size = 0
                for row in rows:
                    line = "\t".join(map(_copy_text, row)) + "\n"
                    lines.append(line)
                    size += len(line)
                    if size >= CHUNK_BYTES // 3:  # Chinese text: about 3 bytes a character
                        yield "".join(lines)
                        lines.clear()
                        size = 0
                yield "".join(lines)

            return self.text(table, columns, chunks(), count=None)
        total = 0
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
        batch: list[tuple] = []
        with connection.cursor() as cursor:
            for row in rows:
                batch.append(tuple(map(_sqlite_value, row)))
                if len(batch) >= 10_000:
                    cursor.executemany(sql, batch)
                    total += len(batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
                total += len(batch)
        self.counts[table] = self.counts.get(table, 0) + total
        return total

    def text(self, table: str, columns: Sequence[str], chunks: Iterator[str], *, count: int | None) -> int:
        """COPY ready-made text (tab-separated lines, \\N for NULL) into `table`. `count`: rows, if the caller
        knows them; else they are counted from the newlines. Elsewhere than PostgreSQL the lines are split back
        into rows (escapes are not undone: for numbers and plain text only)."""
        if not is_postgresql():
            rows = (
                [None if value == r"\N" else value for value in line.split("\t")]
                for chunk in chunks
                for line in chunk.splitlines()
            )
            return self.rows(table, columns, rows)
        counted = [0]

        def counting(chunks: Iterator[str]) -> Iterator[str]:
            for chunk in chunks:
                counted[0] += chunk.count("\n")
                yield chunk

        stream = _TextStream(chunks if count is not None else counting(chunks))
        options = " WITH (FREEZE)" if table in self.freeze_tables else ""
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN{options}", stream, size=CHUNK_BYTES
            )
        total = count if count is not None else counted[0]
        self.counts[table] = self.counts.get(table, 0) + total
        return total


def next_id(table: str) -> int:
    """The first free primary key of `table`: rows are written with explicit ids so that children can
    point at their parents without reading them back. `sync_sequence` moves the sequence past them after."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        return cursor.fetchone()[0]


def sync_sequence(table: str) -> None:
    if not is_postgresql():
        return  # SQLite's AUTOINCREMENT follows the largest id written
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}",
            [table],
        )


def is_empty(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})")
        return cursor.fetchone()[0]


# -- indexes and foreign keys around the load (PostgreSQL) -----------------------------------------------------


@dataclass
class SavedSchema:
    """The keys, indexes and foreign keys dropped before a load, as the SQL that puts them back."""

    keys: list[str] = field(default_factory=list)  # ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY / UNIQUE
    indexes: list[str] = field(default_factory=list)  # CREATE [UNIQUE] INDEX … (incl. partial ones)
    foreign_keys: list[str] = field(default_factory=list)  # ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY


def drop_indexes_and_keys(tables: Sequence[str]) -> SavedSchema:
    """Drop every index, primary and unique key of `tables` and every foreign key from or to them, keeping
    their definitions (read from the catalogue, so indexes added later by migrations are covered too). Check
    constraints stay: they are cheap per row and the load must respect them."""
    saved = SavedSchema()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conname, c.conrelid::regclass::text, pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE c.contype = 'f' AND (c.conrelid = ANY(%s::regclass[]) OR c.confrelid = ANY(%s::regclass[]))
            ORDER BY 2, 1
            """,
            [list(tables), list(tables)],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            """
            SELECT c.conname, c.conrelid::regclass::text, pg_get_constraintdef(c.oid), c.conindid
            FROM pg_constraint c
            WHERE c.contype IN ('p', 'u') AND c.conrelid = ANY(%s::regclass[])
            ORDER BY c.contype, 2, 1
            """,
            [list(tables)],
        )
        keys = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[])
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u'))
            ORDER BY 1
            """,
            [list(tables)],
        )
        indexes = cursor.fetchall()
        for name, table, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            saved.foreign_keys.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
            saved.indexes.append(definition)
        for name, table, definition, _index in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            saved.keys.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    return saved


def restore_indexes_and_keys(saved: SavedSchema, log: Callable[[str], None]) -> None:
    """Keys first (foreign keys need their targets' keys), then indexes, then foreign keys, each validated
    against the loaded rows (ADD CONSTRAINT checks every row)."""
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred: fire the checks queued by ORM writes now, or ALTER TABLE refuses.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for label, statements in (("主键/唯一约束", saved.keys), ("索引", saved.indexes), ("外键", saved.foreign_keys)):
            started = time.monotonic()
            for statement in statements:
                cursor.execute(statement)
            log(f"    重建{label} {len(statements)} 个：{time.monotonic() - started:.1f} 秒")


def session_for_bulk_load() -> None:
    """Session settings for one big load: memory for index builds, no wait for the WAL flush on commit."""
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET synchronous_commit = off")


def truncate_for_freeze(loader: Loader, tables: Sequence[str]) -> None:
    """TRUNCATE the empty tables among `tables` inside the load's transaction so COPY may write frozen rows.
    Their foreign keys must be dropped already (TRUNCATE refuses a referenced table). Partitioned tables take
    no COPY FREEZE: they are left alone."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
            if cursor.fetchone()[0] == "r" and is_empty(table):
                cursor.execute(f"TRUNCATE {table}")
                loader.freeze_tables.add(table)


def vacuum_analyze(tables: Sequence[str] | None = None) -> None:
    """VACUUM (sets the visibility map, so index-only scans work) and ANALYZE; outside any transaction."""
    with connection.cursor() as cursor:
        if tables:
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
        else:
            cursor.execute("VACUUM (ANALYZE)")


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def database_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]


def table_sizes(tables: Sequence[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t, pg_total_relation_size(t::regclass) FROM unnest(%s::text[]) AS t",
            [list(tables)],
        )
        return dict(cursor.fetchall())


def human_bytes(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{size} B"
        size /= 1024
    return f"{size:.1f} GB"
