"""Console forms: they parse and shape input only; business rules live in the actions."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kesu.cases.actions import Classification, NewCase, ProductInput
from kesu.cases.attachments import CheckedFile, check_upload
from kesu.cases.choices import (
    CONSOLE_CHANNELS,
    Channel,
    Demand,
    Emotion,
    Kind,
    Priority,
    Severity,
    Status,
    Validity,
)
from kesu.cases.models import Case, Category
from kesu.cases.queries import SORTABLE, CaseFilter
from kesu.core.errors import KesuError
from kesu.customers.actions import CustomerInput
from kesu.customers.choices import CustomerLevel, CustomerType
from kesu.org.models import OrgUnit

INDENT = "\u3000"  # an ideographic space: indents tree labels in a <select>


#: Selects render their options inline (see the template for why).
SELECT_TEMPLATE = "console/widgets/select.html"


class StyledForm(forms.Form):
    """Bootstrap classes on every widget; invalid fields are styled through ``aria-invalid``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            w = f.widget
            if isinstance(w, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.HiddenInput):
                continue
            if isinstance(w, forms.CheckboxInput):
                w.attrs["class"] = "form-check-input"
                continue
            if isinstance(w, forms.Select):
                w.template_name = SELECT_TEMPLATE
            css = "form-select" if isinstance(w, forms.Select) else "form-control"
            w.attrs["class"] = f"{w.attrs.get('class', '')} {css}".strip()


def set_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    cast(forms.ChoiceField, form.fields[name]).choices = choices


def _blank(label: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", label), *list(choices)]


def unit_choices(units: QuerySet[OrgUnit], blank: Any = None) -> list[tuple[str, str]]:
    """Org units as an indented tree, relative to the shallowest unit offered."""
    rows = list(units.only("code", "name", "path"))
    top = min((u.depth for u in rows), default=0)
    choices = [(u.code, INDENT * (u.depth - top) + u.name) for u in rows]
    return [("", str(blank)), *choices] if blank is not None else choices


def category_choices() -> list[tuple[str, str]]:
    """Active categories as an indented tree in the active language, parents before children."""
    rows = list(Category.objects.filter(is_active=True).order_by("sort_order", "code"))
    children: dict[int | None, list[Category]] = {}
    for c in rows:
        children.setdefault(c.parent_id, []).append(c)
    language = get_language() or ""
    out: list[tuple[str, str]] = [("", str(_("— not classified —")))]

    def walk(parent: int | None, depth: int) -> None:
        for c in children.get(parent, []):
            out.append((c.code, INDENT * depth + c.label(language)))
            walk(c.pk, depth + 1)

    walk(None, 0)
    return out


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


SORT_CHOICES = [
    ("-received_at", _("Newest first")), ("received_at", _("Oldest first")),
    ("-number", _("Case number, descending")), ("number", _("Case number, ascending")),
    ("status", _("Status")), ("kind", _("Kind")),
]


class CaseFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=lambda: _blank(_("All statuses"), Status.choices))
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=lambda: _blank(_("All kinds"), Kind.choices))
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=lambda: _blank(_("All channels"), Channel.choices))
    org_unit = forms.ChoiceField(label=_("Org unit"), required=False)
    received_from = forms.DateField(label=_("Received from"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    received_to = forms.DateField(label=_("Received until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(label=_("Sort by"), required=False,
                             choices=lambda: [c for c in SORT_CHOICES if c[0] in SORTABLE])
    view = forms.ChoiceField(required=False, widget=forms.HiddenInput, choices=lambda: [
        ("", _("All cases")), ("mine", _("My cases")), ("department", _("My department")),
        ("unassigned", _("Unassigned")),
    ])

    def __init__(self, data: Any, *, units: QuerySet[OrgUnit]) -> None:
        super().__init__(data)
        set_choices(self, "org_unit", unit_choices(units, blank=_("All my org units")))

    def to_filter(self) -> CaseFilter:
        """The filter from the valid fields; an invalid field is ignored (and shown as an error)."""
        self.is_valid()
        d = self.cleaned_data
        day_from: date | None = d.get("received_from")
        day_to: date | None = d.get("received_to")
        return CaseFilter(
            status=d.get("status", ""), kind=d.get("kind", ""), channel=d.get("channel", ""),
            org_unit=d.get("org_unit", ""), q=d.get("q", ""),
            received_after=local_midnight(day_from) if day_from else None,
            received_before=local_midnight(day_to + timedelta(days=1)) if day_to else None,
            sort=d.get("sort") or "-received_at", view=d.get("view", ""),
        )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the pattern from Django's documentation)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def check_files(files: list[UploadedFile]) -> list[CheckedFile]:
    return [check_upload(f, f.name or "file") for f in files]


class KesuErrorsMixin:
    """Show a domain error's per-field messages next to the form's fields."""

    def add_kesu_error(self, exc: KesuError) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        form.add_error(None, str(exc.message))
        for key, msgs in exc.fields.items():
            name = key.replace(".", "_")
            form.add_error(name if name in form.fields else None, [str(m) for m in msgs])


class ClassificationFields(StyledForm):
    """Category, validity, severity and priority (TR-1 … TR-4): set at intake or on the case page."""

    category = forms.ChoiceField(label=_("Category"), required=False)
    validity = forms.ChoiceField(label=_("Validity"), required=False,
                                 choices=lambda: _blank(_("— not set —"), Validity.choices))
    severity = forms.ChoiceField(label=_("Severity"), required=False,
                                 choices=lambda: _blank(_("— not set —"), Severity.choices))
    priority = forms.ChoiceField(label=_("Priority"), required=False,
                                 choices=lambda: _blank(_("— not set —"), Priority.choices))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "category", category_choices())

    def to_classification(self) -> Classification:
        d = self.cleaned_data
        return Classification(category=d["category"], validity=d["validity"], severity=d["severity"],
                              priority=d["priority"])


class ClassifyForm(KesuErrorsMixin, ClassificationFields):
    @classmethod
    def for_case(cls, case: Case) -> ClassifyForm:
        return cls(initial={
            "category": case.category.code if case.category else "", "validity": case.validity,
            "severity": case.severity, "priority": case.priority,
        })


class AttachmentForm(KesuErrorsMixin, StyledForm):
    attachments = MultipleFileField(label=_("Files"))


def new_submit_key() -> str:
    return uuid.uuid4().hex


class NewCaseForm(KesuErrorsMixin, ClassificationFields):
    """The intake form (IN-1 a, IN-4). Field names follow the action's error keys ("product.x")."""

    submit_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    channel = forms.ChoiceField(label=_("Channel"), initial=Channel.PHONE, widget=forms.RadioSelect,
                                choices=lambda: [(c.value, c.label) for c in CONSOLE_CHANNELS])
    kind = forms.ChoiceField(label=_("Kind"), initial=Kind.COMPLAINT, widget=forms.RadioSelect,
                             choices=lambda: Kind.choices)
    received_at = forms.DateTimeField(
        label=_("Received at"), required=False,
        help_text=_("Leave empty for now; for a letter or fax give the time it arrived."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    customer_phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    customer_name = forms.CharField(label=_("Customer name"), required=False, max_length=120)
    customer_email = forms.EmailField(label=_("E-mail"), required=False)
    customer_level = forms.ChoiceField(label=_("Customer level"), required=False,
                                       initial=CustomerLevel.NORMAL, choices=lambda: CustomerLevel.choices)
    customer_type = forms.ChoiceField(label=_("Customer type"), required=False,
                                      initial=CustomerType.CONSUMER, choices=lambda: CustomerType.choices)
    customer_organisation = forms.CharField(label=_("Organisation"), required=False, max_length=200)
    customer_address = forms.CharField(label=_("Address"), required=False, max_length=300)
    product_name = forms.CharField(label=_("Product"), required=False, max_length=200)
    product_model = forms.CharField(label=_("Model / specification"), required=False, max_length=120)
    product_batch = forms.CharField(label=_("Batch / lot"), required=False, max_length=80)
    product_serial = forms.CharField(label=_("Serial number"), required=False, max_length=80)
    product_delivered_on = forms.DateField(label=_("Delivery date"), required=False,
                                           widget=forms.DateInput(attrs={"type": "date"}))
    product_quantity = forms.IntegerField(label=_("Quantity"), required=False, min_value=0)
    product_defective_quantity = forms.IntegerField(label=_("Defective quantity"), required=False,
                                                    min_value=0)
    order_ref = forms.CharField(label=_("Order reference"), required=False, max_length=80)
    demands = forms.MultipleChoiceField(label=_("Customer's demands"), required=False,
                                        widget=forms.CheckboxSelectMultiple, choices=lambda: Demand.choices)
    emotion = forms.ChoiceField(label=_("Customer's emotion"), required=False,
                                choices=lambda: _blank(_("— not noted —"), Emotion.choices))
    title = forms.CharField(label=_("Title"), required=False, max_length=200,
                            help_text=_("Leave empty to use the start of the description."))
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}),
                                  help_text=_("The customer's own words, verbatim."))
    org_unit = forms.ChoiceField(label=_("Org unit"))
    attachments = MultipleFileField(label=_("Attachments"), required=False,
                                    help_text=_("Photos, recordings, inspection reports."))

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], default_unit: str, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"submit_key": new_submit_key(), "org_unit": default_unit})
        super().__init__(*args, **kwargs)
        set_choices(self, "org_unit", unit_choices(units))

    def to_new_case(self) -> NewCase:
        d = self.cleaned_data
        return NewCase(
            kind=d["kind"], channel=d["channel"], title=d["title"], description=d["description"],
            org_unit=d["org_unit"], received_at=d["received_at"], order_ref=d["order_ref"],
            demands=d["demands"], emotion=d["emotion"],
            customer=CustomerInput(
                name=d["customer_name"], phone=d["customer_phone"], email=d["customer_email"],
                address=d["customer_address"], organisation=d["customer_organisation"],
                level=d["customer_level"] or CustomerLevel.NORMAL,
                type=d["customer_type"] or CustomerType.CONSUMER,
            ),
            product=ProductInput(
                name=d["product_name"], model=d["product_model"], batch=d["product_batch"],
                serial=d["product_serial"], delivered_on=d["product_delivered_on"],
                quantity=d["product_quantity"], defective_quantity=d["product_defective_quantity"],
            ),
            classification=self.to_classification(),
            attachments=check_files(d["attachments"]),
        )

    def add_kesu_error(self, exc: KesuError) -> None:
        super().add_kesu_error(exc)
        if exc.code == "idempotency_key_reused":
            # The form was sent before with other content (e.g. after "back"): the next
            # submit is a new, deliberate case.
            data = cast(QueryDict, self.data).copy()
            data["submit_key"] = new_submit_key()
            self.data = data
