"""Chinese text search over title, description and customer name (ADR 0002).

Substring semantics: a query matches a case when each of its whitespace-separated terms
occurs in one of those fields, so 发霉 finds 产品发霉了 and so does 霉 — no word segmentation
can make a search miss. The result is, by construction, exactly the set Django's
``icontains`` gives on the database in use (ASCII-only case folding on SQLite, the
collation's ``upper()`` on PostgreSQL).

How: an index of *grams* — every character and every pair of adjacent characters of each
field. A term of one or two characters matches exactly the cases holding its gram, so the
index alone answers it. A longer term needs all its bigrams; that is necessary but not
sufficient (the bigrams may sit apart or in different fields), so those cases are re-checked
with ``icontains``, which then runs only over the few candidates. The SQL is in
``kesu.cases.search_sql``.

Keeping the index current: on PostgreSQL a trigger computes the grams on every insert that
does not bring them and on every change of the three fields, so no write path can forget it
(the bulk import brings them: :func:`pg_grams`). On SQLite the callers do:
``do_create_case`` calls :func:`index_case`, bulk writers call :func:`index_cases`, in the
same transaction as the write. ``kesu search rebuild`` (:func:`rebuild_index`) repairs
either.

Planning: :func:`matching` is not entirely lazy. To give the database's planner a fair idea
of how many cases match (it otherwise mistakes common phrases for rare ones, and SQLite
sorts every hit), it may run one small query when called (two for a common multi-gram
phrase on PostgreSQL): element statistics, a count of at most a few hundred candidates.
Exact counts of very common terms are slow by nature; see :func:`count_capped`.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import Expression
from django.db.models.sql.compiler import SQLCompiler

from kesu.cases import search_sql as sql
from kesu.cases.models import Case

FIELDS = ("title", "description", "customer_name")
#: Up to this many hits, a multi-gram PostgreSQL search hands the planner the ids themselves;
#: also the least number of candidates for which SQLite walks the received_at index.
PROBE_LIMIT = 500
#: A query found in this many of the newest this-many cases of the list is common enough to
#: page through the received_at index without a probe (PostgreSQL) or the FTS5 index (SQLite).
SAMPLE_ROWS, SAMPLE_HITS = 1000, 10
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_CHUNK = 500


def terms_of(query: str) -> list[str]:
    """The distinct terms of ``query``, leaving out any term contained in another one.

    ``发霉 霉`` needs only 发霉: wherever 发霉 occurs, 霉 occurs in the same field.
    """
    distinct = list(dict.fromkeys(query.split()))
    return [t for t in distinct if not any(t != other and t in other for other in distinct)]


def matching(qs: QuerySet[Case], query: str) -> QuerySet[Case]:
    """Cases of ``qs`` in which every term of ``query`` occurs in title, description or name.

    Composes like any filter (scope, status, dates, ordering, slicing, ``count()``). A blank
    query returns ``qs`` unchanged. Characters that are special in tsquery or FTS5 syntax
    are plain characters here: the query never reaches either parser as syntax.
    """
    terms = terms_of(query)
    if not terms or qs.query.is_empty():
        return qs
    if any("\x00" in t for t in terms):
        return qs.none()  # no stored text can contain NUL (PostgreSQL refuses it)
    vendor = connections[qs.db].vendor
    if vendor == "postgresql":
        return _pg_matching(qs, terms)
    if vendor == "sqlite":
        return _sqlite_matching(qs, terms)
    return qs.filter(contains_all_q(terms))


def _sqlite_matching(qs: QuerySet[Case], terms: list[str]) -> QuerySet[Case]:
    """FTS5 candidates (exact for terms of up to two characters), re-checked beyond.

    A query common among the newest cases is not looked up at all: its first page is within
    a few hundred rows of the received_at index, and the FTS5 intersection of its grams'
    posting lists (hundreds of milliseconds for 12315 or 的 at a million cases) is not needed.
    A cheap count of the candidates picks the SQL shape (see ``sql.SQLITE_IN_FILTER``): a
    term in more than about 1/32 of the cases is filtered, not driven from — sorting that
    many hits for the first page would cost more than the count's scan of an index.
    """
    if _common_in_recent(qs, terms):
        return qs.filter(contains_all_q(terms))  # LIKE is icontains here: exact, and a page is near
    expr = fts_query(terms)
    with connections[qs.db].cursor() as cur:
        cur.execute(sql.SQLITE_PROBE, [expr, PROBE_LIMIT, PROBE_LIMIT])
        threshold, candidates = cur.fetchone()
    if candidates == 0:
        return qs.none()
    qs = qs.filter(FtsMatch(expr, walk=candidates > threshold))
    recheck = [t for t in terms if len(t) > 2]
    return qs.filter(contains_all_q(recheck)) if recheck else qs


def count_capped(qs: QuerySet[Case], cap: int = 1000) -> tuple[int, bool]:
    """``(count, exact)``: the exact count up to ``cap``, else ``(cap, False)`` ("1,000+").

    An exact count must visit every hit's row, so it grows with the hits: hundreds of
    milliseconds for a character found in most of a million cases. The first page never
    does (ADR 0002). Lists that search can show "more than {cap}" from this instead.
    """
    n = qs.order_by()[: cap + 1].count()
    return (n, True) if n <= cap else (cap, False)


def contains_q(term: str) -> Q:
    """The truth the index must agree with: ``term`` occurs in one of the fields."""
    q = Q()
    for field in FIELDS:
        q |= Q(**{f"{field}__icontains": term})
    return q


def contains_all_q(terms: Iterable[str]) -> Q:
    """Every term occurs, each in any of the fields (the ``icontains`` truth for a query)."""
    q = Q()
    for term in terms:
        q &= contains_q(term)
    return q



def _pg_matching(qs: QuerySet[Case], terms: list[str]) -> QuerySet[Case]:
    """The gram test (plus the recheck of long terms), shaped so the planner gets it right.

    One gram: its statistics are accurate, the plain test is best. Several grams: PostgreSQL
    multiplies their frequencies (and guesses a LIKE recheck to be rare), so a common phrase
    looks rare and the first page would sort every hit. If some gram is rare (not among the
    most common elements) the phrase is rare too and the plain test is right; so it is when
    the planner will expect many rows anyway. Otherwise the phrase's density among the newest
    cases (``_common_in_recent``), then a probe of at most PROBE_LIMIT + 1 ids decide: few hits
    are handed over as ids (exact estimate); many use the rarest gram as the indexed test, so
    the planner walks the received_at index for the first page (the count then visits that
    gram's cases).
    """
    recheck = [t for t in terms if not _pg_index_is_exact(t)]
    narrowed = qs.filter(GramMatch(tuple(terms)))
    if recheck:
        narrowed = narrowed.filter(contains_all_q(recheck))
    if len(terms) == 1 and not recheck:
        return narrowed
    with connections[qs.db].cursor() as cur:
        cur.execute(sql.PG_COMMON_GRAMS, [terms])
        n_grams, n_common, lead, expected = cur.fetchone()
    if n_grams <= 1 or n_common < n_grams or lead is None:
        return narrowed
    if not recheck and expected >= PROBE_LIMIT:
        return narrowed  # e.g. two independent common words: the estimate is fair already
    lead_shape = qs.filter(GramMatch(tuple(terms), lead=lead, recheck=tuple(recheck)))
    if _common_in_recent(qs, terms):
        return lead_shape
    ids = list(narrowed.order_by().values_list("pk", flat=True)[: PROBE_LIMIT + 1])
    if len(ids) <= PROBE_LIMIT:
        return narrowed.filter(pk__in=ids)
    return lead_shape


def _common_in_recent(qs: QuerySet[Case], terms: list[str]) -> bool:
    """Whether at least ``SAMPLE_HITS`` of the newest ``SAMPLE_ROWS`` cases of ``qs`` hold every term.

    Such a query is found by walking the received_at index (a page within a few hundred rows),
    so the index lookups can be skipped: PostgreSQL's probe must build the GIN bitmap of every
    candidate of the phrase's grams first (~100 ms for 12315 at a million cases), SQLite's FTS5
    must intersect its grams' posting lists; this sample takes a few milliseconds.
    """
    recent = qs.order_by("-received_at", "-pk").values("pk")[:SAMPLE_ROWS]
    sample = Case.objects.using(qs.db).filter(pk__in=recent).filter(contains_all_q(terms)).order_by()
    return sample[:SAMPLE_HITS].count() >= SAMPLE_HITS


def _pg_index_is_exact(term: str) -> bool:
    """Whether the gram test alone decides ``term`` on PostgreSQL.

    True for one or two characters that upper-case to one character each and lie below
    U+FFFF (higher ones share the fold code U+FFFF).
    """
    return len(term) <= 2 and all(ord(c) < 0xFFFF and len(c.upper()) == 1 for c in term)


class GramMatch(Expression):
    """``<case alias>.search_grams @> kesu_search_query_grams(terms)`` (PostgreSQL).

    With ``lead``: the form of ``sql.PG_MATCH_LEAD``, which includes the recheck of
    ``recheck`` terms. An expression rather than raw SQL so the table alias follows the query
    when Django relabels it (for example when the queryset is used as a subquery).
    """

    conditional = True

    def __init__(
        self, terms: tuple[str, ...], alias: str | None = None, *, lead: int | None = None,
        recheck: tuple[str, ...] = (), where: Any = None,
    ) -> None:
        super().__init__(output_field=BooleanField())
        self.terms, self.alias, self.lead, self.recheck, self.where = terms, alias, lead, recheck, where

    def _clone_with(self, alias: str | None, where: Any) -> GramMatch:
        return GramMatch(self.terms, alias, lead=self.lead, recheck=self.recheck, where=where)

    def resolve_expression(
        self, query: Any = None, allow_joins: bool = True, reuse: Any = None,
        summarize: bool = False, for_save: bool = False,
    ) -> GramMatch:
        where = None
        if self.lead is not None and self.recheck:
            where = contains_all_q(self.recheck).resolve_expression(
                query, allow_joins=allow_joins, reuse=reuse, summarize=summarize
            )
        return self._clone_with(query.get_initial_alias(), where)

    def relabeled_clone(self, change_map: Mapping[str, str]) -> GramMatch:
        where = self.where.relabeled_clone(change_map) if self.where is not None else None
        return self._clone_with(change_map.get(self.alias or "", self.alias), where)

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        table = compiler.quote_name_unless_alias(self.alias or Case._meta.db_table)
        if self.lead is None:
            return sql.PG_MATCH.format(table=table), [list(self.terms)]
        recheck, params = "", []
        if self.where is not None:
            where_sql, where_params = compiler.compile(self.where)
            recheck, params = f" AND ({where_sql})", list(where_params)
        statement = sql.PG_MATCH_LEAD.format(table=table, recheck=recheck)
        return statement, [self.lead, list(self.terms), *params]

    def get_group_by_cols(self) -> list[Any]:
        return []


class FtsMatch(Expression):
    """``<case alias>.id IN (FTS5 match)``; with ``walk``, not usable as a lookup (SQLite)."""

    conditional = True

    def __init__(self, expr: str, alias: str | None = None, *, walk: bool = False) -> None:
        super().__init__(output_field=BooleanField())
        self.expr, self.alias, self.walk = expr, alias, walk

    def resolve_expression(
        self, query: Any = None, allow_joins: bool = True, reuse: Any = None,
        summarize: bool = False, for_save: bool = False,
    ) -> FtsMatch:
        return FtsMatch(self.expr, query.get_initial_alias(), walk=self.walk)

    def relabeled_clone(self, change_map: Mapping[str, str]) -> FtsMatch:
        alias = change_map.get(self.alias or "", self.alias)
        return FtsMatch(self.expr, alias, walk=self.walk)

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        table = compiler.quote_name_unless_alias(self.alias or Case._meta.db_table)
        template = sql.SQLITE_IN_FILTER if self.walk else sql.SQLITE_IN
        return template.format(table=table), [self.expr]

    def get_group_by_cols(self) -> list[Any]:
        return []


# --- PostgreSQL grams, computed in Python ----------------------------------------------------

#: Characters whose ``upper()`` is the same in Python and in PostgreSQL under any locale we
#: accept: ASCII (checked against the database once, see ``pg_grams_agree``) and caseless
#: CJK ideographs, CJK, general and full-width punctuation, full-width digits and capitals.
#: A text with any other character (accented letters, Greek, ß, µ, symbols with case
#: mappings such as circled letters, characters above U+FFFF) is left to the trigger.
_PG_SAFE = re.compile(
    "[\x01-\x7f\u2000-\u206f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff"
    "\uff01-\uff40\uff5b-\uff65\uffe0-\uffee]*"
).fullmatch
#: A text with every character of ``_PG_SAFE``'s ASCII part and some of the others, for the
#: comparison with the database's own ``upper()`` (a Turkish locale upper-cases i to İ).
_PG_PROBE = "".join(map(chr, range(0x20, 0x7F))) + "产品发霉了，（测试）　ＡＢ０９￥—…"


def pg_grams(*texts: str) -> str | None:
    """``kesu_search_grams(texts)`` as the text of an ``int4[]``, or None if only the database can tell.

    The same codes as the SQL function: per text, every character ``c`` of its upper case gives
    ``c << 16`` and, with its successor ``n``, ``(c << 16) | n``, wrapped to a signed 32-bit
    integer as PostgreSQL's ``<<`` wraps; distinct, in ascending order (``array_agg(DISTINCT)``),
    so a rebuild finds nothing to rewrite. None when a text holds a character outside
    ``_PG_SAFE``: the insert then leaves the grams to the trigger.
    """
    codes: set[int] = set()
    for text in texts:
        if len(text) <= _MEMO_TEXT_CHARS:
            found: Iterable[int] | None = _text_codes.get(text, _UNKNOWN)
            if found is _UNKNOWN:
                if len(_text_codes) >= _MEMO_TEXTS:
                    _text_codes.clear()
                of_text = _codes_of(text)
                found = _text_codes[text] = None if of_text is None else frozenset(of_text)
        else:
            found = _codes_of(text)
        if found is None:
            return None
        codes.update(found)
    return "{" + ",".join(map(str, sorted(codes))) + "}"


def _codes_of(text: str) -> set[int] | None:
    """The signed gram codes of one text (``pg_grams``), or None if it holds an unsafe character.

    Read from the text's encodings without a Python step per character: the safe characters
    all lie below U+FFFF (no surrogates), so in UTF-32-BE from the third byte each 4-byte word
    is a character shifted by 16 bits, and in UTF-16-BE every 4-byte word (at even, then at odd
    character positions) is a character shifted by 16 bits or'ed with its successor; read as
    signed 32-bit integers, they wrap as PostgreSQL's ``<<`` does.
    """
    if not _PG_SAFE(text):
        return None
    upper = text.upper()
    n = len(upper)
    codes = set(_words((upper.encode("utf-32-be") + b"\0\0")[2:]))
    pairs = upper.encode("utf-16-be")
    codes.update(_words(pairs[: 4 * (n // 2)]))
    if n > 2:
        codes.update(_words(pairs[2 : 2 + 4 * ((n - 1) // 2)]))
    return codes


def _words(data: bytes) -> array[int]:
    """``data`` as big-endian signed 32-bit integers."""
    words = array("i")
    words.frombytes(data)
    if sys.byteorder == "little":
        words.byteswap()
    return words


assert array("i").itemsize == 4


#: Codes of short texts (titles, customer names), which an import repeats: at most this many
#: texts of at most this many characters (some MB), forgotten all at once when full.
_MEMO_TEXTS, _MEMO_TEXT_CHARS = 4096, 24
_text_codes: dict[str, frozenset[int] | None] = {}
_UNKNOWN = frozenset({-1})  # not in the memo (told apart by identity)


def pg_grams_agree(conn: BaseDatabaseWrapper) -> bool:
    """Whether :func:`pg_grams` gives what this database's ``kesu_search_grams`` gives.

    Checked once per database (its locale decides ``upper()``): on a disagreement the bulk
    import leaves every row's grams to the trigger, as other writers do.
    """
    key = (conn.alias, conn.settings_dict.get("NAME"))
    agree = _PG_AGREE.get(key)
    if agree is None:
        with conn.cursor() as cur:
            cur.execute(sql.PG_GRAMS_OF, [_PG_PROBE])
            stored = cur.fetchone()[0]
        agree = _PG_AGREE[key] = "{" + ",".join(map(str, stored)) + "}" == pg_grams(_PG_PROBE)
    return agree


_PG_AGREE: dict[tuple[str, Any], bool] = {}


def insert_columns(cases: Sequence[Case]) -> dict[str, list[str | None]]:
    """Columns Django does not know that a bulk insert of ``cases`` should fill, by name.

    PostgreSQL: ``search_grams`` from :func:`pg_grams` (a None leaves that row to the trigger),
    if this database's ``upper()`` agrees with Python's; otherwise, and on SQLite, none.
    """
    conn = connections[router.db_for_write(Case)]
    if conn.vendor != "postgresql" or not pg_grams_agree(conn):
        return {}
    return {"search_grams": [pg_grams(c.title, c.description, c.customer_name) for c in cases]}


# --- SQLite grams -------------------------------------------------------------------------

def _hex(gram: str) -> str:
    return gram.encode("utf-8", "surrogatepass").hex()


def sqlite_grams(*texts: str) -> str:
    """The FTS5 document for a case: its distinct grams as hex tokens, space-separated.

    Hex keeps every character (punctuation, quotes, symbols) inside one token whatever the
    tokenizer thinks of it; UTF-8 is prefix-free, so a token names exactly one gram. ASCII
    letters are lower-cased and nothing else is, which is SQLite's ``LIKE``.
    """
    grams: set[str] = set()
    for text in texts:
        s = text.translate(_ASCII_LOWER)
        grams.update(s)
        grams.update(s[i : i + 2] for i in range(len(s) - 1))
    return " ".join(sorted(_hex(g) for g in grams))


def fts_query(terms: Iterable[str]) -> str:
    """An FTS5 query requiring the grams of every term: its unigram or its bigrams."""
    tokens: set[str] = set()
    for term in terms:
        s = term.translate(_ASCII_LOWER)
        if len(s) == 1:
            tokens.add(_hex(s))
        else:
            tokens.update(_hex(s[i : i + 2]) for i in range(len(s) - 1))
    return " AND ".join(f'"{t}"' for t in sorted(tokens))


Row = tuple[int, str, str, str]


def _sqlite_index_rows(conn: BaseDatabaseWrapper, rows: Sequence[Row]) -> None:
    """Make the FTS rows of these cases hold their current text; skip unchanged ones.

    A contentless FTS5 row can only be removed by handing FTS5 the text it indexed, which
    ``cases_search_doc`` keeps.
    """
    if not rows:
        return
    with conn.cursor() as cur:
        placeholders = ", ".join(["%s"] * len(rows))
        cur.execute(sql.SQLITE_DOCS_FOR.format(ids=placeholders), [r[0] for r in rows])
        old = {r[0]: (r[1], r[2], r[3]) for r in cur.fetchall()}
        deletes: list[tuple[int, str]] = []
        inserts: list[tuple[int, str]] = []
        docs: list[Row] = []
        for row in rows:
            case_id, texts = row[0], row[1:]
            before = old.get(case_id)
            if before == texts:
                continue
            if before is not None:
                deletes.append((case_id, sqlite_grams(*before)))
            inserts.append((case_id, sqlite_grams(*texts)))
            docs.append(row)
        if deletes:
            cur.executemany(sql.SQLITE_FTS_DELETE, deletes)
        if inserts:
            cur.executemany(sql.SQLITE_FTS_INSERT, inserts)
            cur.executemany(sql.SQLITE_DOC_UPSERT, docs)


def _rows(ids: Sequence[int], using: str) -> list[Row]:
    return list(
        Case.objects.using(using).filter(pk__in=ids).order_by("pk").values_list("pk", *FIELDS)
    )


def index_case(case: Case) -> None:
    """Keep the search index of ``case`` current; call it after writing the case's text."""
    index_cases([case])


def index_cases(cases: Sequence[Case]) -> None:
    """Batch form of :func:`index_case`, for importers: the index of each case made current.

    Reads the text back from the database (the row is the truth, not the objects passed),
    in the caller's transaction. On PostgreSQL the trigger has done it already; this only
    fills rows it missed (cheap); ``rebuild_index`` also recomputes stale ones.
    """
    ids = [c.pk for c in cases if c.pk is not None]
    if not ids:
        return
    using = router.db_for_write(Case)
    conn = connections[using]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        if conn.vendor == "postgresql":
            with conn.cursor() as cur:
                cur.execute(sql.PG_REINDEX_IDS, [chunk])
        elif conn.vendor == "sqlite":
            _sqlite_index_rows(conn, _rows(chunk, using))


def index_new_cases(cases: Sequence[Case]) -> None:
    """:func:`index_cases` for cases INSERTed in the caller's transaction, from the objects.

    Such a case has no index row yet and its text is what the objects hold, so the read-back
    and the comparison with the stored document are skipped: PostgreSQL's INSERT trigger
    filled the grams already (or the bulk insert brought them); SQLite gets its FTS and document
    rows in two statements.
    """
    using = router.db_for_write(Case)
    conn = connections[using]
    if conn.vendor != "sqlite":
        if conn.vendor != "postgresql":
            index_cases(cases)
        return
    rows = [(c.pk, c.title, c.description, c.customer_name) for c in cases if c.pk is not None]
    if not rows:
        return
    with conn.cursor() as cur:
        cur.executemany(sql.SQLITE_FTS_INSERT, [(r[0], sqlite_grams(*r[1:])) for r in rows])
        cur.executemany(sql.SQLITE_DOC_UPSERT, rows)


def rebuild_index(
    batch_size: int = 2000, progress: Callable[[int, int], None] | None = None
) -> int:
    """Bring the index of every case up to date, one transaction per batch of ids.

    For data written before the index existed or by a path that skipped it, and after a
    restore. Searches keep working meanwhile (rows are replaced, never dropped first).
    Returns the number of cases visited; ``progress(done, total)`` is called per batch.
    """
    using = router.db_for_write(Case)
    conn = connections[using]
    total = Case.objects.using(using).count()
    done, last = 0, 0
    while True:
        ids = list(
            Case.objects.using(using).filter(pk__gt=last).order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        with transaction.atomic(using=using):
            if conn.vendor == "postgresql":
                with conn.cursor() as cur:
                    cur.execute(sql.PG_REINDEX_RANGE, [ids[0], ids[-1]])
            elif conn.vendor == "sqlite":
                for start in range(0, len(ids), _CHUNK):
                    _sqlite_index_rows(conn, _rows(ids[start : start + _CHUNK], using))
        done += len(ids)
        last = ids[-1]
        if progress is not None:
            progress(done, total)
    _finish_rebuild(conn, using)
    return done


def _finish_rebuild(conn: BaseDatabaseWrapper, using: str) -> None:
    """PostgreSQL: refresh planner statistics. SQLite: drop rows of deleted cases, merge."""
    with transaction.atomic(using=using), conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(sql.PG_ANALYZE)
        elif conn.vendor == "sqlite":
            cur.execute(sql.SQLITE_ORPHANS)
            for case_id, *texts in cur.fetchall():
                cur.execute(sql.SQLITE_FTS_DELETE, [case_id, sqlite_grams(*texts)])
                cur.execute(sql.SQLITE_DOC_DELETE, [case_id])
            cur.execute(sql.SQLITE_FTS_OPTIMIZE)
