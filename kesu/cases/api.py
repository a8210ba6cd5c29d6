"""``/api/v1/cases``: parse → access → one action → schema out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Schema, Status

from kesu.cases.access import access_case, ensure_visible
from kesu.cases.actions import Classification, NewCase, ProductInput, do_classify_case, do_create_case
from kesu.cases.actions_messages import NewMessage, do_add_message
from kesu.cases.actions_workflow import Assignment, do_assign_case, do_transition_case
from kesu.cases.presenters import case_dict, message_dict
from kesu.cases.queries import CaseFilter, case_list, count_cap
from kesu.cases.schemas import (
    AssignmentIn,
    CaseIn,
    CaseListOut,
    CaseOut,
    ClassificationIn,
    ErrorOut,
    MessageIn,
    MessageOut,
    TransitionIn,
)
from kesu.cases.search import count_capped
from kesu.customers.actions import CustomerInput

router = Router(tags=["cases"])
ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                   409: ErrorOut, 422: ErrorOut}
PAGE_SIZE = 20


def new_case_from(payload: CaseIn, channel_default: str | None = None) -> NewCase:
    return NewCase(
        kind=payload.kind, channel=payload.channel or (channel_default or ""),
        title=payload.title, description=payload.description, org_unit=payload.org_unit,
        customer=CustomerInput(**payload.customer.dict()),
        product=ProductInput(**payload.product.dict()),
        demands=payload.demands, emotion=payload.emotion, order_ref=payload.order_ref,
        received_at=payload.received_at,
        classification=Classification(
            category=payload.category or "", validity=payload.validity or "",
            severity=payload.severity or "", priority=payload.priority or "",
        ),
    )


@router.post("", response={200: CaseOut, 201: CaseOut, **ERRORS}, summary="Register a case")
def create_case(
    request: HttpRequest, payload: CaseIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> HttpResponse:
    result = do_create_case(new_case_from(payload), actor=request.user, idempotency_key=idempotency_key)  # type: ignore[arg-type]
    case = ensure_visible(request.user, result.case)  # type: ignore[arg-type]
    body = case_dict(case, request.user, with_attachments=True, just_created=result.created)  # type: ignore[arg-type]
    # Rendered as built: ninja would validate it through CaseOut again (~0.25 ms of CPU, the
    # hottest write). ``case_dict`` is what every case read answers, validated there, and a test
    # checks that this answer equals the read of the case. The OpenAPI document keeps CaseOut.
    from kesu.api.main import api  # which mounts this router: imported here, not at load

    return api.create_response(request, body, status=201 if result.created else 200)


class ListParams(Schema):
    status: str = ""
    kind: str = ""
    channel: str = ""
    org_unit: str = ""
    q: str = ""
    received_after: datetime | None = None
    received_before: datetime | None = None
    view: str = ""
    page: int = 1
    exact_count: bool = False


@router.get("", response={200: CaseListOut, **ERRORS}, summary="List cases, newest first")
def list_cases(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    f = CaseFilter(
        status=params.status, kind=params.kind, channel=params.channel, org_unit=params.org_unit,
        q=params.q, received_after=params.received_after, received_before=params.received_before,
        view=params.view,
    )
    qs = case_list(request.user, f)  # type: ignore[arg-type]
    page = max(params.page, 1)
    items = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    count, exact = (qs.count(), True) if params.exact_count else count_capped(qs, count_cap(f))
    return {"items": [case_dict(c, request.user) for c in items], "count": count,  # type: ignore[arg-type]
            "count_exact": exact}


@router.get("/{number}", response={200: CaseOut, **ERRORS}, summary="One case")
def get_case(request: HttpRequest, number: str) -> dict[str, Any]:
    case = access_case(request.user, number)  # type: ignore[arg-type]
    return case_dict(case, request.user, with_attachments=True)  # type: ignore[arg-type]


@router.put("/{number}/classification", response={200: CaseOut, **ERRORS},
            summary="Set category, validity, severity and priority")
def classify_case(request: HttpRequest, number: str, payload: ClassificationIn) -> dict[str, Any]:
    case = access_case(request.user, number)  # type: ignore[arg-type]
    do_classify_case(case, Classification(
        category=payload.category or "", validity=payload.validity or "",
        severity=payload.severity or "", priority=payload.priority or "",
    ), actor=request.user)  # type: ignore[arg-type]
    return case_dict(access_case(request.user, number), request.user, with_attachments=True)  # type: ignore[arg-type]




@router.post("/{number}/transitions", response={200: CaseOut, **ERRORS},
             summary="Move a case to another status (WF-1)")
def transition_case(request: HttpRequest, number: str, payload: TransitionIn) -> dict[str, Any]:
    case = access_case(request.user, number)  # type: ignore[arg-type]
    case = do_transition_case(case, payload.to, reason=payload.reason, actor=request.user)  # type: ignore[arg-type]
    return case_dict(case, request.user, with_attachments=True)  # type: ignore[arg-type]


@router.post("/{number}/assignment", response={200: CaseOut, **ERRORS},
             summary="Assign to a department and a person; empty means route by the rules (WF-2)")
def assign_case(request: HttpRequest, number: str, payload: AssignmentIn) -> dict[str, Any]:
    case = access_case(request.user, number)  # type: ignore[arg-type]
    case = do_assign_case(case, Assignment(**payload.dict()), actor=request.user)  # type: ignore[arg-type]
    return case_dict(case, request.user, with_attachments=True)  # type: ignore[arg-type]


@router.get("/{number}/messages", response={200: list[MessageOut], **ERRORS},
            summary="The communication log of a case (WF-5)")
def list_messages(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    case = access_case(request.user, number)  # type: ignore[arg-type]
    return [message_dict(m) for m in case.messages.select_related("author")]


@router.post("/{number}/messages", response={201: MessageOut, **ERRORS},
             summary="Record a reply, note, call, visit or e-mail")
def add_message(
    request: HttpRequest, number: str, payload: MessageIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status:
    case = access_case(request.user, number)  # type: ignore[arg-type]
    external_id = f"api:{request.user.pk}:{idempotency_key}" if idempotency_key else ""
    message = do_add_message(case, NewMessage(**payload.dict(), external_id=external_id),
                             actor=request.user)  # type: ignore[arg-type]
    return Status(201, message_dict(message))
