"""The e-mail intake pages (administrators): mailboxes, their last poll, what came in; and the
forms and buttons that add, change, switch on/off and poll a mailbox.

Every write goes through ``kesu.mailin.actions`` (``do_create_mailbox``/``do_update_mailbox``),
which validate and audit exactly as for ``kesu mailbox add|set`` (ADR 0007).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from kombu.exceptions import OperationalError

from kesu.console.common import console_view, paginate, require_cap, user_of
from kesu.core.errors import KesuError
from kesu.mailin import queries
from kesu.mailin.actions import do_create_mailbox, do_update_mailbox, mailbox_data
from kesu.mailin.choices import Outcome
from kesu.mailin.forms import MailboxForm
from kesu.mailin.models import Mailbox
from kesu.mailin.tasks import poll_mailboxes
from kesu.org.models import User
from kesu.org.roles import Cap

log = logging.getLogger(__name__)


def _admin(request: HttpRequest) -> User:
    user = user_of(request)
    require_cap(user, Cap.ADMIN, _("Only administrators may configure the e-mail intake."))
    return user


def _mailbox(pk: int) -> Mailbox:
    return get_object_or_404(Mailbox.objects.select_related("default_org_unit"), pk=pk)


@console_view
def status(request: HttpRequest) -> HttpResponse:
    require_cap(user_of(request), Cap.ADMIN, _("Only administrators may see the e-mail intake."))
    mailbox, outcome = request.GET.get("mailbox", ""), request.GET.get("outcome", "")
    boxes = list(queries.mailboxes())
    return render(request, "mailin/status.html", {
        "current": "mailin",
        "mailboxes": boxes,
        "page": paginate(request, queries.ingested(mailbox=mailbox, outcome=outcome)),
        "mailbox": mailbox,
        "outcome": outcome,
        "outcomes": Outcome.choices,
    })


@console_view
def mailbox_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a mailbox, or (with ``pk``) change one; a refused post shows the errors with 422."""
    user = _admin(request)
    box = _mailbox(pk) if pk is not None else None
    if request.method == "POST":
        form = MailboxForm(request.POST, box=box)
        if form.is_valid():
            try:
                if box is None:
                    saved = do_create_mailbox(form.to_data(), actor=user)
                else:
                    saved = do_update_mailbox(box, form.to_data(), actor=user)
            except KesuError as exc:
                form.add_kesu_error(exc)
            else:
                messages.success(request, _("Mailbox {name} was saved.").format(name=saved.name))
                return redirect("mailin:status")
    else:
        form = MailboxForm(box=box)
    return render(request, "mailin/mailbox_form.html", {"current": "mailin", "form": form, "box": box},
                  status=422 if form.errors else 200)


@console_view
@require_POST
def set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a mailbox on (``active=1``) or off; the wanted state is posted, so a repeat is a no-op."""
    user = _admin(request)
    box = _mailbox(pk)
    if request.POST.get("active") not in ("0", "1"):
        return HttpResponseBadRequest("active must be 0 or 1")
    active = request.POST["active"] == "1"
    try:
        do_update_mailbox(box, replace(mailbox_data(box), is_active=active), actor=user)
    except KesuError as exc:
        details = " ".join(str(m) for msgs in exc.fields.values() for m in msgs)
        messages.error(request, f"{exc.message} {details}".strip())
    else:
        text = _("Mailbox {name} is active.") if active else _("Mailbox {name} is switched off.")
        messages.success(request, text.format(name=box.name))
    return redirect("mailin:status")


@console_view
@require_POST
def poll_now(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a poll now instead of waiting for the next beat (every 60 s)."""
    _admin(request)
    box = _mailbox(pk)
    if not (box.is_active and box.polls_imap):
        messages.error(request, _("Mailbox {name} is not an active IMAP mailbox.").format(name=box.name))
    elif _enqueue_poll(box):
        messages.success(request, _("A poll of mailbox {name} was queued.").format(name=box.name))
    else:
        messages.error(request, _("The task queue is not reachable; the next scheduled poll will fetch the "
                                  "mail."))
    return redirect("mailin:status")


def _enqueue_poll(box: Mailbox) -> bool:
    """Send the poll task for ``box``; False when the broker is down (the beat schedule polls anyway)."""
    try:
        poll_mailboxes.delay(box.name)
    except OperationalError:
        log.warning("broker unavailable; mailbox %s waits for the scheduled poll", box.name)
        return False
    return True
