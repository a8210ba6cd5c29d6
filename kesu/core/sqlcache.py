"""ORM statements compiled once per process, for the hottest paths (intake: ~15 statements).

Compiling a queryset to SQL costs Django ~0.2–0.5 ms of CPU per query on this hardware, more
than running it; ``Model.save`` compiles its INSERT each time too (~0.05–0.1 ms). Three shapes
are compiled once and reused, per process and database vendor — the SQL is still the ORM's
(or, for ``insert``, the INSERT ``Model.save`` sends):

* ``fixed_rows``: a query whose SQL and parameters never change (the active category tree, a
  singleton settings row);
* ``rows``: a query whose parameters change (an org unit's code): compiled once with marker
  values in place of the arguments, which are then put in by position;
* ``insert``: the INSERT of a few new instances of one model, one round trip with RETURNING
  (the case, its events, its triage row and clocks at intake); on PostgreSQL more than 50
  values go as one array per column (psycopg keeps its parse only of shorter statements).
  Bulk loads have ``kesu.cases.bulk_sql.insert_rows`` (COPY, which needs a second round trip
  for the keys). ``insert_unless_conflict`` adds ``ON CONFLICT DO NOTHING`` (no savepoint),
  ``insert_with_parent`` writes a new row and its child in one statement on PostgreSQL, and
  ``typed_select`` gives the ``INSERT … SELECT`` that a statement continues with ``FROM <CTE>``
  (``kesu.cases.events``: an event written only if its head UPDATE matched).

Each statement saved is ~0.1–0.2 ms of PostgreSQL's CPU (parse, plan, protocol) and ~0.05–0.1
ms of the web process's (Django's cursor, psycopg's parameter quoting).

Rows come back as the ORM would give them: the compiler's value converters (JSON, SQLite's
booleans and datetimes) are kept with the SQL and applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    converters: dict[int, tuple[list[Any], Any]]  # column → (converter functions, expression)
    args_at: tuple[int, ...] = ()  # ``rows``: where each argument goes in ``params``
    adapt_at: tuple[bool, ...] = ()  # ``rows``: which arguments are adapted as datetimes first


_compiled: dict[tuple[str, str], _Compiled] = {}
_inserts: dict[tuple[str, type[Model], int | str], tuple[str, list[Any]]] = {}


def _compile(qs: QuerySet[Any]) -> _Compiled:
    """The queryset's SQL, parameters and value converters, as ``QuerySet.__iter__`` gets them."""
    compiler = qs.query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    columns = [s[0] for s in compiler.select[: compiler.col_count]]
    return _Compiled(sql, tuple(params), compiler.get_converters(columns))


def fixed_rows(name: str, build: Callable[[], QuerySet[Any]]) -> list[tuple[Any, ...]]:
    """The rows of ``build()``, whose SQL is compiled on the first call only; ``name`` keys it."""
    key = (connection.vendor, name)
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compiled[key] = _compile(build())
    return _fetch(compiled, compiled.params)


def _marker(i: int, like: Any) -> Any:
    """A value no caller passes, of the argument's type (lookups prepare ints, strings and
    aware datetimes: a datetime marker is a second of the year 2)."""
    if isinstance(like, datetime):
        return datetime(2, 1, 1, tzinfo=UTC) + timedelta(seconds=i)
    return -(2**62) - i if isinstance(like, int) else f"\x00kesu-sqlcache-arg-{i}\x00"


def rows(name: str, build: Callable[..., QuerySet[Any]], *args: Any) -> list[tuple[Any, ...]]:
    """The rows of ``build(*args)``, compiled on the first call with markers for ``args``.

    ``build`` must use each argument as one plain parameter (``field=arg``), which the first
    call checks: each marker must come out as exactly one parameter, unchanged — or, for an
    aware datetime, adapted as a ``DateTimeField`` adapts it (SQLite's text), which later
    arguments then are too. ``name`` keys the SQL: a query whose text depends on more than the
    arguments (a slice's LIMIT, say) needs a name per text.
    """
    key = (connection.vendor, "rows:" + name)
    compiled = _compiled.get(key)
    if compiled is None:
        markers = [_marker(i, a) for i, a in enumerate(args)]
        compiled = _compile(build(*markers))
        places, adapted = [], []
        for m in markers:
            raw = [i for i, p in enumerate(compiled.params) if p == m]
            as_db = ([i for i, p in enumerate(compiled.params) if p == _adapt_datetime(m)]
                     if isinstance(m, datetime) and not raw else [])
            if len(raw) + len(as_db) != 1:
                raise ValueError(f"sqlcache.rows({name!r}): each argument must be one parameter")
            places.append((raw or as_db)[0])
            adapted.append(bool(as_db))
        compiled = _compiled[key] = replace(compiled, args_at=tuple(places), adapt_at=tuple(adapted))
    params = list(compiled.params)
    for at, adapt, arg in zip(compiled.args_at, compiled.adapt_at, args, strict=True):
        params[at] = _adapt_datetime(arg) if adapt else arg
    return _fetch(compiled, params)


def _adapt_datetime(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _fetch(compiled: _Compiled, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.cursor() as cur:
        cur.execute(compiled.sql, params)
        found = cur.fetchall()
    if not compiled.converters:
        return list(found)
    return [_converted(row, compiled.converters, conn) for row in found]


def _converted(row: Sequence[Any], converters: dict[int, tuple[list[Any], Any]], conn: Any
               ) -> tuple[Any, ...]:
    """``SQLCompiler.apply_converters`` for one row, with this thread's connection."""
    values = list(row)
    for at, (functions, expression) in converters.items():
        for convert in functions:
            values[at] = convert(values[at], expression, conn)
    return tuple(values)


def insert(objs: Sequence[Model]) -> None:
    """INSERT new instances of one model, as ``obj.save(force_insert=True)`` would, in one
    statement; the objects get their primary keys. No signals are sent (kesu has none).

    Each value goes through its field's ``pre_save`` (``auto_now``) and ``get_db_prep_save``,
    as in ``save``; only the statement's text is remembered, per model and row count.
    """
    if not objs:
        return
    model, conn = type(objs[0]), connections[DEFAULT_DB_ALIAS]
    columns = _unnest_sql(model) if conn.vendor == "postgresql" and len(objs) > 1 else None
    if columns is not None and len(objs) * len(columns[1]) > MAX_CACHED_PARAMS:
        sql, fields = columns
        rows = [insert_params(obj, fields, conn) for obj in objs]
        params: list[Any] = [list(column) for column in zip(*rows, strict=True)]
    else:
        sql, fields = insert_sql(model, len(objs))
        params = [value for obj in objs for value in insert_params(obj, fields, conn)]
    with conn.cursor() as cur:
        cur.execute(sql, params)
        keys = cur.fetchall()
    saved(objs, [pk for (pk,) in keys], conn.alias)


#: psycopg parses a statement's placeholders once and keeps the result only for statements of
#: at most this many parameters (``psycopg._queries.MAX_CACHED_STATEMENT_PARAMS``); a longer
#: one is parsed again on every execution (~0.1–0.3 ms for intake's four clocks, 68 values).
MAX_CACHED_PARAMS = 50
#: Column types an ``unnest`` of parameter arrays carries as given (no JSON, no arrays).
_UNNEST_TYPES = frozenset({"bigint", "integer", "smallint", "varchar", "timestamp with time zone", "boolean",
                           "double precision", "date", "text", "uuid", "numeric"})


def _unnest_sql(model: type[Model]) -> tuple[str, list[Any]] | None:
    """PostgreSQL: ``INSERT INTO <model> (<columns>) SELECT * FROM unnest(CAST(%s AS <type>[]), …)
    RETURNING id``, one array parameter per column whatever the number of rows, so that psycopg
    keeps its parse of the statement; the rows go in (and their keys come back) in order. None
    when a column's type is not a plain scalar (``insert`` then sends a VALUES list)."""
    key = (connection.vendor, model, "unnest")
    if key in _inserts:
        found = _inserts[key]
        return found if found[0] else None
    meta, qn = model._meta, connection.ops.quote_name
    fields = _insert_fields(model)
    types = [f.db_type(connection).split("(")[0] for f in fields]
    if not all(t in _UNNEST_TYPES for t in types):
        _inserts[key] = ("", [])
        return None
    arrays = ", ".join(f"CAST(%s AS {t}[])" for t in types)
    returning = connection.ops.return_insert_columns([meta.pk])[0]
    sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
           f"SELECT * FROM unnest({arrays}) {returning}")
    _inserts[key] = (sql, fields)
    return sql, fields


def insert_unless_conflict(obj: Model, target: str) -> bool:
    """INSERT ``obj`` as ``insert`` does, unless it conflicts with a unique index (``target``, the
    SQL after ``ON CONFLICT``: ``("phone_key") WHERE …`` for a partial one). True if it was
    written (it then has its key); False if a row with its values exists or was just committed
    by a concurrent writer. One statement, and no savepoint to catch an ``IntegrityError``.
    """
    model = type(obj)
    key = (connection.vendor, model, target)
    compiled = _inserts.get(key)
    if compiled is None:
        sql, fields = insert_sql(model)
        returning = connection.ops.return_insert_columns([model._meta.pk])[0]
        assert sql.endswith(" " + returning)
        sql = f"{sql[: -len(returning) - 1]} ON CONFLICT {target} DO NOTHING {returning}"
        compiled = _inserts[key] = (sql, fields)
    sql, fields = compiled
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.cursor() as cur:
        cur.execute(sql, insert_params(obj, fields, conn))
        found = cur.fetchone()
    if found is None:
        return False
    saved([obj], [found[0]], conn.alias)
    return True


def insert_with_parent(parent: Model, child: Model, fk: str, *,
                       parent_extra: Sequence[tuple[str, str, Any]] = ()) -> None:
    """INSERT the new ``parent`` and its new ``child`` (whose foreign key ``fk``, an attname,
    points to ``parent``) in one statement on PostgreSQL — ``WITH p AS (INSERT … RETURNING id)
    INSERT … SELECT p.id, … FROM p`` — and in two elsewhere; both get their keys.

    For intake's case and its first event: one round trip, and one statement for PostgreSQL to
    parse and plan, fewer. The child's other relations must be saved already (not checked).
    ``parent_extra``: (column, SQL type, value) of columns the model does not know (the case's
    search grams), written with the parent on PostgreSQL only.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        insert([parent])
        insert([child])
        return
    parent_model, child_model = type(parent), type(child)
    extra = tuple((column, type_) for column, type_, _value in parent_extra)
    key = (conn.vendor, child_model, f"parent:{parent_model._meta.label}:{fk}:{extra}")
    compiled = _inserts.get(key)
    if compiled is None:
        parent_sql, _fields = _insert_sql(parent_model, 1, extra)
        select, child_fields = typed_select(child_model, given={fk: "p.id"})
        qn, pk = conn.ops.quote_name, child_model._meta.pk
        fk_column = next(f.column for f in child_model._meta.concrete_fields if f.attname == fk)
        sql = f"WITH p AS ({parent_sql}) {select} FROM p RETURNING {qn(pk.column)}, {qn(fk_column)}"
        compiled = _inserts[key] = (sql, child_fields)
    sql, child_fields = compiled
    _parent_sql, parent_fields = insert_sql(parent_model)
    params = insert_params(parent, parent_fields, conn) + [value for _c, _t, value in parent_extra]
    params += [f.get_db_prep_save(f.pre_save(child, True), conn) for f in child_fields]
    with conn.cursor() as cur:
        cur.execute(sql, params)
        child_pk, parent_pk = cur.fetchone()
    saved([parent], [parent_pk], conn.alias)
    # By the relation's name, as ``save`` does for a parent saved after the assignment: the
    # child keeps ``parent`` cached and takes its key.
    setattr(child, next(f.name for f in child_model._meta.concrete_fields if f.attname == fk), parent)
    saved([child], [child_pk], conn.alias)


def insert_params(obj: Model, fields: Sequence[Any], conn: Any) -> list[Any]:
    """The values of ``obj``'s ``fields`` as ``save`` sends them in its INSERT.

    ``conn`` is the connection itself, not ``django.db.connection``: each value's preparation
    asks it for its ``ops`` several times, and every hop through the proxy costs a lookup of
    the thread's connection (~1 µs; an intake prepares ~150 values).
    """
    # As in save: ids of related objects saved since they were assigned, unsaved ones refused.
    obj._prepare_related_fields_for_save(operation_name="insert")  # type: ignore[attr-defined]
    return [f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields]


def saved(objs: Sequence[Model], keys: Sequence[Any], alias: str = DEFAULT_DB_ALIAS) -> None:
    """Mark ``objs`` as stored with these primary keys, as ``save`` leaves them."""
    for obj, pk in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, alias


def insert_sql(model: type[Model], n: int = 1) -> tuple[str, list[Any]]:
    """``insert``'s statement for ``n`` rows of ``model`` and the fields of its parameters."""
    key = (connection.vendor, model, n)
    compiled = _inserts.get(key)
    if compiled is None:
        compiled = _inserts[key] = _insert_sql(model, n)
    return compiled


def typed_select(model: type[Model], *, given: dict[str, str] | None = None) -> tuple[str, list[Any]]:
    """``INSERT INTO <model> (<columns>) SELECT CAST(%s AS <type>), …`` (PostgreSQL) and the fields
    of its parameters: for an INSERT that goes on with ``FROM <a CTE>``, so that it writes only if
    the CTE's statement did. Each value is cast to its column's type, since a SELECT list does
    not take the target columns' types as a VALUES list does. ``given``: SQL expressions for some
    fields (attname → expression), which then take no parameter.
    """
    given = given or {}
    key = (connection.vendor, model, "select:" + repr(sorted(given.items())))
    compiled = _inserts.get(key)
    if compiled is None:
        meta, qn = model._meta, connection.ops.quote_name
        fields = _insert_fields(model)
        # Types without their modifiers (varchar, not varchar(40)): a too long value then fails
        # the column's check as in a VALUES list, instead of being cut short by the CAST.
        values = ", ".join(given.get(f.attname) or f"CAST(%s AS {f.db_type(connection).split('(')[0]})"
                           for f in fields)
        sql = f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) SELECT {values}"
        compiled = _inserts[key] = (sql, [f for f in fields if f.attname not in given])
    return compiled


def _insert_fields(model: type[Model]) -> list[Any]:
    meta = model._meta
    assert not meta.parents, "one table per model: no multi-table inheritance"
    return [f for f in meta.local_concrete_fields if f is not meta.pk and not f.generated]


def _insert_sql(model: type[Model], n: int, extra: Sequence[tuple[str, str]] = ()) -> tuple[str, list[Any]]:
    """The INSERT of ``n`` rows; ``extra``: (column, SQL type) after the fields' columns."""
    meta, qn = model._meta, connection.ops.quote_name
    fields = _insert_fields(model)
    columns = [qn(f.column) for f in fields] + [qn(column) for column, _type in extra]
    one = "(" + ", ".join(["%s"] * len(fields) + [f"CAST(%s AS {type_})" for _c, type_ in extra]) + ")"
    returning = connection.ops.return_insert_columns([meta.pk])[0]
    sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
           f"VALUES {', '.join([one] * n)} {returning}")
    return sql, fields
