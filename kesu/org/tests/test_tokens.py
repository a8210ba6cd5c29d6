"""API tokens: created, listed, revoked (all or one), audited, and refused at once after revocation."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from kesu.core.models import AuditEvent
from kesu.org.actions import do_revoke_tokens
from kesu.org.models import ApiToken


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_revoked_token_is_refused_at_once_by_this_process(make_user, api_client):
    client = api_client(make_user("handler"))
    assert client.get("/api/v1/cases").status_code == 200  # checked and remembered

    revoked = do_revoke_tokens(client.user, actor=None)

    assert revoked == [client.token[:10]]
    assert client.get("/api/v1/cases").status_code == 401
    assert ApiToken.objects.get().revoked_at is not None
    audit = AuditEvent.objects.get(type="token.revoked")
    assert (audit.object_id, audit.data) == (client.user.username, {"prefixes": [client.token[:10]]})


@pytest.mark.django_db
def test_the_command_lists_and_revokes_one_token_by_its_prefix(make_user):
    user = make_user("handler")
    first, second = _cli("create", user.username, "--name", "ERP"), _cli("create", user.username)

    listed = _cli("list", user.username).splitlines()
    assert [line.split("\t")[0] for line in listed] == [f"{first[:10]}…", f"{second[:10]}…"]
    assert listed[0].split("\t")[1] == "ERP" and all(line.endswith("live") for line in listed)

    _cli("revoke", user.username, "--prefix", first[:10])

    states = {t.prefix: t.revoked_at is not None for t in ApiToken.objects.all()}
    assert states == {first[:10]: True, second[:10]: False}
    assert "revoked" in _cli("list", user.username).splitlines()[0]


@pytest.mark.django_db
def test_an_unknown_prefix_or_user_is_an_error_and_revokes_nothing(make_user):
    user = make_user("handler")
    _cli("create", user.username)
    with pytest.raises(CommandError):
        _cli("revoke", user.username, "--prefix", "ks_nothing")
    with pytest.raises(CommandError):
        _cli("revoke", "nobody")
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(type="token.revoked").exists()
