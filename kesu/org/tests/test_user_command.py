"""``kesu user deactivate | activate | list``: outcomes, messages, exit status on bad input."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from kesu.core.models import AuditEvent
from kesu.org.actions import do_create_token
from kesu.org.models import ApiToken, User

pytestmark = pytest.mark.django_db


def _cli(*args: str, language: str = "en") -> str:
    out = io.StringIO()
    with translation.override(language):
        call_command("user", *args, stdout=out)
    return out.getvalue()


def test_deactivate_and_activate_from_the_command_line(make_user):
    user = make_user("handler", unit="S-E1")
    do_create_token(user, actor=None)

    out = _cli("deactivate", user.username, "--reason", "resigned")

    assert out.startswith(f"Deactivated {user.username}: 1 API token(s) revoked")
    assert User.objects.get(pk=user.pk).is_active is False
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.get(type="user.deactivated")
    assert (event.actor_id, event.actor_name, event.data["reason"]) == (None, "", "resigned")

    assert _cli("list", "--inactive").splitlines() == [f"{user.username}\t-\thandler\tS-E1\t-\tinactive\t0"]
    assert user.username not in _cli("list")

    out = _cli("activate", user.username, language="zh-hans")
    assert out.startswith(f"已重新启用 {user.username}：")
    assert User.objects.get(pk=user.pk).is_active is True
    assert AuditEvent.objects.filter(type="user.reactivated", object_id=user.username).count() == 1


def test_the_list_filters_by_state_role_and_unit(make_user):
    east, south = make_user("handler", unit="EAST"), make_user("auditor", unit="S-S1")
    _cli("deactivate", south.username)
    names = [line.split("\t")[0] for line in _cli("list", "--all").splitlines()]
    assert names == sorted(["admin", east.username, south.username])
    assert [line.split("\t")[0] for line in _cli("list", "--org-unit", "SOUTH", "--all").splitlines()] == [
        south.username]
    assert [line.split("\t")[0] for line in _cli("list", "--role", "handler").splitlines()] == [east.username]


@pytest.mark.parametrize(("args", "message"), [
    (["deactivate", "nobody"], "不存在用户名为 nobody 的账号。"),
    (["deactivate", "admin"], "admin 是最后一个在用的系统管理员"),
    (["activate", "admin"], "账号 admin 已经是启用状态。"),
    (["list", "--role", "boss"], "未知的角色 boss"),
    (["list", "--org-unit", "NOWHERE"], "NOWHERE"),
])
def test_bad_input_is_an_error_in_chinese_and_changes_nothing(org, args, message):
    count = AuditEvent.objects.count()
    with pytest.raises(CommandError) as exc:
        _cli(*args, language="zh-hans")
    assert message in str(exc.value)
    assert AuditEvent.objects.count() == count
    assert User.objects.get(username="admin").is_active is True


def test_errors_are_in_english_when_asked(org):
    with pytest.raises(CommandError) as exc:
        _cli("deactivate", "admin")
    assert str(exc.value) == ("admin is the last active administrator; kesu needs at least one. "
                              "Please make another administrator first.")
