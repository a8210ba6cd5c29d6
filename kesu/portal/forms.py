"""Portal forms: parse what the customer typed into the inputs of the intake action."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.cases.actions import NewCase, ProductInput
from kesu.cases.attachments import CheckedFile, check_upload
from kesu.cases.choices import Channel, Demand, Kind
from kesu.cases.promise import REPLY_ZONE
from kesu.core.errors import ValidationFailed
from kesu.customers.actions import CustomerInput, phone_key
from kesu.org.models import OrgUnit

MAX_FILES = 10
PHONE_CHARS = re.compile(r"^[0-9+\-\s().]*$")
#: Action field names that are named differently on the form.
ACTION_FIELDS = {"org_unit": "store", "product.delivered_on": "delivered_on"}


def fresh_submit_key() -> str:
    return str(uuid.uuid4())


def clean_phone(value: str) -> str:
    """Accept the usual ways of writing a number; full-width digits (from an IME) become ASCII."""
    value = unicodedata.normalize("NFKC", value).strip()
    digits = phone_key(value)
    if value and (not PHONE_CHARS.match(value) or not 7 <= len(digits) <= 15):
        raise forms.ValidationError(_("Please enter a valid phone number, e.g. 138 0013 8000."))
    return value


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; ``clean`` returns a list (possibly empty)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        cleaned = []
        for f in data if isinstance(data, list | tuple) else [data]:
            if f:
                cleaned.append(super().clean(f, initial))
        return cleaned


def _unit_choices() -> list[tuple[str, str]]:
    units = OrgUnit.objects.filter(is_active=True).only("code", "name", "path").order_by("path")
    return [(u.code, "\u3000" * max(u.depth, 0) + u.name) for u in units]


class SubmitForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What would you like to tell us?"), choices=Kind.choices,
                             initial=Kind.COMPLAINT,
                             widget=forms.RadioSelect(attrs={"class": "btn-check"}))
    store = forms.ChoiceField(label=gettext_lazy("Store / branch"))
    description = forms.CharField(
        label=gettext_lazy("Your message"), max_length=5000, strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": gettext_lazy("Please tell us what happened.")},
        help_text=gettext_lazy("What happened, when and where. We keep your words as you wrote them."),
    )
    demands = forms.MultipleChoiceField(
        label=gettext_lazy("What would you like us to do?"), choices=Demand.choices, required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    product_name = forms.CharField(label=gettext_lazy("Product or service"), max_length=200, required=False)
    product_batch = forms.CharField(label=gettext_lazy("Batch / lot number"), max_length=80, required=False,
                                    help_text=gettext_lazy("Usually printed on the package."))
    delivered_on = forms.DateField(label=gettext_lazy("Purchase or delivery date"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    order_ref = forms.CharField(label=gettext_lazy("Order number"), max_length=80, required=False)
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=120, required=False,
                           help_text=gettext_lazy("Optional. You may stay anonymous."))
    phone = forms.CharField(label=gettext_lazy("Phone number"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254, required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    attachments = MultipleFileField(
        label=gettext_lazy("Photos or documents"), required=False,
        widget=MultipleFileInput(attrs={"multiple": True}),
        help_text=gettext_lazy("Optional. Pictures, PDF, audio or office documents."),
    )
    submit_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _unit_choices()
        store = self.fields["store"]
        assert isinstance(store, forms.ChoiceField)
        store.choices = choices
        if choices and not self.is_bound:
            self.initial.setdefault("store", choices[0][0])
        self.initial.setdefault("submit_key", fresh_submit_key())
        for field in self.fields.values():
            if not isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)

    def full_clean(self) -> None:
        super().full_clean()
        self._mark_invalid()

    def _mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                if "class" in widget.attrs and "is-invalid" not in widget.attrs["class"]:
                    widget.attrs["class"] += " is-invalid"

    def clean_description(self) -> str:
        value: str = self.cleaned_data["description"]
        if not value.strip():
            raise forms.ValidationError(_("Please tell us what happened."))
        return value

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def clean_delivered_on(self) -> Any:
        value = self.cleaned_data["delivered_on"]
        if value and value > timezone.localdate(timezone=REPLY_ZONE):
            raise forms.ValidationError(_("This date is in the future."))
        return value

    def clean_submit_key(self) -> str:
        """A missing or malformed key gets a fresh one: the submission then simply is not deduplicated."""
        try:
            return str(uuid.UUID(self.cleaned_data["submit_key"]))
        except ValueError:
            return fresh_submit_key()

    def clean_attachments(self) -> list[CheckedFile]:
        files: list[UploadedFile] = self.cleaned_data["attachments"]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("Please attach at most {n} files.").format(n=MAX_FILES))
        checked, problems = [], []
        for f in files:
            try:
                checked.append(check_upload(f, f.name or "file"))
            except ValidationFailed as e:
                problems.append(str(e.message))
        if problems:
            raise forms.ValidationError(problems)
        return checked

    def new_case(self) -> NewCase:
        d = self.cleaned_data
        return NewCase(
            kind=d["kind"], channel=Channel.PORTAL, description=d["description"], org_unit=d["store"],
            customer=CustomerInput(name=d["name"], phone=d["phone"], email=d["email"]),
            product=ProductInput(name=d["product_name"], batch=d["product_batch"],
                                 delivered_on=d["delivered_on"]),
            demands=list(d["demands"]), order_ref=d["order_ref"], attachments=d["attachments"],
        )

    def add_action_error(self, error: ValidationFailed) -> None:
        """Show an action's refusal next to the matching fields, else above the form."""
        for name, messages in error.fields.items():
            field = ACTION_FIELDS.get(name, name)
            for message in messages:
                self.add_error(field if field in self.fields else None, str(message))
        if not error.fields:
            self.add_error(None, str(error.message))
        self._mark_invalid()


class TrackForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Case number"), max_length=30,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "KS-202601-00001",
                                      "autocapitalize": "characters", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone number you gave us"), max_length=40,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])
