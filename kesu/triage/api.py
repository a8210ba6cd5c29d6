"""``/api/v1/triage``: parse → access → one action → schema out.

A case's triage, one-click confirm/correct, a suggestion for a text being typed, and the
model versions (list for staff; promote and roll back for administrators).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kesu.cases.actions_links import LinkSettingsInput, do_save_link_settings
from kesu.cases.models import LinkSettings
from kesu.core.errors import Forbidden, NotFound, ValidationFailed
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap
from kesu.triage import service
from kesu.triage.access import access_case_triage, model_versions_for
from kesu.triage.actions import do_confirm_triage
from kesu.triage.actions_models import do_promote_model_version, do_rollback_model_version
from kesu.triage.schemas import (
    ConfirmIn,
    SuggestIn,
    SuggestionOut,
    TriageOut,
    VersionOut,
    reasons_out,
    triage_row_dict,
)

router = Router(tags=["triage"])

MAX_TEXT = 20_000


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@router.get("/cases/{number}", response={200: TriageOut, **ERRORS}, summary="A case's triage suggestion")
def case_triage(request: HttpRequest, number: str) -> dict[str, Any]:
    _case, row = access_case_triage(_user(request), number)
    if row is None:
        raise NotFound(_("This case has no triage suggestion."))
    return triage_row_dict(row)


@router.post("/cases/{number}/confirm", response={200: TriageOut, **ERRORS},
             summary="Accept or correct suggested fields (a code equal to the suggestion confirms it)")
def confirm(request: HttpRequest, number: str, payload: ConfirmIn) -> dict[str, Any]:
    user = _user(request)
    case, _row = access_case_triage(user, number)
    return triage_row_dict(do_confirm_triage(case, payload.fields, actor=user))


@router.post("/suggest", response={200: SuggestionOut, **ERRORS},
             summary="Suggestions for a text (nothing is stored)")
def suggest(request: HttpRequest, payload: SuggestIn) -> dict[str, Any]:
    if not has_cap(_user(request).role, Cap.CASE_CREATE):
        raise Forbidden(_("Your role may not register cases."))
    if not payload.text.strip() or len(payload.text) > MAX_TEXT:
        raise ValidationFailed(_("Please correct the marked fields."),
                               fields={"text": [_("Between 1 and {n} characters.").format(n=MAX_TEXT)]})
    triage = service.suggest(payload.text, customer_level=payload.customer_level)
    data = triage.to_dict()
    data["reasons"] = reasons_out([r.to_dict() for r in triage.reasons])
    return data


@router.get("/versions", response={200: list[VersionOut], **ERRORS}, summary="Model versions, newest first")
def versions(request: HttpRequest) -> list[dict[str, Any]]:
    rows, _on_file = model_versions_for(_user(request))
    return [asdict(r) for r in rows]


def _version_out(request: HttpRequest, version: str) -> dict[str, Any]:
    rows, _on_file = model_versions_for(_user(request))
    return asdict(next(r for r in rows if r.version == version))


@router.post("/versions/{version}/promote", response={200: VersionOut, **ERRORS},
             summary="Make a version the one intake uses (administrators)")
def promote(request: HttpRequest, version: str) -> dict[str, Any]:
    row = do_promote_model_version(version, actor=_user(request))
    return _version_out(request, row.version)


@router.post("/versions/rollback", response={200: VersionOut, **ERRORS},
             summary="Return to the version that was current before (administrators)")
def rollback(request: HttpRequest) -> dict[str, Any]:
    row = do_rollback_model_version(actor=_user(request))
    return _version_out(request, row.version)


class RelatedSettingsIO(Schema):
    """Repeat and duplicate detection on intake (TR-5) and who forms a crisis team (TR-7)."""

    window_days: int
    repeat_threshold: float
    duplicate_threshold: float
    duplicate_window_days: int
    max_candidates: int
    max_batch_links: int
    crisis_roles: list[str]
    crisis_department_kinds: list[str]


def _related_settings_out(row: LinkSettings) -> dict[str, Any]:
    return {name: getattr(row, name) for name in RelatedSettingsIO.model_fields}


@router.get("/related-settings", response={200: RelatedSettingsIO, **ERRORS},
            summary="How intake finds repeats and duplicates, and who forms a crisis team")
def related_settings(request: HttpRequest) -> dict[str, Any]:
    return _related_settings_out(LinkSettings.current())


@router.put("/related-settings", response={200: RelatedSettingsIO, **ERRORS},
            summary="Change how intake finds repeats and duplicates (administrators)")
def save_related_settings(request: HttpRequest, payload: RelatedSettingsIO) -> dict[str, Any]:
    data = payload.dict()
    data["crisis_roles"] = tuple(data["crisis_roles"])
    data["crisis_department_kinds"] = tuple(data["crisis_department_kinds"])
    return _related_settings_out(do_save_link_settings(LinkSettingsInput(**data), actor=_user(request)))
