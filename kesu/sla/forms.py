"""Console forms of the sla pages. They parse; the actions in actions_admin.py decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kesu.cases.choices import Kind, Priority, Severity
from kesu.console.forms import StyledForm
from kesu.customers.choices import CustomerLevel
from kesu.org.choices import DepartmentKind, Role, UnitKind
from kesu.org.models import OrgUnit
from kesu.sla.actions_admin import CalendarInput, DayInput, LevelInput, PolicyInput, TargetInput
from kesu.sla.choices import POLICY_CLOCKS, ClockCode, DayType, EscalationTarget, Unit
from kesu.sla.models import Calendar, EscalationLevel, SlaPolicy

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
ANY = [("", _("Any"))]


class DayForm(StyledForm):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    type = forms.ChoiceField(label=_("Type"), choices=DayType.choices)
    name = forms.CharField(
        label=_("Name"), max_length=120, required=False, help_text=_("For example 国庆节.")
    )

    def to_input(self) -> DayInput:
        d = self.cleaned_data
        return DayInput(d["day"], d["type"], d["name"])


class ImportForm(StyledForm):
    file = forms.FileField(
        label=_("File (CSV or JSON)"), help_text=_("Columns date, type (holiday or workday), name.")
    )


class CalendarForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    hours = forms.CharField(label=_("Working hours"), help_text=_("For example 09:00-12:00, 13:00-18:00."))
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Working weekdays"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    inherit_days = forms.BooleanField(label=_("Take holidays from the calendar above"), required=False)

    @classmethod
    def for_calendar(cls, cal: Calendar | None, unit: OrgUnit) -> CalendarForm:
        if cal is None:
            return cls(
                initial={
                    "name": unit.name,
                    "hours": "09:00-12:00, 13:00-18:00",
                    "weekdays": [0, 1, 2, 3, 4],
                    "inherit_days": True,
                }
            )
        return cls(
            initial={
                "name": cal.name,
                "hours": ", ".join(f"{a}-{b}" for a, b in cal.hours),
                "weekdays": cal.weekdays,
                "inherit_days": cal.inherit_days,
            }
        )

    def to_input(self) -> CalendarInput:
        d = self.cleaned_data
        parts = [p.replace("–", "-") for p in d["hours"].replace("，", ",").split(",") if p.strip()]
        hours = [[a.strip(), b.strip()] for a, _sep, b in (p.partition("-") for p in parts)]
        return CalendarInput(d["name"], hours, d["weekdays"], d["inherit_days"])


class PolicyForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=ANY + list(Kind.choices), required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=ANY + list(Severity.choices), required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=ANY + list(Priority.choices), required=False)
    customer_level = forms.ChoiceField(
        label=_("Customer level"), choices=ANY + list(CustomerLevel.choices), required=False
    )
    org_unit = forms.ModelChoiceField(
        label=_("Org unit (and the units below it)"),
        required=False,
        queryset=OrgUnit.objects.filter(is_active=True),
        empty_label=_("Any"),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code in POLICY_CLOCKS:
            self.fields[f"{code}_amount"] = forms.IntegerField(
                label=ClockCode(code).label, min_value=1, required=False
            )
            self.fields[f"{code}_unit"] = forms.ChoiceField(
                label=_("Unit"), choices=Unit.choices, initial=Unit.DAYS
            )
            self.fields[f"{code}_warn"] = forms.IntegerField(
                label=_("Warning share (percent)"), min_value=1, max_value=100, initial=80
            )
            for suffix, css in (
                ("amount", "form-control"),
                ("unit", "form-select"),
                ("warn", "form-control"),
            ):
                self.fields[f"{code}_{suffix}"].widget.attrs["class"] = f"{css} form-control-sm"

    def clock_rows(self) -> list[tuple[str, Any, Any, Any]]:
        return [
            (str(ClockCode(c).label), self[f"{c}_amount"], self[f"{c}_unit"], self[f"{c}_warn"])
            for c in POLICY_CLOCKS
        ]

    @classmethod
    def for_policy(cls, policy: SlaPolicy) -> PolicyForm:
        initial: dict[str, Any] = {
            "name": policy.name,
            "kind": policy.kind,
            "severity": policy.severity,
            "priority": policy.priority,
            "customer_level": policy.customer_level,
            "org_unit": policy.org_unit,
            "is_active": policy.is_active,
        }
        for t in policy.targets.all():
            initial.update(
                {f"{t.clock}_amount": t.amount, f"{t.clock}_unit": t.unit, f"{t.clock}_warn": t.warn_percent}
            )
        return cls(initial=initial)

    def to_input(self) -> PolicyInput:
        d = self.cleaned_data
        targets = tuple(
            TargetInput(c, d[f"{c}_amount"], d[f"{c}_unit"], d[f"{c}_warn"] or 80)
            for c in POLICY_CLOCKS
            if d.get(f"{c}_amount")
        )
        return PolicyInput(
            name=d["name"],
            kind=d["kind"],
            severity=d["severity"],
            priority=d["priority"],
            customer_level=d["customer_level"],
            org_unit=d["org_unit"],
            is_active=d["is_active"],
            targets=targets,
        )


class LevelForm(StyledForm):
    level = forms.IntegerField(label=_("Level"), min_value=1)
    name = forms.CharField(label=_("Name"), max_length=80)
    target = forms.ChoiceField(label=_("Who"), choices=EscalationTarget.choices)
    unit_kind = forms.ChoiceField(
        label=_("Org unit kind"), choices=ANY + list(UnitKind.choices), required=False
    )
    department_kind = forms.ChoiceField(
        label=_("Department kind"), choices=ANY + list(DepartmentKind.choices), required=False
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    @classmethod
    def for_level(cls, row: EscalationLevel | None) -> LevelForm:
        if row is None:
            return cls()
        return cls(
            initial={
                "level": row.level,
                "name": row.name,
                "target": row.target,
                "unit_kind": row.unit_kind,
                "department_kind": row.department_kind,
                "roles": row.roles,
            }
        )

    def to_input(self) -> LevelInput:
        d = self.cleaned_data
        return LevelInput(
            d["level"], d["name"], d["target"], d["unit_kind"], d["department_kind"], tuple(d["roles"])
        )
