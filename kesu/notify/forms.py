"""Forms of the notification pages: they parse input; the rules live in ``actions.py``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kesu.console.forms import KesuErrorsMixin, StyledForm
from kesu.notify.actions import EndpointInput
from kesu.notify.choices import OutboxState, WebhookKind, WebhookLanguage, subscribable_events
from kesu.notify.models import WebhookEndpoint


def _event_choices() -> list[tuple[str, Any]]:
    return [(e.code, e.label) for e in subscribable_events()]


class WebhookEndpointForm(KesuErrorsMixin, StyledForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=WebhookKind.choices)
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https",
                         help_text=_("For DingTalk and WeCom robots: the robot's full webhook address."))
    secret = forms.CharField(label=_("Secret"), required=False, max_length=200,
                             widget=forms.PasswordInput(render_value=False))
    events = forms.MultipleChoiceField(label=_("Events"), required=False, choices=_event_choices,
                                       widget=forms.CheckboxSelectMultiple)
    language = forms.ChoiceField(label=_("Language"), choices=WebhookLanguage.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, instance: WebhookEndpoint | None = None, **kwargs: Any) -> None:
        if instance is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {"name": instance.name, "kind": instance.kind, "url": instance.url,
                                 "events": instance.events, "language": instance.language,
                                 "is_active": instance.is_active}
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["is_active"].widget.attrs["class"] = "form-check-input"
        secret = self.fields["secret"]
        secret.help_text = (_("Leave empty to keep the stored secret.") if instance and instance.secret
                            else _("DingTalk: the robot's signing secret (SEC…). Generic: the HMAC key."))

    def to_input(self) -> EndpointInput:
        d = self.cleaned_data
        keep = self.instance is not None and not d["secret"]
        return EndpointInput(name=d["name"], kind=d["kind"], url=d["url"],
                             secret=None if keep else d["secret"],
                             events=list(d["events"]), language=d["language"], is_active=d["is_active"])


class OutboxFilterForm(StyledForm):
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), *OutboxState.choices])
