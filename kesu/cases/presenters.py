"""Turn a case into the plain dict both the API and exports use, masking per viewer."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.utils import timezone

from kesu.cases.models import Case, CaseMessage
from kesu.cases.workflow import allowed_targets
from kesu.org.masking import contact_for
from kesu.org.models import User
from kesu.sla.actions import synced_clocks
from kesu.sla.queries import CLOCK_ORDER, ClockView, clock_views, view_of
from kesu.triage.schemas import triage_dict


def case_dict(case: Case, viewer: User, *, with_attachments: bool = False, just_created: bool = False
              ) -> dict[str, Any]:
    """The case as the API shows it; ``with_attachments`` (the detail view) adds files and workflow.

    ``just_created``: ``case`` is the instance intake returned in this request, which knows its
    attachments, triage and clocks, so nothing is read back (three queries fewer per create).
    """
    cust = case.customer
    contact = contact_for(
        viewer, phone=cust.phone if cust else "", email=cust.email if cust else "",
        address=cust.address if cust else "",
    )
    data: dict[str, Any] = {
        "number": case.number,
        "status": case.status,
        "kind": case.kind,
        "channel": case.channel,
        "title": case.title,
        "description": case.description,
        # UTC whatever offset the object carries, so a fresh and a re-read case answer alike.
        "received_at": case.received_at.astimezone(UTC),
        "created_at": case.created_at.astimezone(UTC),
        "customer": {
            "id": cust.pk if cust else None,
            "name": case.customer_name,
            "phone": contact["phone"],
            "email": contact["email"],
            "level": cust.level if cust else "",
            "type": cust.type if cust else "",
        },
        "product": {
            "name": case.product_name, "model": case.product_model, "batch": case.product_batch,
            "serial": case.product_serial, "delivered_on": case.delivered_on,
            "quantity": case.quantity, "defective_quantity": case.defective_quantity,
        },
        "demands": case.demands,
        "emotion": case.emotion,
        "order_ref": case.order_ref,
        "org_unit": case.org_unit.code,
        "org_unit_name": case.org_unit.name,
        "intake_by": case.intake_by.username if case.intake_by_id and case.intake_by else None,
        "category": case.category.code if case.category_id and case.category else None,
        "validity": case.validity,
        "severity": case.severity,
        "priority": case.priority,
        "missing_fields": case.missing_fields,
        "owner": case.owner.username if case.owner_id and case.owner else None,
        "department": case.department.code if case.department_id and case.department else None,
        "coordinator": case.coordinator.username if case.coordinator_id and case.coordinator else None,
        "first_responder": case.intake_by.username if case.intake_by_id and case.intake_by else None,
    }
    if with_attachments:
        files = getattr(case, "_kesu_attachments", None) if just_created else None
        data["attachments"] = [
            {"name": a.original_name, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
            for a in (files if files is not None else case.attachments.all())
        ]
        data["triage"] = triage_dict(case)
        data["allowed_transitions"] = allowed_targets(case.status, viewer.role, case.resume_status)
        data["clocks"] = [
            {"name": c.code, "label": str(c.name), "due_at": c.due_at.astimezone(UTC) if c.due_at else None,
             "state": c.state, "remaining_working_minutes": round(c.remaining_minutes)}
            for c in _clock_views(case, just_created)
        ]
    return data


def _clock_views(case: Case, just_created: bool) -> list[ClockView]:
    """``clock_views``, from the clocks intake just stored when it has them (no read-back)."""
    now = timezone.now()
    synced = synced_clocks(case) if just_created else None
    if synced is None:
        return clock_views(case, now=now)
    clocks, cal = synced
    return [view_of(c, now, cal) for c in sorted(clocks, key=lambda c: CLOCK_ORDER.get(c.code, 99))]


def message_dict(message: CaseMessage) -> dict[str, Any]:
    return {
        "id": message.pk, "kind": message.kind, "direction": message.direction,
        "visible_to_customer": message.visible_to_customer, "subject": message.subject,
        "body": message.body, "contact": message.contact,
        "occurred_at": message.occurred_at.astimezone(UTC),
        "author": message.author.username if message.author_id and message.author else None,
    }
