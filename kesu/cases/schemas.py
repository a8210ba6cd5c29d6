"""API shapes of the case record. Codes are the lowercase values of ``kesu.cases.choices``."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field


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
    attachments: list[AttachmentOut] = []


class CaseListOut(Schema):
    items: list[CaseOut]
    count: int


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]
