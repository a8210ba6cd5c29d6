"""ORM statements compiled once per process, for the hottest paths (intake: ~20 statements).

Compiling a queryset to SQL costs Django ~0.2–0.5 ms of CPU per query on this hardware, more
than running it; ``Model.save`` compiles its INSERT each time too (~0.05–0.1 ms). Three shapes
are compiled once and reused, per process and database vendor — the SQL is still the ORM's
(or, for ``insert``, the INSERT ``Model.save`` sends):

* ``fixed_rows``: a query whose SQL and parameters never change (the active category tree, a
  singleton settings row);
* ``rows``: a query whose parameters change (an org unit's code): compiled once with marker
  values in place of the arguments, which are then put in by position;
* ``insert``: the INSERT of a few new instances of one model, one round trip with RETURNING
  (the case, its events, its triage row and clocks at intake). Bulk loads have
  ``kesu.cases.bulk_sql.insert_rows`` (COPY, which needs a second round trip for the keys).

Rows come back as the ORM would give them: the compiler's value converters (JSON, SQLite's
booleans and datetimes) are kept with the SQL and applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    converters: dict[int, tuple[list[Any], Any]]  # column → (converter functions, expression)
    args_at: tuple[int, ...] = ()  # ``rows``: where each argument goes in ``params``


_compiled: dict[tuple[str, str], _Compiled] = {}
_inserts: dict[tuple[str, type[Model], int], tuple[str, list[Any]]] = {}


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
    """A value no caller passes, of the argument's type (lookups prepare ints and strings)."""
    return -(2**62) - i if isinstance(like, int) else f"\x00kesu-sqlcache-arg-{i}\x00"


def rows(name: str, build: Callable[..., QuerySet[Any]], *args: Any) -> list[tuple[Any, ...]]:
    """The rows of ``build(*args)``, compiled on the first call with markers for ``args``.

    ``build`` must use each argument as one plain parameter (``field=arg``), which the first
    call checks: each marker must come out as exactly one parameter, unchanged.
    """
    key = (connection.vendor, "rows:" + name)
    compiled = _compiled.get(key)
    if compiled is None:
        markers = [_marker(i, a) for i, a in enumerate(args)]
        compiled = _compile(build(*markers))
        found = [[i for i, p in enumerate(compiled.params) if p == m] for m in markers]
        if any(len(places) != 1 for places in found):
            raise ValueError(f"sqlcache.rows({name!r}): each argument must be one parameter")
        compiled = _compiled[key] = replace(compiled, args_at=tuple(places[0] for places in found))
    params = list(compiled.params)
    for at, arg in zip(compiled.args_at, args, strict=True):
        params[at] = arg
    return _fetch(compiled, params)


def _fetch(compiled: _Compiled, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(compiled.sql, params)
        found = cur.fetchall()
    if not compiled.converters:
        return list(found)
    return [_converted(row, compiled.converters) for row in found]


def _converted(row: Sequence[Any], converters: dict[int, tuple[list[Any], Any]]) -> tuple[Any, ...]:
    """``SQLCompiler.apply_converters`` for one row, with this thread's connection."""
    values = list(row)
    for at, (functions, expression) in converters.items():
        for convert in functions:
            values[at] = convert(values[at], expression, connection)
    return tuple(values)


def insert(objs: Sequence[Model]) -> None:
    """INSERT new instances of one model, as ``obj.save(force_insert=True)`` would, in one
    statement; the objects get their primary keys. No signals are sent (kesu has none).

    Each value goes through its field's ``pre_save`` (``auto_now``) and ``get_db_prep_save``,
    as in ``save``; only the statement's text is remembered, per model and row count.
    """
    if not objs:
        return
    model = type(objs[0])
    key = (connection.vendor, model, len(objs))
    compiled = _inserts.get(key)
    if compiled is None:
        compiled = _inserts[key] = _insert_sql(model, len(objs))
    sql, fields = compiled
    params: list[Any] = []
    for obj in objs:
        # As in save: ids of related objects saved since they were assigned, unsaved ones refused.
        obj._prepare_related_fields_for_save(operation_name="insert")  # type: ignore[attr-defined]
        params += [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        keys = cur.fetchall()
    for obj, (pk,) in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias


def _insert_sql(model: type[Model], n: int) -> tuple[str, list[Any]]:
    meta, qn = model._meta, connection.ops.quote_name
    assert not meta.parents, "one table per model: no multi-table inheritance"
    fields = [f for f in meta.local_concrete_fields if f is not meta.pk and not f.generated]
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = connection.ops.return_insert_columns([meta.pk])[0]
    sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
           f"VALUES {', '.join([one] * n)} {returning}")
    return sql, fields
