"""Codes of the sla app: clocks, units, clock states, calendar day types, escalation targets."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockCode(models.TextChoices):
    RELAY = "relay", _("Relay to the responsible department")
    FIRST_RESPONSE = "first_response", _("First response")
    HANDLING = "handling", _("Handling")
    REPLY = "reply", _("Reply to the customer")
    CALLBACK = "callback", _("Callback")
    PROMISE = "promise", _("Promised reply time")


#: Clocks whose target comes from an SLA policy (the promise clock has an absolute time).
POLICY_CLOCKS = (
    ClockCode.RELAY,
    ClockCode.FIRST_RESPONSE,
    ClockCode.HANDLING,
    ClockCode.REPLY,
    ClockCode.CALLBACK,
)


class Unit(models.TextChoices):
    MINUTES = "minutes", _("working minutes")
    HOURS = "hours", _("working hours")
    DAYS = "days", _("working days")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")


class DayType(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    WORKDAY = "workday", _("Make-up workday")


class DaySource(models.TextChoices):
    STATUTORY = "statutory", _("State Council schedule (built in)")
    ADMIN = "admin", _("Entered by an administrator")
    IMPORT = "import", _("Imported from a file")


class EscalationTarget(models.TextChoices):
    UNIT_ROLE = "unit_role", _("Roles in an org unit above the case")
    DEPARTMENT = "department", _("Members of a department")
    HQ_ROLE = "hq_role", _("Roles at head office")


class SlaEvent:
    """Case event types written by this app (kesu.cases.events.append)."""

    WARNING = "sla.warning"
    BREACHED = "sla.breached"
    ESCALATED = "case.escalated"
