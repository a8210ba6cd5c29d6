"""Console pages under /triage/: the case page's suggestion card and its one-click actions, the
new-case form's live suggestion, and the administrators' model page (train, promote, roll back).

parse → access → one action → render. The suggestion card is ``triage/_case_triage.html``;
its context comes from :func:`triage_panel`. Its buttons post here; with htmx the card is
re-rendered in place, without it the browser returns to the case page.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kesu.cases.choices import Emotion, Kind, Priority, Severity, Validity
from kesu.cases.models import Case, Category
from kesu.console.common import console_view, require_cap, user_of
from kesu.core.errors import KesuError, ValidationFailed
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap
from kesu.triage import service
from kesu.triage.access import access_case_triage, model_versions_for
from kesu.triage.actions import do_confirm_triage
from kesu.triage.actions_models import (
    do_promote_model_version,
    do_rollback_model_version,
    do_update_triage_settings,
)
from kesu.triage.core import FIELDS, store
from kesu.triage.core.evaluate import evaluate
from kesu.triage.core.rules import Reason
from kesu.triage.core.train import TrainingError, read_csv_examples
from kesu.triage.forms import AcceptForm, CorrectForm, EvaluateForm, ThresholdForm, TrainForm
from kesu.triage.models import TRIAGE_FIELDS, CaseTriage, FieldState, TriageLabel, TriageSettings
from kesu.triage.reasons import reason_text

FIELD_LABELS: dict[str, Promise] = {
    "kind": gettext_lazy("Kind"), "category": gettext_lazy("Category"), "validity": gettext_lazy("Validity"),
    "severity": gettext_lazy("Severity"), "priority": gettext_lazy("Priority"),
    "sentiment": gettext_lazy("Sentiment"), "emotion": gettext_lazy("Customer's emotion"),
}
SENTIMENTS: list[tuple[str, Promise]] = [
    ("negative", gettext_lazy("Negative")), ("neutral", gettext_lazy("Neutral")),
    ("positive", gettext_lazy("Positive")),
]
CHOICES: dict[str, list[tuple[str, Any]]] = {
    "kind": Kind.choices, "validity": Validity.choices, "severity": Severity.choices,
    "priority": Priority.choices, "emotion": Emotion.choices, "sentiment": SENTIMENTS,
}
#: States in which a person has not yet looked at the suggestion.
UNDECIDED = {FieldState.PENDING, FieldState.AUTO_APPLIED}


def code_choices(name: str) -> list[tuple[str, str]]:
    """The codes a person may choose for a field, with labels in the active language."""
    if name == "category":
        language = get_language() or ""
        return [(c.code, c.label(language)) for c in Category.objects.filter(is_active=True)]
    return [(code, str(label)) for code, label in CHOICES[name]]


@dataclass
class FieldRow:
    name: str
    label: str
    code: str | None
    code_label: str
    confidence: int | None  # percent
    state: str
    state_label: str
    value_label: str
    choices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def undecided(self) -> bool:
        return self.state in UNDECIDED


def _current(case: Case) -> dict[str, str]:
    from kesu.triage.actions import case_values

    return case_values(case)


def triage_panel(case: Case, user: User) -> dict[str, Any] | None:
    """Context ``triage`` of ``triage/_case_triage.html`` (None: the case has no suggestion row)."""
    row = CaseTriage.objects.filter(case=case).first()
    if row is None:
        return None
    can_edit = has_cap(user.role, Cap.CASE_CLASSIFY)
    current = _current(case)
    rows = []
    for name in TRIAGE_FIELDS:
        suggestion = row.suggestion(name)
        decision = row.decisions.get(name)
        if suggestion is None and decision is None:
            continue
        choices = code_choices(name)
        labels = dict(choices)
        state = row.state(name)
        code = suggestion["code"] if suggestion else None
        value = current.get(name) or (decision or {}).get("value") or ""
        rows.append(FieldRow(
            name=name, label=str(FIELD_LABELS[name]), code=code,
            code_label=labels.get(code or "", code or "—"),
            confidence=round(suggestion["confidence"] * 100) if suggestion else None, state=state,
            state_label=str(FieldState(state).label), value_label=labels.get(value, value or "—"),
            choices=choices if can_edit else []))
    return {
        "row": row, "fields": rows, "can_edit": can_edit,
        "any_undecided": any(r.undecided and r.code for r in rows),
        "reasons": [reason_text(Reason(r["id"], r.get("params") or {})) for r in row.reasons],
    }


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _card(request: HttpRequest, case: Case, *, status: int = 200, error: str = "") -> HttpResponse:
    fresh, _row = access_case_triage(user_of(request), case.number)
    return render(request, "triage/_case_triage.html",
                  {"case": fresh, "triage": triage_panel(fresh, user_of(request)), "triage_error": error},
                  status=status)


def _after(request: HttpRequest, case: Case, ok: str, error: KesuError | None = None) -> HttpResponse:
    if _is_htmx(request):
        return _card(request, case, status=422 if error else 200, error=str(error.message) if error else "")
    if error is not None:
        messages.error(request, str(error.message))
    else:
        messages.success(request, ok)
    return redirect("console:case_detail", number=case.number)


@console_view
def case_card(request: HttpRequest, number: str) -> HttpResponse:
    """The suggestion card alone (htmx refresh, or a page that loads it lazily)."""
    case, _row = access_case_triage(user_of(request), number)
    return _card(request, case)


@console_view
@require_POST
def case_accept(request: HttpRequest, number: str) -> HttpResponse:
    """Accept one suggestion (``field``) or all undecided ones (``all``)."""
    user = user_of(request)
    case, row = access_case_triage(user, number)
    require_cap(user, Cap.CASE_CLASSIFY, _("Your role may not classify cases."))
    form = AcceptForm(request.POST)
    wanted: dict[str, str] = {}
    if form.is_valid() and row is not None:
        names = [n for n in TRIAGE_FIELDS if row.state(n) in UNDECIDED] if form.cleaned_data["all"] else (
            [form.cleaned_data["field"]] if form.cleaned_data["field"] else [])
        wanted = {n: s["code"] for n in names if (s := row.suggestion(n))}
    try:
        do_confirm_triage(case, wanted, actor=user)
    except ValidationFailed as exc:
        return _after(request, case, "", exc)
    return _after(request, case, _("The suggestion was accepted."))


@console_view
@require_POST
def case_correct(request: HttpRequest, number: str) -> HttpResponse:
    """Set one field to another value than the suggestion (or the same: then it is a confirmation)."""
    user = user_of(request)
    case, _row = access_case_triage(user, number)
    require_cap(user, Cap.CASE_CLASSIFY, _("Your role may not classify cases."))
    form = CorrectForm(request.POST)
    fields = {form.cleaned_data["field"]: form.cleaned_data["code"]} if form.is_valid() else {}
    try:
        do_confirm_triage(case, fields, actor=user)
    except ValidationFailed as exc:
        return _after(request, case, "", exc)
    return _after(request, case, _("The correction was saved."))


@console_view
@require_http_methods(["GET", "POST"])
def suggest(request: HttpRequest) -> HttpResponse:
    """htmx: suggestions for the new-case form's title and description while they are typed."""
    user = user_of(request)
    require_cap(user, Cap.CASE_CREATE, _("Your role may not register cases."))
    data = request.POST if request.method == "POST" else request.GET
    title, description = data.get("title", "").strip(), data.get("description", "").strip()
    text = f"{title}\n{description}".strip()[:5000]
    context: dict[str, Any] = {"fields": [], "text": text}
    if len(text) >= 2:
        triage = service.suggest(text, customer_level=data.get("customer_level") or None)
        for name in TRIAGE_FIELDS:
            prediction = triage.get(name)
            if prediction is not None:
                labels = dict(code_choices(name))
                context["fields"].append({"name": name, "label": FIELD_LABELS[name], "code": prediction.code,
                                          "code_label": labels.get(prediction.code, prediction.code),
                                          "confidence": round(prediction.confidence * 100)})
        context.update(risk_words=triage.risk_words, crisis=triage.crisis,
                       reasons=[reason_text(r) for r in triage.reasons])
    return render(request, "triage/_suggest.html", context)


# --- administrators: model versions ----------------------------------------------------------------

def _admin(request: HttpRequest) -> User:
    user = user_of(request)
    require_cap(user, Cap.ADMIN, _("Only an administrator may train, promote or configure triage models."))
    return user


def _models_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    user = _admin(request)
    rows, on_file = model_versions_for(user)
    db_current = next((r.version for r in rows if r.is_current and r.registered), None)
    label_counts = {(f, s): n for f, s, n in _label_counts()}
    settings_row = TriageSettings.load()
    context: dict[str, Any] = {
        "versions": [{"row": r, "cells": [r.metrics.get(f) or None for f in FIELDS]} for r in rows],
        "fields": [FIELD_LABELS[f] for f in FIELDS],
        "current": next((r for r in rows if r.is_current), None),
        "file_mismatch": db_current is not None and on_file != db_current,
        "labels": [{"field": FIELD_LABELS[f], "confirmed": label_counts.get((f, "confirmed"), 0),
                    "corrected": label_counts.get((f, "corrected"), 0)} for f in TRIAGE_FIELDS],
        "threshold_form": extra.pop("threshold_form", None) or ThresholdForm(initial={
            "auto_apply": settings_row.auto_apply,
            "auto_apply_threshold": settings_row.auto_apply_threshold}),
        "train_form": TrainForm(), "evaluate_form": extra.pop("evaluate_form", None) or EvaluateForm(),
    }
    context.update(extra)
    return render(request, "triage/models.html", context, status=status)


def _label_counts() -> list[tuple[str, str, int]]:
    from django.db.models import Count

    rows = TriageLabel.objects.values_list("field", "source").annotate(n=Count("pk")).order_by()
    return [(f, s, n) for f, s, n in rows]


@console_view
def models(request: HttpRequest) -> HttpResponse:
    return _models_page(request)


@console_view
@require_POST
def train(request: HttpRequest) -> HttpResponse:
    """Enqueue training of a new version (Celery); it appears here when done, not yet current."""
    from kesu.triage.tasks import train_model_version

    user = _admin(request)
    form = TrainForm(request.POST)
    notes = form.cleaned_data["notes"] if form.is_valid() else ""
    transaction.on_commit(lambda: train_model_version.delay(user.pk, notes))
    messages.success(request, _("Training of a new version has started. It appears in the list when it is "
                                "done (a minute or less); it becomes current only when you promote it."))
    return redirect("triage:models")


@console_view
@require_POST
def promote(request: HttpRequest, version: str) -> HttpResponse:
    user = _admin(request)
    try:
        do_promote_model_version(version, actor=user, notes=request.POST.get("notes", "")[:500])
    except KesuError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Version {version} is now used for new cases.").format(version=version))
    return redirect("triage:models")


@console_view
@require_POST
def rollback(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    try:
        row = do_rollback_model_version(actor=user)
    except KesuError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Rolled back: version {version} is used for new cases again.")
                         .format(version=row.version))
    return redirect("triage:models")


@console_view
@require_POST
def update_settings(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = ThresholdForm(request.POST)
    if form.is_valid():
        try:
            data = form.cleaned_data
            do_update_triage_settings(auto_apply_threshold=data["auto_apply_threshold"],
                                      auto_apply=data["auto_apply"], actor=user)
        except ValidationFailed as exc:
            form.add_kesu_error(exc)
        else:
            messages.success(request, _("The threshold was saved."))
            return redirect("triage:models")
    return _models_page(request, status=422, threshold_form=form)


@console_view
@require_POST
def evaluate_csv(request: HttpRequest) -> HttpResponse:
    """Score a version on an uploaded labelled CSV (nothing is stored)."""
    _admin(request)
    form = EvaluateForm(request.POST, request.FILES)
    version = request.POST.get("version") or None
    if not form.is_valid():
        return _models_page(request, status=422, evaluate_form=form)
    d = form.cleaned_data
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "upload.csv"
            path.write_bytes(d["file"].read())
            examples, skipped = read_csv_examples(path, text_column=d["text_column"],
                                                  label_column=d["label_column"], field_name=d["field"])
        model = service.get_model(version, train_if_missing=False)
        reports = evaluate(model, examples, [d["field"]])
    except (TrainingError, UnicodeDecodeError, store.ModelNotFound) as exc:
        form.add_error(None, _("The file could not be evaluated: {error}").format(error=exc))
        return _models_page(request, status=422, evaluate_form=form)
    report = reports.get(d["field"])
    matrix = list(zip(report.labels, report.confusion, strict=False)) if report else []
    return _models_page(request, evaluate_form=form, evaluation={
        "version": model.version, "field": FIELD_LABELS.get(d["field"], d["field"]), "skipped": skipped,
        "report": report, "matrix": matrix})
