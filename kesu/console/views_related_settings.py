"""Admin page for the policy of repeat detection and crisis teams (TR-5, TR-7): ``LinkSettings``.

The numbers decide what intake links as a repeat or a possible duplicate; the roles and
department kinds decide who joins a crisis team. The rules themselves live in
``kesu.cases.actions_links.do_save_link_settings``; this page only parses the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Field
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.cases.actions_links import LinkSettingsInput, do_save_link_settings
from kesu.cases.models import LinkSettings
from kesu.console.common import console_view, require_cap, user_of
from kesu.console.forms import KesuErrorsMixin, StyledForm
from kesu.core.errors import KesuError
from kesu.org.choices import DepartmentKind, Role
from kesu.org.roles import Cap

_FIELDS = LinkSettings._meta


def _field(name: str) -> Field[Any, Any]:
    field = _FIELDS.get_field(name)
    assert isinstance(field, Field)
    return field


def _label(name: str) -> Any:
    return _field(name).verbose_name


def _help(name: str) -> Any:
    return _field(name).help_text


class RelatedSettingsForm(KesuErrorsMixin, StyledForm):
    """Bounds are checked by the action, so that the API and this page refuse the same values."""

    window_days = forms.IntegerField(label=_label("window_days"), help_text=_help("window_days"))
    repeat_threshold = forms.FloatField(label=_label("repeat_threshold"), help_text=_help("repeat_threshold"))
    duplicate_threshold = forms.FloatField(label=_label("duplicate_threshold"),
                                           help_text=_help("duplicate_threshold"))
    duplicate_window_days = forms.IntegerField(
        label=_label("duplicate_window_days"),
        help_text=gettext_lazy("A similar case at most this many days old is offered as a possible "
                               "duplicate."))
    max_candidates = forms.IntegerField(label=_label("max_candidates"), help_text=_help("max_candidates"))
    max_batch_links = forms.IntegerField(label=_label("max_batch_links"), help_text=_help("max_batch_links"))
    crisis_roles = forms.MultipleChoiceField(
        label=_label("crisis_roles"), help_text=_help("crisis_roles"), required=False,
        choices=Role.choices, widget=forms.CheckboxSelectMultiple)
    crisis_department_kinds = forms.MultipleChoiceField(
        label=_label("crisis_department_kinds"), help_text=_help("crisis_department_kinds"), required=False,
        choices=DepartmentKind.choices, widget=forms.CheckboxSelectMultiple)

    @classmethod
    def initial_for(cls, row: LinkSettings) -> dict[str, Any]:
        return {name: getattr(row, name) for name in cls.base_fields}

    def to_input(self) -> LinkSettingsInput:
        data = dict(self.cleaned_data)
        data["crisis_roles"] = tuple(data["crisis_roles"])
        data["crisis_department_kinds"] = tuple(data["crisis_department_kinds"])
        return LinkSettingsInput(**data)


@console_view
def related_settings(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require_cap(user, Cap.ADMIN, _("Only administrators may change these settings."))
    if request.method == "POST":
        form = RelatedSettingsForm(request.POST)
        if form.is_valid():
            try:
                do_save_link_settings(form.to_input(), actor=user)
            except KesuError as exc:
                form.add_kesu_error(exc)
            else:
                messages.success(request, _("The settings for related cases and crises were saved."))
                return redirect("console:related_settings")
    else:
        form = RelatedSettingsForm(initial=RelatedSettingsForm.initial_for(LinkSettings.current()))
    return render(request, "console/related_settings.html", {"form": form},
                  status=422 if form.errors else 200)
