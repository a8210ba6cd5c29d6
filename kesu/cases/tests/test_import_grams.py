"""Search grams of imported cases: computed in Python for the COPY, equal to the trigger's (ADR 0002)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kesu.cases import search
from kesu.cases.actions import NewCase
from kesu.cases.bulk import ImportRow, do_import_batch
from kesu.cases.models import Case
from kesu.customers.actions import CustomerInput

PG = connection.vendor == "postgresql"
pg_only = pytest.mark.skipif(not PG, reason="the grams column and its trigger are PostgreSQL's")

#: Safe characters (ASCII, CJK, full-width) and unsafe ones (ß, accents, Greek, µ, circled
#: letters, full-width lower case, above U+FFFF), so that both paths are exercised.
TEXT_CHARS = st.sampled_from([*"aAzZ09 -_%\"'\\{},发霉包装破损王伟，。（）　ＡＢ１￥—…", *"ßéΣσµⓐｚ𠀀İı"])
TEXT = st.text(alphabet=TEXT_CHARS, max_size=12)


def trigger_grams(*texts: str) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT kesu_search_grams(VARIADIC %s::text[])::text", [list(texts)])
        return str(cur.fetchone()[0])


def stored_grams_differ() -> list[tuple[int, Any]]:
    """Cases whose stored grams are missing or not what the trigger would compute now."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, search_grams FROM cases_case WHERE search_grams IS NULL OR search_grams"
            " IS DISTINCT FROM kesu_search_grams(title, description, customer_name)"
        )
        return list(cur.fetchall())


def import_texts(*texts: tuple[str, str, str]) -> list[Case]:
    batch = [
        ImportRow(line=i + 2, data=NewCase(kind="complaint", channel="import", title=title,
                                           description=description, org_unit="HQ",
                                           customer=CustomerInput(name=name, phone=f"1380000{i:04d}")))
        for i, (title, description, name) in enumerate(texts)
    ]
    return do_import_batch(batch, actor=None, triage=False).cases


def test_characters_python_and_postgresql_may_upper_case_differently_are_left_to_the_trigger():
    assert search.pg_grams("包装破损", "收到的茶叶发霉了", "Li Lei") is not None
    for text in ("Straße", "café", "Σοφία", "5µm", "ⓐ", "ｚ", "𠀀"):
        assert search.pg_grams("包装破损", text, "") is None, text


def test_grams_are_distinct_signed_codes_in_ascending_order():
    # 霉 is U+9709: its unigram 0x97090000 wraps to a negative int4, as PostgreSQL's << does.
    assert search.pg_grams("aa", "", "霉") == "{" + ",".join(map(str, sorted(
        [0x41 << 16, (0x41 << 16) | 0x41, 0x97090000 - (1 << 32)]))) + "}"
    assert search.pg_grams("", "", "") == "{}"


def reference_grams(*texts: str) -> str | None:
    """``pg_grams`` as first written (unsigned codes wrapped at the end, no memo)."""
    codes: set[int] = set()
    for text in texts:
        if not search._PG_SAFE(text):
            return None
        points = [ord(c) << 16 for c in text.upper()]
        codes.update(points)
        codes.update(a | (b >> 16) for a, b in pairwise(points))
    return "{" + ",".join(map(str, sorted([c - (1 << 32) if c >= 1 << 31 else c for c in codes]))) + "}"


SAFE_CHARS = st.sampled_from(
    [*"aAzZ09 -_%\"'\\{},发霉包装破损王伟，。（）　ＡＢ１￥—…", "\u8000", "\u7fff", "\uffee"]
)
LONG_TEXT = st.one_of(st.text(alphabet=SAFE_CHARS, max_size=60), st.text(alphabet=TEXT_CHARS, max_size=60))


@settings(max_examples=400, deadline=None)
@given(texts=st.tuples(LONG_TEXT, LONG_TEXT, TEXT))
def test_grams_wrapped_as_shifted_and_memoised_equal_the_first_definition(texts: tuple[str, ...]) -> None:
    """Short texts' codes are memoised (titles and names repeat), long ones computed each time."""
    assert search.pg_grams(*texts) == reference_grams(*texts)
    assert search.pg_grams(*texts) == reference_grams(*texts)  # from the memo
    assert search.pg_grams(texts[2], texts[0]) == reference_grams(texts[2], texts[0])


@pg_only
@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.tuples(TEXT, TEXT, TEXT))
def test_python_grams_equal_the_triggers_function(texts: tuple[str, str, str]) -> None:
    expected = search.pg_grams(*texts)
    assert expected is None or expected == trigger_grams(*texts)


@pg_only
@pytest.mark.django_db
def test_imported_cases_carry_the_triggers_grams_and_are_found(org):
    cases = import_texts(
        ("包装破损", "收到的茶叶包装破损，产品发霉了", "王伟"),
        ("iPhone X200", "Screen broke: 50% off?", "O'Brien"),
        ("Café latte", "goût étrange", "Jürgen"),  # left to the trigger
    )
    # The first two bring their grams in the COPY, the third leaves them to the trigger.
    assert [g is None for g in search.insert_columns(cases)["search_grams"]] == [False, False, True]
    assert stored_grams_differ() == []
    assert set(search.matching(Case.objects.all(), "发霉").values_list("pk", flat=True)) == {cases[0].pk}
    assert set(search.matching(Case.objects.all(), "x200").values_list("pk", flat=True)) == {cases[1].pk}
    assert set(search.matching(Case.objects.all(), "ÉTRANGE").values_list("pk", flat=True)) == {cases[2].pk}


@pg_only
@pytest.mark.django_db
def test_a_database_whose_upper_disagrees_gets_every_rows_grams_from_the_trigger(org, monkeypatch):
    monkeypatch.setattr(search, "pg_grams_agree", lambda conn: False)
    assert search.insert_columns([Case(title="a", description="b", customer_name="c")]) == {}
    import_texts(("包装破损", "茶叶发霉了", "王伟"))
    assert stored_grams_differ() == []


@pg_only
@pytest.mark.django_db
def test_the_trigger_still_indexes_other_inserts_and_every_change_of_the_text(make_case):
    case = make_case(title="快递慢", description="等了两周")
    assert stored_grams_differ() == []
    Case.objects.filter(pk=case.pk).update(description="产品发霉了")
    assert stored_grams_differ() == []
    assert list(search.matching(Case.objects.all(), "发霉").values_list("pk", flat=True)) == [case.pk]


@pytest.mark.django_db
def test_imported_cases_are_found_on_either_database(org):
    cases = import_texts(("包装破损", "产品发霉了", "欧阳娜娜"), ("快递慢", "等了两周", "Li Lei"))
    assert list(search.matching(Case.objects.all(), "霉").values_list("pk", flat=True)) == [cases[0].pk]
    assert list(search.matching(Case.objects.all(), "li lei").values_list("pk", flat=True)) == [cases[1].pk]
