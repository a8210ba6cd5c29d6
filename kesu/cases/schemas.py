"""API shapes of the case record. Codes are the lowercase values of ``kesu.cases.choices``."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from kesu.triage.schemas import TriageOut


class CustomerIn(Schema):
    name: str = Field("", max_length=120)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=300)
    organisation: str = Field("", max_length=200)
    level: str = "normal"
    type: str = "consumer"


class ProductIn(Schema):
    name: str = Field("", max_length=200)
    model: str = Field("", max_length=120)
    batch: str = Field("", max_length=80)
    serial: str = Field("", max_length=80)
    delivered_on: date | None = None
    quantity: int | None = Field(None, ge=0)
    defective_quantity: int | None = Field(None, ge=0)


class CaseIn(Schema):
    kind: str
    channel: str
    title: str = Field("", max_length=200)
    description: str = Field(..., max_length=20000)
    customer: CustomerIn = Field(default_factory=CustomerIn)  # type: ignore[arg-type]  # pydantic stubs
    product: ProductIn = Field(default_factory=ProductIn)  # type: ignore[arg-type]  # pydantic stubs
    demands: list[str] = Field(default_factory=list)
    emotion: str = ""
    order_ref: str = Field("", max_length=80)
    org_unit: str
    received_at: datetime | None = None
    category: str | None = None
    validity: str | None = None
    severity: str | None = None
    priority: str | None = None


class ClassificationIn(Schema):
    category: str | None = None
    validity: str | None = None
    severity: str | None = None
    priority: str | None = None


class CustomerOut(Schema):
    id: int | None
    name: str
    phone: str
    email: str
    level: str
    type: str


class ProductOut(Schema):
    name: str
    model: str
    batch: str
    serial: str
    delivered_on: date | None
    quantity: int | None
    defective_quantity: int | None


class AttachmentOut(Schema):
    name: str
    content_type: str
    size: int
    sha256: str


class ClockOut(Schema):
    name: str  # clock code: relay, first_response, handling, reply, callback, promise
    label: str
    due_at: datetime | None
    state: str  # running, paused, met, breached
    remaining_working_minutes: int | None = None


class MessageIn(Schema):
    kind: str
    direction: str = "outbound"
    body: str = Field(..., max_length=20000)
    visible_to_customer: bool = False
    subject: str = Field("", max_length=200)
    occurred_at: datetime | None = None
    contact: str = Field("", max_length=200)
    promised_reply_at: datetime | None = None


class MessageOut(Schema):
    id: int
    kind: str
    direction: str
    visible_to_customer: bool
    subject: str
    body: str
    contact: str
    occurred_at: datetime
    author: str | None


class TransitionIn(Schema):
    to: str
    reason: str = Field("", max_length=2000)


class AssignmentIn(Schema):
    department: str = ""
    owner: str = ""
    coordinator: str = ""
    reason: str = Field("", max_length=2000)


class CaseOut(Schema):
    number: str
    status: str
    kind: str
    channel: str
    title: str
    description: str
    received_at: datetime
    created_at: datetime
    customer: CustomerOut
    product: ProductOut
    demands: list[str]
    emotion: str
    order_ref: str
    org_unit: str
    org_unit_name: str
    intake_by: str | None
    category: str | None
    validity: str
    severity: str
    priority: str
    missing_fields: list[str]
    owner: str | None = None
    department: str | None = None
    coordinator: str | None = None
    first_responder: str | None = None
    attachments: list[AttachmentOut] = []
    clocks: list[ClockOut] = []
    allowed_transitions: list[str] = []
    triage: TriageOut | None = None


class CaseListOut(Schema):
    items: list[CaseOut]
    count: int  # exact up to 10,000; beyond that 10,000 with count_exact false
    count_exact: bool = True


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]
