"""Links between cases, merges and the crisis flag (TR-5, TR-7). Imported by ``kesu.cases.models``.

Kept apart from ``models.py`` because the concept is separate: who is related to whom, which
case was folded into which, and which cases are crises. Nothing here changes a ``Case`` row;
the actions in ``kesu.cases.actions_links`` write these tables and the case events.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from kesu.core import sqlcache

__all__ = ["CaseCrisis", "CaseLink", "CaseMerge", "LinkKind", "LinkSettings"]


class LinkKind(models.TextChoices):
    REPEAT = "repeat", _("Repeat complaint")
    POSSIBLE_DUPLICATE = "possible_duplicate", _("Possible duplicate")
    SAME_BATCH = "same_batch", _("Same product batch")
    MERGED = "merged", _("Merged")


class CaseLink(models.Model):
    """One relation between two cases, stored once: ``case`` is the newer (or the merged) one.

    Readers look both ways (``links_from`` and ``links_to``); the unique constraint makes a
    repeated intake or a rerun harmless.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="links_from",
                             verbose_name=_("case"))
    other = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="links_to",
                              verbose_name=_("related case"))
    kind = models.CharField(_("kind"), max_length=30, choices=LinkKind.choices)
    # Text similarity in [0, 1] for repeats and duplicates; None where it means nothing.
    score = models.FloatField(_("similarity"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("case link")
        verbose_name_plural = _("case links")
        constraints = [
            models.UniqueConstraint(fields=["case", "other", "kind"], name="case_link_unique"),
            models.CheckConstraint(condition=~models.Q(case=models.F("other")), name="case_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.other_id}"


class CaseMerge(models.Model):
    """A duplicate folded into the case that is kept. Both keep their own timeline."""

    duplicate = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="merge",
                                     verbose_name=_("duplicate"))
    kept = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="merged_from",
                             verbose_name=_("kept case"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                           verbose_name=_("merged by"))
    at = models.DateTimeField(_("merged at"))
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("case merge")
        verbose_name_plural = _("case merges")
        constraints = [
            models.CheckConstraint(condition=~models.Q(duplicate=models.F("kept")),
                                   name="case_merge_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.duplicate_id} → {self.kept_id}"


class CaseCrisis(models.Model):
    """A crisis (危机, TR-7) on a case and the team recorded for it. At most one open per case."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="crises",
                             verbose_name=_("case"))
    reason = models.TextField(_("reason"))
    # None: flagged by triage from the customer's words.
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("flagged by"),
    )
    at = models.DateTimeField(_("flagged at"))
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="crisis_teams", blank=True,
                                  verbose_name=_("crisis team"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("crisis")
        verbose_name_plural = _("crises")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(resolved_at__isnull=True),
                                    name="case_crisis_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.at:%Y-%m-%d}"


def _default_crisis_roles() -> list[str]:
    return ["executive", "cs_supervisor"]


def _default_crisis_department_kinds() -> list[str]:
    return ["quality", "technical"]


class LinkSettings(models.Model):
    """Policy (ARCHITECTURE rule 7): thresholds of repeat detection and who forms a crisis team.

    One row (pk 1), edited by administrators; when it does not exist the defaults apply.
    """

    window_days = models.PositiveIntegerField(
        _("repeat window (days)"), default=30,
        help_text=_("Earlier cases of the same customer within this many days are checked for a repeat."))
    repeat_threshold = models.FloatField(
        _("repeat similarity"), default=0.3,
        help_text=_("Text similarity (0 to 1) from which an earlier case counts as the same issue."))
    duplicate_threshold = models.FloatField(
        _("duplicate similarity"), default=0.8,
        help_text=_("Text similarity (0 to 1) from which a recent case is a possible duplicate."))
    duplicate_window_days = models.PositiveIntegerField(_("duplicate window (days)"), default=3)
    max_candidates = models.PositiveIntegerField(
        _("earlier cases compared"), default=200,
        help_text=_("At most this many of the customer's most recent cases are compared."))
    max_batch_links = models.PositiveIntegerField(
        _("same-batch links per case"), default=50,
        help_text=_("At most this many open cases of the same batch are linked, newest first."))
    crisis_roles = models.JSONField(
        _("crisis team roles at head office"), default=_default_crisis_roles,
        help_text=_("Role codes whose head-office members join every crisis team."))
    crisis_department_kinds = models.JSONField(
        _("crisis team departments"), default=_default_crisis_department_kinds,
        help_text=_("Department kinds whose department heads join every crisis team."))

    class Meta:
        verbose_name = _("repeat and crisis settings")
        verbose_name_plural = _("repeat and crisis settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> LinkSettings:
        """The stored row, or an unsaved row with the defaults: one query (compiled once: every
        intake reads it), never a write."""
        names = [f.attname for f in cls._meta.concrete_fields]
        found = sqlcache.fixed_rows("cases.link_settings",
                                    lambda: cls.objects.filter(pk=1).values_list(*names))
        return cls.from_db(connection.alias, names, found[0]) if found else cls(pk=1)
