"""The Redis cache backend keeps one client per pool and otherwise is Django's (real Redis)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from kesu.core.redis_cache import RedisCache
from kesu.core.tests.test_celery_broker import redis_url


def backend() -> RedisCache:
    return RedisCache(redis_url(), {"KEY_PREFIX": f"kesu-test-{uuid.uuid4().hex[:8]}"})


def test_one_client_is_kept_and_the_cache_works_as_djangos():
    cache = backend()
    cache.set("scope", [1, 2, 3], 30)
    assert cache.get("scope") == [1, 2, 3]
    assert cache.get_many(["scope", "absent"]) == {"scope": [1, 2, 3]}
    assert cache.add("scope", "other") is False
    assert cache.add("n", 1) is True
    assert cache.incr("n", 1) == 2 and cache.get("n") == 2
    django: Any = cache  # Django's private client object, which the type stubs leave out
    client = django._cache
    reader = client.get_client(None, write=False)
    assert client.get_client(None, write=False) is reader
    assert client.get_client(None, write=True) is client.get_client(None, write=True)
    cache.delete_many(["scope", "n"])
    assert cache.get("scope") is None


def test_the_kept_client_serves_threads_at_once():
    cache = backend()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                cache.set(f"k{n}", (n, i), 30)
                assert cache.get(f"k{n}") == (n, i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert cache.get_many([f"k{n}" for n in range(6)]) == {f"k{n}": (n, 49) for n in range(6)}
