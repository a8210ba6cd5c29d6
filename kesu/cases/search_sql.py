"""Every piece of vendor SQL behind case search, in one place (ADR 0002).

The index holds *grams* of each searchable field: every character (unigram) and every pair
of adjacent characters (bigram), taken per field so that no gram spans two fields.

* **PostgreSQL**: a column ``cases_case.search_grams int4[]`` that Django does not know about
  (so it is never selected), filled by a trigger from ``upper(field)`` — the very expression
  Django's ``icontains`` compares — and searched through a GIN index with ``@>``. A gram is
  the code ``(c1 << 16) | c2`` (``c2 = 0`` for a unigram; characters above U+FFFF fold to
  U+FFFF). Because the database computes the grams of both the text and the query with its
  own ``upper()``, the index agrees with ``icontains`` whatever the collation does with
  non-ASCII letters.
* **SQLite**: a contentless FTS5 table ``cases_search_fts`` (rowid = case id) holding the
  grams as hex tokens, plus ``cases_search_doc`` with the text last indexed, which FTS5 needs
  to delete a contentless row. The grams are computed in Python (``kesu.cases.search``),
  folding ASCII letters only, exactly as SQLite's ``LIKE`` does.

Schema versions are frozen constants used by migrations; change them only through a new
constant and a new migration.
"""

from __future__ import annotations

# --- PostgreSQL -------------------------------------------------------------------------------

PG_SCHEMA_V1 = [
    # Grams of upper(field) for each field: unigram c<<16 and bigram (c<<16)|next, distinct.
    # lead(..., 0) gives the last character of a field the unigram code only.
    """
    CREATE OR REPLACE FUNCTION kesu_search_grams(VARIADIC fields text[]) RETURNS int4[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT coalesce(array_agg(DISTINCT g.code), '{}')
      FROM unnest(fields) AS f(txt),
           LATERAL (
             SELECT least(ascii(c.ch), 65535) AS cp,
                    lead(least(ascii(c.ch), 65535), 1, 0) OVER (ORDER BY c.n) AS nx
             FROM unnest(string_to_array(upper(f.txt), NULL)) WITH ORDINALITY AS c(ch, n)
           ) AS p,
           LATERAL (VALUES (p.cp << 16), ((p.cp << 16) | p.nx)) AS g(code)
    $$
    """,
    # The grams a query term requires: its unigram if it has one character, else its bigrams.
    """
    CREATE OR REPLACE FUNCTION kesu_search_query_grams(terms text[]) RETURNS int4[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT coalesce(array_agg(DISTINCT CASE WHEN p.nx = 0 THEN p.cp << 16
                                               ELSE (p.cp << 16) | p.nx END), '{}')
      FROM unnest(terms) AS f(txt),
           LATERAL (
             SELECT c.n, least(ascii(c.ch), 65535) AS cp,
                    lead(least(ascii(c.ch), 65535), 1, 0) OVER (ORDER BY c.n) AS nx
             FROM unnest(string_to_array(upper(f.txt), NULL)) WITH ORDINALITY AS c(ch, n)
           ) AS p
      WHERE p.nx <> 0 OR p.n = 1
    $$
    """,
    "ALTER TABLE cases_case ADD COLUMN IF NOT EXISTS search_grams int4[]",
    """
    CREATE OR REPLACE FUNCTION kesu_case_search_grams_trigger() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_grams := kesu_search_grams(NEW.title, NEW.description, NEW.customer_name);
      RETURN NEW;
    END
    $$
    """,
    """
    CREATE OR REPLACE TRIGGER cases_case_search_grams
    BEFORE INSERT OR UPDATE OF title, description, customer_name ON cases_case
    FOR EACH ROW EXECUTE FUNCTION kesu_case_search_grams_trigger()
    """,
    "UPDATE cases_case SET search_grams = kesu_search_grams(title, description, customer_name)",
    "CREATE INDEX IF NOT EXISTS cases_case_search_grams ON cases_case USING gin (search_grams)",
    # A larger sample of most-common grams makes the planner's choice between "walk the
    # received_at index and filter" (common grams) and "bitmap then sort" (rare ones) better.
    "ALTER TABLE cases_case ALTER COLUMN search_grams SET STATISTICS 1000",
]

PG_DROP_V1 = [
    "DROP TRIGGER IF EXISTS cases_case_search_grams ON cases_case",
    "DROP FUNCTION IF EXISTS kesu_case_search_grams_trigger()",
    "DROP INDEX IF EXISTS cases_case_search_grams",
    "ALTER TABLE cases_case DROP COLUMN IF EXISTS search_grams",
    "DROP FUNCTION IF EXISTS kesu_search_query_grams(text[])",
    "DROP FUNCTION IF EXISTS kesu_search_grams(VARIADIC text[])",
]

# V2: an INSERT that brings its grams keeps them (the bulk import computes them in Python with
# ``kesu.cases.search.pg_grams``, the same codes; ~0.1 ms of server CPU per row less). Every
# other insert, and every change of the three fields, is indexed by the trigger as before.
PG_SCHEMA_V2 = [
    "DROP TRIGGER IF EXISTS cases_case_search_grams ON cases_case",
    """
    CREATE OR REPLACE TRIGGER cases_case_search_grams_insert
    BEFORE INSERT ON cases_case
    FOR EACH ROW WHEN (NEW.search_grams IS NULL) EXECUTE FUNCTION kesu_case_search_grams_trigger()
    """,
    """
    CREATE OR REPLACE TRIGGER cases_case_search_grams_update
    BEFORE UPDATE OF title, description, customer_name ON cases_case
    FOR EACH ROW EXECUTE FUNCTION kesu_case_search_grams_trigger()
    """,
]

PG_DROP_V2 = [
    "DROP TRIGGER IF EXISTS cases_case_search_grams_insert ON cases_case",
    "DROP TRIGGER IF EXISTS cases_case_search_grams_update ON cases_case",
    """
    CREATE OR REPLACE TRIGGER cases_case_search_grams
    BEFORE INSERT OR UPDATE OF title, description, customer_name ON cases_case
    FOR EACH ROW EXECUTE FUNCTION kesu_case_search_grams_trigger()
    """,
]

# The grams of one text as the trigger computes them (for checking ``pg_grams`` against it).
PG_GRAMS_OF = "SELECT kesu_search_grams(%s)"

# ``{table}`` is the (quoted) alias of cases_case in the query being compiled.
PG_MATCH = "{table}.search_grams @> kesu_search_query_grams(%s::text[])"

# For queries whose grams are all common: the planner multiplies the frequencies of the grams
# of ``@>`` as if independent, so it badly underestimates a common phrase and sorts every hit
# instead of walking the received_at index. With the rarest gram alone as the indexed test
# (its frequency bounds the phrase's from above) and the full test hidden from the estimate
# in COALESCE, it sees a frequency close to the truth. Recheck SQL comes from Django.
PG_MATCH_LEAD = (
    "{table}.search_grams @> ARRAY[%s]::int4[]"
    " AND COALESCE({table}.search_grams @> kesu_search_query_grams(%s::text[]){recheck}, false)"
)

# Grams of the query found among the column's most common elements (ANALYZE statistics):
# (number of distinct query grams, how many are common, the least frequent common one, the
# rows the planner will expect from the plain test: reltuples times the product of freqs).
PG_COMMON_GRAMS = """
    WITH q AS (SELECT kesu_search_query_grams(%s::text[]) AS g),
    mce AS (
        SELECT e.elem, e.freq
        FROM pg_stats AS s, q,
             LATERAL unnest(s.most_common_elems::text::int4[], s.most_common_elem_freqs)
                 AS e(elem, freq)
        WHERE s.schemaname = current_schema() AND s.tablename = 'cases_case'
          AND s.attname = 'search_grams' AND e.elem = ANY(q.g)
    )
    SELECT (SELECT cardinality(g) FROM q), (SELECT count(*) FROM mce),
           (SELECT elem FROM mce ORDER BY freq, elem LIMIT 1),
           (SELECT exp(sum(ln(greatest(freq, 1e-12)))) FROM mce)
             * (SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'cases_case'::regclass)
"""

# The trigger has filled every row written with it enabled; fill any it did not (written with
# triggers off, e.g. session_replication_role = replica). Cheap when there is none.
PG_REINDEX_IDS = """
    UPDATE cases_case SET search_grams = kesu_search_grams(title, description, customer_name)
    WHERE id = ANY(%s) AND search_grams IS NULL
"""
# Rebuild: recompute a batch, writing only rows whose grams differ.
PG_REINDEX_RANGE = """
    UPDATE cases_case SET search_grams = g.grams
    FROM (SELECT id, kesu_search_grams(title, description, customer_name) AS grams
          FROM cases_case WHERE id >= %s AND id <= %s) AS g
    WHERE cases_case.id = g.id AND cases_case.search_grams IS DISTINCT FROM g.grams
"""
PG_ANALYZE = "ANALYZE cases_case"

# --- SQLite -----------------------------------------------------------------------------------

# detail='none': only which cases hold a gram is stored (no positions), the smallest FTS5
# index; a term of three or more characters is re-checked with LIKE (see search.py).
SQLITE_SCHEMA_V1 = [
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS cases_search_fts USING fts5(
        grams, content='', detail='none', columnsize=0, tokenize='ascii'
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS cases_search_doc (
        case_id integer NOT NULL PRIMARY KEY,
        title text NOT NULL,
        description text NOT NULL,
        customer_name text NOT NULL
    )
    """,
]

SQLITE_DROP_V1 = [
    "DROP TABLE IF EXISTS cases_search_fts",
    "DROP TABLE IF EXISTS cases_search_doc",
]

SQLITE_MATCH = "SELECT rowid FROM cases_search_fts WHERE cases_search_fts MATCH %s"
# ``{table}`` as in PG_MATCH. SQLite always drives an ``id IN (...)`` from the list and then
# sorts every hit; for a term in a large share of the cases, the unary ``+`` keeps the IN from
# being used as a rowid lookup, so it is a mere filter and the first page walks the
# received_at index instead.
SQLITE_IN = '{table}."id" IN (' + SQLITE_MATCH + ")"
SQLITE_IN_FILTER = "+" + SQLITE_IN
# (threshold, candidates up to threshold + 1) in one statement; threshold = max(id) / 32,
# at least %s (the shape rule is in search.py).
SQLITE_PROBE = """
    SELECT t.n, (SELECT count(*) FROM (
        SELECT 1 FROM cases_search_fts WHERE cases_search_fts MATCH %s
        LIMIT (SELECT max(coalesce(max(id), 0) / 32, %s) FROM cases_case) + 1))
    FROM (SELECT max(coalesce(max(id), 0) / 32, %s) AS n FROM cases_case) AS t
"""
SQLITE_DOCS_FOR = (
    "SELECT case_id, title, description, customer_name FROM cases_search_doc WHERE case_id IN ({ids})"
)
SQLITE_FTS_DELETE = "INSERT INTO cases_search_fts(cases_search_fts, rowid, grams) VALUES ('delete', %s, %s)"
SQLITE_FTS_INSERT = "INSERT INTO cases_search_fts(rowid, grams) VALUES (%s, %s)"
SQLITE_DOC_UPSERT = """
    INSERT INTO cases_search_doc(case_id, title, description, customer_name) VALUES (%s, %s, %s, %s)
    ON CONFLICT(case_id) DO UPDATE SET title = excluded.title, description = excluded.description,
        customer_name = excluded.customer_name
"""
SQLITE_ORPHANS = (
    "SELECT case_id, title, description, customer_name FROM cases_search_doc"
    " WHERE case_id NOT IN (SELECT id FROM cases_case)"
)
SQLITE_DOC_DELETE = "DELETE FROM cases_search_doc WHERE case_id = %s"
SQLITE_FTS_OPTIMIZE = "INSERT INTO cases_search_fts(cases_search_fts) VALUES ('optimize')"
