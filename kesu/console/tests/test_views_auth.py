"""Login, logout and the login requirement of every console page."""

from __future__ import annotations

import pytest
from django.test import Client

from kesu.conftest import english_client
from kesu.core.models import AuditEvent


@pytest.mark.django_db
def test_login_works_and_is_audited(make_user):
    user = make_user("intake_agent", unit="S-E1", password="right-pass-1")
    client = english_client()
    r = client.post("/login/", {"username": user.username, "password": "right-pass-1"},
                    REMOTE_ADDR="10.0.0.7", HTTP_USER_AGENT="pytest")
    assert r.status_code == 302 and r["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200
    event = AuditEvent.objects.get(type="user.login")
    assert (event.actor_id, event.actor_name, event.object_type, event.object_id) == (
        user.pk, user.username, "user", user.username)
    assert event.data == {"ip": "10.0.0.7", "user_agent": "pytest"}
    assert not AuditEvent.objects.filter(type="user.login_failed").exists()


@pytest.mark.django_db
def test_wrong_password_is_refused_and_audited(make_user):
    user = make_user("intake_agent", password="right-pass-1")
    client = english_client()
    r = client.post("/login/", {"username": user.username, "password": "wrong"}, REMOTE_ADDR="10.0.0.8")
    assert r.status_code == 200
    assert b"The user name or password is not correct" in r.content
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(type="user.login_failed")
    assert (event.actor_id, event.object_id, event.data["ip"]) == (None, user.username, "10.0.0.8")
    assert not AuditEvent.objects.filter(type="user.login").exists()
    assert client.get("/cases/").status_code == 302


@pytest.mark.django_db
def test_login_page_keeps_next_and_goes_there(make_user):
    user = make_user("handler", password="right-pass-1")
    client = english_client()
    r = client.get("/customers/")
    assert r.status_code == 302 and r["Location"] == "/login/?next=/customers/"
    page = client.get(r["Location"])
    assert b'name="next" value="/customers/"' in page.content
    r = client.post("/login/", {"username": user.username, "password": "right-pass-1", "next": "/customers/"})
    assert r["Location"] == "/customers/"


@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/cases/", "/cases/new/", "/cases/KS-202601-00001/", "/customers/", "/customers/1/",
    "/customers/lookup/?q=138", "/cases/KS-202601-00001/attachments/1/",
])
def test_every_page_requires_login(db, path):
    r = Client().get(path)
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")


@pytest.mark.django_db
def test_root_redirects_to_case_list(make_user, console):
    r = console(make_user("handler")).get("/")
    assert r.status_code == 302 and r["Location"] == "/cases/"


@pytest.mark.django_db
def test_logout_is_post_only(make_user, console):
    client = console(make_user("handler"))
    assert client.get("/logout/").status_code == 405
    assert client.get("/cases/").status_code == 200
    r = client.post("/logout/")
    assert r.status_code == 302 and r["Location"] == "/login/"
    assert client.get("/cases/").status_code == 302


@pytest.mark.django_db
def test_navbar_shows_user_role_unit_and_language_switch(make_user, console):
    user = make_user("intake_agent", unit="S-E1")
    html = console(user).get("/cases/").content.decode()
    assert user.username in html and "Intake agent" in html and "上海南京路店" in html
    assert 'data-testid="language-switch"' in html
    assert 'href="/cases/new/"' in html
    assert "/logout/" in html


@pytest.mark.django_db
def test_navbar_hides_new_case_for_roles_that_cannot_create(make_user, console):
    html = console(make_user("executive")).get("/cases/").content.decode()
    assert 'href="/cases/new/"' not in html


@pytest.mark.django_db
def test_imports_link_only_when_the_role_may_import(make_user, console):
    supervisor, handler = make_user("cs_supervisor"), make_user("handler")
    assert 'href="/imports/"' in console(supervisor).get("/cases/").content.decode()
    assert 'href="/imports/"' not in console(handler).get("/cases/").content.decode()


@pytest.mark.django_db
def test_password_guessing_is_slowed_per_user_name(make_user, settings):
    settings.LOGIN_RATE = "3/15m"
    user = make_user("handler", password="right-pass-1")
    client = Client()
    codes = [client.post("/login/", {"username": user.username, "password": f"wrong{i}"}).status_code
             for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert AuditEvent.objects.filter(type="user.login_failed", object_id=user.username).count() == 3
    blocked = client.post("/login/", {"username": user.username, "password": "right-pass-1"})
    assert blocked.status_code == 429 and "_auth_user_id" not in client.session
    other = make_user("handler", password="right-pass-2")
    assert client.post("/login/", {"username": other.username, "password": "right-pass-2"}).status_code == 302
