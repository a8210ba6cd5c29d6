"""Generation tokens read once per transaction (kesu/sla/generation.py)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import transaction

from kesu.sla import calendars, generation, policies

pytestmark = pytest.mark.django_db


def test_all_tokens_are_read_once_per_transaction() -> None:
    with transaction.atomic(), mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many:
        first = generation.token(calendars.GENERATION_KEY)
        for _ in range(5):
            assert generation.token(calendars.GENERATION_KEY) == first
            generation.token(policies.GENERATION_KEY)
    assert get_many.call_count == 1


def test_outside_a_transaction_every_answer_reads_the_cache() -> None:
    with mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many, \
            mock.patch.object(transaction, "get_connection") as conn:
        conn.return_value.in_atomic_block = False
        generation.token(calendars.GENERATION_KEY)
        generation.token(calendars.GENERATION_KEY)
    assert get_many.call_count == 2


def test_a_change_in_this_process_is_seen_at_once() -> None:
    with transaction.atomic():
        before = generation.token(policies.GENERATION_KEY)
        policies.bump_generation()
        after = generation.token(policies.GENERATION_KEY)
    assert after != before
    assert after == cache.get(policies.GENERATION_KEY)


@pytest.mark.django_db(transaction=True)
def test_a_change_by_another_process_is_seen_in_the_next_transaction(settings: Any) -> None:
    with transaction.atomic():
        before = generation.token(calendars.GENERATION_KEY)
        cache.set(calendars.GENERATION_KEY, "set-by-another-process", None)  # no local bump
        assert generation.token(calendars.GENERATION_KEY) == before  # this transaction keeps its answer
    with transaction.atomic():
        assert generation.token(calendars.GENERATION_KEY) == "set-by-another-process"
