"""Forms of the account pages: sign-in that names a deactivated account, the user list filter,
and the reason for a deactivation or reactivation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kesu.console.forms import StyledForm, set_choices, unit_choices
from kesu.org.choices import Role
from kesu.org.models import OrgUnit, User
from kesu.org.queries import UserFilter

DEACTIVATED = _("Your account has been deactivated, so you cannot sign in. If you still need it, "
                "please ask your administrator to reactivate it.")


class SignInForm(AuthenticationForm):
    """Django's sign-in form, except that a deactivated account with the right password is told so.

    Only the right password reveals that an account exists and is deactivated; a wrong one
    gets the usual message.
    """

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError as exc:
            if exc.code == "invalid_login" and self._is_deactivated():
                raise ValidationError(DEACTIVATED, code="inactive") from exc
            raise

    def _is_deactivated(self) -> bool:
        user = User.objects.filter(username=self.cleaned_data.get("username") or "", is_active=False).first()
        return user is not None and user.check_password(self.cleaned_data.get("password") or "")

    @property
    def deactivated(self) -> bool:
        return any(e.code == "inactive" for e in self.non_field_errors().as_data())


class UserFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False, choices=[
        ("active", _("Active")), ("inactive", _("Deactivated")), ("all", _("All"))])
    role = forms.ChoiceField(label=_("Role"), required=False,
                             choices=lambda: [("", _("All roles")), *Role.choices])
    org_unit = forms.ChoiceField(label=_("Org unit"), required=False)

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "org_unit", unit_choices(units if units is not None else OrgUnit.objects.all(),
                                                   blank=_("All units")))

    def to_filter(self) -> UserFilter:
        d = self.cleaned_data if self.is_valid() else {}
        return UserFilter(state=d.get("state") or "active", role=d.get("role", ""),
                          org_unit=d.get("org_unit", ""), q=d.get("q", ""))


class AccountChangeForm(StyledForm):
    """The reason for a deactivation (required) or a reactivation; ``confirm`` marks the second step."""

    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, reason_required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
