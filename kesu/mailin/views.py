"""The e-mail intake status page (administrators): mailboxes, their last poll, what came in.

Read-only: mailboxes are added and changed with ``kesu mailbox add|set`` (ADR 0007).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kesu.console.common import console_view, paginate, require_cap, user_of
from kesu.mailin import queries
from kesu.mailin.choices import Outcome
from kesu.org.roles import Cap


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
