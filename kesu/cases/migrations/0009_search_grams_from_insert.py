"""PostgreSQL: an INSERT that brings its search grams keeps them (ADR 0002, ADR 0010).

The bulk import computes the grams in Python (``kesu.cases.search.pg_grams``, tested equal to
``kesu_search_grams``) and COPYs them with the case row; the trigger now fills only inserts
without grams, and still recomputes them on every change of title, description or customer name.
"""

from django.db import migrations

from kesu.cases import search_sql


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in search_sql.PG_SCHEMA_V2:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in search_sql.PG_DROP_V2:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0008_fewer_case_indexes"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
