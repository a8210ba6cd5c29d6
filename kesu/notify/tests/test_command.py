"""``kesu notify deliver`` and ``kesu notify test-webhook NAME``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from kesu.notify.actions import EndpointInput, do_save_webhook_endpoint, notify
from kesu.notify.choices import Event
from kesu.notify.models import Outbox
from kesu.notify.testing import closed_port

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("notify", *args, stdout=out)
    return out.getvalue()


def test_deliver_prints_counts(person, make_case, http):
    admin = person("root", role="admin")
    do_save_webhook_endpoint(EndpointInput(name="down", kind="generic", url=f"http://127.0.0.1:{closed_port()}/",
                                           events=[Event.CASE_CRISIS]), actor=admin)
    notify(Event.CASE_CRISIS, case=make_case(), recipients=[person("li")], context={})
    assert run("deliver") == "notify deliver: 2 sent, 1 to retry, 0 failed\n"
    assert sorted(Outbox.objects.values_list("channel", "state")) == [
        ("email", "sent"), ("in_app", "sent"), ("webhook", "pending")]
    assert run("deliver") == "notify deliver: 0 sent, 0 to retry, 0 failed\n"


def test_test_webhook_reports_success_and_failure(person, http):
    admin = person("root", role="admin")
    do_save_webhook_endpoint(EndpointInput(name="wecom-qa", kind="wecom", url=http.url("/send?key=k")),
                             actor=admin)
    http.respond(200, {"errcode": 0})
    assert run("test-webhook", "wecom-qa") == "The test message to wecom-qa was delivered.\n"
    assert http.requests[0].json()["markdown"]["content"].startswith("#### kesu 测试消息：wecom-qa")
    http.respond(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    with pytest.raises(CommandError, match="was not delivered: robot refused"):
        run("test-webhook", "wecom-qa")
    with pytest.raises(CommandError, match=r"No webhook endpoint is named nope\."):
        run("test-webhook", "nope")
