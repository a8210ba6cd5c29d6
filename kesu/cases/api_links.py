"""``/api/v1/cases/{number}/related | merge | crisis``: related cases, merging, the crisis flag (TR-5, TR-7).

A router of its own, mounted beside ``kesu.cases.api`` on the same prefix. parse → access →
one action → schema out; scope comes from ``access_case`` and ``cases_visible_to``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from kesu.cases.access import access_case, cases_visible_to
from kesu.cases.actions_links import do_flag_crisis, do_merge_case, do_resolve_crisis
from kesu.cases.models import CaseCrisis, CaseMerge
from kesu.cases.schemas import ErrorOut
from kesu.org.models import User
from kesu.triage.related import LinkedCase, case_links

router = Router(tags=["cases"])
ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                   409: ErrorOut, 422: ErrorOut}


class LinkedCaseOut(Schema):
    number: str
    title: str
    status: str
    received_at: datetime
    org_unit: str
    score: float | None
    later: bool


class CrisisOut(Schema):
    reason: str
    raised_by: str | None  # None: flagged by triage
    at: datetime
    team: list[str]
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str


class RelatedOut(Schema):
    repeats: list[LinkedCaseOut]
    possible_duplicates: list[LinkedCaseOut]
    same_batch: list[LinkedCaseOut]
    merged_into: LinkedCaseOut | None
    merged_from: list[LinkedCaseOut]
    crisis: CrisisOut | None


class MergeIn(Schema):
    into: str
    reason: str = ""


class MergeOut(Schema):
    duplicate: str
    kept: str
    by: str | None
    at: datetime
    reason: str


class CrisisIn(Schema):
    reason: str


class ResolveIn(Schema):
    note: str = ""


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _linked(c: LinkedCase) -> dict[str, Any]:
    return {"number": c.number, "title": c.title, "status": c.status, "received_at": _utc(c.received_at),
            "org_unit": c.org_unit, "score": c.score, "later": c.later}


def crisis_dict(crisis: CaseCrisis) -> dict[str, Any]:
    return {"reason": crisis.reason, "raised_by": crisis.raised_by.username if crisis.raised_by else None,
            "at": _utc(crisis.at), "team": sorted(u.username for u in crisis.team.all()),
            "resolved_at": _utc(crisis.resolved_at),
            "resolved_by": crisis.resolved_by.username if crisis.resolved_by else None,
            "resolution": crisis.resolution}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@router.get("/{number}/related", response={200: RelatedOut, **ERRORS},
            summary="Repeats, possible duplicates, same-batch cases, merges and the open crisis (TR-5, TR-7)")
def related(request: HttpRequest, number: str) -> dict[str, Any]:
    user = _user(request)
    links = case_links(access_case(user, number), cases_visible_to(user))
    return {"repeats": [_linked(c) for c in links.repeats],
            "possible_duplicates": [_linked(c) for c in links.duplicates],
            "same_batch": [_linked(c) for c in links.same_batch],
            "merged_into": _linked(links.merged_into) if links.merged_into else None,
            "merged_from": [_linked(c) for c in links.merged_from],
            "crisis": crisis_dict(links.crisis) if links.crisis else None}


@router.post("/{number}/merge", response={200: MergeOut, **ERRORS},
             summary="Merge this case into another; this one is rejected, both timelines stay")
def merge(request: HttpRequest, number: str, payload: MergeIn) -> dict[str, Any]:
    user = _user(request)
    duplicate = access_case(user, number)
    m: CaseMerge = do_merge_case(duplicate, into=access_case(user, payload.into), reason=payload.reason,
                                 actor=user)
    return {"duplicate": duplicate.number, "kept": payload.into, "by": user.username, "at": _utc(m.at),
            "reason": m.reason}


@router.post("/{number}/crisis", response={201: CrisisOut, **ERRORS},
             summary="Flag a case as a crisis: the crisis team is recorded and notified (TR-7)")
def flag_crisis(request: HttpRequest, number: str, payload: CrisisIn) -> Status:
    user = _user(request)
    crisis = do_flag_crisis(access_case(user, number), reason=payload.reason, actor=user)
    return Status(201, crisis_dict(crisis))


@router.post("/{number}/crisis/resolve", response={200: CrisisOut, **ERRORS},
             summary="Declare the open crisis of a case over")
def resolve_crisis(request: HttpRequest, number: str, payload: ResolveIn) -> dict[str, Any]:
    user = _user(request)
    return crisis_dict(do_resolve_crisis(access_case(user, number), note=payload.note, actor=user))
