"""Forms of the triage pages: correct a field, the threshold, train, evaluate on a CSV."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kesu.console.forms import KesuErrorsMixin, StyledForm
from kesu.triage.core import FIELDS
from kesu.triage.models import TRIAGE_FIELDS

MAX_CSV_BYTES = 20 * 1024 * 1024


class CorrectForm(KesuErrorsMixin, StyledForm):
    """One field set to a chosen code (the code is checked by the action)."""

    field = forms.ChoiceField(label=_("Field"), choices=[(f, f) for f in TRIAGE_FIELDS])
    code = forms.CharField(label=_("Value"), max_length=60)


class AcceptForm(StyledForm):
    """Accept one field's suggestion, or every suggestion not yet decided by a person."""

    field = forms.ChoiceField(label=_("Field"), choices=[(f, f) for f in TRIAGE_FIELDS], required=False)
    all = forms.BooleanField(label=_("Accept all"), required=False)


class ThresholdForm(KesuErrorsMixin, StyledForm):
    auto_apply = forms.BooleanField(label=_("Apply confident suggestions automatically"), required=False)
    auto_apply_threshold = forms.FloatField(
        label=_("Confidence threshold for applying a suggestion automatically"), min_value=0.5,
        max_value=1.0, widget=forms.NumberInput(attrs={"step": "0.01"}),
        help_text=_("A suggestion at least this confident fills a field intake left empty. "
                    "1 applies only values raised by risk rules."))


class TrainForm(StyledForm):
    notes = forms.CharField(label=_("Notes"), required=False, max_length=500)


class EvaluateForm(KesuErrorsMixin, StyledForm):
    """A labelled CSV to score a version on (one field, a text column and a label column)."""

    file = forms.FileField(label=_("CSV file (UTF-8, with a header row)"))
    field = forms.ChoiceField(label=_("Field"), choices=[(f, f) for f in FIELDS])
    text_column = forms.CharField(label=_("Text column"), initial="text", max_length=100)
    label_column = forms.CharField(label=_("Label column"), initial="label", max_length=100)

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(_("At most 20 MB."))
        return upload
