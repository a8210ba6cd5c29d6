"""Show times in the zone of the user's org unit (default Asia/Shanghai)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class UserTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        unit = getattr(user, "org_unit", None) if user is not None and user.is_authenticated else None
        if unit is not None:
            timezone.activate(zoneinfo.ZoneInfo(unit.timezone))
        else:
            timezone.deactivate()
        return self.get_response(request)
