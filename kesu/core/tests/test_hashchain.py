"""``canonical`` (orjson where it agrees) writes the bytes of the ``json`` form it replaces.

Every stored hash of both chains was computed from ``canonical_json``'s bytes; a single differing
byte would make ``kesu audit verify`` report intact rows as edited. So: arbitrary payloads, with
every kind of value ``json`` accepts (and some it refuses), give equal bytes or the same error.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections import OrderedDict, namedtuple
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import IntegerChoices, TextChoices
from hypothesis import given, settings
from hypothesis import strategies as st

from kesu.core import hashchain
from kesu.core.hashchain import GENESIS, canonical, canonical_json, chain_hash


class Colour(enum.Enum):
    RED = "red"
    ONE = 1.0


class Kind(TextChoices):
    COMPLAINT = "complaint", "Complaint"


class Level(IntegerChoices):
    HIGH = 3, "High"


class Code(enum.StrEnum):
    A = "a"


class Sub(str):
    def __str__(self) -> str:  # json writes the content, not str(): so must orjson
        return "not me"


class IntSub(int):
    def __repr__(self) -> str:
        return "not me"


Point = namedtuple("Point", "x y")


@dataclasses.dataclass
class Dc:
    a: int = 1


class ListSub(list[Any]):
    pass


#: Every code point, surrogates included (json writes them, UTF-8 refuses them), with the
#: control characters, quotes, backslashes, separators and non-BMP characters weighted up.
CHARS = st.one_of(
    st.characters(codec=None, exclude_categories=()),
    st.sampled_from(
        [
            *'\x00\x01\x08\x09\x0a\x0c\x0d\x1f\x7f\x80"\\/',
            "\u2028",
            "\u2029",
            "\ufeff",
            "\ud800",
            "发",
            "霉",
            "𠀀",
            "😀",
            "é",
        ]
    ),
)
TEXT = st.text(CHARS, max_size=12)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-3, minutes=-30))])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    st.datetimes(timezones=st.one_of(st.none(), ZONES)),
    st.dates(),
    st.times(),
    st.sampled_from(
        [
            Colour.RED,
            Colour.ONE,
            Kind.COMPLAINT,
            Level.HIGH,
            Code.A,
            Sub("content"),
            IntSub(7),
            Point(1, "x"),
            Dc(),
            uuid.UUID(int=12345),
            Decimal("1.50"),
            {1, 2},
            b"raw",
            ListSub([1]),
        ]
    ),
)
KEYS = st.one_of(TEXT, st.sampled_from(["a", "b", "case", "data", "new", "é", "中"]))
ODD_KEYS = st.one_of(st.integers(-5, 5), st.booleans(), st.none(), st.just(Sub("k")))
PAYLOADS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(KEYS, children, max_size=5),
        st.dictionaries(st.one_of(KEYS, ODD_KEYS), children, max_size=3),
        st.dictionaries(KEYS, children, max_size=3).map(OrderedDict),
    ),
    max_leaves=25,
)


def outcome(f: Any, payload: Any) -> tuple[str, Any]:
    try:
        return "bytes", f(payload)
    except Exception as exc:
        return "error", type(exc)


@settings(max_examples=1500, deadline=None)
@given(payload=st.dictionaries(KEYS, PAYLOADS, max_size=6))
def test_canonical_is_the_json_form(payload):
    assert outcome(canonical, payload) == outcome(canonical_json, payload)


@settings(max_examples=500, deadline=None)
@given(payload=st.dictionaries(st.one_of(KEYS, ODD_KEYS), PAYLOADS, max_size=6))
def test_canonical_is_the_json_form_with_odd_keys(payload):
    assert outcome(canonical, payload) == outcome(canonical_json, payload)


UTF8 = st.text(st.characters(codec="utf-8"), max_size=12)
PLAIN = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63 - 1),
        UTF8,
        st.sampled_from([Kind.COMPLAINT, Level.HIGH]),
    ),
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(UTF8, children, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=500, deadline=None)
@given(payload=st.dictionaries(UTF8, PLAIN, max_size=6))
def test_plain_payloads_take_the_fast_path_and_agree(payload):
    """Payloads like events' (strings, integers, choices, nesting) are orjson's, byte-equal."""
    assert hashchain.orjson_agrees(payload, datetimes=True)
    assert canonical(payload) == canonical_json(payload)


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        1e16,
        1e-05,
        float("nan"),
        float("inf"),
        Colour.RED,
        Point(1, 2),
        Dc(),
        ListSub([1]),
        OrderedDict(a=1),
    ],
)
def test_values_orjson_writes_differently_take_the_json_path(value):
    payload = {"data": {"new": [value]}}
    assert not hashchain.orjson_agrees(payload, datetimes=True)
    assert canonical(payload) == canonical_json(payload)


def test_cyclic_payload_is_refused_as_json_refuses_it():
    payload: dict[str, Any] = {"a": []}
    payload["a"].append(payload)
    with pytest.raises(ValueError, match="Circular"):
        canonical(payload)


def test_event_payload_hash_is_unchanged():
    """A known hash of a case.created-like payload, computed with the json form before orjson."""
    payload = {
        "case": "KS-202601-00001", "seq": 1, "type": Kind.COMPLAINT, "actor_id": None, "actor_name": "",
        "at": "2026-12-08T00:08:41+00:00",
        "data": {"new": {
            "title": "物流太慢", "demands": [], "quantity": 13, "at": datetime(2026, 1, 2, tzinfo=UTC),
            "on": date(2026, 1, 2), "t": time(9, 30), "note": "tab\tquote\" \\ \x01 \u2028",
        }},
    }  # fmt: skip
    assert hashchain.orjson_agrees(payload, datetimes=True)
    assert canonical(payload) == canonical_json(payload)
    # computed with the json-only canonical() this module replaced
    assert chain_hash(GENESIS, payload) == "478d3e11bb8dc5a3f48748b0c0ba707e33ee25eb137f4d368880cede28825f92"
