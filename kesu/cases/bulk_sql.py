"""Inserting many rows without Django's per-value SQL compilation (bulk import, triage, SLA).

``bulk_create`` compiles every value through the field and the backend; for an import of a
million rows that costs more than the database's own work. ``insert_rows`` (model instances)
and ``insert_tuples`` (plain rows) convert only the values whose ``get_db_prep_save`` is not
the identity, and load the rows with COPY on PostgreSQL (triggers and constraints apply as
for INSERT) or with multi-row INSERTs on SQLite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any

import orjson
from django.db import connection
from django.db.models import Field, Model

from kesu.core.hashchain import orjson_agrees


def insert_rows(
    objs: Sequence[Model], *, returning: bool = True, extra: Mapping[str, Sequence[Any]] | None = None
) -> None:
    """``bulk_create`` for plain tables without Django's per-value SQL compilation.

    Each value goes through its field's ``pre_save`` (for auto_now) and ``get_db_prep_save``
    as in ``bulk_create``, except strings and integers, for which those are the identity.
    With ``returning`` the objects get their primary keys. PostgreSQL loads the rows with
    COPY (row triggers and constraints apply as for INSERT), its keys drawn from the table's
    own sequence first; SQLite uses multi-row INSERT … RETURNING, in row order, as
    ``bulk_create`` does. ``extra``: columns the model does not declare (e.g. the search grams of cases), by
    name, one value per object, passed to the driver as they are.
    """
    if not objs:
        return
    meta = type(objs[0])._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    extra = extra or {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy(cursor, objs, meta, fields, stamped, returning, extra)
        else:
            _insert_values(cursor, objs, meta, fields, stamped, returning, extra)
    alias = connection.alias  # a lookup in the connection handler's thread-local each time
    for obj in objs:
        state = obj._state
        state.adding, state.db = False, alias


def _row_plan(
    fields: list[Any],
) -> tuple[Callable[[Any], tuple[Any, ...]], list[tuple[int, Callable[[Any], Any]]]]:
    """A getter of the fields' raw values as one tuple, and the converters of the few that need one.

    ``attrgetter`` reads all values in C; strings and integers go to the driver as they are
    (``get_db_prep_save`` is the identity for them), so only datetimes, dates, JSON and the
    like are converted, by position.
    """
    getter: Callable[[Any], Any] = attrgetter(*[f.attname for f in fields])
    if len(fields) == 1:
        one = getter
        getter = lambda obj: (one(obj),)  # noqa: E731 - attrgetter of one name returns the value
    converters = [
        (i, _converter(f)) for i, f in enumerate(fields) if _PLAIN.get(f.get_internal_type()) is None
    ]
    return getter, converters


def _values(
    obj: Any, getter: Callable[[Any], tuple[Any, ...]], converters: list[tuple[int, Callable[[Any], Any]]]
) -> Sequence[Any]:
    row = getter(obj)
    if not converters:
        return row
    out = list(row)
    for i, convert in converters:
        out[i] = convert(out[i])
    return out


def _copy(
    cursor: Any,
    objs: Sequence[Model],
    meta: Any,
    fields: list[Any],
    stamped: list[Any],
    returning: bool,
    extra: Mapping[str, Sequence[Any]],
) -> None:
    if returning:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        keys = cursor.fetchall()
        if meta.parents:
            for obj, (pk,) in zip(objs, keys, strict=True):
                obj.pk = pk
        else:  # what the pk setter comes to without parent links
            attname = meta.pk.attname
            for obj, (pk,) in zip(objs, keys, strict=True):
                obj.__dict__[attname] = pk
        fields = [meta.pk, *fields]
    getter, converters = _row_plan(fields)
    qn = connection.ops.quote_name
    columns = ", ".join([*(qn(f.column) for f in fields), *map(qn, extra)])
    with (
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        write = copy.write_row
        for obj, more in zip(objs, _extra_rows(extra, len(objs)), strict=True):
            for f in stamped:
                f.pre_save(obj, True)
            row: Any = getter(obj)
            if converters:
                row = list(row)
                for i, convert in converters:
                    row[i] = convert(row[i])
                if more:
                    row.extend(more)
            elif more:
                row = (*row, *more)
            write(row)


def _extra_rows(extra: Mapping[str, Sequence[Any]], n: int) -> Sequence[tuple[Any, ...]]:
    """The ``extra`` values row by row (``n`` empty tuples when there are none)."""
    return list(zip(*extra.values(), strict=True)) if extra else [()] * n


def _insert_values(
    cursor: Any,
    objs: Sequence[Model],
    meta: Any,
    fields: list[Any],
    stamped: list[Any],
    returning: bool,
    extra: Mapping[str, Sequence[Any]],
) -> None:
    getter, converters = _row_plan(fields)
    qn = connection.ops.quote_name
    columns = ", ".join([*(qn(f.column) for f in fields), *map(qn, extra)])
    head = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES "  # noqa: S608 - quoted names from the model
    tail = connection.ops.return_insert_columns([meta.pk])[0] if returning else ""
    width = len(fields) + len(extra)
    one_row = "(" + ", ".join(["%s"] * width) + ")"
    per_statement = max(1, _max_params() // width)
    more_rows = _extra_rows(extra, len(objs))
    for start in range(0, len(objs), per_statement):
        chunk = objs[start : start + per_statement]
        params: list[Any] = []
        for obj, more in zip(chunk, more_rows[start : start + per_statement], strict=True):
            for f in stamped:
                f.pre_save(obj, True)
            params.extend(_values(obj, getter, converters))
            params.extend(more)
        cursor.execute(f"{head}{', '.join([one_row] * len(chunk))} {tail}", params)
        if returning:
            for obj, row in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = row[0]


_PLAIN = {
    "CharField": str,
    "TextField": str,
    "EmailField": str,
    "IntegerField": int,
    "BigIntegerField": int,
    "PositiveIntegerField": int,
    "ForeignKey": int,
    "SmallIntegerField": int,
    "PositiveSmallIntegerField": int,
    "AutoField": int,
    "BigAutoField": int,
}


def _converter(f: Field[Any, Any]) -> Callable[[Any], Any]:
    """``f.get_db_prep_save`` with short cuts where it reduces to one backend call.

    Strings and integers pass unchanged; an aware datetime, a date and a JSON list or dict go
    straight to ``connection.ops.adapt_*_value`` (what ``get_db_prep_save`` ends with for
    them); anything else takes the full path.
    """
    prep, ops, kind = f.get_db_prep_save, connection.ops, f.get_internal_type()
    plain = _PLAIN.get(kind)
    if plain is str:  # CharField.to_python passes str (and TextChoices members) through
        return lambda v: v if v is None or isinstance(v, str) else prep(v, connection)
    if plain is int:
        return lambda v: v if v is None or v.__class__ is int else prep(v, connection)
    if kind == "DateTimeField":
        # auto_now(_add) values are the time of each row's pre_save: never seen twice
        stamped = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        return _moment_converter(prep, memoise=not stamped)
    if kind == "DateField":
        return lambda v: (
            None
            if v is None
            else ops.adapt_datefield_value(v)
            if v.__class__ is date
            else prep(v, connection)
        )
    if kind == "JSONField":
        encoder = f.encoder  # type: ignore[attr-defined]
        if connection.vendor == "postgresql":
            return _jsonb_converter(prep, ops, encoder)
        return lambda v: (
            ops.adapt_json_value(v, encoder) if v.__class__ in (list, dict) else prep(v, connection)
        )
    return lambda v: prep(v, connection)


def _jsonb_converter(prep: Callable[..., Any], ops: Any, encoder: Any) -> Callable[[Any], Any]:
    """A JSONField's value for PostgreSQL's COPY: ``orjson``'s text where it agrees with ``json``.

    ``adapt_json_value`` wraps the value for psycopg, whose dumper calls ``json.dumps`` in
    Python: ~10 µs for the ``case.created`` event of an imported case. ``jsonb`` keeps the
    parsed value, not the text, so ``orjson``'s text (compact, UTF-8 instead of ``\\u``
    escapes) stores the same value where ``orjson_agrees`` (no floats, which ``orjson`` spells
    differently and writes NaN as null; nothing the encoder would be asked about).
    ``kesu/cases/tests/test_bulk_sql.py`` compares the stored values.
    """

    def jsonb(v: Any) -> Any:
        if v.__class__ is dict or v.__class__ is list:
            if orjson_agrees(v):
                try:
                    return orjson.dumps(v).decode()
                except TypeError:  # a non-str key, an integer beyond 64 bits, a lone surrogate
                    pass
            return ops.adapt_json_value(v, encoder)
        return prep(v, connection)

    return jsonb


#: Text of aware datetimes, memoised per way of writing them (vendor, connection time zone) and
#: shared by all COPYs: an import repeats its event time, each case's receipt (on the case and
#: on its four clocks) and many deadlines (the ends of working days, shared by the receipts of a
#: night). Cleared when one grows past this many entries (some MB).
_MOMENT_MEMO_SIZE = 50_000
_moment_memos: dict[tuple[str, str | None], dict[datetime, str]] = {}


def _moment_converter(prep: Callable[..., Any], *, memoise: bool = True) -> Callable[[Any], Any]:
    """A DateTimeField's ``get_db_prep_save`` for aware datetimes, by the shortest path, memoised.

    PostgreSQL: ``str()`` of the datetime, which is what psycopg's text dumper sends for it
    (the COPY then writes the string as it is) — but psycopg finds that dumper and formats the
    value anew for every value, ~1 µs each. SQLite with the connection in UTC: ``str()`` of the
    naive UTC time, which is what ``adapt_datetimefield_value`` computes through
    ``timezone.make_naive``. Equal datetimes are the same instant, so the text of one stands
    for all (on PostgreSQL it may name another offset: the instant stored is the same) —
    except a second occurrence of a repeated wall time (``fold=1``), which compares equal to
    the first within its zone: it is never memoised. Anything else (naive values, expressions,
    other zones on SQLite) takes the full path. ``memoise`` False: values that never repeat.
    """
    ops = connection.ops
    postgres = connection.vendor == "postgresql"
    in_utc = connection.vendor == "sqlite" and connection.timezone_name == "UTC"
    key = (connection.vendor, None if postgres or in_utc else connection.timezone_name)
    memo: dict[datetime, str] = _moment_memos.setdefault(key, {}) if memoise else _NOWHERE

    def moment(v: Any) -> Any:
        if v.__class__ is datetime and not v.fold:
            out: Any = memo.get(v)
            if out is not None:
                return out
            if v.utcoffset() is not None:
                if postgres:
                    out = str(v)
                elif in_utc:
                    out = str(v.astimezone(UTC).replace(tzinfo=None))
                else:
                    out = ops.adapt_datetimefield_value(v)
                if memoise:
                    if len(memo) >= _MOMENT_MEMO_SIZE:
                        memo.clear()
                    memo[v] = out
                return out
        return None if v is None else prep(v, connection)

    return moment


_NOWHERE: dict[datetime, str] = {}  # the memo of values not memoised: stays empty


def insert_tuples(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """``insert_rows`` for rows given as tuples of ``columns`` (attnames), without keys back.

    For writers that never need model instances (the SLA clocks of an import): the values are
    converted as ``insert_rows`` converts them; the other columns get their fields' defaults.
    """
    if not rows:
        return
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    given = [by_attname[name] for name in columns]
    rest = [f for f in meta.concrete_fields if f is not meta.pk and f.attname not in set(columns)]
    # The defaults are the same on every row: converted once.
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    fields = [*given, *rest]
    converters = [
        (i, _converter(f)) for i, f in enumerate(given) if _PLAIN.get(f.get_internal_type()) is None
    ]
    if converters:
        converted = []
        for row in rows:
            out = list(row)
            for i, convert in converters:
                out[i] = convert(out[i])
            out.extend(defaults)
            converted.append(out)
        rows = converted
    elif defaults:
        rows = [(*row, *defaults) for row in rows]
    qn = connection.ops.quote_name
    names = ", ".join(qn(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {qn(meta.db_table)} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        head = f"INSERT INTO {qn(meta.db_table)} ({names}) VALUES "  # noqa: S608 - quoted names from the model
        one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        per_statement = max(1, _max_params() // len(fields))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(f"{head}{', '.join([one_row] * len(chunk))}", [v for row in chunk for v in row])


def _max_params() -> int:
    """Bind parameters one statement may carry (SQLite's compiled-in limit; 999 elsewhere)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return connection.features.max_query_params or 999
