"""``bulk_sql``'s short cuts store what ``get_db_prep_save`` would have stored.

* JSON on PostgreSQL: ``orjson``'s text where it agrees with ``json``; ``jsonb`` keeps the parsed
  value, compared here as PostgreSQL prints it back (``::jsonb::text``).
* Aware datetimes: their text, memoised; the stored instant is the one psycopg's dumper (or, on
  SQLite, ``adapt_datetimefield_value``) gives, also for values that compare equal without
  being the same instant (the second occurrence of a repeated wall time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import IntegerChoices, TextChoices
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kesu.cases.bulk_sql import _converter
from kesu.cases.models import Case, CaseEvent

PG = connection.vendor == "postgresql"
pytestmark = pytest.mark.django_db


class Kind(TextChoices):
    COMPLAINT = "complaint", "Complaint"


class Level(IntegerChoices):
    HIGH = 3, "High"


TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8", exclude_characters="\x00"),
        st.sampled_from([*"\x01\x08\t\n\x0c\r\x1f\x7f\"\\/", "\u2028", "\ufeff", "发", "霉", "𠀀", "é"]),
    ),
    max_size=10,
)
JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        TEXT,
        st.sampled_from([Kind.COMPLAINT, Level.HIGH]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(TEXT, children, max_size=4),
    ),
    max_leaves=20,
)


def stored_jsonb(param: Any) -> tuple[str, Any]:
    """What PostgreSQL stores for ``param`` in a jsonb column, as it prints it (or the error)."""
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT %s::jsonb::text", [param])
            return "stored", cur.fetchone()[0]
    except DatabaseError as exc:
        return "error", type(exc)


@pytest.mark.skipif(not PG, reason="jsonb is PostgreSQL's")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.lists(JSON, max_size=4), st.dictionaries(TEXT, JSON, max_size=5)))
def test_json_values_store_what_the_jsonb_dumper_stores(value):
    for model, name in ((Case, "demands"), (CaseEvent, "data")):
        f = model._meta.get_field(name)
        assert stored_jsonb(_converter(f)(value)) == stored_jsonb(f.get_db_prep_save(value, connection))


@pytest.mark.skipif(not PG, reason="jsonb is PostgreSQL's")
def test_json_short_cut_is_taken_for_plain_values_only():
    f = CaseEvent._meta.get_field("data")
    convert = _converter(f)
    assert convert({"new": {"title": "发霉", "demands": ["refund"], "n": 3, "kind": Kind.COMPLAINT}}) == (
        '{"new":{"title":"发霉","demands":["refund"],"n":3,"kind":"complaint"}}'
    )
    assert not isinstance(convert({"x": 1.5}), str)  # floats: json's spelling, psycopg's dumper
    assert not isinstance(convert({"x": 2**64}), str)  # beyond orjson's integers
    assert stored_jsonb(convert({"x": 2**64})) == ("stored", '{"x": 18446744073709551616}')
    assert stored_jsonb(convert({"s": "a\x00b"}))[0] == "error"  # as json's "\u0000" is refused


SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, SH, NY, timezone(timedelta(hours=5, minutes=45))]),
    allow_imaginary=True,
)  # fmt: skip


def stored_instant(param: Any) -> datetime:
    """The instant a timestamptz column stores for ``param`` (SQLite: the text, read as UTC)."""
    if PG:
        with connection.cursor() as cur:
            cur.execute("SELECT %s::timestamptz", [param])
            return cur.fetchone()[0]
    return datetime.fromisoformat(param).replace(tzinfo=UTC)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(MOMENTS, min_size=1, max_size=6))
def test_datetimes_store_the_instant_get_db_prep_save_stores(values):
    f = Case._meta.get_field("received_at")
    convert = _converter(f)  # one memo for the list, as for one COPY
    values = values + [v.replace(fold=1 - v.fold) for v in values] + values
    for v in values:
        got = convert(v)
        expected = f.get_db_prep_save(v, connection)
        if not PG:
            assert got == expected  # the very text
        assert stored_instant(got) == stored_instant(expected) == v.astimezone(UTC)


def test_none_and_naive_datetimes_take_the_full_path():
    f = Case._meta.get_field("received_at")
    convert = _converter(f)
    assert convert(None) is None
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        naive = datetime(2026, 1, 2, 3, 4)
        assert convert(naive) == f.get_db_prep_save(naive, connection)


def test_the_second_of_a_repeated_wall_time_is_not_taken_for_the_first():
    f = Case._meta.get_field("received_at")
    convert = _converter(f)
    first = datetime(2026, 11, 1, 1, 30, tzinfo=NY)  # 05:30 UTC; at 02:00 clocks go back to 01:00
    second = first.replace(fold=1)  # 06:30 UTC, yet == first (same zone, fold ignored)
    assert first == second
    assert stored_instant(convert(first)) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert stored_instant(convert(second)) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
