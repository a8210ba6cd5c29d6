"""Administrators' pages: webhook endpoints (list, create, edit, test send) and the outbox."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesu.console.common import console_view, paginate, user_of
from kesu.core.errors import ValidationFailed
from kesu.notify.access import access_endpoint, access_outbox, endpoints_for_admin, outbox_for_admin
from kesu.notify.actions import do_retry_outbox, do_save_webhook_endpoint, do_send_test_webhook
from kesu.notify.choices import EVENTS, OutboxState
from kesu.notify.forms import OutboxFilterForm, WebhookEndpointForm
from kesu.notify.models import WebhookEndpoint


@console_view
def webhook_list(request: HttpRequest) -> HttpResponse:
    endpoints = list(endpoints_for_admin(user_of(request)))
    for e in endpoints:
        e.event_labels = [EVENTS[c].label if c in EVENTS else c for c in e.events]  # type: ignore[attr-defined]
    return render(request, "notify/webhook_list.html", {"endpoints": endpoints})


def _edit(request: HttpRequest, instance: WebhookEndpoint | None) -> HttpResponse:
    user = user_of(request)
    form = WebhookEndpointForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = do_save_webhook_endpoint(form.to_input(), instance=instance, actor=user)
        except ValidationFailed as exc:
            form.add_kesu_error(exc)
        else:
            messages.success(request, _("The webhook endpoint {name} was saved.").format(name=endpoint.name))
            return redirect("notify:webhook_list")
    status = 422 if request.method == "POST" else 200
    return render(request, "notify/webhook_form.html", {"form": form, "endpoint": instance}, status=status)


@console_view
def webhook_new(request: HttpRequest) -> HttpResponse:
    endpoints_for_admin(user_of(request))
    return _edit(request, None)


@console_view
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, access_endpoint(user_of(request), pk))


@console_view
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    endpoint = access_endpoint(user, pk)
    row = do_send_test_webhook(endpoint, actor=user)
    if row.state == OutboxState.SENT:
        messages.success(request, _("The test message to {name} was delivered.").format(name=endpoint.name))
    else:
        messages.error(request, _("The test message to {name} was not delivered: {error}").format(
            name=endpoint.name, error=row.last_error))
    return redirect("notify:webhook_list")


@console_view
def outbox(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = OutboxFilterForm(request.GET)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    page = paginate(request, outbox_for_admin(user, state=state))
    return render(request, "notify/outbox.html", {"form": form, "page": page})


@console_view
@require_POST
def outbox_retry(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    row = access_outbox(user, pk)
    if do_retry_outbox(row, actor=user):
        messages.success(request, _("Message {id} is queued for delivery again.").format(id=row.pk))
    else:
        messages.info(request, _("Message {id} had not failed; nothing was changed.").format(id=row.pk))
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/notifications/outbox/") else "notify:outbox")
