"""Fast multi-row INSERT (and upsert) for large batches (imports, generators, the LRS write path).

QuerySet.bulk_create compiles SQL value by value (~0.1 ms a row for a 14-column model); at 100,000 rows
that dominates an import. This writes the same rows with COPY on PostgreSQL and multi-row INSERTs elsewhere.
Trade-offs: no primary keys are set on the objects and no signals are sent. Callers that need ids read
them back by a natural key (one query).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import AutoField, Model
from django.utils import timezone

MAX_ROWS_PER_STATEMENT = 1000


# Field types whose Python values the database drivers take as they are (str, int, bool, float, None).
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.FloatField)


def _passthrough(value: Any) -> Any:
    return value


def _preparer(field: Any, connection: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """The cheapest correct conversion for one column (get_db_prep_save on every value costs ~5 µs)."""
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add):
        # One timestamp for the whole insert (one statement time), prepared once, not per row.
        stamp = field.get_db_prep_save(
            timezone.now() if isinstance(field, models.DateTimeField) else timezone.localdate(), connection
        )
        return lambda value: stamp
    if isinstance(target, _PLAIN):  # includes EmailField, SlugField, the integer and auto fields
        return _passthrough
    if type(target) is models.DateField:
        return connection.ops.adapt_datefield_value
    if type(target) is models.UUIDField:
        if connection.features.has_native_uuid_field:
            return _passthrough
        return lambda value: (
            value.hex if isinstance(value, uuid.UUID) else field.get_db_prep_save(value, connection)
        )
    if type(target) is models.DateTimeField:
        if connection.vendor == "postgresql":
            return lambda value: (
                value
                if value is None or (isinstance(value, dt.datetime) and value.tzinfo is not None)
                else field.get_db_prep_save(value, connection)
            )
        if connection.timezone_name == "UTC":
            # What adapt_datetimefield_value writes (naive UTC, str()), without its timezone machinery.
            return lambda value: (
                str(value.astimezone(dt.UTC).replace(tzinfo=None))
                if isinstance(value, dt.datetime) and value.tzinfo is not None
                else field.get_db_prep_save(value, connection)
            )
        adapt = connection.ops.adapt_datetimefield_value
        return lambda value: (
            adapt(value)
            if isinstance(value, dt.datetime) and value.tzinfo is not None
            else field.get_db_prep_save(value, connection)
        )
    return lambda value: field.get_db_prep_save(value, connection)


def _fields(model: type[Model], names: Sequence[str] | None) -> list[Any]:
    """Concrete non-auto fields, in the order of `names` (by name or attname) or of the model."""
    concrete = [field for field in model._meta.concrete_fields if not isinstance(field, AutoField)]
    if names is None:
        return concrete
    by_name = {field.name: field for field in concrete} | {field.attname: field for field in concrete}
    return [by_name[name] for name in names]


def _max_params(connection: BaseDatabaseWrapper) -> int:
    """Parameters one statement may carry: SQLite's real limit (Django assumes the old 999), else Django's."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return connection.features.max_query_params or 65535


def _insert_into(connection: BaseDatabaseWrapper, model: type[Model], fields: Sequence[Any]) -> str:
    """INSERT INTO table (columns): only quoted identifiers; the values that follow go as parameters."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns})"


def _insert_sql(connection: BaseDatabaseWrapper, model: type[Model], fields: Sequence[Any], rows: int) -> str:
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return f"{_insert_into(connection, model, fields)} VALUES " + ", ".join([placeholder] * rows)


def array_element_type(field: Any, connection: BaseDatabaseWrapper) -> str:
    """PostgreSQL: the element type of an array parameter holding a column's values (unnest, = ANY)."""
    if isinstance(field, models.ForeignKey):
        return array_element_type(field.target_field, connection)
    if isinstance(field, models.CharField | models.TextField):
        # text, not varchar(n): an explicit cast to varchar(n) truncates silently, where the INSERT's
        # assignment to the column rejects a value that is too long (as a VALUES list would), and a
        # comparison with a cut value would match its prefix.
        return "text"
    return str(field.cast_db_type(connection))


def _unnest_insert_sql(connection: BaseDatabaseWrapper, model: type[Model], fields: Sequence[Any]) -> str:
    """PostgreSQL: INSERT … SELECT FROM unnest(one typed array per column)."""
    arrays = ", ".join(f"%s::{array_element_type(field, connection)}[]" for field in fields)
    # Column types and placeholders only; the values go as parameters.
    return f"{_insert_into(connection, model, fields)} SELECT * FROM unnest({arrays})"  # noqa: S608


def _json_insert_sql(connection: BaseDatabaseWrapper, model: type[Model], fields: Sequence[Any]) -> str:
    """PostgreSQL: INSERT … SELECT each element of one JSON array of rows, cast to the column types."""
    values = ", ".join(
        f"(r->>{index})::{array_element_type(field, connection)}" for index, field in enumerate(fields)
    )
    # Positions and column types only; the rows go as one parameter.
    return f"{_insert_into(connection, model, fields)} SELECT {values} FROM json_array_elements(%s::json) r"  # noqa: S608


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date | uuid.UUID):  # datetimes too; ISO text with the offset casts to timestamptz
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    raise TypeError(type(value).__name__)


def _json_rows(rows: Sequence[Sequence[Any]], preparers: Sequence[Callable[[Any], Any]]) -> str | None:
    """The rows as one JSON array of arrays, or None when a value has no exact JSON form (NaN, bytes, …).

    json.dumps encodes it in C, where psycopg dumps one array per column value by value in Python: about
    a third of an upsert's time for a batch of learning records. `json`, not `jsonb`: ->> then returns each
    number's text as written, so floats and bigints cast back exactly.
    """
    try:
        return json.dumps(
            [[prepare(value) for prepare, value in zip(preparers, row, strict=True)] for row in rows],
            default=_json_value,
            allow_nan=False,
        )
    except (TypeError, ValueError):
        return None


def bulk_insert_rows(
    *,
    model: type[Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    prepared: Collection[str] = (),
) -> int:
    """INSERT rows given as tuples of Python values in `fields` order (names or attnames).

    Columns named in `prepared` are passed as they are, already in database form (e.g. JSON text a caller
    has encoded anyway); the others are converted like bulk_insert converts them.
    """
    model_fields = _fields(model, fields)
    connection = connections[router.db_for_write(model)]
    preparers = [
        _passthrough if name in prepared else _preparer(field, connection)
        for name, field in zip(fields, model_fields, strict=True)
    ]
    # Only the columns that need a conversion are touched (most values go to the driver as they are).
    converted = [(index, prepare) for index, prepare in enumerate(preparers) if prepare is not _passthrough]

    def prepared_row(row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for index, prepare in converted:
            values[index] = prepare(values[index])
        return values

    if connection.vendor == "postgresql":
        # COPY: no SQL to build or parse (psycopg splits long parameterised queries in Python).
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in model_fields)
        count = 0
        # wrap_database_errors: a failed COPY raises Django's IntegrityError/DataError, as an INSERT would.
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(prepared_row(row))
                count += 1
        return count
    limit = _max_params(connection)
    per_statement = max(1, min(MAX_ROWS_PER_STATEMENT, limit // len(model_fields)))
    full_sql = _insert_sql(connection, model, model_fields, per_statement)
    count = 0
    params: list[Any] = []
    pending = 0
    with connection.cursor() as cursor:
        for row in rows:
            params.extend(prepared_row(row))
            pending += 1
            if pending == per_statement:
                cursor.execute(full_sql, params)
                count, params, pending = count + pending, [], 0
        if pending:
            cursor.execute(_insert_sql(connection, model, model_fields, pending), params)
            count += pending
    return count


def bulk_upsert_rows(
    *,
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
    prepared: Collection[str] = (),
) -> int:
    """INSERT … ON CONFLICT (unique_fields) DO UPDATE SET each update field to the row's value.

    One multi-row statement per MAX_ROWS_PER_STATEMENT rows on both SQLite (3.24+) and PostgreSQL: the
    caller has computed the final values (e.g. merged under a lock), the database only places them.
    `prepared` as for bulk_insert_rows.
    """
    if not rows:
        return 0
    model_fields = _fields(model, fields)
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    preparers = [
        _passthrough if name in prepared else _preparer(field, connection)
        for name, field in zip(fields, model_fields, strict=True)
    ]
    conflict = ", ".join(quote(field.column) for field in _fields(model, unique_fields))
    updates = ", ".join(
        f"{quote(field.column)} = excluded.{quote(field.column)}" for field in _fields(model, update_fields)
    )
    on_conflict = f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    if connection.vendor == "postgresql":
        # The SQL text is the same for every batch (psycopg parses it once and caches it), where a VALUES
        # list of ~1,000 placeholders is split and bound in Python on every call and planned every time.
        payload = _json_rows(rows, preparers)
        with connection.cursor() as cursor:
            if payload is not None:
                cursor.execute(
                    f"{_json_insert_sql(connection, model, model_fields)} {on_conflict}", [payload]
                )
            else:
                columns = [[prepare(row[index]) for row in rows] for index, prepare in enumerate(preparers)]
                cursor.execute(
                    f"{_unnest_insert_sql(connection, model, model_fields)} {on_conflict}", columns
                )
        return len(rows)
    limit = _max_params(connection)
    per_statement = max(1, min(MAX_ROWS_PER_STATEMENT, limit // len(model_fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [prepare(value) for row in chunk for prepare, value in zip(preparers, row, strict=True)]
            sql = _insert_sql(connection, model, model_fields, len(chunk))
            cursor.execute(f"{sql} {on_conflict}", params)
    return len(rows)


def bulk_insert(*, objs: Sequence[Model], fields: Sequence[str] | None = None) -> int:
    """INSERT unsaved instances of one model. auto_now(_add) columns get one timestamp for the batch."""
    if not objs:
        return 0
    model = type(objs[0])
    concrete = [
        field
        for field in _fields(model, None)
        if fields is None or field.name in fields or field.attname in fields
    ]
    return bulk_insert_rows(
        model=model,
        fields=[field.attname for field in concrete],
        rows=([getattr(obj, field.attname) for field in concrete] for obj in objs),
    )
