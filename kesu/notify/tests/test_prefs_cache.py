"""The kept copy of preferences and webhook endpoints (kesu/notify/prefs.py): no query per
notification, yet every change is seen at once by its own process and never kept if rolled back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kesu.cases.models import Case
from kesu.notify import prefs
from kesu.notify.actions import EndpointInput, do_save_webhook_endpoint, do_set_preferences, notify
from kesu.notify.choices import Channel, Event
from kesu.notify.models import Outbox
from kesu.org.models import User

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def _hook(admin: User, name: str = "qa", events: tuple[str, ...] = (Event.CASE_ASSIGNED,)) -> Any:
    return do_save_webhook_endpoint(EndpointInput(name=name, kind="generic", url="http://127.0.0.1:9/h",
                                                  events=list(events)), actor=admin)


def test_an_endpoint_saved_in_this_transaction_gets_the_event(
    person: Callable[..., User], make_case: Callable[..., Case]
) -> None:
    admin, li = person("root", role="admin"), person("li")
    case = make_case()
    prefs.loaded()  # kept before the change
    _hook(admin)
    notify(Event.CASE_ASSIGNED, case=case, recipients=[li], context={"assignee": "Li"})
    assert Outbox.objects.filter(channel=Channel.WEBHOOK, endpoint__name="qa").count() == 1


def test_a_rolled_back_endpoint_is_not_kept(
    person: Callable[..., User], make_case: Callable[..., Case]
) -> None:
    admin, li = person("root", role="admin"), person("li")
    case = make_case()
    try:
        with transaction.atomic():
            _hook(admin, "ghost")
            assert [e.name for e in prefs.subscribed_endpoints(Event.CASE_ASSIGNED)] == ["ghost"]
            raise Rollback
    except Rollback:
        pass
    assert prefs.subscribed_endpoints(Event.CASE_ASSIGNED) == []
    notify(Event.CASE_ASSIGNED, case=case, recipients=[li], context={"assignee": "Li"})
    assert not Outbox.objects.filter(channel=Channel.WEBHOOK).exists()


def test_a_preference_change_applies_to_the_next_notification(
    person: Callable[..., User], make_case: Callable[..., Case]
) -> None:
    li, wang = person("li"), person("wang")
    case = make_case()
    notify(Event.CASE_ASSIGNED, case=case, recipients=[li], context={"assignee": "Li"})
    assert Outbox.objects.filter(recipient=li, channel=Channel.EMAIL).count() == 1
    do_set_preferences(li, {(Event.CASE_ASSIGNED, Channel.EMAIL): False}, actor=li)
    notify(Event.CASE_ASSIGNED, case=case, recipients=[li, wang], context={"assignee": "Li"})
    assert Outbox.objects.filter(recipient=li, channel=Channel.EMAIL).count() == 1  # not again
    assert Outbox.objects.filter(recipient=wang, channel=Channel.EMAIL).count() == 1


@pytest.mark.django_db(transaction=True)  # the endpoint is committed, as in production
def test_kept_preferences_and_endpoints_cost_no_query(
    person: Callable[..., User], make_case: Callable[..., Case]
) -> None:
    admin, li = person("root", role="admin"), person("li")
    _hook(admin)
    case = make_case()
    with transaction.atomic():
        notify(Event.CASE_ASSIGNED, case=case, recipients=[li], context={"assignee": "Li"})  # loads
        with CaptureQueriesContext(connection) as ctx:
            notify(Event.CASE_ASSIGNED, case=case, recipients=[li], context={"assignee": "Li"})
    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["INSERT"], ctx.captured_queries
