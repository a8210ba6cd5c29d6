"""The triage of a case as plain data (the case JSON's ``triage`` object) and the API's schemas.

``triage_dict(case)`` is what ``kesu.cases.presenters.case_dict`` adds as ``"triage"``; the
``TriageOut`` schema types it in ``CaseOut``. Codes, not labels (the API speaks codes); the
reasons carry their sentence in the caller's language.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from ninja import Schema

from kesu.cases.models import Case
from kesu.triage.core.rules import Reason
from kesu.triage.models import TRIAGE_FIELDS, CaseTriage, FieldState
from kesu.triage.reasons import reason_text


class TriageFieldOut(Schema):
    code: str | None  # the suggested code; None when the model made no suggestion for the field
    confidence: float | None
    state: str  # pending, auto_applied, intake_confirmed, intake_corrected, confirmed, corrected
    value: str | None  # the code decided (what the case carries), None while pending
    decided_by: str | None
    decided_at: datetime | None


class ReasonOut(Schema):
    id: str
    params: dict[str, Any]
    text: str


class TriageOut(Schema):
    model_version: str
    created_at: datetime
    crisis: bool
    risk_words: list[str]
    reasons: list[ReasonOut]
    error: str | None
    kind: TriageFieldOut | None
    category: TriageFieldOut | None
    validity: TriageFieldOut | None
    severity: TriageFieldOut | None
    priority: TriageFieldOut | None
    sentiment: TriageFieldOut | None
    emotion: TriageFieldOut | None


class ConfirmIn(Schema):
    fields: dict[str, str]


class SuggestIn(Schema):
    text: str
    customer_level: str | None = None


class PredictionOut(Schema):
    code: str
    confidence: float


class SuggestionOut(Schema):
    model_version: str
    crisis: bool
    risk_words: list[str]
    reasons: list[ReasonOut]
    kind: PredictionOut | None
    category: PredictionOut | None
    validity: PredictionOut | None
    severity: PredictionOut | None
    priority: PredictionOut | None
    sentiment: PredictionOut | None
    emotion: PredictionOut | None


class VersionOut(Schema):
    version: str
    created_at: datetime
    training_size: int
    sources: dict[str, int]
    metrics: dict[str, Any]
    is_current: bool
    registered: bool
    previous: str | None
    promoted_by: str | None
    promoted_at: datetime | None
    notes: str


def reasons_out(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored reasons with their sentence in the active language."""
    return [{"id": r["id"], "params": r.get("params") or {},
             "text": reason_text(Reason(r["id"], r.get("params") or {}))} for r in reasons]


def _field(row: CaseTriage, name: str) -> dict[str, Any] | None:
    suggestion = row.suggestion(name)
    decision = row.decisions.get(name)
    if suggestion is None and decision is None:
        return None
    at = parse_datetime(decision["at"]) if decision and decision.get("at") else None
    return {
        "code": suggestion["code"] if suggestion else None,
        "confidence": suggestion["confidence"] if suggestion else None,
        "state": decision["state"] if decision else FieldState.PENDING,
        "value": decision.get("value") if decision else None,
        "decided_by": (decision.get("by_name") or None) if decision else None,
        "decided_at": at.astimezone(UTC) if at else None,
    }


def triage_row_dict(row: CaseTriage) -> dict[str, Any]:
    data: dict[str, Any] = {
        "model_version": row.model_version, "created_at": row.created_at.astimezone(UTC),
        "crisis": row.crisis, "risk_words": list(row.risk_words), "reasons": reasons_out(row.reasons),
        "error": row.error or None,
    }
    data.update({name: _field(row, name) for name in TRIAGE_FIELDS})
    return data


def triage_dict(case: Case) -> dict[str, Any] | None:
    """The case's triage as the API shows it; None for a case registered before triage existed.

    One query unless the caller's queryset did ``select_related("triage")``.
    """
    try:
        row = case.triage  # type: ignore[attr-defined]
    except CaseTriage.DoesNotExist:
        return None
    return triage_row_dict(row)
