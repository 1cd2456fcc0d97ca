"""Set-based inserts through PostgreSQL ``COPY``: one statement per table, whatever the row count.

``Model.objects.bulk_create`` on PostgreSQL binds every column as an array (``UNNEST``) that
psycopg quotes element by element in Python, and builds a model instance per row: for the RNCP
import (60,000 rows per 2,500 fiches) that was over half of the import's CPU. ``copy_insert``
streams plain tuples through ``COPY … FROM STDIN`` (psycopg's C writer) with the primary keys
taken from the table's own sequence beforehand, so that children can point at their parents
without reading anything back.

The statements go through the connection's execute wrappers and, when queries are logged
(``CaptureQueriesContext``, ``DEBUG``), into ``connection.queries``: a COPY counts as a query.
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


def next_ids(model: type[Model], count: int) -> list[int]:
    """``count`` fresh primary keys from ``model``'s identity sequence (one query)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_insert(
    model: type[Model], columns: Sequence[str], rows: Sequence[Sequence], *, json_columns: Sequence[str] = ()
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, database column names) into ``model``'s table.

    Values are Python values psycopg adapts (``str``, ``int``, ``bool``, ``date``, ``UUID``,
    ``None``); the values of ``json_columns`` are written as JSON. Nothing is validated here: the caller
    checked the rows (the database's constraints still apply). Returns the row count.
    """
    if not rows:
        return 0
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
    as_json = [columns.index(c) for c in json_columns]

    def run(sql, params, many, context):
        cursor = context["cursor"]
        with cursor.cursor.copy(sql) as copy:
            if as_json:
                for row in rows:
                    row = list(row)
                    for i in as_json:
                        if row[i] is not None:
                            row[i] = json.dumps(row[i], ensure_ascii=False)
                    copy.write_row(row)
            else:
                for row in rows:
                    copy.write_row(row)

    with connection.cursor() as cursor:
        executor = run
        for wrapper in reversed(connection.execute_wrappers):
            executor = functools.partial(wrapper, executor)
        context = {"connection": connection, "cursor": cursor}
        debug_sql = getattr(cursor, "debug_sql", None)
        if debug_sql is not None:  # CursorDebugWrapper: the COPY shows in connection.queries
            with debug_sql(sql):
                executor(sql, None, False, context)
        else:
            executor(sql, None, False, context)
    return len(rows)


def next_ids_many(counts: Sequence[tuple[type[Model], int]]) -> list[list[int]]:
    """:func:`next_ids` for several tables in one query (one list per ``(model, count)``)."""
    wanted = [(model, count) for model, count in counts if count > 0]
    out: dict[type[Model], list[int]] = {}
    if wanted:
        selects = ", ".join(
            "(SELECT array_agg(nextval(pg_get_serial_sequence(%s, %s))) FROM generate_series(1, %s))"
            for _ in wanted
        )
        params = [x for model, count in wanted for x in (model._meta.db_table, model._meta.pk.column, count)]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {selects}", params)  # noqa: S608 - placeholders only
            row = cursor.fetchone()
        out = {model: sorted(ids) for (model, _count), ids in zip(wanted, row, strict=True)}
    return [out.get(model, []) for model, _count in counts]


def _row_values(obj: Model, fields, encoders: dict, *, add: bool) -> list:
    """``fields`` of ``obj`` as COPY writes them (``pre_save``, enums as their value, JSON encoded)."""
    row: list = []
    for f in fields:
        value = f.pre_save(obj, add=add)
        if isinstance(value, enum.Enum):
            value = value.value
        elif f.column in encoders and value is not None:
            value = json.dumps(value, cls=encoders[f.column], ensure_ascii=False)
        row.append(value)
    return row


def _json_encoders(fields) -> dict:
    return {f.column: getattr(f, "encoder", None) for f in fields if f.get_internal_type() == "JSONField"}


def copy_create(objs: Sequence[M]) -> list[M]:
    """``bulk_create`` through :func:`copy_insert`: the instances (one model) get their primary
    keys from the sequence and are marked saved. Fields are taken as the instances hold them
    (``auto_now``/``auto_now_add`` set here, enums as their value); no ``get_db_prep_save``."""
    if not objs:
        return []
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    encoders = _json_encoders(fields)
    ids = next_ids(model, len(objs))
    rows = []
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        rows.append([pk, *_row_values(obj, fields, encoders, add=True)])
        obj._state.adding = False
        obj._state.db = connection.alias
    columns = [str(model._meta.pk.column), *(str(f.column) for f in fields)]
    copy_insert(model, columns, rows)
    return list(objs)


def copy_update(objs: Sequence[Model], field_names: Sequence[str]) -> int:
    """``bulk_update(objs, field_names)`` set-based: the new values go by ``COPY`` into a
    temporary table shaped like the model's (no rows read), then one ``UPDATE … FROM`` it by
    primary key. ``bulk_update``'s ``CASE WHEN id = … THEN …`` per column and row costs Python
    and the planner time that grows with the batch and with each value's size (the RNCP
    import's 20 KB ``source``). Runs inside the caller's transaction; returns the row count."""
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    fields: list[Any] = [meta.get_field(name) for name in field_names]
    encoders = _json_encoders(fields)
    qn = connection.ops.quote_name
    table, pk = qn(meta.db_table), qn(str(meta.pk.column))
    staging = qn(f"copy_update_{meta.db_table}")
    columns = [str(meta.pk.column), *(str(f.column) for f in fields)]
    listed = ", ".join(qn(c) for c in columns)
    rows = [[obj.pk, *_row_values(obj, fields, encoders, add=False)] for obj in objs]

    class Staging:  # copy_insert's target: the temporary table
        class _meta:  # noqa: N801
            db_table = f"copy_update_{meta.db_table}"

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(f"CREATE TEMP TABLE {staging} AS SELECT {listed} FROM {table} WITH NO DATA")  # noqa: S608
        copy_insert(Staging, columns, rows)  # type: ignore[arg-type]
        assignments = ", ".join(f"{qn(c)} = s.{qn(c)}" for c in columns[1:])
        cursor.execute(f"UPDATE {table} t SET {assignments} FROM {staging} s WHERE t.{pk} = s.{pk}")  # noqa: S608
        count = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
    return count
