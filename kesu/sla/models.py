"""Working calendars, SLA policies, clocks on cases and the escalation chain (WF-3, WF-4).

Policy lives here as data edited by administrators (ARCHITECTURE rule 7); deadlines are
stored on ``CaseClock`` and indexed so that the sweep reads only what is due (rule 6).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kesu.sla.choices import ClockCode, ClockState, DaySource, DayType, EscalationTarget, Unit


def default_hours() -> list[list[str]]:
    return [["09:00", "12:00"], ["13:00", "18:00"]]


def default_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class Calendar(models.Model):
    """The working time of an org unit and, unless they have their own, of the units below it."""

    org_unit = models.OneToOneField(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="sla_calendar", verbose_name=_("org unit")
    )
    name = models.CharField(_("name"), max_length=120)
    # [["09:00", "12:00"], ["13:00", "18:00"]]: a lunch break is the gap between two intervals.
    hours = models.JSONField(_("working hours"), default=default_hours)
    # 0 = Monday … 6 = Sunday.
    weekdays = models.JSONField(_("working weekdays"), default=default_weekdays)
    # A unit's own calendar still takes the holidays and make-up days of the calendar above it
    # (its own dated entries win), so a store with other hours keeps the national holidays.
    inherit_days = models.BooleanField(_("take holidays from the calendar above"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["org_unit__path"]
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """A dated exception: a holiday (not worked) or a make-up workday 调休 (worked)."""

    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="days", verbose_name=_("working calendar")
    )
    day = models.DateField(_("date"))
    type = models.CharField(_("type"), max_length=10, choices=DayType.choices)
    name = models.CharField(_("name"), max_length=120, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=DaySource.choices, default=DaySource.ADMIN)

    class Meta:
        ordering = ["day"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="sla_calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.type} {self.name}"


class SlaPolicy(models.Model):
    """Targets for the clocks of the cases it matches; empty criteria match anything.

    Per clock, the most specific active policy that has a target for that clock wins: more
    criteria set first, then the deeper org unit, then the lower id (the older policy).
    """

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, blank=True)
    severity = models.CharField(_("severity"), max_length=20, blank=True)
    priority = models.CharField(_("priority"), max_length=20, blank=True)
    customer_level = models.CharField(_("customer level"), max_length=20, blank=True)
    org_unit = models.ForeignKey(
        "org.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("org unit (and the units below it)"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Stable key of the policies ``install_sla_defaults`` creates, so reinstalling finds them.
    code = models.CharField(max_length=60, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=~Q(code=""), name="sla_policy_unique_code")
        ]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    clock = models.CharField(_("clock"), max_length=20, choices=ClockCode.choices)
    amount = models.PositiveIntegerField(_("amount"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    warn_percent = models.PositiveSmallIntegerField(
        _("warning at (percent of the target)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["policy", "clock"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [models.UniqueConstraint(fields=["policy", "clock"], name="sla_target_unique_clock")]

    def __str__(self) -> str:
        return f"{self.clock}: {self.amount} {self.unit}"


class CaseClock(models.Model):
    """One SLA clock of one case. ``due_at`` and ``warn_at`` are stored and indexed.

    A paused clock keeps its last deadline; on resume the deadline moves by the paused working
    time (``paused_us`` accumulates it). The sweep looks only at running clocks.
    """

    # No index of its own: the unique (case, code) constraint's index serves lookups by case.
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="sla_clocks", db_index=False
    )
    code = models.CharField(_("clock"), max_length=20, choices=ClockCode.choices)
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The target when the clock was (re)computed; empty for the promise clock (an absolute time).
    amount = models.PositiveIntegerField(null=True, blank=True)
    unit = models.CharField(max_length=10, choices=Unit.choices, blank=True)
    warn_percent = models.PositiveSmallIntegerField(default=80)
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"))
    warn_at = models.DateTimeField(_("warning at"))
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_us = models.BigIntegerField(default=0)  # working microseconds spent paused so far
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ClockState.choices, default=ClockState.RUNNING
    )
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # Set by the sweep with a warning or breach mark; cleared once its notification is written.
    notify_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["case", "code"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [models.UniqueConstraint(fields=["case", "code"], name="sla_clock_unique_code")]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="sla_clock_due_open_idx",
                condition=Q(stopped_at__isnull=True, paused_at__isnull=True, breached_at__isnull=True),
            ),
            models.Index(
                fields=["warn_at"],
                name="sla_clock_warn_open_idx",
                condition=Q(stopped_at__isnull=True, paused_at__isnull=True, warned_at__isnull=True),
            ),
            # The supervisors' breach list: open clocks that were warned or breached.
            models.Index(
                fields=["due_at"],
                name="sla_clock_flagged_open_idx",
                condition=Q(stopped_at__isnull=True)
                & (Q(breached_at__isnull=False) | Q(warned_at__isnull=False)),
            ),
            models.Index(fields=["id"], name="sla_clock_notify_idx", condition=Q(notify_pending=True)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.code}"


class EscalationLevel(models.Model):
    """One rung of the escalation chain (WF-3): store → region → customer service centre → …

    ``target`` says how the level finds its people: the ancestor org unit of ``unit_kind``
    with ``roles``; the members of a department (``department``, or the head-office
    department of ``department_kind``) with ``roles``; or ``roles`` at head office.
    """

    level = models.PositiveSmallIntegerField(_("level"), unique=True, validators=[MinValueValidator(1)])
    name = models.CharField(_("name"), max_length=80)
    target = models.CharField(_("who"), max_length=20, choices=EscalationTarget.choices)
    unit_kind = models.CharField(_("org unit kind"), max_length=20, blank=True)
    department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("department"),
    )
    department_kind = models.CharField(_("department kind"), max_length=30, blank=True)
    roles = models.JSONField(_("roles"), default=list, blank=True)

    class Meta:
        ordering = ["level"]
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")

    def __str__(self) -> str:
        return f"{self.level} {self.name}"


class Escalation(models.Model):
    """A case moved up the chain, by a breach or by hand. The case's level is its highest row."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="sla_escalations")
    level = models.PositiveSmallIntegerField(_("level"))
    level_name = models.CharField(_("level"), max_length=80)
    targets = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    clock = models.CharField(_("clock"), max_length=60, blank=True)  # breached clock codes, if any
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    notify_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["case", "level", "pk"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        indexes = [
            models.Index(fields=["case", "-level"], name="sla_escalation_case_idx"),
            models.Index(fields=["id"], name="sla_escalation_notify_idx", condition=Q(notify_pending=True)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.level}"
