"""Console test helpers: a logged-in browser-like client per user, in English."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from kesu.org.models import User


@pytest.fixture
def console() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client

    return make
