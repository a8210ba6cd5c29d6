"""The case search index (ADR 0002): grams column + trigger + GIN on PostgreSQL, FTS5 on SQLite.

Vendor SQL lives in kesu.cases.search_sql as frozen, versioned constants. Existing cases are
indexed here, so a search never misses a case written before this migration.
"""

from django.db import migrations

from kesu.cases import search_sql


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in search_sql.PG_SCHEMA_V1:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        from kesu.cases.search import sqlite_grams

        for statement in search_sql.SQLITE_SCHEMA_V1:
            schema_editor.execute(statement)
        with schema_editor.connection.cursor() as cur:
            cur.execute("SELECT id, title, description, customer_name FROM cases_case")
            rows = cur.fetchall()
            cur.executemany(search_sql.SQLITE_FTS_INSERT, [(r[0], sqlite_grams(*r[1:])) for r in rows])
            cur.executemany(search_sql.SQLITE_DOC_UPSERT, rows)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": search_sql.PG_DROP_V1, "sqlite": search_sql.SQLITE_DROP_V1}
    for statement in statements.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0003_import_job"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
