"""Console pages under /sla/: breach list, calendars, policies, escalation levels.

parse → access → one action → render. Calendars, policies and levels need the ``admin``
capability; the breach list shows the open cases the user can see.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kesu.console.common import console_view, paginate, require_cap, user_of
from kesu.core.errors import NotFound, ValidationFailed
from kesu.org.models import OrgUnit
from kesu.org.roles import Cap
from kesu.sla import calendars
from kesu.sla.actions_admin import (
    do_delete_calendar_day,
    do_save_calendar,
    do_save_escalation_level,
    do_save_policy,
    do_set_calendar_days,
    parse_days_file,
)
from kesu.sla.choices import DaySource, DayType
from kesu.sla.forms import CalendarForm, DayForm, ImportForm, LevelForm, PolicyForm
from kesu.sla.models import Calendar, EscalationLevel, SlaPolicy
from kesu.sla.queries import breach_list

ADMIN_ONLY = gettext_lazy("Only an administrator may change calendars and SLA policies.")


def _admin(request: HttpRequest) -> None:
    require_cap(user_of(request), Cap.ADMIN, str(ADMIN_ONLY))


@console_view
def breaches(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require_cap(user, Cap.CASE_VIEW, _("You may not see cases."))
    sort = "-due_at" if request.GET.get("sort") == "-due_at" else "due_at"
    page = paginate(request, breach_list(user, sort=sort))
    return render(request, "sla/breach_list.html", {"page": page, "sort": sort, "now": timezone.now()})


@console_view
def calendar_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    year = timezone.localdate().year
    rows = []
    for unit in OrgUnit.objects.filter(is_active=True).order_by("path"):
        info = calendars.describe(unit.pk)
        missing = [y for y in (year, year + 1) if y not in info["years_with_data"]]
        rows.append({"unit": unit, "info": info, "missing": missing})
    return render(request, "sla/calendar_list.html", {"rows": rows})


def _year_url(unit: OrgUnit, year: int) -> str:
    return f"{reverse('sla:calendar_detail', kwargs={'code': unit.code})}?year={year}"


def _unit(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise NotFound(_("No org unit with this code was found."))
    return unit


def _calendar_page(request: HttpRequest, unit: OrgUnit, *, status: int = 200, **forms: Any) -> HttpResponse:
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    kinds, names = calendars.effective_days(unit.pk)
    own = Calendar.objects.filter(org_unit=unit).first()
    info = calendars.describe(unit.pk)
    days = [
        {
            "day": d,
            "type": kinds[d],
            "label": DayType(kinds[d]).label,
            "name": names.get(d, ""),
            "own": own is not None and own.days.filter(day=d).exists(),
        }
        for d in sorted(kinds)
        if d.year == year
    ]
    context = {
        "unit": unit,
        "own": own,
        "info": info,
        "year": year,
        "days": days,
        "has_data": year in info["years_with_data"],
        "calendar_form": forms.get("calendar_form") or CalendarForm.for_calendar(own, unit),
        "day_form": forms.get("day_form") or DayForm(),
        "import_form": forms.get("import_form") or ImportForm(),
    }
    return render(request, "sla/calendar_detail.html", context, status=status)


@console_view
def calendar_detail(request: HttpRequest, code: str) -> HttpResponse:
    _admin(request)
    return _calendar_page(request, _unit(code))


@console_view
@require_POST
def calendar_edit(request: HttpRequest, code: str) -> HttpResponse:
    _admin(request)
    unit, form = _unit(code), CalendarForm(request.POST)
    if form.is_valid():
        try:
            do_save_calendar(unit, form.to_input(), actor=user_of(request))
        except ValidationFailed as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("The calendar was saved. Deadlines of open cases are being recomputed.")
            )
            return redirect("sla:calendar_detail", code=unit.code)
    return _calendar_page(request, unit, status=422, calendar_form=form)


@console_view
@require_POST
def day_add(request: HttpRequest, code: str) -> HttpResponse:
    _admin(request)
    unit, form = _unit(code), DayForm(request.POST)
    own = Calendar.objects.filter(org_unit=unit).first()
    if own is None:
        form.add_error(None, _("This org unit uses the calendar above it. Create its own calendar first."))
    elif form.is_valid():
        do_set_calendar_days(own, [form.to_input()], actor=user_of(request))
        messages.success(request, _("The date was saved. Deadlines of open cases are being recomputed."))
        return redirect(_year_url(unit, form.cleaned_data["day"].year))
    return _calendar_page(request, unit, status=422, day_form=form)


@console_view
@require_POST
def day_delete(request: HttpRequest, code: str, day: str) -> HttpResponse:
    _admin(request)
    unit = _unit(code)
    own = Calendar.objects.filter(org_unit=unit).first()
    try:
        when = date.fromisoformat(day)
    except ValueError as exc:
        raise NotFound(_("No such date.")) from exc
    if own is None or not do_delete_calendar_day(own, when, actor=user_of(request)):
        raise NotFound(_("No such date."))
    messages.success(request, _("The date was removed."))
    return redirect(_year_url(unit, when.year))


@console_view
@require_POST
def calendar_import(request: HttpRequest, code: str) -> HttpResponse:
    _admin(request)
    unit, form = _unit(code), ImportForm(request.POST, request.FILES)
    own = Calendar.objects.filter(org_unit=unit).first()
    if own is None:
        form.add_error(None, _("This org unit uses the calendar above it. Create its own calendar first."))
    elif form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = parse_days_file(upload.read(), upload.name)
            count = do_set_calendar_days(own, rows, actor=user_of(request), source=DaySource.IMPORT)
        except ValidationFailed as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("{count} dates were imported.").format(count=count))
            return redirect("sla:calendar_detail", code=unit.code)
    return _calendar_page(request, unit, status=422, import_form=form)


def _add_errors(form: Any, exc: ValidationFailed) -> None:
    form.add_error(None, str(exc.message))
    for msgs in exc.fields.values():
        for msg in msgs:
            form.add_error(None, str(msg))


@console_view
def policy_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    policies = SlaPolicy.objects.select_related("org_unit").prefetch_related("targets").order_by("pk")
    return render(request, "sla/policy_list.html", {"policies": policies})


@console_view
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _admin(request)
    policy = SlaPolicy.objects.filter(pk=pk).first() if pk else None
    if pk and policy is None:
        raise NotFound(_("No such SLA policy."))
    form = (
        PolicyForm(request.POST)
        if request.method == "POST"
        else (PolicyForm.for_policy(policy) if policy else PolicyForm())
    )
    if request.method == "POST" and form.is_valid():
        try:
            do_save_policy(form.to_input(), actor=user_of(request), instance=policy)
        except ValidationFailed as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The SLA policy was saved."))
            return redirect("sla:policy_list")
    status = 422 if request.method == "POST" else 200
    return render(request, "sla/policy_edit.html", {"form": form, "policy": policy}, status=status)


@console_view
def level_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    return render(request, "sla/level_list.html", {"levels": EscalationLevel.objects.order_by("level")})


@console_view
def level_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _admin(request)
    row = EscalationLevel.objects.filter(pk=pk).first() if pk else None
    if pk and row is None:
        raise NotFound(_("No such escalation level."))
    form = LevelForm(request.POST) if request.method == "POST" else LevelForm.for_level(row)
    if request.method == "POST" and form.is_valid():
        try:
            do_save_escalation_level(form.to_input(), actor=user_of(request), instance=row)
        except ValidationFailed as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The escalation level was saved."))
            return redirect("sla:level_list")
    status = 422 if request.method == "POST" else 200
    return render(request, "sla/level_edit.html", {"form": form, "row": row}, status=status)
