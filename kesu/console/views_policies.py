"""Admin pages for the workflow policies: routing rules (WF-2) and authority limits (WF-3)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.cases.actions_policies import RuleInput, do_save_routing_rule, do_set_authority_limit
from kesu.cases.choices import AssignmentMethod, Kind, Severity
from kesu.cases.models import AuthorityLimit, RoutingRule
from kesu.console.common import console_view, require_cap, user_of
from kesu.console.forms import KesuErrorsMixin, StyledForm, category_choices, set_choices, unit_choices
from kesu.core.errors import KesuError
from kesu.org.choices import Role
from kesu.org.models import Department, OrgUnit
from kesu.org.roles import Cap


class RuleForm(KesuErrorsMixin, StyledForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    position = forms.IntegerField(label=gettext_lazy("Order"), initial=100,
                                  help_text=gettext_lazy("Rules are tried from the lowest number up."))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=lambda: [("", _("Any")), *Kind.choices])
    category = forms.ChoiceField(label=gettext_lazy("Category (with its sub-categories)"), required=False)
    product_contains = forms.CharField(label=gettext_lazy("Product name contains"), required=False,
                                       max_length=120)
    org_unit = forms.ChoiceField(label=gettext_lazy("Org unit (with the units below it)"), required=False)
    department = forms.ChoiceField(label=gettext_lazy("Responsible department"))
    method = forms.ChoiceField(label=gettext_lazy("Assignment within the department"), choices=[
        (m.value, m.label) for m in (AssignmentMethod.LEAST_OPEN, AssignmentMethod.ROUND_ROBIN)])
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        set_choices(self, "category", [("", _("Any")), *category_choices()[1:]])
        set_choices(self, "org_unit", unit_choices(OrgUnit.objects.filter(is_active=True), blank=_("Any")))
        set_choices(self, "department", [(d.code, d.name) for d in Department.objects.order_by("code")])

    @classmethod
    def initial_for(cls, rule: RoutingRule) -> dict[str, object]:
        return {"name": rule.name, "position": rule.position, "kind": rule.kind,
                "category": rule.category.code if rule.category else "",
                "product_contains": rule.product_contains,
                "org_unit": rule.org_unit.code if rule.org_unit else "",
                "department": rule.department.code, "method": rule.method, "is_active": rule.is_active}


@console_view
def routing_rules(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The rules in order, with a form to add one or (with ``pk``) to change one."""
    user = user_of(request)
    require_cap(user, Cap.ADMIN, _("Only administrators may change policies."))
    rule = get_object_or_404(RoutingRule, pk=pk) if pk is not None else None
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            try:
                do_save_routing_rule(RuleInput(**form.cleaned_data), actor=user, rule=rule)
            except KesuError as exc:
                form.add_kesu_error(exc)
            else:
                messages.success(request, _("The routing rule was saved."))
                return redirect("console:routing_rules")
    else:
        form = RuleForm(initial=RuleForm.initial_for(rule)) if rule else RuleForm()
    rules = RoutingRule.objects.select_related("category", "org_unit", "department")
    return render(request, "console/routing_rules.html", {"rules": rules, "form": form, "rule": rule},
                  status=422 if form.errors else 200)


@console_view
def authority_limits(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require_cap(user, Cap.ADMIN, _("Only administrators may change policies."))
    if request.method == "POST":
        try:
            for role in Role.values:
                value = request.POST.get(role, "")
                if value:
                    do_set_authority_limit(role, value, actor=user)
        except KesuError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The authority limits were saved."))
            return redirect("console:authority_limits")
    limits = dict(AuthorityLimit.objects.values_list("role", "max_severity"))
    rows = [{"role": r, "label": r.label, "value": limits.get(r.value, "")} for r in Role]
    return render(request, "console/authority_limits.html", {"rows": rows, "severities": Severity.choices})
