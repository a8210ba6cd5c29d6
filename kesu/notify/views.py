"""A user's notification pages: the inbox with mark-read, and the settings per event/channel."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesu.console.common import console_view, paginate, user_of
from kesu.notify.access import notifications_of, unread_count
from kesu.notify.actions import do_mark_all_read, do_mark_read, do_set_preferences
from kesu.notify.choices import USER_CHANNELS, Channel, subscribable_events
from kesu.notify.prefs import preference_matrix


@console_view
def inbox(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    unread_only = request.GET.get("unread") == "1"
    page = paginate(request, notifications_of(user, unread_only=unread_only))
    return render(request, "notify/inbox.html", {"page": page, "unread_only": unread_only,
                                                 "unread": unread_count(user)})


@console_view
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read; with ``open`` go on to the notification's page (a path on this site only)."""
    user = user_of(request)
    item = do_mark_read(user, pk, actor=user)
    if request.POST.get("open") and item.link:
        return redirect(urlsplit(item.link).path or "/")
    if request.POST.get("back") == "unread":
        return redirect(reverse("notify:inbox") + "?unread=1")
    return redirect("notify:inbox")


@console_view
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    count = do_mark_all_read(user, actor=user)
    messages.success(request, _("{count} notification(s) marked as read.").format(count=count))
    return redirect("notify:inbox")


@console_view
def preferences(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        choices = {(e.code, c): f"{e.code}:{c}" in request.POST for e in subscribable_events()
                   for c in USER_CHANNELS}
        do_set_preferences(user, choices, actor=user)
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notify:settings")
    matrix = preference_matrix(user)
    rows = [{"event": e, "cells": [{"name": f"{e.code}:{c}", "on": matrix[(e.code, c)],
                                    "label": Channel(c).label} for c in USER_CHANNELS]}
            for e in subscribable_events()]
    return render(request, "notify/settings.html", {
        "rows": rows, "channels": [Channel(c).label for c in USER_CHANNELS], "has_email": bool(user.email)})
