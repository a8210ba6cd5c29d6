"""Plumbing shared by the console views: login, domain errors as pages, pagination."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from kesu.cases.queries import COUNT_CAP
from kesu.cases.search import count_capped
from kesu.core.errors import Forbidden, NotFound
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap

PER_PAGE = 20

View = Callable[..., HttpResponseBase]


def console_view(view: View) -> View:
    """Require a login; show ``NotFound`` as 404 and ``Forbidden`` as 403 pages.

    Missing and out-of-scope records raise the same ``NotFound``, so both pages are identical.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            return render(request, "console/error.html", {"title": _("Not found"), "message": exc.message},
                          status=404)
        except Forbidden as exc:
            return render(request, "console/error.html", {"title": _("Not allowed"), "message": exc.message},
                          status=403)

    return login_required(wrapped)


def require_cap(user: User, cap: Cap, message: str) -> None:
    if not has_cap(user.role, cap):
        raise Forbidden(message)


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` rows (ADR 0002).

    An exact count visits every matching row: at a million cases that is the slowest part of
    a list or a search for a common word. Past the cap the page says "more than 10,000" and
    offers the first ``cap / per_page`` pages; a narrower filter finds the rest.
    """

    exact = True

    def __init__(self, object_list: Any, per_page: int, *, cap: int = COUNT_CAP) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        n, self.exact = count_capped(cast(QuerySet[Any], self.object_list), self.cap)
        return n


def paginate(request: HttpRequest, qs: QuerySet[Any], per_page: int = PER_PAGE, *,
             cap: int = COUNT_CAP) -> Page:
    """The requested page; a page number past the end or not a number gives the nearest page."""
    return CappedPaginator(qs, per_page, cap=cap).get_page(request.GET.get("page"))


def user_of(request: HttpRequest) -> User:
    """The logged-in staff user (``console_view`` guarantees one)."""
    user = request.user
    assert isinstance(user, User)
    return user
