"""Fixtures of the notification tests: staff with e-mail and language, real local receivers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kesu.notify.testing import HttpReceiver, SmtpReceiver
from kesu.org.actions import NewUser, do_create_user
from kesu.org.models import OrgUnit, User


@pytest.fixture
def person(org: dict[str, OrgUnit]) -> Callable[..., User]:
    """``person("li", language="en", role="handler")``: a user with an e-mail address."""

    def make(name: str, *, role: str = "handler", unit: str = "HQ", language: str = "zh-hans",
             email: str | None = None) -> User:
        user = do_create_user(NewUser(username=name, role=role, org_unit_code=unit, password="pass-1234",
                                      display_name=name.title(),
                                      email=f"{name}@example.test" if email is None else email), actor=None)
        if language != user.language:
            User.objects.filter(pk=user.pk).update(language=language)
            user.language = language
        return user

    return make


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpReceiver]:
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend sends to."""
    with SmtpReceiver() as receiver:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = receiver.host, receiver.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.DEFAULT_FROM_EMAIL = "kesu@example.test"
        yield receiver


@pytest.fixture
def http(settings: Any) -> Iterator[HttpReceiver]:
    settings.NOTIFY_HTTP_TRUST_ENV = False
    with HttpReceiver() as receiver:
        yield receiver


@pytest.fixture
def base_url(settings: Any) -> str:
    settings.KESU_BASE_URL = "https://kesu.example.test"
    return "https://kesu.example.test"


@pytest.fixture
def console() -> Callable[[User], Any]:
    """A logged-in browser-like client that chose English."""
    from kesu.conftest import english_client

    def make(user: User) -> Any:
        client = english_client()
        client.force_login(user)
        return client

    return make
