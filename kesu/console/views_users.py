"""Staff accounts for administrators: list, one account, deactivate and reactivate (SE-2).

A deactivation or reactivation takes two POSTs: the first shows what will happen (tokens,
sessions, the open cases the person still owns) and asks for confirmation, the second does it.
Nothing changes on GET.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesu.cases.access import cases_visible_to
from kesu.cases.choices import FINISHED_STATUSES
from kesu.console.common import console_view, paginate, user_of
from kesu.console.forms_users import AccountChangeForm, UserFilterForm
from kesu.core.errors import KesuError
from kesu.org.access import access_user, require_user_manager, users_visible_to
from kesu.org.actions import TOKEN_CACHE_SECONDS, AccountChange, do_deactivate_user, do_reactivate_user
from kesu.org.models import ApiToken, User
from kesu.org.queries import last_deactivations, open_case_counts, open_cases_owned, user_list
from kesu.org.scope import units_visible_to

#: Open cases listed on an account's page; the count covers all of them.
CASES_SHOWN = 20


@console_view
def user_list_page(request: HttpRequest) -> HttpResponse:
    actor = user_of(request)
    require_user_manager(actor)
    form = UserFilterForm(request.GET or None, units=units_visible_to(actor))
    page = paginate(request, user_list(users_visible_to(actor), form.to_filter()), per_page=50)
    users = list(page.object_list)
    counts = open_cases_owned(u.pk for u in users)
    deactivations = last_deactivations(u.username for u in users if not u.is_active)
    rows = [{"user": u, "open": counts.get(u.pk, 0), "deactivation": deactivations.get(u.username)}
            for u in users]
    return render(request, "console/user_list.html", {"form": form, "page": page, "rows": rows})


@console_view
def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    actor = user_of(request)
    account = access_user(actor, username)
    return _detail(request, actor, account, AccountChangeForm(reason_required=account.is_active))


def _detail(request: HttpRequest, actor: User, account: User, form: AccountChangeForm,
            status: int = 200) -> HttpResponse:
    open_cases = (cases_visible_to(actor).filter(owner=account).exclude(status__in=FINISHED_STATUSES)
                  .select_related("department").order_by("-received_at"))
    owned, coordinated = open_case_counts(account)
    return render(request, "console/user_detail.html", {
        "account": account, "form": form, "is_self": account.pk == actor.pk,
        "open_cases": open_cases[:CASES_SHOWN], "owned": owned, "coordinated": coordinated,
        "live_tokens": ApiToken.objects.filter(user=account, revoked_at__isnull=True).count(),
        "deactivation": last_deactivations([account.username]).get(account.username),
        "cache_seconds": int(TOKEN_CACHE_SECONDS),
    }, status=status)


@require_POST
@console_view
def user_deactivate(request: HttpRequest, username: str) -> HttpResponse:
    return _change(request, username, deactivate=True)


@require_POST
@console_view
def user_activate(request: HttpRequest, username: str) -> HttpResponse:
    return _change(request, username, deactivate=False)


def _change(request: HttpRequest, username: str, *, deactivate: bool) -> HttpResponse:
    actor = user_of(request)
    account = access_user(actor, username)
    if deactivate and account.pk == actor.pk:
        messages.error(request, _("You cannot deactivate your own account."))
        return redirect("console:user_detail", username=account.username)
    form = AccountChangeForm(request.POST, reason_required=deactivate)
    if not form.is_valid():
        return _detail(request, actor, account, form, status=422)
    if not form.cleaned_data["confirm"]:
        owned, coordinated = open_case_counts(account)
        return render(request, "console/user_confirm.html", {
            "account": account, "form": form, "deactivate": deactivate, "owned": owned,
            "coordinated": coordinated,
            "live_tokens": ApiToken.objects.filter(user=account, revoked_at__isnull=True).count(),
        })
    action = do_deactivate_user if deactivate else do_reactivate_user
    try:
        change = action(account, actor=actor, reason=form.cleaned_data["reason"])
    except KesuError as exc:
        messages.error(request, str(exc.message))
        return redirect("console:user_detail", username=account.username)
    for text in _outcome(change, deactivate):
        messages.success(request, text)
    return redirect("console:user_detail", username=account.username)


def _outcome(change: AccountChange, deactivate: bool) -> list[str]:
    name = str(change.user)
    if deactivate:
        out = [_("{name}'s account is deactivated: {tokens} API token(s) revoked, {sessions} session(s) "
                 "ended.").format(name=name, tokens=change.tokens_revoked, sessions=change.sessions_ended)]
    else:
        out = [_("{name}'s account is active again. Old API tokens stay revoked.").format(name=name)]
    if deactivate and (change.open_cases_owned or change.open_cases_coordinated):
        out.append(_("{name} still owns {owned} open case(s) and coordinates {coordinated}. They were not "
                     "reassigned; please reassign them below.").format(
            name=name, owned=change.open_cases_owned, coordinated=change.open_cases_coordinated))
    return out


urlpatterns = [
    path("users/", user_list_page, name="user_list"),
    path("users/<str:username>/", user_detail, name="user_detail"),
    path("users/<str:username>/deactivate/", user_deactivate, name="user_deactivate"),
    path("users/<str:username>/activate/", user_activate, name="user_activate"),
]
