"""Console test helpers: a logged-in browser-like client per user, in English."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from kesu.conftest import english_client
from kesu.org.models import User


@pytest.fixture
def console() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = english_client()
        client.force_login(user)
        return client

    return make
