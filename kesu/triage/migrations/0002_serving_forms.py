"""Serving forms for the model versions saved before they existed (ADR 0011).

A version without one still works: the first process that loads it writes it. Doing it here,
at ``kesu init`` / migrate, keeps that first process from being a web worker, which would keep
scikit-learn and scipy loaded (~100 MB) for the rest of its life. Files only: nothing in the
database changes, so there is nothing to reverse.
"""

from typing import Any

from django.db import migrations


def write_serving_forms(apps: Any, schema_editor: Any) -> None:
    from kesu.triage import service
    from kesu.triage.core import store

    store.ensure_serving_forms(service.models_root())


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_case_triage_labels_model_versions")]

    operations = [migrations.RunPython(write_serving_forms, migrations.RunPython.noop, elidable=True)]
