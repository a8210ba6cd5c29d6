"""Triage in the database (TR-6): each case's suggestions, the labels staff gave, model versions, settings.

The model itself lives on disk (``kesu.triage.core.store``); the database records what it
suggested for each case and what became of each suggestion, keeps every confirmation and
correction as a labelled example for the next training run, and says which model version
is current (promotion and rollback are audited rows here, not a file).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Fields a suggestion may carry, in display order. Sentiment has no column on the case: it is
#: shown and can be confirmed (a label for training) but never written onto the case.
TRIAGE_FIELDS: tuple[str, ...] = ("kind", "category", "validity", "severity", "priority", "sentiment",
                                  "emotion")
#: Fields whose value lives on the case row.
CASE_FIELDS: tuple[str, ...] = ("kind", "category", "validity", "severity", "priority", "emotion")
#: Fields intake may leave empty and triage may fill in when confident (kind only for e-mail).
AUTO_FIELDS: tuple[str, ...] = ("category", "validity", "severity", "priority", "emotion")


class FieldState(models.TextChoices):
    """What became of one field's suggestion."""

    PENDING = "pending", _("Awaiting confirmation")
    AUTO_APPLIED = "auto_applied", _("Applied automatically")
    INTAKE_CONFIRMED = "intake_confirmed", _("Confirmed at intake")
    INTAKE_CORRECTED = "intake_corrected", _("Corrected at intake")
    CONFIRMED = "confirmed", _("Confirmed")
    CORRECTED = "corrected", _("Corrected")


class LabelSource(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    CORRECTED = "corrected", _("Corrected")


class CaseTriage(models.Model):
    """The model's suggestion for one case, and per field what staff or intake did with it.

    ``suggestions`` is ``{field: {"code", "confidence"} | None}``; ``decisions`` is ``{field:
    {"state", "value", "by", "by_name", "at"}}`` (``value`` is the code the case carries for that
    field after the decision). ``error`` is set, and the suggestions empty, when the model failed
    at intake: the case was saved without suggestions.
    """

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="triage",
                                verbose_name=_("case"))
    model_version = models.CharField(_("model version"), max_length=64, blank=True)
    suggestions = models.JSONField(_("suggestions"), default=dict)
    decisions = models.JSONField(_("decisions"), default=dict)
    risk_words = models.JSONField(_("risk words"), default=list, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    crisis = models.BooleanField(_("possible crisis"), default=False)
    error = models.CharField(_("error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("case triage")
        verbose_name_plural = _("case triages")

    def __str__(self) -> str:
        return f"{self.case_id} {self.model_version}"

    def suggestion(self, name: str) -> dict[str, Any] | None:
        value = self.suggestions.get(name)
        return value if isinstance(value, dict) else None

    def state(self, name: str) -> str:
        decision = self.decisions.get(name)
        return str(decision["state"]) if decision else FieldState.PENDING


class TriageLabel(models.Model):
    """One confirmation or correction: a labelled example for training (TR-6). Append-only."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="triage_labels",
                             verbose_name=_("case"))
    field = models.CharField(_("field"), max_length=20)
    code = models.CharField(_("code"), max_length=60)
    suggested = models.CharField(_("suggested code"), max_length=60, blank=True)
    text = models.TextField(_("text"), help_text=_("Title and description when the label was given."))
    source = models.CharField(_("source"), max_length=20, choices=LabelSource.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("user"))
    at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("triage label")
        verbose_name_plural = _("triage labels")
        indexes = [models.Index(fields=["case", "field", "at"], name="triage_label_case_field_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.field}={self.code}"


class ModelVersion(models.Model):
    """A model version on disk, registered with its evaluation; ``is_current`` is the one in use.

    ``previous`` is the version that was current when this one was promoted: "roll back"
    returns to it.
    """

    version = models.CharField(_("version"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("trained at"))
    training_size = models.IntegerField(_("training examples"), default=0)
    sources = models.JSONField(_("sources"), default=dict, blank=True)
    metrics = models.JSONField(_("evaluation"), default=dict, blank=True)
    is_current = models.BooleanField(_("current"), default=False)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("previous version"))
    promoted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("promoted by"))
    promoted_at = models.DateTimeField(_("promoted at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("triage model version")
        verbose_name_plural = _("triage model versions")
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=models.Q(is_current=True),
                                    name="triage_one_current_model"),
        ]

    def __str__(self) -> str:
        return self.version


class TriageSettings(models.Model):
    """Singleton (pk 1): whether, and from which confidence, a suggestion is applied without a human."""

    auto_apply = models.BooleanField(
        _("apply confident suggestions automatically"), default=True,
        help_text=_("Off: every suggestion waits for a person, even those raised by risk rules."),
    )
    auto_apply_threshold = models.FloatField(
        _("confidence threshold for applying a suggestion automatically"), default=0.8,
        help_text=_("Between 0.5 and 1. A suggestion at least this confident fills a field intake left "
                    "empty; 1 applies only values raised by risk rules."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("triage settings")
        verbose_name_plural = _("triage settings")

    def __str__(self) -> str:
        return f"threshold {self.auto_apply_threshold}"

    @classmethod
    def load(cls) -> TriageSettings:
        """The settings row, or unsaved defaults when an admin never changed them (no write on read)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)
