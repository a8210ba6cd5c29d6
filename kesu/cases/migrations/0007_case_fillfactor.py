"""Leave a fifth of every ``cases_case`` page free (PostgreSQL), so that the frequent updates
that touch no indexed column — the event head (``event_count``, ``last_event_hash``) moves with
every event — are heap-only (HOT) and do not write an entry into each of the table's twenty-odd
indexes. A freshly loaded table has full pages and no room for HOT; the SLA sweep's head
updates cost four times less with it. Existing rows benefit as their pages are rewritten
(``VACUUM FULL cases_case`` applies it at once). SQLite has no fill factor: nothing to do.
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_case SET (fillfactor = 80)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_case RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_links_and_crisis")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
