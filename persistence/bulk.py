"""Bulk insertion for imports: many rows into one table, in the session's transaction.

SQLAlchemy's executemany spends more time preparing parameters than SQLite spends storing
them, and on PostgreSQL psycopg sends one statement per row.  ``insert_rows`` applies each
column's own bind processor, the dialect's as the ORM does (so values are stored exactly as the
ORM would store them: JSON serialised, a Decimal kept exact on PostgreSQL), and hands plain
tuples to the driver: ``executemany`` on SQLite, ``COPY … FROM STDIN`` on
PostgreSQL.  Rows are inserted in the order given (ids follow it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, any_, bindparam, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ColumnElement

from models import db


def in_values(column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (values)`` for a batch's lookups; on PostgreSQL ``column = ANY(:array)``, one
    parameter: psycopg converts a statement with hundreds of placeholders in Python, slowly
    (a fifth of an import's time), and every length is a statement of its own."""
    values = list(values)
    if db.session.get_bind().dialect.name == "postgresql":
        if values and all(type(v) is int for v in values):  # ids: an array constant in the statement
            # (psycopg dumps a list parameter element by element in Python; services/risk/common.py)
            return column == any_(literal_column("'{" + ",".join(map(str, values)) + "}'::integer[]"))
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def insert_rows(table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]], chunk: int = 5000) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``; returns the count."""
    connection = db.session.connection()
    dialect = connection.dialect
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    convert = [(i, p) for i, p in enumerate(processors) if p is not None]

    def prepared(row: Sequence[Any]) -> tuple[Any, ...]:
        if not convert:
            return tuple(row)
        out = list(row)
        for i, process in convert:
            if out[i] is not None:
                out[i] = process(out[i])
        return tuple(out)

    names = ", ".join(dialect.identifier_preparer.quote(n) for n in columns)
    quoted = dialect.identifier_preparer.format_table(table)
    count = 0
    if dialect.name == "postgresql":
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY {quoted} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(prepared(row))
                    count += 1
        finally:
            cursor.close()
        return count
    sql = f"INSERT INTO {quoted} ({names}) VALUES ({', '.join('?' for _ in columns)})"
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(prepared(row))
        if len(batch) >= chunk:
            connection.exec_driver_sql(sql, batch)  # type: ignore[arg-type]
            count += len(batch)
            batch = []
    if batch:
        connection.exec_driver_sql(sql, batch)  # type: ignore[arg-type]
        count += len(batch)
    return count


def update_rows(table: Table, key: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """``UPDATE table SET columns WHERE key = …`` for each row (the values of ``columns``,
    then the key).  executemany on SQLite; on PostgreSQL the rows are copied into a temporary
    table and applied with one ``UPDATE … FROM``.  Returns the number of rows given."""
    rows = list(rows)
    if not rows:
        return 0
    connection = db.session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    quoted = dialect.identifier_preparer.format_table(table)
    names = [*columns, key]
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    convert = [(i, p) for i, p in enumerate(processors) if p is not None]

    def prepared(row: Sequence[Any]) -> tuple[Any, ...]:
        out = list(row)
        for i, process in convert:
            if out[i] is not None:
                out[i] = process(out[i])
        return tuple(out)

    if dialect.name == "postgresql":
        temp = quote(f"_bulk_{table.name}")
        cols = ", ".join(quote(n) for n in names)
        connection.exec_driver_sql(f"CREATE TEMP TABLE {temp} AS SELECT {cols} FROM {quoted} WITH NO DATA")
        try:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                with cursor.copy(f"COPY {temp} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(prepared(row))
            finally:
                cursor.close()
            sets = ", ".join(f"{quote(c)} = u.{quote(c)}" for c in columns)
            connection.exec_driver_sql(
                f"UPDATE {quoted} SET {sets} FROM {temp} AS u WHERE {quoted}.{quote(key)} = u.{quote(key)}"
            )
        finally:
            connection.exec_driver_sql(f"DROP TABLE {temp}")
        return len(rows)
    sets = ", ".join(f"{quote(c)} = ?" for c in columns)
    connection.exec_driver_sql(
        f"UPDATE {quoted} SET {sets} WHERE {quote(key)} = ?",
        [prepared(row) for row in rows],  # type: ignore[arg-type]
    )
    return len(rows)


def allocate_ids(table: Table, count: int) -> list[int]:
    """``count`` new primary-key values for rows that ``insert_rows`` will insert with their
    id, so that no query has to find them afterwards.

    PostgreSQL draws them from the column's sequence (safe with concurrent writers).  SQLite
    continues after the largest id, once the transaction holds the write lock (an empty
    ``UPDATE`` takes it: SQLite then admits no other writer until the transaction ends); a
    clash would still fail on the primary key rather than mix rows up.
    """
    if count <= 0:
        return []
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": count},
        )
        return [r[0] for r in rows]
    quoted = connection.dialect.identifier_preparer.format_table(table)
    connection.exec_driver_sql(f"UPDATE {quoted} SET id = id WHERE 0")  # the write lock, if not yet held
    start = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(start + 1, start + 1 + count))


def refresh_statistics(*tables: Table) -> None:
    """After a bulk load, let PostgreSQL's planner know the tables' new size at once rather
    than when autovacuum gets round to it: with the old statistics it reads a freshly filled
    table sequentially for every lookup (minutes for 100,000 rows).  SQLite plans without
    statistics and needs nothing."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        quote = connection.dialect.identifier_preparer.format_table
        connection.exec_driver_sql("ANALYZE " + ", ".join(quote(t) for t in tables))
